/* gx_mempool: window rules, duplicates and conflicts, per-account ordered
 * hand-out, commit, untake, the eviction policy, the account table limit and
 * the admission gate; known and unknown accounts (issue 19): junk from
 * unfunded keys bounded by its own quota, oldest evicted and expired first,
 * never handed out, never taking a known account's record; promotion when an
 * account commits; the gate's exact window boundaries for genesis, committed
 * and unknown accounts. */
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

/* Wider account ids: the id in the key's first 4 bytes (little endian). */
static gx_pubkey_t key_of(uint32_t acct) {
  gx_pubkey_t k;
  memset(&k, 0, sizeof k);
  memcpy(k.b, &acct, sizeof acct);
  k.b[31] = 2;
  return k;
}
static void mk_w(uint8_t enc[GX_XFER_SZ], gx_hash_t *id, uint32_t acct, uint64_t seq, uint64_t nonce) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  x.initiator = key_of(acct);
  x.counterparty.b[0] = 0xEE;
  x.amount = 1;
  x.nonce = nonce;
  x.init_link.seq = seq;
  x.cp_link.seq = 1;
  if (seq > 1) /* a prev that matches nothing the account ever committed */
    for (int i = 0; i < 32; i++) x.init_link.prev.b[i] = (uint8_t)(acct * 31 + seq * 7 + (uint64_t)i);
  gx_xfer_encode(&x, enc);
  gx_xfer_id(id, enc);
}

static gx_mempool_t *mk_pool_cfg(const gx_mempool_cfg_t *c) {
  gx_mempool_err_t err;
  gx_mempool_t *mp = gx_mempool_new(c, &err);
  assert_non_null(mp);
  assert_int_equal(err, GX_MEMPOOL_OK);
  return mp;
}

static void genesis_of(gx_mempool_t *mp, uint32_t first, uint32_t n) {
  gx_pubkey_t ks[64];
  assert_true(n <= 64);
  for (uint32_t i = 0; i < n; i++) ks[i] = key_of(first + i);
  assert_int_equal(gx_mempool_genesis(mp, ks, n), 0);
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
  uint8_t held[GX_XFER_SZ];
  gx_hash_t held_id = id;
  memcpy(held, e, GX_XFER_SZ);
  mk(e, &id, 1, 1, 99); /* same account and seq, different transfer */
  gx_mempool_evicted_t ev;
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_ERR_CONFLICT);
  assert_int_equal(ev.conflict, 1); /* the other side of the double spend, for its proof */
  assert_memory_equal(ev.enc, held, GX_XFER_SZ);
  assert_memory_equal(ev.id.b, held_id.b, 32);
  assert_int_equal(gx_mempool_insert(mp, held, &held_id, &ev), GX_MEMPOOL_ERR_DUPLICATE);
  assert_int_equal(ev.conflict, 0);
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
  /* recycled, yet its committed head is remembered (the known table) */
  assert_int_equal(gx_mempool_next_seq(mp, &k), 2);
  mk(e, &id, 1, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_STALE);
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
  /* never committed: judged by next seq 1, as the pool would */
  assert_int_equal(gx_mempool_gate(mp, e, NULL, NULL), GX_MEMPOOL_GATE_TOO_FAR);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_TOO_FAR);
  mk(e, &id, 1, 4, 0);
  assert_int_equal(gx_mempool_gate(mp, e, NULL, NULL), GX_MEMPOOL_GATE_ADMIT);
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


/* The attack of issue 19: correctly signed transfers from fresh unfunded keys
 * at seq 2 with a prev that matches nothing, many more than the account table.
 * They are held in their own quota (oldest evicted first), never handed out,
 * and an idle account with committed history, a genesis account that never
 * transacted, and a busy one all still get a record and commit. */
static void test_junk_cannot_starve_known(void **state) {
  (void)state;
  gx_mempool_cfg_t c = {.capacity = 4096, .max_future = 64, .max_accounts = 8, .max_unknown = 100};
  gx_mempool_t *mp = mk_pool_cfg(&c);
  genesis_of(mp, 1, 4); /* accounts 1..4 funded at genesis */
  gx_pubkey_t k1 = key_of(1);
  gx_mempool_on_committed(mp, &k1, 5); /* account 1 transacted up to 5, then idle */
  uint8_t e[GX_XFER_SZ], out[8 * GX_XFER_SZ];
  gx_hash_t id, ids[8];
  static gx_hash_t junk_ids[20000];
  gx_mempool_evicted_t ev;
  for (uint32_t j = 0; j < 20000; j++) {
    mk_w(e, &junk_ids[j], 100000 + j, 2, j);
    assert_int_equal(gx_mempool_insert(mp, e, &junk_ids[j], &ev), GX_MEMPOOL_OK);
    assert_int_equal(ev.unknown, 1);
    assert_int_equal(ev.evicted, j >= 100);
    if (j >= 100) { /* the oldest junk goes first */
      assert_int_equal(ev.evicted_unknown, 1);
      assert_memory_equal(&ev.id, &junk_ids[j - 100], sizeof ev.id);
    }
  }
  assert_int_equal(gx_mempool_unknown(mp), 100);
  assert_int_equal(gx_mempool_size(mp), 100);
  assert_int_equal(gx_mempool_accounts(mp), 100);
  assert_int_equal(gx_mempool_ready(mp), 0);
  assert_int_equal(gx_mempool_take(mp, out, ids, 8), 0); /* junk is never handed out */
  const gx_mempool_counters_t *ct = gx_mempool_counters(mp);
  assert_int_equal(ct->unknown_inserted, 20000);
  assert_int_equal(ct->unknown_evicted, 19900);
  /* the idle account with committed history comes back at its next seq */
  mk_w(e, &id, 1, 6, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.unknown, 0);
  assert_int_equal(ev.evicted, 0);
  /* a genesis account that never transacted pays */
  mk_w(e, &id, 2, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.unknown, 0);
  /* an unfunded key at seq 1 is junk too: held apart, not ready */
  mk_w(e, &id, 99, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.unknown, 1);
  assert_int_equal(gx_mempool_ready(mp), 2);
  assert_int_equal(gx_mempool_take(mp, out, ids, 8), 2);
  gx_xfer_t x;
  assert_int_equal(gx_xfer_decode(&x, out, GX_XFER_SZ), GX_PROTO_OK);
  assert_memory_equal(&x.initiator, &k1, sizeof k1);
  assert_int_equal(x.init_link.seq, 6);
  assert_int_equal(seq_of(out + GX_XFER_SZ), 1);
  /* every known record can be used by known accounts, junk or not: 8 known
   * accounts with transfers (1, 2 and six more committed ones) */
  for (uint32_t a = 10; a < 16; a++) {
    gx_pubkey_t k = key_of(a);
    gx_mempool_on_committed(mp, &k, 1);
    mk_w(e, &id, a, 2, 0);
    assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
    assert_int_equal(ev.unknown, 0);
  }
  /* a ninth known account with transfers: the known records are all busy */
  mk_w(e, &id, 3, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_ACCOUNTS);
  /* ... while junk still comes and goes in its own quota */
  mk_w(e, &id, 700000, 2, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.evicted_unknown, 1);
  /* once account 1 commits, its record is free for account 3 */
  gx_mempool_on_committed(mp, &k1, 6);
  mk_w(e, &id, 3, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_OK);
  assert_int_equal(gx_mempool_unknown(mp), 100);
  gx_mempool_delete(mp);
}

/* A wallet may send before its funding commits: its transfers wait as unknown
 * and join the account's chain when it commits (it received funds). */
static void test_unknown_promoted_when_funded(void **state) {
  (void)state;
  gx_mempool_cfg_t c = {.capacity = 64, .max_future = 8, .max_accounts = 4, .max_unknown = 8};
  gx_mempool_t *mp = mk_pool_cfg(&c);
  assert_int_equal(gx_mempool_genesis(mp, NULL, 0), 0); /* the chain view, no genesis account */
  uint8_t e[GX_XFER_SZ], out[8 * GX_XFER_SZ];
  gx_hash_t id;
  gx_mempool_evicted_t ev;
  mk_w(e, &id, 7, 3, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.unknown, 1);
  mk_w(e, &id, 7, 2, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  mk_w(e, &id, 7, 1, 0); /* seq 1 as initiator: cannot commit, unfunded */
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(gx_mempool_unknown(mp), 3);
  assert_int_equal(gx_mempool_take(mp, out, NULL, 8), 0);
  gx_pubkey_t k = key_of(7);
  gx_mempool_on_committed(mp, &k, 1); /* funded: seq 1 was its counterparty side */
  assert_int_equal(gx_mempool_unknown(mp), 0);
  assert_int_equal(gx_mempool_size(mp), 2);
  assert_int_equal(gx_mempool_counters(mp)->unknown_promoted, 2);
  assert_int_equal(gx_mempool_known(mp), 1);
  assert_int_equal(gx_mempool_ready(mp), 1);
  assert_int_equal(gx_mempool_take(mp, out, NULL, 8), 2);
  assert_int_equal(seq_of(out), 2);
  assert_int_equal(seq_of(out + GX_XFER_SZ), 3);
  mk_w(e, &id, 7, 4, 0); /* known now */
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.unknown, 0);
  gx_mempool_delete(mp);
}

/* Unknown accounts' transfers expire after unknown_ttl rounds, oldest first;
 * a known account's waiting transfer does not. */
static void test_unknown_expire(void **state) {
  (void)state;
  gx_mempool_cfg_t c = {.capacity = 64, .max_future = 8, .max_accounts = 4, .max_unknown = 8,
                        .unknown_ttl = 3};
  gx_mempool_t *mp = mk_pool_cfg(&c);
  genesis_of(mp, 1, 1);
  uint8_t e[GX_XFER_SZ];
  gx_hash_t id1, id2, idk;
  uint8_t e1[GX_XFER_SZ], e2[GX_XFER_SZ];
  mk_w(e1, &id1, 50, 2, 0);
  assert_int_equal(gx_mempool_insert(mp, e1, &id1, NULL), GX_MEMPOOL_OK);
  mk_w(e, &idk, 1, 3, 0); /* known, waiting for seq 1 and 2 */
  assert_int_equal(gx_mempool_insert(mp, e, &idk, NULL), GX_MEMPOOL_OK);
  assert_int_equal(gx_mempool_tick(mp), 0); /* round 1 */
  mk_w(e2, &id2, 51, 2, 0);
  assert_int_equal(gx_mempool_insert(mp, e2, &id2, NULL), GX_MEMPOOL_OK);
  assert_int_equal(gx_mempool_tick(mp), 0); /* round 2 */
  assert_int_equal(gx_mempool_tick(mp), 1); /* round 3: the first is 3 rounds old */
  assert_false(gx_mempool_contains(mp, e1, &id1));
  assert_true(gx_mempool_contains(mp, e2, &id2));
  assert_int_equal(gx_mempool_accounts(mp), 2); /* its record went with it */
  assert_int_equal(gx_mempool_tick(mp), 1);
  assert_int_equal(gx_mempool_tick(mp), 0);
  assert_int_equal(gx_mempool_unknown(mp), 0);
  assert_int_equal(gx_mempool_size(mp), 1);
  assert_true(gx_mempool_contains(mp, e, &idk));
  assert_int_equal(gx_mempool_counters(mp)->unknown_expired, 2);
  gx_mempool_delete(mp);
}

/* A full pool evicts the oldest unknown transfer before any known one, and
 * an unknown account's transfer never evicts a known account's. */
static void test_full_pool_evicts_unknown_first(void **state) {
  (void)state;
  gx_mempool_cfg_t c = {.capacity = 4, .max_future = 8, .max_accounts = 4, .max_unknown = 4};
  gx_mempool_t *mp = mk_pool_cfg(&c);
  genesis_of(mp, 1, 2); /* A = 1, B = 2 */
  uint8_t e[GX_XFER_SZ], ea5[GX_XFER_SZ];
  gx_hash_t id, ida5, u[5];
  gx_mempool_evicted_t ev;
  mk_w(ea5, &ida5, 1, 5, 0); /* A's seq 5: distance 4, not ready */
  assert_int_equal(gx_mempool_insert(mp, ea5, &ida5, &ev), GX_MEMPOOL_OK);
  for (int j = 0; j < 3; j++) {
    mk_w(e, &u[j], 60 + (uint32_t)j, 1 + (uint64_t)(j % 2), 0);
    assert_int_equal(gx_mempool_insert(mp, e, &u[j], &ev), GX_MEMPOOL_OK);
  }
  assert_int_equal(gx_mempool_size(mp), 4);
  mk_w(e, &id, 2, 1, 0); /* B's seq 1 evicts the oldest junk, not A's far one */
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.evicted, 1);
  assert_int_equal(ev.evicted_unknown, 1);
  assert_memory_equal(&ev.id, &u[0], sizeof ev.id);
  mk_w(e, &u[3], 63, 2, 0); /* junk evicts junk */
  assert_int_equal(gx_mempool_insert(mp, e, &u[3], &ev), GX_MEMPOOL_OK);
  assert_memory_equal(&ev.id, &u[1], sizeof ev.id);
  mk_w(e, &id, 2, 2, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_memory_equal(&ev.id, &u[2], sizeof ev.id);
  mk_w(e, &id, 2, 3, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_memory_equal(&ev.id, &u[3], sizeof ev.id);
  assert_int_equal(gx_mempool_unknown(mp), 0);
  mk_w(e, &u[4], 64, 2, 0); /* no junk left to evict: junk never evicts known */
  assert_int_equal(gx_mempool_insert(mp, e, &u[4], &ev), GX_MEMPOOL_ERR_FULL);
  assert_true(gx_mempool_contains(mp, ea5, &ida5));
  mk_w(e, &id, 2, 4, 0); /* distance 3 evicts A's seq 5 (distance 4): the old rule */
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.evicted_unknown, 0);
  assert_memory_equal(&ev.id, &ida5, sizeof ev.id);
  gx_mempool_delete(mp);
}

/* Issue 19 item 4: the gate drops far-future transfers of every account the
 * node knows at genesis (not only those that committed), exactly at the
 * window's edge: head + max_future is admitted, head + max_future + 1 is too
 * far; the same for a committed account, and for an account it does not know
 * at all (head 0, as the pool judges it). Insert agrees every time. */
static void test_gate_boundaries(void **state) {
  (void)state;
  enum { W = 64 };
  gx_mempool_cfg_t c = {.capacity = 1024, .max_future = W, .max_accounts = 16};
  gx_mempool_t *mp = mk_pool_cfg(&c);
  genesis_of(mp, 1, 2); /* G = 1 (never transacts here), K = 2 */
  gx_pubkey_t kk = key_of(2);
  gx_mempool_on_committed(mp, &kk, 5); /* K's head: 5 */
  struct { uint32_t acct; uint64_t head, next_out; } who[] = {{1, 0, 1}, {2, 5, 6}, {3, 0, 0}};
  for (size_t a = 0; a < 3; a++) {
    uint64_t h = who[a].head;
    struct { uint64_t seq; gx_mempool_gate_t gate; gx_mempool_err_t insert; } cases[] = {
        {h + W + 1, GX_MEMPOOL_GATE_TOO_FAR, GX_MEMPOOL_ERR_TOO_FAR},
        {h + W, GX_MEMPOOL_GATE_ADMIT, GX_MEMPOOL_OK},
        {h + 1, GX_MEMPOOL_GATE_ADMIT, GX_MEMPOOL_OK},
        {(uint64_t)1 << 62, GX_MEMPOOL_GATE_TOO_FAR, GX_MEMPOOL_ERR_TOO_FAR},
        {h + W + 2, GX_MEMPOOL_GATE_TOO_FAR, GX_MEMPOOL_ERR_TOO_FAR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      uint8_t e[GX_XFER_SZ];
      gx_hash_t id;
      mk_w(e, &id, who[a].acct, cases[i].seq, 0);
      uint64_t ahead = 99, next = 99;
      assert_int_equal(gx_mempool_gate(mp, e, &ahead, &next), cases[i].gate);
      assert_int_equal(next, who[a].next_out);
      if (cases[i].gate == GX_MEMPOOL_GATE_ADMIT)
        assert_int_equal(ahead, who[a].next_out ? cases[i].seq - who[a].next_out : 0);
      assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), cases[i].insert);
    }
    if (h) { /* at and below the head: stale */
      uint8_t e[GX_XFER_SZ];
      gx_hash_t id;
      mk_w(e, &id, who[a].acct, h, 0);
      assert_int_equal(gx_mempool_gate(mp, e, NULL, NULL), GX_MEMPOOL_GATE_STALE);
      assert_int_equal(gx_mempool_insert(mp, e, &id, NULL), GX_MEMPOOL_ERR_STALE);
    }
  }
  gx_mempool_delete(mp);
}

/* The known table holds max_known accounts; the rest are counted, and judged
 * as never committed by the gate and the pool alike. */
static void test_known_table_full(void **state) {
  (void)state;
  gx_mempool_cfg_t c = {.capacity = 64, .max_future = 4, .max_accounts = 4, .max_known = 2};
  gx_mempool_t *mp = mk_pool_cfg(&c);
  gx_pubkey_t ks[3] = {key_of(1), key_of(2), key_of(3)};
  assert_int_equal(gx_mempool_genesis(mp, ks, 3), 1);
  assert_int_equal(gx_mempool_known(mp), 2);
  assert_int_equal(gx_mempool_counters(mp)->known_full, 1);
  assert_int_equal(gx_mempool_genesis(mp, ks, 2), 0); /* already there */
  gx_mempool_on_committed(mp, &ks[0], 9); /* updates in place */
  assert_int_equal(gx_mempool_next_seq(mp, &ks[0]), 10);
  assert_int_equal(gx_mempool_known(mp), 2);
  uint8_t e[GX_XFER_SZ];
  gx_hash_t id;
  gx_mempool_evicted_t ev;
  mk_w(e, &id, 3, 1, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.unknown, 1);
  mk_w(e, &id, 1, 10, 0);
  assert_int_equal(gx_mempool_insert(mp, e, &id, &ev), GX_MEMPOOL_OK);
  assert_int_equal(ev.unknown, 0);
  gx_mempool_cfg_t lim;
  gx_mempool_limits(mp, &lim);
  assert_int_equal(lim.max_known, 2);
  assert_int_equal(lim.max_unknown, 1); /* min(64 / 16, 4 / 4) */
  assert_int_equal(lim.unknown_ttl, 64);
  gx_mempool_delete(mp);
}

/* Random operations in the chain view: the bounds hold whatever the mix of
 * genesis, committed and unknown accounts, and nothing of an account that
 * never committed nor was funded at genesis is ever handed out. */
static void test_random_ops_chain(void **state) {
  (void)state;
  gx_mempool_cfg_t c = {.capacity = 60, .max_future = 16, .max_accounts = 6, .max_unknown = 12,
                        .unknown_ttl = 5};
  gx_mempool_t *mp = mk_pool_cfg(&c);
  genesis_of(mp, 1, 5); /* 1..5 genesis; 6..40 unknown until they commit */
  uint8_t known[41] = {0};
  for (int a = 1; a <= 5; a++) known[a] = 1;
  uint64_t rng = 777;
  uint8_t e[GX_XFER_SZ], out[8 * GX_XFER_SZ];
  gx_hash_t id;
  for (int step = 0; step < 40000; step++) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    int op = (int)(rng % 12);
    uint32_t acct = (uint32_t)(1 + (rng >> 8) % 40);
    uint64_t seq = 1 + (rng >> 16) % 24;
    if (op < 7) {
      mk_w(e, &id, acct, seq, (rng >> 32) % 2);
      gx_mempool_evicted_t ev;
      if (gx_mempool_insert(mp, e, &id, &ev) == GX_MEMPOOL_OK) assert_int_equal(ev.unknown, !known[acct]);
    } else if (op < 9) {
      size_t n = gx_mempool_take(mp, out, NULL, 8);
      for (size_t i = 0; i < n; i++) {
        uint32_t a;
        memcpy(&a, out + i * GX_XFER_SZ + 2, sizeof a);
        assert_true(a <= 40 && known[a]);
      }
    } else if (op < 11) {
      gx_pubkey_t k = key_of(acct);
      gx_mempool_on_committed(mp, &k, seq);
      known[acct] = 1;
      if ((rng >> 40) % 4 == 0) gx_mempool_untake_all(mp);
    } else {
      gx_mempool_tick(mp);
    }
    assert_true(gx_mempool_size(mp) <= 60);
    assert_true(gx_mempool_unknown(mp) <= 12);
    assert_true(gx_mempool_accounts(mp) <= 6 + 12);
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
      cmocka_unit_test(test_junk_cannot_starve_known),
      cmocka_unit_test(test_unknown_promoted_when_funded),
      cmocka_unit_test(test_unknown_expire),
      cmocka_unit_test(test_full_pool_evicts_unknown_first),
      cmocka_unit_test(test_gate_boundaries),
      cmocka_unit_test(test_known_table_full),
      cmocka_unit_test(test_random_ops_chain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
