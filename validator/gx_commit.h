/* gx_commit: the back half of galaxyd. One thread owns, for this validator,
 * the consensus engine (gx_acs), the authenticated links to the other
 * validators (gx_link over one gx_dp queue: its own UDP socket at its genesis
 * address, or the DPDK port's link channel that the caller hands it), the ledger (gx_ledger), the
 * black-hole store (gx_store) and the certificate collector (gx_cert):
 *
 *   mempool --take--> proposal --ACS over links--> agreed proposals
 *     --ledger (order, validate)--> black hole --store append+sync--> commit
 *     --sign, gossip signature--> f+1 signatures = certificate (stored)
 *
 * Epoch e produces exactly one black hole, of height e + 1 (empty epochs
 * produce empty black holes), so a restarted node resumes consensus at epoch
 * = its stored height. A node that is behind (it sees consensus traffic or
 * black hole signatures beyond its window) fetches the missing black holes and
 * their certificates from its sync peers' HTTP API, checks each certificate,
 * the hash chain and the state root (gx_ledger_apply_blackhole), stores them,
 * and skips its consensus engine to the next epoch.
 *
 * Lifecycle: gx_commit_cfg_defaults -> gx_commit_new (opens the store,
 * recovers, restores the ledger, binds the socket; all memory sized here) ->
 * gx_commit_metrics_register -> gx_commit_start -> ... -> gx_commit_stop
 * (joins within ~100 ms) -> gx_commit_delete.
 * Threads: new/start/stop/delete from the control thread; status, cert and
 * the store's readers from any thread (HTTP API).
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
  gx_dp_queue_t *link_queue;           /* the links' datagrams (DPDK mode: gx_dpdk_link_open on
                                          our genesis address); NULL: the stage binds its own
                                          UDP socket there. Only the stage's thread uses it. */
  uint64_t boot;                       /* link boot id; 0: wall-clock ns now */
  const char *sync_peers[GX_COMMIT_MAX_SYNC_PEERS]; /* "http://host:port" of peers' API */
  int n_sync_peers;
  int byzantine;                       /* GX_COMMIT_BYZ_* (tests only) */
} gx_commit_cfg_t;

typedef struct {
  uint64_t height, next_epoch, blocks, txs, certs, empty_blocks;
  uint64_t rejected[GX_LEDGER_REJ__COUNT];
  uint64_t equivocations, synced_blocks, sync_failures;
  gx_hash_t tip;
  uint64_t total_balance;               /* sum of all balances now (must equal supply) */
  int running, syncing;
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
int gx_commit_account(gx_commit_t *c, const gx_pubkey_t *key, gx_store_account_t *out);

#endif
