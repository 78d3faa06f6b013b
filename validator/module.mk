# validator: the chain half of a node: committee (membership), the epoch driver (ACS over links), ledger (apply), black holes, certificates, the block sink, catch-up sync, genesis.
GX_LIBS += validator
GX_LIB_SRCS_validator := $(call gx_lib_srcs,validator)
GX_LIB_DEPS_validator := consensus storage dataplane core
GX_UNIT_TESTS_validator := $(wildcard validator/*_test.c)
GX_FUZZERS_validator := $(wildcard validator/*_fuzz.c)
GX_BENCHES += $(wildcard validator/*_bench.c)
