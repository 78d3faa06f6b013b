/* The galaxy sink: a finished black hole is appended to the store and synced,
 * the ledger commits it, the pool learns what committed and what was
 * rejected, the rejected transfers' outcomes are kept for the API, and the
 * block id is signed and gossiped; the committee's signatures are collected
 * into certificates (f+1), kept in a ring for the API and stored. On the
 * commit stage's thread, but for the certificate ring (cert_lock) and the
 * rejected transfers' table (rej_lock), which the API reads. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_assert.h"
#include "core/gx_log.h"
#include "core/gx_util.h"
#include "validator/gx_commit_int.h"

/* ---- certificates ---- */
void gx_galaxy_sink_store_cert(gx_commit_t *c, uint64_t height, const gx_cert_t *cert) {
  gx_galaxy_sink_t *s = &c->gs;
  gx_commit_cert_slot_t *slot = &s->certs[height % GX_COMMIT_CERT_RING];
  pthread_mutex_lock(&s->cert_lock);
  size_t len = gx_cert_encode(cert, slot->bytes, sizeof slot->bytes);
  slot->height = len ? height : 0;
  slot->len = (uint16_t)len;
  pthread_mutex_unlock(&s->cert_lock);
  if (!len) return;
  atomic_fetch_add(&c->st_certs, 1);
  if (gx_store_put_cert(c->store, height, slot->bytes, len) != GX_STORE_OK)
    GX_WARN("commit", "cannot store the certificate of black hole %llu", (unsigned long long)height);
}

int gx_commit_cert(gx_commit_t *c, uint64_t height, uint8_t *out, size_t cap, size_t *len) {
  gx_galaxy_sink_t *s = &c->gs;
  int rc = -1;
  pthread_mutex_lock(&s->cert_lock);
  gx_commit_cert_slot_t *slot = &s->certs[height % GX_COMMIT_CERT_RING];
  if (slot->height == height && height && slot->len <= cap) {
    memcpy(out, slot->bytes, slot->len);
    *len = slot->len;
    rc = 0;
  }
  pthread_mutex_unlock(&s->cert_lock);
  if (rc != 0 && gx_store_get_cert(c->store, height, out, cap, len) == GX_STORE_OK) rc = 0;
  return rc;
}

/* The collector of the committee that certifies height. */
static gx_cert_collector_t *gx_galaxy_sink_collector(gx_galaxy_sink_t *s, uint64_t height) {
  if (height >= s->cert_boundary) return &s->collector;
  return s->have_prev ? &s->prev_collector : NULL;
}

static void gx_galaxy_sink_sign(gx_commit_t *c, uint64_t height, const gx_hash_t *id) {
  gx_galaxy_sink_t *s = &c->gs;
  int self = gx_epoch_member(c->drv.epoch);
  if (self < 0 || height < s->cert_boundary) return; /* not a signer of this height */
  gx_bh_sig_msg_t m = {.height = height, .bh_id = *id, .index = (uint16_t)self};
  if (c->cfg.byzantine & GX_COMMIT_BYZ_BADSIG) m.bh_id.b[0] ^= 0xff; /* a block nobody committed */
  gx_cert_sign(&m.sig, &m.bh_id, c->cfg.key->identity.sk);
  memmove(&s->my_sigs[1], &s->my_sigs[0], sizeof s->my_sigs - sizeof s->my_sigs[0]);
  s->my_sigs[0] = m;
  uint8_t buf[GX_BH_SIG_MSG_SZ];
  gx_bh_sig_msg_encode(&m, buf);
  gx_driver_send_all(c, buf, sizeof buf);
  gx_cert_t cert;
  int r = gx_cert_collector_add(&s->collector, &m, &cert);
  if (r == 1) gx_galaxy_sink_store_cert(c, height, &cert);
  r = gx_cert_collector_expect(&s->collector, height, id, &cert);
  if (r == 1) gx_galaxy_sink_store_cert(c, height, &cert);
}

/* Re-sends our recent signatures: certificates complete over lossy links. */
void gx_galaxy_sink_resend(gx_commit_t *c) {
  gx_galaxy_sink_t *s = &c->gs;
  for (size_t i = 0; i < GX_ARRAY_LEN(s->my_sigs); i++) {
    if (!s->my_sigs[i].height || s->my_sigs[i].height < s->cert_boundary) continue;
    uint8_t buf[GX_BH_SIG_MSG_SZ];
    gx_bh_sig_msg_encode(&s->my_sigs[i], buf);
    gx_driver_send_all(c, buf, sizeof buf);
  }
}

void gx_galaxy_sink_on_sig(gx_commit_t *c, const uint8_t *msg, size_t len) {
  gx_galaxy_sink_t *s = &c->gs;
  gx_bh_sig_msg_t m;
  if (gx_bh_sig_msg_decode(&m, msg, len) != GX_CERT_OK) return;
  uint64_t h = gx_ledger_height(c->ledger);
  if (m.height > h + 2) c->sync.need = 1; /* peers are committing heights we lack */
  if (m.height + GX_CERT_WINDOW / 2 < h) return;
  gx_cert_collector_t *col = gx_galaxy_sink_collector(s, m.height);
  gx_cert_t cert;
  if (col && gx_cert_collector_add(col, &m, &cert) == 1) gx_galaxy_sink_store_cert(c, m.height, &cert);
}

void gx_galaxy_sink_rekey(gx_commit_t *c, const gx_cert_set_t *set, uint64_t first_height) {
  gx_galaxy_sink_t *s = &c->gs;
  if (s->cert_boundary) { /* the running committee's collector finishes the heights below */
    s->prev_collector = s->collector;
    s->have_prev = 1;
  }
  gx_cert_collector_init(&s->collector, set, first_height);
  s->cert_boundary = first_height;
}

/* ---- rejected transfers (gx_commit_rejected) ----
 * GX_COMMIT_REJECTED_KEPT entries in sets of GX_GALAXY_SINK_REJ_WAYS; an id's
 * set is a keyed hash of it (clients choose ids, so they cannot aim at one
 * set without the key). Within a set an id is replaced in place, else the
 * oldest entry (smallest stamp; 0: free) makes room. */
#define GX_GALAXY_SINK_REJ_WAYS 4
#define GX_GALAXY_SINK_REJ_SETS (GX_COMMIT_REJECTED_KEPT / GX_GALAXY_SINK_REJ_WAYS)
struct gx_galaxy_sink_rej {
  gx_hash_t id;
  uint64_t stamp; /* 0: free */
  uint64_t height;
  uint8_t reason;
};

static struct gx_galaxy_sink_rej *gx_galaxy_sink_rej_set(gx_galaxy_sink_t *s, const gx_hash_t *id) {
  uint8_t h[crypto_shorthash_BYTES];
  crypto_shorthash(h, id->b, sizeof id->b, s->rej_key);
  return &s->rej[(gx_ld64(h) % GX_GALAXY_SINK_REJ_SETS) * GX_GALAXY_SINK_REJ_WAYS];
}

/* Under rej_lock. */
static void gx_galaxy_sink_rej_put(gx_galaxy_sink_t *s, const gx_hash_t *id, gx_ledger_reject_t r,
                                   uint64_t height) {
  struct gx_galaxy_sink_rej *set = gx_galaxy_sink_rej_set(s, id), *e = &set[0];
  for (int w = 0; w < GX_GALAXY_SINK_REJ_WAYS; w++) {
    if (set[w].stamp && !memcmp(set[w].id.b, id->b, 32)) { e = &set[w]; break; }
    if (set[w].stamp < e->stamp) e = &set[w];
  }
  e->id = *id;
  e->stamp = ++s->rej_stamp;
  e->height = height;
  e->reason = (uint8_t)r;
}

int gx_commit_rejected(gx_commit_t *c, const gx_hash_t *id, gx_commit_rejection_t *out) {
  gx_galaxy_sink_t *s = &c->gs;
  int rc = -1;
  pthread_mutex_lock(&s->rej_lock);
  struct gx_galaxy_sink_rej *set = gx_galaxy_sink_rej_set(s, id);
  for (int w = 0; w < GX_GALAXY_SINK_REJ_WAYS; w++)
    if (set[w].stamp && !memcmp(set[w].id.b, id->b, 32)) {
      out->reason = (gx_ledger_reject_t)set[w].reason;
      out->height = set[w].height;
      rc = 0;
      break;
    }
  pthread_mutex_unlock(&s->rej_lock);
  return rc;
}

void gx_commit_note_rejected(gx_commit_t *c, const gx_hash_t *id, gx_ledger_reject_t reason) {
  gx_galaxy_sink_t *s = &c->gs;
  pthread_mutex_lock(&s->rej_lock);
  gx_galaxy_sink_rej_put(s, id, reason, 0);
  pthread_mutex_unlock(&s->rej_lock);
}

/* The transfers block b left out, once it is final. */
static void gx_galaxy_sink_keep_rejections(gx_commit_t *c, const gx_ledger_block_t *b) {
  gx_galaxy_sink_t *s = &c->gs;
  if (!b->rejection_count) return;
  pthread_mutex_lock(&s->rej_lock);
  for (uint32_t i = 0; i < b->rejection_count; i++)
    gx_galaxy_sink_rej_put(s, &b->rejections[i].id, b->rejections[i].reason, b->header.height);
  pthread_mutex_unlock(&s->rej_lock);
}

/* ---- finishing a block ---- */
/* Tells the pool what committed (each touched account's new head) and which
 * agreed transfers the ledger rejected. */
static void gx_galaxy_sink_tell_pool(gx_commit_t *c, const gx_ledger_block_t *b) {
  gx_galaxy_sink_t *s = &c->gs;
  gx_txpool_t *pool = c->cfg.pool;
  GX_ASSERT(b->update_count <= s->max_heads, "block touched %u accounts, room for %zu",
            b->update_count, s->max_heads);
  for (uint32_t i = 0; i < b->update_count; i++) {
    s->head_accounts[i] = b->updates[i].account;
    s->head_seqs[i] = b->updates[i].state.seq;
  }
  pool->committed(pool->ctx, s->head_accounts, s->head_seqs, b->update_count,
                  (const uint8_t *const *)c->app.drop, c->app.drop_ids, c->app.n_drop);
}

static int gx_galaxy_sink_finish(void *ctx, const gx_ledger_block_t *b, int sign) {
  gx_commit_t *c = ctx;
  gx_galaxy_sink_t *s = &c->gs;
  GX_ASSERT(b->update_count <= s->max_heads, "block touched %u accounts, room for %zu",
            b->update_count, s->max_heads);
  for (uint32_t i = 0; i < b->update_count; i++) { /* the ledger's updates as store records */
    memcpy(s->store_updates[i].key, b->updates[i].account.b, 32);
    s->store_updates[i].state.balance = b->updates[i].state.balance;
    s->store_updates[i].state.seq = b->updates[i].state.seq;
    s->store_updates[i].state.head = b->updates[i].state.head;
  }
  gx_store_block_t sb = {
    .height = b->header.height, .hash = b->id, .body = b->encoded,
    .body_len = (uint32_t)b->encoded_len, .tx_hashes = b->tx_ids, .tx_count = b->tx_count,
    .updates = s->store_updates, .update_count = b->update_count,
  };
  gx_store_err_t se = gx_store_append(c->store, &sb);
  if (se == GX_STORE_OK) se = gx_store_sync(c->store);
  if (se != GX_STORE_OK) {
    pthread_mutex_lock(&c->ledger_lock);
    gx_ledger_abort(c->ledger);
    pthread_mutex_unlock(&c->ledger_lock);
    char why[1024];
    snprintf(why, sizeof why, "cannot store black hole %llu: %s",
             (unsigned long long)b->header.height, gx_store_last_error(c->store)->msg);
    gx_commit_fail(c, why);
    return -1;
  }
  pthread_mutex_lock(&c->ledger_lock);
  gx_ledger_commit(c->ledger);
  pthread_mutex_unlock(&c->ledger_lock);
  atomic_store(&c->st_height, b->header.height);
  atomic_fetch_add(&c->st_blocks, 1);
  atomic_fetch_add(&c->st_txs, b->tx_count);
  if (!b->tx_count) atomic_fetch_add(&c->st_empty, 1);
  atomic_fetch_add(&c->st_equiv, b->equivocation_count);
  for (int r = 0; r < GX_LEDGER_REJ__COUNT; r++) atomic_fetch_add(&c->st_rejected[r], b->rejected[r]);
  gx_galaxy_sink_keep_rejections(c, b);
  for (uint32_t i = 0; i < b->equivocation_count; i++) {
    char acct[65];
    gx_hex_encode(acct, b->equivocations[i].account.b, 32);
    GX_WARN("commit", "equivocation by %s at seq %llu recorded in black hole %llu", acct,
            (unsigned long long)b->equivocations[i].seq, (unsigned long long)b->header.height);
  }
  if (c->cfg.pool) gx_galaxy_sink_tell_pool(c, b);
  if (sign) gx_galaxy_sink_sign(c, b->header.height, &b->id);
  if (b->header.height > GX_CERT_WINDOW / 2) {
    uint64_t low = b->header.height - GX_CERT_WINDOW / 2;
    if (low >= s->cert_boundary) gx_cert_collector_advance(&s->collector, low);
    else if (s->have_prev) gx_cert_collector_advance(&s->prev_collector, low);
  }
  return 0;
}

/* ---- restart ---- */
typedef struct { gx_commit_t *c; size_t n; } gx_galaxy_sink_seed_t;

static void gx_galaxy_sink_seed_flush(gx_galaxy_sink_seed_t *sd) {
  gx_txpool_t *pool = sd->c->cfg.pool;
  if (sd->n) pool->committed(pool->ctx, sd->c->gs.head_accounts, sd->c->gs.head_seqs, sd->n, NULL, NULL, 0);
  sd->n = 0;
}

static int gx_galaxy_sink_seed_account(void *ctx, const uint8_t key[32], const gx_store_account_t *a) {
  gx_galaxy_sink_seed_t *sd = ctx;
  gx_galaxy_sink_t *s = &sd->c->gs;
  if (!a->seq) return 0;
  memcpy(s->head_accounts[sd->n].b, key, 32);
  s->head_seqs[sd->n++] = a->seq;
  if (sd->n == s->max_heads) gx_galaxy_sink_seed_flush(sd);
  return 0;
}

void gx_galaxy_sink_seed_pool(gx_commit_t *c) {
  if (!c->cfg.pool) return;
  gx_galaxy_sink_seed_t sd = {c, 0};
  gx_store_accounts(c->store, gx_galaxy_sink_seed_account, &sd);
  gx_galaxy_sink_seed_flush(&sd);
}

/* ---- lifecycle ---- */
int gx_galaxy_sink_open(gx_commit_t *c, char *err, size_t errlen) {
  gx_galaxy_sink_t *s = &c->gs;
  pthread_mutex_init(&s->cert_lock, NULL);
  pthread_mutex_init(&s->rej_lock, NULL);
  randombytes_buf(s->rej_key, sizeof s->rej_key);
  s->rej = calloc(GX_COMMIT_REJECTED_KEPT, sizeof *s->rej);
  s->max_heads = 2 * c->max_bh_txs; /* two parties a transfer */
  s->store_updates = malloc(s->max_heads * sizeof *s->store_updates);
  s->head_accounts = malloc(s->max_heads * sizeof *s->head_accounts);
  s->head_seqs = malloc(s->max_heads * sizeof *s->head_seqs);
  s->certs = calloc(GX_COMMIT_CERT_RING, sizeof *s->certs);
  if (!s->store_updates || !s->head_accounts || !s->head_seqs || !s->certs || !s->rej) {
    snprintf(err, errlen, "out of memory for the sink's buffers");
    return -1;
  }
  c->sink = (gx_sink_t){c, gx_galaxy_sink_finish};
  return 0;
}

void gx_galaxy_sink_close(gx_commit_t *c) {
  gx_galaxy_sink_t *s = &c->gs;
  free(s->store_updates);
  free(s->head_accounts);
  free(s->head_seqs);
  free(s->certs);
  free(s->rej);
  s->rej = NULL;
  pthread_mutex_destroy(&s->cert_lock);
  pthread_mutex_destroy(&s->rej_lock);
}
