#!/usr/bin/env bash
# galaxyd's JSON API errors (docs/API.md), on one validator (a committee of 1)
# on loopback: every error path answers valid JSON {"error":"...","code":"..."}
# with the documented status and code (bad address, bad checksum, bad hash,
# bad height, unknown account, height not reached, unknown path, wrong method
# with an Allow header, an escaped NUL or characters after a number or hash,
# a body on GET or HEAD); HEAD mirrors GET (status and headers, no body).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir api)
trap 'net_stop; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
S="$BIN/star"
BASE=$(net_pick_base 1)
for w in a b; do "$S" keygen --dir "$T/$w" >/dev/null 2>&1; done
A=$("$S" address --dir "$T/a"); B=$("$S" address --dir "$T/b")
net_setup "$T" 1 "$BASE" --fund "$A=100" || { not_ok "genesis"; gx_done; exit 1; }
net_start
API=$(net_api 0)
check "the validator answers /v1/status" bash -c "curl -sf --max-time 2 $API/v1/status >/dev/null"
check "height 2 reached" net_wait '[ "$(net_height 0)" -ge 2 ]' 30

# json_err NAME STATUS CODE PATH [CURL ARGS...]: GET (or the curl args' method)
# answers STATUS with a valid JSON object whose "code" is CODE and "error" a
# non-empty string.
json_err() {
  local d=$1 want=$2 code=$3 path=$4; shift 4
  local got
  got=$(curl -s --path-as-is --max-time 5 -o "$T/body" -w '%{http_code}' "$@" "$API$path")
  if [ "$got" != "$want" ]; then not_ok "$d (status $got, want $want; body $(head -c 300 "$T/body"))"; return; fi
  if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert isinstance(j, dict), "not an object"
assert j.get("code") == sys.argv[2], "code %r" % j.get("code")
assert isinstance(j.get("error"), str) and j["error"], "no error message"
' "$T/body" "$code" 2>"$T/pyerr"; then
    ok "$d: $want $code"
  else
    not_ok "$d (body $(head -c 300 "$T/body"); $(tail -1 "$T/pyerr"))"
  fi
}
HEX64=$(printf 'ab%.0s' $(seq 32))
BADSUM="${B:0:73}$([ "${B:73:1}" = 0 ] && echo 1 || echo 0)"
json_err "address without the gx prefix (message quotes \"gx\")" 400 bad_address "/v1/account/xx$HEX64"
json_err "address of the wrong length" 400 bad_address "/v1/account/gx1234"
json_err "address with a non-hex character" 400 bad_address "/v1/account/gx${HEX64:0:63}z${B:66}"
json_err "address with a bad checksum" 400 bad_checksum "/v1/account/$BADSUM"
json_err "characters after an address" 400 trailing_characters "/v1/account/${B}x"
json_err "escaped NUL after an address" 400 nul_in_url "/v1/account/${A}%00"
json_err "unknown account" 404 unknown_account "/v1/account/$B"
json_err "empty account argument" 400 missing_argument "/v1/account/"
json_err "transaction id not hex" 400 bad_hash "/v1/tx/xyz"
json_err "transaction id of 63 hex" 400 bad_hash "/v1/tx/${HEX64:1}"
json_err "characters after a 64-hex id" 400 trailing_characters "/v1/tx/${HEX64}x"
json_err "escaped NUL after a 64-hex id" 400 nul_in_url "/v1/tx/${HEX64}%00"
json_err "transfer not committed" 404 not_committed "/v1/tx/$HEX64"
for p in blackhole raw/blackhole raw/cert; do
  json_err "/v1/$p/0" 400 bad_height "/v1/$p/0"
  json_err "/v1/$p/abc" 400 bad_height "/v1/$p/abc"
  json_err "/v1/$p/01 (leading zero)" 400 bad_height "/v1/$p/01"
  json_err "/v1/$p/ above 2^64" 400 bad_height "/v1/$p/99999999999999999999999"
  json_err "/v1/$p/1abc" 400 trailing_characters "/v1/$p/1abc"
  json_err "/v1/$p/1%00abc" 400 nul_in_url "/v1/$p/1%00abc"
  json_err "/v1/$p/1%00" 400 nul_in_url "/v1/$p/1%00"
done
json_err "black hole height not reached" 404 height_not_reached "/v1/blackhole/999999999"
json_err "raw black hole height not reached" 404 height_not_reached "/v1/raw/blackhole/999999999"
json_err "certificate height not reached" 404 no_certificate "/v1/raw/cert/999999999"
json_err "unknown path" 404 unknown_path "/nope"
json_err "unknown /v1 path" 404 unknown_path "/v1/nope"
json_err "/v1/account without an argument" 404 unknown_path "/v1/account"
json_err "POST /v1/status" 405 method_not_allowed "/v1/status" -X POST
json_err "DELETE /v1/account/ADDR" 405 method_not_allowed "/v1/account/$A" -X DELETE
json_err "PUT /metrics" 405 method_not_allowed "/metrics" -X PUT
json_err "POST /v1/status with a body" 405 method_not_allowed "/v1/status" --data-binary hello
json_err "GET /v1/status with a body" 400 body_not_allowed "/v1/status" -X GET --data-binary hello
json_err "GET /v1/account/ADDR with a body" 400 body_not_allowed "/v1/account/$A" -X GET --data-binary hello

check "405 says Allow: GET, HEAD" bash -c "[ \"\$(curl -s --max-time 5 -o /dev/null -D - -X POST $API/v1/status | tr -d '\r' | grep -i '^allow:')\" = 'Allow: GET, HEAD' ]"

# raw requests curl will not make: a HEAD with a body, a huge Content-Length
raw() { # method path body content_length -> "status json-code" (or "status -")
  python3 - "$BASE" "$@" <<'PY'
import http.client, json, sys
port, method, path, body, clen = int(sys.argv[1]) + 200, sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
c.putrequest(method, path, skip_accept_encoding=True)
c.putheader("Content-Length", clen)
c.endheaders()
if body:
    c.send(body.encode())
r = c.getresponse()
data = r.read()
code = "-"
if method != "HEAD":
    code = json.loads(data)["code"]
print(r.status, code, len(data))
PY
}
check "HEAD /v1/status with a body: 400, no body" [ "$(raw HEAD /v1/status hello 5)" = "400 - 0" ]
R=$(raw GET /v1/status '' 10000000)
check "GET with Content-Length 10 MB: 413 body_too_large ($R)" [ "${R% *}" = "413 body_too_large" ]
R=$(raw GET /v1/status "$(head -c 70000 /dev/zero | tr '\0' x)" 70000)
check "GET with a 70 kB body: 413 body_too_large ($R)" [ "${R% *}" = "413 body_too_large" ]
check "the server still answers after those" bash -c "curl -sf --max-time 2 $API/v1/status >/dev/null"

# HEAD mirrors GET: same status and headers (Date aside), empty body
head_mirrors() { # path
  local g h
  g=$(curl -s --path-as-is --max-time 5 -o /dev/null -D - "$API$1" | tr -d '\r' | grep -vi '^date:' | sort)
  h=$(curl -s --path-as-is --max-time 5 -I "$API$1" | tr -d '\r' | grep -vi '^date:' | sort)
  # (Connection: close, so curl stops at the server's close instead of waiting
  # out --max-time for the Content-Length bytes a HEAD answer never sends)
  local n; n=$(curl -s --path-as-is --max-time 5 -H 'Connection: close' -X HEAD "$API$1" 2>/dev/null | wc -c)
  [ -n "$g" ] && [ "$g" = "$h" ] && [ "$n" = 0 ] || { echo "# GET: $g"; echo "# HEAD: $h"; return 1; }
}
for p in "/v1/account/$A" "/v1/account/xx" "/v1/account/$B" "/v1/tx/$HEX64" "/v1/tx/zz" /v1/blackhole/1 \
  /v1/raw/blackhole/1 /v1/raw/cert/1 /v1/blackhole/999999999 /v1/blackhole/1abc /v1/blackhole/1%00 /nope; do
  check "HEAD $p mirrors GET" head_mirrors "$p"
done
head_status() { # status line and Content-Type of HEAD equal GET's (the body changes between calls)
  local g h
  g=$(curl -s --max-time 5 -o /dev/null -D - "$API$1" | tr -d '\r' | grep -i '^HTTP/\|^content-type:')
  h=$(curl -s --max-time 5 -I "$API$1" | tr -d '\r' | grep -i '^HTTP/\|^content-type:')
  [ -n "$g" ] && [ "$g" = "$h" ]
}
check "HEAD /v1/status: status and type of GET" head_status /v1/status
check "HEAD /metrics: status and type of GET" head_status /metrics
check "/v1/status is valid JSON" bash -c "curl -sf $API/v1/status | python3 -c 'import json,sys; json.load(sys.stdin)'"
check "/v1/account/ADDR is valid JSON with the balance" bash -c \
  "curl -sf $API/v1/account/$A | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"balance\"] == 100'"
check "/v1/blackhole/1 is valid JSON" bash -c "curl -sf $API/v1/blackhole/1 | python3 -c 'import json,sys; json.load(sys.stdin)'"
check "/metrics stays Prometheus text" bash -c "curl -sf -D - -o $T/m.txt $API/metrics | grep -qi '^content-type: text/plain' && grep -q '^gx_blackhole_height ' $T/m.txt"
net_stop
gx_done
