/* Unit tests of gx_genesis: format/parse round trip and a stable id, every
 * loader rejection with its line number, node key files (round trip, each
 * corruption, belonging to another genesis), and feeding the ledger; the key
 * ceremony: member files, identity key files, sealed coin shares (open only
 * with the member's identity, checked against the genesis), passphrase-
 * encrypted files (round trip, wrong passphrase, strict parser), secret
 * files refused when others may read them, passphrases from a file or fd;
 * ingest addresses (optional: the ids of genesis files without them pinned
 * to the values of the code before them; parse, format, id, every refusal,
 * in member files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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


/* ---- ingest addresses ---------------------------------------------------------- */
/* Ids of build() and build_clusters() computed by the code before ingest
 * addresses existed: a genesis without them keeps its id. */
#define PIN_FLAT "7b4d14f5e2a62b7579aa2ade4b803969ee875cc7d40476800f0f28c6b6dab741"
#define PIN_CLUSTERS "629761568925a0ba66eb9a21e0afe1005cacf24884a1f7626113dc5a1e85f9d4"

static void set_ingest(gx_genesis_validator_t *v, const char *host, unsigned port) {
  snprintf(v->ingest_host, sizeof v->ingest_host, "%s", host);
  v->ingest_port = (uint16_t)port;
}

/* ctext with every node's ingest address: validators 9000+i, stars 9100+10c+i. */
static void build_ingest(void) {
  build_clusters();
  for (int i = 0; i < 4; i++) set_ingest(&g.v[i], i == 3 ? "::1" : "127.0.0.1", 9000u + (unsigned)i);
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 4; i++) set_ingest(&g.cluster[c].star[i], "127.0.0.1", 9100u + 10u * (unsigned)c + (unsigned)i);
  char err[300];
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_true(gx_genesis_format(&g, ctext, sizeof ctext) > 0);
}

static void test_ingest(void **state) {
  (void)state;
  char hex[65], err[300] = "";
  build();
  gx_hex_encode(hex, g.id.b, 32);
  assert_string_equal(hex, PIN_FLAT);
  assert_int_equal(gx_genesis_has_ingest(&g), 0);
  assert_null(strstr(text, "ingest"));
  build_clusters();
  gx_hex_encode(hex, g.id.b, 32);
  assert_string_equal(hex, PIN_CLUSTERS);
  gx_hash_t plain = g.id;
  build_ingest();
  assert_int_equal(gx_genesis_has_ingest(&g), 1);
  assert_memory_not_equal(g.id.b, plain.b, 32);
  assert_non_null(strstr(ctext, "\n[validator 3]\nidentity = "));
  assert_non_null(strstr(ctext, "ingest = [::1]:9003\n"));
  assert_non_null(strstr(ctext, "ingest = 127.0.0.1:9113\n\n[balances]"));
  /* parse, format: the same text and id */
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_parse(&h, ctext, err, sizeof err), GX_GENESIS_OK);
  assert_memory_equal(h.id.b, g.id.b, 32);
  assert_string_equal(h.v[3].ingest_host, "::1");
  assert_int_equal(h.v[3].ingest_port, 9003);
  assert_string_equal(h.cluster[1].star[2].ingest_host, "127.0.0.1");
  assert_int_equal(h.cluster[1].star[2].ingest_port, 9112);
  static char again[32768];
  size_t n = gx_genesis_format(&h, again, sizeof again);
  assert_int_equal(n, strlen(ctext));
  assert_memory_equal(again, ctext, n);
  assert_true(gx_genesis_text_size(&h) > n);
  /* the committee is unchanged by them */
  gx_committee_t com;
  gx_genesis_cluster_committee(&h, 1, &com);
  assert_int_equal(com.m[2].port, 8012);
  /* the id covers each one, and whose it is */
  gx_hash_t id = g.id;
  g.cluster[1].star[3].ingest_port++;
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_memory_not_equal(g.id.b, id.b, 32);
  g.cluster[1].star[3].ingest_port--;
  set_ingest(&g.cluster[1].star[3], "", 0); /* only some nodes give one */
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  gx_hash_t some = g.id;
  assert_memory_not_equal(some.b, id.b, 32);
  assert_memory_not_equal(some.b, plain.b, 32);
  assert_true(gx_genesis_format(&g, again, sizeof again) > 0);
  assert_null(strstr(strstr(again, "[cluster 1 star 3]"), "ingest"));
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_parse(&h, again, err, sizeof err), GX_GENESIS_OK);
  assert_memory_equal(h.id.b, some.b, 32);
  assert_int_equal(h.cluster[1].star[3].ingest_port, 0);
  set_ingest(&g.cluster[1].star[3], "127.0.0.1", 9999); /* moved from star 2 to 3: another id */
  set_ingest(&g.cluster[1].star[2], "", 0);
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  gx_hash_t moved = g.id;
  set_ingest(&g.cluster[1].star[2], "127.0.0.1", 9999);
  set_ingest(&g.cluster[1].star[3], "", 0);
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_OK);
  assert_memory_not_equal(g.id.b, moved.b, 32);
  /* refusals: the loader's, and finish's */
  build_ingest();
  static char t[32768];
  edit(t, sizeof t, "ingest = 127.0.0.1:9112", "ingest = 127.0.0.1:9111");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[cluster 1 star 2] ingest: same as [cluster 1 star 1] ingest");
  edit(t, sizeof t, "ingest = 127.0.0.1:9112", "ingest = 127.0.0.1:9001");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[cluster 1 star 2] ingest: same as [validator 1] ingest");
  edit(t, sizeof t, "ingest = 127.0.0.1:9112", "ingest = 127.0.0.1:7002");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[cluster 1 star 2] ingest: same as [validator 2] address (consensus)");
  edit(t, sizeof t, "ingest = 127.0.0.1:9000", "ingest = 127.0.0.1:7000");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[validator 0] ingest: same as [validator 0] address");
  edit(t, sizeof t, "ingest = 127.0.0.1:9112", "ingest = 127.0.0.1");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[cluster 1 star 2] ingest: '127.0.0.1' is not host:port");
  edit(t, sizeof t, "ingest = 127.0.0.1:9112", "ingest = 127.0.0.1:65536");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "ingest: '127.0.0.1:65536'");
  edit(t, sizeof t, "ingest = 127.0.0.1:9112", "ingest = 127.0.0.1:9112\ningest = 127.0.0.1:9112");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[cluster 1 star 2] ingest: given twice");
  edit(t, sizeof t, "ingest = 127.0.0.1:9112", "ingest = a b:1");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "is not host:port");
  edit(t, sizeof t, "\n[balances]", "\n[validator 4]\ningest = 127.0.0.1:9004\n\n[balances]");
  expect_parse(t, GX_GENESIS_ERR_FIELD, "[validator 4] identity: missing");
  set_ingest(&g.v[1], "bad host", 5);
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_ERR_FIELD);
  assert_non_null(strstr(err, "[validator 1] ingest: '"));
  set_ingest(&g.v[1], "127.0.0.1", 0);
  assert_int_equal(gx_genesis_finish(&g, err, sizeof err), GX_GENESIS_ERR_FIELD);
  assert_non_null(strstr(err, "[validator 1] ingest: host without a port"));
  /* member files: an optional fourth field */
  static char m[4096];
  size_t o = 0;
  for (int i = 0; i < 4; i++) {
    gx_hex_encode(hex, ids[i].pk.b, 32);
    o += (size_t)snprintf(m + o, sizeof m - o, "%d %s 127.0.0.1:%d%s\n", i, hex, 7000 + i,
                          i == 1 ? " [::1]:9001" : i == 2 ? "\t127.0.0.1:9002 " : "");
  }
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_members_parse(&h, m, o, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(h.v[0].ingest_port, 0);
  assert_string_equal(h.v[0].ingest_host, "");
  assert_string_equal(h.v[1].ingest_host, "::1");
  assert_int_equal(h.v[1].ingest_port, 9001);
  assert_string_equal(h.v[2].ingest_host, "127.0.0.1");
  assert_int_equal(h.v[2].ingest_port, 9002);
}

/* ---- the key ceremony ------------------------------------------------------------ */
/* Minimal argon2id limits: the tests check the format, not the cost. */
#define T_OPS 1
#define T_MEM GX_GENESIS_ENC_MEM_MIN

static char tdir[64];

static void tfile(char *path, size_t cap, const char *name, const void *data, size_t len, unsigned mode) {
  snprintf(path, cap, "%s/%s", tdir, name);
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, len), (ssize_t)len);
  assert_int_equal(fchmod(fd, mode), 0);
  close(fd);
}

static void test_members(void **state) {
  (void)state;
  build_clusters();
  static char m[4096];
  char hex[65], err[300];
  size_t o = (size_t)snprintf(m, sizeof m, "# members\n\n");
  for (int i = 3; i >= 0; i--) { /* any order */
    gx_hex_encode(hex, ids[i].pk.b, 32);
    o += (size_t)snprintf(m + o, sizeof m - o, "%d\t%s  %s%s:%d\r\n", i, hex, i == 3 ? "[" : "",
                          i == 3 ? "::1]" : "127.0.0.1", 7000 + i);
  }
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 4; i++) {
      gx_hex_encode(hex, stars[c][i].pk.b, 32);
      o += (size_t)snprintf(m + o, sizeof m - o, "  %d:%d %s 127.0.0.1:%d \n", c, i, hex, 8000 + 10 * c + i);
    }
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_members_parse(&h, m, o, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(h.n, 4);
  assert_int_equal(h.cluster_count, 2);
  assert_int_equal(h.cluster[1].n, 4);
  for (int i = 0; i < 4; i++) {
    assert_memory_equal(h.v[i].identity.b, g.v[i].identity.b, 32);
    assert_string_equal(h.v[i].host, g.v[i].host);
    assert_int_equal(h.v[i].port, g.v[i].port);
  }
  assert_memory_equal(h.cluster[1].star[2].identity.b, stars[1][2].pk.b, 32);
  assert_int_equal(h.cluster[1].star[2].port, 8012);
  /* rejections, each naming its line */
  gx_hex_encode(hex, ids[0].pk.b, 32);
  char zero[65];
  memset(zero, '0', 64);
  zero[64] = 0;
  struct { const char *fmt, *msg; } bad[] = {
    {"0 %s 127.0.0.1:1\n0 %s 127.0.0.1:2\n", "line 2: validator 0 given twice"},
    {"0 %s 127.0.0.1:1\n2 %s 127.0.0.1:2\n", "validator 1 missing"},
    {"# only %s %s\n", "no validator"},
    {"0 %s 127.0.0.1:1\n1:0 %s 127.0.0.1:2\n", "cluster 0 has no star"},
    {"0 %s 127.0.0.1:1\n0:1 %s 127.0.0.1:2\n", "star 0:0 missing"},
    {"0 %s 127.0.0.1\n%s\n", "line 1: address"},
    {"0 %s 127.0.0.1:0\n%s\n", "line 1: address"},
    {"0 %s\n%s\n", "line 1: want 'INDEX IDENTITY HOST:PORT', then optionally INGEST_HOST:PORT"},
    {"0 %s 127.0.0.1:1 127.0.0.1:2 x\n%s\n", "line 1: want"},
    {"0 %s 127.0.0.1:1 x\n%s\n", "line 1: ingest address 'x'"},
    {"0 %s 127.0.0.1:1 127.0.0.1:0\n%s\n", "line 1: ingest address"},
    {"64 %s 127.0.0.1:1\n%s\n", "line 1: validator index"},
    {"00 %s 127.0.0.1:1\n%s\n", "line 1: validator index"},
    {"0:16 %s 127.0.0.1:1\n%s\n", "line 1: star index"},
    {"0 %.63s 127.0.0.1:1\n%s\n", "line 1: identity: want 64 hex"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    int n = snprintf(m, sizeof m, bad[k].fmt, hex, hex);
    gx_genesis_init(&h, bal_h, 16);
    if (gx_genesis_members_parse(&h, m, (size_t)n, err, sizeof err) != GX_GENESIS_ERR_FIELD || !strstr(err, bad[k].msg))
      fail_msg("case %zu: '%s'", k, err);
  }
  int n = snprintf(m, sizeof m, "0 %s 127.0.0.1:1\n", zero); /* a small-order point: no X25519 key */
  gx_genesis_init(&h, bal_h, 16);
  assert_int_equal(gx_genesis_members_parse(&h, m, (size_t)n, err, sizeof err), GX_GENESIS_ERR_FIELD);
  assert_non_null(strstr(err, "line 1: identity: not a usable ed25519 public key"));
  n = snprintf(m, sizeof m, "0 %s 127.0.0.1:1\n", hex);
  m[2] = 0; /* a NUL inside */
  assert_int_equal(gx_genesis_members_parse(&h, m, (size_t)n, err, sizeof err), GX_GENESIS_ERR_FIELD);
  assert_non_null(strstr(err, "NUL"));
}

static void test_identity_files(void **state) {
  (void)state;
  gx_genesis_identity_t id, back;
  char t[GX_GENESIS_IDENTITY_MAX], bad[GX_GENESIS_IDENTITY_MAX], err[300];
  memset(&id, 0, sizeof id);
  id.index = 5;
  gx_key_derive(&id.key, "identity-test", 0, 1);
  size_t n = gx_genesis_identity_format(&id, t, sizeof t);
  assert_true(n > 0);
  assert_int_equal(gx_genesis_identity_parse(&back, t, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(back.index, 5);
  assert_int_equal(back.star, 0);
  assert_memory_equal(back.key.sk, id.key.sk, 64);
  id.star = 1;
  id.cluster = 3;
  n = gx_genesis_identity_format(&id, t, sizeof t);
  assert_non_null(strstr(t, "\ncluster 3\n"));
  assert_int_equal(gx_genesis_identity_parse(&back, t, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(back.star, 1);
  assert_int_equal(back.cluster, 3);
  struct { const char *from, *to, *msg; } cases[] = {
    {"galaxy-identity-key v1", "galaxy-node-key v1", "not a galaxy identity key file"},
    {"index 5", "index 16", "line 3: want 'cluster C'"}, /* a star's index is below 16 */
    {"index 5", "index 05", "line 2"},
    {"cluster 3", "cluster 16", "line 3"},
    {"public ", "public A", "line 4"},
    {"secret ", "secret 0", "line 5"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *at = strstr(t, cases[i].from);
    assert_non_null(at);
    snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - t), t, cases[i].to, at + strlen(cases[i].from));
    assert_int_equal(gx_genesis_identity_parse(&back, bad, strlen(bad), err, sizeof err), GX_GENESIS_ERR_KEY);
    if (!strstr(err, cases[i].msg)) fail_msg("case %zu: '%s'", i, err);
  }
  /* upper-case hex: refused (one text per key) */
  memcpy(bad, t, n + 1);
  char *sx = strstr(bad, "secret ") + 7;
  for (char *p = sx; *p != '\n'; p++)
    if (*p >= 'a' && *p <= 'f') { *p = (char)(*p - 32); break; }
  assert_int_equal(gx_genesis_identity_parse(&back, bad, n, err, sizeof err), GX_GENESIS_ERR_KEY);
  /* a public key the secret does not derive */
  gx_keypair_t other;
  gx_key_derive(&other, "identity-test", 0, 2);
  char pkhex[65], ohex[65];
  gx_hex_encode(pkhex, id.key.pk.b, 32);
  gx_hex_encode(ohex, other.pk.b, 32);
  memcpy(bad, t, n + 1);
  memcpy(strstr(bad, pkhex), ohex, 64);
  assert_int_equal(gx_genesis_identity_parse(&back, bad, n, err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "does not derive"));
  memcpy(bad, t, n);
  memcpy(bad + n, "\n", 2);
  assert_int_equal(gx_genesis_identity_parse(&back, bad, n + 1, err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "trailing"));
}

static void test_shares(void **state) {
  (void)state;
  build_clusters();
  static gx_genesis_share_t s, back;
  static gx_genesis_node_key_t k;
  static char t[GX_GENESIS_SHARE_FILE_MAX], bad[GX_GENESIS_SHARE_FILE_MAX];
  char err[300];
  for (int i = 0; i < 4; i++) { /* every validator opens its own share into a node key of g */
    assert_int_equal(gx_genesis_share_seal(&s, &g, 0, 0, (unsigned)i, &pub, &sec[i], err, sizeof err), GX_GENESIS_OK);
    size_t n = gx_genesis_share_format(&s, t, sizeof t);
    assert_true(n > 0);
    assert_null(strstr(t, "cluster"));
    assert_int_equal(gx_genesis_share_parse(&back, t, n, err, sizeof err), GX_GENESIS_OK);
    assert_int_equal(back.sealed_len, s.sealed_len);
    assert_memory_equal(back.sealed, s.sealed, s.sealed_len);
    assert_int_equal(gx_genesis_share_open(&back, &ids[i], &k, err, sizeof err), GX_GENESIS_OK);
    assert_int_equal(k.index, i);
    assert_memory_equal(k.coin.x, sec[i].x, 32);
    assert_int_equal(gx_genesis_node_key_check(&k, &g, err, sizeof err), GX_GENESIS_OK);
    /* no other identity opens it */
    assert_int_equal(gx_genesis_share_open(&back, &ids[(i + 1) % 4], &k, err, sizeof err), GX_GENESIS_ERR_KEY);
    assert_non_null(strstr(err, "not to this identity key"));
    back.identity = ids[(i + 1) % 4].pk; /* even when the file names it */
    assert_int_equal(gx_genesis_share_open(&back, &ids[(i + 1) % 4], &k, err, sizeof err), GX_GENESIS_ERR_KEY);
    assert_non_null(strstr(err, "cannot open"));
  }
  /* a star of cluster 1 */
  assert_int_equal(gx_genesis_share_seal(&s, &g, 1, 1, 2, &cpub[1], &csec[1][2], err, sizeof err), GX_GENESIS_OK);
  size_t n = gx_genesis_share_format(&s, t, sizeof t);
  assert_non_null(strstr(t, "\ncluster 1\n"));
  assert_int_equal(gx_genesis_share_parse(&back, t, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(gx_genesis_share_open(&back, &stars[1][2], &k, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(k.star, 1);
  assert_int_equal(k.cluster, 1);
  assert_int_equal(gx_genesis_node_key_check(&k, &g, err, sizeof err), GX_GENESIS_OK);
  /* seal refusals */
  assert_int_equal(gx_genesis_share_seal(&s, &g, 0, 0, 4, &pub, &sec[0], err, sizeof err), GX_GENESIS_ERR_FIELD);
  assert_int_equal(gx_genesis_share_seal(&s, &g, 1, 2, 0, &cpub[1], &csec[1][0], err, sizeof err), GX_GENESIS_ERR_FIELD);
  assert_int_equal(gx_genesis_share_seal(&s, &g, 0, 0, 1, &pub, &sec[2], err, sizeof err), GX_GENESIS_ERR_FIELD);
  /* the outer genesis id changed: the sealed one disagrees */
  assert_int_equal(gx_genesis_share_seal(&s, &g, 0, 0, 1, &pub, &sec[1], err, sizeof err), GX_GENESIS_OK);
  s.genesis_id.b[3] ^= 1;
  assert_int_equal(gx_genesis_share_open(&s, &ids[1], &k, err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "another genesis"));
  /* one changed byte of the box */
  s.genesis_id.b[3] ^= 1;
  s.sealed[60] ^= 4;
  assert_int_equal(gx_genesis_share_open(&s, &ids[1], &k, err, sizeof err), GX_GENESIS_ERR_KEY);
  /* parser: each line */
  assert_int_equal(gx_genesis_share_seal(&s, &g, 0, 0, 1, &pub, &sec[1], err, sizeof err), GX_GENESIS_OK);
  n = gx_genesis_share_format(&s, t, sizeof t);
  struct { const char *from, *to, *msg; } cases[] = {
    {"galaxy-coin-share v1", "galaxy-coin-share v2", "not a sealed coin share"},
    {"index 1", "index x", "line 2"},
    {"genesis ", "genesis 0", "line 3"},
    {"identity ", "identity 0", "line 4"},
    {"sealed ", "sealed 0", "line 5"},
    {"sealed ", "sealed 0x", "line 5"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *at = strstr(t, cases[i].from);
    snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - t), t, cases[i].to, at + strlen(cases[i].from));
    assert_int_equal(gx_genesis_share_parse(&back, bad, strlen(bad), err, sizeof err), GX_GENESIS_ERR_KEY);
    if (!strstr(err, cases[i].msg)) fail_msg("case %zu: '%s'", i, err);
  }
  assert_int_equal(gx_genesis_share_parse(&back, t, n - 1, err, sizeof err), GX_GENESIS_ERR_KEY); /* no final \n */
  const char *sl = strstr(t, "sealed ") + 7; /* a box too short for any coin share */
  snprintf(bad, sizeof bad, "%.*s%.*s\n", (int)(sl - t), t, 2 * (GX_GENESIS_SEAL_OVERHEAD + 32), sl);
  assert_int_equal(gx_genesis_share_parse(&back, bad, strlen(bad), err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "line 5"));
  gx_genesis_node_key_wipe(&k);
}

static void test_encrypted(void **state) {
  (void)state;
  static gx_genesis_enc_t e, back;
  static char t[GX_GENESIS_ENC_FILE_MAX], t2[GX_GENESIS_ENC_FILE_MAX], bad[GX_GENESIS_ENC_FILE_MAX];
  static char plain[GX_GENESIS_ENC_PLAIN_MAX];
  char err[300];
  const char msg[] = "galaxy-node-key v1\nthe plain text\n";
  uint32_t ops;
  uint64_t mem;
  assert_int_equal(gx_genesis_kdf_preset("moderate", &ops, &mem), 0);
  assert_int_equal(ops, 3);
  assert_int_equal(mem, 256u << 20);
  assert_int_equal(gx_genesis_kdf_preset("interactive", &ops, &mem), 0);
  assert_int_equal(gx_genesis_kdf_preset("sensitive", &ops, &mem), 0);
  assert_int_equal(mem, 1u << 30);
  assert_int_equal(gx_genesis_kdf_preset("none", &ops, &mem), -1);
  assert_int_equal(gx_genesis_enc_seal(&e, msg, sizeof msg - 1, "pw", 2, T_OPS, T_MEM, err, sizeof err), GX_GENESIS_OK);
  size_t n = gx_genesis_enc_format(&e, t, sizeof t);
  assert_true(n > 0);
  assert_true(gx_genesis_enc_is(t, n));
  assert_false(gx_genesis_enc_is(msg, sizeof msg - 1));
  assert_int_equal(gx_genesis_enc_parse(&back, t, n, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(gx_genesis_enc_format(&back, t2, sizeof t2), n);
  assert_memory_equal(t, t2, n);
  size_t len;
  assert_int_equal(gx_genesis_enc_open(&back, "pw", 2, plain, sizeof plain, &len, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(len, sizeof msg - 1);
  assert_memory_equal(plain, msg, len);
  assert_int_equal(gx_genesis_enc_open(&back, "pW", 2, plain, sizeof plain, &len, err, sizeof err), GX_GENESIS_ERR_PASS);
  assert_non_null(strstr(err, "wrong passphrase"));
  assert_int_equal(gx_genesis_enc_open(&back, "pw", 0, plain, sizeof plain, &len, err, sizeof err), GX_GENESIS_ERR_PASS);
  back.box[3] ^= 1; /* a changed box, or changed limits: the MAC fails */
  assert_int_equal(gx_genesis_enc_open(&back, "pw", 2, plain, sizeof plain, &len, err, sizeof err), GX_GENESIS_ERR_PASS);
  back.box[3] ^= 1;
  back.opslimit = 2;
  assert_int_equal(gx_genesis_enc_open(&back, "pw", 2, plain, sizeof plain, &len, err, sizeof err), GX_GENESIS_ERR_PASS);
  /* limits and lengths out of range */
  assert_int_equal(gx_genesis_enc_seal(&e, msg, sizeof msg - 1, "pw", 2, 0, T_MEM, err, sizeof err), GX_GENESIS_ERR_RANGE);
  assert_int_equal(gx_genesis_enc_seal(&e, msg, sizeof msg - 1, "pw", 2, 1, T_MEM + 1, err, sizeof err), GX_GENESIS_ERR_RANGE);
  assert_int_equal(gx_genesis_enc_seal(&e, msg, 0, "pw", 2, 1, T_MEM, err, sizeof err), GX_GENESIS_ERR_RANGE);
  /* the strict parser, line by line */
  struct { const char *from, *to, *msg; } cases[] = {
    {"galaxy-encrypted-key v1", "galaxy-encrypted-key v2", "not an encrypted key file"},
    {"kdf argon2id13", "kdf argon2i13", "line 2"},
    {"opslimit 1", "opslimit 01", "line 3"},
    {"opslimit 1", "opslimit 17", "line 3"},
    {"opslimit 1", "opslimit 0", "line 3"},
    {"memlimit 8388608", "memlimit 8388609", "line 4"},
    {"memlimit 8388608", "memlimit 4194304", "line 4"},
    {"memlimit 8388608", "memlimit 2147483648", "line 4"},
    {"memlimit 8388608", "memlimit +8388608", "line 4"},
    {"salt ", "salt 0", "line 5"},
    {"salt ", "salt  ", "line 5"},
    {"nonce ", "nonce A", "line 6"},
    {"box ", "box 0", "line 7"},
    {"box ", "box ", "line 7"}, /* placeholder: replaced below by a short box */
  };
  for (size_t i = 0; i + 1 < sizeof cases / sizeof cases[0]; i++) {
    const char *at = strstr(t, cases[i].from);
    assert_non_null(at);
    snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - t), t, cases[i].to, at + strlen(cases[i].from));
    assert_int_equal(gx_genesis_enc_parse(&back, bad, strlen(bad), err, sizeof err), GX_GENESIS_ERR_KEY);
    if (!strstr(err, cases[i].msg)) fail_msg("case %zu: '%s'", i, err);
  }
  const char *bx = strstr(t, "box ");
  snprintf(bad, sizeof bad, "%.*sbox %032d\n", (int)(bx - t), t, 0); /* a MAC and nothing inside */
  assert_int_equal(gx_genesis_enc_parse(&back, bad, strlen(bad), err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "line 7"));
  memcpy(bad, t, n);
  memcpy(bad + n, "#", 2);
  assert_int_equal(gx_genesis_enc_parse(&back, bad, n + 1, err, sizeof err), GX_GENESIS_ERR_KEY);
  assert_non_null(strstr(err, "trailing"));
  assert_int_equal(gx_genesis_enc_parse(&back, t, n - 1, err, sizeof err), GX_GENESIS_ERR_KEY);
  memcpy(bad, t, n + 1);
  *strstr(bad, "\nsalt") = '\r';
  assert_int_equal(gx_genesis_enc_parse(&back, bad, n, err, sizeof err), GX_GENESIS_ERR_KEY);
}

static void test_secret_files(void **state) {
  (void)state;
  build();
  static gx_genesis_node_key_t k, back;
  static char kt[GX_GENESIS_NODE_KEY_MAX], et[GX_GENESIS_ENC_FILE_MAX], buf[64];
  static gx_genesis_enc_t e;
  char path[128], pwpath[128], pw[GX_GENESIS_PASSPHRASE_MAX + 1], err[300];
  size_t len;
  snprintf(tdir, sizeof tdir, "/tmp/gx-genesis-test.XXXXXX");
  assert_non_null(mkdtemp(tdir));
  /* modes: others may not read, group and others may not write */
  unsigned ok_modes[] = {0600, 0400, 0640, 0440}, bad_modes[] = {0644, 0604, 0660, 0602, 0666};
  for (size_t i = 0; i < 4; i++) {
    tfile(path, sizeof path, "s", "abc", 3, ok_modes[i]);
    assert_int_equal(gx_genesis_secret_read(path, buf, sizeof buf, &len, err, sizeof err), GX_GENESIS_OK);
    assert_int_equal(len, 3);
  }
  for (size_t i = 0; i < 5; i++) {
    tfile(path, sizeof path, "s", "abc", 3, bad_modes[i]);
    assert_int_equal(gx_genesis_secret_read(path, buf, sizeof buf, &len, err, sizeof err), GX_GENESIS_ERR_MODE);
    assert_non_null(strstr(err, "lets other users read or change"));
  }
  assert_int_equal(gx_genesis_secret_read(tdir, buf, sizeof buf, &len, err, sizeof err), GX_GENESIS_ERR_MODE);
  assert_non_null(strstr(err, "not a regular file"));
  tfile(path, sizeof path, "s", "abcd", 4, 0600);
  assert_int_equal(gx_genesis_secret_read(path, buf, 3, &len, err, sizeof err), GX_GENESIS_ERR_IO);
  snprintf(path, sizeof path, "%s/none", tdir);
  assert_int_equal(gx_genesis_secret_read(path, buf, sizeof buf, &len, err, sizeof err), GX_GENESIS_ERR_IO);
  /* passphrase files: one final line break dropped; one line only */
  struct { const char *text; gx_genesis_err_t code; const char *pw; } pws[] = {
    {"hunter2\n", GX_GENESIS_OK, "hunter2"},      {"hunter2", GX_GENESIS_OK, "hunter2"},
    {"hunter2\r\n", GX_GENESIS_OK, "hunter2"},    {"with space \n", GX_GENESIS_OK, "with space "},
    {"\n", GX_GENESIS_ERR_PASS, NULL},            {"", GX_GENESIS_ERR_PASS, NULL},
    {"a\nb\n", GX_GENESIS_ERR_PASS, NULL},        {"a\n\n", GX_GENESIS_ERR_PASS, NULL},
  };
  for (size_t i = 0; i < sizeof pws / sizeof pws[0]; i++) {
    tfile(pwpath, sizeof pwpath, "pw", pws[i].text, strlen(pws[i].text), 0600);
    gx_genesis_err_t c = gx_genesis_passphrase_file(pwpath, pw, sizeof pw, &len, err, sizeof err);
    if (c != pws[i].code) fail_msg("passphrase case %zu: %d '%s'", i, c, err);
    if (pws[i].pw) assert_string_equal(pw, pws[i].pw);
  }
  static char lng[GX_GENESIS_PASSPHRASE_MAX + 2];
  memset(lng, 'x', sizeof lng);
  tfile(pwpath, sizeof pwpath, "pw", lng, GX_GENESIS_PASSPHRASE_MAX, 0600);
  assert_int_equal(gx_genesis_passphrase_file(pwpath, pw, sizeof pw, &len, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(len, GX_GENESIS_PASSPHRASE_MAX);
  tfile(pwpath, sizeof pwpath, "pw", lng, GX_GENESIS_PASSPHRASE_MAX + 1, 0600);
  assert_int_equal(gx_genesis_passphrase_file(pwpath, pw, sizeof pw, &len, err, sizeof err), GX_GENESIS_ERR_PASS);
  tfile(pwpath, sizeof pwpath, "pw", "open\n", 5, 0644);
  assert_int_equal(gx_genesis_passphrase_file(pwpath, pw, sizeof pw, &len, err, sizeof err), GX_GENESIS_ERR_MODE);
  /* from a file descriptor: to its end */
  int p[2];
  assert_int_equal(pipe(p), 0);
  assert_int_equal(write(p[1], "from a pipe\n", 12), 12);
  close(p[1]);
  assert_int_equal(gx_genesis_passphrase_fd(p[0], pw, sizeof pw, &len, err, sizeof err), GX_GENESIS_OK);
  assert_string_equal(pw, "from a pipe");
  close(p[0]);
  assert_int_equal(gx_genesis_passphrase_fd(p[0], pw, sizeof pw, &len, err, sizeof err), GX_GENESIS_ERR_IO);
  /* node key files: plain, encrypted; with and without the passphrase */
  k.index = 1;
  k.genesis_id = g.id;
  k.identity = ids[1];
  k.coin_pub = pub;
  k.coin = sec[1];
  size_t n = gx_genesis_node_key_format(&k, kt, sizeof kt);
  tfile(path, sizeof path, "plain.key", kt, n, 0600);
  assert_int_equal(gx_genesis_node_key_load(&back, path, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_OK);
  tfile(path, sizeof path, "plain.key", kt, n, 0644);
  assert_int_equal(gx_genesis_node_key_load(&back, path, err, sizeof err), GX_GENESIS_ERR_MODE);
  assert_non_null(strstr(err, "plain.key: mode 0644"));
  assert_int_equal(gx_genesis_enc_seal(&e, kt, n, "hunter2", 7, T_OPS, T_MEM, err, sizeof err), GX_GENESIS_OK);
  size_t en = gx_genesis_enc_format(&e, et, sizeof et);
  tfile(path, sizeof path, "enc.key", et, en, 0600);
  tfile(pwpath, sizeof pwpath, "pw", "hunter2\n", 8, 0600);
  assert_int_equal(gx_genesis_node_key_open(&back, path, pwpath, err, sizeof err), GX_GENESIS_OK);
  assert_memory_equal(back.identity.sk, ids[1].sk, 64);
  assert_int_equal(gx_genesis_node_key_check(&back, &g, err, sizeof err), GX_GENESIS_OK);
  assert_int_equal(gx_genesis_node_key_load(&back, path, err, sizeof err), GX_GENESIS_ERR_PASS);
  assert_non_null(strstr(err, "encrypted: needs its passphrase"));
  tfile(pwpath, sizeof pwpath, "pw", "hunter3\n", 8, 0600);
  assert_int_equal(gx_genesis_node_key_open(&back, path, pwpath, err, sizeof err), GX_GENESIS_ERR_PASS);
  assert_non_null(strstr(err, "enc.key: wrong passphrase"));
  snprintf(pwpath, sizeof pwpath, "%s/nothere", tdir);
  assert_int_equal(gx_genesis_node_key_open(&back, path, pwpath, err, sizeof err), GX_GENESIS_ERR_IO);
  assert_non_null(strstr(err, "nothere"));
  /* the secret_load envelope is handed back for re-encryption */
  static char plain[GX_GENESIS_ENC_PLAIN_MAX];
  static gx_genesis_enc_t got;
  int was;
  assert_int_equal(gx_genesis_secret_load(path, "hunter2", 7, plain, sizeof plain, &len, &was, &got, err, sizeof err),
                   GX_GENESIS_OK);
  assert_int_equal(was, 1);
  assert_int_equal(len, n);
  assert_int_equal(got.opslimit, T_OPS);
  gx_genesis_node_key_wipe(&back);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_round_trip),
    cmocka_unit_test(test_rejections),
    cmocka_unit_test(test_node_keys),
    cmocka_unit_test(test_feeds_ledger),
    cmocka_unit_test(test_clusters),
    cmocka_unit_test(test_ingest),
    cmocka_unit_test(test_members),
    cmocka_unit_test(test_identity_files),
    cmocka_unit_test(test_shares),
    cmocka_unit_test(test_encrypted),
    cmocka_unit_test(test_secret_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
