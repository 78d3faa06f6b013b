/* gx_chunk: erasure-coded chunks of large objects (see gx_chunk.h). */
#include "core/gx_chunk.h"

#include <isa-l/erasure_code.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_assert.h"
#include "core/gx_util.h"

#define GX_CHUNK_NONE 0xFF /* an empty position in a slot's owner map */

/* ---- layout ---------------------------------------------------------------- */

static uint32_t gx_div_up(uint32_t a, uint32_t b) { return a / b + (a % b != 0); }

/* Real (sent) data chunks of group g: k except in a short last group. */
static uint32_t gx_group_real(uint32_t data, uint32_t k, uint32_t g) {
  uint32_t rest = data - g * k;
  return rest < k ? rest : k;
}

/* Data chunks an object of len bytes can need at most: chunks of at least
 * GX_CHUNK_MIN_CHUNK bytes, except the one chunk of a smaller object. */
static uint32_t gx_max_data(uint32_t max_object) {
  return gx_div_up(max_object, GX_CHUNK_MIN_CHUNK);
}

int gx_chunk_shape(gx_chunk_shape_t *s, uint32_t len, uint16_t chunk, uint8_t k, uint8_t m) {
  if (len == 0 || len > GX_CHUNK_MAX_OBJECT || k == 0 || k > GX_CHUNK_MAX_K ||
      m > GX_CHUNK_MAX_M || chunk < GX_CHUNK_MIN_CHUNK || chunk > GX_CHUNK_PAYLOAD_MAX)
    return -1;
  s->len = len;
  s->chunk = (uint16_t)(len < chunk ? len : chunk);
  s->data = gx_div_up(len, s->chunk);
  s->k = (uint8_t)(s->data < k ? s->data : k);
  s->m = (uint8_t)gx_div_up((uint32_t)m * s->k, k);
  s->groups = gx_div_up(s->data, s->k);
  s->datagrams = s->data + s->groups * s->m;
  return 0;
}

/* ---- datagram -------------------------------------------------------------- */

/* The rules on the fields (everything but the length and the padding). */
static gx_proto_err_t gx_chunk_check_fields(const gx_chunk_t *c) {
  if (c->len == 0 || c->len > GX_CHUNK_MAX_OBJECT) return GX_PROTO_ERR_RANGE;
  uint32_t lo = c->len < GX_CHUNK_MIN_CHUNK ? c->len : GX_CHUNK_MIN_CHUNK;
  uint32_t hi = c->len < GX_CHUNK_PAYLOAD_MAX ? c->len : GX_CHUNK_PAYLOAD_MAX;
  if (c->chunk < lo || c->chunk > hi) return GX_PROTO_ERR_RANGE;
  if (c->k == 0 || c->k > GX_CHUNK_MAX_K || c->m > GX_CHUNK_MAX_M) return GX_PROTO_ERR_RANGE;
  uint32_t data = gx_div_up(c->len, c->chunk);
  if (c->k > data) return GX_PROTO_ERR_RANGE;
  uint32_t groups = gx_div_up(data, c->k);
  if (c->group >= groups) return GX_PROTO_ERR_RANGE;
  if ((uint32_t)c->index >= (uint32_t)c->k + c->m) return GX_PROTO_ERR_RANGE;
  if (c->index < c->k && c->index >= gx_group_real(data, c->k, c->group))
    return GX_PROTO_ERR_RANGE; /* a virtual chunk of the short last group */
  return GX_PROTO_OK;
}

/* Bytes of a data chunk past the object's end must be zero. */
static int gx_chunk_padding_ok(const gx_chunk_t *c, const uint8_t *payload) {
  if (c->index >= c->k) return 1;
  uint64_t start = ((uint64_t)c->group * c->k + c->index) * c->chunk;
  if (start + c->chunk <= c->len) return 1;
  for (uint64_t i = c->len - start; i < c->chunk; i++)
    if (payload[i]) return 0;
  return 1;
}

gx_proto_err_t gx_chunk_decode(gx_chunk_t *c, const uint8_t *buf, size_t len) {
  if (len < 2) return GX_PROTO_ERR_SHORT;
  if (buf[0] != GX_PROTO_VERSION) return GX_PROTO_ERR_VERSION;
  if (buf[1] != GX_MSG_LSH_CHUNK) return GX_PROTO_ERR_TYPE;
  if (len < GX_CHUNK_HDR_SZ) return GX_PROTO_ERR_SHORT;
  gx_chunk_t t;
  memcpy(t.id.b, buf + 2, 32);
  t.len = gx_ld32(buf + 34);
  t.group = gx_ld16(buf + 38);
  t.index = buf[40];
  t.k = buf[41];
  t.m = buf[42];
  t.chunk = gx_ld16(buf + 43);
  t.payload = buf + GX_CHUNK_HDR_SZ;
  gx_proto_err_t e = gx_chunk_check_fields(&t);
  if (e != GX_PROTO_OK) return e;
  if (len < (size_t)GX_CHUNK_HDR_SZ + t.chunk) return GX_PROTO_ERR_SHORT;
  if (len > (size_t)GX_CHUNK_HDR_SZ + t.chunk) return GX_PROTO_ERR_TRAILING;
  if (!gx_chunk_padding_ok(&t, t.payload)) return GX_PROTO_ERR_RESERVED;
  *c = t;
  return GX_PROTO_OK;
}

static void gx_chunk_write_hdr(uint8_t *out, const gx_chunk_t *c) {
  out[0] = GX_PROTO_VERSION;
  out[1] = GX_MSG_LSH_CHUNK;
  memcpy(out + 2, c->id.b, 32);
  gx_st32(out + 34, c->len);
  gx_st16(out + 38, c->group);
  out[40] = c->index;
  out[41] = c->k;
  out[42] = c->m;
  gx_st16(out + 43, c->chunk);
}

size_t gx_chunk_encode(uint8_t *out, size_t cap, const gx_chunk_t *c) {
  if (gx_chunk_check_fields(c) != GX_PROTO_OK || !gx_chunk_padding_ok(c, c->payload)) return 0;
  size_t n = (size_t)GX_CHUNK_HDR_SZ + c->chunk;
  if (cap < n) return 0;
  gx_chunk_write_hdr(out, c);
  memcpy(out + GX_CHUNK_HDR_SZ, c->payload, c->chunk);
  return n;
}

/* ---- labels ---------------------------------------------------------------- */

static const char *const gx_chunk_labels[GX_CHUNK__COUNT] = {
  [GX_CHUNK_OK] = "ok",
  [GX_CHUNK_COMPLETE] = "complete",
  [GX_CHUNK_MALFORMED] = "malformed",
  [GX_CHUNK_DUPLICATE] = "duplicate",
  [GX_CHUNK_INCONSISTENT] = "inconsistent",
  [GX_CHUNK_EXCESS] = "excess",
  [GX_CHUNK_DONE] = "done",
  [GX_CHUNK_REJECTED] = "rejected",
  [GX_CHUNK_FULL] = "full",
  [GX_CHUNK_CORRUPT] = "corrupt",
};

const char *gx_chunk_verdict_label(gx_chunk_verdict_t v) {
  return (unsigned)v < GX_CHUNK__COUNT ? gx_chunk_labels[v] : "unknown";
}

/* ---- sender ---------------------------------------------------------------- */

struct gx_chunk_enc {
  uint32_t max_object;
  uint8_t k, m;
  uint16_t chunk;
  /* the started object */
  gx_hash_t id;
  const uint8_t *obj;
  gx_chunk_shape_t s;
  uint32_t next_pos, next_group; /* column order: index, then group */
  uint8_t coded_k, coded_m;      /* tables hold this code (0: none yet) */
  uint8_t *parity;               /* groups x m' chunks */
  uint8_t *tail;                 /* the last data chunk, zero-padded */
  uint8_t *zero;                 /* one chunk of zeros (virtual chunks) */
  uint8_t *tbls;                 /* 32 x k x m */
  uint8_t mat[(GX_CHUNK_MAX_K + GX_CHUNK_MAX_M) * GX_CHUNK_MAX_K];
};

static size_t gx_chunk_enc_parity_bytes(uint32_t max_object, uint8_t k, uint8_t m,
                                        uint16_t chunk) {
  uint32_t groups = gx_div_up(gx_div_up(max_object, chunk), k);
  return (size_t)groups * m * chunk;
}

static int gx_chunk_enc_args(uint32_t max_object, uint8_t k, uint8_t m, uint16_t *chunk) {
  if (*chunk == 0) *chunk = GX_CHUNK_PAYLOAD_MAX;
  gx_chunk_shape_t s;
  if (max_object == 0) return -1;
  return gx_chunk_shape(&s, max_object, *chunk, k, m);
}

size_t gx_chunk_enc_footprint(uint32_t max_object, uint8_t k, uint8_t m, uint16_t chunk) {
  if (gx_chunk_enc_args(max_object, k, m, &chunk) != 0) return 0;
  return sizeof(gx_chunk_enc_t) + gx_chunk_enc_parity_bytes(max_object, k, m, chunk) +
         2 * (size_t)chunk + 32u * k * (m ? m : 1);
}

gx_chunk_enc_t *gx_chunk_enc_new(uint32_t max_object, uint8_t k, uint8_t m, uint16_t chunk) {
  size_t fp = gx_chunk_enc_footprint(max_object, k, m, chunk);
  if (fp == 0) return NULL;
  if (chunk == 0) chunk = GX_CHUNK_PAYLOAD_MAX;
  uint8_t *mem = calloc(1, fp);
  if (!mem) return NULL;
  gx_chunk_enc_t *e = (gx_chunk_enc_t *)mem;
  e->max_object = max_object;
  e->k = k;
  e->m = m;
  e->chunk = chunk;
  uint8_t *p = mem + sizeof *e;
  e->parity = p;
  p += gx_chunk_enc_parity_bytes(max_object, k, m, chunk);
  e->tail = p;
  p += chunk;
  e->zero = p;
  p += chunk;
  e->tbls = p;
  return e;
}

void gx_chunk_enc_delete(gx_chunk_enc_t *e) { free(e); }

/* Source chunk t of group g (data position): in the object, the padded tail
 * copy, or zeros for a virtual chunk. */
static const uint8_t *gx_chunk_enc_src(const gx_chunk_enc_t *e, uint32_t g, uint32_t t) {
  uint32_t j = g * e->s.k + t;
  if (j >= e->s.data) return e->zero;
  if (j == e->s.data - 1) return e->tail;
  return e->obj + (size_t)j * e->s.chunk;
}

uint32_t gx_chunk_enc_start(gx_chunk_enc_t *e, const gx_hash_t *id, const uint8_t *obj,
                            uint32_t len) {
  e->s.datagrams = 0;
  e->next_pos = e->next_group = 0;
  if (len == 0 || len > e->max_object) return 0;
  int rc = gx_chunk_shape(&e->s, len, e->chunk, e->k, e->m);
  GX_ASSERT(rc == 0, "chunk shape of %u bytes refused after the encoder's checks", len);
  e->id = *id;
  e->obj = obj;
  uint32_t cs = e->s.chunk, last = e->s.data - 1;
  size_t tail_len = len - (size_t)last * cs;
  memcpy(e->tail, obj + (size_t)last * cs, tail_len);
  memset(e->tail + tail_len, 0, cs - tail_len);
  uint32_t k = e->s.k, m = e->s.m;
  if (m == 0) return e->s.datagrams;
  if (e->coded_k != k || e->coded_m != m) {
    gf_gen_cauchy1_matrix(e->mat, (int)(k + m), (int)k);
    ec_init_tables((int)k, (int)m, e->mat + k * k, e->tbls);
    e->coded_k = (uint8_t)k;
    e->coded_m = (uint8_t)m;
  }
  uint8_t *src[GX_CHUNK_MAX_K], *dst[GX_CHUNK_MAX_M];
  for (uint32_t g = 0; g < e->s.groups; g++) {
    for (uint32_t t = 0; t < k; t++) src[t] = (uint8_t *)gx_chunk_enc_src(e, g, t);
    for (uint32_t q = 0; q < m; q++) dst[q] = e->parity + ((size_t)g * m + q) * cs;
    ec_encode_data((int)cs, (int)k, (int)m, e->tbls, src, dst);
  }
  return e->s.datagrams;
}

const gx_chunk_shape_t *gx_chunk_enc_shape(const gx_chunk_enc_t *e) { return &e->s; }

size_t gx_chunk_enc_get(gx_chunk_enc_t *e, uint32_t group, uint32_t index,
                        uint8_t out[GX_UDP_PAYLOAD_MAX]) {
  const gx_chunk_shape_t *s = &e->s;
  if (s->datagrams == 0 || group >= s->groups || index >= (uint32_t)s->k + s->m) return 0;
  if (index < s->k && index >= gx_group_real(s->data, s->k, group)) return 0;
  gx_chunk_t c = {.id = e->id, .len = s->len, .group = (uint16_t)group, .index = (uint8_t)index,
                  .k = s->k, .m = s->m, .chunk = s->chunk};
  gx_chunk_write_hdr(out, &c);
  const uint8_t *p = index < s->k
                         ? gx_chunk_enc_src(e, group, index)
                         : e->parity + ((size_t)group * s->m + (index - s->k)) * s->chunk;
  memcpy(out + GX_CHUNK_HDR_SZ, p, s->chunk);
  return (size_t)GX_CHUNK_HDR_SZ + s->chunk;
}

size_t gx_chunk_enc_next(gx_chunk_enc_t *e, uint8_t out[GX_UDP_PAYLOAD_MAX]) {
  const gx_chunk_shape_t *s = &e->s;
  uint32_t width = (uint32_t)s->k + s->m;
  while (s->datagrams && e->next_pos < width) {
    uint32_t g = e->next_group, p = e->next_pos;
    if (++e->next_group == s->groups) {
      e->next_group = 0;
      e->next_pos++;
    }
    size_t n = gx_chunk_enc_get(e, g, p, out);
    if (n) return n; /* 0: a virtual chunk of the last group */
  }
  return 0;
}

/* ---- receiver -------------------------------------------------------------- */

enum { GX_SLOT_FREE = 0, GX_SLOT_FILLING, GX_SLOT_COMPLETE };

typedef struct {
  uint8_t state;
  uint8_t k, m;
  uint16_t chunk;
  uint32_t len, data, groups, groups_left;
  uint64_t touch;  /* clock of the last stored chunk */
  gx_hash_t id;
  uint8_t *buf;     /* data chunk j at j * chunk; parity waits in missing places */
  uint8_t *owner;   /* per data position: GX_CHUNK_NONE, or the group index held */
  uint64_t *have;   /* per group: mask of chunk indices held */
  uint8_t *rebuilt; /* per group: 1 once rebuilt */
} gx_chunk_slot_t;

typedef struct {
  gx_hash_t id;
  uint8_t used, bad;
} gx_chunk_done_t;

struct gx_chunk_rx {
  uint32_t nslots, max_object, ndone, done_next, max_data;
  uint64_t clock;
  gx_chunk_stats_t st;
  gx_chunk_slot_t *slots;
  gx_chunk_done_t *done;
  uint8_t mat_k, mat_m;     /* the code mat holds (0: none yet) */
  uint8_t *scratch;         /* GX_CHUNK_MAX_K chunks: decoder output */
  uint8_t *zero;            /* one chunk of zeros */
  uint8_t *tbls;            /* 32 x MAX_K x MAX_K */
  uint8_t mat[(GX_CHUNK_MAX_K + GX_CHUNK_MAX_M) * GX_CHUNK_MAX_K];
  uint8_t b[GX_CHUNK_MAX_K * GX_CHUNK_MAX_K], inv[GX_CHUNK_MAX_K * GX_CHUNK_MAX_K];
  uint8_t rows[GX_CHUNK_MAX_K * GX_CHUNK_MAX_K];
};

static size_t gx_align8(size_t n) { return (n + 7) & ~(size_t)7; }

static size_t gx_chunk_slot_bytes(uint32_t max_object) {
  uint32_t md = gx_max_data(max_object);
  return gx_align8((size_t)max_object + GX_CHUNK_PAYLOAD_MAX) + gx_align8(md) +
         (size_t)md * sizeof(uint64_t) + gx_align8(md);
}

size_t gx_chunk_rx_footprint(uint32_t slots, uint32_t max_object, uint32_t done) {
  if (slots == 0 || slots > GX_CHUNK_MAX_SLOTS || max_object == 0 ||
      max_object > GX_CHUNK_MAX_OBJECT || done == 0 || done > GX_CHUNK_MAX_DONE)
    return 0;
  return gx_align8(sizeof(gx_chunk_rx_t)) + gx_align8(slots * sizeof(gx_chunk_slot_t)) +
         gx_align8(done * sizeof(gx_chunk_done_t)) +
         (size_t)GX_CHUNK_MAX_K * GX_CHUNK_PAYLOAD_MAX + gx_align8(GX_CHUNK_PAYLOAD_MAX) +
         32u * GX_CHUNK_MAX_K * GX_CHUNK_MAX_K + (size_t)slots * gx_chunk_slot_bytes(max_object);
}

gx_chunk_rx_t *gx_chunk_rx_new(uint32_t slots, uint32_t max_object, uint32_t done) {
  size_t fp = gx_chunk_rx_footprint(slots, max_object, done);
  if (fp == 0) return NULL;
  uint8_t *mem = calloc(1, fp);
  if (!mem) return NULL;
  gx_chunk_rx_t *r = (gx_chunk_rx_t *)mem;
  uint8_t *p = mem + gx_align8(sizeof *r);
  r->nslots = slots;
  r->max_object = max_object;
  r->ndone = done;
  r->max_data = gx_max_data(max_object);
  r->slots = (gx_chunk_slot_t *)p;
  p += gx_align8(slots * sizeof(gx_chunk_slot_t));
  r->done = (gx_chunk_done_t *)p;
  p += gx_align8(done * sizeof(gx_chunk_done_t));
  r->scratch = p;
  p += (size_t)GX_CHUNK_MAX_K * GX_CHUNK_PAYLOAD_MAX;
  r->zero = p;
  p += gx_align8(GX_CHUNK_PAYLOAD_MAX);
  r->tbls = p;
  p += 32u * GX_CHUNK_MAX_K * GX_CHUNK_MAX_K;
  for (uint32_t i = 0; i < slots; i++) {
    gx_chunk_slot_t *s = &r->slots[i];
    uint32_t md = r->max_data;
    s->have = (uint64_t *)p; /* 8-aligned: every piece before is a multiple of 8 */
    p += (size_t)md * sizeof(uint64_t);
    s->buf = p;
    p += gx_align8((size_t)max_object + GX_CHUNK_PAYLOAD_MAX);
    s->owner = p;
    p += gx_align8(md);
    s->rebuilt = p;
    p += gx_align8(md);
  }
  GX_ASSERT((size_t)(p - mem) == fp, "chunk reassembler carved %zu bytes of %zu",
            (size_t)(p - mem), fp);
  return r;
}

void gx_chunk_rx_delete(gx_chunk_rx_t *r) { free(r); }

const gx_chunk_stats_t *gx_chunk_rx_stats(const gx_chunk_rx_t *r) { return &r->st; }

static int gx_id_eq(const gx_hash_t *a, const gx_hash_t *b) { return memcmp(a->b, b->b, 32) == 0; }

static gx_chunk_done_t *gx_chunk_done_find(gx_chunk_rx_t *r, const gx_hash_t *id) {
  for (uint32_t i = 0; i < r->ndone; i++)
    if (r->done[i].used && gx_id_eq(&r->done[i].id, id)) return &r->done[i];
  return NULL;
}

static void gx_chunk_done_push(gx_chunk_rx_t *r, const gx_hash_t *id, int bad) {
  gx_chunk_done_t *d = gx_chunk_done_find(r, id);
  if (!d) {
    d = &r->done[r->done_next];
    r->done_next = (r->done_next + 1) % r->ndone;
  }
  d->id = *id;
  d->used = 1;
  d->bad = (uint8_t)(bad != 0);
}

int gx_chunk_rx_forget(gx_chunk_rx_t *r, const gx_hash_t *id) {
  gx_chunk_done_t *d = gx_chunk_done_find(r, id);
  if (!d) return 0;
  d->used = 0;
  return 1;
}

static int gx_chunk_rx_finish(gx_chunk_rx_t *r, const gx_chunk_obj_t *o, int bad) {
  if (!o || o->slot >= r->nslots) return -1;
  gx_chunk_slot_t *s = &r->slots[o->slot];
  if (s->state != GX_SLOT_COMPLETE || !gx_id_eq(&s->id, &o->id)) return -1;
  s->state = GX_SLOT_FREE;
  gx_chunk_done_push(r, &s->id, bad);
  if (bad) r->st.rejected++;
  else r->st.accepted++;
  return 0;
}

int gx_chunk_rx_accept(gx_chunk_rx_t *r, const gx_chunk_obj_t *o) { return gx_chunk_rx_finish(r, o, 0); }
int gx_chunk_rx_reject(gx_chunk_rx_t *r, const gx_chunk_obj_t *o) { return gx_chunk_rx_finish(r, o, 1); }

/* A slot for a new object: a free one, else the least recently touched one
 * still filling (evicted), else NULL. */
static gx_chunk_slot_t *gx_chunk_rx_claim(gx_chunk_rx_t *r) {
  gx_chunk_slot_t *lru = NULL;
  for (uint32_t i = 0; i < r->nslots; i++) {
    gx_chunk_slot_t *s = &r->slots[i];
    if (s->state == GX_SLOT_FREE) return s;
    if (s->state == GX_SLOT_FILLING && (!lru || s->touch < lru->touch)) lru = s;
  }
  if (lru) r->st.evicted++;
  return lru;
}

static void gx_chunk_slot_init(gx_chunk_slot_t *s, const gx_chunk_t *c) {
  s->state = GX_SLOT_FILLING;
  s->id = c->id;
  s->len = c->len;
  s->k = c->k;
  s->m = c->m;
  s->chunk = c->chunk;
  s->data = gx_div_up(c->len, c->chunk);
  s->groups = gx_div_up(s->data, c->k);
  s->groups_left = s->groups;
  memset(s->owner, GX_CHUNK_NONE, s->data);
  memset(s->have, 0, (size_t)s->groups * sizeof(uint64_t));
  memset(s->rebuilt, 0, s->groups);
}

/* An empty data position of group g (one exists while the group needs more). */
static uint32_t gx_chunk_slot_empty(const gx_chunk_slot_t *s, uint32_t g, uint32_t real) {
  uint32_t base = g * s->k;
  for (uint32_t t = 0; t < real; t++)
    if (s->owner[base + t] == GX_CHUNK_NONE) return base + t;
  GX_ASSERT(0, "chunk group %u of %u real chunks has no empty place", g, real);
  return 0;
}

/* Rebuilds group g: exactly `real` chunks are held; the missing data
 * positions hold the parity chunks. With C the code's parity rows, M the
 * missing data chunks, S the held ones and Q the held parity (|Q| = |M|):
 *   p_Q = C[Q][S] d_S + C[Q][M] d_M   so   d_M = A^-1 p_Q + A^-1 C[Q][S] d_S
 * with A = C[Q][M] (GF(2^8): minus is plus). Only A (|M| x |M|) is inverted;
 * virtual chunks are zero and drop out. 0, or -1 if A does not invert. */
static int gx_chunk_rebuild(gx_chunk_rx_t *r, gx_chunk_slot_t *s, uint32_t g, uint32_t real) {
  uint32_t k = s->k, m = s->m, cs = s->chunk, base = g * k;
  uint64_t have = s->have[g];
  uint32_t miss[GX_CHUNK_MAX_K], held[GX_CHUNK_MAX_K], par[GX_CHUNK_MAX_K];
  uint32_t nmiss = 0, nheld = 0;
  uint8_t *src[GX_CHUNK_MAX_K], *dst[GX_CHUNK_MAX_K];
  for (uint32_t t = 0; t < real; t++) {
    if (have >> t & 1) held[nheld++] = t;
    else miss[nmiss++] = t;
  }
  if (nmiss == 0) return 0;
  for (uint32_t i = 0; i < nmiss; i++) {
    uint32_t j = base + miss[i];
    GX_ASSERT(s->owner[j] >= k && s->owner[j] < k + m,
              "chunk group %u: missing data place %u holds %u, not parity", g, miss[i],
              s->owner[j]);
    par[i] = s->owner[j];
  }
  if (r->mat_k != k || r->mat_m != m) {
    gf_gen_cauchy1_matrix(r->mat, (int)(k + m), (int)k);
    r->mat_k = (uint8_t)k;
    r->mat_m = (uint8_t)m;
  }
  /* A = C[Q][M], inverted */
  for (uint32_t i = 0; i < nmiss; i++)
    for (uint32_t j = 0; j < nmiss; j++) r->b[i * nmiss + j] = r->mat[par[i] * k + miss[j]];
  if (gf_invert_matrix(r->b, r->inv, (int)nmiss) != 0) return -1;
  /* sources: held data, then the parity (in place of M); one row per missing */
  uint32_t nsrc = nheld + nmiss;
  for (uint32_t t = 0; t < nheld; t++) src[t] = s->buf + (size_t)(base + held[t]) * cs;
  for (uint32_t i = 0; i < nmiss; i++) src[nheld + i] = s->buf + (size_t)(base + miss[i]) * cs;
  for (uint32_t i = 0; i < nmiss; i++) {
    uint8_t *row = r->rows + i * nsrc;
    const uint8_t *ainv = r->inv + i * nmiss;
    for (uint32_t t = 0; t < nheld; t++) {
      uint8_t c = 0;
      for (uint32_t j = 0; j < nmiss; j++) c ^= gf_mul(ainv[j], r->mat[par[j] * k + held[t]]);
      row[t] = c;
    }
    memcpy(row + nheld, ainv, nmiss);
    dst[i] = r->scratch + (size_t)i * cs;
  }
  ec_init_tables((int)nsrc, (int)nmiss, r->rows, r->tbls);
  ec_encode_data((int)cs, (int)nsrc, (int)nmiss, r->tbls, src, dst);
  for (uint32_t i = 0; i < nmiss; i++) {
    memcpy(s->buf + (size_t)(base + miss[i]) * cs, dst[i], cs);
    s->owner[base + miss[i]] = (uint8_t)miss[i];
  }
  return 0;
}

static gx_chunk_verdict_t gx_chunk_count(gx_chunk_rx_t *r, gx_chunk_verdict_t v) {
  r->st.chunks[v]++;
  return v;
}

/* The object went bad (cannot rebuild, non-zero padding): dropped, id bad. */
static gx_chunk_verdict_t gx_chunk_corrupt(gx_chunk_rx_t *r, gx_chunk_slot_t *s) {
  s->state = GX_SLOT_FREE;
  gx_chunk_done_push(r, &s->id, 1);
  r->st.rejected++;
  return gx_chunk_count(r, GX_CHUNK_CORRUPT);
}

gx_chunk_verdict_t gx_chunk_rx_add(gx_chunk_rx_t *r, const uint8_t *buf, size_t len,
                                   gx_chunk_obj_t *out, gx_proto_err_t *why) {
  gx_chunk_t c;
  gx_proto_err_t e = gx_chunk_decode(&c, buf, len);
  if (e == GX_PROTO_OK && c.len > r->max_object) e = GX_PROTO_ERR_RANGE;
  if (why) *why = e;
  if (e != GX_PROTO_OK) {
    r->st.malformed_by[e]++;
    return gx_chunk_count(r, GX_CHUNK_MALFORMED);
  }
  gx_chunk_slot_t *s = NULL;
  for (uint32_t i = 0; i < r->nslots; i++)
    if (r->slots[i].state != GX_SLOT_FREE && gx_id_eq(&r->slots[i].id, &c.id)) {
      s = &r->slots[i];
      break;
    }
  if (s) {
    if (s->state == GX_SLOT_COMPLETE) return gx_chunk_count(r, GX_CHUNK_DONE);
    if (s->len != c.len || s->k != c.k || s->m != c.m || s->chunk != c.chunk)
      return gx_chunk_count(r, GX_CHUNK_INCONSISTENT);
  } else {
    const gx_chunk_done_t *d = gx_chunk_done_find(r, &c.id);
    if (d) return gx_chunk_count(r, d->bad ? GX_CHUNK_REJECTED : GX_CHUNK_DONE);
    s = gx_chunk_rx_claim(r);
    if (!s) return gx_chunk_count(r, GX_CHUNK_FULL);
    gx_chunk_slot_init(s, &c);
  }
  uint32_t g = c.group, k = s->k, cs = s->chunk;
  if (s->rebuilt[g]) return gx_chunk_count(r, GX_CHUNK_EXCESS);
  if (s->have[g] >> c.index & 1) return gx_chunk_count(r, GX_CHUNK_DUPLICATE);
  uint32_t real = gx_group_real(s->data, k, g);
  uint32_t place;
  if (c.index < k) {
    place = g * k + c.index;
    if (s->owner[place] != GX_CHUNK_NONE) { /* parity waiting here: move it */
      uint32_t to = gx_chunk_slot_empty(s, g, real);
      memcpy(s->buf + (size_t)to * cs, s->buf + (size_t)place * cs, cs);
      s->owner[to] = s->owner[place];
    }
  } else {
    place = gx_chunk_slot_empty(s, g, real);
  }
  memcpy(s->buf + (size_t)place * cs, c.payload, cs);
  s->owner[place] = c.index;
  s->have[g] |= (uint64_t)1 << c.index;
  s->touch = ++r->clock;
  if ((uint32_t)__builtin_popcountll(s->have[g]) < real) return gx_chunk_count(r, GX_CHUNK_OK);
  if (gx_chunk_rebuild(r, s, g, real) != 0) return gx_chunk_corrupt(r, s);
  s->rebuilt[g] = 1;
  if (--s->groups_left) return gx_chunk_count(r, GX_CHUNK_OK);
  /* complete: the padding past the object's end must be zero */
  size_t total = (size_t)s->data * cs;
  for (size_t i = s->len; i < total; i++)
    if (s->buf[i]) return gx_chunk_corrupt(r, s);
  s->state = GX_SLOT_COMPLETE;
  r->st.completed++;
  if (out) {
    out->id = s->id;
    out->data = s->buf;
    out->len = s->len;
    out->slot = (uint32_t)(s - r->slots);
  }
  return gx_chunk_count(r, GX_CHUNK_COMPLETE);
}
