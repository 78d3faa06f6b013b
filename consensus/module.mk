# consensus: asynchronous BFT (RBC + BA + threshold coin = ACS), sans-I/O.
GX_LIB_SRCS += $(filter-out %_test.c %_fuzz.c %_bench.c,$(wildcard consensus/*.c))
GX_UNIT_TESTS += $(wildcard consensus/*_test.c)
GX_FUZZERS += $(wildcard consensus/*_fuzz.c)
GX_BENCHES += $(wildcard consensus/*_bench.c)
