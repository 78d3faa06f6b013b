/* gx_txpool: what the chain half needs of a transaction pool, and nothing
 * more. The commit stage proposes transfers it takes from the pool, asks which
 * agreed transfers the pool already holds (their signatures were verified at
 * ingest), tells it about transfers it verified itself, and reports what
 * committed and what the ledger rejected.
 *
 * galaxyd implements it over its ingest pipeline (ingest/gx_ingest.h's typed
 * mempool requests); a star-cluster member or a test can implement it over
 * anything else. The chain half never links the ingest layer.
 *
 * Memory: every pointer argument is the caller's and is only read (or, for
 * out/held, written) during the call. Threads: the functions are called from
 * the commit stage's thread only; the implementation serialises with its own
 * threads. Errors: none to report (a pool that cannot serve returns 0 / leaves
 * held zero: the ledger then verifies those transfers itself). */
#ifndef GX_TXPOOL_H
#define GX_TXPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_key.h"
#include "core/gx_proto.h"

typedef struct {
  void *ctx;
  /* Up to max ready transfers of shard (of n_shards) into out (GX_XFER_SZ
   * each), marked taken until the next committed(); *any_ready: some shard
   * has a ready transfer. Returns how many. */
  size_t (*take_shard)(void *ctx, uint32_t shard, uint32_t n_shards, uint8_t *out, size_t max,
                       int *any_ready);
  /* held[i] = 1 when the pool holds xfers[i] (ids[i]: its tx id). */
  void (*held)(void *ctx, const uint8_t *const *xfers, const gx_hash_t *ids, size_t n, uint8_t *held);
  /* Both signatures of this transfer were verified by the caller. */
  void (*verified)(void *ctx, const uint8_t xfer[GX_XFER_SZ]);
  /* accounts[i] committed up to seqs[i]; dropped[i] (ids dropped_ids[i]) was
   * rejected by the ledger; whatever was taken and did not commit is
   * available again. */
  void (*committed)(void *ctx, const gx_pubkey_t *accounts, const uint64_t *seqs, size_t n_accounts,
                    const uint8_t *const *dropped, const gx_hash_t *dropped_ids, size_t n_dropped);
} gx_txpool_t;

#endif
