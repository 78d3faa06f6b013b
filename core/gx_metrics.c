#include "core/gx_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const gx_metrics_errs[GX_METRICS_ERR__COUNT] = {
    [GX_METRICS_OK] = "ok",
    [GX_METRICS_ERR_FULL] = "metrics registry full",
    [GX_METRICS_ERR_NAME] = "bad metric name (counters must end in _total)",
    [GX_METRICS_ERR_LABELS] = "malformed or too long label set",
    [GX_METRICS_ERR_HELP] = "help text empty, too long or multi-line",
    [GX_METRICS_ERR_KIND] = "metric name already registered with another kind or help",
    [GX_METRICS_ERR_DUP] = "metric with this name and labels already registered",
    [GX_METRICS_ERR_BUCKETS] = "histogram buckets empty, too many or not increasing",
    [GX_METRICS_ERR_NOSPACE] = "output buffer too small for the metrics text",
};

const char *gx_metrics_strerror(gx_metrics_err_t err) {
  return (unsigned)err < GX_METRICS_ERR__COUNT ? gx_metrics_errs[err] : "unknown metrics error";
}

gx_metrics_err_t gx_metrics_hist_init(gx_metrics_hist_t *h, const uint64_t *bounds, int n,
                                      double scale) {
  memset(h, 0, sizeof *h);
  if (n < 1 || n > GX_METRICS_HIST_MAX_BUCKETS) return GX_METRICS_ERR_BUCKETS;
  for (int i = 0; i < n; i++) {
    if (i > 0 && bounds[i] <= bounds[i - 1]) return GX_METRICS_ERR_BUCKETS;
    h->bounds[i] = bounds[i];
  }
  h->n_bounds = n;
  h->scale = scale > 0 ? scale : 1.0;
  return GX_METRICS_OK;
}

void gx_metrics_init(gx_metrics_t *m) {
  memset(m, 0, sizeof *m);
  pthread_mutex_init(&m->lock, NULL);
}

void gx_metrics_fini(gx_metrics_t *m) { pthread_mutex_destroy(&m->lock); }

static gx_metrics_t gx_metrics_the;
static pthread_once_t gx_metrics_once = PTHREAD_ONCE_INIT;
static void gx_metrics_global_init(void) { gx_metrics_init(&gx_metrics_the); }
gx_metrics_t *gx_metrics_global(void) {
  pthread_once(&gx_metrics_once, gx_metrics_global_init);
  return &gx_metrics_the;
}

static int gx_name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n >= GX_METRICS_NAME_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return 0;
  }
  return 1;
}

static int gx_ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n >= k && !strcmp(s + n - k, suf);
}

/* key="value"(,key="value")* with label-name keys and no '"', '\', newline in values. */
static int gx_labels_ok(const char *s) {
  if (strlen(s) >= GX_METRICS_LABELS_MAX) return 0;
  const char *p = s;
  while (*p) {
    const char *k = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
           (p > k && *p >= '0' && *p <= '9'))
      p++;
    if (p == k || *p != '=' || p[1] != '"') return 0;
    if (p - k == 2 && !strncmp(k, "le", 2)) return 0; /* reserved for histograms */
    p += 2;
    while (*p && *p != '"') {
      if (*p == '\\' || *p == '\n') return 0;
      p++;
    }
    if (*p != '"') return 0;
    p++;
    if (*p == ',') {
      p++;
      if (!*p) return 0;
    } else if (*p) {
      return 0;
    }
  }
  return 1;
}

static gx_metrics_err_t gx_metrics_add_entry(gx_metrics_t *m, const gx_metrics_entry_t *in) {
  if (!gx_name_ok(in->name)) return GX_METRICS_ERR_NAME;
  if (in->kind == GX_METRIC_COUNTER && !gx_ends_with(in->name, "_total")) return GX_METRICS_ERR_NAME;
  if (in->kind != GX_METRIC_COUNTER && gx_ends_with(in->name, "_total")) return GX_METRICS_ERR_NAME;
  if (!gx_labels_ok(in->labels)) return GX_METRICS_ERR_LABELS;
  if (!in->help[0] || strchr(in->help, '\n') || strchr(in->help, '\\')) return GX_METRICS_ERR_HELP;
  gx_metrics_err_t rc = GX_METRICS_OK;
  pthread_mutex_lock(&m->lock);
  for (int i = 0; i < m->n && rc == GX_METRICS_OK; i++) {
    const gx_metrics_entry_t *e = &m->e[i];
    if (strcmp(e->name, in->name)) continue;
    if (e->kind != in->kind || strcmp(e->help, in->help)) rc = GX_METRICS_ERR_KIND;
    else if (!strcmp(e->labels, in->labels)) rc = GX_METRICS_ERR_DUP;
  }
  if (rc == GX_METRICS_OK && m->n >= GX_METRICS_MAX) rc = GX_METRICS_ERR_FULL;
  if (rc == GX_METRICS_OK) m->e[m->n++] = *in;
  pthread_mutex_unlock(&m->lock);
  return rc;
}

/* Fills the common fields; lengths are checked by the callers through the
 * truncation flag (a truncated name/label/help is an error, never silent). */
static gx_metrics_err_t gx_entry_fill(gx_metrics_entry_t *e, gx_metric_kind_t kind,
                                      const char *name, const char *labels, const char *help) {
  memset(e, 0, sizeof *e);
  e->kind = kind;
  if (!name || strlen(name) >= sizeof e->name) return GX_METRICS_ERR_NAME;
  if (labels && strlen(labels) >= sizeof e->labels) return GX_METRICS_ERR_LABELS;
  if (!help || strlen(help) >= sizeof e->help) return GX_METRICS_ERR_HELP;
  strcpy(e->name, name);
  strcpy(e->labels, labels ? labels : "");
  strcpy(e->help, help);
  return GX_METRICS_OK;
}

gx_metrics_err_t gx_metrics_counter_sum(gx_metrics_t *m, const char *name, const char *labels,
                                        const char *help, const _Atomic uint64_t *base,
                                        size_t n, size_t stride) {
  gx_metrics_entry_t e;
  gx_metrics_err_t rc = gx_entry_fill(&e, GX_METRIC_COUNTER, name, labels, help);
  if (rc) return rc;
  e.ptr = base;
  e.n = n;
  e.stride = stride;
  return gx_metrics_add_entry(m, &e);
}

gx_metrics_err_t gx_metrics_counter(gx_metrics_t *m, const char *name, const char *labels,
                                    const char *help, const _Atomic uint64_t *cell) {
  return gx_metrics_counter_sum(m, name, labels, help, cell, 1, 0);
}

gx_metrics_err_t gx_metrics_gauge(gx_metrics_t *m, const char *name, const char *labels,
                                  const char *help, const _Atomic int64_t *cell) {
  gx_metrics_entry_t e;
  gx_metrics_err_t rc = gx_entry_fill(&e, GX_METRIC_GAUGE, name, labels, help);
  if (rc) return rc;
  e.ptr = cell;
  e.n = 1;
  e.is_signed = 1;
  return gx_metrics_add_entry(m, &e);
}

gx_metrics_err_t gx_metrics_gauge_fn(gx_metrics_t *m, const char *name, const char *labels,
                                     const char *help, gx_metrics_gauge_fn_t fn, void *arg) {
  gx_metrics_entry_t e;
  gx_metrics_err_t rc = gx_entry_fill(&e, GX_METRIC_GAUGE, name, labels, help);
  if (rc) return rc;
  e.fn = fn;
  e.fn_arg = arg;
  return gx_metrics_add_entry(m, &e);
}

gx_metrics_err_t gx_metrics_histogram(gx_metrics_t *m, const char *name, const char *labels,
                                      const char *help, gx_metrics_hist_t *h) {
  gx_metrics_entry_t e;
  gx_metrics_err_t rc = gx_entry_fill(&e, GX_METRIC_HISTOGRAM, name, labels, help);
  if (rc) return rc;
  if (!h || h->n_bounds < 1) return GX_METRICS_ERR_BUCKETS;
  if (gx_ends_with(name, "_bucket") || gx_ends_with(name, "_count") || gx_ends_with(name, "_sum"))
    return GX_METRICS_ERR_NAME;
  e.ptr = h;
  return gx_metrics_add_entry(m, &e);
}

gx_metrics_err_t gx_metrics_info(gx_metrics_t *m, const char *name, const char *labels,
                                 const char *help) {
  gx_metrics_entry_t e;
  gx_metrics_err_t rc = gx_entry_fill(&e, GX_METRIC_GAUGE, name, labels, help);
  if (rc) return rc;
  e.constant_one = 1;
  return gx_metrics_add_entry(m, &e);
}

typedef struct {
  char *buf;
  size_t cap, len;
  int overflow;
} gx_out_t;

__attribute__((format(printf, 2, 3))) static void gx_out(gx_out_t *o, const char *fmt, ...) {
  if (o->overflow) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  o->len += (size_t)n;
}

/* Prometheus float: integers print exactly, others with %.15g (clean bucket bounds). */
static void gx_out_value(gx_out_t *o, double v) {
  if (v == (double)(int64_t)v && v < 9e15 && v > -9e15) gx_out(o, "%lld", (long long)v);
  else gx_out(o, "%.15g", v);
}

static void gx_render_entry(gx_out_t *o, const gx_metrics_entry_t *e) {
  const char *lb = e->labels[0] ? "{" : "", *le = e->labels[0] ? "}" : "";
  if (e->kind == GX_METRIC_HISTOGRAM) {
    gx_metrics_hist_t *h = (gx_metrics_hist_t *)e->ptr;
    uint64_t cum = 0;
    const char *sep = e->labels[0] ? "," : "";
    for (int i = 0; i <= h->n_bounds; i++) {
      cum += atomic_load_explicit(&h->cells[i], memory_order_relaxed);
      gx_out(o, "%s_bucket{%s%sle=\"", e->name, e->labels, sep);
      if (i < h->n_bounds) gx_out_value(o, (double)h->bounds[i] * h->scale);
      else gx_out(o, "+Inf");
      gx_out(o, "\"} %llu\n", (unsigned long long)cum);
    }
    /* count equals the +Inf bucket by construction of the snapshot */
    gx_out(o, "%s_sum%s%s%s ", e->name, lb, e->labels, le);
    gx_out_value(o, (double)atomic_load_explicit(&h->sum, memory_order_relaxed) * h->scale);
    gx_out(o, "\n%s_count%s%s%s %llu\n", e->name, lb, e->labels, le, (unsigned long long)cum);
    return;
  }
  gx_out(o, "%s%s%s%s ", e->name, lb, e->labels, le);
  if (e->constant_one) {
    gx_out(o, "1\n");
  } else if (e->fn) {
    gx_out_value(o, e->fn(e->fn_arg));
    gx_out(o, "\n");
  } else if (e->is_signed) {
    gx_out(o, "%lld\n", (long long)atomic_load_explicit((const _Atomic int64_t *)e->ptr,
                                                          memory_order_relaxed));
  } else {
    uint64_t sum = 0;
    for (size_t i = 0; i < e->n; i++)
      sum += atomic_load_explicit(
          (const _Atomic uint64_t *)((const char *)e->ptr + i * e->stride), memory_order_relaxed);
    gx_out(o, "%llu\n", (unsigned long long)sum);
  }
}

long gx_metrics_render(gx_metrics_t *m, char *buf, size_t cap, gx_metrics_err_t *err) {
  static const char *const kinds[] = {"counter", "gauge", "histogram"};
  gx_out_t o = {buf, cap, 0, cap == 0};
  if (cap) buf[0] = 0;
  pthread_mutex_lock(&m->lock);
  for (int i = 0; i < m->n; i++) {
    int first = 1;
    for (int j = 0; j < i && first; j++)
      if (!strcmp(m->e[j].name, m->e[i].name)) first = 0;
    if (!first) continue; /* rendered with its family */
    gx_out(&o, "# HELP %s %s\n# TYPE %s %s\n", m->e[i].name, m->e[i].help, m->e[i].name,
           kinds[m->e[i].kind]);
    for (int j = i; j < m->n; j++)
      if (!strcmp(m->e[j].name, m->e[i].name)) gx_render_entry(&o, &m->e[j]);
  }
  pthread_mutex_unlock(&m->lock);
  if (o.overflow) {
    if (err) *err = GX_METRICS_ERR_NOSPACE;
    return -1;
  }
  if (err) *err = GX_METRICS_OK;
  return (long)o.len;
}
