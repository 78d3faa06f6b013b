# storage: the black-hole store (io_uring log segments + LMDB indexes).
GX_LIBS += storage
GX_LIB_SRCS_storage := $(call gx_lib_srcs,storage)
GX_LIB_DEPS_storage := core
GX_UNIT_TESTS_storage := $(wildcard storage/*_test.c)
GX_FUZZERS_storage := $(wildcard storage/*_fuzz.c)
GX_BENCHES += $(wildcard storage/*_bench.c)
# Test-only helper: crash writer / checker / fault injector for tests/test_storage*.sh.
GX_APPS += gx_store_tool
GX_APP_SRCS_gx_store_tool := storage/tools/store_tool.c
GX_APP_LIBS_gx_store_tool := storage core
