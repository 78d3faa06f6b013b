# tests/sim: deterministic simulator of N consensus nodes in one process.
GX_APPS += gx_sim
GX_APP_SRCS_gx_sim := $(wildcard tests/sim/*.c)
GX_APP_LIBS_gx_sim := cli validator consensus storage dataplane core
# The nodes run validator/gx_epoch, which gives its engines no BA decide
# callback; the simulator wraps gx_acs_new to observe every decision of the
# unchanged engine (its double-decision and BA agreement checks).
$(B)/bin/gx_sim: LDFLAGS += -Wl,--wrap=gx_acs_new
