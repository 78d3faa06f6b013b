/* The galaxy side of the hierarchy (docs/CLUSTERS.md "Wiring into galaxyd"):
 * in a genesis with Star Clusters the commit stage proposes the refs of the
 * LSH blocks it holds, and folds the agreed ones into each black hole.
 *
 *   ingest (RX thread) --gx_commit_offer_lsh--> inbox (fixed slots, FIFO)
 *     --gx_hier_poll (stage thread)--> gx_lshpool_add (check: certificate,
 *     root, height) --gx_hier_proposal--> refs in our ACS proposal
 *     --agreed (refs carried by f + 1 proposals)--> fetch what we lack from
 *     a sync peer (/v1/raw/lsh/ID) --> gx_fold_apply --> side tables (the
 *     folded blocks, the clusters' chains) --> the galaxy sink (store, ledger
 *     commit, sign) --> gx_fold_commit, prune the pool, forget rejected ids.
 *
 * The side tables are written before the black hole is appended: after a
 * crash they may hold a record of a height that never became durable (it is
 * rewritten when that height commits), never the reverse. A restarted galaxy
 * restores the chains from the record of its tip; one that caught up from
 * peers takes the record of its new tip from a peer (not certified: see
 * docs/CLUSTERS.md "Trust, per tier").
 * On the commit stage's thread, except gx_commit_offer_lsh, gx_commit_lsh,
 * gx_commit_fold_record and gx_commit_hier_status (any thread). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_assert.h"
#include "core/gx_log.h"
#include "core/gx_util.h"
#include "validator/gx_commit_int.h"

size_t gx_hier_max_txs(const gx_genesis_t *g) {
  if (!g->cluster_count) return 0;
  gx_fold_cfg_t fc;
  gx_genesis_fold(g, &fc, NULL);
  return (size_t)fc.max_blocks * fc.max_block_txs;
}

void gx_hier_ledger_cfg(const gx_genesis_t *g, gx_ledger_cfg_t *lc) {
  if (!g->cluster_count) return;
  gx_fold_cfg_t fc;
  gx_genesis_fold(g, &fc, NULL);
  if (lc->max_proposers < fc.max_blocks) lc->max_proposers = fc.max_blocks;
  if (lc->max_proposal_txs < fc.max_block_txs) lc->max_proposal_txs = fc.max_block_txs;
}

/* ---- the side tables ---- */
static void gx_hier_height_key(uint8_t key[8], uint64_t height) {
  for (int i = 0; i < 8; i++) key[i] = (uint8_t)(height >> (56 - 8 * i)); /* big endian: ordered */
}

/* The record of the chains as the fold leaves them (pending or committed). */
static void gx_hier_encode_chains(gx_hier_t *h) {
  uint32_t k = gx_fold_cluster_count(h->fold);
  for (uint32_t i = 0; i < k; i++) {
    gx_fold_cluster_state_t st;
    gx_fold_pending_state(h->fold, i, &st);
    uint8_t *p = h->fold_rec + (size_t)i * GX_HIER_FOLD_REC_ENTRY;
    gx_st64(p, st.height);
    memcpy(p + 8, st.id.b, GX_HASH_SZ);
    gx_st64(p + 40, st.folded);
    gx_st64(p + 48, st.rejected);
    gx_st64(p + 56, st.base_height);
    memcpy(p + 64, st.base.b, GX_HASH_SZ);
  }
  h->fold_rec_len = (size_t)k * GX_HIER_FOLD_REC_ENTRY;
}

/* Sets the fold's chains from a record; -1 when it is not one of this genesis. */
static int gx_hier_restore_chains(gx_hier_t *h, const uint8_t *rec, size_t len) {
  uint32_t k = gx_fold_cluster_count(h->fold);
  if (len != (size_t)k * GX_HIER_FOLD_REC_ENTRY) return -1;
  for (uint32_t i = 0; i < k; i++) {
    const uint8_t *p = rec + (size_t)i * GX_HIER_FOLD_REC_ENTRY;
    gx_fold_cluster_state_t st = {.height = gx_ld64(p), .folded = gx_ld64(p + 40),
                                  .rejected = gx_ld64(p + 48), .base_height = gx_ld64(p + 56)};
    memcpy(st.id.b, p + 8, GX_HASH_SZ);
    memcpy(st.base.b, p + 64, GX_HASH_SZ);
    if (gx_fold_restore_cluster(h->fold, i, &st) != GX_FOLD_OK) return -1;
  }
  return 0;
}

/* The known black holes (the bases LSH blocks may name): the window below
 * and at height, from the store (and genesis). */
static int gx_hier_note_window(gx_commit_t *c, uint64_t height) {
  uint64_t from = height >= GX_FOLD_BASE_WINDOW ? height - GX_FOLD_BASE_WINDOW + 1 : 0;
  for (uint64_t x = from; x <= height; x++) {
    gx_hash_t id = c->g->id;
    gx_store_loc_t loc;
    if (x) {
      if (gx_store_locate(c->store, x, &loc) != GX_STORE_OK) return -1;
      id = loc.hash;
    }
    if (gx_fold_note_blackhole(c->hier.fold, x, &id) != GX_FOLD_OK) return -1;
  }
  return 0;
}

int gx_hier_restore(gx_commit_t *c, char *err, size_t errlen) {
  gx_hier_t *h = &c->hier;
  if (!h->on) return 0;
  uint64_t height = gx_ledger_height(c->ledger);
  if (height == 0) return 0;
  uint8_t key[8];
  gx_hier_height_key(key, height);
  size_t len = 0;
  gx_store_err_t se = gx_store_aux_get(c->store, GX_STORE_AUX_FOLD, key, 8, h->fold_rec,
                                       (size_t)GX_GENESIS_MAX_CLUSTERS * GX_HIER_FOLD_REC_ENTRY, &len);
  if (se == GX_STORE_ENOTFOUND) {
    /* caught up from peers and stopped before their record of the tip came
     * (catch-up takes one every GX_SYNC_FOLD_EVERY black holes): ask them */
    GX_WARN("commit", "no record of the clusters' folded chains at black hole %llu here: taking it from a "
            "sync peer before folding", (unsigned long long)height);
    h->chains_stale = 1;
    return gx_hier_note_window(c, height) == 0 ? 0 : (snprintf(err, errlen, "cannot read black hole ids below %llu",
                                                              (unsigned long long)height), -1);
  }
  if (se != GX_STORE_OK) {
    snprintf(err, errlen, "cannot read the record of the clusters' folded chains at black hole %llu: %s",
             (unsigned long long)height, gx_store_strerror(se));
    return -1;
  }
  if (gx_hier_restore_chains(h, h->fold_rec, len) || gx_hier_note_window(c, height)) {
    snprintf(err, errlen, "the clusters' folded chains recorded at black hole %llu do not fit this genesis",
             (unsigned long long)height);
    return -1;
  }
  return 0;
}

void gx_hier_synced(gx_commit_t *c) {
  gx_hier_t *h = &c->hier;
  if (!h->on) return;
  uint64_t height = gx_ledger_height(c->ledger);
  char path[64];
  snprintf(path, sizeof path, "/v1/raw/fold/%llu", (unsigned long long)height);
  /* (reuses c->sync.buf: the caught-up black hole is finished with) */
  if (gx_sync_get(c, path) != 0 || gx_hier_restore_chains(h, c->sync.buf, c->sync.len) != 0) {
    GX_WARN("commit", "sync: no peer gave the clusters' folded chains at black hole %llu: "
            "LSH blocks will be refused as out of order until one does", (unsigned long long)height);
    c->sync.need = 1;
    return;
  }
  uint8_t key[8];
  gx_hier_height_key(key, height);
  gx_store_aux_t rec = {GX_STORE_AUX_FOLD, key, 8, c->sync.buf, c->sync.len};
  if (gx_store_aux_put(c->store, &rec, 1) != GX_STORE_OK)
    GX_WARN("commit", "cannot record the clusters' folded chains at black hole %llu", (unsigned long long)height);
  h->behind_epoch = 0;
  h->chains_stale = 0;
}

/* ---- the sink, wrapped: the fold follows the ledger ---- */
static int gx_hier_finish(void *ctx, const gx_ledger_block_t *b, int sign) {
  gx_commit_t *c = ctx;
  gx_hier_t *h = &c->hier;
  int r = h->inner.finish(h->inner.ctx, b, sign);
  if (h->applying) { /* a block we folded */
    h->applying = 0;
    pthread_mutex_lock(&c->ledger_lock); /* gx_commit_hier_status reads the chains under it */
    if (r == 0) gx_fold_commit(h->fold);
    else gx_fold_abort(h->fold);
    pthread_mutex_unlock(&c->ledger_lock);
  } else if (r == 0) { /* caught up from a peer: a base LSH blocks may name */
    gx_fold_note_blackhole(h->fold, b->header.height, &b->id);
  }
  return r;
}

/* ---- intake ---- */
int gx_commit_offer_lsh(gx_commit_t *c, const uint8_t *buf, size_t len) {
  gx_hier_t *h = &c->hier;
  if (!h->on || !len || len > h->max_block) {
    if (h->on) atomic_fetch_add(&h->st_pool[GX_LSHPOOL_TOO_BIG], 1);
    return -1;
  }
  pthread_mutex_lock(&h->inbox_lock);
  int full = h->inbox_count == h->inbox_slots;
  if (!full) {
    uint32_t slot = (h->inbox_head + h->inbox_count) % h->inbox_slots;
    memcpy(h->inbox + (size_t)slot * h->max_block, buf, len);
    h->inbox_len[slot] = len;
    h->inbox_count++;
  }
  pthread_mutex_unlock(&h->inbox_lock);
  atomic_fetch_add(full ? &h->st_inbox_full : &h->st_offered, 1);
  return full ? -1 : 0;
}

/* Checks buf into the pool; the pool's verdict. */
static gx_lshpool_res_t gx_hier_add(gx_commit_t *c, const uint8_t *buf, size_t len, gx_fold_info_t *info) {
  gx_hier_t *h = &c->hier;
  pthread_mutex_lock(&h->pool_lock);
  gx_lshpool_res_t r = gx_lshpool_add(h->pool, h->fold, buf, len, info);
  atomic_store(&h->st_held, gx_lshpool_count(h->pool));
  pthread_mutex_unlock(&h->pool_lock);
  atomic_fetch_add(&h->st_pool[r], 1);
  if (r == GX_LSHPOOL_REJECTED)
    GX_DEBUG("commit", "LSH block of cluster %u height %llu refused: %s", info->cluster,
             (unsigned long long)info->height, gx_fold_verdict_label(info->verdict));
  return r;
}

void gx_hier_poll(gx_commit_t *c) {
  gx_hier_t *h = &c->hier;
  if (!h->on) return;
  for (;;) {
    pthread_mutex_lock(&h->inbox_lock);
    uint32_t n = h->inbox_count, slot = h->inbox_head;
    pthread_mutex_unlock(&h->inbox_lock);
    if (!n) return;
    gx_fold_info_t info;
    (void)gx_hier_add(c, h->inbox + (size_t)slot * h->max_block, h->inbox_len[slot], &info);
    pthread_mutex_lock(&h->inbox_lock); /* producers write only free slots: head was ours */
    h->inbox_head = (h->inbox_head + 1) % h->inbox_slots;
    h->inbox_count--;
    pthread_mutex_unlock(&h->inbox_lock);
  }
}

size_t gx_hier_proposal(gx_commit_t *c, uint8_t *out, size_t cap, uint32_t *count) {
  gx_hier_t *h = &c->hier;
  gx_fold_ref_t refs[GX_FOLD_MAX_REFS];
  uint32_t n = gx_lshpool_refs(h->pool, h->fold, refs, GX_FOLD_MAX_REFS);
  *count = n;
  atomic_fetch_add(&h->st_refs_proposed, n);
  return gx_fold_refs_encode(out, cap, refs, n);
}

/* ---- deliver ---- */
/* The agreed block of ref a: held, or fetched from a sync peer. */
static int gx_hier_obtain(gx_commit_t *c, const gx_fold_agreed_ref_t *a) {
  gx_hier_t *h = &c->hier;
  const uint8_t *b;
  size_t len;
  pthread_mutex_lock(&h->pool_lock);
  int held = gx_lshpool_get(h->pool, &a->ref.id, &b, &len) == 0;
  pthread_mutex_unlock(&h->pool_lock);
  if (held) return 0;
  char path[128], hex[2 * GX_HASH_SZ + 1];
  gx_hex_encode(hex, a->ref.id.b, GX_HASH_SZ);
  snprintf(path, sizeof path, "/v1/raw/lsh/%s", hex);
  gx_fold_info_t info;
  if (gx_sync_get(c, path) == 0) {
    gx_lshpool_res_t r = gx_hier_add(c, c->sync.buf, c->sync.len, &info);
    if ((r == GX_LSHPOOL_ADDED || r == GX_LSHPOOL_HELD) && gx_hash_eq(&info.id, &a->ref.id)) {
      atomic_fetch_add(&h->st_fetched, 1);
      return 0;
    }
  }
  atomic_fetch_add(&h->st_fetch_failed, 1);
  return -1;
}

/* Side-table records of the black hole being made: the folded blocks and
 * the chains after it. */
static int gx_hier_record(gx_commit_t *c, const gx_fold_result_t *res, uint64_t height) {
  gx_hier_t *h = &c->hier;
  uint8_t key[8];
  gx_hier_height_key(key, height);
  size_t n = 0;
  for (uint32_t i = 0; i < res->folded_count; i++) {
    const gx_fold_entry_t *e = &res->entries[i];
    h->aux[n++] = (gx_store_aux_t){GX_STORE_AUX_LSH, e->id.b, GX_HASH_SZ, h->blocks[e->index],
                                   h->lens[e->index]};
  }
  gx_hier_encode_chains(h);
  h->aux[n++] = (gx_store_aux_t){GX_STORE_AUX_FOLD, key, 8, h->fold_rec, h->fold_rec_len};
  return gx_store_aux_put(c->store, h->aux, n) == GX_STORE_OK ? 0 : -1;
}

static void gx_hier_after_commit(gx_commit_t *c, const gx_fold_result_t *res) {
  gx_hier_t *h = &c->hier;
  pthread_mutex_lock(&h->pool_lock);
  gx_lshpool_prune(h->pool, h->fold);
  for (uint32_t i = res->folded_count; i < res->entry_count; i++)
    if (gx_fold_verdict_final(res->entries[i].verdict)) gx_lshpool_reject(h->pool, &res->entries[i].id);
  atomic_store(&h->st_held, gx_lshpool_count(h->pool));
  pthread_mutex_unlock(&h->pool_lock);
}

void gx_hier_deliver(void *ctx, const gx_acs_batch_t *batch) {
  gx_commit_t *c = ctx;
  gx_hier_t *h = &c->hier;
  if (atomic_load(&c->stop)) return;
  if (batch->epoch != gx_ledger_height(c->ledger)) return; /* behind: catch-up brings us there */
  if (h->chains_stale) gx_hier_synced(c); /* restarted without the record of our tip */
  if (h->chains_stale) { /* no peer has it (yet): we cannot fold as the others do */
    atomic_fetch_add(&h->st_behind, 1);
    c->sync.need = 1;
    return;
  }
  uint64_t t0 = gx_commit_now_ns();
  const gx_committee_t *com = gx_epoch_committee(c->drv.epoch);
  const uint8_t *values[GX_CONS_MAX_N];
  uint32_t malformed = 0;
  for (unsigned i = 0; i < batch->count; i++) values[i] = batch->value[i];
  uint32_t n = gx_fold_refs_agreed(values, batch->len, batch->proposer, batch->count, com->f + 1,
                                   h->scratch, h->agreed, GX_FOLD_MAX_INPUT, &malformed);
  atomic_fetch_add(&h->st_malformed_refs, malformed);
  for (uint32_t i = 0; i < n; i++)
    if (gx_hier_obtain(c, &h->agreed[i]) != 0) {
      /* an honest holder exists (f + 1 carried it) but none answered: we
       * cannot fold what the others fold; catch up on their black hole */
      GX_WARN("commit", "epoch %llu: cannot get agreed LSH block of cluster %u height %llu from any "
              "sync peer; catching up instead", (unsigned long long)batch->epoch, h->agreed[i].ref.cluster,
              (unsigned long long)h->agreed[i].ref.height);
      h->behind_epoch = batch->epoch + 1;
      atomic_fetch_add(&h->st_behind, 1);
      c->sync.need = 1;
      return;
    }
  /* all held now: point at them (fetching may have evicted one: look again) */
  pthread_mutex_lock(&h->pool_lock);
  uint32_t have = 0;
  for (uint32_t i = 0; i < n; i++)
    if (gx_lshpool_get(h->pool, &h->agreed[i].ref.id, &h->blocks[have], &h->lens[have]) == 0) have++;
  pthread_mutex_unlock(&h->pool_lock);
  if (have != n) {
    GX_WARN("commit", "epoch %llu: the LSH pool lost an agreed block while fetching; catching up",
            (unsigned long long)batch->epoch);
    h->behind_epoch = batch->epoch + 1;
    c->sync.need = 1;
    return;
  }
  gx_fold_result_t res;
  pthread_mutex_lock(&c->ledger_lock);
  gx_fold_err_t fe = gx_fold_apply(h->fold, c->ledger, batch->epoch, h->blocks, h->lens, n, &res);
  pthread_mutex_unlock(&c->ledger_lock);
  if (fe != GX_FOLD_OK) {
    char why[256];
    snprintf(why, sizeof why, "cannot fold epoch %llu: %s%s%s", (unsigned long long)batch->epoch,
             gx_fold_strerror(fe), fe == GX_FOLD_ELEDGER ? ": " : "",
             fe == GX_FOLD_ELEDGER ? gx_ledger_strerror(res.ledger_err) : "");
    gx_commit_fail(c, why);
    return;
  }
  for (int v = 0; v < GX_FOLD_V__COUNT; v++) atomic_fetch_add(&h->st_verdict[v], res.verdicts[v]);
  atomic_fetch_add(&h->st_evidence, res.evidence_count);
  atomic_fetch_add(&h->st_sig_checked, res.sig_checked);
  for (uint32_t i = 0; i < res.evidence_count; i++) {
    const gx_fold_evidence_t *ev = &res.evidence[i];
    GX_WARN("commit", "evidence against cluster %u (members 0x%llx): %s at LSH height %llu",
            ev->cluster, (unsigned long long)ev->signers,
            ev->kind == GX_FOLD_EV_CONFLICT ? "two certified blocks" : "a certified bad signature",
            (unsigned long long)ev->height);
  }
  if (gx_hier_record(c, &res, res.ledger.header.height) != 0) {
    pthread_mutex_lock(&c->ledger_lock);
    gx_ledger_abort(c->ledger);
    pthread_mutex_unlock(&c->ledger_lock);
    gx_fold_abort(h->fold);
    gx_commit_fail(c, "cannot record the folded LSH blocks in the store");
    return;
  }
  h->applying = 1;
  if (c->sink.finish(c->sink.ctx, &res.ledger, 1) != 0) return;
  gx_hier_after_commit(c, &res);
  uint64_t t1 = gx_commit_now_ns();
  gx_metrics_hist_observe(&c->apply_hist, t1 - t0);
  if (c->drv.epoch_started_ns) gx_metrics_hist_observe(&c->epoch_hist, t1 - c->drv.epoch_started_ns);
  c->drv.epoch_started_ns = 0;
  atomic_store(&c->st_next_epoch, batch->epoch + 1);
}

/* ---- readers (any thread) ---- */
int gx_commit_lsh(gx_commit_t *c, const gx_hash_t *id, uint8_t *out, size_t cap, size_t *len) {
  gx_hier_t *h = &c->hier;
  if (!h->on) return -1;
  const uint8_t *b;
  int r = -1;
  pthread_mutex_lock(&h->pool_lock);
  if (gx_lshpool_get(h->pool, id, &b, len) == 0) {
    r = *len <= cap ? 0 : -2;
    if (!r) memcpy(out, b, *len);
  }
  pthread_mutex_unlock(&h->pool_lock);
  if (r != -1) return r;
  gx_store_err_t se = gx_store_aux_get(c->store, GX_STORE_AUX_LSH, id->b, GX_HASH_SZ, out, cap, len);
  return se == GX_STORE_OK ? 0 : se == GX_STORE_ESMALL ? -2 : -1;
}

int gx_commit_fold_record(gx_commit_t *c, uint64_t height, uint8_t *out, size_t cap, size_t *len) {
  if (!c->hier.on) return -1;
  uint8_t key[8];
  gx_hier_height_key(key, height);
  gx_store_err_t se = gx_store_aux_get(c->store, GX_STORE_AUX_FOLD, key, 8, out, cap, len);
  return se == GX_STORE_OK ? 0 : se == GX_STORE_ESMALL ? -2 : -1;
}

void gx_commit_hier_status(gx_commit_t *c, gx_commit_hier_status_t *out) {
  memset(out, 0, sizeof *out);
  gx_hier_t *h = &c->hier;
  if (!h->on) return;
  out->cluster_count = gx_fold_cluster_count(h->fold);
  out->held = atomic_load(&h->st_held);
  pthread_mutex_lock(&c->ledger_lock); /* the stage commits the fold under it */
  for (uint32_t i = 0; i < out->cluster_count && i < GX_GENESIS_MAX_CLUSTERS; i++)
    gx_fold_cluster_state(h->fold, i, &out->cluster[i]);
  pthread_mutex_unlock(&c->ledger_lock);
}

/* ---- lifecycle ---- */
int gx_hier_open(gx_commit_t *c, char *err, size_t errlen) {
  gx_hier_t *h = &c->hier;
  const gx_genesis_t *g = c->g;
  pthread_mutex_init(&h->pool_lock, NULL);
  pthread_mutex_init(&h->inbox_lock, NULL);
  h->opened = 1;
  if (!g->cluster_count) return 0;
  h->on = 1;
  gx_fold_cfg_t fc;
  gx_fold_cluster_t *cl = calloc(GX_GENESIS_MAX_CLUSTERS, sizeof *cl); /* copied by gx_fold_new */
  if (!cl) { snprintf(err, errlen, "out of memory"); return -1; }
  gx_genesis_fold(g, &fc, cl);
  size_t fsz = gx_fold_footprint(&fc);
  h->fold_mem = fsz ? aligned_alloc(GX_FOLD_ALIGN, (fsz + GX_FOLD_ALIGN - 1) & ~(size_t)(GX_FOLD_ALIGN - 1)) : NULL;
  h->fold = h->fold_mem ? gx_fold_new(h->fold_mem, &fc, cl, &g->id) : NULL;
  free(cl);
  if (!h->fold) {
    snprintf(err, errlen, "cannot create the fold of %u clusters (%zu bytes)", fc.cluster_count, fsz);
    return -1;
  }
  gx_lshpool_cfg_t pc;
  gx_lshpool_cfg_defaults(&pc);
  pc.max_block_bytes = gx_lsh_size(fc.max_block_txs, GX_LSH_MAX_MEMBERS, GX_LSH_MAX_FAULTS, GX_LSH_MAX_MEMBERS);
  h->max_block = pc.max_block_bytes;
  size_t psz = gx_lshpool_footprint(&pc);
  h->pool_mem = psz ? aligned_alloc(GX_LSHPOOL_ALIGN, (psz + GX_LSHPOOL_ALIGN - 1) & ~(size_t)(GX_LSHPOOL_ALIGN - 1)) : NULL;
  h->pool = h->pool_mem ? gx_lshpool_new(h->pool_mem, &pc) : NULL;
  h->inbox_slots = c->cfg.lsh_inbox ? c->cfg.lsh_inbox : 16;
  h->inbox = malloc((size_t)h->inbox_slots * h->max_block);
  h->inbox_len = calloc(h->inbox_slots, sizeof *h->inbox_len);
  h->agreed = calloc(GX_FOLD_MAX_INPUT, sizeof *h->agreed);
  h->scratch = calloc((size_t)GX_CONS_MAX_N * GX_FOLD_MAX_REFS, sizeof *h->scratch);
  h->blocks = calloc(GX_FOLD_MAX_INPUT, sizeof *h->blocks);
  h->lens = calloc(GX_FOLD_MAX_INPUT, sizeof *h->lens);
  h->aux = calloc(GX_FOLD_MAX_INPUT + 1, sizeof *h->aux);
  h->fold_rec = malloc((size_t)GX_GENESIS_MAX_CLUSTERS * GX_HIER_FOLD_REC_ENTRY);
  if (!h->pool || !h->inbox || !h->inbox_len || !h->agreed || !h->scratch || !h->blocks || !h->lens ||
      !h->aux || !h->fold_rec) {
    snprintf(err, errlen, "out of memory for the LSH pool and inbox (%u slots of %zu bytes)",
             h->inbox_slots, h->max_block);
    return -1;
  }
  h->inner = c->sink; /* the galaxy sink is open: wrap it */
  c->sink = (gx_sink_t){c, gx_hier_finish};
  return 0;
}

void gx_hier_close(gx_commit_t *c) {
  gx_hier_t *h = &c->hier;
  if (!h->opened) return;
  if (h->fold) gx_fold_delete(h->fold);
  if (h->pool) gx_lshpool_delete(h->pool);
  free(h->fold_mem);
  free(h->pool_mem);
  free(h->inbox);
  free(h->inbox_len);
  free(h->agreed);
  free(h->scratch);
  free((void *)h->blocks);
  free(h->lens);
  free(h->aux);
  free(h->fold_rec);
  pthread_mutex_destroy(&h->pool_lock);
  pthread_mutex_destroy(&h->inbox_lock);
  memset(h, 0, sizeof *h);
}

/* ---- metrics ---- */
static double gx_hier_held_fn(void *arg) { return (double)atomic_load(&((gx_hier_t *)arg)->st_held); }

gx_metrics_err_t gx_hier_metrics_register(gx_commit_t *c, gx_metrics_t *m) {
  gx_hier_t *h = &c->hier;
  if (!h->on) return 0;
  gx_metrics_err_t e = 0;
  char labels[80];
  for (int r = 0; r < GX_LSHPOOL_RES__COUNT && !e; r++) {
    snprintf(labels, sizeof labels, "result=\"%s\"", gx_lshpool_res_label((gx_lshpool_res_t)r));
    e = gx_metrics_counter(m, "gx_lsh_pool_total", labels,
                           "LSH blocks offered to this galaxy's LSH pool (from ingest or fetched), by result.",
                           &h->st_pool[r]);
  }
  for (int v = 0; v < GX_FOLD_V__COUNT && !e; v++) {
    snprintf(labels, sizeof labels, "verdict=\"%s\"", gx_fold_verdict_label((gx_fold_verdict_t)v));
    e = gx_metrics_counter(m, "gx_lsh_fold_total", labels,
                           "Agreed LSH blocks through the fold, by verdict (ok: folded into a black hole).",
                           &h->st_verdict[v]);
  }
  if (!e) e = gx_metrics_counter(m, "gx_lsh_fetch_total", "outcome=\"ok\"",
                                 "Agreed LSH blocks this galaxy lacked and asked its sync peers for, by outcome.", &h->st_fetched);
  if (!e) e = gx_metrics_counter(m, "gx_lsh_fetch_total", "outcome=\"failed\"",
                                 "Agreed LSH blocks this galaxy lacked and asked its sync peers for, by outcome.", &h->st_fetch_failed);
  if (!e) e = gx_metrics_counter(m, "gx_lsh_inbox_total", "outcome=\"queued\"",
                                 "Rebuilt LSH blocks handed from ingest to the commit stage, by outcome.", &h->st_offered);
  if (!e) e = gx_metrics_counter(m, "gx_lsh_inbox_total", "outcome=\"full\"",
                                 "Rebuilt LSH blocks handed from ingest to the commit stage, by outcome.", &h->st_inbox_full);
  if (!e) e = gx_metrics_counter(m, "gx_lsh_refs_proposed_total", NULL,
                                 "LSH block refs this galaxy put in its consensus proposals.", &h->st_refs_proposed);
  if (!e) e = gx_metrics_counter(m, "gx_lsh_malformed_proposals_total", NULL,
                                 "Agreed galaxy proposals that were not a refs list (a Byzantine galaxy).", &h->st_malformed_refs);
  if (!e) e = gx_metrics_counter(m, "gx_fold_evidence_total", NULL,
                                 "Evidence records against cluster members made while folding.", &h->st_evidence);
  if (!e) e = gx_metrics_counter(m, "gx_fold_signature_checks_total", NULL,
                                 "Sampled transfer signatures the fold checked.", &h->st_sig_checked);
  if (!e) e = gx_metrics_counter(m, "gx_fold_behind_total", NULL,
                                 "Epochs this galaxy could not fold (an agreed block nobody served) and caught up on instead.", &h->st_behind);
  if (!e) e = gx_metrics_gauge_fn(m, "gx_lsh_blocks_held", NULL, "LSH blocks in this galaxy's pool.",
                                  gx_hier_held_fn, h);
  return e;
}
