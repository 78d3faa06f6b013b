#!/usr/bin/env bash
# bench/e2e.sh: the "e2e" suite of bench/run.sh, the local network end to end
# (the network that `make run` starts: galaxyd nodes under star load on loopback).
#
#   bench/e2e.sh --out DIR [--mode quick|standard|full] [--build DIR]
#
# Always writes DIR/status.json: {"status": "ok" | "not_available" | "failed",
# "reason": "..."}. With "ok" it has also written
#   DIR/e2e.json               Google Benchmark JSON, benchmarks named "e2e/..."
#                              (e.g. e2e/committed_tx with items_per_second)
#   DIR/commit_latency_ms.txt  one commit latency in milliseconds per line
# bench/report.py reads those files; nothing else is assumed.
#
# The hook: the network's start-up script, deploy/run-local.sh, takes part when
# it offers a benchmark mode, i.e. when `deploy/run-local.sh --help` mentions
# "--bench-out". e2e.sh then runs
#   deploy/run-local.sh --build BUILD --bench-out DIR --bench-seconds S
# which must run the network under load for S seconds, stop it, and leave the two
# files above in DIR. Until then this script reports "not available" with the
# reason, and never a number. Exit: 0 ok, 3 not available, 1 failed, 2 usage.
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
case $mode in quick) secs=10 ;; full) secs=120 ;; standard) secs=30 ;;
  *) echo "bench/e2e.sh: unknown mode '$mode'" >&2; exit 2 ;; esac
mkdir -p "$out" || exit 1
rm -f "$out/status.json" "$out/e2e.json" "$out/commit_latency_ms.txt"

say() { # STATUS REASON
  python3 -c 'import json,sys; json.dump({"status": sys.argv[2], "reason": sys.argv[3]}, open(sys.argv[1], "w"))' \
    "$out/status.json" "$1" "$2"
  echo "e2e: $1${2:+: $2}"
}

net=deploy/run-local.sh
if [ ! -x "$net" ]; then
  say not_available "$net (the local network of 'make run') does not exist yet"
  exit 3
fi
if ! "$net" --help 2>&1 | grep -q -- '--bench-out'; then
  say not_available "$net has no --bench-out mode yet (see bench/e2e.sh for the hook)"
  exit 3
fi
timeout --kill-after=10 $((secs + 120)) "$net" --build "$build" --bench-out "$out" --bench-seconds "$secs" \
  >"$out/run-local.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
  say failed "$net exited $rc: $(tail -n 1 "$out/run-local.log")"
  exit 1
fi
if ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["benchmarks"]' "$out/e2e.json" 2>/dev/null; then
  say failed "$net wrote no usable $out/e2e.json"
  exit 1
fi
say ok ""
