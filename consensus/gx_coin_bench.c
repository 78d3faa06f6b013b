/* Threshold coin costs (suite "coin") beside one raw ristretto255 scalar
 * multiplication (the unit every step is made of): a share costs 3, a
 * verification 4 plus a hash-to-point, a combination of f+1 shares f+1.
 *   coin/share, coin/verify, coin/combine/F1 (F1 = f+1 shares),
 *   coin/name (hash to the group), baseline/raw_scalarmult_ristretto255 */
#include "bench/gx_bench.h"
#include "consensus/gx_coin.h"

#include <sodium.h>
#include <string.h>

static gx_coin_pub_t cb_pub;
static gx_coin_secret_t cb_sec[GX_CONS_MAX_N];

static void cb_init(unsigned n) {
  uint8_t seed[32] = {1};
  if (sodium_init() < 0) return;
  gx_coin_deal(&cb_pub, cb_sec, n, (n - 1) / 3, seed);
}

static void bm_coin_share(gx_bench_t *b) {
  cb_init(16);
  uint8_t h[32];
  gx_coin_share_t sh;
  gx_coin_name(h, 1, 2, 2);
  while (gx_bench_loop(b)) gx_coin_share_make(&sh, &cb_pub, &cb_sec[3], h);
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("coin/share", bm_coin_share, 0)

static void bm_coin_verify(gx_bench_t *b) {
  cb_init(16);
  uint8_t h[32];
  gx_coin_share_t sh;
  gx_coin_name(h, 1, 2, 2);
  gx_coin_share_make(&sh, &cb_pub, &cb_sec[3], h);
  int bad = 0;
  while (gx_bench_loop(b)) bad |= gx_coin_share_verify(&cb_pub, 3, h, &sh) != GX_COIN_OK;
  if (bad) gx_bench_skip(b, "share did not verify");
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("coin/verify", bm_coin_verify, 0)

/* arg: N (f+1 = (N-1)/3 + 1 shares are combined) */
static void bm_coin_combine(gx_bench_t *b) {
  unsigned n = (unsigned)gx_bench_arg(b);
  cb_init(n);
  unsigned t = cb_pub.f + 1u;
  uint8_t h[32], pts[GX_CONS_MAX_N][32], out[32];
  uint16_t idx[GX_CONS_MAX_N];
  gx_coin_name(h, 1, 2, 2);
  for (unsigned i = 0; i < t; i++) {
    gx_coin_share_t sh;
    gx_coin_share_make(&sh, &cb_pub, &cb_sec[i * 2 % n], h);
    memcpy(pts[i], sh.share, 32);
    idx[i] = (uint16_t)(i * 2 % n);
  }
  int bit;
  while (gx_bench_loop(b)) gx_coin_combine(out, &bit, &cb_pub, idx, (const uint8_t(*)[32])pts, t);
  gx_bench_items(b, gx_bench_iterations(b));
  gx_bench_counter(b, "shares", t);
}
GX_BENCH_NAMED_ARGS("coin/combine", bm_coin_combine, 4, 16, 64)

static void bm_coin_name(gx_bench_t *b) {
  uint8_t h[32];
  uint16_t r = 0;
  while (gx_bench_loop(b)) gx_coin_name(h, 1, 2, r++);
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("coin/name", bm_coin_name, 0)

static void bm_raw_scalarmult(gx_bench_t *b) {
  if (sodium_init() < 0) return;
  uint8_t s[32], p[32], q[32];
  crypto_core_ristretto255_scalar_random(s);
  crypto_core_ristretto255_random(p);
  while (gx_bench_loop(b)) {
    if (crypto_scalarmult_ristretto255(q, s, p) != 0) break;
    p[0] ^= 0; /* same point each time: the cost is the multiplication */
  }
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("baseline/raw_scalarmult_ristretto255", bm_raw_scalarmult, 0)
