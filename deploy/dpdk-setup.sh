#!/bin/sh
# dpdk-setup.sh: a thin wrapper over `galaxyctl configure` (docs/OPERATIONS.md
# "Host set-up: galaxyctl configure"), plus one-off helpers for trials.
#
#   deploy/dpdk-setup.sh check [CONFIG] [OPTS]   galaxyctl configure check --config CONFIG OPTS (changes nothing)
#   deploy/dpdk-setup.sh init  [CONFIG] [OPTS]   galaxyctl configure init ... (hugepages, sysctl, vfio, irq, governor, memlock)
#   deploy/dpdk-setup.sh fini  [CONFIG] [OPTS]   galaxyctl configure fini ... (undo what init recorded)
# CONFIG defaults to /etc/galaxyd/main.ini; OPTS are configure's (--stage NAME, --root DIR).
# galaxyctl: $GALAXYCTL, else the one in PATH, else this tree's build/bin/galaxyctl.
#
# One-off helpers for development and trials: no config, nothing recorded,
# nothing persisted (on servers use init/fini above):
#   deploy/dpdk-setup.sh hugepages [N]      reserve N 2 MiB hugepages (default 1024 = 2 GiB) and mount hugetlbfs
#   deploy/dpdk-setup.sh bind PCI_ADDR      load vfio-pci and bind the NIC to it (the kernel loses the port)
#   deploy/dpdk-setup.sh unbind PCI_ADDR DRIVER   give the NIC back to its kernel driver (e.g. ice, mlx5_core)
#
# Exit: configure's for check/init/fini (0 ok; 1 a stage fails; 2 usage or
# config); for the helpers 0 done, 1 failed, 2 usage. Needs root for all but
# check. bind/unbind use dpdk-devbind.py (Debian package dpdk).
set -u

die() { echo "dpdk-setup: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root"; }
devbind() {
  command -v dpdk-devbind.py >/dev/null 2>&1 || die "dpdk-devbind.py not found (apt-get install dpdk)"
  dpdk-devbind.py "$@"
}

configure() { # VERB [CONFIG] [OPTS...]
  verb=$1; shift
  cfg=/etc/galaxyd/main.ini
  case ${1:-} in ''|-*) ;; *) cfg=$1; shift ;; esac
  ctl=${GALAXYCTL:-}
  [ -n "$ctl" ] || ctl=$(command -v galaxyctl 2>/dev/null) || ctl=
  [ -n "$ctl" ] || ctl=$(dirname "$0")/../build/bin/galaxyctl
  [ -x "$ctl" ] || die "galaxyctl not found (install galaxy-appliance, build it, or set GALAXYCTL)"
  exec "$ctl" configure "$verb" --config "$cfg" "$@"
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
  echo "hugepages: $got reserved, until reboot (galaxyctl configure init reserves and persists what the config needs)"
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
  check|init|fini) configure "$cmd" "$@" ;;
  hugepages) hugepages "$@" ;;
  bind) bind "$@" ;;
  unbind) unbind "$@" ;;
  -h|--help|help) sed -n '2,19p' "$0" ;;
  *) echo "usage: $0 check|init|fini [CONFIG] [OPTS]|hugepages [N]|bind PCI|unbind PCI DRIVER" >&2; exit 2 ;;
esac
