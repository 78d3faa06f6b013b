/* monitor_scrape: decoders, history and table of `galaxyctl monitor`
 * (apps/galaxyctl/monitor_scrape.h). */
#include "apps/galaxyctl/monitor_scrape.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies n bytes of untrusted text into out (cap with NUL), every byte outside
 * printable ASCII replaced with '?'. */
static void mon_clean(char *out, size_t cap, const char *s, size_t n) {
  if (!cap) return;
  if (n > cap - 1) n = cap - 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  out[n] = 0;
}

/* ---- JSON: a bounded walker over the top-level members of one object ------ */

#define MON_JSON_DEPTH 16

static const char *mon_ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* p at '"': past the closing quote, or NULL. */
static const char *mon_str_end(const char *p, const char *e) {
  for (p++; p < e && *p != '"'; p++) {
    if ((unsigned char)*p < 0x20) return NULL;
    if (*p == '\\' && ++p == e) return NULL;
  }
  return p < e ? p + 1 : NULL;
}

/* Past one value at p, or NULL. Literals and numbers are one token of their
 * characters; their grammar is checked where a member is read. */
static const char *mon_skip_value(const char *p, const char *e, int depth) {
  if (p >= e || depth > MON_JSON_DEPTH) return NULL;
  if (*p == '"') return mon_str_end(p, e);
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    int obj = *p == '{';
    p = mon_ws(p + 1, e);
    if (p < e && *p == close) return p + 1;
    for (;;) {
      if (obj) {
        if (p >= e || *p != '"' || !(p = mon_str_end(p, e))) return NULL;
        p = mon_ws(p, e);
        if (p >= e || *p != ':') return NULL;
        p = mon_ws(p + 1, e);
      }
      if (!(p = mon_skip_value(p, e, depth + 1))) return NULL;
      p = mon_ws(p, e);
      if (p >= e) return NULL;
      if (*p == ',') p = mon_ws(p + 1, e);
      else if (*p == close) return p + 1;
      else return NULL;
    }
  }
  const char *q = p;
  while (q < e && strchr("+-.0123456789eEabcdfilnrstu", *q) && *q) q++;
  return q == p ? NULL : q;
}

/* A JSON string's body (between the quotes) into printable text: escapes
 * decoded for \" \\ \/, others (and \uXXXX) as '?'. */
static void mon_json_str(char *out, size_t cap, const char *s, size_t n) {
  char tmp[256];
  size_t k = 0;
  for (size_t i = 0; i < n && k < sizeof tmp; i++) {
    if (s[i] == '\\' && i + 1 < n) {
      char c = s[++i];
      if (c == 'u') i += i + 4 < n ? 4 : n - 1 - i;
      tmp[k++] = c == '"' || c == '\\' || c == '/' ? c : '?';
    } else {
      tmp[k++] = s[i];
    }
  }
  mon_clean(out, cap, tmp, k);
}

static int mon_json_u64(const char *v, size_t n, uint64_t *out) {
  if (!n || n > 20) return -1;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return -1;
    uint64_t d = (uint64_t)(v[i] - '0');
    if (x > (UINT64_MAX - d) / 10) return -1;
    x = x * 10 + d;
  }
  *out = x;
  return 0;
}

static int mon_json_bool(const char *v, size_t n) {
  if (n == 4 && !memcmp(v, "true", 4)) return 1;
  if (n == 5 && !memcmp(v, "false", 5)) return 0;
  return -1;
}

static int mon_key_is(const char *k, size_t kn, const char *name) {
  return kn == strlen(name) && !memcmp(k, name, kn);
}

const char *gx_mon_status_decode(const char *body, size_t len, gx_mon_status_t *out) {
  memset(out, 0, sizeof *out);
  out->chain = out->syncing = out->healthy = -1;
  const char *e = body + len, *p = mon_ws(body, e);
  int have_height = 0;
  const char *why = NULL;
  if (p >= e || *p != '{') { why = "not a JSON object"; goto bad; }
  p = mon_ws(p + 1, e);
  if (p < e && *p == '}') { p++; goto end; }
  for (;;) {
    if (p >= e || *p != '"') { why = "a member without a quoted name"; goto bad; }
    const char *k = p + 1, *ke = mon_str_end(p, e);
    if (!ke) { why = "an unterminated string"; goto bad; }
    size_t kn = (size_t)(ke - 1 - k);
    p = mon_ws(ke, e);
    if (p >= e || *p != ':') { why = "a member without ':'"; goto bad; }
    const char *v = mon_ws(p + 1, e), *ve = mon_skip_value(v, e, 1);
    if (!ve) { why = "a malformed value"; goto bad; }
    size_t vn = (size_t)(ve - v);
    int is_str = *v == '"';
    uint64_t u;
    int b;
    if (mon_key_is(k, kn, "height")) {
      if (mon_json_u64(v, vn, &out->height)) { why = "height is not a whole number"; goto bad; }
      have_height = 1;
    } else if (mon_key_is(k, kn, "role") && is_str) {
      mon_json_str(out->role, sizeof out->role, v + 1, vn - 2);
    } else if (mon_key_is(k, kn, "name") && is_str) {
      mon_json_str(out->name, sizeof out->name, v + 1, vn - 2);
    } else if (mon_key_is(k, kn, "failure") && is_str) {
      mon_json_str(out->failure, sizeof out->failure, v + 1, vn - 2);
    } else if (mon_key_is(k, kn, "validator")) {
      if (vn == 2 && v[0] == '-' && v[1] == '1') {
        out->validator = -1;
        out->has_validator = 1;
      } else if (!mon_json_u64(v, vn, &u) && u <= INT64_MAX) {
        out->validator = (int64_t)u;
        out->has_validator = 1;
      }
    } else if ((b = mon_json_bool(v, vn)) >= 0 && mon_key_is(k, kn, "chain")) {
      out->chain = b;
    } else if ((b = mon_json_bool(v, vn)) >= 0 && mon_key_is(k, kn, "syncing")) {
      out->syncing = b;
    } else if ((b = mon_json_bool(v, vn)) >= 0 && mon_key_is(k, kn, "healthy")) {
      out->healthy = b;
    } else if (!mon_json_u64(v, vn, &u)) {
      if (mon_key_is(k, kn, "validators")) out->validators = u;
      else if (mon_key_is(k, kn, "committee_changes")) out->committee_changes = u;
      else if (mon_key_is(k, kn, "transfers_committed")) out->transfers = u;
      else if (mon_key_is(k, kn, "certificates")) out->certificates = u;
      else if (mon_key_is(k, kn, "mempool")) out->mempool = u;
      else if (mon_key_is(k, kn, "verified")) out->verified = u;
      else if (mon_key_is(k, kn, "synced_blackholes")) out->synced = u;
    }
    p = mon_ws(ve, e);
    if (p < e && *p == ',') { p = mon_ws(p + 1, e); continue; }
    if (p < e && *p == '}') { p++; break; }
    why = "members not separated by ','";
    goto bad;
  }
end:
  if (mon_ws(p, e) != e) { why = "bytes after the object"; goto bad; }
  if (!have_height) { why = "no height"; goto bad; }
  return NULL;
bad:
  memset(out, 0, sizeof *out);
  return why;
}

/* ---- Prometheus text --------------------------------------------------------- */

static int mon_name_char(char c, int first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

/* The value of label key in a label set (between the braces, escapes checked
 * by the line parser), cleaned, into out; 0, or -1 when absent. */
static int mon_label(const char *l, size_t n, const char *key, char *out, size_t cap) {
  size_t kl = strlen(key), i = 0;
  while (i < n) {
    size_t ks = i;
    while (i < n && l[i] != '=') i++;
    if (i + 1 >= n || l[i + 1] != '"') return -1;
    size_t klen = i - ks, vs = i + 2, j = vs;
    char tmp[GX_MON_NAME_MAX * 2];
    size_t t = 0;
    while (j < n && l[j] != '"') {
      if (l[j] == '\\' && j + 1 < n) j++;
      if (t < sizeof tmp) tmp[t++] = l[j];
      j++;
    }
    if (j >= n) return -1;
    if (klen == kl && !memcmp(l + ks, key, kl)) {
      /* reason names: [A-Za-z0-9_] kept, anything else '?' */
      if (t > cap - 1) t = cap - 1;
      for (size_t x = 0; x < t; x++) {
        char c = tmp[x];
        out[x] = mon_name_char(c, 0) && c != ':' ? c : (c == '.' || c == '+' || c == '-' ? c : '?');
      }
      out[t] = 0;
      return 0;
    }
    i = j + 1;
    if (i < n && l[i] == ',') i++;
  }
  return -1;
}

/* Adds v to the entry named name (made when absent; when the array is full,
 * the last entry becomes "other" and takes the rest). */
static void mon_kv_add(gx_mon_kv_t *kv, uint32_t *n, uint32_t max, const char *name, double v) {
  for (uint32_t i = 0; i < *n; i++)
    if (!strcmp(kv[i].name, name)) { kv[i].v += v; return; }
  if (*n < max) {
    snprintf(kv[*n].name, sizeof kv[*n].name, "%s", name);
    kv[(*n)++].v = v;
    return;
  }
  snprintf(kv[max - 1].name, sizeof kv[max - 1].name, "other");
  kv[max - 1].v += v;
}

static void mon_drop(gx_mon_metrics_t *m, const char *prefix, const char *reason, double v) {
  char name[GX_MON_NAME_MAX];
  snprintf(name, sizeof name, "%s%s", prefix, reason);
  mon_kv_add(m->drops, &m->n_drops, GX_MON_DROPS_MAX, name, v);
}

static gx_mon_queue_t *mon_queue(gx_mon_metrics_t *m, const char *name) {
  for (uint32_t i = 0; i < m->n_queues; i++)
    if (!strcmp(m->queue[i].name, name)) return &m->queue[i];
  if (m->n_queues == GX_MON_QUEUES_MAX) return NULL;
  gx_mon_queue_t *q = &m->queue[m->n_queues++];
  snprintf(q->name, sizeof q->name, "%s", name);
  return q;
}

/* One sample of a family the monitor keeps. */
static void mon_sample(gx_mon_metrics_t *m, const char *name, const char *l, size_t ln,
                       double v) {
  char r[GX_MON_NAME_MAX];
  if (!isfinite(v) && strcmp(name, "gx_epoch_commit_seconds_bucket")) return;
  if (!strcmp(name, "gx_transfers_committed_total")) {
    m->committed = v;
    m->have |= GX_MON_HAVE_COMMITTED;
  } else if (!strcmp(name, "gx_verify_ok_total")) {
    m->verified = v;
    m->have |= GX_MON_HAVE_VERIFIED;
  } else if (!strcmp(name, "gx_blackhole_height")) {
    m->height = v;
    m->have |= GX_MON_HAVE_HEIGHT;
  } else if (!strcmp(name, "gx_mempool_transfers")) {
    m->mempool = v;
  } else if (!strcmp(name, "gx_mempool_capacity")) {
    m->mempool_cap = v;
  } else if (!strcmp(name, "gx_certificates_total")) {
    m->certificates = v;
  } else if (!strcmp(name, "gx_sync_blackholes_total")) {
    m->sync_ok = v;
  } else if (!strcmp(name, "gx_sync_failures_total")) {
    m->sync_failed = v;
  } else if (!strcmp(name, "gx_consensus_messages_in_total")) {
    m->cons_in = v;
  } else if (!strcmp(name, "gx_consensus_messages_out_total")) {
    m->cons_out = v;
  } else if (!strcmp(name, "gx_consensus_sent_bytes_total")) {
    m->cons_bytes = v;
  } else if (!strcmp(name, "gx_ingress_drops_total")) {
    if (!mon_label(l, ln, "reason", r, sizeof r)) mon_drop(m, "", r, v);
  } else if (!strcmp(name, "gx_gate_drops_total")) {
    if (!mon_label(l, ln, "reason", r, sizeof r)) mon_drop(m, "gate_", r, v);
  } else if (!strcmp(name, "gx_parse_errors_total")) {
    if (!mon_label(l, ln, "reason", r, sizeof r)) mon_drop(m, "parse_", r, v);
  } else if (!strcmp(name, "gx_verify_failed_total")) {
    mon_drop(m, "", "bad_signature", v);
  } else if (!strcmp(name, "gx_mempool_rejected_total")) {
    if (!mon_label(l, ln, "reason", r, sizeof r)) mon_drop(m, "pool_", r, v);
  } else if (!strcmp(name, "gx_link_datagrams_total")) {
    if (!mon_label(l, ln, "outcome", r, sizeof r)) mon_kv_add(m->link, &m->n_link, GX_MON_KV_MAX, r, v);
  } else if (!strcmp(name, "gx_consensus_dropped_total")) {
    if (!mon_label(l, ln, "reason", r, sizeof r)) mon_kv_add(m->cdrop, &m->n_cdrop, GX_MON_KV_MAX, r, v);
  } else if (!strcmp(name, "gx_queue_depth") || !strcmp(name, "gx_queue_capacity")) {
    gx_mon_queue_t *q;
    if (!mon_label(l, ln, "queue", r, sizeof r) && (q = mon_queue(m, r))) {
      if (name[9] == 'd') q->depth = v;
      else q->cap = v;
    }
  } else if (!strcmp(name, "gx_epoch_commit_seconds_bucket")) {
    if (mon_label(l, ln, "le", r, sizeof r) || isnan(v)) return;
    char *end;
    double le = !strcmp(r, "+Inf") ? INFINITY : strtod(r, &end);
    if (!isinf(le) && (*end || end == r || isnan(le))) return;
    uint32_t i = 0;
    while (i < m->n_buckets && m->le[i] < le) i++;
    if (i < m->n_buckets && m->le[i] == le) { m->cum[i] = v; return; }
    if (m->n_buckets == GX_MON_BUCKETS_MAX) return;
    memmove(&m->le[i + 1], &m->le[i], (m->n_buckets - i) * sizeof m->le[0]);
    memmove(&m->cum[i + 1], &m->cum[i], (m->n_buckets - i) * sizeof m->cum[0]);
    m->le[i] = le;
    m->cum[i] = v;
    m->n_buckets++;
    m->have |= GX_MON_HAVE_EPOCH;
  }
}

const char *gx_mon_metrics_decode(const char *text, size_t len, gx_mon_metrics_t *out,
                                  unsigned *bad_line) {
  memset(out, 0, sizeof *out);
  if (bad_line) *bad_line = 0;
  const char *p = text, *e = text + len, *why = NULL;
  unsigned line = 0;
  while (p < e) {
    const char *le = memchr(p, '\n', (size_t)(e - p));
    if (!le) le = e;
    line++;
    const char *q = p;
    while (q < le && (*q == ' ' || *q == '\t')) q++;
    if (q == le || *q == '#') { p = le + 1; continue; }
    char name[GX_MON_NAME_MAX * 2];
    size_t nl = 0;
    if (!mon_name_char(*q, 1)) { why = "a sample line without a metric name"; goto bad; }
    while (q < le && mon_name_char(*q, 0)) {
      if (nl + 1 >= sizeof name) { why = "a metric name too long"; goto bad; }
      name[nl++] = *q++;
    }
    name[nl] = 0;
    const char *l = q;
    size_t ln = 0;
    if (q < le && *q == '{') {
      /* label set: name="value" pairs, values with \\ \" \n escapes */
      l = ++q;
      for (;;) {
        if (q < le && *q == '}') break;
        if (q >= le || !mon_name_char(*q, 1)) { why = "a malformed label name"; goto bad; }
        while (q < le && mon_name_char(*q, 0)) q++;
        if (q + 1 >= le || q[0] != '=' || q[1] != '"') { why = "a label without =\"value\""; goto bad; }
        for (q += 2; q < le && *q != '"'; q++)
          if (*q == '\\' && (++q >= le || (*q != '\\' && *q != '"' && *q != 'n'))) {
            why = "a bad escape in a label value";
            goto bad;
          }
        if (q >= le) { why = "an unterminated label value"; goto bad; }
        q++;
        if (q < le && *q == ',') q++;
      }
      ln = (size_t)(q - l);
      q++;
    }
    if (q >= le || (*q != ' ' && *q != '\t')) { why = "no value after the metric name"; goto bad; }
    while (q < le && (*q == ' ' || *q == '\t')) q++;
    char num[48];
    size_t k = 0;
    while (q < le && *q != ' ' && *q != '\t' && *q != '\r') {
      if (k + 1 >= sizeof num) { why = "a value too long"; goto bad; }
      num[k++] = *q++;
    }
    num[k] = 0;
    char *end;
    double v = strtod(num, &end);
    if (!k || *end) { why = "a value that is not a number"; goto bad; }
    while (q < le && (*q == ' ' || *q == '\t')) q++;
    if (q < le && *q != '\r') { /* an optional timestamp: an integer */
      if (*q == '-') q++;
      const char *ts = q;
      while (q < le && *q >= '0' && *q <= '9') q++;
      if (q == ts) { why = "junk after the value"; goto bad; }
    }
    if (q < le && *q == '\r') q++;
    if (q != le) { why = "junk after the value"; goto bad; }
    mon_sample(out, name, l, ln, v);
    p = le + 1;
  }
  return NULL;
bad:
  memset(out, 0, sizeof *out);
  if (bad_line) *bad_line = line;
  return why;
}

double gx_mon_quantile(const gx_mon_metrics_t *old, const gx_mon_metrics_t *cur, double q,
                       double *count) {
  double d[GX_MON_BUCKETS_MAX];
  uint32_t n = cur->n_buckets;
  if (count) *count = 0;
  if (!n || !isinf(cur->le[n - 1]) || !(q > 0 && q < 1)) return -1;
  int same = old && old->n_buckets == n;
  for (uint32_t i = 0; same && i < n; i++) same = old->le[i] == cur->le[i];
  double prev = 0;
  for (uint32_t i = 0; i < n; i++) {
    d[i] = cur->cum[i] - (same ? old->cum[i] : 0);
    if (!(d[i] >= prev)) d[i] = prev; /* cumulative: never decreasing (nor NaN) */
    prev = d[i];
  }
  double total = d[n - 1];
  if (count) *count = total;
  if (!(total > 0) || isinf(total)) return -1;
  double rank = q * total;
  uint32_t i = 0;
  while (i < n - 1 && d[i] < rank) i++;
  if (i == n - 1) return n >= 2 ? cur->le[n - 2] : -1; /* in +Inf: the highest finite bound */
  double lo = i ? cur->le[i - 1] : 0, below = i ? d[i - 1] : 0, in = d[i] - below;
  if (lo < 0 || cur->le[i] < lo) lo = cur->le[i];
  if (!(in > 0)) return cur->le[i];
  return lo + (cur->le[i] - lo) * (rank - below) / in;
}

/* ---- history ------------------------------------------------------------------- */

const char *gx_mon_node_init(gx_mon_node_t *n, unsigned idx, const char *url, const char *label) {
  memset(n, 0, sizeof *n);
  n->idx = idx;
  size_t ul = strlen(url);
  while (ul && url[ul - 1] == '/') ul--;
  if (!ul) return "an empty URL";
  const char *scheme = strstr(url, "://") ? "" : "http://";
  if (strlen(scheme) + ul >= sizeof n->url) return "a URL too long";
  for (size_t i = 0; i < ul; i++)
    if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) return "a URL with a space or control byte";
  if (*scheme == 0 && strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
    return "a URL that is neither http:// nor https://";
  snprintf(n->url, sizeof n->url, "%s%.*s", scheme, (int)ul, url);
  if (label) {
    mon_clean(n->label, sizeof n->label, label, strlen(label));
  } else {
    const char *h = strstr(n->url, "://") + 3;
    mon_clean(n->label, sizeof n->label, h, strcspn(h, "/"));
  }
  return NULL;
}

static const gx_mon_sample_t *mon_newest(const gx_mon_node_t *n) {
  return n->ring_n ? &n->ring[n->ring_head] : NULL;
}

/* The oldest sample at most window seconds older than the newest (the one
 * before the newest when none is), or NULL when only one is held. */
static const gx_mon_sample_t *mon_base(const gx_mon_node_t *n, double window) {
  if (n->ring_n < 2) return NULL;
  const gx_mon_sample_t *cur = mon_newest(n), *best = NULL;
  for (uint32_t k = 1; k < n->ring_n; k++) {
    const gx_mon_sample_t *s = &n->ring[(n->ring_head + GX_MON_RING - k) % GX_MON_RING];
    if (best && cur->t - s->t > window + 1e-6) break;
    best = s;
  }
  return best;
}

void gx_mon_node_update(gx_mon_node_t *n, double t, gx_mon_state_t state, int http_code,
                        const gx_mon_status_t *st, const gx_mon_metrics_t *m, const char *err) {
  n->polls++;
  n->state = st ? GX_MON_UP : state == GX_MON_UP ? GX_MON_BAD : state;
  n->http_code = n->state == GX_MON_HTTP ? http_code : 0;
  if (st) {
    n->st = *st;
    n->have_status = 1;
    n->ok_t = t;
  }
  if (!st || !m) n->failures++;
  if (err && *err) {
    mon_clean(n->err, sizeof n->err, err, strlen(err));
    n->err_t = t;
  }
  if (!m) return;
  const gx_mon_sample_t *last = mon_newest(n);
  if (last && (m->committed < last->m.committed || m->verified < last->m.verified ||
               t <= last->t))
    n->ring_n = 0; /* restarted (or a clock that did not move): a new history */
  n->ring_head = n->ring_n ? (n->ring_head + 1) % GX_MON_RING : 0;
  n->ring[n->ring_head].t = t;
  n->ring[n->ring_head].m = *m;
  if (n->ring_n < GX_MON_RING) n->ring_n++;
}

uint64_t gx_mon_best_height(const gx_mon_node_t *const *nodes, unsigned count, int *have) {
  uint64_t best = 0;
  *have = 0;
  for (unsigned i = 0; i < count; i++)
    if (nodes[i]->state == GX_MON_UP && nodes[i]->have_status) {
      if (!*have || nodes[i]->st.height > best) best = nodes[i]->st.height;
      *have = 1;
    }
  return best;
}

static double mon_kv_get(const gx_mon_kv_t *kv, uint32_t n, const char *name) {
  for (uint32_t i = 0; i < n; i++)
    if (!strcmp(kv[i].name, name)) return kv[i].v;
  return 0;
}

static double mon_rate(double a, double b, double dt) {
  return b >= a && dt > 0 ? (b - a) / dt : -1;
}

void gx_mon_row(const gx_mon_node_t *n, const gx_mon_view_t *v, uint64_t best, int have_best,
                gx_mon_row_t *out) {
  memset(out, 0, sizeof *out);
  out->idx = n->idx;
  snprintf(out->node, sizeof out->node, "%s", n->label);
  out->commit = out->verify = out->drops = out->queue_fill = out->p50 = out->p99 = -1;
  out->syncing = -1;
  snprintf(out->role, sizeof out->role, "-");
  snprintf(out->top_drop, sizeof out->top_drop, "-");
  static const struct { const char *s; int rank; gx_mon_color_t c; } states[] = {
      [GX_MON_WAIT] = {"wait", 6, GX_MON_PLAIN},  [GX_MON_UP] = {"ok", 7, GX_MON_GREEN},
      [GX_MON_DOWN] = {"down", 0, GX_MON_RED},    [GX_MON_UNREACH] = {"unreach", 1, GX_MON_RED},
      [GX_MON_HTTP] = {"http", 3, GX_MON_RED},    [GX_MON_BAD] = {"bad", 4, GX_MON_RED},
  };
  snprintf(out->status, sizeof out->status, "%s", states[n->state].s);
  out->status_rank = states[n->state].rank;
  out->color = states[n->state].c;
  if (n->state == GX_MON_HTTP) snprintf(out->status, sizeof out->status, "http%d", n->http_code % 1000);
  if (n->have_status) {
    const gx_mon_status_t *s = &n->st;
    snprintf(out->role, sizeof out->role, "%s",
             s->role[0] ? s->role : s->chain == 0 ? "ingest" : "galaxy");
    out->has_height = 1;
    out->height = s->height;
    if (have_best) {
      out->has_lag = 1;
      out->lag = best > s->height ? best - s->height : 0;
    }
    out->syncing = s->syncing;
  }
  if (n->state != GX_MON_UP) return;
  out->up = 1;
  if (n->st.healthy == 0) {
    snprintf(out->status, sizeof out->status, "failed");
    out->status_rank = 2;
    out->color = GX_MON_RED;
  } else if (n->st.syncing == 1) {
    snprintf(out->status, sizeof out->status, "sync");
    out->status_rank = 5;
    out->color = GX_MON_YELLOW;
  }
  const gx_mon_sample_t *cur = mon_newest(n);
  if (!cur) return;
  const gx_mon_metrics_t *m = &cur->m;
  for (uint32_t i = 0; i < m->n_queues; i++)
    if (m->queue[i].cap > 0) {
      double f = m->queue[i].depth / m->queue[i].cap;
      if (f > out->queue_fill) {
        out->queue_fill = f;
        snprintf(out->queue, sizeof out->queue, "%s", m->queue[i].name);
      }
    }
  const gx_mon_sample_t *base = mon_base(n, v->rate_window);
  double top = 0, top_total = 0;
  if (base) {
    double dt = cur->t - base->t;
    if (m->have & GX_MON_HAVE_COMMITTED) out->commit = mon_rate(base->m.committed, m->committed, dt);
    if (m->have & GX_MON_HAVE_VERIFIED) out->verify = mon_rate(base->m.verified, m->verified, dt);
    out->drops = 0;
    for (uint32_t i = 0; i < m->n_drops; i++) {
      double d = m->drops[i].v - mon_kv_get(base->m.drops, base->m.n_drops, m->drops[i].name);
      if (d <= 0) continue;
      out->drops += d / dt;
      if (d > top) {
        top = d;
        snprintf(out->top_drop, sizeof out->top_drop, "%s", m->drops[i].name);
      }
    }
  }
  if (top <= 0) /* nothing dropped lately: the top reason since the start */
    for (uint32_t i = 0; i < m->n_drops; i++)
      if (m->drops[i].v > top_total) {
        top_total = m->drops[i].v;
        snprintf(out->top_drop, sizeof out->top_drop, "%s", m->drops[i].name);
      }
  const gx_mon_sample_t *lb = v->lat_window > 0 ? mon_base(n, v->lat_window) : NULL;
  if (v->lat_window <= 0 || lb) {
    out->p50 = gx_mon_quantile(lb ? &lb->m : NULL, m, 0.5, NULL);
    out->p99 = gx_mon_quantile(lb ? &lb->m : NULL, m, 0.99, NULL);
  }
}

/* ---- sorting and text ---------------------------------------------------------------- */

static const char *const mon_col_names[GX_MON_COL__SORTABLE] = {
    "node", "role", "status", "height", "lag", "commit", "verify", "drops", "queue", "p50", "p99", "sync"};

const char *gx_mon_col_name(gx_mon_col_t c) {
  return (unsigned)c < GX_MON_COL__SORTABLE ? mon_col_names[c] : "?";
}

int gx_mon_col_parse(const char *name) {
  for (int i = 0; i < GX_MON_COL__SORTABLE; i++)
    if (!strcmp(name, mon_col_names[i])) return i;
  return -1;
}

/* The sort key of a row: *known 0 puts it last. Larger first for numbers. */
static double mon_key(const gx_mon_row_t *r, gx_mon_col_t col, int *known) {
  *known = 1;
  switch (col) {
    case GX_MON_COL_HEIGHT: *known = r->has_height; return (double)r->height;
    case GX_MON_COL_LAG: *known = r->has_lag; return (double)r->lag;
    case GX_MON_COL_COMMIT: *known = r->commit >= 0; return r->commit;
    case GX_MON_COL_VERIFY: *known = r->verify >= 0; return r->verify;
    case GX_MON_COL_DROPS: *known = r->drops >= 0; return r->drops;
    case GX_MON_COL_QUEUE: *known = r->queue_fill >= 0; return r->queue_fill;
    case GX_MON_COL_P50: *known = r->p50 >= 0; return r->p50;
    case GX_MON_COL_P99: *known = r->p99 >= 0; return r->p99;
    case GX_MON_COL_SYNC: *known = r->syncing >= 0; return r->syncing;
    default: return 0;
  }
}

/* < 0 when a goes before b. */
static int mon_cmp(const gx_mon_row_t *a, const gx_mon_row_t *b, gx_mon_col_t col, int reverse) {
  int c = 0;
  if (col == GX_MON_COL_NODE) {
    c = a->idx < b->idx ? -1 : a->idx > b->idx;
    return reverse ? -c : c;
  }
  if (col == GX_MON_COL_ROLE || col == GX_MON_COL_STATUS) {
    int ka = col == GX_MON_COL_ROLE ? strcmp(a->role, "-") != 0 : 1;
    int kb = col == GX_MON_COL_ROLE ? strcmp(b->role, "-") != 0 : 1;
    if (ka != kb) return ka ? -1 : 1;
    c = col == GX_MON_COL_ROLE ? strcmp(a->role, b->role)
                               : (a->status_rank > b->status_rank) - (a->status_rank < b->status_rank);
    if (reverse) c = -c;
  } else {
    int ka, kb;
    double x = mon_key(a, col, &ka), y = mon_key(b, col, &kb);
    if (ka != kb) return ka ? -1 : 1;
    if (ka) c = (x < y) - (x > y);
    if (reverse) c = -c;
  }
  return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

void gx_mon_sort(gx_mon_row_t *rows, unsigned count, gx_mon_col_t col, int reverse) {
  for (unsigned i = 1; i < count; i++) { /* insertion sort: stable, at most a few hundred rows */
    gx_mon_row_t r = rows[i];
    unsigned j = i;
    while (j > 0 && mon_cmp(&r, &rows[j - 1], col, reverse) < 0) {
      rows[j] = rows[j - 1];
      j--;
    }
    rows[j] = r;
  }
}

/* Column layout: title, width, right-aligned. */
static const struct { const char *title; int w, right; } mon_cols[] = {
    {"#", 3, 1},        {"NODE", 18, 0},    {"ROLE", 6, 0},    {"STATUS", GX_MON_STATUS_WIDTH, 0},
    {"HEIGHT", 8, 1},   {"LAG", 6, 1},      {"COMMIT/s", 8, 1}, {"VERIFY/s", 8, 1},
    {"DROP/s", 7, 1},   {"TOP-DROP", 14, 0}, {"QUEUE", 5, 1},  {"P50", 6, 1},
    {"P99", 6, 1},      {"SYNC", 4, 0},
};
#define MON_NCOLS (sizeof mon_cols / sizeof mon_cols[0])

unsigned gx_mon_status_offset(void) {
  unsigned off = 0;
  for (unsigned i = 0; i < 3; i++) off += (unsigned)mon_cols[i].w + 1;
  return off;
}

static void mon_line(char out[GX_MON_LINE_MAX], const char *const cells[MON_NCOLS]) {
  size_t k = 0;
  for (unsigned i = 0; i < MON_NCOLS && k < GX_MON_LINE_MAX - 1; i++) {
    char cell[64];
    /* a cell wider than its column is cut (right-aligned ones keep their end) */
    size_t l = strlen(cells[i]), w = (size_t)mon_cols[i].w;
    const char *s = cells[i];
    if (l > w) {
      if (mon_cols[i].right) s += l - w;
      l = w;
    }
    snprintf(cell, sizeof cell, mon_cols[i].right ? "%*.*s" : "%-*.*s", (int)w, (int)l, s);
    int n = snprintf(out + k, GX_MON_LINE_MAX - k, "%s%s", i ? " " : "", cell);
    if (n < 0) break;
    k += (size_t)n < GX_MON_LINE_MAX - k ? (size_t)n : GX_MON_LINE_MAX - 1 - k;
  }
  while (k && out[k - 1] == ' ') k--; /* no trailing blanks */
  out[k] = 0;
}

void gx_mon_format_header(char out[GX_MON_LINE_MAX]) {
  const char *cells[MON_NCOLS];
  for (unsigned i = 0; i < MON_NCOLS; i++) cells[i] = mon_cols[i].title;
  mon_line(out, cells);
}

static void mon_fmt_rate(char *b, size_t cap, double v) {
  if (v < 0) snprintf(b, cap, "-");
  else if (v < 10) snprintf(b, cap, "%.1f", v);
  else if (v < 1e8) snprintf(b, cap, "%.0f", v);
  else snprintf(b, cap, "%.2g", v);
}

static void mon_fmt_secs(char *b, size_t cap, double v) {
  if (v < 0) snprintf(b, cap, "-");
  else if (v < 0.001) snprintf(b, cap, "<1ms");
  else if (v < 1) snprintf(b, cap, "%.0fms", v * 1e3);
  else if (v < 100) snprintf(b, cap, "%.2fs", v);
  else snprintf(b, cap, ">99s");
}

void gx_mon_format_row(const gx_mon_row_t *r, char out[GX_MON_LINE_MAX]) {
  char idx[16], h[24], lag[24], c[24], v[24], d[24], q[24], p50[16], p99[16];
  snprintf(idx, sizeof idx, "%u", r->idx % 100000u);
  if (r->has_height) snprintf(h, sizeof h, "%" PRIu64, r->height);
  else snprintf(h, sizeof h, "-");
  if (r->has_lag) snprintf(lag, sizeof lag, "%" PRIu64, r->lag);
  else snprintf(lag, sizeof lag, "-");
  mon_fmt_rate(c, sizeof c, r->commit);
  mon_fmt_rate(v, sizeof v, r->verify);
  mon_fmt_rate(d, sizeof d, r->drops);
  if (r->queue_fill >= 0) snprintf(q, sizeof q, "%.0f%%%c", r->queue_fill > 9.99 ? 999 : r->queue_fill * 100, r->queue[0] ? r->queue[0] : ' ');
  else snprintf(q, sizeof q, "-");
  mon_fmt_secs(p50, sizeof p50, r->p50);
  mon_fmt_secs(p99, sizeof p99, r->p99);
  const char *cells[MON_NCOLS] = {idx, r->node, r->role, r->status, h, lag, c, v, d, r->top_drop,
                                  q, p50, p99, r->syncing < 0 ? "-" : r->syncing ? "yes" : "no"};
  mon_line(out, cells);
}

/* Appends one line (cut to GX_MON_LINE_MAX - 1) when there is room. */
__attribute__((format(printf, 4, 5))) static void mon_addf(char (*lines)[GX_MON_LINE_MAX], unsigned *k,
                                                           unsigned max, const char *fmt, ...) {
  if (*k >= max) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(lines[(*k)++], GX_MON_LINE_MAX, fmt, ap);
  va_end(ap);
}

unsigned gx_mon_format_detail(const gx_mon_node_t *n, const gx_mon_view_t *v, uint64_t best,
                              int have_best, double now, char (*lines)[GX_MON_LINE_MAX],
                              unsigned max) {
  unsigned k = 0;
  gx_mon_row_t r;
  gx_mon_row(n, v, best, have_best, &r);
  char a[32], b[32];
#define MON_ADD(...) mon_addf(lines, &k, max, __VA_ARGS__)
  MON_ADD("node %u  %s  role %s  status %s", n->idx, n->url, r.role, r.status);
  const gx_mon_status_t *s = &n->st;
  if (n->have_status) {
    char member[48];
    if (!s->has_validator) snprintf(member, sizeof member, "?");
    else if (s->validator < 0) snprintf(member, sizeof member, "none (follows the chain)");
    else snprintf(member, sizeof member, "%" PRId64 " of %" PRIu64, s->validator, s->validators);
    MON_ADD("chain %s  committee member %s  committee changes %" PRIu64, s->name[0] ? s->name : "-",
            member, s->committee_changes);
    snprintf(a, sizeof a, "%" PRIu64, r.lag);
    MON_ADD("height %" PRIu64 "  lag %s  syncing %s  healthy %s  certificates %" PRIu64
            "  synced black holes %" PRIu64,
            s->height, r.has_lag ? a : "-", s->syncing < 0 ? "-" : s->syncing ? "yes" : "no",
            s->healthy < 0 ? "-" : s->healthy ? "yes" : "no", s->certificates, s->synced);
    if (s->failure[0]) MON_ADD("failure: %s", s->failure);
  } else {
    MON_ADD("no status yet");
  }
  const gx_mon_sample_t *cur = mon_newest(n);
  const gx_mon_sample_t *base = mon_base(n, v->rate_window);
  double dt = base ? cur->t - base->t : 0;
  mon_fmt_rate(a, sizeof a, r.commit);
  mon_fmt_rate(b, sizeof b, r.verify);
  if (cur) {
    const gx_mon_metrics_t *m = &cur->m;
    MON_ADD("committed %.0f (%s/s)  verified %.0f (%s/s)  mempool %.0f of %.0f", m->committed, a,
            m->verified, b, m->mempool, m->mempool_cap);
    char p50[16], p99[16];
    double cnt = 0;
    const gx_mon_sample_t *lb = v->lat_window > 0 ? mon_base(n, v->lat_window) : NULL;
    if (v->lat_window <= 0 || lb) gx_mon_quantile(lb ? &lb->m : NULL, m, 0.5, &cnt);
    mon_fmt_secs(p50, sizeof p50, r.p50);
    mon_fmt_secs(p99, sizeof p99, r.p99);
    if (v->lat_window > 0)
      MON_ADD("epoch commit latency p50 %s  p99 %s  (%.0f epochs in the last %.0f s)", p50, p99, cnt,
              lb ? cur->t - lb->t : 0.0);
    else
      MON_ADD("epoch commit latency p50 %s  p99 %s  (%.0f epochs since the node started)", p50, p99,
              cnt);
    char ql[GX_MON_LINE_MAX];
    size_t qk = (size_t)snprintf(ql, sizeof ql, "queues:");
    for (uint32_t i = 0; i < m->n_queues && qk < sizeof ql; i++)
      qk += (size_t)snprintf(ql + qk, sizeof ql - qk, "  %s %.0f/%.0f", m->queue[i].name,
                             m->queue[i].depth, m->queue[i].cap);
    MON_ADD("%s", m->n_queues ? ql : "queues: -");
    char ll[GX_MON_LINE_MAX];
    size_t lk = (size_t)snprintf(ll, sizeof ll, "link datagrams:");
    for (uint32_t i = 0; i < m->n_link && lk < sizeof ll; i++)
      lk += (size_t)snprintf(ll + lk, sizeof ll - lk, "  %s %.0f", m->link[i].name, m->link[i].v);
    MON_ADD("%s", m->n_link ? ll : "link datagrams: -");
    MON_ADD("consensus messages in %.0f  out %.0f  sent %.1f MB", m->cons_in, m->cons_out,
            m->cons_bytes / 1e6);
    lk = (size_t)snprintf(ll, sizeof ll, "consensus dropped:");
    for (uint32_t i = 0; i < m->n_cdrop && lk < sizeof ll; i++)
      lk += (size_t)snprintf(ll + lk, sizeof ll - lk, "  %s %.0f", m->cdrop[i].name, m->cdrop[i].v);
    MON_ADD("%s", m->n_cdrop ? ll : "consensus dropped: -");
    MON_ADD("catch-up: black holes fetched %.0f  refused %.0f", m->sync_ok, m->sync_failed);
  } else {
    MON_ADD("no metrics yet");
  }
  MON_ADD("polls %" PRIu64 "  failed %" PRIu64, n->polls, n->failures);
  if (n->err[0]) MON_ADD("last error (%.0f s ago): %s", now - n->err_t, n->err);
  else MON_ADD("last error: none");
  if (cur) {
    /* every drop reason: those that dropped something with their totals and
     * rates, two to a line, then the names of the others */
    const gx_mon_metrics_t *m = &cur->m;
    double total = 0;
    for (uint32_t i = 0; i < m->n_drops; i++) total += m->drops[i].v;
    mon_fmt_rate(a, sizeof a, r.drops);
    MON_ADD("drops by reason: %.0f since start, %s/s over the last %.0f s", total, a, dt);
    char cell[2][72];
    unsigned nc = 0;
    for (uint32_t i = 0; i <= m->n_drops; i++) {
      if (i < m->n_drops && m->drops[i].v > 0) {
        const gx_mon_kv_t *d = &m->drops[i];
        double rate = base ? mon_rate(mon_kv_get(base->m.drops, base->m.n_drops, d->name), d->v, dt) : -1;
        mon_fmt_rate(a, sizeof a, rate);
        snprintf(cell[nc++], sizeof cell[0], "%-22.22s %12.0f %8s/s", d->name, d->v, a);
      }
      if (nc == 2 || (i == m->n_drops && nc == 1)) {
        MON_ADD("  %-48s  %s", cell[0], nc == 2 ? cell[1] : "");
        nc = 0;
      }
    }
    char zl[GX_MON_LINE_MAX];
    size_t zk = 0;
    for (uint32_t i = 0; i < m->n_drops; i++) {
      if (m->drops[i].v > 0) continue;
      size_t nl = strlen(m->drops[i].name);
      if (zk && zk + 1 + nl > 100) {
        MON_ADD("%s", zl);
        zk = 0;
      }
      if (!zk) zk = (size_t)snprintf(zl, sizeof zl, "  at 0:");
      zk += (size_t)snprintf(zl + zk, sizeof zl - zk, " %s", m->drops[i].name);
      if (zk >= sizeof zl) zk = sizeof zl - 1;
    }
    if (zk) MON_ADD("%s", zl);
  }
#undef MON_ADD
  return k;
}
