# dataplane: EAL start-up, the socket backend and the DPDK backend, behind dataplane/gx_dp.h.
GX_DPDK_DIRS += dataplane
GX_LIB_SRCS += $(filter-out %_test.c %_fuzz.c %_bench.c,$(wildcard dataplane/*.c))
GX_UNIT_TESTS += $(wildcard dataplane/*_test.c)
GX_FUZZERS += $(wildcard dataplane/*_fuzz.c)
GX_BENCHES += $(wildcard dataplane/*_bench.c)
