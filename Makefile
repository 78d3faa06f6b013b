# Galaxy appliance: top-level GNU makefile.
#
#   make            build everything (libraries, apps, unit tests, benches)
#   make test       install missing packages, build, run the whole test suite
#   make run        install missing packages, build, start a local network under load
#   make SAN=1      build with ASan+UBSan (into build/san)
#   make CC=clang   build with clang (into build/clang)
#   make fuzz       build the libFuzzer targets (clang, into build/fuzz)
#
# Each module directory has a module.mk that appends to:
#   GX_LIB_SRCS    sources of the shared library objects (linked into everything)
#   GX_APPS        app names: apps/NAME/... sources listed in GX_APP_SRCS_NAME
#   GX_UNIT_TESTS  unit-test sources (cmocka), one binary each, beside the module
#   GX_FUZZERS     libFuzzer sources, one binary each
#   GX_BENCHES     benchmark sources (C, registered through bench/gx_bench.h)
#   GX_DPDK_DIRS   directories whose objects need DPDK's compile flags
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
LDLIBS := $(DPDK_LIBS) $(PKG_LIBS) -lm
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

GX_LIB_SRCS :=
GX_APPS :=
GX_UNIT_TESTS :=
GX_FUZZERS :=
GX_BENCHES :=
GX_DPDK_DIRS :=

include $(sort $(wildcard */module.mk */*/module.mk))

GX_LIB_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(GX_LIB_SRCS))
GX_APP_BINS := $(addprefix $(B)/bin/,$(GX_APPS))
GX_TEST_BINS := $(patsubst %.c,$(B)/test/%,$(notdir $(GX_UNIT_TESTS)))
GX_BENCH_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(GX_BENCHES))

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(gx_say) CC $<; $(CC) $(CFLAGS) $(if $(filter $(GX_DPDK_DIRS),$(patsubst %/,%,$(dir $<))),$(DPDK_CFLAGS) -Wno-pedantic,) -MMD -MP -c $< -o $@

$(B)/libgx.a: $(GX_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

define gx_app_rule
$(B)/bin/$(1): $(patsubst %.c,$(B)/obj/%.o,$(GX_APP_SRCS_$(1))) $(B)/libgx.a
	@mkdir -p $$(dir $$@)
	$$(Q)$$(gx_say) LINK $$@; $$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach a,$(GX_APPS),$(eval $(call gx_app_rule,$(a))))

define gx_test_rule
$(B)/test/$(basename $(notdir $(1))): $(patsubst %.c,$(B)/obj/%.o,$(1)) $(B)/libgx.a
	@mkdir -p $$(dir $$@)
	$$(Q)$$(gx_say) LINK $$@; $$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -lcmocka -o $$@
endef
$(foreach t,$(GX_UNIT_TESTS),$(eval $(call gx_test_rule,$(t))))

# Benchmarks: C suites registered through the thin C++ shim over Google Benchmark.
$(B)/obj/bench/gx_bench_shim.o: bench/gx_bench_shim.cc bench/gx_bench.h
	@mkdir -p $(dir $@)
	$(Q)$(gx_say) CXX $<; $(CXX_FOR_CC) -std=c++17 $(OPT) -g -Wall -Wextra -Werror -I. $(SAN_FLAGS) -c $< -o $@
$(B)/bin/gx_bench: $(GX_BENCH_OBJS) $(B)/obj/bench/gx_bench_shim.o $(B)/libgx.a
	@mkdir -p $(dir $@)
	$(Q)$(gx_say) LINK $@; $(CXX_FOR_CC) $(LDFLAGS) $^ $(LDLIBS) -lbenchmark -o $@

# libFuzzer targets: always clang, always ASan+UBSan, own object tree.
FZ ?= build/fuzz
FUZZ_CFLAGS := -std=c17 -O1 -g $(WARN) -D_GNU_SOURCE -I. -pthread $(PKG_CFLAGS) \
  -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_LIB_OBJS := $(patsubst %.c,$(FZ)/obj/%.o,$(GX_LIB_SRCS))
$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(gx_say) FUZZCC $<; clang $(FUZZ_CFLAGS) $(if $(filter $(GX_DPDK_DIRS),$(patsubst %/,%,$(dir $<))),$(DPDK_CFLAGS) -Wno-pedantic,) -MMD -MP -c $< -o $@
$(FZ)/libgx.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^
define gx_fuzz_rule
$(FZ)/bin/$(basename $(notdir $(1))): $(patsubst %.c,$(FZ)/obj/%.o,$(1)) $(FZ)/libgx.a
	@mkdir -p $$(dir $$@)
	$$(Q)$$(gx_say) LINK $$@; clang -fsanitize=fuzzer,address,undefined -pthread $$^ $$(LDLIBS) -o $$@
endef
$(foreach f,$(GX_FUZZERS),$(eval $(call gx_fuzz_rule,$(f))))
GX_FUZZ_BINS := $(patsubst %.c,$(FZ)/bin/%,$(notdir $(GX_FUZZERS)))

.PHONY: all apps tests benches fuzz deps test run soak clean
all: apps tests benches
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

-include $(shell find build -name '*.d' 2>/dev/null)
