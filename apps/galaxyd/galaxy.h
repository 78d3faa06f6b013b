/* galaxyd's galaxy role, its chain half: the [chain] config section (genesis,
 * node key, data directory, sync peers...), the consensus link queue (an
 * exclusive UDP socket at our genesis address, or the DPDK port's link
 * channel), the commit stage (validator/gx_commit.h) over it and over the
 * ingest pipeline's mempool (adapted to validator/gx_txpool.h). The JSON API
 * it serves is apps/galaxyd/api.h.
 *
 * The submit path (POST /v1/tx): a transfer from the API enters ingest the
 * way every transfer does, as a batch datagram (one transfer, hops 0) sent
 * from a UDP socket of ours to this node's own ingest address ([node] listen;
 * its loopback address when it listens on a wildcard; in DPDK mode the port's
 * address and UDP port, through the kernel's routing). So it takes the same
 * RX parse, dedup, gate, verify and mempool path as a client's or a gossip
 * peer's datagram, and ingest's data path knows nothing of the API. Requests
 * pass a token bucket (GX_GALAXY_SUBMIT_RATE per second, bursts of
 * GX_GALAXY_SUBMIT_BURST); up to GX_GALAXY_WAITERS of them wait for their
 * outcome (?wait=S, S <= GX_GALAXY_WAIT_MAX_S) in a table made here, polled
 * every GX_GALAXY_WAIT_POLL_MS by one thread (gx-submit-wait) that answers
 * each when it commits, is rejected, or its time is up.
 *
 * Threads: config and lifecycle on the main thread; the submit functions
 * from any thread (the API's). gx_galaxy_stop answers every waiting request
 * (GX_GALAXY_TX_STOPPING) before it returns, and later waits are answered at
 * once, so the HTTP server can stop after it.
 * Errors: -1 with a one-line reason in err; config problems go to cfg. */
#ifndef GALAXYD_GALAXY_H
#define GALAXYD_GALAXY_H

#include "apps/galaxyd/cfg.h"
#include "apps/galaxyd/http.h"
#include "dataplane/gx_dpdk.h"
#include "dataplane/gx_sock.h"
#include "ingest/gx_ingest.h"
#include "validator/gx_commit.h"
#include "validator/gx_star.h"

#include <pthread.h>

#define GX_GALAXY_SUBMIT_RATE 100  /* POST /v1/tx per second, sustained */
#define GX_GALAXY_SUBMIT_BURST 200 /* ... and at once, after a quiet spell */
#define GX_GALAXY_WAITERS 32       /* requests waiting for an outcome at once */
#define GX_GALAXY_WAIT_MAX_S 30    /* the longest ?wait */
#define GX_GALAXY_WAIT_POLL_MS 20  /* how often waiting transfers are looked up */

/* What this node knows of a transfer. */
typedef enum {
  GX_GALAXY_TX_PENDING = 0, /* neither committed nor rejected (yet, or not known here) */
  GX_GALAXY_TX_COMMITTED,   /* height, index */
  GX_GALAXY_TX_REJECTED,    /* reason; height: the block that left it out, 0: at submission */
  GX_GALAXY_TX_STOPPING,    /* a wait cut short: the node is stopping */
} gx_galaxy_tx_state_t;

typedef struct {
  gx_galaxy_tx_state_t state;
  uint64_t height;
  uint32_t index;
  gx_ledger_reject_t reason;
} gx_galaxy_outcome_t;

struct gx_galaxy;
/* Called once per armed wait, on the waiting thread (or the arming thread
 * when the node is stopping), with the outcome (PENDING: time is up). It must
 * answer w (gx_http_resume). */
typedef void (*gx_galaxy_wait_done_t)(struct gx_galaxy *ch, gx_http_wait_t *w,
                                      const gx_hash_t *id, const gx_galaxy_outcome_t *o);

typedef struct {
  int state; /* 0 free, 1 reserved (the request is being handled), 2 armed (waiting) */
  gx_hash_t id;
  uint64_t deadline_ns;
  gx_http_wait_t *w;
  gx_galaxy_wait_done_t done;
} gx_galaxy_waiter_t;

typedef struct {
  gx_addr_t ingest;           /* our own ingest address; family 0: none known */
  int fd;                     /* UDP socket connected to it; -1: none */
  pthread_mutex_t lock;       /* tokens and waiters */
  pthread_cond_t cond;
  double tokens;              /* the token bucket */
  uint64_t refill_ns;
  gx_galaxy_waiter_t waiters[GX_GALAXY_WAITERS];
  pthread_t thread;
  int thread_up, stopping;
} gx_galaxy_submit_t;

typedef struct gx_galaxy {
  /* [chain] keys */
  char genesis[GX_CFG_STR], node_key[GX_CFG_STR], data_dir[GX_CFG_STR];
  char sync_peers[1024];
  char durability[16];
  unsigned batch_max, tick_ms, idle_epoch_ms, epoch_interval_ms;
  int core;
  char byzantine[64];
  int enabled; /* a [chain] section with a genesis was given */
  /* resolved */
  gx_genesis_t genesis_v;
  gx_ledger_alloc_t *balances;
  gx_genesis_node_key_t key;
  gx_commit_cfg_t commit_cfg;
  char sync_store[GX_COMMIT_MAX_SYNC_PEERS][200];
  gx_commit_t *commit;
  gx_ingest_t *ingest;
  gx_txpool_t pool; /* the commit stage's view of ingest's mempool */
  gx_sock_t *link_sock; /* socket mode: the consensus links' socket */
  /* a star ([node] role = star): its cluster's stage on its genesis address;
   * the commit stage then follows the galaxies (catch-up from sync_peers) */
  int star_role;
  gx_sock_t *star_sock;
  gx_star_t *star;
  gx_star_cfg_t star_cfg;
  uint32_t max_future;  /* the mempool's sequence window ([mempool] max_future) */
  gx_galaxy_submit_t submit;
} gx_galaxy_t;

void gx_galaxy_defaults(gx_galaxy_t *ch);
/* The [chain] section handler for gx_node_cfg_section(). */
int gx_galaxy_cfg_key(void *ctx, const char *key, const char *value, char *err, size_t errlen);
/* Loads genesis and node key, checks them; problems go to cfg. */
void gx_galaxy_check(gx_galaxy_t *ch, gx_node_cfg_t *cfg);
void gx_galaxy_print(const gx_galaxy_t *ch, FILE *out);
/* DPDK mode, after a clean gx_galaxy_check: our genesis address must be the
 * port's (local), on a UDP port other than the ingest port. 0, or -1 with a
 * reason (also 0 without a chain). */
int gx_galaxy_dpdk_check(const gx_galaxy_t *ch, const gx_pkt_local_t *local, char *err,
                         size_t errlen);
/* Builds the consensus link queue and creates the commit stage over it and
 * ingest's mempool, and registers metrics. With dpdk (DPDK mode), consensus
 * datagrams go through the port's link channel (gx_dpdk_link_open on our
 * genesis port); call it before the RX lcores run. NULL dpdk: an exclusive
 * UDP socket bound to our genesis address. */
int gx_galaxy_open(gx_galaxy_t *ch, gx_ingest_t *ingest, gx_dpdk_t *dpdk, gx_metrics_t *m,
                   char *err, size_t errlen);
int gx_galaxy_start(gx_galaxy_t *ch, char *err, size_t errlen);
void gx_galaxy_stop(gx_galaxy_t *ch);
void gx_galaxy_close(gx_galaxy_t *ch);

/* ---- the submit path (POST /v1/tx) ---- */
/* What the store (committed) and the commit stage's table of rejected
 * transfers (gx_commit_rejected) say of id. 0, or -1 when the store failed
 * (its reason in err). */
int gx_galaxy_outcome(gx_galaxy_t *ch, const gx_hash_t *id, gx_galaxy_outcome_t *out, char *err,
                      size_t errlen);
/* Takes a token of the bucket: 1, or 0 with *retry_s (seconds until one is there). */
int gx_galaxy_submit_admit(gx_galaxy_t *ch, unsigned *retry_s);
/* Sends the encoded transfer to our own ingest (one batch datagram). 0, or -1
 * with a reason (no ingest address known, the socket refused). */
int gx_galaxy_submit_send(gx_galaxy_t *ch, const uint8_t enc[GX_XFER_SZ], char *err, size_t errlen);
/* A waiter slot for a request that will wait: its index, or -1 when all
 * GX_GALAXY_WAITERS are taken, -2 when the node is stopping. Then either
 * gx_galaxy_wait_arm (the slot waits) or gx_galaxy_wait_release (unused). */
int gx_galaxy_wait_reserve(gx_galaxy_t *ch);
void gx_galaxy_wait_release(gx_galaxy_t *ch, int slot);
/* The slot waits up to seconds for id's outcome; done answers w, exactly once. */
void gx_galaxy_wait_arm(gx_galaxy_t *ch, int slot, const gx_hash_t *id, unsigned seconds,
                        gx_http_wait_t *w, gx_galaxy_wait_done_t done);

#endif
