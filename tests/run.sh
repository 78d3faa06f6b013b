#!/usr/bin/env bash
# The whole test suite. Every test program prints TAP-style lines
# ("ok N - name" / "not ok N - name"); this runner counts them and prints
# "N passed, N failed" as its last line. A program that exits non-zero without
# printing a "not ok" line counts as one failure; one that prints nothing and
# exits 0 counts as one pass.
#
# Environment: GX_BUILD (build dir, default build), GX_FUZZ_SECONDS (per fuzz
# target, default 5), GX_SOAK=1 (longer runs), GX_TEST_FILTER (regex on names).
set -u
cd "$(dirname "$0")/.."
export GX_BUILD=${GX_BUILD:-build}
export GX_ROOT=$PWD
export GX_FUZZ_SECONDS=${GX_FUZZ_SECONDS:-5}
export CMOCKA_MESSAGE_OUTPUT=TAP
filter=${GX_TEST_FILTER:-.}
logdir=$(mktemp -d /tmp/gx-test-logs.XXXXXX)
passed=0; failed=0; failed_names=()

run_one() { # name, command...
  local name=$1; shift
  [[ $name =~ $filter ]] || return 0
  local log="$logdir/${name//\//_}.log" t0=$SECONDS rc p f
  "$@" >"$log" 2>&1 </dev/null; rc=$?
  p=$(grep -cE '^ok [0-9]+' "$log"); f=$(grep -cE '^not ok [0-9]+' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then p=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    failed_names+=("$name")
    printf '%-44s FAIL  %3d ok %3d failed  (%ds, rc=%d)\n' "$name" "$p" "$f" $((SECONDS - t0)) "$rc"
    grep -E '^not ok|^#' "$log" | head -n 20 | sed 's/^/    /'
    tail -n 15 "$log" | sed 's/^/    | /'
  else
    printf '%-44s ok    %3d passed  (%ds)\n' "$name" "$p" $((SECONDS - t0))
  fi
}

echo "== unit tests ($GX_BUILD/test)"
for t in "$GX_BUILD"/test/*; do
  [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done

echo "== fuzz smoke runs (${GX_FUZZ_SECONDS}s each)"
for fz in build/fuzz/bin/*; do
  [ -x "$fz" ] || continue
  n=$(basename "$fz")
  run_one "fuzz/$n" ./tests/fuzz_smoke.sh "$fz" "$n"
done

echo "== integration tests"
for s in tests/test_*.sh; do
  [ -x "$s" ] && run_one "integration/$(basename "$s" .sh)" "$s"
done

echo
if [ ${#failed_names[@]} -gt 0 ]; then
  echo "failed: ${failed_names[*]}"
  echo "logs: $logdir"
else
  rm -rf "$logdir"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
