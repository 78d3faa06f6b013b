/* gx_verify: the ingest pipeline's signature stage, the work of one batch.
 * gx_ingest's verify worker threads take up to verify_batch items off the
 * verify ring and call gx_verify_batch; the threads, rings and item pool stay
 * in gx_ingest.c. For each transfer, in order:
 *   1. the mempool's admission gate again (the account may have committed, or
 *      moved its window, while the item queued): stale or too far -> dropped
 *      unverified; a too-far one is also forgotten by dedup (a later copy is
 *      welcome once its turn comes), a stale one stays there (it never can);
 *   2. the preverified cache (keys of transfers whose signatures the commit
 *      stage verified already, gx_ingest_note_verified): passed on unverified;
 *   3. both signatures with gx_xfer_verify_enc (libsodium, one by one: a batch
 *      amortises ring operations, it does not change which signatures pass);
 *      the first bad one is the reason.
 * A transfer that passes (1 and 2, or 1 and 3) gets its tx id (gx_xfer_id)
 * here, off the RX core, and only then.
 *
 * Memory: gx_verify_batch works on the caller's items in place (no copy) and
 * allocates nothing; the context's gate, caches and callback belong to the
 * caller and must outlive the call.
 * Threads: any number of threads may run gx_verify_batch at once on disjoint
 * items with the same context (gx_mempool_gate and gx_dedup are thread-safe);
 * done() runs on the calling thread.
 * Errors: none; a bad signature is a result (gx_verify_result_t), not an
 * error. Transfers must have passed the strict decode (gx_xfer_check). */
#ifndef GX_VERIFY_H
#define GX_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_proto.h"
#include "ingest/gx_dedup.h"
#include "ingest/gx_mempool.h"

/* A transfer as the ingest pipeline carries it between stages (one element of
 * gx_ingest's item pool). */
typedef struct {
  uint8_t enc[GX_XFER_SZ]; /* the encoded transfer (strictly decoded at RX)          */
  uint8_t hops;            /* gossip hops it arrived with (for the later stages)     */
  uint8_t pad;
  gx_hash_t id;            /* gx_xfer_id(enc): set by gx_verify_batch when it passes */
  gx_dedup_key_t key;      /* its key in dedup and in the preverified cache          */
} gx_verify_item_t;

typedef enum {
  GX_VERIFY_OK = 0,       /* both signatures verified: pass it on                   */
  GX_VERIFY_PREVERIFIED,  /* in the preverified cache: pass it on, not verified     */
  GX_VERIFY_BAD_INIT,     /* the initiator's signature is bad (cp's not checked)    */
  GX_VERIFY_BAD_CP,       /* the counterparty's signature is bad                    */
  GX_VERIFY_GATE_STALE,   /* the gate says stale: dropped unverified, stays in dedup */
  GX_VERIFY_GATE_TOO_FAR, /* the gate says too far: dropped unverified, out of dedup */
  GX_VERIFY__COUNT
} gx_verify_result_t;

/* 1 when a transfer with this result goes on to the mempool. */
static inline int gx_verify_passes(gx_verify_result_t r) {
  return r == GX_VERIFY_OK || r == GX_VERIFY_PREVERIFIED;
}
/* Stable snake_case label ("bad_init"). */
const char *gx_verify_result_label(gx_verify_result_t r);

/* What a batch runs against. Every pointer may be NULL: no gate check, no
 * dedup to forget too-far transfers in, no preverified cache, no callback. */
typedef struct {
  const gx_mempool_t *gate;   /* the mempool whose admission gate is re-checked */
  gx_dedup_t *dedup;          /* the RX stage's dedup (too-far ones are removed) */
  gx_dedup_t *preverified;    /* keys of transfers verified outside the pipeline */
  /* Called once per transfer, in batch order, as soon as its result is known
   * (before the next transfer is looked at), so a passing transfer is handed
   * on at once rather than after the whole batch (~6 ms for 64): held back, it
   * might be agreed on meanwhile and verified again by the commit stage. The
   * item is the callee's from then on (hand it on or return it to its pool). */
  void (*done)(void *arg, gx_verify_item_t *it, gx_verify_result_t r);
  void *arg;
} gx_verify_ctx_t;

/* Transfers per result, of one or more batches. */
typedef struct {
  uint64_t n[GX_VERIFY__COUNT];
} gx_verify_counts_t;

/* Verifies n items (each a gx_verify_item_t *, as they come off the verify
 * ring) as described above. results (may be NULL): n results out, in order.
 * counts (may be NULL): each transfer's result is added to it. Returns how
 * many passed. */
size_t gx_verify_batch(const gx_verify_ctx_t *ctx, void *const *items, size_t n,
                       gx_verify_result_t *results, gx_verify_counts_t *counts);

#endif
