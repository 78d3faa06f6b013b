/* gx_pkt: Ethernet/IPv4/IPv6/UDP/ARP/ND parsing and building (see gx_pkt.h).
 * Fields are read byte by byte at fixed offsets, so frames need no alignment;
 * DPDK's rte_ip.h supplies the Internet checksum. */
#include "dataplane/gx_pkt.h"

#include <netinet/in.h>
#include <rte_ip.h>
#include <string.h>

enum {
  ETH_IPV4 = 0x0800,
  ETH_ARP = 0x0806,
  ETH_IPV6 = 0x86dd,
  PROTO_UDP = 17,
  PROTO_ICMP6 = 58,
  ND_NS = 135,
  ND_NA = 136,
  ND_OPT_SLL = 1, /* source link-layer address */
  ND_OPT_TLL = 2, /* target link-layer address */
};

static const char *const gx_pkt_labels[GX_PKT_DROP__COUNT] = {
    [GX_PKT_DROP_NONE] = "none",
    [GX_PKT_DROP_TRUNCATED] = "truncated",
    [GX_PKT_DROP_MAC] = "mac",
    [GX_PKT_DROP_ETHERTYPE] = "ethertype",
    [GX_PKT_DROP_IP_HEADER] = "ip_header",
    [GX_PKT_DROP_IP_CSUM] = "ip_csum",
    [GX_PKT_DROP_IP_FRAGMENT] = "ip_fragment",
    [GX_PKT_DROP_IP_DST] = "ip_dst",
    [GX_PKT_DROP_IPV6_EXT] = "ipv6_ext",
    [GX_PKT_DROP_NOT_UDP] = "not_udp",
    [GX_PKT_DROP_UDP_LEN] = "udp_len",
    [GX_PKT_DROP_UDP_CSUM] = "udp_csum",
    [GX_PKT_DROP_UDP_PORT] = "udp_port",
    [GX_PKT_DROP_ARP] = "arp",
    [GX_PKT_DROP_ICMP6] = "icmp6",
};

static const char *const gx_pkt_msgs[GX_PKT_DROP__COUNT] = {
    [GX_PKT_DROP_NONE] = "not dropped",
    [GX_PKT_DROP_TRUNCATED] = "frame shorter than its headers announce",
    [GX_PKT_DROP_MAC] = "destination MAC not ours (or multicast source MAC)",
    [GX_PKT_DROP_ETHERTYPE] = "ethertype is not IPv4, IPv6 or ARP",
    [GX_PKT_DROP_IP_HEADER] = "bad IP version, header length or length field",
    [GX_PKT_DROP_IP_CSUM] = "IPv4 header checksum wrong",
    [GX_PKT_DROP_IP_FRAGMENT] = "IPv4 fragment",
    [GX_PKT_DROP_IP_DST] = "IP destination is not our address",
    [GX_PKT_DROP_IPV6_EXT] = "IPv6 extension header",
    [GX_PKT_DROP_NOT_UDP] = "IP protocol is not UDP",
    [GX_PKT_DROP_UDP_LEN] = "UDP length disagrees with the IP length",
    [GX_PKT_DROP_UDP_CSUM] = "UDP checksum wrong (or zero on IPv6)",
    [GX_PKT_DROP_UDP_PORT] = "UDP destination port is not ours",
    [GX_PKT_DROP_ARP] = "ARP malformed or not for our address",
    [GX_PKT_DROP_ICMP6] = "ICMPv6 other than neighbour discovery for us, or malformed",
};

const char *gx_pkt_drop_label(gx_pkt_drop_t reason) {
  return (unsigned)reason < GX_PKT_DROP__COUNT ? gx_pkt_labels[reason] : "unknown";
}

const char *gx_pkt_strerror(gx_pkt_drop_t reason) {
  return (unsigned)reason < GX_PKT_DROP__COUNT ? gx_pkt_msgs[reason] : "unknown drop reason";
}

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void st_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static gx_pkt_kind_t drop(gx_pkt_info_t *out, gx_pkt_drop_t why) {
  out->kind = GX_PKT_DROP;
  out->drop = why;
  return GX_PKT_DROP;
}

/* One's-complement sum of an L4 segment plus its pseudo header is 0xffff when
 * the checksum inside it is right. */
static int l4_csum_ok4(const uint8_t *ip, const uint8_t *l4, size_t l4len) {
  uint32_t s = rte_raw_cksum(l4, l4len);
  s += rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)ip, 0);
  s = (s >> 16) + (s & 0xffff);
  return s == 0xffff;
}

static int l4_csum_ok6(const uint8_t *ip, const uint8_t *l4, size_t l4len) {
  uint32_t s = rte_raw_cksum(l4, l4len);
  s += rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)ip, 0);
  s = (s >> 16) + (s & 0xffff);
  return s == 0xffff;
}

/* UDP header at l4 with l4len bytes of IP payload behind it. */
static gx_pkt_kind_t parse_udp(const uint8_t *frame, const uint8_t *ip, const uint8_t *l4,
                               size_t l4len, int v6, const gx_pkt_local_t *local, unsigned flags,
                               gx_pkt_info_t *out) {
  if (l4len < 8) return drop(out, GX_PKT_DROP_UDP_LEN);
  if (be16(l4 + 4) != l4len) return drop(out, GX_PKT_DROP_UDP_LEN);
  uint16_t dport = be16(l4 + 2);
  if (dport != local->udp_port && (!local->udp_port_link || dport != local->udp_port_link))
    return drop(out, GX_PKT_DROP_UDP_PORT);
  uint16_t csum = be16(l4 + 6);
  if (csum == 0) {
    if (v6) return drop(out, GX_PKT_DROP_UDP_CSUM);
  } else if (!(flags & GX_PKT_F_L4_CSUM_OK)) {
    if (!(v6 ? l4_csum_ok6(ip, l4, l4len) : l4_csum_ok4(ip, l4, l4len)))
      return drop(out, GX_PKT_DROP_UDP_CSUM);
  }
  out->src.port = be16(l4);
  out->dst_port = dport;
  out->payload_off = (uint16_t)(l4 + 8 - frame);
  out->payload_len = (uint16_t)(l4len - 8);
  out->kind = GX_PKT_UDP;
  return GX_PKT_UDP;
}

static gx_pkt_kind_t parse_ipv4(const uint8_t *f, size_t len, const gx_pkt_local_t *local,
                                unsigned flags, gx_pkt_info_t *out) {
  const uint8_t *ip = f + GX_PKT_ETH_HLEN;
  if (len < GX_PKT_ETH_HLEN + 20) return drop(out, GX_PKT_DROP_TRUNCATED);
  if ((ip[0] >> 4) != 4) return drop(out, GX_PKT_DROP_IP_HEADER);
  size_t ihl = (size_t)(ip[0] & 0xf) * 4;
  if (ihl < 20) return drop(out, GX_PKT_DROP_IP_HEADER);
  size_t tot = be16(ip + 2);
  if (tot < ihl) return drop(out, GX_PKT_DROP_IP_HEADER);
  if (len < GX_PKT_ETH_HLEN + ihl || len < GX_PKT_ETH_HLEN + tot)
    return drop(out, GX_PKT_DROP_TRUNCATED);
  if (!(flags & GX_PKT_F_IP_CSUM_OK) && rte_raw_cksum(ip, ihl) != 0xffff)
    return drop(out, GX_PKT_DROP_IP_CSUM);
  if (be16(ip + 6) & 0x3fff) return drop(out, GX_PKT_DROP_IP_FRAGMENT);
  if (!local->has_ip4 || memcmp(ip + 16, local->ip4, 4)) return drop(out, GX_PKT_DROP_IP_DST);
  if (ip[9] != PROTO_UDP) return drop(out, GX_PKT_DROP_NOT_UDP);
  out->src.family = 4;
  memcpy(out->src.ip, ip + 12, 4);
  return parse_udp(f, ip, ip + ihl, tot - ihl, 0, local, flags, out);
}

static int is_solicited_node_of(const uint8_t *dst, const uint8_t *ip6) {
  static const uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  return !memcmp(dst, prefix, 13) && !memcmp(dst + 13, ip6 + 13, 3);
}

static int is_all_nodes(const uint8_t *dst) {
  static const uint8_t all[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return !memcmp(dst, all, 16);
}

/* Finds a link-layer address option of type want among ND options. */
static const uint8_t *nd_lladdr(const uint8_t *opt, size_t n, uint8_t want) {
  while (n >= 8) {
    size_t olen = (size_t)opt[1] * 8;
    if (olen == 0 || olen > n) return NULL;
    if (opt[0] == want && olen == 8) return opt + 2;
    opt += olen;
    n -= olen;
  }
  return NULL;
}

static gx_pkt_kind_t parse_icmp6(const uint8_t *f, const uint8_t *ip, const uint8_t *l4,
                                 size_t l4len, const gx_pkt_local_t *local, unsigned flags,
                                 gx_pkt_info_t *out) {
  const uint8_t *dst = ip + 24, *src = ip + 8;
  /* ND: hop limit 255, code 0, at least type/code/csum/flags + target. */
  if (l4len < 24 || ip[7] != 255 || l4[1] != 0) return drop(out, GX_PKT_DROP_ICMP6);
  if (l4[0] != ND_NS && l4[0] != ND_NA) return drop(out, GX_PKT_DROP_ICMP6);
  if (!(flags & GX_PKT_F_L4_CSUM_OK) && !l4_csum_ok6(ip, l4, l4len))
    return drop(out, GX_PKT_DROP_ICMP6);
  const uint8_t *target = l4 + 8;
  static const uint8_t unspec[16];
  out->src.family = 6;
  if (l4[0] == ND_NS) {
    if (memcmp(dst, local->ip6, 16) && !is_solicited_node_of(dst, local->ip6))
      return drop(out, GX_PKT_DROP_IP_DST);
    /* Not for us, or duplicate address detection (source ::): not answered. */
    if (memcmp(target, local->ip6, 16) || !memcmp(src, unspec, 16))
      return drop(out, GX_PKT_DROP_ICMP6);
    const uint8_t *ll = nd_lladdr(l4 + 24, l4len - 24, ND_OPT_SLL);
    if (ll) memcpy(out->src_mac, ll, 6);
    memcpy(out->src.ip, src, 16);
    out->kind = GX_PKT_ND_SOLICIT;
    return out->kind;
  }
  if (memcmp(dst, local->ip6, 16) && !is_all_nodes(dst)) return drop(out, GX_PKT_DROP_IP_DST);
  const uint8_t *ll = nd_lladdr(l4 + 24, l4len - 24, ND_OPT_TLL);
  if (ll) memcpy(out->src_mac, ll, 6);
  if (out->src_mac[0] & 1) return drop(out, GX_PKT_DROP_ICMP6);
  memcpy(out->src.ip, target, 16);
  (void)f;
  out->kind = GX_PKT_ND_ADVERT;
  return out->kind;
}

static int is_ipv6_ext(uint8_t nh) {
  switch (nh) {
  case 0: case 43: case 44: case 50: case 51: case 60: case 135: case 139: case 140:
  case 253: case 254:
    return 1;
  default:
    return 0;
  }
}

static gx_pkt_kind_t parse_ipv6(const uint8_t *f, size_t len, const gx_pkt_local_t *local,
                                unsigned flags, gx_pkt_info_t *out) {
  const uint8_t *ip = f + GX_PKT_ETH_HLEN;
  if (len < GX_PKT_ETH_HLEN + 40) return drop(out, GX_PKT_DROP_TRUNCATED);
  if ((ip[0] >> 4) != 6) return drop(out, GX_PKT_DROP_IP_HEADER);
  size_t plen = be16(ip + 4);
  if (len < GX_PKT_ETH_HLEN + 40 + plen) return drop(out, GX_PKT_DROP_TRUNCATED);
  if (!local->has_ip6) return drop(out, GX_PKT_DROP_IP_DST);
  uint8_t nh = ip[6];
  if (nh == PROTO_ICMP6) return parse_icmp6(f, ip, ip + 40, plen, local, flags, out);
  if (memcmp(ip + 24, local->ip6, 16)) return drop(out, GX_PKT_DROP_IP_DST);
  if (is_ipv6_ext(nh)) return drop(out, GX_PKT_DROP_IPV6_EXT);
  if (nh != PROTO_UDP) return drop(out, GX_PKT_DROP_NOT_UDP);
  out->src.family = 6;
  memcpy(out->src.ip, ip + 8, 16);
  return parse_udp(f, ip, ip + 40, plen, 1, local, flags, out);
}

static gx_pkt_kind_t parse_arp(const uint8_t *f, size_t len, const gx_pkt_local_t *local,
                               gx_pkt_info_t *out) {
  const uint8_t *a = f + GX_PKT_ETH_HLEN;
  if (len < GX_PKT_ETH_HLEN + 28) return drop(out, GX_PKT_DROP_TRUNCATED);
  if (be16(a) != 1 || be16(a + 2) != ETH_IPV4 || a[4] != 6 || a[5] != 4)
    return drop(out, GX_PKT_DROP_ARP);
  uint16_t op = be16(a + 6);
  const uint8_t *sha = a + 8, *spa = a + 14, *tpa = a + 24;
  if ((op != 1 && op != 2) || !local->has_ip4 || memcmp(tpa, local->ip4, 4) ||
      !memcmp(spa, tpa, 4) || (sha[0] & 1))
    return drop(out, GX_PKT_DROP_ARP);
  memcpy(out->src_mac, sha, 6);
  out->src.family = 4;
  memcpy(out->src.ip, spa, 4);
  out->kind = op == 1 ? GX_PKT_ARP_REQUEST : GX_PKT_ARP_REPLY;
  return out->kind;
}

gx_pkt_kind_t gx_pkt_parse(const uint8_t *f, size_t len, const gx_pkt_local_t *local,
                           unsigned flags, gx_pkt_info_t *out) {
  memset(out, 0, sizeof *out);
  if (len < GX_PKT_ETH_HLEN) return drop(out, GX_PKT_DROP_TRUNCATED);
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  int to_us = !memcmp(f, local->mac, 6);
  int to_bcast = !memcmp(f, bcast, 6);
  int to_v6mc = f[0] == 0x33 && f[1] == 0x33;
  if ((!to_us && !to_bcast && !to_v6mc) || (f[6] & 1)) return drop(out, GX_PKT_DROP_MAC);
  memcpy(out->src_mac, f + 6, 6);
  switch (be16(f + 12)) {
  case ETH_IPV4:
    if (!to_us) return drop(out, GX_PKT_DROP_MAC);
    return parse_ipv4(f, len, local, flags, out);
  case ETH_IPV6:
    if (to_bcast) return drop(out, GX_PKT_DROP_MAC);
    return parse_ipv6(f, len, local, flags, out);
  case ETH_ARP:
    return parse_arp(f, len, local, out);
  default:
    return drop(out, GX_PKT_DROP_ETHERTYPE);
  }
}

static uint8_t *put_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type) {
  memcpy(p, dst, 6);
  memcpy(p + 6, src, 6);
  st_be16(p + 12, type);
  return p + GX_PKT_ETH_HLEN;
}

static void put_ip6(uint8_t *ip, uint16_t plen, uint8_t nh, uint8_t hop, const uint8_t src[16],
                    const uint8_t dst[16]) {
  ip[0] = 0x60;
  ip[1] = ip[2] = ip[3] = 0;
  st_be16(ip + 4, plen);
  ip[6] = nh;
  ip[7] = hop;
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
}

size_t gx_pkt_build_udp(uint8_t *out, size_t cap, const gx_pkt_local_t *local,
                        const uint8_t dst_mac[6], const gx_addr_t *dst, const uint8_t *payload,
                        uint16_t len, unsigned tx_flags) {
  int v6 = dst->family == 6;
  if (v6 ? !local->has_ip6 : (dst->family != 4 || !local->has_ip4)) return 0;
  size_t hlen = v6 ? GX_PKT_UDP6_HLEN : GX_PKT_UDP4_HLEN;
  size_t total = hlen + len;
  if (total > GX_PKT_FRAME_MAX || total > cap) return 0;
  uint8_t *ip = put_eth(out, dst_mac, local->mac, v6 ? ETH_IPV6 : ETH_IPV4);
  uint8_t *udp = out + hlen - 8;
  uint16_t ulen = (uint16_t)(8 + len);
  st_be16(udp, local->udp_port);
  st_be16(udp + 2, dst->port);
  st_be16(udp + 4, ulen);
  st_be16(udp + 6, 0);
  memcpy(udp + 8, payload, len);
  if (v6) {
    put_ip6(ip, ulen, PROTO_UDP, 64, local->ip6, dst->ip);
    const struct rte_ipv6_hdr *h = (const struct rte_ipv6_hdr *)ip;
    uint16_t c = (tx_flags & GX_PKT_TX_UDP_CSUM_HW) ? rte_ipv6_phdr_cksum(h, 0)
                                                    : rte_ipv6_udptcp_cksum(h, udp);
    memcpy(udp + 6, &c, 2); /* already in network order (one's-complement sums are) */
  } else {
    ip[0] = 0x45;
    ip[1] = 0;
    st_be16(ip + 2, (uint16_t)(20 + ulen));
    st_be16(ip + 4, 0);      /* id: DF is set, so no fragments to tell apart */
    st_be16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = PROTO_UDP;
    st_be16(ip + 10, 0);
    memcpy(ip + 12, local->ip4, 4);
    memcpy(ip + 16, dst->ip, 4);
    const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)ip;
    if (!(tx_flags & GX_PKT_TX_IP_CSUM_HW)) {
      uint16_t c = rte_ipv4_cksum(h);
      memcpy(ip + 10, &c, 2);
    }
    uint16_t c = (tx_flags & GX_PKT_TX_UDP_CSUM_HW) ? rte_ipv4_phdr_cksum(h, 0)
                                                    : rte_ipv4_udptcp_cksum(h, udp);
    memcpy(udp + 6, &c, 2);
  }
  return total;
}

size_t gx_pkt_build_arp(uint8_t *out, size_t cap, const gx_pkt_local_t *local, uint16_t op,
                        const uint8_t peer_mac[6], const uint8_t target_ip[4]) {
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6];
  if (cap < GX_PKT_ARP_LEN || (op != 1 && op != 2) || !local->has_ip4) return 0;
  memset(out, 0, GX_PKT_ARP_LEN);
  uint8_t *a = put_eth(out, op == 1 ? bcast : peer_mac, local->mac, ETH_ARP);
  st_be16(a, 1);
  st_be16(a + 2, ETH_IPV4);
  a[4] = 6;
  a[5] = 4;
  st_be16(a + 6, op);
  memcpy(a + 8, local->mac, 6);
  memcpy(a + 14, local->ip4, 4);
  memcpy(a + 18, op == 1 ? zero : peer_mac, 6);
  memcpy(a + 24, target_ip, 4);
  return GX_PKT_ARP_LEN;
}

static size_t build_nd(uint8_t *out, size_t cap, const gx_pkt_local_t *local, uint8_t type,
                       const uint8_t eth_dst[6], const uint8_t ip_dst[16],
                       const uint8_t target[16]) {
  if (cap < GX_PKT_ND_LEN || !local->has_ip6) return 0;
  uint8_t *ip = put_eth(out, eth_dst, local->mac, ETH_IPV6);
  put_ip6(ip, 32, PROTO_ICMP6, 255, local->ip6, ip_dst);
  uint8_t *icmp = ip + 40;
  icmp[0] = type;
  icmp[1] = 0;
  st_be16(icmp + 2, 0);
  memset(icmp + 4, 0, 4);
  if (type == ND_NA) icmp[4] = 0x60; /* solicited, override */
  memcpy(icmp + 8, target, 16);
  icmp[24] = type == ND_NA ? ND_OPT_TLL : ND_OPT_SLL;
  icmp[25] = 1;
  memcpy(icmp + 26, local->mac, 6);
  uint16_t c = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, icmp);
  memcpy(icmp + 2, &c, 2);
  return GX_PKT_ND_LEN;
}

size_t gx_pkt_build_na(uint8_t *out, size_t cap, const gx_pkt_local_t *local,
                       const uint8_t peer_mac[6], const uint8_t peer_ip6[16]) {
  return build_nd(out, cap, local, ND_NA, peer_mac, peer_ip6, local->ip6);
}

size_t gx_pkt_build_ns(uint8_t *out, size_t cap, const gx_pkt_local_t *local,
                       const uint8_t target_ip6[16]) {
  uint8_t mac[6] = {0x33, 0x33, 0xff, target_ip6[13], target_ip6[14], target_ip6[15]};
  uint8_t ip[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  memcpy(ip + 13, target_ip6 + 13, 3);
  return build_nd(out, cap, local, ND_NS, mac, ip, target_ip6);
}
