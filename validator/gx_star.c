/* The star stage (validator/gx_star.h): a Star Cluster member's consensus,
 * LSH blocks, their certificate and the uplink to the galaxies. */
#include "validator/gx_star.h"

#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/gx_assert.h"
#include "core/gx_chunk.h"
#include "core/gx_log.h"
#include "core/gx_util.h"
#include "dataplane/gx_link.h"
#include "dataplane/gx_sock.h"
#include "validator/gx_cluster.h"
#include "validator/gx_epoch.h"

#define GX_STAR_TX_BATCH GX_DP_BURST
#define GX_STAR_DGRAM_MAX 2048
#define GX_STAR_RECV_BATCH 64

/* Blocks of our chain the galaxies have not folded yet, at most this many:
 * past it the members stop proposing (the cluster waits for the galaxies,
 * which fold up to gx_lshpool's per_propose = 4 blocks of a cluster per
 * black hole; and a block must stay in the signature window to be re-sent). */
#define GX_STAR_MAX_AHEAD 4
#define GX_STAR_RETRY_NS 50000000ull /* 50 ms between looks at an idle pool */
_Static_assert(GX_STAR_MAX_AHEAD < GX_CLUSTER_WINDOW, "an unfolded block must stay re-sendable");

/* The tx ids of a block we built that is not folded yet: not proposed again
 * (the pool hands a taken transfer out again after each black hole). */
typedef struct {
  uint64_t height; /* 0: empty */
  uint32_t n;
  gx_hash_t *ids;  /* sorted; max_block_txs */
} gx_star_flight_t;

/* A certified block this member still has to get folded. */
typedef struct {
  uint64_t height;
  gx_hash_t id;
  uint64_t last_sent_ns; /* 0: never (not ours to send yet) */
} gx_star_out_t;

struct gx_star {
  gx_star_cfg_t cfg;
  gx_committee_t com;
  gx_epoch_t *epoch;
  gx_link_t link;
  gx_addr_t peer_addr[GX_COMMITTEE_MAX];
  gx_cluster_t *cluster;
  void *cluster_mem;
  gx_chunk_enc_t *enc;
  uint8_t *proposal;
  size_t proposal_cap;
  uint8_t *xfers;                 /* batch_max transfers taken from the pool */
  /* outgoing datagrams, one tx_burst */
  uint8_t *out_buf;
  const uint8_t *out_ptr[GX_STAR_TX_BATCH];
  uint16_t out_len[GX_STAR_TX_BATCH];
  gx_addr_t out_dst[GX_STAR_TX_BATCH];
  int n_out;
  uint64_t proposed_epoch;        /* +1 */
  uint64_t epoch_started_ns, round_ns;
  gx_star_out_t sent[GX_CLUSTER_WINDOW];
  gx_star_flight_t flight[GX_CLUSTER_WINDOW];
  uint64_t folded;                /* the galaxies' folded height, last seen */
  uint32_t max_block_txs;
  uint64_t held_epoch;            /* +1: the epoch held back last */
  uint64_t next_try_ns;           /* when an idle member looks at its pool again */
  /* an agreed batch's transfers and which of them our pool holds */
  size_t max_agreed, n_vids;
  const uint8_t **agreed_ptrs;
  gx_hash_t *agreed_ids, *vids;
  uint8_t *agreed_held;
  uint8_t my_sig_msg[GX_CLUSTER_WINDOW][GX_STAR_SIG_MSG_SZ]; /* re-sent on tick */
  unsigned n_my_sigs;
  pthread_t thread;
  _Atomic int stop, running;
  _Atomic uint64_t st_height, st_certified, st_folded, st_built, st_cert_blocks, st_sent_blocks,
      st_txs, st_chunks, st_bad_sig, st_link_bad, st_sig_err[GX_CLUSTER_ERR__COUNT], st_held_back,
      st_in_flight_skipped, st_rejoins;
  char failure[256];
};

static uint64_t gx_star_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gx_star_cfg_defaults(gx_star_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->tick_ms = 200;
  cfg->resend_ms = 1000;
  cfg->core = -1;
}

/* ---- links ---- */
static void gx_star_flush(gx_star_t *s) {
  if (s->n_out) (void)gx_dp_tx_burst(s->cfg.link_queue, s->out_dst, s->out_ptr, s->out_len, s->n_out);
  s->n_out = 0;
}

static uint8_t *gx_star_slot(gx_star_t *s) {
  if (s->n_out == GX_STAR_TX_BATCH) gx_star_flush(s);
  return s->out_buf + (size_t)s->n_out * GX_STAR_DGRAM_MAX;
}

static void gx_star_push(gx_star_t *s, const gx_addr_t *dst, const uint8_t *slot, size_t len) {
  s->out_ptr[s->n_out] = slot;
  s->out_len[s->n_out] = (uint16_t)len;
  s->out_dst[s->n_out] = *dst;
  s->n_out++;
}

static void gx_star_send_to(gx_star_t *s, unsigned to, const uint8_t *msg, size_t len) {
  uint8_t *slot = gx_star_slot(s);
  size_t n = gx_link_seal(&s->link, (uint16_t)to, msg, len, slot, GX_STAR_DGRAM_MAX);
  if (n) gx_star_push(s, &s->peer_addr[to], slot, n);
}

static void gx_star_send_all(gx_star_t *s, const uint8_t *msg, size_t len) {
  int self = gx_epoch_member(s->epoch);
  for (unsigned i = 0; i < s->com.n; i++)
    if ((int)i != self) gx_star_send_to(s, i, msg, len);
}

static void gx_star_engine_send(void *ctx, int committee, int dest, const uint8_t *msg, size_t len) {
  gx_star_t *s = ctx;
  if (committee != 0) return; /* committee changes of clusters: not yet */
  if (dest == GX_CMSG_ALL) gx_star_send_all(s, msg, len);
  else if (dest >= 0 && dest < s->com.n) gx_star_send_to(s, (unsigned)dest, msg, len);
}

/* ---- uplink ---- */
/* Chunks of certified block (height, id) to every galaxy. */
static void gx_star_uplink(gx_star_t *s, gx_star_out_t *o, uint64_t now) {
  const uint8_t *block;
  size_t len;
  if (gx_cluster_certified(s->cluster, &o->id, &block, &len) != 0) return;
  if (!gx_chunk_enc_start(s->enc, &o->id, block, (uint32_t)len)) return;
  uint8_t dg[GX_UDP_PAYLOAD_MAX];
  for (size_t n; (n = gx_chunk_enc_next(s->enc, dg)) != 0;)
    for (int g = 0; g < s->cfg.n_uplink; g++) {
      uint8_t *slot = gx_star_slot(s);
      memcpy(slot, dg, n);
      gx_star_push(s, &s->cfg.uplink[g], slot, n);
      atomic_fetch_add(&s->st_chunks, 1);
    }
  gx_star_flush(s);
  if (!o->last_sent_ns) atomic_fetch_add(&s->st_sent_blocks, 1);
  o->last_sent_ns = now;
}

/* Ours to send: f_c + 1 members starting at height mod n_c. */
static int gx_star_sender(const gx_star_t *s, uint64_t height) {
  int self = gx_epoch_member(s->epoch);
  if (self < 0) return 0;
  unsigned first = (unsigned)(height % s->com.n);
  unsigned off = ((unsigned)self + s->com.n - first) % s->com.n;
  return off <= s->com.f;
}

static void gx_star_on_certified(gx_star_t *s, uint64_t height, const gx_hash_t *id) {
  atomic_fetch_add(&s->st_cert_blocks, 1);
  if (height > atomic_load(&s->st_certified)) atomic_store(&s->st_certified, height);
  gx_star_out_t *o = &s->sent[height % GX_CLUSTER_WINDOW];
  *o = (gx_star_out_t){.height = height, .id = *id};
  if (gx_star_sender(s, height)) gx_star_uplink(s, o, gx_star_now_ns());
}

/* Sends again what the galaxies have not folded (a lost burst, a galaxy that
 * was down): every member, once resend_ms has passed since it was certified
 * or last sent, so a silent sender does not stall the cluster. */
static void gx_star_resend(gx_star_t *s, uint64_t folded, uint64_t now) {
  uint64_t gap = (uint64_t)s->cfg.resend_ms * 1000000ull;
  for (unsigned i = 0; i < GX_CLUSTER_WINDOW; i++) {
    gx_star_out_t *o = &s->sent[i];
    if (!o->height || o->height <= folded) continue;
    if (o->height != folded + 1) continue; /* the galaxies fold in order: the next one first */
    if (!o->last_sent_ns) o->last_sent_ns = now; /* start its clock */
    else if (now - o->last_sent_ns >= gap) gx_star_uplink(s, o, now);
  }
}

/* ---- signatures ---- */
static void gx_star_add_sig(gx_star_t *s, const gx_hash_t *id, uint16_t member, const gx_sig_t *sig) {
  const uint8_t *certified;
  size_t clen;
  gx_cluster_err_t e = gx_cluster_add_sig(s->cluster, id, member, sig, &certified, &clen);
  atomic_fetch_add(&s->st_sig_err[e], 1);
  if (e != GX_CLUSTER_OK || !certified) return;
  gx_lsh_t b;
  if (gx_lsh_decode(&b, certified, clen) != GX_PROTO_OK) return;
  gx_star_on_certified(s, b.h.height, id);
}

static void gx_star_on_sig(gx_star_t *s, uint16_t from, const uint8_t *p, size_t len) {
  if (len != GX_STAR_SIG_MSG_SZ || p[0] != 1) {
    atomic_fetch_add(&s->st_bad_sig, 1);
    return;
  }
  gx_hash_t id;
  gx_sig_t sig;
  memcpy(id.b, p + 2, GX_HASH_SZ);
  memcpy(sig.b, p + 34, 64);
  gx_star_add_sig(s, &id, from, &sig);
}

static int gx_star_hash_cmp(const void *a, const void *b) { return memcmp(a, b, GX_HASH_SZ); }

/* 1 when tx id is in a block we built that the galaxies have not folded. */
static int gx_star_in_flight(const gx_star_t *s, const gx_hash_t *id) {
  for (unsigned i = 0; i < GX_CLUSTER_WINDOW; i++) {
    const gx_star_flight_t *fl = &s->flight[i];
    if (fl->height > s->folded && bsearch(id, fl->ids, fl->n, sizeof *fl->ids, gx_star_hash_cmp)) return 1;
  }
  return 0;
}

/* ---- deliver: the agreed cluster epoch -> our LSH block ---- */
/* The agreed transfers our pool holds (its ingest verified both signatures):
 * gx_cluster_build need not verify them again. */
static void gx_star_collect_verified(gx_star_t *s, const gx_acs_batch_t *batch) {
  s->n_vids = 0;
  gx_txpool_t *pool = s->cfg.pool;
  if (!pool) return;
  size_t k = 0;
  for (unsigned i = 0; i < batch->count; i++) {
    if (batch->len[i] < GX_CLUSTER_PROP_HDR_SZ) continue;
    for (uint32_t off = GX_CLUSTER_PROP_HDR_SZ; off + GX_XFER_SZ <= batch->len[i] && k < s->max_agreed;
         off += GX_XFER_SZ, k++) {
      s->agreed_ptrs[k] = batch->value[i] + off;
      gx_xfer_id(&s->agreed_ids[k], s->agreed_ptrs[k]);
    }
  }
  memset(s->agreed_held, 0, k);
  pool->held(pool->ctx, s->agreed_ptrs, s->agreed_ids, k, s->agreed_held);
  for (size_t i = 0; i < k; i++)
    if (s->agreed_held[i]) s->vids[s->n_vids++] = s->agreed_ids[i];
  qsort(s->vids, s->n_vids, sizeof *s->vids, gx_star_hash_cmp);
}

static int gx_star_verified(void *ctx, const gx_hash_t *id) {
  const gx_star_t *s = ctx;
  return bsearch(id, s->vids, s->n_vids, sizeof *s->vids, gx_star_hash_cmp) != NULL;
}

static void gx_star_deliver(void *ctx, const gx_acs_batch_t *batch) {
  gx_star_t *s = ctx;
  uint64_t now = gx_star_now_ns();
  gx_cluster_block_t blk;
  gx_star_collect_verified(s, batch);
  gx_cluster_err_t e = gx_cluster_build(s->cluster, batch, gx_star_verified, s, &blk);
  if (e != GX_CLUSTER_OK) {
    snprintf(s->failure, sizeof s->failure, "cluster epoch %llu: cannot build the block: %s",
             (unsigned long long)batch->epoch, gx_cluster_strerror(e));
    GX_WARN("star", "%s", s->failure);
    return;
  }
  atomic_fetch_add(&s->st_built, 1);
  atomic_fetch_add(&s->st_txs, blk.tx_count);
  gx_star_flight_t *fl = &s->flight[blk.height % GX_CLUSTER_WINDOW];
  /* the unsigned block is body || transfers (the certificate comes later) */
  const uint8_t *xf = blk.block + blk.block_len - (size_t)blk.tx_count * GX_XFER_SZ;
  GX_ASSERT(blk.tx_count <= s->max_block_txs && (size_t)blk.tx_count * GX_XFER_SZ <= blk.block_len,
            "block of %u transfers in %zu bytes", blk.tx_count, blk.block_len);
  for (fl->n = 0; fl->n < blk.tx_count; fl->n++) gx_xfer_id(&fl->ids[fl->n], xf + (size_t)fl->n * GX_XFER_SZ);
  qsort(fl->ids, fl->n, sizeof *fl->ids, gx_star_hash_cmp);
  fl->height = blk.height;
  atomic_store(&s->st_height, blk.height);
  if (s->epoch_started_ns) s->round_ns = now - s->epoch_started_ns;
  s->epoch_started_ns = 0;
  s->next_try_ns = 0; /* a new epoch: look at the pool at once */
  gx_sig_t sig;
  gx_lsh_sign(&sig, &blk.id, s->cfg.key->identity.sk);
  uint8_t *msg = s->my_sig_msg[s->n_my_sigs++ % GX_CLUSTER_WINDOW];
  msg[0] = 1;
  msg[1] = GX_MSG_LSH_SIG;
  memcpy(msg + 2, blk.id.b, GX_HASH_SZ);
  memcpy(msg + 34, sig.b, 64);
  gx_star_send_all(s, msg, GX_STAR_SIG_MSG_SZ);
  gx_star_add_sig(s, &blk.id, (uint16_t)gx_epoch_member(s->epoch), &sig);
}

/* ---- proposing ---- */
static void gx_star_maybe_propose(gx_star_t *s, uint64_t now) {
  if (gx_epoch_member(s->epoch) < 0) return;
  uint64_t epoch = gx_epoch_next(s->epoch);
  if (s->proposed_epoch == epoch + 1) return;
  /* nothing to propose last time: look again after GX_STAR_RETRY_NS, or at
   * once when a peer starts the epoch (taking from the pool and hashing what
   * is in flight on every datagram would spin a core) */
  if (now < s->next_try_ns && !gx_epoch_active(s->epoch, epoch)) return;
  s->next_try_ns = now + GX_STAR_RETRY_NS;
  gx_star_chain_t ch;
  memset(&ch, 0, sizeof ch);
  s->cfg.chain(s->cfg.chain_ctx, &ch);
  s->folded = ch.folded_height;
  if (gx_cluster_height(s->cluster) >= ch.folded_height + GX_STAR_MAX_AHEAD) {
    if (s->held_epoch != epoch + 1) atomic_fetch_add(&s->st_held_back, 1); /* once per epoch */
    s->held_epoch = epoch + 1; /* the galaxies are behind: wait for them */
    return;
  }
  size_t got = 0;
  int any_ready = 0;
  gx_txpool_t *pool = s->cfg.pool;
  /* our cluster's accounts only (gx_lsh_home_cluster: account mod K), and of
   * those our member shard of this epoch: shard j*K + cluster of K*n_c, as
   * gx_shard_of(a, K*n_c) mod K = gx_shard_of(a, K). A transfer of another
   * cluster's account stays in our pool (gossip takes it to its home). */
  uint32_t k = s->cfg.genesis->cluster_count;
  if (pool)
    got = pool->take_shard(pool->ctx, gx_epoch_shard(s->epoch, epoch) * k + s->cfg.key->cluster,
                           s->com.n * k, s->xfers, s->cfg.batch_max, &any_ready);
  size_t kept = 0;
  for (size_t i = 0; i < got; i++) { /* what is in a block on its way needs no second copy */
    gx_hash_t id;
    gx_xfer_id(&id, s->xfers + i * GX_XFER_SZ);
    if (gx_star_in_flight(s, &id)) continue;
    if (kept != i) memmove(s->xfers + kept * GX_XFER_SZ, s->xfers + i * GX_XFER_SZ, GX_XFER_SZ);
    kept++;
  }
  atomic_fetch_add(&s->st_in_flight_skipped, got - kept);
  if (got && !kept) any_ready = 0; /* all on their way: waiting for the fold is not "ready" */
  got = kept;
  /* An idle cluster is quiet: a member proposes when its pool has something
   * ready or a peer has started the epoch (then an empty proposal lets the
   * epoch finish), never on a timer. So an idle star costs nothing, and a
   * member that rejoins (below) finds its cluster waiting at the folded
   * height. The galaxies fold empty black holes meanwhile; nothing here
   * depends on a cluster block per black hole. */
  if (got == 0 && !any_ready && !gx_epoch_active(s->epoch, epoch)) return;
  s->epoch_started_ns = now;
  if (ch.base_height == 0) ch.base = s->cfg.genesis->id;
  uint64_t round_ms = s->round_ns / 1000000ull;
  size_t len = gx_cluster_proposal_encode(s->proposal, s->proposal_cap,
                                          (uint32_t)(round_ms > UINT32_MAX ? UINT32_MAX : round_ms),
                                          ch.base_height, &ch.base, s->xfers, (uint32_t)got);
  GX_ASSERT(len, "cluster proposal of %zu transfers does not fit %zu bytes", got, s->proposal_cap);
  gx_acs_err_t e = gx_epoch_propose(s->epoch, epoch, s->proposal, (uint32_t)len);
  if (e != GX_ACS_OK && e != GX_ACS_ERR_PROPOSED) {
    GX_WARN("star", "cluster proposal for epoch %llu refused: %s", (unsigned long long)epoch,
            gx_acs_strerror(e));
    return;
  }
  s->proposed_epoch = epoch + 1;
}

static void gx_star_poll(gx_star_t *s, int timeout_ms) {
  gx_dgram_t in[GX_STAR_RECV_BATCH];
  gx_dp_queue_t *q = s->cfg.link_queue;
  if (!gx_dp_rx_wait(q, timeout_ms)) return;
  int n = gx_dp_rx_burst(q, in, GX_STAR_RECV_BATCH);
  for (int i = 0; i < n && !atomic_load(&s->stop); i++) {
    uint16_t from;
    const uint8_t *p;
    size_t plen;
    if (gx_link_open(&s->link, in[i].payload, in[i].len, &from, &p, &plen) != GX_LINK_OK) {
      atomic_fetch_add(&s->st_link_bad, 1);
      continue;
    }
    if (plen >= 2 && p[1] == GX_MSG_LSH_SIG) gx_star_on_sig(s, from, p, plen);
    else gx_epoch_on_message(s->epoch, from, p, plen);
  }
  if (n > 0) gx_dp_rx_release(q, in, n);
}

static void gx_star_tick(gx_star_t *s, uint64_t now) {
  gx_epoch_tick(s->epoch);
  unsigned k = s->n_my_sigs < GX_CLUSTER_WINDOW ? s->n_my_sigs : GX_CLUSTER_WINDOW;
  for (unsigned i = 0; i < k; i++) gx_star_send_all(s, s->my_sig_msg[i], GX_STAR_SIG_MSG_SZ);
  gx_star_chain_t ch;
  memset(&ch, 0, sizeof ch);
  s->cfg.chain(s->cfg.chain_ctx, &ch);
  atomic_store(&s->st_folded, ch.folded_height);
  if (ch.folded_height > gx_cluster_height(s->cluster) && gx_epoch_member(s->epoch) >= 0) {
    /* the galaxies folded blocks of our cluster we never built: rejoin there */
    if (ch.folded_base_height == 0 && gx_hash_is_zero(&ch.folded_base)) ch.folded_base = s->cfg.genesis->id;
    if (gx_cluster_rewind(s->cluster, ch.folded_height, &ch.folded, ch.folded_base_height, &ch.folded_base) ==
        GX_CLUSTER_OK) {
      gx_epoch_skip_to(s->epoch, ch.folded_height);
      s->proposed_epoch = 0;
      s->epoch_started_ns = 0;
      atomic_store(&s->st_height, ch.folded_height);
      atomic_fetch_add(&s->st_rejoins, 1);
      GX_INFO("star", "cluster %u: rejoined at the galaxies' folded height %llu", s->cfg.key->cluster,
              (unsigned long long)ch.folded_height);
    }
  }
  gx_star_resend(s, ch.folded_height, now);
}

static void *gx_star_main(void *arg) {
  gx_star_t *s = arg;
  if (s->cfg.core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s->cfg.core, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  pthread_setname_np(pthread_self(), "gx-star");
  uint64_t next_tick = gx_star_now_ns();
  while (!atomic_load(&s->stop)) {
    uint64_t now = gx_star_now_ns();
    gx_star_maybe_propose(s, now);
    gx_star_flush(s);
    int timeout = now >= next_tick ? 0 : (int)((next_tick - now) / 1000000ull);
    if (timeout > 20) timeout = 20;
    gx_star_poll(s, timeout);
    gx_star_flush(s);
    now = gx_star_now_ns();
    if (now >= next_tick) {
      gx_star_tick(s, now);
      gx_star_flush(s);
      next_tick = now + (uint64_t)s->cfg.tick_ms * 1000000ull;
    }
  }
  atomic_store(&s->running, 0);
  return NULL;
}

/* ---- lifecycle ---- */
gx_star_t *gx_star_new(const gx_star_cfg_t *cfg, char *err, size_t errlen) {
  const gx_genesis_t *g = cfg->genesis;
  if (!g || !cfg->key || !cfg->key->star || !cfg->link_queue || !cfg->chain) {
    snprintf(err, errlen, "the star stage needs a genesis, a star's node key, a link queue and the chain");
    return NULL;
  }
  if (cfg->key->cluster >= g->cluster_count) {
    snprintf(err, errlen, "node key of star %u of cluster %u: the genesis has %u clusters", cfg->key->index,
             cfg->key->cluster, g->cluster_count);
    return NULL;
  }
  if (cfg->n_uplink < 1 || cfg->n_uplink > GX_STAR_MAX_UPLINK) {
    snprintf(err, errlen, "a star needs the galaxies' ingest addresses to send its cluster's blocks to "
             "(1..%d; genesis ingest fields or [star] uplink)", GX_STAR_MAX_UPLINK);
    return NULL;
  }
  gx_star_t *s = calloc(1, sizeof *s);
  if (!s) { snprintf(err, errlen, "out of memory"); return NULL; }
  s->cfg = *cfg;
  if (!s->cfg.batch_max || s->cfg.batch_max > g->lsh_max_txs) s->cfg.batch_max = g->lsh_max_txs;
  if (!s->cfg.tick_ms) s->cfg.tick_ms = 200;
  if (!s->cfg.resend_ms) s->cfg.resend_ms = 1000;
  gx_genesis_cluster_committee(g, cfg->key->cluster, &s->com);
  gx_cluster_cfg_t cc = {.cluster = cfg->key->cluster, .n = s->com.n, .max_block_txs = g->lsh_max_txs,
                         .max_proposal_txs = s->cfg.batch_max, .genesis_id = g->id};
  for (unsigned i = 0; i < s->com.n; i++) cc.members[i] = s->com.m[i].identity;
  size_t csz = gx_cluster_footprint(&cc);
  s->cluster_mem = csz ? aligned_alloc(GX_CLUSTER_ALIGN, (csz + GX_CLUSTER_ALIGN - 1) & ~(size_t)(GX_CLUSTER_ALIGN - 1)) : NULL;
  s->cluster = s->cluster_mem ? gx_cluster_new(s->cluster_mem, &cc) : NULL;
  s->proposal_cap = GX_CLUSTER_PROP_HDR_SZ + (size_t)s->cfg.batch_max * GX_XFER_SZ;
  s->proposal = malloc(s->proposal_cap);
  s->xfers = malloc((size_t)s->cfg.batch_max * GX_XFER_SZ + 1);
  s->out_buf = malloc((size_t)GX_STAR_TX_BATCH * GX_STAR_DGRAM_MAX);
  s->enc = gx_chunk_enc_new(GX_LSH_MAX_SZ, GX_CHUNK_DEFAULT_K, GX_CHUNK_DEFAULT_M, 0);
  s->max_block_txs = g->lsh_max_txs;
  s->max_agreed = (size_t)s->com.n * s->cfg.batch_max;
  s->agreed_ptrs = malloc(s->max_agreed * sizeof *s->agreed_ptrs);
  s->agreed_ids = malloc(s->max_agreed * sizeof *s->agreed_ids);
  s->vids = malloc(s->max_agreed * sizeof *s->vids);
  s->agreed_held = malloc(s->max_agreed + 1);
  int flights_ok = s->agreed_ptrs && s->agreed_ids && s->vids && s->agreed_held;
  for (unsigned i = 0; i < GX_CLUSTER_WINDOW; i++)
    flights_ok &= (s->flight[i].ids = malloc((size_t)s->max_block_txs * sizeof(gx_hash_t))) != NULL;
  if (!s->cluster || !s->proposal || !s->xfers || !s->out_buf || !s->enc || !flights_ok) {
    snprintf(err, errlen, "cannot size the star stage (cluster of %u, %u transfers per proposal)", s->com.n,
             s->cfg.batch_max);
    goto fail;
  }
  for (unsigned i = 0; i < s->com.n; i++) {
    char why[256];
    if (gx_sock_addr_resolve(s->com.m[i].host, s->com.m[i].port, &s->peer_addr[i], why, sizeof why)) {
      snprintf(err, errlen, "cluster member %u address: %s", i, why);
      goto fail;
    }
  }
  uint64_t boot = s->cfg.boot;
  if (!boot) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    boot = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  }
  gx_pubkey_t keys[GX_COMMITTEE_MAX];
  gx_committee_link_keys(&s->com, keys);
  if (gx_link_init(&s->link, cfg->key->index, &cfg->key->identity, keys, s->com.n, boot) != 0) {
    snprintf(err, errlen, "cannot derive link keys from the cluster's identities");
    goto fail;
  }
  gx_epoch_cfg_t ec = {.max_proposal = (uint32_t)s->proposal_cap};
  gx_epoch_out_t out = {.ctx = s, .send = gx_star_engine_send, .deliver = gx_star_deliver};
  s->epoch = gx_epoch_new(&ec, &out, err, errlen);
  if (!s->epoch) goto fail;
  /* clusters are fixed at genesis; their chains start at epoch 0 (a restarted
   * star rejoins from 0: its cluster's later epochs are not persisted yet) */
  if (gx_epoch_join(s->epoch, &s->com, &cfg->key->identity.pk, &cfg->key->coin, 0, err, errlen)) goto fail;
  if (gx_epoch_member(s->epoch) != (int)cfg->key->index) {
    snprintf(err, errlen, "star %u is not member %u of cluster %u's committee", cfg->key->index,
             cfg->key->index, cfg->key->cluster);
    goto fail;
  }
  GX_INFO("star", "member %u of cluster %u (%u stars, f=%u), %d galaxies to send blocks to",
          cfg->key->index, cfg->key->cluster, s->com.n, s->com.f, s->cfg.n_uplink);
  return s;
fail:
  gx_star_delete(s);
  return NULL;
}

int gx_star_start(gx_star_t *s, char *err, size_t errlen) {
  atomic_store(&s->stop, 0);
  atomic_store(&s->running, 1);
  if (pthread_create(&s->thread, NULL, gx_star_main, s) != 0) {
    atomic_store(&s->running, 0);
    snprintf(err, errlen, "cannot start the star thread");
    return -1;
  }
  return 0;
}

void gx_star_stop(gx_star_t *s) {
  if (!s || !s->thread) return;
  atomic_store(&s->stop, 1);
  pthread_join(s->thread, NULL);
  s->thread = 0;
}

void gx_star_delete(gx_star_t *s) {
  if (!s) return;
  gx_star_stop(s);
  if (s->epoch) gx_epoch_delete(s->epoch);
  if (s->cluster) gx_cluster_delete(s->cluster);
  free(s->cluster_mem);
  gx_chunk_enc_delete(s->enc);
  gx_link_wipe(&s->link);
  free(s->proposal);
  free(s->xfers);
  free(s->out_buf);
  for (unsigned i = 0; i < GX_CLUSTER_WINDOW; i++) free(s->flight[i].ids);
  free((void *)s->agreed_ptrs);
  free(s->agreed_ids);
  free(s->vids);
  free(s->agreed_held);
  free(s);
}

void gx_star_status(gx_star_t *s, gx_star_status_t *o) {
  memset(o, 0, sizeof *o);
  o->cluster = s->cfg.key->cluster;
  o->member = s->cfg.key->index;
  o->members = s->com.n;
  o->height = atomic_load(&s->st_height);
  o->certified = atomic_load(&s->st_certified);
  o->folded = atomic_load(&s->st_folded);
  o->blocks_built = atomic_load(&s->st_built);
  o->blocks_certified = atomic_load(&s->st_cert_blocks);
  o->blocks_sent = atomic_load(&s->st_sent_blocks);
  o->txs_built = atomic_load(&s->st_txs);
  o->chunks_sent = atomic_load(&s->st_chunks);
  o->running = atomic_load(&s->running);
  snprintf(o->failure, sizeof o->failure, "%s", s->failure);
}

static double gx_star_height_fn(void *arg) { return (double)atomic_load(&((gx_star_t *)arg)->st_height); }
static double gx_star_folded_fn(void *arg) { return (double)atomic_load(&((gx_star_t *)arg)->st_folded); }

gx_metrics_err_t gx_star_metrics_register(gx_star_t *s, gx_metrics_t *m) {
  gx_metrics_err_t e = 0;
#define GX_C(name, labels, help, cell) \
  if (!e) e = gx_metrics_counter(m, name, labels, help, cell)
  GX_C("gx_star_lsh_built_total", NULL, "LSH blocks this star built from its cluster's agreed epochs.", &s->st_built);
  GX_C("gx_star_lsh_certified_total", NULL, "LSH blocks certified by 2f_c+1 cluster members.", &s->st_cert_blocks);
  GX_C("gx_star_lsh_sent_total", NULL, "Certified LSH blocks this star sent to the galaxies.", &s->st_sent_blocks);
  GX_C("gx_star_transfers_built_total", NULL, "Transfers in the LSH blocks this star built.", &s->st_txs);
  GX_C("gx_star_chunks_sent_total", NULL, "LSH chunk datagrams sent to the galaxies (all of them).", &s->st_chunks);
  GX_C("gx_star_link_refused_total", NULL, "Cluster link datagrams that did not authenticate.", &s->st_link_bad);
  GX_C("gx_star_sig_malformed_total", NULL, "LSH_SIG messages of a wrong size or version.", &s->st_bad_sig);
  GX_C("gx_star_held_back_total", NULL, "Cluster epochs this star held its proposal back in: the galaxies had not folded the cluster's last blocks.", &s->st_held_back);
  GX_C("gx_star_rejoins_total", NULL, "Times this star rejoined its cluster at the galaxies' folded height (after a restart, or left behind).", &s->st_rejoins);
  GX_C("gx_star_in_flight_skipped_total", NULL, "Pool transfers not proposed again: already in a block on its way to the galaxies.", &s->st_in_flight_skipped);
  for (int r = 0; r < GX_CLUSTER_ERR__COUNT; r++) {
    char labels[64];
    snprintf(labels, sizeof labels, "outcome=\"%s\"", gx_cluster_err_label((gx_cluster_err_t)r));
    GX_C("gx_star_lsh_signatures_total", labels, "Cluster members' LSH block signatures, by outcome.", &s->st_sig_err[r]);
  }
#undef GX_C
  if (!e) e = gx_metrics_gauge_fn(m, "gx_star_lsh_height", NULL, "Height of this star's cluster chain (last block built).",
                                  gx_star_height_fn, s);
  if (!e) e = gx_metrics_gauge_fn(m, "gx_star_lsh_folded_height", NULL,
                                  "The galaxies' folded height of this star's cluster, as this star last saw it.",
                                  gx_star_folded_fn, s);
  return e;
}
