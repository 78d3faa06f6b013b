# Galaxy appliance: top-level GNU makefile.
#
#   make            build everything (libraries, apps, unit tests, benches)
#   make test       install missing packages, build, run the whole test suite
#   make run        install missing packages, build, start a local network under load
#   make SAN=1      build with ASan+UBSan (into build/san)
#   make CC=clang   build with clang (into build/clang)
#   make fuzz       build the libFuzzer targets (clang, into build/fuzz)
#
# One library per layer. Each module directory has a module.mk that declares
# its layer library and what it may link against:
#   GX_LIBS += NAME            the layer library $(B)/lib/libgx_NAME.a
#   GX_LIB_SRCS_NAME           its sources
#   GX_LIB_DEPS_NAME           the lower layers it may call, in link order
#   GX_UNIT_TESTS_NAME         cmocka tests (NAME_test.c beside the module); each
#                              links the layer and its GX_LIB_DEPS only
#   GX_FUZZERS_NAME            libFuzzer targets, linked the same way
#   GX_BENCHES                 benchmark sources (C, registered through bench/gx_bench.h)
#   GX_DPDK_SRCS               sources that include DPDK headers (only they get
#                              DPDK's compile flags)
#   GX_APPS, GX_APP_SRCS_NAME, GX_APP_LIBS_NAME   programs and the layers they link
# The layers, lowest first (docs/ARCHITECTURE.md):
#   core < dataplane, consensus, storage < ingest (on dataplane), validator (on
#   consensus, storage, dataplane) < apps (cli). ingest and validator sit side
#   by side: the chain half reaches the mempool through validator/gx_txpool.h,
#   which galaxyd implements over ingest.
# A call from a lower layer into a higher one fails to link (its tests link
# only the layers below it); tests/test_layers.sh checks every archive too.
# Unit tests live beside their module as NAME_test.c; integration tests
# (real processes, sockets, files) live in tests/.

SHELL := /bin/bash
.DEFAULT_GOAL := all

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
CXX_FOR_CC := $(if $(findstring clang,$(CC)),clang++,g++)

ifeq ($(SAN),1)
B ?= build/san$(if $(findstring clang,$(CC)),-clang,)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else ifeq ($(RELEASE),1)
B ?= build/release$(if $(findstring clang,$(CC)),-clang,)
OPT := -O3 -DNDEBUG
else
B ?= build$(if $(findstring clang,$(CC)),/clang,)
OPT := -O2
endif

PKGS := libsodium liburing lmdb libisal libmicrohttpd inih libcurl libxxhash
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
DPDK_LIBS := $(shell pkg-config --libs libdpdk 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
CFLAGS := -std=c17 $(OPT) -g $(WARN) -D_GNU_SOURCE -I. -pthread $(SAN_FLAGS) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := -pthread $(SAN_FLAGS) $(EXTRA_LDFLAGS)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
CFLAGS += -DGX_BUILD_REV=\"$(GIT_REV)\"

# V=1 shows every command.
ifeq ($(V),1)
Q :=
gx_say = true
else
Q := @
gx_say = printf '  %-6s %s\n'
endif

GX_LIBS :=
GX_APPS :=
GX_BENCHES :=
GX_DPDK_SRCS :=
# A module's library sources: its *.c but tests, fuzzers and benchmarks.
gx_lib_srcs = $(filter-out %_test.c %_fuzz.c %_bench.c,$(wildcard $(1)/*.c))

include $(sort $(wildcard */module.mk */*/module.mk))

# DPDK's flags for the files that include its headers, nothing else.
gx_cflags_for = $(if $(filter $(GX_DPDK_SRCS),$(1)),$(DPDK_CFLAGS) -Wno-pedantic,)
# Libraries (in link order) for a list of layer names, and DPDK's libraries when
# the dataplane (or a layer on it) is among them.
gx_lib_files = $(foreach l,$(2),$(1)/lib/libgx_$(l).a)
gx_closure = $(1) $(foreach l,$(1),$(GX_LIB_DEPS_$(l)))
gx_ldlibs = $(if $(filter dataplane,$(1)),$(DPDK_LIBS),) $(PKG_LIBS) -lm

GX_APP_BINS := $(addprefix $(B)/bin/,$(GX_APPS))
GX_UNIT_TESTS := $(foreach l,$(GX_LIBS),$(GX_UNIT_TESTS_$(l)))
GX_FUZZERS := $(foreach l,$(GX_LIBS),$(GX_FUZZERS_$(l)))
GX_TEST_BINS := $(patsubst %.c,$(B)/test/%,$(notdir $(GX_UNIT_TESTS)))
GX_BENCH_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(GX_BENCHES))

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(gx_say) CC $<; $(CC) $(CFLAGS) $(call gx_cflags_for,$<) -MMD -MP -c $< -o $@

define gx_lib_rule
$(B)/lib/libgx_$(1).a: $(patsubst %.c,$(B)/obj/%.o,$(GX_LIB_SRCS_$(1)))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(Q)$$(gx_say) AR $$@; ar rcs $$@ $$^
endef
$(foreach l,$(GX_LIBS),$(eval $(call gx_lib_rule,$(l))))

define gx_app_rule
$(B)/bin/$(1): $(patsubst %.c,$(B)/obj/%.o,$(GX_APP_SRCS_$(1))) $(call gx_lib_files,$(B),$(GX_APP_LIBS_$(1)))
	@mkdir -p $$(dir $$@)
	$$(Q)$$(gx_say) LINK $$@; $$(CC) $$(LDFLAGS) $$^ $$(call gx_ldlibs,$(call gx_closure,$(GX_APP_LIBS_$(1)))) -o $$@
endef
$(foreach a,$(GX_APPS),$(eval $(call gx_app_rule,$(a))))

# gx_test_rule(source, layer)
define gx_test_rule
$(B)/test/$(basename $(notdir $(1))): $(patsubst %.c,$(B)/obj/%.o,$(1)) $(call gx_lib_files,$(B),$(2) $(GX_LIB_DEPS_$(2)))
	@mkdir -p $$(dir $$@)
	$$(Q)$$(gx_say) LINK $$@; $$(CC) $$(LDFLAGS) $$^ $$(call gx_ldlibs,$(2) $(GX_LIB_DEPS_$(2))) -lcmocka -o $$@
endef
$(foreach l,$(GX_LIBS),$(foreach t,$(GX_UNIT_TESTS_$(l)),$(eval $(call gx_test_rule,$(t),$(l)))))

# Benchmarks: C suites registered through the thin C++ shim over Google
# Benchmark, in one binary that links every layer.
GX_BENCH_LIBS := validator ingest consensus storage dataplane core
$(B)/obj/bench/gx_bench_shim.o: bench/gx_bench_shim.cc bench/gx_bench.h
	@mkdir -p $(dir $@)
	$(Q)$(gx_say) CXX $<; $(CXX_FOR_CC) -std=c++17 $(OPT) -g -Wall -Wextra -Werror -I. $(SAN_FLAGS) -c $< -o $@
$(B)/bin/gx_bench: $(GX_BENCH_OBJS) $(B)/obj/bench/gx_bench_shim.o $(call gx_lib_files,$(B),$(GX_BENCH_LIBS))
	@mkdir -p $(dir $@)
	$(Q)$(gx_say) LINK $@; $(CXX_FOR_CC) $(LDFLAGS) $^ $(call gx_ldlibs,$(GX_BENCH_LIBS)) -lbenchmark -o $@

# libFuzzer targets: always clang, always ASan+UBSan, own object tree.
FZ ?= build/fuzz
FUZZ_CFLAGS := -std=c17 -O1 -g $(WARN) -D_GNU_SOURCE -I. -pthread $(PKG_CFLAGS) \
  -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(gx_say) FUZZCC $<; clang $(FUZZ_CFLAGS) $(call gx_cflags_for,$<) -MMD -MP -c $< -o $@
define gx_fuzz_lib_rule
$(FZ)/lib/libgx_$(1).a: $(patsubst %.c,$(FZ)/obj/%.o,$(GX_LIB_SRCS_$(1)))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(Q)ar rcs $$@ $$^
endef
$(foreach l,$(GX_LIBS),$(eval $(call gx_fuzz_lib_rule,$(l))))
define gx_fuzz_rule
$(FZ)/bin/$(basename $(notdir $(1))): $(patsubst %.c,$(FZ)/obj/%.o,$(1)) $(call gx_lib_files,$(FZ),$(2) $(GX_LIB_DEPS_$(2)))
	@mkdir -p $$(dir $$@)
	$$(Q)$$(gx_say) LINK $$@; clang -fsanitize=fuzzer,address,undefined -pthread $$^ $$(call gx_ldlibs,$(2) $(GX_LIB_DEPS_$(2))) -o $$@
endef
$(foreach l,$(GX_LIBS),$(foreach f,$(GX_FUZZERS_$(l)),$(eval $(call gx_fuzz_rule,$(f),$(l)))))
GX_FUZZ_BINS := $(patsubst %.c,$(FZ)/bin/%,$(notdir $(GX_FUZZERS)))

.PHONY: all libs apps tests benches fuzz deps test run soak clean
all: apps tests benches libs
libs: $(call gx_lib_files,$(B),$(GX_LIBS))
apps: $(GX_APP_BINS)
tests: $(GX_TEST_BINS)
benches: $(if $(GX_BENCHES),$(B)/bin/gx_bench,)
fuzz: $(GX_FUZZ_BINS)

deps:
	@./deploy/install-deps.sh

# The whole suite: unit tests, fuzz smoke runs, integration tests, bench smoke.
test: deps
	@$(MAKE) --no-print-directory all fuzz
	@GX_BUILD=$(B) ./tests/run.sh

soak: deps
	@$(MAKE) --no-print-directory all
	@GX_BUILD=$(B) GX_SOAK=1 ./tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@GX_BUILD=$(B) ./deploy/run-local.sh $(RUN_ARGS)

clean:
	rm -rf build

# ---- install, uninstall, deb (docs/DEPLOY.md) ----
#   make install [PREFIX=/usr/local] [DESTDIR=DIR]   programs, man pages (help2man
#       from --help), the commented default config (never over an existing one),
#       the systemd unit with its paths, sysusers.d entry, docs, DPDK set-up,
#       systemd drop-ins, Prometheus rules and config, the Grafana dashboard.
#       Builds the programs first unless
#       INSTALL_NOBUILD=1 (then installs what is in $(B)/bin as it is).
#   make uninstall (same variables)   removes all that but a changed config
#   make deb   galaxy-appliance_VERSION_ARCH.deb in $(DEB_OUT), by debhelper
#       (debian/) from the release build in $(DEB_B), which it builds first
#       unless INSTALL_NOBUILD=1; debian/rules runs `make install DESTDIR=...`.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DATADIR ?= $(PREFIX)/share/galaxy-appliance
DOCDIR ?= $(PREFIX)/share/doc/galaxy-appliance
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DEB_B ?= build/release
DEB_OUT ?= $(DEB_B)/deb
# The programs an operator runs (GX_APPS also holds test tools).
GX_INSTALL_APPS := galaxyd galaxyctl star
GX_MAN_NAME_galaxyd := Galaxy validator appliance daemon
GX_MAN_NAME_galaxyctl := Galaxy operator tool
GX_MAN_NAME_star := Galaxy light client
# The unit and docs name /usr/bin, /etc/galaxyd and /usr/share/...: rewritten for
# other prefixes.
GX_UNIT_SED := -e 's|/usr/bin/galaxyd|$(BINDIR)/galaxyd|g' -e 's|/etc/galaxyd/|$(SYSCONFDIR)/galaxyd/|g' \
  -e 's|/usr/share/galaxy-appliance|$(DATADIR)|g' -e 's|/usr/share/doc/galaxy-appliance|$(DOCDIR)|g'

.PHONY: install uninstall deb
install: $(if $(INSTALL_NOBUILD),,$(addprefix $(B)/bin/,$(GX_INSTALL_APPS)))
	@for a in $(GX_INSTALL_APPS); do [ -x $(B)/bin/$$a ] || { echo "install: $(B)/bin/$$a is not built" >&2; exit 1; }; done
	@command -v help2man >/dev/null || { echo "install: help2man is missing (deploy/install-deps.sh)" >&2; exit 1; }
	@mkdir -p $(B)/man
	$(Q)for a in $(GX_INSTALL_APPS); do \
	  sec=$$(case $$a in star) echo 1;; *) echo 8;; esac); inc=$(B)/man/$$a.h2m; : >$$inc; \
	  if [ $$a = galaxyctl ]; then \
	    { echo '[COMMANDS]'; for c in $$($(B)/bin/$$a --help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $$1}'); do \
	        echo '.PP'; echo '.nf'; $(B)/bin/$$a $$c --help 2>&1 | sed 's/\\/\\e/g'; echo '.fi'; done; } >$$inc; fi; \
	  { echo '[FILES]'; echo '$(SYSCONFDIR)/galaxyd/NAME.ini, /var/lib/galaxyd/NAME: see $(DOCDIR)/DEPLOY.md'; \
	    echo '[SEE ALSO]'; echo 'The documentation in $(DOCDIR)'; } >>$$inc; \
	  $(gx_say) MAN $(B)/man/$$a.$$sec; \
	  name="$$(case $$a in galaxyd) echo '$(GX_MAN_NAME_galaxyd)';; galaxyctl) echo '$(GX_MAN_NAME_galaxyctl)';; *) echo '$(GX_MAN_NAME_star)';; esac)"; \
	  help2man --no-info --no-discard-stderr --section=$$sec --name="$$name" --include=$$inc \
	    --output=$(B)/man/$$a.$$sec $(B)/bin/$$a || exit 1; \
	done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(SYSCONFDIR)/galaxyd $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	  $(DESTDIR)$(DATADIR)/systemd $(DESTDIR)$(DATADIR)/prometheus $(DESTDIR)$(DATADIR)/grafana $(DESTDIR)$(DOCDIR)
	install -m 0755 $(addprefix $(B)/bin/,$(GX_INSTALL_APPS)) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(B)/man/star.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(B)/man/galaxyd.8 $(B)/man/galaxyctl.8 $(DESTDIR)$(MANDIR)/man8/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/galaxyd/galaxyd.ini ]; then \
	  echo "install: kept the existing $(DESTDIR)$(SYSCONFDIR)/galaxyd/galaxyd.ini"; \
	else install -m 0644 deploy/galaxyd.ini $(DESTDIR)$(SYSCONFDIR)/galaxyd/galaxyd.ini; fi
	sed $(GX_UNIT_SED) deploy/systemd/galaxyd@.service >$(DESTDIR)$(UNITDIR)/galaxyd@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/galaxyd@.service
	install -m 0644 deploy/systemd/galaxyd.sysusers $(DESTDIR)$(SYSUSERSDIR)/galaxyd.conf
	for f in dpdk.conf cpu.conf 60-galaxyd-vfio.rules; do \
	  sed $(GX_UNIT_SED) deploy/systemd/$$f >$(DESTDIR)$(DATADIR)/systemd/$$f && chmod 0644 $(DESTDIR)$(DATADIR)/systemd/$$f || exit 1; done
	install -m 0644 deploy/prometheus/alerts.yml deploy/prometheus/prometheus.yml $(DESTDIR)$(DATADIR)/prometheus/
	install -m 0644 deploy/grafana/galaxy.json $(DESTDIR)$(DATADIR)/grafana/
	install -m 0755 deploy/dpdk-setup.sh $(DESTDIR)$(DATADIR)/
	install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/
	@[ -n "$(DESTDIR)" ] || echo "install: done; create the galaxyd user with 'systemd-sysusers', then follow $(DOCDIR)/DEPLOY.md"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(GX_INSTALL_APPS)) $(DESTDIR)$(MANDIR)/man1/star.1 \
	  $(DESTDIR)$(MANDIR)/man8/galaxyd.8 $(DESTDIR)$(MANDIR)/man8/galaxyctl.8 \
	  $(DESTDIR)$(UNITDIR)/galaxyd@.service $(DESTDIR)$(SYSUSERSDIR)/galaxyd.conf
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	@if cmp -s deploy/galaxyd.ini $(DESTDIR)$(SYSCONFDIR)/galaxyd/galaxyd.ini; then rm -f $(DESTDIR)$(SYSCONFDIR)/galaxyd/galaxyd.ini; fi
	@rmdir $(DESTDIR)$(SYSCONFDIR)/galaxyd 2>/dev/null || echo "uninstall: kept $(DESTDIR)$(SYSCONFDIR)/galaxyd (configs, keys)"
	@echo "uninstall: the galaxyd user and /var/lib/galaxyd (chain data) are left as they are"

deb:
	@v=$$(sed -n 's/^#define GX_VERSION "\(.*\)"/\1/p' apps/gx_cli.h); d=$$(dpkg-parsechangelog -S Version); \
	  [ "$$v" = "$$d" ] || { echo "deb: debian/changelog is at $$d, GX_VERSION (apps/gx_cli.h) at $$v: add a changelog entry" >&2; exit 1; }
	$(if $(INSTALL_NOBUILD),,@$(MAKE) --no-print-directory RELEASE=1 B=$(DEB_B) $(addprefix $(DEB_B)/bin/,$(GX_INSTALL_APPS)))
	@rm -rf $(DEB_OUT)/src && mkdir -p $(DEB_OUT)/src && cp -a debian $(DEB_OUT)/src/
	cd $(DEB_OUT)/src && GX_SRC=$(CURDIR) GX_B=$(abspath $(DEB_B)) INSTALL_NOBUILD=1 \
	  DEB_OUT=$(abspath $(DEB_OUT)) debian/rules binary
	@ls $(DEB_OUT)/*.deb

-include $(shell find build -name '*.d' 2>/dev/null)
