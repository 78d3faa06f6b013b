#!/usr/bin/env bash
# DPDK backend on a real kernel link: a network namespace with a veth pair;
# the DPDK end (gx_dpdk_test sink, net_af_packet on vD) owns 10.77.0.2 and
# fd00::2, the kernel end vK has 10.77.0.1 and fd00::1. Checks:
#   - ARP and IPv6 neighbour solicitation are answered by DPDK (the kernel
#     resolves 10.77.0.2 / fd00::2 without static entries);
#   - kernel UDP over IPv4 and IPv6 arrives, and the echo sent back through
#     DPDK TX reaches the kernel socket;
#   - malformed frames (bad IP header, bad IP checksum, bad UDP checksum, IP
#     fragment, non-UDP, wrong port, truncated) are counted by reason and
#     dropped, and the node keeps working (fragments: see the note below);
#   - a pcap of valid traffic replayed with tcpreplay is ingested in full;
#   - two af_packet queues: 64 flows spread over both, none lost;
#   - net_tap (checksum offloads): IPv4/IPv6 echo through TX offload, NIC-flagged bad
#     IP/UDP checksums dropped.
# Needs root (namespaces), python3, tcpreplay. Cleans up on any exit.
set -u
GX_BUILD=${GX_BUILD:-build}
GX_ROOT=${GX_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$GX_ROOT"
SINK="$GX_BUILD/test/gx_dpdk_test"
ns="gxdpdk$$"
work=$(mktemp -d /tmp/gx-dpdk-veth.XXXXXX)
sink_pid=""
listen_pid=""
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { # description, command...
  local d=$1; shift
  if "$@"; then ok "$d"; else nok "$d"; fi
}
cleanup() {
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
  [ -n "$listen_pid" ] && kill "$listen_pid" 2>/dev/null && wait "$listen_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ] || ! command -v tcpreplay >/dev/null || [ ! -x "$SINK" ]; then
  echo "not ok 1 - needs root, tcpreplay and $SINK"
  exit 1
fi
nsx() { ip netns exec "$ns" "$@"; }

ip netns add "$ns" || { echo "not ok 1 - ip netns add"; exit 1; }
nsx ip link set lo up
nsx ip link add vK type veth peer name vD
nsx sysctl -qw net.ipv6.conf.vD.disable_ipv6=1
nsx ip link set vD up
nsx ip link set vK up
nsx ip addr add 10.77.0.1/24 dev vK
nsx ip addr add fd00::1/64 dev vK nodad
MAC_D=$(nsx cat /sys/class/net/vD/address)
MAC_K=$(nsx cat /sys/class/net/vK/address)

# The helper: frame builders, raw sends, UDP echo client, pcap writer.
cat >"$work/gx.py" <<'EOF'
import socket, struct, sys, time, fcntl, array
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def mac(s): return bytes(int(x, 16) for x in s.split(':'))
import os
SRC4 = socket.inet_aton(os.environ.get('GX_SRC4', '10.77.0.1'))
DST4 = socket.inet_aton(os.environ.get('GX_DST4', '10.77.0.2'))
def udp4(dmac, smac, payload, sport=7777, dport=9000, ihl=5, frag=0, proto=17, bad_ip=False,
         bad_udp=False, extra_len=0):
    ulen = 8 + len(payload)
    u = struct.pack('!HHHH', sport, dport, ulen, 0) + payload
    c = csum(SRC4 + DST4 + struct.pack('!BBH', 0, 17, ulen) + u) or 0xffff
    if bad_udp: c ^= 0x5a5a
    u = u[:6] + struct.pack('!H', c) + u[8:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, 20 + ulen + extra_len, 1, frag, 64, proto, 0,
                     SRC4, DST4)
    ic = csum(ip)
    if bad_ip: ic ^= 0x1111
    ip = ip[:10] + struct.pack('!H', ic) + ip[12:]
    return dmac + smac + b'\x08\x00' + ip + u
def tx_csum_off(ifname):
    # ETHTOOL_STXCSUM: veth leaves UDP checksums to "hardware" otherwise, and
    # af_packet would see partial checksums.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    buf = array.array('B', struct.pack('II', 0x17, 0))
    ifr = struct.pack('16sP', ifname.encode(), buf.buffer_info()[0])
    fcntl.ioctl(s.fileno(), 0x8946, ifr)
cmd = sys.argv[1]
if cmd == 'csumoff':
    tx_csum_off(sys.argv[2])
elif cmd == 'echo':  # family count: send count datagrams, count echoes
    fam, count = sys.argv[2], int(sys.argv[3])
    af, src, dst = ((socket.AF_INET, socket.inet_ntoa(SRC4), socket.inet_ntoa(DST4)) if fam == '4'
                    else (socket.AF_INET6, os.environ.get('GX_SRC6', 'fd00::1'),
                          os.environ.get('GX_DST6', 'fd00::2')))
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(0.2)
    got = set()
    for i in range(count):
        s.sendto(b'gx-echo-%s-%d' % (fam.encode(), i), (dst, 9000))
        time.sleep(0.002)
    deadline = time.time() + 5
    while len(got) < count and time.time() < deadline:
        try: got.add(s.recv(2048))
        except socket.timeout: pass
    print(len(got))
elif cmd == 'flows':  # flows per_flow: many source ports (distinct 5-tuples) to 10.77.0.2:9000
    flows, per = int(sys.argv[2]), int(sys.argv[3])
    socks = []
    for _ in range(flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.77.0.1', 0)); socks.append(s)
    for i in range(per):
        for s in socks: s.sendto(b'gx-flow-%d' % i, ('10.77.0.2', 9000))
        time.sleep(0.002)
elif cmd == 'listen':  # keep port 7777 open so echoes of raw frames cause no ICMP
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.bind(('10.77.0.1', 7777))
    time.sleep(float(sys.argv[2]))
elif cmd == 'csumbad':  # ifname dmac smac: 3 bad IP checksums, 3 bad UDP checksums
    ifn, d, sm = sys.argv[2], mac(sys.argv[3]), mac(sys.argv[4])
    r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    r.bind((ifn, 0))
    for _ in range(3):
        r.send(udp4(d, sm, b'bad-ip-csum', bad_ip=True))
        r.send(udp4(d, sm, b'bad-udp-csum', bad_udp=True))
elif cmd == 'malformed':  # ifname dmac smac: 3 frames of each defect, then one good
    ifn, d, sm = sys.argv[2], mac(sys.argv[3]), mac(sys.argv[4])
    r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    r.bind((ifn, 0))
    p = b'malformed-test'
    for _ in range(3):
        r.send(udp4(d, sm, p, ihl=4))                  # bad IP header
        r.send(udp4(d, sm, p, bad_ip=True))            # bad IP checksum
        r.send(udp4(d, sm, p, bad_udp=True))           # bad UDP checksum
        r.send(udp4(d, sm, p, frag=0x2000))            # fragment (MF)
        r.send(udp4(d, sm, p, proto=6))                # not UDP (TCP)
        r.send(udp4(d, sm, p, dport=9001))             # wrong port
        r.send(udp4(d, sm, p, extra_len=40))           # truncated: IP says 40 more bytes
        time.sleep(0.01)
elif cmd == 'pcap':  # file count dmac smac
    path, count, d, sm = sys.argv[2], int(sys.argv[3]), mac(sys.argv[4]), mac(sys.argv[5])
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            fr = udp4(d, sm, b'gx-replay-%06d' % i + bytes(64))
            f.write(struct.pack('<IIII', 1700000000 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)))
            f.write(fr)
EOF
PY() { nsx python3 "$work/gx.py" "$@"; }
PY csumoff vK

ip netns exec "$ns" "$SINK" sink --port net_af_packet0,iface=vD --ipv4 10.77.0.2 --ipv6 fd00::2 \
  --udp-port 9000 --seconds 90 --echo >"$work/sink.out" 2>"$work/sink.err" &
sink_pid=$!
for _ in $(seq 100); do grep -q ready "$work/sink.out" 2>/dev/null && break; sleep 0.1; done
if ! grep -q ready "$work/sink.out"; then
  nok "DPDK sink started on net_af_packet (vD)"; sed 's/^/# /' "$work/sink.err"; exit 1
fi
ok "DPDK sink started on net_af_packet (vD)"

ip netns exec "$ns" python3 "$work/gx.py" listen 60 &
listen_pid=$!
sleep 0.2

N4=200; N6=200
got4=$(PY echo 4 $N4)
check "IPv4: $N4 UDP datagrams from the kernel echoed back through DPDK TX (got $got4)" [ "$got4" = "$N4" ]
check "ARP answered by DPDK: kernel neighbour 10.77.0.2 is vD's MAC" \
  bash -c "ip netns exec $ns ip neigh show 10.77.0.2 dev vK | grep -qi '$MAC_D'"
got6=$(PY echo 6 $N6)
check "IPv6: $N6 UDP datagrams echoed back (got $got6)" [ "$got6" = "$N6" ]
check "neighbour solicitation answered: kernel neighbour fd00::2 is vD's MAC" \
  bash -c "ip netns exec $ns ip -6 neigh show fd00::2 dev vK | grep -qi '$MAC_D'"

PY malformed vK "$MAC_D" "$MAC_K"
got_after=$(PY echo 4 5)
check "the node keeps working after malformed frames (5 echoes, got $got_after)" [ "$got_after" = 5 ]

M=2000
PY pcap "$work/valid.pcap" $M "$MAC_D" "$MAC_K"
if nsx tcpreplay -q -i vK --pps=4000 "$work/valid.pcap" >"$work/tcpreplay.out" 2>&1; then
  ok "tcpreplay sent $M frames"
else
  nok "tcpreplay sent $M frames"; sed 's/^/# /' "$work/tcpreplay.out"
fi
sleep 0.5

kill -TERM "$sink_pid"; wait "$sink_pid"; sink_rc=$?; sink_pid=""
kill "$listen_pid" 2>/dev/null; wait "$listen_pid" 2>/dev/null; listen_pid=""
check "sink exited cleanly (rc=$sink_rc)" [ "$sink_rc" = 0 ]
check "no sanitizer report from the sink (SAN=1 builds)" \
  bash -c "! grep -qE 'Sanitizer|runtime error' '$work/sink.err'"
stat() { awk -v k="$1" '$1 == k { print $2 }' "$work/sink.out"; }
sed 's/^/# /' "$work/sink.out"
expect=$((N4 + N6 + 5 + M))
check "every valid datagram ingested: rx_dgrams $(stat rx_dgrams) == $expect (incl. the $M replayed)" \
  [ "$(stat rx_dgrams)" = "$expect" ]
for r in ip_header ip_csum udp_csum not_udp udp_port truncated; do
  check "malformed: drop_$r counted 3 (got $(stat drop_$r))" [ "$(stat drop_$r)" = 3 ]
done
# IP fragments: net_af_packet (DPDK 22.11) joins a PACKET_FANOUT group with
# the DEFRAG flag, so the kernel holds lone fragments before DPDK sees them:
# here they must simply not be ingested (rx_dgrams above is exact). The
# ip_fragment counter itself is checked by gx_dpdk_test on a ring port.
check "IP fragments not ingested (drop_ip_fragment $(stat drop_ip_fragment), absorbed by af_packet defrag)" \
  [ "$(stat drop_ip_fragment)" -le 3 ]
check "ARP replies sent ($(stat arp_replies))" [ "$(stat arp_replies)" -ge 1 ]
check "neighbour advertisements sent ($(stat nd_replies))" [ "$(stat nd_replies)" -ge 1 ]

# Two RX queues (af_packet qpairs=2: the kernel's fanout hash is the RSS):
# 64 flows spread over both queues, nothing lost.
ip netns exec "$ns" "$SINK" sink --port net_af_packet0,iface=vD,qpairs=2 --queues 2 \
  --ipv4 10.77.0.2 --udp-port 9000 --seconds 60 >"$work/sink2.out" 2>"$work/sink2.err" &
sink_pid=$!
for _ in $(seq 100); do grep -q ready "$work/sink2.out" 2>/dev/null && break; sleep 0.1; done
check "DPDK sink started with 2 queues" grep -q ready "$work/sink2.out" || sed 's/^/# /' "$work/sink2.err"
nsx ip neigh flush dev vK
PY flows 64 10
sleep 0.5
kill -TERM "$sink_pid"; wait "$sink_pid"; sink_pid=""
sed 's/^/# /' "$work/sink2.out" | grep -E "rx_dgrams"
work_q0=$(awk '$1 == "rx_dgrams_q0" { print $2 }' "$work/sink2.out")
work_q1=$(awk '$1 == "rx_dgrams_q1" { print $2 }' "$work/sink2.out")
check "2 queues: all 640 datagrams of 64 flows received ($(awk '$1 == "rx_dgrams" { print $2 }' "$work/sink2.out"))" \
  [ "$(awk '$1 == "rx_dgrams" { print $2 }' "$work/sink2.out")" = 640 ]
check "2 queues: flows spread over both queues (q0=$work_q0 q1=$work_q1)" \
  [ "${work_q0:-0}" -gt 0 -a "${work_q1:-0}" -gt 0 ]

# net_tap: a port with checksum offloads (the tap PMD verifies and fills
# checksums itself), so the NIC-verdict RX path and the TX offload path run.
ip netns exec "$ns" "$SINK" sink --port net_tap0,iface=gxtap0 --ipv4 10.78.0.2 --ipv6 fd01::2 --udp-port 9000 \
  --seconds 60 --echo >"$work/sink3.out" 2>"$work/sink3.err" &
sink_pid=$!
for _ in $(seq 100); do grep -q ready "$work/sink3.out" 2>/dev/null && break; sleep 0.1; done
if grep -q ready "$work/sink3.out"; then
  ok "DPDK sink started on net_tap (gxtap0)"
  nsx ip addr add 10.78.0.1/24 dev gxtap0
  nsx ip addr add fd01::1/64 dev gxtap0 nodad
  nsx ip link set gxtap0 up
  st3() { awk -v k="$1" '$1 == k { print $2 }' "$work/sink3.out"; }
  check "net_tap offers RX and TX checksum offload (rx=$(st3 offloads_rx) tx=$(st3 offloads_tx))" \
    [ "$(st3 offloads_rx)" = 3 -a "$(st3 offloads_tx)" = 3 ]
  got=$(GX_SRC4=10.78.0.1 GX_DST4=10.78.0.2 PY echo 4 100)
  check "net_tap: 100 datagrams echoed with TX checksum offload (got $got)" [ "$got" = 100 ]
  got6=$(GX_SRC6=fd01::1 GX_DST6=fd01::2 PY echo 6 100)
  check "net_tap: 100 IPv6 datagrams echoed with UDP checksum offload (got $got6)" [ "$got6" = 100 ]
  GX_SRC4=10.78.0.1 GX_DST4=10.78.0.2 PY csumbad gxtap0 "$(st3 mac)" "$(nsx cat /sys/class/net/gxtap0/address)"
  sleep 0.3
  kill -TERM "$sink_pid"; wait "$sink_pid"; sink_pid=""
  sed 's/^/# /' "$work/sink3.out" | grep -E "dgrams|csum|offloads"
  check "net_tap: NIC-flagged bad IP checksums dropped (drop_ip_csum $(st3 drop_ip_csum))" [ "$(st3 drop_ip_csum)" = 3 ]
  check "net_tap: NIC-flagged bad UDP checksums dropped (drop_udp_csum $(st3 drop_udp_csum))" [ "$(st3 drop_udp_csum)" = 3 ]
  check "net_tap: only the echoed datagrams delivered ($(st3 rx_dgrams))" [ "$(st3 rx_dgrams)" = 200 ]
else
  nok "DPDK sink started on net_tap (gxtap0)"; sed 's/^/# /' "$work/sink3.err"
fi
exit 0
