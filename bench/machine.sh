#!/usr/bin/env bash
# bench/machine.sh: the facts of this machine that a benchmark figure depends on,
# as one JSON object on stdout (bench/run.sh saves it as machine.json beside the
# results). Reads /proc and sysfs only; needs jq. Exit 0, or 1 when jq is missing.
#
#   bench/machine.sh [GX_BENCH_BINARY]   # the binary, when given, is recorded with its size/rev
set -u
command -v jq >/dev/null || { echo "machine.sh: jq not found (deploy/install-deps.sh installs it)" >&2; exit 1; }

cpuinfo=/proc/cpuinfo
model=$(grep -m1 -E '^model name' "$cpuinfo" 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
flags=" $(grep -m1 -E '^flags' "$cpuinfo" 2>/dev/null | cut -d: -f2-) "
has() { case "$flags" in *" $1 "*) echo true ;; *) echo false ;; esac; }
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo 2>/dev/null; }
governor=$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo none)
mhz=$(grep -m1 -E '^cpu MHz' "$cpuinfo" 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
smt=$(cat /sys/devices/system/cpu/smt/active 2>/dev/null || echo unknown)
virt=$(systemd-detect-virt 2>/dev/null || { case "$flags" in *" hypervisor "*) echo vm ;; *) echo none ;; esac; })
root=$(cd "$(dirname "$0")/.." && pwd)
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | grep -c . || true)
cc_version=$( (${CC:-gcc} --version 2>/dev/null || true) | head -n1)
sodium=$(pkg-config --modversion libsodium 2>/dev/null || echo unknown)
isal=$(pkg-config --modversion libisal 2>/dev/null || echo unknown)
dpdk=$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)
lmdb=$(pkg-config --modversion lmdb 2>/dev/null || echo unknown)
gbench=$(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null || echo unknown)

jq -n \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --arg host "$(hostname 2>/dev/null || echo unknown)" \
  --arg model "${model:-unknown}" \
  --arg mhz "${mhz:-unknown}" \
  --argjson nproc "$(nproc 2>/dev/null || echo 0)" \
  --argjson online "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)" \
  --arg smt "$smt" \
  --arg governor "$governor" \
  --arg virt "$virt" \
  --argjson avx2 "$(has avx2)" --argjson avx512f "$(has avx512f)" \
  --argjson avx512ifma "$(has avx512ifma)" --argjson sha_ni "$(has sha_ni)" \
  --argjson aes "$(has aes)" --argjson vaes "$(has vaes)" --argjson gfni "$(has gfni)" \
  --argjson hypervisor "$(has hypervisor)" \
  --arg kernel "$(uname -r)" --arg arch "$(uname -m)" \
  --argjson mem_kib "$(meminfo MemTotal || echo 0)" \
  --argjson huge_total "$(meminfo HugePages_Total || echo 0)" \
  --argjson huge_free "$(meminfo HugePages_Free || echo 0)" \
  --argjson huge_kib "$(meminfo Hugepagesize || echo 0)" \
  --arg rev "$rev" --argjson dirty "${dirty:-0}" \
  --arg cc "$cc_version" --arg sodium "$sodium" --arg isal "$isal" --arg dpdk "$dpdk" \
  --arg lmdb "$lmdb" --arg gbench "$gbench" \
  --arg binary "${1:-}" \
  --arg loadavg "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" \
  '{date: $date, host: $host,
    cpu: {model: $model, mhz: $mhz, nproc: $nproc, online: $online, smt_active: $smt,
          governor: $governor, virtualization: $virt,
          flags: {avx2: $avx2, avx512f: $avx512f, avx512ifma: $avx512ifma, sha_ni: $sha_ni,
                  aes: $aes, vaes: $vaes, gfni: $gfni, hypervisor: $hypervisor}},
    load_average: $loadavg,
    kernel: $kernel, arch: $arch,
    memory_kib: $mem_kib,
    hugepages: {total: $huge_total, free: $huge_free, size_kib: $huge_kib},
    git: {rev: $rev, modified_tracked_files: $dirty},
    toolchain: {cc: $cc, libsodium: $sodium, isal: $isal, dpdk: $dpdk, lmdb: $lmdb,
                google_benchmark: $gbench},
    binary: $binary}'
