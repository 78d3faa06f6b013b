# bench: the Google Benchmark C harness; suites live beside their modules as *_bench.c.
GX_BENCHES += $(wildcard bench/*_bench.c)
