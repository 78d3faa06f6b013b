#!/usr/bin/env bash
# make run's script, both ways, briefly: deploy/run-local.sh on loopback
# (socket mode) and with --dpdk (net_af_packet on veths in a namespace it
# makes): the load is committed in full (the live progress reaches it), the
# script stops every validator and, with --dpdk, removes its namespace.
# Needs root (for --dpdk), python3, curl.
set -u
. "$(dirname "$0")/lib.sh"
T=$(gx_tmpdir run-local)
trap 'rm -rf "$T"' EXIT
if [ "$(id -u)" -ne 0 ] || [ ! -x "$BIN/galaxyd" ]; then
  not_ok "needs root and $BIN/galaxyd"; gx_done; exit 1
fi
for mode in socket dpdk; do
  flag=""; [ "$mode" = dpdk ] && flag=--dpdk
  base=$(python3 "$GX_ROOT/tests/free_base_port.py" 4)
  before=$(ip netns list | grep -c '^gxrun' || true)
  GX_BUILD="$GX_BUILD" timeout 120 "$GX_ROOT/deploy/run-local.sh" $flag --duration 4 --rate 500 \
    --dir "$T/$mode" --base-port "$base" >"$T/$mode.out" 2>&1
  rc=$?
  sed 's/^/# /' "$T/$mode.out" | tail -4
  check "$mode: run-local exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
  check "$mode: star sent 2000 transfers" grep -q '^run-local: load: summary transfers=2000 ' "$T/$mode.out"
  check "$mode: the live progress shows all 2000 committed on every node" \
    bash -c "grep -E 'committed +2000 ' '$T/$mode.out' | grep -qE 'nodes 0:ok@[0-9]+ 1:ok@[0-9]+ 2:ok@[0-9]+ 3:ok@[0-9]+'"
  check "$mode: every validator stopped" bash -c "! pgrep -f '[g]alaxyd -c $T/$mode/' >/dev/null"
  after=$(ip netns list | grep -c '^gxrun' || true)
  check "$mode: no network namespace left behind ($before before, $after after)" [ "$after" -le "$before" ]
done
check "dpdk: the validators ran in DPDK mode" grep -q 'mode = dpdk' "$T/dpdk/node-0/galaxyd.ini"
gx_done
