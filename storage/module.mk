# storage: the black-hole store (io_uring log segments + LMDB indexes).
GX_LIB_SRCS += $(filter-out %_test.c %_fuzz.c %_bench.c,$(wildcard storage/*.c))
GX_UNIT_TESTS += $(wildcard storage/*_test.c)
GX_FUZZERS += $(wildcard storage/*_fuzz.c)
GX_BENCHES += $(wildcard storage/*_bench.c)
# Test-only helper: crash writer / checker / fault injector for tests/test_storage*.sh.
GX_APPS += gx_store_tool
GX_APP_SRCS_gx_store_tool := storage/tools/store_tool.c
