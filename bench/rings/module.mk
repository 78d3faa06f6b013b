# bench/rings: the rte_ring hand-off between pipeline stages, beside a plain copy
# of the same pointers (bench/module.mk's wildcard covers bench/*_bench.c only).
GX_BENCHES += $(wildcard bench/rings/*_bench.c)
GX_DPDK_SRCS += bench/rings/gx_ring_bench.c
