# validator: the ingest pipeline of galaxyd (dedup, verify, mempool, gossip and
# the runtime that joins them with rte_ring), plus the galaxyd app itself.
GX_DPDK_DIRS += validator
GX_LIB_SRCS += $(filter-out %_test.c %_fuzz.c %_bench.c,$(wildcard validator/*.c))
GX_UNIT_TESTS += $(wildcard validator/*_test.c)
GX_FUZZERS += $(wildcard validator/*_fuzz.c)
GX_BENCHES += $(wildcard validator/*_bench.c)
GX_APPS += galaxyd
GX_APP_SRCS_galaxyd := $(wildcard apps/galaxyd/*.c)
