# Helpers for the galaxyd ingest/metrics integration tests (sourced, not run:
# this file is not executable). Needs tests/lib.sh first.

# gd_start NAME LISTEN METRICS_PORT [galaxyd args...]: starts galaxyd in the
# background (log in $tmp/NAME.log), sets gd_pid, waits for /metrics. LISTEN
# is a UDP port on 127.0.0.1 or a full address ("[::]:7100"). HTTP: the admin
# listener on METRICS_PORT (/metrics and the API), no public API listener.
gd_start() {
  local name=$1 udp=$2 http=$3; shift 3
  case "$udp" in *:*) ;; *) udp="127.0.0.1:$udp" ;; esac
  "$BIN/galaxyd" --set node.listen="$udp" --set admin.listen="127.0.0.1:$http" --set api.listen= \
    "$@" >"$tmp/$name.log" 2>&1 &
  gd_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$http/metrics" >/dev/null 2>&1 && return 0
    kill -0 "$gd_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# gd_stop PID [SIGNAL]: SIGTERM (or SIGNAL), then waits (bounded) for the
# exit; sets gd_rc to its exit status (137 when it had to be killed). Call it
# directly, not in $(...).
gd_stop() {
  local pid=$1 sig=${2:-TERM}
  kill -"$sig" "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  wait "$pid"; gd_rc=$?
}

# metric PORT SERIES: value of one exact series ('gx_verify_ok_total',
# 'gx_parse_errors_total{reason="short"}'); 0 when absent.
metric() {
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }'
}
# metric_sum PORT FAMILY: sum over every series of a family.
metric_sum() {
  curl -sf "http://127.0.0.1:$1/metrics" |
    awk -v f="$2" 'index($1, f) == 1 && (length($1) == length(f) || substr($1, length(f) + 1, 1) == "{") { v += $2 } END { print v + 0 }'
}

# wait_until SECONDS COMMAND...: polls until the command succeeds (bounded).
wait_until() {
  local secs=$1; shift
  for _ in $(seq 1 $((secs * 10))); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# udp_send PORT HEX|random:N|zeros:N ...: one datagram per argument to 127.0.0.1.
udp_send() {
  local port=$1; shift
  python3 - "$port" "$@" <<'EOF'
import os, socket, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for a in sys.argv[2:]:
    if a.startswith("random:"):
        b = bytearray(os.urandom(int(a[7:])))
        if b: b[0] = 0x77  # never a valid version byte
        b = bytes(b)
    elif a.startswith("zeros:"):
        b = bytes(int(a[6:]))
    else:
        b = bytes.fromhex(a)
    s.sendto(b, ("127.0.0.1", port))
    time.sleep(0.001)
EOF
}

# star_field SUMMARY KEY: the value of key=N in star load's summary line.
star_field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# pinned PID THREAD_NAME CPU_LIST: a thread of PID with that name may run on
# exactly CPU_LIST (its Cpus_allowed_list).
pinned() {
  local t
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ] || continue
    grep -qE "^Cpus_allowed_list:[[:space:]]+$3\$" "$t/status" && return 0
  done
  return 1
}
