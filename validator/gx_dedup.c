#include "validator/gx_dedup.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_util.h"

typedef struct {
  uint64_t tag[GX_DEDUP_WAYS]; /* 0 = empty way */
} __attribute__((aligned(64))) gx_dedup_set_t;

typedef struct {
  atomic_flag lock;
  uint8_t next; /* FIFO cursor: the way replaced next */
} gx_dedup_ctl_t;

struct gx_dedup {
  uint64_t n_sets, mask;
  gx_dedup_set_t *sets;
  gx_hash_t *ids; /* n_sets * WAYS */
  gx_dedup_ctl_t *ctl;
};

static uint64_t gx_dedup_round(uint64_t entries) {
  if (entries < GX_DEDUP_MIN_ENTRIES) entries = GX_DEDUP_MIN_ENTRIES;
  if (entries > GX_DEDUP_MAX_ENTRIES) entries = GX_DEDUP_MAX_ENTRIES;
  uint64_t n = GX_DEDUP_MIN_ENTRIES;
  while (n < entries) n <<= 1;
  return n;
}

size_t gx_dedup_footprint(uint64_t entries) {
  uint64_t n = gx_dedup_round(entries), sets = n / GX_DEDUP_WAYS;
  return sizeof(gx_dedup_t) + sets * (sizeof(gx_dedup_set_t) + sizeof(gx_dedup_ctl_t)) +
         n * sizeof(gx_hash_t);
}

gx_dedup_t *gx_dedup_new(uint64_t entries) {
  uint64_t n = gx_dedup_round(entries);
  gx_dedup_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->n_sets = n / GX_DEDUP_WAYS;
  d->mask = d->n_sets - 1;
  d->sets = aligned_alloc(64, d->n_sets * sizeof(gx_dedup_set_t));
  d->ids = calloc(n, sizeof(gx_hash_t));
  d->ctl = calloc(d->n_sets, sizeof(gx_dedup_ctl_t));
  if (!d->sets || !d->ids || !d->ctl) {
    gx_dedup_delete(d);
    return NULL;
  }
  memset(d->sets, 0, d->n_sets * sizeof(gx_dedup_set_t));
  for (uint64_t i = 0; i < d->n_sets; i++) atomic_flag_clear(&d->ctl[i].lock);
  return d;
}

void gx_dedup_delete(gx_dedup_t *d) {
  if (!d) return;
  free(d->sets);
  free(d->ids);
  free(d->ctl);
  free(d);
}

uint64_t gx_dedup_entries(const gx_dedup_t *d) { return d->n_sets * GX_DEDUP_WAYS; }

static inline void gx_dedup_lock(gx_dedup_ctl_t *c) {
  while (atomic_flag_test_and_set_explicit(&c->lock, memory_order_acquire))
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    ;
#endif
}
static inline void gx_dedup_unlock(gx_dedup_ctl_t *c) {
  atomic_flag_clear_explicit(&c->lock, memory_order_release);
}

/* Set index and tag from distinct id bytes; tag 0 is reserved for "empty". */
static inline uint64_t gx_dedup_tag(const gx_hash_t *id) {
  uint64_t t = gx_ld64(id->b + 8);
  return t ? t : 1;
}

/* Way holding id in set s, or -1. Caller holds the set lock. */
static inline int gx_dedup_find(gx_dedup_t *d, uint64_t s, uint64_t tag, const gx_hash_t *id) {
  const gx_dedup_set_t *set = &d->sets[s];
  for (int w = 0; w < GX_DEDUP_WAYS; w++)
    if (set->tag[w] == tag && !memcmp(d->ids[s * GX_DEDUP_WAYS + w].b, id->b, GX_HASH_SZ))
      return w;
  return -1;
}

int gx_dedup_insert(gx_dedup_t *d, const gx_hash_t *id) {
  uint64_t s = gx_ld64(id->b) & d->mask, tag = gx_dedup_tag(id);
  gx_dedup_ctl_t *c = &d->ctl[s];
  gx_dedup_lock(c);
  int w = gx_dedup_find(d, s, tag, id);
  if (w < 0) {
    /* prefer an empty way (left by remove), else the FIFO victim */
    int v = -1;
    for (int i = 0; i < GX_DEDUP_WAYS && v < 0; i++)
      if (!d->sets[s].tag[i]) v = i;
    if (v < 0) {
      v = c->next;
      c->next = (uint8_t)((c->next + 1) % GX_DEDUP_WAYS);
    }
    d->sets[s].tag[v] = tag;
    d->ids[s * GX_DEDUP_WAYS + (uint64_t)v] = *id;
  }
  gx_dedup_unlock(c);
  return w >= 0;
}

int gx_dedup_contains(gx_dedup_t *d, const gx_hash_t *id) {
  uint64_t s = gx_ld64(id->b) & d->mask;
  gx_dedup_ctl_t *c = &d->ctl[s];
  gx_dedup_lock(c);
  int w = gx_dedup_find(d, s, gx_dedup_tag(id), id);
  gx_dedup_unlock(c);
  return w >= 0;
}

int gx_dedup_remove(gx_dedup_t *d, const gx_hash_t *id) {
  uint64_t s = gx_ld64(id->b) & d->mask;
  gx_dedup_ctl_t *c = &d->ctl[s];
  gx_dedup_lock(c);
  int w = gx_dedup_find(d, s, gx_dedup_tag(id), id);
  if (w >= 0) d->sets[s].tag[w] = 0;
  gx_dedup_unlock(c);
  return w >= 0;
}
