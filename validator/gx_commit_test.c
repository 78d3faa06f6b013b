/* The commit stage without the ingest pipeline: four validators in one process
 * over real loopback UDP links and real stores. They commit (empty) black holes
 * with certificates and agree byte for byte; a stopped validator's store
 * restarts at its height; a bad node key is refused with a reason. */
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

#include "validator/gx_commit.h"

enum { N = 4 };
static gx_genesis_t g;
static gx_ledger_alloc_t balances[4];
static gx_genesis_node_key_t keys[N];
static char root[64] = "/tmp/gx-commit-test.XXXXXX";
static char dirs[N][96];

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

static gx_commit_t *open_node(unsigned i) {
  gx_commit_cfg_t cfg;
  gx_commit_cfg_defaults(&cfg);
  cfg.genesis = &g;
  cfg.key = &keys[i];
  cfg.data_dir = dirs[i];
  cfg.tick_ms = 50;
  cfg.idle_epoch_ms = 20;
  char err[512];
  gx_commit_t *c = gx_commit_new(&cfg, err, sizeof err);
  if (!c) fprintf(stderr, "# node %u: %s\n", i, err);
  return c;
}

static uint64_t min_height(gx_commit_t **c) {
  uint64_t h = UINT64_MAX;
  for (unsigned i = 0; i < N; i++) {
    if (!c[i]) continue;
    gx_commit_status_t s;
    gx_commit_status(c[i], &s);
    if (s.height < h) h = s.height;
  }
  return h;
}

static void test_four_validators_commit_and_agree(void **st) {
  (void)st;
  gx_commit_t *c[N];
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
  gx_store_account_t acct;
  gx_keypair_t k;
  gx_key_derive(&k, "commit-test", 0, 0);
  assert_int_equal(gx_commit_account(c[3], &k.pk, &acct), 0);
  assert_int_equal(acct.balance, 1000);
  /* stop one validator: the other three keep committing */
  gx_commit_delete(c[3]);
  c[3] = NULL;
  uint64_t h0 = min_height(c);
  for (int t = 0; t < 300 && min_height(c) < h0 + 3; t++) usleep(20000);
  assert_true(min_height(c) >= h0 + 3);
  /* reopened from its store, it starts at the height it had stored */
  c[3] = open_node(3);
  assert_non_null(c[3]);
  gx_commit_status(c[3], &s);
  assert_true(s.height >= 5);
  for (unsigned i = 0; i < N; i++) gx_commit_delete(c[i]);
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
    cmocka_unit_test(test_four_validators_commit_and_agree),
    cmocka_unit_test(test_foreign_node_key_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
