#!/usr/bin/env bash
# bench/run.sh: one command that measures the whole appliance against its
# baselines and writes a report (docs/PERFORMANCE.md explains how to read it).
#
#   bench/run.sh [--quick | --full] [--filter REGEX] [--out DIR]
#                [--build DIR] [--no-build] [--timeout SECONDS]
#
#   (default)   every benchmark, 3 repetitions of >= 0.5 s each, interleaved at random
#               across the suite's benchmarks (compare.sh's noise)
#   --quick     every suite, smallest argument of each family (all worker counts),
#               one repetition of >= 0.05 s: the CI smoke run, under 3 minutes
#   --full      every benchmark, 5 interleaved repetitions of >= 1 s each
#   --filter R  only benchmarks whose name matches the Google Benchmark regex R
#               (their paired baselines still run); suites left out are reported
#               "filtered out"
#   --out DIR   results directory (default build/bench/<UTC time>; build/bench/latest
#               then points at it)
#   --build DIR release build directory, relative to the repository root
#               (default build/release); --no-build uses the gx_bench already there
#   --timeout S per-suite limit in seconds (default 120 quick, 900 otherwise)
#
# What it does: builds gx_bench with `make RELEASE=1`, lists its benchmarks,
# runs each suite (benchmarks named SUITE/...) in its own gx_bench process
# together with the baselines bench/pairs.txt pairs it with, so that a crash or
# hang costs one suite and every figure sits beside its baseline measured in the
# same process; then bench/e2e.sh (the local network end to end), then
# bench/machine.sh, then bench/report.py.
# Output in DIR: json/SUITE.json (Google Benchmark JSON, one per process),
# benchmarks.json (all of them merged), summary.json, report.md, workers.png,
# commit_latency.png, ratios.png, committed_series.png, machine.json, run.json,
# cpu.tsv (how busy the machine was: the report warns when other work loaded
# it), pairs.txt, logs/.
# Exit: 0 every suite that ran succeeded; 1 a suite failed or the build failed
# (the report is still written when gx_bench exists); 2 bad usage.
set -u
caller=$PWD
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
prog=bench/run.sh
usage() { sed -n '2,/^# What it does/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
fail_usage() { echo "$prog: $*" >&2; exit 2; }

mode=standard filter="" out="" build="" do_build=1 timeout_s=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --filter) [ $# -ge 2 ] || fail_usage "--filter needs a regex"; filter=$2; shift ;;
    --filter=*) filter=${1#--filter=} ;;
    --out) [ $# -ge 2 ] || fail_usage "--out needs a directory"; out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    --build) [ $# -ge 2 ] || fail_usage "--build needs a directory"; build=$2; shift ;;
    --build=*) build=${1#--build=} ;;
    --no-build) do_build=0 ;;
    --timeout) [ $# -ge 2 ] || fail_usage "--timeout needs seconds"; timeout_s=$2; shift ;;
    --timeout=*) timeout_s=${1#--timeout=} ;;
    -h|--help) usage; exit 0 ;;
    *) fail_usage "unknown option '$1' (try --help)" ;;
  esac
  shift
done
[ -z "$timeout_s" ] || [[ $timeout_s =~ ^[1-9][0-9]*$ ]] || fail_usage "--timeout wants whole seconds, got '$timeout_s'"

case $mode in
  quick) min_time=0.05; reps=1; timeout_s=${timeout_s:-120} ;;
  full) min_time=1; reps=5; timeout_s=${timeout_s:-900} ;;
  *) min_time=0.5; reps=3; timeout_s=${timeout_s:-900} ;;
esac
# Repetitions are interleaved at random across the benchmarks of a process, so
# that a figure and its baseline see the same moments of the machine's load and
# the spread of the repetitions shows that load.
interleave=false
[ "$reps" -gt 1 ] && interleave=true
stamp=$(date -u +%Y%m%dT%H%M%SZ)
latest=0
if [ -z "$out" ]; then out=build/bench/$stamp; latest=1
elif [[ $out != /* ]]; then out=$caller/$out; fi   # relative to where run.sh was called
build=${build:-build/release}
bin=$build/bin/gx_bench

mkdir -p "$out/json" "$out/runs" "$out/logs" || { echo "$prog: cannot create $out" >&2; exit 1; }
out=$(cd "$out" && pwd)
rm -f "$out"/json/*.json "$out"/runs/*.json "$out"/report.md "$out"/summary.json "$out"/*.png
t_start=$SECONDS
echo "bench: mode $mode, results in $out"

if [ "$do_build" = 1 ]; then
  echo "bench: building gx_bench (make RELEASE=1 B=$build)"
  if ! make --no-print-directory RELEASE=1 B="$build" -j"$(nproc)" benches >"$out/logs/build.log" 2>&1; then
    tail -n 20 "$out/logs/build.log" >&2
    echo "$prog: release build failed (log: $out/logs/build.log)" >&2
    exit 1
  fi
  # the apps, for the end-to-end run only: a failure here fails the e2e suite alone
  rm -f "$out/logs/build-apps.err"
  if ! make --no-print-directory RELEASE=1 B="$build" -j"$(nproc)" apps >"$out/logs/build-apps.log" 2>&1; then
    { echo "release build of the apps failed: $(grep -m1 -E 'error|Error' "$out/logs/build-apps.log")"; } \
      >"$out/logs/build-apps.err"
  fi
fi
if [ ! -x "$bin" ]; then
  echo "$prog: $bin does not exist (build it, or drop --no-build)" >&2
  exit 1
fi

if ! "$bin" --benchmark_list_tests >"$out/list_all.txt" 2>"$out/logs/list.err"; then
  echo "$prog: $bin --benchmark_list_tests failed: $(tail -n 1 "$out/logs/list.err")" >&2
  exit 1
fi
if [ -n "$filter" ]; then
  "$bin" --benchmark_list_tests --benchmark_filter="$filter" >"$out/list.txt" 2>>"$out/logs/list.err" ||
    fail_usage "gx_bench rejected --filter '$filter': $(tail -n 1 "$out/logs/list.err")"
else
  cp "$out/list_all.txt" "$out/list.txt"
fi
cp bench/pairs.txt "$out/pairs.txt"
python3 bench/report.py plan "$out/pairs.txt" "$out/list.txt" "$mode" "$out/list_all.txt" >"$out/plan.tsv" ||
  { echo "$prog: planning failed" >&2; exit 1; }

# run.json: how this run was made (read by report.py and compare.sh)
python3 - "$out/run.json" "$mode" "$filter" "$min_time" "$reps" "$build" "$stamp" <<'EOF'
import json, subprocess, sys
p, mode, flt, mt, reps, build, stamp = sys.argv[1:]
rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
try:
    load = " ".join(open("/proc/loadavg").read().split()[:3])
except OSError:
    load = "?"
json.dump({"mode": mode, "filter": flt, "min_time": float(mt), "repetitions": int(reps),
           "build": build, "date": stamp, "rev": rev or "unknown", "load_average_start": load},
          open(p, "w"), indent=1)
EOF

# status FILE RC SECONDS REASON: one suite's outcome as JSON
status() {
  python3 -c 'import json,sys; json.dump({"rc": int(sys.argv[2]), "seconds": int(sys.argv[3]), "reason": sys.argv[4]}, open(sys.argv[1], "w"))' "$@"
}

# cpu_mark LABEL: one line of cpu.tsv after each stretch of the run (LABEL = what
# just ran): wall time, the busy and total clock ticks of the CPUs this run may
# use (/proc/stat; hypervisor steal counts as busy, irq/softirq do not) and the
# CPU seconds of this run's own processes (bash's `times`: every child it waited
# for, their children included). report.py takes the difference as other work's
# share of the machine and warns when the run was loaded (docs/PERFORMANCE.md).
cpu_mark() {
  times >"$out/logs/times.txt"
  python3 - "$out/cpu.tsv" "$1" "$out/logs/times.txt" <<'EOF' 2>>"$out/logs/cpu_mark.err"
import os, re, sys, time
path, label, times_file = sys.argv[1:]
try:
    cpus = os.sched_getaffinity(0)
except (AttributeError, OSError):
    cpus = set(range(os.cpu_count() or 1))
busy = total = n = 0
for line in open("/proc/stat"):
    w = line.split()
    if not w or not re.fullmatch(r"cpu\d+", w[0]) or int(w[0][3:]) not in cpus:
        continue
    v = [int(x) for x in w[1:9]] + [0] * 8
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    busy += user + nice + system + steal
    total += user + nice + system + steal + idle + iowait
    n += 1
own = 0.0
lines = open(times_file).read().split("\n")
for t in (lines[1].split() if len(lines) > 1 else []):  # children's user and system time
    m = re.fullmatch(r"(\d+)m([0-9.]+)s", t)
    if m:
        own += int(m.group(1)) * 60 + float(m.group(2))
new = not os.path.exists(path)
with open(path, "a") as f:
    if new:
        f.write("# label wall_s cpus clk_tck busy_ticks total_ticks own_cpu_s\n")
    f.write("%s %.3f %d %d %d %d %.3f\n" % (label, time.time(), n, os.sysconf("SC_CLK_TCK"),
                                           busy, total, own))
EOF
}

failed=0
rm -f "$out/cpu.tsv"
cpu_mark start
while IFS=$'\t' read -r suite regex count; do
  [ -n "$suite" ] || continue
  t0=$SECONDS
  timeout --kill-after=10 "$timeout_s" "$bin" --benchmark_filter="$regex" \
    --benchmark_min_time="$min_time" --benchmark_repetitions="$reps" \
    --benchmark_enable_random_interleaving="$interleave" \
    --benchmark_out="$out/json/$suite.json" --benchmark_out_format=json \
    >"$out/logs/$suite.out" 2>"$out/logs/$suite.err" </dev/null
  rc=$?
  secs=$((SECONDS - t0))
  reason=""
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    reason="timed out after ${timeout_s}s"
  elif [ "$rc" -gt 128 ]; then
    reason="killed by signal $((rc - 128))"
  elif [ "$rc" -ne 0 ]; then
    reason="gx_bench exited $rc"
  elif ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out/json/$suite.json" 2>/dev/null; then
    reason="no valid JSON written"; rc=1
  fi
  if [ -n "$reason" ]; then
    last=$(grep -v '^\*\*\*WARNING' "$out/logs/$suite.err" | tail -n 1)
    [ -n "$last" ] && reason="$reason: $last"
    failed=$((failed + 1))
  fi
  status "$out/runs/$suite.json" "$rc" "$secs" "$reason"
  cpu_mark "$suite"
  printf 'bench:   %-10s %-6s %3d figures  (%ds)%s\n' "$suite" "$([ -z "$reason" ] && echo ok || echo FAILED)" \
    "$count" "$secs" "${reason:+  $reason}"
done <"$out/plan.tsv"

# The local network end to end: a whole-process run, by bench/e2e.sh.
run_e2e=1
if [ -n "$filter" ]; then
  if [[ $filter == -* ]]; then [[ e2e/ =~ ${filter#-} ]] && run_e2e=0
  else [[ e2e/ =~ $filter ]] || run_e2e=0; fi
fi
if [ "$run_e2e" = 0 ]; then
  mkdir -p "$out/e2e"
  echo '{"status": "filtered_out", "reason": "excluded by --filter"}' >"$out/e2e/status.json"
elif [ "$run_e2e" = 1 ]; then
  t0=$SECONDS
  bench/e2e.sh --out "$out/e2e" --mode "$mode" --build "$build" >"$out/logs/e2e.log" 2>&1
  rc=$?
  st=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"] + (": " + d["reason"] if d.get("reason") else ""))' \
       "$out/e2e/status.json" 2>/dev/null || echo "failed: bench/e2e.sh wrote no status (exit $rc)")
  printf 'bench:   %-10s %s  (%ds)\n' e2e "$st" $((SECONDS - t0))
  case $st in failed*) failed=$((failed + 1)) ;; esac
  if [ ! -f "$out/e2e/status.json" ]; then
    mkdir -p "$out/e2e"
    python3 -c 'import json,sys; json.dump({"status": "failed", "reason": sys.argv[2]}, open(sys.argv[1], "w"))' \
      "$out/e2e/status.json" "bench/e2e.sh exited $rc without a status"
  fi
  python3 -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); d["seconds"]=int(sys.argv[2]); json.dump(d, open(p, "w"))' \
    "$out/e2e/status.json" $((SECONDS - t0)) 2>/dev/null
  cpu_mark e2e
fi

bench/machine.sh "$bin" >"$out/machine.json" 2>"$out/logs/machine.err" ||
  echo "$prog: machine facts not recorded: $(tail -n 1 "$out/logs/machine.err")" >&2
if ! python3 bench/report.py report "$out"; then
  echo "$prog: report.py failed" >&2
  failed=$((failed + 1))
fi
if [ "$latest" = 1 ]; then ln -sfn "$stamp" build/bench/latest; fi
echo "bench: done in $((SECONDS - t_start))s: $out/report.md"
[ "$failed" -eq 0 ]
