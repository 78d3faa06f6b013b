/* Validator links: round trip, spoofing, corruption, replays (same boot,
 * window edges, older boot), restarts with a newer boot, unknown peers; the
 * payload limit (1436 bytes sealed and opened, 1437 refused both ways). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "dataplane/gx_link.h"

enum { N = 4 };
static gx_keypair_t keys[N];
static gx_pubkey_t pks[N];
static gx_link_t links[N];

static int setup(void **st) {
  (void)st;
  if (sodium_init() < 0) return -1;
  for (int i = 0; i < N; i++) {
    gx_key_derive(&keys[i], "link-test", 0, (uint64_t)i);
    pks[i] = keys[i].pk;
  }
  for (int i = 0; i < N; i++)
    if (gx_link_init(&links[i], (uint16_t)i, &keys[i], pks, N, 1000 + (uint64_t)i)) return -1;
  return 0;
}

static gx_link_err_t deliver(int to, const uint8_t *d, size_t len, uint16_t *from, size_t *plen,
                             const uint8_t **p) {
  return gx_link_open(&links[to], d, len, from, p, plen);
}

static void test_roundtrip_all_pairs(void **st) {
  (void)st;
  uint8_t buf[1500];
  const char *msg = "hello validator";
  for (int a = 0; a < N; a++)
    for (int b = 0; b < N; b++) {
      if (a == b) {
        assert_int_equal(gx_link_seal(&links[a], (uint16_t)b, (const uint8_t *)msg, 5, buf, sizeof buf), 0);
        continue;
      }
      size_t len = gx_link_seal(&links[a], (uint16_t)b, (const uint8_t *)msg, strlen(msg), buf, sizeof buf);
      assert_int_equal(len, strlen(msg) + GX_LINK_OVERHEAD);
      uint16_t from;
      size_t plen;
      const uint8_t *p;
      assert_int_equal(deliver(b, buf, len, &from, &plen, &p), GX_LINK_OK);
      assert_int_equal(from, a);
      assert_int_equal(plen, strlen(msg));
      assert_memory_equal(p, msg, plen);
      /* the same datagram again is a replay */
      assert_int_equal(deliver(b, buf, len, &from, &plen, &p), GX_LINK_ERR_REPLAY);
      /* a third validator cannot open a datagram meant for b */
      int c = (b + 1) % N == a ? (b + 2) % N : (b + 1) % N;
      gx_link_err_t e = deliver(c, buf, len, &from, &plen, &p);
      assert_true(e == GX_LINK_ERR_BAD_TAG || e == GX_LINK_ERR_REPLAY);
    }
}

static void test_spoof_and_corruption(void **st) {
  (void)st;
  uint8_t buf[1500], payload[100];
  memset(payload, 7, sizeof payload);
  uint16_t from;
  size_t plen;
  const uint8_t *p;
  size_t len = gx_link_seal(&links[0], 1, payload, sizeof payload, buf, sizeof buf);
  /* claim to be validator 2: the tag was made with 0's key */
  buf[2] = 2;
  gx_link_err_t spoof = deliver(1, buf, len, &from, &plen, &p);
  assert_true(spoof == GX_LINK_ERR_BAD_TAG || spoof == GX_LINK_ERR_REPLAY);
  buf[11] ^= 0x01; /* and with a boot far ahead of anything seen: the tag decides */
  assert_int_equal(deliver(1, buf, len, &from, &plen, &p), GX_LINK_ERR_BAD_TAG);
  buf[11] ^= 0x01;
  buf[2] = 0;
  for (size_t i = 0; i < len; i += 7) {
    if (i == 2 || i == 3) continue; /* sender index: covered above */
    buf[i] ^= 0x20;
    gx_link_err_t e = deliver(1, buf, len, &from, &plen, &p);
    assert_true(e == GX_LINK_ERR_BAD_TAG || e == GX_LINK_ERR_MALFORMED || e == GX_LINK_ERR_REPLAY);
    buf[i] ^= 0x20;
  }
  assert_int_equal(deliver(1, buf, len, &from, &plen, &p), GX_LINK_OK); /* intact one still works */
  assert_int_equal(deliver(1, buf, 10, &from, &plen, &p), GX_LINK_ERR_MALFORMED);
  buf[2] = 60;
  assert_int_equal(deliver(1, buf, len, &from, &plen, &p), GX_LINK_ERR_UNKNOWN_PEER);
  assert_true(links[1].stats[GX_LINK_ERR_BAD_TAG] > 0);
  assert_true(links[1].stats[GX_LINK_ERR_MALFORMED] > 0);
}

static void test_reordering_window_and_restart(void **st) {
  (void)st;
  enum { M = 3000 };
  static uint8_t dg[M][64];
  size_t lens[M];
  uint16_t from;
  size_t plen;
  const uint8_t *p;
  uint8_t payload[8] = {0};
  for (int i = 0; i < M; i++) lens[i] = gx_link_seal(&links[2], 3, payload, sizeof payload, dg[i], sizeof dg[i]);
  /* out of order inside the window: all accepted once */
  for (int i = 1; i < 500; i += 2) assert_int_equal(deliver(3, dg[i], lens[i], &from, &plen, &p), GX_LINK_OK);
  for (int i = 0; i < 500; i += 2) assert_int_equal(deliver(3, dg[i], lens[i], &from, &plen, &p), GX_LINK_OK);
  for (int i = 0; i < 500; i++) assert_int_equal(deliver(3, dg[i], lens[i], &from, &plen, &p), GX_LINK_ERR_REPLAY);
  /* jump far ahead: old ones fall below the window */
  assert_int_equal(deliver(3, dg[M - 1], lens[M - 1], &from, &plen, &p), GX_LINK_OK);
  assert_int_equal(deliver(3, dg[600], lens[600], &from, &plen, &p), GX_LINK_ERR_REPLAY);
  assert_int_equal(deliver(3, dg[M - 100], lens[M - 100], &from, &plen, &p), GX_LINK_OK);
  assert_int_equal(deliver(3, dg[M - 100], lens[M - 100], &from, &plen, &p), GX_LINK_ERR_REPLAY);
  /* sender restarts with a newer boot: counters start again and are accepted */
  gx_link_t restarted;
  assert_int_equal(gx_link_init(&restarted, 2, &keys[2], pks, N, 5000), 0);
  uint8_t fresh[64];
  size_t flen = gx_link_seal(&restarted, 3, payload, sizeof payload, fresh, sizeof fresh);
  assert_int_equal(deliver(3, fresh, flen, &from, &plen, &p), GX_LINK_OK);
  /* datagrams of the old boot are now replays */
  assert_int_equal(deliver(3, dg[M - 50], lens[M - 50], &from, &plen, &p), GX_LINK_ERR_REPLAY);
}

/* A datagram with payload_len bytes and a valid tag from a to b, made by hand
 * (as a sender without the limit would): the limit, not the tag, decides. */
static size_t forge(int a, int b, uint64_t counter, size_t payload_len, uint8_t *out) {
  out[0] = 1;
  out[1] = GX_LINK_MSG_TYPE;
  out[2] = (uint8_t)a;
  out[3] = 0;
  uint64_t boot = links[a].boot;
  for (int i = 0; i < 8; i++) out[4 + i] = (uint8_t)(boot >> (8 * i));
  for (int i = 0; i < 8; i++) out[12 + i] = (uint8_t)(counter >> (8 * i));
  memset(out + GX_LINK_HDR_SZ, 0x5A, payload_len);
  uint8_t nonce[24] = {0};
  memcpy(nonce, out + 4, 16);
  unsigned long long taglen;
  uint8_t empty[1] = {0};
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(empty, out + GX_LINK_HDR_SZ + payload_len, &taglen,
                                                      empty, 0, out, GX_LINK_HDR_SZ + payload_len, NULL,
                                                      nonce, links[a].peers[b].tx_key);
  return GX_LINK_HDR_SZ + payload_len + GX_LINK_TAG_SZ;
}

static void test_payload_limit(void **st) {
  (void)st;
  static uint8_t big[8100], dg[8200];
  memset(big, 0x5A, sizeof big);
  uint16_t from;
  size_t plen;
  const uint8_t *p;
  assert_int_equal(GX_LINK_PAYLOAD_MAX, 1436);
  assert_int_equal(GX_LINK_PAYLOAD_MAX + GX_LINK_OVERHEAD, 1472); /* one IPv4 UDP payload */
  /* seal: 1436 accepted (a 1472-byte datagram), 1437 and 8000 refused */
  size_t len = gx_link_seal(&links[0], 3, big, 1436, dg, sizeof dg);
  assert_int_equal(len, 1472);
  assert_int_equal(deliver(3, dg, len, &from, &plen, &p), GX_LINK_OK);
  assert_int_equal(plen, 1436);
  assert_int_equal(gx_link_seal(&links[0], 3, big, 1437, dg, sizeof dg), 0);
  assert_int_equal(gx_link_seal(&links[0], 3, big, 8000, dg, sizeof dg), 0);
  /* open: hand-made datagrams with valid tags, fresh counters */
  uint64_t ctr = links[0].peers[3].tx_counter + 100;
  uint64_t malformed = links[3].stats[GX_LINK_ERR_MALFORMED];
  len = forge(0, 3, ctr++, 1436, dg);
  assert_int_equal(deliver(3, dg, len, &from, &plen, &p), GX_LINK_OK);
  assert_int_equal(plen, 1436);
  const size_t over[] = {1437, 1438, 4000, 8000};
  for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
    len = forge(0, 3, ctr++, over[i], dg);
    assert_int_equal(deliver(3, dg, len, &from, &plen, &p), GX_LINK_ERR_MALFORMED);
  }
  assert_int_equal(links[3].stats[GX_LINK_ERR_MALFORMED], malformed + 4);
  assert_string_equal(gx_link_err_label(GX_LINK_ERR_MALFORMED), "malformed");
  /* a refused one did not move the window: the same counter within the limit still opens */
  len = forge(0, 3, ctr - 1, 1436, dg);
  assert_int_equal(deliver(3, dg, len, &from, &plen, &p), GX_LINK_OK);
}

static void test_bad_init(void **st) {
  (void)st;
  gx_link_t l;
  assert_int_equal(gx_link_init(&l, 4, &keys[0], pks, N, 1), -1);
  assert_int_equal(gx_link_init(&l, 0, &keys[0], pks, N, 0), -1);
  assert_int_equal(gx_link_init(&l, 0, &keys[0], pks, GX_LINK_MAX_PEERS + 1, 1), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_roundtrip_all_pairs),
    cmocka_unit_test(test_spoof_and_corruption),
    cmocka_unit_test(test_reordering_window_and_restart),
    cmocka_unit_test(test_payload_limit),
    cmocka_unit_test(test_bad_init),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
