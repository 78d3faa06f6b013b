#!/usr/bin/env bash
# bench/e2e.sh: the "e2e" suite of bench/run.sh, the local network end to end:
# the network `make run` starts (deploy/run-local.sh: 4 galaxyd validators on
# loopback under `star load`), measured from outside through node 0's
# /v1/status and /metrics.
#
#   bench/e2e.sh --out DIR [--mode quick|standard|full] [--build DIR]
#
# BUILD/bin must hold galaxyd, galaxyctl and star (bench/run.sh builds them in
# release mode). After a warm-up (node 0 healthy with a first black hole, then
# 2 s more) it takes two scrapes a window apart (5 s quick, 20 s standard, 60 s
# full) while the load runs at --rate (GX_E2E_RATE, default 3300 transfers/s:
# about the most the reference 2-core host sustains with p99 epoch latency
# under 100 ms; above it the network is overloaded and measures overload
# control, not throughput: docs/PERFORMANCE.md).
#
# Always writes DIR/status.json: {"status": "ok" | "not_available" | "failed",
# "reason": "..."}. With "ok" also:
#   DIR/e2e.json  Google Benchmark JSON:
#     e2e/committed_transfers   items_per_second = transfers committed by node 0
#                               in the window / window seconds
#     baseline/e2e_offered_load items_per_second = the rate star load achieved
#                               (its own summary line, over the whole run)
#     baseline/e2e_verify_bound items_per_second = the host's signature
#                               verification bound for this network: cores x
#                               single-core libsodium verify rate (measured
#                               first, in this run) / (2 signatures x 4 nodes)
#     e2e/epoch_commit_latency  real_time (ms) = mean epoch commit latency in the
#                               window (gx_epoch_commit_seconds sum/count);
#                               counters p50_ms, p90_ms, p99_ms (upper bucket
#                               bounds) and epochs
#   DIR/commit_latency_hist.txt  the window's histogram: "LE_SECONDS CUMULATIVE"
#                               per bucket (drawn as commit_latency.png)
# Whenever the network ran (also on "failed"):
#   DIR/committed_series.txt    node 0's committed transfers per second over the
#                               whole run, from the progress lines run-local.sh
#                               prints (deploy/monitor.py), with the offered rate
#                               and the measured window in its header (drawn as
#                               committed_series.png; bench/report.py series)
#   DIR/net/                    the network's data and logs
# Exit: 0 ok, 3 not available, 1 failed, 2 usage.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
out="" mode=standard build=build/release
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:-}; shift ;;
    --mode) mode=${2:-}; shift ;;
    --build) build=${2:-}; shift ;;
    *) echo "bench/e2e.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out" ] || { echo "bench/e2e.sh: --out DIR is required" >&2; exit 2; }
case $mode in quick) window=5 ;; full) window=60 ;; standard) window=20 ;;
  *) echo "bench/e2e.sh: unknown mode '$mode'" >&2; exit 2 ;; esac
rate=${GX_E2E_RATE:-3300}
[[ $rate =~ ^[1-9][0-9]*$ ]] || { echo "bench/e2e.sh: GX_E2E_RATE must be a whole number" >&2; exit 2; }
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
rm -rf "$out/status.json" "$out/e2e.json" "$out/commit_latency_hist.txt" "$out/net" \
  "$out/committed_series.txt" "$out/scrape0.json" "$out/scrape1.json"

say() { # STATUS REASON
  python3 -c 'import json,sys; json.dump({"status": sys.argv[2], "reason": sys.argv[3]}, open(sys.argv[1], "w"))' \
    "$out/status.json" "$1" "$2"
  echo "e2e: $1${2:+: $2}"
}

net=deploy/run-local.sh
if [ ! -x "$net" ]; then
  say not_available "$net (the local network of 'make run') does not exist"
  exit 3
fi
why=$(head -n 1 "$out/../logs/build-apps.err" 2>/dev/null)   # left by bench/run.sh
if [ -n "$why" ]; then
  say failed "$why (galaxyd, galaxyctl and star must build in release mode)"
  exit 1
fi
for b in galaxyd galaxyctl star; do
  if [ ! -x "$build/bin/$b" ]; then
    say failed "$build/bin/$b is not built"
    exit 1
  fi
done

# The verification bound, measured before the network starts (idle machine):
# the median of 3 repetitions (one short run swung the bound by 15% when a
# previous network was still winding down).
vrate=$("$build/bin/gx_bench" --benchmark_filter='^baseline/raw_libsodium_verify$' \
          --benchmark_min_time=0.5 --benchmark_repetitions=3 --benchmark_format=json 2>/dev/null |
        python3 -c 'import json,sys; r=sorted(b["items_per_second"] for b in json.load(sys.stdin)["benchmarks"] if b.get("run_type")=="iteration"); print(r[len(r)//2])' 2>/dev/null)
[ -n "$vrate" ] || vrate=0

# A base port P with P..P+7, P+100.., P+200.. free (run-local.sh's layout).
base=$(python3 "$(dirname "$0")/../tests/free_base_port.py" 8)
[ -n "$base" ] || { say failed "no free loopback port range found"; exit 1; }
api="http://127.0.0.1:$((base + 200))"
duration=$((window + 6))   # the load (from node readiness) outlives the warm-up and the window

GX_BUILD=$build timeout --kill-after=10 $((duration + 60)) "$net" --fresh --dir "$out/net" \
  --duration "$duration" --base-port "$base" --rate "$rate" >"$out/run-local.log" 2>&1 &
npid=$!
# series: committed_series.txt from the progress lines in run-local.log, once the
# network has stopped (the window located by the scrapes, when they were taken)
series() {
  python3 "$root/bench/report.py" series "$out/run-local.log" "$out/committed_series.txt" "$rate" \
    "$out/scrape0.json" "$out/scrape1.json" 2>>"$out/scrape.err" || true
}
stop_net() { kill -TERM "$npid" 2>/dev/null; wait "$npid" 2>/dev/null; series; }

# scrape FILE: node 0's status and metrics, with the time they were taken
scrape() {
  python3 - "$api" "$1" <<'EOF'
import json, sys, time, urllib.request
api, path = sys.argv[1:]
def get(u):
    with urllib.request.urlopen(u, timeout=2) as r:
        return r.read().decode()
t = time.monotonic()
st = json.loads(get(api + "/v1/status"))
m = get(api + "/metrics")
h, s, c = [], None, None
for line in m.splitlines():
    if line.startswith("gx_epoch_commit_seconds_bucket{"):
        le = line.split('le="')[1].split('"')[0]
        h.append([None if le == "+Inf" else float(le), float(line.split()[-1])])
    elif line.startswith("gx_epoch_commit_seconds_sum "):
        s = float(line.split()[-1])
    elif line.startswith("gx_epoch_commit_seconds_count "):
        c = float(line.split()[-1])
json.dump({"t": t, "status": st, "hist": h, "sum": s, "count": c}, open(path, "w"))
EOF
}

ready=0
for _ in $(seq 120); do
  if ! kill -0 "$npid" 2>/dev/null; then break; fi
  if python3 -c 'import json,sys,urllib.request; s=json.load(urllib.request.urlopen(sys.argv[1]+"/v1/status", timeout=1)); sys.exit(0 if s.get("healthy") and s.get("height", 0) > 0 else 1)' "$api" 2>/dev/null; then
    ready=1; break
  fi
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  stop_net
  say failed "the network never reported a healthy node 0 with a black hole: $(grep -v '^\[' "$out/run-local.log" | tail -n 1)"
  exit 1
fi
sleep 2
if ! scrape "$out/scrape0.json" 2>"$out/scrape.err"; then
  stop_net; say failed "scraping node 0 failed: $(tail -n 1 "$out/scrape.err")"; exit 1
fi
sleep "$window"
if ! scrape "$out/scrape1.json" 2>>"$out/scrape.err"; then
  stop_net; say failed "scraping node 0 failed: $(tail -n 1 "$out/scrape.err")"; exit 1
fi
wait "$npid"
rc=$?
series
load=$(cat "$out/net/load.out" 2>/dev/null)
if ! python3 - "$out" "$load" "$rate" "$window" "$vrate" "$(nproc)" <<'EOF'
import json, re, sys
out, load, rate, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
vrate, cores = float(sys.argv[5]), int(sys.argv[6])
a, b = (json.load(open("%s/scrape%d.json" % (out, i))) for i in (0, 1))
secs = b["t"] - a["t"]
tx = b["status"]["transfers_committed"] - a["status"]["transfers_committed"]
rows = []
def row(name, **kw):
    r = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
         "repetition_index": 0, "threads": 1, "iterations": 1, "real_time": secs * 1e3,
         "cpu_time": secs * 1e3, "time_unit": "ms"}
    r.update(kw)
    rows.append(r)
row("e2e/committed_transfers", items_per_second=tx / secs, transfers=tx, window_seconds=secs,
    height_start=a["status"]["height"], height_end=b["status"]["height"])
m = re.search(r"\brate=([0-9.]+)", load)
if m:
    row("baseline/e2e_offered_load", items_per_second=float(m.group(1)), configured_rate=rate)
if vrate > 0:
    row("baseline/e2e_verify_bound", items_per_second=vrate * cores / (2 * 4),
        single_core_verify_per_second=vrate, cores=cores, nodes=4)
# the window's histogram: cumulative counts per upper bound
base = {le: c for le, c in a["hist"]}
hist = [(le, c - base.get(le, 0.0)) for le, c in b["hist"]]
n = hist[-1][1] if hist else 0
with open(out + "/commit_latency_hist.txt", "w") as f:
    f.write("# le_seconds cumulative_epochs (node 0, %.1f s window)\n" % secs)
    for le, c in hist:
        f.write("%s %d\n" % ("inf" if le is None else repr(le), c))
def q(p):
    for le, c in hist:
        if c >= p * n:
            return None if le is None else le * 1e3
    return None
if n > 0 and a["sum"] is not None and b["sum"] is not None:
    mean_ms = (b["sum"] - a["sum"]) / n * 1e3
    kw = {"epochs": n}
    for p in (50, 90, 99):
        v = q(p / 100)
        if v is not None:
            kw["p%d_ms" % p] = v
    row("e2e/epoch_commit_latency", **dict(kw, real_time=mean_ms, cpu_time=mean_ms, iterations=int(n)))
json.dump({"context": {"date": "", "executable": "bench/e2e.sh", "library_build_type": "release"},
           "benchmarks": rows}, open(out + "/e2e.json", "w"), indent=1)
if tx <= 0:
    sys.exit("node 0 committed no transfer in the window")
EOF
then
  say failed "no usable figures (load: ${load:-none}; run-local exit $rc)"
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  say failed "deploy/run-local.sh exited $rc: $(grep -v '^\[' "$out/run-local.log" | tail -n 1)"
  exit 1
fi
say ok ""
