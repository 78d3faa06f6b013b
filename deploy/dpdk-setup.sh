#!/bin/sh
# dpdk-setup.sh: prepares a host for galaxyd's DPDK mode (docs/OPERATIONS.md).
#
#   deploy/dpdk-setup.sh check              report hugepages, IOMMU/vfio, NIC bindings (changes nothing)
#   deploy/dpdk-setup.sh hugepages [N]      reserve N 2 MiB hugepages (default 1024 = 2 GiB) and mount hugetlbfs
#   deploy/dpdk-setup.sh bind PCI_ADDR      load vfio-pci and bind the NIC to it (the kernel loses the port)
#   deploy/dpdk-setup.sh unbind PCI_ADDR DRIVER   give the NIC back to its kernel driver (e.g. ice, mlx5_core)
#
# Exit: 0 done / all checks pass; 1 something failed or a check did not pass;
# 2 usage. Needs root for everything but check. Uses dpdk-devbind.py (Debian
# package dpdk).
set -u

die() { echo "dpdk-setup: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root"; }
devbind() {
  command -v dpdk-devbind.py >/dev/null 2>&1 || die "dpdk-devbind.py not found (apt-get install dpdk)"
  dpdk-devbind.py "$@"
}

check() {
  rc=0
  total=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
  free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
  size=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
  echo "hugepages: $free free of $total (${size} kB each)"
  if [ "${free:-0}" -eq 0 ]; then
    echo "  -> none free: DPDK runs with --no-huge (slower); reserve with: $0 hugepages 1024"
    rc=1
  fi
  if grep -qs hugetlbfs /proc/mounts; then
    echo "hugetlbfs: mounted at $(awk '$3 == "hugetlbfs" {print $2; exit}' /proc/mounts)"
  else
    echo "hugetlbfs: not mounted (EAL in-memory mode does not need it; '$0 hugepages' mounts /dev/hugepages)"
  fi
  if [ -d /sys/kernel/iommu_groups ] && [ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]; then
    echo "iommu: enabled ($(ls /sys/kernel/iommu_groups | wc -l) groups)"
  else
    echo "iommu: no IOMMU groups (boot with intel_iommu=on iommu=pt, or amd_iommu=on; vfio-pci needs it)"
    rc=1
  fi
  if [ -e /dev/vfio/vfio ]; then echo "vfio: /dev/vfio/vfio present"
  else echo "vfio: module not loaded (modprobe vfio-pci)"; rc=1; fi
  if command -v dpdk-devbind.py >/dev/null 2>&1; then
    echo "network devices:"
    dpdk-devbind.py --status-dev net 2>/dev/null | sed 's/^/  /'
  else
    echo "dpdk-devbind.py: not installed (apt-get install dpdk)"; rc=1
  fi
  echo "cpus online: $(nproc); isolated: $(cat /sys/devices/system/cpu/isolated 2>/dev/null || echo none)"
  echo "  (poll-mode lcores spin at 100%: give them isolated cores, isolcpus=/nohz_full= on the kernel command line)"
  return $rc
}

hugepages() {
  need_root hugepages
  n=${1:-1024}
  case $n in *[!0-9]*|'') echo "usage: $0 hugepages [N]" >&2; exit 2 ;; esac
  echo "$n" >/proc/sys/vm/nr_hugepages || die "cannot write /proc/sys/vm/nr_hugepages"
  got=$(cat /proc/sys/vm/nr_hugepages)
  [ "$got" -ge "$n" ] || die "asked for $n hugepages, the kernel gave $got (memory fragmented: reserve at boot with hugepages=$n)"
  if ! grep -qs hugetlbfs /proc/mounts; then
    mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages || die "mount hugetlbfs failed"
  fi
  echo "hugepages: $got reserved (persist with vm.nr_hugepages=$n in /etc/sysctl.d/ or hugepages=$n at boot)"
}

bind() {
  need_root bind
  [ $# -eq 1 ] || { echo "usage: $0 bind PCI_ADDR" >&2; exit 2; }
  modprobe vfio-pci || die "modprobe vfio-pci failed"
  devbind --bind=vfio-pci "$1" || die "binding $1 to vfio-pci failed (is the interface down? is the IOMMU on?)"
  devbind --status-dev net | grep -F "$1"
}

unbind() {
  need_root unbind
  [ $# -eq 2 ] || { echo "usage: $0 unbind PCI_ADDR DRIVER" >&2; exit 2; }
  devbind --bind="$2" "$1" || die "binding $1 back to $2 failed"
}

cmd=${1:-check}
[ $# -gt 0 ] && shift
case $cmd in
  check) check ;;
  hugepages) hugepages "$@" ;;
  bind) bind "$@" ;;
  unbind) unbind "$@" ;;
  -h|--help|help) sed -n '2,13p' "$0" ;;
  *) echo "usage: $0 check|hugepages [N]|bind PCI|unbind PCI DRIVER" >&2; exit 2 ;;
esac
