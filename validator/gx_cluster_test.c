/* Unit tests of gx_cluster: every member builds the same LSH block from the
 * same agreed batch (reports, duplicates, order, faults with evidence for a
 * badly signed transfer and a malformed proposal, the cap and the left-over
 * transfers, the base reported by f+1), the signature collector (quorum,
 * duplicate, bad, unknown), and certified blocks of two heights folded by a
 * galaxy (validator/gx_fold.h) into a real ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_key.h"
#include "core/gx_lsh.h"
#include "validator/gx_cluster.h"
#include "validator/gx_fold.h"

#define NMEM 4
#define NACC 16
static gx_keypair_t star[NMEM], acct[NACC];
static const gx_hash_t genesis_id = {{0x47, 0x45, 0x4e}};

static gx_cluster_cfg_t cluster_cfg(uint32_t max_block_txs) {
  gx_cluster_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.cluster = 0;
  cfg.n = NMEM;
  for (int i = 0; i < NMEM; i++) cfg.members[i] = star[i].pk;
  cfg.max_block_txs = max_block_txs;
  cfg.max_proposal_txs = 64;
  cfg.genesis_id = genesis_id;
  return cfg;
}

static gx_cluster_t *cluster_new(uint32_t max_block_txs) {
  gx_cluster_cfg_t cfg = cluster_cfg(max_block_txs);
  size_t fp = gx_cluster_footprint(&cfg);
  assert_true(fp > 0);
  gx_cluster_t *c = gx_cluster_new(aligned_alloc(64, (fp + 63) & ~(size_t)63), &cfg);
  assert_non_null(c);
  return c;
}
static void cluster_free(gx_cluster_t *c) { free(gx_cluster_delete(c)); }

/* transfer a -> b at the given seqs (chained from zero heads at seq 1) */
static void make_tx(uint8_t enc[GX_XFER_SZ], int a, int b, uint64_t amount, uint64_t nonce) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  x.initiator = acct[a].pk;
  x.counterparty = acct[b].pk;
  x.amount = amount;
  x.nonce = nonce;
  x.init_link.seq = 1;
  x.cp_link.seq = 1;
  assert_int_equal(gx_xfer_sign_init(&x, acct[a].sk), 0);
  assert_int_equal(gx_xfer_sign_cp(&x, acct[b].sk), 0);
  gx_xfer_encode(&x, enc);
}

typedef struct {
  uint8_t v[NMEM][GX_CLUSTER_PROP_HDR_SZ + 8 * GX_XFER_SZ];
  gx_acs_batch_t b;
} batch_t;

static void batch_add(batch_t *bt, uint16_t member, uint32_t round_ms, uint64_t base_height,
                      const gx_hash_t *base, const uint8_t *xfers, uint32_t count) {
  unsigned i = bt->b.count++;
  bt->b.proposer[i] = member;
  bt->b.len[i] = (uint32_t)gx_cluster_proposal_encode(bt->v[member], sizeof bt->v[member], round_ms,
                                                      base_height, base, xfers, count);
  assert_true(bt->b.len[i] > 0);
  bt->b.value[i] = bt->v[member];
}

static void test_same_block_everywhere(void **state) {
  (void)state;
  uint8_t t[5][GX_XFER_SZ];
  for (int i = 0; i < 5; i++) make_tx(t[i], i, 8 + i, 10, 1);
  /* member 0: t0 t1 t2; member 1: t2 t3 (t2 twice); member 2: t4; member 3 silent */
  uint8_t p0[3 * GX_XFER_SZ], p1[2 * GX_XFER_SZ];
  memcpy(p0, t[0], GX_XFER_SZ);
  memcpy(p0 + GX_XFER_SZ, t[1], GX_XFER_SZ);
  memcpy(p0 + 2 * GX_XFER_SZ, t[2], GX_XFER_SZ);
  memcpy(p1, t[2], GX_XFER_SZ);
  memcpy(p1 + GX_XFER_SZ, t[3], GX_XFER_SZ);
  static batch_t bt;
  memset(&bt, 0, sizeof bt);
  batch_add(&bt, 1, 90, 0, &genesis_id, p1, 2);
  batch_add(&bt, 0, 80, 0, &genesis_id, p0, 3);
  batch_add(&bt, 2, 70, 0, &genesis_id, t[4], 1);
  gx_cluster_block_t out[NMEM];
  gx_cluster_t *c[NMEM];
  for (int m = 0; m < NMEM; m++) {
    c[m] = cluster_new(64);
    assert_int_equal(gx_cluster_build(c[m], &bt.b, NULL, NULL, &out[m]), GX_CLUSTER_OK);
    assert_int_equal(out[m].block_len, out[0].block_len);
    assert_memory_equal(out[m].block, out[0].block, out[0].block_len);
  }
  assert_int_equal(out[0].tx_count, 5);
  assert_int_equal(out[0].duplicates, 1);
  assert_int_equal(out[0].height, 1);
  assert_int_equal(out[0].left_count, 0);
  /* the block decodes once certified; reports say who was in */
  const uint8_t *cert = NULL;
  size_t cert_len = 0;
  for (int s = 0; s < 3; s++) {
    gx_sig_t sig;
    gx_lsh_sign(&sig, &out[0].id, star[s].sk);
    assert_int_equal(gx_cluster_add_sig(c[0], &out[0].id, (uint16_t)s, &sig, &cert, &cert_len),
                     GX_CLUSTER_OK);
    if (s < 2) assert_null(cert);
  }
  assert_non_null(cert);
  gx_lsh_t b;
  assert_int_equal(gx_lsh_decode(&b, cert, cert_len), GX_PROTO_OK);
  gx_hash_t id;
  gx_lsh_id(&id, &b);
  assert_memory_equal(id.b, out[0].id.b, 32);
  assert_int_equal(b.sig_count, 3);
  static gx_hash_t ids[64], scratch[64];
  assert_int_equal(gx_lsh_check_root(&b, ids, scratch), 0);
  gx_lsh_report_t r;
  gx_lsh_report(&b, 0, &r);
  assert_int_equal(r.flags, GX_LSH_REPORT_INCLUDED);
  assert_int_equal(r.proposed, 3);
  assert_int_equal(r.round_ms, 80);
  gx_lsh_report(&b, 3, &r);
  assert_int_equal(r.flags, 0);
  assert_int_equal(r.proposed, 0);
  /* transfers in (initiator, seq, id) order */
  for (uint32_t k = 1; k < b.h.tx_count; k++)
    assert_true(memcmp(b.xfers + (k - 1) * GX_XFER_SZ + GX_XFER_OFF_INITIATOR,
                       b.xfers + k * GX_XFER_SZ + GX_XFER_OFF_INITIATOR, 32) < 0);
  /* the collector: duplicate, bad, unknown, out of range */
  gx_sig_t sig;
  gx_lsh_sign(&sig, &out[0].id, star[1].sk);
  assert_int_equal(gx_cluster_add_sig(c[0], &out[0].id, 1, &sig, NULL, NULL), GX_CLUSTER_EDUPLICATE);
  assert_int_equal(gx_cluster_add_sig(c[0], &out[0].id, 3, &sig, NULL, NULL), GX_CLUSTER_ESIGNATURE);
  assert_int_equal(gx_cluster_add_sig(c[0], &genesis_id, 3, &sig, NULL, NULL), GX_CLUSTER_EUNKNOWN);
  assert_int_equal(gx_cluster_add_sig(c[0], &out[0].id, 9, &sig, NULL, NULL), GX_CLUSTER_EMEMBER);
  const uint8_t *again;
  size_t again_len;
  assert_int_equal(gx_cluster_certified(c[0], &out[0].id, &again, &again_len), 0);
  assert_int_equal(again_len, cert_len);
  assert_int_equal(gx_cluster_certified(c[1], &out[0].id, &again, &again_len), -1);
  for (int m = 0; m < NMEM; m++) cluster_free(c[m]);
}

static void test_faults_cap_and_base(void **state) {
  (void)state;
  uint8_t good[3][GX_XFER_SZ], bad[GX_XFER_SZ];
  for (int i = 0; i < 3; i++) make_tx(good[i], i, 8 + i, 10, 2);
  make_tx(bad, 5, 6, 10, 2);
  bad[130] ^= 1; /* initiator signature */
  uint8_t p0[2 * GX_XFER_SZ];
  memcpy(p0, good[0], GX_XFER_SZ);
  memcpy(p0 + GX_XFER_SZ, bad, GX_XFER_SZ);
  uint8_t p1[2 * GX_XFER_SZ];
  memcpy(p1, good[1], GX_XFER_SZ);
  memcpy(p1 + GX_XFER_SZ, good[2], GX_XFER_SZ);
  static batch_t bt;
  memset(&bt, 0, sizeof bt);
  gx_hash_t a = {{0xA}}, b7 = {{0xB}};
  batch_add(&bt, 0, 1, 5, &a, p0, 2);
  batch_add(&bt, 1, 1, 5, &a, p1, 2);
  batch_add(&bt, 3, 1, 7, &b7, NULL, 0);
  /* member 2's proposal: not whole transfers */
  bt.b.proposer[bt.b.count] = 2;
  memset(bt.v[2], 0, sizeof bt.v[2]);
  bt.b.value[bt.b.count] = bt.v[2];
  bt.b.len[bt.b.count] = GX_CLUSTER_PROP_HDR_SZ + 100;
  bt.b.count++;
  gx_cluster_t *c = cluster_new(2);
  gx_cluster_block_t out;
  assert_int_equal(gx_cluster_build(c, &bt.b, NULL, NULL, &out), GX_CLUSTER_OK);
  assert_int_equal(out.tx_count, 2);     /* the cap */
  assert_int_equal(out.left_count, 1);   /* the third good one goes back to the pool */
  assert_int_equal(out.bad_signature, 1);
  assert_int_equal(out.malformed, 1);
  gx_lsh_t blk;
  /* decode needs a certificate: sign with 3 members */
  const uint8_t *cert = NULL;
  size_t cert_len = 0;
  for (int s = 0; s < 3; s++) {
    gx_sig_t sig;
    gx_lsh_sign(&sig, &out.id, star[s].sk);
    gx_cluster_add_sig(c, &out.id, (uint16_t)s, &sig, &cert, &cert_len);
  }
  assert_non_null(cert);
  assert_int_equal(gx_lsh_decode(&blk, cert, cert_len), GX_PROTO_OK);
  assert_int_equal(blk.h.fault_count, 2);
  gx_lsh_fault_t f0, f1;
  gx_lsh_fault(&blk, 0, &f0);
  gx_lsh_fault(&blk, 1, &f1);
  assert_int_equal(f0.member, 0);
  assert_int_equal(f0.kind, GX_LSH_FAULT_BAD_SIGNATURE);
  gx_hash_t bad_id;
  gx_xfer_id(&bad_id, bad);
  assert_memory_equal(f0.evidence.b, bad_id.b, 32);
  assert_int_equal(f1.member, 2);
  assert_int_equal(f1.kind, GX_LSH_FAULT_INVALID_MSG);
  /* base: (5, a) is reported by 2 = f+1 members, (7, b) by one */
  assert_int_equal(blk.h.base_height, 5);
  assert_memory_equal(blk.h.base.b, a.b, 32);
  gx_lsh_report_t r;
  gx_lsh_report(&blk, 2, &r);
  assert_int_equal(r.flags, GX_LSH_REPORT_INCLUDED); /* in the agreed set, though invalid */
  assert_int_equal(r.proposed, 0);
  /* next block: everyone reports an older base; the block keeps 5 */
  static batch_t bt2;
  memset(&bt2, 0, sizeof bt2);
  gx_hash_t old = {{0x3}};
  for (uint16_t m = 0; m < 3; m++) batch_add(&bt2, m, 1, 3, &old, NULL, 0);
  assert_int_equal(gx_cluster_build(c, &bt2.b, NULL, NULL, &out), GX_CLUSTER_OK);
  assert_int_equal(out.height, 2);
  uint64_t bh;
  gx_cluster_tip(c, NULL, &bh);
  assert_int_equal(bh, 5);
  /* an ACS batch has at least n - f proposals */
  bt2.b.count = 2;
  assert_int_equal(gx_cluster_build(c, &bt2.b, NULL, NULL, &out), GX_CLUSTER_EINVAL);
  cluster_free(c);
}

static int cmp_alloc(const void *x, const void *y) {
  return memcmp(((const gx_ledger_alloc_t *)x)->account.b, ((const gx_ledger_alloc_t *)y)->account.b, 32);
}

static void test_cluster_to_galaxy(void **state) {
  (void)state;
  /* ledger + fold of a galaxy that knows this one cluster */
  gx_fold_cfg_t fc;
  gx_fold_cfg_defaults(&fc);
  fc.cluster_count = 1;
  fc.sample_per_65536 = 65536;
  fc.max_block_txs = 64;
  fc.max_blocks = 4;
  gx_ledger_cfg_t lc;
  gx_ledger_cfg_defaults(&lc);
  lc.max_accounts = 256;
  gx_fold_ledger_cfg(&fc, &lc);
  gx_ledger_t *l = gx_ledger_new(aligned_alloc(64, (gx_ledger_footprint(&lc) + 63) & ~(size_t)63), &lc);
  assert_non_null(l);
  gx_ledger_alloc_t al[NACC];
  for (int i = 0; i < NACC; i++) {
    al[i].account = acct[i].pk;
    al[i].amount = 100;
  }
  qsort(al, NACC, sizeof al[0], cmp_alloc);
  assert_int_equal(gx_ledger_genesis(l, &genesis_id, al, NACC), GX_LEDGER_OK);
  gx_fold_cluster_t cl;
  cl.n = NMEM;
  for (int i = 0; i < NMEM; i++) cl.members[i] = star[i].pk;
  gx_fold_t *f = gx_fold_new(aligned_alloc(64, (gx_fold_footprint(&fc) + 63) & ~(size_t)63), &fc, &cl,
                             &genesis_id);
  assert_non_null(f);
  gx_cluster_t *c = cluster_new(64);
  /* two cluster epochs: 0 -> 8 and 1 -> 9 */
  const uint8_t *blocks[2];
  size_t lens[2];
  static uint8_t copy[2][65536];
  for (int e = 0; e < 2; e++) {
    uint8_t t[GX_XFER_SZ];
    make_tx(t, e, 8 + e, 10, 3);
    static batch_t bt;
    memset(&bt, 0, sizeof bt);
    for (uint16_t m = 0; m < 3; m++) batch_add(&bt, m, 50, 0, &genesis_id, t, 1);
    gx_cluster_block_t out;
    assert_int_equal(gx_cluster_build(c, &bt.b, NULL, NULL, &out), GX_CLUSTER_OK);
    const uint8_t *cert = NULL;
    size_t cert_len = 0;
    for (uint16_t s = 1; s < 4; s++) {
      gx_sig_t sig;
      gx_lsh_sign(&sig, &out.id, star[s].sk);
      gx_cluster_add_sig(c, &out.id, s, &sig, &cert, &cert_len);
    }
    assert_non_null(cert);
    memcpy(copy[e], cert, cert_len);
    blocks[e] = copy[e];
    lens[e] = cert_len;
    assert_int_equal(gx_fold_check(f, blocks[e], lens[e], NULL), GX_FOLD_V_OK);
  }
  gx_fold_result_t r;
  assert_int_equal(gx_fold_apply(f, l, 0, blocks, lens, 2, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 2);
  assert_int_equal(r.ledger.tx_count, 2);
  assert_int_equal(r.sig_checked, 2);
  assert_int_equal(gx_ledger_commit(l), GX_LEDGER_OK);
  assert_int_equal(gx_fold_commit(f), GX_FOLD_OK);
  gx_ledger_account_t a;
  assert_int_equal(gx_ledger_account(l, &acct[8].pk, &a), 0);
  assert_int_equal(a.balance, 110);
  gx_fold_cluster_state_t cs;
  gx_fold_cluster_state(f, 0, &cs);
  assert_int_equal(cs.height, 2);
  cluster_free(c);
  free(gx_fold_delete(f));
  free(gx_ledger_delete(l));
}

int main(void) {
  if (sodium_init() < 0) return 1;
  for (int i = 0; i < NMEM; i++) gx_key_derive(&star[i], "cluster-test-star", 0, (uint64_t)i);
  for (int i = 0; i < NACC; i++) gx_key_derive(&acct[i], "cluster-test-acct", 0, (uint64_t)i);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_block_everywhere),
      cmocka_unit_test(test_faults_cap_and_base),
      cmocka_unit_test(test_cluster_to_galaxy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
