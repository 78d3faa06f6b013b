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
#include "validator/gx_ledger.h"
#include <stdlib.h>

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

/* Four validators apply the same epochs (each sees the proposals in its own
 * order), sign what they got, and a collector makes each certificate; a node
 * that was down catches up from the stored black holes and certificates,
 * checking each certificate and the chain, and ends in the same state. A
 * black hole with a certificate of another block, a certificate with a
 * forged signature, or blocks out of order are refused. */
#define SV 4
static gx_ledger_t *new_ledger(void) {
  gx_ledger_cfg_t cfg;
  gx_ledger_cfg_defaults(&cfg);
  cfg.max_accounts = 64;
  cfg.max_proposers = SV;
  cfg.max_proposal_txs = 8;
  void *mem = aligned_alloc(GX_LEDGER_ALIGN, (gx_ledger_footprint(&cfg) + 63) & ~(size_t)63);
  gx_ledger_t *l = gx_ledger_new(mem, &cfg);
  assert_non_null(l);
  return l;
}

static void test_sync_catch_up(void **state) {
  (void)state;
  gx_cert_set_t vset = {.n = SV};
  for (int i = 0; i < SV; i++) vset.key[i] = keys[i].pk;
  gx_keypair_t acct[8];
  gx_ledger_alloc_t al[4];
  for (int i = 0; i < 8; i++) gx_key_derive(&acct[i], "sync-test", 0, (uint64_t)i);
  for (int i = 0; i < 4; i++) {
    al[i].account = acct[i].pk;
    al[i].amount = 100;
  }
  for (int i = 0; i < 4; i++)
    for (int j = i + 1; j < 4; j++)
      if (memcmp(al[i].account.b, al[j].account.b, 32) > 0) {
        gx_ledger_alloc_t t = al[i]; al[i] = al[j]; al[j] = t;
      }
  gx_hash_t gid = {{0x99}};
  gx_ledger_t *v[SV], *late = new_ledger();
  for (int i = 0; i < SV; i++) {
    v[i] = new_ledger();
    assert_int_equal(gx_ledger_genesis(v[i], &gid, al, 4), GX_LEDGER_OK);
  }
  assert_int_equal(gx_ledger_genesis(late, &gid, al, 4), GX_LEDGER_OK);
  static gx_cert_collector_t col;
  assert_int_equal(gx_cert_collector_init(&col, &vset, 1), GX_CERT_OK);
  static uint8_t stored_bh[3][GX_BH_HDR_SZ + 32 + 4 * GX_XFER_SZ];
  static uint8_t stored_cert[3][GX_CERT_MAX_SZ];
  size_t bh_len[3], cert_len[3];
  gx_hash_t head[8] = {{{0}}};
  uint64_t seq[8] = {0};
  for (int height = 1; height <= 3; height++) {
    /* account i pays account i+4 (fresh each time on the receiving side) */
    uint8_t tx[4][GX_XFER_SZ];
    for (int i = 0; i < 4; i++) {
      gx_xfer_t x;
      memset(&x, 0, sizeof x);
      x.initiator = acct[i].pk;
      x.counterparty = acct[i + 4].pk;
      x.amount = (uint64_t)(height + i);
      x.init_link.seq = seq[i] + 1;
      x.init_link.prev = head[i];
      x.cp_link.seq = seq[i + 4] + 1;
      x.cp_link.prev = head[i + 4];
      assert_int_equal(gx_xfer_sign_init(&x, acct[i].sk), 0);
      assert_int_equal(gx_xfer_sign_cp(&x, acct[i + 4].sk), 0);
      gx_xfer_encode(&x, tx[i]);
      gx_hash_t id;
      gx_xfer_id(&id, tx[i]);
      seq[i]++; head[i] = id;
      seq[i + 4]++; head[i + 4] = id;
    }
    gx_hash_t ids[SV];
    for (int k = 0; k < SV; k++) {
      const uint8_t *props[SV];
      uint32_t lens[SV];
      for (int p = 0; p < SV; p++) {
        props[p] = tx[(p + k) % 4];
        lens[p] = GX_XFER_SZ;
      }
      gx_ledger_block_t blk;
      assert_int_equal(gx_ledger_apply_epoch(v[k], (uint64_t)height, props, lens, SV, NULL, NULL, &blk),
                       GX_LEDGER_OK);
      assert_int_equal(blk.tx_count, 4);
      ids[k] = blk.id;
      if (k == 0) {
        bh_len[height - 1] = blk.encoded_len;
        memcpy(stored_bh[height - 1], blk.encoded, blk.encoded_len);
      }
      assert_int_equal(gx_ledger_commit(v[k]), GX_LEDGER_OK);
      assert_memory_equal(ids[k].b, ids[0].b, 32);
    }
    gx_cert_t cert;
    int done = 0;
    for (int k = SV - 1; k >= 0; k--) { /* gossip arrives in some order */
      gx_bh_sig_msg_t m = {.height = (uint64_t)height, .bh_id = ids[k], .index = (uint16_t)k};
      gx_cert_sign(&m.sig, &ids[k], keys[k].sk);
      uint8_t wire[GX_BH_SIG_MSG_SZ];
      gx_bh_sig_msg_encode(&m, wire);
      gx_bh_sig_msg_t got;
      assert_int_equal(gx_bh_sig_msg_decode(&got, wire, sizeof wire), GX_CERT_OK);
      int r = gx_cert_collector_add(&col, &got, &cert);
      assert_true(r >= 0);
      if (k == SV - 1) assert_int_equal(gx_cert_collector_expect(&col, (uint64_t)height, &ids[0], &cert), 0);
      done += r;
    }
    assert_int_equal(done, 1);
    assert_int_equal(cert.count, 2);
    cert_len[height - 1] = gx_cert_encode(&cert, stored_cert[height - 1], GX_CERT_MAX_SZ);
    assert_true(cert_len[height - 1] > 0);
  }
  /* the late node catches up */
  uint64_t hgt;
  gx_hash_t id;
  gx_ledger_block_t blk;
  /* out of order: height 2 first */
  assert_int_equal(gx_cert_check_blackhole(&vset, stored_bh[1], bh_len[1], stored_cert[1], cert_len[1], &hgt, &id),
                   GX_CERT_OK);
  assert_int_equal(gx_ledger_apply_blackhole(late, stored_bh[1], bh_len[1], NULL, NULL, &blk), GX_LEDGER_EHEIGHT);
  /* the certificate of another block */
  assert_int_equal(gx_cert_check_blackhole(&vset, stored_bh[0], bh_len[0], stored_cert[1], cert_len[1], &hgt, &id),
                   GX_CERT_ERR_SIGNATURE);
  /* a forged signature */
  static uint8_t forged[GX_CERT_MAX_SZ];
  memcpy(forged, stored_cert[0], cert_len[0]);
  forged[10] ^= 1;
  assert_int_equal(gx_cert_check_blackhole(&vset, stored_bh[0], bh_len[0], forged, cert_len[0], &hgt, &id),
                   GX_CERT_ERR_SIGNATURE);
  assert_int_equal(gx_cert_check_blackhole(&vset, forged, 10, stored_cert[0], cert_len[0], &hgt, &id),
                   GX_CERT_ERR_BLACKHOLE);
  for (int height = 1; height <= 3; height++) {
    assert_int_equal(gx_cert_check_blackhole(&vset, stored_bh[height - 1], bh_len[height - 1],
                                             stored_cert[height - 1], cert_len[height - 1], &hgt, &id),
                     GX_CERT_OK);
    assert_int_equal(hgt, (uint64_t)height);
    assert_int_equal(gx_ledger_apply_blackhole(late, stored_bh[height - 1], bh_len[height - 1], NULL, NULL, &blk),
                     GX_LEDGER_OK);
    assert_memory_equal(blk.id.b, id.b, 32);
    assert_int_equal(gx_ledger_commit(late), GX_LEDGER_OK);
  }
  gx_hash_t t1, r1, t2, r2;
  gx_ledger_tip(v[0], &t1, &r1);
  gx_ledger_tip(late, &t2, &r2);
  assert_memory_equal(t1.b, t2.b, 32);
  assert_memory_equal(r1.b, r2.b, 32);
  assert_int_equal(gx_ledger_total(late), 400);
  for (int i = 0; i < SV; i++) free(gx_ledger_delete(v[i]));
  free(gx_ledger_delete(late));
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
    cmocka_unit_test(test_sync_catch_up),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
