#!/usr/bin/env bash
# star light client: the happy path (two keys, pay, cosign, the result decodes
# and verifies, chain state moves), every bad input (message + exit code 2),
# and the wallet's own state without a network: the pending half printed
# again and cancelled, co-signing the same half twice, star 0.4.0's chain
# file, star init's defaults. (With a network: tests/test_wallet_property.sh.)
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
# ---- the wallet's state, offline -------------------------------------------------
E="--dir $T/e"; F="--dir $T/f"
"$S" keygen $E >/dev/null 2>&1; "$S" keygen $F >/dev/null 2>&1
ADDR_F=$("$S" address $F); ADDR_E=$("$S" address $E)
"$S" pay $E --to "$ADDR_F" --amount 9 --nonce 5 >"$T/e1"
check "star pending prints the pending half again" bash -c "'$S' pending $E 2>/dev/null | cmp -s - '$T/e1'"
check "star pending --out writes it" bash -c "'$S' pending $E --out '$T/e1b' 2>/dev/null && cmp -s '$T/e1' '$T/e1b'"
check "star pending says what it pays on stderr" bash -c "'$S' pending $E 2>&1 >/dev/null | grep -q '^star: pending at sequence 1: 9 to $ADDR_F'"
expect_fail "a second pay names the pending one and the ways out" 2 "sequence 1 is pending \(9 to gx.*star pending.*star cancel" \
  "$S" pay $E --to "$ADDR_F" --amount 1
check "star cancel drops it" bash -c "'$S' cancel $E 2>&1 | grep -q 'dropped the transfer pending at sequence 1' && grep -q '^pending 0$' '$T/e/chain'"
check "then nothing is pending" bash -c "[ -z \"\$('$S' pending $E 2>&1 >/dev/null | grep -v 'nothing pending')\" ] && [ -z \"\$('$S' pending $E 2>/dev/null)\" ]"
check "and pay signs that sequence again" bash -c "'$S' pay $E --to '$ADDR_F' --amount 2 --out '$T/e2' && '$S' show '$T/e2' | grep -q 'from_seq   1'"
check "co-sign" "$S" cosign "$T/e2" $F --out "$T/e2t"
check "co-signing the same half again gives the same transfer" bash -c "'$S' cosign '$T/e2' $F --out '$T/e2u' 2>/dev/null && cmp -s '$T/e2t' '$T/e2u'"
check "... without a second advance of the chain" grep -q '^seq 1$' "$T/f/chain"
check "the pending half clears when the transfer is submitted" bash -c "'$S' submit '$T/e2t' $E --galaxy 127.0.0.1:9 >/dev/null && grep -q '^pending 0$' '$T/e/chain' && grep -q '^seq 1$' '$T/e/chain'"
# a chain file of star 0.4.0 (v1) with a pending reservation still loads
mkdir -p "$T/g"; cp "$T/a/key" "$T/g/key"
printf 'galaxy-chain v1\nseq 0\nhead %064d\npending 1\n' 0 >"$T/g/chain"
check "a v1 chain file loads (star address)" bash -c "'$S' address --dir '$T/g' >/dev/null"
expect_fail "its pending reservation has no half to print" 1 "half was not kept.*star cancel" "$S" pending --dir "$T/g"
check "star cancel drops it and the file is written as v2" bash -c "'$S' cancel --dir '$T/g' 2>/dev/null && head -1 '$T/g/chain' | grep -q 'galaxy-chain v2' && grep -q '^pending 0$' '$T/g/chain'"
echo 'galaxy-chain v2' >"$T/g/chain"
expect_fail "a damaged chain file says what is wrong" 2 "chain: line 2 is not 'seq N'" "$S" address --dir "$T/g"
# star init: the default API and galaxy
expect_fail "star init wants --api or --galaxy" 2 "needs --api" "$S" init $E
expect_fail "star init checks the API URL" 2 "expected http://HOST:PORT" "$S" init $E --api ftp://x
check "star init writes DIR/api and DIR/galaxy" bash -c "'$S' init $E --api http://127.0.0.1:9/ --galaxy 127.0.0.1:9 2>/dev/null &&
  [ \"\$(cat '$T/e/api')\" = http://127.0.0.1:9/ ] && [ \"\$(cat '$T/e/galaxy')\" = 127.0.0.1:9 ]"
expect_fail "star sync reads the default API (none answers here)" 1 "^star: cannot reach API at http://127.0.0.1:9/v1/account/$ADDR_E$" "$S" sync $E
expect_fail "star sync without any API" 2 "api http://HOST:PORT is required" "$S" sync $F
"$S" pay $E --to "$ADDR_F" --amount 3 --out "$T/e3" 2>"$T/e3.err"
check "pay with an API that cannot be reached warns and goes on offline" \
  bash -c "grep -q 'warning: cannot reach API at http://127.0.0.1:9/v1/account/.*going on from the wallet.s own chain state (sequence 1)' '$T/e3.err' && '$S' show '$T/e3' | grep -q 'from_seq   2'"
echo "ftp://nope" >"$T/e/api"
expect_fail "a bad default API is named" 2 "e/api: 'ftp://nope': expected http://HOST:PORT" "$S" pay $E --to "$ADDR_F" --amount 1
expect_fail "--settle is checked" 2 "^star: --settle 'x': not a whole number$" "$S" pay $F --to "$ADDR_E" --amount 1 --settle x

# chain state is never half-written: no temp files left behind
check "no temp files left in the wallet" test -z "$(find "$T/a" "$T/b" -name '*.tmp.*')"
gx_done
