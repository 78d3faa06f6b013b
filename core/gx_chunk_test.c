/* Object chunks: round trips at the edge sizes, every loss pattern a group
 * survives (exhaustive on a small code, random on large ones), the pattern it
 * does not, duplicates, inconsistent parameters, a corrupt chunk caught by the
 * caller's id check (reject path, late chunks), corrupt padding, eviction, a
 * full reassembler, and every malformed reason. */
#include "core/gx_test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/gx_chunk.h"
#include "core/gx_util.h"

#define P GX_CHUNK_PAYLOAD_MAX

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

static uint8_t *make_object(uint32_t len, uint32_t seed) {
  uint8_t *o = malloc(len ? len : 1);
  assert_non_null(o);
  uint64_t x = seed * 0x2545F4914F6CDD1Dull + 1;
  for (uint32_t i = 0; i < len; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    o[i] = (uint8_t)x;
  }
  return o;
}

static void object_id(gx_hash_t *id, const uint8_t *o, uint32_t len) {
  gx_hash(id, GX_DOM_CONSENSUS, o, len);
}

/* Every datagram of one object, in the encoder's order. */
typedef struct {
  uint32_t n;
  uint8_t (*d)[GX_UDP_PAYLOAD_MAX];
  size_t *len;
  gx_chunk_t *c; /* decoded (payload points into d) */
  gx_chunk_shape_t shape;
  gx_hash_t id;
} dgrams_t;

static void encode_all(dgrams_t *g, gx_chunk_enc_t *e, const uint8_t *obj, uint32_t len) {
  object_id(&g->id, obj, len);
  uint32_t n = gx_chunk_enc_start(e, &g->id, obj, len);
  assert_true(n > 0);
  g->shape = *gx_chunk_enc_shape(e);
  assert_int_equal(n, g->shape.datagrams);
  g->n = n;
  g->d = malloc((size_t)n * sizeof *g->d);
  g->len = malloc(n * sizeof *g->len);
  g->c = malloc(n * sizeof *g->c);
  assert_true(g->d && g->len && g->c);
  for (uint32_t i = 0; i < n; i++) {
    g->len[i] = gx_chunk_enc_next(e, g->d[i]);
    assert_true(g->len[i] > GX_CHUNK_HDR_SZ && g->len[i] <= GX_UDP_PAYLOAD_MAX);
    assert_int_equal(gx_chunk_decode(&g->c[i], g->d[i], g->len[i]), GX_PROTO_OK);
    /* one encoding: re-encoding gives the same bytes */
    uint8_t re[GX_UDP_PAYLOAD_MAX];
    assert_int_equal(gx_chunk_encode(re, sizeof re, &g->c[i]), g->len[i]);
    assert_memory_equal(re, g->d[i], g->len[i]);
    /* a re-send of (group, index) is the same datagram */
    assert_int_equal(gx_chunk_enc_get(e, g->c[i].group, g->c[i].index, re), g->len[i]);
    assert_memory_equal(re, g->d[i], g->len[i]);
  }
  uint8_t spare[GX_UDP_PAYLOAD_MAX];
  assert_int_equal(gx_chunk_enc_next(e, spare), 0);
}

static void dgrams_free(dgrams_t *g) {
  free(g->d);
  free(g->len);
  free(g->c);
}

/* Feeds datagram i of g unless skip[i]; returns the number of completions and
 * checks the object against obj when one completes (and accepts it). */
static int feed(gx_chunk_rx_t *r, const dgrams_t *g, const uint8_t *skip, const uint32_t *order,
                const uint8_t *obj) {
  int completes = 0;
  for (uint32_t t = 0; t < g->n; t++) {
    uint32_t i = order ? order[t] : t;
    if (skip && skip[i]) continue;
    gx_chunk_obj_t o;
    gx_proto_err_t why;
    gx_chunk_verdict_t v = gx_chunk_rx_add(r, g->d[i], g->len[i], &o, &why);
    assert_int_equal(why, GX_PROTO_OK);
    if (v == GX_CHUNK_COMPLETE) {
      completes++;
      assert_int_equal(o.len, g->shape.len);
      assert_memory_equal(o.data, obj, o.len);
      assert_memory_equal(o.id.b, g->id.b, 32);
      assert_int_equal(gx_chunk_rx_accept(r, &o), 0);
    } else {
      assert_true(v == GX_CHUNK_OK || v == GX_CHUNK_EXCESS || v == GX_CHUNK_DONE);
    }
  }
  return completes;
}

static void shuffle(uint32_t *a, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) a[i] = i;
  for (uint32_t i = n; i > 1; i--) {
    uint32_t j = (uint32_t)(rng() % i), t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

/* Marks exactly `drop` random chunks of every group (of the chunks sent). */
static void drop_per_group(const dgrams_t *g, uint8_t *skip, uint32_t drop) {
  memset(skip, 0, g->n);
  for (uint32_t grp = 0; grp < g->shape.groups; grp++) {
    uint32_t idx[64], n = 0;
    for (uint32_t i = 0; i < g->n; i++)
      if (g->c[i].group == grp) idx[n++] = i;
    assert_true(drop <= n);
    for (uint32_t d = 0; d < drop; d++) {
      uint32_t j = d + (uint32_t)(rng() % (n - d));
      uint32_t t = idx[d];
      idx[d] = idx[j];
      idx[j] = t;
      skip[idx[d]] = 1;
    }
  }
}

/* ---- tests --------------------------------------------------------------- */

static void roundtrip(uint32_t len, uint16_t chunk, uint8_t k, uint8_t m) {
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, k, m, chunk);
  gx_chunk_rx_t *r = gx_chunk_rx_new(2, len, 8);
  assert_non_null(e);
  assert_non_null(r);
  uint8_t *obj = make_object(len, len);
  dgrams_t g;
  encode_all(&g, e, obj, len);
  /* geometry */
  gx_chunk_shape_t s;
  assert_int_equal(gx_chunk_shape(&s, len, chunk ? chunk : P, k, m), 0);
  assert_memory_equal(&s, &g.shape, sizeof s);
  assert_int_equal(s.chunk, len < (chunk ? chunk : P) ? len : (chunk ? chunk : P));
  assert_true((uint64_t)s.data * s.chunk >= len && (uint64_t)(s.data - 1) * s.chunk < len);
  /* in order, nothing lost: completes once, the rest is excess or done */
  assert_int_equal(feed(r, &g, NULL, NULL, obj), 1);
  const gx_chunk_stats_t *st = gx_chunk_rx_stats(r);
  assert_int_equal(st->completed, 1);
  assert_int_equal(st->accepted, 1);
  assert_int_equal(st->chunks[GX_CHUNK_OK] + st->chunks[GX_CHUNK_COMPLETE] +
                       st->chunks[GX_CHUNK_EXCESS] + st->chunks[GX_CHUNK_DONE],
                   g.n);
  /* everything again: done */
  uint64_t done0 = st->chunks[GX_CHUNK_DONE];
  assert_int_equal(feed(r, &g, NULL, NULL, obj), 0);
  assert_int_equal(st->chunks[GX_CHUNK_DONE], done0 + g.n);
  /* forgotten: it rebuilds again, from a shuffled order */
  assert_int_equal(gx_chunk_rx_forget(r, &g.id), 1);
  assert_int_equal(gx_chunk_rx_forget(r, &g.id), 0);
  uint32_t *order = malloc(g.n * sizeof *order);
  shuffle(order, g.n);
  assert_int_equal(feed(r, &g, NULL, order, obj), 1);
  free(order);
  dgrams_free(&g);
  free(obj);
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
}

static void test_roundtrip_sizes(void **st) {
  (void)st;
  uint32_t k = GX_CHUNK_DEFAULT_K, m = GX_CHUNK_DEFAULT_M;
  const uint32_t sizes[] = {1, 2, P - 1, P, P + 1, 2 * P, k * P - 1, k * P, k * P + 1,
                            10 * k * P + 3 * P + 17, 1048576};
  for (size_t i = 0; i < GX_ARRAY_LEN(sizes); i++) roundtrip(sizes[i], 0, (uint8_t)k, (uint8_t)m);
  /* other parameters: the smallest chunk, k = 1, no parity, many short groups */
  roundtrip(5000, GX_CHUNK_MIN_CHUNK, 3, 2);
  roundtrip(GX_CHUNK_MIN_CHUNK - 1, GX_CHUNK_MIN_CHUNK, 4, 4);
  roundtrip(40000, 1000, 1, 1);
  roundtrip(40000, 1000, 7, 0);
  roundtrip(100000, 777, GX_CHUNK_MAX_K, GX_CHUNK_MAX_M);
}

static void test_roundtrip_max(void **st) {
  (void)st;
  roundtrip(GX_CHUNK_MAX_OBJECT, 0, GX_CHUNK_DEFAULT_K, GX_CHUNK_DEFAULT_M);
  gx_chunk_shape_t s;
  assert_int_equal(gx_chunk_shape(&s, GX_CHUNK_MAX_OBJECT, P, 32, 8), 0);
  assert_int_equal(s.data, 1689);
  assert_int_equal(s.groups, 53);
  assert_int_equal(gx_chunk_shape(&s, GX_CHUNK_MAX_OBJECT + 1, P, 32, 8), -1);
}

static void test_shape(void **st) {
  (void)st;
  gx_chunk_shape_t s;
  assert_int_equal(gx_chunk_shape(&s, 1, P, 32, 8), 0); /* one chunk: k' = 1, m' = 1 */
  assert_int_equal(s.chunk, 1);
  assert_int_equal(s.k, 1);
  assert_int_equal(s.m, 1);
  assert_int_equal(s.datagrams, 2);
  assert_int_equal(gx_chunk_shape(&s, 5 * P, P, 32, 8), 0); /* k' = 5, m' = ceil(40/32) */
  assert_int_equal(s.k, 5);
  assert_int_equal(s.m, 2);
  assert_int_equal(gx_chunk_shape(&s, 1048576, P, 32, 8), 0);
  assert_int_equal(s.data, 735);
  assert_int_equal(s.groups, 23);
  assert_int_equal(s.datagrams, 735 + 23 * 8);
  assert_int_equal(gx_chunk_shape(&s, 0, P, 32, 8), -1);
  assert_int_equal(gx_chunk_shape(&s, 10, P, 0, 8), -1);
  assert_int_equal(gx_chunk_shape(&s, 10, P, 33, 8), -1);
  assert_int_equal(gx_chunk_shape(&s, 10, P, 32, 33), -1);
  assert_int_equal(gx_chunk_shape(&s, 10, GX_CHUNK_MIN_CHUNK - 1, 32, 8), -1);
  assert_int_equal(gx_chunk_shape(&s, 10, P + 1, 32, 8), -1);
  /* creation refuses what the shape refuses, and a zero max_object */
  assert_null(gx_chunk_enc_new(0, 32, 8, 0));
  assert_null(gx_chunk_enc_new(100, 0, 8, 0));
  assert_null(gx_chunk_enc_new(GX_CHUNK_MAX_OBJECT + 1, 32, 8, 0));
  assert_null(gx_chunk_enc_new(100, 32, 8, 100));
  assert_int_equal(gx_chunk_rx_footprint(0, 100, 1), 0);
  assert_int_equal(gx_chunk_rx_footprint(GX_CHUNK_MAX_SLOTS + 1, 100, 1), 0);
  assert_int_equal(gx_chunk_rx_footprint(1, 0, 1), 0);
  assert_int_equal(gx_chunk_rx_footprint(1, GX_CHUNK_MAX_OBJECT + 1, 1), 0);
  assert_int_equal(gx_chunk_rx_footprint(1, 100, 0), 0);
  assert_int_equal(gx_chunk_rx_footprint(1, 100, GX_CHUNK_MAX_DONE + 1), 0);
  assert_null(gx_chunk_rx_new(1, 100, 0));
  size_t fp = gx_chunk_rx_footprint(4, GX_CHUNK_MAX_OBJECT, 64);
  printf("# reassembler of 4 x %u bytes: %zu bytes\n", GX_CHUNK_MAX_OBJECT, fp);
  assert_true(fp > 4 * (size_t)GX_CHUNK_MAX_OBJECT && fp < 4 * (size_t)GX_CHUNK_MAX_OBJECT * 103 / 100);
  /* an object larger than the encoder was made for */
  gx_chunk_enc_t *e = gx_chunk_enc_new(100, 32, 8, 0);
  uint8_t obj[101] = {0}, out[GX_UDP_PAYLOAD_MAX];
  gx_hash_t id = {{1}};
  assert_int_equal(gx_chunk_enc_start(e, &id, obj, 101), 0);
  assert_int_equal(gx_chunk_enc_next(e, out), 0);
  assert_int_equal(gx_chunk_enc_start(e, &id, obj, 0), 0);
  assert_int_equal(gx_chunk_enc_start(e, &id, obj, 100), 2);
  assert_int_equal(gx_chunk_enc_get(e, 1, 0, out), 0);  /* no group 1 */
  assert_int_equal(gx_chunk_enc_get(e, 0, 2, out), 0);  /* no index 2 */
  assert_int_equal(gx_chunk_enc_get(e, 0, 1, out), GX_CHUNK_HDR_SZ + 100);
  gx_chunk_enc_delete(e);
}

/* Drops any m chunks of each group, in every combination on a small code and
 * at random (fixed seed) on larger ones: always rebuilt byte for byte. */
static void test_every_subset(void **st) {
  (void)st;
  /* exhaustive: one group of k = 4 + m = 3, every set of 3 lost (35), in a
   * shuffled order each time; and a short last group (2 real + 3 parity) */
  const uint32_t lens[] = {4 * 600, 6 * 600 - 10};
  for (size_t li = 0; li < GX_ARRAY_LEN(lens); li++) {
    gx_chunk_enc_t *e = gx_chunk_enc_new(lens[li], 4, 3, 600);
    gx_chunk_rx_t *r = gx_chunk_rx_new(1, lens[li], 4);
    uint8_t *obj = make_object(lens[li], 77);
    dgrams_t g;
    encode_all(&g, e, obj, lens[li]);
    uint32_t n = g.n, tried = 0;
    uint8_t skip[64];
    uint32_t order[64];
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
      /* exactly m lost in each group */
      uint32_t lost[4] = {0};
      for (uint32_t i = 0; i < n; i++)
        if (mask >> i & 1) lost[g.c[i].group]++;
      int ok = 1;
      for (uint32_t grp = 0; grp < g.shape.groups; grp++) ok &= lost[grp] == 3;
      if (!ok) continue;
      for (uint32_t i = 0; i < n; i++) skip[i] = mask >> i & 1;
      shuffle(order, n);
      assert_int_equal(feed(r, &g, skip, order, obj), 1);
      assert_int_equal(gx_chunk_rx_forget(r, &g.id), 1);
      tried++;
    }
    printf("# %u bytes, %u groups: %u loss patterns rebuilt\n", lens[li], g.shape.groups, tried);
    assert_true(tried >= 35);
    dgrams_free(&g);
    free(obj);
    gx_chunk_enc_delete(e);
    gx_chunk_rx_delete(r);
  }
  /* random: m lost in every group, several sizes and codes */
  struct { uint32_t len; uint16_t chunk; uint8_t k, m; int rounds; } cases[] = {
    {1048576, 0, 32, 8, 6},      {32 * P + 5, 0, 32, 8, 6}, {3 * P, 0, 32, 8, 6},
    {100000, 600, 16, 16, 6},    {70000, 512, 5, 3, 10},    {GX_CHUNK_MAX_OBJECT, 0, 32, 8, 1},
  };
  for (size_t ci = 0; ci < GX_ARRAY_LEN(cases); ci++) {
    gx_chunk_enc_t *e = gx_chunk_enc_new(cases[ci].len, cases[ci].k, cases[ci].m, cases[ci].chunk);
    gx_chunk_rx_t *r = gx_chunk_rx_new(1, cases[ci].len, 4);
    uint8_t *obj = make_object(cases[ci].len, (uint32_t)ci);
    dgrams_t g;
    encode_all(&g, e, obj, cases[ci].len);
    uint8_t *skip = malloc(g.n);
    uint32_t *order = malloc(g.n * sizeof *order);
    for (int round = 0; round < cases[ci].rounds; round++) {
      drop_per_group(&g, skip, g.shape.m);
      shuffle(order, g.n);
      assert_int_equal(feed(r, &g, skip, round & 1 ? order : NULL, obj), 1);
      assert_int_equal(gx_chunk_rx_forget(r, &g.id), 1);
    }
    free(skip);
    free(order);
    dgrams_free(&g);
    free(obj);
    gx_chunk_enc_delete(e);
    gx_chunk_rx_delete(r);
  }
}

/* m + 1 lost in one group: never completes; the other groups still rebuild,
 * and one more chunk of that group completes it. */
static void test_too_many_lost(void **st) {
  (void)st;
  uint32_t len = 5 * 32 * P;
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, 32, 8, 0);
  gx_chunk_rx_t *r = gx_chunk_rx_new(1, len, 4);
  uint8_t *obj = make_object(len, 5);
  dgrams_t g;
  encode_all(&g, e, obj, len);
  uint8_t *skip = malloc(g.n);
  drop_per_group(&g, skip, 8);
  uint32_t extra = UINT32_MAX; /* one more chunk of group 2 is lost */
  for (uint32_t i = 0; i < g.n && extra == UINT32_MAX; i++)
    if (g.c[i].group == 2 && !skip[i]) extra = i;
  skip[extra] = 1;
  assert_int_equal(feed(r, &g, skip, NULL, obj), 0);
  const gx_chunk_stats_t *s = gx_chunk_rx_stats(r);
  assert_int_equal(s->completed, 0);
  assert_int_equal(s->chunks[GX_CHUNK_OK], g.n - 5 * 8 - 1);
  assert_int_equal(s->chunks[GX_CHUNK_EXCESS], 0);
  /* the missing chunk arrives: complete */
  gx_chunk_obj_t o;
  assert_int_equal(gx_chunk_rx_add(r, g.d[extra], g.len[extra], &o, NULL), GX_CHUNK_COMPLETE);
  assert_memory_equal(o.data, obj, len);
  assert_int_equal(gx_chunk_rx_accept(r, &o), 0);
  assert_int_equal(gx_chunk_rx_accept(r, &o), -1); /* only once */
  free(skip);
  dgrams_free(&g);
  free(obj);
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
}

static void test_duplicates_and_excess(void **st) {
  (void)st;
  uint32_t len = 3 * P; /* one group: k' = 3, m' = 1 */
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, 32, 8, 0);
  gx_chunk_rx_t *r = gx_chunk_rx_new(2, 2 * 32 * P, 4);
  uint8_t *obj = make_object(len, 9);
  dgrams_t g;
  encode_all(&g, e, obj, len);
  assert_int_equal(g.n, 4);
  gx_chunk_obj_t o;
  /* parity first, then data 0 twice, parity again */
  assert_int_equal(gx_chunk_rx_add(r, g.d[3], g.len[3], &o, NULL), GX_CHUNK_OK);
  assert_int_equal(gx_chunk_rx_add(r, g.d[0], g.len[0], &o, NULL), GX_CHUNK_OK);
  assert_int_equal(gx_chunk_rx_add(r, g.d[0], g.len[0], &o, NULL), GX_CHUNK_DUPLICATE);
  assert_int_equal(gx_chunk_rx_add(r, g.d[3], g.len[3], &o, NULL), GX_CHUNK_DUPLICATE);
  /* data 2 completes the group (data 1 rebuilt from the parity) */
  assert_int_equal(gx_chunk_rx_add(r, g.d[2], g.len[2], &o, NULL), GX_CHUNK_COMPLETE);
  assert_memory_equal(o.data, obj, len);
  /* not yet accepted: late chunks are done */
  assert_int_equal(gx_chunk_rx_add(r, g.d[1], g.len[1], &o, NULL), GX_CHUNK_DONE);
  const gx_chunk_stats_t *s = gx_chunk_rx_stats(r);
  assert_int_equal(s->chunks[GX_CHUNK_DUPLICATE], 2);
  assert_int_equal(s->chunks[GX_CHUNK_OK], 2);
  assert_int_equal(s->chunks[GX_CHUNK_DONE], 1);
  dgrams_free(&g);
  free(obj);
  /* excess: a group rebuilt while the object still fills */
  len = 2 * 32 * P;
  gx_chunk_enc_delete(e);
  e = gx_chunk_enc_new(len, 32, 8, 0);
  obj = make_object(len, 10);
  encode_all(&g, e, obj, len);
  uint32_t sent = 0;
  for (uint32_t i = 0; i < g.n; i++)
    if (g.c[i].group == 0) {
      gx_chunk_verdict_t v = gx_chunk_rx_add(r, g.d[i], g.len[i], &o, NULL);
      assert_int_equal(v, sent < 32 ? GX_CHUNK_OK : GX_CHUNK_EXCESS);
      sent++;
    }
  assert_int_equal(s->chunks[GX_CHUNK_EXCESS], 8);
  dgrams_free(&g);
  free(obj);
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
}

static void test_inconsistent(void **st) {
  (void)st;
  uint32_t len = 40000;
  gx_chunk_enc_t *e = gx_chunk_enc_new(len + 2000, 32, 8, 0);
  gx_chunk_rx_t *r = gx_chunk_rx_new(2, len + 2000, 4);
  uint8_t *obj = make_object(len + 2000, 11);
  dgrams_t g;
  encode_all(&g, e, obj, len);
  gx_chunk_obj_t o;
  assert_int_equal(gx_chunk_rx_add(r, g.d[0], g.len[0], &o, NULL), GX_CHUNK_OK);
  /* the same id with another length, k, m or chunk size */
  gx_chunk_t c = g.c[1];
  uint8_t d[GX_UDP_PAYLOAD_MAX];
  int variants = 0;
  for (int v = 0; v < 4; v++) {
    gx_chunk_t x = c;
    if (v == 0) x.len = len + 1000;
    if (v == 1) x.k = 16;
    if (v == 2) x.m = 4;
    if (v == 3) { x.chunk = 1000; x.payload = obj + 1000; }
    size_t n = gx_chunk_encode(d, sizeof d, &x);
    assert_true(n > 0);
    assert_int_equal(gx_chunk_rx_add(r, d, n, &o, NULL), GX_CHUNK_INCONSISTENT);
    variants++;
  }
  assert_int_equal(gx_chunk_rx_stats(r)->chunks[GX_CHUNK_INCONSISTENT], variants);
  /* the consistent chunks still complete it */
  uint8_t *skip = calloc(g.n, 1);
  skip[0] = 1; /* already in */
  assert_int_equal(feed(r, &g, skip, NULL, obj), 1);
  free(skip);
  dgrams_free(&g);
  free(obj);
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
}

/* A flipped payload byte rebuilds a wrong object; the caller's id check
 * rejects it and its late chunks count as rejected. */
static void test_corrupt_chunk_rejected(void **st) {
  (void)st;
  uint32_t len = 3 * 32 * P + 1000;
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, 32, 8, 0);
  gx_chunk_rx_t *r = gx_chunk_rx_new(2, len, 4);
  uint8_t *obj = make_object(len, 12);
  dgrams_t g;
  encode_all(&g, e, obj, len);
  for (int where = 0; where < 2; where++) { /* 0: a data chunk, 1: a parity chunk used */
    uint8_t *skip = calloc(g.n, 1);
    uint32_t bad = UINT32_MAX;
    for (uint32_t i = 0; i < g.n; i++) {
      if (g.c[i].group != 1) continue;
      if (g.c[i].index == 0 && where == 1) skip[i] = 1; /* so parity is needed */
      if (g.c[i].index == (where ? 32 : 5)) bad = i;
    }
    g.d[bad][GX_CHUNK_HDR_SZ + 100] ^= 0x40;
    int completed = 0, rejected = 0;
    uint64_t rejected_before = gx_chunk_rx_stats(r)->chunks[GX_CHUNK_REJECTED];
    for (uint32_t i = 0; i < g.n; i++) {
      if (skip[i]) continue;
      gx_chunk_obj_t o;
      gx_chunk_verdict_t v = gx_chunk_rx_add(r, g.d[i], g.len[i], &o, NULL);
      if (v == GX_CHUNK_COMPLETE) {
        completed++;
        gx_hash_t id;
        object_id(&id, o.data, o.len);
        assert_int_equal(o.len, len);
        assert_false(gx_hash_eq(&id, &o.id)); /* the caller's check fails */
        assert_true(memcmp(o.data, obj, len) != 0);
        assert_int_equal(gx_chunk_rx_reject(r, &o), 0);
        assert_int_equal(gx_chunk_rx_reject(r, &o), -1);
      } else if (v == GX_CHUNK_REJECTED) {
        rejected++;
      }
    }
    assert_int_equal(completed, 1);
    assert_true(rejected > 0); /* the parity chunks after the data */
    const gx_chunk_stats_t *s = gx_chunk_rx_stats(r);
    assert_int_equal(s->rejected, (uint64_t)where + 1);
    assert_int_equal(s->chunks[GX_CHUNK_REJECTED], rejected_before + (uint64_t)rejected);
    /* good chunks of the id stay dropped while it is in the ring */
    g.d[bad][GX_CHUNK_HDR_SZ + 100] ^= 0x40;
    assert_int_equal(gx_chunk_rx_add(r, g.d[0], g.len[0], NULL, NULL), GX_CHUNK_REJECTED);
    /* forgotten, the good chunks rebuild the right object */
    assert_int_equal(gx_chunk_rx_forget(r, &g.id), 1);
    assert_int_equal(feed(r, &g, NULL, NULL, obj), 1);
    assert_int_equal(feed(r, &g, NULL, NULL, obj), 0); /* accepted: done */
    assert_int_equal(gx_chunk_rx_forget(r, &g.id), 1);
    free(skip);
  }
  dgrams_free(&g);
  free(obj);
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
}

/* A parity chunk whose error lands in the rebuilt padding: the reassembler
 * itself drops the object (corrupt) and remembers its id as bad. */
static void test_corrupt_padding(void **st) {
  (void)st;
  uint32_t len = 2 * P - 300; /* the last chunk ends in 300 bytes of padding */
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, 32, 8, 0);
  gx_chunk_rx_t *r = gx_chunk_rx_new(1, len, 4);
  uint8_t *obj = make_object(len, 13);
  dgrams_t g;
  encode_all(&g, e, obj, len);
  assert_int_equal(g.n, 3); /* 2 data + 1 parity */
  g.d[2][GX_CHUNK_HDR_SZ + P - 10] ^= 1;
  gx_chunk_obj_t o;
  assert_int_equal(gx_chunk_rx_add(r, g.d[0], g.len[0], &o, NULL), GX_CHUNK_OK);
  assert_int_equal(gx_chunk_rx_add(r, g.d[2], g.len[2], &o, NULL), GX_CHUNK_CORRUPT);
  assert_int_equal(gx_chunk_rx_add(r, g.d[1], g.len[1], &o, NULL), GX_CHUNK_REJECTED);
  const gx_chunk_stats_t *s = gx_chunk_rx_stats(r);
  assert_int_equal(s->rejected, 1);
  assert_int_equal(s->completed, 0);
  assert_int_equal(s->chunks[GX_CHUNK_CORRUPT], 1);
  /* a data chunk with non-zero padding never gets in: malformed (reserved) */
  gx_chunk_t c = g.c[1];
  uint8_t pay[P], d[GX_UDP_PAYLOAD_MAX];
  memcpy(pay, c.payload, P);
  c.payload = pay;
  pay[P - 1] = 1;
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), 0);
  memcpy(d, g.d[1], g.len[1]);
  d[g.len[1] - 1] = 1;
  gx_proto_err_t why;
  assert_int_equal(gx_chunk_rx_add(r, d, g.len[1], &o, &why), GX_CHUNK_MALFORMED);
  assert_int_equal(why, GX_PROTO_ERR_RESERVED);
  dgrams_free(&g);
  free(obj);
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
}

/* Three objects through two slots: the least recently touched is evicted. */
static void test_eviction_and_full(void **st) {
  (void)st;
  uint32_t len = 4 * P;
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, 32, 8, 0);
  gx_chunk_rx_t *r = gx_chunk_rx_new(2, len, 4);
  uint8_t *obj[3];
  dgrams_t g[3];
  for (int i = 0; i < 3; i++) {
    obj[i] = make_object(len, 20 + (uint32_t)i);
    encode_all(&g[i], e, obj[i], len);
  }
  gx_chunk_obj_t o;
  const gx_chunk_stats_t *s = gx_chunk_rx_stats(r);
  assert_int_equal(gx_chunk_rx_add(r, g[0].d[0], g[0].len[0], &o, NULL), GX_CHUNK_OK); /* A */
  assert_int_equal(gx_chunk_rx_add(r, g[1].d[0], g[1].len[0], &o, NULL), GX_CHUNK_OK); /* B */
  assert_int_equal(gx_chunk_rx_add(r, g[0].d[1], g[0].len[1], &o, NULL), GX_CHUNK_OK); /* A touched */
  assert_int_equal(gx_chunk_rx_add(r, g[2].d[0], g[2].len[0], &o, NULL), GX_CHUNK_OK); /* C evicts B */
  assert_int_equal(s->evicted, 1);
  /* A still has its two chunks: the other two complete it */
  assert_int_equal(gx_chunk_rx_add(r, g[0].d[2], g[0].len[2], &o, NULL), GX_CHUNK_OK);
  assert_int_equal(gx_chunk_rx_add(r, g[0].d[3], g[0].len[3], &o, NULL), GX_CHUNK_COMPLETE);
  assert_memory_equal(o.data, obj[0], len);
  gx_chunk_obj_t a = o;
  /* B starts over and evicts C (A is complete, not evictable) */
  for (uint32_t i = 0; i < 3; i++)
    assert_int_equal(gx_chunk_rx_add(r, g[1].d[i], g[1].len[i], &o, NULL), GX_CHUNK_OK);
  assert_int_equal(s->evicted, 2);
  assert_int_equal(gx_chunk_rx_add(r, g[1].d[4], g[1].len[4], &o, NULL), GX_CHUNK_COMPLETE);
  assert_memory_equal(o.data, obj[1], len);
  gx_chunk_obj_t b = o;
  /* both slots hold completed objects: a new one finds no room */
  assert_int_equal(gx_chunk_rx_add(r, g[2].d[1], g[2].len[1], &o, NULL), GX_CHUNK_FULL);
  assert_int_equal(s->chunks[GX_CHUNK_FULL], 1);
  assert_memory_equal(a.data, obj[0], len); /* still intact */
  assert_int_equal(gx_chunk_rx_accept(r, &a), 0);
  assert_int_equal(gx_chunk_rx_accept(r, &b), 0);
  assert_int_equal(feed(r, &g[2], NULL, NULL, obj[2]), 1);
  assert_int_equal(s->evicted, 2);
  assert_int_equal(s->completed, 3);
  /* a done ring of 4 remembers the last 4 ids */
  assert_int_equal(gx_chunk_rx_add(r, g[0].d[0], g[0].len[0], &o, NULL), GX_CHUNK_DONE);
  for (int i = 0; i < 3; i++) {
    dgrams_free(&g[i]);
    free(obj[i]);
  }
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
}

static void expect_malformed(gx_chunk_rx_t *r, const uint8_t *d, size_t n, gx_proto_err_t want) {
  gx_chunk_t c;
  gx_proto_err_t why = GX_PROTO_OK;
  uint64_t before = gx_chunk_rx_stats(r)->malformed_by[want];
  assert_int_equal(gx_chunk_rx_add(r, d, n, NULL, &why), GX_CHUNK_MALFORMED);
  assert_int_equal(why, want);
  assert_int_equal(gx_chunk_rx_stats(r)->malformed_by[want], before + 1);
  if (n <= GX_UDP_PAYLOAD_MAX) {
    gx_proto_err_t e = gx_chunk_decode(&c, d, n);
    /* the decoder agrees, except for the reassembler's own max_object */
    assert_true(e == want || (e == GX_PROTO_OK && want == GX_PROTO_ERR_RANGE));
  }
}

static void test_malformed(void **st) {
  (void)st;
  uint32_t len = 3 * P - 7; /* 3 data chunks, k' = 3, m' = 1 */
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, 32, 8, 0);
  gx_chunk_rx_t *r = gx_chunk_rx_new(2, len, 4);
  uint8_t *obj = make_object(len, 30);
  dgrams_t g;
  encode_all(&g, e, obj, len);
  uint8_t d[GX_UDP_PAYLOAD_MAX + 8];
  const uint8_t *good = g.d[0];
  size_t n = g.len[0];
#define FRESH() (memset(d, 0, sizeof d), memcpy(d, good, n))
  FRESH();
  expect_malformed(r, d, 0, GX_PROTO_ERR_SHORT);
  expect_malformed(r, d, 1, GX_PROTO_ERR_SHORT);
  expect_malformed(r, d, GX_CHUNK_HDR_SZ - 1, GX_PROTO_ERR_SHORT);
  d[0] = 2;
  expect_malformed(r, d, n, GX_PROTO_ERR_VERSION);
  FRESH();
  d[1] = GX_MSG_LSH;
  expect_malformed(r, d, n, GX_PROTO_ERR_TYPE);
  /* fields out of range */
  FRESH();
  gx_st32(d + 34, 0);
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  gx_st32(d + 34, GX_CHUNK_MAX_OBJECT + 1);
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  FRESH();
  gx_st16(d + 43, GX_CHUNK_MIN_CHUNK - 1);          /* chunk below the minimum */
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  gx_st16(d + 43, P + 1);                           /* above one datagram */
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  FRESH();
  gx_st32(d + 34, 100);                             /* chunk above the length */
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  FRESH();
  d[41] = 0;                                        /* k = 0 */
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  d[41] = 4;                                        /* k above D = 3 */
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  FRESH();
  d[42] = GX_CHUNK_MAX_M + 1;
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  FRESH();
  gx_st16(d + 38, 1);                               /* group >= groups */
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  FRESH();
  d[40] = 4;                                        /* index >= k + m */
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  FRESH();
  d[41] = 2;                                        /* k = 2: D = 3, groups of 2 + 1 */
  gx_st16(d + 38, 1);
  d[40] = 1;                                        /* virtual chunk of the last group */
  expect_malformed(r, d, n, GX_PROTO_ERR_RANGE);
  /* length */
  FRESH();
  expect_malformed(r, d, n - 1, GX_PROTO_ERR_SHORT);
  expect_malformed(r, d, n + 1, GX_PROTO_ERR_TRAILING);
  expect_malformed(r, d, GX_UDP_PAYLOAD_MAX + 8, GX_PROTO_ERR_TRAILING);
  /* padding of the last data chunk (index 2 holds bytes 2P..3P, 7 padding) */
  uint32_t last = UINT32_MAX;
  for (uint32_t i = 0; i < g.n; i++)
    if (g.c[i].index == 2) last = i;
  memcpy(d, g.d[last], g.len[last]);
  d[g.len[last] - 3] = 9;
  expect_malformed(r, d, g.len[last], GX_PROTO_ERR_RESERVED);
  /* a well-formed chunk of an object above this reassembler's max_object */
  gx_chunk_rx_t *small = gx_chunk_rx_new(1, len - 1, 4);
  expect_malformed(small, good, n, GX_PROTO_ERR_RANGE);
  assert_int_equal(gx_chunk_decode(&g.c[0], good, n), GX_PROTO_OK);
  gx_chunk_rx_delete(small);
  /* nothing malformed got in: the object is still whole from its chunks */
  const gx_chunk_stats_t *s = gx_chunk_rx_stats(r);
  assert_int_equal(s->chunks[GX_CHUNK_MALFORMED], 20);
  assert_int_equal(s->chunks[GX_CHUNK_OK], 0);
  assert_int_equal(feed(r, &g, NULL, NULL, obj), 1);
  for (int v = 0; v <= GX_CHUNK__COUNT; v++) assert_non_null(gx_chunk_verdict_label(v));
  assert_string_equal(gx_chunk_verdict_label(GX_CHUNK_INCONSISTENT), "inconsistent");
  assert_string_equal(gx_chunk_verdict_label(GX_CHUNK__COUNT), "unknown");
#undef FRESH
  dgrams_free(&g);
  free(obj);
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
}

/* gx_chunk_encode checks what the decoder checks. */
static void test_encode_rules(void **st) {
  (void)st;
  uint8_t pay[P] = {0}, d[GX_UDP_PAYLOAD_MAX];
  gx_chunk_t c = {.id = {{7}}, .len = 10, .group = 0, .index = 0, .k = 1, .m = 0, .chunk = 10,
                  .payload = pay};
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), GX_CHUNK_HDR_SZ + 10);
  assert_int_equal(gx_chunk_encode(d, GX_CHUNK_HDR_SZ + 9, &c), 0);
  gx_chunk_t x;
  assert_int_equal(gx_chunk_decode(&x, d, GX_CHUNK_HDR_SZ + 10), GX_PROTO_OK);
  assert_int_equal(x.len, 10);
  assert_int_equal(x.chunk, 10);
  assert_ptr_equal(x.payload, d + GX_CHUNK_HDR_SZ);
  c.chunk = 9; /* below min(len, 512) */
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), 0);
  c.chunk = 10;
  c.index = 1; /* no parity (m = 0) */
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), 0);
  c.m = 1;
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), GX_CHUNK_HDR_SZ + 10);
  /* a parity chunk has no padding rule */
  pay[9] = 1;
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), GX_CHUNK_HDR_SZ + 10);
  c.len = 9; /* data chunk 0 of 9 bytes with chunk 10: byte 9 is padding */
  c.index = 0;
  c.chunk = 9;
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), GX_CHUNK_HDR_SZ + 9);
  c.len = 1000;
  c.chunk = 600;
  c.k = 1;
  c.group = 1; /* bytes 600..1200: 200 of padding */
  memset(pay, 0, sizeof pay);
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), GX_CHUNK_HDR_SZ + 600);
  pay[400] = 1;
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), 0);
  pay[400] = 0;
  pay[399] = 1;
  assert_int_equal(gx_chunk_encode(d, sizeof d, &c), GX_CHUNK_HDR_SZ + 600);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_shape),
    cmocka_unit_test(test_encode_rules),
    cmocka_unit_test(test_roundtrip_sizes),
    cmocka_unit_test(test_roundtrip_max),
    cmocka_unit_test(test_every_subset),
    cmocka_unit_test(test_too_many_lost),
    cmocka_unit_test(test_duplicates_and_excess),
    cmocka_unit_test(test_inconsistent),
    cmocka_unit_test(test_corrupt_chunk_rejected),
    cmocka_unit_test(test_corrupt_padding),
    cmocka_unit_test(test_eviction_and_full),
    cmocka_unit_test(test_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
