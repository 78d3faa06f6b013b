/* gx_star: the stage a Star Cluster member runs (galaxyd with a star's node
 * key; docs/CLUSTERS.md "Star role"). One thread owns, for this star:
 *
 *   pool --take_shard--> cluster proposal (gx_cluster_proposal_encode: its
 *     round time, the newest black hole it knows, a shard of its pool)
 *     --ACS of the cluster's committee, over authenticated links on the
 *     star's genesis address--> agreed batch --gx_cluster_build--> the
 *     cluster's next LSH block --sign, LSH_SIG (0x34) to the members-->
 *     2 f_c + 1 signatures = certified --gx_chunk (ISA-L)--> every galaxy's
 *     ingest address
 *
 * A certified block is sent by f_c + 1 members (those at (height + j) mod
 * n_c, j = 0..f_c: at least one honest), and again every resend_ms while the
 * galaxies' folded chain of this cluster (from the chain callback) is below
 * it, so a lost chunk burst or a galaxy that was down only delays a block.
 * The chain callback (galaxyd: the commit stage, which follows the galaxies'
 * black holes through catch-up) gives the newest black hole (the base the
 * star proposes) and the galaxies' folded chain of this cluster.
 *
 * Rejoin: a member whose chain is below the galaxies' folded height of its
 * cluster (restarted: its chain starts at 0; or left behind while the others
 * went on) rewinds to the folded block (height, id, base) and skips its
 * engine to that epoch (a cluster's epoch e builds its block e + 1); it
 * takes part again once its cluster's running epoch is that one (the others
 * wait for the galaxies at most GX_STAR_MAX_AHEAD blocks ahead, so this
 * happens when the galaxies catch up).
 *
 * Not built yet (docs/CLUSTERS.md): the rewind after the galaxies reject a
 * block (the rule is in the hierarchy simulator), committee changes, the
 * DPDK link channel for stars (socket mode only).
 *
 * LSH_SIG (98 bytes, inside a link datagram whose sender the link
 * authenticates): version u8 = 1, type u8 = 0x34, block id 32, ed25519
 * signature 64 (gx_lsh_sign over the id).
 *
 * Lifecycle: gx_star_cfg_defaults -> gx_star_new (all memory) ->
 * gx_star_metrics_register -> gx_star_start -> gx_star_stop -> gx_star_delete.
 * Threads: lifecycle from the control thread, status and metrics from any.
 * Errors: NULL / -1 with a one-line reason in err. */
#ifndef GX_STAR_H
#define GX_STAR_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_metrics.h"
#include "dataplane/gx_dp.h"
#include "validator/gx_genesis.h"
#include "validator/gx_txpool.h"

#define GX_MSG_LSH_SIG 0x34
#define GX_STAR_SIG_MSG_SZ 98
#define GX_STAR_MAX_UPLINK 64

/* What the star knows of the chain (from the galaxies). */
typedef struct {
  uint64_t base_height;   /* the newest black hole it holds */
  gx_hash_t base;
  uint64_t folded_height; /* the galaxies' folded chain of this cluster */
  gx_hash_t folded;
  uint64_t folded_base_height; /* the base of the folded block (a rejoin resumes there) */
  gx_hash_t folded_base;
} gx_star_chain_t;
typedef void (*gx_star_chain_fn_t)(void *ctx, gx_star_chain_t *out);

typedef struct {
  const gx_genesis_t *genesis;
  const gx_genesis_node_key_t *key;   /* a star's key (key->star) */
  gx_dp_queue_t *link_queue;          /* bound to our genesis address; only the stage uses it */
  gx_txpool_t *pool;                  /* NULL: empty proposals */
  gx_addr_t uplink[GX_STAR_MAX_UPLINK]; /* the galaxies' ingest addresses */
  int n_uplink;
  gx_star_chain_fn_t chain;           /* required */
  void *chain_ctx;
  uint32_t batch_max;                 /* transfers per proposal; default and max: lsh_max_txs */
  uint32_t tick_ms;                   /* consensus re-send period; default 200 */
  uint32_t resend_ms;                 /* uplink again while not folded; default 1000 */
  uint64_t boot;                      /* link boot id; 0: wall-clock ns now */
  int core;                           /* pin the thread; -1 none */
} gx_star_cfg_t;

typedef struct {
  uint32_t cluster, member, members;
  uint64_t height;           /* the cluster's chain: last block built */
  uint64_t certified;        /* last block certified */
  uint64_t folded;           /* the galaxies' folded height of this cluster */
  uint64_t blocks_built, blocks_certified, blocks_sent, txs_built, chunks_sent;
  int running;
  char failure[256];
} gx_star_status_t;

typedef struct gx_star gx_star_t;

void gx_star_cfg_defaults(gx_star_cfg_t *cfg);
gx_star_t *gx_star_new(const gx_star_cfg_t *cfg, char *err, size_t errlen);
gx_metrics_err_t gx_star_metrics_register(gx_star_t *s, gx_metrics_t *m);
int gx_star_start(gx_star_t *s, char *err, size_t errlen);
void gx_star_stop(gx_star_t *s);
void gx_star_delete(gx_star_t *s);
void gx_star_status(gx_star_t *s, gx_star_status_t *out);

#endif
