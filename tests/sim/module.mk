# tests/sim: deterministic simulator of N consensus nodes in one process.
GX_APPS += gx_sim
GX_APP_SRCS_gx_sim := $(wildcard tests/sim/*.c)
GX_APP_LIBS_gx_sim := cli validator consensus storage dataplane core
