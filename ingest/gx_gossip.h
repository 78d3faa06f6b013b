/* gx_gossip: forwards each newly verified transfer to `fanout` peers in
 * batched GX_MSG_TX_BATCH datagrams (sans-I/O: datagrams come out through an
 * emit callback; the runtime hands them to the dataplane).
 *
 * Peer choice: for every transfer, min(fanout, n_peers) distinct peers drawn
 * by a partial Fisher-Yates shuffle from a xorshift64* generator seeded by
 * cfg.seed, so a given seed and input order always give the same choices.
 * Batching: each peer has one pending datagram; a transfer is appended to each
 * chosen peer's pending datagram, which is emitted when it holds GX_BATCH_MAX
 * transfers or on gx_gossip_flush (the runtime flushes whenever its input
 * queue runs dry, so a lone transfer is never held back).
 * Hops: the caller passes the hop count the transfer arrived with; it is
 * forwarded with hops + 1, and not at all when that would exceed
 * GX_BATCH_MAX_HOPS. A batch carries the largest hop count among its transfers.
 * "Never twice": this module forwards what it is given; the pipeline gives it
 * each transfer once (dedup before verify, mempool insert succeeded).
 *
 * Memory: gx_gossip_t is a caller-owned struct of fixed size (no allocation).
 * Threads: one owner thread. Errors: gx_gossip_init returns -1 on a bad config
 * (no peers is fine: nothing is forwarded). */
#ifndef GX_GOSSIP_H
#define GX_GOSSIP_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_proto.h"
#include "dataplane/gx_dp.h"

#define GX_GOSSIP_MAX_PEERS 64
#define GX_GOSSIP_MAX_FANOUT 16

typedef struct {
  gx_addr_t peers[GX_GOSSIP_MAX_PEERS];
  int n_peers;
  uint32_t fanout; /* default 3; 1..GX_GOSSIP_MAX_FANOUT */
  uint64_t seed;   /* peer-choice generator seed; default 1 */
} gx_gossip_cfg_t;

typedef void (*gx_gossip_emit_fn)(void *ctx, const gx_addr_t *dst, const uint8_t *dgram,
                                  size_t len);

typedef struct {
  uint8_t buf[GX_UDP_PAYLOAD_MAX];
  uint8_t count;
  uint8_t hops;
} gx_gossip_pending_t;

typedef struct {
  gx_gossip_cfg_t cfg;
  uint64_t rng;
  gx_gossip_emit_fn emit;
  void *ctx;
  gx_gossip_pending_t pend[GX_GOSSIP_MAX_PEERS];
  uint64_t forwarded;      /* transfers forwarded (once each)          */
  uint64_t copies;         /* transfer copies placed in datagrams      */
  uint64_t datagrams;      /* datagrams emitted                        */
  uint64_t hops_exceeded;  /* transfers not forwarded: hop limit       */
} gx_gossip_t;

void gx_gossip_cfg_defaults(gx_gossip_cfg_t *cfg);
int gx_gossip_init(gx_gossip_t *g, const gx_gossip_cfg_t *cfg, gx_gossip_emit_fn emit,
                   void *ctx);
/* Queues one transfer (290 encoded bytes) that arrived with `hops`; returns
 * the number of peers it will reach (0: no peers or hop limit). */
int gx_gossip_add(gx_gossip_t *g, const uint8_t enc[GX_XFER_SZ], uint8_t hops);
/* Emits every partly filled datagram. */
void gx_gossip_flush(gx_gossip_t *g);

#endif
