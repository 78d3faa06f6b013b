#!/usr/bin/env python3
"""Turns TX checksum offload off on network interfaces, as `ethtool -K IFACE tx
off` does (ETHTOOL_STXCSUM through SIOCETHTOOL), for hosts without ethtool.

    deploy/tx-csum-off.py IFACE [IFACE...]

Needed on the kernel side of a veth or bridge whose other end a DPDK
net_af_packet port reads: with the offload on, the kernel leaves UDP
checksums to "hardware" and the af_packet reader sees them unfinished (dropped
as udp_csum). Run it in the interfaces' network namespace. Exit 1 with the
interface and the error when one fails."""
import array, fcntl, socket, struct, sys

SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17

def tx_csum_off(ifname):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        cmd = array.array("B", struct.pack("II", ETHTOOL_STXCSUM, 0))
        ifr = struct.pack("16sP", ifname.encode(), cmd.buffer_info()[0])
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
    finally:
        s.close()

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: tx-csum-off.py IFACE [IFACE...]")
    for name in sys.argv[1:]:
        try:
            tx_csum_off(name)
        except OSError as e:
            sys.exit(f"tx-csum-off: {name}: {e.strerror}")
