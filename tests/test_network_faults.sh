#!/usr/bin/env bash
# Faults on a 4-validator network:
#  1. one Byzantine validator (authenticated and unauthenticated garbage,
#     equivocating broadcasts, signatures on black holes nobody committed):
#     the 3 honest nodes stay safe (identical black holes) and live (commit
#     the whole load), and count what they refused;
#  2. 10% random datagram loss on every link (nftables in a network namespace
#     this test creates): the network still commits everything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir faults)
NS=gxfaults$$
cleanup() { net_stop; ip netns del "$NS" 2>/dev/null; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi; }
trap cleanup EXIT
S="$BIN/star"
committed_on() { # node want
  local got=0 s
  for addr in $(awk '/^\[balances\]/{b=1;next} /^\[/{b=0} b && NF==3{print $1}' "$NET_DIR/genesis/genesis.ini"); do
    s=$(net_curl "$(net_api "$1")/v1/account/$addr" | jq -r .seq); got=$((got + ${s:-0}))
  done
  [ "$got" -ge "$2" ]
}

# ---- 1. a Byzantine validator --------------------------------------------------------
BASE=$(net_pick_base 4)
net_setup "$T/byz" 4 "$BASE" --fund-load-seed 3 --fund-load-accounts 50 --fund-amount 1000000 ||
  { not_ok "genesis"; gx_done; exit 1; }
echo "byzantine = garbage,equivocate,badsig" >>"$T/byz/node-3/galaxyd.ini"
net_start
"$S" load --galaxy "127.0.0.1:$BASE" --accounts 50 --rate 500 --duration 4 --seed 3 \
  --api "$(net_api 0)" >"$T/byz-load" 2>&1
check "honest nodes commit all 2000 transfers beside a Byzantine one" \
  net_wait "committed_on 0 2000 && committed_on 1 2000 && committed_on 2 2000" 60
H=$(for i in 0 1 2; do net_height $i; done | sort -n | head -1)
check "honest nodes hold identical black holes 1..$H" net_identical "$H" 0 1 2
link_bad() { curl -sf "$(net_api "$1")/metrics" | awk '/^gx_link_datagrams_total\{outcome="(bad_tag|malformed)"\}/{s+=$2} END{print s+0}'; }
check "unauthenticated garbage refused by the links (honest nodes count it)" bash -c "[ $(link_bad 0) -gt 0 ] && [ $(link_bad 1) -gt 0 ]"
cdrop() { curl -sf "$(net_api "$1")/metrics" | awk '/^gx_consensus_dropped_total\{reason="(malformed|rbc_refused|ba_refused)"\}/{s+=$2} END{print s+0}'; }
check "authenticated garbage dropped by the consensus decoders" bash -c "[ $(cdrop 0) -gt 0 ]"
check "certificates still form from honest signatures" bash -c "[ \$(curl -sf $(net_api 0)/v1/raw/cert/$H | wc -c) -gt 0 ]"
check "honest nodes report no failure" bash -c "
  $(declare -f net_field net_status net_curl net_api); NET_BASE=$BASE
  for i in 0 1 2; do [ \"\$(net_field \$i healthy)\" = true ] || exit 1; done"
net_stop

# ---- 2. 10% datagram loss -----------------------------------------------------------
if ! ip netns add "$NS" 2>/dev/null; then
  ok "10% loss (skipped: cannot create a network namespace here) # SKIP"; gx_done; exit $?
fi
ip netns exec "$NS" ip link set lo up
NET_PREFIX="ip netns exec $NS"
BASE=$(net_pick_base 4)
# Loss on the links between validators: consensus (BASE+100..) and gossip into
# nodes 1..3. The client's datagrams to node 0 and the HTTP API are spared, so
# every transfer enters the network and must commit despite the loss.
ip netns exec "$NS" nft add table inet gxloss &&
  ip netns exec "$NS" nft add chain inet gxloss in '{ type filter hook input priority 0; }' &&
  ip netns exec "$NS" nft add rule inet gxloss in udp dport "{ $((BASE + 1))-$((BASE + 3)), $((BASE + 100))-$((BASE + 103)) }" numgen random mod 10 0 counter drop
check "10% random UDP loss installed on the validators' links" bash -c "ip netns exec $NS nft list ruleset | grep -q 'mod 10'"
net_setup "$T/loss" 4 "$BASE" --fund-load-seed 4 --fund-load-accounts 50 --fund-amount 1000000 ||
  { not_ok "genesis"; gx_done; exit 1; }
net_start
$NET_PREFIX "$S" load --galaxy "127.0.0.1:$BASE" --accounts 50 --rate 300 --duration 4 --seed 4 \
  --api "$(net_api 0)" >"$T/loss-load" 2>&1
check "the network commits all 1200 transfers under 10% link loss" \
  net_wait "committed_on 0 1200 && committed_on 3 1200" 90
H=$(for i in 0 1 2 3; do net_height $i; done | sort -n | head -1)
check "black holes 1..$H identical under loss" net_identical "$H" 0 1 2 3
DROPS=$(ip netns exec "$NS" nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
check "the loss really dropped datagrams (${DROPS:-0})" test "${DROPS:-0}" -gt 100
net_stop
gx_done
