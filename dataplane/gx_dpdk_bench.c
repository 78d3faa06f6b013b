/* DPDK dataplane benchmarks, beside the socket backend in the same run.
 *
 *   dpdk/rx_parse_dedup/net_ring   datagrams/s on one lcore: gx_dpdk rx_burst
 *       (Ethernet/IPv4/UDP parse and checksum in software, as net_ring offers
 *       no offload) + gx_ingest_parse (strict batch check, dedup) per
 *       datagram. 2048 prebuilt frames recirculate through the port's RX ring:
 *       instead of rx_release the bench re-enqueues the mbufs (a cost the real
 *       path does not have: conservative).
 *   baseline/socket_rx_parse_dedup  the same payloads through the socket
 *       backend (gx_sock: recvmmsg on 127.0.0.1) + the same gx_ingest_parse.
 *       The sendmmsg that feeds it runs with the timer paused (so the kernel's
 *       loopback RX work done in the sender's context is not counted: the
 *       socket side gets its best case, the ratio is a lower bound).
 *   dpdk/rx/net_ring beside baseline/socket_rx: the same two without
 *       gx_ingest_parse: the dataplane's own share (DPDK: frame parse and UDP
 *       checksum included; socket: recvmmsg).
 *   dpdk/rx_loop/net_null           frames/s of the RX loop alone on net_null
 *       (rx_burst of 64-byte frames, parse, drop, free).
 *
 * Each datagram carries one 290-byte transfer (a 1-transfer batch: the most
 * packet-bound case). The dedup table (1024 entries) is smaller than the 2048
 * distinct transfers, so every transfer is evicted before it comes round
 * again and every insert is a real "new" insert on both sides. */
#include "dataplane/gx_dpdk_isa.h"
GX_DPDK_ISA_BEGIN
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/gx_bench.h"
#include "core/gx_proto.h"
#include "dataplane/gx_dpdk.h"
#include "dataplane/gx_eal.h"
#include "dataplane/gx_sock.h"
#include "ingest/gx_dedup.h"
#include "ingest/gx_ingest.h"

#define NFRAMES 2048
#define DEDUP_ENTRIES 1024

static uint8_t payloads[NFRAMES][GX_UDP_PAYLOAD_MAX];
static uint16_t payload_len[NFRAMES];

static int make_payloads(void) {
  static int done;
  if (done) return 0;
  for (int i = 0; i < NFRAMES; i++) {
    gx_xfer_t x;
    memset(&x, 0, sizeof x);
    memset(x.initiator.b, 0x11, sizeof x.initiator.b);
    memset(x.counterparty.b, 0x22, sizeof x.counterparty.b);
    x.amount = 1000 + (uint64_t)i;
    x.nonce = (uint64_t)i;
    x.init_link.seq = 1;
    x.cp_link.seq = 1;
    uint8_t enc[GX_XFER_SZ];
    gx_xfer_encode(&x, enc);
    size_t n = gx_batch_encode(payloads[i], sizeof payloads[i], enc, 1, 0);
    if (!n) return -1;
    payload_len[i] = (uint16_t)n;
    const uint8_t *xs[GX_BATCH_MAX];
    size_t count;
    uint8_t hops;
    if (gx_batch_decode(payloads[i], n, xs, NULL, &count, &hops) != GX_PROTO_OK) return -1;
  }
  done = 1;
  return 0;
}

static int eal_up(gx_bench_t *b) {
  char err[256];
  if (gx_eal_ensure(512, err, sizeof err)) {
    gx_bench_skip(b, err);
    return -1;
  }
  return 0;
}

static const gx_pkt_local_t bench_peer = {
    .mac = {0x02, 0, 0, 0, 0, 0x01}, .has_ip4 = 1, .ip4 = {10, 77, 0, 1}, .udp_port = 5555};

static uint64_t parse_burst(gx_dedup_t *dd, gx_dgram_t *d, int n, uint64_t *bad) {
  uint64_t xfers = 0;
  for (int i = 0; i < n; i++) {
    gx_ingest_parsed_t p;
    if (gx_ingest_parse(dd, d[i].payload, d[i].len, &p) != GX_PROTO_OK) (*bad)++;
    xfers += p.n_new;
  }
  return xfers;
}

static void run_dpdk_ring(gx_bench_t *b, int parse) {
  if (make_payloads() || eal_up(b)) return;
  static int made;
  static struct rte_ring *rx, *tx;
  static struct rte_mempool *pool;
  static gx_dpdk_t *dp;
  static struct rte_mbuf *frames[NFRAMES];
  char err[256];
  if (!made) {
    rx = rte_ring_create("gx_bench_rx", NFRAMES * 2, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    tx = rte_ring_create("gx_bench_tx", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    pool = rte_pktmbuf_pool_create("gx_bench_pool", NFRAMES + 512, 0, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    int port = rx && tx && pool ? gx_dpdk_ring_port("gx_bench_ring", rx, tx, err, sizeof err) : -1;
    char pname[RTE_ETH_NAME_MAX_LEN];
    if (port < 0 || rte_eth_dev_get_name_by_port((uint16_t)port, pname)) {
      gx_bench_skip(b, "ring port");
      return;
    }
    gx_dpdk_cfg_t cfg;
    gx_dpdk_cfg_defaults(&cfg);
    snprintf(cfg.port, sizeof cfg.port, "%s", pname);
    cfg.local.has_ip4 = 1;
    memcpy(cfg.local.ip4, (uint8_t[]){10, 77, 0, 2}, 4);
    cfg.local.udp_port = 9000;
    cfg.mbufs = 1024;
    dp = gx_dpdk_open(&cfg, err, sizeof err);
    if (!dp) {
      gx_bench_skip(b, err);
      return;
    }
    const gx_pkt_local_t *us = gx_dpdk_local(dp);
    gx_addr_t dst = {.family = 4, .port = 9000};
    memcpy(dst.ip, us->ip4, 4);
    for (int i = 0; i < NFRAMES; i++) {
      frames[i] = rte_pktmbuf_alloc(pool);
      if (!frames[i]) {
        gx_bench_skip(b, "mbufs");
        return;
      }
      uint8_t *p = rte_pktmbuf_mtod(frames[i], uint8_t *);
      size_t n = gx_pkt_build_udp(p, rte_pktmbuf_tailroom(frames[i]), &bench_peer, us->mac, &dst,
                                  payloads[i], payload_len[i], 0);
      frames[i]->data_len = (uint16_t)n;
      frames[i]->pkt_len = (uint32_t)n;
    }
    made = 1;
  }
  if (!dp) return;
  gx_dedup_t *dd = gx_dedup_new(DEDUP_ENTRIES);
  rte_ring_enqueue_bulk(rx, (void **)frames, NFRAMES, NULL);
  gx_dp_queue_t *q = gx_dpdk_queue(dp, 0);
  uint64_t dgrams = 0, xfers = 0, bad = 0;
  gx_dgram_t d[GX_DP_BURST];
  void *h[GX_DP_BURST];
  while (gx_bench_loop(b)) {
    int n = gx_dp_rx_burst(q, d, GX_DP_BURST);
    if (parse) xfers += parse_burst(dd, d, n, &bad);
    for (int i = 0; i < n; i++) h[i] = d[i].handle;
    rte_ring_enqueue_burst(rx, h, (unsigned)n, NULL); /* recirculate */
    dgrams += (uint64_t)n;
  }
  /* Take the frames back off the ring for the next run. */
  void *tmp[GX_DP_BURST];
  while (rte_ring_dequeue_burst(rx, tmp, GX_DP_BURST, NULL)) {
  }
  gx_bench_items(b, (int64_t)dgrams);
  gx_bench_counter(b, "new_xfers_per_dgram", dgrams ? (double)xfers / (double)dgrams : 0);
  gx_bench_counter(b, "bad", (double)bad);
  gx_dedup_delete(dd);
}
static void bm_dpdk_ring(gx_bench_t *b) { run_dpdk_ring(b, 1); }
static void bm_dpdk_ring_rx(gx_bench_t *b) { run_dpdk_ring(b, 0); }
GX_BENCH_NAMED("dpdk/rx_parse_dedup/net_ring", bm_dpdk_ring, 0)
GX_BENCH_NAMED("dpdk/rx/net_ring", bm_dpdk_ring_rx, 0)

static void run_socket(gx_bench_t *b, int parse) {
  if (make_payloads() || eal_up(b)) return;
  gx_sock_cfg_t cfg;
  char err[256];
  gx_sock_cfg_defaults(&cfg);
  cfg.bind.family = 4;
  cfg.bind.port = 0;
  memcpy(cfg.bind.ip, (uint8_t[]){127, 0, 0, 1}, 4);
  cfg.n_queues = 1;
  cfg.poll_timeout_ms = 1;
  gx_sock_t *s = gx_sock_open(&cfg, err, sizeof err);
  if (!s) {
    gx_bench_skip(b, err);
    return;
  }
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(gx_sock_port(s))};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  gx_dedup_t *dd = gx_dedup_new(DEDUP_ENTRIES);
  gx_dp_queue_t *q = gx_sock_queue(s, 0);
  uint64_t dgrams = 0, xfers = 0, bad = 0;
  unsigned next = 0;
  struct mmsghdr mm[GX_DP_BURST];
  struct iovec iov[GX_DP_BURST];
  gx_dgram_t d[GX_DP_BURST];
  while (gx_bench_loop(b)) {
    gx_bench_pause(b);
    for (int i = 0; i < GX_DP_BURST; i++) {
      unsigned k = (next + (unsigned)i) % NFRAMES;
      iov[i].iov_base = payloads[k];
      iov[i].iov_len = payload_len[k];
      memset(&mm[i], 0, sizeof mm[i]);
      mm[i].msg_hdr.msg_iov = &iov[i];
      mm[i].msg_hdr.msg_iovlen = 1;
      mm[i].msg_hdr.msg_name = &to;
      mm[i].msg_hdr.msg_namelen = sizeof to;
    }
    next = (next + GX_DP_BURST) % NFRAMES;
    int sent = sendmmsg(tx, mm, GX_DP_BURST, 0);
    gx_bench_resume(b);
    int got = 0;
    while (got < sent) {
      int n = gx_dp_rx_burst(q, d, GX_DP_BURST);
      if (n <= 0) break;
      if (parse) xfers += parse_burst(dd, d, n, &bad);
      gx_dp_rx_release(q, d, n);
      got += n;
    }
    dgrams += (uint64_t)got;
  }
  gx_bench_items(b, (int64_t)dgrams);
  gx_bench_counter(b, "new_xfers_per_dgram", dgrams ? (double)xfers / (double)dgrams : 0);
  gx_bench_counter(b, "bad", (double)bad);
  gx_dedup_delete(dd);
  close(tx);
  gx_sock_close(s);
}
static void bm_socket(gx_bench_t *b) { run_socket(b, 1); }
static void bm_socket_rx(gx_bench_t *b) { run_socket(b, 0); }
GX_BENCH_NAMED("baseline/socket_rx_parse_dedup", bm_socket, 0)
GX_BENCH_NAMED("baseline/socket_rx", bm_socket_rx, 0)

static void bm_null(gx_bench_t *b) {
  if (eal_up(b)) return;
  static gx_dpdk_t *dp;
  char err[256];
  if (!dp) {
    gx_dpdk_cfg_t cfg;
    gx_dpdk_cfg_defaults(&cfg);
    snprintf(cfg.port, sizeof cfg.port, "net_null0");
    cfg.local.has_ip4 = 1;
    memcpy(cfg.local.ip4, (uint8_t[]){10, 77, 0, 2}, 4);
    cfg.local.udp_port = 9000;
    cfg.mbufs = 4096;
    cfg.rx_desc = 512;
    cfg.tx_desc = 512;
    dp = gx_dpdk_open(&cfg, err, sizeof err);
    if (!dp) {
      gx_bench_skip(b, err);
      return;
    }
  }
  gx_dp_queue_t *q = gx_dpdk_queue(dp, 0);
  gx_dpdk_stats_t s0, s1;
  gx_dpdk_stats(dp, &s0);
  gx_dgram_t d[GX_DP_BURST];
  while (gx_bench_loop(b)) {
    int n = gx_dp_rx_burst(q, d, GX_DP_BURST);
    if (n > 0) gx_dp_rx_release(q, d, n);
  }
  gx_dpdk_stats(dp, &s1);
  gx_bench_items(b, (int64_t)(s1.rx_frames - s0.rx_frames));
}
GX_BENCH_NAMED("dpdk/rx_loop/net_null", bm_null, 0)

GX_DPDK_ISA_END
