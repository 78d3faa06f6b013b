#include "ingest/gx_dedup.h"

/* xxHash's own implementation, inlined from its header (libxxhash-dev) so the
 * compiler can use this build's vector unit. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint64_t lo[GX_DEDUP_WAYS]; /* lo == hi == 0: empty way */
  uint64_t hi[GX_DEDUP_WAYS];
} __attribute__((aligned(64))) gx_dedup_set_t;

typedef struct {
  atomic_flag lock;
  uint8_t next; /* FIFO cursor: the way replaced next */
} gx_dedup_ctl_t;

struct gx_dedup {
  uint64_t n_sets, mask;
  gx_dedup_set_t *sets;
  gx_dedup_ctl_t *ctl;
  uint8_t secret[GX_DEDUP_SECRET_SZ]; /* XXH3 secret, random per process */
};

static uint64_t gx_dedup_round(uint64_t entries) {
  if (entries < GX_DEDUP_MIN_ENTRIES) entries = GX_DEDUP_MIN_ENTRIES;
  if (entries > GX_DEDUP_MAX_ENTRIES) entries = GX_DEDUP_MAX_ENTRIES;
  uint64_t n = GX_DEDUP_MIN_ENTRIES;
  while (n < entries) n <<= 1;
  return n;
}

size_t gx_dedup_footprint(uint64_t entries) {
  uint64_t sets = gx_dedup_round(entries) / GX_DEDUP_WAYS;
  return sizeof(gx_dedup_t) + sets * (sizeof(gx_dedup_set_t) + sizeof(gx_dedup_ctl_t));
}

gx_dedup_t *gx_dedup_new(uint64_t entries) {
  uint64_t n = gx_dedup_round(entries);
  gx_dedup_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->n_sets = n / GX_DEDUP_WAYS;
  d->mask = d->n_sets - 1;
  d->sets = aligned_alloc(64, d->n_sets * sizeof(gx_dedup_set_t));
  d->ctl = calloc(d->n_sets, sizeof(gx_dedup_ctl_t));
  if (!d->sets || !d->ctl) {
    gx_dedup_delete(d);
    return NULL;
  }
  memset(d->sets, 0, d->n_sets * sizeof(gx_dedup_set_t));
  for (uint64_t i = 0; i < d->n_sets; i++) atomic_flag_clear(&d->ctl[i].lock);
  randombytes_buf(d->secret, sizeof d->secret);
  return d;
}

void gx_dedup_delete(gx_dedup_t *d) {
  if (!d) return;
  free(d->sets);
  free(d->ctl);
  free(d);
}

uint64_t gx_dedup_entries(const gx_dedup_t *d) { return d->n_sets * GX_DEDUP_WAYS; }

void gx_dedup_key(const gx_dedup_t *d, const uint8_t *bytes, size_t len, gx_dedup_key_t *key) {
  XXH128_hash_t h = XXH3_128bits_withSecret(bytes, len, d->secret, sizeof d->secret);
  key->lo = h.low64;
  key->hi = h.high64;
}

static inline void gx_dedup_lock(gx_dedup_ctl_t *c) {
  while (atomic_flag_test_and_set_explicit(&c->lock, memory_order_acquire)) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}
static inline void gx_dedup_unlock(gx_dedup_ctl_t *c) {
  atomic_flag_clear_explicit(&c->lock, memory_order_release);
}

/* The all-zero key marks an empty way; a real all-zero key (p = 2^-128) is
 * stored as hi = 1. */
static inline gx_dedup_key_t gx_dedup_norm(const gx_dedup_key_t *k) {
  gx_dedup_key_t n = *k;
  if (!n.lo && !n.hi) n.hi = 1;
  return n;
}

/* Way holding k in set s, or -1. Caller holds the set lock. */
static inline int gx_dedup_find(const gx_dedup_set_t *set, const gx_dedup_key_t *k) {
  for (int w = 0; w < GX_DEDUP_WAYS; w++)
    if (set->lo[w] == k->lo && set->hi[w] == k->hi) return w;
  return -1;
}

int gx_dedup_insert(gx_dedup_t *d, const gx_dedup_key_t *key) {
  gx_dedup_key_t k = gx_dedup_norm(key);
  uint64_t s = k.lo & d->mask;
  gx_dedup_set_t *set = &d->sets[s];
  gx_dedup_ctl_t *c = &d->ctl[s];
  gx_dedup_lock(c);
  int w = gx_dedup_find(set, &k);
  if (w < 0) {
    int v = -1; /* prefer a way emptied by remove, else the FIFO victim */
    for (int i = 0; i < GX_DEDUP_WAYS && v < 0; i++)
      if (!set->lo[i] && !set->hi[i]) v = i;
    if (v < 0) {
      v = c->next;
      c->next = (uint8_t)((c->next + 1) % GX_DEDUP_WAYS);
    }
    set->lo[v] = k.lo;
    set->hi[v] = k.hi;
  }
  gx_dedup_unlock(c);
  return w >= 0;
}

int gx_dedup_contains(gx_dedup_t *d, const gx_dedup_key_t *key) {
  gx_dedup_key_t k = gx_dedup_norm(key);
  uint64_t s = k.lo & d->mask;
  gx_dedup_ctl_t *c = &d->ctl[s];
  gx_dedup_lock(c);
  int w = gx_dedup_find(&d->sets[s], &k);
  gx_dedup_unlock(c);
  return w >= 0;
}

int gx_dedup_remove(gx_dedup_t *d, const gx_dedup_key_t *key) {
  gx_dedup_key_t k = gx_dedup_norm(key);
  uint64_t s = k.lo & d->mask;
  gx_dedup_ctl_t *c = &d->ctl[s];
  gx_dedup_lock(c);
  int w = gx_dedup_find(&d->sets[s], &k);
  if (w >= 0) d->sets[s].lo[w] = d->sets[s].hi[w] = 0;
  gx_dedup_unlock(c);
  return w >= 0;
}
