/* Object chunks (core/gx_chunk.h) in suite "ec", beside raw ISA-L on the
 * same bytes. Argument: object bytes; the default code (chunk 1427, k 32,
 * m 8: a 1 MiB object is 735 data chunks in 23 groups, 919 datagrams).
 *   ec/chunk_encode/ARG   gx_chunk_enc_start (all parity) + every datagram
 *                         written by gx_chunk_enc_next
 *   ec/chunk_rebuild/ARG  gx_chunk_rx_add of every datagram but the first m
 *                         data chunks of each group (each group rebuilds m
 *                         chunks from parity) until complete, then accept
 *   baseline/raw_isal_chunk_encode/ARG  ec_encode_data alone over the same
 *                         groups of the same object (the bound on encoding)
 * bytes_per_second counts object bytes. The two figures also time the
 * baseline themselves, one pass after each iteration (outside the measured
 * time), and report raw_isal_MBps and ratio = raw ISA-L time / figure time:
 * 1.0 would mean chunking costs nothing beyond the parity arithmetic. */
#include "bench/gx_bench.h"
#include "core/gx_chunk.h"

#include <isa-l/erasure_code.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK_ARGS 1048576

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Raw ISA-L over the object's groups, as the encoder cuts them. */
typedef struct {
  gx_chunk_shape_t s;
  const uint8_t *obj;
  uint8_t *tail, *zero, *parity, *tbls;
  uint8_t mat[(GX_CHUNK_MAX_K + GX_CHUNK_MAX_M) * GX_CHUNK_MAX_K];
} raw_t;

static int raw_open(raw_t *w, const uint8_t *obj, uint32_t len) {
  memset(w, 0, sizeof *w);
  if (gx_chunk_shape(&w->s, len, GX_CHUNK_PAYLOAD_MAX, GX_CHUNK_DEFAULT_K, GX_CHUNK_DEFAULT_M))
    return -1;
  uint32_t cs = w->s.chunk, k = w->s.k, m = w->s.m;
  w->obj = obj;
  w->tail = calloc(1, cs);
  w->zero = calloc(1, cs);
  w->parity = malloc((size_t)m * cs);
  w->tbls = malloc(32u * k * (m ? m : 1));
  if (!w->tail || !w->zero || !w->parity || !w->tbls) return -1;
  uint32_t last = w->s.data - 1;
  memcpy(w->tail, obj + (size_t)last * cs, len - (size_t)last * cs);
  gf_gen_cauchy1_matrix(w->mat, (int)(k + m), (int)k);
  ec_init_tables((int)k, (int)m, w->mat + k * k, w->tbls);
  return 0;
}

static void raw_close(raw_t *w) {
  free(w->tail);
  free(w->zero);
  free(w->parity);
  free(w->tbls);
}

static void raw_encode(raw_t *w) {
  uint32_t cs = w->s.chunk, k = w->s.k, m = w->s.m;
  uint8_t *src[GX_CHUNK_MAX_K], *dst[GX_CHUNK_MAX_M];
  for (uint32_t q = 0; q < m; q++) dst[q] = w->parity + (size_t)q * cs;
  for (uint32_t g = 0; g < w->s.groups; g++) {
    for (uint32_t t = 0; t < k; t++) {
      uint32_t j = g * k + t;
      src[t] = j >= w->s.data ? w->zero
               : j == w->s.data - 1 ? w->tail
                                    : (uint8_t *)w->obj + (size_t)j * cs;
    }
    ec_encode_data((int)cs, (int)k, (int)m, w->tbls, src, dst);
  }
}

static uint8_t *make_object(uint32_t len) {
  uint8_t *o = malloc(len);
  if (o)
    for (uint32_t i = 0; i < len; i++) o[i] = (uint8_t)(i * 131 + (i >> 11));
  return o;
}

static void report_pair(gx_bench_t *b, uint32_t len, uint64_t t_fig, uint64_t t_raw) {
  if (!t_fig || !t_raw) return;
  double bytes = (double)gx_bench_iterations(b) * len;
  gx_bench_counter(b, "raw_isal_MBps", bytes / ((double)t_raw / 1e9) / 1e6);
  gx_bench_counter(b, "ratio", (double)t_raw / (double)t_fig);
}

static void bm_chunk_encode(gx_bench_t *b) {
  uint32_t len = (uint32_t)gx_bench_arg(b);
  uint8_t *obj = make_object(len);
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, GX_CHUNK_DEFAULT_K, GX_CHUNK_DEFAULT_M, 0);
  raw_t w;
  memset(&w, 0, sizeof w);
  if (!obj || !e || raw_open(&w, obj, len) != 0) {
    gx_bench_skip(b, "set-up failed");
    goto out;
  }
  gx_hash_t id;
  gx_hash(&id, GX_DOM_LSH, obj, 64);
  uint8_t d[GX_UDP_PAYLOAD_MAX];
  uint64_t t_fig = 0, t_raw = 0, sent = 0;
  while (gx_bench_loop(b)) {
    uint64_t t0 = now_ns();
    gx_chunk_enc_start(e, &id, obj, len);
    size_t n;
    while ((n = gx_chunk_enc_next(e, d)) != 0) sent += n;
    uint64_t t1 = now_ns();
    gx_bench_pause(b);
    uint64_t t2 = now_ns();
    raw_encode(&w);
    t_raw += now_ns() - t2;
    t_fig += t1 - t0;
    gx_bench_resume(b);
  }
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)len);
  gx_bench_counter(b, "datagrams", (double)gx_chunk_enc_shape(e)->datagrams);
  gx_bench_counter(b, "wire_per_object_byte",
                   gx_bench_iterations(b) ? (double)sent / ((double)gx_bench_iterations(b) * len)
                                          : 0);
  report_pair(b, len, t_fig, t_raw);
out:
  raw_close(&w);
  gx_chunk_enc_delete(e);
  free(obj);
}
GX_BENCH_NAMED_ARGS("ec/chunk_encode", bm_chunk_encode, CHUNK_ARGS)

static void bm_chunk_rebuild(gx_bench_t *b) {
  uint32_t len = (uint32_t)gx_bench_arg(b);
  uint8_t *obj = make_object(len);
  gx_chunk_enc_t *e = gx_chunk_enc_new(len, GX_CHUNK_DEFAULT_K, GX_CHUNK_DEFAULT_M, 0);
  gx_chunk_rx_t *r = gx_chunk_rx_new(4, len, 64);
  uint8_t(*dg)[GX_UDP_PAYLOAD_MAX] = NULL;
  size_t *dl = NULL;
  uint32_t n = 0;
  raw_t w;
  memset(&w, 0, sizeof w);
  if (!obj || !e || !r || raw_open(&w, obj, len) != 0) {
    gx_bench_skip(b, "set-up failed");
    goto out;
  }
  gx_hash_t id;
  gx_hash(&id, GX_DOM_LSH, obj, 64);
  uint32_t total = gx_chunk_enc_start(e, &id, obj, len);
  const gx_chunk_shape_t *s = gx_chunk_enc_shape(e);
  dg = malloc((size_t)total * sizeof *dg);
  dl = malloc(total * sizeof *dl);
  if (!dg || !dl) {
    gx_bench_skip(b, "out of memory");
    goto out;
  }
  for (uint32_t i = 0; i < total; i++) { /* keep all but data chunks 0..m-1 of each group */
    size_t l = gx_chunk_enc_next(e, dg[n]);
    gx_chunk_t c;
    if (gx_chunk_decode(&c, dg[n], l) != GX_PROTO_OK) {
      gx_bench_skip(b, "encoder made a bad datagram");
      goto out;
    }
    if (c.index < s->m && c.index < s->k) continue;
    dl[n++] = l;
  }
  /* once untimed: the object comes back byte for byte */
  gx_chunk_obj_t o;
  int complete = 0;
  for (uint32_t i = 0; i < n && !complete; i++)
    complete = gx_chunk_rx_add(r, dg[i], dl[i], &o, NULL) == GX_CHUNK_COMPLETE;
  if (!complete || o.len != len || memcmp(o.data, obj, len) != 0) {
    gx_bench_skip(b, "object not rebuilt byte for byte");
    goto out;
  }
  gx_chunk_rx_accept(r, &o);
  gx_chunk_rx_forget(r, &id);
  uint64_t t_fig = 0, t_raw = 0;
  int bad = 0;
  while (gx_bench_loop(b)) {
    uint64_t t0 = now_ns();
    complete = 0;
    for (uint32_t i = 0; i < n && !complete; i++) /* after completion: only "done" */
      complete = gx_chunk_rx_add(r, dg[i], dl[i], &o, NULL) == GX_CHUNK_COMPLETE;
    if (!complete || gx_chunk_rx_accept(r, &o) != 0) bad = 1;
    uint64_t t1 = now_ns();
    gx_bench_pause(b);
    gx_chunk_rx_forget(r, &id);
    uint64_t t2 = now_ns();
    raw_encode(&w);
    t_raw += now_ns() - t2;
    t_fig += t1 - t0;
    gx_bench_resume(b);
  }
  if (bad) gx_bench_skip(b, "object not rebuilt");
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)len);
  gx_bench_counter(b, "datagrams_fed", (double)n);
  report_pair(b, len, t_fig, t_raw);
out:
  raw_close(&w);
  free(dg);
  free(dl);
  gx_chunk_rx_delete(r);
  gx_chunk_enc_delete(e);
  free(obj);
}
GX_BENCH_NAMED_ARGS("ec/chunk_rebuild", bm_chunk_rebuild, CHUNK_ARGS)

static void bm_raw_isal_chunk_encode(gx_bench_t *b) {
  uint32_t len = (uint32_t)gx_bench_arg(b);
  uint8_t *obj = make_object(len);
  raw_t w;
  memset(&w, 0, sizeof w);
  if (!obj || raw_open(&w, obj, len) != 0) {
    gx_bench_skip(b, "set-up failed");
  } else {
    while (gx_bench_loop(b)) raw_encode(&w);
    gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)len);
  }
  raw_close(&w);
  free(obj);
}
GX_BENCH_NAMED_ARGS("baseline/raw_isal_chunk_encode", bm_raw_isal_chunk_encode, CHUNK_ARGS)
