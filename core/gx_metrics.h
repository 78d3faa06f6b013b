/* gx_metrics: a small fixed-size metrics registry rendered as Prometheus text
 * (exposition format 0.0.4, clean under `promtool check metrics`).
 *
 * A module registers its metrics once at start-up; each registration points at
 * storage the module owns and keeps alive while the registry lives:
 *   - a counter: one `_Atomic uint64_t`, or n per-thread copies summed at
 *     scrape (gx_metrics_counter_sum: base, count, stride in bytes);
 *   - a gauge: one `_Atomic int64_t`, or a callback evaluated at scrape;
 *   - a histogram: a gx_metrics_hist_t (fixed bucket bounds, atomic cells);
 *   - an info metric: a gauge fixed at 1 with labels (build info).
 * Hot paths only touch their own atomics (relaxed); no call here allocates.
 *
 * Names: [a-zA-Z_][a-zA-Z0-9_]*; counters must end in `_total`; every name has
 * one kind and one help text. Several registrations may share a name with
 * different label sets (`gx_parse_errors_total` with `reason="trailing"`,
 * `reason="short"`): they render as one family (HELP/TYPE once). Labels are
 * given pre-formatted as `key="value",key2="value2"` (NULL or "" for none);
 * values may not contain `"`, `\` or a newline.
 *
 * Memory: the registry is a caller-owned struct (or gx_metrics_global()); it
 * copies names, labels and help into fixed fields, so callers may pass
 * temporaries. Threads: registration and rendering take the registry's mutex
 * and may run on any thread; metric storage is updated lock-free by its owner.
 * Errors: gx_metrics_err_t (gx_metrics_strerror), nothing is printed. */
#ifndef GX_METRICS_H
#define GX_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define GX_METRICS_MAX 256        /* registrations per registry */
#define GX_METRICS_NAME_MAX 64
#define GX_METRICS_LABELS_MAX 96
#define GX_METRICS_HELP_MAX 128
#define GX_METRICS_HIST_MAX_BUCKETS 24

typedef enum {
  GX_METRICS_OK = 0,
  GX_METRICS_ERR_FULL,     /* GX_METRICS_MAX registrations already made     */
  GX_METRICS_ERR_NAME,     /* bad name, or a counter not ending in _total   */
  GX_METRICS_ERR_LABELS,   /* malformed label set or too long               */
  GX_METRICS_ERR_HELP,     /* help empty, too long or with a newline        */
  GX_METRICS_ERR_KIND,     /* name already registered with another kind/help */
  GX_METRICS_ERR_DUP,      /* same name and label set registered twice      */
  GX_METRICS_ERR_BUCKETS,  /* histogram buckets empty, too many or unsorted */
  GX_METRICS_ERR_NOSPACE,  /* render: the output buffer is too small        */
  GX_METRICS_ERR__COUNT
} gx_metrics_err_t;

const char *gx_metrics_strerror(gx_metrics_err_t err);

typedef enum {
  GX_METRIC_COUNTER = 0,
  GX_METRIC_GAUGE,
  GX_METRIC_HISTOGRAM,
} gx_metric_kind_t;

/* A histogram over integer observations (e.g. nanoseconds). bounds[] are upper
 * bounds in the same unit, strictly increasing; rendering multiplies bounds and
 * the sum by `scale` (1e-9 turns nanoseconds into the base unit seconds).
 * Observe from any thread (relaxed atomics). */
typedef struct {
  uint64_t bounds[GX_METRICS_HIST_MAX_BUCKETS];
  int n_bounds;
  double scale;
  _Atomic uint64_t cells[GX_METRICS_HIST_MAX_BUCKETS + 1]; /* last cell: +Inf */
  _Atomic uint64_t count;
  _Atomic uint64_t sum;
} gx_metrics_hist_t;

/* 0 or GX_METRICS_ERR_BUCKETS. */
gx_metrics_err_t gx_metrics_hist_init(gx_metrics_hist_t *h, const uint64_t *bounds, int n,
                                      double scale);
static inline void gx_metrics_hist_observe(gx_metrics_hist_t *h, uint64_t v) {
  int i = 0;
  while (i < h->n_bounds && v > h->bounds[i]) i++;
  atomic_fetch_add_explicit(&h->cells[i], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

/* Single-writer counter bump: cheaper than fetch_add, correct when exactly
 * one thread writes the cell (readers may be anywhere). */
static inline void gx_metrics_add(_Atomic uint64_t *c, uint64_t n) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                        memory_order_relaxed);
}

typedef double (*gx_metrics_gauge_fn_t)(void *arg);

typedef struct {
  char name[GX_METRICS_NAME_MAX];
  char labels[GX_METRICS_LABELS_MAX];
  char help[GX_METRICS_HELP_MAX];
  gx_metric_kind_t kind;
  const void *ptr;        /* counter/gauge cell(s), histogram */
  size_t n, stride;       /* summed cells: n cells, stride bytes apart */
  gx_metrics_gauge_fn_t fn;
  void *fn_arg;
  int is_signed;          /* gauge cell is int64 */
  int constant_one;       /* info metric */
} gx_metrics_entry_t;

typedef struct {
  pthread_mutex_t lock;
  int n;
  gx_metrics_entry_t e[GX_METRICS_MAX];
} gx_metrics_t;

void gx_metrics_init(gx_metrics_t *m);
void gx_metrics_fini(gx_metrics_t *m);
/* The process-wide registry galaxyd serves (initialised on first use). */
gx_metrics_t *gx_metrics_global(void);

gx_metrics_err_t gx_metrics_counter(gx_metrics_t *m, const char *name, const char *labels,
                                    const char *help, const _Atomic uint64_t *cell);
/* n counters at (char*)base + i*stride, summed at scrape (per-thread copies). */
gx_metrics_err_t gx_metrics_counter_sum(gx_metrics_t *m, const char *name, const char *labels,
                                        const char *help, const _Atomic uint64_t *base,
                                        size_t n, size_t stride);
gx_metrics_err_t gx_metrics_gauge(gx_metrics_t *m, const char *name, const char *labels,
                                  const char *help, const _Atomic int64_t *cell);
/* Gauge evaluated at scrape, on the scraping thread: fn must be thread-safe. */
gx_metrics_err_t gx_metrics_gauge_fn(gx_metrics_t *m, const char *name, const char *labels,
                                     const char *help, gx_metrics_gauge_fn_t fn, void *arg);
gx_metrics_err_t gx_metrics_histogram(gx_metrics_t *m, const char *name, const char *labels,
                                      const char *help, gx_metrics_hist_t *h);
/* A gauge that is always 1, carrying information in its labels. */
gx_metrics_err_t gx_metrics_info(gx_metrics_t *m, const char *name, const char *labels,
                                 const char *help);

/* Writes the text exposition into buf (NUL-terminated). Returns the length, or
 * -1 with *err = GX_METRICS_ERR_NOSPACE when cap is too small (buf then holds a
 * truncated prefix). err may be NULL. */
long gx_metrics_render(gx_metrics_t *m, char *buf, size_t cap, gx_metrics_err_t *err);

#endif
