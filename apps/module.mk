# apps: galaxyd, star, galaxyctl, and the shared CLI helpers (apps/gx_cli.h, the
# cli layer). Each app names the layers it links; galaxyctl subcommands register
# themselves.
GX_LIBS += cli
GX_LIB_SRCS_cli := apps/gx_cli.c
GX_LIB_DEPS_cli := core
GX_APPS += galaxyd
GX_APP_SRCS_galaxyd := $(wildcard apps/galaxyd/*.c)
GX_APP_LIBS_galaxyd := cli validator ingest consensus storage dataplane core
GX_APPS += galaxyctl
GX_APP_SRCS_galaxyctl := $(call gx_lib_srcs,apps/galaxyctl)
GX_APP_LIBS_galaxyctl := cli validator consensus storage dataplane core
# `galaxyctl monitor` draws with ncurses: only galaxyctl links it (the libraries
# are added to the link line through PKG_LIBS, a target-specific value here).
GX_NCURSES_CFLAGS := $(shell pkg-config --cflags ncurses 2>/dev/null)
GX_NCURSES_LIBS := $(or $(shell pkg-config --libs ncurses 2>/dev/null),-lncurses)
$(B)/bin/galaxyctl: PKG_LIBS += $(GX_NCURSES_LIBS)
$(B)/obj/apps/galaxyctl/monitor.o: CFLAGS += $(GX_NCURSES_CFLAGS)
GX_APPS += star
GX_APP_SRCS_star := $(call gx_lib_srcs,apps/star)
GX_APP_LIBS_star := cli core
# star's state decoders (they compile apps/star/star_state.c in: star is no layer)
GX_UNIT_TESTS_cli := apps/star/star_state_test.c apps/star/route_test.c
GX_FUZZERS_cli := apps/star/star_state_fuzz.c apps/star/route_fuzz.c
# the monitor's decoders of what nodes answer (they compile
# apps/galaxyctl/monitor_scrape.c in: it needs nothing but libc)
GX_UNIT_TESTS_cli += apps/galaxyctl/monitor_scrape_test.c
GX_FUZZERS_cli += apps/galaxyctl/monitor_scrape_fuzz.c
