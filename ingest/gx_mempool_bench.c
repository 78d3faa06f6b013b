/* Mempool benchmarks (suite "mempool"):
 *   mempool/fill_default   a mempool at galaxyd's default config
 *                          (1,000,000 transfers, 64 future seqs, 262,144
 *                          accounts) filled to capacity from 250,000 accounts;
 *                          items = inserts/s; counters: rss_growth_bytes (VmRSS
 *                          grown by the full pool: the mempool's share of
 *                          galaxyd's peak RSS) and footprint_bytes (reserved).
 *   mempool/take           handing out ready transfers in batches of 1024.
 * Transfers are well-formed but unsigned (the mempool trusts verify). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gx_bench.h"
#include "core/gx_util.h"
#include "ingest/gx_mempool.h"

static double mb_rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kb = 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) kb = atof(line + 6);
  fclose(f);
  return kb * 1024;
}

static void mb_xfer(uint8_t enc[GX_XFER_SZ], gx_hash_t *id, uint32_t acct, uint64_t seq) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  gx_st32(x.initiator.b, acct + 1);
  x.counterparty.b[31] = 0xEE;
  x.amount = 1;
  x.init_link.seq = x.cp_link.seq = seq;
  if (seq > 1) {
    memset(x.init_link.prev.b, 1, 32);
    memset(x.cp_link.prev.b, 1, 32);
  }
  gx_xfer_encode(&x, enc);
  gx_xfer_id(id, enc);
}

enum { MB_ACCTS = 250000, MB_PER_ACCT = 4 };

static void bm_fill_default(gx_bench_t *b) {
  gx_mempool_cfg_t c;
  gx_mempool_cfg_defaults(&c);
  int64_t inserted = 0;
  double growth = 0;
  while (gx_bench_loop(b)) {
    gx_bench_pause(b);
    double rss0 = mb_rss_bytes();
    gx_mempool_t *mp = gx_mempool_new(&c, NULL);
    gx_bench_resume(b);
    if (!mp) {
      gx_bench_skip(b, "out of memory");
      return;
    }
    uint8_t enc[GX_XFER_SZ];
    gx_hash_t id;
    for (uint64_t s = 1; s <= MB_PER_ACCT; s++)
      for (uint32_t a = 0; a < MB_ACCTS; a++) {
        mb_xfer(enc, &id, a, s);
        inserted += gx_mempool_insert(mp, enc, &id, NULL) == GX_MEMPOOL_OK;
      }
    gx_bench_pause(b);
    double g = mb_rss_bytes() - rss0;
    if (g > growth) growth = g;
    gx_mempool_delete(mp);
    gx_bench_resume(b);
  }
  gx_bench_items(b, inserted);
  gx_bench_counter(b, "rss_growth_bytes", growth);
  gx_bench_counter(b, "footprint_bytes", (double)gx_mempool_footprint(&c));
}
GX_BENCH_NAMED("mempool/fill_default", bm_fill_default, 1)

static void bm_take(gx_bench_t *b) {
  gx_mempool_cfg_t c = {1 << 16, 64, 1 << 14};
  static uint8_t out[1024 * GX_XFER_SZ];
  static uint8_t encs[4096][GX_XFER_SZ];
  static gx_hash_t ids[4096];
  for (int i = 0; i < 4096; i++) mb_xfer(encs[i], &ids[i], (uint32_t)(i / 4), 1 + (uint64_t)(i % 4));
  int64_t taken = 0;
  while (gx_bench_loop(b)) {
    gx_bench_pause(b);
    gx_mempool_t *mp = gx_mempool_new(&c, NULL);
    for (int i = 0; i < 4096; i++) gx_mempool_insert(mp, encs[i], &ids[i], NULL);
    gx_bench_resume(b);
    size_t n;
    while ((n = gx_mempool_take(mp, out, NULL, 1024)) > 0) taken += (int64_t)n;
    gx_bench_pause(b);
    gx_mempool_delete(mp);
    gx_bench_resume(b);
  }
  gx_bench_items(b, taken);
}
GX_BENCH_NAMED("mempool/take", bm_take, 0)
