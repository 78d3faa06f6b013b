#!/usr/bin/env bash
# Wallets never wedge (docs/STAR.md "Following the chain"): three star wallets
# on a real network (one validator) run a random sequence of commands: a
# payment, co-signing the same half twice, losing a half, losing the
# co-signed transfer, paying more than the balance, sending without waiting,
# a stale half co-signed after its initiator moved on, killing and restarting
# the network (with a transfer sent while it is down), an explicit star sync.
# After every step each account must still make a transfer that commits,
# using star commands only (star pending / star cancel for a pending half;
# never an edit of DIR/chain), and the three balances must still add up to
# the supply. An overdraft must come back rejected with its reason (exit 3).
#
#   GX_SEED=N      replay a sequence (the seed is printed first)
#   GX_STEPS=N     steps (default 14)
#   GX_STAR=PATH   run the sequence with another star binary. The star from
#                  before the wallet followed the chain (acaee30~1):
#                    git archive acaee30~1 | tar -x -C /tmp/old &&
#                    make -C /tmp/old B=build build/bin/star
#                  fails at the first overdraft, lost half, lost co-signed
#                  transfer or double co-sign: a wallet stays one link ahead of
#                  the committed chain (or its pay stays refused as pending),
#                  and no later transfer of that account commits.
# The same seed gives the same sequence for the same star.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir wallet-prop)
trap 'net_stop; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
S=${GX_STAR:-$BIN/star}
SEED=${GX_SEED:-$(( $(date +%s) % 100000 ))}
STEPS=${GX_STEPS:-14}
echo "# seed $SEED (GX_SEED=$SEED $0 replays this sequence), $STEPS steps, star $S"
RANDOM=$SEED
SUPPLY=3000000
BASE=$(net_pick_base 1)
W=(a b c)
declare -A ADDR WALLET
for w in "${W[@]}"; do
  "$S" keygen --dir "$T/$w" >/dev/null 2>&1
  ADDR[$w]=$("$S" address --dir "$T/$w"); WALLET[${ADDR[$w]}]=$w
done
net_setup "$T" 1 "$BASE" --fund "${ADDR[a]}=1000000" --fund "${ADDR[b]}=1000000" --fund "${ADDR[c]}=1000000" ||
  { not_ok "genesis"; gx_done; exit 1; }
net_start
API=$(net_api 0); GAL="127.0.0.1:$BASE"
check "the validator is up" net_wait '[ "$(net_height 0)" -ge 1 ]' 20
# explicit --api and --galaxy on every command (star 0.4.0 takes them too)
NEW=0; "$S" --help 2>/dev/null | grep -q '^  pending' && NEW=1
SETTLE=""; [ "$NEW" = 1 ] && SETTLE="--settle 2"
st() { "$S" "$@" --api "$API" >>"$T/log" 2>&1; }
n=0
# xfer FROM TO AMOUNT [submit options | nowait]: pay, cosign, submit (default
# --wait); submit's exit code
xfer() {
  local f=$1 t=$2 amt=$3 opts; shift 3; n=$((n + 1))
  opts=("${@:---wait}"); [ "${1:-}" = nowait ] && opts=()
  "$S" pay --dir "$T/$f" --to "${ADDR[$t]}" --amount "$amt" --out "$T/h$n" --api "$API" $SETTLE >>"$T/log" 2>&1 || return 10
  "$S" cosign "$T/h$n" --dir "$T/$t" --out "$T/t$n" --api "$API" $SETTLE >>"$T/log" 2>&1 || return 11
  "$S" submit "$T/t$n" --dir "$T/$f" --galaxy "$GAL" --api "$API" "${opts[@]}" >>"$T/log" 2>&1
}
# The sequence is $RANDOM's, seeded once: only the main shell draws from it
# (bash seeds every subshell afresh). other W: O = one of the two others.
other() { local i=$(( (RANDOM % 2) + 1 )) k; for k in 0 1 2; do [ "${W[$k]}" = "$1" ] && O=${W[$(( (k + i) % 3 ))]}; done; }

# What a user does with a pending half: print it again (star pending) and
# complete it with its counterparty, or drop it (star cancel).
settle_pending() {
  local w=$1 half to
  [ "$NEW" = 1 ] || return 0
  half=$("$S" pending --dir "$T/$w" --api "$API" 2>>"$T/log") || return 0
  [ -n "$half" ] || return 0
  n=$((n + 1)); echo "$half" >"$T/p$n"
  to=${WALLET[$("$S" show "$T/p$n" | awk '/^to /{print $2}')]}
  if [ $((RANDOM % 2)) = 0 ] && "$S" cosign "$T/p$n" --dir "$T/$to" --out "$T/pt$n" --api "$API" $SETTLE >>"$T/log" 2>&1; then
    echo "#   $w: completed its pending half with $to" >>"$T/ops"
    "$S" submit "$T/pt$n" --dir "$T/$w" --galaxy "$GAL" --api "$API" --wait --timeout 5 >>"$T/log" 2>&1 || true
  else
    echo "#   $w: star cancel" >>"$T/ops"
    st cancel --dir "$T/$w" || true
  fi
}

# Every account makes a transfer that commits.
probe() {
  local w rc
  for w in "${W[@]}"; do settle_pending "$w"; done
  for w in "${W[@]}"; do
    other "$w"; xfer "$w" "$O" 1 --wait --timeout 10; rc=$?
    [ "$rc" = 0 ] || { echo "#   $w: probe transfer failed (rc=$rc)"; return 1; }
  done
  # three reads are not one snapshot: a transfer sent without waiting may
  # commit between them; the sum must come out right once nothing moves
  local sum b try
  for try in 1 2 3 4 5; do
    sum=0
    for w in "${W[@]}"; do
      b=$("$S" balance --dir "$T/$w" --api "$API" 2>/dev/null | awk '{print $3}'); sum=$((sum + ${b:-0}))
    done
    [ "$sum" = "$SUPPLY" ] && return 0
    sleep 0.5
  done
  echo "#   balances add up to $sum, not $SUPPLY"; return 1
}

ops=(pay cosign_twice lose_half lose_cosigned overdraft no_wait stale_half restart resync)
step_ok=0
for ((step = 1; step <= STEPS; step++)); do
  op=${ops[$((RANDOM % ${#ops[@]}))]}
  x=${W[$((RANDOM % 3))]}; other "$x"; y=$O
  echo "# step $step: $op $x -> $y" | tee -a "$T/ops" >>"$T/log"
  case $op in
    pay) xfer "$x" "$y" $((RANDOM % 50 + 1)) || echo "#   (payment did not commit)" >>"$T/ops" ;;
    cosign_twice)
      n=$((n + 1))
      st pay --dir "$T/$x" --to "${ADDR[$y]}" --amount 3 --out "$T/h$n" $SETTLE
      st cosign "$T/h$n" --dir "$T/$y" --out "$T/t$n" $SETTLE
      st cosign "$T/h$n" --dir "$T/$y" --out "$T/u$n" $SETTLE
      if [ "$NEW" = 1 ]; then check "step $step: co-signing the same half twice gives the same transfer" cmp -s "$T/t$n" "$T/u$n"; fi
      f=$T/t$n; [ $((RANDOM % 2)) = 0 ] && f=$T/u$n
      st submit "$f" --dir "$T/$x" --galaxy "$GAL" --wait --timeout 5 ;;
    lose_half) n=$((n + 1)); st pay --dir "$T/$x" --to "${ADDR[$y]}" --amount 2 --out "$T/h$n" $SETTLE; rm -f "$T/h$n" ;;
    lose_cosigned)
      n=$((n + 1))
      st pay --dir "$T/$x" --to "${ADDR[$y]}" --amount 2 --out "$T/h$n" $SETTLE
      st cosign "$T/h$n" --dir "$T/$y" --out "$T/t$n" $SETTLE; rm -f "$T/h$n" "$T/t$n" ;;
    overdraft)
      xfer "$x" "$y" 10000000000 --wait --timeout 5; rc=$?
      check "step $step: an overdraft does not commit (rc=$rc)" [ "$rc" != 0 ]
      # galaxyd keeps rejections (docs/API.md /v1/tx/ID "rejected"): star
      # submit --wait and star tx say why, exit 3
      id=$(grep -E '^[0-9a-f]{64}$' "$T/log" | tail -n 1)
      if [ "$NEW" = 1 ]; then
        check "step $step: submit --wait: the overdraft is rejected, exit 3 with the reason (rc=$rc)" \
          bash -c "[ $rc = 3 ] && tail -n 3 '$T/log' | grep -q '^star: transfer $id rejected: overdraft$'"
        out=$("$S" tx "$id" --api "$API" 2>&1); rc=$?
        check "step $step: star tx says 'rejected overdraft', exit 3 (rc=$rc: $out)" [ "$rc" = 3 -a "$out" = "rejected overdraft" ]
      fi ;;
    no_wait) xfer "$x" "$y" 4 nowait || true ;;
    stale_half)
      [ "$NEW" = 1 ] || continue
      z=$x; for o in "${W[@]}"; do [ "$o" != "$x" ] && [ "$o" != "$y" ] && z=$o; done
      n=$((n + 1)); h1=$T/h$n
      st pay --dir "$T/$x" --to "${ADDR[$y]}" --amount 5 --out "$h1" $SETTLE
      st cancel --dir "$T/$x"
      xfer "$x" "$z" 6 || true
      st cosign "$h1" --dir "$T/$y" --out "$h1.t" $SETTLE
      "$S" submit "$h1.t" --dir "$T/$y" --galaxy "$GAL" --api "$API" --wait --timeout 3 >>"$T/log" 2>&1; rc=$?
      check "step $step: a half cancelled and superseded does not commit (rc=$rc)" [ "$rc" != 0 ] ;;
    restart)
      sig=TERM; [ $((RANDOM % 2)) = 0 ] && sig=KILL
      net_stop_node 0 "$sig"
      xfer "$x" "$y" 7 nowait || true # sent while the network is down
      net_start_node 0; net_wait_up
      check "step $step: the network is back after SIG$sig" net_wait '[ -n "$(net_height 0)" ]' 20 ;;
    resync) st sync --dir "$T/$x" || true ;;
  esac
  if probe; then step_ok=$step; else
    not_ok "after step $step ($op $x -> $y) an account cannot make a transfer that commits"
    sed 's/^/# /' "$T/ops" | tail -n 40; tail -n 30 "$T/log" | sed 's/^/#   | /'
    break
  fi
done
check "every account made a committed transfer after each of the $STEPS steps" [ "$step_ok" = "$STEPS" ]
check "the validator's total balance is still the supply" \
  bash -c "[ \"\$(curl -sf $API/v1/status | jq .total_balance)\" = \"\$(curl -sf $API/v1/status | jq .supply)\" ]"
gx_done
