/* Dedup benchmarks (suite "dedup"): the cost of dropping a duplicate before
 * any signature work, per core. Compare with baseline/raw_libsodium_verify
 * (core/gx_proto_bench.c, one signature; a transfer is two): the goal is
 * >= 2M duplicates/s per core and < 2% of a transfer's verification.
 *   dedup/duplicates   gx_ingest_parse on a 5-transfer batch already seen:
 *                      envelope + keyed XXH3 of each transfer + cache hit
 *                      (what the RX stage spends on a gossip duplicate)
 *   dedup/hit          gx_dedup_insert of a cached key (the table alone)
 *   dedup/insert_new   gx_dedup_insert of fresh keys into a full table (evicting) */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gx_bench.h"
#include "core/gx_key.h"
#include "ingest/gx_dedup.h"
#include "ingest/gx_ingest.h"

static uint8_t db_dgram[GX_UDP_PAYLOAD_MAX];
static size_t db_len;

static void db_prepare(void) {
  if (db_len) return;
  if (sodium_init() < 0) return;
  uint8_t xfers[GX_BATCH_MAX * GX_XFER_SZ];
  for (int i = 0; i < GX_BATCH_MAX; i++) {
    gx_keypair_t a, b;
    gx_key_derive(&a, "dedup-bench", 1, (uint64_t)(2 * i));
    gx_key_derive(&b, "dedup-bench", 1, (uint64_t)(2 * i + 1));
    gx_xfer_t x;
    memset(&x, 0, sizeof x);
    x.initiator = a.pk;
    x.counterparty = b.pk;
    x.amount = 1;
    x.init_link.seq = x.cp_link.seq = 1;
    gx_xfer_sign_init(&x, a.sk);
    gx_xfer_sign_cp(&x, b.sk);
    gx_xfer_encode(&x, xfers + i * GX_XFER_SZ);
  }
  db_len = gx_batch_encode(db_dgram, sizeof db_dgram, xfers, GX_BATCH_MAX, 0);
}

static void bm_duplicates(gx_bench_t *b) {
  db_prepare();
  gx_dedup_t *d = gx_dedup_new(4194304); /* galaxyd's default size */
  gx_ingest_parsed_t p;
  gx_ingest_parse(d, db_dgram, db_len, &p); /* first copy: new */
  int64_t dups = 0;
  while (gx_bench_loop(b)) {
    gx_ingest_parse(d, db_dgram, db_len, &p);
    dups += (int64_t)p.n_dup;
  }
  if (dups != gx_bench_iterations(b) * GX_BATCH_MAX) gx_bench_skip(b, "a copy was not a duplicate");
  gx_bench_items(b, dups);
  gx_dedup_delete(d);
}
GX_BENCH_NAMED("dedup/duplicates", bm_duplicates, 0)

static void bm_hit(gx_bench_t *b) {
  gx_dedup_t *d = gx_dedup_new(4194304);
  enum { N = 1024 };
  static gx_dedup_key_t ids[N];
  for (uint64_t i = 0; i < N; i++) {
    gx_dedup_key(d, (const uint8_t *)&i, sizeof i, &ids[i]);
    gx_dedup_insert(d, &ids[i]);
  }
  int64_t n = 0;
  unsigned i = 0;
  while (gx_bench_loop(b)) {
    n += gx_dedup_insert(d, &ids[i]);
    i = (i + 1) & (N - 1);
  }
  gx_bench_items(b, n);
  gx_dedup_delete(d);
}
GX_BENCH_NAMED("dedup/hit", bm_hit, 0)

static void bm_insert_new(gx_bench_t *b) {
  gx_dedup_t *d = gx_dedup_new(1 << 16);
  enum { N = 1 << 18 }; /* 4x the table: every insert past the first quarter evicts */
  gx_dedup_key_t *ids = malloc(N * sizeof *ids);
  for (uint64_t i = 0; i < N; i++) gx_dedup_key(d, (const uint8_t *)&i, sizeof i, &ids[i]);
  int64_t n = 0;
  unsigned i = 0;
  while (gx_bench_loop(b)) {
    gx_dedup_insert(d, &ids[i]);
    i = (i + 1) & (N - 1);
    n++;
  }
  gx_bench_items(b, n);
  free(ids);
  gx_dedup_delete(d);
}
GX_BENCH_NAMED("dedup/insert_new", bm_insert_new, 0)
