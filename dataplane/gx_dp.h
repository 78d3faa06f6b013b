/* gx_dp: the interface between a dataplane backend (sockets, DPDK) and the
 * ingest pipeline. Both backends deliver received UDP payloads as gx_dgram_t
 * bursts and transmit payloads to peer addresses; everything after RX (parse,
 * dedup, verify, mempool, gossip, consensus) is backend-independent.
 *
 * Lifecycle: a backend creates one gx_dp_queue_t per RX queue / RX core at
 * start-up (all buffers sized then); the pipeline calls the ops from the one
 * thread (core) that owns that queue. rx_burst fills up to max descriptors
 * whose payload pointers stay valid until rx_release is called for them (zero
 * copy: for DPDK they point into mbufs). tx_burst copies the payloads before it
 * returns (the caller may reuse them). rx_wait (optional) sleeps until a
 * datagram may be waiting or timeout_ms passed, for a thread that is not a
 * poll-mode core (the commit stage); a backend without it is poll-mode, and
 * gx_dp_rx_wait returns at once.
 *
 * Threads: a queue belongs to one thread; distinct queues may run in parallel.
 * Errors: rx_burst returns >= 0 datagrams, or -1 on a fatal backend error;
 * tx_burst returns how many were accepted (the rest are dropped and counted by
 * the backend); rx_wait returns 1 (something may be waiting) or 0 (timed out). */
#ifndef GX_DP_H
#define GX_DP_H

#include <stdint.h>

#define GX_DP_BURST 32

/* A compact IPv4/IPv6 UDP endpoint. ip holds 4 bytes (AF_INET) or 16 (AF_INET6),
 * network byte order; port in host byte order. */
typedef struct {
  uint8_t family;   /* 4 or 6; 0 = unset */
  uint8_t pad;
  uint16_t port;
  uint8_t ip[16];
} gx_addr_t;

typedef struct {
  const uint8_t *payload; /* UDP payload */
  uint16_t len;
  gx_addr_t src;
  void *handle;           /* backend-private (mbuf, slot index) */
} gx_dgram_t;

typedef struct gx_dp_queue gx_dp_queue_t;

typedef struct {
  const char *name; /* "socket", "dpdk" */
  int (*rx_burst)(gx_dp_queue_t *q, gx_dgram_t *out, int max);
  void (*rx_release)(gx_dp_queue_t *q, gx_dgram_t *d, int n);
  int (*tx_burst)(gx_dp_queue_t *q, const gx_addr_t *dst, const uint8_t *const *payloads,
                  const uint16_t *lens, int n);
  int (*rx_wait)(gx_dp_queue_t *q, int timeout_ms); /* NULL: poll-mode */
} gx_dp_ops_t;

struct gx_dp_queue {
  const gx_dp_ops_t *ops;
  void *backend; /* the backend's own state for this queue */
  int index;     /* RX queue index */
};

static inline int gx_dp_rx_burst(gx_dp_queue_t *q, gx_dgram_t *out, int max) {
  return q->ops->rx_burst(q, out, max);
}
static inline void gx_dp_rx_release(gx_dp_queue_t *q, gx_dgram_t *d, int n) {
  q->ops->rx_release(q, d, n);
}
static inline int gx_dp_tx_burst(gx_dp_queue_t *q, const gx_addr_t *dst,
                                 const uint8_t *const *payloads, const uint16_t *lens, int n) {
  return q->ops->tx_burst(q, dst, payloads, lens, n);
}
static inline int gx_dp_rx_wait(gx_dp_queue_t *q, int timeout_ms) {
  return q->ops->rx_wait ? q->ops->rx_wait(q, timeout_ms) : 1;
}

#endif
