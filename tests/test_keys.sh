#!/usr/bin/env bash
# The key ceremony (issue 18 item 4, docs/DEPLOY.md "4. Keys and the genesis"):
# `galaxyctl keygen` on 4 "hosts" (directories), `galaxyctl genesis --members`
# from their member lines only (nothing it writes holds an identity secret:
# each identity's ed25519 seed and X25519 key, raw or hex, are looked for in
# every file), each host opens its sealed coin share into its node key
# (`galaxyctl node-key`), and a 4-validator network started from those keys
# commits. Host 0's keys are passphrase-encrypted (galaxyd reads
# [node] key_passphrase_file; the file is decrypted here independently, with
# libsodium through ctypes, from the documented format); a wrong or missing
# passphrase stops galaxyd with one line; key files others may read are
# refused; bad member files, shares of another member, changed shares are
# refused with one line; a cluster's stars go through the same ceremony.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir keys)
trap 'net_stop; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
C="$BIN/galaxyctl"; G="$BIN/galaxyd"; S="$BIN/star"
BASE=$(net_pick_base 4)

# configs for 4 validators on loopback (netlib); its genesis and keys are
# replaced by the ceremony's below
net_node_extra() { if [ "$1" = 0 ]; then printf '[node]\nkey_passphrase_file = %s\n' "$T/host-0/pass"; fi; }
net_setup "$T" 4 "$BASE" || { not_ok "net_setup"; gx_done; exit 1; }

# ---- keygen on each host --------------------------------------------------------
mkdir -p "$T/builder"
for i in 0 1 2 3; do
  mkdir -p "$T/host-$i"
  enc=()
  if [ $i = 0 ]; then
    (umask 077; printf 'correct horse battery staple\n' >"$T/host-0/pass")
    enc=(--encrypt --passphrase-file "$T/host-0/pass")
  fi
  "$C" keygen --out "$T/host-$i/identity.key" --index $i --address "127.0.0.1:$((BASE + 100 + i))" "${enc[@]}" \
    >"$T/host-$i/member.txt" 2>"$T/host-$i/keygen.err"
  check "host $i: keygen prints its member line" \
    grep -qE "^$i [0-9a-f]{64} 127\.0\.0\.1:$((BASE + 100 + i))\$" "$T/host-$i/member.txt"
done
check "identity keys are 0600" test "$(stat -c %a "$T"/host-{0,1,2,3}/identity.key | sort -u)" = 600
check "host 0's identity is encrypted (argon2id, moderate limits by default)" \
  bash -c "head -4 '$T/host-0/identity.key' | tr '\n' ' ' | grep -q '^galaxy-encrypted-key v1 kdf argon2id13 opslimit 3 memlimit 268435456 \$'"
check "host 1's identity is plain" grep -q '^galaxy-identity-key v1$' "$T/host-1/identity.key"
check "keygen --public prints the same line again (encrypted: with the passphrase from a descriptor)" \
  bash -c "'$C' keygen --public '$T/host-0/identity.key' --address 127.0.0.1:$((BASE + 100)) --passphrase-fd 3 \
    3<'$T/host-0/pass' | cmp -s - '$T/host-0/member.txt'"
expect_fail "keygen refuses to overwrite" 1 "exists: refusing to overwrite" \
  "$C" keygen --out "$T/host-1/identity.key" --index 1
expect_fail "keygen --encrypt without a passphrase source" 2 "needs --passphrase-fd N or --passphrase-file" \
  "$C" keygen --out "$T/x.key" --index 1 --encrypt
expect_fail "keygen: no passphrase on the command line" 2 "unknown option '--passphrase'" \
  "$C" keygen --out "$T/x.key" --index 1 --encrypt --passphrase secret
expect_fail "keygen needs --index or --star" 2 "one of --index I" "$C" keygen --out "$T/x.key"
check "nothing written by the refused runs" test ! -e "$T/x.key"

# ---- the builder: public member lines in, genesis and sealed shares out ---------
cat "$T"/host-{0,1,2,3}/member.txt >"$T/builder/members.txt"
(cd "$T/builder" && "$C" genesis --members members.txt --out out --name keys-test --fund-load-seed 7 \
  --fund-load-accounts 20 --fund-amount 1000000 >summary 2>err); rc=$?
check "genesis --members builds from the member lines" bash -c "[ $rc = 0 ] && grep -q '^genesis [0-9a-f]\{64\} chain keys-test validators 4 f 1 accounts 20 ' '$T/builder/summary'"
check "it wrote genesis.ini and share-0..3.sealed only" \
  test "$(cd "$T/builder/out" && ls | tr '\n' ' ')" = "genesis.ini share-0.sealed share-1.sealed share-2.sealed share-3.sealed "
check "genesis.ini lists the members' identities and addresses" bash -c "
  for i in 0 1 2 3; do read -r _ id addr <'$T/host-'\$i/member.txt
    grep -q \"^identity = \$id\$\" '$T/builder/out/genesis.ini' && grep -q \"^address = \$addr\$\" '$T/builder/out/genesis.ini' || exit 1; done"
cat >"$T/secrets.py" <<'PY'
# Decrypts identity key files (galaxy-encrypted-key v1, as docs/LEDGER.md
# documents it) with libsodium, then looks for every identity secret (ed25519
# seed, X25519 secret; raw bytes, lower and upper hex) in every file under a
# directory. Usage: secrets.py DIR PASSFILE IDENTITY_FILE...
import ctypes, ctypes.util, os, sys
na = ctypes.CDLL(ctypes.util.find_library("sodium"))
assert na.sodium_init() >= 0
def fields(text):
    return dict(l.split(" ", 1) for l in text.strip("\n").split("\n")[1:])
def decrypt(text, pw):
    f = fields(text)
    assert f["kdf"] == "argon2id13"
    salt, nonce, box = (bytes.fromhex(f[k]) for k in ("salt", "nonce", "box"))
    key = ctypes.create_string_buffer(32)
    assert na.crypto_pwhash(key, ctypes.c_ulonglong(32), pw, ctypes.c_ulonglong(len(pw)), salt,
                            ctypes.c_ulonglong(int(f["opslimit"])), ctypes.c_size_t(int(f["memlimit"])), 2) == 0
    out = ctypes.create_string_buffer(len(box) - 16)
    assert na.crypto_secretbox_open_easy(out, box, ctypes.c_ulonglong(len(box)), nonce, key) == 0, "wrong passphrase"
    return out.raw.decode()
top, pw = sys.argv[1], open(sys.argv[2], "rb").read().rstrip(b"\n")
needles = []
for path in sys.argv[3:]:
    text = open(path).read()
    if text.startswith("galaxy-encrypted-key v1\n"):
        text = decrypt(text, pw)
    assert text.startswith("galaxy-identity-key v1\n"), path
    seed = bytes.fromhex(fields(text)["secret"])
    pk, sk, x = (ctypes.create_string_buffer(n) for n in (32, 64, 32))
    assert na.crypto_sign_seed_keypair(pk, sk, seed) == 0 and na.crypto_sign_ed25519_sk_to_curve25519(x, sk) == 0
    for s in (seed, x.raw):
        needles += [s, s.hex().encode(), s.hex().upper().encode()]
found = files = 0
for d, _, names in os.walk(top):
    for n in names:
        data = open(os.path.join(d, n), "rb").read()
        files += 1
        for s in needles:
            if s in data:
                print("# secret found in", os.path.join(d, n)); found += 1
print("# %d identities, %d files searched, %d secrets found" % (len(sys.argv) - 3, files, found))
sys.exit(1 if found or not files else 0)
PY
check "no identity secret in anything the builder wrote (seeds and X25519 keys, raw and hex)" \
  python3 "$T/secrets.py" "$T/builder" "$T/host-0/pass" "$T"/host-{0,1,2,3}/identity.key
check "the search finds them where they are (an identity file itself)" \
  bash -c "! python3 '$T/secrets.py' '$T/host-1' '$T/host-0/pass' '$T/host-1/identity.key' >/dev/null"

# ---- each host: genesis + its sealed share + its identity -> node key -----------
for i in 0 1 2 3; do
  cp "$T/builder/out/genesis.ini" "$T/builder/out/share-$i.sealed" "$T/host-$i/"
  pw=(); [ $i = 0 ] && pw=(--passphrase-file "$T/host-0/pass")
  "$C" node-key --identity "$T/host-$i/identity.key" --share "$T/host-$i/share-$i.sealed" \
    --genesis "$T/host-$i/genesis.ini" --out "$T/host-$i/node.key" "${pw[@]}" >"$T/host-$i/nk.out" 2>&1
  check "host $i: node-key opens its share into validator $i's node key" \
    grep -q "^node key $T/host-$i/node.key: validator $i of keys-test, genesis " "$T/host-$i/nk.out"
done
check "node keys are 0600" test "$(stat -c %a "$T"/host-{0,1,2,3}/node.key | sort -u)" = 600
check "host 0's node key is encrypted like its identity" bash -c "grep -q ', encrypted\$' '$T/host-0/nk.out' && head -1 '$T/host-0/node.key' | grep -q '^galaxy-encrypted-key v1\$'"
check "genesis --check --key: an encrypted key with --passphrase-file" \
  bash -c "'$C' genesis --check '$T/host-0/genesis.ini' --key '$T/host-0/node.key' --passphrase-file '$T/host-0/pass' | grep -q '^key .*: validator 0 of keys-test'"
expect_fail "genesis --check --key: an encrypted key without its passphrase" 2 "encrypted: needs its passphrase" \
  "$C" genesis --check "$T/host-0/genesis.ini" --key "$T/host-0/node.key"
expect_fail "node-key: the share of another member" 2 "share of validator 2, but .* identity of validator 1" \
  "$C" node-key --identity "$T/host-1/identity.key" --share "$T/host-2/share-2.sealed" \
  --genesis "$T/host-1/genesis.ini" --out "$T/x.key"
sed 's/^index 2$/index 1/' "$T/host-2/share-2.sealed" >"$T/s-relabelled"
expect_fail "node-key: a share relabelled for another member" 2 "sealed to identity .*not to this identity key" \
  "$C" node-key --identity "$T/host-1/identity.key" --share "$T/s-relabelled" --genesis "$T/host-1/genesis.ini" \
  --out "$T/x.key"
awk '/^sealed / { d = substr($2, 101, 1); $2 = substr($2, 1, 100) (d == "0" ? "1" : "0") substr($2, 102) } { print }' \
  "$T/host-1/share-1.sealed" >"$T/s-changed"
expect_fail "node-key: a changed sealed share" 2 "cannot open the sealed share" \
  "$C" node-key --identity "$T/host-1/identity.key" --share "$T/s-changed" --genesis "$T/host-1/genesis.ini" \
  --out "$T/x.key"
cp "$T/host-1/genesis.ini" "$T/g-other"; sed -i 's/^name = keys-test$/name = keys-other/' "$T/g-other"
expect_fail "node-key: a share checked against another genesis" 2 "another genesis" \
  "$C" node-key --identity "$T/host-1/identity.key" --share "$T/host-1/share-1.sealed" --genesis "$T/g-other" \
  --out "$T/x.key"
expect_fail "node-key: an encrypted identity, wrong passphrase" 2 "wrong passphrase" \
  "$C" node-key --identity "$T/host-0/identity.key" --share "$T/host-0/share-0.sealed" \
  --genesis "$T/host-0/genesis.ini" --out "$T/x.key" --passphrase-fd 3 3< <(echo wrong)
cp -p "$T/host-1/identity.key" "$T/id644"; chmod 644 "$T/id644"
expect_fail "node-key: an identity file others may read" 2 "mode 0644 lets other users read" \
  "$C" node-key --identity "$T/id644" --share "$T/host-1/share-1.sealed" --genesis "$T/host-1/genesis.ini" \
  --out "$T/x.key"
check "nothing written by the refused runs" test ! -e "$T/x.key"

# ---- galaxyd: the refusals (before the network holds the ports) -----------------
for i in 0 1 2 3; do
  sed -i "s|^genesis = .*|genesis = $T/host-$i/genesis.ini|; s|^node_key = .*|node_key = $T/host-$i/node.key|" \
    "$T/node-$i/galaxyd.ini"
done
(umask 077; echo "not the passphrase" >"$T/wrong")
expect_fail "galaxyd: a wrong passphrase stops it with one line" 2 "node_key: .*/host-0/node.key: wrong passphrase" \
  "$G" -c "$T/node-0/galaxyd.ini" --set node.key_passphrase_file="$T/wrong"
expect_fail "galaxyd: an encrypted key and no passphrase" 2 "encrypted: needs its passphrase" \
  "$G" -c "$T/node-0/galaxyd.ini" --set node.key_passphrase_file=
cp -p "$T/host-0/pass" "$T/pass644"; chmod 644 "$T/pass644"
expect_fail "galaxyd: a passphrase file others may read" 2 "pass644: mode 0644" \
  "$G" -c "$T/node-0/galaxyd.ini" --set node.key_passphrase_file="$T/pass644"
env -u CREDENTIALS_DIRECTORY "$G" -c "$T/node-0/galaxyd.ini" \
  --set 'node.key_passphrase_file=$CREDENTIALS_DIRECTORY/galaxyd-pass' --check-config >/dev/null 2>"$T/cred.err"; rc=$?
check "galaxyd: key_passphrase_file = \$CREDENTIALS_DIRECTORY/NAME outside systemd says so (exit 2)" bash -c \
  "[ $rc = 2 ] && head -1 '$T/cred.err' | grep -q 'key_passphrase_file .*CREDENTIALS_DIRECTORY is not set'"
mkdir -p "$T/creds"; cp -p "$T/host-0/pass" "$T/creds/galaxyd-pass"
check "galaxyd: \$CREDENTIALS_DIRECTORY/NAME is the systemd credential" bash -c "CREDENTIALS_DIRECTORY='$T/creds' \
  '$G' -c '$T/node-0/galaxyd.ini' --set 'node.key_passphrase_file=\$CREDENTIALS_DIRECTORY/galaxyd-pass' --check-config \
  | grep -q '^# config OK'"
cp -p "$T/host-1/node.key" "$T/node644.key"; chmod 644 "$T/node644.key"
expect_fail "galaxyd: a node key others may read is refused" 2 "node644.key: mode 0644 lets other users read" \
  "$G" -c "$T/node-1/galaxyd.ini" --set chain.node_key="$T/node644.key"
chmod 640 "$T/node644.key"
check "galaxyd: 0640 (the package's root:galaxyd) passes" bash -c \
  "'$G' -c '$T/node-1/galaxyd.ini' --set chain.node_key='$T/node644.key' --check-config | grep -q '^# config OK'"

# ---- the network from the ceremony's keys commits --------------------------------
net_start
check "4 validators up (node 0 decrypted its key with the right passphrase)" bash -c \
  "$(declare -f net_status net_curl net_api); NET_BASE=$BASE; for i in 0 1 2 3; do net_status \$i >/dev/null || exit 1; done"
"$S" load --galaxy "127.0.0.1:$BASE" --accounts 20 --rate 200 --duration 2 --seed 7 >"$T/load" 2>&1
all_committed() { for i in 0 1 2 3; do [ "$(net_committed $i)" -gt 0 ] 2>/dev/null || return 1; done; }
check "transfers committed on all 4 validators" net_wait all_committed 30
H=$(for i in 0 1 2 3; do net_height $i; done | sort -n | head -1)
check "black holes 1..$H identical on all 4" net_identical "$H" 0 1 2 3
net_stop

# ---- member file errors and a cluster's stars --------------------------------------
M="$T/builder/members.txt"
bad() { # description pattern member-file-text
  printf '%s\n' "$3" >"$T/m-bad"
  expect_fail "genesis --members: $1" 2 "$2" "$C" genesis --members "$T/m-bad" --out "$T/m-out"
}
l0=$(sed -n 1p "$M"); l1=$(sed -n 2p "$M"); l2=$(sed -n 3p "$M"); l3=$(sed -n 4p "$M")
bad "a validator twice" "line 5: validator 1 given twice" "$(printf '%s\n%s\n%s\n%s\n%s' "$l0" "$l1" "$l2" "$l3" "$l1")"
bad "a validator missing" "validator 2 missing" "$(printf '%s\n%s\n%s' "$l0" "$l1" "$l3")"
bad "an identity that is no usable key" "line 2: identity: not a usable ed25519" \
  "$(printf '%s\n1 %064d 127.0.0.1:1\n%s\n%s' "$l0" 0 "$l2" "$l3")"
bad "a bad address" "line 1: address" "$(printf '0 %s 127.0.0.1\n%s\n%s\n%s' "${l0:2:64}" "$l1" "$l2" "$l3")"
bad "two fields" "line 1: want 'INDEX IDENTITY HOST:PORT'" "0 ${l0:2:64}"
bad "one identity twice" "same key as validator 0" \
  "$(printf '%s\n1 %s 127.0.0.1:9\n%s\n%s' "$l0" "${l0:2:64}" "$l2" "$l3")"
check "nothing made by the refused runs" test ! -e "$T/m-out"
expect_fail "genesis --members with --validators" 2 "not with --validators" \
  "$C" genesis --members "$M" --validators 4 --out "$T/m-out"
expect_fail "genesis --members refuses to overwrite" 1 "share-0.sealed exists" \
  bash -c "mkdir -p '$T/m-out' && : >'$T/m-out/share-0.sealed' && '$C' genesis --members '$M' --out '$T/m-out'"
mkdir -p "$T/stars"; cp "$M" "$T/stars/members.txt"
for i in 0 1 2 3; do
  "$C" keygen --out "$T/stars/star-$i.key" --star "0:$i" --address "127.0.0.1:$((BASE + 120 + i))" \
    >>"$T/stars/members.txt" 2>/dev/null
done
check "keygen --star C:I prints 'C:I IDENTITY ADDRESS'" grep -qE "^0:3 [0-9a-f]{64} 127\.0\.0\.1:$((BASE + 123))\$" \
  "$T/stars/members.txt"
check "genesis --members: 4 validators and a cluster of 4 stars" bash -c \
  "'$C' genesis --members '$T/stars/members.txt' --out '$T/stars/out' | grep -q ' clusters 1 stars 4 ' &&
   [ -f '$T/stars/out/share-0-3.sealed' ] && [ ! -e '$T/stars/out/share-4.sealed' ]"
check "node-key for star 0:2, checked by genesis --check" bash -c \
  "'$C' node-key --identity '$T/stars/star-2.key' --share '$T/stars/out/share-0-2.sealed' --genesis '$T/stars/out/genesis.ini' \
     --out '$T/stars/star-2.node' | grep -q 'star 2 of cluster 0' &&
   '$C' genesis --check '$T/stars/out/genesis.ini' --key '$T/stars/star-2.node' | grep -q '^key .*: star 2 of cluster 0'"
gx_done
