/* gx_mempool: window rules, duplicates and conflicts, per-account ordered
 * hand-out, commit, untake, the eviction policy, the account table limit and
 * the admission gate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ingest/gx_mempool.h"

/* An (unsigned) transfer from account `acct` at `seq`; the mempool trusts its
 * caller to have verified signatures, so none are needed here. */
static void mk(uint8_t enc[GX_XFER_SZ], gx_hash_t *id, uint8_t acct, uint64_t seq, uint64_t nonce) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  x.initiator.b[0] = acct;
  x.initiator.b[31] = 1;
  x.counterparty.b[0] = 0xEE;
  x.amount = 1;
  x.nonce = nonce;
  x.init_link.seq = seq;
  x.cp_link.seq = seq;
  if (seq > 1) {
    memset(x.init_link.prev.b, 7, 32);
    memset(x.cp_link.prev.b, 7, 32);
  }
  gx_xfer_encode(&x, enc);
  gx_xfer_id(id, enc);
}

static gx_mempool_t *mk_pool(uint64_t cap, uint32_t fut, uint64_t accts) {
  gx_mempool_cfg_t c = {cap, fut, accts};
  gx_mempool_err_t err;
  gx_mempool_t *mp = gx_mempool_new(&c, &err);
  assert_non_null(mp);
  assert_int_equal(err, GX_MEMPOOL_OK);
  return mp;
}

static uint64_t seq_of(const uint8_t *enc) {
  gx_xfer_t x;
  assert_int_equal(gx_xfer_decode(&x, enc, GX_XFER_SZ), GX_PROTO_OK);
  return x.init_link.seq;
}

static void test_window_dup_conflict(void **state) {
  (void)state;
  gx_mempool_t *mp = mk_pool(100, 4, 10);
  uint8_t e[GX_XFER_SZ];
  gx_hash_t id;
  mk(e, &id, 1, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_OK);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_DUPLICATE);
  assert_true(gx_mempool_contains(mp, e, &id));
  mk(e, &id, 1, 1, 99); /* same account and seq, different transfer */
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_CONFLICT);
  mk(e, &id, 1, 4, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_OK);
  mk(e, &id, 1, 5, 0); /* window [1, 5) */
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_TOO_FAR);
  assert_int_equal(gx_mempool_size(mp), 2);
  assert_int_equal(gx_mempool_accounts(mp), 1);
  e[0] = 9;
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_DECODE);
  /* commit seq 1: next_seq 2, seq 1 now stale, seq 5 now fits */
  gx_pubkey_t k = {{1}};
  k.b[31] = 1;
  gx_mempool_on_committed(mp, &k, 1);
  assert_int_equal(gx_mempool_next_seq(mp, &k), 2);
  assert_int_equal(gx_mempool_size(mp), 1);
  mk(e, &id, 1, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_STALE);
  mk(e, &id, 1, 5, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_OK);
  assert_string_equal(gx_mempool_err_label(GX_MEMPOOL_ERR_TOO_FAR), "too_far");
  gx_mempool_delete(mp);
}

static void test_take_order_commit_untake(void **state) {
  (void)state;
  gx_mempool_t *mp = mk_pool(100, 8, 10);
  uint8_t e[GX_XFER_SZ], out[10 * GX_XFER_SZ];
  gx_hash_t id, ids[10];
  /* account 1: seqs 3, 1 (gap at 2); account 2: 1, 2 */
  mk(e, &id, 1, 3, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), 0);
  assert_int_equal(gx_mempool_take(mp, out, ids, 10), 0); /* seq 1 missing: not ready */
  mk(e, &id, 2, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), 0);
  mk(e, &id, 1, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), 0);
  mk(e, &id, 2, 2, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), 0);
  assert_int_equal(gx_mempool_ready(mp), 2);
  /* account 2 became ready first: its run 1,2 then account 1's run 1 */
  assert_int_equal(gx_mempool_take(mp, out, ids, 10), 3);
  assert_int_equal(out[2], 2);
  assert_int_equal(seq_of(out), 1);
  assert_int_equal(seq_of(out + GX_XFER_SZ), 2);
  assert_int_equal(out[2 * GX_XFER_SZ + 2], 1);
  assert_int_equal(seq_of(out + 2 * GX_XFER_SZ), 1);
  assert_int_equal(gx_mempool_take(mp, out, ids, 10), 0); /* nothing handed out twice */
  mk(e, &id, 1, 2, 0); /* fills the gap: account 1 ready again with 2, 3 */
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), 0);
  assert_int_equal(gx_mempool_take(mp, out, ids, 1), 1);
  assert_int_equal(seq_of(out), 2);
  assert_int_equal(gx_mempool_take(mp, out, ids, 10), 1);
  assert_int_equal(seq_of(out), 3);
  /* the proposal failed: everything comes back, in order */
  gx_mempool_untake_all(mp);
  assert_int_equal(gx_mempool_take(mp, out, ids, 10), 5);
  /* account 1 committed up to 2: 1 and 2 go, 3 stays (taken) */
  gx_pubkey_t k = {{1}};
  k.b[31] = 1;
  gx_mempool_on_committed(mp, &k, 2);
  assert_int_equal(gx_mempool_size(mp), 3);
  gx_mempool_untake_all(mp);
  assert_int_equal(gx_mempool_take(mp, out, ids, 10), 3);
  gx_mempool_delete(mp);
}

/* The proposer takes only its shard's accounts; the others stay ready, in
 * their order. */
static void test_take_shard(void **state) {
  (void)state;
  gx_mempool_t *mp = mk_pool(16, 8, 16);
  uint8_t e[GX_XFER_SZ];
  gx_hash_t id;
  static const uint8_t accts[] = {1, 2, 1, 3, 4}; /* shard = acct % 2 */
  static const uint64_t seqs[] = {1, 1, 2, 1, 1};
  for (int i = 0; i < 5; i++) {
    mk(e, &id, accts[i], seqs[i], 0);
    assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_OK);
  }
  assert_int_equal(gx_mempool_ready(mp), 4);
  uint8_t out[8 * GX_XFER_SZ];
  gx_xfer_t x;
  size_t n = gx_mempool_take_shard(mp, out, NULL, 8, 1, 2);
  assert_int_equal(n, 3); /* account 1 (seq 1, 2) and account 3 */
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(gx_xfer_decode(&x, out + i * GX_XFER_SZ, GX_XFER_SZ), GX_PROTO_OK);
    assert_int_equal(x.initiator.b[0] % 2, 1);
  }
  assert_int_equal(gx_mempool_ready(mp), 2); /* accounts 2 and 4 untouched */
  assert_int_equal(gx_mempool_take_shard(mp, out, NULL, 8, 1, 2), 0);
  assert_int_equal(gx_mempool_take_shard(mp, out, NULL, 1, 0, 2), 1);
  assert_int_equal(gx_xfer_decode(&x, out, GX_XFER_SZ), GX_PROTO_OK);
  assert_int_equal(x.initiator.b[0], 2); /* in the order they became ready */
  assert_int_equal(gx_mempool_take_shard(mp, out, NULL, 8, 0, 2), 1);
  assert_int_equal(gx_xfer_decode(&x, out, GX_XFER_SZ), GX_PROTO_OK);
  assert_int_equal(x.initiator.b[0], 4);
  assert_int_equal(gx_mempool_ready(mp), 0);
  gx_mempool_delete(mp);
}

static void test_eviction_policy(void **state) {
  (void)state;
  gx_mempool_t *mp = mk_pool(3, 8, 10);
  uint8_t e[GX_XFER_SZ];
  gx_hash_t id, far_id;
  gx_mempool_evicted_t ev;
  uint8_t far_enc[GX_XFER_SZ];
  mk(e, &id, 1, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), 0);
  mk(e, &far_id, 1, 6, 0);
  memcpy(far_enc, e, GX_XFER_SZ);
  assert_int_equal(gx_mempool_insert(mp, e, &far_id, &ev), 0);
  mk(e, &id, 2, 3, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), 0);
  assert_int_equal(ev.evicted, 0);
  /* full: a distance-5 newcomer is not closer than the farthest (5): refused */
  mk(e, &id, 3, 6, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_ERR_FULL);
  /* a distance-1 newcomer evicts account 1's seq 6 */
  mk(e, &id, 3, 2, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), 0);
  assert_int_equal(ev.evicted, 1); /* and says which */
  assert_memory_equal(ev.enc, far_enc, GX_XFER_SZ);
  assert_memory_equal(&ev.id, &far_id, sizeof far_id);
  mk(e, &far_id, 1, 6, 0);
  assert_false(gx_mempool_contains(mp, e, &far_id));
  assert_int_equal(gx_mempool_size(mp), 3);
  /* taken transfers are never evicted: take the ready ones (account 1 seq 1) */
  uint8_t out[3 * GX_XFER_SZ];
  assert_int_equal(gx_mempool_take(mp, out, NULL, 3), 1);
  gx_mempool_delete(mp);
}

static void test_account_limit_and_recycle(void **state) {
  (void)state;
  gx_mempool_t *mp = mk_pool(100, 8, 2);
  uint8_t e[GX_XFER_SZ];
  gx_hash_t id;
  mk(e, &id, 1, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), 0);
  mk(e, &id, 2, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), 0);
  mk(e, &id, 3, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_ACCOUNTS);
  gx_pubkey_t k = {{1}};
  k.b[31] = 1;
  gx_mempool_on_committed(mp, &k, 1); /* account 1 empties: its slot can be reused */
  assert_int_equal(gx_mempool_accounts(mp), 1);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_OK);
  assert_int_equal(gx_mempool_next_seq(mp, &k), 1); /* forgotten when recycled */
  gx_mempool_delete(mp);
}

/* gx_mempool_drop (added for the ledger's rejections): a dropped transfer is
 * gone, taken or not, and is not handed out again after untake. */
static void test_drop(void **state) {
  (void)state;
  gx_mempool_t *mp = mk_pool(100, 8, 10);
  uint8_t e1[GX_XFER_SZ], e2[GX_XFER_SZ], out[4 * GX_XFER_SZ];
  gx_hash_t id1, id2;
  mk(e1, &id1, 1, 1, 0);
  mk(e2, &id2, 1, 2, 0);
  assert_int_equal(gx_mempool_insert(mp, e1, &id1, NULL), 0);
  assert_int_equal(gx_mempool_insert(mp, e2, &id2, NULL), 0);
  assert_int_equal(gx_mempool_take(mp, out, NULL, 4), 2);
  assert_int_equal(gx_mempool_drop(mp, e2, &id2), 1); /* taken, then rejected */
  assert_int_equal(gx_mempool_drop(mp, e2, &id2), 0);
  assert_false(gx_mempool_contains(mp, e2, &id2));
  assert_int_equal(gx_mempool_size(mp), 1);
  gx_mempool_untake_all(mp);
  assert_int_equal(gx_mempool_take(mp, out, NULL, 4), 1);
  assert_int_equal(seq_of(out), 1);
  gx_mempool_delete(mp);
}

/* The admission gate agrees with insert's stale / too-far verdicts for a
 * committed account, admits accounts it does not know, and never mistakes an
 * account sharing the slot (same first 8 key bytes) for the published one. */
static void test_gate(void **state) {
  (void)state;
  gx_mempool_t *mp = mk_pool(100, 4, 16);
  uint8_t e[GX_XFER_SZ];
  gx_hash_t id;
  mk(e, &id, 1, 1000, 0);
  assert_int_equal(gx_mempool_gate(mp, e, NULL, NULL), GX_MEMPOOL_GATE_ADMIT); /* never committed */
  gx_pubkey_t acct;
  memcpy(acct.b, e + 2, 32);
  gx_mempool_on_committed(mp, &acct, 5); /* next_seq 6, window [6, 10) */
  struct { uint64_t seq; gx_mempool_gate_t gate; gx_mempool_err_t insert; } cases[] = {
      {1, GX_MEMPOOL_GATE_STALE, GX_MEMPOOL_ERR_STALE},
      {5, GX_MEMPOOL_GATE_STALE, GX_MEMPOOL_ERR_STALE},
      {6, GX_MEMPOOL_GATE_ADMIT, GX_MEMPOOL_OK},
      {9, GX_MEMPOOL_GATE_ADMIT, GX_MEMPOOL_OK},
      {10, GX_MEMPOOL_GATE_TOO_FAR, GX_MEMPOOL_ERR_TOO_FAR},
      {1000, GX_MEMPOOL_GATE_TOO_FAR, GX_MEMPOOL_ERR_TOO_FAR},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mk(e, &id, 1, cases[i].seq, 0);
    uint64_t ahead = 99;
    assert_int_equal(gx_mempool_gate(mp, e, &ahead, NULL), cases[i].gate);
    assert_int_equal(ahead, cases[i].gate == GX_MEMPOOL_GATE_ADMIT ? cases[i].seq - 6 : 0);
    assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), cases[i].insert);
  }
  mk(e, &id, 1, 1, 0);
  e[2 + 31] = 2; /* same first 8 key bytes (same slot), another account */
  assert_int_equal(gx_mempool_gate(mp, e, NULL, NULL), GX_MEMPOOL_GATE_ADMIT);
  gx_mempool_on_committed(mp, &acct, 7); /* the window moves with every commit */
  mk(e, &id, 1, 7, 0);
  assert_int_equal(gx_mempool_gate(mp, e, NULL, NULL), GX_MEMPOOL_GATE_STALE);
  mk(e, &id, 1, 11, 0);
  assert_int_equal(gx_mempool_gate(mp, e, NULL, NULL), GX_MEMPOOL_GATE_ADMIT);
  gx_mempool_delete(mp);
}

static void test_bad_config(void **state) {
  (void)state;
  gx_mempool_cfg_t c;
  gx_mempool_cfg_defaults(&c);
  assert_int_equal(c.capacity, 1000000);
  c.max_future = 0;
  gx_mempool_err_t err;
  assert_null(gx_mempool_new(&c, &err));
  assert_int_equal(err, GX_MEMPOOL_ERR_CONFIG);
}

/* Random operations against the invariants: size == inserted - removed,
 * never above capacity, take never returns an id twice between untakes. */
static void test_random_ops(void **state) {
  (void)state;
  gx_mempool_t *mp = mk_pool(50, 16, 20);
  uint64_t rng = 12345;
  uint8_t e[GX_XFER_SZ], out[8 * GX_XFER_SZ];
  gx_hash_t id;
  for (int step = 0; step < 20000; step++) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    int op = (int)(rng % 10);
    uint8_t acct = (uint8_t)(1 + (rng >> 8) % 30);
    uint64_t seq = 1 + (rng >> 16) % 24;
    if (op < 7) {
      mk(e, &id, acct, seq, (rng >> 32) % 2);
      gx_mempool_insert(mp, e, &id, NULL);
    } else if (op < 9) {
      gx_mempool_take(mp, out, NULL, 8);
    } else {
      gx_pubkey_t k = {{acct}};
      k.b[31] = 1;
      gx_mempool_on_committed(mp, &k, seq);
      if ((rng >> 40) % 4 == 0) gx_mempool_untake_all(mp);
    }
    assert_true(gx_mempool_size(mp) <= 50);
  }
  gx_mempool_delete(mp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_window_dup_conflict),
      cmocka_unit_test(test_take_order_commit_untake),
      cmocka_unit_test(test_take_shard),
    cmocka_unit_test(test_eviction_policy),
      cmocka_unit_test(test_account_limit_and_recycle),
      cmocka_unit_test(test_drop),
      cmocka_unit_test(test_gate),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_random_ops),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
