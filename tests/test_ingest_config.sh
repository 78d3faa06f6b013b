#!/usr/bin/env bash
# galaxyd configuration: --check-config prints the resolved config; the
# shipped deploy/galaxyd.ini documents every key with its default; each kind
# of problem (bad core list, missing core, port in use, unreadable or invalid
# key file, unknown key/section, bad value, INI syntax) is reported as one line
# and exit code 2; several problems give one line each; a bad config never
# starts the daemon.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest_lib.sh"
tmp=$(gx_tmpdir gdcfg)
holder=
trap '[ -n "$holder" ] && kill $holder 2>/dev/null; rm -rf "$tmp"' EXIT
G="$BIN/galaxyd"
free=$(gx_free_port); mfree=$(gx_free_port)
base=(--set node.listen="127.0.0.1:$free" --set metrics.listen="127.0.0.1:$mfree"
      --set api.listen="127.0.0.1:$(gx_free_port)")

out=$("$G" "${base[@]}" --check-config 2>&1); rc=$?
check "defaults: --check-config exits 0" [ "$rc" -eq 0 ]
check "defaults: resolved config printed" grep -q '^mode = socket' <<<"$out"
check "defaults: config OK line" grep -q '^# config OK' <<<"$out"

# deploy/galaxyd.ini resolves to exactly the built-in defaults, key by key
"$G" "${base[@]}" --check-config >"$tmp/defaults.txt" 2>&1
"$G" -c "$GX_ROOT/deploy/galaxyd.ini" "${base[@]}" --check-config >"$tmp/shipped.txt" 2>&1
check "deploy/galaxyd.ini states the defaults (same resolved config)" cmp -s "$tmp/defaults.txt" "$tmp/shipped.txt"
missing=""
for k in $(grep -E '^[a-z_]+ = ' "$tmp/defaults.txt" | cut -d' ' -f1); do
  grep -qE "^$k =" "$GX_ROOT/deploy/galaxyd.ini" || missing="$missing $k"
done
check "every key documented in deploy/galaxyd.ini (missing:${missing:- none})" [ -z "$missing" ]

out=$("$G" "${base[@]}" --set ingest.rx_busy_poll=1 --check-config 2>&1)
check "ingest.rx_busy_poll = 1 is taken and printed" grep -q '^rx_busy_poll = 1$' <<<"$out"
expect_fail "rx_busy_poll takes 0 or 1" 2 'rx_busy_poll' \
  "$G" "${base[@]}" --set ingest.rx_busy_poll=2 --check-config
expect_fail "bad core list" 2 '^galaxyd: \[cores\] verify: .x-1. is not a core list' \
  "$G" "${base[@]}" --set cores.verify=x-1 --check-config
ncpu=$(nproc --all)
expect_fail "core that does not exist" 2 "\[cores\] rx: core $ncpu does not exist" \
  "$G" "${base[@]}" --set cores.rx="$ncpu" --check-config

python3 -c 'import socket,sys,time
u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); u.bind(("127.0.0.1",int(sys.argv[1])))
t=socket.socket(); t.bind(("127.0.0.1",int(sys.argv[2]))); t.listen()
print("ready",flush=True); time.sleep(60)' "$free" "$mfree" >"$tmp/holder.out" &
holder=$!
wait_until 10 grep -q ready "$tmp/holder.out"
expect_fail "UDP port in use" 2 "\[node\] listen 127.0.0.1:$free: port in use" \
  "$G" --set node.listen="127.0.0.1:$free" --set metrics.listen="127.0.0.1:$(gx_free_port)" \
  --set api.listen= --check-config
expect_fail "metrics port in use" 2 "\[metrics\] listen 127.0.0.1:$mfree: port in use" \
  "$G" --set node.listen="127.0.0.1:$(gx_free_port)" --set metrics.listen="127.0.0.1:$mfree" \
  --set api.listen= --check-config
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; holder=

expect_fail "unreadable key file" 2 '\[node\] key_file /nonexistent/galaxy.key: .*No such file' \
  "$G" "${base[@]}" --set node.key_file=/nonexistent/galaxy.key --check-config
echo "not a key" >"$tmp/bad.key"
expect_fail "invalid key file" 2 "\[node\] key_file $tmp/bad.key: not a galaxy key file" \
  "$G" "${base[@]}" --set node.key_file="$tmp/bad.key" --check-config
"$BIN/star" keygen --dir "$tmp/wallet" >/dev/null 2>&1
quiet() { "$@" >/dev/null 2>&1; }
check "a valid key file (star keygen) passes" \
  quiet "$G" "${base[@]}" --set node.key_file="$tmp/wallet/key" --check-config
expect_fail "unknown key" 2 '\[ingest\] bogus: unknown key' "$G" "${base[@]}" --set ingest.bogus=1 --check-config
expect_fail "unknown section" 2 '\[nosuch\]: unknown section' "$G" "${base[@]}" --set nosuch.k=1 --check-config
expect_fail "bad number" 2 '\[mempool\] capacity: .-5. is not a number' \
  "$G" "${base[@]}" --set mempool.capacity=-5 --check-config
expect_fail "ring size not a power of two" 2 '\[ingest\] verify_ring: .1000. is not a power of two' \
  "$G" "${base[@]}" --set ingest.verify_ring=1000 --check-config
expect_fail "bad peer address" 2 '\[gossip\] peers: .10.0.0.1.: want HOST:PORT' \
  "$G" "${base[@]}" --set gossip.peers=10.0.0.1 --check-config
expect_fail "bad --set syntax" 2 'galaxyd: --set fanout=3: want SECTION.KEY=VALUE' \
  "$G" "${base[@]}" --set fanout=3 --check-config
printf '[node]\nmode = socket\nthis line is not ini\n' >"$tmp/syntax.ini"
expect_fail "INI syntax error with its line" 2 "syntax.ini:3: syntax error" \
  "$G" -c "$tmp/syntax.ini" "${base[@]}" --check-config
expect_fail "unreadable config file" 2 'nosuch.ini: cannot read' \
  "$G" -c "$tmp/nosuch.ini" "${base[@]}" --check-config
printf '[gossip]\npeers = %s\n' "$(printf '127.0.0.1:%d,' $(seq 20000 20020))" >"$tmp/long.ini"
expect_fail "a line too long for libinih is named, not split into a bogus key" 2 \
  "long.ini:2: a line of 344 characters; at most 199 fit" \
  "$G" -c "$tmp/long.ini" "${base[@]}" --check-config

printf '[node]\nmode = warp\n[cores]\nverify = 1-\n[gossip]\nfanout = 99\n' >"$tmp/many.ini"
err=$("$G" -c "$tmp/many.ini" "${base[@]}" --check-config 2>&1 >/dev/null); rc=$?
check "three problems: exit 2, one line each" [ "$rc" -eq 2 -a "$(grep -c '^galaxyd: ' <<<"$err")" -eq 3 ]
"$G" -c "$tmp/many.ini" "${base[@]}" >"$tmp/run.out" 2>&1; rc=$?
check "a bad config does not start the daemon (exit 2)" [ "$rc" -eq 2 ]
gx_done
