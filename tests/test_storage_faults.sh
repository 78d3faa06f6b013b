#!/usr/bin/env bash
# Fault handling of the black-hole store through real processes: galaxyctl db
# (stat, verify, dump, tx, account, repair, bad arguments), flipped bits
# anywhere in a segment, mid-log corruption refused then repaired, a full disk
# (RLIMIT_FSIZE, and a real 2 MiB tmpfs when we may mount one), and bad data
# directories (garbage and truncated files, garbage LMDB, not writable).
set -u
B=${GX_BUILD:-build}
TOOL=$B/bin/gx_store_tool
CTL=$B/bin/galaxyctl
work=$(mktemp -d /tmp/gx-store-faults.XXXXXX)
mnt=
cleanup() {
  [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
# exit status that is not a crash (signal or sanitizer abort)
clean_rc() { [ "$1" -lt 128 ]; }

dir=$work/db
"$TOOL" write "$dir" 11 600 >/dev/null 2>"$work/err"
check "writer built a 600-block store" '[ $? -eq 0 ] && [ "$(ls "$dir"/log/*.seg | wc -l)" -ge 3 ]'

out=$("$TOOL" open "$dir" 2>&1)
check "open says which write path it uses" '[[ $out == *"ok durable=600 ("*"writes, io_uring"* ]]'
echo "# $out"

# ---- galaxyctl db on a healthy store
out=$("$CTL" db --dir "$dir" stat 2>&1)
check "db stat reports the durable height" '[[ $out == *"durable_height: 600"* ]]'
out=$("$CTL" db --dir "$dir" verify 2>&1); rc=$?
check "db verify passes on a healthy store" '[ $rc -eq 0 ] && [[ $out == ok:* ]]'
dump=$("$CTL" db --dir "$dir" dump 123 2>&1); rc=$?
check "db dump prints the block" '[ $rc -eq 0 ] && [[ $dump == *"height: 123"* ]] && [[ $dump == *"body: "* ]]'
# find a block with a tx and an update to look up
for h in $(seq 100 140); do
  d=$("$CTL" db --dir "$dir" dump "$h")
  tx=$(awk '/^tx\[0\]:/ {print $2}' <<<"$d")
  [ -n "$tx" ] && break
done
out=$("$CTL" db --dir "$dir" tx "$tx" 2>&1); rc=$?
check "db tx finds the block of a transaction" '[ $rc -eq 0 ] && [[ $out == *"height: $h"* ]] && [[ $out == *"index: 0"* ]]'
key=$(awk '/^update\[0\]:/ {print $3}' <<<"$d")
out=$("$CTL" db --dir "$dir" account "$key" 2>&1); rc=$?
check "db account shows balance and seq" '[ $rc -eq 0 ] && [[ $out == *"balance: "* ]] && [[ $out == *"seq: "* ]]'
bad_args=0
for args in "stat" "--dir" "--dir $dir" "--dir $dir frob" "--dir $dir dump" "--dir $dir dump x" \
            "--dir $dir dump 0" "--dir $dir tx 12" "--dir $dir account nothex" "--dir $dir stat extra" \
            "--bogus $dir stat" "--dir $work/none stat"; do
  # shellcheck disable=SC2086
  err=$("$CTL" db $args 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 2 ] || [ "$(wc -l <<<"$err")" -ne 1 ] || [[ $err != galaxyctl:* ]]; then
    echo "# db $args -> rc=$rc: $err"; bad_args=$((bad_args + 1))
  fi
done
check "every bad db argument: one line naming it, exit 2" '[ $bad_args -eq 0 ]'
out=$("$CTL" db --dir "$dir" dump 999999 2>&1); rc=$?
check "db dump of a missing height: exit 1 with a message" '[ $rc -eq 1 ] && [[ $out == *"no block at height 999999"* ]]'
out=$("$CTL" db --dir "$dir" --check-bh verify 2>&1); rc=$?
check "db --check-bh verify rejects bodies that are not Black Holes" \
  '[ $rc -eq 1 ] && [[ $out == *"does not hash"* ]] && [[ $out == *"offset 4096 (height 1)"* ]]'
mdb_stat -a "$dir/index" >"$work/mdbstat" 2>&1
check "the LMDB environment is readable by mdb_stat" '[ $? -eq 0 ] && grep -q "Status of account" "$work/mdbstat"'

# ---- a flipped bit anywhere in a segment is detected (and names the file)
missed=0; tries=0
for seg in "$dir"/log/*.seg; do
  size=$(stat -c %s "$seg")
  for k in 1 2 3 4 5 6 7 8; do
    off=$(( (RANDOM * 32768 + RANDOM) % size )); bit=$((RANDOM % 8))
    "$TOOL" flip "$seg" "$off" "$bit"
    out=$("$CTL" db --dir "$dir" verify 2>&1); rc=$?
    tries=$((tries + 1))
    if [ $rc -ne 1 ] || [[ $out != *"$seg"* ]]; then
      echo "# flip $seg:$off bit $bit not reported: rc=$rc $out"; missed=$((missed + 1))
    fi
    "$TOOL" flip "$seg" "$off" "$bit"
  done
done
check "$tries random bit flips across all segments all detected by db verify" '[ $missed -eq 0 ]'
out=$("$CTL" db --dir "$dir" verify 2>&1)
check "flipped back: verify passes again" '[[ $out == ok:* ]]'

# ---- corruption in the middle of the log: refuse to start, then repair
cp -r "$dir" "$work/mid"
rm -rf "$work/mid/index"          # recovery must now scan the whole log
seg0=$work/mid/log/0000000000000000.seg
"$TOOL" flip "$seg0" 9000 3
out=$("$TOOL" open "$work/mid" 2>&1); rc=$?
check "a bad record mid-log refuses to open, naming file and offset" \
  '[ $rc -eq 1 ] && [[ $out == *"corrupt"* ]] && [[ $out == *"$seg0 offset"* ]]'
out=$("$CTL" db --dir "$work/mid" repair 2>&1); rc=$?
check "galaxyctl db repair cuts the log there" '[ $rc -eq 0 ] && [[ $out == *"repaired"* ]]'
out=$("$TOOL" check "$work/mid" 11 0 2>&1); rc=$?
check "after repair: opens, blocks intact up to the cut, state equals replay" '[ $rc -eq 0 ]'
echo "# $out"

# ---- full disk through RLIMIT_FSIZE
full=$work/full
"$TOOL" write "$full" 12 0 400000 >"$work/full.out" 2>"$work/full.err"; rc=$?
durable=$(tail -n 1 "$work/full.out")
check "file size limit: clean ENOSPC error (exit 3)" '[ $rc -eq 3 ] && grep -q "File too large" "$work/full.err"'
echo "# $(head -n 1 "$work/full.err")"
out=$("$TOOL" check "$full" 12 "${durable:-0}" 2>&1); rc=$?
check "after the full disk: every durable block present, state consistent" '[ $rc -eq 0 ]'
"$TOOL" write "$full" 12 $(( ${durable:-0} + 50 )) >/dev/null 2>&1 && \
  out=$("$TOOL" check "$full" 12 $(( ${durable:-0} + 50 )) 2>&1)
check "with room again, appends continue" '[ $? -eq 0 ]'

# ---- a real full filesystem (small tmpfs) when we may mount one
mnt=$work/tmpfs; mkdir -p "$mnt"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=2m tmpfs "$mnt" 2>/dev/null; then
  head -c 262144 /dev/zero >"$mnt/filler"   # what the operator deletes afterwards
  "$TOOL" write "$mnt/db" 13 0 >"$work/tfs.out" 2>"$work/tfs.err"; rc=$?
  durable=$(tail -n 1 "$work/tfs.out")
  check "2 MiB tmpfs: clean ENOSPC error" '[ $rc -eq 3 ] && grep -qE "No space left|filesystem is full" "$work/tfs.err"'
  echo "# $(head -n 1 "$work/tfs.err")"
  out=$("$TOOL" open "$mnt/db" 2>&1); rc=$?
  check "reopening on the still-full disk: works, or says the disk is full" \
    'clean_rc $rc && { [ $rc -eq 0 ] || [[ $out == *"full"* ]] || [[ $out == *"No space"* ]]; }'
  echo "# $out"
  rm -f "$mnt/filler"
  out=$("$TOOL" check "$mnt/db" 13 "${durable:-0}" 2>&1); rc=$?
  if [ $rc -ne 0 ]; then echo "# $out"; fi
  check "full tmpfs: every durable block present, state consistent" '[ $rc -eq 0 ]'
  umount "$mnt"; mnt=
else
  mnt=
  ok "# SKIP cannot mount a tmpfs here (RLIMIT_FSIZE case above covers the full disk)"
fi

# ---- bad data directories: clear errors, no crash
bad=$work/bad; mkdir -p "$bad/log"
head -c 10000 /dev/urandom >"$bad/log/0000000000000000.seg"
out=$("$TOOL" open "$bad" 2>&1); rc=$?
check "garbage segment file: error names it" 'clean_rc $rc && [ $rc -ne 0 ] && [[ $out == *"0000000000000000.seg"* ]]'
head -c 100 /dev/urandom >"$bad/log/0000000000000000.seg"
out=$("$TOOL" open "$bad" 2>&1); rc=$?
check "truncated segment file: error says truncated" 'clean_rc $rc && [ $rc -ne 0 ] && [[ $out == *"truncated"* ]]'
cp -r "$dir" "$work/lm"
head -c 65536 /dev/urandom >"$work/lm/index/data.mdb"
out=$("$TOOL" open "$work/lm" 2>&1); rc=$?
check "garbage LMDB file: clear error" 'clean_rc $rc && [ $rc -ne 0 ] && [[ $out == *"not an LMDB environment"* ]]'
out=$("$CTL" db --dir "$work/lm" stat 2>&1); rc=$?
check "galaxyctl on a garbage LMDB file: one-line error, no crash" 'clean_rc $rc && [ $rc -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ]'
"$CTL" db --dir "$work/lm" repair >/dev/null 2>&1 && out=$("$TOOL" check "$work/lm" 11 600 2>&1)
check "repair rebuilds a destroyed index from the log" '[ $? -eq 0 ]'
cp -r "$dir" "$work/lv"   # LMDB data format version 999 in both meta pages
for off in 20 4116; do printf '\xe7\x03\x00\x00' | dd of="$work/lv/index/data.mdb" bs=1 seek=$off conv=notrunc 2>/dev/null; done
out=$("$TOOL" open "$work/lv" 2>&1); rc=$?
check "wrong LMDB version: clear error" 'clean_rc $rc && [ $rc -ne 0 ] && [[ $out == *"incompatible LMDB version"* ]]'
out=$("$CTL" db --dir "$work/lv" stat 2>&1); rc=$?
check "galaxyctl on a wrong LMDB version: one line, exit 2" '[ $rc -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ]'
"$CTL" db --dir "$work/lv" repair >/dev/null 2>&1 && out=$("$TOOL" check "$work/lv" 11 600 2>&1)
check "repair rebuilds the index of a wrong LMDB version from the log" '[ $? -eq 0 ]'
cp -r "$dir" "$work/tr"
last=$(ls "$work/tr"/log/*.seg | tail -n 1)
truncate -s 5000 "$last"
out=$("$TOOL" open "$work/tr" 2>&1); rc=$?
check "segment truncated below the index: refuses, names the file" 'clean_rc $rc && [ $rc -ne 0 ] && [[ $out == *"$last"* ]]'
chmod 0755 "$work"   # the unprivileged user must reach $ro
ro=$work/ro; mkdir -p "$ro"; chmod 0555 "$ro"
if [ "$(id -u)" -eq 0 ]; then
  run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
  run_as=()
fi
out=$("${run_as[@]}" "$TOOL" open "$ro/db" 2>&1); rc=$?
check "data directory not writable: clear error" 'clean_rc $rc && [ $rc -ne 0 ] && [[ $out == *"ermission denied"* ]]'
echo "# $out"
out=$("${run_as[@]}" "$TOOL" open "$ro" 2>&1); rc=$?
check "existing directory without write permission: says not writable" 'clean_rc $rc && [ $rc -ne 0 ] && [[ $out == *"not writable"* ]]'
