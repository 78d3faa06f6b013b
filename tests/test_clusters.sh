#!/usr/bin/env bash
# The two-tier network end to end on loopback (docs/CLUSTERS.md): 4 galaxies
# and one Star Cluster of 4 stars, real galaxyd processes. Transfers sent to a
# star are agreed by the cluster, emitted as certified LSH blocks, sent to the
# galaxies as erasure-coded chunks, rebuilt, checked, agreed by the galaxies as
# refs and folded into black holes. Checks: every transfer commits once (no
# replay), the galaxies hold byte-identical black holes, supply is exact, a
# folded block and the clusters' chain record are served; the cluster keeps
# going with a star killed (f_c = 1); a galaxy killed with SIGKILL restarts
# from its fold record and keeps folding with the others; the killed star
# restarts and rejoins its cluster at the galaxies' folded height; junk chunk
# datagrams are counted and change nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir clusters); trap 'net_stop; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
S="$BIN/star"
BASE=$(net_pick_base 8)
NET_CLUSTERS=1 NET_CLUSTER_SIZE=4 net_setup "$T" 4 "$BASE" --fund-load-seed 11 --fund-load-accounts 40 \
  --fund-amount 1000000 || { not_ok "genesis with a cluster"; gx_done; exit 1; }
SUPPLY=$((40 * 1000000))
check "genesis: 4 galaxies and cluster 0 of 4 stars, every node with an ingest address" \
  bash -c "grep -q '^\[cluster 0 star 3\]' '$T/genesis/genesis.ini' && [ \$(grep -c '^ingest = ' '$T/genesis/genesis.ini') = 8 ]"
net_start
check "4 galaxies and 4 stars answer /v1/status" bash -c "
  $(declare -f net_status net_curl net_api); NET_BASE=$BASE
  for i in 0 1 2 3 4 5 6 7; do net_status \$i >/dev/null || exit 1; done"
metric() { # node name{labels}: the value, 0 when absent
  net_curl "$(net_api "$1")/metrics" | awk -v m="$2" '$1 == m {print $2; f=1} END {if (!f) print 0}'
}
seqsum() { # node: the sum of the load accounts' committed seqs
  local got=0 s
  for addr in $(awk '/^\[balances\]/{b=1;next} /^\[/{b=0} b && NF==3{print $1}' "$T/genesis/genesis.ini"); do
    s=$(net_curl "$(net_api "$1")/v1/account/$addr" | jq -r .seq); got=$((got + ${s:-0}))
  done
  echo "$got"
}
all_galaxies_at() { for i in 0 1 2 3; do [ "$(seqsum "$i")" -ge "$1" ] || return 1; done; }
# black hole H byte-identical on the galaxies: each black hole names its prev's
# id, so this covers 1..H (net_identical asks for every height: slow here)
tip_identical() { local h=$1; shift; net_identical_range "$h" "$h" "$@"; }

# 1. load into the cluster through star 0 (node 4)
"$S" load --galaxy "127.0.0.1:$((BASE + 4))" --accounts 40 --rate 150 --duration 6 --seed 11 >"$T/load1" 2>&1
check "star load sent 900 transfers to star 0" grep -q "transfers=900 " "$T/load1"
check "all 900 committed on every galaxy (through LSH blocks)" net_wait "all_galaxies_at 900" 90
check "the stars built, certified and sent LSH blocks" \
  bash -c "[ $(metric 4 gx_star_lsh_certified_total) -gt 0 ] && [ $(metric 5 gx_star_lsh_built_total) -gt 0 ]"
check "galaxy 0 folded LSH blocks (gx_lsh_fold_total ok > 0)" \
  test "$(metric 0 'gx_lsh_fold_total{verdict="ok"}')" -gt 0
check "ingest rebuilt them from chunks (gx_lsh_blocks_total accepted > 0)" \
  test "$(metric 0 'gx_lsh_blocks_total{verdict="accepted"}')" -gt 0
check "no transfer folded twice (replay rejections 0 on galaxy 0)" \
  test "$(metric 0 'gx_transfers_rejected_total{reason="replay"}')" = 0
H=$(for i in 0 1 2 3; do net_height $i; done | sort -n | head -1)
check "black hole $H (so 1..$H: each names its prev) byte-identical on the 4 galaxies" tip_identical "$H" 0 1 2 3
check "balances add up to the supply on every galaxy and star" bash -c "
  $(declare -f net_field net_status net_curl net_api); NET_BASE=$BASE
  for i in 0 1 2 3 4; do [ \"\$(net_field \$i total_balance)\" = $SUPPLY ] || exit 1; done"
# the record of the clusters' chains at H, and the folded block it names
net_curl "$(net_api 0)/v1/raw/fold/$H" >"$T/fold.rec"
check "/v1/raw/fold/$H: one 96-byte entry for cluster 0 with height > 0" \
  bash -c "[ \$(stat -c %s '$T/fold.rec') = 96 ] && [ \$(od -An -tu8 -N8 '$T/fold.rec' | tr -d ' ') -gt 0 ]"
ID=$(od -An -tx1 -j8 -N32 "$T/fold.rec" | tr -d ' \n')
net_curl "$(net_api 1)/v1/raw/lsh/$ID" >"$T/lsh.bin"
check "/v1/raw/lsh/ID on another galaxy serves that LSH block (type 0x22)" \
  bash -c "[ \$(od -An -tx1 -j1 -N1 '$T/lsh.bin' | tr -d ' ') = 22 ]"
check "a star follows the black holes (star 1 at height >= $H)" net_wait "[ \$(net_height 5) -ge $H ]" 20

# 2. junk chunks to a galaxy: counted, nothing else
python3 - "$BASE" <<'PY'
import socket, sys, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(bytes([1, 0x23]) + os.urandom(40 + i * 20), ("127.0.0.1", int(sys.argv[1])))
PY
check "junk 0x23 datagrams counted as malformed chunks on galaxy 0" \
  net_wait "[ \$(metric 0 'gx_lsh_chunks_total{verdict=\"malformed\"}') -ge 50 ]" 10

# 3. a star down (f_c = 1): the cluster goes on; a galaxy killed and restarted
net_stop_node 7 KILL
net_stop_node 2 KILL
"$S" load --galaxy "127.0.0.1:$((BASE + 5))" --accounts 40 --rate 100 --duration 4 --seed 11 \
  --api "$(net_api 0)" >"$T/load2" 2>&1
check "with star 3 and galaxy 2 down, 400 more commit on galaxies 0, 1, 3" \
  net_wait "[ \$(seqsum 0) -ge 1300 ] && [ \$(seqsum 1) -ge 1300 ] && [ \$(seqsum 3) -ge 1300 ]" 90
net_start_node 2
check "galaxy 2 restarts from its fold record and catches up" net_wait "[ \$(seqsum 2) -ge 1300 ]" 60
grep -q "no record of the clusters' folded chains" "$T/node-2/log" && not_ok "galaxy 2 had no fold record" || ok "galaxy 2 found its fold record"
"$S" load --galaxy "127.0.0.1:$((BASE + 6))" --accounts 40 --rate 100 --duration 2 --seed 11 \
  --api "$(net_api 0)" >"$T/load3" 2>&1
check "after the restart 200 more commit on all 4 galaxies" net_wait "all_galaxies_at 1500" 60
# 4. the killed star restarts: its chain starts at 0, it rejoins at the galaxies' folded height
net_start_node 7
check "star 3 restarted rejoins its cluster (gx_star_rejoins_total >= 1)" \
  net_wait "[ \$(metric 7 gx_star_rejoins_total) -ge 1 ]" 60
# an idle cluster waits at the folded height: the rejoined star is in step with it
net_wait "[ \$(metric 7 gx_star_lsh_height) -ge \$(metric 4 gx_star_lsh_height) ]" 30
"$S" load --galaxy "127.0.0.1:$((BASE + 7))" --accounts 40 --rate 100 --duration 2 --seed 11 \
  --api "$(net_api 0)" >"$T/load4" 2>&1
check "200 more, sent to the restarted star, commit on all 4 galaxies" net_wait "all_galaxies_at 1700" 60
check "the restarted star builds its cluster's blocks again" net_wait "[ \$(metric 7 gx_star_lsh_built_total) -gt 0 ]" 30
H=$(for i in 0 1 2 3; do net_height $i; done | sort -n | head -1)
check "black hole $H byte-identical on the 4 galaxies after the restarts" tip_identical "$H" 0 1 2 3
for i in 0 1 2 3 4 5 6 7; do
  if grep -q "AddressSanitizer\|runtime error" "$T/node-$i/log"; then not_ok "node $i: sanitizer report"; fi
done
gx_done
