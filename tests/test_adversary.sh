#!/usr/bin/env bash
# Issue 19: every attack of the issue at once against a 4-validator network
# under legitimate load (run it under ASan + UBSan: make SAN=1 B=build/san,
# then GX_BUILD=build/san tests/test_adversary.sh; docs/GALAXYD.md "Tests").
# The attacks, all from outside, with only the bytes of docs/PROTOCOL.md and
# HTTP (tests/udp_attack.py, tests/http_attack.py):
#  - junk accounts: correctly signed transfers of fresh unfunded keys (star
#    load's chains of an unfunded seed: the seq-2 half, a prev matching
#    nothing, then the seq-1 half) to every validator;
#  - far-future transfers of accounts with no history: fresh keys at seq 65
#    and 2^62, a genesis account that never transacted at seq 1000, each
#    re-sent 100s of times (and a fresh key at seq 64, the last one admitted);
#  - malformed batch datagrams, one kind per parse reason, and transfers with
#    a bad initiator or counterparty signature;
#  - on the consensus ports: raw junk (random, short, wrong type, 1473, 2000
#    and 8000 bytes) and link datagrams sealed with validator 3's key whose
#    payload is 1437 or 2000 bytes (over the 1436 maximum), beside 1436 ones;
#  - a double spend: one account signs two transfers at one sequence, sent to
#    validators 1 and 2 at once;
#  - HTTP on validator 0: slowloris on the public listener (more dribblers than
#    it admits) and 8 dribblers on the admin listener, a client holding more
#    admin connections than one client may, 500 concurrent GET /v1/status,
#    URLs with an escaped NUL, GET and HEAD with a small body.
# Asserted while it runs: the legitimate load commits in every 5 s window
# after warm-up, a genesis-funded account that never transacted pays, and
# /v1/status and /metrics answer every probe on the admin listener; at the
# end: >= 90% of the offered legitimate transfers committed, the same black
# holes and state on all 4 validators, supply exact, one side of the double
# spend committed and the other's proof kept, each attack counted under its
# documented metric and reason, peak RSS within the documented 1 GiB, no
# sanitizer report, every validator alive and exiting 0 on SIGTERM.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/ingest_lib.sh"
T=$(gx_tmpdir adv)
BG=()
cleanup() {
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
  net_stop
  if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap cleanup EXIT
S="$BIN/star"
HA="python3 $GX_ROOT/tests/http_attack.py"
UA="python3 $GX_ROOT/tests/udp_attack.py"
t0=$SECONDS
say() { echo "# t=$((SECONDS - t0)) s: $*"; }
# Under ASan everything runs 2-3x slower on the same 2 cores: less load.
SAN=0
ldd "$BIN/galaxyd" 2>/dev/null | grep -q libasan && SAN=1
if [ $SAN = 1 ]; then RATE=40 JUNK=1000; else RATE=100 JUNK=2000; fi
WARM=6 ATTACK=16 # seconds of load before the attacks, and of attacks
LOAD_S=$((WARM + ATTACK + 2))
echo "# build $GX_BUILD (sanitizers: $SAN): legitimate load $RATE/s for $LOAD_S s, $JUNK junk pairs"

BASE=$(net_pick_base 4)
PORTS="$BASE $((BASE + 1)) $((BASE + 2)) $((BASE + 3))"
LINKS="$((BASE + 100)) $((BASE + 101)) $((BASE + 102)) $((BASE + 103))"
# wallets: a (funded, pays during the attack), d (funded, the double spender),
# e (funded, its transfer is sent with bad signatures), f1..f3 (fresh keys,
# far-future), b1..b5 counterparties
for w in a d e f1 f2 f3 b1 b2 b3 b4 b5; do "$S" keygen --dir "$T/$w" >/dev/null 2>&1; done
addr() { "$S" address --dir "$T/$1"; }
net_node_extra() { # junk bounds small enough to be reached; an API slowloris can fill
  printf '[mempool]\nmax_unknown = 400\nunknown_ttl = 16\n'
  printf '[api]\nconnections = 24\nconnections_per_ip = 8\nrequest_timeout_ms = 2000\n'
}
net_setup "$T" 4 "$BASE" --fund-load-seed 7 --fund-load-accounts 50 --fund-amount 1000000 \
  --fund "$(addr a)=100" --fund "$(addr d)=100" --fund "$(addr e)=100" ||
  { not_ok "genesis"; gx_done; exit 1; }
SUPPLY=$(sed -n 's/^#.* supply \([0-9]*\).*/\1/p' "$T/genesis/genesis.ini")

# ---- the attackers' material, signed before the network starts ---------------------
# junk: pairs of an unfunded seed, two transfers each (seq 1, then seq 2)
"$S" load --galaxy "127.0.0.1:$(gx_free_port)" --accounts "$JUNK" --rate $((2 * JUNK)) --duration 1 \
  --seed 4242 --dump "$T/junk.hex" >"$T/junk.log" 2>&1
xfer() { # FROM TO AMOUNT OUT [CHAIN_SEQ]: FROM's transfer, FROM's chain starting at CHAIN_SEQ
  local w=$1
  if [ -n "${5:-}" ]; then # a chain file that says FROM already signed CHAIN_SEQ transfers
    w="$1-at-$5"; cp -r "$T/$1" "$T/$w"
    printf 'galaxy-chain v1\nseq %s\nhead %s\npending 0\n' "$5" "$(printf 'f%.0s' $(seq 64))" >"$T/$w/chain"
  fi
  "$S" pay --dir "$T/$w" --to "$(addr "$2")" --amount "$3" --out "$4.half" >/dev/null 2>&1 &&
    "$S" cosign "$4.half" --dir "$T/$2" --out "$4" >/dev/null 2>&1
}
xfer f1 b5 1 "$T/far64" 63                   # seq 64 = 1 + max_future - 1: the last admitted
xfer f2 b5 1 "$T/far65" 64                   # seq 65: too far
xfer f3 b5 1 "$T/far_max" 4611686018427387903 # seq 2^62
xfer a b5 1 "$T/far_a" 999                   # a genesis account that never transacted, seq 1000
xfer a b1 10 "$T/pay_a"
cp -r "$T/d" "$T/d2"                         # the same account and sequence: a double spend
xfer d b2 30 "$T/ds1"
xfer d2 b3 40 "$T/ds2"
xfer e b4 1 "$T/bad_e"
seqs=$(cd "$T" && python3 -c 'import sys
for f in sys.argv[1:]: print(int.from_bytes(bytes.fromhex(open(f).read().split()[0])[74:82], "little"), end=" ")' \
  far64 far65 far_max far_a ds1 ds2)
check "attack material: $(wc -l <"$T/junk.hex") junk datagrams; sequences $seqs" \
  test "$(wc -l <"$T/junk.hex")" = $((2 * JUNK / 5)) -a "$seqs" = "64 65 4611686018427387904 1000 1 1 "

say "attack material ready"
net_start
check "4 validators up, height 2 reached" net_wait '[ "$(net_height 0)" -ge 2 ] && [ "$(net_height 3)" -ge 2 ]' 30
say "network up"
API0=$((BASE + 200)) ADMIN0=$((BASE + 300))
# validator I's admin listener (the public one of validator 0 is under attack)
admin_get() { curl -sf --max-time 5 -H "Authorization: Bearer $NET_TOKEN" "$(net_admin "$1")$2"; }
metrics_of() { curl -sf --max-time 5 "$(net_admin "$1")/metrics"; }
committed() { admin_get "$1" /v1/status | jq -r .transfers_committed; }
mv() { awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }' "$1"; } # FILE SERIES
# datagrams the kernel dropped for a full receive buffer on a loopback UDP port
# (before galaxyd could count them: /proc/net/udp, last column)
kdrops() { awk -v p=":$(printf '%04X' "$1")" 'substr($2, length($2) - 4) == p { d += $NF } END { print d + 0 }' /proc/net/udp; }

# ---- legitimate load and the probe of validator 0 ----------------------------------------
# star load to validator 0's ingest; its --resend reads validator 3's public API
# (validator 0's is the slowloris target)
C0=$(committed 0)
"$S" load --galaxy "127.0.0.1:$BASE" --accounts 50 --rate "$RATE" --duration "$LOAD_S" --seed 7 \
  --api "$(net_api 3)" --resend 2 >"$T/load.out" 2>"$T/load.err" &
LOAD=$!; BG+=($LOAD)
LOAD_T0=$SECONDS
# every second: "t committed status_ok metrics_ok unknown_held" from validator 0's
# admin listener
( while :; do
    c=$(admin_get 0 /v1/status | jq -r .transfers_committed 2>/dev/null)
    u=$(metrics_of 0 | awk '$1 == "gx_mempool_unknown_transfers" { print $2 }')
    echo "$SECONDS ${c:-x} $([ -n "$c" ] && echo 1 || echo 0) $([ -n "$u" ] && echo "1 $u" || echo "0 0")"
    sleep 1
  done ) >"$T/probe" 2>/dev/null &
BG+=($!)
sleep "$WARM"
for i in 0 1 2 3; do metrics_of $i >"$T/m0.$i"; K0[$i]=$(kdrops $((BASE + i))); L0[$i]=$(kdrops $((BASE + 100 + i))); done
ATT_T0=$SECONDS
say "warm-up done ($(($(committed 0) - C0)) committed): attacks start"

# ---- every attack at once ----------------------------------------------------------------
run_bg() { local out=$1; shift; "$@" >"$T/$out" 2>"$T/$out.err" & BG+=($!); ATT+=($!); }
ATT=()
N2=$((JUNK / 5)) # datagrams of each half of the junk
# the seq-2 half in 1.5 s (past the quota before the first of it expires), the
# seq-1 half over 8 s
run_bg junk.out bash -c "$UA flood '$T/junk.hex' $N2 $((2 * N2)) $((N2 * 2 / 3)) $PORTS &&
  $UA flood '$T/junk.hex' 0 $N2 $((N2 / 8)) $PORTS"
COPIES=150
run_bg far.out $UA resend $COPIES 60 "$T/far64" "$T/far65" "$T/far_max" "$T/far_a" -- $PORTS
run_bg garbage.out $UA garbage "$ATTACK" 100 "$T/bad_e" $PORTS
run_bg badsig.out $UA badsig "$T/bad_e" 40 $PORTS
run_bg link.out $UA link "$T/genesis/node-3.key" "$T/genesis/genesis.ini" $LINKS
run_bg slowloris.out $HA slowloris "$API0" "$ADMIN0" "$NET_TOKEN" 10 8
SLOW=$!
run_bg idle.out $HA idle "$ADMIN0" 127.0.0.5 16 "$NET_TOKEN"
run_bg malformed.out $HA malformed "$API0" "$ATTACK"
sleep 2
# the double spend, to validators 1 and 2 at once: each gets one side first and
# the other right after (as gossip would bring it when no queue is long)
$UA at_once "$T/ds1" $((BASE + 1)) "$T/ds2" $((BASE + 2)) "$T/ds2" $((BASE + 1)) "$T/ds1" $((BASE + 2)) >/dev/null
# a genesis-funded account that never transacted pays, through validator 2
"$S" submit "$T/pay_a" --dir "$T/a" --galaxy "127.0.0.1:$((BASE + 2))" --wait --api "$(net_api 3)" \
  --timeout 30 >"$T/pay_a.out" 2>&1 &
PAY=$!; BG+=($PAY)
wait $SLOW # the slowloris is over: 500 at once on the public listener
run_bg burst.out $HA burst "$API0" 500 50
for p in "${ATT[@]}"; do wait "$p" 2>/dev/null; done
say "attacks over ($((SECONDS - ATT_T0)) s)"
wait $PAY; pay_rc=$?
check "during the attacks a genesis-funded account that never transacted pays ($(tail -1 "$T/pay_a.out"))" \
  test "$pay_rc" = 0
wait $LOAD; load_rc=$?
OFFERED=$(star_field "$(cat "$T/load.out")" transfers)
check "star load ran through the attacks (rc $load_rc, offered ${OFFERED:-?})" \
  test "$load_rc" = 0 -a "${OFFERED:-0}" -ge $((RATE * LOAD_S * 9 / 10))
WANT=$((C0 + (${OFFERED:-0} * 9 + 9) / 10))
check "legitimate load: >= 90% of the $OFFERED offered committed (by the load's end + 20 s)" \
  net_wait "[ \"\$(committed 0)\" -ge $WANT ]" 20
say "committed since the load began: $(($(committed 0) - C0)) of $OFFERED offered (+ the wallets')"
sleep 1.5

# ---- while it ran ------------------------------------------------------------------------
# committed transfers in every 5 s window from the end of the warm-up to the end of the load
windows=$(awk -v a=$((LOAD_T0 + WARM)) -v b=$((LOAD_T0 + LOAD_S)) '
  $3 == 1 && $1 >= a - 1 { t[n] = $1; c[n] = $2; n++ }
  END { for (i = 0; i < n; i++) { if (t[i] + 5 > b) break
          for (j = i; j < n && t[j] < t[i] + 5; j++); if (j == n) break
          d = c[j] - c[i]; printf "%d ", d; if (d <= 0) bad++ }
        exit bad > 0 }' "$T/probe"); wrc=$?
check "committed in every 5 s window after the warm-up (${windows:-none})" test $wrc = 0 -a -n "$windows"
probes=$(awk -v a=$((LOAD_T0 + WARM)) -v b=$((ATT_T0 + ATTACK)) '$1 >= a && $1 <= b { n++; s += $3; m += $4 }
  END { printf "%d %d %d", n, s, m }' "$T/probe")
read -r np ns nm <<<"$probes"
umax=$(awk '$5 > m { m = $5 } END { print m + 0 }' "$T/probe")
check "validator 0 never held more unknown accounts' transfers than [mempool] max_unknown (at most $umax of 400)" \
  test "$umax" -ge 1 -a "$umax" -le 400
check "validator 0's admin listener answered every /v1/status ($ns of $np) and /metrics ($nm of $np) probe" \
  test "$np" -ge 2 -a "$ns" = "$np" -a "$nm" = "$np"

# ---- HTTP ----------------------------------------------------------------------------------
jqc() { jq -e "$1" "$T/$2" >/dev/null; } # jqc FILTER FILE
echo "# slowloris: $(cat "$T/slowloris.out")"
check "slowloris: the admin listener answered every probe (/metrics, /v1/status, sync)" \
  jqc '.probes.admin_ok >= 10 and (.probes.admin_fail | length) == 0' slowloris.out
check "slowloris: public dribblers cut at the deadline (408) or refused (503), none reset; the listener serves after" \
  jqc '(.answers | keys - ["408:request_timeout", "503:connections_full", "503:client_connections_full"]) == [] and .answers["503:connections_full"] >= 1 and .answers["408:request_timeout"] >= 24 and .after == 200' slowloris.out
check "slowloris: admin dribblers cut at its deadline (408), none reset" \
  jqc '(.admin_answers | keys - ["408:request_timeout"]) == []' slowloris.out
echo "# admin connection flood: $(cat "$T/idle.out")"
check "admin: a 17th connection of one client is answered 503 client_connections_full; another client is served" \
  jqc '.status == 503 and .code == "client_connections_full" and .other_client == 200' idle.out
echo "# burst: $(cat "$T/burst.out")"
check "500 concurrent /v1/status: each 200 or 503, none reset" \
  jqc '(keys - ["200", "503"]) == [] and (.["200"] // 0) >= 1 and ((.["200"] // 0) + (.["503"] // 0)) == 500' burst.out
echo "# malformed HTTP: $(cat "$T/malformed.out")"
# (a request still unanswered after 10 s, "0:TimeoutError", is allowed: on a
# host whose cores other work starves; never a close without a status line)
FULL='"503:connections_full", "503:client_connections_full", "0:TimeoutError"'
check "escaped NUL in the path: 400 nul_in_url (or 503 while full), always a status line" \
  jqc "[.nul_blackhole, .nul_tx] | all(keys - [\"400:nul_in_url\", $FULL] == [] and .[\"400:nul_in_url\"] >= 1)" malformed.out
check "GET with a small body: 400 body_not_allowed (or 503 while full); HEAD with one: 400" \
  jqc "(.get_body | keys - [\"400:body_not_allowed\", $FULL] == [] and .[\"400:body_not_allowed\"] >= 1) and (.head_body | keys - [\"400:-\", $FULL] == [] and .[\"400:-\"] >= 1)" malformed.out

# ---- counted, by reason, on every validator -----------------------------------------------
no_junk_left() {
  for i in 0 1 2 3; do [ "$(metrics_of $i | awk '$1 == "gx_mempool_unknown_transfers" { print $2 }')" = 0 ] || return 1; done
}
check "the junk left expires ([mempool] unknown_ttl = 16 rounds): no unknown account's transfer held on any validator" \
  net_wait no_junk_left 30
for i in 0 1 2 3; do metrics_of $i >"$T/m1.$i"; done
d() { echo $(($(mv "$T/m1.$1" "$2") - $(mv "$T/m0.$1" "$2"))); } # NODE SERIES: increase
echo "# junk: $(cat "$T/junk.out" | tr '\n' ' '); far: $(cat "$T/far.out"); bad signatures: $(cat "$T/badsig.out")"
echo "# garbage sent: $(cat "$T/garbage.out")"
junk_sent=$((2 * N2 * 5))
# Every datagram is counted by galaxyd under its reason, unless the kernel
# dropped it first (receive buffer full while the host starves the RX thread:
# K, /proc/net/udp); K is 0 on a host with the cores to spare.
for i in 0 1 2 3; do
  K=$(($(kdrops $((BASE + i))) - K0[i]))
  held=$(d $i 'gx_mempool_unknown_total{outcome="held"}')
  busy=$(d $i 'gx_ingress_drops_total{reason="unknown_busy"}')
  qfull=$(d $i 'gx_ingress_drops_total{reason="verify_queue_full"}')
  ev=$(mv "$T/m1.$i" 'gx_mempool_unknown_total{outcome="evicted"}')
  ex=$(mv "$T/m1.$i" 'gx_mempool_unknown_total{outcome="expired"}')
  now=$(mv "$T/m1.$i" gx_mempool_unknown_transfers)
  cap=$(mv "$T/m1.$i" gx_mempool_unknown_capacity)
  ttl=$(mv "$T/m1.$i" gx_mempool_unknown_ttl_rounds)
  full=$(mv "$T/m1.$i" 'gx_mempool_rejected_total{reason="accounts_full"}')
  echo "# node $i: kernel drops $K; junk held $held, dropped unknown_busy $busy, verify_queue_full $qfull; evicted $ev, expired $ex; now $now of $cap (ttl $ttl)"
  check "node $i: junk accounts counted (held or dropped by reason: $((held + busy + qfull)) of $junk_sent, kernel $K), held within the [mempool] quota (max_unknown $cap = 400: evicted $ev; unknown_ttl $ttl = 16: expired $ex), no accounts_full" \
    test $((held + busy + qfull + 5 * K)) -ge "$junk_sent" -a "$ev" -ge 1 -a "$ex" -ge 1 \
    -a "$cap" = 400 -a "$ttl" = 16 -a "$full" = 0
  # (a fresh key's far-future transfer that comes while verification is busy
  # is dropped as unknown_busy before the gate looks at its sequence)
  far=$(d $i 'gx_gate_drops_total{stage="rx",reason="too_far"}'); mfar=$(d $i 'gx_mempool_rejected_total{reason="too_far"}')
  check "node $i: far-future transfers of accounts with no history dropped unverified (gate too_far: $far of $((3 * COPIES)); unknown_busy $busy, kernel $K; the mempool refused $mfar as too far)" \
    test $((far + busy + K)) -ge $((3 * COPIES)) -a "$mfar" = 0
  bad=""
  for r in $(jq -r 'keys[]' "$T/garbage.out"); do
    want=$(jq -r ".$r" "$T/garbage.out"); got=$(d $i "gx_parse_errors_total{reason=\"$r\"}")
    [ $((got + K)) -ge "$want" ] || bad="$bad $r:$got<$want"
  done
  check "node $i: every malformed datagram counted under its reason (short of:${bad:- none}; kernel $K)" test -z "$bad"
  vi=$(d $i 'gx_verify_failed_total{signature="initiator"}'); vc=$(d $i 'gx_verify_failed_total{signature="counterparty"}')
  check "node $i: bad signatures counted (initiator $vi, counterparty $vc; 40 each sent; kernel $K)" \
    test $((vi + K)) -ge 40 -a $((vc + K)) -ge 40
done
for i in 0 1 2; do # validator 3's key sealed the link datagrams
  K=$(($(kdrops $((BASE + 100 + i))) - L0[i]))
  mal=$(d $i 'gx_link_datagrams_total{outcome="malformed"}'); rep=$(d $i 'gx_link_datagrams_total{outcome="replay"}')
  big=$(d $i 'gx_sock_rx_oversize_total{queue="link"}')
  check "node $i: link junk counted: malformed $mal >= 140 (payload over 1436, sealed or not; short; bad type), replay $rep >= 20 (sealed 1436, old boot), over the socket's slot $big = 20 (kernel $K)" \
    test $((mal + K)) -ge 140 -a $((rep + K)) -ge 20 -a $((big + K)) -ge 20 -a "$big" -le 20
done
e1=$(mv "$T/m1.1" gx_equivocations_seen_total); e2=$(mv "$T/m1.2" gx_equivocations_seen_total)
check "the double spend seen as an equivocation by validators 1 and 2 (gx_equivocations_seen_total $e1, $e2)" \
  test "$e1" -ge 1 -a "$e2" -ge 1
for _ in 1 2 3; do curl -sf --max-time 10 -o "$T/eq.json" "$(net_api 1)/v1/equivocations" && break; sleep 1; done
check "validator 1 serves the proof: account d, both transfers (GET /v1/equivocations)" python3 - \
  "$(cat "$T/eq.json")" "$(addr d)" "$T/ds1" "$T/ds2" <<'PY'
import json, sys
j, want = json.loads(sys.argv[1]), {open(f).read().split()[0].lower() for f in sys.argv[3:5]}
p = [x for x in j["proofs"] if x["account"].lower() == sys.argv[2].lower()]
assert p and {p[0]["first"]["hex"], p[0]["second"]["hex"]} == want and p[0]["seq"] == 1, j
PY
http=$(awk '$1 ~ /^gx_http_(refused|deadline_closed)_total/ { printf "%s=%s ", $1, $2 }' "$T/m1.0")
echo "# validator 0 HTTP: $http"
check "HTTP refusals and deadlines counted by listener and reason" bash -c "
  [ $(mv "$T/m1.0" 'gx_http_refused_total{listener="api",reason="connections_full"}') -ge 1 ] &&
  [ $(mv "$T/m1.0" 'gx_http_refused_total{listener="admin",reason="client_connections_full"}') -ge 1 ] &&
  [ $(mv "$T/m1.0" 'gx_http_deadline_closed_total{listener="api",phase="request"}') -ge 24 ] &&
  [ $(mv "$T/m1.0" 'gx_http_deadline_closed_total{listener="admin",phase="request"}') -ge 8 ]"
rss=$(for i in 0 1 2 3; do mv "$T/m1.$i" gx_process_peak_resident_memory_bytes; done | sort -n | tail -1)
check "peak RSS within the documented 1 GiB (largest of the 4: $((rss >> 20)) MiB)" test "$rss" -le $((1 << 30))

# ---- the chain at the end ---------------------------------------------------------------
da=$(curl -sf --max-time 3 "$(net_api 1)/v1/account/$(addr d)")
b2=$(curl -sf --max-time 3 "$(net_api 1)/v1/account/$(addr b2)" | jq -r .balance); b2=${b2:-0}
b3=$(curl -sf --max-time 3 "$(net_api 1)/v1/account/$(addr b3)" | jq -r .balance); b3=${b3:-0}
check "double spend: exactly one side committed ($(jq -c '{balance,seq}' <<<"$da"); b2 $b2, b3 $b3)" \
  bash -c "[ '$(jq -r .seq <<<"$da")' = 1 ] && { [ '$b2/$b3' = 30/0 ] || [ '$b2/$b3' = 0/40 ]; }"
H=$(for i in 0 1 2 3; do net_height $i; done | sort -n | head -1)
same() { # black holes H-4..H byte-identical on the 4 (each names its predecessor's id: the same history)
  for ((k = H - 4; k <= H; k++)); do
    [ "$(for i in 0 1 2 3; do net_curl "$(net_api $i)/v1/raw/blackhole/$k" | sha256sum; done | sort -u | wc -l)" = 1 ] || return 1
  done
}
check "black holes up to height $H identical on all 4 validators" same
sup=$(for i in 0 1 2 3; do net_status $i | jq -r '"\(.supply)/\(.total_balance)/\(.healthy)"'; done | sort -u | tr '\n' ' ')
check "supply exact and every validator healthy: $sup(genesis $SUPPLY)" test "$sup" = "$SUPPLY/$SUPPLY/true "

alive=0; for i in 0 1 2 3; do kill -0 "${NET_PIDS[$i]}" 2>/dev/null && alive=$((alive + 1)); done
check "no crash: 4 of 4 validators running ($alive)" test "$alive" = 4
rcs=""
for i in 0 1 2 3; do
  kill -TERM "${NET_PIDS[$i]}"; wait "${NET_PIDS[$i]}"; rcs="$rcs$? "; NET_PIDS[$i]=""
done
check "every validator exits 0 on SIGTERM ($rcs)" test "$rcs" = "0 0 0 0 "
check "no sanitizer report in any log" bash -c "! grep -l 'Sanitizer\|runtime error' $T/node-*/log"
say "done"
gx_done
