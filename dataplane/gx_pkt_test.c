/* gx_pkt: frames built by the builders parse back; every drop reason is
 * reached by a frame made to have exactly that defect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dataplane/gx_pkt.h"

static gx_pkt_local_t local = {
    .mac = {0x02, 0, 0, 0, 0, 0x02},
    .has_ip4 = 1,
    .has_ip6 = 1,
    .ip4 = {10, 77, 0, 2},
    .ip6 = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
    .udp_port = 9000,
};
/* The peer: its view of the world, with us as the destination. */
static gx_pkt_local_t peer = {
    .mac = {0x02, 0, 0, 0, 0, 0x01},
    .has_ip4 = 1,
    .has_ip6 = 1,
    .ip4 = {10, 77, 0, 1},
    .ip6 = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    .udp_port = 5555,
};
static const uint8_t payload[] = "galaxy datagram payload";

static size_t udp4_to_us(uint8_t *f, size_t cap) {
  gx_addr_t dst = {.family = 4, .port = local.udp_port};
  memcpy(dst.ip, local.ip4, 4);
  return gx_pkt_build_udp(f, cap, &peer, local.mac, &dst, payload, sizeof payload, 0);
}

static size_t udp6_to_us(uint8_t *f, size_t cap) {
  gx_addr_t dst = {.family = 6, .port = local.udp_port};
  memcpy(dst.ip, local.ip6, 16);
  return gx_pkt_build_udp(f, cap, &peer, local.mac, &dst, payload, sizeof payload, 0);
}

/* Recomputes the IPv4 header checksum after a deliberate edit, so only the
 * intended defect remains. */
static void fix_ip4_csum(uint8_t *f) {
  uint8_t *ip = f + 14;
  ip[10] = ip[11] = 0;
  size_t ihl = (size_t)(ip[0] & 0xf) * 4;
  uint32_t s = 0;
  for (size_t i = 0; i < ihl; i += 2) s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  uint16_t c = (uint16_t)~s;
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
}

static gx_pkt_drop_t parse_drop(const uint8_t *f, size_t len) {
  gx_pkt_info_t info;
  gx_pkt_kind_t k = gx_pkt_parse(f, len, &local, 0, &info);
  return k == GX_PKT_DROP ? info.drop : GX_PKT_DROP_NONE;
}

static void test_udp4_roundtrip(void **state) {
  (void)state;
  uint8_t f[GX_PKT_FRAME_MAX];
  size_t n = udp4_to_us(f, sizeof f);
  assert_int_equal(n, GX_PKT_UDP4_HLEN + sizeof payload);
  gx_pkt_info_t info;
  assert_int_equal(gx_pkt_parse(f, n, &local, 0, &info), GX_PKT_UDP);
  assert_int_equal(info.payload_len, sizeof payload);
  assert_memory_equal(f + info.payload_off, payload, sizeof payload);
  assert_int_equal(info.src.family, 4);
  assert_int_equal(info.src.port, 5555);
  assert_memory_equal(info.src.ip, peer.ip4, 4);
  assert_memory_equal(info.src_mac, peer.mac, 6);
  /* Ethernet padding after the IP packet is ignored. */
  uint8_t padded[GX_PKT_FRAME_MAX];
  memset(padded, 0xee, sizeof padded);
  memcpy(padded, f, n);
  assert_int_equal(gx_pkt_parse(padded, n + 10, &local, 0, &info), GX_PKT_UDP);
  assert_int_equal(info.payload_len, sizeof payload);
}

static void test_udp6_roundtrip(void **state) {
  (void)state;
  uint8_t f[GX_PKT_FRAME_MAX];
  size_t n = udp6_to_us(f, sizeof f);
  assert_int_equal(n, GX_PKT_UDP6_HLEN + sizeof payload);
  gx_pkt_info_t info;
  assert_int_equal(gx_pkt_parse(f, n, &local, 0, &info), GX_PKT_UDP);
  assert_int_equal(info.src.family, 6);
  assert_memory_equal(info.src.ip, peer.ip6, 16);
  assert_memory_equal(f + info.payload_off, payload, sizeof payload);
}

/* The second (link) port: accepted only while set, and reported as such. */
static void test_link_port(void **state) {
  (void)state;
  uint8_t f[GX_PKT_FRAME_MAX];
  gx_addr_t dst = {.family = 6, .port = 9100};
  memcpy(dst.ip, local.ip6, 16);
  size_t n = gx_pkt_build_udp(f, sizeof f, &peer, local.mac, &dst, payload, sizeof payload, 0);
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_UDP_PORT); /* no link port yet */
  gx_pkt_local_t two = local;
  two.udp_port_link = 9100;
  gx_pkt_info_t info;
  assert_int_equal(gx_pkt_parse(f, n, &two, 0, &info), GX_PKT_UDP);
  assert_int_equal(info.dst_port, 9100);
  assert_memory_equal(f + info.payload_off, payload, sizeof payload);
  n = udp4_to_us(f, sizeof f);
  assert_int_equal(gx_pkt_parse(f, n, &two, 0, &info), GX_PKT_UDP);
  assert_int_equal(info.dst_port, 9000);
  f[14 + 20 + 3] ^= 1; /* neither port */
  assert_int_equal(gx_pkt_parse(f, n, &two, 0, &info), GX_PKT_DROP);
  assert_int_equal(info.drop, GX_PKT_DROP_UDP_PORT);
  /* what the link sends leaves from its port */
  two.udp_port = 9100;
  gx_addr_t back = {.family = 4, .port = peer.udp_port};
  memcpy(back.ip, peer.ip4, 4);
  n = gx_pkt_build_udp(f, sizeof f, &two, peer.mac, &back, payload, sizeof payload, 0);
  assert_int_equal(gx_pkt_parse(f, n, &peer, 0, &info), GX_PKT_UDP);
  assert_int_equal(info.src.port, 9100);
}

static void test_udp4_zero_checksum_allowed_ipv6_not(void **state) {
  (void)state;
  uint8_t f[GX_PKT_FRAME_MAX];
  size_t n = udp4_to_us(f, sizeof f);
  f[GX_PKT_UDP4_HLEN - 2] = f[GX_PKT_UDP4_HLEN - 1] = 0;
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_NONE);
  n = udp6_to_us(f, sizeof f);
  f[GX_PKT_UDP6_HLEN - 2] = f[GX_PKT_UDP6_HLEN - 1] = 0;
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_UDP_CSUM);
}

static void test_drop_reasons_ipv4(void **state) {
  (void)state;
  uint8_t f[GX_PKT_FRAME_MAX];
  size_t n;

  n = udp4_to_us(f, sizeof f);
  f[14 + 10] ^= 0x55; /* IP header checksum */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IP_CSUM);

  n = udp4_to_us(f, sizeof f);
  f[14] = 0x44; /* IHL 4 */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IP_HEADER);

  n = udp4_to_us(f, sizeof f);
  f[14] = 0x55; /* version 5 */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IP_HEADER);

  n = udp4_to_us(f, sizeof f);
  f[14 + 6] = 0x20; /* MF */
  fix_ip4_csum(f);
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IP_FRAGMENT);

  n = udp4_to_us(f, sizeof f);
  f[14 + 6] = 0x40;
  f[14 + 7] = 0x10; /* DF + offset 16: a later fragment */
  fix_ip4_csum(f);
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IP_FRAGMENT);

  n = udp4_to_us(f, sizeof f);
  f[14 + 9] = 6; /* TCP */
  fix_ip4_csum(f);
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_NOT_UDP);

  n = udp4_to_us(f, sizeof f);
  f[14 + 19] = 99; /* another destination */
  fix_ip4_csum(f);
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IP_DST);

  n = udp4_to_us(f, sizeof f);
  f[GX_PKT_UDP4_HLEN + 3] ^= 1; /* payload bit flip */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_UDP_CSUM);

  n = udp4_to_us(f, sizeof f);
  f[14 + 20 + 3] ^= 1; /* destination port */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_UDP_PORT);

  n = udp4_to_us(f, sizeof f);
  f[14 + 20 + 5] ^= 2; /* UDP length */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_UDP_LEN);

  n = udp4_to_us(f, sizeof f);
  for (size_t cut = 0; cut < n; cut++) /* every truncation is a drop */
    assert_int_not_equal(parse_drop(f, cut), GX_PKT_DROP_NONE);
  assert_int_equal(parse_drop(f, n - 1), GX_PKT_DROP_TRUNCATED);
  assert_int_equal(parse_drop(f, 30), GX_PKT_DROP_TRUNCATED);

  n = udp4_to_us(f, sizeof f);
  f[12] = 0x81; /* VLAN tag */
  f[13] = 0x00;
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_ETHERTYPE);

  n = udp4_to_us(f, sizeof f);
  f[5] ^= 1; /* someone else's MAC */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_MAC);
}

static void test_drop_reasons_ipv6(void **state) {
  (void)state;
  uint8_t f[GX_PKT_FRAME_MAX];
  size_t n;
  n = udp6_to_us(f, sizeof f);
  f[14 + 6] = 44; /* fragment header */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IPV6_EXT);
  n = udp6_to_us(f, sizeof f);
  f[14 + 6] = 6;
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_NOT_UDP);
  n = udp6_to_us(f, sizeof f);
  f[14 + 39] = 7;
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IP_DST);
  n = udp6_to_us(f, sizeof f);
  f[14 + 5] += 1; /* payload length beyond the frame */
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_TRUNCATED);
  n = udp6_to_us(f, sizeof f);
  f[n - 1] ^= 0x10;
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_UDP_CSUM);
}

static void test_checksum_offload_flags_skip_software_check(void **state) {
  (void)state;
  uint8_t f[GX_PKT_FRAME_MAX];
  size_t n = udp4_to_us(f, sizeof f);
  f[14 + 10] ^= 0x55;
  f[GX_PKT_UDP4_HLEN] ^= 1;
  gx_pkt_info_t info;
  assert_int_equal(gx_pkt_parse(f, n, &local, GX_PKT_F_IP_CSUM_OK | GX_PKT_F_L4_CSUM_OK, &info),
                   GX_PKT_UDP);
  /* Built for TX offload: UDP field holds the pseudo-header sum, IP csum 0. */
  gx_addr_t dst = {.family = 4, .port = local.udp_port};
  memcpy(dst.ip, local.ip4, 4);
  n = gx_pkt_build_udp(f, sizeof f, &peer, local.mac, &dst, payload, sizeof payload,
                       GX_PKT_TX_IP_CSUM_HW | GX_PKT_TX_UDP_CSUM_HW);
  assert_int_equal(f[14 + 10], 0);
  assert_int_equal(f[14 + 11], 0);
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_IP_CSUM);
}

static void test_arp_request_reply(void **state) {
  (void)state;
  uint8_t f[128], r[128];
  size_t n = gx_pkt_build_arp(f, sizeof f, &peer, 1, NULL, local.ip4);
  assert_int_equal(n, GX_PKT_ARP_LEN);
  gx_pkt_info_t info;
  assert_int_equal(gx_pkt_parse(f, n, &local, 0, &info), GX_PKT_ARP_REQUEST);
  assert_memory_equal(info.src_mac, peer.mac, 6);
  assert_memory_equal(info.src.ip, peer.ip4, 4);
  /* Our reply parses, on the peer's side, as a reply teaching our MAC. */
  size_t m = gx_pkt_build_arp(r, sizeof r, &local, 2, info.src_mac, info.src.ip);
  assert_int_equal(m, GX_PKT_ARP_LEN);
  assert_memory_equal(r, peer.mac, 6);
  assert_int_equal(gx_pkt_parse(r, m, &peer, 0, &info), GX_PKT_ARP_REPLY);
  assert_memory_equal(info.src_mac, local.mac, 6);
  assert_memory_equal(info.src.ip, local.ip4, 4);
  /* A request for another address is not ours to answer. */
  uint8_t other[4] = {10, 77, 0, 9};
  n = gx_pkt_build_arp(f, sizeof f, &peer, 1, NULL, other);
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_ARP);
  assert_int_equal(parse_drop(f, 30), GX_PKT_DROP_TRUNCATED);
}

static void test_nd_solicit_advert(void **state) {
  (void)state;
  uint8_t f[128], r[128];
  size_t n = gx_pkt_build_ns(f, sizeof f, &peer, local.ip6);
  assert_int_equal(n, GX_PKT_ND_LEN);
  assert_int_equal(f[0], 0x33);
  gx_pkt_info_t info;
  assert_int_equal(gx_pkt_parse(f, n, &local, 0, &info), GX_PKT_ND_SOLICIT);
  assert_memory_equal(info.src_mac, peer.mac, 6);
  assert_memory_equal(info.src.ip, peer.ip6, 16);
  size_t m = gx_pkt_build_na(r, sizeof r, &local, info.src_mac, info.src.ip);
  assert_int_equal(gx_pkt_parse(r, m, &peer, 0, &info), GX_PKT_ND_ADVERT);
  assert_memory_equal(info.src_mac, local.mac, 6);
  assert_memory_equal(info.src.ip, local.ip6, 16);
  /* Corrupt checksum, wrong hop limit: dropped. */
  n = gx_pkt_build_ns(f, sizeof f, &peer, local.ip6);
  f[n - 1] ^= 1;
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_ICMP6);
  n = gx_pkt_build_ns(f, sizeof f, &peer, local.ip6);
  f[14 + 7] = 64;
  assert_int_equal(parse_drop(f, n), GX_PKT_DROP_ICMP6);
}

static void test_builders_refuse_small_buffers(void **state) {
  (void)state;
  uint8_t f[GX_PKT_FRAME_MAX + 100];
  gx_addr_t dst = {.family = 4, .port = 1};
  assert_int_equal(gx_pkt_build_udp(f, 50, &peer, local.mac, &dst, payload, sizeof payload, 0), 0);
  static uint8_t big[1473];
  assert_int_equal(gx_pkt_build_udp(f, sizeof f, &peer, local.mac, &dst, big, 1473, 0), 0);
  assert_int_not_equal(gx_pkt_build_udp(f, sizeof f, &peer, local.mac, &dst, big, 1472, 0), 0);
  dst.family = 6;
  assert_int_equal(gx_pkt_build_udp(f, sizeof f, &peer, local.mac, &dst, big, 1453, 0), 0);
  assert_int_equal(gx_pkt_build_arp(f, 41, &peer, 1, NULL, local.ip4), 0);
  assert_int_equal(gx_pkt_build_na(f, 20, &peer, local.mac, local.ip6), 0);
}

static void test_labels(void **state) {
  (void)state;
  assert_string_equal(gx_pkt_drop_label(GX_PKT_DROP_IP_CSUM), "ip_csum");
  assert_string_equal(gx_pkt_drop_label(GX_PKT_DROP__COUNT), "unknown");
  for (int i = 0; i < GX_PKT_DROP__COUNT; i++) {
    assert_non_null(gx_pkt_drop_label((gx_pkt_drop_t)i));
    assert_non_null(gx_pkt_strerror((gx_pkt_drop_t)i));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_udp4_roundtrip),
      cmocka_unit_test(test_udp6_roundtrip),
      cmocka_unit_test(test_link_port),
      cmocka_unit_test(test_udp4_zero_checksum_allowed_ipv6_not),
      cmocka_unit_test(test_drop_reasons_ipv4),
      cmocka_unit_test(test_drop_reasons_ipv6),
      cmocka_unit_test(test_checksum_offload_flags_skip_software_check),
      cmocka_unit_test(test_arp_request_reply),
      cmocka_unit_test(test_nd_solicit_advert),
      cmocka_unit_test(test_builders_refuse_small_buffers),
      cmocka_unit_test(test_labels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
