/* star route: the home-cluster map. See route.h. */
#include "apps/star/route.h"

#include <string.h>

#include "core/gx_lsh.h"
#include "core/gx_util.h"

#define STAR_RJ_DEPTH 8

/* A cursor over the text; err: the first problem (then every step fails). */
typedef struct {
  const char *p;
  const char *err;
} star_rj_t;

static int star_rj_fail(star_rj_t *j, const char *why) {
  if (!j->err) j->err = why;
  return -1;
}

/* A field's problem: names the field (over a lower step's reason). */
static int star_rj_field(star_rj_t *j, const char *why) {
  j->err = why;
  return -1;
}

static void star_rj_ws(star_rj_t *j) {
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++;
}

/* j->p at '"': the string's raw span (escapes left as they are) and past it. */
static int star_rj_span(star_rj_t *j, const char **s, size_t *n) {
  const char *p = j->p;
  if (*p != '"') return star_rj_fail(j, "want a string");
  for (p++; *p != '"'; p++) {
    if (!*p || (unsigned char)*p < 0x20) return star_rj_fail(j, "unterminated string");
    if (*p == '\\' && !*++p) return star_rj_fail(j, "unterminated string");
  }
  *s = j->p + 1;
  *n = (size_t)(p - j->p - 1);
  j->p = p + 1;
  return 0;
}

/* A string without escapes, 1..cap-1 bytes, into out. */
static int star_rj_str(star_rj_t *j, char *out, size_t cap) {
  const char *s;
  size_t n;
  if (star_rj_span(j, &s, &n)) return -1;
  if (n == 0 || n >= cap || memchr(s, '\\', n)) return star_rj_fail(j, "string empty, too long or escaped");
  memcpy(out, s, n);
  out[n] = 0;
  return 0;
}

/* A whole number without sign, fraction or leading zero, <= max. */
static int star_rj_u64(star_rj_t *j, uint64_t max, uint64_t *v) {
  const char *p = j->p;
  uint64_t x = 0;
  if (*p < '0' || *p > '9') return star_rj_fail(j, "want a whole number");
  if (*p == '0' && p[1] >= '0' && p[1] <= '9') return star_rj_fail(j, "number with a leading zero");
  for (; *p >= '0' && *p <= '9'; p++) {
    if (x > (UINT64_MAX - 9) / 10) return star_rj_fail(j, "number too large");
    x = x * 10 + (uint64_t)(*p - '0');
  }
  if (*p == '.' || *p == 'e' || *p == 'E') return star_rj_fail(j, "want a whole number");
  if (x > max) return star_rj_fail(j, "number out of range");
  j->p = p;
  *v = x;
  return 0;
}

/* 1 when the literal word is at j->p (then skipped). */
static int star_rj_word(star_rj_t *j, const char *w) {
  size_t n = strlen(w);
  if (strncmp(j->p, w, n)) return 0;
  char c = j->p[n];
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return 0;
  j->p += n;
  return 1;
}

static int star_rj_skip(star_rj_t *j, int depth);

/* Iterates an object ('{' at j->p): each call gives the next key (a raw span)
 * with j->p at its value, 1; 0 at the end ('}' consumed); -1 on a problem.
 * *first is 1 before the first call. */
static int star_rj_next_key(star_rj_t *j, int *first, const char **k, size_t *kn) {
  star_rj_ws(j);
  if (*first) {
    if (*j->p != '{') return star_rj_fail(j, "want an object");
    j->p++;
    star_rj_ws(j);
    *first = 0;
    if (*j->p == '}') { j->p++; return 0; }
  } else {
    if (*j->p == '}') { j->p++; return 0; }
    if (*j->p != ',') return star_rj_fail(j, "want ',' or '}' in an object");
    j->p++;
    star_rj_ws(j);
  }
  if (star_rj_span(j, k, kn)) return -1;
  star_rj_ws(j);
  if (*j->p != ':') return star_rj_fail(j, "want ':' after a key");
  j->p++;
  star_rj_ws(j);
  return 1;
}

/* The same over an array ('[' at j->p): 1 with j->p at the next element. */
static int star_rj_next_elem(star_rj_t *j, int *first) {
  star_rj_ws(j);
  if (*first) {
    if (*j->p != '[') return star_rj_fail(j, "want an array");
    j->p++;
    star_rj_ws(j);
    *first = 0;
    if (*j->p == ']') { j->p++; return 0; }
    return 1;
  }
  if (*j->p == ']') { j->p++; return 0; }
  if (*j->p != ',') return star_rj_fail(j, "want ',' or ']' in an array");
  j->p++;
  star_rj_ws(j);
  return 1;
}

/* Past any one value (of members this decoder does not know). */
static int star_rj_skip(star_rj_t *j, int depth) {
  if (depth > STAR_RJ_DEPTH) return star_rj_fail(j, "nested too deep");
  star_rj_ws(j);
  const char *s;
  size_t n;
  int first = 1, r;
  switch (*j->p) {
    case '"': return star_rj_span(j, &s, &n);
    case '{':
      while ((r = star_rj_next_key(j, &first, &s, &n)) == 1)
        if (star_rj_skip(j, depth + 1)) return -1;
      return r;
    case '[':
      while ((r = star_rj_next_elem(j, &first)) == 1)
        if (star_rj_skip(j, depth + 1)) return -1;
      return r;
    default:
      if (star_rj_word(j, "true") || star_rj_word(j, "false") || star_rj_word(j, "null")) return 0;
      if (*j->p == '-') j->p++;
      {
        const char *q = j->p;
        while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-') q++;
        if (q == j->p) return star_rj_fail(j, "not a JSON value");
        j->p = q;
      }
      return 0;
  }
}

static int star_rj_key_is(const char *k, size_t kn, const char *name) {
  return kn == strlen(name) && !memcmp(k, name, kn);
}

int star_route_addr_ok(const char *s) {
  const char *h = s, *colon;
  size_t hl;
  int v6 = s[0] == '[';
  if (v6) {
    const char *rb = strchr(s, ']');
    if (!rb || rb[1] != ':') return 0;
    h = s + 1;
    hl = (size_t)(rb - h);
    colon = rb + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) return 0;
    hl = (size_t)(colon - s);
  }
  if (hl == 0 || hl > 63) return 0;
  for (size_t i = 0; i < hl; i++) {
    char c = h[i];
    int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    int ok = v6 ? hex || c == ':' || c == '.'
                : hex || c == '.' || c == '-' || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z');
    if (!ok) return 0;
  }
  const char *p = colon + 1;
  size_t pl = strlen(p);
  if (pl == 0 || pl > 5 || p[0] == '0' || strspn(p, "0123456789") != pl) return 0;
  unsigned long port = 0;
  for (size_t i = 0; i < pl; i++) port = port * 10 + (unsigned long)(p[i] - '0');
  return port >= 1 && port <= 65535;
}

/* One member object of position pos; its ingest address into ingest ("" null). */
static int star_rj_member(star_rj_t *j, uint32_t pos, char ingest[STAR_ROUTE_ADDR_MAX]) {
  int first = 1, r, have_index = 0, have_id = 0, have_addr = 0, have_ingest = 0;
  const char *k;
  size_t kn;
  ingest[0] = 0;
  while ((r = star_rj_next_key(j, &first, &k, &kn)) == 1) {
    char buf[80];
    if (star_rj_key_is(k, kn, "index")) {
      uint64_t v;
      if (have_index++ || star_rj_u64(j, STAR_ROUTE_GALAXIES, &v)) return star_rj_field(j, "member index: bad or twice");
      if (v != pos) return star_rj_fail(j, "member indices must be 0..n-1 in order");
    } else if (star_rj_key_is(k, kn, "identity")) {
      uint8_t id[32];
      if (have_id++ || star_rj_str(j, buf, sizeof buf) || strlen(buf) != 64 || gx_hex_decode(id, 32, buf))
        return star_rj_field(j, "member identity: want 64 hex");
    } else if (star_rj_key_is(k, kn, "address")) {
      if (have_addr++ || star_rj_str(j, buf, sizeof buf) || !star_route_addr_ok(buf))
        return star_rj_field(j, "member address: want HOST:PORT");
    } else if (star_rj_key_is(k, kn, "ingest")) {
      if (have_ingest++) return star_rj_field(j, "member ingest: twice");
      if (star_rj_word(j, "null")) continue;
      if (star_rj_str(j, ingest, STAR_ROUTE_ADDR_MAX) || !star_route_addr_ok(ingest))
        return star_rj_field(j, "member ingest: want HOST:PORT or null");
    } else if (star_rj_skip(j, 3)) {
      return -1;
    }
  }
  if (r < 0) return -1;
  if (!have_index || !have_id || !have_addr) return star_rj_fail(j, "member without index, identity or address");
  return 0;
}

/* An array of members into ingest[0..max), *count set (1..max). */
static int star_rj_members(star_rj_t *j, char (*ingest)[STAR_ROUTE_ADDR_MAX], uint32_t max, uint32_t *count) {
  int first = 1, r;
  uint32_t n = 0;
  while ((r = star_rj_next_elem(j, &first)) == 1) {
    if (n >= max) return star_rj_fail(j, "too many members");
    if (star_rj_member(j, n, ingest[n])) return -1;
    n++;
  }
  if (r < 0) return -1;
  if (n == 0) return star_rj_fail(j, "a cluster or the galaxies without members");
  *count = n;
  return 0;
}

static int star_rj_clusters(star_rj_t *j, star_route_map_t *m, uint32_t *count) {
  int first = 1, r;
  uint32_t c = 0;
  while ((r = star_rj_next_elem(j, &first)) == 1) {
    if (c >= STAR_ROUTE_CLUSTERS) return star_rj_fail(j, "more than 16 clusters");
    int f2 = 1, r2, have_id = 0, have_members = 0;
    const char *k;
    size_t kn;
    while ((r2 = star_rj_next_key(j, &f2, &k, &kn)) == 1) {
      if (star_rj_key_is(k, kn, "id")) {
        uint64_t v;
        if (have_id++ || star_rj_u64(j, STAR_ROUTE_CLUSTERS, &v)) return star_rj_field(j, "cluster id: bad or twice");
        if (v != c) return star_rj_fail(j, "cluster ids must be 0..K-1 in order");
      } else if (star_rj_key_is(k, kn, "members")) {
        if (have_members++) return star_rj_field(j, "cluster members: twice");
        if (star_rj_members(j, m->ingest[c], STAR_ROUTE_MEMBERS, &m->n[c])) return -1;
      } else if (star_rj_skip(j, 2)) {
        return -1;
      }
    }
    if (r2 < 0) return -1;
    if (!have_id || !have_members) return star_rj_fail(j, "a cluster without id or members");
    c++;
  }
  if (r < 0) return -1;
  *count = c;
  return 0;
}

const char *star_route_decode(star_route_map_t *m, const char *text, int *unchanged) {
  memset(m, 0, sizeof *m);
  *unchanged = 0;
  if (strnlen(text, STAR_ROUTE_TEXT_MAX + 1) > STAR_ROUTE_TEXT_MAX) return "longer than the longest map";
  star_rj_t j = {text, NULL};
  int first = 1, r;
  int have_gen = 0, have_unch = 0, have_rule = 0, have_count = 0, have_clusters = 0, have_gal = 0, unch = 0;
  uint64_t count = 0;
  uint32_t clusters = 0;
  const char *k;
  size_t kn;
  while ((r = star_rj_next_key(&j, &first, &k, &kn)) == 1) {
    char buf[80];
    if (star_rj_key_is(k, kn, "genesis")) {
      if (have_gen++ || star_rj_str(&j, buf, sizeof buf) || strlen(buf) != 64 || gx_hex_decode(m->genesis.b, 32, buf))
        star_rj_field(&j, "genesis: want 64 hex, once");
    } else if (star_rj_key_is(k, kn, "unchanged")) {
      if (have_unch++) star_rj_field(&j, "unchanged: twice");
      else if (star_rj_word(&j, "true")) unch = 1;
      else if (!star_rj_word(&j, "false")) star_rj_field(&j, "unchanged: want true or false");
    } else if (star_rj_key_is(k, kn, "rule")) {
      if (have_rule++ || star_rj_str(&j, buf, sizeof buf)) star_rj_field(&j, "rule: want a string, once");
      else if (strcmp(buf, STAR_ROUTE_RULE)) star_rj_fail(&j, "rule: not one this star knows (" STAR_ROUTE_RULE ")");
    } else if (star_rj_key_is(k, kn, "cluster_count")) {
      if (have_count++ || star_rj_u64(&j, STAR_ROUTE_CLUSTERS, &count)) star_rj_field(&j, "cluster_count: want 0..16, once");
    } else if (star_rj_key_is(k, kn, "clusters")) {
      if (have_clusters++) star_rj_field(&j, "clusters: twice");
      else star_rj_clusters(&j, m, &clusters);
    } else if (star_rj_key_is(k, kn, "galaxies")) {
      if (have_gal++) star_rj_field(&j, "galaxies: twice");
      else star_rj_members(&j, m->galaxy_ingest, STAR_ROUTE_GALAXIES, &m->galaxy_count);
    } else {
      star_rj_skip(&j, 1);
    }
    if (j.err) break;
  }
  if (!j.err && r == 0) {
    star_rj_ws(&j);
    if (*j.p) star_rj_fail(&j, "text after the object");
  }
  if (!j.err && !have_gen) star_rj_fail(&j, "no genesis");
  if (!j.err && unch) {
    gx_hash_t g = m->genesis;
    memset(m, 0, sizeof *m);
    m->genesis = g;
    *unchanged = 1;
    return NULL;
  }
  if (!j.err && (!have_rule || !have_count || !have_clusters || !have_gal))
    star_rj_fail(&j, "want rule, cluster_count, clusters and galaxies");
  if (!j.err && clusters != count) star_rj_fail(&j, "cluster_count differs from the clusters listed");
  if (j.err) {
    memset(m, 0, sizeof *m);
    return j.err;
  }
  m->cluster_count = (uint32_t)count;
  return NULL;
}

uint32_t star_route_home(const star_route_map_t *m, const gx_pubkey_t *account) {
  return gx_lsh_home_cluster(account, m->cluster_count ? m->cluster_count : 1);
}

uint32_t star_route_known(const star_route_map_t *m, uint32_t c) {
  uint32_t k = 0;
  if (c >= m->cluster_count) return 0;
  for (uint32_t i = 0; i < m->n[c] && i < STAR_ROUTE_MEMBERS; i++) k += m->ingest[c][i][0] != 0;
  return k;
}

int star_route_pick(const star_route_map_t *m, uint32_t c, uint32_t start, uint32_t skip) {
  if (c >= m->cluster_count || m->n[c] == 0 || m->n[c] > STAR_ROUTE_MEMBERS) return -1;
  uint32_t n = m->n[c];
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = (start % n + k) % n;
    if (m->ingest[c][i][0] && !(skip & (1u << i))) return (int)i;
  }
  return -1;
}
