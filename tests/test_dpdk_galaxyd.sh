#!/usr/bin/env bash
# One pipeline, two dataplanes: the same `star load` (same seed: the same
# transfers, corrupted signatures and duplicate datagrams) into galaxyd in
# socket mode and then in DPDK mode (net_af_packet on a veth), across a real
# veth between two network namespaces. Both runs must give the same verified,
# failed, duplicate and mempool counts, equal to what star sent; in DPDK mode
# every datagram is counted by the DPDK port and ARP is answered by DPDK. A
# third run uses two DPDK RX queues (two RX threads) and must agree too. The
# one-queue DPDK run busy-polls (ingest.rx_busy_poll = 1).
# Also: --check-config reports the DPDK pre-flight, and says exactly why DPDK
# mode cannot start on a missing interface.
# Needs root (namespaces), python3, curl.
set -u
. "$(dirname "$0")/lib.sh"
nsK="gxgk$$"; nsD="gxgd$$"
tmp=$(gx_tmpdir dpdk-galaxyd)
gd_pid=
cleanup() {
  [ -n "$gd_pid" ] && kill -KILL "$gd_pid" 2>/dev/null && wait "$gd_pid" 2>/dev/null
  ip netns del "$nsK" 2>/dev/null; ip netns del "$nsD" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ "$(id -u)" -ne 0 ] || [ ! -x "$BIN/galaxyd" ] || [ ! -x "$BIN/star" ]; then
  not_ok "needs root, $BIN/galaxyd and $BIN/star"; gx_done; exit 1
fi
K() { ip netns exec "$nsK" "$@"; }
D() { ip netns exec "$nsD" "$@"; }
ip netns add "$nsK" && ip netns add "$nsD" || { not_ok "ip netns add"; gx_done; exit 1; }
K ip link set lo up; D ip link set lo up
K ip link add vK type veth peer name vD netns "$nsD"
K ip addr add 10.77.0.1/24 dev vK
K ip link set vK up
D sysctl -qw net.ipv6.conf.vD.disable_ipv6=1
D ip link set vD up
# veth would leave UDP checksums to "hardware": the af_packet end would see
# partial checksums (ETHTOOL_STXCSUM off, as `ethtool -K vK tx off` does).
K "$GX_ROOT/deploy/tx-csum-off.py" vK

HTTP=9109
DPDK_SET=(--set node.mode=dpdk --set dpdk.port=net_af_packet0,iface=vD
          --set dpdk.ipv4=10.77.0.2 --set dpdk.udp_port=7100)
dmetric() { D curl -sf "http://127.0.0.1:$HTTP/metrics" | awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }'; }
dmetric_sum() {
  D curl -sf "http://127.0.0.1:$HTTP/metrics" |
    awk -v f="$1" 'index($1, f) == 1 && (length($1) == length(f) || substr($1, length(f) + 1, 1) == "{") { v += $2 } END { print v + 0 }'
}
start() { # name, galaxyd args...
  local name=$1; shift
  # (not through D: $! must be galaxyd itself, which ip netns exec becomes)
  ip netns exec "$nsD" "$BIN/galaxyd" --set metrics.listen="127.0.0.1:$HTTP" "$@" \
    >"$tmp/$name.log" 2>&1 &
  gd_pid=$!
  for _ in $(seq 1 100); do
    D curl -sf "http://127.0.0.1:$HTTP/metrics" >/dev/null 2>&1 && return 0
    kill -0 "$gd_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop() {
  kill -TERM "$gd_pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$gd_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$gd_pid" 2>/dev/null && kill -KILL "$gd_pid"
  wait "$gd_pid"; gd_rc=$?; gd_pid=
}
# run NAME galaxyd-args...: one load; leaves "T C U D ok failed dups inserted held rx" in $tmp/NAME.res
run() {
  local name=$1; shift
  check "$name: galaxyd starts" start "$name" "$@" || { sed 's/^/# /' "$tmp/$name.log"; return 1; }
  local s
  s=$(K "$BIN/star" load --galaxy 10.77.0.2:7100 --accounts 100 --rate 3000 --duration 1 \
        --corrupt-every 10 --duplicate-every 4 --seed 11 2>/dev/null)
  echo "# $name star: $s"
  local T C U Dg
  T=$(star_field "$s" transfers); C=$(star_field "$s" corrupted)
  U=$(star_field "$s" duplicates); Dg=$(star_field "$s" datagrams)
  done_verifying() {
    [ $(($(dmetric gx_verify_ok_total) + $(dmetric_sum gx_verify_failed_total))) -ge "$T" ] &&
      [ "$(dmetric 'gx_queue_depth{queue="mempool"}')" -eq 0 ]
  }
  wait_until 30 done_verifying
  echo "$T $C $U $Dg $(dmetric gx_verify_ok_total) $(dmetric_sum gx_verify_failed_total)" \
       "$(dmetric gx_dedup_duplicates_total) $(dmetric gx_mempool_inserted_total)" \
       "$(dmetric gx_mempool_transfers) $(dmetric gx_rx_datagrams_total)" \
       "$(dmetric gx_dpdk_rx_datagrams_total)" \
       "$(dmetric 'gx_dpdk_neighbour_replies_total{kind="arp"}')" >"$tmp/$name.res"
  stop
  check "$name: SIGTERM stops galaxyd with exit 0 (rc=$gd_rc)" [ "$gd_rc" -eq 0 ]
  check "$name: no sanitizer report in the log (SAN=1 builds)" \
    bash -c "! grep -qE 'Sanitizer|runtime error' '$tmp/$name.log'"
}
wait_until() { # SECONDS COMMAND...: polls until the command succeeds (bounded)
  local secs=$1; shift
  for _ in $(seq 1 $((secs * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}
star_field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# ---- --check-config ----
out=$(D "$BIN/galaxyd" --check-config "${DPDK_SET[@]}" 2>&1); rc=$?
check "check-config in DPDK mode passes and reports hugepages, lcores, port (rc=$rc)" \
  bash -c '[ '"$rc"' -eq 0 ] && grep -q "^hugepages:" <<<"$0" && grep -q "^lcores:" <<<"$0" && grep -q "dpdk: can start" <<<"$0"' "$out"
out=$(D "$BIN/galaxyd" --check-config "${DPDK_SET[@]}" --set dpdk.port=net_af_packet0,iface=nosuch0 2>&1); rc=$?
check "check-config names why DPDK cannot start (missing interface, rc=$rc)" \
  bash -c '[ '"$rc"' -eq 2 ] && grep -q "cannot start: interface nosuch0 of port" <<<"$0"' "$out"

# ---- socket mode: vD is an ordinary kernel interface ----
D ip addr add 10.77.0.2/24 dev vD
run socket --set node.mode=socket --set node.listen=10.77.0.2:7100
D ip addr flush dev vD
K ip neigh flush dev vK
# ---- DPDK mode: the same interface, taken over by net_af_packet ----
run dpdk "${DPDK_SET[@]}" --set ingest.rx_busy_poll=1 # the RX thread never sleeps

K ip neigh flush dev vK
# ---- DPDK mode with two RX queues (af_packet qpairs=2, two RX threads) ----
run dpdk2 "${DPDK_SET[@]}" --set dpdk.port=net_af_packet0,iface=vD,qpairs=2 \
  --set dpdk.rx_queues=2 --set cores.rx=0,1

read -r T C U Dg s_ok s_bad s_dup s_ins s_held s_rx _ _ <"$tmp/socket.res"
read -r T2 C2 U2 Dg2 d_ok d_bad d_dup d_ins d_held d_rx d_port d_arp <"$tmp/dpdk.res"
echo "# socket: ok=$s_ok failed=$s_bad dups=$s_dup inserted=$s_ins held=$s_held rx=$s_rx"
echo "# dpdk:   ok=$d_ok failed=$d_bad dups=$d_dup inserted=$d_ins held=$d_held rx=$d_rx port=$d_port arp=$d_arp"
check "star sent the same load twice ($T transfers, $C corrupted, $U duplicate datagrams)" \
  [ "$T" = "$T2" -a "$C" = "$C2" -a "$U" = "$U2" -a "$Dg" = "$Dg2" -a "${T:-0}" -gt 0 ]
check "socket mode: every valid transfer verified once ($s_ok = $T - $C)" [ "$s_ok" -eq $((T - C)) ]
check "same verified count in both modes ($s_ok = $d_ok)" [ "$s_ok" -eq "$d_ok" ]
check "same failed-signature count ($s_bad = $d_bad = $C)" [ "$s_bad" -eq "$d_bad" -a "$d_bad" -eq "$C" ]
check "same duplicates dropped by dedup ($s_dup = $d_dup)" [ "$s_dup" -eq "$d_dup" -a "$d_dup" -gt 0 ]
check "same mempool inserts ($s_ins = $d_ins)" [ "$s_ins" -eq "$d_ins" -a "$d_ins" -gt 0 ]
check "same mempool size ($s_held = $d_held)" [ "$s_held" -eq "$d_held" ]
check "same datagrams reached RX ($s_rx = $d_rx = $Dg + $U)" [ "$s_rx" -eq "$d_rx" -a "$d_rx" -eq $((Dg + U)) ]
check "DPDK port delivered every datagram to the pipeline ($d_port)" [ "$d_port" -eq "$d_rx" ]
check "DPDK answered the kernel's ARP ($d_arp replies)" [ "$d_arp" -ge 1 ]
read -r _ _ _ _ q_ok q_bad q_dup q_ins q_held q_rx q_port _ <"$tmp/dpdk2.res"
echo "# dpdk2:  ok=$q_ok failed=$q_bad dups=$q_dup inserted=$q_ins held=$q_held rx=$q_rx port=$q_port"
check "2 DPDK queues: same verified/failed/duplicates/mempool as socket mode" \
  [ "$q_ok" -eq "$s_ok" -a "$q_bad" -eq "$s_bad" -a "$q_dup" -eq "$s_dup" -a "$q_ins" -eq "$s_ins" -a "$q_held" -eq "$s_held" ]
check "2 DPDK queues: every datagram through the port ($q_port = $q_rx = $s_rx)" \
  [ "$q_port" -eq "$q_rx" -a "$q_rx" -eq "$s_rx" ]
gx_done
