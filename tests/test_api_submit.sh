#!/usr/bin/env bash
# POST /v1/tx and the outcome of rejected transfers (docs/API.md "/v1/tx"), on
# one validator (a committee of 1) on loopback. Transfers: wallets' co-signed
# hex files (star pay + star cosign; wallet c holds 10 and pays 50) and
# `star load --dump` output (the funded load accounts of seed 5), sent to no
# one by star. Checked, every answer parsed as JSON: a valid transfer commits with
# ?wait (hex text) or without (binary), a repeat is answered without being
# sent; an overdraft is rejected by the ledger with its height, and
# /v1/tx/ID says so afterwards; a bad signature and a replay are refused at
# submission (and /v1/tx/ID says so); a sequence gap waits until the time is
# up (202 pending), past the HTTP request deadline; too far ahead 409; garbage
# 400 with the decoder's reason; bad query 400; body too large 413; wrong
# method 405 with Allow; more waiters than GX_GALAXY_WAITERS 503 with
# Retry-After; the token bucket 429 with Retry-After; a waiting request when
# galaxyd stops gets 503 and galaxyd exits 0; a double spend posted back to
# back leaves its proof at /v1/equivocations.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir api-submit)
trap 'net_stop; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
S="$BIN/star"
BASE=$(net_pick_base 1)
for w in a b c d; do "$S" keygen --dir "$T/$w" >/dev/null 2>&1; done
A=$("$S" address --dir "$T/a"); B=$("$S" address --dir "$T/b")
C=$("$S" address --dir "$T/c"); D=$("$S" address --dir "$T/d")
cp -r "$T/a" "$T/a2" # the same account, a second wallet: a second transfer at sequence 1
net_setup "$T" 1 "$BASE" --fund "$A=100" --fund "$C=10" --fund-load-seed 5 --fund-load-accounts 2 \
  --fund-amount 1000 ||
  { not_ok "genesis"; gx_done; exit 1; }
net_start
API=$(net_api 0)
HPORT=$((BASE + 200))
check "height 1 reached" net_wait '[ "$(net_height 0)" -ge 1 ]' 30

# transfers
"$S" pay --dir "$T/a" --to "$B" --amount 25 --out "$T/half.hex" >/dev/null 2>&1 &&
  "$S" cosign "$T/half.hex" --dir "$T/b" --out "$T/t1.hex" >/dev/null 2>&1
check "star pay + cosign made a transfer file" test -s "$T/t1.hex"
"$S" pay --dir "$T/c" --to "$D" --amount 50 --out "$T/half3.hex" >/dev/null 2>&1 &&
  "$S" cosign "$T/half3.hex" --dir "$T/d" --out "$T/over.hex" >/dev/null 2>&1
check "... and an overdraft (50 of 10)" test -s "$T/over.hex"
# pair 0 of seed 5: account 0 pays account 1, sequence 1, 2, ...
"$S" load --galaxy 127.0.0.1:$((BASE + 99)) --accounts 1 --rate 100 --duration 1 --seed 5 \
  --dump "$T/load5.hex" >/dev/null 2>&1
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
for seed in (5,):
    xs = []
    for line in open(f"{t}/load{seed}.hex"):
        d = bytes.fromhex(line.strip())
        xs += [d[4 + 290 * i:4 + 290 * (i + 1)] for i in range(d[2])]
    for x in xs:
        seq = int.from_bytes(x[74:82], "little")
        open(f"{t}/l{seed}_{seq}.bin", "wb").write(x)
PY
check "star load --dump gave sequences 1..80" test -s "$T/l5_80.bin"

# The helper: one request, the answer parsed as JSON and checked.
# api DESC METHOD PATH BODY CTYPE STATUS [PYTHON-CONDITION on j (the JSON), h (headers)]
# BODY: @FILE, or text, or '' for none.
cat >"$T/h.py" <<'PY'
import http.client, json, sys, time
port, method, path, body, ctype, want = sys.argv[1:7]
cond = sys.argv[7] if len(sys.argv) > 7 else "True"
data = None
if body.startswith("@"):
    data = open(body[1:], "rb").read()
elif body:
    data = body.encode()
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=40)
hdrs = {"Content-Type": ctype} if ctype else {}
t0 = time.time()
c.request(method, path, body=data, headers=hdrs)
r = c.getresponse()
raw = r.read()
el = time.time() - t0
h = {k.lower(): v for k, v in r.getheaders()}
try:
    j = json.loads(raw)
except Exception as e:
    print(f"status {r.status}, not JSON: {raw[:200]!r}"); sys.exit(1)
if str(r.status) != want:
    print(f"status {r.status}, want {want}: {raw[:300]!r}"); sys.exit(1)
if not eval(cond):
    print(f"condition {cond} fails: {raw[:300]!r} {h}"); sys.exit(1)
open(sys.argv[0] + ".last", "wb").write(raw)
PY
api() {
  local d=$1; shift
  local out
  if out=$(python3 "$T/h.py" "$HPORT" "$@" 2>&1); then ok "$d"; else not_ok "$d ($out)"; fi
}
last() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/h.py.last" "$1"; }

HEXCT="text/plain"
BINCT="application/octet-stream"

# a valid transfer, hex text, waiting for its outcome
api "POST hex ?wait=20: committed, with height and index" POST "/v1/tx?wait=20" "@$T/t1.hex" "$HEXCT" 200 \
  'j["committed"] is True and j["accepted"] is True and j["height"] >= 1 and j["index"] >= 0 and len(j["id"]) == 64'
ID1=$(last id); H1=$(last height)
"$BIN/galaxyctl" db --dir "$T/node-0/data" dump "$H1" >"$T/dump.txt" 2>&1
check "galaxyctl db dump decodes the black hole: the transfer with gx addresses" \
  bash -c "grep -qE '^blackhole: height $H1 ' '$T/dump.txt' && grep -qE '^transfer\[[0-9]+\]: id $ID1 from $A seq 1 to $B seq 1 amount 25 ' '$T/dump.txt'"
check "  ... and the updates' accounts as gx addresses" grep -qE "^update\[[0-9]+\]: key [0-9a-f]{64} .* address $A$" "$T/dump.txt"
api "GET /v1/tx/ID of it: committed at the same height" GET "/v1/tx/$ID1" '' '' 200 \
  "j['committed'] is True and j['height'] == $H1"
api "POST of the same transfer again: committed, not sent again" POST /v1/tx "@$T/t1.hex" "$HEXCT" 200 \
  'j["committed"] is True and j["accepted"] is False'

# binary, no wait: 202 at once, then committed
api "POST binary, no wait: 202 accepted, pending" POST /v1/tx "@$T/l5_1.bin" "$BINCT" 202 \
  'j["accepted"] is True and j["committed"] is False and j["pending"] is True'
ID51=$(last id)
check "it commits (GET /v1/tx/ID 200)" net_wait "curl -sf --max-time 2 $API/v1/tx/$ID51 >/dev/null" 20

# an overdraft: rejected by the ledger
api "POST overdraft ?wait=20: 422 rejected overdraft, stage ledger, height" POST "/v1/tx?wait=20" "@$T/over.hex" "$HEXCT" 422 \
  'j["code"] == "rejected" and j["rejected"] == "overdraft" and j["stage"] == "ledger" and j["height"] >= 1 and j["committed"] is False and j["accepted"] is True and j["error"]'
ID61=$(last id); H61=$(last height)
api "GET /v1/tx/ID of the overdraft: 404 rejected overdraft at that height" GET "/v1/tx/$ID61" '' '' 404 \
  "j['code'] == 'rejected' and j['rejected'] == 'overdraft' and j['height'] == $H61 and j['committed'] is False"
api "POST of the overdraft again: 422 at once, not sent" POST "/v1/tx?wait=20" "@$T/over.hex" "$HEXCT" 422 \
  'j["rejected"] == "overdraft" and j["accepted"] is False and el < 5'
check "status counts the overdraft" bash -c "[ \"\$(curl -sf $API/v1/status | jq .rejected.overdraft)\" -ge 1 ]"

# refused at submission: a bad signature, a replay
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[150]^=1; open(sys.argv[2],"wb").write(d)' \
  "$T/l5_2.bin" "$T/bad.bin"
api "POST with a bad signature: 422 rejected bad_signature, stage submit" POST "/v1/tx?wait=5" "@$T/bad.bin" "$BINCT" 422 \
  'j["rejected"] == "bad_signature" and j["stage"] == "submit" and "height" not in j and j["accepted"] is False'
IDBAD=$(last id)
api "GET /v1/tx/ID of it: rejected bad_signature at submission" GET "/v1/tx/$IDBAD" '' '' 404 \
  'j["code"] == "rejected" and j["rejected"] == "bad_signature" and j["stage"] == "submit"'
"$S" pay --dir "$T/a2" --to "$B" --amount 26 --out "$T/half2.hex" >/dev/null 2>&1 &&
  "$S" cosign "$T/half2.hex" --dir "$T/b" --out "$T/t2.hex" >/dev/null 2>&1
api "POST another transfer at a committed sequence: 422 rejected replay" POST /v1/tx "@$T/t2.hex" "$HEXCT" 422 \
  'j["rejected"] == "replay" and j["stage"] == "submit"'

# a sequence gap: accepted, never ready; the wait runs out (past the request deadline)
api "POST too far ahead (sequence 80, committed 1): 409 too_far" POST /v1/tx "@$T/l5_80.bin" "$BINCT" 409 \
  'j["code"] == "too_far" and j["accepted"] is False'
api "POST with a gap ?wait=2: 202 pending after about 2 s" POST "/v1/tx?wait=2" "@$T/l5_5.bin" "$BINCT" 202 \
  'j["pending"] is True and j["accepted"] is True and 1.8 < el < 10'

# garbage
api "POST not hex: 400 bad_transfer not_hex" POST /v1/tx "hello" "$HEXCT" 400 'j["code"] == "bad_transfer" and j["reason"] == "not_hex"'
api "POST no body: 400 bad_transfer empty" POST /v1/tx "" "$HEXCT" 400 'j["reason"] == "empty"'
api "POST hex of 2 bytes: 400 bad_transfer short" POST /v1/tx "0101" "$HEXCT" 400 'j["reason"] == "short"'
api "POST an initiator's half: 400 half_transfer" POST /v1/tx "@$T/half.hex" "$HEXCT" 400 'j["reason"] == "half_transfer"'
head -c 290 /dev/zero >"$T/zero.bin"
api "POST 290 zero bytes: 400 bad_transfer version" POST /v1/tx "@$T/zero.bin" "$BINCT" 400 'j["reason"] == "version"'
api "POST binary as text: 400 not_hex" POST /v1/tx "@$T/l5_3.bin" "$HEXCT" 400 'j["reason"] == "not_hex"'
api "?wait=31: 400 bad_wait" POST "/v1/tx?wait=31" "@$T/l5_3.bin" "$BINCT" 400 'j["code"] == "bad_wait"'
api "?wait=x: 400 bad_wait" POST "/v1/tx?wait=x" "@$T/l5_3.bin" "$BINCT" 400 'j["code"] == "bad_wait"'
api "?foo=1: 400 unknown_parameter" POST "/v1/tx?foo=1" "@$T/l5_3.bin" "$BINCT" 400 'j["code"] == "unknown_parameter"'
head -c 2000 /dev/zero | tr '\0' 0 >"$T/big.txt"
api "a 2000-byte body: 413 body_too_large" POST /v1/tx "@$T/big.txt" "$HEXCT" 413 'j["code"] == "body_too_large"'
api "GET /v1/tx: 405, Allow: POST" GET /v1/tx '' '' 405 'j["code"] == "method_not_allowed" and h["allow"] == "POST"'
api "POST /v1/tx/ID: 405, Allow: GET, HEAD" POST "/v1/tx/$ID1" '' '' 405 'h["allow"] == "GET, HEAD"'
check "the server answers after all that" bash -c "curl -sf --max-time 2 $API/v1/status >/dev/null"

# waiters: GX_GALAXY_WAITERS (32) wait (from 8 client addresses), one more is 503
python3 - "$HPORT" "$T/l5_5.bin" >"$T/waiters.out" 2>&1 <<'PY'
import http.client, json, socket, sys, threading, time
port, f = int(sys.argv[1]), open(sys.argv[2], "rb").read()
res = []
def post(i, wait):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=40, source_address=(f"127.0.0.{2 + i % 8}", 0))
    c.request("POST", f"/v1/tx?wait={wait}", body=f, headers={"Content-Type": "application/octet-stream"})
    r = c.getresponse()
    res.append((r.status, json.loads(r.read()), r.getheader("Retry-After")))
ts = [threading.Thread(target=post, args=(i, 6)) for i in range(32)]
for t in ts: t.start()
time.sleep(1.5)  # all 32 parked
post(40, 6)
extra = res[-1]
for t in ts: t.join()
codes = sorted(s for s, _, _ in res)
print("extra", extra[0], extra[1].get("code"), extra[2])
print("codes", codes.count(202), codes.count(503))
print("pending", all(j.get("pending") for s, j, _ in res if s == 202))
PY
check "33rd waiter: 503 too_many_waiters with Retry-After ($(grep extra "$T/waiters.out"))" grep -q '^extra 503 too_many_waiters 1$' "$T/waiters.out"
check "the 32 waiters: 202 pending after their 6 s ($(grep codes "$T/waiters.out"))" grep -q '^codes 32 1$' "$T/waiters.out"
check "... each says pending" grep -q '^pending True$' "$T/waiters.out"

# the token bucket: a burst of POSTs on one connection meets 429 with Retry-After
python3 - "$HPORT" >"$T/rate.out" 2>&1 <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
for i in range(3000):
    c.request("POST", "/v1/tx", body=b"zz", headers={"Content-Type": "text/plain"})
    r = c.getresponse()
    j = json.loads(r.read())
    if r.status == 429:
        print("429", i, j["code"], r.getheader("Retry-After"), bool(j["error"])); break
    assert r.status == 400, r.status
else:
    print("no 429 in 3000")
PY
check "a burst of POSTs: 429 rate_limited with Retry-After ($(cat "$T/rate.out"))" grep -qE '^429 [0-9]+ rate_limited [1-9][0-9]* True$' "$T/rate.out"

# a double spend this node sees: two wallets of account A sign different
# transfers at the same sequence; posted back to back, the second meets the
# first in the mempool and the node keeps the proof (issue 19)
sleep 2.5 # tokens again after the burst
cp -r "$T/a" "$T/a5"; cp -r "$T/a" "$T/a6"
"$S" pay --dir "$T/a5" --api "$API" --to "$B" --amount 1 --out "$T/h5.hex" >/dev/null 2>&1 &&
  "$S" cosign "$T/h5.hex" --dir "$T/b" --api "$API" --out "$T/ds1.hex" >/dev/null 2>&1
"$S" pay --dir "$T/a6" --api "$API" --to "$D" --amount 2 --out "$T/h6.hex" >/dev/null 2>&1 &&
  "$S" cosign "$T/h6.hex" --dir "$T/d" --api "$API" --out "$T/ds2.hex" >/dev/null 2>&1
check "two transfers of A at one sequence (a double spend)" test -s "$T/ds1.hex" -a -s "$T/ds2.hex"
python3 - "$HPORT" "$T/ds1.hex" "$T/ds2.hex" >"$T/ds.out" 2>&1 <<'PY'
import http.client, json, sys
port, f1, f2 = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for f in (f1, f2):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/v1/tx", body=open(f, "rb").read(), headers={"Content-Type": "text/plain"})
    r = c.getresponse(); print(r.status, json.loads(r.read()).get("code", "ok"))
PY
check "both posted ($(tr '\n' ' ' <"$T/ds.out"))" bash -c "[ \$(grep -c '^202 ' '$T/ds.out') -eq 2 ]"
net_wait "curl -s $API/v1/equivocations | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"seen\"] >= 1 else 1)'" 10 >/dev/null
curl -s "$API/v1/equivocations" >"$T/eq.json"
check "GET /v1/equivocations: the proof names A, both transfers, the same sequence" python3 - "$T/eq.json" "$A" "$T/ds1.hex" "$T/ds2.hex" <<'PY'
import json, sys, hashlib
j = json.load(open(sys.argv[1]))
want = {open(f).read().split()[0].lower() for f in sys.argv[3:5]}
p = [x for x in j["proofs"] if x["account"].lower() == sys.argv[2].lower()]
assert j["seen"] >= 1 and j["kept"] == 256 and p, j
x = p[0]
assert {x["first"]["hex"], x["second"]["hex"]} == want, (x, want)
s1, s2 = (int.from_bytes(bytes.fromhex(x[k]["hex"])[74:82], "little") for k in ("first", "second"))
assert s1 == s2 == x["seq"], (s1, s2, x["seq"])
PY
check "gx_equivocations_seen_total counts it" bash -c "curl -s http://127.0.0.1:$HPORT/metrics | grep -qE '^gx_equivocations_seen_total [1-9]'"

# a request waiting when galaxyd stops is answered; galaxyd exits 0
sleep 0.5 # a token again
python3 - "$HPORT" "$T/l5_5.bin" "$T/sent" >"$T/stop.out" 2>&1 <<'PY' &
import http.client, json, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=40)
c.request("POST", "/v1/tx?wait=25", body=open(sys.argv[2], "rb").read(),
          headers={"Content-Type": "application/octet-stream"})
open(sys.argv[3], "w").write("sent")
t0 = time.time()
r = c.getresponse()
j = json.loads(r.read())
print(r.status, j["code"], j["id"] != "", round(time.time() - t0))
sys.exit(0 if r.status == 503 and j["code"] == "unavailable" and time.time() - t0 < 15 else 1)
PY
WPID=$!
net_wait "[ -e $T/sent ]" 10 >/dev/null
sleep 0.5 # the request reached its handler and waits
kill -TERM "${NET_PIDS[0]}"; wait "${NET_PIDS[0]}"; RC=$?; NET_PIDS[0]=""
wait $WPID; WRC=$?
check "galaxyd stopped with a parked request: exit 0 (rc=$RC)" [ "$RC" = 0 ]
check "the parked request got 503 unavailable ($(cat "$T/stop.out"))" [ "$WRC" = 0 ]
gx_done
