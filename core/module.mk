# core: wire protocol, hashing, keys, signatures, logger, utilities.
GX_LIB_SRCS += $(filter-out %_test.c %_fuzz.c %_bench.c,$(wildcard core/*.c))
GX_UNIT_TESTS += $(wildcard core/*_test.c)
GX_FUZZERS += $(wildcard core/*_fuzz.c)
GX_BENCHES += $(wildcard core/*_bench.c)
