#!/usr/bin/env bash
# bench/report.py and bench/compare.sh on a fixed result directory (real files
# written here, in the layout bench/run.sh leaves): ratios against scaled
# baselines, worker scaling, a failed figure, a crashed suite, a missing suite,
# the e2e hook's files, the plots, and compare.sh's noise rule.
set -u
GX_ROOT=${GX_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$GX_ROOT" || exit 1
. tests/lib.sh
jqq() { jq -e "$@" >/dev/null; }
work=$(gx_tmpdir bench-report)
trap '[ -n "${GX_KEEP:-}" ] || rm -rf "$work"' EXIT
d=$work/old
mkdir -p "$d/json" "$d/runs" "$d/e2e"

# row NAME ITEMS_PER_SECOND [extra json]: one Google Benchmark iteration row
row() { printf '{"name":"%s","run_name":"%s","run_type":"iteration","iterations":10,"real_time":1,"cpu_time":1,"time_unit":"ns","items_per_second":%s%s}' "$1" "$1" "$2" "${3:-}"; }
gbjson() { # rows...
  local IFS=,
  printf '{"context":{"date":"2026-11-25T00:00:00+00:00","num_cpus":2},"benchmarks":[%s]}\n' "$*"
}
cat >"$d/pairs.txt" <<'P'
suite core   codec
suite verify workers
suite gone   a suite nobody wrote
suite crash  a suite whose process dies
suite e2e    end to end
core/x              baseline/b  items_per_second  0.5
core/bad            baseline/b  items_per_second  1
verify/workers/*    baseline/b  items_per_second  0.5*N
gone/y              baseline/b  items_per_second  1
crash/z             baseline/b  items_per_second  1
P
printf '%s\n' core/x core/bad core/unpaired verify/workers/1/real_time verify/workers/2/real_time \
  crash/z baseline/b >"$d/list_all.txt"
printf 'core\t^x$\t3\nverify\t^x$\t2\ncrash\t^x$\t1\n' >"$d/plan.tsv"
echo '{"mode": "standard", "filter": "", "date": "20261125T000000Z", "rev": "abc1234"}' >"$d/run.json"
echo '{"cpu": {"model": "Test CPU", "nproc": 2, "flags": {"avx512f": true}}, "kernel": "6.1", "hugepages": {"total": 0}}' >"$d/machine.json"
gbjson "$(row core/x 900)" "$(row core/x 1100)" "$(row baseline/b 4000)" "$(row baseline/b 4000)" \
  "$(row core/bad 0 ',"error_occurred":true,"error_message":"verify failed"')" "$(row core/unpaired 5)" \
  >"$d/json/core.json"
gbjson "$(row verify/workers/1/real_time 1900)" "$(row verify/workers/2/real_time 3800)" \
  "$(row baseline/b 4000)" >"$d/json/verify.json"
for s in core verify; do echo '{"rc": 0, "seconds": 1, "reason": ""}' >"$d/runs/$s.json"; done
echo '{"rc": 139, "seconds": 1, "reason": "killed by signal 11: Segmentation fault"}' >"$d/runs/crash.json"
echo '{"status": "ok", "reason": ""}' >"$d/e2e/status.json"
gbjson "$(row e2e/committed_tx 123)" >"$d/e2e/e2e.json"
seq 1 100 >"$d/e2e/commit_latency_ms.txt"

python3 bench/report.py report "$d" >"$work/report.out" 2>&1
check "report.py report exits 0" [ $? -eq 0 ]
S=$d/summary.json
jv() { jq -r "$1" "$S"; }
check "core/x: ratio = 1000 / (0.5 x 4000) = 0.5" [ "$(jv '.figures["core/x"].ratio')" = 0.5 ]
check "core/x: baseline measured in its own process, value is the mean of its repetitions" \
  [ "$(jv '.figures["core/x"] | "\(.value) \(.bound) \(.baseline_run)"')" = "1000 2000 core" ]
check "verify/workers/2: bound = 0.5 x 2 x 4000, ratio 0.95" \
  [ "$(jv '.figures["verify/workers/2"] | "\(.bound) \(.ratio)"')" = "4000 0.95" ]
check "a figure that skipped itself (gx_bench_skip) is listed as skipped, with its reason" \
  [ "$(jv '.figures["core/bad"] | "\(.status): \(.reason)"')" = "skipped: verify failed" ]
check "a figure of an unwritten suite is missing, naming the suite" \
  jqq '.figures["gone/y"].status == "missing" and (.figures["gone/y"].reason | test("gone/"))' "$S"
check "an unwritten suite is missing" [ "$(jv '.suites.gone.status')" = missing ]
check "a crashed suite is failed with the signal, and its figure too" \
  jqq '(.suites.crash.status == "failed") and (.suites.crash.reason | test("signal 11")) and
         (.figures["crash/z"].status == "failed") and (.figures["crash/z"] | has("value") | not)' "$S"
check "an unpaired figure keeps its value, without a ratio" \
  jqq '.figures["core/unpaired"].value == 5 and (.figures["core/unpaired"] | has("ratio") | not)' "$S"
check "e2e figures and commit-latency percentiles are read from the hook's files" \
  jqq '.figures["e2e/committed_tx"].value == 123 and .commit_latency_ms.p50 == 50 and .commit_latency_ms.p99 == 99' "$S"
check "report.md shows core/x with its ratio" grep -qE '^\| core/x \| items_per_second \| 1 k/s \|.*\| 0\.500 \|' "$d/report.md"
check "report.md lists the crashed suite's reason" grep -qE '^\| crash \| failed \|.*signal 11' "$d/report.md"
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
check "workers.png drawn from the scaling figures" is_png "$d/workers.png"
check "workers data holds both worker counts and their bounds" \
  grep -qxE '2 3800 4000' "$d/plots/workers_0.dat"
check "commit_latency.png drawn" is_png "$d/commit_latency.png"
# the form bench/e2e.sh writes: the window's Prometheus histogram, cumulative
mv "$d/e2e/commit_latency_ms.txt" "$work/samples.txt"
printf '# le_seconds cumulative\n0.01 0\n0.05 3\n0.1 9\n0.25 10\ninf 10\n' >"$d/e2e/commit_latency_hist.txt"
python3 bench/report.py report "$d" >/dev/null 2>&1
check "commit latency from histogram buckets: p50 <= 100 ms, p90 <= 100 ms, p99 <= 250 ms" \
  jqq '.commit_latency_ms | .n == 10 and .p50 == 100 and .p90 == 100 and .p99 == 250' "$S"
check "commit_latency.png drawn from the histogram" is_png "$d/commit_latency.png"
check "benchmarks.json merges every process, tagged with it" \
  jqq '[.benchmarks[].gx_run] | unique == ["core", "e2e", "verify"]' "$d/benchmarks.json"

# compare.sh: core/x's repetitions (900, 1100) give cv 14%; a new run at half the
# value (ratio 0.25) is a regression (log change -0.69 beyond 3 x 14%); one with
# the same mean and a different spread is within noise.
mk_new() { # DIR CORE_X_A CORE_X_B
  cp -r "$d" "$1"; rm -f "$1/summary.json"
  gbjson "$(row core/x "$2")" "$(row core/x "$3")" "$(row baseline/b 4000)" "$(row baseline/b 4000)" \
    "$(row core/bad 0 ',"error_occurred":true,"error_message":"verify failed"')" "$(row core/unpaired 5)" \
    >"$1/json/core.json"
}
mk_new "$work/half" 500 500
mk_new "$work/same" 950 1050
bench/compare.sh "$d" "$work/half" >"$work/half.txt"; rc=$?
if [ $rc -eq 1 ] && grep -qE "^core/x +ratio .*REGRESSION" "$work/half.txt"; then
  ok "compare.sh flags core/x at half as a REGRESSION and exits 1"
else
  not_ok "compare.sh did not flag core/x at half (exit $rc)"; sed 's/^/# /' "$work/half.txt"
fi
bench/compare.sh "$d" "$work/same" >"$work/same.txt"; rc=$?
if [ $rc -eq 0 ] && grep -qE "^core/x +ratio .*within noise" "$work/same.txt"; then
  ok "compare.sh: same mean, other spread: within noise, exit 0"
else
  not_ok "compare.sh: same mean judged otherwise (exit $rc)"; sed 's/^/# /' "$work/same.txt"
fi
check "compare.sh names figures missing on a side" grep -qE '^gone/y .*not comparable' "$work/same.txt"
bench/compare.sh "$d" "$work/nonexistent" >/dev/null 2>&1
check "compare.sh on a directory that is not a result is a usage error" [ $? -eq 2 ]
gx_done
