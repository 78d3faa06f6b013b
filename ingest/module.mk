# ingest: the front half of a node: RX parse and dedup, the admission gate, signature verification, the mempool, gossip, and the stage runtime that joins them with rte_ring.
GX_LIBS += ingest
GX_LIB_SRCS_ingest := $(call gx_lib_srcs,ingest)
GX_LIB_DEPS_ingest := dataplane core
GX_UNIT_TESTS_ingest := $(wildcard ingest/*_test.c)
GX_FUZZERS_ingest := $(wildcard ingest/*_fuzz.c)
GX_BENCHES += $(wildcard ingest/*_bench.c)
GX_DPDK_SRCS += ingest/gx_ingest.c
