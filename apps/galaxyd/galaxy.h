/* galaxyd's galaxy role, its chain half: the [chain] config section (genesis,
 * node key, data directory, sync peers...), the consensus link queue (an
 * exclusive UDP socket at our genesis address, or the DPDK port's link
 * channel), the commit stage (validator/gx_commit.h) over it and over the
 * ingest pipeline's mempool (adapted to validator/gx_txpool.h). The JSON API
 * it serves is apps/galaxyd/api.h.
 * Threads: config and lifecycle on the main thread.
 * Errors: -1 with a one-line reason in err; config problems go to cfg. */
#ifndef GALAXYD_GALAXY_H
#define GALAXYD_GALAXY_H

#include "apps/galaxyd/cfg.h"
#include "apps/galaxyd/http.h"
#include "dataplane/gx_dpdk.h"
#include "dataplane/gx_sock.h"
#include "ingest/gx_ingest.h"
#include "validator/gx_commit.h"

typedef struct {
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

#endif
