#!/usr/bin/env bash
# galaxyctl monitor (docs/OPERATIONS.md "Watching a network") over a real
# 4-validator network on loopback, plus a URL nothing listens on and one whose
# server never answers, driven in tmux at a fixed terminal size and read back
# with `tmux capture-pane -p`: one row per node, heights that rise between two
# captures while a node hangs, the dead URL down, sorting keys reorder the
# rows, the detail view opens and closes, q and Ctrl-C exit 0 and give the
# shell back with the terminal settings it had. Then --once (table, exit
# status, --genesis with --api-port-offset, stdout not a terminal) and the
# usage errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
C="$BIN/galaxyctl"
T=$(gx_tmpdir monitor)
TM="gxmon$$"
HUNG_PID=""
cleanup() {
  tmux -L "$TM" kill-server 2>/dev/null
  [ -n "$HUNG_PID" ] && kill "$HUNG_PID" 2>/dev/null
  net_stop
  if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap cleanup EXIT
command -v tmux >/dev/null || { not_ok "tmux is installed (deploy/install-deps.sh)"; gx_done; exit 1; }

BASE=$(net_pick_base 4)
net_setup "$T" 4 "$BASE" || { not_ok "genesis"; gx_done; exit 1; }
net_start
DEAD="http://127.0.0.1:$(gx_free_port)"
# a server that takes connections and never answers (the kernel's backlog accepts them)
HUNG_PORT=$(gx_free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); time.sleep(120)' "$HUNG_PORT" &
HUNG_PID=$!
URLS="$(net_api 0),$(net_api 1),$(net_api 2),$(net_api 3),$DEAD,http://127.0.0.1:$HUNG_PORT"

# ---- the screen ---------------------------------------------------------------------------
screen() { tmux -L "$TM" capture-pane -p -t mon; }
# wait_screen REGEX SECONDS: until the pane shows a line matching REGEX
wait_screen() {
  local end=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$end" ]; do screen | grep -qE "$1" && return 0; sleep 0.2; done
  screen | grep -qE "$1"
}
keys() { tmux -L "$TM" send-keys -t mon "$@"; }
# rows: "INDEX STATUS HEIGHT" of every table row, in screen order (of a saved screen: table_rows FILE)
table_rows() { awk '$1 ~ /^[0-9]+$/ && $2 ~ /^127\.0\.0\.1:/ {print $1, $4, $5}' "$1"; }
rows() { screen >"$T/screen.now"; table_rows "$T/screen.now"; }
order() { rows | awk '{printf "%s%s", (NR > 1 ? " " : ""), $1}'; }
height_of() { rows | awk -v i="$1" '$1 == i {print $3}'; }

tmux -L "$TM" -f /dev/null new-session -d -s mon -x 150 -y 30 \
  "env -i PATH=$PATH HOME=$T TERM=screen PS1='gxsh\$ ' bash --norc --noprofile -i"
check "tmux runs a shell in a 150x30 pane" wait_screen '^gxsh\$' 10
# (timeouts generous enough for a loaded 2-core machine; the hung server takes all of it)
keys "stty -g >$T/stty.before; $C monitor --urls $URLS --interval 500 --timeout 2500" Enter
check "the monitor draws its table" wait_screen 'TOP-DROP' 10
# settled: the 4 live nodes ok with heights, the dead URL down, the silent one unreach
settled() {
  screen >"$T/screen1"
  table_rows "$T/screen1" >"$T/rows1"
  [ "$(grep -cE '^[0-3] ok [0-9]+$' "$T/rows1")" = 4 ] && grep -qE '^4 down -$' "$T/rows1" &&
    grep -qE '^5 unreach -$' "$T/rows1"
}
net_wait settled 30
check "one row per node (6)" test "$(wc -l <"$T/rows1")" = 6
check "rows in node order first" test "$(cut -d' ' -f1 "$T/rows1" | tr '\n' ' ')" = "0 1 2 3 4 5 "
check "heights of the live nodes are numbers, status ok" test "$(grep -cE '^[0-3] ok [0-9]+$' "$T/rows1")" = 4
check "the dead URL shows as down" grep -qE '^4 down -$' "$T/rows1"
check "the URL that never answers shows as unreach" grep -qE '^5 unreach -$' "$T/rows1"
check "the title counts 4 of 6 up" grep -q '6 nodes, 4 up' "$T/screen1"
rose() {
  local i h1 h2
  for i in 0 1 2 3; do
    h1=$(awk -v i=$i '$1 == i {print $3}' "$T/rows1"); h2=$(height_of $i)
    [[ $h2 =~ ^[0-9]+$ ]] && [ "$h2" -gt "$h1" ] || return 1
  done
}
sleep 1
check "every live node's height rises on screen, a hung node notwithstanding" net_wait rose 20
# sorting
keys 3
check "key 3 sorts by status: the dead and the hung node first" wait_screen 'sort: status' 5
check "status order: down, unreach, then the live ones" test "$(order)" = "4 5 0 1 2 3"
keys 4
wait_screen 'sort: height' 5
check "key 4 sorts by height, unknown heights last" bash -c "[[ '$(order)' =~ ' 4 5'$ ]]"
keys 1
wait_screen 'sort: node$' 5
keys 1
check "key 1 again reverses the node order" wait_screen 'sort: node \(reversed\)' 5
check "reversed order on screen" test "$(order)" = "5 4 3 2 1 0"
keys s
check "s moves to the next sort column" wait_screen 'sort: role$' 5
keys 1

# detail: the cursor is on node 0 (the first row)
wait_screen 'sort: node$' 5
keys Enter
check "Enter opens the detail of node 0" wait_screen '^node 0  http://127\.0\.0\.1:[0-9]+  role galaxy  status' 5
screen >"$T/detail0"
check "the detail names the committee member index" grep -q 'committee member 0 of 4' "$T/detail0"
check "the detail lists the drop reasons and link stats" bash -c \
  "grep -q '^drops by reason' '$T/detail0' && grep -q 'at 0:.*verify_queue_full' '$T/detail0' && grep -q '^link datagrams:  accepted [0-9]' '$T/detail0'"
check "the detail shows the last error line" grep -q '^last error' "$T/detail0"
keys Escape
check "Esc closes the detail" wait_screen 'TOP-DROP' 5
check "the detail is gone" bash -c "! tmux -L $TM capture-pane -p -t mon | grep -q 'committee member'"
keys Down Down Down Down d
check "d opens the detail of the selected (dead) node" wait_screen '^node 4 .*status down' 5
check "its last error says the connection was refused" wait_screen '^last error .*(refused|connect)' 5
keys d
check "d closes it" wait_screen 'TOP-DROP' 5

# q: the shell again, exit 0, the terminal settings it had
keys q
check "q exits: the pane shows the shell again" wait_screen '^gxsh\$ ?$' 5
check "the table is gone from the screen" bash -c "! tmux -L $TM capture-pane -p -t mon | grep -q 'TOP-DROP'"
keys "echo rc=\$?; stty -g >$T/stty.after" Enter
check "q exits with status 0" wait_screen '^rc=0$' 5
sleep 0.3
check "the terminal settings are restored" cmp -s "$T/stty.before" "$T/stty.after"

# Ctrl-C likewise
keys clear Enter
keys "$C monitor --urls $(net_api 0),$DEAD" Enter
wait_screen 'TOP-DROP' 10
keys C-c
check "Ctrl-C exits: the shell again" wait_screen '^gxsh\$ ?$' 5
keys "echo rc=\$?; stty -g >$T/stty.after2" Enter
check "Ctrl-C exits with status 0" wait_screen '^rc=0$' 5
sleep 0.3
check "the terminal settings are restored after Ctrl-C" cmp -s "$T/stty.before" "$T/stty.after2"

# ---- --once ---------------------------------------------------------------------------------
"$C" monitor --urls "$URLS" --once --timeout 2500 >"$T/once" 2>"$T/once.err"; rc=$?
check "--once with a dead node exits 1" test $rc = 1
check "--once prints the header and one row per node" bash -c \
  "head -1 '$T/once' | grep -q '^  # NODE .*HEIGHT .*P99 SYNC$' && [ \$(wc -l <'$T/once') = 7 ]"
check "--once: live rows ok with heights, the dead one down" bash -c "
  [ \$(grep -cE '^ +[0-3] 127\.0\.0\.1:[0-9]+ +galaxy +ok +[0-9]+ +[0-9]+ ' '$T/once') = 4 ] &&
  grep -qE '^ +4 127\.0\.0\.1:[0-9]+ +- +down ' '$T/once' && grep -qE '^ +5 .* unreach ' '$T/once'"
check "--once writes nothing on stderr" test ! -s "$T/once.err"
"$C" monitor --genesis "$T/genesis/genesis.ini" --api-port-offset 100 --once --sort height >"$T/once-g"; rc=$?
check "--once over a genesis (--api-port-offset 100) exits 0" test $rc = 0
check "--once over a genesis: 4 validators v0..v3, ok, at their API ports (consensus + 100)" bash -c "
  [ \$(grep -cE '^ +[0-3] v[0-3] 127\.0\.0\.1:[0-9]+ +galaxy +ok +[0-9]+' '$T/once-g') = 4 ] &&
  grep -q ' v0 127\.0\.0\.1:$((BASE + 200)) ' '$T/once-g' && grep -q ' v3 127\.0\.0\.1:$((BASE + 203)) ' '$T/once-g'"
"$C" monitor --urls "$(net_api 2)" | cat >"$T/once-pipe"; rc=${PIPESTATUS[0]}
check "stdout not a terminal: one table, exit 0" bash -c \
  "[ $rc = 0 ] && [ \$(wc -l <'$T/once-pipe') = 2 ] && grep -qE '^ +0 127\.0\.0\.1:$((BASE + 202)) +galaxy +ok' '$T/once-pipe'"

# ---- usage -----------------------------------------------------------------------------------
expect_fail "monitor without nodes" 2 "needs --urls" "$C" monitor --once
expect_fail "--genesis without an HTTP port" 2 "api-port-offset N or --api-port P" \
  "$C" monitor --genesis "$T/genesis/genesis.ini" --once
expect_fail "--api-port-offset without --genesis" 2 "go with --genesis" "$C" monitor --urls "$DEAD" --api-port-offset 100
expect_fail "a URL of another scheme" 2 "neither http:// nor https://" "$C" monitor --urls ftp://x --once
expect_fail "an unknown sort column" 2 "not a column" "$C" monitor --urls "$DEAD" --sort speed
expect_fail "--interval below 100 ms" 2 "must be at least 100" "$C" monitor --urls "$DEAD" --interval 5
gx_done
