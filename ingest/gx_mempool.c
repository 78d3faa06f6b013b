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
  uint32_t prev, next; /* distance list (held, not taken) or free list */
} gx_mp_entry_t;

enum { GX_ACCT_FREE = 0, GX_ACCT_HELD, GX_ACCT_READY, GX_ACCT_EMPTY };

typedef struct {
  gx_pubkey_t key;
  uint64_t next_seq, take_seq;
  uint32_t hnext;        /* hash chain */
  uint32_t count;        /* transfers held */
  uint32_t lprev, lnext; /* ready list or empty (LRU) list, by state */
  uint8_t state;
} gx_mp_acct_t;

typedef struct { uint32_t head, tail; } gx_list_t;

/* One slot of the admission gate: an account's next_seq as last published,
 * under a per-slot sequence lock (odd version: a write is in progress). */
typedef struct {
  _Atomic uint64_t ver;
  _Atomic uint64_t pk[4];
  _Atomic uint64_t next_seq;
} gx_mp_gate_slot_t;

struct gx_mempool {
  gx_mempool_cfg_t cfg;
  gx_mp_gate_slot_t *gate; /* gate_mask + 1 slots, by the account key's first word */
  uint64_t gate_mask;
  uint32_t W;
  gx_mp_entry_t *e;
  uint32_t e_free;
  uint64_t e_hwm;          /* entries ever handed out (never-touched ones lie above) */
  _Atomic uint64_t size, n_held_accts, n_ready;
  gx_mp_acct_t *a;
  uint32_t a_hwm;          /* accounts ever allocated */
  uint32_t *a_slots;       /* a_hwm*W entry indices, by seq % W */
  uint32_t *bucket;        /* hash heads */
  uint64_t bucket_mask;
  gx_list_t *dist;         /* W lists by distance */
  gx_list_t ready, empty;
};

void gx_mempool_cfg_defaults(gx_mempool_cfg_t *cfg) {
  cfg->capacity = 1000000;
  cfg->max_future = 64;
  cfg->max_accounts = 262144;
}

static uint64_t gx_mp_buckets(uint64_t accts) {
  uint64_t n = 1;
  while (n < 2 * accts) n <<= 1;
  return n;
}

size_t gx_mempool_footprint(const gx_mempool_cfg_t *c) {
  return sizeof(gx_mempool_t) + c->capacity * sizeof(gx_mp_entry_t) +
         gx_mp_buckets(c->max_accounts) / 2 * sizeof(gx_mp_gate_slot_t) +
         c->max_accounts * (sizeof(gx_mp_acct_t) + (size_t)c->max_future * sizeof(uint32_t)) +
         gx_mp_buckets(c->max_accounts) * sizeof(uint32_t) + c->max_future * sizeof(gx_list_t);
}

gx_mempool_t *gx_mempool_new(const gx_mempool_cfg_t *cfg, gx_mempool_err_t *err) {
  gx_mempool_err_t dummy;
  if (!err) err = &dummy;
  if (cfg->capacity < 1 || cfg->capacity > GX_MEMPOOL_MAX_CAPACITY || cfg->max_future < 1 ||
      cfg->max_future > GX_MEMPOOL_MAX_FUTURE || cfg->max_accounts < 1 ||
      cfg->max_accounts > GX_MEMPOOL_MAX_ACCOUNTS) {
    *err = GX_MEMPOOL_ERR_CONFIG;
    return NULL;
  }
  gx_mempool_t *mp = calloc(1, sizeof *mp);
  if (!mp) {
    *err = GX_MEMPOOL_ERR_NOMEM;
    return NULL;
  }
  mp->cfg = *cfg;
  mp->W = cfg->max_future;
  uint64_t nb = gx_mp_buckets(cfg->max_accounts);
  /* calloc of large blocks maps fresh zero pages: RSS grows as the pool fills */
  mp->e = calloc(cfg->capacity, sizeof *mp->e);
  mp->a = calloc(cfg->max_accounts, sizeof *mp->a);
  mp->a_slots = malloc(cfg->max_accounts * mp->W * sizeof(uint32_t));
  mp->bucket = malloc(nb * sizeof(uint32_t));
  mp->dist = malloc(mp->W * sizeof(gx_list_t));
  mp->gate_mask = nb / 2 - 1; /* a power of two >= max_accounts */
  mp->gate = calloc(mp->gate_mask + 1, sizeof *mp->gate);
  if (!mp->e || !mp->a || !mp->a_slots || !mp->bucket || !mp->dist || !mp->gate) {
    gx_mempool_delete(mp);
    *err = GX_MEMPOOL_ERR_NOMEM;
    return NULL;
  }
  mp->bucket_mask = nb - 1;
  memset(mp->bucket, 0xff, nb * sizeof(uint32_t));
  for (uint32_t i = 0; i < mp->W; i++) mp->dist[i] = (gx_list_t){NIL, NIL};
  mp->ready = mp->empty = (gx_list_t){NIL, NIL};
  mp->e_free = NIL;
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
  free(mp->gate);
  free(mp);
}

/* ---- the admission gate (written by the owner, read by any thread) ---- */
static gx_mp_gate_slot_t *gx_gate_slot(const gx_mempool_t *mp, const uint8_t pk[32]) {
  uint64_t w;
  memcpy(&w, pk, 8);
  return &mp->gate[w & mp->gate_mask];
}

static void gx_gate_publish(gx_mempool_t *mp, const gx_pubkey_t *account, uint64_t next_seq) {
  gx_mp_gate_slot_t *g = gx_gate_slot(mp, account->b);
  uint64_t w[4];
  memcpy(w, account->b, 32);
  uint64_t v = atomic_load_explicit(&g->ver, memory_order_relaxed);
  atomic_store_explicit(&g->ver, v + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  for (int i = 0; i < 4; i++) atomic_store_explicit(&g->pk[i], w[i], memory_order_relaxed);
  atomic_store_explicit(&g->next_seq, next_seq, memory_order_relaxed);
  atomic_store_explicit(&g->ver, v + 2, memory_order_release);
}

gx_mempool_gate_t gx_mempool_gate(const gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ],
                                  uint64_t *ahead, uint64_t *next_out) {
  uint64_t dummy, dummy2;
  if (!ahead) ahead = &dummy;
  if (!next_out) next_out = &dummy2;
  *ahead = 0;
  *next_out = 0;
  const uint8_t *pk = enc + GX_XFER_OFF_INITIATOR, *seqp = enc + GX_XFER_OFF_INIT_SEQ;
  gx_mp_gate_slot_t *g = gx_gate_slot(mp, pk);
  uint64_t w[4], got[4];
  memcpy(w, pk, 32);
  uint64_t v1 = atomic_load_explicit(&g->ver, memory_order_acquire);
  if (v1 & 1) return GX_MEMPOOL_GATE_ADMIT;
  for (int i = 0; i < 4; i++) got[i] = atomic_load_explicit(&g->pk[i], memory_order_relaxed);
  uint64_t next = atomic_load_explicit(&g->next_seq, memory_order_relaxed);
  atomic_thread_fence(memory_order_acquire);
  if (atomic_load_explicit(&g->ver, memory_order_relaxed) != v1 || !next) return GX_MEMPOOL_GATE_ADMIT;
  if (memcmp(w, got, sizeof w) != 0) return GX_MEMPOOL_GATE_ADMIT;
  *next_out = next;
  uint64_t seq = gx_ld64(seqp);
  if (seq < next) return GX_MEMPOOL_GATE_STALE;
  if (seq - next >= mp->W) return GX_MEMPOOL_GATE_TOO_FAR;
  *ahead = seq - next;
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
static void gx_dist_push(gx_mempool_t *mp, uint32_t d, uint32_t i) {
  gx_list_t *l = &mp->dist[d];
  mp->e[i].prev = l->tail;
  mp->e[i].next = NIL;
  if (l->tail != NIL) mp->e[l->tail].next = i;
  else l->head = i;
  l->tail = i;
}
static void gx_dist_unlink(gx_mempool_t *mp, uint32_t d, uint32_t i) {
  gx_list_t *l = &mp->dist[d];
  gx_mp_entry_t *x = &mp->e[i];
  if (x->prev != NIL) mp->e[x->prev].next = x->next;
  else l->head = x->next;
  if (x->next != NIL) mp->e[x->next].prev = x->prev;
  else l->tail = x->prev;
}
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
static uint64_t gx_acct_hash(const gx_pubkey_t *k) { return gx_ld64(k->b); }

static uint32_t gx_acct_find(gx_mempool_t *mp, const gx_pubkey_t *k) {
  for (uint32_t i = mp->bucket[gx_acct_hash(k) & mp->bucket_mask]; i != NIL; i = mp->a[i].hnext)
    if (!memcmp(mp->a[i].key.b, k->b, GX_PUBKEY_SZ)) return i;
  return NIL;
}

static void gx_acct_unhash(gx_mempool_t *mp, uint32_t ai) {
  uint32_t *p = &mp->bucket[gx_acct_hash(&mp->a[ai].key) & mp->bucket_mask];
  while (*p != ai) p = &mp->a[*p].hnext;
  *p = mp->a[ai].hnext;
}

static uint32_t *gx_slot(gx_mempool_t *mp, uint32_t ai, uint64_t seq) {
  return &mp->a_slots[(uint64_t)ai * mp->W + seq % mp->W];
}

/* Finds or makes the account; NIL when the table is full of busy accounts. */
static uint32_t gx_acct_get(gx_mempool_t *mp, const gx_pubkey_t *k) {
  uint32_t ai = gx_acct_find(mp, k);
  if (ai != NIL) return ai;
  if (mp->a_hwm < mp->cfg.max_accounts) {
    ai = mp->a_hwm++;
  } else if (mp->empty.head != NIL) {
    ai = mp->empty.head; /* least recently emptied */
    gx_acct_unlink(mp, ai);
    gx_acct_unhash(mp, ai);
  } else {
    return NIL;
  }
  gx_mp_acct_t *a = &mp->a[ai];
  memset(a, 0, sizeof *a);
  a->key = *k;
  a->next_seq = a->take_seq = 1;
  a->lprev = a->lnext = NIL;
  a->state = GX_ACCT_HELD;
  for (uint32_t s = 0; s < mp->W; s++) mp->a_slots[(uint64_t)ai * mp->W + s] = NIL;
  uint32_t *b = &mp->bucket[gx_acct_hash(k) & mp->bucket_mask];
  a->hnext = *b;
  *b = ai;
  /* a new account holds nothing yet: it sits on the empty list until it does */
  gx_acct_push(mp, &mp->empty, ai, GX_ACCT_EMPTY);
  return ai;
}

/* The account's head at take_seq can be handed out: put it on the ready list. */
static void gx_acct_check_ready(gx_mempool_t *mp, uint32_t ai) {
  gx_mp_acct_t *a = &mp->a[ai];
  if (a->state == GX_ACCT_READY) return;
  uint32_t i = *gx_slot(mp, ai, a->take_seq);
  if (i == NIL || mp->e[i].seq != a->take_seq || mp->e[i].taken) return;
  gx_acct_unlink(mp, ai);
  gx_acct_push(mp, &mp->ready, ai, GX_ACCT_READY);
  atomic_fetch_add_explicit(&mp->n_ready, 1, memory_order_relaxed);
}

static void gx_entry_remove(gx_mempool_t *mp, uint32_t i) {
  gx_mp_entry_t *x = &mp->e[i];
  uint32_t ai = x->acct;
  gx_mp_acct_t *a = &mp->a[ai];
  if (!x->taken) gx_dist_unlink(mp, (uint32_t)(x->seq - a->next_seq), i);
  *gx_slot(mp, ai, x->seq) = NIL;
  x->next = mp->e_free;
  mp->e_free = i;
  uint64_t was = atomic_fetch_sub_explicit(&mp->size, 1, memory_order_relaxed);
  GX_ASSERT(was > 0 && a->count > 0, "removing a transfer from a pool of %llu, account holding %u",
            (unsigned long long)was, a->count);
  if (--a->count == 0) {
    gx_acct_unlink(mp, ai);
    gx_acct_push(mp, &mp->empty, ai, GX_ACCT_EMPTY);
    atomic_fetch_sub_explicit(&mp->n_held_accts, 1, memory_order_relaxed);
  }
}

gx_mempool_err_t gx_mempool_insert(gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ],
                                   const gx_hash_t *id, gx_mempool_evicted_t *ev) {
  if (ev) ev->evicted = 0;
  gx_xfer_t x;
  if (gx_xfer_decode(&x, enc, GX_XFER_SZ) != GX_PROTO_OK) return GX_MEMPOOL_ERR_DECODE;
  uint64_t seq = x.init_link.seq;
  uint32_t ai = gx_acct_find(mp, &x.initiator);
  uint64_t next = ai == NIL ? 1 : mp->a[ai].next_seq;
  if (seq < next) return GX_MEMPOOL_ERR_STALE;
  if (seq - next >= mp->W) return GX_MEMPOOL_ERR_TOO_FAR;
  uint32_t d = (uint32_t)(seq - next);
  if (ai != NIL) {
    uint32_t cur = *gx_slot(mp, ai, seq);
    if (cur != NIL)
      return gx_hash_eq(&mp->e[cur].id, id) ? GX_MEMPOOL_ERR_DUPLICATE : GX_MEMPOOL_ERR_CONFLICT;
  }
  int full = atomic_load_explicit(&mp->size, memory_order_relaxed) >= mp->cfg.capacity;
  int32_t far = -1;
  if (full) {
    for (int32_t k = (int32_t)mp->W - 1; k > (int32_t)d && far < 0; k--)
      if (mp->dist[k].tail != NIL) far = k;
    if (far < 0) return GX_MEMPOOL_ERR_FULL;
  }
  if (ai == NIL && (ai = gx_acct_get(mp, &x.initiator)) == NIL) return GX_MEMPOOL_ERR_ACCOUNTS;
  if (full) {
    uint32_t victim = mp->dist[far].tail;
    if (ev) {
      ev->evicted = 1;
      memcpy(ev->enc, mp->e[victim].enc, GX_XFER_SZ);
      ev->id = mp->e[victim].id;
    }
    gx_entry_remove(mp, victim);
  }
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
  gx_dist_push(mp, d, i);
  *gx_slot(mp, ai, seq) = i;
  gx_mp_acct_t *a = &mp->a[ai];
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

void gx_mempool_on_committed(gx_mempool_t *mp, const gx_pubkey_t *account, uint64_t seq) {
  uint32_t ai = gx_acct_get(mp, account);
  if (ai == NIL) return; /* no room to remember it; nothing of it is held either */
  gx_mp_acct_t *a = &mp->a[ai];
  if (seq < a->next_seq) return;
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
  gx_gate_publish(mp, account, nnext);
  if (a->take_seq < nnext) {
    a->take_seq = nnext;
    if (a->state == GX_ACCT_READY) gx_acct_unlink(mp, ai);
  }
  if (a->count > 0) gx_acct_check_ready(mp, ai);
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
uint64_t gx_mempool_next_seq(gx_mempool_t *mp, const gx_pubkey_t *account) {
  uint32_t ai = gx_acct_find(mp, account);
  return ai == NIL ? 1 : mp->a[ai].next_seq;
}
