/* Unit tests of gx_cert: signatures, certificate codec (strictness, round
 * trip), verification against the set, the 0x33 message, and the collector
 * (window, duplicates, conflicts, non-members, early signatures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "core/gx_key.h"
#include "validator/gx_cert.h"

#define N 7 /* f = 2, quorum 3 */
static gx_keypair_t keys[N + 1]; /* keys[N] is not in the set */
static gx_cert_set_t set;
static gx_hash_t bh = {{1, 2, 3}}, other = {{9, 9, 9}};

static gx_bh_sig_msg_t msg(uint64_t height, const gx_hash_t *id, uint16_t index, int key) {
  gx_bh_sig_msg_t m = {.height = height, .bh_id = *id, .index = index};
  gx_cert_sign(&m.sig, id, keys[key].sk);
  return m;
}

static void test_sign_verify(void **state) {
  (void)state;
  gx_sig_t s;
  gx_cert_sign(&s, &bh, keys[0].sk);
  assert_int_equal(gx_cert_verify_sig(&keys[0].pk, &bh, &s), 0);
  assert_int_equal(gx_cert_verify_sig(&keys[1].pk, &bh, &s), -1);
  assert_int_equal(gx_cert_verify_sig(&keys[0].pk, &other, &s), -1);
  /* domain separated: not a signature over the raw id */
  gx_sig_t raw;
  crypto_sign_detached(raw.b, NULL, bh.b, 32, keys[0].sk);
  assert_int_equal(gx_cert_verify_sig(&keys[0].pk, &bh, &raw), -1);
  assert_int_equal(gx_cert_quorum(&set), 3);
  gx_cert_set_t one = {.n = 1};
  assert_int_equal(gx_cert_quorum(&one), 1);
  gx_cert_set_t four = {.n = 4};
  assert_int_equal(gx_cert_quorum(&four), 2);
}

static void make_cert(gx_cert_t *c, const uint16_t *idx, int n, const gx_hash_t *id) {
  c->count = (uint16_t)n;
  for (int i = 0; i < n; i++) {
    c->index[i] = idx[i];
    gx_cert_sign(&c->sig[i], id, keys[idx[i] < N ? idx[i] : N].sk);
  }
}

static void test_cert_codec_and_verify(void **state) {
  (void)state;
  gx_cert_t c, d;
  uint16_t idx[3] = {1, 4, 6};
  make_cert(&c, idx, 3, &bh);
  uint8_t buf[GX_CERT_MAX_SZ];
  size_t n = gx_cert_encode(&c, buf, sizeof buf);
  assert_int_equal(n, 2 + 66 * 3);
  assert_int_equal(gx_cert_encode(&c, buf, n - 1), 0);
  assert_int_equal(gx_cert_decode(&d, buf, n), GX_CERT_OK);
  assert_int_equal(d.count, 3);
  uint8_t re[GX_CERT_MAX_SZ];
  assert_int_equal(gx_cert_encode(&d, re, sizeof re), n);
  assert_memory_equal(re, buf, n);
  assert_int_equal(gx_cert_verify(&d, &set, &bh), GX_CERT_OK);
  assert_int_equal(gx_cert_verify(&d, &set, &other), GX_CERT_ERR_SIGNATURE);
  /* strictness */
  assert_int_equal(gx_cert_decode(&d, buf, 1), GX_CERT_ERR_SHORT);
  assert_int_equal(gx_cert_decode(&d, buf, n - 1), GX_CERT_ERR_SHORT);
  buf[n] = 0;
  assert_int_equal(gx_cert_decode(&d, buf, n + 1), GX_CERT_ERR_TRAILING);
  uint8_t bad[GX_CERT_MAX_SZ];
  memcpy(bad, buf, n);
  bad[0] = 0;
  bad[1] = 0;
  assert_int_equal(gx_cert_decode(&d, bad, n), GX_CERT_ERR_COUNT);
  memcpy(bad, buf, n);
  bad[2 + 66] = 1; /* second index = first index */
  assert_int_equal(gx_cert_decode(&d, bad, n), GX_CERT_ERR_ORDER);
  memcpy(bad, buf, n);
  bad[2 + 132] = 64;
  assert_int_equal(gx_cert_decode(&d, bad, n), GX_CERT_ERR_RANGE);
  /* verification rules */
  uint16_t two[2] = {0, 1};
  make_cert(&c, two, 2, &bh);
  assert_int_equal(gx_cert_verify(&c, &set, &bh), GX_CERT_ERR_QUORUM);
  uint16_t outsider[3] = {0, 1, 7}; /* index 7 >= n */
  make_cert(&c, outsider, 3, &bh);
  assert_int_equal(gx_cert_verify(&c, &set, &bh), GX_CERT_ERR_RANGE);
  uint16_t ok3[3] = {0, 2, 3};
  make_cert(&c, ok3, 3, &bh);
  gx_cert_sign(&c.sig[1], &bh, keys[5].sk); /* index 2 signed by someone else */
  assert_int_equal(gx_cert_verify(&c, &set, &bh), GX_CERT_ERR_SIGNATURE);
  uint16_t all[N] = {0, 1, 2, 3, 4, 5, 6};
  make_cert(&c, all, N, &bh);
  assert_int_equal(gx_cert_verify(&c, &set, &bh), GX_CERT_OK);
  c.index[3] = 2; /* not increasing */
  assert_int_equal(gx_cert_encode(&c, buf, sizeof buf), 0);
  assert_int_equal(gx_cert_verify(&c, &set, &bh), GX_CERT_ERR_ORDER);
}

static void test_sig_msg_codec(void **state) {
  (void)state;
  gx_bh_sig_msg_t m = msg(42, &bh, 5, 5), d;
  uint8_t buf[GX_BH_SIG_MSG_SZ + 1];
  gx_bh_sig_msg_encode(&m, buf);
  assert_int_equal(buf[0], 1);
  assert_int_equal(buf[1], 0x33);
  assert_int_equal(gx_bh_sig_msg_decode(&d, buf, GX_BH_SIG_MSG_SZ), GX_CERT_OK);
  assert_int_equal(d.height, 42);
  assert_int_equal(d.index, 5);
  assert_memory_equal(d.bh_id.b, bh.b, 32);
  assert_memory_equal(d.sig.b, m.sig.b, 64);
  assert_int_equal(gx_bh_sig_msg_decode(&d, buf, GX_BH_SIG_MSG_SZ - 1), GX_CERT_ERR_SHORT);
  assert_int_equal(gx_bh_sig_msg_decode(&d, buf, GX_BH_SIG_MSG_SZ + 1), GX_CERT_ERR_TRAILING);
  buf[0] = 2;
  assert_int_equal(gx_bh_sig_msg_decode(&d, buf, GX_BH_SIG_MSG_SZ), GX_CERT_ERR_VERSION);
  buf[0] = 1;
  buf[1] = 0x31;
  assert_int_equal(gx_bh_sig_msg_decode(&d, buf, GX_BH_SIG_MSG_SZ), GX_CERT_ERR_TYPE);
  m.height = 0;
  gx_bh_sig_msg_encode(&m, buf);
  assert_int_equal(gx_bh_sig_msg_decode(&d, buf, GX_BH_SIG_MSG_SZ), GX_CERT_ERR_RANGE);
  m.height = 1;
  m.index = 64;
  gx_bh_sig_msg_encode(&m, buf);
  assert_int_equal(gx_bh_sig_msg_decode(&d, buf, GX_BH_SIG_MSG_SZ), GX_CERT_ERR_RANGE);
}

static void test_collector(void **state) {
  (void)state;
  static gx_cert_collector_t c;
  gx_cert_t out;
  assert_int_equal(gx_cert_collector_init(&c, &set, 10), GX_CERT_OK);
  gx_bh_sig_msg_t m;
  /* window */
  m = msg(9, &bh, 0, 0);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), -GX_CERT_ERR_OLD);
  m = msg(10 + GX_CERT_WINDOW, &bh, 0, 0);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), -GX_CERT_ERR_FUTURE);
  /* signatures before we know our own id are kept */
  m = msg(10, &bh, 3, 3);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), 0);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), -GX_CERT_ERR_DUPLICATE);
  /* a non-member's key claiming index 1, a bad index */
  m = msg(10, &bh, 1, N);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), -GX_CERT_ERR_SIGNATURE);
  m = msg(10, &bh, N, N);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), -GX_CERT_ERR_RANGE);
  /* validator 4 signs a different id, then tries the right one: conflict */
  m = msg(10, &other, 4, 4);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), 0);
  m = msg(10, &bh, 4, 4);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), -GX_CERT_ERR_CONFLICT);
  assert_int_equal(c.conflicts, 1);
  m = msg(10, &bh, 6, 6);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), 0);
  /* two matching so far (3, 6); our id arrives: not yet */
  assert_int_equal(gx_cert_collector_expect(&c, 10, &bh, &out), 0);
  m = msg(10, &bh, 0, 0);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), 1);
  assert_int_equal(out.count, 3);
  assert_int_equal(out.index[0], 0);
  assert_int_equal(out.index[1], 3);
  assert_int_equal(out.index[2], 6);
  assert_int_equal(gx_cert_verify(&out, &set, &bh), GX_CERT_OK);
  /* once only */
  m = msg(10, &bh, 1, 1);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), 0);
  /* early quorum, completed by expect */
  for (int i = 0; i < 3; i++) {
    m = msg(11, &other, (uint16_t)i, i);
    assert_int_equal(gx_cert_collector_add(&c, &m, &out), 0);
  }
  assert_int_equal(gx_cert_collector_expect(&c, 11, &other, &out), 1);
  assert_int_equal(gx_cert_verify(&out, &set, &other), GX_CERT_OK);
  assert_int_equal(gx_cert_collector_expect(&c, 11, &bh, &out), -GX_CERT_ERR_ARG);
  /* advance: the slot of 10 is reused for 10 + WINDOW */
  gx_cert_collector_advance(&c, 12);
  m = msg(10, &bh, 2, 2);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), -GX_CERT_ERR_OLD);
  m = msg(10 + GX_CERT_WINDOW, &bh, 2, 2);
  assert_int_equal(gx_cert_collector_add(&c, &m, &out), 0);
  assert_int_equal(c.slot[10 % GX_CERT_WINDOW].height, 10 + GX_CERT_WINDOW);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  for (int i = 0; i <= N; i++) gx_key_derive(&keys[i], "cert-test", 0, (uint64_t)i);
  set.n = N;
  for (int i = 0; i < N; i++) set.key[i] = keys[i].pk;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sign_verify),
    cmocka_unit_test(test_cert_codec_and_verify),
    cmocka_unit_test(test_sig_msg_codec),
    cmocka_unit_test(test_collector),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
