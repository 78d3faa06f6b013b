/* gx_fold: agreed LSH blocks -> the ledger's pending black hole. See gx_fold.h. */
#include "validator/gx_fold.h"

#include <string.h>

#include "core/gx_assert.h"
#include "core/gx_util.h"

struct gx_fold {
  gx_fold_cfg_t cfg;
  gx_fold_cluster_t *clusters;         /* cfg.cluster_count */
  gx_fold_cluster_state_t *state;      /* committed */
  gx_fold_cluster_state_t *next;       /* pending apply */
  /* known black holes: ring by height, the last GX_FOLD_BASE_WINDOW */
  gx_hash_t base_id[GX_FOLD_BASE_WINDOW];
  uint64_t base_top;                   /* highest height known */
  uint64_t base_count;                 /* heights known, back from base_top */
  int pending;
  uint64_t pending_height;
  gx_hash_t pending_id;
  /* apply's working memory */
  gx_hash_t *ids;                      /* max_blocks * max_block_txs: folded blocks' tx ids */
  gx_hash_t *scratch;                  /* max_block_txs: Merkle scratch */
  gx_hash_t *check_ids;                /* max_block_txs: ids of a block not folded */
  gx_lsh_t dec[GX_FOLD_MAX_INPUT];
  uint8_t ok[GX_FOLD_MAX_INPUT];
  uint32_t order[GX_FOLD_MAX_INPUT];
  gx_hash_t bid[GX_FOLD_MAX_INPUT];
  gx_fold_entry_t entries[GX_FOLD_MAX_INPUT];
  gx_fold_evidence_t evidence[GX_FOLD_MAX_INPUT];
  const uint8_t *props[GX_FOLD_MAX_BLOCKS];
  uint32_t prop_lens[GX_FOLD_MAX_BLOCKS];
};

static const char *const gx_fold_err_text[GX_FOLD_ERR__COUNT] = {
    [GX_FOLD_OK] = "ok",
    [GX_FOLD_EINVAL] = "bad argument or configuration",
    [GX_FOLD_EPENDING] = "a fold is pending: commit or abort it first",
    [GX_FOLD_ENOPENDING] = "no fold is pending",
    [GX_FOLD_ELEDGER] = "the ledger refused the folded transfers",
};
const char *gx_fold_strerror(gx_fold_err_t e) {
  return (unsigned)e < GX_FOLD_ERR__COUNT ? gx_fold_err_text[e] : "unknown fold error";
}

static const char *const gx_fold_verdict_labels[GX_FOLD_V__COUNT] = {
    [GX_FOLD_V_OK] = "ok",
    [GX_FOLD_V_MALFORMED] = "malformed",
    [GX_FOLD_V_CLUSTER] = "cluster",
    [GX_FOLD_V_MEMBERS] = "members",
    [GX_FOLD_V_TOO_BIG] = "too_big",
    [GX_FOLD_V_ROOT] = "root",
    [GX_FOLD_V_CERT] = "cert",
    [GX_FOLD_V_STALE] = "stale",
    [GX_FOLD_V_DEFERRED] = "deferred",
    [GX_FOLD_V_BROKEN_PREV] = "broken_prev",
    [GX_FOLD_V_BASE] = "base",
    [GX_FOLD_V_CONFLICT] = "conflict",
    [GX_FOLD_V_BAD_SIGNATURE] = "bad_signature",
    [GX_FOLD_V_DUPLICATE] = "duplicate",
    [GX_FOLD_V_OVERFLOW] = "overflow",
};
const char *gx_fold_verdict_label(gx_fold_verdict_t v) {
  return (unsigned)v < GX_FOLD_V__COUNT ? gx_fold_verdict_labels[v] : "unknown";
}

int gx_fold_verdict_final(gx_fold_verdict_t v) {
  return v == GX_FOLD_V_CLUSTER || v == GX_FOLD_V_MEMBERS || v == GX_FOLD_V_TOO_BIG ||
         v == GX_FOLD_V_BAD_SIGNATURE || v == GX_FOLD_V_BROKEN_PREV || v == GX_FOLD_V_BASE ||
         v == GX_FOLD_V_CONFLICT;
}

void gx_fold_cfg_defaults(gx_fold_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->cluster_count = 1;
  cfg->sample_per_65536 = 4096; /* 1/16 */
  cfg->max_block_txs = 2048;
  cfg->max_blocks = 16;         /* 16 * 2048 = GX_BH_MAX_TXS */
}

void gx_fold_ledger_cfg(const gx_fold_cfg_t *cfg, gx_ledger_cfg_t *lc) {
  lc->max_proposers = cfg->max_blocks;
  lc->max_proposal_txs = cfg->max_block_txs;
}

static int gx_fold_cfg_ok(const gx_fold_cfg_t *cfg) {
  return cfg && cfg->cluster_count >= 1 && cfg->cluster_count <= GX_FOLD_MAX_CLUSTERS &&
         cfg->sample_per_65536 <= 65536 && cfg->max_block_txs >= 1 &&
         cfg->max_block_txs <= GX_LSH_MAX_TXS && cfg->max_blocks >= 1 &&
         cfg->max_blocks <= GX_FOLD_MAX_BLOCKS &&
         (uint64_t)cfg->max_blocks * cfg->max_block_txs <= GX_BH_MAX_TXS;
}

static size_t gx_fold_up(size_t n) { return (n + GX_FOLD_ALIGN - 1) & ~(size_t)(GX_FOLD_ALIGN - 1); }

size_t gx_fold_footprint(const gx_fold_cfg_t *cfg) {
  if (!gx_fold_cfg_ok(cfg)) return 0;
  size_t k = cfg->cluster_count;
  return gx_fold_up(sizeof(gx_fold_t)) + gx_fold_up(k * sizeof(gx_fold_cluster_t)) +
         2 * gx_fold_up(k * sizeof(gx_fold_cluster_state_t)) +
         gx_fold_up((size_t)cfg->max_blocks * cfg->max_block_txs * sizeof(gx_hash_t)) +
         2 * gx_fold_up((size_t)cfg->max_block_txs * sizeof(gx_hash_t));
}

gx_fold_t *gx_fold_new(void *mem, const gx_fold_cfg_t *cfg, const gx_fold_cluster_t *clusters,
                       const gx_hash_t *genesis_id) {
  if (!mem || ((uintptr_t)mem & (GX_FOLD_ALIGN - 1)) || !gx_fold_cfg_ok(cfg) || !clusters ||
      !genesis_id)
    return NULL;
  for (uint32_t c = 0; c < cfg->cluster_count; c++)
    if (clusters[c].n < GX_LSH_MIN_MEMBERS || clusters[c].n > GX_LSH_MAX_MEMBERS) return NULL;
  size_t fp = gx_fold_footprint(cfg);
  memset(mem, 0, fp);
  uint8_t *p = mem;
  gx_fold_t *f = (gx_fold_t *)p;
  p += gx_fold_up(sizeof *f);
  size_t k = cfg->cluster_count;
  f->cfg = *cfg;
  f->clusters = (gx_fold_cluster_t *)p;
  p += gx_fold_up(k * sizeof(gx_fold_cluster_t));
  f->state = (gx_fold_cluster_state_t *)p;
  p += gx_fold_up(k * sizeof(gx_fold_cluster_state_t));
  f->next = (gx_fold_cluster_state_t *)p;
  p += gx_fold_up(k * sizeof(gx_fold_cluster_state_t));
  f->ids = (gx_hash_t *)p;
  p += gx_fold_up((size_t)cfg->max_blocks * cfg->max_block_txs * sizeof(gx_hash_t));
  f->scratch = (gx_hash_t *)p;
  p += gx_fold_up((size_t)cfg->max_block_txs * sizeof(gx_hash_t));
  f->check_ids = (gx_hash_t *)p;
  p += gx_fold_up((size_t)cfg->max_block_txs * sizeof(gx_hash_t));
  GX_ASSERT((size_t)(p - (uint8_t *)mem) == fp, "fold layout %zu != %zu", (size_t)(p - (uint8_t *)mem), fp);
  memcpy(f->clusters, clusters, k * sizeof *clusters);
  f->base_id[0] = *genesis_id;
  f->base_top = 0;
  f->base_count = 1;
  return f;
}

void *gx_fold_delete(gx_fold_t *f) { return f; }

uint32_t gx_fold_cluster_count(const gx_fold_t *f) { return f->cfg.cluster_count; }

gx_fold_err_t gx_fold_cluster_state(const gx_fold_t *f, uint32_t cluster,
                                    gx_fold_cluster_state_t *out) {
  if (!f || !out || cluster >= f->cfg.cluster_count) return GX_FOLD_EINVAL;
  *out = f->state[cluster];
  return GX_FOLD_OK;
}

gx_fold_err_t gx_fold_restore_cluster(gx_fold_t *f, uint32_t cluster,
                                      const gx_fold_cluster_state_t *st) {
  if (!f || !st || cluster >= f->cfg.cluster_count) return GX_FOLD_EINVAL;
  if (f->pending) return GX_FOLD_EPENDING;
  if ((st->height == 0) != gx_hash_is_zero(&st->id) || (st->height == 0 && st->base_height)) return GX_FOLD_EINVAL;
  f->state[cluster] = *st;
  return GX_FOLD_OK;
}

gx_fold_err_t gx_fold_note_blackhole(gx_fold_t *f, uint64_t height, const gx_hash_t *id) {
  if (!f || !id) return GX_FOLD_EINVAL;
  if (f->pending) return GX_FOLD_EPENDING;
  if (height == f->base_top + 1) {
    f->base_count = f->base_count < GX_FOLD_BASE_WINDOW ? f->base_count + 1 : GX_FOLD_BASE_WINDOW;
  } else {
    f->base_count = 1; /* a jump (restore): only this height is known */
  }
  f->base_top = height;
  f->base_id[height % GX_FOLD_BASE_WINDOW] = *id;
  return GX_FOLD_OK;
}

static int gx_fold_base_ok(const gx_fold_t *f, const gx_lsh_header_t *h) {
  if (h->base_height > f->base_top) return 0;
  if (f->base_top - h->base_height >= f->base_count) return 0;
  return gx_hash_eq(&f->base_id[h->base_height % GX_FOLD_BASE_WINDOW], &h->base);
}

/* The checks that need only the block and the committed cluster chain
 * (no hashing of transfers, no signatures). */
static gx_fold_verdict_t gx_fold_check_cheap(const gx_fold_t *f, const gx_lsh_t *b) {
  if (b->h.cluster >= f->cfg.cluster_count) return GX_FOLD_V_CLUSTER;
  if (b->h.member_count != f->clusters[b->h.cluster].n) return GX_FOLD_V_MEMBERS;
  if (b->h.tx_count > f->cfg.max_block_txs) return GX_FOLD_V_TOO_BIG;
  if (b->h.height <= f->state[b->h.cluster].height) return GX_FOLD_V_STALE;
  return GX_FOLD_V_OK;
}

/* Root and certificate; ids receives the block's tx ids. */
static gx_fold_verdict_t gx_fold_check_costly(const gx_fold_t *f, const gx_lsh_t *b,
                                              const gx_hash_t *id, gx_hash_t *ids,
                                              uint64_t *signers) {
  if (gx_lsh_check_root(b, ids, f->scratch) != 0) return GX_FOLD_V_ROOT;
  const gx_fold_cluster_t *cl = &f->clusters[b->h.cluster];
  if (gx_lsh_verify_cert(b, id, cl->members, cl->n, signers) != GX_LSH_CERT_OK)
    return GX_FOLD_V_CERT;
  return GX_FOLD_V_OK;
}

gx_fold_verdict_t gx_fold_check(const gx_fold_t *f, const uint8_t *buf, size_t len,
                                gx_fold_info_t *info) {
  gx_fold_info_t tmp;
  if (!info) info = &tmp;
  memset(info, 0, sizeof *info);
  gx_lsh_t b;
  gx_proto_err_t pe = gx_lsh_decode(&b, buf, len);
  if (pe != GX_PROTO_OK) {
    info->proto = pe;
    return info->verdict = GX_FOLD_V_MALFORMED;
  }
  info->cluster = b.h.cluster;
  info->height = b.h.height;
  gx_lsh_id(&info->id, &b);
  gx_fold_verdict_t v = gx_fold_check_cheap(f, &b);
  if (v == GX_FOLD_V_OK) v = gx_fold_check_costly(f, &b, &info->id, f->check_ids, NULL);
  return info->verdict = v;
}

/* Order (cluster, height, id, input index). */
static int gx_fold_before(const gx_fold_t *f, uint32_t a, uint32_t b) {
  const gx_lsh_header_t *ha = &f->dec[a].h, *hb = &f->dec[b].h;
  if (ha->cluster != hb->cluster) return ha->cluster < hb->cluster;
  if (ha->height != hb->height) return ha->height < hb->height;
  int c = memcmp(f->bid[a].b, f->bid[b].b, GX_HASH_SZ);
  if (c) return c < 0;
  return a < b;
}

/* Insertion sort of at most GX_FOLD_MAX_INPUT indices (no qsort: it has no
 * context argument, and this must not keep global state). */
static void gx_fold_sort(gx_fold_t *f, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    uint32_t x = f->order[i], j = i;
    while (j > 0 && gx_fold_before(f, x, f->order[j - 1])) {
      f->order[j] = f->order[j - 1];
      j--;
    }
    f->order[j] = x;
  }
}

/* One evidence record, while there is room (the set holds at most
 * GX_FOLD_MAX_INPUT blocks, each accused at most once). other may be NULL. */
static void gx_fold_evidence_add(gx_fold_t *f, uint32_t *n_ev, uint8_t kind, const gx_lsh_header_t *h,
                                 const gx_hash_t *block, const gx_hash_t *other, uint32_t tx_index,
                                 uint64_t signers) {
  if (*n_ev >= GX_FOLD_MAX_INPUT) return;
  gx_fold_evidence_t *ev = &f->evidence[(*n_ev)++];
  memset(ev, 0, sizeof *ev);
  ev->kind = kind;
  ev->cluster = h->cluster;
  ev->height = h->height;
  ev->block = *block;
  if (other) ev->other = *other;
  ev->tx_index = tx_index;
  ev->signers = signers;
}

static int gx_fold_all_verified(void *ctx, const gx_hash_t *id) {
  (void)ctx;
  (void)id;
  return 1;
}

gx_fold_err_t gx_fold_apply(gx_fold_t *f, gx_ledger_t *ledger, uint64_t epoch,
                            const uint8_t *const *blocks, const size_t *lens, uint32_t n,
                            gx_fold_result_t *out) {
  if (!f || !ledger || !out || n > GX_FOLD_MAX_INPUT || (n && (!blocks || !lens)))
    return GX_FOLD_EINVAL;
  if (f->pending) return GX_FOLD_EPENDING;
  memset(out, 0, sizeof *out);
  memcpy(f->next, f->state, f->cfg.cluster_count * sizeof *f->next);
  gx_hash_t tip;
  gx_ledger_tip(ledger, &tip, NULL);
  uint64_t tip_height = gx_ledger_height(ledger);

  /* 1. decode and the cheap checks; survivors are sorted */
  uint32_t cand = 0, n_ev = 0;
  for (uint32_t i = 0; i < n; i++) {
    gx_fold_entry_t *e = &f->entries[i];
    memset(e, 0, sizeof *e);
    e->index = i;
    f->ok[i] = 0;
    if (!blocks[i] || gx_lsh_decode(&f->dec[i], blocks[i], lens[i]) != GX_PROTO_OK) {
      e->verdict = GX_FOLD_V_MALFORMED;
      continue;
    }
    gx_lsh_id(&f->bid[i], &f->dec[i]);
    e->cluster = f->dec[i].h.cluster;
    e->height = f->dec[i].h.height;
    e->id = f->bid[i];
    e->verdict = gx_fold_check_cheap(f, &f->dec[i]);
    if (e->verdict == GX_FOLD_V_OK) f->order[cand++] = i;
  }
  gx_fold_sort(f, cand);

  /* 2. walk each cluster's candidates in height order */
  uint32_t folded = 0;
  size_t n_ids = 0;
  for (uint32_t k = 0; k < cand; k++) {
    uint32_t i = f->order[k];
    const gx_lsh_t *b = &f->dec[i];
    gx_fold_entry_t *e = &f->entries[i];
    gx_fold_cluster_state_t *cs = &f->next[b->h.cluster];
    /* the same id again: a duplicate once a copy folded (copies may differ
     * in their certificates: one with a bad certificate does not hide one
     * with a good certificate) */
    int dup = 0;
    for (uint32_t j = k; j-- > 0 && gx_hash_eq(&f->bid[f->order[j]], &f->bid[i]);)
      if (f->ok[f->order[j]]) dup = 1;
    if (dup) {
      e->verdict = GX_FOLD_V_DUPLICATE;
      continue;
    }
    if (b->h.height <= cs->height) {
      /* another block of this cluster at a height folded in this apply */
      e->verdict = GX_FOLD_V_CONFLICT;
      uint64_t signers = 0;
      gx_fold_verdict_t v = gx_fold_check_costly(f, b, &f->bid[i], f->check_ids, &signers);
      if (v != GX_FOLD_V_OK) {
        e->verdict = v; /* not certified: no evidence against anyone */
        continue;
      }
      /* the folded block at that height: members that signed both */
      uint64_t both = 0;
      gx_hash_t other = {0};
      for (uint32_t j = 0; j < k; j++) {
        uint32_t o = f->order[j];
        if (f->ok[o] && f->dec[o].h.cluster == b->h.cluster && f->dec[o].h.height == b->h.height) {
          other = f->bid[o];
          uint64_t s_other = 0;
          for (uint32_t s = 0; s < f->dec[o].sig_count; s++) {
            gx_lsh_sig_t sg;
            gx_lsh_cert_sig(&f->dec[o], s, &sg);
            s_other |= (uint64_t)1 << sg.member;
          }
          both = s_other & signers;
          break;
        }
      }
      gx_fold_evidence_add(f, &n_ev, GX_FOLD_EV_CONFLICT, &b->h, &f->bid[i], &other, 0, both);
      continue;
    }
    if (b->h.height > cs->height + 1) {
      e->verdict = GX_FOLD_V_DEFERRED;
      continue;
    }
    if (!gx_hash_eq(&b->h.prev, &cs->id)) {
      e->verdict = GX_FOLD_V_BROKEN_PREV;
      continue;
    }
    if (!gx_fold_base_ok(f, &b->h)) {
      e->verdict = GX_FOLD_V_BASE;
      continue;
    }
    if (folded >= f->cfg.max_blocks) {
      e->verdict = GX_FOLD_V_OVERFLOW;
      continue;
    }
    uint64_t signers = 0;
    gx_hash_t *ids = f->ids + n_ids;
    gx_fold_verdict_t v = gx_fold_check_costly(f, b, &f->bid[i], ids, &signers);
    if (v != GX_FOLD_V_OK) {
      e->verdict = v;
      continue;
    }
    /* the sample: one bad signature rejects the block */
    uint32_t bad = UINT32_MAX;
    for (uint32_t t = 0; t < b->h.tx_count && f->cfg.sample_per_65536; t++) {
      if (!gx_lsh_sampled(&tip, &ids[t], f->cfg.sample_per_65536)) continue;
      out->sig_checked++;
      if (gx_xfer_verify_enc(b->xfers + (size_t)t * GX_XFER_SZ) != GX_XFER_VERIFY_OK) {
        bad = t;
        break;
      }
    }
    if (bad != UINT32_MAX) {
      e->verdict = GX_FOLD_V_BAD_SIGNATURE;
      gx_fold_evidence_add(f, &n_ev, GX_FOLD_EV_BAD_SIGNATURE, &b->h, &f->bid[i], NULL, bad, signers);
      continue;
    }
    /* fold it */
    f->ok[i] = 1;
    f->props[folded] = b->xfers;
    f->prop_lens[folded] = b->h.tx_count * GX_XFER_SZ;
    folded++;
    n_ids += b->h.tx_count;
    cs->height = b->h.height;
    cs->id = f->bid[i];
    cs->base_height = b->h.base_height;
    cs->base = b->h.base;
    cs->folded++;
  }
  /* rejected blocks count against their cluster (deferred/stale/dup do not) */
  for (uint32_t i = 0; i < n; i++) {
    gx_fold_verdict_t v = f->entries[i].verdict;
    out->verdicts[v]++;
    if (f->ok[i] || v == GX_FOLD_V_MALFORMED || v == GX_FOLD_V_CLUSTER) continue;
    if (v == GX_FOLD_V_BROKEN_PREV || v == GX_FOLD_V_BASE || v == GX_FOLD_V_CONFLICT ||
        v == GX_FOLD_V_BAD_SIGNATURE || v == GX_FOLD_V_ROOT || v == GX_FOLD_V_CERT ||
        v == GX_FOLD_V_MEMBERS || v == GX_FOLD_V_TOO_BIG)
      f->next[f->entries[i].cluster].rejected++;
  }
  /* the ledger: one proposal per folded block, every transfer vouched for */
  gx_ledger_err_t le = gx_ledger_apply_epoch_ids(ledger, epoch, f->props, f->prop_lens, folded,
                                                 f->ids, gx_fold_all_verified, NULL, &out->ledger);
  if (le != GX_LEDGER_OK) {
    out->ledger_err = le;
    return GX_FOLD_ELEDGER;
  }
  /* entries: folded ones first in fold order, then the rest in input order */
  gx_fold_entry_t tmp[GX_FOLD_MAX_INPUT];
  uint32_t m = 0;
  for (uint32_t k = 0; k < cand; k++)
    if (f->ok[f->order[k]]) tmp[m++] = f->entries[f->order[k]];
  for (uint32_t i = 0; i < n; i++)
    if (!f->ok[i]) tmp[m++] = f->entries[i];
  GX_ASSERT(m == n, "fold entries %u != %u", m, n);
  memcpy(f->entries, tmp, n * sizeof *tmp);
  out->entries = f->entries;
  out->entry_count = n;
  out->folded_count = folded;
  out->evidence = f->evidence;
  out->evidence_count = n_ev;
  f->pending = 1;
  f->pending_height = tip_height + 1;
  f->pending_id = out->ledger.id;
  return GX_FOLD_OK;
}

gx_fold_err_t gx_fold_commit(gx_fold_t *f) {
  if (!f) return GX_FOLD_EINVAL;
  if (!f->pending) return GX_FOLD_ENOPENDING;
  memcpy(f->state, f->next, f->cfg.cluster_count * sizeof *f->state);
  f->pending = 0;
  return gx_fold_note_blackhole(f, f->pending_height, &f->pending_id);
}

gx_fold_err_t gx_fold_pending_state(const gx_fold_t *f, uint32_t cluster,
                                    gx_fold_cluster_state_t *out) {
  if (!f || !out || cluster >= f->cfg.cluster_count) return GX_FOLD_EINVAL;
  *out = f->pending ? f->next[cluster] : f->state[cluster];
  return GX_FOLD_OK;
}

gx_fold_err_t gx_fold_abort(gx_fold_t *f) {
  if (!f) return GX_FOLD_EINVAL;
  if (!f->pending) return GX_FOLD_ENOPENDING;
  f->pending = 0;
  return GX_FOLD_OK;
}

/* ---- refs ---- */
static int gx_fold_ref_cmp(const gx_fold_ref_t *a, const gx_fold_ref_t *b) {
  if (a->cluster != b->cluster) return a->cluster < b->cluster ? -1 : 1;
  if (a->height != b->height) return a->height < b->height ? -1 : 1;
  return memcmp(a->id.b, b->id.b, GX_HASH_SZ);
}

size_t gx_fold_refs_size(uint32_t count) { return 2 + (size_t)count * GX_FOLD_REF_SZ; }

size_t gx_fold_refs_encode(uint8_t *out, size_t cap, const gx_fold_ref_t *refs, uint32_t count) {
  if (!out || count > GX_FOLD_MAX_REFS || (count && !refs) || cap < gx_fold_refs_size(count)) return 0;
  for (uint32_t i = 0; i < count; i++) {
    if (refs[i].cluster >= GX_LSH_MAX_CLUSTERS || refs[i].height == 0 || refs[i].height > GX_SEQ_MAX)
      return 0;
    if (i && gx_fold_ref_cmp(&refs[i - 1], &refs[i]) >= 0) return 0;
  }
  gx_st16(out, (uint16_t)count);
  for (uint32_t i = 0; i < count; i++) {
    uint8_t *p = out + 2 + (size_t)i * GX_FOLD_REF_SZ;
    gx_st32(p, refs[i].cluster);
    gx_st64(p + 4, refs[i].height);
    memcpy(p + 12, refs[i].id.b, GX_HASH_SZ);
  }
  return gx_fold_refs_size(count);
}

gx_proto_err_t gx_fold_refs_decode(gx_fold_ref_t *refs, uint32_t *count, const uint8_t *buf,
                                   size_t len) {
  *count = 0;
  if (!buf || len < 2) return GX_PROTO_ERR_SHORT;
  uint32_t n = gx_ld16(buf);
  if (n > GX_FOLD_MAX_REFS) return GX_PROTO_ERR_COUNT;
  size_t want = gx_fold_refs_size(n);
  if (len < want) return GX_PROTO_ERR_SHORT;
  if (len > want) return GX_PROTO_ERR_TRAILING;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *p = buf + 2 + (size_t)i * GX_FOLD_REF_SZ;
    refs[i].cluster = gx_ld32(p);
    refs[i].height = gx_ld64(p + 4);
    memcpy(refs[i].id.b, p + 12, GX_HASH_SZ);
    if (refs[i].cluster >= GX_LSH_MAX_CLUSTERS || refs[i].height == 0 || refs[i].height > GX_SEQ_MAX)
      return GX_PROTO_ERR_RANGE;
    if (i && gx_fold_ref_cmp(&refs[i - 1], &refs[i]) >= 0) return GX_PROTO_ERR_RANGE;
  }
  *count = n;
  return GX_PROTO_OK;
}

uint32_t gx_fold_refs_agreed(const uint8_t *const *values, const uint32_t *lens,
                             const uint16_t *proposers, uint32_t count, uint32_t threshold,
                             gx_fold_agreed_ref_t *scratch, gx_fold_agreed_ref_t *out, uint32_t cap,
                             uint32_t *malformed) {
  uint32_t n = 0, bad = 0;
  for (uint32_t i = 0; i < count; i++) {
    gx_fold_ref_t refs[GX_FOLD_MAX_REFS];
    uint32_t k = 0;
    if (proposers[i] >= 64 || gx_fold_refs_decode(refs, &k, values[i], lens[i]) != GX_PROTO_OK) {
      bad++;
      continue;
    }
    /* merge a sorted list into the sorted scratch (sizes are small) */
    for (uint32_t j = 0; j < k; j++) {
      uint32_t pos = n;
      while (pos > 0 && gx_fold_ref_cmp(&scratch[pos - 1].ref, &refs[j]) > 0) pos--;
      if (pos > 0 && gx_fold_ref_cmp(&scratch[pos - 1].ref, &refs[j]) == 0) {
        scratch[pos - 1].holders |= (uint64_t)1 << proposers[i];
        continue;
      }
      memmove(&scratch[pos + 1], &scratch[pos], (n - pos) * sizeof *scratch);
      scratch[pos].ref = refs[j];
      scratch[pos].holders = (uint64_t)1 << proposers[i];
      n++;
    }
  }
  uint32_t m = 0;
  for (uint32_t i = 0; i < n && m < cap; i++)
    if ((uint32_t)__builtin_popcountll(scratch[i].holders) >= threshold) out[m++] = scratch[i];
  if (malformed) *malformed = bad;
  return m;
}

uint32_t gx_fold_refs_sort(gx_fold_ref_t *refs, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    gx_fold_ref_t x = refs[i];
    uint32_t j = i;
    while (j > 0 && gx_fold_ref_cmp(&refs[j - 1], &x) > 0) {
      refs[j] = refs[j - 1];
      j--;
    }
    refs[j] = x;
  }
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++)
    if (m == 0 || gx_fold_ref_cmp(&refs[m - 1], &refs[i]) != 0) refs[m++] = refs[i];
  return m;
}
