# core: wire protocol, hashing, keys, signatures, chain rules, logger, metrics, assertions (the bottom layer: calls nothing of ours).
GX_LIBS += core
GX_LIB_SRCS_core := $(call gx_lib_srcs,core)
GX_LIB_DEPS_core := 
GX_UNIT_TESTS_core := $(wildcard core/*_test.c)
GX_FUZZERS_core := $(wildcard core/*_fuzz.c)
GX_BENCHES += $(wildcard core/*_bench.c)
