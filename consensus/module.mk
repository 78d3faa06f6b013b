# consensus: asynchronous BFT (RBC + BA + threshold coin = ACS), sans-I/O.
GX_LIBS += consensus
GX_LIB_SRCS_consensus := $(call gx_lib_srcs,consensus)
GX_LIB_DEPS_consensus := core
GX_UNIT_TESTS_consensus := $(wildcard consensus/*_test.c)
GX_FUZZERS_consensus := $(wildcard consensus/*_fuzz.c)
GX_BENCHES += $(wildcard consensus/*_bench.c)
