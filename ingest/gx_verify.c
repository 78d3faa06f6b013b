#include "ingest/gx_verify.h"

const char *gx_verify_result_label(gx_verify_result_t r) {
  switch (r) {
  case GX_VERIFY_OK: return "ok";
  case GX_VERIFY_PREVERIFIED: return "preverified";
  case GX_VERIFY_BAD_INIT: return "bad_init";
  case GX_VERIFY_BAD_CP: return "bad_cp";
  case GX_VERIFY_GATE_STALE: return "gate_stale";
  case GX_VERIFY_GATE_TOO_FAR: return "gate_too_far";
  case GX_VERIFY__COUNT: break;
  }
  return "unknown";
}

/* One transfer's result; touches nothing but it, the gate and the caches. */
static gx_verify_result_t gx_verify_one(const gx_verify_ctx_t *ctx, gx_verify_item_t *it) {
  /* committed (or pushed out of its account's window) while it queued:
   * e.g. the commit stage already verified and committed it */
  if (ctx->gate) {
    gx_mempool_gate_t g = gx_mempool_gate(ctx->gate, it->enc, NULL, NULL);
    if (g == GX_MEMPOOL_GATE_STALE) return GX_VERIFY_GATE_STALE;
    if (g != GX_MEMPOOL_GATE_ADMIT) {
      if (ctx->dedup) gx_dedup_remove(ctx->dedup, &it->key);
      return GX_VERIFY_GATE_TOO_FAR;
    }
  }
  gx_verify_result_t r;
  if (ctx->preverified && gx_dedup_contains(ctx->preverified, &it->key)) {
    r = GX_VERIFY_PREVERIFIED;
  } else {
    gx_xfer_verify_t v = gx_xfer_verify_enc(it->enc);
    if (v == GX_XFER_VERIFY_OK) r = GX_VERIFY_OK;
    else if (v == GX_XFER_VERIFY_BAD_INIT_SIG) return GX_VERIFY_BAD_INIT;
    else return GX_VERIFY_BAD_CP;
  }
  gx_xfer_id(&it->id, it->enc); /* here, not in RX: new transfers only, off the RX core */
  return r;
}

size_t gx_verify_batch(const gx_verify_ctx_t *ctx, void *const *items, size_t n,
                       gx_verify_result_t *results, gx_verify_counts_t *counts) {
  size_t passed = 0;
  for (size_t i = 0; i < n; i++) {
    gx_verify_item_t *it = items[i];
    gx_verify_result_t r = gx_verify_one(ctx, it);
    passed += (size_t)gx_verify_passes(r);
    if (results) results[i] = r;
    if (counts) counts->n[r]++;
    if (ctx->done) ctx->done(ctx->arg, it, r); /* last: the item is the callee's now */
  }
  return passed;
}
