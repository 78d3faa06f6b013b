# dataplane: EAL start-up, the socket and DPDK backends behind dataplane/gx_dp.h, packet parsing, authenticated links.
GX_LIBS += dataplane
GX_LIB_SRCS_dataplane := $(call gx_lib_srcs,dataplane)
GX_LIB_DEPS_dataplane := core
GX_UNIT_TESTS_dataplane := $(wildcard dataplane/*_test.c)
GX_FUZZERS_dataplane := $(wildcard dataplane/*_fuzz.c)
GX_BENCHES += $(wildcard dataplane/*_bench.c)
GX_DPDK_SRCS += $(addprefix dataplane/,gx_dpdk.c gx_eal.c gx_pkt.c gx_dpdk_test.c gx_eal_test.c gx_dpdk_bench.c)
