/* gx_dpdk: DPDK poll-mode backend (see gx_dpdk.h). */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_seqlock (DPDK 22.11) */

#include "dataplane/gx_dpdk_isa.h"
GX_DPDK_ISA_BEGIN
#include "dataplane/gx_dpdk.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <limits.h>
#include <stdarg.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_seqlock.h>
#include <rte_spinlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/gx_util.h"

enum { NEIGH_EMPTY = 0, NEIGH_INCOMPLETE, NEIGH_REACHABLE };

typedef struct {
  rte_seqlock_t lock;
  uint8_t family, state;
  uint8_t mac[6];
  uint8_t ip[16];
  uint64_t asked_tsc; /* last ARP request / solicitation for an incomplete entry */
} gx_dpdk_neigh_t;

/* One poll-mode queue, or the link channel (the slot after the last queue). */
typedef struct {
  gx_dp_queue_t q;
  gx_dpdk_t *dp;
  uint16_t qid;                 /* RX and TX queue; the link transmits on 0 */
  const gx_pkt_local_t *local;  /* addresses and the UDP source port of what it sends */
  gx_dpdk_counters_t c;
  /* link channel only */
  gx_pkt_local_t link_local;    /* dp's local with udp_port = the link port */
  struct rte_ring *link_rx;     /* gx_dgram_t descriptors, MP (RX lcores) / SC */
  int link_efd;                 /* eventfd: wakes the consumer in rx_wait */
  _Atomic int link_sleeping;
} __rte_cache_aligned gx_dpdk_q_t;

_Static_assert(sizeof(gx_dgram_t) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

struct gx_dpdk {
  gx_dpdk_cfg_t cfg;
  uint16_t port;
  int nq;
  unsigned tx_flags; /* GX_PKT_TX_* offloads in use */
  unsigned rx_flags; /* GX_PKT_F_* the NIC can verify */
  uint64_t tx_ol_flags; /* mbuf TX flags to request the offloads */
  int started;
  struct rte_mempool *pool;
  gx_dpdk_q_t *qs;                /* nq + 1 (the link slot), cache aligned */
  gx_dpdk_q_t *link;              /* &qs[nq] once gx_dpdk_link_open ran, else NULL */
  rte_spinlock_t tx0_lock;        /* TX queue 0, when the link shares it */
  int tx0_shared;
  gx_dpdk_neigh_t *neigh;         /* GX_DPDK_NEIGH_SLOTS */
  uint64_t ask_interval_tsc;
  gx_addr_t gw4, gw6; /* configured gateways as addresses (family 0 when none) */
};

static const gx_dp_ops_t gx_dpdk_ops, gx_dpdk_link_ops;

/* ---------------------------------------------------------------- config */

void gx_dpdk_cfg_defaults(gx_dpdk_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->rx_queues = 1;
  cfg->hugepages = -1;
  cfg->link_ring = 8192;
}

static int gx_dpdk_parse_mac(const char *s, uint8_t mac[6]) {
  unsigned v[6];
  char tail;
  if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
             &tail) != 6)
    return -1;
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
  if (mac[0] & 1) return -1; /* multicast */
  return 0;
}

/* "A" or "A/len" of family af; *len = 0 without a prefix. */
static int gx_dpdk_parse_ip_prefix(int af, const char *s, uint8_t *ip, uint8_t *len) {
  char buf[64];
  const char *slash = strchr(s, '/');
  size_t n = slash ? (size_t)(slash - s) : strlen(s);
  unsigned max = af == AF_INET ? 32 : 128;
  uint64_t v = 0;
  if (n >= sizeof buf) return -1;
  memcpy(buf, s, n);
  buf[n] = 0;
  if (inet_pton(af, buf, ip) != 1) return -1;
  if (slash && (gx_parse_u64(slash + 1, &v) || v == 0 || v > max)) return -1;
  *len = (uint8_t)v;
  return 0;
}

static int gx_dpdk_parse_uint(const char *s, uint64_t max, uint64_t *out) {
  uint64_t v;
  if (gx_parse_u64(s, &v) || v > max) return -1;
  *out = v;
  return 0;
}

int gx_dpdk_cfg_set(gx_dpdk_cfg_t *cfg, const char *key, const char *value, char *err,
                    size_t errlen) {
  uint64_t v;
  if (!strcmp(key, "port")) {
    if (!*value || strlen(value) >= sizeof cfg->port) goto bad;
    snprintf(cfg->port, sizeof cfg->port, "%s", value);
  } else if (!strcmp(key, "lcores")) {
    if (strlen(value) >= sizeof cfg->lcores || strspn(value, "0123456789,-") != strlen(value))
      goto bad;
    snprintf(cfg->lcores, sizeof cfg->lcores, "%s", value);
  } else if (!strcmp(key, "mac")) { /* empty: the port's own MAC */
    uint8_t mac[6];
    if (*value && gx_dpdk_parse_mac(value, mac)) goto bad;
    if (*value) memcpy(cfg->local.mac, mac, 6);
    cfg->has_mac = *value != 0;
  } else if (!strcmp(key, "ipv4")) { /* empty: no IPv4 */
    uint8_t ip[4], len = 0;
    if (*value && gx_dpdk_parse_ip_prefix(AF_INET, value, ip, &len)) goto bad;
    if (*value) memcpy(cfg->local.ip4, ip, 4);
    cfg->local.has_ip4 = *value != 0;
    cfg->prefix4 = len;
  } else if (!strcmp(key, "ipv6")) { /* empty: no IPv6 */
    uint8_t ip[16], len = 0;
    if (*value && (gx_dpdk_parse_ip_prefix(AF_INET6, value, ip, &len) || ip[0] == 0xff)) goto bad;
    if (*value) memcpy(cfg->local.ip6, ip, 16);
    cfg->local.has_ip6 = *value != 0;
    cfg->prefix6 = len;
  } else if (!strcmp(key, "gateway4")) {
    uint8_t ip[4];
    if (*value && inet_pton(AF_INET, value, ip) != 1) goto bad;
    if (*value) memcpy(cfg->gw4, ip, 4);
    cfg->has_gw4 = *value != 0;
  } else if (!strcmp(key, "gateway6")) {
    uint8_t ip[16];
    if (*value && (inet_pton(AF_INET6, value, ip) != 1 || ip[0] == 0xff)) goto bad;
    if (*value) memcpy(cfg->gw6, ip, 16);
    cfg->has_gw6 = *value != 0;
  } else if (!strcmp(key, "udp_port")) {
    if (gx_dpdk_parse_uint(value, 65535, &v) || v == 0) goto bad;
    cfg->local.udp_port = (uint16_t)v;
  } else if (!strcmp(key, "rx_queues")) {
    if (gx_dpdk_parse_uint(value, GX_DPDK_MAX_QUEUES, &v) || v == 0) goto bad;
    cfg->rx_queues = (uint16_t)v;
  } else if (!strcmp(key, "rx_desc") || !strcmp(key, "tx_desc")) {
    if (gx_dpdk_parse_uint(value, 32768, &v) || v < 64) goto bad;
    *(key[0] == 'r' ? &cfg->rx_desc : &cfg->tx_desc) = (uint16_t)v;
  } else if (!strcmp(key, "link_ring")) {
    if (gx_dpdk_parse_uint(value, 1u << 20, &v) || v < 64 || (v & (v - 1))) goto bad;
    cfg->link_ring = (uint32_t)v;
  } else if (!strcmp(key, "mbufs")) {
    if (gx_dpdk_parse_uint(value, 1u << 24, &v) || v < 512) goto bad;
    cfg->mbufs = (uint32_t)v;
  } else if (!strcmp(key, "hugepages")) {
    if (!strcmp(value, "auto")) cfg->hugepages = -1;
    else if (!strcmp(value, "yes")) cfg->hugepages = 1;
    else if (!strcmp(value, "no")) cfg->hugepages = 0;
    else goto bad;
  } else if (!strcmp(key, "mem_mb")) {
    if (gx_dpdk_parse_uint(value, 1u << 20, &v) || v < 64) goto bad;
    cfg->mem_mb = (unsigned)v;
  } else if (!strcmp(key, "fallback")) {
    if (!strcmp(value, "socket")) cfg->fallback_socket = 1;
    else if (!strcmp(value, "none")) cfg->fallback_socket = 0;
    else goto bad;
  } else {
    snprintf(err, errlen, "[dpdk] unknown key '%s'", key);
    return -1;
  }
  return 0;
bad:
  snprintf(err, errlen, "[dpdk] bad value for %s: '%s'", key, value);
  return -1;
}

/* Counts the CPUs of an EAL -l list ("0-3,6"); -1 when malformed. */
static int gx_dpdk_lcore_count(const char *list) {
  int n = 0;
  const char *p = list;
  while (*p) {
    char *end;
    long a = strtol(p, &end, 10), b = a;
    if (end == p || a < 0) return -1;
    p = end;
    if (*p == '-') {
      b = strtol(p + 1, &end, 10);
      if (end == p + 1 || b < a) return -1;
      p = end;
    }
    n += (int)(b - a + 1);
    if (*p == ',') p++;
    else if (*p) return -1;
  }
  return n;
}

static int gx_dpdk_on_link(const uint8_t *ip, const uint8_t *ours, unsigned plen);

int gx_dpdk_cfg_validate(const gx_dpdk_cfg_t *cfg, char *err, size_t errlen) {
  if (!cfg->port[0]) {
    snprintf(err, errlen, "[dpdk] port is not set");
    return -1;
  }
  if (!cfg->local.has_ip4 && !cfg->local.has_ip6) {
    snprintf(err, errlen, "[dpdk] needs ipv4 and/or ipv6: the node's own address on the port");
    return -1;
  }
  if (!cfg->local.udp_port) {
    snprintf(err, errlen, "[dpdk] udp_port is not set");
    return -1;
  }
  if ((cfg->has_gw4 && !cfg->local.has_ip4) || (cfg->has_gw6 && !cfg->local.has_ip6)) {
    snprintf(err, errlen, "[dpdk] a gateway needs our own address of its family (ipv4/ipv6)");
    return -1;
  }
  if ((cfg->has_gw4 && !gx_dpdk_on_link(cfg->gw4, cfg->local.ip4, cfg->prefix4)) ||
      (cfg->has_gw6 && !gx_dpdk_on_link(cfg->gw6, cfg->local.ip6, cfg->prefix6))) {
    snprintf(err, errlen, "[dpdk] the gateway is outside our own prefix (ipv4/ipv6 = ADDR/LEN)");
    return -1;
  }
  if (cfg->rx_queues < 1 || cfg->rx_queues > GX_DPDK_MAX_QUEUES) {
    snprintf(err, errlen, "[dpdk] rx_queues must be 1..%d", GX_DPDK_MAX_QUEUES);
    return -1;
  }
  if (cfg->lcores[0]) {
    int n = gx_dpdk_lcore_count(cfg->lcores);
    if (n < 0) {
      snprintf(err, errlen, "[dpdk] lcores '%s' is not a CPU list like 0-3 or 1,3", cfg->lcores);
      return -1;
    }
    if (n < cfg->rx_queues) {
      snprintf(err, errlen, "[dpdk] %d lcores for %u rx_queues: one poll-mode lcore per queue",
               n, cfg->rx_queues);
      return -1;
    }
  }
  return 0;
}

static int gx_dpdk_port_is_vdev(const char *port) { return !strncmp(port, "net_", 4); }

void gx_dpdk_eal_cfg(const gx_dpdk_cfg_t *cfg, gx_eal_cfg_t *eal) {
  gx_eal_cfg_defaults(eal);
  eal->lcores = cfg->lcores[0] ? cfg->lcores : NULL;
  eal->hugepages = cfg->hugepages;
  if (cfg->mem_mb) eal->mem_mb = cfg->mem_mb;
  if (!cfg->port[0]) return;
  if (gx_dpdk_port_is_vdev(cfg->port)) eal->vdevs[eal->n_vdevs++] = cfg->port;
  else eal->pci_allow[eal->n_pci++] = cfg->port;
}

/* ---------------------------------------------------------------- check */

typedef struct {
  char *buf;
  size_t cap, len;
} gx_dpdk_report_t;

__attribute__((format(printf, 2, 3))) static void gx_dpdk_say(gx_dpdk_report_t *r,
                                                               const char *fmt, ...) {
  if (r->len >= r->cap) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
  va_end(ap);
  if (n > 0) r->len = r->len + (size_t)n < r->cap ? r->len + (size_t)n : r->cap - 1;
}

static long gx_dpdk_meminfo(const char *key) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ':') {
      v = strtol(line + kl + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

/* value of devargs key ("iface") in "net_af_packet0,iface=veth1,qpairs=2". */
static int gx_dpdk_devarg(const char *devargs, const char *key, char *out, size_t cap) {
  size_t kl = strlen(key);
  for (const char *p = strchr(devargs, ','); p; p = strchr(p + 1, ',')) {
    if (!strncmp(p + 1, key, kl) && p[1 + kl] == '=') {
      const char *v = p + 2 + kl;
      size_t n = strcspn(v, ",");
      if (n >= cap) return -1;
      memcpy(out, v, n);
      out[n] = 0;
      return 0;
    }
  }
  return -1;
}

int gx_dpdk_check(const gx_dpdk_cfg_t *cfg, char *report, size_t cap) {
  gx_dpdk_report_t r = {report, cap, 0};
  if (cap) report[0] = 0;
  char why[1024];
  int ok = 1;
  long total = gx_dpdk_meminfo("HugePages_Total"), fre = gx_dpdk_meminfo("HugePages_Free");
  long size_kb = gx_dpdk_meminfo("Hugepagesize");
  gx_dpdk_say(&r, "hugepages: %ld free of %ld (%ld kB each)%s\n", fre, total, size_kb,
      fre > 0 ? "" : cfg->hugepages == 1 ? " - required by [dpdk] hugepages = yes"
                                          : " - EAL will run with --no-huge (slower)");
  if (cfg->hugepages == 1 && fre <= 0) {
    ok = 0;
    snprintf(why, sizeof why, "hugepages = yes but no hugepages are free (deploy/dpdk-setup.sh)");
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int nl = cfg->lcores[0] ? gx_dpdk_lcore_count(cfg->lcores) : 1;
  gx_dpdk_say(&r, "lcores: %s (%d) for %u rx queue(s); %ld CPUs online\n",
      cfg->lcores[0] ? cfg->lcores : "current CPU", nl, cfg->rx_queues, cpus);
  if (gx_dpdk_cfg_validate(cfg, why, sizeof why)) {
    ok = 0;
  } else if (gx_dpdk_port_is_vdev(cfg->port)) {
    char iface[64];
    gx_dpdk_say(&r, "port: %s (virtual device)\n", cfg->port);
    if (!gx_dpdk_devarg(cfg->port, "iface", iface, sizeof iface)) {
      char path[128];
      snprintf(path, sizeof path, "/sys/class/net/%s", iface);
      struct stat st;
      if (stat(path, &st)) {
        ok = 0;
        snprintf(why, sizeof why, "interface %.64s of port %.200s does not exist", iface, cfg->port);
      } else {
        gx_dpdk_say(&r, "interface %s: present\n", iface);
      }
    }
  } else {
    char path[PATH_MAX], link[PATH_MAX];
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s", cfg->port);
    struct stat st;
    if (stat(path, &st)) {
      ok = 0;
      snprintf(why, sizeof why, "PCI device %.64s does not exist (dpdk-devbind.py --status)",
               cfg->port);
    } else {
      snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver", cfg->port);
      ssize_t n = readlink(path, link, sizeof link - 1);
      const char *drv = "none";
      if (n > 0) {
        link[n] = 0;
        drv = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
      }
      gx_dpdk_say(&r, "port: PCI %s, kernel driver %s\n", cfg->port, drv);
      if (strcmp(drv, "vfio-pci") && strcmp(drv, "uio_pci_generic") && strcmp(drv, "igb_uio") &&
          strcmp(drv, "mlx5_core")) {
        ok = 0;
        snprintf(why, sizeof why, "PCI %.64s is bound to %.64s, not vfio-pci (deploy/dpdk-setup.sh bind %.64s)",
                 cfg->port, drv, cfg->port);
      }
      if (access("/dev/vfio/vfio", F_OK))
        gx_dpdk_say(&r, "vfio: /dev/vfio/vfio missing (modprobe vfio-pci)\n");
    }
  }
  if (ok) gx_dpdk_say(&r, "dpdk: can start\n");
  else gx_dpdk_say(&r, "dpdk: cannot start: %s\n", why);
  return ok ? 0 : -1;
}

/* ---------------------------------------------------------------- neighbours */

static uint32_t gx_dpdk_neigh_slot(uint8_t family, const uint8_t *ip) {
  uint32_t h = 2166136261u ^ family; /* FNV-1a over the address */
  for (int i = 0; i < (family == 6 ? 16 : 4); i++) h = (h ^ ip[i]) * 16777619u;
  return h & (GX_DPDK_NEIGH_SLOTS - 1);
}

static int gx_dpdk_ip_len(uint8_t family) { return family == 6 ? 16 : 4; }

/* Snapshot of the slot for ip: returns its state for this ip (EMPTY if the
 * slot holds another address). */
static int gx_dpdk_neigh_get(gx_dpdk_t *dp, uint8_t family, const uint8_t *ip, uint8_t mac[6],
                     uint64_t *asked) {
  gx_dpdk_neigh_t *e = &dp->neigh[gx_dpdk_neigh_slot(family, ip)];
  int state;
  uint32_t sn;
  do {
    sn = rte_seqlock_read_begin(&e->lock);
    state = (e->family == family && !memcmp(e->ip, ip, gx_dpdk_ip_len(family)))
                ? e->state
                : NEIGH_EMPTY;
    memcpy(mac, e->mac, 6);
    if (asked) *asked = e->asked_tsc;
  } while (rte_seqlock_read_retry(&e->lock, sn));
  return state;
}

static void gx_dpdk_neigh_put(gx_dpdk_t *dp, uint8_t family, const uint8_t *ip, const uint8_t *mac,
                      int state, uint64_t asked) {
  gx_dpdk_neigh_t *e = &dp->neigh[gx_dpdk_neigh_slot(family, ip)];
  rte_seqlock_write_lock(&e->lock);
  e->family = family;
  e->state = (uint8_t)state;
  memset(e->ip, 0, sizeof e->ip);
  memcpy(e->ip, ip, gx_dpdk_ip_len(family));
  if (mac) memcpy(e->mac, mac, 6);
  else memset(e->mac, 0, 6);
  e->asked_tsc = asked;
  rte_seqlock_write_unlock(&e->lock);
}

static void gx_dpdk_neigh_learn(gx_dpdk_q_t *q, const gx_addr_t *a, const uint8_t mac[6]) {
  uint8_t cur[6];
  if (gx_dpdk_neigh_get(q->dp, a->family, a->ip, cur, NULL) == NEIGH_REACHABLE &&
      !memcmp(cur, mac, 6))
    return;
  gx_dpdk_neigh_put(q->dp, a->family, a->ip, mac, NEIGH_REACHABLE, 0);
  gx_metrics_add(&q->c.neigh_learned, 1);
}

int gx_dpdk_neigh_lookup(gx_dpdk_t *dp, const gx_addr_t *ip, uint8_t mac[6]) {
  if (ip->family != 4 && ip->family != 6) return 0;
  return gx_dpdk_neigh_get(dp, ip->family, ip->ip, mac, NULL) == NEIGH_REACHABLE;
}

void gx_dpdk_neigh_add(gx_dpdk_t *dp, const gx_addr_t *ip, const uint8_t mac[6]) {
  if (ip->family == 4 || ip->family == 6)
    gx_dpdk_neigh_put(dp, ip->family, ip->ip, mac, NEIGH_REACHABLE, 0);
}

/* ---------------------------------------------------------------- RX / TX */

/* rte_eth_tx_burst on queue qid; TX queue 0 under the lock while the link
 * channel shares it with queue 0's lcore. */
static uint16_t gx_dpdk_port_tx(gx_dpdk_t *dp, uint16_t qid, struct rte_mbuf **m, uint16_t n) {
  if (qid != 0 || !dp->tx0_shared) return rte_eth_tx_burst(dp->port, qid, m, n);
  rte_spinlock_lock(&dp->tx0_lock);
  uint16_t sent = rte_eth_tx_burst(dp->port, 0, m, n);
  rte_spinlock_unlock(&dp->tx0_lock);
  return sent;
}

/* Hands link datagrams to the link channel's ring and wakes its consumer. */
static void gx_dpdk_link_deliver(gx_dpdk_q_t *q, gx_dgram_t *d, unsigned n) {
  gx_dpdk_q_t *l = q->dp->link;
  unsigned ok = rte_ring_mp_enqueue_burst_elem(l->link_rx, d, sizeof *d, n, NULL);
  gx_metrics_add(&q->c.link_rx_dgrams, ok);
  if (ok < n) {
    gx_metrics_add(&q->c.link_rx_full, n - ok);
    for (unsigned i = ok; i < n; i++) rte_pktmbuf_free(d[i].handle);
  }
  if (!ok) return;
  atomic_thread_fence(memory_order_seq_cst); /* the enqueue before the flag (rx_wait) */
  if (atomic_load_explicit(&l->link_sleeping, memory_order_relaxed) &&
      atomic_exchange(&l->link_sleeping, 0)) {
    uint64_t one = 1;
    if (write(l->link_efd, &one, sizeof one) < 0) { /* full counter: it is awake anyway */ }
  }
}

/* Sets the length of a single-segment mbuf whose frame was just written. */
static void gx_dpdk_mbuf_set_len(struct rte_mbuf *m, size_t len) {
  m->data_len = (uint16_t)len;
  m->pkt_len = (uint32_t)len;
}

static int gx_dpdk_rx_burst(gx_dp_queue_t *gq, gx_dgram_t *out, int max) {
  gx_dpdk_q_t *q = gq->backend;
  gx_dpdk_t *dp = q->dp;
  struct rte_mbuf *m[GX_DP_BURST], *drop[GX_DP_BURST], *reply[GX_DP_BURST];
  gx_dgram_t link[GX_DP_BURST];
  int nd = 0, nr = 0, k = 0, nl = 0;
  if (max > GX_DP_BURST) max = GX_DP_BURST;
  if (max <= 0) return 0;
  uint16_t n = rte_eth_rx_burst(dp->port, q->qid, m, (uint16_t)max);
  if (!n) return 0;
  const gx_pkt_local_t *local = &dp->cfg.local;
  for (uint16_t i = 0; i < n; i++) {
    struct rte_mbuf *mb = m[i];
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
    if (mb->nb_segs != 1) {
      gx_metrics_add(&q->c.rx_drop_multiseg, 1);
      drop[nd++] = mb;
      continue;
    }
    unsigned flags = 0;
    uint64_t ipf = mb->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    uint64_t l4f = mb->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    gx_pkt_info_t info;
    gx_pkt_kind_t kind;
    if (ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
      kind = GX_PKT_DROP;
      info.drop = GX_PKT_DROP_IP_CSUM;
    } else {
      if (ipf == RTE_MBUF_F_RX_IP_CKSUM_GOOD) flags |= GX_PKT_F_IP_CSUM_OK;
      if (l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD) flags |= GX_PKT_F_L4_CSUM_OK;
      kind = gx_pkt_parse(rte_pktmbuf_mtod(mb, const uint8_t *), mb->data_len, local, flags,
                          &info);
      /* The NIC's bad L4 verdict only matters for what would be delivered. */
      if (kind == GX_PKT_UDP && l4f == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
        kind = GX_PKT_DROP;
        info.drop = GX_PKT_DROP_UDP_CSUM;
      }
    }
    switch (kind) {
    case GX_PKT_UDP:
      gx_dpdk_neigh_learn(q, &info.src, info.src_mac);
      if (info.dst_port != local->udp_port) { /* the link port (only accepted while open) */
        link[nl++] = (gx_dgram_t){rte_pktmbuf_mtod_offset(mb, const uint8_t *, info.payload_off),
                                  info.payload_len, info.src, mb};
        break;
      }
      out[k].payload = rte_pktmbuf_mtod_offset(mb, const uint8_t *, info.payload_off);
      out[k].len = info.payload_len;
      out[k].src = info.src;
      out[k].handle = mb;
      k++;
      break;
    case GX_PKT_ARP_REQUEST:
    case GX_PKT_ND_SOLICIT: {
      gx_dpdk_neigh_learn(q, &info.src, info.src_mac);
      rte_pktmbuf_reset(mb);
      uint8_t *p = rte_pktmbuf_mtod(mb, uint8_t *);
      size_t cap = rte_pktmbuf_tailroom(mb);
      size_t len = kind == GX_PKT_ARP_REQUEST
                       ? gx_pkt_build_arp(p, cap, local, 2, info.src_mac, info.src.ip)
                       : gx_pkt_build_na(p, cap, local, info.src_mac, info.src.ip);
      if (!len) {
        drop[nd++] = mb;
        break;
      }
      gx_dpdk_mbuf_set_len(mb, len);
      reply[nr++] = mb;
      gx_metrics_add(kind == GX_PKT_ARP_REQUEST ? &q->c.arp_replies : &q->c.nd_replies, 1);
      break;
    }
    case GX_PKT_ARP_REPLY:
    case GX_PKT_ND_ADVERT:
      gx_dpdk_neigh_learn(q, &info.src, info.src_mac);
      drop[nd++] = mb;
      break;
    case GX_PKT_DROP:
    default:
      gx_metrics_add(&q->c.rx_drop[info.drop < GX_PKT_DROP__COUNT ? info.drop : 0], 1);
      drop[nd++] = mb;
      break;
    }
  }
  gx_metrics_add(&q->c.rx_frames, n);
  gx_metrics_add(&q->c.rx_dgrams, (uint64_t)k);
  if (nd) rte_pktmbuf_free_bulk(drop, (unsigned)nd);
  if (nl) gx_dpdk_link_deliver(q, link, (unsigned)nl);
  if (nr) {
    uint16_t sent = gx_dpdk_port_tx(dp, q->qid, reply, (uint16_t)nr);
    if (sent < nr) {
      gx_metrics_add(&q->c.tx_full, (uint64_t)(nr - sent));
      rte_pktmbuf_free_bulk(reply + sent, (unsigned)(nr - sent));
    }
  }
  return k;
}

static void gx_dpdk_rx_release(gx_dp_queue_t *gq, gx_dgram_t *d, int n) {
  (void)gq;
  struct rte_mbuf *m[GX_DP_BURST];
  while (n > 0) {
    int c = n > GX_DP_BURST ? GX_DP_BURST : n;
    for (int i = 0; i < c; i++) m[i] = d[i].handle;
    rte_pktmbuf_free_bulk(m, (unsigned)c);
    d += c;
    n -= c;
  }
}

/* Asks for dst's link address unless asked within the last ask interval. */
static void gx_dpdk_neigh_solicit(gx_dpdk_q_t *q, const gx_addr_t *dst) {
  gx_dpdk_t *dp = q->dp;
  uint8_t mac[6];
  uint64_t asked = 0, now = rte_get_tsc_cycles();
  int st = gx_dpdk_neigh_get(dp, dst->family, dst->ip, mac, &asked);
  if (st == NEIGH_INCOMPLETE && now - asked < dp->ask_interval_tsc) return;
  gx_dpdk_neigh_put(dp, dst->family, dst->ip, NULL, NEIGH_INCOMPLETE, now);
  struct rte_mbuf *mb = rte_pktmbuf_alloc(dp->pool);
  if (!mb) return;
  uint8_t *p = rte_pktmbuf_mtod(mb, uint8_t *);
  size_t cap = rte_pktmbuf_tailroom(mb);
  size_t len = dst->family == 4 ? gx_pkt_build_arp(p, cap, q->local, 1, NULL, dst->ip)
                                : gx_pkt_build_ns(p, cap, q->local, dst->ip);
  if (!len) {
    rte_pktmbuf_free(mb);
    return;
  }
  gx_dpdk_mbuf_set_len(mb, len);
  if (gx_dpdk_port_tx(dp, q->qid, &mb, 1) != 1) {
    rte_pktmbuf_free(mb);
    gx_metrics_add(&q->c.tx_full, 1);
    return;
  }
  gx_metrics_add(&q->c.neigh_requests, 1);
}

/* 1 when ip is inside our prefix (or no prefix is configured). */
static int gx_dpdk_on_link(const uint8_t *ip, const uint8_t *ours, unsigned plen) {
  if (!plen) return 1;
  unsigned full = plen / 8, rest = plen % 8;
  if (memcmp(ip, ours, full)) return 0;
  if (!rest) return 1;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (ip[full] & mask) == (ours[full] & mask);
}

/* Where a frame to dst goes when dst itself is not a known neighbour: dst
 * when it is on the link (or no gateway is configured), else the gateway. */
static const gx_addr_t *gx_dpdk_next_hop(gx_dpdk_t *dp, const gx_addr_t *dst) {
  const gx_dpdk_cfg_t *c = &dp->cfg;
  if (dst->family == 4 && c->has_gw4 && !gx_dpdk_on_link(dst->ip, c->local.ip4, c->prefix4))
    return &dp->gw4;
  if (dst->family == 6 && c->has_gw6 && !gx_dpdk_on_link(dst->ip, c->local.ip6, c->prefix6))
    return &dp->gw6;
  return dst;
}

static int gx_dpdk_tx_burst(gx_dp_queue_t *gq, const gx_addr_t *dst, const uint8_t *const *payloads,
                         const uint16_t *lens, int n) {
  gx_dpdk_q_t *q = gq->backend;
  gx_dpdk_t *dp = q->dp;
  const gx_pkt_local_t *local = q->local;
  int accepted = 0;
  while (n > 0) {
    int c = n > GX_DP_BURST ? GX_DP_BURST : n;
    struct rte_mbuf *m[GX_DP_BURST];
    if (rte_pktmbuf_alloc_bulk(dp->pool, m, (unsigned)c)) {
      gx_metrics_add(&q->c.tx_no_mbuf, (uint64_t)n);
      return accepted;
    }
    int k = 0;
    for (int i = 0; i < c; i++) {
      const gx_addr_t *a = &dst[i];
      uint8_t mac[6];
      if ((a->family == 4 && !local->has_ip4) || (a->family == 6 && !local->has_ip6) ||
          (a->family != 4 && a->family != 6)) {
        gx_metrics_add(&q->c.tx_invalid, 1);
        continue;
      }
      if (gx_dpdk_neigh_get(dp, a->family, a->ip, mac, NULL) != NEIGH_REACHABLE) {
        const gx_addr_t *hop = gx_dpdk_next_hop(dp, a);
        if (hop == a || gx_dpdk_neigh_get(dp, hop->family, hop->ip, mac, NULL) != NEIGH_REACHABLE) {
          gx_metrics_add(&q->c.tx_no_neighbour, 1);
          gx_dpdk_neigh_solicit(q, hop);
          continue;
        }
      }
      struct rte_mbuf *mb = m[k];
      uint8_t *p = rte_pktmbuf_mtod(mb, uint8_t *);
      size_t len = gx_pkt_build_udp(p, rte_pktmbuf_tailroom(mb), local, mac, a, payloads[i],
                                    lens[i], dp->tx_flags);
      if (!len) {
        gx_metrics_add(&q->c.tx_invalid, 1);
        continue;
      }
      gx_dpdk_mbuf_set_len(mb, len);
      if (dp->tx_ol_flags) {
        mb->l2_len = GX_PKT_ETH_HLEN;
        mb->l3_len = a->family == 4 ? 20 : 40;
        mb->ol_flags = dp->tx_ol_flags | (a->family == 4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
        if (a->family == 6) mb->ol_flags &= ~RTE_MBUF_F_TX_IP_CKSUM;
      }
      k++;
    }
    uint16_t sent = k ? gx_dpdk_port_tx(dp, q->qid, m, (uint16_t)k) : 0;
    if (sent < c) rte_pktmbuf_free_bulk(m + sent, (unsigned)(c - sent));
    if (sent < k) gx_metrics_add(&q->c.tx_full, (uint64_t)(k - sent));
    gx_metrics_add(&q->c.tx_dgrams, sent);
    accepted += sent;
    dst += c;
    payloads += c;
    lens += c;
    n -= c;
  }
  return accepted;
}

/* ---------------------------------------------------------------- link channel */

static int gx_dpdk_link_rx_burst(gx_dp_queue_t *gq, gx_dgram_t *out, int max) {
  gx_dpdk_q_t *l = gq->backend;
  if (max <= 0) return 0;
  return (int)rte_ring_sc_dequeue_burst_elem(l->link_rx, out, sizeof *out, (unsigned)max, NULL);
}

static int gx_dpdk_link_rx_wait(gx_dp_queue_t *gq, int timeout_ms) {
  gx_dpdk_q_t *l = gq->backend;
  if (rte_ring_count(l->link_rx)) return 1;
  atomic_store(&l->link_sleeping, 1);
  /* the flag before the ring check (gx_dpdk_link_deliver) */
  atomic_thread_fence(memory_order_seq_cst);
  int ready = rte_ring_count(l->link_rx) > 0;
  if (!ready) {
    struct pollfd p = {l->link_efd, POLLIN, 0};
    ready = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms) > 0;
  }
  atomic_store(&l->link_sleeping, 0);
  uint64_t v;
  if (ready && read(l->link_efd, &v, sizeof v) < 0) { /* nothing to clear: woken by the ring */ }
  return ready || rte_ring_count(l->link_rx) > 0;
}

static const gx_dp_ops_t gx_dpdk_link_ops = {
    .name = "dpdk-link",
    .rx_burst = gx_dpdk_link_rx_burst,
    .rx_release = gx_dpdk_rx_release,
    .tx_burst = gx_dpdk_tx_burst,
    .rx_wait = gx_dpdk_link_rx_wait,
};

gx_dp_queue_t *gx_dpdk_link_open(gx_dpdk_t *dp, uint16_t udp_port, char *err, size_t errlen) {
  if (dp->link) {
    snprintf(err, errlen, "dpdk: the link channel is open already (UDP %u)",
             dp->link->link_local.udp_port);
    return NULL;
  }
  if (!udp_port || udp_port == dp->cfg.local.udp_port) {
    snprintf(err, errlen, "dpdk: link UDP port %u must differ from the ingest port %u and not be 0",
             udp_port, dp->cfg.local.udp_port);
    return NULL;
  }
  gx_dpdk_q_t *l = &dp->qs[dp->nq];
  char name[RTE_RING_NAMESIZE];
  snprintf(name, sizeof name, "gx_link_%u", dp->port);
  l->link_rx = rte_ring_create_elem(name, sizeof(gx_dgram_t), dp->cfg.link_ring, (int)rte_socket_id(),
                                    RING_F_SC_DEQ | RING_F_EXACT_SZ);
  if (!l->link_rx) {
    snprintf(err, errlen, "dpdk: link ring of %u: %s", dp->cfg.link_ring, rte_strerror(rte_errno));
    return NULL;
  }
  l->link_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (l->link_efd < 0) {
    snprintf(err, errlen, "dpdk: link eventfd: %s", strerror(errno));
    rte_ring_free(l->link_rx);
    l->link_rx = NULL;
    return NULL;
  }
  l->link_local = dp->cfg.local;
  l->link_local.udp_port = udp_port;
  l->link_local.udp_port_link = 0;
  l->local = &l->link_local;
  l->q.ops = &gx_dpdk_link_ops;
  dp->link = l;
  dp->tx0_shared = 1;
  dp->cfg.local.udp_port_link = udp_port; /* RX lcores accept it from now on */
  return &l->q;
}

static const gx_dp_ops_t gx_dpdk_ops = {
    .name = "dpdk",
    .rx_burst = gx_dpdk_rx_burst,
    .rx_release = gx_dpdk_rx_release,
    .tx_burst = gx_dpdk_tx_burst,
};

/* ---------------------------------------------------------------- open/close */

static int gx_dpdk_find_port(const char *devargs, uint16_t *port, char *err, size_t errlen) {
  char name[GX_DPDK_PORT_MAX];
  size_t n = strcspn(devargs, ",");
  memcpy(name, devargs, n);
  name[n] = 0;
  if (!rte_eth_dev_get_port_by_name(name, port)) return 0;
  if (gx_dpdk_port_is_vdev(devargs)) {
    int rc = rte_dev_probe(devargs);
    if (rc < 0) {
      snprintf(err, errlen, "dpdk: probing %s failed: %s", devargs, rte_strerror(-rc));
      return -1;
    }
    if (!rte_eth_dev_get_port_by_name(name, port)) return 0;
  }
  snprintf(err, errlen, "dpdk: no ethdev named %s (%u ports available; a PCI NIC must be bound to vfio-pci)",
           name, rte_eth_dev_count_avail());
  return -1;
}

gx_dpdk_t *gx_dpdk_open(const gx_dpdk_cfg_t *cfg, char *err, size_t errlen) {
  if (gx_dpdk_cfg_validate(cfg, err, errlen)) return NULL;
  if (!gx_eal_ready()) {
    snprintf(err, errlen, "dpdk: EAL is not initialised (gx_eal_init first)");
    return NULL;
  }
  gx_dpdk_t *dp = calloc(1, sizeof *dp);
  if (!dp) {
    snprintf(err, errlen, "dpdk: out of memory");
    return NULL;
  }
  dp->cfg = *cfg;
  dp->nq = cfg->rx_queues;
  dp->ask_interval_tsc = rte_get_tsc_hz() / 10;
  if (cfg->has_gw4) {
    dp->gw4.family = 4;
    memcpy(dp->gw4.ip, cfg->gw4, 4);
  }
  if (cfg->has_gw6) {
    dp->gw6.family = 6;
    memcpy(dp->gw6.ip, cfg->gw6, 16);
  }
  dp->qs = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(gx_dpdk_q_t) * (size_t)(dp->nq + 1));
  dp->neigh = calloc(GX_DPDK_NEIGH_SLOTS, sizeof *dp->neigh);
  if (!dp->qs || !dp->neigh) {
    snprintf(err, errlen, "dpdk: out of memory");
    goto fail;
  }
  memset(dp->qs, 0, sizeof(gx_dpdk_q_t) * (size_t)(dp->nq + 1));
  rte_spinlock_init(&dp->tx0_lock);
  for (int i = 0; i <= dp->nq; i++) { /* the last slot: the link channel, if opened */
    gx_dpdk_q_t *q = &dp->qs[i];
    q->dp = dp;
    q->qid = (uint16_t)(i < dp->nq ? i : 0);
    q->local = &dp->cfg.local;
    q->link_efd = -1;
    q->q.ops = &gx_dpdk_ops;
    q->q.backend = q;
    q->q.index = i;
  }
  for (int i = 0; i < GX_DPDK_NEIGH_SLOTS; i++) rte_seqlock_init(&dp->neigh[i].lock);
  if (gx_dpdk_find_port(cfg->port, &dp->port, err, errlen)) goto fail;

  struct rte_eth_dev_info info;
  int rc = rte_eth_dev_info_get(dp->port, &info);
  if (rc) {
    snprintf(err, errlen, "dpdk: %s: device info: %s", cfg->port, rte_strerror(-rc));
    goto fail;
  }
  if (dp->nq > info.max_rx_queues || dp->nq > info.max_tx_queues) {
    snprintf(err, errlen, "dpdk: %s has %u RX / %u TX queues, config asks for %d", cfg->port,
             info.max_rx_queues, info.max_tx_queues, dp->nq);
    goto fail;
  }
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof conf);
  /* net_af_packet spreads frames over its queues itself (kernel PACKET_FANOUT
   * by flow hash): no RSS to configure there. */
  int sw_spread = info.driver_name && !strcmp(info.driver_name, "net_af_packet");
  if (dp->nq > 1 && !sw_spread) {
    uint64_t want = RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP;
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = want & info.flow_type_rss_offloads;
    if (!conf.rx_adv_conf.rss_conf.rss_hf) {
      snprintf(err, errlen, "dpdk: %s cannot spread UDP over %d queues (no UDP RSS); set rx_queues = 1",
               cfg->port, dp->nq);
      goto fail;
    }
  }
  if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    dp->rx_flags |= GX_PKT_F_IP_CSUM_OK;
  }
  if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM)) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
    dp->rx_flags |= GX_PKT_F_L4_CSUM_OK;
  }
  if ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
    dp->tx_flags |= GX_PKT_TX_IP_CSUM_HW;
    dp->tx_ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
  }
  if ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
    dp->tx_flags |= GX_PKT_TX_UDP_CSUM_HW;
    dp->tx_ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
  }
  rc = rte_eth_dev_configure(dp->port, (uint16_t)dp->nq, (uint16_t)dp->nq, &conf);
  if (rc) {
    snprintf(err, errlen, "dpdk: %s: configure %d queues: %s", cfg->port, dp->nq, rte_strerror(-rc));
    goto fail;
  }
  uint16_t nrx = cfg->rx_desc ? cfg->rx_desc : 1024, ntx = cfg->tx_desc ? cfg->tx_desc : 1024;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(dp->port, &nrx, &ntx);
  if (rc) {
    snprintf(err, errlen, "dpdk: %s: ring sizes: %s", cfg->port, rte_strerror(-rc));
    goto fail;
  }
  int socket = rte_eth_dev_socket_id(dp->port);
  if (socket < 0) socket = (int)rte_socket_id();
  uint32_t nmbufs = cfg->mbufs;
  if (!nmbufs) {
    nmbufs = (uint32_t)dp->nq * (nrx + ntx + 4u * GX_DP_BURST + 512u) + 1024u;
    if (nmbufs < 8191) nmbufs = 8191;
    nmbufs += cfg->link_ring; /* what the link channel's ring may hold */
  }
  char pname[RTE_MEMPOOL_NAMESIZE];
  snprintf(pname, sizeof pname, "gx_dpdk_%u", dp->port);
  dp->pool = rte_pktmbuf_pool_create(pname, nmbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (!dp->pool) {
    snprintf(err, errlen, "dpdk: mbuf pool of %u: %s (raise [dpdk] mem_mb or hugepages)", nmbufs,
             rte_strerror(rte_errno));
    goto fail;
  }
  for (int i = 0; i < dp->nq; i++) {
    struct rte_eth_rxconf rxc = info.default_rxconf;
    rxc.offloads = conf.rxmode.offloads;
    rc = rte_eth_rx_queue_setup(dp->port, (uint16_t)i, nrx, (unsigned)socket, &rxc, dp->pool);
    if (rc) {
      snprintf(err, errlen, "dpdk: %s: RX queue %d: %s", cfg->port, i, rte_strerror(-rc));
      goto fail;
    }
    struct rte_eth_txconf txc = info.default_txconf;
    txc.offloads = conf.txmode.offloads;
    rc = rte_eth_tx_queue_setup(dp->port, (uint16_t)i, ntx, (unsigned)socket, &txc);
    if (rc) {
      snprintf(err, errlen, "dpdk: %s: TX queue %d: %s", cfg->port, i, rte_strerror(-rc));
      goto fail;
    }
  }
  if (cfg->has_mac) {
    struct rte_ether_addr a;
    memcpy(a.addr_bytes, cfg->local.mac, 6);
    if (rte_eth_dev_default_mac_addr_set(dp->port, &a)) rte_eth_promiscuous_enable(dp->port);
  } else {
    struct rte_ether_addr a;
    rc = rte_eth_macaddr_get(dp->port, &a);
    if (rc) {
      snprintf(err, errlen, "dpdk: %s: MAC address: %s", cfg->port, rte_strerror(-rc));
      goto fail;
    }
    memcpy(dp->cfg.local.mac, a.addr_bytes, 6);
  }
  if (dp->cfg.local.has_ip6) {
    /* Neighbour solicitations arrive on our solicited-node multicast group. */
    struct rte_ether_addr mc = {{0x33, 0x33, 0xff, cfg->local.ip6[13], cfg->local.ip6[14],
                                 cfg->local.ip6[15]}};
    if (rte_eth_dev_set_mc_addr_list(dp->port, &mc, 1)) rte_eth_allmulticast_enable(dp->port);
  }
  rc = rte_eth_dev_start(dp->port);
  if (rc) {
    snprintf(err, errlen, "dpdk: %s: start: %s", cfg->port, rte_strerror(-rc));
    goto fail;
  }
  dp->started = 1;
  return dp;
fail:
  gx_dpdk_close(dp);
  return NULL;
}

void gx_dpdk_close(gx_dpdk_t *dp) {
  if (!dp) return;
  if (dp->pool) {
    if (dp->started) rte_eth_dev_stop(dp->port);
    rte_eth_dev_close(dp->port); /* releases the queues' mbufs */
  }
  if (dp->link) {
    gx_dgram_t d[GX_DP_BURST];
    int n;
    while ((n = gx_dpdk_link_rx_burst(&dp->link->q, d, GX_DP_BURST)) > 0)
      gx_dpdk_rx_release(NULL, d, n);
    rte_ring_free(dp->link->link_rx);
    if (dp->link->link_efd >= 0) close(dp->link->link_efd);
  }
  if (dp->pool) rte_mempool_free(dp->pool);
  free(dp->qs);
  free(dp->neigh);
  free(dp);
}

int gx_dpdk_n_queues(const gx_dpdk_t *dp) { return dp->nq; }
gx_dp_queue_t *gx_dpdk_queue(gx_dpdk_t *dp, int i) {
  return i >= 0 && i < dp->nq ? &dp->qs[i].q : NULL;
}
uint16_t gx_dpdk_port_id(const gx_dpdk_t *dp) { return dp->port; }
const gx_dpdk_counters_t *gx_dpdk_counters(const gx_dpdk_t *dp, int i) {
  return i >= 0 && i < dp->nq ? &dp->qs[i].c : NULL;
}
const gx_pkt_local_t *gx_dpdk_local(const gx_dpdk_t *dp) { return &dp->cfg.local; }
unsigned gx_dpdk_tx_offloads(const gx_dpdk_t *dp) { return dp->tx_flags; }
unsigned gx_dpdk_rx_offloads(const gx_dpdk_t *dp) { return dp->rx_flags; }

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)
void gx_dpdk_stats(const gx_dpdk_t *dp, gx_dpdk_stats_t *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i <= dp->nq; i++) { /* the queues and the link slot */
    const gx_dpdk_counters_t *c = &dp->qs[i].c;
    s->link_rx_dgrams += LD(c->link_rx_dgrams);
    s->link_rx_full += LD(c->link_rx_full);
    s->rx_frames += LD(c->rx_frames);
    s->rx_dgrams += LD(c->rx_dgrams);
    for (int r = 0; r < GX_PKT_DROP__COUNT; r++) s->rx_drop[r] += LD(c->rx_drop[r]);
    s->rx_drop_multiseg += LD(c->rx_drop_multiseg);
    s->arp_replies += LD(c->arp_replies);
    s->nd_replies += LD(c->nd_replies);
    s->neigh_requests += LD(c->neigh_requests);
    s->neigh_learned += LD(c->neigh_learned);
    s->tx_dgrams += LD(c->tx_dgrams);
    s->tx_no_neighbour += LD(c->tx_no_neighbour);
    s->tx_no_mbuf += LD(c->tx_no_mbuf);
    s->tx_full += LD(c->tx_full);
    s->tx_invalid += LD(c->tx_invalid);
  }
  s->link_tx_dgrams = LD(dp->qs[dp->nq].c.tx_dgrams);
}

gx_metrics_err_t gx_dpdk_metrics_register(gx_dpdk_t *dp, gx_metrics_t *m) {
  size_t stride = sizeof(gx_dpdk_q_t);
  size_t n = (size_t)dp->nq + 1; /* the queues and the link slot */
  gx_dpdk_counters_t *c = &dp->qs[0].c;
  gx_metrics_err_t e;
#define REG(name, labels, help, field)                                                     \
  do {                                                                                     \
    e = gx_metrics_counter_sum(m, name, labels, help, &(field), n, stride);                \
    if (e) return e;                                                                       \
  } while (0)
  REG("gx_dpdk_rx_frames_total", NULL, "Frames taken off the DPDK RX rings", c->rx_frames);
  REG("gx_dpdk_rx_datagrams_total", NULL, "UDP datagrams the DPDK port delivered to the pipeline",
      c->rx_dgrams);
  static const char help_drop[] = "Received frames the DPDK port dropped, by reason";
  char labels[GX_METRICS_LABELS_MAX];
  for (int r = 1; r < GX_PKT_DROP__COUNT; r++) {
    snprintf(labels, sizeof labels, "reason=\"%s\"", gx_pkt_drop_label((gx_pkt_drop_t)r));
    REG("gx_dpdk_rx_drops_total", labels, help_drop, c->rx_drop[r]);
  }
  REG("gx_dpdk_rx_drops_total", "reason=\"multiseg\"", help_drop, c->rx_drop_multiseg);
  REG("gx_dpdk_rx_drops_total", "reason=\"link_ring_full\"", help_drop, c->link_rx_full);
  REG("gx_dpdk_link_rx_datagrams_total", NULL,
      "Consensus datagrams the DPDK port handed to the link channel (commit stage)",
      c->link_rx_dgrams);
  e = gx_metrics_counter_sum(m, "gx_dpdk_link_tx_datagrams_total", NULL,
                             "Consensus datagrams the link channel handed to the DPDK TX ring",
                             &dp->qs[dp->nq].c.tx_dgrams, 1, stride);
  if (e) return e;
  REG("gx_dpdk_neighbour_replies_total", "kind=\"arp\"",
      "ARP replies and neighbour advertisements sent for our address", c->arp_replies);
  REG("gx_dpdk_neighbour_replies_total", "kind=\"nd\"",
      "ARP replies and neighbour advertisements sent for our address", c->nd_replies);
  REG("gx_dpdk_neighbour_requests_total", NULL,
      "ARP requests and neighbour solicitations sent for unknown next hops", c->neigh_requests);
  REG("gx_dpdk_neighbour_updates_total", NULL, "Neighbour table entries written", c->neigh_learned);
  REG("gx_dpdk_tx_datagrams_total", NULL, "UDP datagrams handed to the DPDK TX rings",
      c->tx_dgrams);
  static const char help_tx[] = "Datagrams the DPDK port could not send, by reason";
  REG("gx_dpdk_tx_drops_total", "reason=\"no_neighbour\"", help_tx, c->tx_no_neighbour);
  REG("gx_dpdk_tx_drops_total", "reason=\"no_mbuf\"", help_tx, c->tx_no_mbuf);
  REG("gx_dpdk_tx_drops_total", "reason=\"ring_full\"", help_tx, c->tx_full);
  REG("gx_dpdk_tx_drops_total", "reason=\"invalid\"", help_tx, c->tx_invalid);
#undef REG
  return GX_METRICS_OK;
}

int gx_dpdk_ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx, char *err,
                      size_t errlen) {
  typedef int (*from_rings_fn)(const char *, struct rte_ring *const[], unsigned,
                               struct rte_ring *const[], unsigned, unsigned);
  static const char *const libs[] = {"librte_net_ring.so.23", "librte_net_ring.so"};
  void *h = NULL;
  for (size_t i = 0; i < GX_ARRAY_LEN(libs) && !h; i++) h = dlopen(libs[i], RTLD_NOW);
  if (!h) {
    snprintf(err, errlen, "dpdk: net_ring PMD not found: %s", dlerror());
    return -1;
  }
  from_rings_fn fn;
  *(void **)&fn = dlsym(h, "rte_eth_from_rings");
  if (!fn) {
    snprintf(err, errlen, "dpdk: rte_eth_from_rings missing in the net_ring PMD");
    return -1;
  }
  struct rte_ring *const rxs[1] = {rx}, *const txs[1] = {tx};
  int port = fn(name, rxs, 1, txs, 1, (unsigned)rte_socket_id());
  if (port < 0) snprintf(err, errlen, "dpdk: ring port %s: %s", name, rte_strerror(rte_errno));
  return port;
}

GX_DPDK_ISA_END
