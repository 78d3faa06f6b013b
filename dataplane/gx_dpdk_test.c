/* gx_dpdk on a real DPDK ethdev made of two rte_rings (net_ring PMD through
 * rte_eth_from_rings): the test enqueues frames on the port's RX ring and
 * reads what the backend transmits from its TX ring.
 *
 * Run with arguments, the same binary is the DPDK end of the integration test
 * tests/test_dpdk_veth.sh (a sink on a real port, e.g. net_af_packet on a
 * veth):
 *   gx_dpdk_test sink --port DEVARGS [--ipv4 A] [--ipv6 A] --udp-port P
 *                [--queues N] [--seconds S] [--echo]
 * It prints "ready" once the port is up, then polls every queue (round robin,
 * one thread) until SIGTERM/SIGINT or S seconds, echoing each datagram back
 * to its sender with --echo, and prints its counters as "name value" lines at
 * exit (rx_dgrams_qN per queue). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/gx_dpdk_isa.h"
GX_DPDK_ISA_BEGIN
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "core/gx_metrics.h"
#include "dataplane/gx_dpdk.h"
#include "dataplane/gx_eal.h"
#include "dataplane/gx_pkt.h"

static struct rte_ring *rx_ring, *tx_ring;
static struct rte_mempool *test_pool;
static gx_dpdk_t *dp;
static gx_pkt_local_t us; /* the backend's addresses, MAC from the port */
static gx_pkt_local_t peer = {
    .mac = {0x02, 0, 0, 0, 0, 0x01},
    .has_ip4 = 1,
    .has_ip6 = 1,
    .ip4 = {10, 77, 0, 1},
    .ip6 = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    .udp_port = 5555,
};

static void inject(const uint8_t *frame, size_t len) {
  struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
  assert_non_null(m);
  uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
  assert_non_null(p);
  memcpy(p, frame, len);
  assert_int_equal(rte_ring_enqueue(rx_ring, m), 0);
}

/* Takes one transmitted frame into buf; its length, or 0 when none. */
static size_t take_tx(uint8_t *buf, size_t cap) {
  void *obj;
  if (rte_ring_dequeue(tx_ring, &obj)) return 0;
  struct rte_mbuf *m = obj;
  size_t len = rte_pktmbuf_pkt_len(m);
  assert_true(len <= cap);
  memcpy(buf, rte_pktmbuf_mtod(m, void *), len);
  rte_pktmbuf_free(m);
  return len;
}

static size_t udp_to_us(uint8_t *f, size_t cap, int family, const void *payload, uint16_t len) {
  gx_addr_t dst = {.family = (uint8_t)family, .port = us.udp_port};
  memcpy(dst.ip, family == 4 ? us.ip4 : us.ip6, family == 4 ? 4 : 16);
  return gx_pkt_build_udp(f, cap, &peer, us.mac, &dst, payload, len, 0);
}

/* A datagram from peer to our port `port` (family 4 or 6). */
static size_t udp_to_port(uint8_t *f, size_t cap, int family, uint16_t port, const void *payload,
                          uint16_t len) {
  gx_addr_t dst = {.family = (uint8_t)family, .port = port};
  memcpy(dst.ip, family == 4 ? us.ip4 : us.ip6, family == 4 ? 4 : 16);
  return gx_pkt_build_udp(f, cap, &peer, us.mac, &dst, payload, len, 0);
}

static int rx_all(gx_dp_queue_t *q, gx_dgram_t *d, int max) {
  int n = 0;
  for (int tries = 0; tries < 4 && n < max; tries++) n += gx_dp_rx_burst(q, d + n, max - n);
  return n;
}

static int group_setup(void **state) {
  (void)state;
  gx_eal_cfg_t eal;
  char err[256];
  gx_eal_cfg_defaults(&eal);
  eal.hugepages = 0;
  if (gx_eal_init(&eal, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  rx_ring = rte_ring_create("gx_dpdk_t_rx", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  tx_ring = rte_ring_create("gx_dpdk_t_tx", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  test_pool = rte_pktmbuf_pool_create("gx_dpdk_t_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                      SOCKET_ID_ANY);
  if (!rx_ring || !tx_ring || !test_pool) return -1;
  gx_dpdk_cfg_t cfg;
  gx_dpdk_cfg_defaults(&cfg);
  int port = gx_dpdk_ring_port("gx_ring_t", rx_ring, tx_ring, err, sizeof err);
  char pname[RTE_ETH_NAME_MAX_LEN];
  if (port < 0 || rte_eth_dev_get_name_by_port((uint16_t)port, pname)) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  if (gx_dpdk_cfg_set(&cfg, "port", pname, err, sizeof err) ||
      gx_dpdk_cfg_set(&cfg, "ipv4", "10.77.0.2", err, sizeof err) ||
      gx_dpdk_cfg_set(&cfg, "ipv6", "fd00::2", err, sizeof err) ||
      gx_dpdk_cfg_set(&cfg, "udp_port", "9000", err, sizeof err) ||
      gx_dpdk_cfg_set(&cfg, "mbufs", "2048", err, sizeof err) ||
      gx_dpdk_cfg_set(&cfg, "link_ring", "64", err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  dp = gx_dpdk_open(&cfg, err, sizeof err);
  if (!dp) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  us = *gx_dpdk_local(dp);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  gx_dpdk_close(dp);
  gx_eal_cleanup();
  return 0;
}

static void test_udp_delivered_zero_copy_and_released(void **state) {
  (void)state;
  gx_dp_queue_t *q = gx_dpdk_queue(dp, 0);
  assert_string_equal(q->ops->name, "dpdk");
  unsigned avail0 = rte_mempool_avail_count(test_pool);
  uint8_t f[GX_PKT_FRAME_MAX];
  static const char msg4[] = "hello over ipv4", msg6[] = "hello over ipv6";
  inject(f, udp_to_us(f, sizeof f, 4, msg4, sizeof msg4));
  inject(f, udp_to_us(f, sizeof f, 6, msg6, sizeof msg6));
  gx_dgram_t d[GX_DP_BURST];
  assert_int_equal(rx_all(q, d, GX_DP_BURST), 2);
  struct rte_mbuf *m = d[0].handle;
  const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
  assert_ptr_equal(d[0].payload, data + GX_PKT_UDP4_HLEN); /* points into the mbuf */
  assert_int_equal(d[0].len, sizeof msg4);
  assert_memory_equal(d[0].payload, msg4, sizeof msg4);
  assert_int_equal(d[0].src.family, 4);
  assert_int_equal(d[0].src.port, 5555);
  assert_memory_equal(d[0].src.ip, peer.ip4, 4);
  assert_int_equal(d[1].src.family, 6);
  assert_memory_equal(d[1].payload, msg6, sizeof msg6);
  assert_true(rte_mempool_avail_count(test_pool) < avail0);
  gx_dp_rx_release(q, d, 2);
  assert_int_equal(rte_mempool_avail_count(test_pool), avail0);
  /* The sender was learned as a neighbour from the datagram itself. */
  uint8_t mac[6];
  assert_true(gx_dpdk_neigh_lookup(dp, &d[0].src, mac));
  assert_memory_equal(mac, peer.mac, 6);
}

static void test_malformed_frames_dropped_by_reason(void **state) {
  (void)state;
  gx_dp_queue_t *q = gx_dpdk_queue(dp, 0);
  gx_dpdk_stats_t s0, s1;
  gx_dpdk_stats(dp, &s0);
  unsigned avail0 = rte_mempool_avail_count(test_pool);
  uint8_t f[GX_PKT_FRAME_MAX];
  static const char msg[] = "payload";
  size_t n = udp_to_us(f, sizeof f, 4, msg, sizeof msg);
  f[14 + 10] ^= 0xff; /* IP header checksum */
  inject(f, n);
  n = udp_to_us(f, sizeof f, 4, msg, sizeof msg);
  f[n - 1] ^= 0xff; /* UDP checksum */
  inject(f, n);
  n = udp_to_us(f, sizeof f, 4, msg, sizeof msg);
  inject(f, n - 3); /* truncated */
  n = udp_to_us(f, sizeof f, 4, msg, sizeof msg);
  f[14 + 20 + 3] ^= 1; /* wrong port */
  inject(f, n);
  n = udp_to_us(f, sizeof f, 4, msg, sizeof msg);
  f[12] = 0x88; /* not IP */
  f[13] = 0xb5;
  inject(f, n);
  n = udp_to_us(f, sizeof f, 4, msg, sizeof msg);
  f[14 + 6] |= 0x20; /* MF: a fragment (header checksum fixed below) */
  f[14 + 10] = f[14 + 11] = 0;
  uint16_t c = rte_ipv4_cksum((const struct rte_ipv4_hdr *)(f + 14));
  memcpy(f + 14 + 10, &c, 2);
  inject(f, n);
  n = udp_to_us(f, sizeof f, 6, msg, sizeof msg);
  inject(f, n); /* and one good frame: the port keeps working */
  gx_dgram_t d[GX_DP_BURST];
  assert_int_equal(rx_all(q, d, GX_DP_BURST), 1);
  gx_dp_rx_release(q, d, 1);
  gx_dpdk_stats(dp, &s1);
  assert_int_equal(s1.rx_frames - s0.rx_frames, 7);
  assert_int_equal(s1.rx_drop[GX_PKT_DROP_IP_FRAGMENT] - s0.rx_drop[GX_PKT_DROP_IP_FRAGMENT], 1);
  assert_int_equal(s1.rx_dgrams - s0.rx_dgrams, 1);
  assert_int_equal(s1.rx_drop[GX_PKT_DROP_IP_CSUM] - s0.rx_drop[GX_PKT_DROP_IP_CSUM], 1);
  assert_int_equal(s1.rx_drop[GX_PKT_DROP_UDP_CSUM] - s0.rx_drop[GX_PKT_DROP_UDP_CSUM], 1);
  assert_int_equal(s1.rx_drop[GX_PKT_DROP_TRUNCATED] - s0.rx_drop[GX_PKT_DROP_TRUNCATED], 1);
  assert_int_equal(s1.rx_drop[GX_PKT_DROP_UDP_PORT] - s0.rx_drop[GX_PKT_DROP_UDP_PORT], 1);
  assert_int_equal(s1.rx_drop[GX_PKT_DROP_ETHERTYPE] - s0.rx_drop[GX_PKT_DROP_ETHERTYPE], 1);
  assert_int_equal(rte_mempool_avail_count(test_pool), avail0); /* all freed */
}

static void test_arp_and_nd_answered_inline(void **state) {
  (void)state;
  gx_dp_queue_t *q = gx_dpdk_queue(dp, 0);
  uint8_t f[128], r[GX_PKT_FRAME_MAX];
  inject(f, gx_pkt_build_arp(f, sizeof f, &peer, 1, NULL, us.ip4));
  inject(f, gx_pkt_build_ns(f, sizeof f, &peer, us.ip6));
  uint8_t other[4] = {10, 77, 0, 99};
  inject(f, gx_pkt_build_arp(f, sizeof f, &peer, 1, NULL, other)); /* not ours: no answer */
  gx_dgram_t d[GX_DP_BURST];
  assert_int_equal(rx_all(q, d, GX_DP_BURST), 0);
  gx_pkt_info_t info;
  size_t n = take_tx(r, sizeof r);
  assert_int_equal(n, GX_PKT_ARP_LEN);
  assert_int_equal(gx_pkt_parse(r, n, &peer, 0, &info), GX_PKT_ARP_REPLY);
  assert_memory_equal(info.src_mac, us.mac, 6);
  assert_memory_equal(info.src.ip, us.ip4, 4);
  n = take_tx(r, sizeof r);
  assert_int_equal(gx_pkt_parse(r, n, &peer, 0, &info), GX_PKT_ND_ADVERT);
  assert_memory_equal(info.src_mac, us.mac, 6);
  assert_memory_equal(info.src.ip, us.ip6, 16);
  assert_int_equal(take_tx(r, sizeof r), 0);
}

static void test_tx_resolves_unknown_neighbour_then_sends(void **state) {
  (void)state;
  gx_dp_queue_t *q = gx_dpdk_queue(dp, 0);
  gx_pkt_local_t far = peer; /* a peer not heard from yet */
  far.mac[5] = 0x33;
  far.ip4[3] = 33;
  far.ip6[15] = 0x33;
  static const uint8_t msg[] = "gossip to a new peer";
  const uint8_t *pl[2] = {msg, msg};
  uint16_t lens[2] = {sizeof msg, sizeof msg};
  gx_addr_t dst[2] = {{.family = 4, .port = 7001}, {.family = 6, .port = 7002}};
  memcpy(dst[0].ip, far.ip4, 4);
  memcpy(dst[1].ip, far.ip6, 16);
  gx_dpdk_stats_t s0, s1;
  gx_dpdk_stats(dp, &s0);
  assert_int_equal(gx_dp_tx_burst(q, dst, pl, lens, 2), 0);
  gx_dpdk_stats(dp, &s1);
  assert_int_equal(s1.tx_no_neighbour - s0.tx_no_neighbour, 2);
  /* An ARP request and a neighbour solicitation went out; answer them. */
  uint8_t r[GX_PKT_FRAME_MAX], f[128];
  gx_pkt_info_t info;
  size_t n = take_tx(r, sizeof r);
  assert_int_equal(gx_pkt_parse(r, n, &far, 0, &info), GX_PKT_ARP_REQUEST);
  inject(f, gx_pkt_build_arp(f, sizeof f, &far, 2, info.src_mac, info.src.ip));
  n = take_tx(r, sizeof r);
  assert_int_equal(gx_pkt_parse(r, n, &far, 0, &info), GX_PKT_ND_SOLICIT);
  inject(f, gx_pkt_build_na(f, sizeof f, &far, info.src_mac, info.src.ip));
  /* A second try within the interval asks nothing more. */
  assert_int_equal(take_tx(r, sizeof r), 0);
  gx_dgram_t d[GX_DP_BURST];
  assert_int_equal(rx_all(q, d, GX_DP_BURST), 0); /* learn from the answers */
  assert_int_equal(gx_dp_tx_burst(q, dst, pl, lens, 2), 2);
  for (int i = 0; i < 2; i++) {
    gx_pkt_local_t seen = far;
    seen.udp_port = (uint16_t)(7001 + i);
    n = take_tx(r, sizeof r);
    assert_int_equal(gx_pkt_parse(r, n, &seen, 0, &info), GX_PKT_UDP);
    assert_int_equal(info.src.family, i ? 6 : 4);
    assert_int_equal(info.src.port, us.udp_port);
    assert_memory_equal(info.src_mac, us.mac, 6);
    assert_int_equal(info.payload_len, sizeof msg);
    assert_memory_equal(r + info.payload_off, msg, sizeof msg);
  }
  gx_dpdk_stats(dp, &s1);
  assert_int_equal(s1.tx_dgrams - s0.tx_dgrams, 2);
}

/* A second port with a prefix and gateways: off-link destinations go to the
 * gateway's MAC, on-link ones are resolved themselves. */
static void test_tx_via_gateway(void **state) {
  (void)state;
  char err[256];
  struct rte_ring *grx = rte_ring_create("gx_gw_rx", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  struct rte_ring *gtx = rte_ring_create("gx_gw_tx", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  assert_non_null(grx);
  assert_non_null(gtx);
  int port = gx_dpdk_ring_port("gx_ring_gw", grx, gtx, err, sizeof err);
  char pname[RTE_ETH_NAME_MAX_LEN];
  assert_true(port >= 0);
  assert_int_equal(rte_eth_dev_get_name_by_port((uint16_t)port, pname), 0);
  gx_dpdk_cfg_t cfg;
  gx_dpdk_cfg_defaults(&cfg);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "port", pname, err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "ipv4", "10.77.0.2/24", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "gateway4", "10.78.0.254", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "udp_port", "9000", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_validate(&cfg, err, sizeof err), -1); /* gateway off-link */
  assert_non_null(strstr(err, "gateway"));
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "gateway4", "10.77.0.254", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "ipv4", "10.77.0.2/33", err, sizeof err), -1);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "mbufs", "1024", err, sizeof err), 0);
  gx_dpdk_t *g = gx_dpdk_open(&cfg, err, sizeof err);
  if (!g) fail_msg("%s", err);
  gx_pkt_local_t gus = *gx_dpdk_local(g);
  gx_dp_queue_t *q = gx_dpdk_queue(g, 0);
  gx_pkt_local_t gw = {.mac = {0x02, 0, 0, 0, 0, 0xfe}, .has_ip4 = 1, .ip4 = {10, 77, 0, 254}};
  static const uint8_t msg[] = "to a peer behind the router";
  const uint8_t *pl[1] = {msg};
  uint16_t lens[1] = {sizeof msg};
  gx_addr_t far = {.family = 4, .port = 7100, .ip = {192, 0, 2, 7}};
  assert_int_equal(gx_dp_tx_burst(q, &far, pl, lens, 1), 0);
  uint8_t r[GX_PKT_FRAME_MAX], f[128];
  void *obj = NULL;
  assert_int_equal(rte_ring_dequeue(gtx, &obj), 0); /* ARP request for the gateway */
  struct rte_mbuf *m = obj;
  gx_pkt_info_t info;
  size_t n = rte_pktmbuf_pkt_len(m);
  memcpy(r, rte_pktmbuf_mtod(m, void *), n);
  rte_pktmbuf_free(m);
  assert_int_equal(gx_pkt_parse(r, n, &gw, 0, &info), GX_PKT_ARP_REQUEST);
  /* The gateway answers; the datagram then leaves for its MAC. */
  n = gx_pkt_build_arp(f, sizeof f, &gw, 2, gus.mac, gus.ip4);
  struct rte_mbuf *in = rte_pktmbuf_alloc(test_pool);
  memcpy(rte_pktmbuf_append(in, (uint16_t)n), f, n);
  assert_int_equal(rte_ring_enqueue(grx, in), 0);
  gx_dgram_t d[GX_DP_BURST];
  assert_int_equal(gx_dp_rx_burst(q, d, GX_DP_BURST), 0);
  assert_int_equal(gx_dp_tx_burst(q, &far, pl, lens, 1), 1);
  assert_int_equal(rte_ring_dequeue(gtx, &obj), 0);
  m = obj;
  n = rte_pktmbuf_pkt_len(m);
  memcpy(r, rte_pktmbuf_mtod(m, void *), n);
  rte_pktmbuf_free(m);
  assert_memory_equal(r, gw.mac, 6);                 /* next hop: the gateway */
  assert_memory_equal(r + 14 + 16, far.ip, 4);       /* IP destination: the peer */
  /* An on-link destination is resolved itself, not through the gateway. */
  gx_addr_t near = {.family = 4, .port = 7100, .ip = {10, 77, 0, 9}};
  assert_int_equal(gx_dp_tx_burst(q, &near, pl, lens, 1), 0);
  assert_int_equal(rte_ring_dequeue(gtx, &obj), 0);
  m = obj;
  n = rte_pktmbuf_pkt_len(m);
  memcpy(r, rte_pktmbuf_mtod(m, void *), n);
  rte_pktmbuf_free(m);
  gx_pkt_local_t nb = gw;
  memcpy(nb.ip4, near.ip, 4);
  assert_int_equal(gx_pkt_parse(r, n, &nb, 0, &info), GX_PKT_ARP_REQUEST);
  gx_dpdk_close(g);
}

static void test_metrics_render_drop_reasons(void **state) {
  (void)state;
  static gx_metrics_t m;
  gx_metrics_init(&m);
  assert_int_equal(gx_dpdk_metrics_register(dp, &m), GX_METRICS_OK);
  static char buf[65536];
  assert_true(gx_metrics_render(&m, buf, sizeof buf, NULL) > 0);
  gx_dpdk_stats_t s;
  gx_dpdk_stats(dp, &s);
  char line[128];
  snprintf(line, sizeof line, "gx_dpdk_rx_drops_total{reason=\"ip_csum\"} %llu\n",
           (unsigned long long)s.rx_drop[GX_PKT_DROP_IP_CSUM]);
  assert_non_null(strstr(buf, line));
  assert_true(s.rx_drop[GX_PKT_DROP_IP_CSUM] >= 1);
  gx_metrics_fini(&m);
}

typedef struct {
  gx_dp_queue_t *q;
  int ready;
} link_waiter_t;

static void *link_wait_thread(void *arg) {
  link_waiter_t *w = arg;
  w->ready = gx_dp_rx_wait(w->q, 60000);
  return NULL;
}

/* The link channel: a second UDP port whose datagrams the RX lcore hands to
 * another thread's queue (zero copy), which it wakes, and which transmits
 * from that port through the same TX queue. Runs last: it opens the link. */
static void test_link_channel(void **state) {
  (void)state;
  gx_dp_queue_t *q = gx_dpdk_queue(dp, 0);
  gx_dpdk_stats_t s0, s1;
  uint8_t f[GX_PKT_FRAME_MAX];
  gx_dgram_t d[GX_DP_BURST];
  char err[256];
  static const char c4[] = "consensus over ipv4", c6[] = "consensus over ipv6", in[] = "ingest";
  gx_dpdk_stats(dp, &s0);
  /* before it is open, the link port is just a wrong port */
  inject(f, udp_to_port(f, sizeof f, 4, 9100, c4, sizeof c4));
  assert_int_equal(rx_all(q, d, GX_DP_BURST), 0);
  gx_dpdk_stats(dp, &s1);
  assert_int_equal(s1.rx_drop[GX_PKT_DROP_UDP_PORT] - s0.rx_drop[GX_PKT_DROP_UDP_PORT], 1);

  assert_null(gx_dpdk_link_open(dp, 9000, err, sizeof err)); /* the ingest port */
  assert_non_null(strstr(err, "must differ"));
  gx_dp_queue_t *lq = gx_dpdk_link_open(dp, 9100, err, sizeof err);
  assert_non_null(lq);
  assert_string_equal(lq->ops->name, "dpdk-link");
  assert_null(gx_dpdk_link_open(dp, 9101, err, sizeof err));
  assert_non_null(strstr(err, "open already"));
  assert_int_equal(gx_dp_rx_wait(lq, 1), 0); /* nothing yet */

  /* RX demux: the ingest datagram to queue 0, the link ones to the link queue */
  gx_dpdk_stats(dp, &s0);
  inject(f, udp_to_port(f, sizeof f, 4, 9100, c4, sizeof c4));
  inject(f, udp_to_port(f, sizeof f, 4, 9000, in, sizeof in));
  inject(f, udp_to_port(f, sizeof f, 6, 9100, c6, sizeof c6));
  inject(f, udp_to_port(f, sizeof f, 4, 9200, in, sizeof in)); /* still a wrong port */
  assert_int_equal(rx_all(q, d, GX_DP_BURST), 1);
  assert_memory_equal(d[0].payload, in, sizeof in);
  gx_dp_rx_release(q, d, 1);
  assert_int_equal(gx_dp_rx_wait(lq, 1000), 1);
  assert_int_equal(gx_dp_rx_burst(lq, d, GX_DP_BURST), 2);
  struct rte_mbuf *m = d[0].handle; /* zero copy: the payload is in the mbuf */
  assert_ptr_equal(d[0].payload, rte_pktmbuf_mtod(m, const uint8_t *) + GX_PKT_UDP4_HLEN);
  assert_int_equal(d[0].len, sizeof c4);
  assert_memory_equal(d[0].payload, c4, sizeof c4);
  assert_int_equal(d[0].src.family, 4);
  assert_int_equal(d[0].src.port, 5555);
  assert_memory_equal(d[1].payload, c6, sizeof c6);
  assert_int_equal(d[1].src.family, 6);
  gx_dp_rx_release(lq, d, 2);
  assert_int_equal(gx_dp_rx_burst(lq, d, GX_DP_BURST), 0);
  gx_dpdk_stats(dp, &s1);
  assert_int_equal(s1.link_rx_dgrams - s0.link_rx_dgrams, 2);
  assert_int_equal(s1.rx_dgrams - s0.rx_dgrams, 1);
  assert_int_equal(s1.rx_drop[GX_PKT_DROP_UDP_PORT] - s0.rx_drop[GX_PKT_DROP_UDP_PORT], 1);

  /* a thread asleep in rx_wait is woken by the RX lcore's hand-off (a broken
   * wake-up would leave it asleep for its whole 60 s) */
  link_waiter_t w = {lq, -1};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, link_wait_thread, &w), 0);
  struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  inject(f, udp_to_port(f, sizeof f, 4, 9100, c4, sizeof c4));
  assert_int_equal(rx_all(q, d, GX_DP_BURST), 0);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 30;
  assert_int_equal(pthread_timedjoin_np(t, NULL, &until), 0);
  assert_int_equal(w.ready, 1);
  assert_int_equal(gx_dp_rx_burst(lq, d, GX_DP_BURST), 1);
  gx_dp_rx_release(lq, d, 1);

  /* a full link ring drops and counts; the ingest port keeps working */
  gx_dpdk_stats(dp, &s0);
  for (int i = 0; i < 70; i++) inject(f, udp_to_port(f, sizeof f, 4, 9100, c4, sizeof c4));
  inject(f, udp_to_port(f, sizeof f, 4, 9000, in, sizeof in));
  int got = 0, n;
  while ((n = rx_all(q, d, GX_DP_BURST)) > 0) {
    got += n;
    gx_dp_rx_release(q, d, n);
  }
  assert_int_equal(got, 1);
  gx_dpdk_stats(dp, &s1);
  assert_int_equal(s1.link_rx_dgrams - s0.link_rx_dgrams, 64);
  assert_int_equal(s1.link_rx_full - s0.link_rx_full, 6);
  got = 0;
  while ((n = gx_dp_rx_burst(lq, d, GX_DP_BURST)) > 0) {
    got += n;
    gx_dp_rx_release(lq, d, n);
  }
  assert_int_equal(got, 64);

  /* TX from the link port, to a learned neighbour, through the same port */
  while (take_tx(f, sizeof f)) {}
  gx_addr_t to = {.family = 4, .port = 5555};
  memcpy(to.ip, peer.ip4, 4);
  const uint8_t *pl[1] = {(const uint8_t *)c4};
  uint16_t len[1] = {sizeof c4};
  assert_int_equal(gx_dp_tx_burst(lq, &to, pl, len, 1), 1);
  size_t fl = take_tx(f, sizeof f);
  assert_true(fl > 0);
  gx_pkt_info_t info;
  assert_int_equal(gx_pkt_parse(f, fl, &peer, 0, &info), GX_PKT_UDP);
  assert_int_equal(info.src.port, 9100);
  assert_int_equal(info.payload_len, sizeof c4);
  assert_memory_equal(f + info.payload_off, c4, sizeof c4);
  /* and queue 0 still sends from the ingest port */
  assert_int_equal(gx_dp_tx_burst(q, &to, pl, len, 1), 1);
  fl = take_tx(f, sizeof f);
  assert_int_equal(gx_pkt_parse(f, fl, &peer, 0, &info), GX_PKT_UDP);
  assert_int_equal(info.src.port, 9000);
  gx_dpdk_stats(dp, &s1);
  assert_int_equal(s1.link_tx_dgrams, 1);

  /* the link's counters are metrics */
  static gx_metrics_t mt;
  gx_metrics_init(&mt);
  assert_int_equal(gx_dpdk_metrics_register(dp, &mt), GX_METRICS_OK);
  static char buf[65536];
  assert_true(gx_metrics_render(&mt, buf, sizeof buf, NULL) > 0);
  assert_non_null(strstr(buf, "gx_dpdk_link_tx_datagrams_total 1\n"));
  char line[128];
  snprintf(line, sizeof line, "gx_dpdk_link_rx_datagrams_total %llu\n",
           (unsigned long long)s1.link_rx_dgrams);
  assert_non_null(strstr(buf, line));
  snprintf(line, sizeof line, "gx_dpdk_rx_drops_total{reason=\"link_ring_full\"} %llu\n",
           (unsigned long long)s1.link_rx_full);
  assert_non_null(strstr(buf, line));
  gx_metrics_fini(&mt);
}

static void test_config_keys_and_errors(void **state) {
  (void)state;
  gx_dpdk_cfg_t cfg;
  char err[256];
  gx_dpdk_cfg_defaults(&cfg);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "ipv4", "10.0.0.300", err, sizeof err), -1);
  assert_non_null(strstr(err, "ipv4"));
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "colour", "blue", err, sizeof err), -1);
  assert_non_null(strstr(err, "unknown key"));
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "mac", "01:00:00:00:00:01", err, sizeof err), -1);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "rx_queues", "17", err, sizeof err), -1);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "ipv6", "fd00::9", err, sizeof err), 0);
  assert_true(cfg.local.has_ip6);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "ipv6", "", err, sizeof err), 0); /* empty: off */
  assert_false(cfg.local.has_ip6);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "mac", "", err, sizeof err), 0);
  assert_false(cfg.has_mac);
  assert_int_equal(gx_dpdk_cfg_validate(&cfg, err, sizeof err), -1);
  assert_non_null(strstr(err, "port"));
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "port", "net_af_packet0,iface=gx-no-such-if", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "ipv4", "10.0.0.1", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "udp_port", "9000", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "rx_queues", "4", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "lcores", "0-1", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_validate(&cfg, err, sizeof err), -1);
  assert_non_null(strstr(err, "lcores"));
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "lcores", "0-3", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_validate(&cfg, err, sizeof err), 0);
  gx_eal_cfg_t eal;
  gx_dpdk_eal_cfg(&cfg, &eal);
  assert_int_equal(eal.n_vdevs, 1);
  assert_string_equal(eal.vdevs[0], cfg.port);
  assert_string_equal(eal.lcores, "0-3");
  static char report[2048];
  assert_int_equal(gx_dpdk_check(&cfg, report, sizeof report), -1);
  assert_non_null(strstr(report, "hugepages:"));
  assert_non_null(strstr(report, "cannot start: interface gx-no-such-if"));
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "port", "0000:ff:1f.7", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_check(&cfg, report, sizeof report), -1);
  assert_non_null(strstr(report, "PCI device 0000:ff:1f.7 does not exist"));
  /* Opening a port that does not exist says so. */
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "port", "gx_no_such_port", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "rx_queues", "1", err, sizeof err), 0);
  assert_int_equal(gx_dpdk_cfg_set(&cfg, "lcores", "0", err, sizeof err), 0);
  assert_null(gx_dpdk_open(&cfg, err, sizeof err));
  assert_non_null(strstr(err, "no ethdev named gx_no_such_port"));
}

/* ------------------------------------------------------------ sink mode */

static volatile sig_atomic_t sink_stop;
static void on_signal(int sig) {
  (void)sig;
  sink_stop = 1;
}

static int sink_main(int argc, char **argv) {
  gx_dpdk_cfg_t cfg;
  char err[512];
  double seconds = 30;
  int echo = 0;
  gx_dpdk_cfg_defaults(&cfg);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (!strcmp(a, "--echo")) {
      echo = 1;
      continue;
    }
    if (!v) {
      fprintf(stderr, "sink: %s needs a value\n", a);
      return 2;
    }
    i++;
    if (!strcmp(a, "--port")) rc = gx_dpdk_cfg_set(&cfg, "port", v, err, sizeof err);
    else if (!strcmp(a, "--ipv4")) rc = gx_dpdk_cfg_set(&cfg, "ipv4", v, err, sizeof err);
    else if (!strcmp(a, "--ipv6")) rc = gx_dpdk_cfg_set(&cfg, "ipv6", v, err, sizeof err);
    else if (!strcmp(a, "--udp-port")) rc = gx_dpdk_cfg_set(&cfg, "udp_port", v, err, sizeof err);
    else if (!strcmp(a, "--queues")) rc = gx_dpdk_cfg_set(&cfg, "rx_queues", v, err, sizeof err);
    else if (!strcmp(a, "--seconds")) seconds = atof(v);
    else {
      fprintf(stderr, "sink: unknown option %s\n", a);
      return 2;
    }
    if (rc) {
      fprintf(stderr, "sink: %s\n", err);
      return 2;
    }
  }
  gx_eal_cfg_t eal;
  gx_dpdk_eal_cfg(&cfg, &eal);
  eal.hugepages = 0;
  if (gx_eal_init(&eal, err, sizeof err)) {
    fprintf(stderr, "sink: %s\n", err);
    return 1;
  }
  gx_dpdk_t *sdp = gx_dpdk_open(&cfg, err, sizeof err);
  if (!sdp) {
    fprintf(stderr, "sink: %s\n", err);
    return 1;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  const uint8_t *mac = gx_dpdk_local(sdp)->mac;
  printf("ready\nmac %02x:%02x:%02x:%02x:%02x:%02x\noffloads_rx %u\noffloads_tx %u\n", mac[0],
         mac[1], mac[2], mac[3], mac[4], mac[5], gx_dpdk_rx_offloads(sdp), gx_dpdk_tx_offloads(sdp));
  fflush(stdout);
  int nq = gx_dpdk_n_queues(sdp), qi = 0;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint64_t bytes = 0, iter = 0;
  while (!sink_stop) {
    gx_dp_queue_t *q = gx_dpdk_queue(sdp, qi);
    qi = (qi + 1) % nq;
    gx_dgram_t d[GX_DP_BURST];
    int n = gx_dp_rx_burst(q, d, GX_DP_BURST);
    if (n > 0) {
      for (int i = 0; i < n; i++) bytes += d[i].len;
      if (echo) {
        gx_addr_t dst[GX_DP_BURST];
        const uint8_t *pl[GX_DP_BURST];
        uint16_t lens[GX_DP_BURST];
        for (int i = 0; i < n; i++) {
          dst[i] = d[i].src;
          pl[i] = d[i].payload;
          lens[i] = d[i].len;
        }
        gx_dp_tx_burst(q, dst, pl, lens, n);
      }
      gx_dp_rx_release(q, d, n);
    } else if (n < 0) {
      break;
    }
    if ((++iter & 1023) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > seconds) break;
    }
  }
  gx_dpdk_stats_t s;
  gx_dpdk_stats(sdp, &s);
  printf("rx_frames %llu\nrx_dgrams %llu\nrx_bytes %llu\n", (unsigned long long)s.rx_frames,
         (unsigned long long)s.rx_dgrams, (unsigned long long)bytes);
  for (int i = 0; i < nq; i++)
    printf("rx_dgrams_q%d %llu\n", i,
           (unsigned long long)atomic_load_explicit(&gx_dpdk_counters(sdp, i)->rx_dgrams,
                                                    memory_order_relaxed));
  for (int r = 1; r < GX_PKT_DROP__COUNT; r++)
    printf("drop_%s %llu\n", gx_pkt_drop_label((gx_pkt_drop_t)r),
           (unsigned long long)s.rx_drop[r]);
  printf("arp_replies %llu\nnd_replies %llu\nneigh_requests %llu\ntx_dgrams %llu\n"
         "tx_no_neighbour %llu\n",
         (unsigned long long)s.arp_replies, (unsigned long long)s.nd_replies,
         (unsigned long long)s.neigh_requests, (unsigned long long)s.tx_dgrams,
         (unsigned long long)s.tx_no_neighbour);
  fflush(stdout);
  gx_dpdk_close(sdp);
  gx_eal_cleanup();
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "sink")) return sink_main(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_udp_delivered_zero_copy_and_released),
      cmocka_unit_test(test_malformed_frames_dropped_by_reason),
      cmocka_unit_test(test_arp_and_nd_answered_inline),
      cmocka_unit_test(test_tx_resolves_unknown_neighbour_then_sends),
      cmocka_unit_test(test_tx_via_gateway),
      cmocka_unit_test(test_metrics_render_drop_reasons),
      cmocka_unit_test(test_config_keys_and_errors),
      cmocka_unit_test(test_link_channel),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

GX_DPDK_ISA_END
