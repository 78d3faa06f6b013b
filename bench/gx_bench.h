/* gx_bench: benchmarks written in C over Google Benchmark (a thin C++ shim,
 * bench/gx_bench_shim.cc). A suite registers functions at load time:
 *
 *   static void bm_verify(gx_bench_t *b) {
 *     while (gx_bench_loop(b)) crypto_sign_verify_detached(...);
 *     gx_bench_items(b, gx_bench_iterations(b));
 *   }
 *   GX_BENCH(bm_verify);                          // one run
 *   GX_BENCH_ARGS(bm_workers, 1, 2, 4, 8);        // one run per argument
 *
 * The binary (build/bin/gx_bench) accepts Google Benchmark's flags
 * (--benchmark_filter, --benchmark_out=FILE --benchmark_out_format=json ...).
 * Baselines are ordinary benchmarks named "baseline/..."; bench/run.sh pairs
 * them with the figures they bound and reports ratios.
 * Threads: a benchmark body runs on the harness's thread; bodies may start
 * their own threads. gx_bench_real_time() makes timing wall-clock based. */
#ifndef GX_BENCH_H
#define GX_BENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gx_bench gx_bench_t;
typedef void (*gx_bench_fn_t)(gx_bench_t *b);

/* args: n values (n may be 0); each becomes one run "name/arg". */
void gx_bench_register(const char *name, gx_bench_fn_t fn, const int64_t *args, int n,
                       int real_time);

int gx_bench_loop(gx_bench_t *b);            /* true while more iterations wanted */
int64_t gx_bench_arg(gx_bench_t *b);         /* this run's argument (0 when none) */
int64_t gx_bench_iterations(gx_bench_t *b);
void gx_bench_items(gx_bench_t *b, int64_t items);  /* items_per_second */
void gx_bench_bytes(gx_bench_t *b, int64_t bytes);  /* bytes_per_second */
void gx_bench_counter(gx_bench_t *b, const char *name, double value); /* plain value */
void gx_bench_rate(gx_bench_t *b, const char *name, double value);    /* value per second */
void gx_bench_pause(gx_bench_t *b);
void gx_bench_resume(gx_bench_t *b);
void gx_bench_skip(gx_bench_t *b, const char *why); /* marks the run as skipped with a reason */
void gx_bench_set_seconds(gx_bench_t *b, double seconds); /* manual time for this iteration */

#define GX_BENCH_CAT2(a, b) a##b
#define GX_BENCH_CAT(a, b) GX_BENCH_CAT2(a, b)
#define GX_BENCH(fn)                                                                     \
  __attribute__((constructor)) static void GX_BENCH_CAT(gx_bench_reg_, fn)(void) {       \
    gx_bench_register(#fn, fn, 0, 0, 0);                                                 \
  }
#define GX_BENCH_ARGS(fn, ...)                                                           \
  __attribute__((constructor)) static void GX_BENCH_CAT(gx_bench_reg_, fn)(void) {       \
    static const int64_t a[] = {__VA_ARGS__};                                            \
    gx_bench_register(#fn, fn, a, (int)(sizeof a / sizeof a[0]), 1);                     \
  }
/* Named variant: the benchmark is reported under `name` ("baseline/raw_verify"). */
#define GX_BENCH_NAMED(name, fn, realtime)                                               \
  __attribute__((constructor)) static void GX_BENCH_CAT(gx_bench_reg_, fn)(void) {       \
    gx_bench_register(name, fn, 0, 0, realtime);                                         \
  }
#define GX_BENCH_NAMED_ARGS(name, fn, ...)                                               \
  __attribute__((constructor)) static void GX_BENCH_CAT(gx_bench_reg_, fn)(void) {       \
    static const int64_t a[] = {__VA_ARGS__};                                            \
    gx_bench_register(name, fn, a, (int)(sizeof a / sizeof a[0]), 1);                    \
  }

#ifdef __cplusplus
}
#endif
#endif
