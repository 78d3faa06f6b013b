/* Unit tests of gx_genesis: format/parse round trip and a stable id, every
 * loader rejection with its line number, node key files (round trip, each
 * corruption, belonging to another genesis), and feeding the ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_util.h"
#include "validator/gx_genesis.h"

static gx_genesis_t g, h;
static gx_ledger_alloc_t bal_g[16], bal_h[16];
static gx_coin_pub_t pub;
static gx_coin_secret_t sec[GX_GENESIS_MAX_VALIDATORS];
static gx_keypair_t ids[4];
static char text[8192];
static char ctext[32768];
static gx_coin_pub_t cpub[2];
static gx_coin_secret_t csec[2][GX_GENESIS_CLUSTER_MAX];
static gx_keypair_t stars[2][4];

static void build(void) {
  gx_genesis_init(&g, bal_g, 16);
  snprintf(g.name, sizeof g.name, "unit-net");
  g.n = 4;
  g.proposal_max_txs = 100;
  uint8_t seed[32] = {42};
  assert_int_equal(gx_coin_deal(&pub, sec, 4, 1, seed), GX_COIN_OK);
  memcpy(g.coin_group_vk, pub.group_vk, 32);
  for (int i = 0; i < 4; i++) {
    gx_key_derive(&ids[i], "genesis-test", 0, (uint64_t)i);
    g.v[i].identity = ids[i].pk;
    snprintf(g.v[i].host, sizeof g.v[i].host, i == 3 ? "::1" : "127.0.0.1");
    g.v[i].port = (uint16_t)(7000 + i);
    memcpy(g.v[i].coin_vk, pub.vk[i], 32);
  }
  for (int i = 0; i < 3; i++) {
    gx_keypair_t k;
    gx_key_derive(&k, "genesis-acct", 0, (uint64_t)i);
    assert_int_equal(gx_genesis_add_balance(&g, &k.pk, 1000u * (unsigned)(i + 1), NULL, 0), GX_GENESIS_OK);
  }
  char err[300];
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_true(gx_genesis_format(&g, text, sizeof text) > 0);
}

static void test_round_trip(void **state) {
  (void)state;
  build();
  assert_int_equal(g.supply, 6000);
  assert_int_equal(gx_genesis_f(&g), 1);
  char err[300] = "";
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_parse(&h, text, err, sizeof err), GX_GENESIS_OK);
  assert_memory_equal(h.id.b, g.id.b, 32);
  assert_int_equal(h.n, 4);
  assert_string_equal(h.v[3].host, "::1");
  assert_int_equal(h.v[3].port, 7003);
  assert_int_equal(h.balance_count, 3);
  assert_int_equal(h.supply, 6000);
  char again[8192];
  size_t n = gx_genesis_format(&h, again, sizeof again);
  assert_int_equal(n, strlen(text));
  assert_memory_equal(again, text, n);
  assert_int_equal(gx_genesis_format(&h, again, 100), 0);
  /* the id covers every field */
  gx_hash_t id = g.id;
  g.v[2].port++;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_memory_not_equal(g.id.b, id.b, 32);
  g.v[2].port--;
  g.balances[0].amount++;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_memory_not_equal(g.id.b, id.b, 32);
  g.balances[0].amount--;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_memory_equal(g.id.b, id.b, 32);
}

/* Replaces the first occurrence of `from` in text with `to`, parses, and
 * checks the error code and message. */
static void expect_bad(const char *from, const char *to, gx_genesis_err_t code, const char *msg) {
  build();
  char buf[8400];
  const char *at = strstr(text, from);
  if (!at) fail_msg("'%s' not in the genesis text", from);
  size_t pre = (size_t)(at - text);
  snprintf(buf, sizeof buf, "%.*s%s%s", (int)pre, text, to, at + strlen(from));
  char err[300] = "";
  gx_genesis_init(&h, bal_h, 16);
  gx_genesis_err_t e = gx_genesis_parse(&h, buf, err, sizeof err);
  if (e != code || !strstr(err, msg))
    fail_msg("replacing '%s' by '%s': got %d '%s', want %d '%s'", from, to, e, err, code, msg);
}

static void test_rejections(void **state) {
  (void)state;
  expect_bad("name = unit-net", "name = bad name!", GX_GENESIS_ERR_FIELD, "line 6: [chain] name");
  expect_bad("name = unit-net", "name = a\nname = b", GX_GENESIS_ERR_FIELD, "line 7: [chain] name: given twice");
  expect_bad("proposal_max_txs = 100", "proposal_max_txs = 0", GX_GENESIS_ERR_RANGE, "line 7: [chain] proposal_max_txs");
  expect_bad("proposal_max_txs = 100", "proposal_max_txs = 9000", GX_GENESIS_ERR_RANGE, "n x it");
  expect_bad("proposal_max_txs = 100\n", "", GX_GENESIS_ERR_FIELD, "proposal_max_txs: missing");
  expect_bad("coin_group_key = ", "coin_group_key = zz", GX_GENESIS_ERR_FIELD, "line 8: [chain] coin_group_key");
  expect_bad("[chain]", "[chain]\nsurprise = 1", GX_GENESIS_ERR_FIELD, "line 6: [chain] surprise: unknown key");
  expect_bad("[balances]", "[extra]\nx = 1\n[balances]", GX_GENESIS_ERR_FIELD, "[extra]: unknown section");
  expect_bad("[validator 1]", "[validator 01]", GX_GENESIS_ERR_FIELD, "validator index");
  expect_bad("[validator 3]", "[validator 5]", GX_GENESIS_ERR_FIELD, "[validator 3]: missing");
  expect_bad("address = 127.0.0.1:7001", "address = 127.0.0.1", GX_GENESIS_ERR_FIELD, "[validator 1] address");
  expect_bad("address = 127.0.0.1:7001", "address = 127.0.0.1:0", GX_GENESIS_ERR_FIELD, "[validator 1] address");
  expect_bad("address = 127.0.0.1:7001", "address = 127.0.0.1:7000", GX_GENESIS_ERR_FIELD, "same as validator 0");
  expect_bad("address = [::1]:7003", "address = ::1:7003", GX_GENESIS_ERR_FIELD, "[validator 3] address");
  expect_bad("address = 127.0.0.1:7001\n", "", GX_GENESIS_ERR_FIELD, "[validator 1] address: missing");
  expect_bad("coin_key = ", "coin_key = 00", GX_GENESIS_ERR_FIELD, "[validator 0] coin_key");
  expect_bad("= 1000\n", "= 0\n", GX_GENESIS_ERR_RANGE, "is not in 1..2^62");
  expect_bad("= 1000\n", "= 4611686018427387904\n", GX_GENESIS_ERR_RANGE, "total supply above 2^62");
  expect_bad("[balances]\ngx", "[balances]\ngy", GX_GENESIS_ERR_FIELD, "[balances] gy");
  expect_bad("[balances]", "[balances\n", GX_GENESIS_ERR_SYNTAX, "syntax error");
  expect_bad("[chain]\n", "[chain]\njunk line\n", GX_GENESIS_ERR_SYNTAX, "line 6: syntax error");
  /* a checksum typo in an address */
  build();
  char *b = strstr(text, "[balances]\ngx") + 11 + 70;
  *b = *b == '0' ? '1' : '0';
  char err[300];
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_parse(&h, text, err, sizeof err), GX_GENESIS_ERR_FIELD);
  assert_non_null(strstr(err, "checksum"));
  /* same account twice */
  build();
  char *first = strstr(text, "[balances]\n") + 11;
  char line[128];
  snprintf(line, sizeof line, "%.*s", (int)(strchr(first, '\n') - first + 1), first);
  strcat(text, line);
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_parse(&h, text, err, sizeof err), GX_GENESIS_ERR_FIELD);
  assert_non_null(strstr(err, "listed twice"));
  /* coin keys that are not one sharing */
  build();
  g.v[1].coin_vk[0] ^= 1;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_ERR_COIN);
  build();
  memcpy(g.v[1].coin_vk, g.v[2].coin_vk, 32);
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_ERR_COIN);
  build();
  g.v[2].identity = g.v[0].identity;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_ERR_FIELD);
  /* balance capacity */
  build();
  gx_genesis_init(&h, bal_h, 2);
  assert_int_equal(gx_genesis_parse(&h, text, err, sizeof err), GX_GENESIS_ERR_RANGE);
  assert_non_null(strstr(err, "more than 2 balances"));
}

static void test_node_keys(void **state) {
  (void)state;
  build();
  static gx_genesis_node_key_t k, back;
  static char kt[GX_GENESIS_NODE_KEY_MAX];
  char err[300];
  k.index = 2;
  k.genesis_id = g.id;
  k.identity = ids[2];
  k.coin_pub = pub;
  k.coin = sec[2];
  size_t n = gx_genesis_node_key_format(&k, kt, sizeof kt);
  assert_true(n > 0);
  assert_int_equal(gx_genesis_node_key_parse(&back, kt, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(back.index, 2);
  assert_memory_equal(back.identity.sk, ids[2].sk, 64);
  assert_memory_equal(back.coin.x, sec[2].x, 32);
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_OK);
  /* corruptions */
  static char bad[GX_GENESIS_NODE_KEY_MAX];
  struct { const char *from, *to, *msg; } cases[] = {
    {"galaxy-node-key v1", "galaxy-key v1", "not a galaxy node key file"},
    {"index 2", "index 99", "line 2"},
    {"genesis ", "genesis 00", "line 3"},
    {"public ", "public 0", "line 4"},
    {"secret ", "secret x", "line 5"},
    {"coin ", "coin zz", "line 6"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *at = strstr(kt, cases[i].from);
    assert_non_null(at);
    snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - kt), kt, cases[i].to, at + strlen(cases[i].from));
    assert_int_equal(gx_genesis_node_key_parse(&back, bad, strlen(bad), err, sizeof err), GX_GENESIS_ERR_KEY);
    if (!strstr(err, cases[i].msg)) fail_msg("case %zu: '%s'", i, err);
  }
  /* secret of another key */
  char pkhex[65], otherhex[65];
  gx_hex_encode(pkhex, ids[2].pk.b, 32);
  gx_hex_encode(otherhex, ids[1].pk.b, 32);
  memcpy(bad, kt, n + 1);
  memcpy(strstr(bad, pkhex), otherhex, 64);
  assert_int_equal(gx_genesis_node_key_parse(&back, bad, n, err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "does not derive"));
  /* trailing text */
  memcpy(bad, kt, n);
  memcpy(bad + n, "x\n", 3);
  assert_int_equal(gx_genesis_node_key_parse(&back, bad, n + 2, err, sizeof err), GX_GENESIS_ERR_KEY);
  /* index and coin share of another validator */
  k.coin = sec[1];
  n = gx_genesis_node_key_format(&k, kt, sizeof kt);
  assert_int_equal(gx_genesis_node_key_parse(&back, kt, n, err, sizeof err), GX_GENESIS_ERR_KEY);
  /* belongs to another genesis / wrong identity */
  k.coin = sec[2];
  k.genesis_id.b[0] ^= 1;
  n = gx_genesis_node_key_format(&k, kt, sizeof kt);
  assert_int_equal(gx_genesis_node_key_parse(&back, kt, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "another genesis"));
  k.genesis_id = g.id;
  k.identity = ids[3];
  n = gx_genesis_node_key_format(&k, kt, sizeof kt);
  assert_int_equal(gx_genesis_node_key_parse(&back, kt, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_ERR_KEY);
  gx_genesis_node_key_wipe(&back);
}

static void test_feeds_ledger(void **state) {
  (void)state;
  build();
  gx_ledger_cfg_t cfg;
  gx_ledger_cfg_defaults(&cfg);
  cfg.max_accounts = 64;
  gx_genesis_ledger_cfg(&g, &cfg);
  assert_int_equal(cfg.max_proposers, 4);
  assert_int_equal(cfg.max_proposal_txs, 100);
  gx_committee_t com;
  gx_genesis_committee(&g, &com);
  assert_int_equal(com.n, 4);
  assert_int_equal(com.f, 1);
  assert_int_equal(com.first_epoch, 0);
  assert_int_equal(gx_committee_index(&com, &ids[2].pk), 2);
  gx_cert_set_t set;
  gx_committee_cert_set(&com, &set);
  assert_int_equal(set.n, 4);
  assert_int_equal(gx_cert_quorum(&set), 2);
  gx_hash_t bh = {{5}};
  gx_sig_t sig;
  gx_cert_sign(&sig, &bh, ids[3].sk);
  assert_int_equal(gx_cert_verify_sig(&set.key[3], &bh, &sig), 0);
  void *mem = aligned_alloc(GX_LEDGER_ALIGN, (gx_ledger_footprint(&cfg) + 63) & ~(size_t)63);
  gx_ledger_t *l = gx_ledger_new(mem, &cfg);
  assert_non_null(l);
  assert_int_equal(gx_ledger_genesis(l, &g.id, g.balances, g.balance_count), GX_LEDGER_OK);
  assert_int_equal(gx_ledger_total(l), g.supply);
  gx_hash_t tip;
  gx_ledger_tip(l, &tip, NULL);
  assert_memory_equal(tip.b, g.id.b, 32);
  free(gx_ledger_delete(l));
}

/* g with two clusters of 4 stars (each its own coin sharing). */
static void build_clusters(void) {
  build();
  g.cluster_count = 2;
  g.fold_sample = 1024;
  g.lsh_max_txs = 512;
  for (int c = 0; c < 2; c++) {
    uint8_t seed[32] = {(uint8_t)(7 + c)};
    assert_int_equal(gx_coin_deal(&cpub[c], csec[c], 4, 1, seed), GX_COIN_OK);
    gx_genesis_cluster_t *cl = &g.cluster[c];
    cl->n = 4;
    memcpy(cl->coin_group_vk, cpub[c].group_vk, 32);
    for (int i = 0; i < 4; i++) {
      gx_key_derive(&stars[c][i], "genesis-star", (uint64_t)c, (uint64_t)i);
      cl->star[i].identity = stars[c][i].pk;
      snprintf(cl->star[i].host, sizeof cl->star[i].host, "127.0.0.1");
      cl->star[i].port = (uint16_t)(8000 + 10 * c + i);
      memcpy(cl->star[i].coin_vk, cpub[c].vk[i], 32);
    }
  }
  char err[300];
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_true(gx_genesis_format(&g, ctext, sizeof ctext) > 0);
}

static void expect_parse(const char *t, gx_genesis_err_t code, const char *msg) {
  char err[300] = "";
  gx_genesis_init(&h, bal_h, 16);
  gx_genesis_err_t e = gx_genesis_parse(&h, t, err, sizeof err);
  if (e != code || (msg && !strstr(err, msg))) fail_msg("want %d '%s', got %d '%s'", code, msg ? msg : "", e, err);
}

/* Replaces the first `from` in ctext by `to` into out. */
static void edit(char *out, size_t cap, const char *from, const char *to) {
  const char *at = strstr(ctext, from);
  assert_non_null(at);
  snprintf(out, cap, "%.*s%s%s", (int)(at - ctext), ctext, to, at + strlen(from));
}

static void test_clusters(void **state) {
  (void)state;
  build();
  gx_hash_t flat = g.id;
  build_clusters();
  assert_memory_not_equal(g.id.b, flat.b, 32); /* the clusters are in the id */
  char err[300] = "";
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_parse(&h, ctext, err, sizeof err), GX_GENESIS_OK);
  assert_memory_equal(h.id.b, g.id.b, 32);
  assert_int_equal(h.cluster_count, 2);
  assert_int_equal(h.cluster[1].n, 4);
  assert_int_equal(h.cluster[1].star[3].port, 8013);
  assert_int_equal(h.fold_sample, 1024);
  assert_int_equal(h.lsh_max_txs, 512);
  static char again[32768];
  size_t n = gx_genesis_format(&h, again, sizeof again);
  assert_int_equal(n, strlen(ctext));
  assert_memory_equal(again, ctext, n);
  /* the id covers the clusters' fields */
  gx_hash_t id = g.id;
  g.cluster[1].star[3].port++;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_memory_not_equal(g.id.b, id.b, 32);
  g.cluster[1].star[3].port--;
  g.fold_sample++;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_memory_not_equal(g.id.b, id.b, 32);
  g.fold_sample--;
  /* defaults when the [chain] keys are left out */
  static char t[32768];
  edit(t, sizeof t, "fold_sample = 1024\nlsh_max_txs = 512\n", "");
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_parse(&h, t, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(h.fold_sample, GX_GENESIS_FOLD_SAMPLE_DEFAULT);
  assert_int_equal(h.lsh_max_txs, GX_GENESIS_LSH_MAX_TXS_DEFAULT);
  /* rejections */
  edit(t, sizeof t, "fold_sample = 1024", "fold_sample = 65537");
  expect_parse(t, GX_GENESIS_ERR_RANGE, "fold_sample");
  edit(t, sizeof t, "\n[cluster 1 star 3]\n", "\n[cluster 1 star 4]\n");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[cluster 1 star 3]: missing");
  edit(t, sizeof t, "\n[cluster 0 star 1]\n", "\n[cluster 0 sun 1]\n");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "want [cluster C star I]");
  char vid[65];
  gx_hex_encode(vid, ids[0].pk.b, 32);
  char sid[65];
  gx_hex_encode(sid, stars[1][0].pk.b, 32);
  edit(t, sizeof t, sid, vid); /* a star with a validator's identity */
  expect_parse(t, GX_GENESIS_ERR_FIELD, "same key as [validator 0]");
  edit(t, sizeof t, "127.0.0.1:8011", "127.0.0.1:8010");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[cluster 1 star 1] address: same as [cluster 1 star 0]");
  char ck[65], ck2[65];
  gx_hex_encode(ck, cpub[0].vk[2], 32);
  gx_hex_encode(ck2, cpub[1].vk[2], 32);
  edit(t, sizeof t, ck, ck2); /* cluster 0 star 2 with cluster 1's coin key */
  expect_parse(t, GX_GENESIS_ERR_COIN, "[cluster 0] coin keys");
  /* three stars: f_c would be 0 */
  g.cluster[1].n = 3;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_ERR_RANGE);
  assert_non_null(strstr(err, "want 4..16 stars"));
  g.cluster[1].n = 4;
  /* a flat genesis may not set the cluster keys */
  static char ft[8192];
  const char *at = strstr(text, "coin_group_key");
  assert_non_null(at);
  snprintf(ft, sizeof ft, "%.*sfold_sample = 5\n%s", (int)(at - text), text, at);
  expect_parse(ft, GX_GENESIS_ERR_FIELD, "need [cluster] sections");
  /* fold configuration */
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  gx_fold_cfg_t fc;
  gx_fold_cluster_t fcl[2];
  gx_genesis_fold(&g, &fc, fcl);
  assert_int_equal(fc.cluster_count, 2);
  assert_int_equal(fc.sample_per_65536, 1024);
  assert_int_equal(fc.max_block_txs, 512);
  assert_int_equal(fc.max_blocks, GX_FOLD_MAX_BLOCKS); /* 32768 / 512 = 64 */
  assert_true(gx_fold_footprint(&fc) > 0);
  assert_memory_equal(fcl[1].members[2].b, stars[1][2].pk.b, 32);
  gx_committee_t com;
  gx_genesis_cluster_committee(&g, 1, &com);
  assert_int_equal(com.n, 4);
  assert_int_equal(com.f, 1);
  assert_int_equal(gx_committee_index(&com, &stars[1][3].pk), 3);
  /* a star's node key */
  static gx_genesis_node_key_t k, back;
  static char kt[GX_GENESIS_NODE_KEY_MAX];
  memset(&k, 0, sizeof k);
  k.index = 3;
  k.star = 1;
  k.cluster = 1;
  k.genesis_id = g.id;
  k.identity = stars[1][3];
  k.coin_pub = cpub[1];
  k.coin = csec[1][3];
  n = gx_genesis_node_key_format(&k, kt, sizeof kt);
  assert_true(n > 0);
  assert_non_null(strstr(kt, "\ncluster 1\n"));
  assert_int_equal(gx_genesis_node_key_parse(&back, kt, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(back.star, 1);
  assert_int_equal(back.cluster, 1);
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_OK);
  back.cluster = 0; /* the same key claimed for the other cluster */
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "[cluster 0 star 3]"));
  back.cluster = 5;
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_ERR_KEY);
  /* a galaxy's key file has no cluster line and stays a galaxy's */
  k.star = 0;
  k.cluster = 0;
  k.index = 1;
  k.identity = ids[1];
  k.coin_pub = pub;
  k.coin = sec[1];
  n = gx_genesis_node_key_format(&k, kt, sizeof kt);
  assert_null(strstr(kt, "cluster"));
  assert_int_equal(gx_genesis_node_key_parse(&back, kt, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(back.star, 0);
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_OK);
  gx_genesis_node_key_wipe(&back);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_round_trip),
    cmocka_unit_test(test_rejections),
    cmocka_unit_test(test_node_keys),
    cmocka_unit_test(test_feeds_ledger),
    cmocka_unit_test(test_clusters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
