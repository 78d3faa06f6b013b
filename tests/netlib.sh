# Helpers for tests that run a local Galaxy network (source after lib.sh).
# net_setup DIR N BASE [FUND_ARGS...]: genesis + configs for N validators;
# ports: ingest BASE+i, consensus BASE+100+i, public HTTP API BASE+200+i (also
# /metrics), admin HTTP BASE+300+i ([admin] listen: /metrics and catch-up sync
# between the validators, which needs the bearer token in DIR/admin.token;
# net_admin, NET_TOKEN).
# NET_PREFIX (optional): command prefix to run galaxyd (e.g. "ip netns exec X").
# NET_HOSTS (optional): the validators' addresses, one for all or one each
# ("10.78.0.1,10.78.0.2,..."); default 127.0.0.1. HTTP stays on 127.0.0.1.
# net_node_extra (optional function): `net_node_extra I` prints INI text
# appended to validator I's config (later keys override: a [node] mode, a
# [dpdk] section, other [cores]...).
NET_PIDS=()
# A base port P below the ephemeral range (32768+) such that the ingest (P+i),
# consensus (P+100+i), API (P+200+i) and admin (P+300+i) ports of n nodes are
# all free now.
net_pick_base() { ${NET_PREFIX:-} python3 "$GX_ROOT/tests/free_base_port.py" "${1:-4}"; }
net_host() { # i: validator i's address
  local hosts=${NET_HOSTS:-127.0.0.1}
  case $hosts in *,*) echo "$hosts" | cut -d, -f$(($1 + 1)) ;; *) echo "$hosts" ;; esac
}
net_setup() {
  local dir=$1 n=$2 base=$3; shift 3
  # NET_CLUSTERS=K NET_CLUSTER_SIZE=C (optional): K Star Clusters of C stars
  # besides the n galaxies: nodes n.. are the stars (star s: cluster s / C,
  # index s % C), each on the same port layout; the genesis gives every node
  # its ingest address; a star follows the galaxies (sync_peers) and gossips
  # with every other node.
  local k=${NET_CLUSTERS:-0} c=${NET_CLUSTER_SIZE:-4} total=$n cl=()
  if [ "$k" -gt 0 ]; then total=$((n + k * c)); cl=(--clusters "$k" --cluster-size "$c" --ingest-port-base "$base"); fi
  NET_DIR=$dir NET_N=$total NET_GALAXIES=$n NET_BASE=$base
  mkdir -p "$dir"
  NET_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077; echo "$NET_TOKEN" >"$dir/admin.token")
  "$BIN/galaxyctl" genesis --validators "$n" --out "$dir/genesis" --base-port $((base + 100)) \
    --host "${NET_HOSTS:-127.0.0.1}" "${cl[@]}" "$@" >"$dir/genesis.log" 2>&1 || { cat "$dir/genesis.log"; return 1; }
  for ((i = 0; i < total; i++)); do
    local d="$dir/node-$i" peers="" sync="" role=galaxy key="node-$i.key"
    [ "$i" -ge "$n" ] && role=star key="star-$(((i - n) / c))-$(((i - n) % c)).key"
    mkdir -p "$d"
    for ((j = 0; j < total; j++)); do
      [ $j = $i ] && continue
      peers="$peers${peers:+,}$(net_host $j):$((base + j))"
      # a star follows two galaxies (an INI line holds 199 characters: libinih)
      [ "$j" -lt "$n" ] && { [ "$i" -lt "$n" ] || [ "$j" -lt 2 ]; } &&
        sync="$sync${sync:+,}http://$NET_TOKEN@127.0.0.1:$((base + 300 + j))"
    done
    cat >"$d/galaxyd.ini" <<INI
[node]
role = $role
listen = $(net_host $i):$((base + i))
[cores]
rx = 0
verify = 0
[ingest]
items = 16384
verify_ring = 16384
dedup_entries = 262144
eal_mem_mb = 128
[mempool]
capacity = 100000
max_accounts = 16384
[gossip]
peers = $peers
[api]
listen = 127.0.0.1:$((base + 200 + i))
[admin]
listen = 127.0.0.1:$((base + 300 + i))
token_file = $dir/admin.token
[chain]
genesis = $dir/genesis/genesis.ini
node_key = $dir/genesis/$key
data_dir = $d/data
sync_peers = $sync
tick_ms = 100
idle_epoch_ms = $([ "$k" -gt 0 ] && echo 1000 || echo 200)
INI
    if declare -F net_node_extra >/dev/null; then net_node_extra "$i" >>"$d/galaxyd.ini"; fi
  done
}
net_start_node() { # i [extra galaxyd args]
  local i=$1; shift
  ${NET_PREFIX:-} "$BIN/galaxyd" -c "$NET_DIR/node-$i/galaxyd.ini" "$@" >>"$NET_DIR/node-$i/log" 2>&1 &
  NET_PIDS[$i]=$!
}
net_start() { for ((i = 0; i < NET_N; i++)); do net_start_node "$i"; done; net_wait_up; }
net_api() { echo "http://127.0.0.1:$((NET_BASE + 200 + $1))"; }
net_admin() { echo "http://127.0.0.1:$((NET_BASE + 300 + $1))"; } # needs the token but for /metrics
net_curl() { ${NET_PREFIX:-} curl -sf --max-time 2 "$@"; }
net_status() { net_curl "$(net_api "$1")/v1/status"; }
net_field() { net_status "$1" | jq -r ".$2" 2>/dev/null; }
net_wait_up() {
  for ((i = 0; i < NET_N; i++)); do
    for _ in $(seq 100); do net_status "$i" >/dev/null && break; sleep 0.1; done
  done
}
net_stop_node() { # i [signal]
  local i=$1 sig=${2:-TERM}
  [ -n "${NET_PIDS[$i]:-}" ] || return 0
  kill -"$sig" "${NET_PIDS[$i]}" 2>/dev/null; wait "${NET_PIDS[$i]}" 2>/dev/null
  NET_PIDS[$i]=""
}
net_stop() { for ((i = 0; i < NET_N; i++)); do net_stop_node "$i"; done; }
# net_wait COND_CMD TIMEOUT_S: poll until the command succeeds.
net_wait() { # the timeout is wall-clock seconds, however long one check takes
  local cmd=$1 end=$((SECONDS + ${2:-30}))
  while [ "$SECONDS" -lt "$end" ]; do eval "$cmd" && return 0; sleep 0.2; done
  eval "$cmd"
}
# Sum of transfers committed as seen by node i.
net_committed() { net_field "$1" transfers_committed; }
net_height() { net_field "$1" height; }
# 0 when nodes (list) hold byte-identical black holes at every height 1..H.
# A height that differs is asked again (up to 5 times, 1 s apart): on a loaded
# host an answer cut short by curl's timeout is not a different block.
net_identical() { local h=$1; shift; net_identical_range 1 "$h" "$@"; }
net_identical_range() { # from to nodes...
  local from=$1 h=$2; shift 2
  local try sums
  for ((k = from; k <= h; k++)); do
    for try in 1 2 3 4 5; do
      sums=$(for i in "$@"; do net_curl "$(net_api "$i")/v1/raw/blackhole/$k" | sha256sum | cut -c1-64; done | sort -u | wc -l)
      [ "$sums" = 1 ] && break
      sleep 1
    done
    [ "$sums" = 1 ] || { echo "# height $k differs between nodes $*" >&2; return 1; }
  done
}
