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

# [mempool] per-cause junk bounds (docs/GALAXYD.md "Mempool"): each key's bad
# values, the checks across keys, and a good value reaching the mempool.
expect_fail "max_unknown not a number" 2 '^galaxyd: \[mempool\] max_unknown: .lots. is not a number in 0\.\.268435456$' \
  "$G" "${base[@]}" --set mempool.max_unknown=lots --check-config
expect_fail "max_unknown above 2^28" 2 '\[mempool\] max_unknown: .268435457. is not a number in 0\.\.268435456' \
  "$G" "${base[@]}" --set mempool.max_unknown=268435457 --check-config
expect_fail "max_unknown above capacity" 2 '^galaxyd: \[mempool\] max_unknown: 5000 is more than capacity \(4000\)$' \
  "$G" "${base[@]}" --set mempool.capacity=4000 --set mempool.max_unknown=5000 --check-config
expect_fail "max_known negative" 2 '^galaxyd: \[mempool\] max_known: .-1. is not a number in 0\.\.268435456$' \
  "$G" "${base[@]}" --set mempool.max_known=-1 --check-config
expect_fail "max_known above 2^28" 2 '\[mempool\] max_known: .268435457. is not a number' \
  "$G" "${base[@]}" --set mempool.max_known=268435457 --check-config
expect_fail "unknown_ttl 0" 2 '^galaxyd: \[mempool\] unknown_ttl: .0. is not a number in 1\.\.1000000$' \
  "$G" "${base[@]}" --set mempool.unknown_ttl=0 --check-config
expect_fail "unknown_ttl above 1000000" 2 '\[mempool\] unknown_ttl: .1000001. is not a number in 1\.\.1000000' \
  "$G" "${base[@]}" --set mempool.unknown_ttl=1000001 --check-config
out=$("$G" "${base[@]}" --check-config 2>&1)
check "defaults: max_unknown and max_known derived (0), in effect 62500 and 1048576; unknown_ttl 64" \
  bash -c "grep -qx 'max_unknown = 0' <<<'$out' && grep -qx 'max_known = 0' <<<'$out' &&
    grep -qx 'unknown_ttl = 64' <<<'$out' && grep -qx '; in effect: max_unknown = 62500, max_known = 1048576' <<<'$out'"
out=$("$G" "${base[@]}" --set mempool.capacity=32000 --set mempool.max_accounts=100 --check-config 2>&1)
check "derived bounds follow capacity and max_accounts (min(32000/16, 100/4) = 25; 4096 at least)" \
  grep -qx '; in effect: max_unknown = 25, max_known = 4096' <<<"$out"
mp=(--set mempool.max_unknown=1234 --set mempool.max_known=5000 --set mempool.unknown_ttl=9)
out=$("$G" "${base[@]}" "${mp[@]}" --check-config 2>&1)
check "set bounds printed by --check-config" \
  bash -c "grep -qx 'max_unknown = 1234' <<<'$out' && grep -qx 'max_known = 5000' <<<'$out' &&
    grep -qx 'unknown_ttl = 9' <<<'$out' && grep -qx '; in effect: max_unknown = 1234, max_known = 5000' <<<'$out'"
hp=$(gx_free_port)
if gd_start mp "$(gx_free_port)" "$hp" --set mempool.capacity=100000 "${mp[@]}"; then
  check "set bounds reach the mempool (gauges: unknown capacity 1234, known capacity 5000, ttl 9)" \
    test "$(metric "$hp" gx_mempool_unknown_capacity)" = 1234 -a \
    "$(metric "$hp" gx_mempool_known_capacity)" = 5000 -a "$(metric "$hp" gx_mempool_unknown_ttl_rounds)" = 9
  gd_stop "$gd_pid"
else
  not_ok "galaxyd with [mempool] bounds starts (log: $(tail -3 "$tmp/mp.log"))"
fi
# max_known below the genesis's accounts (a 1-validator chain, 20 load accounts + 1)
. "$GX_ROOT/tests/netlib.sh"
NB=$(net_pick_base 1)
net_setup "$tmp/net" 1 "$NB" --fund-load-seed 1 --fund-load-accounts 20 --fund-amount 1000 >/dev/null 2>&1
na=$(awk '/^\[balances\]/{b=1;next} /^\[/{b=0} b && NF==3{n++} END{print n+0}' "$tmp/net/genesis/genesis.ini")
check "a chain's config with its genesis passes (--check-config)" \
  quiet "$G" -c "$tmp/net/node-0/galaxyd.ini" --check-config
expect_fail "max_known below the genesis's $na accounts" 2 \
  "^galaxyd: \[mempool\] max_known: 10 is less than the $na accounts of the genesis" \
  "$G" -c "$tmp/net/node-0/galaxyd.ini" --set mempool.max_known=10 --check-config
check "max_known = $na (exactly the genesis's accounts) passes" \
  quiet "$G" -c "$tmp/net/node-0/galaxyd.ini" --set mempool.max_known="$na" --check-config

printf '[node]\nmode = warp\n[cores]\nverify = 1-\n[gossip]\nfanout = 99\n' >"$tmp/many.ini"
err=$("$G" -c "$tmp/many.ini" "${base[@]}" --check-config 2>&1 >/dev/null); rc=$?
check "three problems: exit 2, one line each" [ "$rc" -eq 2 -a "$(grep -c '^galaxyd: ' <<<"$err")" -eq 3 ]
"$G" -c "$tmp/many.ini" "${base[@]}" >"$tmp/run.out" 2>&1; rc=$?
check "a bad config does not start the daemon (exit 2)" [ "$rc" -eq 2 ]
gx_done
