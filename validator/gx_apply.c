/* Apply: an agreed batch through the ledger into a pending black hole, then
 * to the sink. The ledger verifies every signature of the transfers this
 * node has not verified itself (the pool holds the ones its ingest
 * verified); correctness never depends on that shortcut. On the commit
 * stage's thread (the engine's deliver callback). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_assert.h"
#include "validator/gx_commit_int.h"

static int gx_apply_hash_cmp(const void *a, const void *b) { return memcmp(a, b, GX_HASH_SZ); }

static int gx_apply_verified(void *ctx, const gx_hash_t *id) {
  gx_apply_t *a = ctx;
  return bsearch(id, a->vids, a->n_vids, sizeof *a->vids, gx_apply_hash_cmp) != NULL;
}

/* Collects the ids of agreed transfers sitting in our pool (verified at
 * ingest), so the ledger does not verify their signatures a second time. */
static void gx_apply_collect_verified(gx_commit_t *c, const gx_acs_batch_t *batch) {
  gx_apply_t *a = &c->app;
  a->n_vids = 0;
  a->n_ids = 0;
  gx_txpool_t *pool = c->cfg.pool;
  if (!pool) return;
  size_t total = 0;
  for (unsigned i = 0; i < batch->count; i++) total += batch->len[i] / GX_XFER_SZ;
  if (total > a->max_txs) return; /* the ledger refuses oversized proposals anyway */
  size_t k = 0;
  for (unsigned i = 0; i < batch->count; i++)
    for (uint32_t off = 0; off + GX_XFER_SZ <= batch->len[i] && k < total; off += GX_XFER_SZ, k++) {
      a->xfer_ptrs[k] = batch->value[i] + off;
      gx_xfer_id(&a->all_ids[k], a->xfer_ptrs[k]);
    }
  memset(a->vflags, 0, total);
  pool->held(pool->ctx, a->xfer_ptrs, a->all_ids, total, a->vflags);
  a->n_ids = total; /* the ledger and the rejected list reuse them */
  /* Not in our pool yet (still queued in our ingest, or never gossiped to
   * us): verify them here, and tell the pool, whose workers would otherwise
   * verify the same transfers again when they reach them. A transfer failing
   * here is left to the ledger, which checks it again and rejects it. */
  for (k = 0; k < total; k++) {
    if (a->vflags[k]) continue;
    atomic_fetch_add(&c->st_sig_checked, 1);
    if (gx_xfer_verify_enc(a->xfer_ptrs[k]) != GX_XFER_VERIFY_OK) continue;
    a->vflags[k] = 1;
    pool->verified(pool->ctx, a->xfer_ptrs[k]);
  }
  for (k = 0; k < total; k++)
    if (a->vflags[k]) a->vids[a->n_vids++] = a->all_ids[k];
  qsort(a->vids, a->n_vids, sizeof *a->vids, gx_apply_hash_cmp);
}

/* The agreed transfers the ledger rejected, to be dropped from our pool
 * (otherwise they would be proposed, and rejected, every epoch). */
static void gx_apply_collect_rejected(gx_commit_t *c, const gx_acs_batch_t *batch,
                                      const gx_ledger_block_t *blk) {
  gx_apply_t *a = &c->app;
  a->n_drop = 0;
  if (!c->cfg.pool || !blk->rejection_count) return;
  size_t k = 0;
  for (unsigned i = 0; i < batch->count; i++)
    for (uint32_t off = 0; off + GX_XFER_SZ <= batch->len[i] && k < a->max_txs; off += GX_XFER_SZ, k++) {
      const uint8_t *x = batch->value[i] + off;
      gx_hash_t id;
      if (k < a->n_ids) id = a->all_ids[k];
      else gx_xfer_id(&id, x);
      for (uint32_t r = 0; r < blk->rejection_count && a->n_drop < a->max_txs; r++)
        if (gx_hash_eq(&blk->rejections[r].id, &id)) {
          a->drop[a->n_drop] = x;
          a->drop_ids[a->n_drop++] = id;
          break;
        }
    }
}

void gx_apply_deliver(void *ctx, const gx_acs_batch_t *batch) {
  gx_commit_t *c = ctx;
  gx_apply_t *a = &c->app;
  if (atomic_load(&c->stop)) return;
  uint64_t t0 = gx_commit_now_ns();
  gx_apply_collect_verified(c, batch);
  pthread_mutex_lock(&c->ledger_lock);
  uint64_t before = gx_ledger_height(c->ledger);
  gx_ledger_block_t blk;
  gx_ledger_err_t e = gx_ledger_apply_epoch_ids(c->ledger, batch->epoch, batch->value, batch->len,
                                                batch->count, a->n_ids ? a->all_ids : NULL,
                                                gx_apply_verified, a, &blk);
  pthread_mutex_unlock(&c->ledger_lock);
  if (e != GX_LEDGER_OK) {
    char why[256];
    snprintf(why, sizeof why, "ledger cannot apply epoch %llu: %s",
             (unsigned long long)batch->epoch, gx_ledger_strerror(e));
    gx_commit_fail(c, why);
    return;
  }
  GX_ASSERT(blk.header.height == before + 1 && blk.header.height == batch->epoch + 1,
            "epoch %llu built black hole %llu on height %llu", (unsigned long long)batch->epoch,
            (unsigned long long)blk.header.height, (unsigned long long)before);
  gx_apply_collect_rejected(c, batch, &blk);
  if (c->sink.finish(c->sink.ctx, &blk, 1) != 0) return;
  a->n_drop = 0;
  uint64_t t1 = gx_commit_now_ns();
  gx_metrics_hist_observe(&c->apply_hist, t1 - t0);
  if (c->drv.epoch_started_ns) gx_metrics_hist_observe(&c->epoch_hist, t1 - c->drv.epoch_started_ns);
  c->drv.epoch_started_ns = 0;
  atomic_store(&c->st_next_epoch, batch->epoch + 1);
}

int gx_apply_open(gx_commit_t *c, char *err, size_t errlen) {
  gx_apply_t *a = &c->app;
  a->max_txs = c->max_bh_txs;
  a->vids = malloc(a->max_txs * sizeof *a->vids);
  a->vflags = malloc(a->max_txs);
  a->all_ids = malloc(a->max_txs * sizeof *a->all_ids);
  a->drop = malloc(a->max_txs * sizeof *a->drop);
  a->drop_ids = malloc(a->max_txs * sizeof *a->drop_ids);
  a->xfer_ptrs = malloc(a->max_txs * sizeof *a->xfer_ptrs);
  if (!a->vids || !a->vflags || !a->all_ids || !a->drop || !a->drop_ids || !a->xfer_ptrs) {
    snprintf(err, errlen, "out of memory for the apply buffers (%zu transfers)", a->max_txs);
    return -1;
  }
  return 0;
}

void gx_apply_close(gx_commit_t *c) {
  gx_apply_t *a = &c->app;
  free(a->vids);
  free(a->vflags);
  free(a->all_ids);
  free((void *)a->drop);
  free(a->drop_ids);
  free((void *)a->xfer_ptrs);
}
