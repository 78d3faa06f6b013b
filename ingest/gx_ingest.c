#include "ingest/gx_ingest.h"

#include <errno.h>
#include <pthread.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sched.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <unistd.h>

#include "core/gx_log.h"
#include "core/gx_util.h"
#include "ingest/gx_verify.h"

/* A transfer travelling between stages (one element of the item pool): the
 * verify stage's unit of work (ingest/gx_verify.h), carried on in place. */
typedef gx_verify_item_t gx_ingest_item_t;

/* A gossip datagram waiting for the queue-0 RX thread to send it. */
typedef struct {
  gx_addr_t dst;
  uint16_t len;
  uint8_t data[GX_UDP_PAYLOAD_MAX];
} gx_ingest_txbuf_t;

/* A fixed pool of items: a DPDK rte_mempool (default MP/MC ring handler, no
 * per-lcore cache: stage threads are not EAL lcores), sized at start-up from
 * EAL memory. */
typedef struct {
  struct rte_mempool *mp;
} gx_ingest_pool_t;

static int gx_ingest_pool_init(gx_ingest_pool_t *p, const char *name, uint32_t count, size_t elt) {
  p->mp = rte_mempool_create(name, count, (unsigned)elt, 0, 0, NULL, NULL, NULL, NULL,
                             SOCKET_ID_ANY, 0);
  return p->mp ? 0 : -1;
}
static void gx_ingest_pool_fini(gx_ingest_pool_t *p) {
  rte_mempool_free(p->mp);
  p->mp = NULL;
}
static inline void *gx_ingest_pool_get(gx_ingest_pool_t *p) {
  void *o = NULL;
  return rte_mempool_get(p->mp, &o) == 0 ? o : NULL;
}
static inline void gx_ingest_pool_put(gx_ingest_pool_t *p, void *o) { rte_mempool_put(p->mp, o); }
static inline void gx_ingest_pool_put_bulk(gx_ingest_pool_t *p, void *const *o, unsigned n) {
  rte_mempool_put_bulk(p->mp, o, n);
}
static unsigned gx_ingest_pool_avail(const gx_ingest_pool_t *p) { return rte_mempool_avail_count(p->mp); }

#define GX_TX_BUFS 4096
#define GX_MP_BURST 64
#define GX_MAX_THREADS (GX_INGEST_MAX_RX + GX_INGEST_MAX_VERIFY + 3)

/* Tail drop: when the RX stage drops an account's transfer under overload it
 * remembers the hole (per RX thread, GX_INGEST_HOLES slots, direct mapped by
 * the initiator key) and drops that account's later transfers too, unverified,
 * until the missing one (or an earlier one) comes again or the account's
 * committed head passes it. A hole would leave them unready in the mempool
 * anyway (its chain is sequential), after costing two signature checks each;
 * dropping the tail keeps the verification for transfers that can commit. Only
 * for accounts the admission gate knows (their committed head tells a stale
 * hole), so a hole never outlives its account's progress. */
#define GX_INGEST_HOLES 16384
typedef struct {
  uint8_t key[32]; /* initiator */
  uint64_t seq;    /* lowest dropped seq; 0: empty slot */
} gx_ingest_hole_t;

static gx_ingest_hole_t *gx_hole_slot(gx_ingest_hole_t *t, const uint8_t *enc) {
  uint64_t h;
  memcpy(&h, enc + GX_XFER_OFF_INITIATOR, sizeof h); /* a key: uniformly random */
  return &t[h & (GX_INGEST_HOLES - 1)];
}

/* enc (of an account the gate knows) was dropped: remember the hole. */
static void gx_hole_note(gx_ingest_hole_t *t, const uint8_t *enc) {
  gx_ingest_hole_t *h = gx_hole_slot(t, enc);
  uint64_t seq = gx_ld64(enc + GX_XFER_OFF_INIT_SEQ);
  if (h->seq && !memcmp(h->key, enc + GX_XFER_OFF_INITIATOR, 32)) {
    if (seq < h->seq) h->seq = seq;
    return;
  }
  memcpy(h->key, enc + GX_XFER_OFF_INITIATOR, 32);
  h->seq = seq;
}

/* 1: enc lies behind a hole of its account (drop it). next: the account's
 * committed next seq from the gate (> 0). Clears a hole that enc fills or the
 * committed head passed. */
static int gx_hole_behind(gx_ingest_hole_t *t, const uint8_t *enc, uint64_t next) {
  gx_ingest_hole_t *h = gx_hole_slot(t, enc);
  if (!h->seq || memcmp(h->key, enc + GX_XFER_OFF_INITIATOR, 32)) return 0;
  uint64_t seq = gx_ld64(enc + GX_XFER_OFF_INIT_SEQ);
  if (next > h->seq || seq == h->seq) {
    h->seq = 0;
    return 0;
  }
  return seq > h->seq;
}

struct gx_ingest;
typedef struct {
  struct gx_ingest *ing;
  int idx;
} gx_ingest_stage_arg_t;

struct gx_ingest {
  gx_ingest_cfg_t cfg;
  char name[24];
  gx_dp_queue_t *rxq[GX_INGEST_MAX_RX];
  int n_rx;
  struct rte_ring *verify_ring, *mempool_ring, *gossip_ring, *tx_ring;
  gx_ingest_pool_t items, txbufs;
  gx_dedup_t *dedup;
  gx_dedup_t *preverified; /* keys (dedup's) of transfers verified outside the pipeline */
  gx_mempool_t *mp;
  gx_gossip_t gossip;
  atomic_int stop;
  int running;
  pthread_t threads[GX_MAX_THREADS];
  int n_threads;
  gx_ingest_stage_arg_t args[GX_MAX_THREADS];
  /* mempool requests from other threads (gx_ingest_take_shard, _held, _committed) */
  pthread_mutex_t call_lock;
  atomic_int call_state; /* 0 idle, 1 pending, 2 done */
  struct gx_ingest_req *call_req;
  /* metrics */
  gx_ingest_rx_stats_t rx_stats[GX_INGEST_MAX_RX];
  gx_ingest_hole_t *holes[GX_INGEST_MAX_RX]; /* per RX thread, GX_INGEST_HOLES each */
  /* LSH block intake: one reassembler per RX thread (NULL: lsh_slots 0), the
   * sink (set before start, read by the RX threads) */
  gx_chunk_rx_t *lsh_rx[GX_INGEST_MAX_RX];
  gx_ingest_lsh_fn lsh_sink;
  void *lsh_ctx;
  gx_ingest_verify_stats_t verify_stats[GX_INGEST_MAX_VERIFY];
  gx_ingest_stats_t st;
  gx_metrics_hist_t verify_hist;
  /* double spends seen (gx_ingest_equivocations): ring under equiv_lock */
  pthread_mutex_t equiv_lock;
  gx_ingest_equivocation_t *equiv; /* GX_INGEST_EQUIV_KEPT */
  uint64_t n_equiv;
};

/* ---- helpers ---- */
static uint64_t gx_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void gx_sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

/* Idle back-off of a polling stage: spin briefly, then sleep 250 us eight
 * times, then 1 ms. A stage fed a trickle (the mempool stage gets verified
 * transfers one by one) then wakes at most 4,000 times a second instead of
 * once per item: each wake-up takes a slice of a core from the verify workers
 * (20,000 wake-ups a second cost 2 workers 7% of their rate on a 2-core host).
 * A stage idle for 2 ms answers within 1 ms. */
static void gx_idle(unsigned *spins) {
  unsigned s = ++*spins;
  if (s < 32) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    gx_sleep_us(s < 40 ? 250 : 1000);
  }
}

static int gx_stopping(const gx_ingest_t *ing) {
  return atomic_load_explicit(&ing->stop, memory_order_relaxed);
}

/* Enqueues all n objects, waiting while the ring is full (internal links
 * apply backpressure). Returns how many went in (< n only when stopping). */
static unsigned gx_push_all(gx_ingest_t *ing, struct rte_ring *r, void **objs, unsigned n,
                            _Atomic uint64_t *waits) {
  unsigned done = 0;
  while (done < n) {
    done += rte_ring_enqueue_burst(r, objs + done, n - done, NULL);
    if (done < n) {
      if (gx_stopping(ing)) break;
      gx_metrics_add(waits, 1);
      gx_sleep_us(20);
    }
  }
  return done;
}

void gx_ingest_cfg_defaults(gx_ingest_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->n_verify = 1;
  for (int i = 0; i < GX_INGEST_MAX_RX; i++) cfg->rx_cores[i] = -1;
  for (int i = 0; i < GX_INGEST_MAX_VERIFY; i++) cfg->verify_cores[i] = -1;
  cfg->mempool_core = cfg->gossip_core = cfg->housekeeping_core = -1;
  cfg->verify_batch = 64;
  cfg->verify_nice = 0;
  cfg->verify_ring = 65536;
  cfg->link_ring = 16384;
  cfg->items = 131072;
  cfg->dedup_entries = 4194304;
  cfg->lsh_slots = GX_INGEST_LSH_SLOTS;
  cfg->lsh_done = GX_INGEST_LSH_DONE;
  gx_mempool_cfg_defaults(&cfg->mempool);
  gx_gossip_cfg_defaults(&cfg->gossip);
  cfg->name = "gx";
}

/* ---- parse + dedup ---- */
const char *gx_ingest_parse_label(int reason) {
  if (reason == GX_INGEST_PARSE_OVERSIZE) return "oversize";
  return gx_proto_err_label((gx_proto_err_t)reason);
}

/* Dedup runs before the per-transfer strict decode and the tx id: a
 * duplicate's key was inserted only after those bytes passed the strict
 * decode, so decoding them again cannot fail. The envelope checks and their
 * order are gx_batch_decode's, so the verdict (error reason, or the
 * transfers) equals gx_batch_decode's on every input (the fuzzer checks
 * this); duplicates just skip the expensive part. */
int gx_ingest_parse(gx_dedup_t *dedup, const uint8_t *buf, size_t len, gx_ingest_parsed_t *out) {
  out->n_new = out->n_dup = 0;
  out->hops = 0;
  if (len > GX_UDP_PAYLOAD_MAX) return GX_INGEST_PARSE_OVERSIZE;
  if (len < GX_BATCH_HDR_SZ)
    return len >= 2 && buf[0] != GX_PROTO_VERSION ? GX_PROTO_ERR_VERSION : GX_PROTO_ERR_SHORT;
  if (buf[0] != GX_PROTO_VERSION) return GX_PROTO_ERR_VERSION;
  if (buf[1] != GX_MSG_TX_BATCH) return GX_PROTO_ERR_TYPE;
  size_t count = buf[2];
  if (count == 0 || count > GX_BATCH_MAX) return GX_PROTO_ERR_COUNT;
  if (buf[3] > GX_BATCH_MAX_HOPS) return GX_PROTO_ERR_RANGE;
  if (len < gx_batch_size(count)) return GX_PROTO_ERR_SHORT;
  if (len > gx_batch_size(count)) return GX_PROTO_ERR_TRAILING;
  gx_dedup_key_t keys[GX_BATCH_MAX];
  int seen[GX_BATCH_MAX];
  for (size_t i = 0; i < count; i++) {
    gx_dedup_key(dedup, buf + GX_BATCH_HDR_SZ + i * GX_XFER_SZ, GX_XFER_SZ, &keys[i]);
    seen[i] = gx_dedup_contains(dedup, &keys[i]);
  }
  for (size_t i = 0; i < count; i++) {
    if (seen[i]) continue;
    gx_proto_err_t e = gx_xfer_check(buf + GX_BATCH_HDR_SZ + i * GX_XFER_SZ, GX_XFER_SZ);
    if (e != GX_PROTO_OK) return e;
  }
  out->hops = buf[3];
  for (size_t i = 0; i < count; i++) {
    /* insert also settles races with other RX threads and repeats inside
     * this datagram: the first insert wins, the rest are duplicates */
    if (seen[i] || gx_dedup_insert(dedup, &keys[i])) {
      out->n_dup++;
    } else {
      const uint8_t *x = buf + GX_BATCH_HDR_SZ + i * GX_XFER_SZ;
      out->new_xfers[out->n_new] = x;
      out->new_keys[out->n_new] = keys[i];
      out->n_new++;
    }
  }
  return GX_PROTO_OK;
}

/* ---- LSH block intake ---- */
static const char *const gx_ingest_lsh_labels[GX_INGEST_LSH__COUNT] = {
  [GX_INGEST_LSH_NONE] = "none",
  [GX_INGEST_LSH_ACCEPTED] = "accepted",
  [GX_INGEST_LSH_BAD_DECODE] = "bad_decode",
  [GX_INGEST_LSH_BAD_ID] = "bad_id",
  [GX_INGEST_LSH_SINK_FULL] = "sink_full",
};

const char *gx_ingest_lsh_label(gx_ingest_lsh_verdict_t v) {
  return (unsigned)v < GX_INGEST_LSH__COUNT ? gx_ingest_lsh_labels[v] : "unknown";
}

size_t gx_ingest_lsh_footprint(const gx_ingest_cfg_t *cfg) {
  if (cfg->lsh_slots == 0) return 0;
  return gx_chunk_rx_footprint(cfg->lsh_slots, (uint32_t)GX_LSH_MAX_SZ, cfg->lsh_done);
}

gx_chunk_verdict_t gx_ingest_lsh_chunk(gx_chunk_rx_t *r, const uint8_t *buf, size_t len,
                                       gx_ingest_lsh_fn sink, void *ctx,
                                       gx_ingest_lsh_verdict_t *block, gx_proto_err_t *why) {
  gx_chunk_obj_t o;
  gx_proto_err_t e = GX_PROTO_OK;
  gx_chunk_verdict_t v = gx_chunk_rx_add(r, buf, len, &o, &e);
  *block = GX_INGEST_LSH_NONE;
  if (why) *why = e;
  if (v != GX_CHUNK_COMPLETE) return v;
  gx_lsh_t b;
  e = gx_lsh_decode(&b, o.data, o.len);
  if (why) *why = e;
  if (e != GX_PROTO_OK) {
    *block = GX_INGEST_LSH_BAD_DECODE;
    gx_chunk_rx_reject(r, &o);
    return v;
  }
  gx_hash_t id;
  gx_lsh_id(&id, &b);
  if (!gx_hash_eq(&id, &o.id)) {
    *block = GX_INGEST_LSH_BAD_ID;
    gx_chunk_rx_reject(r, &o);
    return v;
  }
  if (sink(ctx, &o.id, o.data, o.len) == 0) {
    *block = GX_INGEST_LSH_ACCEPTED;
    gx_chunk_rx_accept(r, &o);
  } else { /* refused for now: free the slot, remember the id neither way */
    *block = GX_INGEST_LSH_SINK_FULL;
    gx_hash_t keep = o.id;
    gx_chunk_rx_reject(r, &o);
    gx_chunk_rx_forget(r, &keep);
  }
  return v;
}

int gx_ingest_set_lsh_sink(gx_ingest_t *ing, gx_ingest_lsh_fn fn, void *ctx) {
  if (ing->running || (fn && !ing->lsh_rx[0])) return -1;
  ing->lsh_sink = fn;
  ing->lsh_ctx = fn ? ctx : NULL;
  return 0;
}

/* The RX thread's copy of its reassembler's counters into its atomics (the
 * reassembler's own are plain: only this thread may read them). */
static void gx_ingest_lsh_publish(gx_ingest_rx_stats_t *st, const gx_chunk_rx_t *r) {
  const gx_chunk_stats_t *cs = gx_chunk_rx_stats(r);
  for (int v = 0; v < GX_CHUNK__COUNT; v++)
    atomic_store_explicit(&st->lsh_chunks[v], cs->chunks[v], memory_order_relaxed);
  atomic_store_explicit(&st->lsh_evicted, cs->evicted, memory_order_relaxed);
}

/* ---- RX stage ---- */
static void gx_ingest_rx_send_gossip(gx_ingest_t *ing, gx_dp_queue_t *q, gx_ingest_rx_stats_t *st) {
  void *bufs[GX_DP_BURST];
  unsigned n = rte_ring_dequeue_burst(ing->tx_ring, bufs, GX_DP_BURST, NULL);
  if (!n) return;
  gx_addr_t dst[GX_DP_BURST];
  const uint8_t *payloads[GX_DP_BURST];
  uint16_t lens[GX_DP_BURST];
  for (unsigned i = 0; i < n; i++) {
    gx_ingest_txbuf_t *b = bufs[i];
    dst[i] = b->dst;
    payloads[i] = b->data;
    lens[i] = b->len;
  }
  int sent = gx_dp_tx_burst(q, dst, payloads, lens, (int)n);
  if (sent < 0) sent = 0;
  gx_metrics_add(&st->tx_dgrams, (uint64_t)sent);
  gx_metrics_add(&st->tx_drops, n - (unsigned)sent);
  gx_ingest_pool_put_bulk(&ing->txbufs, bufs, n);
}

static void *gx_ingest_rx_main(void *arg) {
  gx_ingest_stage_arg_t *a = arg;
  gx_ingest_t *ing = a->ing;
  gx_dp_queue_t *q = ing->rxq[a->idx];
  gx_ingest_rx_stats_t *st = &ing->rx_stats[a->idx];
  gx_dgram_t dg[GX_DP_BURST];
  void *items[GX_DP_BURST * GX_BATCH_MAX];
  uint8_t known[GX_DP_BURST * GX_BATCH_MAX]; /* the gate knew the item's account */
  gx_ingest_hole_t *holes = ing->holes[a->idx];
  gx_chunk_rx_t *lsh = ing->lsh_sink ? ing->lsh_rx[a->idx] : NULL; /* fixed while running */
  unsigned spins = 0;
  while (!gx_stopping(ing)) {
    if (a->idx == 0) gx_ingest_rx_send_gossip(ing, q, st);
    int n = gx_dp_rx_burst(q, dg, GX_DP_BURST);
    if (n <= 0) {
      if (n < 0) gx_metrics_add(&st->rx_errors, 1);
      if (ing->cfg.rx_busy_poll) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else {
        gx_idle(&spins);
      }
      continue;
    }
    spins = 0;
    unsigned ni = 0;
    uint64_t bytes = 0, xfers = 0, dups = 0, pool_empty = 0, gate_stale = 0, gate_far = 0;
    uint64_t far_ahead = 0, behind_hole = 0, unknown_busy = 0, chunks = 0;
    /* Verify queue more than 3/4 full: admit, per account, only transfers
     * near its chain's head. Random drops at a full queue punch holes in
     * chains, and a hole blocks every later transfer of its account until the
     * wallet re-sends it; dropping the far-ahead ones first keeps room for
     * the transfers (and re-sends) that can commit next. */
    unsigned cap = rte_ring_get_capacity(ing->verify_ring), queued = rte_ring_count(ing->verify_ring);
    int congested = queued > cap - cap / 4;
    /* On a chain, a transfer of an account the mempool does not know (neither
     * funded at genesis nor ever committed) cannot commit now; once verifying
     * falls behind (queue more than 1/16 full) such transfers are dropped
     * first, so that junk from free keys cannot delay, behind itself in the
     * queue, the transfers of accounts that exist (issue 19). */
    int busy = queued > cap / GX_INGEST_UNKNOWN_BUSY_DIV && gx_mempool_chain_view(ing->mp);
    for (int i = 0; i < n; i++) {
      bytes += dg[i].len;
      if (lsh && dg[i].len >= 2 && dg[i].payload[0] == GX_PROTO_VERSION &&
          dg[i].payload[1] == GX_MSG_LSH_CHUNK) {
        gx_ingest_lsh_verdict_t bv;
        gx_ingest_lsh_chunk(lsh, dg[i].payload, dg[i].len, ing->lsh_sink, ing->lsh_ctx, &bv,
                            NULL);
        if (bv != GX_INGEST_LSH_NONE) gx_metrics_add(&st->lsh_blocks[bv], 1);
        chunks++;
        continue;
      }
      gx_ingest_parsed_t p;
      int e = gx_ingest_parse(ing->dedup, dg[i].payload, dg[i].len, &p);
      if (e != GX_PROTO_OK) {
        gx_metrics_add(&st->parse_err[e], 1);
        continue;
      }
      xfers += p.n_new + p.n_dup;
      dups += p.n_dup;
      for (size_t k = 0; k < p.n_new; k++) {
        /* what the mempool would refuse is not worth two signature checks */
        uint64_t ahead, next;
        const uint8_t *x = p.new_xfers[k];
        gx_mempool_gate_t g = gx_mempool_gate(ing->mp, x, &ahead, &next);
        if (g == GX_MEMPOOL_GATE_STALE) {
          gate_stale++; /* stays in dedup: it can never be taken */
          continue;
        }
        if (next && gx_hole_behind(holes, x, next)) {
          behind_hole++;
          gx_dedup_remove(ing->dedup, &p.new_keys[k]); /* the wallet re-sends from the hole */
          continue;
        }
        if (busy && !next) {
          unknown_busy++;
          gx_dedup_remove(ing->dedup, &p.new_keys[k]); /* a later copy may pass */
          continue;
        }
        if (g == GX_MEMPOOL_GATE_TOO_FAR || (congested && ahead >= GX_INGEST_CONGESTED_AHEAD)) {
          if (g == GX_MEMPOOL_GATE_TOO_FAR) gate_far++;
          else far_ahead++;
          if (next) gx_hole_note(holes, x);
          gx_dedup_remove(ing->dedup, &p.new_keys[k]); /* welcome once its turn comes */
          continue;
        }
        gx_ingest_item_t *it = gx_ingest_pool_get(&ing->items);
        if (!it) {
          pool_empty++;
          if (next) gx_hole_note(holes, x);
          gx_dedup_remove(ing->dedup, &p.new_keys[k]); /* a later copy may pass */
          continue;
        }
        memcpy(it->enc, x, GX_XFER_SZ); /* id: by the verify worker */
        it->key = p.new_keys[k];
        it->hops = p.hops;
        known[ni] = next != 0;
        items[ni++] = it;
      }
    }
    gx_dp_rx_release(q, dg, n);
    gx_metrics_add(&st->dgrams, (uint64_t)n);
    gx_metrics_add(&st->bytes, bytes);
    gx_metrics_add(&st->transfers, xfers);
    gx_metrics_add(&st->duplicates, dups);
    gx_metrics_add(&st->drop_pool_empty, pool_empty);
    gx_metrics_add(&st->gate_stale, gate_stale);
    gx_metrics_add(&st->gate_too_far, gate_far);
    gx_metrics_add(&st->drop_far_ahead, far_ahead);
    gx_metrics_add(&st->drop_behind_hole, behind_hole);
    gx_metrics_add(&st->drop_unknown_busy, unknown_busy);
    if (chunks) gx_ingest_lsh_publish(st, lsh);
    if (!ni) continue;
    unsigned k = rte_ring_enqueue_burst(ing->verify_ring, items, ni, NULL);
    if (k < ni) { /* ingress under overload: drop and count, forget the ids */
      for (unsigned j = k; j < ni; j++) {
        gx_ingest_item_t *it = items[j];
        gx_dedup_remove(ing->dedup, &it->key);
        if (known[j]) gx_hole_note(holes, it->enc);
      }
      gx_ingest_pool_put_bulk(&ing->items, items + k, ni - k);
      gx_metrics_add(&st->drop_queue_full, ni - k);
    }
  }
  return NULL;
}

/* ---- verify workers ----
 * The per-batch work is gx_verify_batch (ingest/gx_verify.h); a worker owns
 * the ring, the hand-off and the counters. */
typedef struct {
  gx_ingest_t *ing;
  gx_ingest_verify_stats_t *st;
} gx_ingest_verify_arg_t;

/* gx_verify_batch's done(): a transfer that passed goes to the mempool stage
 * at once rather than with the rest of its batch (see gx_verify_ctx_t); one
 * that did not goes back to the pool. */
static void gx_ingest_verify_done(void *arg, gx_ingest_item_t *it, gx_verify_result_t r) {
  gx_ingest_verify_arg_t *a = arg;
  if (gx_verify_passes(r)) {
    void *obj = it;
    if (gx_push_all(a->ing, a->ing->mempool_ring, &obj, 1, &a->st->waits) == 1) return;
    /* not pushed: stopping */
  }
  gx_ingest_pool_put(&a->ing->items, it);
}

static void *gx_ingest_verify_main(void *arg) {
  gx_ingest_stage_arg_t *sa = arg;
  gx_ingest_t *ing = sa->ing;
  gx_ingest_verify_stats_t *st = &ing->verify_stats[sa->idx];
  gx_ingest_verify_arg_t a = {ing, st};
  const gx_verify_ctx_t ctx = {.gate = ing->mp,
                               .dedup = ing->dedup,
                               .preverified = ing->preverified,
                               .done = gx_ingest_verify_done,
                               .arg = &a};
  void *in[GX_INGEST_MAX_BATCH];
  unsigned spins = 0;
  /* Signature checks are the bulk work; on a core shared with RX, consensus or
   * another validator they must not delay those (a consensus message waiting
   * behind a 6 ms verify batch slows every validator's epoch). Raising one's
   * own nice needs no privilege; the worst case is the default priority. */
  if (ing->cfg.verify_nice) (void)setpriority(PRIO_PROCESS, (id_t)gettid(), ing->cfg.verify_nice);
  while (!gx_stopping(ing)) {
    unsigned n = rte_ring_dequeue_burst(ing->verify_ring, in, ing->cfg.verify_batch, NULL);
    if (!n) {
      gx_idle(&spins);
      continue;
    }
    spins = 0;
    uint64_t t0 = gx_now_ns();
    gx_verify_counts_t c = {{0}};
    gx_verify_batch(&ctx, in, n, NULL, &c);
    gx_metrics_hist_observe(&ing->verify_hist, gx_now_ns() - t0);
    gx_metrics_add(&st->batches, 1);
    gx_metrics_add(&st->ok, c.n[GX_VERIFY_OK] + c.n[GX_VERIFY_PREVERIFIED]);
    gx_metrics_add(&st->bad_init, c.n[GX_VERIFY_BAD_INIT]);
    gx_metrics_add(&st->bad_cp, c.n[GX_VERIFY_BAD_CP]);
    gx_metrics_add(&st->gate_stale, c.n[GX_VERIFY_GATE_STALE]);
    gx_metrics_add(&st->gate_too_far, c.n[GX_VERIFY_GATE_TOO_FAR]);
    gx_metrics_add(&st->preverified, c.n[GX_VERIFY_PREVERIFIED]);
  }
  return NULL;
}

/* ---- mempool requests ----
 * The chain half reaches the mempool through three typed requests; the
 * mempool stage runs them between batches, so the mempool keeps one owner. */
typedef enum {
  GX_INGEST_REQ_TAKE,
  GX_INGEST_REQ_HELD,
  GX_INGEST_REQ_COMMITTED,
  GX_INGEST_REQ_GENESIS
} gx_ingest_req_op_t;

typedef struct gx_ingest_req {
  gx_ingest_req_op_t op;
  /* TAKE */
  uint32_t shard, n_shards;
  uint8_t *out;
  size_t max, got;
  int any_ready;
  /* HELD and COMMITTED's drops */
  const uint8_t *const *xfers;
  const gx_hash_t *ids;
  size_t n;
  uint8_t *held;
  /* COMMITTED; GENESIS (accounts, n_accounts; lost: how many found no room) */
  const gx_pubkey_t *accounts;
  const uint64_t *seqs;
  size_t n_accounts;
  uint64_t lost;
} gx_ingest_req_t;

static void gx_ingest_req_run(gx_ingest_t *ing, gx_ingest_req_t *r) {
  gx_mempool_t *mp = ing->mp;
  switch (r->op) {
  case GX_INGEST_REQ_TAKE:
    r->any_ready = gx_mempool_ready(mp) > 0;
    r->got = gx_mempool_take_shard(mp, r->out, NULL, r->max, r->shard, r->n_shards);
    break;
  case GX_INGEST_REQ_HELD:
    for (size_t i = 0; i < r->n; i++) r->held[i] = (uint8_t)gx_mempool_contains(mp, r->xfers[i], &r->ids[i]);
    break;
  case GX_INGEST_REQ_COMMITTED:
    for (size_t i = 0; i < r->n_accounts; i++) gx_mempool_on_committed(mp, &r->accounts[i], r->seqs[i]);
    for (size_t i = 0; i < r->n; i++) gx_mempool_drop(mp, r->xfers[i], &r->ids[i]);
    gx_mempool_untake_all(mp); /* what was taken and not committed goes back */
    /* a black hole committed: one round for the unknown accounts' expiry */
    gx_metrics_add(&ing->st.unknown_expired, gx_mempool_tick(mp));
    break;
  case GX_INGEST_REQ_GENESIS:
    r->lost = gx_mempool_genesis(mp, r->accounts, r->n_accounts);
    break;
  }
}

/* Runs r on the mempool stage's thread (inline when the pipeline is not
 * running) and returns once it ran. */
static void gx_ingest_request(gx_ingest_t *ing, gx_ingest_req_t *r) {
  pthread_mutex_lock(&ing->call_lock);
  if (!ing->running) {
    gx_ingest_req_run(ing, r);
  } else {
    ing->call_req = r;
    atomic_store_explicit(&ing->call_state, 1, memory_order_release);
    while (atomic_load_explicit(&ing->call_state, memory_order_acquire) != 2) gx_sleep_us(50);
    atomic_store_explicit(&ing->call_state, 0, memory_order_relaxed);
  }
  pthread_mutex_unlock(&ing->call_lock);
}

size_t gx_ingest_take_shard(gx_ingest_t *ing, uint32_t shard, uint32_t n_shards, uint8_t *out,
                            size_t max, int *any_ready) {
  gx_ingest_req_t r = {.op = GX_INGEST_REQ_TAKE, .shard = shard, .n_shards = n_shards, .out = out, .max = max};
  gx_ingest_request(ing, &r);
  if (any_ready) *any_ready = r.any_ready;
  return r.got;
}

void gx_ingest_held(gx_ingest_t *ing, const uint8_t *const *xfers, const gx_hash_t *ids, size_t n,
                    uint8_t *held) {
  gx_ingest_req_t r = {.op = GX_INGEST_REQ_HELD, .xfers = xfers, .ids = ids, .n = n, .held = held};
  gx_ingest_request(ing, &r);
}

void gx_ingest_committed(gx_ingest_t *ing, const gx_pubkey_t *accounts, const uint64_t *seqs,
                         size_t n_accounts, const uint8_t *const *dropped,
                         const gx_hash_t *dropped_ids, size_t n_dropped) {
  gx_ingest_req_t r = {.op = GX_INGEST_REQ_COMMITTED, .accounts = accounts, .seqs = seqs,
                       .n_accounts = n_accounts, .xfers = dropped, .ids = dropped_ids, .n = n_dropped};
  gx_ingest_request(ing, &r);
}

uint64_t gx_ingest_genesis_accounts(gx_ingest_t *ing, const gx_pubkey_t *accounts, size_t n) {
  gx_ingest_req_t r = {.op = GX_INGEST_REQ_GENESIS, .accounts = accounts, .n_accounts = n};
  gx_ingest_request(ing, &r);
  return r.lost;
}

/* ---- mempool stage ---- */
static void gx_ingest_mempool_serve(gx_ingest_t *ing) {
  if (atomic_load_explicit(&ing->call_state, memory_order_acquire) != 1) return;
  gx_ingest_req_run(ing, ing->call_req);
  atomic_store_explicit(&ing->call_state, 2, memory_order_release);
}

/* The mempool held `first` at this (account, seq) when `second`, another
 * verified transfer of the same account and seq, arrived: a double spend.
 * Both passed the verify stage, so the proof needs no signature work here
 * (the mempool thread stays cheap under a flood of them); one per (account,
 * seq) in the ring. */
static void gx_ingest_note_equivocation(gx_ingest_t *ing, const uint8_t *first, const uint8_t *second) {
  if (!ing->equiv) return;
  gx_ingest_equivocation_t e;
  memcpy(e.account.b, first + GX_XFER_OFF_INITIATOR, GX_PUBKEY_SZ);
  e.seq = gx_ld64(first + GX_XFER_OFF_INIT_SEQ);
  if (memcmp(second + GX_XFER_OFF_INITIATOR, e.account.b, GX_PUBKEY_SZ) ||
      gx_ld64(second + GX_XFER_OFF_INIT_SEQ) != e.seq)
    return;
  memcpy(e.first, first, GX_XFER_SZ);
  memcpy(e.second, second, GX_XFER_SZ);
  pthread_mutex_lock(&ing->equiv_lock);
  uint64_t kept = ing->n_equiv < GX_INGEST_EQUIV_KEPT ? ing->n_equiv : GX_INGEST_EQUIV_KEPT;
  int dup = 0;
  for (uint64_t i = 0; i < kept && !dup; i++)
    dup = ing->equiv[i].seq == e.seq && !memcmp(ing->equiv[i].account.b, e.account.b, GX_PUBKEY_SZ);
  if (!dup) {
    ing->equiv[ing->n_equiv % GX_INGEST_EQUIV_KEPT] = e;
    ing->n_equiv++;
    gx_metrics_add(&ing->st.equivocations, 1);
  }
  pthread_mutex_unlock(&ing->equiv_lock);
}

size_t gx_ingest_equivocations(gx_ingest_t *ing, gx_ingest_equivocation_t *out, size_t max,
                               uint64_t *seen) {
  pthread_mutex_lock(&ing->equiv_lock);
  uint64_t kept = ing->n_equiv < GX_INGEST_EQUIV_KEPT ? ing->n_equiv : GX_INGEST_EQUIV_KEPT;
  size_t n = 0;
  for (uint64_t k = 0; k < kept && n < max; k++) /* newest first */
    out[n++] = ing->equiv[(ing->n_equiv - 1 - k) % GX_INGEST_EQUIV_KEPT];
  if (seen) *seen = ing->n_equiv;
  pthread_mutex_unlock(&ing->equiv_lock);
  return n;
}

static void *gx_ingest_mempool_main(void *arg) {
  gx_ingest_t *ing = ((gx_ingest_stage_arg_t *)arg)->ing;
  gx_ingest_stats_t *st = &ing->st;
  void *in[GX_MP_BURST], *fwd[GX_MP_BURST];
  unsigned spins = 0;
  int gossiping = ing->cfg.gossip.n_peers > 0;
  gx_mempool_evicted_t evicted;
  while (!gx_stopping(ing)) {
    gx_ingest_mempool_serve(ing);
    unsigned n = rte_ring_dequeue_burst(ing->mempool_ring, in, GX_MP_BURST, NULL);
    if (!n) {
      gx_idle(&spins);
      continue;
    }
    spins = 0;
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
      gx_ingest_item_t *it = in[i];
      gx_mempool_err_t r = gx_mempool_insert(ing->mp, it->enc, &it->id, &evicted);
      if (r == GX_MEMPOOL_OK) {
        gx_metrics_add(&st->inserted, 1);
        if (evicted.evicted) { /* gone for now, not for ever: a re-sent copy may come back */
          gx_metrics_add(&st->evicted, 1);
          if (evicted.evicted_unknown) gx_metrics_add(&st->unknown_evicted, 1);
          gx_dedup_key_t k;
          gx_dedup_key(ing->dedup, evicted.enc, GX_XFER_SZ, &k);
          gx_dedup_remove(ing->dedup, &k);
        }
        if (evicted.unknown) gx_metrics_add(&st->unknown_held, 1);
        /* an unknown account's transfer stays here: nobody can propose it before
         * the account is funded, and forwarding junk would multiply its cost */
        if (gossiping && !evicted.unknown) {
          fwd[m++] = it;
          continue;
        }
      } else {
        gx_metrics_add(&st->rejected[r], 1);
        if (r == GX_MEMPOOL_ERR_CONFLICT && evicted.conflict) gx_ingest_note_equivocation(ing, evicted.enc, it->enc);
        /* refused for now, not for ever (too far ahead of its account, pool
         * or account table full): forget it in dedup, so the copy a wallet
         * re-sends once the gap before it is filled can get in */
        if (r == GX_MEMPOOL_ERR_TOO_FAR || r == GX_MEMPOOL_ERR_FULL || r == GX_MEMPOOL_ERR_ACCOUNTS)
          gx_dedup_remove(ing->dedup, &it->key);
      }
      gx_ingest_pool_put(&ing->items, it);
    }
    unsigned done = gx_push_all(ing, ing->gossip_ring, fwd, m, &st->waits);
    if (done < m) gx_ingest_pool_put_bulk(&ing->items, fwd + done, m - done);
  }
  gx_ingest_mempool_serve(ing); /* a caller that got in before stop */
  return NULL;
}

/* ---- gossip stage ---- */
static void gx_ingest_gossip_emit(void *ctx, const gx_addr_t *dst, const uint8_t *dgram, size_t len) {
  gx_ingest_t *ing = ctx;
  gx_ingest_txbuf_t *b;
  while (!(b = gx_ingest_pool_get(&ing->txbufs))) {
    if (gx_stopping(ing)) return;
    gx_metrics_add(&ing->st.gossip_waits, 1);
    gx_sleep_us(20);
  }
  b->dst = *dst;
  b->len = (uint16_t)len;
  memcpy(b->data, dgram, len);
  void *obj = b;
  if (gx_push_all(ing, ing->tx_ring, &obj, 1, &ing->st.gossip_waits) != 1)
    gx_ingest_pool_put(&ing->txbufs, b);
}

static void *gx_ingest_gossip_main(void *arg) {
  gx_ingest_t *ing = ((gx_ingest_stage_arg_t *)arg)->ing;
  gx_ingest_stats_t *st = &ing->st;
  gx_gossip_t *g = &ing->gossip;
  void *in[GX_MP_BURST];
  unsigned spins = 0;
  while (!gx_stopping(ing)) {
    unsigned n = rte_ring_dequeue_burst(ing->gossip_ring, in, GX_MP_BURST, NULL);
    for (unsigned i = 0; i < n; i++) {
      gx_ingest_item_t *it = in[i];
      gx_gossip_add(g, it->enc, it->hops);
    }
    if (n) gx_ingest_pool_put_bulk(&ing->items, in, n);
    if (n < GX_MP_BURST) gx_gossip_flush(g); /* input ran dry: send partial batches */
    atomic_store_explicit(&st->gossip_forwarded, g->forwarded, memory_order_relaxed);
    atomic_store_explicit(&st->gossip_copies, g->copies, memory_order_relaxed);
    atomic_store_explicit(&st->gossip_dgrams, g->datagrams, memory_order_relaxed);
    atomic_store_explicit(&st->gossip_hops_exceeded, g->hops_exceeded, memory_order_relaxed);
    if (!n) gx_idle(&spins);
    else spins = 0;
  }
  return NULL;
}

/* ---- housekeeping ---- */
static uint64_t gx_ingress_drops(const gx_ingest_t *ing) {
  uint64_t d = 0;
  for (int i = 0; i < ing->n_rx; i++)
    d += ing->rx_stats[i].drop_queue_full + ing->rx_stats[i].drop_pool_empty +
         ing->rx_stats[i].drop_far_ahead + ing->rx_stats[i].drop_behind_hole +
         ing->rx_stats[i].drop_unknown_busy;
  return d;
}

static void *gx_housekeeping_main(void *arg) {
  gx_ingest_t *ing = ((gx_ingest_stage_arg_t *)arg)->ing;
  uint64_t last_drops = gx_ingress_drops(ing), next = gx_now_ns() + 1000000000ull;
  while (!gx_stopping(ing)) {
    gx_sleep_us(20000);
    uint64_t now = gx_now_ns();
    if (now < next) continue;
    next = now + 1000000000ull;
    gx_metrics_add(&ing->st.housekeeping_ticks, 1);
    uint64_t d = gx_ingress_drops(ing);
    if (d != last_drops)
      GX_WARN("ingest", "overload: %llu transfers dropped at ingress in the last second "
                        "(verify queue %u/%u full or item pool empty)",
              (unsigned long long)(d - last_drops), rte_ring_count(ing->verify_ring),
              rte_ring_get_capacity(ing->verify_ring));
    last_drops = d;
  }
  return NULL;
}

/* ---- lifecycle ---- */
static int gx_pow2(uint32_t v) { return v >= 2 && (v & (v - 1)) == 0; }

gx_ingest_t *gx_ingest_new(const gx_ingest_cfg_t *cfg, gx_dp_queue_t *const *rxq, int n_rxq,
                           char *err, size_t errlen) {
  if (n_rxq < 1 || n_rxq > GX_INGEST_MAX_RX) {
    snprintf(err, errlen, "RX queues %d out of range 1..%d", n_rxq, GX_INGEST_MAX_RX);
    return NULL;
  }
  if (cfg->n_verify < 1 || cfg->n_verify > GX_INGEST_MAX_VERIFY) {
    snprintf(err, errlen, "verify workers %d out of range 1..%d", cfg->n_verify, GX_INGEST_MAX_VERIFY);
    return NULL;
  }
  if (cfg->verify_nice < 0 || cfg->verify_nice > 19) {
    snprintf(err, errlen, "verify nice %d out of range 0..19", cfg->verify_nice);
    return NULL;
  }
  if (cfg->verify_batch < 1 || cfg->verify_batch > GX_INGEST_MAX_BATCH) {
    snprintf(err, errlen, "verify batch %u out of range 1..%d", cfg->verify_batch, GX_INGEST_MAX_BATCH);
    return NULL;
  }
  if (!gx_pow2(cfg->verify_ring) || !gx_pow2(cfg->link_ring)) {
    snprintf(err, errlen, "ring sizes must be powers of two (verify_ring %u, link_ring %u)",
             cfg->verify_ring, cfg->link_ring);
    return NULL;
  }
  if (cfg->items < 1024) {
    snprintf(err, errlen, "item pool of %u too small (at least 1024)", cfg->items);
    return NULL;
  }
  if (cfg->lsh_slots > GX_CHUNK_MAX_SLOTS ||
      (cfg->lsh_slots && (cfg->lsh_done < 1 || cfg->lsh_done > GX_CHUNK_MAX_DONE))) {
    snprintf(err, errlen, "LSH intake: lsh_slots %u (0..%d) or lsh_done %u (1..%d) out of range",
             cfg->lsh_slots, GX_CHUNK_MAX_SLOTS, cfg->lsh_done, GX_CHUNK_MAX_DONE);
    return NULL;
  }
  gx_ingest_t *ing = calloc(1, sizeof *ing);
  if (!ing) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  ing->cfg = *cfg;
  snprintf(ing->name, sizeof ing->name, "%s", cfg->name ? cfg->name : "gx");
  ing->n_rx = n_rxq;
  for (int i = 0; i < n_rxq; i++) ing->rxq[i] = rxq[i];
  pthread_mutex_init(&ing->call_lock, NULL);
  pthread_mutex_init(&ing->equiv_lock, NULL);
  ing->equiv = calloc(GX_INGEST_EQUIV_KEPT, sizeof *ing->equiv); /* NULL: none kept */
  uint64_t bounds[] = {100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
                       25000000, 50000000, 100000000, 250000000, 1000000000};
  gx_metrics_hist_init(&ing->verify_hist, bounds, (int)GX_ARRAY_LEN(bounds), 1e-9);
  char nm[64];
#define GX_RING(field, size, flags, label)                                               \
  do {                                                                                   \
    snprintf(nm, sizeof nm, "%s_%s", ing->name, label);                                  \
    ing->field = rte_ring_create(nm, size, SOCKET_ID_ANY, flags);                        \
    if (!ing->field) {                                                                   \
      snprintf(err, errlen, "rte_ring_create %s (%u slots): %s", nm, (unsigned)(size),   \
               rte_strerror(rte_errno));                                                 \
      gx_ingest_delete(ing);                                                             \
      return NULL;                                                                       \
    }                                                                                    \
  } while (0)
  GX_RING(verify_ring, cfg->verify_ring, n_rxq == 1 ? RING_F_SP_ENQ : 0, "verify");
  GX_RING(mempool_ring, cfg->link_ring, RING_F_SC_DEQ, "mempool");
  GX_RING(gossip_ring, cfg->link_ring, RING_F_SP_ENQ | RING_F_SC_DEQ, "gossip");
  GX_RING(tx_ring, GX_TX_BUFS, RING_F_SP_ENQ | RING_F_SC_DEQ, "tx");
#undef GX_RING
  snprintf(nm, sizeof nm, "%s_items", ing->name);
  int prc = gx_ingest_pool_init(&ing->items, nm, cfg->items, sizeof(gx_ingest_item_t));
  if (!prc) {
    snprintf(nm, sizeof nm, "%s_txbufs", ing->name);
    prc = gx_ingest_pool_init(&ing->txbufs, nm, GX_TX_BUFS - 1, sizeof(gx_ingest_txbuf_t));
  }
  if (prc) {
    snprintf(err, errlen, "pool %s: %s (raise EAL memory or lower [ingest] items)", nm,
             rte_strerror(rte_errno));
    gx_ingest_delete(ing);
    return NULL;
  }
  for (int i = 0; i < n_rxq; i++)
    if (!(ing->holes[i] = calloc(GX_INGEST_HOLES, sizeof(gx_ingest_hole_t)))) {
      snprintf(err, errlen, "out of memory for the RX hole tables");
      gx_ingest_delete(ing);
      return NULL;
    }
  for (int i = 0; cfg->lsh_slots && i < n_rxq; i++)
    if (!(ing->lsh_rx[i] = gx_chunk_rx_new(cfg->lsh_slots, (uint32_t)GX_LSH_MAX_SZ,
                                           cfg->lsh_done))) {
      snprintf(err, errlen, "out of memory for the LSH block reassemblers (%zu bytes each)",
               gx_ingest_lsh_footprint(cfg));
      gx_ingest_delete(ing);
      return NULL;
    }
  ing->dedup = gx_dedup_new(cfg->dedup_entries);
  ing->preverified = gx_dedup_new(GX_INGEST_PREVERIFIED);
  if (!ing->dedup || !ing->preverified) {
    snprintf(err, errlen, "out of memory for the dedup cache (%llu entries)",
             (unsigned long long)cfg->dedup_entries);
    gx_ingest_delete(ing);
    return NULL;
  }
  gx_mempool_err_t me;
  gx_mempool_cfg_t mc = cfg->mempool;
  randombytes_buf(&mc.hash_key, sizeof mc.hash_key); /* account hashes nobody can aim at */
  ing->mp = gx_mempool_new(&mc, &me);
  if (!ing->mp) {
    snprintf(err, errlen, "mempool: %s", gx_mempool_strerror(me));
    gx_ingest_delete(ing);
    return NULL;
  }
  if (gx_gossip_init(&ing->gossip, &cfg->gossip, gx_ingest_gossip_emit, ing) != 0) {
    snprintf(err, errlen, "gossip: fanout %u out of range 1..%d or too many peers",
             cfg->gossip.fanout, GX_GOSSIP_MAX_FANOUT);
    gx_ingest_delete(ing);
    return NULL;
  }
  return ing;
}

static int gx_spawn(gx_ingest_t *ing, void *(*fn)(void *), int idx, int core, const char *name,
                    char *err, size_t errlen) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    pthread_attr_setaffinity_np(&attr, sizeof set, &set);
  }
  int t = ing->n_threads;
  ing->args[t] = (gx_ingest_stage_arg_t){ing, idx};
  int rc = pthread_create(&ing->threads[t], &attr, fn, &ing->args[t]);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    snprintf(err, errlen, "cannot start thread %s on core %d: %s", name, core, strerror(rc));
    return -1;
  }
  pthread_setname_np(ing->threads[t], name);
  ing->n_threads++;
  return 0;
}

int gx_ingest_start(gx_ingest_t *ing, char *err, size_t errlen) {
  if (ing->running) {
    snprintf(err, errlen, "pipeline already running");
    return -1;
  }
  atomic_store(&ing->stop, 0);
  ing->running = 1;
  char nm[32];
  int rc = 0;
  rc |= gx_spawn(ing, gx_ingest_mempool_main, 0, ing->cfg.mempool_core, "gx-mempool", err, errlen);
  if (!rc) rc |= gx_spawn(ing, gx_ingest_gossip_main, 0, ing->cfg.gossip_core, "gx-gossip", err, errlen);
  for (int i = 0; !rc && i < ing->cfg.n_verify; i++) {
    snprintf(nm, sizeof nm, "gx-verify%d", i);
    rc |= gx_spawn(ing, gx_ingest_verify_main, i, ing->cfg.verify_cores[i], nm, err, errlen);
  }
  for (int i = 0; !rc && i < ing->n_rx; i++) {
    snprintf(nm, sizeof nm, "gx-rx%d", i);
    rc |= gx_spawn(ing, gx_ingest_rx_main, i, ing->cfg.rx_cores[i], nm, err, errlen);
  }
  if (!rc)
    rc |= gx_spawn(ing, gx_housekeeping_main, 0, ing->cfg.housekeeping_core, "gx-housekeep",
                   err, errlen);
  if (rc) {
    gx_ingest_stop(ing);
    return -1;
  }
  return 0;
}

void gx_ingest_stop(gx_ingest_t *ing) {
  if (!ing->running) return;
  pthread_mutex_lock(&ing->call_lock); /* no mempool call in flight from here */
  atomic_store(&ing->stop, 1);
  for (int i = 0; i < ing->n_threads; i++) pthread_join(ing->threads[i], NULL);
  ing->n_threads = 0;
  ing->running = 0;
  pthread_mutex_unlock(&ing->call_lock);
}

static void gx_ingest_ring_drain(struct rte_ring *r, gx_ingest_pool_t *pool) {
  void *objs[64];
  unsigned n;
  if (!r || !pool->mp) return;
  while ((n = rte_ring_dequeue_burst(r, objs, 64, NULL)) > 0) gx_ingest_pool_put_bulk(pool, objs, n);
}

void gx_ingest_delete(gx_ingest_t *ing) {
  if (!ing) return;
  gx_ingest_stop(ing);
  gx_ingest_ring_drain(ing->verify_ring, &ing->items);
  gx_ingest_ring_drain(ing->mempool_ring, &ing->items);
  gx_ingest_ring_drain(ing->gossip_ring, &ing->items);
  gx_ingest_ring_drain(ing->tx_ring, &ing->txbufs);
  rte_ring_free(ing->verify_ring);
  rte_ring_free(ing->mempool_ring);
  rte_ring_free(ing->gossip_ring);
  rte_ring_free(ing->tx_ring);
  gx_ingest_pool_fini(&ing->items);
  gx_ingest_pool_fini(&ing->txbufs);
  gx_dedup_delete(ing->dedup);
  gx_dedup_delete(ing->preverified);
  for (int i = 0; i < GX_INGEST_MAX_RX; i++) {
    free(ing->holes[i]);
    gx_chunk_rx_delete(ing->lsh_rx[i]);
  }
  gx_mempool_delete(ing->mp);
  pthread_mutex_destroy(&ing->call_lock);
  pthread_mutex_destroy(&ing->equiv_lock);
  free(ing->equiv);
  free(ing);
}

void gx_ingest_note_verified(gx_ingest_t *ing, const uint8_t enc[GX_XFER_SZ]) {
  gx_dedup_key_t k; /* the key the RX stage gives this transfer's item */
  gx_dedup_key(ing->dedup, enc, GX_XFER_SZ, &k);
  gx_dedup_insert(ing->preverified, &k);
}

void gx_ingest_snapshot(const gx_ingest_t *ing, gx_ingest_snapshot_t *o) {
  memset(o, 0, sizeof *o);
  for (int i = 0; i < ing->n_rx; i++) {
    const gx_ingest_rx_stats_t *s = &ing->rx_stats[i];
    o->dgrams += s->dgrams;
    o->bytes += s->bytes;
    for (int r = 0; r < GX_INGEST_PARSE_REASONS; r++) o->parse_errors += s->parse_err[r];
    o->transfers += s->transfers;
    o->duplicates += s->duplicates;
    o->ingress_drops += s->drop_queue_full + s->drop_pool_empty + s->drop_far_ahead +
                        s->drop_behind_hole + s->drop_unknown_busy;
    o->gate_drops += s->gate_stale + s->gate_too_far;
    o->tx_dgrams += s->tx_dgrams;
    o->tx_drops += s->tx_drops;
    for (int v = 0; v < GX_CHUNK__COUNT; v++) o->lsh_chunks[v] += s->lsh_chunks[v];
    o->lsh_evicted += s->lsh_evicted;
    for (int v = 0; v < GX_INGEST_LSH__COUNT; v++) o->lsh_blocks[v] += s->lsh_blocks[v];
  }
  for (int i = 0; i < ing->cfg.n_verify; i++) {
    o->verified_ok += ing->verify_stats[i].ok;
    o->verify_failed += ing->verify_stats[i].bad_init + ing->verify_stats[i].bad_cp;
    o->gate_drops += ing->verify_stats[i].gate_stale + ing->verify_stats[i].gate_too_far;
  }
  o->mempool_inserted = ing->st.inserted;
  for (int r = 0; r < GX_MEMPOOL_ERR__COUNT; r++) o->mempool_rejected += ing->st.rejected[r];
  o->mempool_size = gx_mempool_size(ing->mp);
  o->gossip_forwarded = ing->st.gossip_forwarded;
  o->gossip_dgrams = ing->st.gossip_dgrams;
}

/* ---- metrics ---- */
static double gx_m_ring_count(void *r) { return (double)rte_ring_count(r); }
static double gx_m_ring_cap(void *r) { return (double)rte_ring_get_capacity(r); }
static double gx_ingest_m_pool_avail(void *p) { return (double)gx_ingest_pool_avail(p); }
static double gx_ingest_m_mp_size(void *ing) { return (double)gx_mempool_size(((gx_ingest_t *)ing)->mp); }
static double gx_m_mp_accts(void *ing) {
  return (double)gx_mempool_accounts(((gx_ingest_t *)ing)->mp);
}
static double gx_ingest_m_mp_ready(void *ing) { return (double)gx_mempool_ready(((gx_ingest_t *)ing)->mp); }
static double gx_m_mp_cap(void *ing) { return (double)((gx_ingest_t *)ing)->cfg.mempool.capacity; }
static double gx_m_mp_unknown(void *ing) { return (double)gx_mempool_unknown(((gx_ingest_t *)ing)->mp); }
static double gx_m_mp_known(void *ing) { return (double)gx_mempool_known(((gx_ingest_t *)ing)->mp); }
static double gx_m_mp_limit(const gx_ingest_t *ing, int which) {
  gx_mempool_cfg_t l;
  gx_mempool_limits(ing->mp, &l);
  return (double)(which == 2 ? l.unknown_ttl : which ? l.max_known : l.max_unknown);
}
static double gx_m_mp_max_unknown(void *ing) { return gx_m_mp_limit(ing, 0); }
static double gx_m_mp_max_known(void *ing) { return gx_m_mp_limit(ing, 1); }
static double gx_m_mp_unknown_ttl(void *ing) { return gx_m_mp_limit(ing, 2); }
static double gx_m_dedup_cap(void *ing) {
  return (double)gx_dedup_entries(((gx_ingest_t *)ing)->dedup);
}
static double gx_m_workers(void *ing) { return (double)((gx_ingest_t *)ing)->cfg.n_verify; }

gx_metrics_err_t gx_ingest_metrics_register(gx_ingest_t *ing, gx_metrics_t *m) {
  gx_metrics_err_t rc = GX_METRICS_OK;
  const size_t rs = sizeof(gx_ingest_rx_stats_t), vs = sizeof(gx_ingest_verify_stats_t);
  gx_ingest_rx_stats_t *r0 = &ing->rx_stats[0];
  gx_ingest_verify_stats_t *v0 = &ing->verify_stats[0];
  size_t nr = (size_t)ing->n_rx, nv = (size_t)ing->cfg.n_verify;
#define GX_TRY(call)                                                                     \
  do {                                                                                   \
    if ((rc = (call)) != GX_METRICS_OK) return rc;                                       \
  } while (0)
  GX_TRY(gx_metrics_counter_sum(m, "gx_rx_datagrams_total", NULL,
                                "UDP datagrams taken off the dataplane by the RX stage.",
                                &r0->dgrams, nr, rs));
  GX_TRY(gx_metrics_counter_sum(m, "gx_rx_bytes_total", NULL,
                                "UDP payload bytes taken off the dataplane by the RX stage.",
                                &r0->bytes, nr, rs));
  GX_TRY(gx_metrics_counter_sum(m, "gx_rx_errors_total", NULL,
                                "Fatal-looking RX errors reported by the dataplane backend.",
                                &r0->rx_errors, nr, rs));
  for (int e = 1; e < GX_INGEST_PARSE_REASONS; e++) {
    if (e == GX_PROTO_ERR_ENTRY || e == GX_PROTO_ERR_BUFSZ) continue; /* not from batches */
    char lb[48];
    snprintf(lb, sizeof lb, "reason=\"%s\"", gx_ingest_parse_label(e));
    GX_TRY(gx_metrics_counter_sum(m, "gx_parse_errors_total", lb,
                                  "Datagrams rejected by the parser, by reason.",
                                  &r0->parse_err[e], nr, rs));
  }
  for (int v = 0; v < GX_CHUNK__COUNT; v++) {
    char lb[48];
    snprintf(lb, sizeof lb, "verdict=\"%s\"", gx_chunk_verdict_label((gx_chunk_verdict_t)v));
    GX_TRY(gx_metrics_counter_sum(m, "gx_lsh_chunks_total", lb,
                                  "LSH block chunk datagrams taken by the reassemblers, by verdict.",
                                  &r0->lsh_chunks[v], nr, rs));
  }
  GX_TRY(gx_metrics_counter_sum(m, "gx_lsh_objects_evicted_total", NULL,
                                "LSH block objects dropped unfinished to make room for new ones.",
                                &r0->lsh_evicted, nr, rs));
  for (int v = GX_INGEST_LSH_NONE + 1; v < GX_INGEST_LSH__COUNT; v++) {
    char lb[48];
    snprintf(lb, sizeof lb, "verdict=\"%s\"", gx_ingest_lsh_label((gx_ingest_lsh_verdict_t)v));
    GX_TRY(gx_metrics_counter_sum(m, "gx_lsh_blocks_total", lb,
                                  "LSH blocks rebuilt from chunks, by verdict (accepted: handed on).",
                                  &r0->lsh_blocks[v], nr, rs));
  }
  GX_TRY(gx_metrics_counter_sum(m, "gx_parse_transfers_total", NULL,
                                "Transfers decoded from valid batch datagrams.",
                                &r0->transfers, nr, rs));
  GX_TRY(gx_metrics_counter_sum(m, "gx_dedup_duplicates_total", NULL,
                                "Transfers dropped by dedup before verification (already seen).",
                                &r0->duplicates, nr, rs));
  {
    const struct {
      const char *labels;
      _Atomic uint64_t *first;
    } drops[] = {
        {"reason=\"verify_queue_full\"", &r0->drop_queue_full},
        {"reason=\"item_pool_empty\"", &r0->drop_pool_empty},
        {"reason=\"far_ahead\"", &r0->drop_far_ahead},
        {"reason=\"behind_hole\"", &r0->drop_behind_hole},
        {"reason=\"unknown_busy\"", &r0->drop_unknown_busy},
    };
    for (size_t i = 0; i < GX_ARRAY_LEN(drops); i++)
      GX_TRY(gx_metrics_counter_sum(m, "gx_ingress_drops_total", drops[i].labels,
                                    "New transfers dropped at ingress under overload, by reason.",
                                    drops[i].first, nr, rs));
  }
  {
    static const char gate_help[] =
        "Transfers dropped unverified: the mempool would refuse them (stale or too far seq).";
    GX_TRY(gx_metrics_counter_sum(m, "gx_gate_drops_total", "stage=\"rx\",reason=\"stale\"",
                                  gate_help, &r0->gate_stale, nr, rs));
    GX_TRY(gx_metrics_counter_sum(m, "gx_gate_drops_total", "stage=\"rx\",reason=\"too_far\"",
                                  gate_help, &r0->gate_too_far, nr, rs));
    GX_TRY(gx_metrics_counter_sum(m, "gx_gate_drops_total", "stage=\"verify\",reason=\"stale\"",
                                  gate_help, &v0->gate_stale, nv, vs));
    GX_TRY(gx_metrics_counter_sum(m, "gx_gate_drops_total", "stage=\"verify\",reason=\"too_far\"",
                                  gate_help, &v0->gate_too_far, nv, vs));
  }
  GX_TRY(gx_metrics_counter_sum(m, "gx_verify_preverified_total", NULL,
                                "Transfers passed on unverified: the commit stage had verified them.",
                                &v0->preverified, nv, vs));
  GX_TRY(gx_metrics_counter_sum(m, "gx_verify_ok_total", NULL,
                                "Transfers whose two signatures verified.", &v0->ok, nv, vs));
  GX_TRY(gx_metrics_counter_sum(m, "gx_verify_failed_total", "signature=\"initiator\"",
                                "Transfers dropped by verification, by the first bad signature.",
                                &v0->bad_init, nv, vs));
  GX_TRY(gx_metrics_counter_sum(m, "gx_verify_failed_total", "signature=\"counterparty\"",
                                "Transfers dropped by verification, by the first bad signature.",
                                &v0->bad_cp, nv, vs));
  GX_TRY(gx_metrics_counter_sum(m, "gx_verify_batches_total", NULL,
                                "Verify batches processed by the workers.", &v0->batches, nv, vs));
  GX_TRY(gx_metrics_histogram(m, "gx_verify_batch_duration_seconds", NULL,
                              "Wall time to verify one batch of transfers.", &ing->verify_hist));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_verify_workers", NULL, "Verify worker threads.",
                             gx_m_workers, ing));
  static const char *const bp_help =
      "Times a stage waited for room on a full internal link (backpressure), by link.";
  GX_TRY(gx_metrics_counter_sum(m, "gx_backpressure_waits_total", "link=\"verify_to_mempool\"",
                                bp_help, &v0->waits, nv, vs));
  GX_TRY(gx_metrics_counter(m, "gx_backpressure_waits_total", "link=\"mempool_to_gossip\"",
                            bp_help, &ing->st.waits));
  GX_TRY(gx_metrics_counter(m, "gx_backpressure_waits_total", "link=\"gossip_to_tx\"", bp_help,
                            &ing->st.gossip_waits));
  GX_TRY(gx_metrics_counter(m, "gx_equivocations_seen_total", NULL,
                            "Double spends seen by ingest (proofs at /v1/equivocations).",
                            &ing->st.equivocations));
  GX_TRY(gx_metrics_counter(m, "gx_mempool_inserted_total", NULL,
                            "Verified transfers added to the mempool.", &ing->st.inserted));
  GX_TRY(gx_metrics_counter(m, "gx_mempool_evicted_total", NULL,
                            "Transfers evicted from a full mempool (farthest sequence first).",
                            &ing->st.evicted));
  for (int e = 1; e < GX_MEMPOOL_ERR__COUNT; e++) {
    if (e == GX_MEMPOOL_ERR_CONFIG || e == GX_MEMPOOL_ERR_NOMEM) continue;
    char lb[48];
    snprintf(lb, sizeof lb, "reason=\"%s\"", gx_mempool_err_label((gx_mempool_err_t)e));
    GX_TRY(gx_metrics_counter(m, "gx_mempool_rejected_total", lb,
                              "Verified transfers the mempool refused, by reason.",
                              &ing->st.rejected[e]));
  }
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_transfers", NULL, "Transfers held in the mempool.",
                             gx_ingest_m_mp_size, ing));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_accounts", NULL,
                             "Accounts with at least one transfer in the mempool.", gx_m_mp_accts,
                             ing));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_ready_accounts", NULL,
                             "Accounts whose next transfer can be proposed now.", gx_ingest_m_mp_ready,
                             ing));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_capacity", NULL,
                             "Transfers the mempool can hold (configured).", gx_m_mp_cap, ing));
  {
    static const char help[] =
        "Transfers of unknown (unfunded, never committed) accounts: held, evicted, expired, "
        "promoted.";
    const gx_mempool_counters_t *ct = gx_mempool_counters(ing->mp);
    GX_TRY(gx_metrics_counter(m, "gx_mempool_unknown_total", "outcome=\"held\"", help,
                              &ing->st.unknown_held));
    GX_TRY(gx_metrics_counter(m, "gx_mempool_unknown_total", "outcome=\"evicted\"", help,
                              &ing->st.unknown_evicted));
    GX_TRY(gx_metrics_counter(m, "gx_mempool_unknown_total", "outcome=\"expired\"", help,
                              &ing->st.unknown_expired));
    GX_TRY(gx_metrics_counter(m, "gx_mempool_unknown_total", "outcome=\"promoted\"", help,
                              &ct->unknown_promoted));
    GX_TRY(gx_metrics_counter(m, "gx_mempool_known_full_total", NULL,
                              "Accounts the full known table could not remember.",
                              &ct->known_full));
  }
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_unknown_transfers", NULL,
                             "Transfers of unknown accounts held (in their own quota).",
                             gx_m_mp_unknown, ing));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_unknown_capacity", NULL,
                             "Transfers of unknown accounts the mempool holds at most.",
                             gx_m_mp_max_unknown, ing));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_unknown_ttl_rounds", NULL,
                             "Rounds (committed black holes) an unknown account's transfer is held "
                             "at most.",
                             gx_m_mp_unknown_ttl, ing));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_known_accounts", NULL,
                             "Accounts the mempool knows (genesis or committed): the gate's table.",
                             gx_m_mp_known, ing));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_mempool_known_capacity", NULL,
                             "Accounts the known table holds at most.", gx_m_mp_max_known, ing));
  GX_TRY(gx_metrics_gauge_fn(m, "gx_dedup_capacity", NULL,
                             "Transaction ids the dedup cache remembers.", gx_m_dedup_cap, ing));
  GX_TRY(gx_metrics_counter(m, "gx_gossip_forwarded_total", NULL,
                            "Newly verified transfers forwarded by gossip (once each).",
                            &ing->st.gossip_forwarded));
  GX_TRY(gx_metrics_counter(m, "gx_gossip_transfer_copies_total", NULL,
                            "Transfer copies placed in gossip datagrams (forwarded x fanout).",
                            &ing->st.gossip_copies));
  GX_TRY(gx_metrics_counter(m, "gx_gossip_datagrams_total", NULL,
                            "Gossip batch datagrams built.", &ing->st.gossip_dgrams));
  GX_TRY(gx_metrics_counter(m, "gx_gossip_hops_exceeded_total", NULL,
                            "Transfers not forwarded because they reached the hop limit.",
                            &ing->st.gossip_hops_exceeded));
  GX_TRY(gx_metrics_counter_sum(m, "gx_gossip_sent_datagrams_total", NULL,
                                "Gossip datagrams accepted by the dataplane for sending.",
                                &r0->tx_dgrams, 1, rs));
  GX_TRY(gx_metrics_counter_sum(m, "gx_gossip_send_drops_total", NULL,
                                "Gossip datagrams the dataplane refused to send.", &r0->tx_drops,
                                1, rs));
  GX_TRY(gx_metrics_counter(m, "gx_housekeeping_ticks_total", NULL,
                            "Housekeeping stage ticks (one per second while running).",
                            &ing->st.housekeeping_ticks));
  struct { const char *q; struct rte_ring *r; } rings[] = {
      {"verify", ing->verify_ring}, {"mempool", ing->mempool_ring},
      {"gossip", ing->gossip_ring}, {"tx", ing->tx_ring}};
  for (size_t i = 0; i < GX_ARRAY_LEN(rings); i++) {
    char lb[32];
    snprintf(lb, sizeof lb, "queue=\"%s\"", rings[i].q);
    GX_TRY(gx_metrics_gauge_fn(m, "gx_queue_depth", lb,
                               "Entries waiting on an internal ring between stages.",
                               gx_m_ring_count, rings[i].r));
    GX_TRY(gx_metrics_gauge_fn(m, "gx_queue_capacity", lb, "Slots of an internal ring.",
                               gx_m_ring_cap, rings[i].r));
  }
  GX_TRY(gx_metrics_gauge_fn(m, "gx_item_pool_available", NULL,
                             "Free transfer items in the pipeline's pool.", gx_ingest_m_pool_avail,
                             &ing->items));
#undef GX_TRY
  return GX_METRICS_OK;
}
