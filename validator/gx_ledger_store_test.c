/* The ledger's output goes straight into the real store (io_uring log +
 * LMDB in a temporary directory): each block is appended with its tx ids and
 * account updates; the stored accounts equal the ledger's; the store reopens
 * with gx_ledger_bh_hash checking every body; a second ledger restarts from
 * the store (accounts + tip) and builds the same next block as the first. */
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

#include "core/gx_key.h"
#include "storage/gx_store.h"
#include "validator/gx_ledger.h"

#define NA 16
static gx_keypair_t keys[NA];
static uint64_t seq[NA];
static gx_hash_t head[NA];

static gx_ledger_t *new_ledger(void) {
  gx_ledger_cfg_t cfg;
  gx_ledger_cfg_defaults(&cfg);
  cfg.max_accounts = 64;
  cfg.max_proposers = 2;
  cfg.max_proposal_txs = 16;
  void *mem = aligned_alloc(GX_LEDGER_ALIGN, (gx_ledger_footprint(&cfg) + 63) & ~(size_t)63);
  gx_ledger_t *l = gx_ledger_new(mem, &cfg);
  assert_non_null(l);
  return l;
}

static void tx(uint8_t enc[GX_XFER_SZ], int a, int b, uint64_t amount) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  x.initiator = keys[a].pk;
  x.counterparty = keys[b].pk;
  x.amount = amount;
  x.init_link.seq = seq[a] + 1;
  x.init_link.prev = head[a];
  x.cp_link.seq = seq[b] + 1;
  x.cp_link.prev = head[b];
  assert_int_equal(gx_xfer_sign_init(&x, keys[a].sk), 0);
  assert_int_equal(gx_xfer_sign_cp(&x, keys[b].sk), 0);
  gx_xfer_encode(&x, enc);
  gx_hash_t id;
  gx_xfer_id(&id, enc);
  seq[a]++; head[a] = id;
  seq[b]++; head[b] = id;
}

static int collect_account(void *ctx, const uint8_t key[32], const gx_store_account_t *a) {
  gx_ledger_t *l = ctx;
  gx_pubkey_t pk;
  memcpy(pk.b, key, 32);
  gx_ledger_account_t la = {.balance = a->balance, .seq = a->seq, .head = a->head};
  return gx_ledger_load_account(l, &pk, &la) != GX_LEDGER_OK;
}

typedef struct {
  const gx_ledger_t *l;
  int n, bad;
} cmp_ctx_t;
static int compare_account(void *ctx, const uint8_t key[32], const gx_store_account_t *a) {
  cmp_ctx_t *c = ctx;
  gx_pubkey_t pk;
  memcpy(pk.b, key, 32);
  gx_ledger_account_t mine;
  c->n++;
  if (gx_ledger_account(c->l, &pk, &mine) || mine.balance != a->balance || mine.seq != a->seq ||
      memcmp(mine.head.b, a->head.b, 32))
    c->bad++;
  return 0;
}

static gx_store_t *open_store(const char *dir) {
  gx_store_cfg_t cfg;
  gx_store_cfg_defaults(&cfg);
  cfg.dir = dir;
  cfg.durability = GX_STORE_DURABLE_BLOCK;
  cfg.apply_interval_ms = 0;
  cfg.segment_bytes = 1 << 20;
  cfg.write_buffer_bytes = 1 << 20;
  cfg.lmdb_map_bytes = 64 << 20;
  cfg.hash_fn = gx_ledger_bh_hash;
  gx_store_t *st = NULL;
  gx_store_error_t err;
  gx_store_err_t e = gx_store_open(&cfg, &st, &err);
  if (e != GX_STORE_OK) fail_msg("store open: %s", err.msg);
  return st;
}

static void append(gx_store_t *st, const gx_ledger_block_t *b) {
  /* the ledger's updates as storage's records */
  static gx_store_account_update_t up[64];
  assert_true(b->update_count <= 64);
  for (uint32_t i = 0; i < b->update_count; i++) {
    memcpy(up[i].key, b->updates[i].account.b, 32);
    up[i].state.balance = b->updates[i].state.balance;
    up[i].state.seq = b->updates[i].state.seq;
    up[i].state.head = b->updates[i].state.head;
  }
  gx_store_block_t blk = {
    .height = b->header.height, .hash = b->id, .body = b->encoded, .body_len = (uint32_t)b->encoded_len,
    .tx_hashes = b->tx_ids, .tx_count = b->tx_count, .updates = up, .update_count = b->update_count,
  };
  assert_int_equal(gx_store_append(st, &blk), GX_STORE_OK);
  assert_int_equal(gx_store_sync(st), GX_STORE_OK);
}

static int cmp_alloc(const void *a, const void *b) {
  return memcmp(((const gx_ledger_alloc_t *)a)->account.b, ((const gx_ledger_alloc_t *)b)->account.b, 32);
}

static void test_ledger_to_store_and_restart(void **state) {
  (void)state;
  char dir[] = "/tmp/gx-ledger-store.XXXXXX";
  assert_non_null(mkdtemp(dir));
  gx_ledger_t *l = new_ledger();
  gx_ledger_alloc_t al[4];
  for (int i = 0; i < 4; i++) {
    al[i].account = keys[i].pk;
    al[i].amount = 500;
  }
  qsort(al, 4, sizeof al[0], cmp_alloc);
  gx_hash_t gid = {{0x47}};
  assert_int_equal(gx_ledger_genesis(l, &gid, al, 4), GX_LEDGER_OK);
  gx_store_t *st = open_store(dir);
  for (int h = 1; h <= 4; h++) {
    uint8_t p[4][GX_XFER_SZ];
    for (int i = 0; i < 4; i++) tx(p[i], i, 4 + (h + i) % 12, (uint64_t)(10 * h + i));
    const uint8_t *props[2] = {p[0], p[2]};
    uint32_t lens[2] = {2 * GX_XFER_SZ, 2 * GX_XFER_SZ};
    gx_ledger_block_t b;
    assert_int_equal(gx_ledger_apply_epoch(l, (uint64_t)h, props, lens, 2, NULL, NULL, &b), GX_LEDGER_OK);
    assert_int_equal(b.tx_count, 4);
    append(st, &b);
    assert_int_equal(gx_ledger_commit(l), GX_LEDGER_OK);
  }
  /* the store holds what the ledger holds */
  cmp_ctx_t c = {.l = l};
  assert_int_equal(gx_store_accounts(st, compare_account, &c), GX_STORE_OK);
  assert_int_equal(c.bad, 0);
  assert_true(c.n > 4);
  gx_hash_t tip, root;
  gx_ledger_tip(l, &tip, &root);
  uint64_t hgt = 0;
  assert_int_equal(gx_store_height_of(st, &tip, &hgt), GX_STORE_OK);
  assert_int_equal(hgt, 4);
  gx_store_error_t verr;
  assert_int_equal(gx_store_verify(st, &verr), GX_STORE_OK);
  assert_int_equal(gx_store_close(st), GX_STORE_OK);

  /* restart: reopen (recovery hashes every body), reload the ledger */
  st = open_store(dir);
  static uint8_t rec_buf[1 << 16];
  gx_store_rec_t rec;
  assert_int_equal(gx_store_get(st, 4, rec_buf, sizeof rec_buf, &rec), GX_STORE_OK);
  gx_bh_header_t hdr;
  assert_int_equal(gx_bh_header_decode(&hdr, rec.body, GX_BH_HDR_SZ), GX_PROTO_OK);
  gx_ledger_t *r = new_ledger();
  assert_int_equal(gx_store_accounts(st, collect_account, r), GX_STORE_OK);
  assert_int_equal(gx_ledger_restore(r, hdr.height, &rec.hash, &hdr.state_root), GX_LEDGER_OK);
  assert_int_equal(gx_ledger_total(r), 2000);
  assert_int_equal(gx_ledger_balance_sum(r), 2000); /* kept through gx_ledger_load_account */
  /* both build the same block 5 */
  uint8_t p5[2][GX_XFER_SZ];
  tx(p5[0], 5, 6, 1);
  tx(p5[1], 0, 7, 3);
  const uint8_t *props[1] = {p5[0]};
  uint32_t lens[1] = {2 * GX_XFER_SZ};
  gx_ledger_block_t b1, b2;
  assert_int_equal(gx_ledger_apply_epoch(l, 5, props, lens, 1, NULL, NULL, &b1), GX_LEDGER_OK);
  assert_int_equal(gx_ledger_apply_epoch(r, 5, props, lens, 1, NULL, NULL, &b2), GX_LEDGER_OK);
  assert_int_equal(b1.tx_count, 2);
  assert_memory_equal(b1.id.b, b2.id.b, 32);
  append(st, &b2);
  assert_int_equal(gx_ledger_commit(r), GX_LEDGER_OK);
  assert_int_equal(gx_store_close(st), GX_STORE_OK);
  free(gx_ledger_delete(l));
  free(gx_ledger_delete(r));
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_bh_hash(void **state) {
  (void)state;
  gx_bh_header_t h;
  memset(&h, 0, sizeof h);
  h.height = 3;
  uint8_t buf[GX_BH_HDR_SZ + 32];
  size_t n = gx_bh_encode(buf, sizeof buf, &h, NULL);
  gx_hash_t a, b;
  assert_int_equal(gx_ledger_bh_hash(NULL, buf, (uint32_t)n, &a), 0);
  gx_bh_id(&b, &h);
  assert_memory_equal(a.b, b.b, 32);
  assert_int_equal(gx_ledger_bh_hash(NULL, buf, (uint32_t)n - 1, &a), -1);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  for (int i = 0; i < NA; i++) gx_key_derive(&keys[i], "ledger-store-test", 0, (uint64_t)i);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bh_hash),
    cmocka_unit_test(test_ledger_to_store_and_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
