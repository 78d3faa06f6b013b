#!/usr/bin/env bash
# Runs one libFuzzer target for GX_FUZZ_SECONDS over its seed corpus
# (tests/corpus/NAME, copied so the checked-in corpus is never written).
# Any crash, leak, timeout or OOM fails it.
set -u
fz=$1; name=$2
seeds="$GX_ROOT/tests/corpus/$name"
work=$(mktemp -d /tmp/gx-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
"$fz" -max_total_time="${GX_FUZZ_SECONDS:-8}" -timeout=5 -rss_limit_mb=1024 \
      -max_len=65536 -artifact_prefix="$work/" -print_final_stats=1 "$work" 2>&1 | tail -n 25
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ]; then echo "ok 1 - $name ran ${GX_FUZZ_SECONDS}s without a finding"
else echo "not ok 1 - $name found a crash (rc=$rc)"; ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null; fi
