#!/usr/bin/env bash
# Consensus through the DPDK ports: 4 validators on one Ethernet segment (a
# bridge in a network namespace the test makes, one veth per validator).
# Validators 0-2 run in DPDK mode (net_af_packet on their veth; the kernel has
# no address on it, so no kernel socket can carry their traffic; validator 1
# with two RX queues, so its link channel has two producers); validator 3
# runs in socket mode on its veth's kernel address, so both dataplanes must
# speak the same wire. star sends a load to validator 0 from the bridge's
# address. Every node must commit all of it into byte-identical black holes;
# the DPDK nodes' consensus datagrams must have gone through their ports (the
# link channel counters) and no kernel socket may hold their consensus
# addresses. --check-config refuses a DPDK node whose genesis address is not
# the port's. Needs root (namespaces), python3, curl, jq, ss.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
ns="gxdn$$"
T=$(gx_tmpdir dpdk-net)
NET_PREFIX="ip netns exec $ns"
cleanup() {
  net_stop
  ip netns del "$ns" 2>/dev/null
  if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap cleanup EXIT
if [ "$(id -u)" -ne 0 ] || [ ! -x "$BIN/galaxyd" ] || [ ! -x "$BIN/star" ]; then
  not_ok "needs root, $BIN/galaxyd and $BIN/star"; gx_done; exit 1
fi
N() { ip netns exec "$ns" "$@"; }
ip netns add "$ns" || { not_ok "ip netns add"; gx_done; exit 1; }
N ip link set lo up
N sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
N ip link add br0 type bridge
N ip addr add 10.78.0.100/24 dev br0
N ip link set br0 up
for i in 0 1 2 3; do
  N ip link add "vd$i" type veth peer name "vb$i"
  N ip link set "vb$i" master br0
  N ip link set "vb$i" up
  N ip link set "vd$i" up
done
N ip addr add 10.78.0.4/24 dev vd3 # the socket-mode validator's kernel address
# Kernel-sent UDP over veth/bridge carries partial checksums ("hardware" would
# fill them); an af_packet reader would see them unfinished. Turn TX checksum
# offload off where the kernel sends from (ETHTOOL_STXCSUM, as `ethtool -K
# DEV tx off` does).
N "$GX_ROOT/deploy/tx-csum-off.py" br0 vd3

BASE=$(net_pick_base 4)
CPORT=$((BASE + 100))
NET_HOSTS=10.78.0.1,10.78.0.2,10.78.0.3,10.78.0.4
net_node_extra() { # validators 0-2: DPDK mode on their veth (1 with two RX queues)
  local i=$1
  [ "$i" -lt 3 ] || return 0
  local qpairs="" rxq=1 rxcores=0
  [ "$i" = 1 ] && qpairs=",qpairs=2" rxq=2 rxcores=0,1 # two producers on the link ring
  cat <<INI
[node]
mode = dpdk
[dpdk]
port = net_af_packet0,iface=vd$i$qpairs
rx_queues = $rxq
ipv4 = $(net_host "$i")/24
udp_port = $((BASE + i))
hugepages = no
mem_mb = 192
link_ring = 2048
[cores]
rx = $rxcores
INI
}
net_setup "$T" 4 "$BASE" --fund-load-seed 7 --fund-load-accounts 100 --fund-amount 1000000 ||
  { not_ok "genesis"; gx_done; exit 1; }

# ---- --check-config: consensus must be on the port's own address ----
out=$(N "$BIN/galaxyd" -c "$T/node-0/galaxyd.ini" --check-config 2>&1); rc=$?
check "check-config accepts a DPDK validator whose genesis address is the port's (rc=$rc)" \
  [ "$rc" -eq 0 ]
out=$(N "$BIN/galaxyd" -c "$T/node-0/galaxyd.ini" --set dpdk.ipv4=10.78.0.9/24 --check-config 2>&1); rc=$?
check "check-config refuses a genesis address that is not the DPDK port's (rc=$rc)" \
  bash -c '[ '"$rc"' -eq 2 ] && grep -q "10.78.0.1:'"$CPORT"' is not an address of the DPDK port" <<<"$0"' "$out"
out=$(N "$BIN/galaxyd" -c "$T/node-0/galaxyd.ini" --set dpdk.udp_port="$CPORT" --check-config 2>&1); rc=$?
check "check-config refuses consensus on the DPDK ingest port (rc=$rc)" \
  bash -c '[ '"$rc"' -eq 2 ] && grep -q "consensus needs a port of its own" <<<"$0"' "$out"

net_start
check "4 validators (3 DPDK, 1 socket) answer /v1/status" \
  bash -c "for i in 0 1 2 3; do $(declare -f net_status net_curl net_api); NET_PREFIX='$NET_PREFIX' NET_BASE=$BASE; net_status \$i >/dev/null || exit 1; done"

metric() { # node name: the sample's value (0 when absent)
  net_curl "$(net_api "$1")/metrics" | awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }'
}
s=$(N "$BIN/star" load --galaxy "10.78.0.1:$BASE" --accounts 100 --rate 1000 --duration 3 --seed 7 \
      --api "$(net_api 0)" 2>&1)
echo "# star: $(printf '%s' "$s" | tail -1)"
SENT=$(printf '%s\n' "$s" | tr ' ' '\n' | awk -F= '$1 == "transfers" { v = $2 } END { print v + 0 }')
check "star sent a load ($SENT transfers)" [ "$SENT" -gt 0 ]
all_committed() {
  for i in 0 1 2 3; do [ "$(net_committed "$i")" -ge "$SENT" ] || return 1; done
}
check "every validator committed all $SENT transfers" net_wait all_committed 90
for i in 0 1 2 3; do echo "# node $i: height $(net_height $i), committed $(net_committed $i)"; done
H=$(for i in 0 1 2 3; do net_height $i; done | sort -n | head -1)
check "height $H reached on every node" test "${H:-0}" -gt 1
check "black holes 1..$H byte-identical on all 4 nodes (DPDK and socket mode)" net_identical "$H" 0 1 2 3
check "certificates formed" test "$(net_field 0 certificates)" -gt 0

for i in 0 1 2; do
  lrx=$(metric "$i" gx_dpdk_link_rx_datagrams_total)
  ltx=$(metric "$i" gx_dpdk_link_tx_datagrams_total)
  full=$(metric "$i" 'gx_dpdk_rx_drops_total{reason="link_ring_full"}')
  echo "# node $i: link rx $lrx tx $ltx ring_full $full; ingest rx $(metric "$i" gx_dpdk_rx_datagrams_total), arp replies $(metric "$i" 'gx_dpdk_neighbour_replies_total{kind="arp"}')"
  check "node $i (DPDK): consensus datagrams received and sent through the port ($lrx in, $ltx out)" \
    [ "$lrx" -gt 100 -a "$ltx" -gt 100 ]
done
check "DPDK node 1 ran two RX queues" grep -q "dpdk, 2 RX queues" "$T/node-1/log"
check "DPDK node 1 received the gossiped load through its port" \
  [ "$(metric 1 gx_dpdk_rx_datagrams_total)" -gt 0 ]
socks=$(N ss -uanH)
echo "# kernel UDP sockets in the namespace:"; printf '%s\n' "$socks" | sed 's/^/#   /'
# (the local address column only: a DPDK galaxyd's submit socket for POST
# /v1/tx is a kernel socket whose peer is its own ingest address)
check "no kernel socket holds a DPDK validator's consensus address" \
  bash -c '! awk "{print \$4}" <<<"$0" | grep -qE "^10\.78\.0\.[123]:"' "$socks"
check "the socket-mode validator's consensus socket is the kernel's" \
  bash -c 'grep -q "10\.78\.0\.4:'"$((CPORT + 3))"'" <<<"$0"' "$socks"

bad=""
for i in 0 1 2 3; do
  kill -TERM "${NET_PIDS[$i]}" 2>/dev/null; wait "${NET_PIDS[$i]}"; rc=$?; NET_PIDS[$i]=""
  [ "$rc" -eq 0 ] || bad="$bad node $i rc=$rc"
done
check "SIGTERM stops every validator with exit 0${bad:+ (}$bad${bad:+)}" [ -z "$bad" ]
rcs=0
for i in 0 1 2 3; do grep -qE 'Sanitizer|runtime error' "$T/node-$i/log" && rcs=1; done
check "no sanitizer report in the logs (SAN=1 builds)" [ "$rcs" -eq 0 ]
gx_done
