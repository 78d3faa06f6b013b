#!/usr/bin/env bash
# make run's script, both ways, briefly: deploy/run-local.sh on loopback
# (socket mode) and with --dpdk (net_af_packet on veths in a namespace it
# makes): the load is committed in full (the live progress reaches it), the
# script stops every validator and, with --dpdk, removes its namespace.
# Then, on the socket run's directory: options that contradict it are refused
# with the reason; a star load that fails stops the run with its error; and a
# quiet run (--rate 0 --duration 0) prints how a new user gets coins, the
# printed commands (faucet pays, the new wallet co-signs) commit, and Ctrl-C
# (SIGINT to the process group, as a terminal sends it) stops it cleanly with
# no traceback. Needs root (for --dpdk), python3, curl.
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

# ---- an existing run directory: contradicting options are refused --------------
RL="$GX_ROOT/deploy/run-local.sh"
refused() { # DESCRIPTION PATTERN ARGS...: exit 2 at once, one line naming the reason, nothing started
  local d=$1 pat=$2 out rc; shift 2
  out=$(GX_BUILD="$GX_BUILD" timeout 20 "$RL" --dir "$T/socket" "$@" 2>&1); rc=$?
  if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | grep -c .)" = 1 ] && printf '%s' "$out" | grep -qE "$pat"; then ok "$d"
  else not_ok "$d (rc=$rc: $out)"; fi
}
refused "--nodes 5 on a 4-validator directory is refused with the reason" \
  "^run-local: --nodes 5 contradicts $T/socket: its genesis has 4 validators" --nodes 5
refused "--accounts above what its genesis funds is refused" "funds 200 load accounts" --accounts 300
refused "another --base-port is refused" "consensus addresses are on base port" --base-port 7000
refused "--duration 0 with load is refused" "goes with --rate 0" --duration 0

# ---- a star load that fails stops the run with its error -----------------------
t0=$SECONDS
out=$(GX_BUILD="$GX_BUILD" timeout 60 "$RL" --dir "$T/socket" --rate 20000000 --duration 30 2>&1); rc=$?
check "a failed star load stops the run at once, exit 1 (rc=$rc, $((SECONDS - t0))s of --duration 30)" \
  [ "$rc" = 1 -a $((SECONDS - t0)) -lt 25 ]
check "... with star load's error" bash -c "printf '%s' \"\$1\" | grep -q 'star load failed' &&
  printf '%s' \"\$1\" | grep -q 'star: --rate 20000000: too large'" _ "$out"
check "... and every validator stopped" bash -c "! pgrep -f '[g]alaxyd -c $T/socket/' >/dev/null"

# ---- a new user's coins, then Ctrl-C ------------------------------------------
# run-local in its own process group with SIGINT at its default (a test's
# background job would ignore it), Ctrl-C = SIGINT to the whole group
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL); os.setpgid(0, 0); os.execvp(sys.argv[1], sys.argv[1:])' \
  env GX_BUILD="$GX_BUILD" "$RL" --dir "$T/socket" --rate 0 --duration 0 >"$T/quiet.out" 2>&1 &
RUN=$!
for _ in $(seq 300); do grep -q 'new user on make run' "$T/quiet.out" && break; sleep 0.1; done
sed -n '/coins for a new user/,/new user on make run/p' "$T/quiet.out" | sed 's/^/# /'
sed -n '/coins for a new user/,/new user on make run/{s/^  //p}' "$T/quiet.out" | grep -v '^(' >"$T/walk.sh"
check "run-local prints how a new user gets coins (the faucet pays, star commands)" \
  bash -c "grep -q 'faucet' '$T/quiet.out' && [ \$(wc -l <'$T/walk.sh') -ge 5 ]"
mkdir -p "$T/user"
(cd "$T/user" && STAR_DIR="$T/user/wallet" bash -e "$T/walk.sh") >"$T/walk.out" 2>&1; rc=$?
sed 's/^/#   /' "$T/walk.out" | tail -n 6
check "the printed commands, run as they are, commit the faucet's payment (rc=$rc)" \
  bash -c "[ $rc = 0 ] && grep -q '^committed at height' '$T/walk.out' && grep -qE ' balance 1000 seq 1\$' '$T/walk.out'"
check "the new wallet then pays back and it commits" bash -c "cd '$T/user' && export STAR_DIR='$T/user/wallet' &&
  S='$BIN/star' && \$S pay --to \$(\$S address --dir '$T/socket/faucet') --amount 10 --out back.half &&
  \$S cosign back.half --dir '$T/socket/faucet' --out back.tx && \$S submit back.tx --wait | grep -q '^committed'"
kill -INT -- -"$RUN"
wait "$RUN"; rc=$?
check "Ctrl-C stops the run (rc=$rc: 130)" [ "$rc" = 130 ]
check "... with no Python traceback" bash -c "! grep -q Traceback '$T/quiet.out'"
check "... and every validator stopped" bash -c "! pgrep -f '[g]alaxyd -c $T/socket/' >/dev/null"
check "... saying where the data is" grep -q '^run-local: stopped; data kept in' "$T/quiet.out"
gx_done
