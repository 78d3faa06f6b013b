/* gx_lshpool: checked LSH blocks waiting to be folded. See gx_lshpool.h. */
#include "validator/gx_lshpool.h"

#include <string.h>

#include "core/gx_assert.h"

typedef struct {
  int used;
  uint32_t cluster;
  uint64_t height;
  gx_hash_t id, prev;
  size_t len;
  uint8_t *buf;
} gx_lshpool_slot_t;

struct gx_lshpool {
  gx_lshpool_cfg_t cfg;
  uint32_t count;
  uint64_t evicted;
  gx_lshpool_slot_t *slot;
  gx_hash_t *rejected;       /* ring of rejected_kept ids */
  uint64_t n_rejected;       /* ids ever rejected (ring position) */
};

static const char *const gx_lshpool_labels[GX_LSHPOOL_RES__COUNT] = {
    [GX_LSHPOOL_ADDED] = "added",     [GX_LSHPOOL_HELD] = "held",
    [GX_LSHPOOL_REJECTED] = "rejected", [GX_LSHPOOL_TOO_BIG] = "too_big",
    [GX_LSHPOOL_FULL] = "full",     [GX_LSHPOOL_REJECTED_BEFORE] = "rejected_before",
};
const char *gx_lshpool_res_label(gx_lshpool_res_t r) {
  return (unsigned)r < GX_LSHPOOL_RES__COUNT ? gx_lshpool_labels[r] : "unknown";
}

void gx_lshpool_cfg_defaults(gx_lshpool_cfg_t *cfg) {
  cfg->slots = 64;
  cfg->max_block_bytes = gx_lsh_size(2048, GX_LSH_MAX_MEMBERS, GX_LSH_MAX_FAULTS, GX_LSH_MAX_MEMBERS);
  cfg->per_cluster = 16;
  cfg->per_propose = 4;
  cfg->rejected_kept = 1024;
}

static int gx_lshpool_cfg_ok(const gx_lshpool_cfg_t *cfg) {
  return cfg && cfg->slots >= 1 && cfg->slots <= 65536 && cfg->max_block_bytes >= GX_LSH_HDR_SZ &&
         cfg->max_block_bytes <= GX_LSH_MAX_SZ && cfg->per_cluster >= 1 && cfg->per_propose >= 1 &&
         cfg->rejected_kept >= 1 && cfg->rejected_kept <= 65536;
}

static size_t gx_lshpool_up(size_t n) {
  return (n + GX_LSHPOOL_ALIGN - 1) & ~(size_t)(GX_LSHPOOL_ALIGN - 1);
}

size_t gx_lshpool_footprint(const gx_lshpool_cfg_t *cfg) {
  if (!gx_lshpool_cfg_ok(cfg)) return 0;
  return gx_lshpool_up(sizeof(gx_lshpool_t)) + gx_lshpool_up(cfg->slots * sizeof(gx_lshpool_slot_t)) +
         gx_lshpool_up(cfg->rejected_kept * sizeof(gx_hash_t)) +
         (size_t)cfg->slots * gx_lshpool_up(cfg->max_block_bytes);
}

gx_lshpool_t *gx_lshpool_new(void *mem, const gx_lshpool_cfg_t *cfg) {
  if (!mem || ((uintptr_t)mem & (GX_LSHPOOL_ALIGN - 1)) || !gx_lshpool_cfg_ok(cfg)) return NULL;
  uint8_t *q = mem;
  gx_lshpool_t *p = (gx_lshpool_t *)q;
  memset(p, 0, sizeof *p);
  q += gx_lshpool_up(sizeof *p);
  p->cfg = *cfg;
  p->slot = (gx_lshpool_slot_t *)q;
  memset(p->slot, 0, cfg->slots * sizeof *p->slot);
  q += gx_lshpool_up(cfg->slots * sizeof(gx_lshpool_slot_t));
  p->rejected = (gx_hash_t *)q;
  memset(p->rejected, 0, cfg->rejected_kept * sizeof(gx_hash_t));
  q += gx_lshpool_up(cfg->rejected_kept * sizeof(gx_hash_t));
  for (uint32_t i = 0; i < cfg->slots; i++) {
    p->slot[i].buf = q;
    q += gx_lshpool_up(cfg->max_block_bytes);
  }
  GX_ASSERT((size_t)(q - (uint8_t *)mem) == gx_lshpool_footprint(cfg), "lshpool layout");
  return p;
}

void *gx_lshpool_delete(gx_lshpool_t *p) { return p; }
uint32_t gx_lshpool_count(const gx_lshpool_t *p) { return p->count; }
uint64_t gx_lshpool_evicted(const gx_lshpool_t *p) { return p->evicted; }

static uint64_t gx_lshpool_folded(const gx_fold_t *fold, uint32_t cluster, gx_hash_t *id) {
  gx_fold_cluster_state_t st;
  if (gx_fold_cluster_state(fold, cluster, &st) != GX_FOLD_OK) return UINT64_MAX;
  if (id) *id = st.id;
  return st.height;
}

/* How far a slot is ahead of its cluster's folded height (larger: evicted first). */
static uint64_t gx_lshpool_ahead(const gx_lshpool_slot_t *s, const gx_fold_t *fold) {
  uint64_t folded = gx_lshpool_folded(fold, s->cluster, NULL);
  return s->height > folded ? s->height - folded : 0;
}

/* The slot to evict among those matching cluster (UINT32_MAX: any): the one
 * furthest ahead, ties to the larger (cluster, id). -1 when none. */
static int gx_lshpool_victim(const gx_lshpool_t *p, const gx_fold_t *fold, uint32_t cluster,
                             uint64_t *ahead_out) {
  int best = -1;
  uint64_t best_ahead = 0;
  for (uint32_t i = 0; i < p->cfg.slots; i++) {
    const gx_lshpool_slot_t *s = &p->slot[i];
    if (!s->used || (cluster != UINT32_MAX && s->cluster != cluster)) continue;
    uint64_t a = gx_lshpool_ahead(s, fold);
    if (best < 0 || a > best_ahead ||
        (a == best_ahead && (s->cluster > p->slot[best].cluster ||
                             (s->cluster == p->slot[best].cluster &&
                              memcmp(s->id.b, p->slot[best].id.b, GX_HASH_SZ) > 0)))) {
      best = (int)i;
      best_ahead = a;
    }
  }
  if (ahead_out) *ahead_out = best_ahead;
  return best;
}

gx_lshpool_res_t gx_lshpool_add(gx_lshpool_t *p, const gx_fold_t *fold, const uint8_t *buf,
                                size_t len, gx_fold_info_t *info) {
  gx_fold_info_t tmp;
  if (!info) info = &tmp;
  memset(info, 0, sizeof *info);
  if (len > p->cfg.max_block_bytes) {
    info->verdict = GX_FOLD_V_TOO_BIG;
    return GX_LSHPOOL_TOO_BIG;
  }
  /* the cheap part first: an id already held or rejected needs no certificate check */
  gx_lsh_t b;
  if (gx_lsh_decode(&b, buf, len) == GX_PROTO_OK) {
    gx_hash_t id;
    gx_lsh_id(&id, &b);
    uint64_t kept = p->n_rejected < p->cfg.rejected_kept ? p->n_rejected : p->cfg.rejected_kept;
    for (uint64_t r = 0; r < kept; r++)
      if (gx_hash_eq(&p->rejected[r], &id)) {
        info->cluster = b.h.cluster;
        info->height = b.h.height;
        info->id = id;
        return GX_LSHPOOL_REJECTED_BEFORE;
      }
    for (uint32_t i = 0; i < p->cfg.slots; i++)
      if (p->slot[i].used && gx_hash_eq(&p->slot[i].id, &id)) {
        info->cluster = b.h.cluster;
        info->height = b.h.height;
        info->id = id;
        return GX_LSHPOOL_HELD;
      }
  }
  if (gx_fold_check(fold, buf, len, info) != GX_FOLD_V_OK) return GX_LSHPOOL_REJECTED;
  gx_lsh_decode(&b, buf, len); /* decoded fine above (check did too) */
  uint64_t ahead = b.h.height - gx_lshpool_folded(fold, b.h.cluster, NULL);
  uint32_t in_cluster = 0;
  for (uint32_t i = 0; i < p->cfg.slots; i++) in_cluster += p->slot[i].used && p->slot[i].cluster == b.h.cluster;
  int victim = -1;
  if (in_cluster >= p->cfg.per_cluster || p->count >= p->cfg.slots) {
    uint64_t va;
    victim = gx_lshpool_victim(p, fold, in_cluster >= p->cfg.per_cluster ? b.h.cluster : UINT32_MAX, &va);
    if (victim < 0 || va <= ahead) return GX_LSHPOOL_FULL;
    p->slot[victim].used = 0;
    p->count--;
    p->evicted++;
  } else {
    for (uint32_t i = 0; i < p->cfg.slots; i++)
      if (!p->slot[i].used) {
        victim = (int)i;
        break;
      }
  }
  GX_ASSERT(victim >= 0, "lshpool: no free slot with count %u of %u", p->count, p->cfg.slots);
  gx_lshpool_slot_t *s = &p->slot[victim];
  memcpy(s->buf, buf, len);
  s->len = len;
  s->used = 1;
  s->cluster = b.h.cluster;
  s->height = b.h.height;
  s->id = info->id;
  s->prev = b.h.prev;
  p->count++;
  return GX_LSHPOOL_ADDED;
}

uint32_t gx_lshpool_refs(const gx_lshpool_t *p, const gx_fold_t *fold, gx_fold_ref_t *refs,
                         uint32_t max) {
  uint32_t n = 0, k = gx_fold_cluster_count(fold);
  for (uint32_t c = 0; c < k && n < max; c++) {
    gx_hash_t tip;
    uint64_t h = gx_lshpool_folded(fold, c, &tip);
    for (uint32_t step = 0; step < p->cfg.per_propose && n < max; step++) {
      int pick = -1;
      for (uint32_t i = 0; i < p->cfg.slots; i++) {
        const gx_lshpool_slot_t *s = &p->slot[i];
        if (!s->used || s->cluster != c || s->height != h + 1 || !gx_hash_eq(&s->prev, &tip)) continue;
        if (pick < 0 || memcmp(s->id.b, p->slot[pick].id.b, GX_HASH_SZ) < 0) pick = (int)i;
      }
      if (pick < 0) break;
      refs[n].cluster = c;
      refs[n].height = h + 1;
      refs[n].id = p->slot[pick].id;
      n++;
      h++;
      tip = p->slot[pick].id;
    }
  }
  return n;
}

int gx_lshpool_get(const gx_lshpool_t *p, const gx_hash_t *id, const uint8_t **buf, size_t *len) {
  for (uint32_t i = 0; i < p->cfg.slots; i++)
    if (p->slot[i].used && gx_hash_eq(&p->slot[i].id, id)) {
      if (buf) *buf = p->slot[i].buf;
      if (len) *len = p->slot[i].len;
      return 0;
    }
  return -1;
}

void gx_lshpool_reject(gx_lshpool_t *p, const gx_hash_t *id) {
  for (uint32_t i = 0; i < p->cfg.slots; i++)
    if (p->slot[i].used && gx_hash_eq(&p->slot[i].id, id)) {
      p->slot[i].used = 0;
      p->count--;
    }
  p->rejected[p->n_rejected % p->cfg.rejected_kept] = *id;
  p->n_rejected++;
}

uint32_t gx_lshpool_prune(gx_lshpool_t *p, const gx_fold_t *fold) {
  uint32_t dropped = 0;
  for (uint32_t i = 0; i < p->cfg.slots; i++) {
    gx_lshpool_slot_t *s = &p->slot[i];
    if (s->used && s->height <= gx_lshpool_folded(fold, s->cluster, NULL)) {
      s->used = 0;
      p->count--;
      dropped++;
    }
  }
  return dropped;
}
