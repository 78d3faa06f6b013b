/* Erasure coding inside the broadcast (suite "ec") beside raw ISA-L on the
 * same shapes. Argument = N * 100000 + transfers: N validators (f = (N-1)/3,
 * K = N-2f data stripes), a proposal of `transfers` x 290 bytes.
 *   ec/encode/ARG            gx_rbc_code in place (as gx_acs uses it): trailer + parity
 *   ec/encode_from_caller/ARG  gx_rbc_code from a caller's buffer (tail stripe copied)
 *   ec/decode/ARG            gx_rbc_recover with the first f data stripes lost
 *   ec/commit/ARG            gx_rbc_recommit: BLAKE2b Merkle over the N stripes
 *   baseline/raw_isal_encode/ARG  ec_encode_data alone on prepared stripes
 * bytes_per_second counts proposal bytes in every one of them. */
#include "bench/gx_bench.h"
#include "consensus/gx_rbc.h"

#include <isa-l/erasure_code.h>
#include <stdlib.h>
#include <string.h>

#define EC_ARGS 400250, 401000, 416000, 701000, 716000, 1601000, 1616000

typedef struct {
  gx_rbc_coder_t *c;
  gx_rbc_enc_t enc;
  uint8_t *value, *parity, *out;
  uint32_t len;
} ec_setup_t;

static int ec_open(ec_setup_t *s, int64_t arg) {
  unsigned n = (unsigned)(arg / 100000), f = (n - 1) / 3;
  s->len = (uint32_t)(arg % 100000) * 290u;
  s->c = calloc(1, sizeof *s->c);
  if (!s->c) return -1;
  uint32_t stride = gx_rbc_stride(n, f, s->len);
  s->parity = aligned_alloc(64, (size_t)n * stride);
  s->enc.stripes = aligned_alloc(64, (size_t)n * stride);
  s->value = malloc(s->len);
  s->out = aligned_alloc(64, (size_t)n * stride);
  if (!s->parity || !s->enc.stripes || !s->value || !s->out) return -1;
  for (uint32_t i = 0; i < s->len; i++) s->value[i] = (uint8_t)(i * 131);
  return gx_rbc_coder_init(s->c, n, f, 0, s->len, s->parity);
}

static void ec_close(ec_setup_t *s) {
  free(s->c);
  free(s->parity);
  free(s->enc.stripes);
  free(s->value);
  free(s->out);
}

/* As the broadcast runs it: the proposal already sits in the coder's area
 * (gx_acs_propose copies it there once, since it must keep it for re-sends),
 * so framing is in place: padding + length trailer, then parity. */
static void bm_ec_encode(gx_bench_t *b) {
  ec_setup_t s;
  if (ec_open(&s, gx_bench_arg(b)) != 0) { gx_bench_skip(b, "set-up failed"); ec_close(&s); return; }
  memcpy(s.enc.stripes, s.value, s.len);
  while (gx_bench_loop(b)) gx_rbc_code(s.c, &s.enc, s.enc.stripes, s.len);
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)s.len);
  ec_close(&s);
}
GX_BENCH_NAMED_ARGS("ec/encode", bm_ec_encode, EC_ARGS)

/* From a caller's buffer: stripes inside the value are coded where they lie,
 * the tail stripe is copied (one stripe: 1/K of the value). */
static void bm_ec_encode_from_caller(gx_bench_t *b) {
  ec_setup_t s;
  if (ec_open(&s, gx_bench_arg(b)) != 0) { gx_bench_skip(b, "set-up failed"); ec_close(&s); return; }
  while (gx_bench_loop(b)) gx_rbc_code(s.c, &s.enc, s.value, s.len);
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)s.len);
  ec_close(&s);
}
GX_BENCH_NAMED_ARGS("ec/encode_from_caller", bm_ec_encode_from_caller, EC_ARGS)

static void bm_ec_decode(gx_bench_t *b) {
  ec_setup_t s;
  if (ec_open(&s, gx_bench_arg(b)) != 0) { gx_bench_skip(b, "set-up failed"); ec_close(&s); return; }
  gx_rbc_code(s.c, &s.enc, s.value, s.len);
  unsigned idx[GX_CONS_MAX_N];
  uint8_t *src[GX_CONS_MAX_N];
  for (unsigned t = 0; t < s.c->k; t++) { /* the first f data stripes are lost */
    idx[t] = t + s.c->f;
    src[t] = s.enc.data[idx[t]];
  }
  while (gx_bench_loop(b)) gx_rbc_recover(s.c, src, idx, s.enc.stripe_len, s.out);
  if (memcmp(s.out, s.value, 64) != 0) gx_bench_skip(b, "decode mismatch");
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)s.len);
  ec_close(&s);
}
GX_BENCH_NAMED_ARGS("ec/decode", bm_ec_decode, EC_ARGS)

static void bm_ec_commit(gx_bench_t *b) {
  ec_setup_t s;
  if (ec_open(&s, gx_bench_arg(b)) != 0) { gx_bench_skip(b, "set-up failed"); ec_close(&s); return; }
  gx_rbc_code(s.c, &s.enc, s.value, s.len);
  while (gx_bench_loop(b)) gx_rbc_recommit(s.c, &s.enc);
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)s.len);
  ec_close(&s);
}
GX_BENCH_NAMED_ARGS("ec/commit", bm_ec_commit, EC_ARGS)

static void bm_raw_isal_encode(gx_bench_t *b) {
  int64_t arg = gx_bench_arg(b);
  unsigned n = (unsigned)(arg / 100000), f = (n - 1) / 3, k = n - 2 * f;
  uint32_t len = (uint32_t)(arg % 100000) * 290u;
  uint32_t sl = (uint32_t)(((uint64_t)len + 4 + k - 1) / k);
  uint32_t stride = (sl + 63) & ~63u;
  uint8_t *buf = aligned_alloc(64, (size_t)n * stride);
  uint8_t *mat = malloc((size_t)n * k), *tbls = malloc(32u * k * (n - k) + 1);
  uint8_t *ptr[GX_CONS_MAX_N];
  if (!buf || !mat || !tbls) { gx_bench_skip(b, "out of memory"); goto out; }
  for (unsigned j = 0; j < n; j++) ptr[j] = buf + (size_t)j * stride;
  for (size_t i = 0; i < (size_t)n * stride; i++) buf[i] = (uint8_t)(i * 131);
  gf_gen_cauchy1_matrix(mat, (int)n, (int)k);
  ec_init_tables((int)k, (int)(n - k), mat + k * k, tbls);
  while (gx_bench_loop(b)) ec_encode_data((int)sl, (int)k, (int)(n - k), tbls, ptr, ptr + k);
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)len);
out:
  free(buf);
  free(mat);
  free(tbls);
}
GX_BENCH_NAMED_ARGS("baseline/raw_isal_encode", bm_raw_isal_encode, EC_ARGS)
