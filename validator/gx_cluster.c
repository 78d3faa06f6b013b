/* gx_cluster: agreed cluster epoch -> LSH block, and its certificate. See
 * gx_cluster.h. */
#include "validator/gx_cluster.h"

#include <sodium.h>
#include <string.h>

#include "core/gx_assert.h"
#include "core/gx_util.h"

typedef struct {
  int used;
  int certified;
  uint64_t height;
  gx_hash_t id;
  size_t len;            /* unsigned length, then certified length */
  uint64_t have;         /* members whose signature is held */
  gx_sig_t sigs[GX_LSH_MAX_MEMBERS];
  uint8_t *buf;          /* slot_cap bytes */
} gx_cluster_slot_t;

typedef struct {
  const uint8_t *x;      /* the transfer's bytes in the batch */
  gx_hash_t id;
  uint16_t proposer;
  uint32_t pos;          /* position in batch order */
  uint8_t bad;
} gx_cluster_tx_t;

struct gx_cluster {
  gx_cluster_cfg_t cfg;
  uint32_t f;
  uint64_t height;
  gx_hash_t tip;
  uint64_t base_height;
  gx_hash_t base;
  size_t slot_cap;
  gx_cluster_slot_t slots[GX_CLUSTER_WINDOW];
  /* build scratch */
  size_t max_batch_txs;  /* n * max_proposal_txs */
  gx_cluster_tx_t *txs;
  uint32_t *order;
  uint8_t *xfers;        /* the block's transfers, block order */
  uint8_t *left;         /* good transfers beyond max_block_txs */
  gx_hash_t *ids, *scratch;
};

static const char *const gx_cluster_err_text[GX_CLUSTER_ERR__COUNT] = {
    [GX_CLUSTER_OK] = "ok",
    [GX_CLUSTER_EINVAL] = "bad argument or configuration",
    [GX_CLUSTER_EMEMBER] = "member index out of range",
    [GX_CLUSTER_EUNKNOWN] = "no built block with that id in the window",
    [GX_CLUSTER_EDUPLICATE] = "this member's signature is already held",
    [GX_CLUSTER_ESIGNATURE] = "signature does not verify",
};
static const char *const gx_cluster_err_labels[GX_CLUSTER_ERR__COUNT] = {
    [GX_CLUSTER_OK] = "ok",           [GX_CLUSTER_EINVAL] = "invalid",
    [GX_CLUSTER_EMEMBER] = "member",  [GX_CLUSTER_EUNKNOWN] = "unknown",
    [GX_CLUSTER_EDUPLICATE] = "duplicate", [GX_CLUSTER_ESIGNATURE] = "signature",
};
const char *gx_cluster_strerror(gx_cluster_err_t e) {
  return (unsigned)e < GX_CLUSTER_ERR__COUNT ? gx_cluster_err_text[e] : "unknown cluster error";
}
const char *gx_cluster_err_label(gx_cluster_err_t e) {
  return (unsigned)e < GX_CLUSTER_ERR__COUNT ? gx_cluster_err_labels[e] : "unknown";
}

static int gx_cluster_cfg_ok(const gx_cluster_cfg_t *cfg) {
  return cfg && cfg->cluster < GX_LSH_MAX_CLUSTERS && cfg->n >= GX_LSH_MIN_MEMBERS &&
         cfg->n <= GX_LSH_MAX_MEMBERS && cfg->max_block_txs >= 1 &&
         cfg->max_block_txs <= GX_LSH_MAX_TXS && cfg->max_proposal_txs >= 1 &&
         cfg->max_proposal_txs <= GX_LSH_MAX_TXS;
}

static size_t gx_cluster_up(size_t n) { return (n + GX_CLUSTER_ALIGN - 1) & ~(size_t)(GX_CLUSTER_ALIGN - 1); }

static size_t gx_cluster_slot_cap(const gx_cluster_cfg_t *cfg) {
  return gx_lsh_size(cfg->max_block_txs, cfg->n, GX_LSH_MAX_FAULTS, cfg->n);
}

size_t gx_cluster_footprint(const gx_cluster_cfg_t *cfg) {
  if (!gx_cluster_cfg_ok(cfg)) return 0;
  size_t batch = (size_t)cfg->n * cfg->max_proposal_txs;
  return gx_cluster_up(sizeof(gx_cluster_t)) + GX_CLUSTER_WINDOW * gx_cluster_up(gx_cluster_slot_cap(cfg)) +
         gx_cluster_up(batch * sizeof(gx_cluster_tx_t)) + gx_cluster_up(batch * sizeof(uint32_t)) +
         gx_cluster_up((size_t)cfg->max_block_txs * GX_XFER_SZ) + gx_cluster_up(batch * GX_XFER_SZ) +
         2 * gx_cluster_up((size_t)cfg->max_block_txs * sizeof(gx_hash_t));
}

gx_cluster_t *gx_cluster_new(void *mem, const gx_cluster_cfg_t *cfg) {
  if (!mem || ((uintptr_t)mem & (GX_CLUSTER_ALIGN - 1)) || !gx_cluster_cfg_ok(cfg)) return NULL;
  for (uint32_t i = 0; i < cfg->n; i++)
    for (uint32_t j = 0; j < i; j++)
      if (!memcmp(cfg->members[i].b, cfg->members[j].b, GX_PUBKEY_SZ)) return NULL;
  size_t fp = gx_cluster_footprint(cfg);
  memset(mem, 0, sizeof(gx_cluster_t));
  uint8_t *p = mem;
  gx_cluster_t *c = (gx_cluster_t *)p;
  p += gx_cluster_up(sizeof *c);
  c->cfg = *cfg;
  c->f = (cfg->n - 1) / 3;
  c->base = cfg->genesis_id;
  c->slot_cap = gx_cluster_slot_cap(cfg);
  for (int s = 0; s < GX_CLUSTER_WINDOW; s++) {
    c->slots[s].buf = p;
    p += gx_cluster_up(c->slot_cap);
  }
  c->max_batch_txs = (size_t)cfg->n * cfg->max_proposal_txs;
  c->txs = (gx_cluster_tx_t *)p;
  p += gx_cluster_up(c->max_batch_txs * sizeof(gx_cluster_tx_t));
  c->order = (uint32_t *)p;
  p += gx_cluster_up(c->max_batch_txs * sizeof(uint32_t));
  c->xfers = p;
  p += gx_cluster_up((size_t)cfg->max_block_txs * GX_XFER_SZ);
  c->left = p;
  p += gx_cluster_up(c->max_batch_txs * GX_XFER_SZ);
  c->ids = (gx_hash_t *)p;
  p += gx_cluster_up((size_t)cfg->max_block_txs * sizeof(gx_hash_t));
  c->scratch = (gx_hash_t *)p;
  p += gx_cluster_up((size_t)cfg->max_block_txs * sizeof(gx_hash_t));
  GX_ASSERT((size_t)(p - (uint8_t *)mem) == fp, "cluster layout %zu != %zu",
            (size_t)(p - (uint8_t *)mem), fp);
  return c;
}

void *gx_cluster_delete(gx_cluster_t *c) { return c; }

uint64_t gx_cluster_height(const gx_cluster_t *c) { return c->height; }
void gx_cluster_tip(const gx_cluster_t *c, gx_hash_t *id, uint64_t *base_height) {
  if (id) *id = c->tip;
  if (base_height) *base_height = c->base_height;
}

size_t gx_cluster_proposal_encode(uint8_t *out, size_t cap, uint32_t round_ms,
                                  uint64_t base_height, const gx_hash_t *base,
                                  const uint8_t *xfers, uint32_t count) {
  if (!out || !base || count > GX_LSH_MAX_TXS || (count && !xfers)) return 0;
  size_t len = GX_CLUSTER_PROP_HDR_SZ + (size_t)count * GX_XFER_SZ;
  if (cap < len) return 0;
  gx_st32(out, round_ms);
  gx_st64(out + 4, base_height);
  memcpy(out + 12, base->b, GX_HASH_SZ);
  if (count) memcpy(out + GX_CLUSTER_PROP_HDR_SZ, xfers, (size_t)count * GX_XFER_SZ);
  return len;
}

/* Order of a block's transfers: (initiator key, initiator seq, tx id). */
static int gx_cluster_tx_before(const gx_cluster_tx_t *a, const gx_cluster_tx_t *b) {
  int c = memcmp(a->x + GX_XFER_OFF_INITIATOR, b->x + GX_XFER_OFF_INITIATOR, GX_PUBKEY_SZ);
  if (c) return c < 0;
  uint64_t sa = gx_ld64(a->x + GX_XFER_OFF_INIT_SEQ), sb = gx_ld64(b->x + GX_XFER_OFF_INIT_SEQ);
  if (sa != sb) return sa < sb;
  c = memcmp(a->id.b, b->id.b, GX_HASH_SZ);
  if (c) return c < 0;
  return a->pos < b->pos;
}

/* Bottom-up merge sort of order[0..n) (tmp: n entries): deterministic and
 * O(n log n) without qsort's missing context argument. */
static void gx_cluster_sort(const gx_cluster_tx_t *txs, uint32_t *order, uint32_t *tmp, size_t n,
                            int by_id) {
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        const gx_cluster_tx_t *a = &txs[order[i]], *b = &txs[order[j]];
        int take_b;
        if (by_id) {
          int c = memcmp(b->id.b, a->id.b, GX_HASH_SZ);
          take_b = c < 0 || (c == 0 && b->pos < a->pos);
        } else {
          take_b = gx_cluster_tx_before(b, a);
        }
        tmp[k++] = take_b ? order[j++] : order[i++];
      }
      while (i < mid) tmp[k++] = order[i++];
      while (j < hi) tmp[k++] = order[j++];
    }
    memcpy(order, tmp, n * sizeof *order);
  }
}

typedef struct {
  uint64_t height;
  gx_hash_t id;
} gx_cluster_base_t;

gx_cluster_err_t gx_cluster_build(gx_cluster_t *c, const gx_acs_batch_t *batch,
                                  gx_cluster_verified_fn_t verified, void *verified_ctx,
                                  gx_cluster_block_t *out) {
  if (!c || !batch || !out || batch->count > c->cfg.n) return GX_CLUSTER_EINVAL;
  memset(out, 0, sizeof *out);
  const uint32_t n = c->cfg.n;
  gx_lsh_report_t reports[GX_LSH_MAX_MEMBERS];
  memset(reports, 0, sizeof reports);
  uint8_t invalid[GX_LSH_MAX_MEMBERS] = {0}, badsig[GX_LSH_MAX_MEMBERS] = {0};
  gx_hash_t invalid_ev[GX_LSH_MAX_MEMBERS], badsig_ev[GX_LSH_MAX_MEMBERS];
  gx_cluster_base_t bases[GX_LSH_MAX_MEMBERS];
  uint32_t n_bases = 0;
  size_t nt = 0;

  /* 1. proposals: reports, bases, transfers */
  for (unsigned i = 0; i < batch->count; i++) {
    uint16_t p = batch->proposer[i];
    if (p >= n || (reports[p].flags & GX_LSH_REPORT_INCLUDED)) return GX_CLUSTER_EINVAL;
    reports[p].flags = GX_LSH_REPORT_INCLUDED;
    const uint8_t *v = batch->value[i];
    uint32_t len = batch->len[i];
    size_t count = len >= GX_CLUSTER_PROP_HDR_SZ ? (len - GX_CLUSTER_PROP_HDR_SZ) / GX_XFER_SZ : 0;
    int ok = v && len >= GX_CLUSTER_PROP_HDR_SZ &&
             (len - GX_CLUSTER_PROP_HDR_SZ) % GX_XFER_SZ == 0 && count <= c->cfg.max_proposal_txs;
    for (size_t t = 0; ok && t < count; t++)
      if (gx_xfer_check(v + GX_CLUSTER_PROP_HDR_SZ + t * GX_XFER_SZ, GX_XFER_SZ) != GX_PROTO_OK)
        ok = 0;
    if (ok && gx_ld64(v + 4) > GX_SEQ_MAX) ok = 0;
    if (!ok) {
      invalid[p] = 1;
      gx_hash(&invalid_ev[p], GX_DOM_CONSENSUS, v, v ? len : 0);
      out->malformed++;
      continue;
    }
    reports[p].proposed = (uint32_t)count;
    reports[p].round_ms = gx_ld32(v);
    bases[n_bases].height = gx_ld64(v + 4);
    memcpy(bases[n_bases].id.b, v + 12, GX_HASH_SZ);
    n_bases++;
    for (size_t t = 0; t < count; t++) {
      gx_cluster_tx_t *tx = &c->txs[nt];
      tx->x = v + GX_CLUSTER_PROP_HDR_SZ + t * GX_XFER_SZ;
      gx_xfer_id(&tx->id, tx->x);
      tx->proposer = p;
      tx->pos = (uint32_t)nt;
      tx->bad = 0;
      nt++;
    }
  }
  uint32_t included = 0;
  for (uint32_t m = 0; m < n; m++) included += reports[m].flags & GX_LSH_REPORT_INCLUDED;
  if (included < n - c->f) return GX_CLUSTER_EINVAL; /* not an ACS batch */

  /* 2. once by tx id (the first in batch order), signatures checked */
  uint32_t *tmp = (uint32_t *)c->left; /* scratch: left is filled only in step 3 */
  for (size_t k = 0; k < nt; k++) c->order[k] = (uint32_t)k;
  gx_cluster_sort(c->txs, c->order, tmp, nt, 1);
  size_t nu = 0;
  for (size_t k = 0; k < nt; k++) {
    gx_cluster_tx_t *tx = &c->txs[c->order[k]];
    if (nu > 0 && gx_hash_eq(&c->txs[c->order[nu - 1]].id, &tx->id)) {
      out->duplicates++;
      continue;
    }
    c->order[nu++] = c->order[k];
  }
  for (size_t k = 0; k < nu; k++) {
    gx_cluster_tx_t *tx = &c->txs[c->order[k]];
    if (verified && verified(verified_ctx, &tx->id)) continue;
    out->sig_verified++;
    if (gx_xfer_verify_enc(tx->x) != GX_XFER_VERIFY_OK) tx->bad = 1;
  }
  /* a bad transfer is a fault of every proposer that included it: mark the
   * copies, then take the first evidence per member in batch order */
  for (size_t t = 0; t < nt; t++) {
    /* find whether this copy's id is bad: binary search over unique ids */
    size_t lo = 0, hi = nu;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      int cmp = memcmp(c->txs[c->order[mid]].id.b, c->txs[t].id.b, GX_HASH_SZ);
      if (cmp < 0) lo = mid + 1;
      else hi = mid;
    }
    GX_ASSERT(lo < nu, "transfer %zu lost in the dedup", t);
    if (!c->txs[c->order[lo]].bad) continue;
    uint16_t p = c->txs[t].proposer;
    if (!badsig[p]) {
      badsig[p] = 1;
      badsig_ev[p] = c->txs[t].id;
    }
  }
  size_t ng = 0;
  for (size_t k = 0; k < nu; k++) {
    if (c->txs[c->order[k]].bad) {
      out->bad_signature++;
      continue;
    }
    c->order[ng++] = c->order[k];
  }

  /* 3. block order, the cap */
  gx_cluster_sort(c->txs, c->order, tmp, ng, 0);
  uint32_t take = ng < c->cfg.max_block_txs ? (uint32_t)ng : c->cfg.max_block_txs;
  for (uint32_t k = 0; k < take; k++)
    memcpy(c->xfers + (size_t)k * GX_XFER_SZ, c->txs[c->order[k]].x, GX_XFER_SZ);
  out->left_count = (uint32_t)(ng - take);
  for (size_t k = take; k < ng; k++)
    memcpy(c->left + (k - take) * GX_XFER_SZ, c->txs[c->order[k]].x, GX_XFER_SZ);
  out->left = c->left;

  /* 4. faults in (member, kind) order */
  gx_lsh_fault_t faults[GX_LSH_MAX_FAULTS];
  uint32_t nf = 0;
  for (uint32_t m = 0; m < n && nf < GX_LSH_MAX_FAULTS; m++) {
    if (badsig[m] && nf < GX_LSH_MAX_FAULTS)
      faults[nf++] = (gx_lsh_fault_t){.member = (uint16_t)m, .kind = GX_LSH_FAULT_BAD_SIGNATURE,
                                      .evidence = badsig_ev[m]};
    if (invalid[m] && nf < GX_LSH_MAX_FAULTS)
      faults[nf++] = (gx_lsh_fault_t){.member = (uint16_t)m, .kind = GX_LSH_FAULT_INVALID_MSG,
                                      .evidence = invalid_ev[m]};
  }

  /* 5. base: the newest that f + 1 included proposals report exactly */
  uint64_t base_height = c->base_height;
  gx_hash_t base = c->base;
  for (uint32_t i = 0; i < n_bases; i++) {
    uint32_t same = 0;
    for (uint32_t j = 0; j < n_bases; j++)
      same += bases[j].height == bases[i].height && gx_hash_eq(&bases[j].id, &bases[i].id);
    if (same < c->f + 1 || bases[i].height < base_height) continue;
    if (bases[i].height > base_height ||
        memcmp(bases[i].id.b, base.b, GX_HASH_SZ) < 0) { /* a tie only if > f are Byzantine */
      base_height = bases[i].height;
      base = bases[i].id;
    }
  }

  /* 6. encode into the window */
  gx_lsh_header_t h;
  memset(&h, 0, sizeof h);
  h.cluster = c->cfg.cluster;
  h.height = c->height + 1;
  h.prev = c->tip;
  h.base_height = base_height;
  h.base = base;
  h.tx_count = take;
  h.member_count = (uint8_t)n;
  h.fault_count = (uint8_t)nf;
  if (gx_lsh_tx_root(&h.tx_root, c->xfers, take, c->ids, c->scratch) != 0) return GX_CLUSTER_EINVAL;
  gx_cluster_slot_t *s = &c->slots[h.height % GX_CLUSTER_WINDOW];
  size_t len = gx_lsh_encode_unsigned(s->buf, c->slot_cap, &h, reports, faults, c->xfers);
  if (!len) return GX_CLUSTER_EINVAL;
  s->used = 1;
  s->certified = 0;
  s->height = h.height;
  s->len = len;
  s->have = 0;
  gx_lsh_id_body(&s->id, s->buf, gx_lsh_body_size(n, nf));
  c->height = h.height;
  c->tip = s->id;
  c->base_height = base_height;
  c->base = base;
  out->block = s->buf;
  out->block_len = len;
  out->id = s->id;
  out->height = h.height;
  out->tx_count = take;
  return GX_CLUSTER_OK;
}

static gx_cluster_slot_t *gx_cluster_find(const gx_cluster_t *c, const gx_hash_t *id) {
  for (int s = 0; s < GX_CLUSTER_WINDOW; s++)
    if (c->slots[s].used && gx_hash_eq(&c->slots[s].id, id)) return (gx_cluster_slot_t *)&c->slots[s];
  return NULL;
}

gx_cluster_err_t gx_cluster_add_sig(gx_cluster_t *c, const gx_hash_t *id, uint16_t member,
                                    const gx_sig_t *sig, const uint8_t **certified,
                                    size_t *certified_len) {
  if (certified) *certified = NULL;
  if (certified_len) *certified_len = 0;
  if (!c || !id || !sig) return GX_CLUSTER_EINVAL;
  if (member >= c->cfg.n) return GX_CLUSTER_EMEMBER;
  gx_cluster_slot_t *s = gx_cluster_find(c, id);
  if (!s) return GX_CLUSTER_EUNKNOWN;
  if (s->have >> member & 1) return GX_CLUSTER_EDUPLICATE;
  gx_hash_t d;
  gx_hash(&d, GX_DOM_LSH_SIG, id->b, GX_HASH_SZ);
  if (crypto_sign_ed25519_verify_detached(sig->b, d.b, GX_HASH_SZ, c->cfg.members[member].b))
    return GX_CLUSTER_ESIGNATURE;
  s->have |= (uint64_t)1 << member;
  s->sigs[member] = *sig;
  if (s->certified || (uint32_t)__builtin_popcountll(s->have) < gx_lsh_quorum(c->cfg.n))
    return GX_CLUSTER_OK;
  gx_lsh_sig_t list[GX_LSH_MAX_MEMBERS];
  uint16_t k = 0;
  for (uint32_t m = 0; m < c->cfg.n; m++)
    if (s->have >> m & 1) list[k++] = (gx_lsh_sig_t){.member = (uint16_t)m, .sig = s->sigs[m]};
  size_t len = gx_lsh_append_cert(s->buf, c->slot_cap, s->len, (uint8_t)c->cfg.n, list, k);
  GX_ASSERT(len > 0, "certificate of %u signatures does not fit", (unsigned)k);
  s->len = len;
  s->certified = 1;
  if (certified) *certified = s->buf;
  if (certified_len) *certified_len = len;
  return GX_CLUSTER_OK;
}

int gx_cluster_certified(const gx_cluster_t *c, const gx_hash_t *id, const uint8_t **block,
                         size_t *len) {
  gx_cluster_slot_t *s = gx_cluster_find(c, id);
  if (!s || !s->certified) return -1;
  if (block) *block = s->buf;
  if (len) *len = s->len;
  return 0;
}

gx_cluster_err_t gx_cluster_rewind(gx_cluster_t *c, uint64_t height, const gx_hash_t *id,
                                   uint64_t base_height, const gx_hash_t *base) {
  if (!c || !id || !base || (height == 0) != gx_hash_is_zero(id)) return GX_CLUSTER_EINVAL;
  c->height = height;
  c->tip = *id;
  c->base_height = base_height;
  c->base = *base;
  for (int s = 0; s < GX_CLUSTER_WINDOW; s++)
    if (c->slots[s].used && c->slots[s].height > height) c->slots[s].used = 0;
  return GX_CLUSTER_OK;
}
