/* gx_ledger: account state, epoch validation and black hole construction.
 * See gx_ledger.h and docs/LEDGER.md. */
#include "validator/gx_ledger.h"

#include <sodium.h>
#include <string.h>

#include "core/gx_assert.h"
#include "core/gx_util.h"

/* One committed account in the open-addressing table (linear probing). */
typedef struct {
  uint8_t key[32];
  gx_ledger_account_t st;
  uint64_t used;
} gx_ledger_slot_t;

/* One account touched by the pending block: its working state. */
typedef struct {
  gx_ledger_update_t u;
  uint64_t old_balance; /* committed balance (0 when new) */
  uint32_t is_new;
  uint32_t ov_slot;     /* where the overlay table points at it */
} gx_ledger_touch_t;

/* A sort element: 8-byte big-endian key prefix and the index it sorts. */
typedef struct {
  uint64_t k;
  uint32_t idx, pad;
} gx_ledger_sk_t;

/* One agreed transfer being validated. */
typedef struct {
  gx_xfer_t x;
  gx_hash_t id;
  const uint8_t *enc;
  uint8_t sig_state; /* 0 not checked, 1 good, 2 bad */
  uint8_t reason;
} gx_ledger_cand_t;

struct gx_ledger {
  gx_ledger_cfg_t cfg;
  uint32_t max_txs;          /* max_proposers * max_proposal_txs */
  uint32_t max_touch;        /* 2 * max_txs */
  /* committed state */
  gx_ledger_slot_t *table;
  uint64_t table_mask;
  uint32_t count;
  uint64_t balance_sum;      /* sum of the table's balances, kept by gx_ledger_put */
  int has_genesis;
  uint64_t height;
  gx_hash_t tip, state_root;
  /* pending block */
  int pending;
  uint32_t new_count;
  gx_ledger_touch_t *touch;
  uint32_t touch_n;
  uint32_t *ov;              /* overlay: touch index + 1, 0 empty */
  uint64_t ov_mask;
  uint32_t *eqm;             /* (account, seq) -> accepted index + 1 */
  uint64_t eqm_mask;
  gx_ledger_cand_t *cand;
  uint32_t *order;
  gx_ledger_sk_t *sk;        /* sort scratch (2 * max_txs) */
  uint32_t *acc;             /* accepted candidate indices, block order */
  uint32_t acc_n;
  gx_hash_t *tx_ids;
  gx_hash_t *scratch;        /* 2 * (max_txs + 1) */
  gx_ledger_update_t *updates;
  gx_ledger_equivocation_t *eq;
  gx_ledger_rejection_t *rej;
  uint8_t *bh;               /* encoded black hole */
  size_t bh_cap;
  gx_ledger_block_t blk;
  gx_ledger_tx_fn_t tx_fn;   /* committed transfers by id (optional) */
  void *tx_ctx;
  uint8_t committed[GX_XFER_SZ]; /* the one tx_fn returned last */
};

static const char *const gx_ledger_errs[GX_LEDGER_ERR__COUNT] = {
  [GX_LEDGER_OK] = "ok",
  [GX_LEDGER_EINVAL] = "bad argument or configuration",
  [GX_LEDGER_EFULL] = "account table full (raise max_accounts)",
  [GX_LEDGER_EPENDING] = "a block is pending (commit or abort it first)",
  [GX_LEDGER_ENOPENDING] = "no pending block",
  [GX_LEDGER_EGENESIS] = "genesis missing, already set, unsorted/duplicate accounts or supply above 2^62",
  [GX_LEDGER_EDECODE] = "black hole does not decode",
  [GX_LEDGER_ETOOBIG] = "more transfers than this ledger is configured for",
  [GX_LEDGER_EHEIGHT] = "black hole height is not the next height",
  [GX_LEDGER_EPREV] = "black hole prev is not the tip's id",
  [GX_LEDGER_EENTRIES] = "entries root does not match the transfers",
  [GX_LEDGER_ETX] = "a transfer in the black hole fails validation",
  [GX_LEDGER_ESTATE] = "state root differs from the recomputed one",
  [GX_LEDGER_ESMALL] = "output buffer too small",
};
const char *gx_ledger_strerror(gx_ledger_err_t e) {
  return (unsigned)e < GX_LEDGER_ERR__COUNT ? gx_ledger_errs[e] : "unknown ledger error";
}

static const char *const gx_ledger_labels[GX_LEDGER_REJ__COUNT] = {
  [GX_LEDGER_REJ_BAD_SIGNATURE] = "bad_signature",
  [GX_LEDGER_REJ_REPLAY] = "replay",
  [GX_LEDGER_REJ_SEQ_GAP] = "seq_gap",
  [GX_LEDGER_REJ_BROKEN_LINK] = "broken_link",
  [GX_LEDGER_REJ_OVERDRAFT] = "overdraft",
  [GX_LEDGER_REJ_BALANCE_OVERFLOW] = "balance_overflow",
  [GX_LEDGER_REJ_EQUIVOCATION] = "equivocation",
  [GX_LEDGER_REJ_MALFORMED] = "malformed",
};
const char *gx_ledger_reject_label(gx_ledger_reject_t r) {
  return (unsigned)r < GX_LEDGER_REJ__COUNT ? gx_ledger_labels[r] : "unknown";
}

void gx_ledger_cfg_defaults(gx_ledger_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->max_accounts = 1u << 20;
  cfg->max_proposers = GX_LEDGER_MAX_PROPOSERS;
  cfg->max_proposal_txs = 512;
  cfg->max_equivocations = 64;
}

/* ---- layout ------------------------------------------------------------------ */
static uint64_t gx_pow2_at_least(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

static size_t gx_align_up(size_t v) { return (v + GX_LEDGER_ALIGN - 1) & ~(size_t)(GX_LEDGER_ALIGN - 1); }

typedef struct {
  size_t table, touch, ov, eqm, cand, order, sk, acc, tx_ids, scratch, updates, eq, rej, bh, total;
  uint64_t table_slots, ov_slots, eqm_slots;
  size_t bh_cap;
} gx_ledger_layout_t;

static int gx_ledger_layout(const gx_ledger_cfg_t *cfg, gx_ledger_layout_t *lay) {
  if (!cfg || cfg->max_accounts == 0 || cfg->max_accounts > (1u << 30) || cfg->max_proposers == 0 ||
      cfg->max_proposers > GX_LEDGER_MAX_PROPOSERS || cfg->max_proposal_txs == 0 ||
      cfg->max_equivocations > (1u << 16))
    return -1;
  uint64_t m = (uint64_t)cfg->max_proposers * cfg->max_proposal_txs;
  if (m > GX_BH_MAX_TXS) return -1;
  size_t off = gx_align_up(sizeof(struct gx_ledger));
  lay->table_slots = gx_pow2_at_least(2 * (uint64_t)cfg->max_accounts);
  lay->ov_slots = gx_pow2_at_least(4 * m);
  lay->eqm_slots = gx_pow2_at_least(4 * m);
  lay->bh_cap = gx_bh_size((uint32_t)m);
#define GX_LAY(field, bytes) do { lay->field = off; off = gx_align_up(off + (size_t)(bytes)); } while (0)
  GX_LAY(table, lay->table_slots * sizeof(gx_ledger_slot_t));
  GX_LAY(touch, 2 * m * sizeof(gx_ledger_touch_t));
  GX_LAY(ov, lay->ov_slots * sizeof(uint32_t));
  GX_LAY(eqm, lay->eqm_slots * sizeof(uint32_t));
  GX_LAY(cand, m * sizeof(gx_ledger_cand_t));
  GX_LAY(order, m * sizeof(uint32_t));
  GX_LAY(sk, 2 * m * sizeof(gx_ledger_sk_t));
  GX_LAY(acc, m * sizeof(uint32_t));
  GX_LAY(tx_ids, m * sizeof(gx_hash_t));
  GX_LAY(scratch, 2 * (m + 1) * sizeof(gx_hash_t));
  GX_LAY(updates, 2 * m * sizeof(gx_ledger_update_t));
  GX_LAY(eq, (size_t)cfg->max_equivocations * sizeof(gx_ledger_equivocation_t));
  GX_LAY(rej, m * sizeof(gx_ledger_rejection_t));
  GX_LAY(bh, lay->bh_cap);
#undef GX_LAY
  lay->total = off;
  return 0;
}

size_t gx_ledger_footprint(const gx_ledger_cfg_t *cfg) {
  gx_ledger_layout_t lay;
  return gx_ledger_layout(cfg, &lay) ? 0 : lay.total;
}

gx_ledger_t *gx_ledger_new(void *mem, const gx_ledger_cfg_t *cfg) {
  gx_ledger_layout_t lay;
  if (!mem || ((uintptr_t)mem & (GX_LEDGER_ALIGN - 1)) || gx_ledger_layout(cfg, &lay)) return NULL;
  uint8_t *base = mem;
  gx_ledger_t *l = mem;
  memset(l, 0, sizeof *l);
  l->cfg = *cfg;
  l->max_txs = cfg->max_proposers * cfg->max_proposal_txs;
  l->max_touch = 2 * l->max_txs;
  l->table = (gx_ledger_slot_t *)(base + lay.table);
  l->table_mask = lay.table_slots - 1;
  memset(l->table, 0, lay.table_slots * sizeof(gx_ledger_slot_t));
  l->touch = (gx_ledger_touch_t *)(base + lay.touch);
  l->ov = (uint32_t *)(base + lay.ov);
  l->ov_mask = lay.ov_slots - 1;
  memset(l->ov, 0, lay.ov_slots * sizeof(uint32_t));
  l->eqm = (uint32_t *)(base + lay.eqm);
  l->eqm_mask = lay.eqm_slots - 1;
  memset(l->eqm, 0, lay.eqm_slots * sizeof(uint32_t));
  l->cand = (gx_ledger_cand_t *)(base + lay.cand);
  l->order = (uint32_t *)(base + lay.order);
  l->sk = (gx_ledger_sk_t *)(base + lay.sk);
  l->acc = (uint32_t *)(base + lay.acc);
  l->tx_ids = (gx_hash_t *)(base + lay.tx_ids);
  l->scratch = (gx_hash_t *)(base + lay.scratch);
  l->updates = (gx_ledger_update_t *)(base + lay.updates);
  l->eq = (gx_ledger_equivocation_t *)(base + lay.eq);
  l->rej = (gx_ledger_rejection_t *)(base + lay.rej);
  l->bh = base + lay.bh;
  l->bh_cap = lay.bh_cap;
  return l;
}

void *gx_ledger_delete(gx_ledger_t *l) {
  if (!l) return NULL;
  memset(l, 0, sizeof *l);
  return l;
}

/* ---- committed table --------------------------------------------------------- */
static uint64_t gx_ledger_hkey(const gx_ledger_t *l, const uint8_t *data, size_t len) {
  uint8_t h[crypto_shorthash_BYTES];
  crypto_shorthash(h, data, len, l->cfg.hash_key);
  return gx_ld64(h);
}

static gx_ledger_slot_t *gx_ledger_find(const gx_ledger_t *l, const uint8_t key[32]) {
  for (uint64_t i = gx_ledger_hkey(l, key, 32) & l->table_mask;; i = (i + 1) & l->table_mask) {
    gx_ledger_slot_t *s = &l->table[i];
    if (!s->used) return NULL;
    if (memcmp(s->key, key, 32) == 0) return s;
  }
}

/* Inserts or overwrites; -1 when a new key does not fit. */
static int gx_ledger_put(gx_ledger_t *l, const uint8_t key[32], const gx_ledger_account_t *a) {
  for (uint64_t i = gx_ledger_hkey(l, key, 32) & l->table_mask;; i = (i + 1) & l->table_mask) {
    gx_ledger_slot_t *s = &l->table[i];
    if (s->used && memcmp(s->key, key, 32) == 0) {
      l->balance_sum = l->balance_sum - s->st.balance + a->balance; /* exact: both <= 2^62 */
      s->st = *a;
      return 0;
    }
    if (!s->used) {
      if (l->count >= l->cfg.max_accounts) return -1;
      memcpy(s->key, key, 32);
      l->balance_sum += a->balance;
      s->st = *a;
      s->used = 1;
      l->count++;
      return 0;
    }
  }
}

/* ---- pending overlay ---------------------------------------------------------- */
static gx_ledger_touch_t *gx_ledger_ov_find(const gx_ledger_t *l, const uint8_t key[32]) {
  for (uint64_t i = gx_ledger_hkey(l, key, 32) & l->ov_mask;; i = (i + 1) & l->ov_mask) {
    uint32_t t = l->ov[i];
    if (!t) return NULL;
    if (memcmp(l->touch[t - 1].u.account.b, key, 32) == 0) return &l->touch[t - 1];
  }
}

/* The working state of key (overlay, else committed, else a fresh account). */
static void gx_ledger_state(const gx_ledger_t *l, const uint8_t key[32], gx_ledger_account_t *out) {
  const gx_ledger_touch_t *t = gx_ledger_ov_find(l, key);
  if (t) { *out = t->u.state; return; }
  const gx_ledger_slot_t *s = gx_ledger_find(l, key);
  if (s) *out = s->st;
  else memset(out, 0, sizeof *out);
}

/* Writes the working state of key into the overlay; -1 when the account is new
 * and the table could not hold it at commit (EFULL). */
static int gx_ledger_set(gx_ledger_t *l, const uint8_t key[32], const gx_ledger_account_t *a) {
  uint64_t i = gx_ledger_hkey(l, key, 32) & l->ov_mask;
  for (;; i = (i + 1) & l->ov_mask) {
    uint32_t t = l->ov[i];
    if (!t) break;
    if (memcmp(l->touch[t - 1].u.account.b, key, 32) == 0) { l->touch[t - 1].u.state = *a; return 0; }
  }
  if (l->touch_n >= l->max_touch) return -1; /* cannot happen: 2 accounts per transfer */
  const gx_ledger_slot_t *s = gx_ledger_find(l, key);
  if (!s && (uint64_t)l->count + l->new_count + 1 > l->cfg.max_accounts) return -1;
  gx_ledger_touch_t *t = &l->touch[l->touch_n];
  memcpy(t->u.account.b, key, 32);
  t->u.state = *a;
  t->old_balance = s ? s->st.balance : 0;
  t->is_new = !s;
  t->ov_slot = (uint32_t)i;
  l->ov[i] = ++l->touch_n;
  if (!s) l->new_count++;
  return 0;
}

static void gx_ledger_clear_pending(gx_ledger_t *l) {
  for (uint32_t i = 0; i < l->touch_n; i++) l->ov[l->touch[i].ov_slot] = 0;
  memset(l->eqm, 0, (l->eqm_mask + 1) * sizeof(uint32_t));
  l->touch_n = 0;
  l->new_count = 0;
  l->acc_n = 0;
  l->pending = 0;
}

/* (account, seq) -> accepted transfer, for equivocation proofs. */
static uint64_t gx_ledger_eq_hash(const gx_ledger_t *l, const gx_pubkey_t *acct, uint64_t seq) {
  uint8_t k[40];
  memcpy(k, acct->b, 32);
  gx_st64(k + 32, seq);
  return gx_ledger_hkey(l, k, sizeof k);
}

static const gx_chain_link_t *gx_ledger_link_of(const gx_xfer_t *x, const gx_pubkey_t *acct) {
  const gx_chain_link_t *link = NULL;
  return gx_chain_link_of(x, acct, &link) == 0 ? link : NULL;
}

static void gx_ledger_eq_put(gx_ledger_t *l, const gx_pubkey_t *acct, uint64_t seq, uint32_t acc_idx) {
  for (uint64_t i = gx_ledger_eq_hash(l, acct, seq) & l->eqm_mask;; i = (i + 1) & l->eqm_mask)
    if (!l->eqm[i]) { l->eqm[i] = acc_idx + 1; return; }
}

/* The accepted transfer in which acct used seq, or NULL. */
static const gx_ledger_cand_t *gx_ledger_eq_find(const gx_ledger_t *l, const gx_pubkey_t *acct,
                                                 uint64_t seq) {
  for (uint64_t i = gx_ledger_eq_hash(l, acct, seq) & l->eqm_mask;; i = (i + 1) & l->eqm_mask) {
    uint32_t a = l->eqm[i];
    if (!a) return NULL;
    const gx_ledger_cand_t *c = &l->cand[l->acc[a - 1]];
    const gx_chain_link_t *link = gx_ledger_link_of(&c->x, acct);
    if (link && link->seq == seq) return c;
  }
}

/* ---- state root ---------------------------------------------------------------- */
void gx_ledger_state_root(gx_hash_t *out, const gx_hash_t *prev_root,
                          const gx_ledger_update_t *updates, uint32_t n) {
  uint8_t personal[16] = {0};
  const char *tag = gx_domain_tag(GX_DOM_STATE);
  memcpy(personal, tag, strnlen(tag, 16));
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init_salt_personal(&st, NULL, 0, GX_HASH_SZ, NULL, personal);
  crypto_generichash_blake2b_update(&st, prev_root->b, GX_HASH_SZ);
  for (uint32_t i = 0; i < n; i++) {
    uint8_t rec[GX_LEDGER_UPDATE_SZ];
    memcpy(rec, updates[i].account.b, 32);
    gx_st64(rec + 32, updates[i].state.balance);
    gx_st64(rec + 40, updates[i].state.seq);
    memcpy(rec + 48, updates[i].state.head.b, 32);
    crypto_generichash_blake2b_update(&st, rec, sizeof rec);
  }
  crypto_generichash_blake2b_final(&st, out->b, GX_HASH_SZ);
}

/* ---- genesis, restore, queries --------------------------------------------------- */
gx_ledger_err_t gx_ledger_genesis(gx_ledger_t *l, const gx_hash_t *genesis_id,
                                  const gx_ledger_alloc_t *accounts, uint32_t n) {
  if (!l || !genesis_id || (n && !accounts)) return GX_LEDGER_EINVAL;
  if (l->has_genesis || l->pending || l->count) return GX_LEDGER_EGENESIS;
  if (n > l->cfg.max_accounts) return GX_LEDGER_EFULL;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (i && memcmp(accounts[i - 1].account.b, accounts[i].account.b, 32) >= 0)
      return GX_LEDGER_EGENESIS;
    if (accounts[i].amount > GX_AMOUNT_MAX || total + accounts[i].amount > GX_AMOUNT_MAX)
      return GX_LEDGER_EGENESIS;
    total += accounts[i].amount;
  }
  uint8_t personal[16] = {0};
  const char *tag = gx_domain_tag(GX_DOM_STATE);
  memcpy(personal, tag, strnlen(tag, 16));
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init_salt_personal(&st, NULL, 0, GX_HASH_SZ, NULL, personal);
  uint8_t zero[32] = {0};
  crypto_generichash_blake2b_update(&st, zero, 32);
  for (uint32_t i = 0; i < n; i++) {
    gx_ledger_account_t a = {.balance = accounts[i].amount};
    (void)gx_ledger_put(l, accounts[i].account.b, &a);
    uint8_t rec[GX_LEDGER_UPDATE_SZ] = {0};
    memcpy(rec, accounts[i].account.b, 32);
    gx_st64(rec + 32, accounts[i].amount);
    crypto_generichash_blake2b_update(&st, rec, sizeof rec);
  }
  crypto_generichash_blake2b_final(&st, l->state_root.b, GX_HASH_SZ);
  l->tip = *genesis_id;
  l->height = 0;
  l->has_genesis = 1;
  return GX_LEDGER_OK;
}

gx_ledger_err_t gx_ledger_restore(gx_ledger_t *l, uint64_t height, const gx_hash_t *tip_id,
                                  const gx_hash_t *state_root) {
  if (!l || !tip_id || !state_root || height > GX_SEQ_MAX) return GX_LEDGER_EINVAL;
  if (l->pending) return GX_LEDGER_EPENDING;
  l->height = height;
  l->tip = *tip_id;
  l->state_root = *state_root;
  l->has_genesis = 1;
  return GX_LEDGER_OK;
}

gx_ledger_err_t gx_ledger_load_account(gx_ledger_t *l, const gx_pubkey_t *account,
                                       const gx_ledger_account_t *a) {
  if (!l || !account || !a || a->balance > GX_AMOUNT_MAX) return GX_LEDGER_EINVAL;
  if (l->pending) return GX_LEDGER_EPENDING;
  return gx_ledger_put(l, account->b, a) ? GX_LEDGER_EFULL : GX_LEDGER_OK;
}

uint64_t gx_ledger_height(const gx_ledger_t *l) { return l->height; }
void gx_ledger_tip(const gx_ledger_t *l, gx_hash_t *id, gx_hash_t *state_root) {
  if (id) *id = l->tip;
  if (state_root) *state_root = l->state_root;
}

int gx_ledger_account(const gx_ledger_t *l, const gx_pubkey_t *key, gx_ledger_account_t *out) {
  const gx_ledger_touch_t *t = gx_ledger_ov_find(l, key->b);
  if (t) { *out = t->u.state; return 0; }
  const gx_ledger_slot_t *s = gx_ledger_find(l, key->b);
  if (!s) return -1;
  *out = s->st;
  return 0;
}

uint32_t gx_ledger_account_count(const gx_ledger_t *l) { return l->count + l->new_count; }

/* The pending block's balance changes on top of a committed sum. */
static uint64_t gx_ledger_plus_pending(const gx_ledger_t *l, uint64_t total) {
  for (uint32_t i = 0; i < l->touch_n; i++)
    total = total - l->touch[i].old_balance + l->touch[i].u.state.balance;
  return total;
}

uint64_t gx_ledger_balance_sum(const gx_ledger_t *l) {
  return gx_ledger_plus_pending(l, l->balance_sum);
}

uint64_t gx_ledger_total(const gx_ledger_t *l) {
  uint64_t total = 0;
  for (uint64_t i = 0; i <= l->table_mask; i++)
    if (l->table[i].used) total += l->table[i].st.balance;
  return gx_ledger_plus_pending(l, total);
}

void gx_ledger_set_tx_source(gx_ledger_t *l, gx_ledger_tx_fn_t fn, void *ctx) {
  l->tx_fn = fn;
  l->tx_ctx = ctx;
}

/* ---- validation ----------------------------------------------------------------- */
static gx_ledger_reject_t gx_ledger_chain_reason(gx_chain_err_t e) {
  switch (e) {
  case GX_CHAIN_ERR_REPLAY: return GX_LEDGER_REJ_REPLAY;
  case GX_CHAIN_ERR_GAP: return GX_LEDGER_REJ_SEQ_GAP;
  default: return GX_LEDGER_REJ_BROKEN_LINK;
  }
}

#define GX_LEDGER_ACCEPT GX_LEDGER_REJ__COUNT
#define GX_LEDGER_FULL (GX_LEDGER_REJ__COUNT + 1)

/* Validates candidate ci against the working state; on success applies it and
 * appends it to the block. Returns GX_LEDGER_ACCEPT, GX_LEDGER_FULL or a reason;
 * for an equivocation *eq_acct / *eq_first name the proof. */
static int gx_ledger_try(gx_ledger_t *l, uint32_t ci, gx_ledger_verified_fn_t verified, void *vctx,
                         const gx_pubkey_t **eq_acct, const uint8_t **eq_first) {
  gx_ledger_cand_t *c = &l->cand[ci];
  const gx_xfer_t *x = &c->x;
  if (c->sig_state == 0) {
    if (verified && verified(vctx, &c->id) == 1) {
      c->sig_state = 1;
    } else {
      c->sig_state = gx_xfer_verify_enc(c->enc) == GX_XFER_VERIFY_OK ? 1 : 2;
      l->blk.sig_verified++;
    }
  }
  if (c->sig_state != 1) return GX_LEDGER_REJ_BAD_SIGNATURE;

  gx_ledger_account_t ia, ca;
  gx_ledger_state(l, x->initiator.b, &ia);
  gx_ledger_state(l, x->counterparty.b, &ca);
  gx_chain_head_t ih = {ia.seq, ia.head}, ch = {ca.seq, ca.head};
  gx_chain_err_t ei = gx_chain_check(&ih, &x->init_link);
  gx_chain_err_t ec = gx_chain_check(&ch, &x->cp_link);

  /* Equivocation: a party already used this seq in an accepted transfer of
   * this block, with a different signed digest. */
  const struct { gx_chain_err_t e; const gx_pubkey_t *acct; uint64_t seq; const gx_ledger_account_t *st; } party[2] = {
    {ei, &x->initiator, x->init_link.seq, &ia}, {ec, &x->counterparty, x->cp_link.seq, &ca}};
  for (int p = 0; p < 2; p++) {
    if (party[p].e != GX_CHAIN_ERR_REPLAY) continue;
    const gx_ledger_cand_t *first = gx_ledger_eq_find(l, party[p].acct, party[p].seq);
    if (first) {
      if (!gx_hash_eq(&first->id, &c->id) && gx_chain_is_equivocation(first->enc, c->enc, party[p].acct)) {
        *eq_acct = party[p].acct;
        *eq_first = first->enc;
        return GX_LEDGER_REJ_EQUIVOCATION;
      }
      continue;
    }
    /* against the committed head: fetch it, trust only what hashes to its id */
    gx_hash_t got;
    if (l->tx_fn && party[p].seq == party[p].st->seq && !gx_hash_eq(&party[p].st->head, &c->id) &&
        l->tx_fn(l->tx_ctx, &party[p].st->head, l->committed) == 1 &&
        (gx_xfer_id(&got, l->committed), gx_hash_eq(&got, &party[p].st->head)) &&
        gx_chain_is_equivocation(l->committed, c->enc, party[p].acct)) {
      *eq_acct = party[p].acct;
      *eq_first = l->committed;
      return GX_LEDGER_REJ_EQUIVOCATION;
    }
  }
  /* Permanent reasons first, so a transfer is only retried when it may pass. */
  if (ei == GX_CHAIN_ERR_REPLAY || ec == GX_CHAIN_ERR_REPLAY) return GX_LEDGER_REJ_REPLAY;
  if (ei == GX_CHAIN_ERR_PREV || ec == GX_CHAIN_ERR_PREV) return GX_LEDGER_REJ_BROKEN_LINK;
  if (ei != GX_CHAIN_OK) return gx_ledger_chain_reason(ei);
  if (ec != GX_CHAIN_OK) return gx_ledger_chain_reason(ec);
  if (ia.balance < x->amount) return GX_LEDGER_REJ_OVERDRAFT;
  if (ca.balance + x->amount > GX_AMOUNT_MAX) return GX_LEDGER_REJ_BALANCE_OVERFLOW;

  ia.balance -= x->amount;
  ia.seq = x->init_link.seq;
  ia.head = c->id;
  ca.balance += x->amount;
  ca.seq = x->cp_link.seq;
  ca.head = c->id;
  if (gx_ledger_set(l, x->initiator.b, &ia) || gx_ledger_set(l, x->counterparty.b, &ca))
    return GX_LEDGER_FULL;
  uint32_t a = l->acc_n++;
  l->acc[a] = ci;
  l->tx_ids[a] = c->id;
  gx_ledger_eq_put(l, &x->initiator, x->init_link.seq, a);
  gx_ledger_eq_put(l, &x->counterparty, x->cp_link.seq, a);
  return GX_LEDGER_ACCEPT;
}

static void gx_ledger_record_eq(gx_ledger_t *l, const gx_pubkey_t *acct, const uint8_t *first,
                                const gx_ledger_cand_t *second) {
  if (l->blk.equivocation_count >= l->cfg.max_equivocations) {
    l->blk.equivocations_unrecorded++;
    return;
  }
  gx_ledger_equivocation_t *e = &l->eq[l->blk.equivocation_count++];
  e->account = *acct;
  e->seq = gx_ledger_link_of(&second->x, acct)->seq;
  memcpy(e->first, first, GX_XFER_SZ);
  memcpy(e->second, second->enc, GX_XFER_SZ);
}

static void gx_ledger_reject(gx_ledger_t *l, uint32_t ci, gx_ledger_reject_t r) {
  gx_ledger_block_t *b = &l->blk;
  b->rejected[r]++;
  l->rej[b->rejection_count].id = l->cand[ci].id;
  l->rej[b->rejection_count].reason = r;
  b->rejection_count++;
}

/* In-place heapsort: no allocation (glibc's qsort may malloc), O(n log n)
 * whatever the input. Elements are compact (8-byte key prefix, index) so most
 * comparisons stay in cache; ties on the prefix fall back to the full
 * comparator. The comparators are total orders, so every node gets the same
 * result. */
typedef int (*gx_ledger_cmp_t)(const gx_ledger_t *l, uint32_t a, uint32_t b);

static inline int gx_ledger_sk_cmp(const gx_ledger_t *l, const gx_ledger_sk_t *a, const gx_ledger_sk_t *b,
                                   gx_ledger_cmp_t cmp) {
  if (a->k != b->k) return a->k < b->k ? -1 : 1;
  return cmp(l, a->idx, b->idx);
}

static void gx_ledger_sift(const gx_ledger_t *l, gx_ledger_sk_t *a, uint32_t root, uint32_t n,
                           gx_ledger_cmp_t cmp) {
  gx_ledger_sk_t v = a[root];
  for (;;) {
    uint32_t child = 2 * root + 1;
    if (child >= n) break;
    if (child + 1 < n && gx_ledger_sk_cmp(l, &a[child], &a[child + 1], cmp) < 0) child++;
    if (gx_ledger_sk_cmp(l, &v, &a[child], cmp) >= 0) break;
    a[root] = a[child];
    root = child;
  }
  a[root] = v;
}

static void gx_ledger_sort(const gx_ledger_t *l, gx_ledger_sk_t *a, uint32_t n, gx_ledger_cmp_t cmp) {
  if (n < 2) return;
  for (uint32_t i = n / 2; i-- > 0;) gx_ledger_sift(l, a, i, n, cmp);
  for (uint32_t end = n - 1; end > 0; end--) {
    gx_ledger_sk_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    gx_ledger_sift(l, a, 0, end, cmp);
  }
}

static uint64_t gx_ledger_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | p[i];
  return v;
}

/* Touched accounts by key (after the prefix). */
static int gx_ledger_cmp_touch(const gx_ledger_t *l, uint32_t a, uint32_t b) {
  return memcmp(l->touch[a].u.account.b, l->touch[b].u.account.b, 32);
}

/* Writes the header, entry 0 and accepted transfers into l->bh and fills the
 * updates and roots of l->blk. */
static gx_ledger_err_t gx_ledger_finish(gx_ledger_t *l, uint64_t epoch) {
  gx_ledger_block_t *b = &l->blk;
  /* Each accepted transfer touches at most its two parties; nothing else writes
   * the overlay, so the update list fits the bound the layout reserved. */
  GX_ASSERT(l->acc_n <= l->max_txs && l->touch_n <= 2 * (uint64_t)l->acc_n && l->touch_n <= l->max_touch,
            "pending block has %u transfers and %u touched accounts (bounds %u and %u)", l->acc_n,
            l->touch_n, l->max_txs, l->max_touch);
  /* A transfer moves money, never makes it: the touched accounts' balances add
   * up to what they held committed (so the ledger's total is unchanged), and
   * no balance about to reach the table is negative (wrapped) or above 2^62.
   * Sums are mod 2^64; O(touched accounts). */
  uint64_t before = 0, after = 0;
  for (uint32_t i = 0; i < l->touch_n; i++) {
    const gx_ledger_touch_t *t = &l->touch[i];
    GX_ASSERT(t->u.state.balance <= GX_AMOUNT_MAX,
              "block at height %llu leaves an account with balance %llu, outside 0..2^62",
              (unsigned long long)l->height + 1, (unsigned long long)t->u.state.balance);
    before += t->old_balance;
    after += t->u.state.balance;
    l->sk[i].k = gx_ledger_be64(t->u.account.b);
    l->sk[i].idx = i;
  }
  GX_ASSERT(before == after,
            "block at height %llu does not conserve supply: touched accounts held %llu, now %llu",
            (unsigned long long)l->height + 1, (unsigned long long)before, (unsigned long long)after);
  gx_ledger_sort(l, l->sk, l->touch_n, gx_ledger_cmp_touch);
  for (uint32_t i = 0; i < l->touch_n; i++) l->updates[i] = l->touch[l->sk[i].idx].u;
  b->updates = l->updates;
  b->update_count = l->touch_n;
  gx_bh_header_t *h = &b->header;
  h->height = l->height + 1;
  h->epoch = epoch;
  h->prev = l->tip;
  if (gx_bh_entries_root(&h->entries_root, &l->tip, l->tx_ids, l->acc_n, l->scratch))
    return GX_LEDGER_EINVAL;
  gx_ledger_state_root(&h->state_root, &l->state_root, l->updates, l->touch_n);
  h->tx_count = l->acc_n;
  gx_bh_header_encode(h, l->bh);
  memcpy(l->bh + GX_BH_HDR_SZ, l->tip.b, GX_HASH_SZ);
  uint8_t *body = l->bh + GX_BH_HDR_SZ + GX_HASH_SZ;
  for (uint32_t i = 0; i < l->acc_n; i++) /* memmove: a stored block is already in place */
    memmove(body + (size_t)i * GX_XFER_SZ, l->cand[l->acc[i]].enc, GX_XFER_SZ);
  gx_bh_id(&b->id, h);
  b->encoded = l->bh;
  b->encoded_len = gx_bh_size(l->acc_n);
  b->xfers = body;
  b->tx_ids = l->tx_ids;
  b->tx_count = l->acc_n;
  b->equivocations = l->eq;
  b->rejections = l->rej;
  return GX_LEDGER_OK;
}

/* Canonical order: (initiator key, initiator seq, tx id). */
static int gx_ledger_cmp_cand(const gx_ledger_t *l, uint32_t a, uint32_t b) {
  const gx_ledger_cand_t *x = &l->cand[a], *y = &l->cand[b];
  int r = memcmp(x->x.initiator.b, y->x.initiator.b, 32);
  if (r) return r;
  if (x->x.init_link.seq != y->x.init_link.seq) return x->x.init_link.seq < y->x.init_link.seq ? -1 : 1;
  return memcmp(x->id.b, y->id.b, 32);
}

gx_ledger_err_t gx_ledger_apply_epoch(gx_ledger_t *l, uint64_t epoch,
                                      const uint8_t *const *proposals, const uint32_t *lens,
                                      uint32_t n, gx_ledger_verified_fn_t verified,
                                      void *verified_ctx, gx_ledger_block_t *out) {
  return gx_ledger_apply_epoch_ids(l, epoch, proposals, lens, n, NULL, verified, verified_ctx, out);
}

gx_ledger_err_t gx_ledger_apply_epoch_ids(gx_ledger_t *l, uint64_t epoch,
                                          const uint8_t *const *proposals, const uint32_t *lens,
                                          uint32_t n, const gx_hash_t *ids,
                                          gx_ledger_verified_fn_t verified, void *verified_ctx,
                                          gx_ledger_block_t *out) {
  if (!l || !out || (n && (!proposals || !lens)) || n > l->cfg.max_proposers) return GX_LEDGER_EINVAL;
  if (l->pending) return GX_LEDGER_EPENDING;
  if (!l->has_genesis) return GX_LEDGER_EGENESIS;
  if (l->height >= GX_SEQ_MAX) return GX_LEDGER_EINVAL;
  memset(&l->blk, 0, sizeof l->blk);
  gx_ledger_block_t *b = &l->blk;

  /* 1. parse: a proposal is all good transfers or dropped whole */
  uint32_t nc = 0;
  size_t at = 0; /* index of the proposal's first transfer in ids */
  for (uint32_t p = 0; p < n; p++) {
    uint32_t len = lens[p];
    size_t first = at;
    at += len / GX_XFER_SZ;
    if (len == 0) continue; /* an empty proposal is legitimate */
    if (!proposals[p] || len % GX_XFER_SZ || len / GX_XFER_SZ > l->cfg.max_proposal_txs) {
      b->rejected[GX_LEDGER_REJ_MALFORMED]++;
      continue;
    }
    uint32_t k = len / GX_XFER_SZ, start = nc, i;
    for (i = 0; i < k; i++) {
      gx_ledger_cand_t *c = &l->cand[nc];
      const uint8_t *enc = proposals[p] + (size_t)i * GX_XFER_SZ;
      if (gx_xfer_decode(&c->x, enc, GX_XFER_SZ) != GX_PROTO_OK) break;
      c->enc = enc;
      if (ids) c->id = ids[first + i];
      else gx_xfer_id(&c->id, enc);
      c->sig_state = 0;
      c->reason = 0;
      nc++;
    }
    if (i < k) {
      nc = start;
      b->rejected[GX_LEDGER_REJ_MALFORMED]++;
    }
  }

  /* 2. canonical order and dedup */
  for (uint32_t i = 0; i < nc; i++) {
    l->sk[i].k = gx_ledger_be64(l->cand[i].x.initiator.b);
    l->sk[i].idx = i;
  }
  gx_ledger_sort(l, l->sk, nc, gx_ledger_cmp_cand);
  for (uint32_t i = 0; i < nc; i++) l->order[i] = l->sk[i].idx;
  uint32_t m = 0;
  for (uint32_t i = 0; i < nc; i++) {
    if (m && gx_hash_eq(&l->cand[l->order[m - 1]].id, &l->cand[l->order[i]].id)) {
      b->duplicates++;
      continue;
    }
    l->order[m++] = l->order[i];
  }

  /* 3. passes */
  l->pending = 1;
  uint32_t left = m;
  for (uint32_t pass = 0; left && pass < GX_LEDGER_MAX_PASSES; pass++) {
    uint32_t keep = 0, accepted = 0;
    int last_pass = pass + 1 == GX_LEDGER_MAX_PASSES;
    b->passes = pass + 1;
    for (uint32_t i = 0; i < left; i++) {
      uint32_t ci = l->order[i];
      const gx_pubkey_t *eq_acct = NULL;
      const uint8_t *eq_first = NULL;
      int r = gx_ledger_try(l, ci, verified, verified_ctx, &eq_acct, &eq_first);
      if (r == GX_LEDGER_ACCEPT) { accepted++; continue; }
      if (r == GX_LEDGER_FULL) {
        gx_ledger_clear_pending(l);
        return GX_LEDGER_EFULL;
      }
      l->cand[ci].reason = (uint8_t)r;
      if ((r == GX_LEDGER_REJ_SEQ_GAP || r == GX_LEDGER_REJ_OVERDRAFT) && !last_pass) {
        l->order[keep++] = ci;
        continue;
      }
      if (r == GX_LEDGER_REJ_EQUIVOCATION) gx_ledger_record_eq(l, eq_acct, eq_first, &l->cand[ci]);
      gx_ledger_reject(l, ci, (gx_ledger_reject_t)r);
    }
    left = keep;
    if (!accepted) break;
  }
  for (uint32_t i = 0; i < left; i++) gx_ledger_reject(l, l->order[i], (gx_ledger_reject_t)l->cand[l->order[i]].reason);

  gx_ledger_err_t e = gx_ledger_finish(l, epoch);
  if (e) {
    gx_ledger_clear_pending(l);
    return e;
  }
  *out = *b;
  return GX_LEDGER_OK;
}

gx_ledger_err_t gx_ledger_apply_blackhole(gx_ledger_t *l, const uint8_t *buf, size_t len,
                                          gx_ledger_verified_fn_t verified, void *verified_ctx,
                                          gx_ledger_block_t *out) {
  if (!l || !buf || !out) return GX_LEDGER_EINVAL;
  if (l->pending) return GX_LEDGER_EPENDING;
  if (!l->has_genesis) return GX_LEDGER_EGENESIS;
  memset(&l->blk, 0, sizeof l->blk);
  gx_ledger_block_t *b = &l->blk;
  gx_bh_header_t h;
  const uint8_t *xf;
  if (gx_bh_decode(&h, &xf, buf, len) != GX_PROTO_OK) return GX_LEDGER_EDECODE;
  if (h.height != l->height + 1) return GX_LEDGER_EHEIGHT;
  if (!gx_hash_eq(&h.prev, &l->tip)) return GX_LEDGER_EPREV;
  if (h.tx_count > l->max_txs) return GX_LEDGER_ETOOBIG;
  /* Copy first: the result must not point into the caller's buffer. */
  memcpy(l->bh, buf, len);
  const uint8_t *body = l->bh + (xf - buf);
  for (uint32_t i = 0; i < h.tx_count; i++) {
    gx_ledger_cand_t *c = &l->cand[i];
    c->enc = body + (size_t)i * GX_XFER_SZ;
    if (gx_xfer_decode(&c->x, c->enc, GX_XFER_SZ) != GX_PROTO_OK) return GX_LEDGER_EDECODE;
    gx_xfer_id(&c->id, c->enc);
    c->sig_state = 0;
    l->tx_ids[i] = c->id;
  }
  gx_hash_t root;
  if (gx_bh_entries_root(&root, &h.prev, l->tx_ids, h.tx_count, l->scratch) ||
      !gx_hash_eq(&root, &h.entries_root))
    return GX_LEDGER_EENTRIES;
  l->pending = 1;
  for (uint32_t i = 0; i < h.tx_count; i++) {
    const gx_pubkey_t *eq_acct = NULL;
    const uint8_t *eq_first = NULL;
    int r = gx_ledger_try(l, i, verified, verified_ctx, &eq_acct, &eq_first);
    if (r == GX_LEDGER_ACCEPT) continue;
    gx_ledger_clear_pending(l);
    if (r == GX_LEDGER_FULL) return GX_LEDGER_EFULL;
    out->fail_index = i;
    out->fail_reason = (gx_ledger_reject_t)r;
    return GX_LEDGER_ETX;
  }
  b->passes = 1;
  gx_ledger_err_t e = gx_ledger_finish(l, h.epoch);
  if (e == GX_LEDGER_OK && !gx_bh_header_eq(&b->header, &h)) e = GX_LEDGER_ESTATE;
  if (e) {
    gx_ledger_clear_pending(l);
    return e;
  }
  *out = *b;
  return GX_LEDGER_OK;
}

gx_ledger_err_t gx_ledger_commit(gx_ledger_t *l) {
  if (!l) return GX_LEDGER_EINVAL;
  if (!l->pending) return GX_LEDGER_ENOPENDING;
  GX_ASSERT(l->blk.header.height == l->height + 1, "committing height %llu on top of height %llu",
            (unsigned long long)l->blk.header.height, (unsigned long long)l->height);
  for (uint32_t i = 0; i < l->touch_n; i++) {
    int full = gx_ledger_put(l, l->touch[i].u.account.b, &l->touch[i].u.state);
    /* apply counted the new accounts against max_accounts (gx_ledger_set) */
    GX_ASSERT(!full, "account table full while committing height %llu (%u accounts, max %u)",
              (unsigned long long)l->blk.header.height, l->count, l->cfg.max_accounts);
  }
  l->height = l->blk.header.height;
  l->tip = l->blk.id;
  l->state_root = l->blk.header.state_root;
  gx_ledger_clear_pending(l);
  return GX_LEDGER_OK;
}

gx_ledger_err_t gx_ledger_abort(gx_ledger_t *l) {
  if (!l) return GX_LEDGER_EINVAL;
  if (!l->pending) return GX_LEDGER_ENOPENDING;
  gx_ledger_clear_pending(l);
  return GX_LEDGER_OK;
}

gx_ledger_err_t gx_ledger_encode_blackhole(const gx_ledger_t *l, uint8_t *out, size_t cap,
                                           size_t *len) {
  if (!l || !out || !len) return GX_LEDGER_EINVAL;
  if (!l->pending) return GX_LEDGER_ENOPENDING;
  size_t n = gx_bh_encode(out, cap, &l->blk.header, l->blk.xfers);
  if (!n) return GX_LEDGER_ESMALL;
  *len = n;
  return GX_LEDGER_OK;
}

int gx_ledger_bh_hash(void *ctx, const uint8_t *body, uint32_t body_len, gx_hash_t *hash) {
  (void)ctx;
  gx_bh_header_t h;
  const uint8_t *xf;
  if (gx_bh_decode(&h, &xf, body, body_len) != GX_PROTO_OK) return -1;
  gx_bh_id(hash, &h);
  return 0;
}
