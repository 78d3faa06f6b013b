#!/usr/bin/env bash
# galaxyctl genesis: makes a local network's genesis and node keys (modes,
# never overwrites, load accounts funded, --fund), --check re-loads it and
# checks node keys against it, every bad input gives exit 2 and one line, and
# the transfers of `star load` apply through the ledger on the genesis that
# funds them (--replay); ingest addresses (--ingest-port-base, --members'
# fourth field and --ingest-port, refused duplicates, in the id).
. "$(dirname "$0")/lib.sh"
T=$(gx_tmpdir genesis); trap 'rm -rf "$T"' EXIT
C="$BIN/galaxyctl"; S="$BIN/star"

out=$("$C" genesis --validators 4 --out "$T/net" --base-port 9100 --fund-load-seed 7 \
      --fund-load-accounts 5 --fund-amount 1000 2>"$T/err"); rc=$?
check "genesis for 4 validators succeeds" test "$rc" -eq 0
check "summary names validators, f, accounts, supply" \
  bash -c "[[ '$out' =~ ^genesis\ [0-9a-f]{64}\ chain\ galaxy-local\ validators\ 4\ f\ 1\ accounts\ 5\ supply\ 5000$ ]]"
ID=$(echo "$out" | awk '{print $2}')
check "genesis.ini is 0644" test "$(stat -c %a "$T/net/genesis.ini")" = 644
modes=$(stat -c %a "$T"/net/node-{0,1,2,3}.key | sort -u)
check "node keys 0..3 exist, mode 0600" test "$modes" = 600
check "no node-4.key" test ! -e "$T/net/node-4.key"
check "genesis.ini holds no secret" bash -c "! grep -qiE '^secret|^coin ' '$T/net/genesis.ini'"
check "ports run from the base port" bash -c "grep -q '^address = 127.0.0.1:9100$' '$T/net/genesis.ini' && grep -q '^address = 127.0.0.1:9103$' '$T/net/genesis.ini'"
c=$("$C" genesis --check "$T/net/genesis.ini"); rc=$?
check "--check loads it with the same id" bash -c "[ $rc -eq 0 ] && [[ '$c' == 'genesis $ID '* ]]"
for i in 0 3; do
  check "--check --key node-$i.key belongs to it" bash -c "'$C' genesis --check '$T/net/genesis.ini' --key '$T/net/node-$i.key' | grep -q 'validator $i of galaxy-local'"
done
sum=$(md5sum "$T/net/genesis.ini" "$T/net/node-0.key")
expect_fail "refuses to overwrite an existing genesis" 1 "exists: refusing to overwrite" \
  "$C" genesis --validators 4 --out "$T/net"
check "files unchanged after the refusal" test "$sum" = "$(md5sum "$T/net/genesis.ini" "$T/net/node-0.key")"
mkdir -p "$T/partial"; echo x >"$T/partial/node-2.key"
expect_fail "refuses when any node key exists" 1 "node-2.key exists" "$C" genesis --validators 4 --out "$T/partial"
check "nothing written next to it" test ! -e "$T/partial/genesis.ini" -a ! -e "$T/partial/node-0.key"

# --fund with an address from star
"$S" keygen --dir "$T/w" >/dev/null 2>&1
ADDR=$("$S" address --dir "$T/w")
check "--fund ADDR=AMOUNT is in the balances" bash -c "'$C' genesis --validators 1 --out '$T/f' --fund '$ADDR=77' >/dev/null && grep -q '^$ADDR = 77$' '$T/f/genesis.ini'"
expect_fail "same account funded twice" 2 "listed twice" "$C" genesis --validators 1 --out "$T/f2" --fund "$ADDR=1" --fund "$ADDR=2"
BAD=${ADDR:0:73}$([ "${ADDR:73:1}" = 0 ] && echo 1 || echo 0)
expect_fail "--fund with a checksum typo" 2 "checksum" "$C" genesis --validators 1 --out "$T/f3" --fund "$BAD=5"
expect_fail "--fund without =" 2 "want ADDRESS=AMOUNT" "$C" genesis --validators 1 --out "$T/f3" --fund "$ADDR"
expect_fail "--fund amount 0" 2 "not in 1..2\^62" "$C" genesis --validators 1 --out "$T/f3" --fund "$ADDR=0"
expect_fail "supply above 2^62" 2 "total supply above 2\^62" "$C" genesis --validators 1 --out "$T/f3" \
  --fund-load-seed 1 --fund-load-accounts 2 --fund-amount 4611686018427387904
expect_fail "--validators 0" 2 "validators 0: must be at least 1" "$C" genesis --validators 0 --out "$T/x"
expect_fail "--validators 65" 2 "validators 65: too large \\(maximum 64\\)" "$C" genesis --validators 65 --out "$T/x"
expect_fail "--validators 3 (f = 0) without --allow-f0" 2 "validators 3 gives f = 0.*--allow-f0" "$C" genesis --validators 3 --out "$T/x"
expect_fail "missing --out" 2 "needs --out" "$C" genesis --validators 4
expect_fail "unknown option" 2 "unknown option" "$C" genesis --validators 4 --out "$T/x" --bogus
expect_fail "load funding needs all three options" 2 "go together" "$C" genesis --validators 4 --out "$T/x" --fund-load-seed 1
expect_fail "ports past 65535" 2 "past 65535" "$C" genesis --validators 4 --out "$T/x" --base-port 65534
check "nothing made by the refused runs" test ! -e "$T/x" -a ! -e "$T/f3"

# the loader on damaged files: one line naming the problem and its line
cp "$T/net/genesis.ini" "$T/g1"; sed -i 's/^proposal_max_txs = .*/proposal_max_txs = 0/' "$T/g1"
expect_fail "--check: proposal_max_txs 0" 2 "g1: line [0-9]+: \[chain\] proposal_max_txs" "$C" genesis --check "$T/g1"
cp "$T/net/genesis.ini" "$T/g2"; sed -i '0,/= 1000$/s//= 1001/' "$T/g2"
c2=$("$C" genesis --check "$T/g2" | awk '{print $2}')
check "a changed balance changes the id" bash -c "[ -n '$c2' ] && [ '$c2' != '$ID' ]"
expect_fail "--check --key from another genesis" 2 "another genesis" "$C" genesis --check "$T/g2" --key "$T/net/node-0.key"
# flip the first hex digit of the first coin key (to f, or to 0 when it was f:
# a fixed replacement left the file unchanged one run in 16)
awk '!done && /^coin_key = / { d = substr($3, 1, 1); $3 = (d == "f" ? "0" : "f") substr($3, 2); done = 1 } { print }' \
  "$T/net/genesis.ini" >"$T/g3"
expect_fail "--check: coin keys not one sharing" 2 "coin keys" "$C" genesis --check "$T/g3"
cp "$T/net/genesis.ini" "$T/g4"; echo "[validator 9]" >>"$T/g4"; echo "identity = 00" >>"$T/g4"
expect_fail "--check: bad validator section, with its line" 2 "line [0-9]+: \[validator 9\] identity" "$C" genesis --check "$T/g4"
expect_fail "--check: missing file" 1 "No such file" "$C" genesis --check "$T/none.ini"
cp "$T/net/node-1.key" "$T/k1"; chmod 600 "$T/k1"; sed -i 's/^index 1$/index 2/' "$T/k1"
expect_fail "--check: node key with the wrong index" 2 "coin secret share" "$C" genesis --check "$T/net/genesis.ini" --key "$T/k1"

# the contract with star load: the accounts it uses are the ones funded, and
# its transfers go through the ledger (galaxyctl genesis --check --replay)
PORT=$(gx_free_port)
(cd "$T" && "$S" load --galaxy "127.0.0.1:$PORT" --accounts 6 --rate 300 --duration 1 --seed 5 \
   --dump "$T/clean.hex" >"$T/load1" 2>/dev/null)
(cd "$T" && "$S" load --galaxy "127.0.0.1:$PORT" --accounts 6 --rate 300 --duration 1 --seed 5 \
   --corrupt-every 40 --dump "$T/bad.hex" >"$T/load2" 2>/dev/null)
"$C" genesis --validators 4 --out "$T/ld" --fund-load-seed 5 --fund-load-accounts 6 --fund-amount 1000 \
  --proposal-max-txs 16 >/dev/null
n1=$(grep -o 'transfers=[0-9]*' "$T/load1" | cut -d= -f2)
r1=$("$C" genesis --check "$T/ld/genesis.ini" --replay "$T/clean.hex" | tail -1)
check "star load transfers all apply on the funded genesis ($n1)" \
  bash -c "[ -n '$n1' ] && [[ '$r1' == *' transfers=$n1 accepted=$n1 '* ]] && [[ '$r1' == *' supply=6000' ]]"
check "no transfer rejected for any reason" bash -c "! grep -qE '(signature|replay|gap|link|overdraft|overflow|equivocation|malformed)=[1-9]' <<<'$r1'"
c2=$(grep -o 'corrupted=[0-9]*' "$T/load2" | cut -d= -f2)
r2=$("$C" genesis --check "$T/ld/genesis.ini" --replay "$T/bad.hex" | tail -1)
acc=$(grep -o 'accepted=[0-9]*' <<<"$r2" | cut -d= -f2); gap=$(grep -o 'seq_gap=[0-9]*' <<<"$r2" | cut -d= -f2)
check "each corrupted transfer is a bad_signature ($c2), the rest of its chain a seq_gap" \
  bash -c "[ '${c2:-0}' -gt 0 ] && [[ '$r2' == *' bad_signature=$c2 '* ]] && [ \$(( $acc + $c2 + $gap )) -eq $n1 ] && [[ '$r2' == *' supply=6000' ]]"
"$C" genesis --validators 4 --out "$T/ld2" --fund-load-seed 6 --fund-load-accounts 6 --fund-amount 1000 >/dev/null
r3=$("$C" genesis --check "$T/ld2/genesis.ini" --replay "$T/clean.hex" | tail -1)
check "another seed's genesis funds none of them: overdrafts, nothing accepted" \
  bash -c "[[ '$r3' == *' accepted=0 '* ]] && ! [[ '$r3' == *' overdraft=0 '* ]]"
echo "zz" >"$T/junk.hex"
expect_fail "--replay: a line that is not a batch datagram" 2 "junk.hex: line 1: not a hex transaction batch" \
  "$C" genesis --check "$T/ld/genesis.ini" --replay "$T/junk.hex"
# Star Clusters fixed at genesis (docs/CLUSTERS.md)
out=$("$C" genesis --validators 4 --clusters 2 --cluster-size 4 --out "$T/cl" --base-port 9200 2>&1); rc=$?
check "--clusters 2 --cluster-size 4 succeeds and says so" \
  bash -c "[ $rc -eq 0 ] && [[ '$out' == *' clusters 2 stars 4 fold_sample 4096 lsh_max_txs 2048' ]]"
modes=$(stat -c %a "$T"/cl/star-{0,1}-{0,1,2,3}.key | sort -u)
check "star keys star-C-I.key for 2 x 4 stars, mode 0600" test "$modes" = 600
check "stars' ports follow the validators'" bash -c "grep -q '^address = 127.0.0.1:9204$' '$T/cl/genesis.ini' && grep -q '^address = 127.0.0.1:9211$' '$T/cl/genesis.ini'"
check "--check --key star-1-2.key: star 2 of cluster 1" \
  bash -c "'$C' genesis --check '$T/cl/genesis.ini' --key '$T/cl/star-1-2.key' | grep -q 'star 2 of cluster 1 of galaxy-local'"
check "--check of a clustered genesis names its clusters" \
  bash -c "'$C' genesis --check '$T/cl/genesis.ini' | grep -q ' clusters 2 stars 4 '"
expect_fail "a cluster of 3 stars (f_c = 0) is refused" 2 "must be at least 4" \
  "$C" genesis --validators 4 --clusters 2 --cluster-size 3 --out "$T/cl3"
expect_fail "--clusters without --cluster-size" 2 "go together" "$C" genesis --validators 4 --clusters 2 --out "$T/cl4"
expect_fail "--fold-sample without clusters" 2 "need --clusters" "$C" genesis --validators 4 --fold-sample 5 --out "$T/cl5"
check "without --ingest-port-base a genesis gives no ingest address" bash -c "! grep -q '^ingest' '$T/cl/genesis.ini'"
# ingest addresses (docs/LEDGER.md "Genesis"): where clients send transfers
out=$("$C" genesis --validators 4 --clusters 2 --cluster-size 4 --out "$T/in" --base-port 9300 \
      --ingest-port-base 9400 2>&1); rc=$?
check "--ingest-port-base succeeds" test "$rc" -eq 0
check "ingest addresses follow the consensus ports' layout from the ingest base" \
  bash -c "grep -q '^ingest = 127.0.0.1:9400$' '$T/in/genesis.ini' && grep -q '^ingest = 127.0.0.1:9403$' '$T/in/genesis.ini' && grep -q '^ingest = 127.0.0.1:9404$' '$T/in/genesis.ini' && grep -q '^ingest = 127.0.0.1:9411$' '$T/in/genesis.ini' && [ \$(grep -c '^ingest = ' '$T/in/genesis.ini') -eq 12 ]"
c=$("$C" genesis --check "$T/in/genesis.ini" --key "$T/in/star-1-3.key"); rc=$?
check "--check loads it, a star key belongs to it" bash -c "[ $rc -eq 0 ] && [[ '$c' == *'star 3 of cluster 1'* ]]"
expect_fail "ingest ports on the consensus ports are refused" 2 "ingest: same as \[validator 1\] address" \
  "$C" genesis --validators 4 --out "$T/in2" --base-port 9500 --ingest-port-base 9501
expect_fail "--ingest-port-base past 65535" 2 "ingest-port-base 65533: ports run past 65535" \
  "$C" genesis --validators 4 --out "$T/in3" --ingest-port-base 65533
expect_fail "--ingest-port is for --members" 2 "goes with --members" "$C" genesis --validators 4 --out "$T/in3" --ingest-port 9000
sed '0,/^ingest = 127.0.0.1:9401$/s//ingest = 127.0.0.1:9400/' "$T/in/genesis.ini" >"$T/g5"
expect_fail "--check: an ingest address twice" 2 "\[validator 1\] ingest: same as \[validator 0\] ingest" "$C" genesis --check "$T/g5"
sed '/^ingest = /d' "$T/in/genesis.ini" >"$T/g6"
id6=$("$C" genesis --check "$T/g6" | awk '{print $2}'); idin=$("$C" genesis --check "$T/in/genesis.ini" | awk '{print $2}')
check "the ingest addresses are in the id" bash -c "[ -n '$id6' ] && [ -n '$idin' ] && [ '$id6' != '$idin' ]"
# --members: an optional fourth field, --ingest-port for the rest
for i in 0 1 2 3; do "$C" keygen --out "$T/id$i" --index "$i" --address "127.0.0.$((i + 1)):9600" >>"$T/members" 2>/dev/null; done
sed -i '1s/$/ 127.0.0.1:9700/' "$T/members"
"$C" genesis --members "$T/members" --out "$T/mem" --ingest-port 9800 >/dev/null 2>"$T/merr"; rc=$?
check "--members: member 0's fourth field, the others their host at --ingest-port" \
  bash -c "[ $rc -eq 0 ] && grep -q '^ingest = 127.0.0.1:9700$' '$T/mem/genesis.ini' && grep -q '^ingest = 127.0.0.4:9800$' '$T/mem/genesis.ini' && [ \$(grep -c '^ingest = ' '$T/mem/genesis.ini') -eq 4 ]"
"$C" genesis --members "$T/members" --out "$T/mem2" >/dev/null 2>&1
check "--members without --ingest-port: only member 0's" \
  bash -c "[ \$(grep -c '^ingest = ' '$T/mem2/genesis.ini') -eq 1 ] && grep -q '^ingest = 127.0.0.1:9700$' '$T/mem2/genesis.ini'"
sed 's/:9600$/:9600 127.0.0.9:9600/' "$T/members" >"$T/members2"
expect_fail "--members: two members with one ingest address" 2 "ingest: same as" \
  "$C" genesis --members "$T/members2" --out "$T/mem3"
gx_done
