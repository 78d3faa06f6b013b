#include "ingest/gx_mempool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_assert.h"
#include "core/gx_util.h"

#define NIL UINT32_MAX
#define GX_MEMPOOL_MAX_FUTURE 1024
#define GX_MEMPOOL_MAX_CAPACITY ((uint64_t)1 << 30)
#define GX_MEMPOOL_MAX_ACCOUNTS ((uint64_t)1 << 28)
#define GX_MEMPOOL_MAX_KNOWN ((uint64_t)1 << 28)
#define GX_MEMPOOL_UNKNOWN_TTL 64

static const struct { const char *text, *label; } gx_mempool_errs[GX_MEMPOOL_ERR__COUNT] = {
    [GX_MEMPOOL_OK] = {"ok", "ok"},
    [GX_MEMPOOL_ERR_DUPLICATE] = {"transfer already held", "duplicate"},
    [GX_MEMPOOL_ERR_CONFLICT] = {"another transfer holds this account sequence", "conflict"},
    [GX_MEMPOOL_ERR_STALE] = {"sequence already committed", "stale"},
    [GX_MEMPOOL_ERR_TOO_FAR] = {"sequence too far ahead of the account", "too_far"},
    [GX_MEMPOOL_ERR_FULL] = {"mempool full", "full"},
    [GX_MEMPOOL_ERR_ACCOUNTS] = {"mempool account table full", "accounts_full"},
    [GX_MEMPOOL_ERR_DECODE] = {"not a valid transfer encoding", "decode"},
    [GX_MEMPOOL_ERR_CONFIG] = {"mempool limit out of range", "config"},
    [GX_MEMPOOL_ERR_NOMEM] = {"out of memory for the mempool", "nomem"},
};

const char *gx_mempool_strerror(gx_mempool_err_t err) {
  return (unsigned)err < GX_MEMPOOL_ERR__COUNT ? gx_mempool_errs[err].text : "unknown";
}
const char *gx_mempool_err_label(gx_mempool_err_t err) {
  return (unsigned)err < GX_MEMPOOL_ERR__COUNT ? gx_mempool_errs[err].label : "unknown";
}

typedef struct {
  uint8_t enc[GX_XFER_SZ];
  uint8_t taken;
  uint8_t pad;
  gx_hash_t id;
  uint64_t seq;
  uint32_t acct;
  uint32_t prev, next; /* distance list (known account, not taken), unknown FIFO, or free list */
  uint32_t born;       /* round of insertion (unknown accounts' expiry) */
} gx_mp_entry_t;

enum { GX_ACCT_FREE = 0, GX_ACCT_HELD, GX_ACCT_READY, GX_ACCT_EMPTY };

typedef struct {
  gx_pubkey_t key;
  uint64_t next_seq, take_seq;
  uint32_t hnext;        /* hash chain */
  uint32_t count;        /* transfers held */
  uint32_t lprev, lnext; /* ready list or empty (LRU) list, by state; free list */
  uint8_t state;
  uint8_t known;         /* 0: unknown account (its transfers on the unknown FIFO) */
} gx_mp_acct_t;

typedef struct { uint32_t head, tail; } gx_list_t;

/* One slot of the known table (the admission gate): an account's next_seq.
 * Insert-only: the key is written once, before the release store of a
 * non-zero next_seq makes the slot visible, and never changes after; only
 * next_seq moves (up). A reader that loads next_seq != 0 (acquire) reads a
 * complete key. next_seq 0: an empty slot, the end of a probe. */
typedef struct {
  _Atomic uint64_t next_seq;
  uint64_t pk[4];
} gx_mp_known_t;

struct gx_mempool {
  gx_mempool_cfg_t cfg;    /* with the derived limits filled in */
  gx_mp_known_t *known;    /* known_mask + 1 slots, >= 2 * max_known */
  uint64_t known_mask;
  _Atomic uint64_t n_known;
  _Atomic int chain;       /* gx_mempool_genesis was called: unknown accounts exist */
  uint32_t W;
  uint32_t round;          /* gx_mempool_tick calls (wraps; compared by difference) */
  gx_mp_entry_t *e;
  uint32_t e_free;
  uint64_t e_hwm;          /* entries ever handed out (never-touched ones lie above) */
  _Atomic uint64_t size, n_held_accts, n_ready, n_unknown;
  gx_mp_acct_t *a;
  uint64_t a_max;          /* records: max_accounts + max_unknown */
  uint32_t a_hwm;          /* records ever allocated */
  uint32_t a_free;         /* freed records (unknown accounts that emptied) */
  uint64_t n_known_recs, n_unknown_recs;
  uint32_t *a_slots;       /* a_max*W entry indices, by seq % W */
  uint32_t *bucket;        /* hash heads */
  uint64_t bucket_mask;
  gx_list_t *dist;         /* W lists by distance (known accounts' transfers, not taken) */
  gx_list_t unknown;       /* unknown accounts' transfers, oldest first */
  gx_list_t ready, empty;
  gx_mempool_counters_t ct;
};

static void gx_mp_count(_Atomic uint64_t *c, uint64_t n) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

void gx_mempool_cfg_defaults(gx_mempool_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->capacity = 1000000;
  cfg->max_future = 64;
  cfg->max_accounts = 262144;
  cfg->unknown_ttl = GX_MEMPOOL_UNKNOWN_TTL;
}

/* The cfg with its 0 (derived) limits resolved. */
static gx_mempool_cfg_t gx_mp_resolve(const gx_mempool_cfg_t *c) {
  gx_mempool_cfg_t r = *c;
  if (!r.max_unknown) {
    r.max_unknown = r.capacity / 16 < r.max_accounts / 4 ? r.capacity / 16 : r.max_accounts / 4;
    if (!r.max_unknown) r.max_unknown = 1;
  }
  if (!r.max_known) {
    r.max_known = r.max_accounts > GX_MEMPOOL_MAX_ACCOUNTS ? GX_MEMPOOL_MAX_ACCOUNTS : 4 * r.max_accounts;
    if (r.max_known < 4096) r.max_known = 4096;
    if (r.max_known > 1048576) r.max_known = 1048576;
  }
  if (!r.unknown_ttl) r.unknown_ttl = GX_MEMPOOL_UNKNOWN_TTL;
  return r;
}

void gx_mempool_cfg_resolve(const gx_mempool_cfg_t *cfg, gx_mempool_cfg_t *out) {
  *out = gx_mp_resolve(cfg);
}

static uint64_t gx_mp_pow2(uint64_t at_least) {
  uint64_t n = 1;
  while (n < at_least) n <<= 1;
  return n;
}

size_t gx_mempool_footprint(const gx_mempool_cfg_t *cfg) {
  gx_mempool_cfg_t c = gx_mp_resolve(cfg);
  uint64_t recs = c.max_accounts + c.max_unknown;
  return sizeof(gx_mempool_t) + c.capacity * sizeof(gx_mp_entry_t) +
         gx_mp_pow2(2 * c.max_known) * sizeof(gx_mp_known_t) +
         recs * (sizeof(gx_mp_acct_t) + (size_t)c.max_future * sizeof(uint32_t)) +
         gx_mp_pow2(2 * recs) * sizeof(uint32_t) + c.max_future * sizeof(gx_list_t);
}

gx_mempool_t *gx_mempool_new(const gx_mempool_cfg_t *cfg, gx_mempool_err_t *err) {
  gx_mempool_err_t dummy;
  if (!err) err = &dummy;
  if (cfg->capacity < 1 || cfg->capacity > GX_MEMPOOL_MAX_CAPACITY || cfg->max_future < 1 ||
      cfg->max_future > GX_MEMPOOL_MAX_FUTURE || cfg->max_accounts < 1 ||
      cfg->max_accounts > GX_MEMPOOL_MAX_ACCOUNTS || cfg->max_unknown > cfg->capacity ||
      cfg->max_unknown > GX_MEMPOOL_MAX_ACCOUNTS || cfg->max_known > GX_MEMPOOL_MAX_KNOWN) {
    *err = GX_MEMPOOL_ERR_CONFIG;
    return NULL;
  }
  gx_mempool_t *mp = calloc(1, sizeof *mp);
  if (!mp) {
    *err = GX_MEMPOOL_ERR_NOMEM;
    return NULL;
  }
  mp->cfg = gx_mp_resolve(cfg);
  mp->W = cfg->max_future;
  mp->a_max = mp->cfg.max_accounts + mp->cfg.max_unknown;
  uint64_t nb = gx_mp_pow2(2 * mp->a_max);
  uint64_t nk = gx_mp_pow2(2 * mp->cfg.max_known);
  /* calloc of large blocks maps fresh zero pages: RSS grows as the pool fills */
  mp->e = calloc(mp->cfg.capacity, sizeof *mp->e);
  mp->a = calloc(mp->a_max, sizeof *mp->a);
  mp->a_slots = malloc(mp->a_max * mp->W * sizeof(uint32_t));
  mp->bucket = malloc(nb * sizeof(uint32_t));
  mp->dist = malloc(mp->W * sizeof(gx_list_t));
  mp->known = calloc(nk, sizeof *mp->known);
  if (!mp->e || !mp->a || !mp->a_slots || !mp->bucket || !mp->dist || !mp->known) {
    gx_mempool_delete(mp);
    *err = GX_MEMPOOL_ERR_NOMEM;
    return NULL;
  }
  mp->known_mask = nk - 1;
  mp->bucket_mask = nb - 1;
  memset(mp->bucket, 0xff, nb * sizeof(uint32_t));
  for (uint32_t i = 0; i < mp->W; i++) mp->dist[i] = (gx_list_t){NIL, NIL};
  mp->ready = mp->empty = mp->unknown = (gx_list_t){NIL, NIL};
  mp->e_free = mp->a_free = NIL;
  *err = GX_MEMPOOL_OK;
  return mp;
}

void gx_mempool_delete(gx_mempool_t *mp) {
  if (!mp) return;
  free(mp->e);
  free(mp->a);
  free(mp->a_slots);
  free(mp->bucket);
  free(mp->dist);
  free(mp->known);
  free(mp);
}

/* Account keys are chosen by clients (a junk key costs nothing): mix the
 * first word with the caller's hash key so chains and probes cannot be aimed. */
static uint64_t gx_mp_hash(const gx_mempool_t *mp, const uint8_t pk[32]) {
  uint64_t x = gx_ld64(pk) ^ mp->cfg.hash_key;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/* ---- the known table (written by the owner, read by any thread) ---- */
/* The account's known next_seq, 0 when it is not in the table. */
static uint64_t gx_known_get(const gx_mempool_t *mp, const uint8_t pk[32]) {
  uint64_t w[4];
  memcpy(w, pk, 32);
  for (uint64_t i = gx_mp_hash(mp, pk) & mp->known_mask;; i = (i + 1) & mp->known_mask) {
    const gx_mp_known_t *s = &mp->known[i];
    uint64_t next = atomic_load_explicit(&s->next_seq, memory_order_acquire);
    if (!next) return 0; /* load <= 1/2: every probe ends at an empty slot */
    if (s->pk[0] == w[0] && s->pk[1] == w[1] && s->pk[2] == w[2] && s->pk[3] == w[3]) return next;
  }
}

/* Owner: the account's next_seq is at least next (never lowered). -1 when the
 * table had no room for a new account (counted). */
static int gx_known_put(gx_mempool_t *mp, const uint8_t pk[32], uint64_t next) {
  uint64_t w[4];
  memcpy(w, pk, 32);
  for (uint64_t i = gx_mp_hash(mp, pk) & mp->known_mask;; i = (i + 1) & mp->known_mask) {
    gx_mp_known_t *s = &mp->known[i];
    uint64_t cur = atomic_load_explicit(&s->next_seq, memory_order_relaxed);
    if (!cur) {
      uint64_t n = atomic_load_explicit(&mp->n_known, memory_order_relaxed);
      if (n >= mp->cfg.max_known) {
        gx_mp_count(&mp->ct.known_full, 1);
        return -1;
      }
      memcpy(s->pk, w, sizeof w);
      atomic_store_explicit(&s->next_seq, next, memory_order_release);
      atomic_store_explicit(&mp->n_known, n + 1, memory_order_relaxed);
      return 0;
    }
    if (memcmp(s->pk, w, sizeof w) == 0) {
      if (next > cur) atomic_store_explicit(&s->next_seq, next, memory_order_release);
      return 0;
    }
  }
}

gx_mempool_gate_t gx_mempool_gate(const gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ],
                                  uint64_t *ahead, uint64_t *next_out) {
  uint64_t dummy, dummy2;
  if (!ahead) ahead = &dummy;
  if (!next_out) next_out = &dummy2;
  *ahead = 0;
  uint64_t next = gx_known_get(mp, enc + GX_XFER_OFF_INITIATOR);
  *next_out = next;
  uint64_t seq = gx_ld64(enc + GX_XFER_OFF_INIT_SEQ), judge = next ? next : 1;
  if (seq < judge) return GX_MEMPOOL_GATE_STALE;
  if (seq - judge >= mp->W) return GX_MEMPOOL_GATE_TOO_FAR;
  if (next) *ahead = seq - next;
  return GX_MEMPOOL_GATE_ADMIT;
}

/* ---- entry allocation: a free list plus a high-water mark, so untouched
 * entries are never written (RSS stays proportional to use) ---- */
static uint32_t gx_e_alloc(gx_mempool_t *mp) {
  if (mp->e_free != NIL) {
    uint32_t i = mp->e_free;
    mp->e_free = mp->e[i].next;
    return i;
  }
  if (mp->e_hwm < mp->cfg.capacity) return (uint32_t)mp->e_hwm++;
  return NIL;
}

/* ---- intrusive lists ---- */
static void gx_elist_push(gx_mempool_t *mp, gx_list_t *l, uint32_t i) {
  mp->e[i].prev = l->tail;
  mp->e[i].next = NIL;
  if (l->tail != NIL) mp->e[l->tail].next = i;
  else l->head = i;
  l->tail = i;
}
static void gx_elist_unlink(gx_mempool_t *mp, gx_list_t *l, uint32_t i) {
  gx_mp_entry_t *x = &mp->e[i];
  if (x->prev != NIL) mp->e[x->prev].next = x->next;
  else l->head = x->next;
  if (x->next != NIL) mp->e[x->next].prev = x->prev;
  else l->tail = x->prev;
}
static void gx_dist_push(gx_mempool_t *mp, uint32_t d, uint32_t i) { gx_elist_push(mp, &mp->dist[d], i); }
static void gx_dist_unlink(gx_mempool_t *mp, uint32_t d, uint32_t i) { gx_elist_unlink(mp, &mp->dist[d], i); }
static void gx_acct_push(gx_mempool_t *mp, gx_list_t *l, uint32_t ai, uint8_t state) {
  gx_mp_acct_t *a = &mp->a[ai];
  a->state = state;
  a->lprev = l->tail;
  a->lnext = NIL;
  if (l->tail != NIL) mp->a[l->tail].lnext = ai;
  else l->head = ai;
  l->tail = ai;
}
static void gx_acct_unlink(gx_mempool_t *mp, uint32_t ai) {
  gx_mp_acct_t *a = &mp->a[ai];
  gx_list_t *l = a->state == GX_ACCT_READY ? &mp->ready : &mp->empty;
  if (a->state != GX_ACCT_READY && a->state != GX_ACCT_EMPTY) return;
  if (a->lprev != NIL) mp->a[a->lprev].lnext = a->lnext;
  else l->head = a->lnext;
  if (a->lnext != NIL) mp->a[a->lnext].lprev = a->lprev;
  else l->tail = a->lprev;
  if (a->state == GX_ACCT_READY) atomic_fetch_sub_explicit(&mp->n_ready, 1, memory_order_relaxed);
  a->state = GX_ACCT_HELD;
}

/* ---- accounts ---- */
static uint32_t gx_acct_find(gx_mempool_t *mp, const gx_pubkey_t *k) {
  for (uint32_t i = mp->bucket[gx_mp_hash(mp, k->b) & mp->bucket_mask]; i != NIL; i = mp->a[i].hnext)
    if (!memcmp(mp->a[i].key.b, k->b, GX_PUBKEY_SZ)) return i;
  return NIL;
}

static void gx_acct_unhash(gx_mempool_t *mp, uint32_t ai) {
  uint32_t *p = &mp->bucket[gx_mp_hash(mp, mp->a[ai].key.b) & mp->bucket_mask];
  while (*p != ai) p = &mp->a[*p].hnext;
  *p = mp->a[ai].hnext;
}

/* Known records beyond max_accounts (accounts promoted while every known
 * record was in use); each shrinks the unknown quota by one until freed. */
static uint64_t gx_known_over(const gx_mempool_t *mp) {
  return mp->n_known_recs > mp->cfg.max_accounts ? mp->n_known_recs - mp->cfg.max_accounts : 0;
}

/* The record goes back to the free list (it holds nothing). */
static void gx_acct_free(gx_mempool_t *mp, uint32_t ai) {
  gx_mp_acct_t *a = &mp->a[ai];
  GX_ASSERT(a->count == 0, "freeing an account record that holds %u transfers", a->count);
  gx_acct_unlink(mp, ai);
  gx_acct_unhash(mp, ai);
  if (a->known) mp->n_known_recs--;
  else mp->n_unknown_recs--;
  a->state = GX_ACCT_FREE;
  a->lnext = mp->a_free;
  mp->a_free = ai;
}

/* Frees emptied known records while known records exceed max_accounts. */
static void gx_known_trim(gx_mempool_t *mp) {
  while (gx_known_over(mp) > 0 && mp->empty.head != NIL) gx_acct_free(mp, mp->empty.head);
}

/* Makes a record for an account without one: known (next_seq from the known
 * table) or unknown (next_seq 1). NIL when every known record holds
 * transfers. The caller made room in the unknown quota for an unknown one. */
static uint32_t gx_acct_new(gx_mempool_t *mp, const gx_pubkey_t *k, int known, uint64_t next) {
  uint32_t ai;
  if (known && mp->n_known_recs >= mp->cfg.max_accounts) {
    if (mp->empty.head == NIL) return NIL;
    ai = mp->empty.head; /* least recently emptied: nothing lost, next_seq is in the known table */
    gx_acct_unlink(mp, ai);
    gx_acct_unhash(mp, ai);
    mp->n_known_recs--;
  } else if (mp->a_free != NIL) {
    ai = mp->a_free;
    mp->a_free = mp->a[ai].lnext;
  } else {
    /* records in use <= max_accounts + max_unknown: known ones below their
     * limit, unknown ones <= unknown transfers < max_unknown - known_over */
    GX_ASSERT(mp->a_hwm < mp->a_max, "no free account record (%llu known, %llu unknown, %llu in all)",
              (unsigned long long)mp->n_known_recs, (unsigned long long)mp->n_unknown_recs,
              (unsigned long long)mp->a_max);
    ai = mp->a_hwm++;
  }
  gx_mp_acct_t *a = &mp->a[ai];
  memset(a, 0, sizeof *a);
  a->key = *k;
  a->next_seq = a->take_seq = next;
  a->lprev = a->lnext = NIL;
  a->state = GX_ACCT_HELD;
  a->known = (uint8_t)known;
  if (known) mp->n_known_recs++;
  else mp->n_unknown_recs++;
  for (uint32_t s = 0; s < mp->W; s++) mp->a_slots[(uint64_t)ai * mp->W + s] = NIL;
  uint32_t *b = &mp->bucket[gx_mp_hash(mp, k->b) & mp->bucket_mask];
  a->hnext = *b;
  *b = ai;
  /* a new known account holds nothing yet: it sits on the empty list until it does */
  if (known) gx_acct_push(mp, &mp->empty, ai, GX_ACCT_EMPTY);
  return ai;
}

static uint32_t *gx_slot(gx_mempool_t *mp, uint32_t ai, uint64_t seq) {
  return &mp->a_slots[(uint64_t)ai * mp->W + seq % mp->W];
}

/* The account's head at take_seq can be handed out: put it on the ready list. */
static void gx_acct_check_ready(gx_mempool_t *mp, uint32_t ai) {
  gx_mp_acct_t *a = &mp->a[ai];
  if (a->state == GX_ACCT_READY || !a->known) return;
  uint32_t i = *gx_slot(mp, ai, a->take_seq);
  if (i == NIL || mp->e[i].seq != a->take_seq || mp->e[i].taken) return;
  gx_acct_unlink(mp, ai);
  gx_acct_push(mp, &mp->ready, ai, GX_ACCT_READY);
  atomic_fetch_add_explicit(&mp->n_ready, 1, memory_order_relaxed);
}

/* Removes a held transfer. An unknown account's record goes with its last
 * transfer; a known one's stays (empty list). */
static void gx_entry_remove(gx_mempool_t *mp, uint32_t i) {
  gx_mp_entry_t *x = &mp->e[i];
  uint32_t ai = x->acct;
  gx_mp_acct_t *a = &mp->a[ai];
  if (!a->known) {
    gx_elist_unlink(mp, &mp->unknown, i);
    atomic_fetch_sub_explicit(&mp->n_unknown, 1, memory_order_relaxed);
  } else if (!x->taken) {
    gx_dist_unlink(mp, (uint32_t)(x->seq - a->next_seq), i);
  }
  *gx_slot(mp, ai, x->seq) = NIL;
  x->next = mp->e_free;
  mp->e_free = i;
  uint64_t was = atomic_fetch_sub_explicit(&mp->size, 1, memory_order_relaxed);
  GX_ASSERT(was > 0 && a->count > 0, "removing a transfer from a pool of %llu, account holding %u",
            (unsigned long long)was, a->count);
  if (--a->count == 0) {
    atomic_fetch_sub_explicit(&mp->n_held_accts, 1, memory_order_relaxed);
    if (!a->known) {
      gx_acct_free(mp, ai);
    } else {
      gx_acct_unlink(mp, ai);
      gx_acct_push(mp, &mp->empty, ai, GX_ACCT_EMPTY);
    }
  }
}

/* An unknown account committed (or is a genesis account): its transfers leave
 * the unknown FIFO for the distance lists and its record becomes a known one. */
static void gx_acct_promote(gx_mempool_t *mp, uint32_t ai) {
  gx_mp_acct_t *a = &mp->a[ai];
  for (uint64_t s = a->next_seq; s < a->next_seq + mp->W; s++) {
    uint32_t i = *gx_slot(mp, ai, s);
    if (i == NIL || mp->e[i].seq != s) continue;
    gx_elist_unlink(mp, &mp->unknown, i);
    gx_dist_push(mp, (uint32_t)(s - a->next_seq), i);
  }
  atomic_fetch_sub_explicit(&mp->n_unknown, a->count, memory_order_relaxed);
  mp->n_unknown_recs--;
  mp->n_known_recs++;
  a->known = 1;
  /* over max_accounts: an emptied known record makes up for it */
  if (gx_known_over(mp) > 0 && mp->empty.head != NIL) gx_acct_free(mp, mp->empty.head);
}

gx_mempool_err_t gx_mempool_insert(gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ],
                                   const gx_hash_t *id, gx_mempool_evicted_t *ev) {
  gx_mempool_evicted_t dummy;
  if (!ev) ev = &dummy;
  ev->evicted = ev->evicted_unknown = ev->unknown = ev->conflict = 0;
  gx_xfer_t x;
  if (gx_xfer_decode(&x, enc, GX_XFER_SZ) != GX_PROTO_OK) return GX_MEMPOOL_ERR_DECODE;
  uint64_t seq = x.init_link.seq, next;
  int known;
  uint32_t ai = gx_acct_find(mp, &x.initiator);
  if (ai != NIL) {
    next = mp->a[ai].next_seq;
    known = mp->a[ai].known;
  } else {
    uint64_t k = gx_known_get(mp, x.initiator.b);
    next = k ? k : 1;
    known = k || !atomic_load_explicit(&mp->chain, memory_order_relaxed);
  }
  if (seq < next) return GX_MEMPOOL_ERR_STALE;
  if (seq - next >= mp->W) return GX_MEMPOOL_ERR_TOO_FAR;
  uint32_t d = (uint32_t)(seq - next);
  if (ai != NIL) {
    uint32_t cur = *gx_slot(mp, ai, seq);
    if (cur != NIL) {
      if (gx_hash_eq(&mp->e[cur].id, id)) return GX_MEMPOOL_ERR_DUPLICATE;
      ev->conflict = 1;
      memcpy(ev->enc, mp->e[cur].enc, GX_XFER_SZ);
      ev->id = mp->e[cur].id;
      return GX_MEMPOOL_ERR_CONFLICT;
    }
  }
  int full = atomic_load_explicit(&mp->size, memory_order_relaxed) >= mp->cfg.capacity;
  uint32_t victim = NIL;
  if (!known) {
    /* its own quota, then a full pool: either way the oldest unknown one goes */
    uint64_t held = atomic_load_explicit(&mp->n_unknown, memory_order_relaxed);
    if (full || held + gx_known_over(mp) >= mp->cfg.max_unknown) {
      if (mp->unknown.head == NIL) return GX_MEMPOOL_ERR_FULL;
      victim = mp->unknown.head;
    }
  } else if (full) {
    if (mp->unknown.head != NIL) {
      victim = mp->unknown.head; /* junk goes before any known account's transfer */
    } else {
      for (int32_t k = (int32_t)mp->W - 1; k > (int32_t)d && victim == NIL; k--)
        if (mp->dist[k].tail != NIL) victim = mp->dist[k].tail;
      if (victim == NIL) return GX_MEMPOOL_ERR_FULL;
    }
  }
  /* a known newcomer without a record gets one before anything is evicted */
  if (known && ai == NIL && (ai = gx_acct_new(mp, &x.initiator, 1, next)) == NIL)
    return GX_MEMPOOL_ERR_ACCOUNTS;
  if (victim != NIL) {
    ev->evicted = 1;
    ev->evicted_unknown = !mp->a[mp->e[victim].acct].known;
    memcpy(ev->enc, mp->e[victim].enc, GX_XFER_SZ);
    ev->id = mp->e[victim].id;
    if (ev->evicted_unknown) gx_mp_count(&mp->ct.unknown_evicted, 1);
    gx_entry_remove(mp, victim); /* may free an unknown record, ai's among them */
    if (!known) ai = gx_acct_find(mp, &x.initiator);
  }
  if (!known && ai == NIL) ai = gx_acct_new(mp, &x.initiator, 0, 1);
  uint32_t i = gx_e_alloc(mp);
  /* a full pool evicted one above, so an entry is free */
  GX_ASSERT(i != NIL, "no free entry with %llu of %llu transfers held",
            (unsigned long long)atomic_load_explicit(&mp->size, memory_order_relaxed),
            (unsigned long long)mp->cfg.capacity);
  /* the slot of (account, seq) is empty: checked above, or a fresh account */
  GX_ASSERT(*gx_slot(mp, ai, seq) == NIL, "slot of sequence %llu already holds a transfer",
            (unsigned long long)seq);
  gx_mp_entry_t *e = &mp->e[i];
  memcpy(e->enc, enc, GX_XFER_SZ);
  e->id = *id;
  e->seq = seq;
  e->acct = ai;
  e->taken = 0;
  e->born = mp->round;
  *gx_slot(mp, ai, seq) = i;
  gx_mp_acct_t *a = &mp->a[ai];
  if (known) {
    gx_dist_push(mp, d, i);
  } else {
    gx_elist_push(mp, &mp->unknown, i);
    uint64_t held = atomic_fetch_add_explicit(&mp->n_unknown, 1, memory_order_relaxed) + 1;
    gx_mp_count(&mp->ct.unknown_inserted, 1);
    ev->unknown = 1;
    /* the unknown quota holds, and with it the record bound */
    GX_ASSERT(held + gx_known_over(mp) <= mp->cfg.max_unknown &&
                  mp->n_unknown_recs <= held &&
                  mp->n_known_recs + mp->n_unknown_recs <= mp->a_max,
              "unknown transfers %llu (+%llu known over) beyond %llu, records %llu + %llu",
              (unsigned long long)held, (unsigned long long)gx_known_over(mp),
              (unsigned long long)mp->cfg.max_unknown, (unsigned long long)mp->n_known_recs,
              (unsigned long long)mp->n_unknown_recs);
  }
  if (a->count++ == 0) {
    gx_acct_unlink(mp, ai); /* off the empty list */
    atomic_fetch_add_explicit(&mp->n_held_accts, 1, memory_order_relaxed);
  }
  uint64_t size = atomic_fetch_add_explicit(&mp->size, 1, memory_order_relaxed) + 1;
  /* one transfer per sequence of the account's window; never past capacity */
  GX_ASSERT(a->count <= mp->W && size <= mp->cfg.capacity,
            "pool holds %llu transfers (capacity %llu), the account %u (window %u)",
            (unsigned long long)size, (unsigned long long)mp->cfg.capacity, a->count, mp->W);
  gx_acct_check_ready(mp, ai);
  return GX_MEMPOOL_OK;
}

size_t gx_mempool_take(gx_mempool_t *mp, uint8_t *out, gx_hash_t *ids, size_t max) {
  return gx_mempool_take_shard(mp, out, ids, max, 0, 0);
}

size_t gx_mempool_take_shard(gx_mempool_t *mp, uint8_t *out, gx_hash_t *ids, size_t max,
                             uint32_t shard, uint32_t n_shards) {
  size_t n = 0;
  uint32_t ai = mp->ready.head;
  while (n < max && ai != NIL) {
    gx_mp_acct_t *a = &mp->a[ai];
    uint32_t next_ai = a->lnext; /* unlinking ai below leaves it valid */
    if (n_shards > 1 && gx_shard_of(&a->key, n_shards) != shard) {
      ai = next_ai; /* another proposer's: stays ready where it is */
      continue;
    }
    while (n < max) {
      uint32_t i = *gx_slot(mp, ai, a->take_seq);
      if (i == NIL || mp->e[i].seq != a->take_seq || mp->e[i].taken) break;
      gx_mp_entry_t *e = &mp->e[i];
      memcpy(out + n * GX_XFER_SZ, e->enc, GX_XFER_SZ);
      if (ids) ids[n] = e->id;
      gx_dist_unlink(mp, (uint32_t)(e->seq - a->next_seq), i);
      e->taken = 1;
      a->take_seq++;
      n++;
      /* taken transfers stay held: never more than the window of the account */
      GX_ASSERT(a->take_seq - a->next_seq <= mp->W,
                "account has %llu transfers handed out, beyond its window of %u",
                (unsigned long long)(a->take_seq - a->next_seq), mp->W);
    }
    if (n < max || !(a->take_seq - a->next_seq < mp->W)) {
      gx_acct_unlink(mp, ai); /* run ended: not ready until its next seq arrives */
    } else {
      uint32_t i = *gx_slot(mp, ai, a->take_seq);
      if (i == NIL || mp->e[i].seq != a->take_seq) gx_acct_unlink(mp, ai);
    }
    ai = next_ai;
  }
  return n;
}

uint64_t gx_mempool_genesis(gx_mempool_t *mp, const gx_pubkey_t *accounts, size_t n) {
  atomic_store_explicit(&mp->chain, 1, memory_order_relaxed);
  uint64_t lost = 0;
  for (size_t i = 0; i < n; i++) {
    if (gx_known_put(mp, accounts[i].b, 1) != 0) {
      lost++;
      continue;
    }
    uint32_t ai = gx_acct_find(mp, &accounts[i]);
    if (ai != NIL && !mp->a[ai].known) {
      uint64_t c = mp->a[ai].count;
      gx_acct_promote(mp, ai);
      gx_mp_count(&mp->ct.unknown_promoted, c);
      gx_acct_check_ready(mp, ai);
    }
  }
  return lost;
}

uint64_t gx_mempool_tick(gx_mempool_t *mp) {
  mp->round++;
  uint64_t n = 0;
  while (mp->unknown.head != NIL &&
         mp->round - mp->e[mp->unknown.head].born >= mp->cfg.unknown_ttl) {
    gx_entry_remove(mp, mp->unknown.head);
    n++;
  }
  gx_mp_count(&mp->ct.unknown_expired, n);
  gx_known_trim(mp);
  return n;
}

void gx_mempool_on_committed(gx_mempool_t *mp, const gx_pubkey_t *account, uint64_t seq) {
  gx_known_put(mp, account->b, seq + 1); /* the gate sees it from here on */
  uint32_t ai = gx_acct_find(mp, account);
  if (ai == NIL) return; /* nothing of it is held; the known table remembers the head */
  gx_mp_acct_t *a = &mp->a[ai];
  int promoted = !a->known;
  if (promoted) gx_acct_promote(mp, ai); /* it received funds: its transfers can commit now */
  if (seq >= a->next_seq) {
    uint64_t old = a->next_seq, end = old + mp->W;
    for (uint64_t s = old; s <= seq && s < end; s++) {
      uint32_t i = *gx_slot(mp, ai, s);
      if (i != NIL && mp->e[i].seq == s) gx_entry_remove(mp, i);
    }
    /* survivors move closer: relink them at their new distances */
    uint64_t nnext = seq + 1;
    for (uint64_t s = nnext; s < end; s++) {
      uint32_t i = *gx_slot(mp, ai, s);
      if (i == NIL || mp->e[i].seq != s || mp->e[i].taken) continue;
      gx_dist_unlink(mp, (uint32_t)(s - old), i);
      gx_dist_push(mp, (uint32_t)(s - nnext), i);
    }
    a->next_seq = nnext;
    if (a->take_seq < nnext) {
      a->take_seq = nnext;
      if (a->state == GX_ACCT_READY) gx_acct_unlink(mp, ai);
    }
  }
  if (promoted) gx_mp_count(&mp->ct.unknown_promoted, a->count);
  if (a->count > 0) gx_acct_check_ready(mp, ai);
  gx_known_trim(mp);
}

void gx_mempool_untake_all(gx_mempool_t *mp) {
  for (uint32_t ai = 0; ai < mp->a_hwm; ai++) {
    gx_mp_acct_t *a = &mp->a[ai];
    if (a->count == 0) continue;
    for (uint64_t s = a->next_seq; s < a->take_seq; s++) {
      uint32_t i = *gx_slot(mp, ai, s);
      if (i == NIL || mp->e[i].seq != s || !mp->e[i].taken) continue;
      mp->e[i].taken = 0;
      gx_dist_push(mp, (uint32_t)(s - a->next_seq), i);
    }
    a->take_seq = a->next_seq;
    if (a->state == GX_ACCT_READY) gx_acct_unlink(mp, ai);
    gx_acct_check_ready(mp, ai);
  }
}

int gx_mempool_drop(gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ], const gx_hash_t *id) {
  if (!gx_mempool_contains(mp, enc, id)) return 0;
  gx_xfer_t x;
  gx_xfer_decode(&x, enc, GX_XFER_SZ);
  uint32_t ai = gx_acct_find(mp, &x.initiator);
  gx_entry_remove(mp, *gx_slot(mp, ai, x.init_link.seq));
  /* readiness is re-evaluated by gx_mempool_untake_all(), which follows */
  return 1;
}

int gx_mempool_contains(gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ], const gx_hash_t *id) {
  gx_xfer_t x;
  if (gx_xfer_decode(&x, enc, GX_XFER_SZ) != GX_PROTO_OK) return 0;
  uint32_t ai = gx_acct_find(mp, &x.initiator);
  if (ai == NIL) return 0;
  uint64_t s = x.init_link.seq;
  if (s < mp->a[ai].next_seq || s - mp->a[ai].next_seq >= mp->W) return 0;
  uint32_t i = *gx_slot(mp, ai, s);
  return i != NIL && mp->e[i].seq == s && gx_hash_eq(&mp->e[i].id, id);
}

uint64_t gx_mempool_size(const gx_mempool_t *mp) {
  return atomic_load_explicit(&mp->size, memory_order_relaxed);
}
uint64_t gx_mempool_accounts(const gx_mempool_t *mp) {
  return atomic_load_explicit(&mp->n_held_accts, memory_order_relaxed);
}
uint64_t gx_mempool_ready(const gx_mempool_t *mp) {
  return atomic_load_explicit(&mp->n_ready, memory_order_relaxed);
}
uint64_t gx_mempool_unknown(const gx_mempool_t *mp) {
  return atomic_load_explicit(&mp->n_unknown, memory_order_relaxed);
}
uint64_t gx_mempool_known(const gx_mempool_t *mp) {
  return atomic_load_explicit(&mp->n_known, memory_order_relaxed);
}
void gx_mempool_limits(const gx_mempool_t *mp, gx_mempool_cfg_t *out) { *out = mp->cfg; }
int gx_mempool_chain_view(const gx_mempool_t *mp) {
  return atomic_load_explicit(&mp->chain, memory_order_relaxed);
}
const gx_mempool_counters_t *gx_mempool_counters(const gx_mempool_t *mp) { return &mp->ct; }
uint64_t gx_mempool_next_seq(gx_mempool_t *mp, const gx_pubkey_t *account) {
  uint32_t ai = gx_acct_find(mp, account);
  if (ai != NIL) return mp->a[ai].next_seq;
  uint64_t k = gx_known_get(mp, account->b);
  return k ? k : 1;
}
