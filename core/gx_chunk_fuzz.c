/* libFuzzer: one chunk reassembler (3 slots of 48 KiB, a done ring of 4) fed
 * a stream of datagrams the input describes, op by op:
 *   0  raw datagram: u16 length, then that many bytes (any bytes at all)
 *   1  new object in table entry e (of 4): u16 length, k, m, u16 chunk, seed;
 *      made by gx_chunk_enc (its own parameters clamped into range)
 *   2  the next datagram of entry e's encoder
 *   3  datagram (group, index) of entry e, with one byte flipped (at a
 *      position the input picks) or not
 *   4  the rest of entry e's datagrams, each dropped when a bit of the
 *      input says so
 *   5  forget entry e's id
 *   6  entry e's object again under the same id with other parameters: k, m,
 *      u16 chunk (its chunks are inconsistent with a slot the first ones
 *      opened, and rebuild the same bytes when they open it)
 * Checks: nothing crashes or reads out of bounds (ASan); every datagram gets
 * exactly one verdict, counted once; whatever decodes re-encodes to the same
 * bytes; a completed object has the length its chunks announce, and when
 * every chunk of its id came unaltered from our encoder, exactly the object's
 * bytes (then accepted; a mismatch is rejected, exercising the reject path). */
#include <stdlib.h>
#include <string.h>

#include "core/gx_chunk.h"
#include "core/gx_util.h"

#define FZ_MAX (48u * 1024)
#define FZ_OBJS 4

typedef struct {
  const uint8_t *p;
  size_t n;
} rd_t;

static int rd_u8(rd_t *r, uint8_t *v) {
  if (r->n < 1) return -1;
  *v = *r->p++;
  r->n--;
  return 0;
}
static int rd_u16(rd_t *r, uint16_t *v) {
  if (r->n < 2) return -1;
  *v = gx_ld16(r->p);
  r->p += 2;
  r->n -= 2;
  return 0;
}

typedef struct {
  gx_chunk_enc_t *enc;
  gx_hash_t id;
  uint8_t obj[FZ_MAX];
  uint32_t len;
  int live, tainted;
} fz_obj_t;

static fz_obj_t objs[FZ_OBJS];
static uint64_t adds;

static fz_obj_t *fz_find(const gx_hash_t *id) {
  for (int i = 0; i < FZ_OBJS; i++)
    if (objs[i].live && memcmp(objs[i].id.b, id->b, 32) == 0) return &objs[i];
  return NULL;
}

static void fz_add(gx_chunk_rx_t *rx, const uint8_t *d, size_t n, int altered) {
  gx_chunk_t c;
  gx_proto_err_t e = gx_chunk_decode(&c, d, n);
  if (e == GX_PROTO_OK) {
    uint8_t re[GX_UDP_PAYLOAD_MAX];
    if (gx_chunk_encode(re, sizeof re, &c) != n || memcmp(re, d, n) != 0) abort();
    fz_obj_t *o = fz_find(&c.id);
    if (o && altered) o->tainted = 1;
  }
  gx_chunk_obj_t out;
  gx_proto_err_t why;
  gx_chunk_verdict_t v = gx_chunk_rx_add(rx, d, n, &out, &why);
  adds++;
  if ((unsigned)v >= GX_CHUNK__COUNT) abort();
  if ((v == GX_CHUNK_MALFORMED) != (why != GX_PROTO_OK)) abort();
  if (e != GX_PROTO_OK && v != GX_CHUNK_MALFORMED) abort();
  if (v != GX_CHUNK_COMPLETE) return;
  if (out.len != c.len || out.len == 0 || out.len > FZ_MAX) abort();
  if (memcmp(out.id.b, c.id.b, 32) != 0) abort();
  fz_obj_t *o = fz_find(&out.id);
  int same = o && o->len == out.len && memcmp(o->obj, out.data, out.len) == 0;
  if (o && !o->tainted && !same) abort(); /* clean chunks rebuilt a wrong object */
  if (same ? gx_chunk_rx_accept(rx, &out) : gx_chunk_rx_reject(rx, &out)) abort();
}

/* A fresh encoder for entry o with parameters read from the input. */
static int fz_encoder(fz_obj_t *o, rd_t *r) {
  uint16_t chunk;
  uint8_t k, m;
  if (rd_u8(r, &k) || rd_u8(r, &m) || rd_u16(r, &chunk)) return -1;
  k = (uint8_t)(k % GX_CHUNK_MAX_K + 1);
  m = (uint8_t)(m % (GX_CHUNK_MAX_M + 1));
  chunk = (uint16_t)(GX_CHUNK_MIN_CHUNK + chunk % (GX_CHUNK_PAYLOAD_MAX - GX_CHUNK_MIN_CHUNK + 1));
  gx_chunk_enc_delete(o->enc);
  o->enc = gx_chunk_enc_new(FZ_MAX, k, m, chunk);
  if (!o->enc) abort();
  return 0;
}

static void fz_new_obj(fz_obj_t *o, rd_t *r, uint32_t gen) {
  uint16_t len;
  uint8_t seed;
  o->live = 0;
  if (rd_u16(r, &len) || fz_encoder(o, r) || rd_u8(r, &seed)) return;
  o->len = (uint32_t)len % FZ_MAX + 1;
  uint32_t x = seed * 2654435761u + 1;
  for (uint32_t i = 0; i < o->len; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    o->obj[i] = seed & 1 ? (uint8_t)x : (uint8_t)(i % 3 == 0 ? x : 0);
  }
  memset(o->id.b, 0, 32);
  gx_st32(o->id.b, gen);
  o->id.b[4] = seed;
  o->tainted = 0;
  if (gx_chunk_enc_start(o->enc, &o->id, o->obj, o->len) == 0) abort();
  o->live = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_chunk_rx_t *rx = gx_chunk_rx_new(3, FZ_MAX, 4);
  if (!rx) abort();
  rd_t r = {data, size};
  uint8_t d[GX_UDP_PAYLOAD_MAX + 64];
  uint32_t gen = 0;
  adds = 0;
  for (int i = 0; i < FZ_OBJS; i++) objs[i].live = 0;
  uint8_t op;
  while (rd_u8(&r, &op) == 0) {
    fz_obj_t *o = &objs[(op >> 4) % FZ_OBJS];
    switch (op % 7) {
    case 0: {
      uint16_t n;
      if (rd_u16(&r, &n)) break;
      n = (uint16_t)(n % (sizeof d + 1));
      if (n > r.n) n = (uint16_t)r.n;
      /* a copy of exactly n bytes, so ASan sees any read past the end */
      uint8_t *raw = malloc(n ? n : 1);
      if (!raw) abort();
      memcpy(raw, r.p, n);
      r.p += n;
      r.n -= n;
      fz_add(rx, raw, n, 1);
      free(raw);
      break;
    }
    case 1:
      fz_new_obj(o, &r, ++gen);
      break;
    case 2: {
      if (!o->live) break;
      size_t n = gx_chunk_enc_next(o->enc, d);
      if (n) fz_add(rx, d, n, 0);
      break;
    }
    case 3: {
      uint16_t group, pos;
      uint8_t index, flip;
      if (!o->live || rd_u16(&r, &group) || rd_u8(&r, &index) || rd_u8(&r, &flip) ||
          rd_u16(&r, &pos))
        break;
      size_t n = gx_chunk_enc_get(o->enc, group, index, d);
      if (!n) break;
      if (flip) d[pos % n] ^= flip;
      fz_add(rx, d, n, flip != 0);
      break;
    }
    case 4: {
      uint8_t bits;
      if (!o->live || rd_u8(&r, &bits)) break;
      size_t n;
      for (uint32_t t = 0; (n = gx_chunk_enc_next(o->enc, d)) != 0; t++)
        if (!(bits >> (t % 8) & 1)) fz_add(rx, d, n, 0);
      break;
    }
    case 5:
      if (o->live) (void)gx_chunk_rx_forget(rx, &o->id);
      break;
    default:
      if (!o->live) break;
      o->live = 0;
      if (fz_encoder(o, &r)) break;
      if (gx_chunk_enc_start(o->enc, &o->id, o->obj, o->len) == 0) abort();
      o->live = 1;
      break;
    }
  }
  const gx_chunk_stats_t *st = gx_chunk_rx_stats(rx);
  uint64_t sum = 0, mal = 0;
  for (int v = 0; v < GX_CHUNK__COUNT; v++) sum += st->chunks[v];
  for (int e = 0; e < GX_PROTO_ERR__COUNT; e++) mal += st->malformed_by[e];
  if (sum != adds || mal != st->chunks[GX_CHUNK_MALFORMED] ||
      st->completed != st->chunks[GX_CHUNK_COMPLETE] ||
      st->accepted + st->rejected != st->completed + st->chunks[GX_CHUNK_CORRUPT])
    abort();
  gx_chunk_rx_delete(rx);
  return 0;
}
