/* gx_dpdk: the DPDK poll-mode backend of dataplane/gx_dp.h. One Ethernet port
 * (a PCI NIC bound to vfio-pci, or a virtual device: net_af_packet, net_tap,
 * net_ring, net_null), one RX queue and one TX queue per poll-mode lcore, RSS
 * over the UDP 5-tuple when there are several queues (net_af_packet: the
 * kernel's PACKET_FANOUT flow hash; give it qpairs=N in the devargs), bursts
 * of GX_DP_BURST.
 *
 * RX: frames are parsed in place by gx_pkt (Ethernet II, IPv4/IPv6, UDP); the
 * gx_dgram_t payload pointers point into the mbufs (zero copy) until
 * rx_release frees them. ARP requests and IPv6 neighbour solicitations for the
 * node's own address are answered inline from the RX path (the kernel no
 * longer sees the port); everything that is not a UDP datagram for us is
 * dropped and counted by reason (gx_pkt_drop_t, plus multi-segment frames).
 * Checksums are verified by the NIC when the port offers RX checksum offload
 * (a NIC-flagged bad checksum is dropped), in software otherwise; TX checksums
 * likewise.
 *
 * TX: tx_burst(q, dst, payloads, lens, n) sends payload i to dst[i] (dst is an
 * array of n addresses) from the node's address and UDP port. The next-hop MAC
 * comes from a fixed-size neighbour table (GX_DPDK_NEIGH_SLOTS, direct mapped,
 * shared by all queues) learned from ARP replies/requests, neighbour
 * advertisements/solicitations and the source of every received datagram (so
 * a peer behind a router is answered through that router). When the
 * destination is unknown the datagram is dropped and counted
 * (tx_no_neighbour) and an ARP request / neighbour solicitation is sent (at
 * most one per destination every 100 ms); the caller's retransmission then
 * finds the neighbour. A destination outside the configured prefix
 * ("ipv4 = 192.0.2.10/24") that was never heard from goes to the gateway
 * (gateway4 / gateway6), resolved the same way (see docs/OPERATIONS.md).
 *
 * Link channel (consensus): gx_dpdk_link_open gives a gx_dp queue for a
 * second UDP port on the same address, used by one thread that is not a
 * poll-mode lcore (galaxyd's commit stage). RX lcores hand datagrams for that
 * port (parsed and checked like any other, zero copy) to the channel's ring
 * of link_ring descriptors (MP/SC; full: dropped, counted as reason
 * link_ring_full; consensus re-sends) and wake its thread through an eventfd
 * when it sleeps in rx_wait. Its tx_burst builds frames from the link port
 * and sends them on TX queue 0, which queue 0's lcore and the channel then
 * share under a spinlock held only around rte_eth_tx_burst (a TX queue per
 * thread would need a queue pair per thread, and net_af_packet spreads RX over
 * every pair it has).
 *
 * Lifecycle (tango style): gx_dpdk_cfg_defaults -> gx_dpdk_cfg_set per config
 * key -> gx_dpdk_eal_cfg (fills the EAL start-up) -> gx_eal_init ->
 * gx_dpdk_open (port set-up, mbuf pool, queues) -> [gx_dpdk_link_open] ->
 * gx_dpdk_queue(dp, i) per lcore -> gx_dpdk_close. Everything is sized in
 * gx_dpdk_open (and the link's ring in gx_dpdk_link_open); RX and TX never
 * allocate except mbufs from the pool made there.
 * Memory: gx_dpdk_t owns the port, the mbuf pool and the queues; the
 * configuration is copied.
 * Threads: open/close/link_open/stats/metrics from the main thread; each queue's ops from
 * the one lcore that owns it; gx_dpdk_stats and the metrics registry read the
 * per-queue counters from any thread (relaxed atomics).
 * Errors: gx_dpdk_open returns NULL with a one-line reason in err (which port,
 * which DPDK call, rte_strerror). gx_dpdk_cfg_set returns -1 with a reason. */
#ifndef GX_DPDK_H
#define GX_DPDK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/gx_metrics.h"
#include "dataplane/gx_dp.h"
#include "dataplane/gx_eal.h"
#include "dataplane/gx_pkt.h"

#define GX_DPDK_MAX_QUEUES 16
#define GX_DPDK_NEIGH_SLOTS 2048
#define GX_DPDK_PORT_MAX 256

struct rte_ring;

typedef struct {
  char port[GX_DPDK_PORT_MAX]; /* ethdev devargs: "net_af_packet0,iface=veth1", "0000:3b:00.0" */
  char lcores[64];             /* EAL -l list; "" = the current CPU */
  gx_pkt_local_t local;        /* our IPv4/IPv6 and UDP port; MAC see has_mac */
  int has_mac;                 /* 1: set local.mac on the port; 0: use the port's MAC */
  uint16_t rx_queues;          /* 1..GX_DPDK_MAX_QUEUES, one per poll-mode lcore */
  uint16_t rx_desc, tx_desc;   /* ring sizes; 0: 1024 (adjusted to the device) */
  uint32_t mbufs;              /* mbuf pool size; 0: sized from queues and rings */
  uint32_t link_ring;          /* link channel ring slots (power of two); default 8192 */
  int hugepages;               /* -1 auto, 0 --no-huge, 1 required (gx_eal_cfg_t) */
  unsigned mem_mb;             /* EAL memory with --no-huge; 0: 256 */
  int fallback_socket;         /* 1: galaxyd may fall back to socket mode */
  uint8_t prefix4, prefix6;    /* on-link prefix lengths ("ipv4 = A/24"); 0: all on link */
  uint8_t has_gw4, has_gw6;
  uint8_t gw4[4];              /* next hop for off-link IPv4 destinations */
  uint8_t gw6[16];
} gx_dpdk_cfg_t;

/* Counters of one queue (written by its lcore only). */
typedef struct {
  _Atomic uint64_t rx_frames;   /* every frame taken off the RX ring      */
  _Atomic uint64_t rx_dgrams;   /* UDP datagrams delivered to the pipeline */
  _Atomic uint64_t rx_drop[GX_PKT_DROP__COUNT]; /* by gx_pkt reason         */
  _Atomic uint64_t rx_drop_multiseg; /* chained mbufs (jumbo frames)       */
  _Atomic uint64_t arp_replies;  /* ARP replies sent                        */
  _Atomic uint64_t nd_replies;   /* neighbour advertisements sent          */
  _Atomic uint64_t neigh_requests; /* ARP requests / solicitations sent    */
  _Atomic uint64_t neigh_learned;  /* neighbour table writes              */
  _Atomic uint64_t tx_dgrams;    /* datagrams handed to the NIC            */
  _Atomic uint64_t tx_no_neighbour; /* dropped: next hop unknown           */
  _Atomic uint64_t tx_no_mbuf;   /* dropped: pool empty                    */
  _Atomic uint64_t tx_full;      /* dropped: TX ring full                  */
  _Atomic uint64_t tx_invalid;   /* dropped: too long / family not configured */
  _Atomic uint64_t link_rx_dgrams; /* link-port datagrams handed to the link channel */
  _Atomic uint64_t link_rx_full;   /* dropped: link channel ring full        */
} gx_dpdk_counters_t;

/* Sum over all queues, plain integers. */
typedef struct {
  uint64_t rx_frames, rx_dgrams, rx_drop[GX_PKT_DROP__COUNT], rx_drop_multiseg;
  uint64_t arp_replies, nd_replies, neigh_requests, neigh_learned;
  uint64_t tx_dgrams, tx_no_neighbour, tx_no_mbuf, tx_full, tx_invalid;
  uint64_t link_rx_dgrams, link_rx_full, link_tx_dgrams; /* tx_dgrams includes link_tx_dgrams */
} gx_dpdk_stats_t;

typedef struct gx_dpdk gx_dpdk_t;

/* Defaults: one RX queue, UDP port 0 (must be set), auto hugepages, no address. */
void gx_dpdk_cfg_defaults(gx_dpdk_cfg_t *cfg);
/* One key of the config's [dpdk] section: port, lcores, mac, ipv4 (A or
 * A/len), ipv6 (A or A/len), gateway4, gateway6, udp_port, rx_queues,
 * rx_desc, tx_desc, mbufs, link_ring, hugepages (auto|yes|no), mem_mb, fallback
 * (socket|none); docs/OPERATIONS.md describes each. An empty mac/ipv4/ipv6/
 * gateway means "none" (the port's MAC; that family off; no gateway). 0, or
 * -1 with a reason (unknown key, bad value; the config is then unchanged). */
int gx_dpdk_cfg_set(gx_dpdk_cfg_t *cfg, const char *key, const char *value, char *err,
                    size_t errlen);
/* Checks a complete config (a port, an address, a UDP port, queues in range,
 * enough lcores for the queues). 0 or -1 with a reason. */
int gx_dpdk_cfg_validate(const gx_dpdk_cfg_t *cfg, char *err, size_t errlen);
/* Fills an EAL start-up for this config: lcores, hugepages, memory, and the
 * port as a --vdev (net_* names) or -a (PCI address). The strings point into
 * cfg, which must outlive gx_eal_init. */
void gx_dpdk_eal_cfg(const gx_dpdk_cfg_t *cfg, gx_eal_cfg_t *eal);

/* Pre-flight for `galaxyd --check-config`, without starting EAL: writes one
 * line per fact (hugepages free/total and size, lcores vs online CPUs, the
 * port and its kernel driver / interface, vfio) into report and returns 0 when
 * DPDK mode can start, -1 when it cannot (the last line says exactly why). */
int gx_dpdk_check(const gx_dpdk_cfg_t *cfg, char *report, size_t cap);

/* Sets up and starts the port (after gx_eal_init). A vdev named in cfg->port
 * that EAL did not create yet is probed here. */
gx_dpdk_t *gx_dpdk_open(const gx_dpdk_cfg_t *cfg, char *err, size_t errlen);
void gx_dpdk_close(gx_dpdk_t *dp);

int gx_dpdk_n_queues(const gx_dpdk_t *dp);
/* The gx_dp queue i (0 <= i < n_queues), for the lcore that polls it. */
gx_dp_queue_t *gx_dpdk_queue(gx_dpdk_t *dp, int i);
/* The DPDK port id (for rte_eth_stats and tests). */
uint16_t gx_dpdk_port_id(const gx_dpdk_t *dp);
/* Our addresses (MAC resolved from the port when not configured). */
const gx_pkt_local_t *gx_dpdk_local(const gx_dpdk_t *dp);
/* Offloads in use: GX_PKT_TX_* flags for TX, GX_PKT_F_* capable on RX. */
unsigned gx_dpdk_tx_offloads(const gx_dpdk_t *dp);
unsigned gx_dpdk_rx_offloads(const gx_dpdk_t *dp);

void gx_dpdk_stats(const gx_dpdk_t *dp, gx_dpdk_stats_t *out);
/* Counters of queue i (NULL when out of range); read with relaxed loads. */
const gx_dpdk_counters_t *gx_dpdk_counters(const gx_dpdk_t *dp, int i);
/* Registers the counters (summed over queues) as gx_dpdk_* metrics:
 * gx_dpdk_rx_frames_total, gx_dpdk_rx_drops_total{reason=...},
 * gx_dpdk_tx_drops_total{reason=...}, ... 0 or a gx_metrics error. */
gx_metrics_err_t gx_dpdk_metrics_register(gx_dpdk_t *dp, gx_metrics_t *m);

/* Opens the link channel on udp_port (not 0, not the ingest port) of our
 * address: see "Link channel" above. After gx_dpdk_open and before any
 * queue's lcore runs; at most once. The queue lives until gx_dpdk_close.
 * NULL with a reason in err. */
gx_dp_queue_t *gx_dpdk_link_open(gx_dpdk_t *dp, uint16_t udp_port, char *err, size_t errlen);

/* Neighbour table, for tests and operators: 1 and the MAC when ip is known. */
int gx_dpdk_neigh_lookup(gx_dpdk_t *dp, const gx_addr_t *ip, uint8_t mac[6]);
/* Adds a static-like entry (it may still be overwritten by learning). */
void gx_dpdk_neigh_add(gx_dpdk_t *dp, const gx_addr_t *ip, const uint8_t mac[6]);

/* Makes an ethdev named name over caller-made rte_rings (the net_ring PMD's
 * rte_eth_from_rings, reached through the PMD plugin EAL loaded, since the
 * build links no PMD): frames enqueued on rx appear on the port, frames the
 * port sends land on tx. For tests and benchmarks. Returns the port id, or -1
 * with a reason in err. After gx_eal_init. */
int gx_dpdk_ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx, char *err,
                      size_t errlen);

#endif
