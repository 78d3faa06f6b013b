/* Hashing benchmarks: gx_hash (domain-tagged BLAKE2b-256) beside a raw
 * libsodium crypto_generichash loop on the same sizes, and the Merkle root. */
#include "bench/gx_bench.h"
#include "core/gx_hash.h"

#include <sodium.h>
#include <stdlib.h>

static uint8_t gx_hb_buf[1 << 16];

static void bm_hash(gx_bench_t *b) {
  size_t n = (size_t)gx_bench_arg(b);
  gx_hash_t h;
  while (gx_bench_loop(b)) gx_hash(&h, GX_DOM_TX, gx_hb_buf, n);
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)n);
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED_ARGS("hash/gx_hash", bm_hash, 290, 1472, 65536)

static void bm_raw_generichash(gx_bench_t *b) {
  size_t n = (size_t)gx_bench_arg(b);
  uint8_t h[32];
  while (gx_bench_loop(b)) crypto_generichash(h, 32, gx_hb_buf, n, NULL, 0);
  gx_bench_bytes(b, gx_bench_iterations(b) * (int64_t)n);
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED_ARGS("baseline/raw_generichash", bm_raw_generichash, 290, 1472, 65536)

static void bm_merkle_root(gx_bench_t *b) {
  size_t n = (size_t)gx_bench_arg(b);
  gx_hash_t *leaves = calloc(n, sizeof *leaves), *scratch = calloc(n, sizeof *scratch), root;
  for (size_t i = 0; i < n; i++) gx_merkle_leaf(&leaves[i], &i, sizeof i);
  while (gx_bench_loop(b)) gx_merkle_root(&root, leaves, n, scratch);
  gx_bench_items(b, gx_bench_iterations(b) * (int64_t)n);
  free(leaves);
  free(scratch);
}
GX_BENCH_NAMED_ARGS("hash/merkle_root_leaves", bm_merkle_root, 1024, 16384)
