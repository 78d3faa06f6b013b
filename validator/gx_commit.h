/* gx_commit: the back half of galaxyd, the chain. One thread owns, for this
 * node, the epoch driver (the running committee's consensus engine over
 * authenticated links), the ledger, the black-hole store and the certificate
 * collector:
 *
 *   pool --take_shard--> proposal --ACS over links--> agreed batch
 *     --apply (ledger: order, validate)--> pending black hole
 *     --sink: store append+sync, ledger commit, pool told, sign, gossip--> f+1
 *       signatures = certificate (stored)
 *
 * The parts are files of their own (validator/gx_commit_int.h): gx_driver.c,
 * gx_apply.c, gx_galaxy_sink.c, gx_sync.c; docs/ARCHITECTURE.md walks them.
 *
 * Membership is a value derived from the chain (validator/gx_committee.h):
 * the committee of each epoch comes from genesis plus the committee changes
 * taken in so far, and the engine, the links, the certificate set and the
 * proposal shards all follow it at the epoch boundary where it changes.
 *
 * Epoch e produces exactly one black hole, of height e + 1 (empty epochs
 * produce empty black holes), so a restarted node resumes consensus at epoch
 * = its stored height. A node that is behind (it sees consensus traffic or
 * black hole signatures beyond its window), or is not a member of the
 * running committee, fetches the missing black holes and their certificates
 * from its sync peers' HTTP API, checks each certificate against the
 * committee of that epoch, the hash chain and the state root
 * (gx_ledger_apply_blackhole), stores them, and skips its engine ahead.
 *
 * Lifecycle: gx_commit_cfg_defaults -> gx_commit_new (opens the store,
 * recovers, restores the ledger; all memory sized here) ->
 * gx_commit_metrics_register -> gx_commit_start -> ... -> gx_commit_stop
 * (joins within ~100 ms) -> gx_commit_delete.
 * Threads: new/start/stop/delete from the control thread; status, cert,
 * account, rejected, note_rejected, change_committee and the store's readers
 * from any thread.
 * Errors: NULL / -1 with a one-line reason in err; at run time a failure to
 * store a block stops the stage and is logged (the node must not go on
 * without its history). */
#ifndef GX_COMMIT_H
#define GX_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_metrics.h"
#include "storage/gx_store.h"
#include "validator/gx_genesis.h"
#include "dataplane/gx_dp.h"
#include "validator/gx_committee.h"
#include "validator/gx_fold.h"
#include "validator/gx_ledger.h"
#include "validator/gx_txpool.h"

#define GX_COMMIT_MAX_SYNC_PEERS 16

/* Test-only misbehaviour of a Byzantine validator (never set in production). */
enum {
  GX_COMMIT_BYZ_GARBAGE = 1,    /* sends random datagrams, authenticated and not */
  GX_COMMIT_BYZ_EQUIVOCATE = 2, /* broadcasts different proposals to different peers */
  GX_COMMIT_BYZ_BADSIG = 4,     /* signs black hole ids it did not commit */
};

typedef struct {
  const gx_genesis_t *genesis;         /* loaded and finished */
  const gx_genesis_node_key_t *key;    /* this validator (checked against genesis) */
  const char *data_dir;                /* the store's directory */
  gx_store_durability_t durability;    /* default group */
  uint32_t batch_max;                  /* transfers per proposal; default and max: genesis */
  uint32_t tick_ms;                    /* consensus re-send period; default 200 */
  uint32_t idle_epoch_ms;              /* an empty proposal waits this long; default 500 */
  uint32_t epoch_interval_ms;          /* least time between our proposals unless a peer
                                          already started the epoch; default 100; 0: none */
  int core;                            /* pin the thread; -1 none */
  gx_txpool_t *pool;                   /* where proposals come from; NULL: propose empty batches */
  gx_dp_queue_t *link_queue;           /* the links' datagrams, required: galaxyd builds it on our
                                          consensus address (an exclusive UDP socket, or the DPDK
                                          port's link channel). Only the stage's thread uses it. */
  uint16_t max_members;                /* largest committee this node can run (ledger and buffers
                                          are sized for it); default and minimum: genesis n */
  uint64_t boot;                       /* link boot id; 0: wall-clock ns now */
  const char *sync_peers[GX_COMMIT_MAX_SYNC_PEERS]; /* "http://host:port" of peers' API */
  int n_sync_peers;
  int byzantine;                       /* GX_COMMIT_BYZ_* (tests only) */
  uint32_t lsh_inbox;                  /* clusters: LSH blocks waiting to be checked; default 16 */
} gx_commit_cfg_t;

typedef struct {
  uint64_t height, next_epoch, blocks, txs, certs, empty_blocks;
  uint64_t rejected[GX_LEDGER_REJ__COUNT];
  uint64_t equivocations, synced_blocks, sync_failures;
  gx_hash_t tip;
  uint64_t total_balance;               /* sum of all balances now (must equal supply) */
  int running, syncing;
  int member;                          /* our index in the running committee, -1: not a member */
  unsigned members;                    /* the running committee's size */
  uint64_t committee_changes;          /* committee switches since start */
  char failure[1024];                  /* why the stage stopped, "" while healthy */
} gx_commit_status_t;

typedef struct gx_commit gx_commit_t;

void gx_commit_cfg_defaults(gx_commit_cfg_t *cfg);
gx_commit_t *gx_commit_new(const gx_commit_cfg_t *cfg, char *err, size_t errlen);
gx_metrics_err_t gx_commit_metrics_register(gx_commit_t *c, gx_metrics_t *m);
int gx_commit_start(gx_commit_t *c, char *err, size_t errlen);
void gx_commit_stop(gx_commit_t *c);
void gx_commit_delete(gx_commit_t *c);

void gx_commit_status(gx_commit_t *c, gx_commit_status_t *out);
/* The store, for concurrent readers (gx_store_get, find_tx, account...). */
gx_store_t *gx_commit_store(gx_commit_t *c);
/* The encoded certificate of height into out[cap]; 0, or -1 when not known. */
int gx_commit_cert(gx_commit_t *c, uint64_t height, uint8_t *out, size_t cap, size_t *len);
/* The committed state of an account from the ledger (genesis balances
 * included); 0, or -1 when unknown. Any thread (takes the ledger's lock). */
int gx_commit_account(gx_commit_t *c, const gx_pubkey_t *key, gx_ledger_account_t *out);
/* Outcomes of recently rejected transfers, for the API (/v1/tx/ID): every
 * transfer a committed block left out (gx_ledger_block_t.rejections, with the
 * block's height), and those galaxyd refused at submission
 * (gx_commit_note_rejected, height 0). Kept in a table of
 * GX_COMMIT_REJECTED_KEPT entries (56 bytes each: 3.5 MiB) made at
 * gx_commit_new: 4-way sets chosen by a keyed hash of the tx id, each set
 * keeping its 4 latest, so about the last 65,536 rejections are answered (a
 * burst that fills one set pushes its oldest out first). Not persisted: a
 * restarted node knows only the rejections since. A later rejection of the
 * same id replaces the earlier one. A transfer rejected once may still commit
 * later (a seq_gap filled, a copy through another node): callers look in the
 * store first. Any thread (the table's lock). */
#define GX_COMMIT_REJECTED_KEPT 65536
typedef struct {
  gx_ledger_reject_t reason;
  uint64_t height; /* the committed block that left it out; 0: refused at submission */
} gx_commit_rejection_t;
/* 0 and *out when id was rejected recently, else -1. */
int gx_commit_rejected(gx_commit_t *c, const gx_hash_t *id, gx_commit_rejection_t *out);
/* Records that id was refused before it reached a block (galaxyd's submit
 * path: bad signature, replay); height 0. */
void gx_commit_note_rejected(gx_commit_t *c, const gx_hash_t *id, gx_ledger_reject_t reason);
/* Any thread: committee next takes over at next->first_epoch (a finished
 * committee, validator/gx_committee.h; share: this node's coin key share
 * for it, NULL when not a member). The stage takes it in at its next epoch
 * boundary; a first_epoch already running is refused then (logged). Until
 * membership changes are black-hole entries, this is how a change enters
 * (tests, with gx_committee_test_deal). 0, or -1 with a reason. */
int gx_commit_change_committee(gx_commit_t *c, const gx_committee_t *next,
                               const gx_coin_secret_t *share, char *err, size_t errlen);

/* ---- a genesis with Star Clusters (docs/CLUSTERS.md "Wiring into galaxyd") ----
 * The stage then proposes the refs of the LSH blocks it holds instead of
 * transfers, and folds the agreed ones (validator/gx_fold.h) into each black
 * hole. Blocks come from ingest (galaxyd hands each rebuilt block to
 * gx_commit_offer_lsh) or, for an agreed block this node lacks, from a sync
 * peer (/v1/raw/lsh/ID). Folded blocks and the clusters' folded chains after
 * each black hole are kept in the store's side tables (gx_store_aux_put).
 *
 * offer: any thread; copies buf into a bounded inbox (cfg.lsh_inbox slots)
 * that the stage checks into its LSH pool; 0, or -1 when the inbox is full
 * or the block is larger than any the network allows (counted). A flat
 * network (no clusters) refuses everything (-1). */
int gx_commit_offer_lsh(gx_commit_t *c, const uint8_t *buf, size_t len);
/* The bytes of an LSH block this node holds (pool) or folded (store) into
 * out[cap]; 0, -1 when unknown, -2 when cap is short (*len: its size). */
int gx_commit_lsh(gx_commit_t *c, const gx_hash_t *id, uint8_t *out, size_t cap, size_t *len);
/* The clusters' folded chains recorded with black hole height (K x 96
 * bytes: height u64, id 32, folded u64, rejected u64, base height u64,
 * base 32, little endian: gx_fold_cluster_state_t) into out[cap]; 0, -1
 * when absent, -2 when cap is short. */
int gx_commit_fold_record(gx_commit_t *c, uint64_t height, uint8_t *out, size_t cap, size_t *len);
typedef struct {
  uint32_t cluster_count;               /* 0: a flat network */
  uint64_t held;                        /* LSH blocks in the pool */
  gx_fold_cluster_state_t cluster[GX_GENESIS_MAX_CLUSTERS]; /* folded chains */
} gx_commit_hier_status_t;
void gx_commit_hier_status(gx_commit_t *c, gx_commit_hier_status_t *out);

#endif
