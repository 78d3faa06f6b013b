#!/usr/bin/env bash
# Routing of transfers to home clusters (docs/STAR.md "Routing"): a genesis
# with 2 clusters of 4 stars and ingest addresses (galaxyctl genesis
# --ingest-port-base), one galaxyd of it serving GET /v1/clusters (and
# /home/ADDR, ?known=ID), and real UDP sockets on 127.0.0.1 standing in for
# the 8 stars' ingest addresses (star nodes do not run yet). star submit and
# star load, given only the API, send every transfer to a member of its
# initiator's home cluster and never to another cluster's; the map is cached
# in the wallet (used without an API, refreshed when the API's genesis
# differs); a member that refuses is passed over for another; a cluster with
# no member left fails; an explicit --galaxy overrides routing; a flat
# network's map has no clusters, and star then sends to --galaxy as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir routing)
RECV_PIDS=()
cleanup() {
  net_stop
  for p in "${RECV_PIDS[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  [ -n "${FLAT_PID:-}" ] && kill "$FLAT_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
S="$BIN/star"

BASE=$(net_pick_base 12) || { not_ok "no free ports"; gx_done; exit 1; }
# validator 0: ingest BASE; star (c, i): ingest BASE + 1 + 4c + i, consensus BASE + 101 + 4c + i
net_setup "$T/net" 1 "$BASE" --clusters 2 --cluster-size 4 --ingest-port-base "$BASE" \
  --fund-load-seed 3 --fund-load-accounts 8 --fund-amount 1000 || { not_ok "net_setup"; gx_done; exit 1; }
G="$T/net/genesis/genesis.ini"
check "the genesis gives 9 ingest addresses" test "$(grep -c '^ingest = ' "$G")" -eq 9
net_start
API=$(net_api 0)
GID=$(awk '/^# genesis id/ {print $4}' "$G")

# ---- GET /v1/clusters -----------------------------------------------------------
jqq() { jq -e "$@" >/dev/null; }
curl -sf "$API/v1/clusters" >"$T/map.json"
check "/v1/clusters: genesis, rule, 2 clusters of 4 with their ingest addresses, the galaxy's" \
  jqq --arg g "$GID" --arg b "$BASE" '($b | tonumber) as $b |
    .genesis == $g and .rule == "shard_of_initiator_v1" and .cluster_count == 2 and (.clusters | length) == 2 and
    ([.clusters[] | .members | length] == [4, 4]) and .clusters[1].id == 1 and
    .clusters[1].members[2].ingest == "127.0.0.1:\($b + 7)" and .clusters[1].members[2].index == 2 and
    .clusters[1].members[2].address == "127.0.0.1:\($b + 107)" and (.clusters[0].members[0].identity | length) == 64 and
    .galaxies[0].ingest == "127.0.0.1:\($b)"' "$T/map.json"
check "?known=our genesis: unchanged" \
  bash -c "curl -sf '$API/v1/clusters?known=$GID' | jq -e '.unchanged == true and .genesis == \"$GID\" and (.clusters == null)' >/dev/null"
check "?known=another genesis: the whole map" \
  bash -c "curl -sf '$API/v1/clusters?known=$(printf '%064d' 0)' | jq -e '.cluster_count == 2' >/dev/null"
check "a bad query is a 400 with a code" \
  bash -c "[ \"\$(curl -s -o '$T/q' -w '%{http_code}' '$API/v1/clusters?known=xyz')\" = 400 ] && jq -e '.code == \"bad_genesis\"' '$T/q' >/dev/null &&
           [ \"\$(curl -s -o '$T/q' -w '%{http_code}' '$API/v1/clusters?bogus=1')\" = 400 ] && jq -e '.code == \"unknown_parameter\"' '$T/q' >/dev/null"

# The home cluster by the documented rule: the first 8 bytes of the key, little-endian, mod K.
home_of() { python3 -c 'import sys; print(int.from_bytes(bytes.fromhex(sys.argv[1][2:18]), "little") % 2)' "$1"; }
ok_home=1 ADDRS=()
for i in 0 1 2 3 4 5; do
  ADDRS[$i]=$("$S" keygen --dir "$T/w$i" 2>/dev/null)
  h=$(curl -sf "$API/v1/clusters/home/${ADDRS[$i]}" | jq -r '"\(.cluster) \(.members | length) \(.rule)"')
  [ "$h" = "$(home_of "${ADDRS[$i]}") 4 shard_of_initiator_v1" ] || { ok_home=0; echo "# ${ADDRS[$i]}: API says '$h'"; }
done
check "/v1/clusters/home/ADDR gives the documented rule's cluster and its members" test "$ok_home" = 1
check "/v1/clusters/home/ a bad address is a 400" \
  bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$API/v1/clusters/home/gx00')\" = 400 ]"

# ---- stand-ins for the stars: one UDP socket per ingest address ------------------
# recv_start PORT: logs "PORT HEX" per datagram to $T/recv.log
recv_start() {
  python3 -u - "$1" "$T/recv.log" "$T/ready.$1" <<'PY' &
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("127.0.0.1", port))
open(sys.argv[3], "w").close()
with open(sys.argv[2], "a") as log:
    while True:
        d = s.recv(4096)
        log.write("%d %s\n" % (port, d.hex()))
        log.flush()
PY
  RECV_PIDS[$1]=$!
  for _ in $(seq 50); do [ -e "$T/ready.$1" ] && return 0; sleep 0.05; done
}
recv_stop() { kill "${RECV_PIDS[$1]}" 2>/dev/null; wait "${RECV_PIDS[$1]}" 2>/dev/null; RECV_PIDS[$1]=""; rm -f "$T/ready.$1"; }
for ((p = BASE + 1; p <= BASE + 8; p++)); do recv_start "$p"; done
OTHER=$(gx_free_port)
recv_start "$OTHER"
# check_log: every transfer of every datagram received on a star's port has its
# initiator's home cluster there. Prints "transfers OK WRONG OTHER" (OTHER: at $OTHER).
check_log() {
  python3 - "$T/recv.log" "$BASE" "$OTHER" <<'PY'
import sys
base, other = int(sys.argv[2]), int(sys.argv[3])
n = good = bad = elsewhere = 0
for line in open(sys.argv[1]):
    port, hx = line.split()
    port, d = int(port), bytes.fromhex(hx)
    assert d[0] == 1 and d[1] == 0x10 and len(d) == 4 + d[2] * 290, "not a batch datagram"
    for k in range(d[2]):
        x = d[4 + 290 * k: 4 + 290 * (k + 1)]
        home = int.from_bytes(x[2:10], "little") % 2
        n += 1
        if port == other: elsewhere += 1
        elif (port - base - 1) // 4 == home: good += 1
        else: bad += 1
print(n, good, bad, elsewhere)
PY
}

# ---- star submit ------------------------------------------------------------------
# w0..w5 pay each other: w(i) -> w((i+1) % 6), i = initiator
make_xfer() { # i file
  local j=$(( ($1 + 1) % 6 ))
  "$S" pay --dir "$T/w$1" --to "${ADDRS[$j]}" --amount 1 --out "$2.half" 2>/dev/null &&
    "$S" cosign "$2.half" --dir "$T/w$j" --out "$2" 2>/dev/null
}
: >"$T/recv.log"
ok_submit=1
for i in 0 1 2 3 4 5; do
  make_xfer "$i" "$T/x$i" || { ok_submit=0; continue; }
  "$S" submit "$T/x$i" --dir "$T/w$i" --api "$API" >/dev/null 2>"$T/sub$i.err" || ok_submit=0
  grep -q "sent to member [0-3] of cluster $(home_of "${ADDRS[$i]}") at 127.0.0.1:" "$T/sub$i.err" || ok_submit=0
done
sleep 0.3
read -r n good bad elsewhere < <(check_log)
check "star submit --api: 6 transfers, each at a member of its initiator's home cluster ($good of $n, $bad elsewhere)" \
  bash -c "[ $ok_submit = 1 ] && [ '$n' = 6 ] && [ '$good' = 6 ] && [ '$bad' = 0 ] && [ '$elsewhere' = 0 ]"
check "the map is cached in the wallet with its genesis" \
  bash -c "jq -e '.genesis == \"$GID\" and .cluster_count == 2' '$T/w0/clusters' >/dev/null"

# the cache without an API; a cache of another genesis refreshed from the API
: >"$T/recv.log"
make_xfer 0 "$T/y0" && "$S" submit "$T/y0" --dir "$T/w0" >/dev/null 2>"$T/y0.err"; rc=$?
sleep 0.2
read -r n good bad elsewhere < <(check_log)
check "no API: routed by the cached map" bash -c "[ $rc = 0 ] && [ '$n $good' = '1 1' ]"
sed -i "s/\"genesis\":\"$GID\"/\"genesis\":\"$(printf '%064d' 7)\"/" "$T/w1/clusters"
: >"$T/recv.log"
make_xfer 1 "$T/y1" && "$S" submit "$T/y1" --dir "$T/w1" --api "$API" >/dev/null 2>"$T/y1.err"; rc=$?
sleep 0.2
read -r n good bad elsewhere < <(check_log)
check "a cached map of another genesis is refreshed from the API" \
  bash -c "[ $rc = 0 ] && grep -q 'another genesis than the cached cluster map: map refreshed' '$T/y1.err' &&
           jq -e '.genesis == \"$GID\"' '$T/w1/clusters' >/dev/null && [ '$n $good' = '1 1' ]"

# --galaxy overrides routing
: >"$T/recv.log"
make_xfer 2 "$T/y2" && "$S" submit "$T/y2" --dir "$T/w2" --api "$API" --galaxy "127.0.0.1:$OTHER" >/dev/null 2>&1; rc=$?
sleep 0.2
read -r n good bad elsewhere < <(check_log)
check "an explicit --galaxy overrides routing" bash -c "[ $rc = 0 ] && [ '$n $elsewhere' = '1 1' ]"

# fallback: three of the four members of w3's home cluster refuse
H3=$(home_of "${ADDRS[3]}")
ALIVE=$((BASE + 1 + 4 * H3 + 2))
for m in 0 1 3; do recv_stop $((BASE + 1 + 4 * H3 + m)); done
: >"$T/recv.log"
fell=0 ok_fb=1
for k in 1 2 3 4; do
  make_xfer 3 "$T/z$k" || ok_fb=0
  "$S" submit "$T/z$k" --dir "$T/w3" --api "$API" >/dev/null 2>"$T/z$k.err" || ok_fb=0
  grep -q "refused (nothing listens there): trying another member" "$T/z$k.err" && fell=$((fell + 1))
done
sleep 0.2
at_alive=$(grep -c "^$ALIVE " "$T/recv.log")
check "a member that refuses is passed over: 4 of 4 at the one member left ($at_alive), after $fell fallbacks" \
  bash -c "[ $ok_fb = 1 ] && [ '$at_alive' = 4 ] && [ \$(wc -l <'$T/recv.log') = 4 ] && [ $fell -ge 1 ]"
recv_stop "$ALIVE"
make_xfer 3 "$T/z5"
"$S" submit "$T/z5" --dir "$T/w3" --api "$API" >/dev/null 2>"$T/z5.err"; rc=$?
check "no member of the home cluster takes it: exit 1, each member tried once" \
  bash -c "[ $rc = 1 ] && [ \$(grep -c 'trying another member' '$T/z5.err') = 4 ] &&
           tail -1 '$T/z5.err' | grep -qx 'star: send failed: no member of the home cluster $H3 took the transfer'"

# ---- star load: per account --------------------------------------------------------
for m in 0 1 2 3; do [ -z "${RECV_PIDS[$((BASE + 1 + 4 * H3 + m))]}" ] && recv_start $((BASE + 1 + 4 * H3 + m)); done
: >"$T/recv.log"
"$S" load --api "$API" --dir "$T/wl" --accounts 8 --rate 400 --duration 1 --seed 3 >"$T/load.out" 2>"$T/load.err"; rc=$?
sleep 0.5
read -r n good bad elsewhere < <(check_log)
sent=$(grep -o 'transfers=[0-9]*' "$T/load.out" | cut -d= -f2)
check "star load --api (no --galaxy): all $sent transfers of 8 accounts at their home clusters ($good)" \
  bash -c "[ $rc = 0 ] && [ -n '$sent' ] && [ '$n' = '$sent' ] && [ '$good' = '$sent' ] && [ '$bad' = 0 ] &&
           grep -q ' clusters=2 unroutable=0' '$T/load.out'"
check "... both clusters got datagrams" \
  bash -c "awk '{print int((\$1 - $BASE - 1) / 4)}' '$T/recv.log' | sort -u | tr -d '\n' | grep -qx 01"
for m in 0 1 3; do recv_stop $((BASE + 1 + 4 * H3 + m)); done
: >"$T/recv.log"
"$S" load --api "$API" --dir "$T/wl" --accounts 8 --rate 400 --duration 1 --seed 3 >"$T/load2.out" 2>/dev/null; rc=$?
sleep 0.5
read -r n good bad elsewhere < <(check_log)
refused=$(grep -o 'refused=[0-9]*' "$T/load2.out" | cut -d= -f2)
check "star load with 3 members of cluster $H3 down: refusals ($refused) fall back, nothing to another cluster ($good of $n)" \
  bash -c "[ $rc = 0 ] && [ '${refused:-0}' -ge 1 ] && [ '$bad' = 0 ] && [ '$elsewhere' = 0 ] && [ '$good' -gt 0 ] &&
           grep -q ' unroutable=0' '$T/load2.out'"
: >"$T/recv.log"
"$S" load --api "$API" --galaxy "127.0.0.1:$OTHER" --accounts 8 --rate 400 --duration 1 --seed 3 >"$T/load3.out" 2>/dev/null
sleep 0.3
read -r n good bad elsewhere < <(check_log)
check "star load --galaxy overrides routing (all $n at the one address)" \
  bash -c "[ '$n' -gt 0 ] && [ '$n' = '$elsewhere' ] && ! grep -q 'clusters=' '$T/load3.out'"

# ---- a flat network: no clusters, star sends to --galaxy as before ---------------------
FB=$(net_pick_base 1)
"$BIN/galaxyctl" genesis --validators 1 --out "$T/flat" --base-port $((FB + 100)) --ingest-port-base "$FB" >/dev/null
sed -e "s|$T/net/genesis/genesis.ini|$T/flat/genesis.ini|; s|$T/net/genesis/node-0.key|$T/flat/node-0.key|" \
    -e "s|127.0.0.1:$BASE\$|127.0.0.1:$FB|; s|127.0.0.1:$((BASE + 200))\$|127.0.0.1:$((FB + 200))|" \
    -e "s|127.0.0.1:$((BASE + 300))\$|127.0.0.1:$((FB + 300))|; s|$T/net/node-0/data|$T/flat/data|" \
    "$T/net/node-0/galaxyd.ini" >"$T/flat/galaxyd.ini"
"$BIN/galaxyd" -c "$T/flat/galaxyd.ini" >"$T/flat/log" 2>&1 &
FLAT_PID=$!
FAPI="http://127.0.0.1:$((FB + 200))"
for _ in $(seq 100); do curl -sf "$FAPI/v1/status" >/dev/null && break; sleep 0.1; done
check "a flat network's map: no clusters, the galaxy's ingest address" \
  bash -c "curl -sf '$FAPI/v1/clusters' | jq -e '.cluster_count == 0 and .clusters == [] and .galaxies[0].ingest == \"127.0.0.1:$FB\"' >/dev/null"
check "a flat network's home: cluster null" \
  bash -c "curl -sf '$FAPI/v1/clusters/home/${ADDRS[0]}' | jq -e '.cluster == null and .members == [] and .cluster_count == 0' >/dev/null"
"$S" keygen --dir "$T/f0" >/dev/null 2>&1; "$S" keygen --dir "$T/f1" >/dev/null 2>&1
"$S" pay --dir "$T/f0" --to "$("$S" address --dir "$T/f1")" --amount 1 --out "$T/fh" 2>/dev/null
"$S" cosign "$T/fh" --dir "$T/f1" --out "$T/fx" 2>/dev/null
"$S" init --dir "$T/f0" --api "$FAPI" --galaxy "127.0.0.1:$OTHER" 2>/dev/null
: >"$T/recv.log"
"$S" submit "$T/fx" --dir "$T/f0" >/dev/null 2>"$T/fx.err"; rc=$?
sleep 0.2
read -r n good bad elsewhere < <(check_log)
check "flat: star submit sends to the wallet's galaxy, as before" bash -c "[ $rc = 0 ] && [ '$n $elsewhere' = '1 1' ] && ! grep -q 'sent to member' '$T/fx.err'"
expect_fail "flat: star load without --galaxy says it needs one" 2 "galaxy HOST:PORT is required" \
  "$S" load --api "$FAPI" --dir "$T/f0" --accounts 2 --rate 10 --duration 1
gx_done
