/* libFuzzer target: gx_pkt_parse over raw Ethernet frames. The first byte
 * picks the parser flags; what parses as UDP must point inside the frame and,
 * rebuilt by its sender with gx_pkt_build_udp, parse back to the same payload
 * and source, on the same one of our two ports; an answer can be built for every ARP request and neighbour
 * solicitation. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/gx_pkt.h"

static const gx_pkt_local_t local = {
    .mac = {0x02, 0, 0, 0, 0, 0x02},
    .has_ip4 = 1,
    .has_ip6 = 1,
    .ip4 = {10, 77, 0, 2},
    .ip6 = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
    .udp_port = 9000,
    .udp_port_link = 9100, /* the consensus link's port (DPDK mode) */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned flags = data[0] & 3u;
  data++;
  size--;
  gx_pkt_info_t info;
  gx_pkt_kind_t k = gx_pkt_parse(data, size, &local, flags, &info);
  uint8_t out[GX_PKT_FRAME_MAX];
  switch (k) {
  case GX_PKT_UDP: {
    if (info.dst_port != local.udp_port && info.dst_port != local.udp_port_link) __builtin_trap();
    if ((size_t)info.payload_off + info.payload_len > size) __builtin_trap();
    if (info.src.family != 4 && info.src.family != 6) __builtin_trap();
    /* Round trip: the sender rebuilds the same datagram; it must parse back
     * to the same payload and source. */
    gx_pkt_local_t sender = {.udp_port = info.src.port};
    memcpy(sender.mac, info.src_mac, 6);
    if (info.src.family == 4) {
      sender.has_ip4 = 1;
      memcpy(sender.ip4, info.src.ip, 4);
    } else {
      sender.has_ip6 = 1;
      memcpy(sender.ip6, info.src.ip, 16);
    }
    gx_addr_t to = {.family = info.src.family, .port = info.dst_port};
    memcpy(to.ip, info.src.family == 4 ? local.ip4 : local.ip6, info.src.family == 4 ? 4 : 16);
    size_t n = gx_pkt_build_udp(out, sizeof out, &sender, local.mac, &to, data + info.payload_off,
                                info.payload_len, 0);
    if (n) {
      gx_pkt_info_t back;
      if (gx_pkt_parse(out, n, &local, 0, &back) != GX_PKT_UDP) __builtin_trap();
      if (back.payload_len != info.payload_len || back.dst_port != info.dst_port ||
          memcmp(out + back.payload_off, data + info.payload_off, info.payload_len) ||
          memcmp(&back.src, &info.src, sizeof back.src))
        __builtin_trap();
    }
    break;
  }
  case GX_PKT_ARP_REQUEST:
    if (!gx_pkt_build_arp(out, sizeof out, &local, 2, info.src_mac, info.src.ip)) __builtin_trap();
    break;
  case GX_PKT_ND_SOLICIT:
    if (!gx_pkt_build_na(out, sizeof out, &local, info.src_mac, info.src.ip)) __builtin_trap();
    break;
  case GX_PKT_DROP:
    if (info.drop == GX_PKT_DROP_NONE || info.drop >= GX_PKT_DROP__COUNT) __builtin_trap();
    break;
  default:
    break;
  }
  return 0;
}
