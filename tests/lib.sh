# Shared helpers for integration tests (source it). TAP output: ok/not ok lines.
GX_BUILD=${GX_BUILD:-build}
GX_ROOT=${GX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
case "$GX_BUILD" in /*) ;; *) GX_BUILD="$GX_ROOT/$GX_BUILD" ;; esac
BIN="$GX_BUILD/bin"
gx_n=0
gx_failed=0
ok()     { gx_n=$((gx_n + 1)); echo "ok $gx_n - $*"; }
not_ok() { gx_n=$((gx_n + 1)); gx_failed=$((gx_failed + 1)); echo "not ok $gx_n - $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check()  { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# expect_fail DESCRIPTION CODE PATTERN COMMAND...: the command must exit CODE and
# print exactly one stderr line matching PATTERN (grep -E).
expect_fail() {
  local d=$1 code=$2 pat=$3; shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  local lines; lines=$(printf '%s\n' "$err" | grep -c .)
  if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -qE "$pat"; then
    ok "$d"
  else
    not_ok "$d (rc=$rc, want $code; stderr: $err)"
  fi
}
gx_tmpdir() { mktemp -d "/tmp/gx-${1:-test}.XXXXXX"; }
# A free UDP/TCP port on loopback.
gx_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
gx_done() { echo "1..$gx_n"; [ "$gx_failed" -eq 0 ]; }
