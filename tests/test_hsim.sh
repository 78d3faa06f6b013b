#!/usr/bin/env bash
# Hierarchy simulator sweep (tests/sim/gx_hsim.c, docs/CLUSTERS.md
# "Simulator"): >= 2,000 seeded runs of Star Clusters (gx_epoch + gx_cluster)
# and galaxies (gx_epoch + gx_fold + gx_ledger) in one process, one TAP line
# per group. Each run checks cluster and galaxy agreement, byte-identical black
# holes and fold records on every honest galaxy, the supply after every commit,
# that no transfer commits twice, that every transfer commits and each double
# spend commits once with an equivocation proof, that blocks of clusters with
# at most f_c Byzantine stars are never rejected, the forging cluster's
# evidence and rewind, and liveness; a failure prints the seed, the nodes and a
# trace. Some groups also require that the behaviour really bit (faults
# recorded, forged blocks rejected, rewinds, refs left out, fetches).
# GX_SOAK=1 (make soak) runs 20x more seeds per group.
set -u
bin="${GX_BUILD:-build}/bin/gx_hsim"
cd "${GX_ROOT:-.}" || exit 1
if [ ! -x "$bin" ]; then echo "not ok 1 - gx_hsim not built at $bin"; exit 1; fi
mult=1
[ "${GX_SOAK:-0}" = 1 ] && mult=20
n=0; fail=0; seeds=0
# the first number in the summary lines before a phrase ("... 12 rewinds" -> 12)
count() { echo "$1" | sed -n "s/.* \([0-9][0-9]*\) $2.*/\1/p" | head -n 1; }
group() { # title, seeds, extra check (none|badsig|forge|junk|fetch|wrong), gx_hsim args...
  local title=$1 per=$(($2 * mult)) check=$3; shift 3
  n=$((n + 1)); seeds=$((seeds + per))
  local lo=$((n * 1000000 + 1)); local hi=$((lo + per - 1))
  local out rc summary runs why=""
  out=$("$bin" --seeds "$lo..$hi" "$@" 2>&1); rc=$?
  summary=$(echo "$out" | grep '^gx_hsim: ')
  runs=$(echo "$summary" | sed -n 's/^gx_hsim: \([0-9]*\) runs.*/\1/p' | head -n 1)
  if [ $rc -eq 0 ]; then
    if [ "${runs:-0}" != "$per" ]; then why="ran ${runs:-no} runs of $per"
    else case $check in
      badsig) [ "$(count "$summary" 'bad_signature faults')" -gt 0 ] || why="no bad_signature fault recorded";;
      forge) [ "$(count "$summary" 'forged blocks rejected')" = "$per" ] || why="not every forged block was rejected"
             [ "$(count "$summary" 'rewinds')" -ge "$per" ] || why="a forging cluster did not rewind";;
      junk) [ "$(count "$summary" 'refs below f+1')" -gt 0 ] || why="no junk ref was left out";;
      fetch) [ "$(count "$summary" 'fetches')" -gt 0 ] || why="no galaxy fetched a block";;
      wrong) [ "$(count "$summary" 'transfers sent to a wrong cluster')" -gt 0 ] || why="no transfer went to a wrong cluster";;
    esac; fi
    [ -n "$why" ] && rc=1
  fi
  local line
  line=$(echo "$summary" | head -n 1)
  if [ $rc -eq 0 ]; then
    echo "ok $n - $title, $per seeds: ${line#gx_hsim: }"
  else
    fail=$((fail + 1))
    echo "not ok $n - $title, $per seeds: ${why:-${line#gx_hsim: }}"
    echo "$out" | grep -A 60 '^FAIL' | head -n 70 | sed 's/^/# /'
  fi
  echo "$summary" | sed -n '2p' | sed 's/^gx_hsim: /# /'
}
t0=$SECONDS
# 2 clusters of 4 stars, 4 galaxies unless said otherwise; 8 transfers and 2
# double spends per run (the defaults' 16 cost twice as much)
w="--txs 8"
group "honest hierarchy" 300 wrong $w
group "one silent star per cluster" 150 none $w --byz-star silent
group "one crashing star per cluster" 150 none $w --byz-star crash
group "one equivocating star per cluster" 150 none $w --byz-star equiv
group "one star per cluster proposes badly signed transfers" 150 badsig $w --byz-star badsig
group "Byzantine stars of every kind" 200 badsig $w --byz-star all
group "a silent galaxy" 150 none $w --byz-galaxy silent
group "a junk galaxy (refs to no block, junk bytes, junk fetch answers)" 200 junk $w --byz-galaxy junk
group "2f_c+1 stars certify a bad signature, sample all" 200 forge $w --forge --sample 65536
group "a silent cluster of 3" 100 none $w --clusters 3 --silent-cluster
group "clusters of 7 stars, Byzantine stars" 100 badsig $w --cluster-size 7 --byz-star all
group "4 clusters, 7 galaxies, Byzantine stars and galaxies" 50 fetch $w --clusters 4 --galaxies 7 --byz-star all \
  --byz-galaxy all
group "3 clusters, forging, Byzantine stars and galaxies, sample all" 100 forge $w --clusters 3 --forge \
  --byz-star all --byz-galaxy all --sample 65536
group "one cluster, Byzantine stars" 100 badsig $w --clusters 1 --byz-star all
group "forging clusters of 7 at sample 1/16 (forged blocks may escape)" 50 none $w --cluster-size 7 --forge
# one seed, one run: the same seeds twice give byte-identical per-run lines
n=$((n + 1))
args=(--seeds 900001..900010 --clusters 3 --byz-star all --byz-galaxy all --forge --sample 65536 $w -v)
r1=$("$bin" "${args[@]}" 2>&1)
r2=$("$bin" "${args[@]}" 2>&1)
if [ -n "$r1" ] && [ "$r1" = "$r2" ] && echo "$r1" | grep -q '^gx_hsim: 10 runs, 0 failed'; then
  echo "ok $n - replay: 10 seeds run twice give identical runs"
else fail=$((fail + 1)); echo "not ok $n - replay: the same seeds gave different runs"; fi
echo "# $seeds seeds in $((SECONDS - t0)) s"
[ $fail -eq 0 ]
