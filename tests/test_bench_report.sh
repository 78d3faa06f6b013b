#!/usr/bin/env bash
# bench/report.py and bench/compare.sh on a fixed result directory (real files
# written here, in the layout bench/run.sh leaves): ratios against scaled
# baselines, worker scaling, a failed figure, a crashed suite, a missing suite,
# the e2e hook's files (per-second series included), the headline block and its
# loaded-machine warning, the plots, and compare.sh's noise rule.
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
e2e/committed_transfers  baseline/e2e_offered_load  items_per_second  1
e2e/committed_transfers  baseline/e2e_verify_bound  items_per_second  1
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
gbjson "$(row e2e/committed_tx 123)" "$(row e2e/committed_transfers 1500 ',"window_seconds":10')" \
  "$(row baseline/e2e_offered_load 1600)" \
  "$(row baseline/e2e_verify_bound 2500 ',"single_core_verify_per_second":10000,"cores":2,"nodes":4')" \
  >"$d/e2e/e2e.json"
seq 1 100 >"$d/e2e/commit_latency_ms.txt"
# run-local.log as deploy/monitor.py prints it: 1000 committed/s, none in second 20;
# e2e.sh's scrapes 10 s apart, the second at 24000 committed (t = 25): window 15..25
for t in $(seq 0 30); do
  c=$((t <= 19 ? t * 1000 : 19000 + (t - 20) * 1000))
  printf '[%5ds] height %6d  committed %8d  %6d/s  epoch p50 0.05s p99 0.10s  mempool %6d  nodes 0:ok@%d\n' \
    "$t" $((t * 2)) "$c" 1000 7 $((t * 2))
done >"$d/e2e/run-local.log"
echo '{"t": 100.0, "status": {"transfers_committed": 14000, "height": 28}}' >"$d/e2e/scrape0.json"
echo '{"t": 110.0, "status": {"transfers_committed": 24000, "height": 50}}' >"$d/e2e/scrape1.json"
python3 bench/report.py series "$d/e2e/run-local.log" "$d/e2e/committed_series.txt" 1600 \
  "$d/e2e/scrape0.json" "$d/e2e/scrape1.json"
check "report.py series (e2e.sh's hook): offered rate and the window located by the scrapes" \
  grep -qzE '# offered 1600.*# window 15.00 25.00' "$d/e2e/committed_series.txt"
check "report.py series: one row per second with its rate, the stalled second at 0" \
  grep -qxE '20 19000 0.0 40 7' "$d/e2e/committed_series.txt"
# cpu.tsv as run.sh's cpu_mark writes it: 2 CPUs; other work took 1% of them
# during suite core (10 s) and 1.25% during e2e (20 s)
cpu_tsv() { # E2E_BUSY_TICKS E2E_OWN_SECONDS
  printf '# label wall_s cpus clk_tck busy_ticks total_ticks own_cpu_s\nstart 1000 2 100 0 0 0\n'
  printf 'core 1010 2 100 1000 2000 9.8\ne2e 1030 2 100 %d 6000 %s\n' "$1" "$2"
}
cpu_tsv 5000 49.3 >"$d/cpu.tsv"

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
check "report.md lists a figure's second pair (e2e against the verification bound) as a row of its own" \
  grep -qE '^\| e2e/committed_transfers \|.*\| baseline/e2e_verify_bound \|.*\| 0\.600 \|' "$d/report.md"

# the headline block: first thing in report.md, every number from the fixture
M=$d/report.md
check "report.md opens with the headline, before the run's details" \
  [ "$(grep -m1 -nE '^## ' "$M")" = "3:## Headline" ]
check "headline: committed transfers/s and the share of the offered load" \
  grep -qF -- '- Committed end to end: **1.5 k transfers/s** (node 0, 10 s window; offered 1.6 k/s, 0.94 of it)' "$M"
check "headline: share of the verification bound, and how the bound is made" \
  grep -qF -- '- Share of the verification bound: **0.60** (bound 2.5 k/s: 2 cores x 10 k verifies/s / (2 signatures x 4 nodes))' "$M"
check "headline: p50 and p99 commit latency" \
  grep -qF -- '- Epoch commit latency: p50 **50 ms**, p99 **99 ms** (100 commits)' "$M"
check "headline: per-second series over the measured window, the stalled second counted" \
  grep -qF -- '- Committed per second, 10 s in the measured window: min **0**, median 1 k, max 1 k; **1** s at 0, 1 below 90% of the median' "$M"
check "headline: the worst ratio and its figure, then the next ones" \
  grep -qF -- '- Worst ratio: **0.500** core/x (next: 0.600 e2e/committed_transfers vs baseline/e2e_verify_bound, 0.938 e2e/committed_transfers)' "$M"
check "headline: count of ratios by band and of figures not measured" \
  grep -qF -- '- 5 ratios: 3 at >= 0.8 of their bound, 0 below 0.5 (ratios.png); 3 figures not measured' "$M"
check "headline: a quiet machine is said to be quiet, with other work's share" \
  grep -qF -- '- Machine quiet during the run: other processes took 1.2% of the 2 CPUs (most: 1.2% during suite e2e)' "$M"
lacks() { ! grep -qF -- "$1" "$2"; }
check "no loaded-machine warning on a quiet run" lacks WARNING "$M"
check "summary.json carries the headline's numbers" \
  jqq '.headline | .committed_per_second == 1500 and .offered_ratio == 0.9375 and .verify_bound_ratio == 0.6
       and .latency_p50_ms == 50 and .latency_p99_ms == 99 and .worst.figure == "core/x" and .loaded == false
       and .series.committed_series.zero_seconds == 1' "$S"
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ -s "$1" ]; }
check "ratios.png drawn" is_png "$d/ratios.png"
check "ratios.png is drawn on a log scale (its script kept as plots/ratios.gp)" grep -qx 'set logscale x' "$d/plots/ratios.gp"
bars_ok() { [ "$(grep -vc '^#' "$1")" = 5 ] && grep -qF ' "e2e/committed_transfers vs baseline/e2e_verify_bound" ' "$1"; }
check "ratios.png has a bar per ratio, the second pair's too" bars_ok "$d/plots/ratios.dat"
check "committed_series.png drawn from the per-second series" is_png "$d/committed_series.png"
check "the series plot holds every second of the run" [ "$(grep -vc '^#' "$d/plots/committed_series.dat")" = 30 ]
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

# a loaded machine: other work took 15 of the 40 CPU seconds of the e2e stretch
# (37.5%) and 25.3% of the whole run
cp "$d/cpu.tsv" "$work/cpu_quiet.tsv"
cpu_tsv 5000 34.8 >"$d/cpu.tsv"
python3 bench/report.py report "$d" >/dev/null 2>&1
check "loaded run: the warning opens the headline, with the share over the run and the worst suite" \
  grep -qF '> **WARNING: the machine was loaded during this run**: other processes took 25.3% of the 2 CPUs over the whole run; other processes took 37.5% of them during suite e2e.' "$M"
check "loaded run: summary.json says loaded" jqq '.headline.loaded == true and .headline.load.other_cpu_share > 0.25' "$S"
check "loaded run: no 'quiet' line" lacks 'Machine quiet' "$M"
# without cpu.tsv (a run from before run.sh recorded it) the load average at the start decides
rm "$d/cpu.tsv"
python3 bench/report.py report "$d" >/dev/null 2>&1
check "no cpu.tsv: said so, no warning" grep -qF -- '- Machine load during the run: not recorded (no CPU marks in cpu.tsv)' "$M"
jq '.load_average_start = "2.50 1.00 0.50"' "$d/run.json" >"$work/run.json" && cp "$work/run.json" "$d/run.json"
python3 bench/report.py report "$d" >/dev/null 2>&1
check "no cpu.tsv, load average 2.5 on 2 CPUs at the start: loaded" \
  grep -qF 'WARNING: the machine was loaded during this run**: load average 2.50 at the start on 2 CPUs' "$M"
cp "$work/cpu_quiet.tsv" "$d/cpu.tsv"
# e2e failed: the headline says why instead of numbers; the series plot says "no data"
cp -r "$d" "$work/e2efail"
echo '{"status": "failed", "reason": "the network never reported a healthy node 0"}' >"$work/e2efail/e2e/status.json"
rm -f "$work/e2efail/e2e/committed_series.txt" "$work/e2efail/e2e/run-local.log" "$work/e2efail/e2e/commit_latency_"*
python3 bench/report.py report "$work/e2efail" >/dev/null 2>&1
check "e2e failed: the headline names the reason, no number" \
  grep -qF -- '- Committed end to end: not measured (e2e failed: the network never reported a healthy node 0)' \
  "$work/e2efail/report.md"
check "e2e failed: committed_series.png still drawn (no data)" is_png "$work/e2efail/committed_series.png"
python3 bench/report.py report "$d" >/dev/null 2>&1

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
check "compare.sh compares a figure's second pair too (e2e against the verification bound)" \
  grep -qE '^e2e/committed_transfers vs baseline/e2e_verify_bound +ratio +0\.6000 +0\.6000 .*within noise' "$work/same.txt"
bench/compare.sh "$d" "$work/nonexistent" >/dev/null 2>&1
check "compare.sh on a directory that is not a result is a usage error" [ $? -eq 2 ]
gx_done
