/* gx_cmsg: every message type round-trips; every malformed form is rejected
 * with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "consensus/gx_cmsg.h"
#include "core/gx_util.h"

static void test_frag_roundtrip(void **st) {
  (void)st;
  uint8_t buf[GX_CMSG_MAX], data[3000];
  gx_hash_t root, branch[3];
  gx_cmsg_t m;
  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7);
  memset(root.b, 0xAB, 32);
  for (int i = 0; i < 3; i++) memset(branch[i].b, i + 1, 32);
  /* stripe of 3000 bytes: fragments at 0, 1152 (full) and 2304 (696 bytes) */
  for (uint32_t off = 0; off < 3000; off += GX_CMSG_FRAG) {
    size_t n = gx_cmsg_encode_frag(buf, GX_CMSG_RBC_ECHO, 77, 5, &root, 9, branch, 3, 3000, off,
                                   data + off);
    assert_int_equal(n, GX_CMSG_HDR + 44 + 96 + gx_cmsg_frag_len(3000, off));
    assert_true(n <= GX_CMSG_MAX);
    assert_int_equal(gx_cmsg_decode(&m, buf, n), GX_CMSG_OK);
    assert_int_equal(m.type, GX_CMSG_RBC_ECHO);
    assert_int_equal(m.epoch, 77);
    assert_int_equal(m.instance, 5);
    assert_int_equal(m.u.frag.stripe_index, 9);
    assert_int_equal(m.u.frag.stripe_len, 3000);
    assert_int_equal(m.u.frag.frag_off, off);
    assert_memory_equal(m.u.frag.root.b, root.b, 32);
    assert_memory_equal(m.u.frag.branch, branch, 96);
    assert_memory_equal(m.u.frag.data, data + off, m.u.frag.frag_len);
    /* trailing byte, missing byte */
    assert_int_equal(gx_cmsg_decode(&m, buf, n - 1), GX_CMSG_ERR_SHORT);
    buf[n] = 0;
    assert_int_equal(gx_cmsg_decode(&m, buf, n + 1), GX_CMSG_ERR_LENGTH);
  }
  /* the largest fragment with the longest branch fits one UDP payload */
  gx_hash_t b6[GX_CMSG_MAX_BRANCH] = {0};
  size_t n = gx_cmsg_encode_frag(buf, GX_CMSG_RBC_VAL, 1, 1, &root, 1, b6, GX_CMSG_MAX_BRANCH,
                                 5000, 0, data);
  assert_true(n > 0 && n <= GX_CMSG_MAX);
}

static void test_frag_rejects(void **st) {
  (void)st;
  uint8_t buf[GX_CMSG_MAX], data[2000] = {0};
  gx_hash_t root = {{0}}, branch[1] = {{{0}}};
  gx_cmsg_t m;
  size_t n = gx_cmsg_encode_frag(buf, GX_CMSG_RBC_VAL, 1, 2, &root, 3, branch, 1, 2000, 0, data);
  assert_true(n > 0);
  uint8_t t[GX_CMSG_MAX];
  memcpy(t, buf, n); t[0] = 2;
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_VERSION);
  memcpy(t, buf, n); t[1] = 0x3F;
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_TYPE);
  memcpy(t, buf, n); t[1] = 0x48;
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_TYPE);
  memcpy(t, buf, n); gx_st16(t + 10, GX_CONS_MAX_N);            /* instance */
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_RANGE);
  memcpy(t, buf, n); t[GX_CMSG_HDR + 32] = GX_CONS_MAX_N;        /* stripe index */
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_RANGE);
  memcpy(t, buf, n); t[GX_CMSG_HDR + 33] = 7;                    /* branch too long */
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_RANGE);
  memcpy(t, buf, n); gx_st32(t + GX_CMSG_HDR + 34, 0);           /* empty stripe */
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_RANGE);
  memcpy(t, buf, n); gx_st32(t + GX_CMSG_HDR + 38, 100);         /* unaligned offset */
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_RANGE);
  memcpy(t, buf, n); gx_st32(t + GX_CMSG_HDR + 38, 2400);        /* offset past end */
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_RANGE);
  memcpy(t, buf, n); gx_st16(t + GX_CMSG_HDR + 42, 1199);        /* wrong frag_len */
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_RANGE);
  memcpy(t, buf, n); gx_st32(t + GX_CMSG_HDR + 34, GX_CMSG_MAX_STRIPE + 1);
  assert_int_equal(gx_cmsg_decode(&m, t, n), GX_CMSG_ERR_RANGE);
  assert_int_equal(gx_cmsg_decode(&m, buf, 5), GX_CMSG_ERR_SHORT);
  assert_int_equal(gx_cmsg_decode(&m, buf, GX_CMSG_HDR + 10), GX_CMSG_ERR_SHORT);
  /* encoder refuses what the decoder would refuse */
  assert_int_equal(gx_cmsg_encode_frag(buf, GX_CMSG_RBC_READY, 1, 2, &root, 3, branch, 1, 2000, 0, data), 0);
  assert_int_equal(gx_cmsg_encode_frag(buf, GX_CMSG_RBC_VAL, 1, 2, &root, 3, branch, 1, 2000, 7, data), 0);
}

static void test_votes_ready_coin(void **st) {
  (void)st;
  uint8_t buf[GX_CMSG_MAX];
  gx_cmsg_t m;
  static const uint8_t types[] = {GX_CMSG_BA_BVAL, GX_CMSG_BA_AUX, GX_CMSG_BA_CONF, GX_CMSG_BA_TERM};
  for (unsigned k = 0; k < 4; k++) {
    uint8_t v = types[k] == GX_CMSG_BA_CONF ? 3 : 1;
    uint16_t r = types[k] == GX_CMSG_BA_TERM ? 0 : 9;
    size_t n = gx_cmsg_encode_vote(buf, types[k], 1ull << 40, 3, r, v);
    assert_int_equal(n, GX_CMSG_HDR + 3);
    assert_int_equal(gx_cmsg_decode(&m, buf, n), GX_CMSG_OK);
    assert_int_equal(m.type, types[k]);
    assert_int_equal(m.epoch, 1ull << 40);
    assert_int_equal(m.u.vote.round, r);
    assert_int_equal(m.u.vote.value, v);
    buf[GX_CMSG_HDR + 2] = types[k] == GX_CMSG_BA_CONF ? 0 : 2;   /* non-canonical value */
    assert_int_equal(gx_cmsg_decode(&m, buf, n), GX_CMSG_ERR_RANGE);
    assert_int_equal(gx_cmsg_decode(&m, buf, n + 1), GX_CMSG_ERR_LENGTH);
  }
  assert_int_equal(gx_cmsg_encode_vote(buf, GX_CMSG_BA_TERM, 1, 1, 3, 1), 0); /* TERM has no round */
  assert_int_equal(gx_cmsg_encode_vote(buf, GX_CMSG_BA_BVAL, 1, 1, GX_CMSG_MAX_ROUND + 1, 1), 0);
  size_t n = gx_cmsg_encode_vote(buf, GX_CMSG_BA_TERM, 1, 1, 0, 1);
  gx_st16(buf + GX_CMSG_HDR, 1);
  assert_int_equal(gx_cmsg_decode(&m, buf, n), GX_CMSG_ERR_RANGE);

  gx_hash_t root;
  memset(root.b, 0x11, 32);
  n = gx_cmsg_encode_ready(buf, 5, 6, &root);
  assert_int_equal(gx_cmsg_decode(&m, buf, n), GX_CMSG_OK);
  assert_memory_equal(m.u.ready.root.b, root.b, 32);
  assert_int_equal(gx_cmsg_decode(&m, buf, n - 1), GX_CMSG_ERR_SHORT);

  uint8_t s[32], c[32], z[32];
  memset(s, 1, 32); memset(c, 2, 32); memset(z, 3, 32);
  n = gx_cmsg_encode_coin(buf, 8, 2, 5, s, c, z);
  assert_int_equal(n, GX_CMSG_HDR + 98);
  assert_int_equal(gx_cmsg_decode(&m, buf, n), GX_CMSG_OK);
  assert_int_equal(m.u.coin.round, 5);
  assert_memory_equal(m.u.coin.share, s, 32);
  assert_memory_equal(m.u.coin.c, c, 32);
  assert_memory_equal(m.u.coin.z, z, 32);
  assert_int_equal(gx_cmsg_decode(&m, buf, n + 1), GX_CMSG_ERR_LENGTH);
  assert_string_equal(gx_cmsg_strerror(GX_CMSG_ERR_TYPE), "not a consensus message type");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_frag_roundtrip),
    cmocka_unit_test(test_frag_rejects),
    cmocka_unit_test(test_votes_ready_coin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
