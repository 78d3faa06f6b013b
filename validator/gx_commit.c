#include "validator/gx_commit.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "consensus/gx_acs.h"
#include "core/gx_log.h"
#include "core/gx_util.h"
#include "dataplane/gx_link.h"
#include "dataplane/gx_pkt.h"
#include "dataplane/gx_sock.h"
#include "validator/gx_cert.h"

#define GX_COMMIT_CERT_RING 4096
#define GX_COMMIT_RECV_BATCH 64
#define GX_COMMIT_TX_BATCH GX_DP_BURST
#define GX_COMMIT_DGRAM_MAX 2048

/* Every sealed consensus datagram fits one UDP payload of a 1500-byte MTU,
 * IPv6 included: the DPDK link channel does not fragment (and the kernel
 * need not). */
_Static_assert(GX_CMSG_MAX + GX_LINK_OVERHEAD <= GX_PKT_UDP6_PAYLOAD_MAX,
               "a sealed consensus message must fit one IPv6 UDP payload");

typedef struct {
  uint64_t height;
  uint16_t len;
  uint8_t bytes[GX_CERT_MAX_SZ];
} gx_commit_cert_slot_t;

struct gx_commit {
  gx_commit_cfg_t cfg;
  const gx_genesis_t *g;
  uint16_t self, n, f;
  /* consensus */
  gx_acs_t *acs;
  void *acs_mem;
  gx_coin_pub_t coin_pub;
  uint64_t proposed_epoch; /* last epoch we proposed in, +1 (0: none) */
  uint64_t epoch_started_ns;
  uint64_t last_proposal_ns; /* when we last proposed (epoch_interval_ms) */
  /* links */
  gx_link_t link;
  gx_sock_t *sock;   /* our own UDP socket when cfg.link_queue is NULL */
  gx_dp_queue_t *net;/* the links' datagrams: cfg.link_queue or the socket's queue */
  gx_addr_t peer_addr[GX_GENESIS_MAX_VALIDATORS];
  uint8_t *out_buf;  /* GX_COMMIT_TX_BATCH sealed datagrams, sent with one tx_burst */
  const uint8_t *out_ptr[GX_COMMIT_TX_BATCH];
  uint16_t out_len[GX_COMMIT_TX_BATCH];
  gx_addr_t out_dst[GX_COMMIT_TX_BATCH];
  int n_out;
  /* ledger + store */
  pthread_mutex_t ledger_lock; /* the ledger is read by API threads */
  gx_ledger_t *ledger;
  void *ledger_mem;
  gx_store_t *store;
  uint8_t *proposal;        /* batch_max * GX_XFER_SZ */
  /* certificates */
  gx_cert_collector_t collector;
  gx_cert_set_t cert_set;
  pthread_mutex_t cert_lock;
  gx_commit_cert_slot_t *certs; /* ring by height */
  gx_bh_sig_msg_t my_sigs[8];   /* our last signatures, re-sent on tick */
  /* sync */
  uint8_t *sync_buf;
  size_t sync_len, sync_cap;
  int need_sync;
  uint64_t last_future_drops;
  /* thread */
  pthread_t thread;
  _Atomic int stop, running;
  /* status (written by the stage thread, read anywhere) */
  _Atomic uint64_t st_height, st_blocks, st_txs, st_certs, st_empty, st_equiv, st_synced,
      st_sync_fail, st_next_epoch;
  _Atomic uint64_t st_rejected[GX_LEDGER_REJ__COUNT];
  _Atomic uint64_t st_link[GX_LINK_ERR__COUNT];
  _Atomic uint64_t st_acs_msgs_in, st_acs_msgs_out, st_acs_bytes_out;
  _Atomic uint64_t st_acs_drops[GX_ACS_ERR_COUNT]; /* by gx_acs_err_t reason */
  _Atomic uint64_t st_sig_checked; /* agreed transfers the ledger had to verify itself */
  _Atomic int st_syncing;
  gx_hash_t st_tip;
  char failure[1024];
  gx_hash_t *vids;     /* agreed transfers this node verified at ingest, sorted */
  uint8_t *vflags;
  size_t n_vids, max_txs;
  const uint8_t **xfer_ptrs; /* the agreed transfers of the epoch, batch order */
  gx_pubkey_t *head_accounts;/* what committed, for the pool */
  uint64_t *head_seqs;
  size_t max_heads;
  gx_hash_t *all_ids;  /* ids of every agreed transfer of the epoch, batch order */
  size_t n_ids;        /* how many all_ids holds for this epoch (0: not computed) */
  const uint8_t **drop;/* agreed transfers the ledger rejected (pointers into the batch) */
  gx_hash_t *drop_ids;
  size_t n_drop;
  gx_metrics_hist_t epoch_hist; /* propose -> commit, ns */
  gx_metrics_hist_t apply_hist; /* ledger apply + store, ns */
};

static uint64_t gx_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gx_commit_cfg_defaults(gx_commit_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->durability = GX_STORE_DURABLE_GROUP;
  cfg->tick_ms = 200;
  cfg->idle_epoch_ms = 500;
  cfg->epoch_interval_ms = 100;
  cfg->core = -1;
}

/* ---- links ------------------------------------------------------------------- */
/* Sends the queued datagrams. Loss is tolerated by design (idempotent
 * re-sends): what the backend refuses is dropped (and counted there). */
static void gx_commit_flush(gx_commit_t *c) {
  if (c->n_out) (void)gx_dp_tx_burst(c->net, c->out_dst, c->out_ptr, c->out_len, c->n_out);
  c->n_out = 0;
}

/* The next free outgoing slot (flushing when all are taken). */
static uint8_t *gx_commit_out_slot(gx_commit_t *c) {
  if (c->n_out == GX_COMMIT_TX_BATCH) gx_commit_flush(c);
  return c->out_buf + (size_t)c->n_out * GX_COMMIT_DGRAM_MAX;
}

static void gx_commit_out_push(gx_commit_t *c, unsigned to, const uint8_t *slot, size_t len) {
  c->out_ptr[c->n_out] = slot;
  c->out_len[c->n_out] = (uint16_t)len;
  c->out_dst[c->n_out] = c->peer_addr[to];
  c->n_out++;
}

static void gx_commit_send_to(gx_commit_t *c, unsigned to, const uint8_t *msg, size_t len) {
  uint8_t *slot = gx_commit_out_slot(c);
  size_t n = gx_link_seal(&c->link, (uint16_t)to, msg, len, slot, GX_COMMIT_DGRAM_MAX);
  if (n) gx_commit_out_push(c, to, slot, n);
}

static void gx_commit_send_all(gx_commit_t *c, const uint8_t *msg, size_t len) {
  for (unsigned i = 0; i < c->n; i++)
    if (i != c->self) gx_commit_send_to(c, i, msg, len);
}

static void gx_acs_send_cb(void *ctx, int dest, const uint8_t *msg, size_t len) {
  gx_commit_t *c = ctx;
  if (dest == GX_CMSG_ALL) gx_commit_send_all(c, msg, len);
  else if (dest >= 0 && dest < c->n) gx_commit_send_to(c, (unsigned)dest, msg, len);
}

/* ---- certificates ------------------------------------------------------------ */
static void gx_commit_store_cert(gx_commit_t *c, uint64_t height, const gx_cert_t *cert) {
  gx_commit_cert_slot_t *s = &c->certs[height % GX_COMMIT_CERT_RING];
  pthread_mutex_lock(&c->cert_lock);
  size_t len = gx_cert_encode(cert, s->bytes, sizeof s->bytes);
  s->height = len ? height : 0;
  s->len = (uint16_t)len;
  pthread_mutex_unlock(&c->cert_lock);
  if (!len) return;
  atomic_fetch_add(&c->st_certs, 1);
  if (gx_store_put_cert(c->store, height, s->bytes, len) != GX_STORE_OK)
    GX_WARN("commit", "cannot store the certificate of black hole %llu", (unsigned long long)height);
}

int gx_commit_cert(gx_commit_t *c, uint64_t height, uint8_t *out, size_t cap, size_t *len) {
  int rc = -1;
  pthread_mutex_lock(&c->cert_lock);
  gx_commit_cert_slot_t *s = &c->certs[height % GX_COMMIT_CERT_RING];
  if (s->height == height && height && s->len <= cap) {
    memcpy(out, s->bytes, s->len);
    *len = s->len;
    rc = 0;
  }
  pthread_mutex_unlock(&c->cert_lock);
  if (rc != 0 && gx_store_get_cert(c->store, height, out, cap, len) == GX_STORE_OK) rc = 0;
  return rc;
}

static void gx_commit_sign_and_gossip(gx_commit_t *c, uint64_t height, const gx_hash_t *id) {
  gx_bh_sig_msg_t m = {.height = height, .bh_id = *id, .index = c->self};
  if (c->cfg.byzantine & GX_COMMIT_BYZ_BADSIG) m.bh_id.b[0] ^= 0xff; /* a block nobody committed */
  gx_cert_sign(&m.sig, &m.bh_id, c->cfg.key->identity.sk);
  memmove(&c->my_sigs[1], &c->my_sigs[0], sizeof c->my_sigs - sizeof c->my_sigs[0]);
  c->my_sigs[0] = m;
  uint8_t buf[GX_BH_SIG_MSG_SZ];
  gx_bh_sig_msg_encode(&m, buf);
  gx_commit_send_all(c, buf, sizeof buf);
  gx_cert_t cert;
  int r = gx_cert_collector_add(&c->collector, &m, &cert);
  if (r == 1) gx_commit_store_cert(c, height, &cert);
  r = gx_cert_collector_expect(&c->collector, height, id, &cert);
  if (r == 1) gx_commit_store_cert(c, height, &cert);
}

/* Re-sends our recent signatures: certificates complete over lossy links. */
static void gx_commit_resend_sigs(gx_commit_t *c) {
  for (size_t i = 0; i < GX_ARRAY_LEN(c->my_sigs); i++) {
    if (!c->my_sigs[i].height) continue;
    uint8_t buf[GX_BH_SIG_MSG_SZ];
    gx_bh_sig_msg_encode(&c->my_sigs[i], buf);
    gx_commit_send_all(c, buf, sizeof buf);
  }
}

static void gx_commit_on_sig(gx_commit_t *c, const uint8_t *msg, size_t len) {
  gx_bh_sig_msg_t m;
  if (gx_bh_sig_msg_decode(&m, msg, len) != GX_CERT_OK) return;
  uint64_t h = gx_ledger_height(c->ledger);
  if (m.height > h + 2) c->need_sync = 1; /* peers are committing heights we lack */
  if (m.height + GX_CERT_WINDOW / 2 < h) return;
  gx_cert_t cert;
  if (gx_cert_collector_add(&c->collector, &m, &cert) == 1) gx_commit_store_cert(c, m.height, &cert);
}

/* ---- commit ------------------------------------------------------------------- */
static void gx_commit_fail(gx_commit_t *c, const char *what) {
  snprintf(c->failure, sizeof c->failure, "%s", what);
  GX_ERROR("commit", "stopping the commit stage: %s", what);
  atomic_store(&c->stop, 1);
}

/* Tells the pool what committed (each touched account's new head) and which
 * agreed transfers the ledger rejected. */
static void gx_commit_tell_pool(gx_commit_t *c, const gx_ledger_block_t *b) {
  gx_txpool_t *pool = c->cfg.pool;
  uint32_t n = b->update_count < c->max_heads ? b->update_count : (uint32_t)c->max_heads;
  for (uint32_t i = 0; i < n; i++) {
    memcpy(c->head_accounts[i].b, b->updates[i].key, 32);
    c->head_seqs[i] = b->updates[i].state.seq;
  }
  pool->committed(pool->ctx, c->head_accounts, c->head_seqs, n, (const uint8_t *const *)c->drop,
                  c->drop_ids, c->n_drop);
}

/* Stores the pending block, commits the ledger, tells the mempool, signs. */
static int gx_commit_finish_block(gx_commit_t *c, const gx_ledger_block_t *b, int gossip_sig) {
  gx_store_block_t sb = {
    .height = b->header.height, .hash = b->id, .body = b->encoded,
    .body_len = (uint32_t)b->encoded_len, .tx_hashes = b->tx_ids, .tx_count = b->tx_count,
    .updates = b->updates, .update_count = b->update_count,
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
  c->st_tip = b->id;
  for (uint32_t i = 0; i < b->equivocation_count; i++) {
    char acct[65];
    gx_hex_encode(acct, b->equivocations[i].account.b, 32);
    GX_WARN("commit", "equivocation by %s at seq %llu recorded in black hole %llu", acct,
            (unsigned long long)b->equivocations[i].seq, (unsigned long long)b->header.height);
  }
  if (c->cfg.pool) gx_commit_tell_pool(c, b);
  c->n_drop = 0;
  if (gossip_sig) gx_commit_sign_and_gossip(c, b->header.height, &b->id);
  if (b->header.height > GX_CERT_WINDOW / 2)
    gx_cert_collector_advance(&c->collector, b->header.height - GX_CERT_WINDOW / 2);
  return 0;
}


static int gx_commit_hash_cmp(const void *a, const void *b) { return memcmp(a, b, GX_HASH_SZ); }

static int gx_commit_verified(void *ctx, const gx_hash_t *id) {
  gx_commit_t *c = ctx;
  return bsearch(id, c->vids, c->n_vids, sizeof *c->vids, gx_commit_hash_cmp) != NULL;
}

/* Collects the ids of agreed transfers sitting in our mempool (verified at
 * ingest), so the ledger does not verify their signatures a second time. */
static void gx_commit_collect_verified(gx_commit_t *c, const gx_acs_batch_t *batch) {
  c->n_vids = 0;
  c->n_ids = 0;
  gx_txpool_t *pool = c->cfg.pool;
  if (!pool) return;
  size_t total = 0;
  for (unsigned i = 0; i < batch->count; i++) total += batch->len[i] / GX_XFER_SZ;
  if (total > c->max_txs) return; /* the ledger refuses oversized proposals anyway */
  size_t k = 0;
  for (unsigned i = 0; i < batch->count; i++)
    for (uint32_t off = 0; off + GX_XFER_SZ <= batch->len[i] && k < total; off += GX_XFER_SZ, k++) {
      c->xfer_ptrs[k] = batch->value[i] + off;
      gx_xfer_id(&c->all_ids[k], c->xfer_ptrs[k]);
    }
  memset(c->vflags, 0, total);
  pool->held(pool->ctx, c->xfer_ptrs, c->all_ids, total, c->vflags);
  c->n_ids = total; /* the ledger and the rejected list reuse them */
  /* Not in our mempool yet (still queued in our ingest, or never gossiped to
   * us): verify them here, and tell the ingest, whose workers would otherwise
   * verify the same transfers again when they reach them. A transfer failing
   * here is left to the ledger, which checks it again and rejects it. */
  size_t t = 0;
  for (unsigned i = 0; i < batch->count; i++)
    for (uint32_t off = 0; off + GX_XFER_SZ <= batch->len[i] && t < total; off += GX_XFER_SZ, t++) {
      if (c->vflags[t]) continue;
      const uint8_t *x = batch->value[i] + off;
      atomic_fetch_add(&c->st_sig_checked, 1);
      if (gx_xfer_verify_enc(x) != GX_XFER_VERIFY_OK) continue;
      c->vflags[t] = 1;
      pool->verified(pool->ctx, x);
    }
  for (k = 0; k < total; k++)
    if (c->vflags[k]) c->vids[c->n_vids++] = c->all_ids[k];
  qsort(c->vids, c->n_vids, sizeof *c->vids, gx_commit_hash_cmp);
}

/* The agreed transfers the ledger rejected, to be dropped from our mempool
 * (otherwise they would be proposed, and rejected, every epoch). */
static void gx_commit_collect_rejected(gx_commit_t *c, const gx_acs_batch_t *batch,
                                       const gx_ledger_block_t *blk) {
  c->n_drop = 0;
  if (!c->cfg.pool || !blk->rejection_count) return;
  size_t k = 0;
  for (unsigned i = 0; i < batch->count; i++)
    for (uint32_t off = 0; off + GX_XFER_SZ <= batch->len[i] && k < c->max_txs; off += GX_XFER_SZ, k++) {
      const uint8_t *x = batch->value[i] + off;
      gx_hash_t id;
      if (k < c->n_ids) id = c->all_ids[k];
      else gx_xfer_id(&id, x);
      for (uint32_t r = 0; r < blk->rejection_count && c->n_drop < c->max_txs; r++)
        if (gx_hash_eq(&blk->rejections[r].id, &id)) {
          c->drop[c->n_drop] = x;
          c->drop_ids[c->n_drop++] = id;
          break;
        }
    }
}

static void gx_acs_deliver_cb(void *ctx, const gx_acs_batch_t *batch) {
  gx_commit_t *c = ctx;
  if (atomic_load(&c->stop)) return;
  uint64_t t0 = gx_now_ns();
  /* The ledger verifies every signature of transfers this node has not
   * verified itself; correctness never depends on this shortcut. */
  gx_commit_collect_verified(c, batch);
  pthread_mutex_lock(&c->ledger_lock);
  gx_ledger_block_t blk;
  gx_ledger_err_t e = gx_ledger_apply_epoch_ids(c->ledger, batch->epoch, batch->value, batch->len,
                                                batch->count, c->n_ids ? c->all_ids : NULL,
                                                gx_commit_verified, c, &blk);
  pthread_mutex_unlock(&c->ledger_lock);
  if (e != GX_LEDGER_OK) {
    char why[256];
    snprintf(why, sizeof why, "ledger cannot apply epoch %llu: %s",
             (unsigned long long)batch->epoch, gx_ledger_strerror(e));
    gx_commit_fail(c, why);
    return;
  }
  gx_commit_collect_rejected(c, batch, &blk);
  if (gx_commit_finish_block(c, &blk, 1) != 0) return;
  uint64_t t1 = gx_now_ns();
  gx_metrics_hist_observe(&c->apply_hist, t1 - t0);
  if (c->epoch_started_ns) gx_metrics_hist_observe(&c->epoch_hist, t1 - c->epoch_started_ns);
  c->epoch_started_ns = 0;
  atomic_store(&c->st_next_epoch, batch->epoch + 1);
}

/* ---- proposing ---------------------------------------------------------------- */

static void gx_commit_byzantine_garbage(gx_commit_t *c) {
  uint8_t junk[600];
  randombytes_buf(junk, sizeof junk);
  junk[0] = 1;
  for (unsigned t = 0x40; t < 0x48; t++) { /* authenticated, consensus-typed garbage */
    junk[1] = (uint8_t)t;
    gx_commit_send_all(c, junk, 20 + (size_t)(junk[2] % 500));
  }
  for (unsigned i = 0; i < c->n; i++) /* and unauthenticated garbage */
    if (i != c->self) {
      uint8_t *slot = gx_commit_out_slot(c);
      memcpy(slot, junk, sizeof junk);
      gx_commit_out_push(c, i, slot, sizeof junk);
    }
}

/* Proposals are split by account shard so that validators propose different
 * transfers (every mempool holds about the same ones, thanks to gossip): in
 * epoch e, validator i proposes the accounts of shard (i + e) mod n. Every
 * shard has exactly one proposer per epoch and a different one the next epoch,
 * so a silent or excluded validator delays a shard by one epoch, never more.
 * The mempool hands out only our shard's transfers (gx_mempool_take_shard);
 * what we proposed and was not included goes back when the epoch commits
 * (gx_mempool_untake_all). */
static uint32_t gx_commit_shard(const gx_commit_t *c, uint64_t epoch) {
  return (uint32_t)((c->self + epoch) % c->n);
}

/* Nanoseconds until epoch_interval_ms since our last proposal has passed (0:
 * it has). Until then we hold our proposal so that transfers gather into
 * fewer, larger epochs: each epoch costs every validator a fixed amount of
 * consensus messages, signatures, fsyncs and LMDB commits whatever its size,
 * and on a saturated host that CPU comes out of signature verification. A
 * peer that starts the epoch first ends the wait (gx_acs_epoch_active), so the
 * validators move together and no one is held up by our timer. */
static uint64_t gx_commit_interval_left(const gx_commit_t *c, uint64_t now) {
  uint64_t gap = (uint64_t)c->cfg.epoch_interval_ms * 1000000ull;
  if (!gap || !c->last_proposal_ns || now - c->last_proposal_ns >= gap) return 0;
  return gap - (now - c->last_proposal_ns);
}

static void gx_commit_maybe_propose(gx_commit_t *c, uint64_t now) {
  uint64_t epoch = gx_acs_next_epoch(c->acs);
  if (c->proposed_epoch == epoch + 1) return;
  if (gx_commit_interval_left(c, now) && !gx_acs_epoch_active(c->acs, epoch)) return;
  struct { size_t got; int any_ready; } a = {0, 0};
  gx_txpool_t *pool = c->cfg.pool;
  if (pool) a.got = pool->take_shard(pool->ctx, gx_commit_shard(c, epoch), c->n, c->proposal,
                                     c->cfg.batch_max, &a.any_ready);
  if (a.got == 0 && !a.any_ready) {
    /* Nothing to propose: wait a little, unless peers already run this epoch.
     * (Transfers of other shards only: propose our empty batch now, so the
     * epoch that carries them is not held up by our instance.) */
    if (!c->epoch_started_ns) c->epoch_started_ns = now;
    if (now - c->epoch_started_ns < (uint64_t)c->cfg.idle_epoch_ms * 1000000ull) return;
  }
  if (!c->epoch_started_ns || a.got || a.any_ready) c->epoch_started_ns = now;
  gx_acs_err_t e = gx_acs_propose(c->acs, epoch, c->proposal, (uint32_t)(a.got * GX_XFER_SZ));
  if (e != GX_ACS_OK && e != GX_ACS_ERR_PROPOSED) {
    GX_WARN("commit", "proposal for epoch %llu refused: %s", (unsigned long long)epoch,
            gx_acs_strerror(e));
    return;
  }
  c->proposed_epoch = epoch + 1;
  c->last_proposal_ns = now;
  if ((c->cfg.byzantine & GX_COMMIT_BYZ_EQUIVOCATE) && a.got) {
    /* a different value to every other peer: drop the last transfer */
    for (unsigned i = 0; i < c->n; i += 2)
      if (i != c->self)
        gx_acs_send_forged_val(c->acs, epoch, c->proposal, (uint32_t)((a.got - 1) * GX_XFER_SZ), i, -1);
  }
}

/* ---- sync ---------------------------------------------------------------------- */
static size_t gx_commit_curl_write(char *ptr, size_t size, size_t nmemb, void *ud) {
  gx_commit_t *c = ud;
  size_t n = size * nmemb;
  if (c->sync_len + n > c->sync_cap) return 0; /* larger than any valid object: abort */
  memcpy(c->sync_buf + c->sync_len, ptr, n);
  c->sync_len += n;
  return n;
}

/* GET url into sync_buf; 200 -> 0, anything else -1. */
static int gx_commit_fetch(gx_commit_t *c, CURL *curl, const char *url) {
  c->sync_len = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  if (curl_easy_perform(curl) != CURLE_OK) return -1;
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return status == 200 ? 0 : -1;
}

/* Fetches, checks and applies black holes from peers until none has more.
 * Returns how many were applied. */
static uint64_t gx_commit_sync(gx_commit_t *c) {
  if (!c->cfg.n_sync_peers) return 0;
  CURL *curl = curl_easy_init();
  if (!curl) return 0;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gx_commit_curl_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 500L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  atomic_store(&c->st_syncing, 1);
  uint64_t applied = 0;
  uint8_t cert[GX_CERT_MAX_SZ];
  for (int more = 1; more && !atomic_load(&c->stop);) {
    more = 0;
    uint64_t h = gx_ledger_height(c->ledger) + 1;
    for (int p = 0; p < c->cfg.n_sync_peers; p++) {
      char url[512];
      snprintf(url, sizeof url, "%s/v1/raw/cert/%llu", c->cfg.sync_peers[p], (unsigned long long)h);
      if (gx_commit_fetch(c, curl, url) != 0 || c->sync_len > sizeof cert) continue;
      size_t cert_len = c->sync_len;
      memcpy(cert, c->sync_buf, cert_len);
      snprintf(url, sizeof url, "%s/v1/raw/blackhole/%llu", c->cfg.sync_peers[p], (unsigned long long)h);
      if (gx_commit_fetch(c, curl, url) != 0) continue;
      uint64_t cert_h;
      gx_hash_t id;
      gx_cert_err_t ce = gx_cert_check_blackhole(&c->cert_set, c->sync_buf, c->sync_len, cert,
                                                 cert_len, &cert_h, &id);
      if (ce != GX_CERT_OK || cert_h != h) {
        GX_WARN("commit", "sync: black hole %llu from %s: bad certificate (%s)", (unsigned long long)h,
                c->cfg.sync_peers[p], gx_cert_strerror(ce));
        atomic_fetch_add(&c->st_sync_fail, 1);
        continue;
      }
      pthread_mutex_lock(&c->ledger_lock);
      gx_ledger_block_t blk;
      gx_ledger_err_t le = gx_ledger_apply_blackhole(c->ledger, c->sync_buf, c->sync_len, NULL, NULL, &blk);
      pthread_mutex_unlock(&c->ledger_lock);
      if (le != GX_LEDGER_OK) {
        GX_WARN("commit", "sync: black hole %llu from %s rejected: %s", (unsigned long long)h,
                c->cfg.sync_peers[p], gx_ledger_strerror(le));
        atomic_fetch_add(&c->st_sync_fail, 1);
        continue;
      }
      if (gx_commit_finish_block(c, &blk, 1) != 0) break;
      gx_cert_t certd;
      if (gx_cert_decode(&certd, cert, cert_len) == GX_CERT_OK) gx_commit_store_cert(c, h, &certd);
      atomic_fetch_add(&c->st_synced, 1);
      applied++;
      more = 1;
      break;
    }
  }
  curl_easy_cleanup(curl);
  if (applied) {
    uint64_t next = gx_ledger_height(c->ledger); /* epoch of the next black hole */
    gx_acs_skip_to(c->acs, next);
    atomic_store(&c->st_next_epoch, next);
    GX_INFO("commit", "synced %llu black holes from peers; resuming consensus at epoch %llu",
            (unsigned long long)applied, (unsigned long long)next);
  }
  atomic_store(&c->st_syncing, 0);
  return applied;
}

/* ---- the stage thread -------------------------------------------------------------- */
static void gx_commit_copy_stats(gx_commit_t *c) {
  const gx_acs_stats_t *s = gx_acs_stats(c->acs);
  atomic_store(&c->st_acs_msgs_in, s->msgs_in);
  atomic_store(&c->st_acs_msgs_out, s->msgs_out);
  atomic_store(&c->st_acs_bytes_out, s->bytes_out);
  for (int i = GX_ACS_DROP_DECODE; i < GX_ACS_ERR_COUNT; i++) atomic_store(&c->st_acs_drops[i], s->drop[i]);
  for (int i = 0; i < GX_LINK_ERR__COUNT; i++) atomic_store(&c->st_link[i], c->link.stats[i]);
  if (s->drop[GX_ACS_DROP_FUTURE] > c->last_future_drops + 16) c->need_sync = 1;
  c->last_future_drops = s->drop[GX_ACS_DROP_FUTURE];
}

static void *gx_commit_main(void *arg) {
  gx_commit_t *c = arg;
  if (c->cfg.core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(c->cfg.core, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  pthread_setname_np(pthread_self(), "gx-commit");
  atomic_store(&c->running, 1);
  gx_commit_sync(c); /* catch up before taking part */
  gx_dgram_t in[GX_COMMIT_RECV_BATCH];
  uint64_t next_tick = gx_now_ns() + (uint64_t)c->cfg.tick_ms * 1000000ull;
  uint64_t last_sync_try = 0;
  while (!atomic_load(&c->stop)) {
    uint64_t now = gx_now_ns();
    gx_commit_maybe_propose(c, now);
    int timeout = now >= next_tick ? 0 : (int)((next_tick - now) / 1000000ull);
    if (timeout > 20) timeout = 20; /* re-check proposals and stop regularly */
    uint64_t hold = gx_commit_interval_left(c, now);
    if (hold && c->proposed_epoch != gx_acs_next_epoch(c->acs) + 1 && (int)(hold / 1000000ull) < timeout)
      timeout = (int)(hold / 1000000ull) + 1; /* wake when our proposal is due */
    gx_commit_flush(c);
    if (gx_dp_rx_wait(c->net, timeout)) {
      int n = gx_dp_rx_burst(c->net, in, GX_COMMIT_RECV_BATCH);
      for (int i = 0; i < n && !atomic_load(&c->stop); i++) {
        uint16_t from;
        const uint8_t *p;
        size_t plen;
        if (gx_link_open(&c->link, in[i].payload, in[i].len, &from, &p, &plen) != GX_LINK_OK) continue;
        if (plen >= 2 && p[1] == GX_MSG_BH_SIG) gx_commit_on_sig(c, p, plen);
        else gx_acs_on_message(c->acs, from, p, plen);
      }
      if (n > 0) gx_dp_rx_release(c->net, in, n);
    }
    now = gx_now_ns();
    if (now >= next_tick) {
      gx_acs_tick(c->acs);
      gx_commit_resend_sigs(c);
      if (c->cfg.byzantine & GX_COMMIT_BYZ_GARBAGE) gx_commit_byzantine_garbage(c);
      gx_commit_copy_stats(c);
      next_tick = now + (uint64_t)c->cfg.tick_ms * 1000000ull;
      if (c->need_sync && now - last_sync_try > 1000000000ull) {
        last_sync_try = now;
        c->need_sync = 0;
        gx_commit_sync(c);
      }
    }
  }
  gx_commit_copy_stats(c);
  atomic_store(&c->running, 0);
  return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------------ */
static int gx_commit_store_hash(void *ctx, const uint8_t *body, uint32_t len, gx_hash_t *hash) {
  (void)ctx;
  gx_bh_header_t h;
  if (len < GX_BH_HDR_SZ || gx_bh_header_decode(&h, body, GX_BH_HDR_SZ) != GX_PROTO_OK) return -1;
  gx_bh_id(hash, &h);
  return 0;
}

static int gx_commit_load_account(void *ctx, const uint8_t key[32], const gx_store_account_t *a) {
  return gx_ledger_load_account(ctx, key, a) == GX_LEDGER_OK ? 0 : -1;
}

/* Restores the ledger: genesis balances, then every stored account, then the tip. */
static int gx_commit_restore(gx_commit_t *c, char *err, size_t errlen) {
  const gx_genesis_t *g = c->g;
  gx_ledger_err_t le = gx_ledger_genesis(c->ledger, &g->id, g->balances, g->balance_count);
  if (le) { snprintf(err, errlen, "genesis: %s", gx_ledger_strerror(le)); return -1; }
  uint64_t h = gx_store_durable_height(c->store);
  if (h == 0) return 0;
  if (gx_store_accounts(c->store, gx_commit_load_account, c->ledger) != GX_STORE_OK) {
    snprintf(err, errlen, "cannot load account state from the store: %s",
             gx_store_last_error(c->store)->msg);
    return -1;
  }
  uint32_t rec_len;
  gx_store_rec_t rec;
  gx_bh_header_t hdr;
  if (gx_store_record_size(c->store, h, &rec_len) != GX_STORE_OK || rec_len > c->sync_cap ||
      gx_store_get(c->store, h, c->sync_buf, c->sync_cap, &rec) != GX_STORE_OK ||
      rec.body_len < GX_BH_HDR_SZ || gx_bh_header_decode(&hdr, rec.body, GX_BH_HDR_SZ) != GX_PROTO_OK) {
    snprintf(err, errlen, "cannot read black hole %llu from the store", (unsigned long long)h);
    return -1;
  }
  if (hdr.height != h) {
    snprintf(err, errlen, "black hole %llu in the store says height %llu", (unsigned long long)h,
             (unsigned long long)hdr.height);
    return -1;
  }
  if ((le = gx_ledger_restore(c->ledger, h, &rec.hash, &hdr.state_root))) {
    snprintf(err, errlen, "restoring the ledger at height %llu: %s", (unsigned long long)h,
             gx_ledger_strerror(le));
    return -1;
  }
  c->st_tip = rec.hash;
  atomic_store(&c->st_height, h);
  return 0;
}

gx_commit_t *gx_commit_new(const gx_commit_cfg_t *cfg, char *err, size_t errlen) {
  const gx_genesis_t *g = cfg->genesis;
  if (!g || !cfg->key || !cfg->data_dir) {
    snprintf(err, errlen, "commit stage needs a genesis, a node key and a data directory");
    return NULL;
  }
  if (gx_genesis_node_key_check(cfg->key, g, err, errlen) != GX_GENESIS_OK) return NULL;
  gx_commit_t *c = calloc(1, sizeof *c);
  if (!c) { snprintf(err, errlen, "out of memory"); return NULL; }
  c->cfg = *cfg;
  c->g = g;
  c->self = cfg->key->index;
  c->n = g->n;
  c->f = (uint16_t)gx_genesis_f(g);
  if (!c->cfg.batch_max || c->cfg.batch_max > g->proposal_max_txs) c->cfg.batch_max = g->proposal_max_txs;
  if (!c->cfg.tick_ms) c->cfg.tick_ms = 200;
  pthread_mutex_init(&c->ledger_lock, NULL);
  pthread_mutex_init(&c->cert_lock, NULL);
  static const uint64_t epoch_bounds[] = {1000000, 5000000, 10000000, 25000000, 50000000,
      100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000};
  gx_metrics_hist_init(&c->epoch_hist, epoch_bounds, (int)GX_ARRAY_LEN(epoch_bounds), 1e-9);
  gx_metrics_hist_init(&c->apply_hist, epoch_bounds, (int)GX_ARRAY_LEN(epoch_bounds), 1e-9);

  /* buffers, all sized now */
  size_t max_txs = (size_t)g->n * g->proposal_max_txs;
  if (max_txs > GX_BH_MAX_TXS) max_txs = GX_BH_MAX_TXS;
  c->sync_cap = gx_bh_size((uint32_t)max_txs) + GX_STORE_REC_OVERHEAD + max_txs * (GX_HASH_SZ + 2 * GX_STORE_UPDATE_SZ);
  c->sync_buf = malloc(c->sync_cap);
  c->proposal = malloc((size_t)c->cfg.batch_max * GX_XFER_SZ + 1);
  c->out_buf = malloc((size_t)GX_COMMIT_TX_BATCH * GX_COMMIT_DGRAM_MAX);
  c->certs = calloc(GX_COMMIT_CERT_RING, sizeof *c->certs);
  c->max_txs = (size_t)g->n * g->proposal_max_txs;
  c->vids = malloc(c->max_txs * sizeof *c->vids);
  c->vflags = malloc(c->max_txs);
  c->all_ids = malloc(c->max_txs * sizeof *c->all_ids);
  c->drop = malloc(c->max_txs * sizeof *c->drop);
  c->drop_ids = malloc(c->max_txs * sizeof *c->drop_ids);
  c->xfer_ptrs = malloc(c->max_txs * sizeof *c->xfer_ptrs);
  c->max_heads = 2 * c->max_txs;
  c->head_accounts = malloc(c->max_heads * sizeof *c->head_accounts);
  c->head_seqs = malloc(c->max_heads * sizeof *c->head_seqs);
  if (!c->all_ids || !c->drop || !c->drop_ids || !c->xfer_ptrs || !c->head_accounts || !c->head_seqs) {
    snprintf(err, errlen, "out of memory for the commit stage buffers");
    goto fail;
  }
  if (!c->vids || !c->vflags ||
      !c->sync_buf || !c->proposal || !c->out_buf || !c->certs) {
    snprintf(err, errlen, "out of memory for the commit stage buffers");
    goto fail;
  }

  /* links: the caller's queue (DPDK link channel), or one UDP socket of our
   * own at our genesis address */
  for (unsigned i = 0; i < g->n; i++) {
    char why[256];
    if (gx_sock_addr_resolve(g->v[i].host, g->v[i].port, &c->peer_addr[i], why, sizeof why)) {
      snprintf(err, errlen, "genesis: validator %u address: %s", i, why);
      goto fail;
    }
  }
  if (cfg->link_queue) {
    c->net = cfg->link_queue;
  } else {
    gx_sock_cfg_t sc;
    gx_sock_cfg_defaults(&sc);
    sc.bind = c->peer_addr[c->self];
    sc.rcvbuf_bytes = sc.sndbuf_bytes = 16 << 20;
    sc.poll_timeout_ms = 0; /* the stage sleeps in gx_dp_rx_wait */
    sc.exclusive = 1;       /* a second node on our address fails, as it must */
    char why[256];
    c->sock = gx_sock_open(&sc, why, sizeof why);
    if (!c->sock) {
      snprintf(err, errlen, "cannot bind the consensus socket %s:%u: %s", g->v[c->self].host,
               g->v[c->self].port, why);
      goto fail;
    }
    c->net = gx_sock_queue(c->sock, 0);
  }
  gx_pubkey_t keys[GX_GENESIS_MAX_VALIDATORS];
  for (unsigned i = 0; i < g->n; i++) keys[i] = g->v[i].identity;
  uint64_t boot = cfg->boot;
  if (!boot) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    boot = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  }
  if (gx_link_init(&c->link, c->self, &cfg->key->identity, keys, g->n, boot) != 0) {
    snprintf(err, errlen, "cannot derive link keys from the validator identities");
    goto fail;
  }

  /* ledger */
  gx_ledger_cfg_t lc;
  gx_ledger_cfg_defaults(&lc);
  lc.max_proposers = g->n;
  lc.max_proposal_txs = g->proposal_max_txs;
  size_t lsz = gx_ledger_footprint(&lc);
  if (!lsz || !(c->ledger_mem = aligned_alloc(GX_LEDGER_ALIGN, (lsz + 63) & ~(size_t)63)) ||
      !(c->ledger = gx_ledger_new(c->ledger_mem, &lc))) {
    snprintf(err, errlen, "cannot create the ledger (%zu bytes)", lsz);
    goto fail;
  }

  /* store */
  gx_store_cfg_t sc;
  gx_store_cfg_defaults(&sc);
  sc.dir = cfg->data_dir;
  sc.durability = cfg->durability;
  sc.hash_fn = gx_commit_store_hash;
  gx_store_error_t se;
  if (gx_store_open(&sc, &c->store, &se) != GX_STORE_OK) {
    snprintf(err, errlen, "%s", se.msg);
    goto fail;
  }
  if (gx_commit_restore(c, err, errlen) != 0) goto fail;
  uint64_t height = gx_ledger_height(c->ledger);

  /* consensus */
  gx_genesis_coin_pub(g, &c->coin_pub);
  gx_acs_cfg_t ac;
  gx_acs_cfg_defaults(&ac);
  ac.n = g->n;
  ac.f = c->f;
  ac.self = c->self;
  ac.max_proposal = g->proposal_max_txs * GX_XFER_SZ;
  ac.coin_pub = &c->coin_pub;
  ac.coin_sec = &cfg->key->coin;
  size_t asz = gx_acs_footprint(&ac);
  gx_acs_out_t out = {.ctx = c, .send = gx_acs_send_cb, .deliver = gx_acs_deliver_cb};
  if (!asz || !(c->acs_mem = aligned_alloc(64, (asz + 63) & ~(size_t)63))) {
    snprintf(err, errlen, "cannot size the consensus engine");
    goto fail;
  }
  gx_acs_err_t ae = gx_acs_new(&c->acs, c->acs_mem, asz, &ac, &out);
  if (ae != GX_ACS_OK) {
    snprintf(err, errlen, "consensus engine: %s", gx_acs_strerror(ae));
    goto fail;
  }
  if (height) gx_acs_skip_to(c->acs, height);
  atomic_store(&c->st_next_epoch, height);

  /* certificates */
  c->cert_set.n = g->n;
  for (unsigned i = 0; i < g->n; i++) c->cert_set.key[i] = g->v[i].identity;
  gx_cert_collector_init(&c->collector, &c->cert_set, height + 1);
  GX_INFO("commit", "validator %u of %u (f=%u) at height %llu, consensus on %s:%u, store %s",
          c->self, c->n, c->f, (unsigned long long)height, g->v[c->self].host, g->v[c->self].port,
          cfg->data_dir);
  return c;
fail:
  gx_commit_delete(c);
  return NULL;
}

/* Every stored account's committed sequence goes to the pool, in chunks, so
 * that a restarted node's pool hands out transfers continuing those chains. */
static void gx_commit_seed_flush(gx_commit_t *c, size_t *n) {
  gx_txpool_t *pool = c->cfg.pool;
  if (*n) pool->committed(pool->ctx, c->head_accounts, c->head_seqs, *n, NULL, NULL, 0);
  *n = 0;
}

typedef struct { gx_commit_t *c; size_t n; } gx_commit_seed_t;

static int gx_commit_seed_account(void *ctx, const uint8_t key[32], const gx_store_account_t *a) {
  gx_commit_seed_t *s = ctx;
  if (!a->seq) return 0;
  memcpy(s->c->head_accounts[s->n].b, key, 32);
  s->c->head_seqs[s->n++] = a->seq;
  if (s->n == s->c->max_heads) gx_commit_seed_flush(s->c, &s->n);
  return 0;
}

int gx_commit_start(gx_commit_t *c, char *err, size_t errlen) {
  if (c->cfg.pool && gx_ledger_height(c->ledger) > 0) {
    gx_commit_seed_t s = {c, 0};
    gx_store_accounts(c->store, gx_commit_seed_account, &s);
    gx_commit_seed_flush(c, &s.n);
  }
  atomic_store(&c->stop, 0);
  if (pthread_create(&c->thread, NULL, gx_commit_main, c) != 0) {
    snprintf(err, errlen, "cannot start the commit thread");
    return -1;
  }
  atomic_store(&c->running, 1);
  return 0;
}

void gx_commit_stop(gx_commit_t *c) {
  if (!c || !c->thread) return;
  atomic_store(&c->stop, 1);
  pthread_join(c->thread, NULL);
  c->thread = 0;
}

void gx_commit_delete(gx_commit_t *c) {
  if (!c) return;
  gx_commit_stop(c);
  if (c->acs) gx_acs_delete(c->acs);
  free(c->acs_mem);
  if (c->store) gx_store_close(c->store);
  if (c->ledger) gx_ledger_delete(c->ledger);
  free(c->ledger_mem);
  gx_sock_close(c->sock);
  gx_link_wipe(&c->link);
  free(c->sync_buf);
  free(c->proposal);
  free(c->out_buf);
  free(c->certs);
  free(c->vids);
  free(c->vflags);
  free(c->all_ids);
  free((void *)c->drop);
  free(c->drop_ids);
  free((void *)c->xfer_ptrs);
  free(c->head_accounts);
  free(c->head_seqs);
  pthread_mutex_destroy(&c->ledger_lock);
  pthread_mutex_destroy(&c->cert_lock);
  free(c);
}

void gx_commit_status(gx_commit_t *c, gx_commit_status_t *o) {
  memset(o, 0, sizeof *o);
  o->height = atomic_load(&c->st_height);
  o->next_epoch = atomic_load(&c->st_next_epoch);
  o->blocks = atomic_load(&c->st_blocks);
  o->txs = atomic_load(&c->st_txs);
  o->certs = atomic_load(&c->st_certs);
  o->empty_blocks = atomic_load(&c->st_empty);
  o->equivocations = atomic_load(&c->st_equiv);
  o->synced_blocks = atomic_load(&c->st_synced);
  o->sync_failures = atomic_load(&c->st_sync_fail);
  for (int r = 0; r < GX_LEDGER_REJ__COUNT; r++) o->rejected[r] = atomic_load(&c->st_rejected[r]);
  pthread_mutex_lock(&c->ledger_lock);
  gx_hash_t state_root;
  gx_ledger_tip(c->ledger, &o->tip, &state_root);
  o->total_balance = gx_ledger_total(c->ledger);
  pthread_mutex_unlock(&c->ledger_lock);
  o->running = atomic_load(&c->running);
  o->syncing = atomic_load(&c->st_syncing);
  snprintf(o->failure, sizeof o->failure, "%s", c->failure);
}

gx_store_t *gx_commit_store(gx_commit_t *c) { return c->store; }

int gx_commit_account(gx_commit_t *c, const gx_pubkey_t *key, gx_store_account_t *out) {
  pthread_mutex_lock(&c->ledger_lock);
  int rc = gx_ledger_account(c->ledger, key, out);
  pthread_mutex_unlock(&c->ledger_lock);
  return rc;
}

static double gx_commit_height_fn(void *arg) {
  return (double)atomic_load(&((gx_commit_t *)arg)->st_height);
}

gx_metrics_err_t gx_commit_metrics_register(gx_commit_t *c, gx_metrics_t *m) {
  gx_metrics_err_t e = 0;
#define GX_C(name, labels, help, cell) \
  if (!e) e = gx_metrics_counter(m, name, labels, help, cell)
  GX_C("gx_blackholes_committed_total", NULL, "Black holes committed (appended and durable).", &c->st_blocks);
  GX_C("gx_blackholes_empty_total", NULL, "Committed black holes without transfers.", &c->st_empty);
  GX_C("gx_transfers_committed_total", NULL, "Transfers committed in black holes.", &c->st_txs);
  GX_C("gx_certificates_total", NULL, "Black hole certificates completed (f+1 signatures).", &c->st_certs);
  GX_C("gx_commit_signature_checks_total", NULL, "Agreed transfers the commit stage verified itself (this node had not verified them yet).", &c->st_sig_checked);
  GX_C("gx_equivocations_total", NULL, "Equivocations detected and recorded with their proof.", &c->st_equiv);
  GX_C("gx_sync_blackholes_total", NULL, "Black holes fetched from peers and applied.", &c->st_synced);
  GX_C("gx_sync_failures_total", NULL, "Black holes from peers refused (certificate, chain, state).", &c->st_sync_fail);
  GX_C("gx_consensus_messages_in_total", NULL, "Authenticated consensus messages received.", &c->st_acs_msgs_in);
  GX_C("gx_consensus_messages_out_total", NULL, "Consensus messages sent.", &c->st_acs_msgs_out);
  GX_C("gx_consensus_sent_bytes_total", NULL, "Consensus bytes sent.", &c->st_acs_bytes_out);
  static const char *const drop_labels[GX_ACS_ERR_COUNT] = {
      [GX_ACS_DROP_DECODE] = "malformed", [GX_ACS_DROP_SENDER] = "sender",
      [GX_ACS_DROP_INSTANCE] = "instance", [GX_ACS_DROP_STALE] = "stale",
      [GX_ACS_DROP_FUTURE] = "future",     [GX_ACS_DROP_RBC] = "rbc_refused",
      [GX_ACS_DROP_BA] = "ba_refused"};
  for (int r = GX_ACS_DROP_DECODE; r < GX_ACS_ERR_COUNT; r++) {
    char labels[64];
    snprintf(labels, sizeof labels, "reason=\"%s\"", drop_labels[r]);
    GX_C("gx_consensus_dropped_total", labels, "Consensus messages dropped, by reason (stale: epoch already out).", &c->st_acs_drops[r]);
  }
  for (int r = 0; r < GX_LEDGER_REJ__COUNT; r++) {
    char labels[64];
    snprintf(labels, sizeof labels, "reason=\"%s\"", gx_ledger_reject_label((gx_ledger_reject_t)r));
    GX_C("gx_transfers_rejected_total", labels, "Agreed transfers left out of black holes, by reason.", &c->st_rejected[r]);
  }
  for (int r = 0; r < GX_LINK_ERR__COUNT; r++) {
    if (r == GX_LINK_ERR_BUFSZ) continue;
    char labels[64];
    snprintf(labels, sizeof labels, "outcome=\"%s\"", gx_link_err_label((gx_link_err_t)r));
    GX_C("gx_link_datagrams_total", labels, "Validator link datagrams received, by outcome.", &c->st_link[r]);
  }
#undef GX_C
  if (!e) e = gx_metrics_gauge_fn(m, "gx_blackhole_height", NULL, "Height of the last committed black hole.",
                                  gx_commit_height_fn, c);
  if (!e) e = gx_metrics_histogram(m, "gx_epoch_commit_seconds", NULL,
                                   "Time from proposing in an epoch to committing its black hole.", &c->epoch_hist);
  if (!e) e = gx_metrics_histogram(m, "gx_blackhole_apply_seconds", NULL,
                                   "Ledger validation plus durable store append of one black hole.", &c->apply_hist);
  return e;
}
