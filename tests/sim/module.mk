# tests/sim: deterministic simulator of N consensus nodes in one process.
GX_APPS += gx_sim
GX_APP_SRCS_gx_sim := $(wildcard tests/sim/*.c)
