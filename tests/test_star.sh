#!/usr/bin/env bash
# star light client: the happy path (two keys, pay, cosign, the result decodes
# and verifies, chain state moves) and every bad input (message + exit code 2).
. "$(dirname "$0")/lib.sh"
T=$(gx_tmpdir star); trap 'rm -rf "$T"' EXIT
S="$BIN/star"
A="--dir $T/a"; B="--dir $T/b"

check "keygen a" bash -c "\"$S\" keygen $A >/dev/null 2>&1"
check "keygen b" bash -c "\"$S\" keygen $B >/dev/null 2>&1"
check "key file mode is 0600" test "$(stat -c %a "$T/a/key")" = 600
expect_fail "keygen refuses to overwrite" 2 "already exists" "$S" keygen $A
ADDR_B=$("$S" address $B)
check "address is 74 chars starting gx" bash -c "[[ '$ADDR_B' =~ ^gx[0-9a-f]{72}$ ]]"
check "pay makes the initiator's half" "$S" pay $A --to "$ADDR_B" --amount 25 --out "$T/h1"
check "half is 186 bytes of hex" test "$(tr -d '\n' <"$T/h1" | wc -c)" = 372
expect_fail "second pay while one is pending is refused" 2 "pending" "$S" pay $A --to "$ADDR_B" --amount 1
check "cosign by the counterparty" "$S" cosign "$T/h1" $B --out "$T/t1"
"$S" show "$T/t1" >"$T/show" 2>&1
check "the result decodes, both signatures valid" bash -c "grep -q 'init_sig   valid' $T/show && grep -q 'cp_sig     valid' $T/show && grep -q 'amount     25' $T/show"
check "counterparty chain advanced to seq 1" grep -q '^seq 1$' "$T/b/chain"
PORT=$(gx_free_port)
python3 - "$PORT" "$T/ready" >"$T/recv" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); s.settimeout(20)
open(sys.argv[2], "w").close()
print(s.recv(2000).hex())
PY
RECV=$!
for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
ID=$("$S" submit "$T/t1" --galaxy "127.0.0.1:$PORT" $A)
wait $RECV
check "submit sends one batch datagram carrying the transfer" bash -c "grep -q \"^01100100$(tr -d '\n' <"$T/t1")\$\" $T/recv"
check "initiator chain advanced to the transfer id" bash -c "grep -q '^seq 1$' $T/a/chain && grep -q \"^head $ID\$\" $T/a/chain && grep -q '^pending 0$' $T/a/chain"
check "next pay links to the previous transfer" "$S" pay $A --to "$ADDR_B" --amount 2 --out "$T/h2"
"$S" show "$T/h2" >"$T/show2"
check "second half has seq 2 and prev = first id" bash -c "grep -q 'from_seq   2' $T/show2 && grep -q \"from_prev  $ID\" $T/show2"

# ---- bad inputs: one line naming the problem, exit code 2 -------------------------
"$S" keygen --dir "$T/c" >/dev/null 2>&1
expect_fail "missing file" 2 "nope.*No such file" "$S" cosign "$T/nope" $B
chmod 000 "$T/h2"; cp "$T/h2" "$T/unreadable" 2>/dev/null; chmod 000 "$T/unreadable"
if [ "$(id -u)" -ne 0 ]; then expect_fail "unreadable file" 2 "Permission denied" "$S" cosign "$T/unreadable" $B
else chmod 755 "$T"; expect_fail "unreadable file" 2 "Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups "$S" cosign "$T/unreadable" $B; fi
chmod 644 "$T/h2"
echo "zz$(cut -c3- "$T/h2")" >"$T/badhex"
expect_fail "bad hex" 2 "bad hex" "$S" cosign "$T/badhex" $B
echo "0102abcd" >"$T/short"
expect_fail "hex of a non-transfer" 2 "not a valid transfer" "$S" cosign "$T/short" $B
expect_fail "wrong key cosigns" 2 "wrong key" "$S" cosign "$T/h2" --dir "$T/c"
expect_fail "missing key (no keygen)" 2 "keygen" "$S" address --dir "$T/none"
echo "garbage" >"$T/d-key"; mkdir -p "$T/d"; cp "$T/d-key" "$T/d/key"
expect_fail "garbage key file" 2 "not a galaxy key file" "$S" address --dir "$T/d"
awk '/^public /{c=substr($2,1,1); $2=(c=="0"?"1":"0") substr($2,2)} {print}' "$T/c/key" >"$T/d/key"
expect_fail "key file whose secret does not match" 2 "does not match" "$S" address --dir "$T/d"
expect_fail "malformed address (length)" 2 "74 characters" "$S" pay --dir "$T/c" --to gx1234 --amount 1
expect_fail "malformed address (prefix)" 2 "start with" "$S" pay --dir "$T/c" --to "xx${ADDR_B:2}" --amount 1
BADSUM="${ADDR_B:0:73}$( [ "${ADDR_B:73:1}" = 0 ] && echo 1 || echo 0)"
expect_fail "malformed address (checksum)" 2 "checksum" "$S" pay --dir "$T/c" --to "$BADSUM" --amount 1
expect_fail "amount 0" 2 "amount 0: must be at least 1" "$S" pay --dir "$T/c" --to "$ADDR_B" --amount 0
expect_fail "amount overflow" 2 "too large \\(maximum 4611686018427387904\\)" "$S" pay --dir "$T/c" --to "$ADDR_B" --amount 99999999999999999999999
expect_fail "amount above the maximum" 2 "too large \\(maximum 4611686018427387904\\)" "$S" pay --dir "$T/c" --to "$ADDR_B" --amount 4611686018427387905
expect_fail "amount negative" 2 "'-5': negative" "$S" pay --dir "$T/c" --to "$ADDR_B" --amount -5
expect_fail "amount not a number" 2 "'5x': not a whole number" "$S" pay --dir "$T/c" --to "$ADDR_B" --amount 5x
expect_fail "pay to self" 2 "own address" "$S" pay $B --to "$ADDR_B" --amount 1
expect_fail "submit a half" 2 "co-sign" "$S" submit "$T/h2" --galaxy 127.0.0.1:1
expect_fail "submit without --galaxy" 2 "galaxy" "$S" submit "$T/t1"
expect_fail "bad galaxy address" 2 "HOST:PORT" "$S" submit "$T/t1" --galaxy nohostport
expect_fail "unknown option" 2 "unknown option" "$S" pay --bogus
expect_fail "unknown command" 2 "unknown command" "$S" fly
sed 's/^\(.\{300\}\)./\10/' "$T/t1" >"$T/t1bad"; cmp -s "$T/t1" "$T/t1bad" && sed -i 's/^\(.\{300\}\)./\11/' "$T/t1bad"
expect_fail "submit with a broken signature" 2 "signature does not verify" "$S" submit "$T/t1bad" --galaxy 127.0.0.1:1
# chain state is never half-written: no temp files left behind
check "no temp files left in the wallet" test -z "$(find "$T/a" "$T/b" -name '*.tmp.*')"
gx_done
