/* Ledger benchmarks (one validator core). Baselines in the same binary:
 *   ledger/apply_epoch_verify/N       vs baseline/raw_libsodium_verify x 0.5
 *                                        (two signatures per transfer)
 *   ledger/apply_epoch_preverified/N  vs baseline/raw_generichash/290
 *                                        (the tx id hash every transfer needs)
 *   ledger/apply_epoch_ids/N          same bound, with the caller's tx ids and
 *                                        signatures (galaxyd's commit stage):
 *                                        the ledger's own work, above 1 when
 *                                        it costs less than one hash
 *   ledger/apply_blackhole_preverified/N  same bound
 *   ledger/cert_verify/N (f+1 signatures) vs baseline/raw_libsodium_verify / (f+1)
 * N = transfers per block (1024, 16384), in 4 proposals; each transfer moves
 * funds between two fresh accounts (account 2p pays 2p+1), so every transfer
 * is accepted. Each iteration applies the block and aborts it (state reused). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gx_bench.h"
#include "core/gx_key.h"
#include "validator/gx_cert.h"
#include "validator/gx_ledger.h"

#define LB_MAX 16384
#define LB_PROPOSERS 4
/* CPU time, like the baselines they are read against (a loaded machine
 * stretches wall time, not CPU time). */
#define LB_BENCH(name, fn, ...)                                                         \
  __attribute__((constructor)) static void lb_reg_##fn(void) {                          \
    static const int64_t a[] = {__VA_ARGS__};                                           \
    gx_bench_register(name, fn, a, (int)(sizeof a / sizeof a[0]), 0);                   \
  }
static uint8_t *lb_xfers;     /* LB_MAX encoded transfers */
static gx_ledger_alloc_t *lb_alloc;
static int lb_ready;

static int lb_cmp(const void *a, const void *b) {
  return memcmp(((const gx_ledger_alloc_t *)a)->account.b, ((const gx_ledger_alloc_t *)b)->account.b, 32);
}

static int lb_setup(void) {
  if (lb_ready) return lb_ready > 0;
  lb_ready = -1;
  if (sodium_init() < 0) return 0;
  lb_xfers = malloc((size_t)LB_MAX * GX_XFER_SZ);
  lb_alloc = malloc(sizeof *lb_alloc * LB_MAX);
  if (!lb_xfers || !lb_alloc) return 0;
  for (uint32_t p = 0; p < LB_MAX; p++) {
    gx_keypair_t a, b;
    gx_key_derive(&a, "ledger-bench", 0, 2 * p);
    gx_key_derive(&b, "ledger-bench", 0, 2 * p + 1);
    gx_xfer_t x;
    memset(&x, 0, sizeof x);
    x.initiator = a.pk;
    x.counterparty = b.pk;
    x.amount = 1;
    x.init_link.seq = 1;
    x.cp_link.seq = 1;
    gx_xfer_sign_init(&x, a.sk);
    gx_xfer_sign_cp(&x, b.sk);
    gx_xfer_encode(&x, lb_xfers + (size_t)p * GX_XFER_SZ);
    lb_alloc[p].account = a.pk;
    lb_alloc[p].amount = 1000;
  }
  qsort(lb_alloc, LB_MAX, sizeof *lb_alloc, lb_cmp);
  lb_ready = 1;
  return 1;
}

static gx_ledger_t *lb_ledger(void) {
  gx_ledger_cfg_t cfg;
  gx_ledger_cfg_defaults(&cfg);
  cfg.max_accounts = 4 * LB_MAX;
  cfg.max_proposers = LB_PROPOSERS;
  cfg.max_proposal_txs = LB_MAX / LB_PROPOSERS;
  void *mem = aligned_alloc(GX_LEDGER_ALIGN, (gx_ledger_footprint(&cfg) + 63) & ~(size_t)63);
  gx_ledger_t *l = mem ? gx_ledger_new(mem, &cfg) : NULL;
  gx_hash_t gid = {{0}};
  if (l && gx_ledger_genesis(l, &gid, lb_alloc, LB_MAX) != GX_LEDGER_OK) {
    free(gx_ledger_delete(l));
    l = NULL;
  }
  return l;
}

static int lb_yes(void *ctx, const gx_hash_t *id) {
  (void)ctx;
  (void)id;
  return 1;
}

static gx_hash_t *lb_ids; /* gx_xfer_id of lb_xfers, for apply_epoch_ids */

static void lb_apply_epoch(gx_bench_t *b, int preverified) {
  uint32_t n = (uint32_t)gx_bench_arg(b);
  gx_ledger_t *l = lb_setup() ? lb_ledger() : NULL;
  if (!l) { gx_bench_skip(b, "setup failed"); return; }
  const uint8_t *props[LB_PROPOSERS];
  uint32_t lens[LB_PROPOSERS];
  for (int p = 0; p < LB_PROPOSERS; p++) {
    props[p] = lb_xfers + (size_t)p * (n / LB_PROPOSERS) * GX_XFER_SZ;
    lens[p] = n / LB_PROPOSERS * GX_XFER_SZ;
  }
  gx_ledger_block_t blk;
  int bad = 0;
  const gx_hash_t *ids = NULL;
  if (preverified == 2) { /* the caller hashed them: computed once, outside the loop */
    if (!lb_ids && (lb_ids = malloc(LB_MAX * sizeof *lb_ids)))
      for (uint32_t i = 0; i < LB_MAX; i++) gx_xfer_id(&lb_ids[i], lb_xfers + (size_t)i * GX_XFER_SZ);
    if (!lb_ids) { gx_bench_skip(b, "out of memory"); free(gx_ledger_delete(l)); return; }
    ids = lb_ids; /* proposals are consecutive slices of lb_xfers from 0 */
  }
  while (gx_bench_loop(b)) {
    bad |= gx_ledger_apply_epoch_ids(l, 1, props, lens, LB_PROPOSERS, ids, preverified ? lb_yes : NULL,
                                     NULL, &blk);
    bad |= blk.tx_count != n;
    gx_ledger_abort(l);
  }
  if (bad) gx_bench_skip(b, "apply failed");
  gx_bench_items(b, gx_bench_iterations(b) * (int64_t)n);
  free(gx_ledger_delete(l));
}
static void bm_apply_verify(gx_bench_t *b) { lb_apply_epoch(b, 0); }
static void bm_apply_preverified(gx_bench_t *b) { lb_apply_epoch(b, 1); }
static void bm_apply_ids(gx_bench_t *b) { lb_apply_epoch(b, 2); }
LB_BENCH("ledger/apply_epoch_verify", bm_apply_verify, 1024, 16384)
LB_BENCH("ledger/apply_epoch_preverified", bm_apply_preverified, 1024, 16384)
LB_BENCH("ledger/apply_epoch_ids", bm_apply_ids, 1024, 16384)

static void bm_apply_blackhole(gx_bench_t *b) {
  uint32_t n = (uint32_t)gx_bench_arg(b);
  gx_ledger_t *l = lb_setup() ? lb_ledger() : NULL;
  if (!l) { gx_bench_skip(b, "setup failed"); return; }
  gx_ledger_block_t blk;
  const uint8_t *p4[LB_PROPOSERS];
  uint32_t l4[LB_PROPOSERS];
  for (int p = 0; p < LB_PROPOSERS; p++) {
    p4[p] = lb_xfers + (size_t)p * (n / LB_PROPOSERS) * GX_XFER_SZ;
    l4[p] = n / LB_PROPOSERS * GX_XFER_SZ;
  }
  if (gx_ledger_apply_epoch(l, 1, p4, l4, LB_PROPOSERS, lb_yes, NULL, &blk) != GX_LEDGER_OK) {
    gx_bench_skip(b, "apply failed");
    free(gx_ledger_delete(l));
    return;
  }
  size_t len = blk.encoded_len;
  uint8_t *enc = malloc(len);
  memcpy(enc, blk.encoded, len);
  gx_ledger_abort(l);
  int bad = 0;
  while (gx_bench_loop(b)) {
    bad |= gx_ledger_apply_blackhole(l, enc, len, lb_yes, NULL, &blk);
    gx_ledger_abort(l);
  }
  if (bad) gx_bench_skip(b, "apply_blackhole failed");
  gx_bench_items(b, gx_bench_iterations(b) * (int64_t)n);
  free(enc);
  free(gx_ledger_delete(l));
}
LB_BENCH("ledger/apply_blackhole_preverified", bm_apply_blackhole, 1024, 16384)

static void bm_cert_verify(gx_bench_t *b) {
  unsigned n = (unsigned)gx_bench_arg(b);
  if (sodium_init() < 0) { gx_bench_skip(b, "sodium"); return; }
  gx_cert_set_t set = {.n = (uint16_t)n};
  gx_keypair_t k[GX_CERT_MAX_VALIDATORS];
  for (unsigned i = 0; i < n; i++) {
    gx_key_derive(&k[i], "cert-bench", 0, i);
    set.key[i] = k[i].pk;
  }
  gx_hash_t id = {{42}};
  gx_cert_t c = {.count = (uint16_t)gx_cert_quorum(&set)};
  for (unsigned i = 0; i < c.count; i++) {
    c.index[i] = (uint16_t)i;
    gx_cert_sign(&c.sig[i], &id, k[i].sk);
  }
  int bad = 0;
  while (gx_bench_loop(b)) bad |= gx_cert_verify(&c, &set, &id);
  if (bad) gx_bench_skip(b, "verify failed");
  gx_bench_counter(b, "signatures", c.count);
  gx_bench_items(b, gx_bench_iterations(b));
}
LB_BENCH("ledger/cert_verify", bm_cert_verify, 4, 7, 64)
