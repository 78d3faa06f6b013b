/* The commit stage without the ingest pipeline: validators in one process
 * over real loopback UDP links and real stores. Five commit (empty) black
 * holes with certificates and agree byte for byte; a stopped validator's store
 * restarts at its height; a bad node key is refused with a reason. Five
 * change committee at an epoch boundary (one leaves, the others are
 * re-ordered and get fresh coin keys): consensus, links, certificates and the
 * proposal shards must all follow the new committee, or the test fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/gx_sock.h"
#include "validator/gx_cert.h"
#include "validator/gx_commit.h"

enum { N = 5 }; /* validators in genesis; the first test runs four of them */
static gx_genesis_t g;
static gx_ledger_alloc_t balances[4];
static gx_genesis_node_key_t keys[N];
static char root[64] = "/tmp/gx-commit-test.XXXXXX";
static char dirs[N][96];
static gx_sock_t *socks[N];

/* A pool that has nothing to propose and records what the proposer asked. */
typedef struct {
  uint32_t last_shard, last_n_shards;
  unsigned takes;
} test_pool_t;
static test_pool_t pools[N];
static gx_txpool_t pool_ops[N];
static size_t tp_take(void *ctx, uint32_t shard, uint32_t n_shards, uint8_t *out, size_t max, int *any_ready) {
  test_pool_t *p = ctx;
  (void)out, (void)max;
  p->last_shard = shard;
  p->last_n_shards = n_shards;
  p->takes++;
  *any_ready = 0;
  return 0;
}
static void tp_held(void *ctx, const uint8_t *const *x, const gx_hash_t *ids, size_t n, uint8_t *held) {
  (void)ctx, (void)x, (void)ids;
  memset(held, 0, n);
}
static void tp_verified(void *ctx, const uint8_t *x) { (void)ctx, (void)x; }
static void tp_committed(void *ctx, const gx_pubkey_t *a, const uint64_t *s, size_t n,
                         const uint8_t *const *d, const gx_hash_t *di, size_t nd) {
  (void)ctx, (void)a, (void)s, (void)n, (void)d, (void)di, (void)nd;
}

static int setup(void **st) {
  (void)st;
  if (sodium_init() < 0 || !mkdtemp(root)) return -1;
  gx_genesis_init(&g, balances, 4);
  snprintf(g.name, sizeof g.name, "commit-test");
  g.n = N;
  g.proposal_max_txs = 64;
  /* a port block below the ephemeral range, chosen by our pid */
  uint16_t base = (uint16_t)(21000 + (getpid() % 500) * 20);
  gx_keypair_t ids[N];
  gx_coin_pub_t pub;
  gx_coin_secret_t coin[N];
  for (unsigned i = 0; i < N; i++) {
    snprintf(g.v[i].host, sizeof g.v[i].host, "127.0.0.1");
    g.v[i].port = (uint16_t)(base + i);
    gx_key_generate(&ids[i]);
    g.v[i].identity = ids[i].pk;
  }
  gx_keypair_t acct;
  gx_key_derive(&acct, "commit-test", 0, 0);
  char err[256];
  if (gx_genesis_add_balance(&g, &acct.pk, 1000, err, sizeof err)) return -1;
  if (gx_coin_deal(&pub, coin, N, gx_genesis_f(&g), NULL) != GX_COIN_OK) return -1;
  memcpy(g.coin_group_vk, pub.group_vk, 32);
  for (unsigned i = 0; i < N; i++) memcpy(g.v[i].coin_vk, pub.vk[i], 32);
  if (gx_genesis_finish(&g, err, sizeof err) != GX_GENESIS_OK) return -1;
  for (unsigned i = 0; i < N; i++) {
    keys[i].index = (uint16_t)i;
    keys[i].genesis_id = g.id;
    keys[i].identity = ids[i];
    keys[i].coin_pub = pub;
    keys[i].coin = coin[i];
    snprintf(dirs[i], sizeof dirs[i], "%s/node-%u", root, i);
  }
  return 0;
}

static int teardown(void **st) {
  (void)st;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  return system(cmd) == 0 ? 0 : -1;
}

/* The consensus link queue, as galaxyd builds it: an exclusive UDP socket
 * at the validator's genesis address. */
static gx_dp_queue_t *link_queue(unsigned i) {
  if (!socks[i]) {
    gx_sock_cfg_t sc;
    gx_sock_cfg_defaults(&sc);
    char why[256];
    if (gx_sock_addr_resolve(g.v[i].host, g.v[i].port, &sc.bind, why, sizeof why)) return NULL;
    sc.poll_timeout_ms = 0;
    sc.exclusive = 1;
    socks[i] = gx_sock_open(&sc, why, sizeof why);
    if (!socks[i]) fprintf(stderr, "# node %u socket: %s\n", i, why);
  }
  return socks[i] ? gx_sock_queue(socks[i], 0) : NULL;
}

static void close_node(gx_commit_t **c, unsigned i) {
  gx_commit_delete(c[i]);
  c[i] = NULL;
  gx_sock_close(socks[i]);
  socks[i] = NULL;
}

static gx_commit_t *open_node(unsigned i) {
  gx_commit_cfg_t cfg;
  gx_commit_cfg_defaults(&cfg);
  cfg.genesis = &g;
  cfg.key = &keys[i];
  cfg.data_dir = dirs[i];
  cfg.tick_ms = 50;
  cfg.idle_epoch_ms = 20;
  cfg.link_queue = link_queue(i);
  pools[i] = (test_pool_t){0};
  pool_ops[i] = (gx_txpool_t){&pools[i], tp_take, tp_held, tp_verified, tp_committed};
  cfg.pool = &pool_ops[i];
  char err[512];
  gx_commit_t *c = gx_commit_new(&cfg, err, sizeof err);
  if (!c) fprintf(stderr, "# node %u: %s\n", i, err);
  return c;
}

static uint64_t min_height_of(gx_commit_t **c, unsigned n) {
  uint64_t h = UINT64_MAX;
  for (unsigned i = 0; i < n; i++) {
    if (!c[i]) continue;
    gx_commit_status_t s;
    gx_commit_status(c[i], &s);
    if (s.height < h) h = s.height;
  }
  return h;
}
#define min_height(c) min_height_of(c, N)

static void test_validators_commit_and_agree(void **st) {
  (void)st;
  gx_commit_t *c[N] = {0};
  char err[256];
  for (unsigned i = 0; i < N; i++) {
    c[i] = open_node(i);
    assert_non_null(c[i]);
  }
  for (unsigned i = 0; i < N; i++) assert_int_equal(gx_commit_start(c[i], err, sizeof err), 0);
  for (int t = 0; t < 300 && min_height(c) < 5; t++) usleep(20000);
  assert_true(min_height(c) >= 5);
  /* every node stored the same black holes 1..5, each with a certificate */
  static uint8_t a[1 << 16], b[1 << 16];
  for (uint64_t h = 1; h <= 5; h++) {
    gx_store_rec_t ra, rb;
    assert_int_equal(gx_store_get(gx_commit_store(c[0]), h, a, sizeof a, &ra), GX_STORE_OK);
    for (unsigned i = 1; i < N; i++) {
      assert_int_equal(gx_store_get(gx_commit_store(c[i]), h, b, sizeof b, &rb), GX_STORE_OK);
      assert_int_equal(ra.body_len, rb.body_len);
      assert_memory_equal(ra.body, rb.body, ra.body_len);
    }
  }
  int certs = 0;
  for (int t = 0; t < 200 && !certs; t++) {
    uint8_t cert[GX_STORE_MAX_CERT];
    size_t len;
    certs = gx_commit_cert(c[2], 3, cert, sizeof cert, &len) == 0 && len >= 2 + 2 * 66;
    if (!certs) usleep(20000);
  }
  assert_true(certs);
  gx_commit_status_t s;
  gx_commit_status(c[1], &s);
  assert_true(s.running);
  assert_string_equal(s.failure, "");
  assert_int_equal(s.total_balance, g.supply);
  gx_ledger_account_t acct;
  gx_keypair_t k;
  gx_key_derive(&k, "commit-test", 0, 0);
  assert_int_equal(gx_commit_account(c[3], &k.pk, &acct), 0);
  assert_int_equal(acct.balance, 1000);
  /* stop one validator: the other three keep committing */
  close_node(c, 3);
  uint64_t h0 = min_height(c);
  for (int t = 0; t < 300 && min_height(c) < h0 + 3; t++) usleep(20000);
  assert_true(min_height(c) >= h0 + 3);
  /* reopened from its store, it starts at the height it had stored */
  c[3] = open_node(3);
  assert_non_null(c[3]);
  gx_commit_status(c[3], &s);
  assert_true(s.height >= 5);
  for (unsigned i = 0; i < N; i++) close_node(c, i);
}

/* Five validators; at epoch E the committee becomes (3, 1, 4, 0): validator 2
 * leaves, the rest take new indices and new coin keys from the test dealer.
 * A component that still read membership from genesis would break: links
 * keyed by genesis index do not authenticate, the engine would run n = 5
 * with the old coin, certificates would not verify against the new set,
 * validator 2 would go on committing, the shards would be of 5. */
static void test_committee_change_at_epoch_boundary(void **st) {
  (void)st;
  char root2[64] = "/tmp/gx-commit-change.XXXXXX";
  assert_non_null(mkdtemp(root2));
  gx_commit_t *c[N] = {0};
  char err[256];
  for (unsigned i = 0; i < N; i++) {
    snprintf(dirs[i], sizeof dirs[i], "%s/node-%u", root2, i);
    c[i] = open_node(i);
    assert_non_null(c[i]);
  }
  for (unsigned i = 0; i < N; i++) assert_int_equal(gx_commit_start(c[i], err, sizeof err), 0);
  for (int t = 0; t < 300 && min_height_of(c, N) < 3; t++) usleep(20000);
  assert_true(min_height_of(c, N) >= 3);
  for (unsigned i = 0; i < N; i++) assert_int_equal(pools[i].last_n_shards, 5);

  /* the new committee */
  static const unsigned order[4] = {3, 1, 4, 0};
  gx_committee_t next;
  memset(&next, 0, sizeof next);
  next.n = 4;
  for (unsigned k = 0; k < 4; k++) {
    next.m[k].identity = g.v[order[k]].identity;
    snprintf(next.m[k].host, sizeof next.m[k].host, "%s", g.v[order[k]].host);
    next.m[k].port = g.v[order[k]].port;
  }
  uint64_t top = 0;
  for (unsigned i = 0; i < N; i++) {
    gx_commit_status_t s;
    gx_commit_status(c[i], &s);
    if (s.next_epoch > top) top = s.next_epoch;
  }
  next.first_epoch = top + 12;
  gx_coin_secret_t shares[4];
  uint8_t seed[32] = {7};
  assert_int_equal(gx_committee_test_deal(&next, shares, seed), GX_COMMITTEE_OK);
  for (unsigned i = 0; i < N; i++) {
    const gx_coin_secret_t *sh = NULL;
    for (unsigned k = 0; k < 4; k++)
      if (order[k] == i) sh = &shares[k];
    assert_int_equal(gx_commit_change_committee(c[i], &next, sh, err, sizeof err), 0);
  }
  /* a change that is not ahead is refused with a reason */
  gx_committee_t late = next;
  late.first_epoch = 0;
  assert_int_equal(gx_commit_change_committee(c[0], &late, &shares[3], err, sizeof err), -1);
  assert_non_null(strstr(err, "already started"));

  gx_commit_t *mem[4] = {c[3], c[1], c[4], c[0]};
  uint64_t want = next.first_epoch + 6;
  for (int t = 0; t < 600 && min_height_of(mem, 4) < want; t++) usleep(20000);
  assert_true(min_height_of(mem, 4) >= want);

  /* every member runs the new committee at its new index */
  for (unsigned k = 0; k < 4; k++) {
    gx_commit_status_t s;
    gx_commit_status(mem[k], &s);
    assert_int_equal(s.member, (int)k);
    assert_int_equal(s.members, 4);
    assert_int_equal(s.committee_changes, 1);
    assert_string_equal(s.failure, "");
    assert_int_equal(pools[order[k]].last_n_shards, 4); /* the proposer's shards follow */
    assert_true(pools[order[k]].last_shard < 4);
  }
  /* validator 2 left: it stopped at the boundary and runs no engine */
  gx_commit_status_t s2;
  gx_commit_status(c[2], &s2);
  assert_int_equal(s2.member, -1);
  assert_true(s2.height <= next.first_epoch);

  /* the members agree byte for byte, across the boundary */
  static uint8_t a[1 << 16], b[1 << 16];
  for (uint64_t h = next.first_epoch - 2; h <= want; h++) {
    gx_store_rec_t ra, rb;
    assert_int_equal(gx_store_get(gx_commit_store(mem[0]), h, a, sizeof a, &ra), GX_STORE_OK);
    for (unsigned k = 1; k < 4; k++) {
      assert_int_equal(gx_store_get(gx_commit_store(mem[k]), h, b, sizeof b, &rb), GX_STORE_OK);
      assert_int_equal(ra.body_len, rb.body_len);
      assert_memory_equal(ra.body, rb.body, ra.body_len);
    }
  }
  /* certificates after the boundary are the new committee's: they verify
   * against its set and not against the genesis set */
  gx_committee_t gen;
  gx_genesis_committee(&g, &gen);
  gx_cert_set_t new_set, gen_set;
  gx_committee_cert_set(&next, &new_set);
  gx_committee_cert_set(&gen, &gen_set);
  uint64_t h = next.first_epoch + 3; /* the black hole of epoch first_epoch + 2 */
  int got = 0;
  uint8_t certb[GX_CERT_MAX_SZ];
  size_t clen = 0;
  for (int t = 0; t < 200 && !got; t++) {
    got = gx_commit_cert(mem[1], h, certb, sizeof certb, &clen) == 0;
    if (!got) usleep(20000);
  }
  assert_true(got);
  gx_cert_t cert;
  assert_int_equal(gx_cert_decode(&cert, certb, clen), GX_CERT_OK);
  gx_store_rec_t rh;
  assert_int_equal(gx_store_get(gx_commit_store(mem[1]), h, a, sizeof a, &rh), GX_STORE_OK);
  assert_int_equal(gx_cert_verify(&cert, &new_set, &rh.hash), GX_CERT_OK);
  assert_int_not_equal(gx_cert_verify(&cert, &gen_set, &rh.hash), GX_CERT_OK);
  for (unsigned i = 0; i < N; i++) close_node(c, i);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root2);
  assert_int_equal(system(cmd), 0);
}

static void test_foreign_node_key_refused(void **st) {
  (void)st;
  gx_genesis_node_key_t bad = keys[1];
  bad.genesis_id.b[0] ^= 1; /* a key of another network */
  gx_commit_cfg_t cfg;
  gx_commit_cfg_defaults(&cfg);
  cfg.genesis = &g;
  cfg.key = &bad;
  cfg.data_dir = dirs[1];
  char err[512] = "";
  assert_null(gx_commit_new(&cfg, err, sizeof err));
  assert_true(strlen(err) > 0);
  cfg.key = NULL;
  assert_null(gx_commit_new(&cfg, err, sizeof err));
  assert_non_null(strstr(err, "node key"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_validators_commit_and_agree),
    cmocka_unit_test(test_foreign_node_key_refused),
    cmocka_unit_test(test_committee_change_at_epoch_boundary),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
