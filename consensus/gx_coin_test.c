/* gx_coin: dealing, shares with DLEQ proofs, combination from any f+1 shares,
 * rejection of bad shares, strict key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "consensus/gx_coin.h"
#include "core/gx_util.h"

static gx_coin_pub_t pub;
static gx_coin_secret_t sec[GX_CONS_MAX_N];

static int setup(void **st) {
  (void)st;
  if (sodium_init() < 0) return -1;
  uint8_t seed[32] = {7};
  return gx_coin_deal(&pub, sec, 7, 2, seed) == GX_COIN_OK ? 0 : -1;
}

static void test_deal_args(void **st) {
  (void)st;
  gx_coin_pub_t p;
  static gx_coin_secret_t s[GX_CONS_MAX_N];
  assert_int_equal(gx_coin_deal(&p, s, 6, 2, NULL), GX_COIN_ERR_ARG); /* 3f+1 > n */
  assert_int_equal(gx_coin_deal(&p, s, 65, 1, NULL), GX_COIN_ERR_ARG);
  assert_int_equal(gx_coin_deal(&p, s, 4, 1, NULL), GX_COIN_OK);     /* random dealer */
  gx_coin_pub_t p2;
  uint8_t seed[32] = {1};
  assert_int_equal(gx_coin_deal(&p2, s, 4, 1, seed), GX_COIN_OK);
  gx_coin_pub_t p3;
  assert_int_equal(gx_coin_deal(&p3, s, 4, 1, seed), GX_COIN_OK);
  assert_memory_equal(p2.group_vk, p3.group_vk, 32);                  /* seeded: reproducible */
  assert_memory_not_equal(p.group_vk, p2.group_vk, 32);
}

static void test_shares_combine(void **st) {
  (void)st;
  uint8_t h[32], pts[GX_CONS_MAX_N][32], first[32];
  gx_coin_name(h, 3, 1, 2);
  for (unsigned i = 0; i < pub.n; i++) {
    gx_coin_share_t sh;
    assert_int_equal(gx_coin_share_make(&sh, &pub, &sec[i], h), GX_COIN_OK);
    assert_int_equal(gx_coin_share_verify(&pub, i, h, &sh), GX_COIN_OK);
    /* a share verifies only as its own node's, for its own name */
    assert_int_equal(gx_coin_share_verify(&pub, (i + 1) % pub.n, h, &sh), GX_COIN_ERR_PROOF);
    uint8_t h2[32];
    gx_coin_name(h2, 3, 1, 5);
    assert_int_equal(gx_coin_share_verify(&pub, i, h2, &sh), GX_COIN_ERR_PROOF);
    gx_coin_share_t bad = sh;
    bad.z[0] ^= 1;
    assert_int_not_equal(gx_coin_share_verify(&pub, i, h, &bad), GX_COIN_OK);
    bad = sh;
    bad.c[3] ^= 4;
    assert_int_not_equal(gx_coin_share_verify(&pub, i, h, &bad), GX_COIN_OK);
    bad = sh;
    bad.share[5] ^= 8;
    assert_int_not_equal(gx_coin_share_verify(&pub, i, h, &bad), GX_COIN_OK);
    memcpy(pts[i], sh.share, 32);
  }
  /* every window of f+1 = 3 shares gives the same value */
  int bit0 = -1;
  for (unsigned start = 0; start < pub.n; start++) {
    uint16_t idx[3];
    uint8_t sub[3][32], out[32];
    for (unsigned k = 0; k < 3; k++) {
      idx[k] = (uint16_t)((start + 2 * k) % pub.n);
      memcpy(sub[k], pts[idx[k]], 32);
    }
    int bit;
    assert_int_equal(gx_coin_combine(out, &bit, &pub, idx, (const uint8_t(*)[32])sub, 3), GX_COIN_OK);
    if (start == 0) { memcpy(first, out, 32); bit0 = bit; }
    assert_memory_equal(out, first, 32);
    assert_int_equal(bit, bit0);
  }
  /* a duplicate index or the wrong count is refused */
  uint16_t dup[3] = {1, 1, 2};
  int bit;
  uint8_t out[32];
  assert_int_equal(gx_coin_combine(out, &bit, &pub, dup, (const uint8_t(*)[32])pts, 3), GX_COIN_ERR_ARG);
  assert_int_equal(gx_coin_combine(out, &bit, &pub, dup, (const uint8_t(*)[32])pts, 2), GX_COIN_ERR_ARG);
  /* the coin is not constant: over 40 names both values appear */
  int seen[2] = {0, 0};
  for (unsigned r = 0; r < 40; r++) {
    uint16_t idx[3] = {0, 1, 2};
    uint8_t sub[3][32];
    gx_coin_name(h, 9, 0, (uint16_t)r);
    for (unsigned k = 0; k < 3; k++) {
      gx_coin_share_t sh;
      gx_coin_share_make(&sh, &pub, &sec[k], h);
      memcpy(sub[k], sh.share, 32);
    }
    assert_int_equal(gx_coin_combine(out, &bit, &pub, idx, (const uint8_t(*)[32])sub, 3), GX_COIN_OK);
    seen[bit] = 1;
  }
  assert_true(seen[0] && seen[1]);
}

static void test_key_files(void **st) {
  (void)st;
  uint8_t buf[GX_COIN_SECRET_FILE_MAX], pbuf[GX_COIN_PUBLIC_FILE_MAX];
  size_t n = gx_coin_secret_file_encode(buf, &pub, &sec[4]);
  assert_int_equal(n, GX_COIN_SECRET_FILE_SZ(7));
  gx_coin_pub_t p;
  gx_coin_secret_t s;
  assert_int_equal(gx_coin_secret_file_decode(&p, &s, buf, n), GX_COIN_OK);
  assert_int_equal(s.index, 4);
  assert_memory_equal(s.x, sec[4].x, 32);
  assert_memory_equal(p.vk, pub.vk, 7 * 32);
  assert_memory_equal(p.group_vk, pub.group_vk, 32);
  /* every single-byte flip is rejected */
  for (size_t i = 0; i < n; i++) {
    buf[i] ^= 0x40;
    assert_int_not_equal(gx_coin_secret_file_decode(&p, &s, buf, n), GX_COIN_OK);
    buf[i] ^= 0x40;
  }
  assert_int_equal(gx_coin_secret_file_decode(&p, &s, buf, n - 1), GX_COIN_ERR_FORMAT);
  assert_int_equal(gx_coin_secret_file_decode(&p, &s, buf, n + 1), GX_COIN_ERR_FORMAT);
  /* a well-checksummed file with another node's secret is inconsistent */
  gx_coin_secret_t wrong = sec[4];
  memcpy(wrong.x, sec[5].x, 32);
  n = gx_coin_secret_file_encode(buf, &pub, &wrong);
  assert_int_equal(gx_coin_secret_file_decode(&p, &s, buf, n), GX_COIN_ERR_KEY);
  /* a public set that is not one polynomial is refused, checksum or not */
  gx_coin_pub_t mixed = pub;
  memcpy(mixed.vk[6], pub.vk[5], 32);
  n = gx_coin_public_file_encode(pbuf, &mixed);
  assert_int_equal(gx_coin_public_file_decode(&p, pbuf, n), GX_COIN_ERR_KEY);
  n = gx_coin_public_file_encode(pbuf, &pub);
  assert_int_equal(n, GX_COIN_PUBLIC_FILE_SZ(7));
  assert_int_equal(gx_coin_public_file_decode(&p, pbuf, n), GX_COIN_OK);
  assert_memory_equal(p.vk, pub.vk, 7 * 32);
  for (size_t i = 0; i < n; i++) {
    pbuf[i] ^= 1;
    assert_int_not_equal(gx_coin_public_file_decode(&p, pbuf, n), GX_COIN_OK);
    pbuf[i] ^= 1;
  }
  /* a public file is not a secret file */
  assert_int_equal(gx_coin_secret_file_decode(&p, &s, pbuf, n), GX_COIN_ERR_FORMAT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_deal_args),
    cmocka_unit_test(test_shares_combine),
    cmocka_unit_test(test_key_files),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
