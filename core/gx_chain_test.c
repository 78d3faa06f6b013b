/* Chain rules and equivocation proofs; Merkle tree properties. */
#include "core/gx_test_util.h"

#include <sodium.h>

#include "core/gx_chain.h"

static void test_chain_rules(void **st) {
  (void)st;
  gx_chain_head_t h = {0};
  gx_chain_link_t l = {.seq = 1};
  gx_hash_t id1, id2;
  memset(id1.b, 1, 32);
  memset(id2.b, 2, 32);
  assert_int_equal(gx_chain_check(&h, &l), GX_CHAIN_OK);
  l.prev = id2;
  assert_int_equal(gx_chain_check(&h, &l), GX_CHAIN_ERR_PREV);
  memset(&l.prev, 0, 32);
  gx_chain_advance(&h, &l, &id1);
  assert_int_equal(gx_chain_check(&h, &l), GX_CHAIN_ERR_REPLAY);
  l.seq = 3;
  l.prev = id1;
  assert_int_equal(gx_chain_check(&h, &l), GX_CHAIN_ERR_GAP);
  l.seq = 2;
  l.prev = id2;
  assert_int_equal(gx_chain_check(&h, &l), GX_CHAIN_ERR_PREV);
  l.prev = id1;
  assert_int_equal(gx_chain_check(&h, &l), GX_CHAIN_OK);
  assert_string_equal(gx_chain_err_label(GX_CHAIN_ERR_REPLAY), "replay");
}

static void test_equivocation_proof(void **st) {
  (void)st;
  gx_xfer_t a, b, c;
  uint8_t ea[GX_XFER_SZ], eb[GX_XFER_SZ], ec[GX_XFER_SZ];
  gx_keypair_t k1;
  gx_key_derive(&k1, "test", 0, 1);
  /* account 1 signs two different transfers at its seq 3 */
  gx_test_xfer(&a, ea, 1, 2, 10, 3, 1);
  gx_test_xfer(&b, eb, 1, 4, 10, 3, 1);
  assert_int_equal(gx_chain_is_equivocation(ea, eb, &k1.pk), 1);
  /* the same transfer twice is not an equivocation */
  assert_int_equal(gx_chain_is_equivocation(ea, ea, &k1.pk), 0);
  /* different seqs are not */
  gx_test_xfer(&c, ec, 1, 2, 10, 4, 1);
  assert_int_equal(gx_chain_is_equivocation(ea, ec, &k1.pk), 0);
  /* account 2 (counterparty at its seq 1 in a) and account 4 differ: not a party in both */
  gx_keypair_t k2;
  gx_key_derive(&k2, "test", 0, 2);
  assert_int_equal(gx_chain_is_equivocation(ea, eb, &k2.pk), 0);
  /* as counterparty: account 2 co-signs two transfers at its seq 1 */
  gx_test_xfer(&c, ec, 5, 2, 10, 1, 1);
  assert_int_equal(gx_chain_is_equivocation(ea, ec, &k2.pk), 1);
  /* a forged second transfer (bad signature) proves nothing */
  eb[130] ^= 1;
  assert_int_equal(gx_chain_is_equivocation(ea, eb, &k1.pk), 0);
}

static void test_merkle(void **st) {
  (void)st;
  enum { MAX = 33 };
  gx_hash_t leaves[MAX], scratch[MAX], branch[GX_MERKLE_MAX_DEPTH], root;
  for (int i = 0; i < MAX; i++) gx_merkle_leaf(&leaves[i], &i, sizeof i);
  for (size_t n = 1; n <= MAX; n++) {
    assert_int_equal(gx_merkle_root(&root, leaves, n, scratch), 0);
    for (size_t i = 0; i < n; i++) {
      int len = gx_merkle_branch(branch, leaves, n, i, scratch);
      assert_true(len >= 0);
      assert_int_equal(gx_merkle_verify(&root, &leaves[i], n, i, branch, (size_t)len), 0);
      /* wrong index, wrong leaf, truncated branch all fail */
      if (n > 1) {
        assert_int_equal(gx_merkle_verify(&root, &leaves[i], n, (i + 1) % n, branch, (size_t)len), -1);
        assert_int_equal(gx_merkle_verify(&root, &leaves[(i + 1) % n], n, i, branch, (size_t)len), -1);
        if (len > 0) assert_int_equal(gx_merkle_verify(&root, &leaves[i], n, i, branch, (size_t)len - 1), -1);
      }
    }
  }
  /* no duplication: [a,b,c] and [a,b,c,c] have different roots */
  gx_hash_t r3, r4, four[4] = {leaves[0], leaves[1], leaves[2], leaves[2]};
  gx_merkle_root(&r3, leaves, 3, scratch);
  gx_merkle_root(&r4, four, 4, scratch);
  assert_false(gx_hash_eq(&r3, &r4));
  gx_merkle_root(&root, leaves, 0, scratch);
  assert_true(gx_hash_is_zero(&root));
  /* domains separate */
  gx_hash_t h1, h2;
  gx_hash(&h1, GX_DOM_TX, "x", 1);
  gx_hash(&h2, GX_DOM_BLACKHOLE, "x", 1);
  assert_false(gx_hash_eq(&h1, &h2));
  assert_string_equal(gx_domain_tag(GX_DOM_TX), "gx.tx.v1");
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_chain_rules),
    cmocka_unit_test(test_equivocation_proof),
    cmocka_unit_test(test_merkle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
