/* gx_sink: what becomes of a black hole once the ledger has built it.
 *
 * The commit stage applies every agreed batch through the ledger into a
 * pending block and hands it to its sink, which makes it final. The galaxy
 * sink (validator/gx_galaxy_sink.c) appends the block to the store and syncs it,
 * commits the ledger, tells the transaction pool what committed, signs the
 * block id and gossips the signature, and collects the committee's
 * signatures into certificates. A star-cluster member's sink will hand its
 * block up to the galaxies instead: that is where a new tier plugs in.
 *
 * Memory: the block and everything it points to belong to the ledger and are
 * valid during the call only. Threads: called on the commit stage's thread.
 * Errors: finish returns 0, or -1 when the block could not be made final (the
 * pending block was aborted and the stage stops: a node must not go on
 * without its history). */
#ifndef GX_SINK_H
#define GX_SINK_H

#include "validator/gx_ledger.h"

typedef struct {
  void *ctx;
  /* Makes the ledger's pending block b final; sign: sign and gossip it (a
   * block of our own consensus, or one caught up from peers). */
  int (*finish)(void *ctx, const gx_ledger_block_t *b, int sign);
} gx_sink_t;

#endif
