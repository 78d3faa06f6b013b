/* gx_commit_int: the commit stage's parts and the state they share. Private
 * to validator/gx_commit*.c, gx_driver.c, gx_apply.c, gx_galaxy_sink.c and gx_sync.c.
 *
 *   gx_driver.c  the epoch driver: the committee's consensus engine
 *                (gx_epoch) over authenticated links, proposals from the
 *                pool, committee changes at epoch boundaries
 *   gx_apply.c   an agreed batch through the ledger into a pending black hole
 *   gx_galaxy_sink.c  what a finished black hole becomes (gx_sink.h): the
 *                galaxy sink stores it durably, commits the ledger, tells the
 *                pool, signs it and collects certificates
 *   gx_sync.c    catch-up: black holes and certificates from peers' API
 *   gx_commit.c  the stage: thread, lifecycle, restore, status and metrics
 *
 * Everything here is owned and used by the stage's thread, except what is
 * marked otherwise (the status cells, the certificate ring, the ledger under
 * ledger_lock, the pending committee change under change_lock, the rejected
 * transfers' table under rej_lock). */
#ifndef GX_COMMIT_INT_H
#define GX_COMMIT_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "consensus/gx_acs.h"
#include "dataplane/gx_link.h"
#include "dataplane/gx_sock.h"
#include "validator/gx_cert.h"
#include "validator/gx_commit.h"
#include "validator/gx_epoch.h"
#include "validator/gx_fold.h"
#include "validator/gx_lshpool.h"
#include "validator/gx_sink.h"

#define GX_COMMIT_CERT_RING 4096
#define GX_COMMIT_RECV_BATCH 64
#define GX_COMMIT_TX_BATCH GX_DP_BURST
#define GX_COMMIT_DGRAM_MAX 2048

typedef struct {
  uint64_t height;
  uint16_t len;
  uint8_t bytes[GX_CERT_MAX_SZ];
} gx_commit_cert_slot_t;

/* A coin key share for a committee this node belongs to. */
typedef struct {
  gx_hash_t committee_id;
  gx_coin_secret_t share;
} gx_commit_share_t;

/* ---- the epoch driver (gx_driver.c) ---- */
typedef struct {
  gx_members_t members;         /* genesis + the committee changes so far */
  gx_commit_share_t shares[GX_MEMBERS_HISTORY]; /* ours, by committee */
  unsigned n_shares;
  gx_epoch_t *epoch;            /* the consensus engine of the running committee */
  uint64_t proposed_epoch;      /* last epoch we proposed in, +1 (0: none) */
  uint64_t epoch_started_ns;
  uint64_t last_proposal_ns;    /* when we last proposed (epoch_interval_ms) */
  gx_link_t link;               /* keyed for the running committee */
  gx_link_t prev_link;          /* for the one before, while gx_epoch keeps its engine */
  gx_addr_t prev_addr[GX_COMMITTEE_MAX];
  uint64_t link_base[GX_LINK_ERR__COUNT]; /* link counters of the committees before */
  uint64_t boot;
  gx_dp_queue_t *net;           /* the links' datagrams (galaxyd builds it) */
  gx_addr_t peer_addr[GX_COMMITTEE_MAX];
  uint8_t *out_buf;             /* GX_COMMIT_TX_BATCH sealed datagrams, one tx_burst */
  const uint8_t *out_ptr[GX_COMMIT_TX_BATCH];
  uint16_t out_len[GX_COMMIT_TX_BATCH];
  gx_addr_t out_dst[GX_COMMIT_TX_BATCH];
  int n_out;
  uint8_t *proposal;            /* proposal_cap: batch_max transfers, or a refs proposal */
  size_t proposal_cap;
  /* a committee change handed in by another thread (gx_commit_change_committee) */
  pthread_mutex_t change_lock;
  _Atomic int change_pending;
  gx_committee_t change;
  gx_coin_secret_t change_share;
  int change_has_share;
} gx_driver_t;

/* ---- apply (gx_apply.c) ---- */
typedef struct {
  gx_hash_t *vids;              /* agreed transfers verified (at ingest or here), sorted */
  uint8_t *vflags;
  size_t n_vids, max_txs;
  const uint8_t **xfer_ptrs;    /* the agreed transfers of the epoch, batch order */
  gx_hash_t *all_ids;           /* their ids */
  size_t n_ids;                 /* how many all_ids holds for this epoch (0: not computed) */
  const uint8_t **drop;         /* agreed transfers the ledger rejected */
  gx_hash_t *drop_ids;
  size_t n_drop;
} gx_apply_t;

/* ---- the galaxy sink (gx_galaxy_sink.c) ---- */
typedef struct {
  gx_store_account_update_t *store_updates; /* the block's updates as store records */
  gx_pubkey_t *head_accounts;   /* what committed, for the pool */
  uint64_t *head_seqs;
  size_t max_heads;
  gx_cert_collector_t collector;      /* signatures of heights >= cert_boundary */
  gx_cert_collector_t prev_collector; /* of the committee before (heights below it) */
  uint64_t cert_boundary;             /* first height certified by the running committee */
  int have_prev;
  pthread_mutex_t cert_lock;
  gx_commit_cert_slot_t *certs; /* ring by height */
  gx_bh_sig_msg_t my_sigs[8];   /* our last signatures, re-sent on tick */
  /* recently rejected transfers (gx_commit_rejected), any thread under rej_lock */
  pthread_mutex_t rej_lock;
  struct gx_galaxy_sink_rej *rej; /* GX_COMMIT_REJECTED_KEPT entries, 4-way sets */
  uint64_t rej_stamp;             /* insertions so far: an entry's age */
  uint8_t rej_key[16];            /* keys the set index (crypto_shorthash) */
} gx_galaxy_sink_t;

/* ---- the hierarchy, galaxy side (gx_hier.c): a genesis with Star Clusters ---- */
#define GX_HIER_FOLD_REC_ENTRY 96 /* height u64, id 32, folded u64, rejected u64, base height u64, base 32 */
typedef struct {
  int opened;                   /* gx_hier_open ran (the locks exist) */
  int on;                       /* genesis cluster_count > 0 */
  gx_fold_t *fold;
  void *fold_mem;
  gx_lshpool_t *pool;
  void *pool_mem;
  pthread_mutex_t pool_lock;    /* the pool: the stage writes, API threads read */
  size_t max_block;             /* largest LSH block held */
  /* the inbox: blocks ingest rebuilt (any thread), FIFO of fixed slots */
  pthread_mutex_t inbox_lock;
  uint8_t *inbox;               /* inbox_slots x max_block */
  size_t *inbox_len;
  uint32_t inbox_slots, inbox_head, inbox_count;
  gx_sink_t inner;              /* the galaxy sink, wrapped */
  int applying;                 /* a fold is pending while the sink runs */
  gx_fold_agreed_ref_t *agreed, *scratch;
  const uint8_t **blocks;       /* the agreed set, for gx_fold_apply */
  size_t *lens;
  gx_store_aux_t *aux;          /* side-table writes of one black hole */
  uint8_t *fold_rec;            /* the clusters' chains after it */
  size_t fold_rec_len;
  uint64_t behind_epoch;        /* +1: could not fetch a block of this epoch's set */
  int chains_stale;             /* no record of the chains at our tip: fetch before folding */
  _Atomic uint64_t st_offered, st_inbox_full, st_pool[GX_LSHPOOL_RES__COUNT];
  _Atomic uint64_t st_verdict[GX_FOLD_V__COUNT], st_evidence, st_fetched, st_fetch_failed,
      st_behind, st_refs_proposed, st_malformed_refs, st_sig_checked;
  _Atomic uint64_t st_held;
} gx_hier_t;

/* ---- catch-up (gx_sync.c) ---- */
typedef struct {
  uint8_t *buf;
  size_t len, cap;
  int need;
  uint64_t last_future_drops;
} gx_sync_t;

struct gx_commit {
  gx_commit_cfg_t cfg;
  const gx_genesis_t *g;
  gx_driver_t drv;
  gx_apply_t app;
  gx_galaxy_sink_t gs;
  gx_sink_t sink;
  gx_sync_t sync;
  gx_hier_t hier;
  size_t max_bh_txs;           /* transfers of the largest black hole this node builds or syncs */
  /* ledger + store */
  pthread_mutex_t ledger_lock; /* the ledger is read by API threads */
  gx_ledger_t *ledger;
  void *ledger_mem;
  gx_store_t *store;
  /* thread */
  pthread_t thread;
  _Atomic int stop, running;
  /* status (written by the stage thread, read anywhere) */
  _Atomic uint64_t st_height, st_blocks, st_txs, st_certs, st_empty, st_equiv, st_synced,
      st_sync_fail, st_next_epoch, st_committee_changes;
  _Atomic uint64_t st_rejected[GX_LEDGER_REJ__COUNT];
  _Atomic uint64_t st_link[GX_LINK_ERR__COUNT];
  _Atomic uint64_t st_acs_msgs_in, st_acs_msgs_out, st_acs_bytes_out;
  _Atomic uint64_t st_acs_drops[GX_ACS_ERR_COUNT]; /* by gx_acs_err_t reason */
  _Atomic uint64_t st_sig_checked; /* agreed transfers the ledger had to verify itself */
  _Atomic int st_syncing, st_member, st_members;
  gx_acs_stats_t acs_base;         /* engine counters of the committees before */
  char failure[1024];
  gx_metrics_hist_t epoch_hist; /* propose -> commit, ns */
  gx_metrics_hist_t apply_hist; /* ledger apply + store, ns */
};

uint64_t gx_commit_now_ns(void);
/* Stops the stage with a reason (logged, shown in status). */
void gx_commit_fail(gx_commit_t *c, const char *what);

/* gx_driver.c */
int gx_driver_open(gx_commit_t *c, char *err, size_t errlen);
void gx_driver_close(gx_commit_t *c);
void gx_driver_flush(gx_commit_t *c);
void gx_driver_send_all(gx_commit_t *c, const uint8_t *msg, size_t len);
void gx_driver_maybe_propose(gx_commit_t *c, uint64_t now);
/* ns until our next proposal is due (epoch_interval_ms), 0 when it is */
uint64_t gx_driver_interval_left(const gx_commit_t *c, uint64_t now);
/* Receives and handles what the links have, waiting up to timeout_ms. */
void gx_driver_poll(gx_commit_t *c, int timeout_ms);
void gx_driver_tick(gx_commit_t *c);
/* At an epoch boundary: takes a pending change in, switches committee when
 * one is due (engine, links, certificates). */
void gx_driver_follow(gx_commit_t *c);
/* Joins the committee of epoch next (at start, after restore). */
int gx_driver_start_at(gx_commit_t *c, uint64_t next, char *err, size_t errlen);
const gx_committee_t *gx_driver_committee_at(const gx_commit_t *c, uint64_t epoch);

/* gx_apply.c */
int gx_apply_open(gx_commit_t *c, char *err, size_t errlen);
void gx_apply_close(gx_commit_t *c);
/* The engine's deliver callback: agreed batch -> ledger -> sink. */
void gx_apply_deliver(void *ctx, const gx_acs_batch_t *batch);

/* gx_galaxy_sink.c */
int gx_galaxy_sink_open(gx_commit_t *c, char *err, size_t errlen);
void gx_galaxy_sink_close(gx_commit_t *c);
void gx_galaxy_sink_on_sig(gx_commit_t *c, const uint8_t *msg, size_t len);
void gx_galaxy_sink_resend(gx_commit_t *c);
void gx_galaxy_sink_store_cert(gx_commit_t *c, uint64_t height, const gx_cert_t *cert);
/* The committee changed: heights from first_height on are certified by set. */
void gx_galaxy_sink_rekey(gx_commit_t *c, const gx_cert_set_t *set, uint64_t first_height);
/* Tells the pool about every stored account's committed head (restart). */
void gx_galaxy_sink_seed_pool(gx_commit_t *c);

/* gx_hier.c (every function is a no-op, or 0, when hier.on is 0) */
int gx_hier_open(gx_commit_t *c, char *err, size_t errlen);
void gx_hier_close(gx_commit_t *c);
/* The ledger sizes a fold needs (raises lc's limits). */
void gx_hier_ledger_cfg(const gx_genesis_t *g, gx_ledger_cfg_t *lc);
/* Transfers of the largest black hole a fold makes (0 without clusters). */
size_t gx_hier_max_txs(const gx_genesis_t *g);
/* After the store and ledger are restored: the clusters' chains and the
 * known black holes from the store's side tables. */
int gx_hier_restore(gx_commit_t *c, char *err, size_t errlen);
/* Moves the inbox into the LSH pool (checks on this thread). */
void gx_hier_poll(gx_commit_t *c);
/* Our proposal: the refs of the pool's foldable blocks into out[cap];
 * returns the length, *count the refs. */
size_t gx_hier_proposal(gx_commit_t *c, uint8_t *out, size_t cap, uint32_t *count);
/* The engine's deliver callback in a clustered network. */
void gx_hier_deliver(void *ctx, const gx_acs_batch_t *batch);
/* After catch-up applied black holes: the clusters' chains from a peer. */
void gx_hier_synced(gx_commit_t *c);
gx_metrics_err_t gx_hier_metrics_register(gx_commit_t *c, gx_metrics_t *m);

/* gx_sync.c */
/* GET path (e.g. "/v1/raw/lsh/ID") from the sync peers in order until one
 * answers 200: the body is in c->sync.buf[0..len). 0, or -1 when none did. */
int gx_sync_get(gx_commit_t *c, const char *path);
int gx_sync_open(gx_commit_t *c, char *err, size_t errlen);
void gx_sync_close(gx_commit_t *c);
uint64_t gx_sync_run(gx_commit_t *c);

#endif
