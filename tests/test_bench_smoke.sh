#!/usr/bin/env bash
# Smoke test of bench/run.sh --quick (docs/PERFORMANCE.md): every suite runs and
# writes its JSON, or is reported missing / not available with a reason; the
# report, the plots and the machine facts exist; compare.sh flags a doctored
# regression and nothing between a run and itself. It never checks the numbers.
# GX_BENCH_BUILD: the release build dir run.sh uses (default build/release).
set -u
GX_ROOT=${GX_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$GX_ROOT" || exit 1
. tests/lib.sh
jqq() { jq -e "$@" >/dev/null; }
work=$(gx_tmpdir bench-smoke)
trap 'rm -rf "$work"' EXIT
out=$work/q
t0=$SECONDS
bench/run.sh --quick --out "$out" --build "${GX_BENCH_BUILD:-build/release}" >"$work/run.log" 2>&1
rc=$?
echo "# bench/run.sh --quick took $((SECONDS - t0))s, exit $rc"
sed 's/^/# /' "$work/run.log" | grep -E 'bench:|FAILED|error' | head -n 40
check "bench/run.sh --quick exits 0 (every suite that ran succeeded)" [ "$rc" -eq 0 ]
if [ ! -f "$out/summary.json" ]; then # nothing to look at (the release build failed?)
  not_ok "bench/run.sh wrote no results"
  tail -n 15 "$out/logs/build.log" 2>/dev/null | sed 's/^/# build: /'
  gx_done
  exit 1
fi

jsons_ok() {
  local f n=0
  for f in "$out"/json/*.json; do
    [ -e "$f" ] || return 1
    jq -e '.benchmarks | length > 0' "$f" >/dev/null || { echo "# $f: no benchmarks"; return 1; }
    n=$((n + 1))
  done
  [ "$n" -gt 0 ]
}
check "every gx_bench process wrote Google Benchmark JSON with results" jsons_ok
check "benchmarks.json (all runs merged) parses and has results" \
  jqq '.benchmarks | length > 0' "$out/benchmarks.json"
check "summary.json parses" jqq '.figures and .suites' "$out/summary.json"

# Every suite named in pairs.txt: at least one result, or reported with a reason.
suites_accounted() {
  local s bad=0 n st why
  for s in $(awk '$1 == "suite" { print $2 }' bench/pairs.txt); do
    n=$(jq --arg s "$s" '[.benchmarks[] | select(.name | startswith($s + "/"))] | length' "$out/benchmarks.json")
    st=$(jq -r --arg s "$s" '.suites[$s].status // "absent"' "$out/summary.json")
    why=$(jq -r --arg s "$s" '.suites[$s].reason // ""' "$out/summary.json")
    if [ "$n" -gt 0 ] && [ "$st" = ok ]; then
      continue
    elif { [ "$st" = missing ] || [ "$st" = "not available" ]; } && [ -n "$why" ] &&
         grep -qF "| $s | $st |" "$out/report.md"; then
      echo "# suite $s: $st ($why)"
    else
      echo "# suite $s: $n results, status '$st' ($why)"; bad=1
    fi
  done
  [ "$bad" -eq 0 ]
}
check "every suite in bench/pairs.txt ran, or report.md says why not" suites_accounted
check "report.md has the suites, pairs and baselines tables" \
  grep -q '^## Figures against their baselines' "$out/report.md"
check "report.md names the machine" grep -q "^Machine: \*\*" "$out/report.md"
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
for p in workers commit_latency ratios committed_series; do
  check "$p.png is a PNG" is_png "$out/$p.png"
done
check "machine.json records CPU model, cores, kernel, hugepages" \
  jqq '.cpu.model and .cpu.nproc > 0 and .kernel and (.hugepages.total | type == "number") and (.cpu.flags | has("avx512f"))' \
  "$out/machine.json"
check "e2e reports a status (ok, or not available with its reason)" \
  jqq '(.status == "ok") or (.status == "not_available" and (.reason | length > 0))' "$out/e2e/status.json"

# compare.sh: a run against itself has no regression; a doctored copy whose
# first measured figure fell to a thousandth (value and ratio) is flagged, whatever
# noise this loaded machine measured.
bench/compare.sh "$out" "$out" >"$work/same.txt" 2>&1
check "compare.sh OLD OLD: exit 0, no regression" grep -q '^# 0 regression' "$work/same.txt"
cp -r "$out" "$work/worse"
key=$(jq -r '[.figures | to_entries[] | select(.value.suite != "baseline" and .value.value != null) | .key][0]' "$out/summary.json")
jq --arg k "$key" '.figures[$k].value /= 1000 | if .figures[$k].ratio then .figures[$k].ratio /= 1000 else . end |
  if .figures[$k].metric == "real_time" or .figures[$k].metric == "cpu_time" then .figures[$k].value *= 1000000 else . end' \
  "$out/summary.json" >"$work/worse/summary.json"
bench/compare.sh "$out" "$work/worse" >"$work/worse.txt" 2>&1
crc=$?
if [ "$crc" -eq 1 ] && grep -E "^$key +.*REGRESSION" "$work/worse.txt" >/dev/null; then
  ok "compare.sh flags a figure down 1000x ($key) as a regression, exit 1"
else
  not_ok "compare.sh did not flag $key down 1000x (exit $crc)"; sed 's/^/# /' "$work/worse.txt"
fi
bench/compare.sh "$out" >/dev/null 2>&1
check "compare.sh with one argument is a usage error (exit 2)" [ $? -eq 2 ]
bench/run.sh --bogus >/dev/null 2>&1
check "run.sh with an unknown option is a usage error (exit 2)" [ $? -eq 2 ]
gx_done
