#!/usr/bin/env bash
# End to end on loopback: 4 galaxyd validators commit star transfers; every
# node holds byte-identical black holes; balances add up to the genesis supply;
# replays, double spends, broken chain links and overdrafts are rejected with
# the right reason; a node killed with SIGKILL leaves the other 3 committing,
# and once restarted it catches up (sync with certificates) and rejoins.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir net); trap 'net_stop; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
S="$BIN/star"
BASE=$(net_pick_base 4)
# wallets for the invalid-transfer checks, funded at genesis
for w in a b c; do "$S" keygen --dir "$T/$w" >/dev/null 2>&1; done
A=$("$S" address --dir "$T/a"); B=$("$S" address --dir "$T/b"); C=$("$S" address --dir "$T/c")
net_setup "$T" 4 "$BASE" --fund-load-seed 7 --fund-load-accounts 100 --fund-amount 1000000 \
  --fund "$A=100" || { not_ok "genesis"; gx_done; exit 1; }
SUPPLY=$((100 * 1000000 + 100))
net_start
check "4 validators answer /v1/status" bash -c "for i in 0 1 2 3; do $(declare -f net_status net_curl net_api); NET_BASE=$BASE; net_status \$i >/dev/null || exit 1; done"

"$S" load --galaxy "127.0.0.1:$BASE" --accounts 100 --rate 1000 --duration 4 --seed 7 \
  --api "$(net_api 0)" >"$T/load1" 2>&1
all_committed() { # every node committed at least N transfers of the load (sum of initiator seqs)
  local want=$1
  for i in 0 1 2 3; do
    local got=0
    for addr in $(awk '/^\[balances\]/{b=1;next} /^\[/{b=0} b && NF==3{print $1}' "$T/genesis/genesis.ini"); do
      [ "$addr" = "$A" ] && continue
      s=$(net_curl "$(net_api "$i")/v1/account/$addr" | jq -r .seq); got=$((got + ${s:-0}))
    done
    [ "$got" -ge "$want" ] || return 1
  done
}
check "all 4000 transfers committed on every node" net_wait "all_committed 4000" 60
H=$(for i in 0 1 2 3; do net_height $i; done | sort -n | head -1)
check "height $H reached on every node" test "$H" -gt 1
check "black holes 1..$H byte-identical on all 4 nodes" net_identical "$H" 0 1 2 3
check "balances add up to the genesis supply on every node" bash -c "
  $(declare -f net_field net_status net_curl net_api); NET_BASE=$BASE
  for i in 0 1 2 3; do [ \"\$(net_field \$i total_balance)\" = $SUPPLY ] || exit 1; done"
check "certificates formed" test "$(net_field 0 certificates)" -gt 0
check "a validator's /metrics (chain metrics included) passes promtool with no lint" bash -c \
  "curl -sf $(net_api 1)/metrics | tee $T/metrics.txt | promtool check metrics && grep -q '^gx_blackhole_height ' $T/metrics.txt"
C1=$(net_curl "$(net_api 0)/v1/raw/cert/1" | wc -c)
check "certificate of height 1 served (>= f+1 = 2 signatures)" test "$C1" -ge $((2 + 2 * 66))

# ---- invalid transfers: right reason ---------------------------------------------
rej() { net_field "$1" "rejected.$2"; }
"$S" pay --dir "$T/a" --to "$B" --amount 10 --out "$T/h1" && "$S" cosign "$T/h1" --dir "$T/b" --out "$T/t1"
"$S" submit "$T/t1" --dir "$T/a" --galaxy "127.0.0.1:$BASE" --wait --api "$(net_api 1)" >"$T/sub1"
check "star submit --wait returns once the transfer is committed" grep -q '^committed at height' "$T/sub1"
ID1=$(head -1 "$T/sub1")
check "valid wallet transfer committed on another node too" net_wait "net_curl $(net_api 2)/v1/tx/$ID1 | grep -q '\"committed\":true'" 20
check "star tx reports it committed" bash -c "'$S' tx $ID1 --api $(net_api 3) | grep -q '^committed height'"
check "star balance: payer 90, payee 10" bash -c "'$S' balance --dir $T/a --api $(net_api 0) | grep -q ' balance 90 seq 1\$' && '$S' balance $B --api $(net_api 0) | grep -q ' balance 10 seq 1\$'"
BADB="${B:0:73}$( [ "${B:73:1}" = 0 ] && echo 1 || echo 0)"
expect_fail "star balance with a mistyped address" 2 "checksum" "$S" balance "$BADB" --api "$(net_api 0)"
# a's chain as committed (the wallet cannot know which of its transfers were rejected)
sync_wallet() { # dir addr
  local j; j=$(net_curl "$(net_api 0)/v1/account/$2") || j='{"seq":0,"head":"0000000000000000000000000000000000000000000000000000000000000000"}'
  printf 'galaxy-chain v1\nseq %s\nhead %s\npending 0\n' "$(jq -r .seq <<<"$j")" "$(jq -r .head <<<"$j")" >"$1/chain"
}
# replay: a new transfer at an already used sequence number (a's chain reset to seq 0)
cp -r "$T/a" "$T/a-old"; printf 'galaxy-chain v1\nseq 0\nhead %064d\npending 0\n' 0 >"$T/a-old/chain"
"$S" pay --dir "$T/a-old" --to "$C" --amount 1 --out "$T/h2" && "$S" cosign "$T/h2" --dir "$T/c" --out "$T/t2"
ID2=$("$S" submit "$T/t2" --dir "$T/a-old" --galaxy "127.0.0.1:$((BASE + 1))")
# (refused by the mempool, or before verification by its admission gate)
stale() { curl -sf "$(net_api 1)/metrics" | awk '/^gx_mempool_rejected_total\{reason="stale"\}|^gx_gate_drops_total\{.*reason="stale"\}/{s+=$2} END{print s+0}'; }
check "replay rejected as stale (sequence already committed) at ingest" net_wait "[ \"\$(stale)\" -ge 1 ] 2>/dev/null" 20
check "the replay is not committed" bash -c "! curl -sf $(net_api 0)/v1/tx/$ID2 >/dev/null"
# overdraft: a has 90 left (wallets re-read their committed chains: the replay
# above advanced c's wallet past what was committed)
sync_wallet "$T/a" "$A"; sync_wallet "$T/c" "$C"
"$S" pay --dir "$T/a" --to "$C" --amount 1000 --out "$T/h3" && "$S" cosign "$T/h3" --dir "$T/c" --out "$T/t3"
"$S" submit "$T/t3" --dir "$T/a" --galaxy "127.0.0.1:$BASE" >/dev/null
check "overdraft rejected with reason overdraft (on every node)" net_wait \
  "[ \$(rej 0 overdraft) -ge 1 ] && [ \$(rej 1 overdraft) -ge 1 ] && [ \$(rej 2 overdraft) -ge 1 ] && [ \$(rej 3 overdraft) -ge 1 ]" 20
sleep 1
check "a rejected transfer is not proposed again (overdraft counted once)" test "$(rej 0 overdraft)" = 1
# broken link: the right next sequence number, a wrong previous hash
sync_wallet "$T/a" "$A"; sync_wallet "$T/c" "$C"
cp -r "$T/a" "$T/a-bad"
sed -i "s/^head .*/head $(printf 'e%.0s' $(seq 64))/" "$T/a-bad/chain"
"$S" pay --dir "$T/a-bad" --to "$C" --amount 1 --out "$T/h4" && "$S" cosign "$T/h4" --dir "$T/c" --out "$T/t4"
"$S" submit "$T/t4" --dir "$T/a-bad" --galaxy "127.0.0.1:$BASE" >/dev/null
check "broken chain link rejected with reason broken_link" net_wait "[ \$(rej 0 broken_link) -ge 1 ]" 20
# double spend: two transfers at the same sequence, to different nodes at once
sync_wallet "$T/a" "$A"; sync_wallet "$T/b" "$B"; sync_wallet "$T/c" "$C"
cp -r "$T/a" "$T/a-twin"
"$S" pay --dir "$T/a" --to "$B" --amount 50 --out "$T/h5" && "$S" cosign "$T/h5" --dir "$T/b" --out "$T/t5"
"$S" pay --dir "$T/a-twin" --to "$C" --amount 50 --out "$T/h6" && "$S" cosign "$T/h6" --dir "$T/c" --out "$T/t6"
ID5=$("$S" submit "$T/t5" --dir "$T/a" --galaxy "127.0.0.1:$BASE")
ID6=$("$S" submit "$T/t6" --dir "$T/a-twin" --galaxy "127.0.0.1:$((BASE + 2))")
committed_one_of() {
  local n=0
  net_curl "$(net_api 3)/v1/tx/$ID5" | grep -q '"committed":true' && n=$((n + 1))
  net_curl "$(net_api 3)/v1/tx/$ID6" | grep -q '"committed":true' && n=$((n + 1))
  [ "$n" = 1 ]
}
check "double spend: exactly one of the two is committed" net_wait committed_one_of 20
sleep 1
check "double spend: still exactly one (the other refused as a conflict, replay or equivocation)" committed_one_of
check "balances still add up after the invalid transfers" bash -c "
  $(declare -f net_field net_status net_curl net_api); NET_BASE=$BASE
  for i in 0 1 2 3; do [ \"\$(net_field \$i total_balance)\" = $SUPPLY ] || exit 1; done"

# ---- one node killed: the others go on; restarted, it catches up ------------------
net_stop_node 3 KILL
H0=$(net_height 0)
"$S" load --galaxy "127.0.0.1:$BASE" --accounts 100 --rate 1000 --duration 3 --seed 7 \
  --api "$(net_api 0)" >"$T/load2" 2>&1
check "3 nodes keep committing with one down" net_wait "[ \$(net_field 0 transfers_committed) -ge 7000 ] && [ \$(net_height 1) -gt $((H0 + 2)) ]" 40
net_start_node 3
catch_up() { local h3 h0; h3=$(net_height 3); h0=$(net_height 0); [ -n "$h3" ] && [ "$h3" -ge "$h0" ] 2>/dev/null && [ "$h0" -gt $((H0 + 2)) ]; }
check "restarted node catches up to the others" net_wait catch_up 60
check "restarted node fetched black holes from peers (sync)" bash -c "[ \$(curl -sf $(net_api 3)/v1/status | jq .synced_blackholes) -ge 1 ]"
H1=$(net_height 3)
"$S" load --galaxy "127.0.0.1:$((BASE + 3))" --accounts 100 --rate 500 --duration 2 --seed 7 \
  --api "$(net_api 0)" >"$T/load3" 2>&1
check "restarted node rejoins: commits new black holes with the others" net_wait "[ \$(net_height 3) -gt $((H1 + 3)) ]" 30
H=$(for i in 0 1 2 3; do net_height $i; done | sort -n | head -1)
check "after the restart, black holes 1..$H still identical on all nodes" net_identical "$H" 0 1 2 3
check "balances add up on the restarted node" bash -c "[ \$(curl -sf $(net_api 3)/v1/status | jq .total_balance) = $SUPPLY ]"
check "no node reports a failure" bash -c "
  $(declare -f net_field net_status net_curl net_api); NET_BASE=$BASE
  for i in 0 1 2 3; do [ \"\$(net_field \$i healthy)\" = true ] || exit 1; done"
# ---- the whole network restarts from its stores and keeps going ---------------------
net_stop

net_start
check "after a full restart every node resumes at its stored height" net_wait "[ \$(net_height 0) -ge $H ] && [ \$(net_height 3) -ge $H ]" 30
"$S" load --galaxy "127.0.0.1:$((BASE + 1))" --accounts 100 --rate 500 --duration 2 --seed 7 \
  --api "$(net_api 1)" >"$T/load4" 2>&1
check "after a full restart, new transfers continuing the chains commit" \
  net_wait "[ \$(net_field 1 transfers_committed) -ge 1000 ]" 40
net_stop
check "SIGTERM: every node exits cleanly" bash -c "! grep -l 'AddressSanitizer\|runtime error' $T/node-*/log"
gx_done
