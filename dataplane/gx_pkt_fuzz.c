/* libFuzzer target: gx_pkt_parse over raw Ethernet frames. The first byte
 * picks the parser flags; what parses as UDP must point inside the frame, and
 * an answer built for an ARP request or neighbour solicitation must parse back
 * on the peer's side. */
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
  case GX_PKT_UDP:
    if ((size_t)info.payload_off + info.payload_len > size) __builtin_trap();
    if (info.src.family != 4 && info.src.family != 6) __builtin_trap();
    break;
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
