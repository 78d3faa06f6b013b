#!/usr/bin/env bash
# The command-line conventions of star, galaxyctl and galaxyd (apps/gx_cli.h):
# --help (stdout, exit 0) and --version ("PROG VERSION (rev REV)", exit 0);
# numbers parsed by one helper whose one-line messages name the real problem;
# every argument checked before anything is sent; API URLs with a trailing
# slash; "cannot reach API" apart from "not committed"; key file mode
# warnings and unreadable-key reasons; genesis with f = 0 refused unless
# --allow-f0; galaxyd survives SIGHUP and logs the signal that stops it;
# [log] file is reopened on SIGHUP after a rotation.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest_lib.sh"
tmp=$(gx_tmpdir cli)
gd_pid=; api_pid=
trap '[ -n "$gd_pid" ] && kill -KILL $gd_pid 2>/dev/null; [ -n "$api_pid" ] && kill $api_pid 2>/dev/null; rm -rf "$tmp"' EXIT
S="$BIN/star"; C="$BIN/galaxyctl"; G="$BIN/galaxyd"

# expect_out DESCRIPTION PATTERN COMMAND...: exit 0, stdout matches PATTERN, stderr empty
expect_out() {
  local d=$1 pat=$2; shift 2
  local out err rc
  out=$("$@" 2>"$tmp/stderr"); rc=$?; err=$(cat "$tmp/stderr")
  if [ "$rc" -eq 0 ] && [ -z "$err" ] && printf '%s\n' "$out" | grep -qE "$pat"; then ok "$d"
  else not_ok "$d (rc=$rc; stdout: $(printf '%s' "$out" | head -c 200); stderr: $err)"; fi
}

# ---- --help and --version ------------------------------------------------------
VER='[0-9]+\.[0-9]+\.[0-9]+ \(rev [^ )]+\)$'
for p in "$S" "$C" "$G"; do
  n=$(basename "$p")
  expect_out "$n --help prints usage on stdout, exit 0" '^usage: ' "$p" --help
  expect_out "$n --version prints '$n VERSION (rev REV)', exit 0" "^$n $VER" "$p" --version
  check "$n --version is exactly one line" test "$("$p" --version | wc -l)" = 1
done
expect_out "star pay --help prints usage, exit 0" '^usage: star' "$S" pay --help
expect_out "galaxyctl db --help prints the db usage, exit 0" '^usage: galaxyctl db' "$C" db --help
expect_out "galaxyctl genesis --help prints usage, exit 0" '^usage: galaxyctl genesis' "$C" genesis --help

# ---- numbers ---------------------------------------------------------------------
"$S" keygen --dir "$tmp/a" >/dev/null 2>&1; "$S" keygen --dir "$tmp/b" >/dev/null 2>&1
B=$("$S" address --dir "$tmp/b")
A="--dir $tmp/a"
check "--amount 010 is 10 (leading zeros ignored)" bash -c "'$S' pay $A --to $B --amount 010 --out '$tmp/h10' && '$S' show '$tmp/h10' | grep -q '^amount     10$'"
cp "$tmp/a/chain" "$tmp/a.chain"; rm -f "$tmp/a/chain" # forget the pending pay
expect_fail "--amount with no value says it needs a value" 2 '^star: --amount needs a value$' "$S" pay $A --to "$B" --amount
expect_fail "--amount followed by another option says it needs a value" 2 "^star: --amount needs a value \(got option '--to'\)$" "$S" pay $A --amount --to "$B"
expect_fail "--amount '' is empty" 2 "^star: --amount '': empty" "$S" pay $A --to "$B" --amount ''
expect_fail "--amount -5 is negative" 2 "^star: --amount '-5': negative" "$S" pay $A --to "$B" --amount -5
expect_fail "--amount 01x is not a whole number" 2 "^star: --amount '01x': not a whole number$" "$S" pay $A --to "$B" --amount 01x
expect_fail "--amount 1.5 is not a whole number" 2 "not a whole number" "$S" pay $A --to "$B" --amount 1.5
expect_fail "--amount above 2^62 is too large" 2 "^star: --amount 4611686018427387905: too large \(maximum 4611686018427387904\)$" "$S" pay $A --to "$B" --amount 4611686018427387905
expect_fail "--amount above 2^64 is too large" 2 "too large" "$S" pay $A --to "$B" --amount 99999999999999999999999
expect_fail "--amount 0 must be at least 1" 2 "^star: --amount 0: must be at least 1$" "$S" pay $A --to "$B" --amount 0
expect_fail "load --rate x: same helper" 2 "^star: --rate 'x': not a whole number$" "$S" load --galaxy 127.0.0.1:9 --accounts 1 --rate x --duration 1
expect_fail "galaxyctl genesis --validators 1x: same helper" 2 "^galaxyctl: --validators '1x': not a whole number$" "$C" genesis --validators 1x --out "$tmp/g0"
expect_fail "galaxyctl genesis --validators with no value" 2 "^galaxyctl: --validators needs a value$" "$C" genesis --out "$tmp/g0" --validators

# ---- every argument checked before anything is sent ------------------------------
"$S" pay $A --to "$B" --amount 3 --out "$tmp/h1" && "$S" cosign "$tmp/h1" --dir "$tmp/b" --out "$tmp/t1"
UDP=$(gx_free_port)
python3 - "$UDP" "$tmp/ready" >"$tmp/recv" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); s.settimeout(4)
open(sys.argv[2], "w").close()
n = 0
try:
    while True: s.recv(2000); n += 1
except socket.timeout: pass
print(n)
PY
recv_pid=$!
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
expect_fail "submit --wait --timeout x refused" 2 "^star: --timeout 'x': not a whole number$" \
  "$S" submit "$tmp/t1" --galaxy "127.0.0.1:$UDP" --wait --api "http://127.0.0.1:9" --timeout x $A
expect_fail "submit --timeout without --wait refused" 2 "^star: --timeout goes with --wait$" \
  "$S" submit "$tmp/t1" --galaxy "127.0.0.1:$UDP" --timeout 5 $A
mkdir -p "$tmp/bad"; echo garbage >"$tmp/bad/key"; chmod 600 "$tmp/bad/key"
expect_fail "submit with a broken wallet refused" 2 "not a galaxy key file" "$S" submit "$tmp/t1" --galaxy "127.0.0.1:$UDP" --dir "$tmp/bad"
expect_fail "load with a bad --galaxy refused before signing" 2 "^star: --galaxy nohostport: expected HOST:PORT$" \
  "$S" load --galaxy nohostport --accounts 1 --rate 1 --duration 1
wait $recv_pid
check "nothing was sent by the refused commands" test "$(cat "$tmp/recv")" = 0

# ---- API URLs and reachability ----------------------------------------------------
HTTP=$(gx_free_port)
python3 - "$HTTP" "$tmp/api_ready" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        raw = self.requestline.split()[1]  # self.path has '//' folded by http.server
        if raw.startswith("/nope/"):
            code, body = 404, b'{"error":"no such path","code":"not_found"}'
        elif "//v1" in raw or not raw.startswith("/v1/"):
            code, body = 400, b'{"error":"bad path"}'
        elif self.path.startswith("/v1/account/"):
            code, body = 200, b'{"balance":42,"seq":7}'
        else:
            code, body = 404, b'{"error":"not committed"}'
        self.send_response(code); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
open(sys.argv[2], "w").close()
s.serve_forever()
PY
api_pid=$!
for _ in $(seq 100); do [ -e "$tmp/api_ready" ] && break; sleep 0.1; done
check "balance --api with a trailing slash" bash -c "'$S' balance $B --api 'http://127.0.0.1:$HTTP/' | grep -q 'balance 42 seq 7'"
check "balance --api without a trailing slash" bash -c "'$S' balance $B --api 'http://127.0.0.1:$HTTP' | grep -q 'balance 42 seq 7'"
expect_fail "balance: a 404 that is not unknown_account (wrong path) is an error, not balance 0" 1 \
  "HTTP 404 that is not an account answer" "$S" balance "$B" --api "http://127.0.0.1:$HTTP/nope"
ID=$(printf 'ab%.0s' $(seq 32))
out=$("$S" tx "$ID" --api "http://127.0.0.1:$HTTP/" 2>&1); rc=$?
check "tx --api URL/ of an unknown transfer says not committed (exit 1)" bash -c "[ $rc -eq 1 ] && [ '$out' = 'not committed' ]"
DEAD=$(gx_free_port)
expect_fail "tx against a dead API says cannot reach API at URL" 1 "^star: cannot reach API at http://127.0.0.1:$DEAD/v1/tx/$ID$" \
  "$S" tx "$ID" --api "http://127.0.0.1:$DEAD/"
expect_fail "balance against a dead API says cannot reach API at URL" 1 "^star: cannot reach API at http://127.0.0.1:$DEAD/v1/account/" \
  "$S" balance "$B" --api "http://127.0.0.1:$DEAD"
cp "$tmp/a.chain" "$tmp/a/chain"
expect_fail "submit --wait against a dead API is not 'not committed'" 1 "^star: cannot reach API at http://127.0.0.1:$DEAD/v1/tx/" \
  "$S" submit "$tmp/t1" --galaxy "127.0.0.1:$UDP" --wait --api "http://127.0.0.1:$DEAD/" --timeout 1 --dir "$tmp/b"
expect_fail "submit --wait against a live API: not committed within" 1 "^star: transfer [0-9a-f]{64} not committed within 1s$" \
  "$S" submit "$tmp/t1" --galaxy "127.0.0.1:$UDP" --wait --api "http://127.0.0.1:$HTTP/" --timeout 1 --dir "$tmp/b"

# ---- key file modes ---------------------------------------------------------------
chmod 644 "$tmp/b/key"
err=$("$S" address --dir "$tmp/b" 2>&1 >/dev/null); rc=$?
check "group/other-readable key: warning names the file and chmod 600" \
  bash -c "[ $rc -eq 0 ] && printf '%s' \"\$1\" | grep -q \"warning: $tmp/b/key .*chmod 600 $tmp/b/key\"" _ "$err"
chmod 600 "$tmp/b/key"
err=$("$S" address --dir "$tmp/b" 2>&1 >/dev/null)
check "mode 0600 key: no warning" test -z "$err"
cp "$tmp/b/key" "$tmp/nokey.key"; mkdir -p "$tmp/u"; cp "$tmp/b/key" "$tmp/u/key"; chmod 000 "$tmp/u/key"
if [ "$(id -u)" -ne 0 ]; then
  expect_fail "unreadable key says why, not keygen" 2 "key: cannot read the key: Permission denied$" "$S" address --dir "$tmp/u"
else
  chmod 755 "$tmp"
  expect_fail "unreadable key says why, not keygen" 2 "key: cannot read the key: Permission denied$" \
    setpriv --reuid=65534 --regid=65534 --clear-groups "$S" address --dir "$tmp/u"
fi
expect_fail "missing key still suggests star keygen" 2 "No such file.*star keygen" "$S" address --dir "$tmp/none"

# ---- genesis f = 0 ----------------------------------------------------------------
for n in 2 3; do
  expect_fail "genesis --validators $n (f = 0) refused" 2 "^galaxyctl: --validators $n gives f = 0: .*--allow-f0" \
    "$C" genesis --validators $n --out "$tmp/g$n"
  check "  ... and wrote nothing" test ! -e "$tmp/g$n/genesis.ini"
  check "genesis --validators $n --allow-f0 makes it" bash -c "'$C' genesis --validators $n --out '$tmp/g$n' --allow-f0 | grep -q 'validators $n f 0'"
done
check "genesis --validators 1 (single node) still allowed" bash -c "'$C' genesis --validators 1 --out '$tmp/g1' >/dev/null"
check "genesis --validators 4 (f = 1) needs no flag" bash -c "'$C' genesis --validators 4 --out '$tmp/g4' | grep -q 'validators 4 f 1'"

# ---- galaxyd signals --------------------------------------------------------------
udp=$(gx_free_port); http=$(gx_free_port)
check "galaxyd starts ingest-only on loopback" gd_start sig "$udp" "$http"
kill -HUP "$gd_pid"
wait_until 5 grep -q 'SIGHUP: nothing to reopen (logging to stderr)' "$tmp/sig.log"
check "SIGHUP is logged as nothing to reopen" grep -q 'INFO  galaxyd: SIGHUP: nothing to reopen (logging to stderr)' "$tmp/sig.log"
check "galaxyd survives SIGHUP and still serves /metrics" bash -c "kill -0 $gd_pid && curl -sf http://127.0.0.1:$http/metrics >/dev/null"
gd_stop "$gd_pid" TERM; gd_pid=
check "SIGTERM: exit 0" test "$gd_rc" -eq 0
check "SIGTERM is logged by name" grep -q 'galaxyd: SIGTERM: stopping' "$tmp/sig.log"
check "galaxyd starts again" gd_start int "$udp" "$http"
gd_stop "$gd_pid" INT; gd_pid=
check "SIGINT: exit 0 and logged by name" bash -c "[ $gd_rc -eq 0 ] && grep -q 'galaxyd: SIGINT: stopping' '$tmp/int.log'"

# [log] file: the log goes to the file; after a rotation (mv), SIGHUP makes a new one
check "galaxyd starts with [log] file" gd_start lf "$udp" "$http" --set log.file="$tmp/gd.log"
check "  ... and logs to the file, not stderr" bash -c "grep -q 'INFO  ' '$tmp/gd.log' && ! grep -q 'INFO  ' '$tmp/lf.log'"
mv "$tmp/gd.log" "$tmp/gd.log.1"
kill -HUP "$gd_pid"
wait_until 5 test -s "$tmp/gd.log"
check "SIGHUP after a rotation opens a new file and says so" grep -q 'SIGHUP: log file .*gd.log reopened' "$tmp/gd.log"
check "  ... the rotated file keeps the earlier lines" grep -q 'INFO  ' "$tmp/gd.log.1"
check "  ... and galaxyd still serves /metrics" bash -c "kill -0 $gd_pid && curl -sf http://127.0.0.1:$http/metrics >/dev/null"
gd_stop "$gd_pid" TERM; gd_pid=
check "  ... and logs its stop to the new file" grep -q 'SIGTERM: stopping' "$tmp/gd.log"
expect_fail "[log] file in a directory that does not exist: exit 1, one line" 1 "log\] file .*No such file" \
  "$BIN/galaxyd" --set node.listen="127.0.0.1:$udp" --set admin.listen="127.0.0.1:$http" --set api.listen= \
  --set log.file="$tmp/nodir/gd.log"
expect_fail "[log] file must be absolute" 2 "not an absolute path" "$BIN/galaxyd" --check-config --set log.file=rel.log
gx_done
