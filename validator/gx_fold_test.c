/* Unit tests of gx_fold: LSH blocks of two clusters folded into black holes
 * through a real ledger; every verdict (malformed, unknown cluster, members,
 * root, certificate short of 2f+1, stale, deferred then folded, broken prev,
 * base, conflict with evidence, sampled bad signature with evidence, duplicate
 * block, overflow), a transfer folded from two clusters applied once, a double
 * spend across clusters committed once with an equivocation proof, the sample
 * rate, two galaxies folding the same set in different orders agreeing, the
 * refs codec, and the block pool (validator/gx_lshpool.h). */
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
#include "validator/gx_fold.h"
#include "validator/gx_lshpool.h"

#define NACC 64
#define NCL 2
#define NMEM 4
static gx_keypair_t acct[NACC];
static gx_keypair_t star[NCL][NMEM];
static gx_fold_cluster_t clusters[NCL];
static const gx_hash_t genesis_id = {{0x67, 0x65, 0x6e}};

typedef struct {
  uint64_t balance, seq;
  gx_hash_t head;
} model_t;
static model_t model[NACC];

typedef struct {
  gx_ledger_t *ledger;
  gx_fold_t *fold;
} galaxy_t;

static int cmp_alloc(const void *a, const void *b) {
  return memcmp(((const gx_ledger_alloc_t *)a)->account.b, ((const gx_ledger_alloc_t *)b)->account.b, 32);
}

static galaxy_t galaxy_new(uint32_t sample, uint32_t max_blocks) {
  galaxy_t g;
  gx_fold_cfg_t fc;
  gx_fold_cfg_defaults(&fc);
  fc.cluster_count = NCL;
  fc.sample_per_65536 = sample;
  fc.max_block_txs = 256;
  fc.max_blocks = max_blocks;
  gx_ledger_cfg_t lc;
  gx_ledger_cfg_defaults(&lc);
  lc.max_accounts = 1024;
  gx_fold_ledger_cfg(&fc, &lc);
  size_t lfp = gx_ledger_footprint(&lc);
  assert_true(lfp > 0);
  g.ledger = gx_ledger_new(aligned_alloc(64, (lfp + 63) & ~(size_t)63), &lc);
  assert_non_null(g.ledger);
  gx_ledger_alloc_t al[NACC];
  for (int i = 0; i < NACC; i++) {
    al[i].account = acct[i].pk;
    al[i].amount = 1000;
  }
  qsort(al, NACC, sizeof al[0], cmp_alloc);
  assert_int_equal(gx_ledger_genesis(g.ledger, &genesis_id, al, NACC), GX_LEDGER_OK);
  size_t ffp = gx_fold_footprint(&fc);
  assert_true(ffp > 0);
  g.fold = gx_fold_new(aligned_alloc(64, (ffp + 63) & ~(size_t)63), &fc, clusters, &genesis_id);
  assert_non_null(g.fold);
  return g;
}

static void galaxy_free(galaxy_t *g) {
  free(gx_ledger_delete(g->ledger));
  free(gx_fold_delete(g->fold));
}

static void reset_model(void) {
  memset(model, 0, sizeof model);
  for (int i = 0; i < NACC; i++) model[i].balance = 1000;
}

static void make_tx(uint8_t enc[GX_XFER_SZ], int a, int b, uint64_t amount, uint64_t nonce) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  x.initiator = acct[a].pk;
  x.counterparty = acct[b].pk;
  x.amount = amount;
  x.nonce = nonce;
  x.init_link.seq = model[a].seq + 1;
  x.init_link.prev = model[a].head;
  x.cp_link.seq = model[b].seq + 1;
  x.cp_link.prev = model[b].head;
  assert_int_equal(gx_xfer_sign_init(&x, acct[a].sk), 0);
  assert_int_equal(gx_xfer_sign_cp(&x, acct[b].sk), 0);
  gx_xfer_encode(&x, enc);
}

static void model_apply(const uint8_t enc[GX_XFER_SZ], int a, int b, uint64_t amount) {
  gx_hash_t id;
  gx_xfer_id(&id, enc);
  model[a].balance -= amount;
  model[a].seq++;
  model[a].head = id;
  model[b].balance += amount;
  model[b].seq++;
  model[b].head = id;
}

/* An LSH block of cluster c, signed by the members in `signers` (bitmask). */
typedef struct {
  uint8_t buf[16384 + 256 * GX_XFER_SZ];
  size_t len;
  gx_hash_t id;
} blk_t;

static void make_block(blk_t *out, uint32_t c, uint64_t height, const gx_hash_t *prev,
                       uint64_t base_height, const gx_hash_t *base, const uint8_t *xfers,
                       uint32_t count, uint64_t signers) {
  gx_lsh_header_t h;
  memset(&h, 0, sizeof h);
  h.cluster = c;
  h.height = height;
  if (prev) h.prev = *prev;
  h.base_height = base_height;
  h.base = *base;
  h.tx_count = count;
  h.member_count = NMEM;
  static gx_hash_t ids[256], scratch[256];
  assert_int_equal(gx_lsh_tx_root(&h.tx_root, xfers, count, ids, scratch), 0);
  gx_lsh_report_t rep[NMEM];
  for (int i = 0; i < NMEM; i++) {
    rep[i].flags = GX_LSH_REPORT_INCLUDED;
    rep[i].proposed = count;
    rep[i].round_ms = 100 + (uint32_t)i;
  }
  out->len = gx_lsh_encode_unsigned(out->buf, sizeof out->buf, &h, rep, NULL, xfers);
  assert_true(out->len > 0);
  gx_lsh_id_body(&out->id, out->buf, gx_lsh_body_size(NMEM, 0));
  gx_lsh_sig_t sigs[NMEM];
  uint16_t ns = 0;
  for (int i = 0; i < NMEM; i++)
    if (signers >> i & 1) {
      sigs[ns].member = (uint16_t)i;
      gx_lsh_sign(&sigs[ns].sig, &out->id, star[c % NCL][i].sk); /* an unknown cluster: any keys */
      ns++;
    }
  out->len = gx_lsh_append_cert(out->buf, sizeof out->buf, out->len, NMEM, sigs, ns);
  assert_true(out->len > 0);
}

static gx_fold_err_t fold(galaxy_t *g, uint64_t epoch, blk_t *const *b, uint32_t n,
                          gx_fold_result_t *res) {
  const uint8_t *bufs[16];
  size_t lens[16];
  for (uint32_t i = 0; i < n; i++) {
    bufs[i] = b[i]->buf;
    lens[i] = b[i]->len;
  }
  return gx_fold_apply(g->fold, g->ledger, epoch, bufs, lens, n, res);
}

static void commit(galaxy_t *g) {
  assert_int_equal(gx_ledger_commit(g->ledger), GX_LEDGER_OK);
  assert_int_equal(gx_fold_commit(g->fold), GX_FOLD_OK);
}

static void check_balances(const galaxy_t *g) {
  uint64_t total = 0;
  for (int i = 0; i < NACC; i++) {
    gx_ledger_account_t a;
    assert_int_equal(gx_ledger_account(g->ledger, &acct[i].pk, &a), 0);
    assert_int_equal(a.balance, model[i].balance);
    assert_int_equal(a.seq, model[i].seq);
    total += a.balance;
  }
  assert_int_equal(total, 1000u * NACC);
}

static const gx_fold_entry_t *entry_of(const gx_fold_result_t *r, const gx_hash_t *id) {
  for (uint32_t i = 0; i < r->entry_count; i++)
    if (gx_hash_eq(&r->entries[i].id, id)) return &r->entries[i];
  fail_msg("block not in the result");
  return NULL;
}

/* ---- tests ---- */

static void test_two_clusters_fold(void **state) {
  (void)state;
  reset_model();
  galaxy_t g = galaxy_new(65536, 16);
  uint8_t x0[3 * GX_XFER_SZ], x1[2 * GX_XFER_SZ];
  /* cluster 0: accounts 0..2 pay 10..12; cluster 1: 3, 4 pay 5, 6 */
  for (int i = 0; i < 3; i++) {
    make_tx(x0 + i * GX_XFER_SZ, i, 10 + i, 7, 1);
    model_apply(x0 + i * GX_XFER_SZ, i, 10 + i, 7);
  }
  for (int i = 0; i < 2; i++) {
    make_tx(x1 + i * GX_XFER_SZ, 3 + i, 20 + i, 9, 1);
    model_apply(x1 + i * GX_XFER_SZ, 3 + i, 20 + i, 9);
  }
  static blk_t b0, b1;
  make_block(&b0, 0, 1, NULL, 0, &genesis_id, x0, 3, 0x7); /* 3 of 4 = 2f+1 */
  make_block(&b1, 1, 1, NULL, 0, &genesis_id, x1, 2, 0xF);
  /* check says both are acceptable */
  gx_fold_info_t info;
  assert_int_equal(gx_fold_check(g.fold, b0.buf, b0.len, &info), GX_FOLD_V_OK);
  assert_int_equal(info.cluster, 0);
  assert_int_equal(info.height, 1);
  assert_memory_equal(info.id.b, b0.id.b, 32);
  gx_fold_result_t r;
  blk_t *set[] = {&b1, &b0}; /* any order */
  assert_int_equal(fold(&g, 0, set, 2, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 2);
  assert_int_equal(r.entries[0].cluster, 0); /* fold order: cluster, height */
  assert_int_equal(r.entries[1].cluster, 1);
  assert_int_equal(r.ledger.tx_count, 5);
  assert_int_equal(r.sig_checked, 5); /* sample = all */
  assert_int_equal(r.evidence_count, 0);
  commit(&g);
  check_balances(&g);
  gx_fold_cluster_state_t cs;
  assert_int_equal(gx_fold_cluster_state(g.fold, 0, &cs), GX_FOLD_OK);
  assert_int_equal(cs.height, 1);
  assert_memory_equal(cs.id.b, b0.id.b, 32);
  assert_int_equal(cs.folded, 1);
  /* now stale */
  assert_int_equal(gx_fold_check(g.fold, b0.buf, b0.len, NULL), GX_FOLD_V_STALE);
  /* height 2 of cluster 0 on black hole 1 */
  gx_hash_t bh1;
  gx_ledger_tip(g.ledger, &bh1, NULL);
  uint8_t x2[GX_XFER_SZ];
  make_tx(x2, 10, 0, 5, 2);
  model_apply(x2, 10, 0, 5);
  static blk_t b2;
  make_block(&b2, 0, 2, &b0.id, 1, &bh1, x2, 1, 0xE);
  blk_t *set2[] = {&b2};
  assert_int_equal(fold(&g, 1, set2, 1, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 1);
  commit(&g);
  check_balances(&g);
  galaxy_free(&g);
}

static void test_check_verdicts(void **state) {
  (void)state;
  reset_model();
  galaxy_t g = galaxy_new(4096, 16);
  uint8_t x[GX_XFER_SZ];
  make_tx(x, 0, 1, 1, 1);
  static blk_t b;
  gx_fold_info_t info;
  /* 2f = 2 signatures: short of the quorum */
  make_block(&b, 0, 1, NULL, 0, &genesis_id, x, 1, 0x3);
  assert_int_equal(gx_fold_check(g.fold, b.buf, b.len, &info), GX_FOLD_V_CERT);
  /* a signature by the wrong key (cluster 1's member 2 signing as cluster 0's) */
  make_block(&b, 0, 1, NULL, 0, &genesis_id, x, 1, 0x7);
  static blk_t wrong;
  make_block(&wrong, 1, 1, NULL, 0, &genesis_id, x, 1, 0x7);
  memcpy(wrong.buf + 2, b.buf + 2, 4); /* claim cluster 0: the id changes, sigs do not verify */
  assert_int_equal(gx_fold_check(g.fold, wrong.buf, wrong.len, NULL), GX_FOLD_V_CERT);
  /* unknown cluster */
  static blk_t unk;
  make_block(&unk, 7, 1, NULL, 0, &genesis_id, x, 1, 0x7);
  assert_int_equal(gx_fold_check(g.fold, unk.buf, unk.len, NULL), GX_FOLD_V_CLUSTER);
  /* malformed: truncated */
  assert_int_equal(gx_fold_check(g.fold, b.buf, b.len - 1, &info), GX_FOLD_V_MALFORMED);
  assert_int_not_equal(info.proto, GX_PROTO_OK);
  /* root: a transfer byte changed after signing (nonce: still decodes) */
  static blk_t bad;
  bad = b;
  size_t xoff = GX_LSH_HDR_SZ + NMEM * GX_LSH_REPORT_SZ;
  bad.buf[xoff + 114] ^= 1; /* inside the 290 bytes */
  gx_fold_verdict_t v = gx_fold_check(g.fold, bad.buf, bad.len, NULL);
  assert_true(v == GX_FOLD_V_ROOT || v == GX_FOLD_V_MALFORMED);
  /* the good one */
  assert_int_equal(gx_fold_check(g.fold, b.buf, b.len, NULL), GX_FOLD_V_OK);
  /* apply sees the same verdicts, rejects them, folds the good one */
  gx_fold_result_t r;
  blk_t *set[] = {&unk, &wrong, &b};
  assert_int_equal(fold(&g, 0, set, 3, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 1);
  assert_int_equal(r.verdicts[GX_FOLD_V_CLUSTER], 1);
  assert_int_equal(r.verdicts[GX_FOLD_V_CERT], 1);
  assert_int_equal(r.verdicts[GX_FOLD_V_OK], 1);
  assert_int_equal(entry_of(&r, &b.id)->verdict, GX_FOLD_V_OK);
  commit(&g);
  galaxy_free(&g);
}

static void test_deferred_prev_base(void **state) {
  (void)state;
  reset_model();
  galaxy_t g = galaxy_new(0, 16);
  uint8_t x1[GX_XFER_SZ], x2[GX_XFER_SZ];
  make_tx(x1, 0, 1, 3, 1);
  model_apply(x1, 0, 1, 3);
  make_tx(x2, 0, 1, 4, 2);
  model_apply(x2, 0, 1, 4);
  static blk_t h1, h2, h2bad, h1base, h1future;
  make_block(&h1, 0, 1, NULL, 0, &genesis_id, x1, 1, 0xF);
  make_block(&h2, 0, 2, &h1.id, 0, &genesis_id, x2, 1, 0xF);
  gx_fold_result_t r;
  /* h2 alone: deferred */
  blk_t *s1[] = {&h2};
  assert_int_equal(fold(&g, 0, s1, 1, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 0);
  assert_int_equal(r.entries[0].verdict, GX_FOLD_V_DEFERRED);
  assert_int_equal(r.ledger.tx_count, 0);
  commit(&g);
  gx_fold_cluster_state_t cs;
  gx_fold_cluster_state(g.fold, 0, &cs);
  assert_int_equal(cs.rejected, 0); /* deferred is not a rejection */
  /* a base this galaxy does not know, and one ahead of the tip */
  gx_hash_t other = {{1}};
  make_block(&h1base, 0, 1, NULL, 0, &other, x1, 1, 0xF);
  make_block(&h1future, 0, 1, NULL, 9, &genesis_id, x1, 1, 0xF);
  blk_t *s2[] = {&h1base, &h1future};
  assert_int_equal(fold(&g, 1, s2, 2, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 0);
  assert_int_equal(r.verdicts[GX_FOLD_V_BASE], 2);
  commit(&g);
  /* h2 with a prev that is not h1: broken once h1 is folded */
  gx_hash_t junk = {{9}};
  make_block(&h2bad, 0, 2, &junk, 0, &genesis_id, x2, 1, 0xF);
  blk_t *s3[] = {&h2bad, &h2, &h1}; /* h2bad and h2 at height 2: h2 folds (extends h1) */
  assert_int_equal(fold(&g, 2, s3, 3, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 2);
  assert_int_equal(r.ledger.tx_count, 2);
  gx_fold_verdict_t vbad = entry_of(&r, &h2bad.id)->verdict;
  /* h2bad sorts before or after h2 by id: broken prev, or a conflict once h2 is folded */
  assert_true(vbad == GX_FOLD_V_BROKEN_PREV || vbad == GX_FOLD_V_CONFLICT);
  commit(&g);
  check_balances(&g);
  galaxy_free(&g);
}

static void test_same_transfer_two_clusters_and_double_spend(void **state) {
  (void)state;
  reset_model();
  galaxy_t g = galaxy_new(4096, 16);
  uint8_t same[GX_XFER_SZ], spend_a[GX_XFER_SZ], spend_b[GX_XFER_SZ];
  make_tx(same, 5, 6, 10, 1);
  model_apply(same, 5, 6, 10);
  /* account 7 signs two different transfers at seq 1 (to 8 and to 9) */
  make_tx(spend_a, 7, 8, 100, 1);
  make_tx(spend_b, 7, 9, 100, 2);
  uint8_t xa[2 * GX_XFER_SZ], xb[2 * GX_XFER_SZ];
  memcpy(xa, same, GX_XFER_SZ);
  memcpy(xa + GX_XFER_SZ, spend_a, GX_XFER_SZ);
  memcpy(xb, same, GX_XFER_SZ);
  memcpy(xb + GX_XFER_SZ, spend_b, GX_XFER_SZ);
  static blk_t ba, bb;
  make_block(&ba, 0, 1, NULL, 0, &genesis_id, xa, 2, 0xF);
  make_block(&bb, 1, 1, NULL, 0, &genesis_id, xb, 2, 0xF);
  gx_fold_result_t r;
  blk_t *set[] = {&ba, &bb};
  assert_int_equal(fold(&g, 0, set, 2, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 2);
  assert_int_equal(r.ledger.duplicates, 1);    /* `same` once */
  assert_int_equal(r.ledger.tx_count, 2);      /* same + one side of the double spend */
  assert_int_equal(r.ledger.rejected[GX_LEDGER_REJ_EQUIVOCATION], 1);
  assert_int_equal(r.ledger.equivocation_count, 1);
  assert_memory_equal(r.ledger.equivocations[0].account.b, acct[7].pk.b, 32);
  /* which side won is deterministic: the ledger's (initiator, seq, tx id) order */
  gx_hash_t ida, idb;
  gx_xfer_id(&ida, spend_a);
  gx_xfer_id(&idb, spend_b);
  int a_wins = memcmp(ida.b, idb.b, 32) < 0;
  if (a_wins) model_apply(spend_a, 7, 8, 100);
  else model_apply(spend_b, 7, 9, 100);
  commit(&g);
  check_balances(&g);
  galaxy_free(&g);
}

static void test_bad_signature_and_conflict_evidence(void **state) {
  (void)state;
  reset_model();
  galaxy_t g = galaxy_new(65536, 16);
  uint8_t good[GX_XFER_SZ], forged[2 * GX_XFER_SZ];
  make_tx(good, 0, 1, 5, 1);
  make_tx(forged, 2, 3, 5, 1);
  make_tx(forged + GX_XFER_SZ, 4, 5, 5, 1);
  forged[GX_XFER_SZ + 160] ^= 0x40; /* inside the initiator's signature of the 2nd */
  static blk_t bforged;
  make_block(&bforged, 1, 1, NULL, 0, &genesis_id, forged, 2, 0xB); /* members 0, 1, 3 */
  /* cluster 0 certifies two different blocks at height 1 */
  static blk_t c1, c2;
  make_block(&c1, 0, 1, NULL, 0, &genesis_id, good, 1, 0x7);  /* 0, 1, 2 */
  uint8_t good2[GX_XFER_SZ];
  make_tx(good2, 6, 7, 5, 1);
  make_block(&c2, 0, 1, NULL, 0, &genesis_id, good2, 1, 0xE); /* 1, 2, 3 */
  gx_fold_result_t r;
  blk_t *set[] = {&bforged, &c1, &c2};
  assert_int_equal(fold(&g, 0, set, 3, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 1);
  assert_int_equal(r.verdicts[GX_FOLD_V_BAD_SIGNATURE], 1);
  assert_int_equal(r.verdicts[GX_FOLD_V_CONFLICT], 1);
  assert_int_equal(r.evidence_count, 2);
  int seen_sig = 0, seen_conflict = 0;
  for (uint32_t i = 0; i < r.evidence_count; i++) {
    const gx_fold_evidence_t *ev = &r.evidence[i];
    if (ev->kind == GX_FOLD_EV_BAD_SIGNATURE) {
      seen_sig = 1;
      assert_int_equal(ev->cluster, 1);
      assert_int_equal(ev->tx_index, 1);
      assert_int_equal(ev->signers, 0xB);
      assert_memory_equal(ev->block.b, bforged.id.b, 32);
    } else {
      seen_conflict = 1;
      assert_int_equal(ev->kind, GX_FOLD_EV_CONFLICT);
      assert_int_equal(ev->cluster, 0);
      assert_int_equal(ev->signers, 0x6); /* members 1 and 2 signed both */
    }
  }
  assert_true(seen_sig && seen_conflict);
  const gx_fold_entry_t *folded = &r.entries[0];
  int c1_won = gx_hash_eq(&folded->id, &c1.id);
  assert_true(c1_won || gx_hash_eq(&folded->id, &c2.id));
  if (c1_won) model_apply(good, 0, 1, 5);
  else model_apply(good2, 6, 7, 5);
  commit(&g);
  check_balances(&g);
  gx_fold_cluster_state_t cs;
  gx_fold_cluster_state(g.fold, 1, &cs);
  assert_int_equal(cs.height, 0);
  assert_int_equal(cs.rejected, 1);
  galaxy_free(&g);

  /* sample 0: the galaxy trusts the certificate and folds the forged block */
  reset_model();
  g = galaxy_new(0, 16);
  blk_t *set2[] = {&bforged};
  assert_int_equal(fold(&g, 0, set2, 1, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 1);
  assert_int_equal(r.sig_checked, 0);
  assert_int_equal(r.ledger.tx_count, 2);
  gx_ledger_abort(g.ledger);
  gx_fold_abort(g.fold);
  galaxy_free(&g);
}

static void test_duplicate_overflow_and_order(void **state) {
  (void)state;
  reset_model();
  galaxy_t g1 = galaxy_new(4096, 1), g2 = galaxy_new(4096, 1);
  uint8_t x0[GX_XFER_SZ], x1[GX_XFER_SZ];
  make_tx(x0, 0, 1, 5, 1);
  make_tx(x1, 2, 3, 5, 1);
  static blk_t b0, b1;
  make_block(&b0, 0, 1, NULL, 0, &genesis_id, x0, 1, 0xF);
  make_block(&b1, 1, 1, NULL, 0, &genesis_id, x1, 1, 0xF);
  gx_fold_result_t r1, r2;
  blk_t *s1[] = {&b1, &b0, &b0};
  blk_t *s2[] = {&b0, &b1, &b0};
  assert_int_equal(fold(&g1, 0, s1, 3, &r1), GX_FOLD_OK);
  assert_int_equal(fold(&g2, 0, s2, 3, &r2), GX_FOLD_OK);
  assert_int_equal(r1.folded_count, 1); /* max_blocks 1 */
  assert_int_equal(r1.verdicts[GX_FOLD_V_DUPLICATE], 1);
  assert_int_equal(r1.verdicts[GX_FOLD_V_OVERFLOW], 1);
  /* the same black hole whatever the order of the set */
  assert_memory_equal(r1.ledger.id.b, r2.ledger.id.b, 32);
  assert_memory_equal(r1.entries[0].id.b, b0.id.b, 32);
  commit(&g1);
  commit(&g2);
  /* overflowed block folds next time */
  blk_t *s3[] = {&b1};
  assert_int_equal(fold(&g1, 1, s3, 1, &r1), GX_FOLD_OK);
  assert_int_equal(r1.folded_count, 1);
  commit(&g1);
  galaxy_free(&g1);
  galaxy_free(&g2);
}

static void test_sample_rate(void **state) {
  (void)state;
  reset_model();
  galaxy_t g = galaxy_new(4096, 16);
  enum { NT = 256 };
  static uint8_t x[NT * GX_XFER_SZ];
  /* 32 initiators x 8 transfers each, to 32 other accounts */
  for (int t = 0; t < NT; t++) {
    int a = t % 32, b = 32 + t % 32;
    make_tx(x + (size_t)t * GX_XFER_SZ, a, b, 1, (uint64_t)t);
    model_apply(x + (size_t)t * GX_XFER_SZ, a, b, 1);
  }
  static blk_t b;
  make_block(&b, 0, 1, NULL, 0, &genesis_id, x, NT, 0xF);
  gx_fold_result_t r;
  blk_t *set[] = {&b};
  assert_int_equal(fold(&g, 0, set, 1, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 1);
  assert_int_equal(r.ledger.tx_count, NT);
  /* about 1/16 of 256 = 16: loose bounds, and the exact count is the rule's */
  uint32_t want = 0;
  for (int t = 0; t < NT; t++) {
    gx_hash_t id;
    gx_xfer_id(&id, x + (size_t)t * GX_XFER_SZ);
    want += (uint32_t)gx_lsh_sampled(&genesis_id, &id, 4096);
  }
  assert_int_equal(r.sig_checked, want);
  assert_true(want >= 4 && want <= 40);
  commit(&g);
  check_balances(&g);
  galaxy_free(&g);
}

static void test_bad_config(void **state) {
  (void)state;
  gx_fold_cfg_t fc;
  gx_fold_cfg_defaults(&fc);
  fc.cluster_count = 0;
  assert_int_equal(gx_fold_footprint(&fc), 0);
  gx_fold_cfg_defaults(&fc);
  fc.max_blocks = 64;
  fc.max_block_txs = 8192; /* 64 * 8192 > GX_BH_MAX_TXS */
  assert_int_equal(gx_fold_footprint(&fc), 0);
  gx_fold_cfg_defaults(&fc);
  fc.sample_per_65536 = 65537;
  assert_int_equal(gx_fold_footprint(&fc), 0);
  gx_fold_cfg_defaults(&fc);
  fc.cluster_count = NCL;
  gx_fold_cluster_t bad[NCL];
  memcpy(bad, clusters, sizeof bad);
  bad[1].n = 3; /* below 4 members */
  void *mem = aligned_alloc(64, (gx_fold_footprint(&fc) + 63) & ~(size_t)63);
  assert_null(gx_fold_new(mem, &fc, bad, &genesis_id));
  free(mem);
}

static void test_refs(void **state) {
  (void)state;
  gx_fold_ref_t a[3] = {{.cluster = 0, .height = 1, .id = {{1}}},
                        {.cluster = 0, .height = 2, .id = {{1}}},
                        {.cluster = 3, .height = 1, .id = {{2}}}};
  uint8_t buf[2 + 3 * GX_FOLD_REF_SZ];
  assert_int_equal(gx_fold_refs_encode(buf, sizeof buf, a, 3), sizeof buf);
  gx_fold_ref_t d[GX_FOLD_MAX_REFS];
  uint32_t n;
  assert_int_equal(gx_fold_refs_decode(d, &n, buf, sizeof buf), GX_PROTO_OK);
  assert_int_equal(n, 3);
  assert_int_equal(d[2].cluster, 3);
  assert_int_equal(gx_fold_refs_decode(d, &n, buf, sizeof buf - 1), GX_PROTO_ERR_SHORT);
  uint8_t longer[sizeof buf + 1];
  memcpy(longer, buf, sizeof buf);
  longer[sizeof buf] = 0;
  assert_int_equal(gx_fold_refs_decode(d, &n, longer, sizeof longer), GX_PROTO_ERR_TRAILING);
  /* out of order, height 0, count above the maximum */
  gx_fold_ref_t swapped[2] = {a[1], a[0]};
  assert_int_equal(gx_fold_refs_encode(buf, sizeof buf, swapped, 2), 0);
  uint8_t bad[2 + 2 * GX_FOLD_REF_SZ];
  assert_int_equal(gx_fold_refs_encode(bad, sizeof bad, a, 2), sizeof bad);
  memcpy(bad + 2 + GX_FOLD_REF_SZ, bad + 2, GX_FOLD_REF_SZ); /* a duplicate */
  assert_int_equal(gx_fold_refs_decode(d, &n, bad, sizeof bad), GX_PROTO_ERR_RANGE);
  memset(bad + 2 + 4, 0, 8); /* height 0 */
  assert_int_equal(gx_fold_refs_decode(d, &n, bad, sizeof bad), GX_PROTO_ERR_RANGE);
  bad[0] = GX_FOLD_MAX_REFS + 1;
  assert_int_equal(gx_fold_refs_decode(d, &n, bad, sizeof bad), GX_PROTO_ERR_COUNT);
  /* the agreed set: refs carried by at least f + 1 = 2 of 4 proposals */
  gx_fold_ref_t j1 = {.cluster = 9, .height = 1, .id = {{7}}}; /* only a Byzantine galaxy's */
  gx_fold_ref_t pa[3] = {a[0], a[1], j1}, pb[2] = {a[0], a[2]}, pc[2] = {a[1], a[2]};
  uint8_t va[2 + 3 * GX_FOLD_REF_SZ], vb[2 + 2 * GX_FOLD_REF_SZ], vc[2 + 2 * GX_FOLD_REF_SZ], vd[3] = {1, 0, 0};
  assert_true(gx_fold_refs_encode(va, sizeof va, pa, 3) > 0);
  assert_true(gx_fold_refs_encode(vb, sizeof vb, pb, 2) > 0);
  assert_true(gx_fold_refs_encode(vc, sizeof vc, pc, 2) > 0);
  const uint8_t *vals[4] = {va, vb, vc, vd};
  uint32_t lens[4] = {sizeof va, sizeof vb, sizeof vc, sizeof vd};
  uint16_t who[4] = {3, 0, 2, 1};
  gx_fold_agreed_ref_t scratch[4 * GX_FOLD_MAX_REFS], agreed[8];
  uint32_t malformed = 0;
  assert_int_equal(gx_fold_refs_agreed(vals, lens, who, 4, 2, scratch, agreed, 8, &malformed), 3);
  assert_int_equal(malformed, 1); /* vd is malformed */
  assert_int_equal(agreed[0].ref.height, 1);
  assert_int_equal(agreed[0].holders, (1u << 3) | (1u << 0));
  assert_int_equal(agreed[1].ref.height, 2);
  assert_int_equal(agreed[1].holders, (1u << 3) | (1u << 2));
  assert_int_equal(agreed[2].ref.cluster, 3);
  assert_int_equal(agreed[2].holders, (1u << 0) | (1u << 2));
  assert_int_equal(gx_fold_refs_agreed(vals, lens, who, 4, 1, scratch, agreed, 8, NULL), 4); /* j1 too */
  assert_int_equal(gx_fold_refs_agreed(vals, lens, who, 4, 2, scratch, agreed, 2, NULL), 2); /* cap */
  assert_int_equal(gx_fold_refs_agreed(vals, lens, who, 4, 3, scratch, agreed, 8, NULL), 0);
  /* sort dedups */
  gx_fold_ref_t s3[4] = {a[2], a[0], a[2], a[1]};
  assert_int_equal(gx_fold_refs_sort(s3, 4), 3);
  assert_int_equal(s3[0].height, 1);
  assert_int_equal(s3[2].cluster, 3);
}

static gx_lshpool_t *pool_new(uint32_t slots, uint32_t per_cluster) {
  gx_lshpool_cfg_t pc;
  gx_lshpool_cfg_defaults(&pc);
  pc.slots = slots;
  pc.per_cluster = per_cluster;
  pc.max_block_bytes = sizeof(((blk_t *)0)->buf);
  size_t fp = gx_lshpool_footprint(&pc);
  assert_true(fp > 0);
  gx_lshpool_t *p = gx_lshpool_new(aligned_alloc(64, (fp + 63) & ~(size_t)63), &pc);
  assert_non_null(p);
  return p;
}

/* The galaxy's block pool: checked adds, chains for proposals, bounds,
 * eviction of the block furthest ahead, prune after a fold. */
static void test_lshpool(void **state) {
  (void)state;
  reset_model();
  galaxy_t g = galaxy_new(4096, 16);
  uint8_t x[4][GX_XFER_SZ];
  for (int i = 0; i < 3; i++) {
    make_tx(x[i], 0, 1, 1, (uint64_t)i);
    model_apply(x[i], 0, 1, 1);
  }
  make_tx(x[3], 2, 3, 1, 9);
  model_apply(x[3], 2, 3, 1);
  static blk_t h1, h2, h3, d1, forged;
  make_block(&h1, 0, 1, NULL, 0, &genesis_id, x[0], 1, 0xF);
  make_block(&h2, 0, 2, &h1.id, 0, &genesis_id, x[1], 1, 0xF);
  make_block(&h3, 0, 3, &h2.id, 0, &genesis_id, x[2], 1, 0xF);
  make_block(&d1, 1, 1, NULL, 0, &genesis_id, x[3], 1, 0xF);
  make_block(&forged, 1, 1, NULL, 0, &genesis_id, x[3], 1, 0x3); /* 2 of 4: short */
  gx_lshpool_t *p = pool_new(8, 2);
  gx_fold_info_t info;
  /* out of order; per cluster 2: h3 then h2 fill cluster 0, h1 evicts h3 */
  assert_int_equal(gx_lshpool_add(p, g.fold, h3.buf, h3.len, NULL), GX_LSHPOOL_ADDED);
  assert_int_equal(gx_lshpool_add(p, g.fold, h2.buf, h2.len, NULL), GX_LSHPOOL_ADDED);
  assert_int_equal(gx_lshpool_add(p, g.fold, h1.buf, h1.len, NULL), GX_LSHPOOL_ADDED);
  assert_int_equal(gx_lshpool_evicted(p), 1);
  assert_int_equal(gx_lshpool_get(p, &h3.id, NULL, NULL), -1);
  /* now h3 is the furthest ahead of a full cluster quota: refused */
  assert_int_equal(gx_lshpool_add(p, g.fold, h3.buf, h3.len, NULL), GX_LSHPOOL_FULL);
  assert_int_equal(gx_lshpool_add(p, g.fold, h1.buf, h1.len, &info), GX_LSHPOOL_HELD);
  assert_int_equal(gx_lshpool_add(p, g.fold, forged.buf, forged.len, &info), GX_LSHPOOL_REJECTED);
  assert_int_equal(info.verdict, GX_FOLD_V_CERT);
  assert_int_equal(gx_lshpool_add(p, g.fold, d1.buf, d1.len, NULL), GX_LSHPOOL_ADDED);
  assert_int_equal(gx_lshpool_count(p), 3);
  gx_fold_ref_t refs[8];
  uint32_t n = gx_lshpool_refs(p, g.fold, refs, 8);
  assert_int_equal(n, 3); /* c0: 1, 2; c1: 1 */
  assert_int_equal(refs[0].cluster, 0);
  assert_int_equal(refs[0].height, 1);
  assert_int_equal(refs[1].height, 2);
  assert_int_equal(refs[2].cluster, 1);
  assert_int_equal(gx_lshpool_refs(p, g.fold, refs, 1), 1); /* max */
  /* fold what the refs name, as the galaxies would after agreeing */
  const uint8_t *bufs[3];
  size_t lens[3];
  n = gx_lshpool_refs(p, g.fold, refs, 8);
  for (uint32_t i = 0; i < n; i++) assert_int_equal(gx_lshpool_get(p, &refs[i].id, &bufs[i], &lens[i]), 0);
  gx_fold_result_t r;
  assert_int_equal(gx_fold_apply(g.fold, g.ledger, 0, bufs, lens, n, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 3);
  commit(&g);
  assert_int_equal(gx_lshpool_prune(p, g.fold), 3);
  assert_int_equal(gx_lshpool_count(p), 0);
  /* a block whose fold verdict is final leaves the pool, and its id stays out */
  static blk_t d2;
  make_block(&d2, 1, 2, &d1.id, 0, &genesis_id, x[3], 1, 0xF);
  assert_int_equal(gx_lshpool_add(p, g.fold, d2.buf, d2.len, NULL), GX_LSHPOOL_ADDED);
  uint32_t before = gx_lshpool_count(p);
  gx_lshpool_reject(p, &d2.id);
  assert_int_equal(gx_lshpool_count(p), before - 1);
  assert_int_equal(gx_lshpool_get(p, &d2.id, NULL, NULL), -1);
  assert_int_equal(gx_lshpool_add(p, g.fold, d2.buf, d2.len, &info), GX_LSHPOOL_REJECTED_BEFORE);
  assert_memory_equal(info.id.b, d2.id.b, 32);
  assert_true(gx_fold_verdict_final(GX_FOLD_V_BAD_SIGNATURE) && gx_fold_verdict_final(GX_FOLD_V_CONFLICT));
  assert_false(gx_fold_verdict_final(GX_FOLD_V_CERT) || gx_fold_verdict_final(GX_FOLD_V_DEFERRED));
  /* h3 fits now, and extends the folded chain */
  assert_int_equal(gx_lshpool_add(p, g.fold, h3.buf, h3.len, NULL), GX_LSHPOOL_ADDED);
  assert_int_equal(gx_lshpool_refs(p, g.fold, refs, 8), 1);
  assert_int_equal(gx_lshpool_get(p, &refs[0].id, &bufs[0], &lens[0]), 0);
  assert_int_equal(gx_fold_apply(g.fold, g.ledger, 1, bufs, lens, 1, &r), GX_FOLD_OK);
  assert_int_equal(r.folded_count, 1);
  commit(&g);
  /* too big */
  gx_lshpool_cfg_t small;
  gx_lshpool_cfg_defaults(&small);
  small.max_block_bytes = 200;
  gx_lshpool_t *q = gx_lshpool_new(aligned_alloc(64, (gx_lshpool_footprint(&small) + 63) & ~(size_t)63), &small);
  assert_non_null(q);
  assert_int_equal(gx_lshpool_add(q, g.fold, h3.buf, h3.len, NULL), GX_LSHPOOL_TOO_BIG);
  free(gx_lshpool_delete(q));
  free(gx_lshpool_delete(p));
  check_balances(&g);
  galaxy_free(&g);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  for (int i = 0; i < NACC; i++) gx_key_derive(&acct[i], "fold-test-acct", 1, (uint64_t)i);
  for (int c = 0; c < NCL; c++) {
    clusters[c].n = NMEM;
    for (int i = 0; i < NMEM; i++) {
      gx_key_derive(&star[c][i], "fold-test-star", (uint64_t)c, (uint64_t)i);
      clusters[c].members[i] = star[c][i].pk;
    }
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_clusters_fold),
      cmocka_unit_test(test_check_verdicts),
      cmocka_unit_test(test_deferred_prev_base),
      cmocka_unit_test(test_same_transfer_two_clusters_and_double_spend),
      cmocka_unit_test(test_bad_signature_and_conflict_evidence),
      cmocka_unit_test(test_duplicate_overflow_and_order),
      cmocka_unit_test(test_sample_rate),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_refs),
      cmocka_unit_test(test_lshpool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
