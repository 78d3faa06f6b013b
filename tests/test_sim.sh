#!/usr/bin/env bash
# Consensus simulator sweep: >= 2,000 seeded runs of the full ACS (RBC + BA +
# threshold coin) over N in {4, 7, 10} with f Byzantine nodes, one TAP line per
# (N, behaviour) group. Each run checks agreement, validity, totality and
# no-double-decision (tests/sim/gx_sim.c); a failure prints the seed and a trace.
# The nodes run validator/gx_epoch (galaxyd's committee engine); the reconfig
# groups change the committee at epoch 2 (a permutation of the nodes, fresh
# coin keys) and must show that every honest node of every run switched.
# GX_SOAK=1 runs 20x more seeds per group.
set -u
bin="${GX_BUILD:-build}/bin/gx_sim"
cd "${GX_ROOT:-.}" || exit 1
if [ ! -x "$bin" ]; then echo "not ok 1 - gx_sim not built at $bin"; exit 1; fi
per=${GX_SIM_SEEDS:-70}
[ "${GX_SOAK:-0}" = 1 ] && per=$((per * 20))
n=0; fail=0
group() { # title, gx_sim args...
  local title=$1; shift
  n=$((n + 1))
  local out rc
  out=$("$bin" "$@" 2>&1); rc=$?
  local summary
  summary=$(echo "$out" | grep '^gx_sim: [0-9]* runs' | tail -n 1)
  # the BA-attack scheduler must actually push agreements into threshold-coin rounds
  if [ $rc -eq 0 ] && [[ $title == *ba-attack* ]]; then
    local coins
    coins=$(echo "$out" | sed -n 's/.* \([0-9]*\) coins combined.*/\1/p' | tail -n 1)
    if [ "${coins:-0}" -eq 0 ]; then rc=1; echo "# ba-attack reached no threshold-coin round"; fi
  fi
  # a committee change must really happen: every run switched every honest
  # node, and laggards of the old committee reached a kept previous engine
  if [ $rc -eq 0 ] && [[ $title == *reconfig* ]]; then
    local line ok all prev runs
    line=$(echo "$out" | grep '^gx_sim: reconfig at epoch' | tail -n 1)
    ok=$(echo "$line" | sed -n 's/.*: \([0-9]*\) of \([0-9]*\) runs switched.*/\1/p')
    all=$(echo "$line" | sed -n 's/.*: \([0-9]*\) of \([0-9]*\) runs switched.*/\2/p')
    prev=$(echo "$line" | sed -n 's/.*, \([0-9]*\) messages to a kept previous engine.*/\1/p')
    runs=$(echo "$summary" | sed -n 's/^gx_sim: \([0-9]*\) runs.*/\1/p')
    if [ -z "$ok" ] || [ "${all:-0}" -eq 0 ] || [ "$ok" != "$all" ] || [ "$all" != "${runs:-x}" ]; then
      rc=1; echo "# reconfig: not every run switched committee (${line:-no reconfig line})"
    elif [ "${prev:-0}" -eq 0 ]; then
      rc=1; echo "# reconfig: no message reached a kept previous committee's engine"
    fi
    [ -n "$line" ] && summary="$summary; ${line#gx_sim: }"
  fi
  if [ $rc -eq 0 ]; then
    echo "ok $n - $title: ${summary#gx_sim: }"
  else
    fail=$((fail + 1))
    echo "not ok $n - $title: ${summary#gx_sim: }"
    echo "$out" | grep -A 70 '^FAIL' | head -n 80 | sed 's/^/# /'
  fi
}
for nn in 4 7 10; do
  for b in none silent crash equiv badstripe badcoin flip replay garbage all; do
    # seeds differ per group; epochs 3 so finished epochs are freed (keep 1)
    lo=$((nn * 100000 + 1)); hi=$((lo + per - 1))
    group "N=$nn byz=$b $per seeds" --seeds "$lo..$hi" --n "$nn" --byz "$b" --epochs 3 --max-prop 3000
  done
  lo=$((nn * 100000 + 50001)); hi=$((lo + per / 2 - 1))
  group "N=$nn ba-attack scheduler $((per / 2)) seeds" --seeds "$lo..$hi" --n "$nn" --sched ba-attack --epochs 2 --max-prop 256
  # committee change at epoch 2 of 4 (gx_epoch_due / gx_epoch_join, as the commit stage)
  for b in none all; do
    lo=$((nn * 100000 + 70001)); hi=$((lo + per - 1))
    group "N=$nn byz=$b reconfig at epoch 2 $per seeds" --seeds "$lo..$hi" --n "$nn" --byz "$b" --epochs 4 \
      --reconfig 2 --max-prop 3000
  done
done
# one seed, one run: the same seeds twice give byte-identical per-run lines
n=$((n + 1))
r1=$("$bin" --seeds 900001..900020 --n 7 --byz all --epochs 3 -v 2>&1)
r2=$("$bin" --seeds 900001..900020 --n 7 --byz all --epochs 3 -v 2>&1)
if [ -n "$r1" ] && [ "$r1" = "$r2" ]; then echo "ok $n - replay: 20 seeds run twice give identical runs"
else fail=$((fail + 1)); echo "not ok $n - replay: the same seeds gave different runs"; fi
n=$((n + 1))
r1=$("$bin" --seeds 900001..900020 --n 7 --byz all --epochs 4 --reconfig 2 -v 2>&1)
r2=$("$bin" --seeds 900001..900020 --n 7 --byz all --epochs 4 --reconfig 2 -v 2>&1)
if [ -n "$r1" ] && [ "$r1" = "$r2" ] && echo "$r1" | grep -q ' switched=[0-9]*/[0-9]*@2$'; then
  echo "ok $n - replay: 20 seeds with a committee change run twice give identical runs"
else fail=$((fail + 1)); echo "not ok $n - replay: the same seeds with a committee change gave different runs"; fi
[ $fail -eq 0 ]
