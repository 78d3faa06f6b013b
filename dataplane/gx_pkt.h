/* gx_pkt: the frame parser and builder of the DPDK dataplane. Pure functions
 * over byte buffers (no mbufs, no EAL), so the same code runs from the RX path,
 * the unit tests and the fuzzer.
 *
 * Accepted on receive (everything else is dropped with a gx_pkt_drop_t reason):
 *   Ethernet II, destination MAC = ours, broadcast, or IPv6 multicast (33:33:..);
 *   no VLAN tag (a tagged frame is an unknown ethertype);
 *   IPv4: version 4, IHL >= 5, total length within the frame, correct header
 *     checksum, not a fragment (MF clear, offset 0), destination = our IPv4;
 *   IPv6: version 6, payload length within the frame, next header UDP or
 *     ICMPv6 directly (extension headers are dropped), destination = our IPv6
 *     (or solicited-node multicast of it, for neighbour solicitation);
 *   UDP: length = IP payload length, checksum correct (a zero checksum means
 *     "none" on IPv4 and is dropped on IPv6, RFC 8200 8.1), destination port =
 *     ours (udp_port, or udp_port_link when set: info.dst_port says which);
 *   ARP: Ethernet/IPv4 request or reply, target = our IPv4 (requests are to be
 *     answered with gx_pkt_build_arp; replies teach a neighbour);
 *   ICMPv6: neighbour solicitation for our IPv6 (answer with gx_pkt_build_na),
 *     neighbour advertisement (teaches a neighbour), hop limit 255 and a correct
 *     checksum on both; any other ICMPv6 is dropped.
 * Ethernet padding after the IP packet is ignored.
 *
 * Checksums are DPDK's (rte_raw_cksum and the pseudo-header helpers of
 * rte_ip.h). A caller whose NIC already verified a checksum passes
 * GX_PKT_F_IP_CSUM_OK / GX_PKT_F_L4_CSUM_OK to skip the software check.
 *
 * Memory: caller-owned buffers; the parser never writes, never reads past len
 * and points into the frame (zero copy). Threads: any (no state).
 * Errors: gx_pkt_parse returns the kind; GX_PKT_DROP comes with a reason.
 * Builders return the frame length, or 0 when cap is too small. */
#ifndef GX_PKT_H
#define GX_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/gx_dp.h"

#define GX_PKT_ETH_HLEN 14
#define GX_PKT_UDP4_HLEN (14 + 20 + 8) /* headers before a UDP payload, IPv4 */
#define GX_PKT_UDP6_HLEN (14 + 40 + 8) /* the same for IPv6 */
#define GX_PKT_ARP_LEN 60              /* Ethernet + ARP, zero-padded to the 60-byte minimum */
#define GX_PKT_ND_LEN (14 + 40 + 32)   /* Ethernet + IPv6 + NS/NA with one lladdr option */
#define GX_PKT_FRAME_MAX 1514          /* largest frame we build (1500 MTU) */
#define GX_PKT_UDP4_PAYLOAD_MAX (1500 - 20 - 8) /* 1472: largest UDP payload we send, IPv4 */
#define GX_PKT_UDP6_PAYLOAD_MAX (1500 - 40 - 8) /* 1452: the same for IPv6 */

/* Parser input flags. */
#define GX_PKT_F_IP_CSUM_OK 0x1u /* the NIC verified the IPv4 header checksum */
#define GX_PKT_F_L4_CSUM_OK 0x2u /* the NIC verified the UDP/ICMPv6 checksum */

/* Builder flags: leave a checksum to the NIC (TX offload). With L4 offload the
 * UDP checksum field holds the pseudo-header sum, as DPDK drivers expect. */
#define GX_PKT_TX_IP_CSUM_HW 0x1u
#define GX_PKT_TX_UDP_CSUM_HW 0x2u

typedef enum {
  GX_PKT_UDP = 0,        /* a UDP datagram for us: payload_off/payload_len, src */
  GX_PKT_ARP_REQUEST,    /* asks for our IPv4: answer (peer in src_mac/src)      */
  GX_PKT_ARP_REPLY,      /* a neighbour's answer to our request: learn it        */
  GX_PKT_ND_SOLICIT,     /* asks for our IPv6: answer with an advertisement      */
  GX_PKT_ND_ADVERT,      /* a neighbour's advertisement: learn it                */
  GX_PKT_DROP,           /* see drop                                             */
} gx_pkt_kind_t;

typedef enum {
  GX_PKT_DROP_NONE = 0,
  GX_PKT_DROP_TRUNCATED,   /* frame shorter than the headers it announces         */
  GX_PKT_DROP_MAC,         /* destination MAC is not ours, broadcast or multicast */
  GX_PKT_DROP_ETHERTYPE,   /* not IPv4, IPv6 or ARP (VLAN tags included)          */
  GX_PKT_DROP_IP_HEADER,   /* bad IP version, IHL or length field                 */
  GX_PKT_DROP_IP_CSUM,     /* IPv4 header checksum wrong                          */
  GX_PKT_DROP_IP_FRAGMENT, /* IPv4 fragment (MF set or offset != 0)               */
  GX_PKT_DROP_IP_DST,      /* IP destination is not our address                   */
  GX_PKT_DROP_IPV6_EXT,    /* IPv6 extension header (incl. fragment header)       */
  GX_PKT_DROP_NOT_UDP,     /* another IP protocol (TCP, ICMPv4, ...)              */
  GX_PKT_DROP_UDP_LEN,     /* UDP length disagrees with the IP payload length     */
  GX_PKT_DROP_UDP_CSUM,    /* UDP checksum wrong, or zero on IPv6                 */
  GX_PKT_DROP_UDP_PORT,    /* destination port is not ours                        */
  GX_PKT_DROP_ARP,         /* ARP malformed, not Ethernet/IPv4, or not for us     */
  GX_PKT_DROP_ICMP6,       /* ICMPv6 other than NS/NA for us, or malformed        */
  GX_PKT_DROP__COUNT
} gx_pkt_drop_t;

/* This node on the link. An address family is off when its has_ flag is 0. */
typedef struct {
  uint8_t mac[6];
  uint8_t has_ip4, has_ip6;
  uint8_t ip4[4];    /* network byte order */
  uint8_t ip6[16];
  uint16_t udp_port; /* host byte order */
  uint16_t udp_port_link; /* a second port accepted (the consensus links); 0: none */
} gx_pkt_local_t;

typedef struct {
  gx_pkt_kind_t kind;
  gx_pkt_drop_t drop;   /* GX_PKT_DROP_NONE unless kind == GX_PKT_DROP */
  uint16_t payload_off; /* UDP payload offset in the frame */
  uint16_t payload_len;
  uint16_t dst_port;    /* GX_PKT_UDP: which of our ports it was sent to */
  uint8_t src_mac[6];   /* the peer's link address (ARP sender / ND option / Ethernet source) */
  gx_addr_t src;        /* the peer's IP (and UDP source port for GX_PKT_UDP) */
} gx_pkt_info_t;

/* Short lower-case label of a reason for metric labels ("ip_csum"). */
const char *gx_pkt_drop_label(gx_pkt_drop_t reason);
/* One-line description of a reason. */
const char *gx_pkt_strerror(gx_pkt_drop_t reason);

gx_pkt_kind_t gx_pkt_parse(const uint8_t *frame, size_t len, const gx_pkt_local_t *local,
                           unsigned flags, gx_pkt_info_t *out);

/* UDP frame from us (local's MAC, IP of dst's family, local->udp_port) to dst
 * via next-hop dst_mac, carrying payload. 0 when cap is too small, the payload
 * does not fit a 1500-byte MTU, or local has no address of dst's family. */
size_t gx_pkt_build_udp(uint8_t *out, size_t cap, const gx_pkt_local_t *local,
                        const uint8_t dst_mac[6], const gx_addr_t *dst, const uint8_t *payload,
                        uint16_t len, unsigned tx_flags);

/* ARP frame from us. op 1 (request: Ethernet broadcast, target MAC zero) or
 * 2 (reply to peer_mac; NULL allowed for a request). target_ip: the IPv4
 * asked about / answered to. */
size_t gx_pkt_build_arp(uint8_t *out, size_t cap, const gx_pkt_local_t *local, uint16_t op,
                        const uint8_t peer_mac[6], const uint8_t target_ip[4]);

/* Neighbour advertisement for our IPv6 (solicited, override) to the peer that
 * solicited it (peer_mac, peer_ip6). */
size_t gx_pkt_build_na(uint8_t *out, size_t cap, const gx_pkt_local_t *local,
                       const uint8_t peer_mac[6], const uint8_t peer_ip6[16]);

/* Neighbour solicitation for target_ip6, sent to its solicited-node multicast
 * group, with our link address option. */
size_t gx_pkt_build_ns(uint8_t *out, size_t cap, const gx_pkt_local_t *local,
                       const uint8_t target_ip6[16]);

#endif
