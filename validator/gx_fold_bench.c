/* Fold benchmarks: what one galaxy core folds from certified LSH blocks
 * (validator/gx_fold.h: decode, tx root, cluster certificate of 2f+1 = 3 of 4
 * stars, the sampled transfer signatures, the ledger), against the flat
 * design's per-core bound measured in the same run: a galaxy that verifies
 * both signatures of every transfer, baseline/raw_libsodium_verify x 0.5.
 *
 *   fold/lsh_blocks/S   S = sample per 65536: 0 (certificates only),
 *                       4096 (1/16, the default), 65536 (every signature)
 *
 * 16 clusters of 4 stars each send one block of 1024 transfers (16,384 per
 * black hole, every transfer accepted); each iteration folds the 16 blocks
 * and aborts (state reused). The store is not in the loop (storage/ suite). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gx_bench.h"
#include "core/gx_key.h"
#include "core/gx_lsh.h"
#include "validator/gx_fold.h"

#define FB_CLUSTERS 16
#define FB_TXS 1024
#define FB_MEMBERS 4
#define FB_FB(name, fn, ...)                                                            \
  __attribute__((constructor)) static void fb_reg_##fn(void) {                          \
    static const int64_t a[] = {__VA_ARGS__};                                           \
    gx_bench_register(name, fn, a, (int)(sizeof a / sizeof a[0]), 0);                   \
  }

static uint8_t *fb_blocks[FB_CLUSTERS];
static size_t fb_lens[FB_CLUSTERS];
static gx_fold_cluster_t fb_clusters[FB_CLUSTERS];
static gx_ledger_alloc_t *fb_alloc;
static const gx_hash_t fb_genesis = {{0x66, 0x62}};
static int fb_ready;

static int fb_cmp(const void *a, const void *b) {
  return memcmp(((const gx_ledger_alloc_t *)a)->account.b, ((const gx_ledger_alloc_t *)b)->account.b, 32);
}

static int fb_setup(void) {
  if (fb_ready) return fb_ready > 0;
  fb_ready = -1;
  if (sodium_init() < 0) return 0;
  fb_alloc = malloc(sizeof *fb_alloc * FB_CLUSTERS * FB_TXS);
  uint8_t *xf = malloc((size_t)FB_TXS * GX_XFER_SZ);
  gx_hash_t *ids = malloc(sizeof *ids * FB_TXS), *scratch = malloc(sizeof *scratch * FB_TXS);
  if (!fb_alloc || !xf || !ids || !scratch) return 0;
  for (uint32_t c = 0; c < FB_CLUSTERS; c++) {
    gx_keypair_t star[FB_MEMBERS];
    fb_clusters[c].n = FB_MEMBERS;
    for (uint32_t m = 0; m < FB_MEMBERS; m++) {
      gx_key_derive(&star[m], "fold-bench-star", c, m);
      fb_clusters[c].members[m] = star[m].pk;
    }
    for (uint32_t t = 0; t < FB_TXS; t++) {
      uint64_t k = (uint64_t)c * FB_TXS + t;
      gx_keypair_t a, b;
      gx_key_derive(&a, "fold-bench", 0, 2 * k);
      gx_key_derive(&b, "fold-bench", 0, 2 * k + 1);
      gx_xfer_t x;
      memset(&x, 0, sizeof x);
      x.initiator = a.pk;
      x.counterparty = b.pk;
      x.amount = 1;
      x.init_link.seq = 1;
      x.cp_link.seq = 1;
      gx_xfer_sign_init(&x, a.sk);
      gx_xfer_sign_cp(&x, b.sk);
      gx_xfer_encode(&x, xf + (size_t)t * GX_XFER_SZ);
      fb_alloc[k].account = a.pk;
      fb_alloc[k].amount = 1000;
    }
    gx_lsh_header_t h;
    memset(&h, 0, sizeof h);
    h.cluster = c;
    h.height = 1;
    h.base = fb_genesis;
    h.tx_count = FB_TXS;
    h.member_count = FB_MEMBERS;
    if (gx_lsh_tx_root(&h.tx_root, xf, FB_TXS, ids, scratch)) return 0;
    gx_lsh_report_t rep[FB_MEMBERS];
    for (uint32_t m = 0; m < FB_MEMBERS; m++)
      rep[m] = (gx_lsh_report_t){.flags = GX_LSH_REPORT_INCLUDED, .proposed = FB_TXS / 2, .round_ms = 100};
    size_t cap = gx_lsh_size(FB_TXS, FB_MEMBERS, 0, FB_MEMBERS);
    fb_blocks[c] = malloc(cap);
    if (!fb_blocks[c]) return 0;
    size_t len = gx_lsh_encode_unsigned(fb_blocks[c], cap, &h, rep, NULL, xf);
    if (!len) return 0;
    gx_hash_t id;
    gx_lsh_id_body(&id, fb_blocks[c], gx_lsh_body_size(FB_MEMBERS, 0));
    gx_lsh_sig_t sigs[3];
    for (uint16_t m = 0; m < 3; m++) {
      sigs[m].member = m;
      gx_lsh_sign(&sigs[m].sig, &id, star[m].sk);
    }
    fb_lens[c] = gx_lsh_append_cert(fb_blocks[c], cap, len, FB_MEMBERS, sigs, 3);
    if (!fb_lens[c]) return 0;
  }
  qsort(fb_alloc, FB_CLUSTERS * FB_TXS, sizeof *fb_alloc, fb_cmp);
  free(xf);
  free(ids);
  free(scratch);
  fb_ready = 1;
  return 1;
}

static void bm_fold(gx_bench_t *b) {
  uint32_t sample = (uint32_t)gx_bench_arg(b);
  if (!fb_setup()) {
    gx_bench_skip(b, "setup failed");
    return;
  }
  gx_fold_cfg_t fc;
  gx_fold_cfg_defaults(&fc);
  fc.cluster_count = FB_CLUSTERS;
  fc.sample_per_65536 = sample;
  fc.max_block_txs = FB_TXS;
  fc.max_blocks = FB_CLUSTERS;
  gx_ledger_cfg_t lc;
  gx_ledger_cfg_defaults(&lc);
  lc.max_accounts = 4 * FB_CLUSTERS * FB_TXS;
  gx_fold_ledger_cfg(&fc, &lc);
  gx_ledger_t *l = gx_ledger_new(aligned_alloc(64, (gx_ledger_footprint(&lc) + 63) & ~(size_t)63), &lc);
  gx_fold_t *f = gx_fold_new(aligned_alloc(64, (gx_fold_footprint(&fc) + 63) & ~(size_t)63), &fc,
                             fb_clusters, &fb_genesis);
  if (!l || !f || gx_ledger_genesis(l, &fb_genesis, fb_alloc, FB_CLUSTERS * FB_TXS) != GX_LEDGER_OK) {
    gx_bench_skip(b, "ledger/fold setup failed");
    return;
  }
  const uint8_t *blocks[FB_CLUSTERS];
  for (int c = 0; c < FB_CLUSTERS; c++) blocks[c] = fb_blocks[c];
  gx_fold_result_t r;
  int bad = 0;
  uint64_t checked = 0;
  while (gx_bench_loop(b)) {
    bad |= gx_fold_apply(f, l, 0, blocks, fb_lens, FB_CLUSTERS, &r) != GX_FOLD_OK;
    bad |= r.ledger.tx_count != FB_CLUSTERS * FB_TXS;
    checked += r.sig_checked;
    gx_ledger_abort(l);
    gx_fold_abort(f);
  }
  if (bad) gx_bench_skip(b, "fold failed");
  gx_bench_items(b, gx_bench_iterations(b) * (int64_t)FB_CLUSTERS * FB_TXS);
  gx_bench_counter(b, "sampled_share",
                   (double)checked / ((double)gx_bench_iterations(b) * FB_CLUSTERS * FB_TXS));
  free(gx_fold_delete(f));
  free(gx_ledger_delete(l));
}
FB_FB("fold/lsh_blocks", bm_fold, 0, 4096, 65536)
