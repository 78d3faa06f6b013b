#!/usr/bin/env bash
# make run: a local Galaxy network on loopback, under load, with live progress.
#
#   deploy/run-local.sh [--nodes N] [--rate R] [--accounts K] [--duration S]
#                       [--dir DIR] [--base-port P] [--fresh] [--dpdk]
#                       [--clusters K [--cluster-size C]]
#
# N galaxyd validators in socket mode (default 4) share one genesis that funds
# the load accounts and a faucet wallet (DIR/faucet: how a new user gets coins
# is printed at start); `star load` drives transfers into node 0 (gossip
# spreads them), continuing every account's chain from the committed state, so
# running it again resumes from the stored chain (--rate 0: no load). Every
# second one line: height, committed transfers/s, p50/p99 epoch commit
# latency, mempool depth and each node's health. Ctrl-C (or the end of
# --duration; 0 with --rate 0: until Ctrl-C) stops everything cleanly; a
# `star load` that fails stops the run with its error. Data, configs and logs
# live under DIR (default ./run/local); an existing DIR keeps its genesis, and
# options that contradict it (--nodes, --accounts, --base-port, --dpdk) are
# refused with the reason.
# Ports: ingest P+i, consensus P+100+i, HTTP API (and metrics) P+200+i, admin
# HTTP (metrics, catch-up sync between the validators) P+300+i; P=7600.
# --dpdk (root): the validators run in DPDK mode instead, on one Ethernet
# segment made for the run: a network namespace with a bridge and a veth per
# validator (net_af_packet), validator i at 10.79.0.(i+1), the load sent from
# the bridge's 10.79.0.100; ingest, gossip and consensus all go through the
# DPDK ports, HTTP stays on the namespace's loopback. Data in ./run/local-dpdk.
# --clusters K (socket mode): the two-tier network of docs/CLUSTERS.md: besides
# the N galaxies, K Star Clusters of C stars each (--cluster-size, default 4)
# as nodes N.. on the same port layout (galaxyd [node] role = star); the load
# goes to the stars (each transfer to a star of its home cluster, learnt from
# /v1/clusters when star load routes; else to the first star) and reaches the
# galaxies as LSH blocks. Data in ./run/local-clusters.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${GX_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
BIN="$BUILD/bin"
NODES=4 RATE=2000 ACCOUNTS=200 DURATION=60 DIR="" BASE=7600 FRESH=0 DPDK=0 CLUSTERS=0 CSIZE=4
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
GIVEN=" " # the options given on the command line (an existing DIR must agree)
while [ $# -gt 0 ]; do
  case "$1" in --nodes|--rate|--accounts|--duration|--dir|--base-port|--clusters|--cluster-size)
    [ $# -ge 2 ] || { echo "run-local: $1 needs a value" >&2; exit 2; }
    GIVEN="$GIVEN$1 " ;;
  esac
  case "$1" in
    --nodes) NODES=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --accounts) ACCOUNTS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --base-port) BASE=$2; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --dpdk) DPDK=1; shift ;;
    --clusters) CLUSTERS=$2; shift 2 ;;
    --cluster-size) CSIZE=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-local: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in NODES RATE ACCOUNTS DURATION BASE CLUSTERS CSIZE; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "run-local: --${v,,} must be a whole number" >&2; exit 2; }
done
[ "$NODES" -ge 4 ] || { echo "run-local: --nodes must be at least 4 (N >= 3f+1 with f >= 1)" >&2; exit 2; }
[ "$DURATION" -gt 0 ] || [ "$RATE" = 0 ] ||
  { echo "run-local: --duration 0 (run until Ctrl-C) goes with --rate 0 (no load)" >&2; exit 2; }
[ "$CLUSTERS" -le 16 ] || { echo "run-local: --clusters is at most 16" >&2; exit 2; }
if [ "$CSIZE" -lt 4 ] || [ "$CSIZE" -gt 16 ]; then
  echo "run-local: --cluster-size must be 4..16 (n_c >= 3 f_c + 1 with f_c >= 1)" >&2; exit 2
fi
[ "$CLUSTERS" = 0 ] || [ "$DPDK" = 0 ] ||
  { echo "run-local: --clusters runs in socket mode only (stars have no DPDK mode yet)" >&2; exit 2; }
[ -n "$DIR" ] || DIR="$ROOT/run/local$([ "$DPDK" = 1 ] && echo -dpdk)$([ "$CLUSTERS" -gt 0 ] && echo -clusters)"
given() { [[ $GIVEN == *" $1 "* ]]; }
# An existing DIR keeps its genesis: what it was made with (DIR/run.conf,
# written with the genesis; a DIR from before has the validator count only)
# wins over the defaults, and a given option that contradicts it is refused.
if [ "$FRESH" = 0 ] && [ -f "$DIR/genesis/genesis.ini" ]; then
  refuse() { echo "run-local: $1 contradicts $DIR: $2 (leave the option out, use another --dir, or --fresh to start over)" >&2; exit 2; }
  have=$(grep -c '^\[validator ' "$DIR/genesis/genesis.ini")
  have_k=$(grep -c '^\[cluster [0-9]*\]' "$DIR/genesis/genesis.ini")
  given --clusters && [ "$CLUSTERS" != "$have_k" ] && refuse "--clusters $CLUSTERS" "its genesis has $have_k clusters"
  given --nodes && [ "$NODES" != "$have" ] && refuse "--nodes $NODES" "its genesis has $have validators"
  NODES=$have
  if [ -f "$DIR/run.conf" ]; then
    r_accounts=$(sed -n 's/^accounts=//p' "$DIR/run.conf"); r_base=$(sed -n 's/^base_port=//p' "$DIR/run.conf")
    r_mode=$(sed -n 's/^mode=//p' "$DIR/run.conf")
    if given --accounts && [ "$ACCOUNTS" -gt "${r_accounts:-0}" ]; then
      refuse "--accounts $ACCOUNTS" "its genesis funds $r_accounts load accounts"
    fi
    given --accounts || ACCOUNTS=${r_accounts:-$ACCOUNTS}
    given --base-port && [ "$BASE" != "$r_base" ] &&
      refuse "--base-port $BASE" "its validators' consensus addresses are on base port $r_base"
    BASE=${r_base:-$BASE}
    mode=socket; [ "$DPDK" = 1 ] && mode=dpdk
    [ "$mode" != "${r_mode:-$mode}" ] &&
      refuse "$([ "$DPDK" = 1 ] && echo "--dpdk" || echo "a socket-mode run (no --dpdk)")" "it was made for $r_mode mode"
  fi
fi
NS="" IN_NS=()
if [ "$DPDK" = 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "run-local: --dpdk needs root (network namespace, veths)" >&2; exit 2; }
  [ "$NODES" -le 99 ] || { echo "run-local: --dpdk runs at most 99 nodes" >&2; exit 2; }
  NS="gxrun$$"
  IN_NS=(ip netns exec "$NS")
fi
host_of() { if [ "$DPDK" = 1 ]; then echo "10.79.0.$(($1 + 1))"; else echo 127.0.0.1; fi; }
[ "$FRESH" = 1 ] && rm -rf "$DIR"
mkdir -p "$DIR"
G="$DIR/genesis"
FAUCET="$DIR/faucet" FAUCET_COINS=1000000000000
if [ ! -f "$G/genesis.ini" ]; then
  hosts=""
  for ((i = 0; i < NODES; i++)); do hosts="$hosts${hosts:+,}$(host_of $i)"; done
  # the faucet: a star wallet this network funds, for a new user's first coins
  rm -rf "$FAUCET"
  "$BIN/star" keygen --dir "$FAUCET" >/dev/null 2>"$DIR/genesis.log" || { cat "$DIR/genesis.log" >&2; exit 1; }
  "$BIN/galaxyctl" genesis --validators "$NODES" --out "$G" --base-port $((BASE + 100)) \
    --host "$hosts" --fund-load-seed 1 --fund-load-accounts "$ACCOUNTS" \
    --fund-amount 1000000000000 --fund "$("$BIN/star" address --dir "$FAUCET")=$FAUCET_COINS" \
    $([ "$CLUSTERS" -gt 0 ] && echo "--clusters $CLUSTERS --cluster-size $CSIZE --ingest-port-base $BASE") \
    >"$DIR/genesis.log" 2>&1 || { cat "$DIR/genesis.log" >&2; exit 1; }
  printf 'nodes=%s\naccounts=%s\nbase_port=%s\nmode=%s\n' "$NODES" "$ACCOUNTS" "$BASE" \
    "$([ "$DPDK" = 1 ] && echo dpdk || echo socket)" >"$DIR/run.conf"
fi
NODES=$(grep -c '^\[validator ' "$G/genesis.ini")
CLUSTERS=$(grep -c '^\[cluster [0-9]*\]' "$G/genesis.ini")
STARS=$(grep -c '^\[cluster [0-9]* star ' "$G/genesis.ini")
[ "$CLUSTERS" -gt 0 ] && CSIZE=$((STARS / CLUSTERS))
TOTAL=$((NODES + STARS))
PIDS=()
cleanup() {
  trap - INT TERM EXIT
  [ -n "${LOAD_PID:-}" ] && kill "$LOAD_PID" 2>/dev/null
  [ -n "${MON_PID:-}" ] && kill "$MON_PID" 2>/dev/null && wait "$MON_PID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
  echo "run-local: stopped; data kept in $DIR (run again to resume, --fresh to start over)"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT
if [ "$DPDK" = 1 ]; then
  ip netns add "$NS" || exit 1
  "${IN_NS[@]}" ip link set lo up
  "${IN_NS[@]}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  "${IN_NS[@]}" ip link add br0 type bridge
  "${IN_NS[@]}" ip addr add 10.79.0.100/24 dev br0
  "${IN_NS[@]}" ip link set br0 up
  for ((i = 0; i < NODES; i++)); do
    "${IN_NS[@]}" ip link add "vd$i" type veth peer name "vb$i"
    "${IN_NS[@]}" ip link set "vb$i" master br0
    "${IN_NS[@]}" ip link set "vb$i" up
    "${IN_NS[@]}" ip link set "vd$i" up
  done
  # the kernel sends from br0 (the load, ARP): finished UDP checksums, or the
  # af_packet readers would see partial ones (`ethtool -K br0 tx off`)
  "${IN_NS[@]}" "$ROOT/deploy/tx-csum-off.py" br0 || exit 1
fi
for ((i = 0; i < TOTAL; i++)); do
  d="$DIR/node-$i"; mkdir -p "$d"
  peers=""; sync=""; role=galaxy; key="$G/node-$i.key"
  # nodes NODES.. are the stars: star s of the clusters is star s % C of cluster s / C
  [ "$i" -ge "$NODES" ] && role=star key="$G/star-$(((i - NODES) / CSIZE))-$(((i - NODES) % CSIZE)).key"
  for ((j = 0; j < TOTAL; j++)); do
    [ $j = $i ] && continue
    peers="$peers${peers:+,}$(host_of $j):$((BASE + j))"
    [ "$j" -lt "$NODES" ] && sync="$sync${sync:+,}http://127.0.0.1:$((BASE + 300 + j))"
  done
  if [ "$DPDK" = 1 ]; then
    dataplane="[node]
mode = dpdk
[dpdk]
port = net_af_packet0,iface=vd$i
ipv4 = $(host_of $i)/24
udp_port = $((BASE + i))
hugepages = no"
  else
    dataplane="[node]
role = $role
listen = 127.0.0.1:$((BASE + i))"
  fi
  cat >"$d/galaxyd.ini" <<INI
; written by deploy/run-local.sh for validator $i of a local network
$dataplane
[cores]
rx = 0
verify = 0-$(( $(nproc) - 1 ))
[ingest]
; a verify queue of about a second of this host's verification: under
; overload ingress drops early instead of queueing ~20 s of transfers, so a
; wallet's re-send gets through in seconds (docs/RUN.md)
items = 16384
verify_ring = 8192
dedup_entries = 1048576
[mempool]
capacity = 200000
max_accounts = 65536
; room for a few seconds of one account's transfers ahead of its committed
; head (star load pays 10+ transfers/s per account), so a short stall does not
; push later transfers out of the window
max_future = 256
[gossip]
peers = $peers
[api]
listen = 127.0.0.1:$((BASE + 200 + i))
[admin]
listen = 127.0.0.1:$((BASE + 300 + i))
[chain]
genesis = $G/genesis.ini
node_key = $key
data_dir = $d/data
sync_peers = $sync
INI
  "${IN_NS[@]}" "$BIN/galaxyd" -c "$d/galaxyd.ini" >>"$d/galaxyd.log" 2>&1 &
  PIDS+=($!)
done
if [ "$DPDK" = 1 ]; then
  echo "run-local: $NODES validators in DPDK mode (net_af_packet on veths in network namespace $NS), data in $DIR"
  echo "  inspect with: ip netns exec $NS curl -s http://127.0.0.1:$((BASE + 200))/metrics"
else
  echo "run-local: $NODES validators on 127.0.0.1$([ "$CLUSTERS" -gt 0 ] && echo " and $CLUSTERS Star Clusters of $CSIZE stars (nodes $NODES..$((TOTAL - 1)))"), data in $DIR"
fi
for ((i = 0; i < TOTAL; i++)); do
  what=node; [ "$i" -ge "$NODES" ] && what="star $(((i - NODES) % CSIZE)) of cluster $(((i - NODES) / CSIZE)), node"
  echo "  $what $i: transfers udp $(host_of $i):$((BASE + i))  metrics http://127.0.0.1:$((BASE + 200 + i))/metrics  api http://127.0.0.1:$((BASE + 200 + i))/v1/status"
done
API0="http://127.0.0.1:$((BASE + 200))"
for _ in $(seq 50); do "${IN_NS[@]}" curl -sf "$API0/v1/status" >/dev/null && break; sleep 0.2; done
# Coins for a new user: the faucet wallet, funded at genesis, pays; the user
# co-signs (every transfer carries both signatures). docs/STAR.md walks it.
if [ -f "$FAUCET/key" ]; then
  "$BIN/star" init --dir "$FAUCET" --api "$API0" --galaxy "$(host_of 0):$BASE" 2>/dev/null
  X="$BIN/star"; [ "$DPDK" = 1 ] && X="ip netns exec $NS $BIN/star"
  echo "run-local: coins for a new user: the faucet wallet $FAUCET (funded at genesis) pays, you co-sign:"
  echo "  $X keygen      # once: your wallet in \$STAR_DIR or ~/.star"
  echo "  $X init --api $API0 --galaxy $(host_of 0):$BASE"
  echo "  $X pay --dir $FAUCET --to \$($X address) --amount 1000 --out gift.half"
  echo "  $X cosign gift.half --out gift.tx"
  echo "  $X submit gift.tx --dir $FAUCET --wait"
  echo "  $X balance"
  echo "  (docs/STAR.md: a new user on make run)"
else
  echo "run-local: $DIR has no faucet wallet (its genesis is older than the faucet): --fresh makes one"
fi
LOAD_PID="" MON_PID=""
if [ "$RATE" -gt 0 ]; then
  # clusters: the load goes to the stars (a galaxy proposes LSH blocks, not transfers)
  "${IN_NS[@]}" "$BIN/star" load --galaxy "$(host_of 0):$((BASE + (CLUSTERS > 0 ? NODES : 0)))" --accounts "$ACCOUNTS" --rate "$RATE" \
    --duration "$DURATION" --api "$API0" --resend 2 >"$DIR/load.out" 2>"$DIR/load.log" &
  LOAD_PID=$!
fi
"${IN_NS[@]}" python3 "$ROOT/deploy/monitor.py" --base "$((BASE + 200))" --nodes "$NODES" \
  --duration "$DURATION" ${LOAD_PID:+--load-pid "$LOAD_PID"} &
MON_PID=$!
if [ -n "$LOAD_PID" ]; then
  # a load that fails (bad arguments, no funds, no network) stops the run
  wait -n -p done_pid "$LOAD_PID" "$MON_PID"; rc=$?
  if [ "${done_pid:-}" = "$LOAD_PID" ]; then
    LOAD_PID=""
    if [ "$rc" -ne 0 ]; then
      echo "run-local: star load failed (exit $rc), stopping the run:" >&2
      tail -n 3 "$DIR/load.log" | sed 's/^/  /' >&2
      exit 1
    fi
  fi
fi
wait "$MON_PID"; MON_PID=""
[ -n "$LOAD_PID" ] && wait "$LOAD_PID"
[ "$RATE" -gt 0 ] && echo "run-local: load: $(cat "$DIR/load.out" 2>/dev/null)"
exit 0
