# bench/rings: the rte_ring hand-off between pipeline stages, beside a plain copy
# of the same pointers. Needs DPDK's compile flags, hence its own directory
# (bench/module.mk's wildcard covers bench/*_bench.c only).
GX_DPDK_DIRS += bench/rings
GX_BENCHES += $(wildcard bench/rings/*_bench.c)
