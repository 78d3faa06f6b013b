// Thin C++ shim: maps the C API of bench/gx_bench.h onto Google Benchmark.
#include "bench/gx_bench.h"

#include <benchmark/benchmark.h>

#include <string>

struct gx_bench {
  benchmark::State *st;
  bool has_arg;
  bool started;
};

namespace {
void gx_bench_run(benchmark::State &st, gx_bench_fn_t fn, bool has_arg) {
  gx_bench b{&st, has_arg, false};
  fn(&b);
  // A body that never looped still has to satisfy the harness.
  if (!b.started) while (st.KeepRunning()) {}
}
}  // namespace

extern "C" {
void gx_bench_register(const char *name, gx_bench_fn_t fn, const int64_t *args, int n,
                       int real_time) {
  auto *bm = benchmark::RegisterBenchmark(name, [fn, n](benchmark::State &st) { gx_bench_run(st, fn, n > 0); });
  for (int i = 0; i < n; i++) bm->Arg(args[i]);
  if (real_time) bm->UseRealTime();
}

int gx_bench_loop(gx_bench_t *b) {
  b->started = true;
  return b->st->KeepRunning();
}

int64_t gx_bench_arg(gx_bench_t *b) { return b->has_arg ? b->st->range(0) : 0; }
int64_t gx_bench_iterations(gx_bench_t *b) { return (int64_t)b->st->iterations(); }
void gx_bench_items(gx_bench_t *b, int64_t items) { b->st->SetItemsProcessed(items); }
void gx_bench_bytes(gx_bench_t *b, int64_t bytes) { b->st->SetBytesProcessed(bytes); }
void gx_bench_counter(gx_bench_t *b, const char *name, double value) {
  b->st->counters[name] = benchmark::Counter(value);
}
void gx_bench_rate(gx_bench_t *b, const char *name, double value) {
  b->st->counters[name] = benchmark::Counter(value, benchmark::Counter::kIsRate);
}
void gx_bench_pause(gx_bench_t *b) { b->st->PauseTiming(); }
void gx_bench_resume(gx_bench_t *b) { b->st->ResumeTiming(); }
void gx_bench_skip(gx_bench_t *b, const char *why) { b->st->SkipWithError(why); }
void gx_bench_set_seconds(gx_bench_t *b, double seconds) { b->st->SetIterationTime(seconds); }
}

BENCHMARK_MAIN();
