#!/usr/bin/env bash
# galaxyctl configure check|init|fini (issue 18 item 3; docs/OPERATIONS.md "Host
# set-up: galaxyctl configure") against fake hosts: a --root tree with the
# /proc, /sys, /etc and /dev files the stages read and write (4 CPUs, IRQs,
# cpufreq, a PCI NIC 0000:3b:00.0 on ice with an IOMMU group, the 2 MiB
# hugepage pool, sysctl.d, the galaxyd@ unit with a drop-in that lowers
# LimitMEMLOCK). A small "kernel" (python, below) plays sysfs's part while the
# DPDK host is set up: driver bind/unbind files move the device's driver
# link, free_hugepages follows nr_hugepages, driver_override reads (null) when
# cleared.
# Socket mode and DPDK mode: check fails (DPDK) or warns (socket) with the
# right lines, init fixes them, a second init changes nothing (same tree, same
# state file), check passes, fini gives back the tree byte for byte; a NIC whose
# interface is up is refused; fini leaves alone what changed since init; usage
# and config errors; a broken state file. Then check, read-only, against this
# host in socket mode: it must not fail. What only a real host can test:
# docs/OPERATIONS.md.
. "$(dirname "$0")/lib.sh"
T=$(gx_tmpdir configure)
KPID=
trap '[ -n "$KPID" ] && kill "$KPID" 2>/dev/null; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
C="$BIN/galaxyctl"
PCI=0000:3b:00.0

# mkroot DIR: a fake host
mkroot() {
  local R=$1 c i
  mkdir -p "$R"/proc/sys/net/core "$R"/proc/sys/vm "$R"/sys/devices/system/cpu "$R"/etc/sysctl.d "$R"/var/lib/galaxyd \
    "$R"/sys/kernel/mm/hugepages/hugepages-2048kB "$R"/sys/kernel/iommu_groups/12 "$R"/dev/vfio \
    "$R/sys/bus/pci/devices/$PCI/net/eth9" "$R"/sys/bus/pci/drivers/ice "$R"/sys/bus/pci/drivers/vfio-pci \
    "$R"/lib/systemd/system "$R"/etc/systemd/system/galaxyd@main.service.d
  echo 212992 >"$R"/proc/sys/net/core/rmem_max
  echo 212992 >"$R"/proc/sys/net/core/wmem_max
  echo 0 >"$R"/proc/sys/vm/nr_hugepages
  echo 0-3 >"$R"/sys/devices/system/cpu/online
  for c in 0 1 2 3; do
    mkdir -p "$R/sys/devices/system/cpu/cpu$c/cpufreq"
    echo powersave >"$R/sys/devices/system/cpu/cpu$c/cpufreq/scaling_governor"
    echo "performance powersave" >"$R/sys/devices/system/cpu/cpu$c/cpufreq/scaling_available_governors"
  done
  # IRQ -> affinity: 0 on 0, 24 everywhere, 25 on a pinned core, 26 on 1, 27 on 1 and 3
  for i in 0:0 24:0-3 25:2 26:1 27:1,3; do
    mkdir -p "$R/proc/irq/${i%%:*}"
    echo "${i#*:}" >"$R/proc/irq/${i%%:*}/smp_affinity_list"
  done
  echo f >"$R"/proc/irq/default_smp_affinity
  echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet" >"$R"/proc/cmdline
  printf 'MemTotal:       16000000 kB\nHugepagesize:       2048 kB\n' >"$R"/proc/meminfo
  printf 'sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n' >"$R"/proc/mounts
  echo 0 >"$R"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
  echo 0 >"$R"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
  ln -s ../../drivers/ice "$R/sys/bus/pci/devices/$PCI/driver"
  ln -s ../../../kernel/iommu_groups/12 "$R/sys/bus/pci/devices/$PCI/iommu_group"
  echo '(null)' >"$R/sys/bus/pci/devices/$PCI/driver_override"
  echo down >"$R/sys/bus/pci/devices/$PCI/net/eth9/operstate"
  for d in ice vfio-pci; do : >"$R/sys/bus/pci/drivers/$d/bind"; : >"$R/sys/bus/pci/drivers/$d/unbind"; done
  : >"$R"/dev/vfio/vfio
  printf '# kernel.printk = 3 4 1 3\n' >"$R"/etc/sysctl.conf
  cp "$GX_ROOT/deploy/systemd/galaxyd@.service" "$R"/lib/systemd/system/
  printf '[Service]\nLimitMEMLOCK=64K\n' >"$R"/etc/systemd/system/galaxyd@main.service.d/50-local.conf
}

# snap DIR: every file, link and directory of the tree but the state (var/)
snap() {
  (cd "$1" && find . -path ./var -prune -o -print | sort | while read -r f; do
    if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"
    elif [ -f "$f" ]; then echo "$f $(md5sum <"$f" | cut -c1-32)"
    else echo "$f/"; fi
  done)
}
export -f snap

# the fake kernel's sysfs behaviour, for root DIR, until killed
kernel() {
  python3 - "$1" <<'PY' &
import os, sys, time
R = sys.argv[1]
drv, dev = R + '/sys/bus/pci/drivers', R + '/sys/bus/pci/devices'
huge = R + '/sys/kernel/mm/hugepages/hugepages-2048kB'
def rd(p):
    with open(p) as f: return f.read()
while True:
    for d in os.listdir(drv):
        for op in ('unbind', 'bind'):
            f = '%s/%s/%s' % (drv, d, op)
            v = rd(f).strip()
            if not v: continue
            open(f, 'w').close()
            link = '%s/%s/driver' % (dev, v)
            if op == 'unbind' and os.path.islink(link) and os.path.basename(os.readlink(link)) == d:
                os.unlink(link)
            if op == 'bind' and not os.path.lexists(link):
                ov = rd('%s/%s/driver_override' % (dev, v)).strip()
                if ov in ('', '(null)', d): os.symlink('../../drivers/' + d, link)
    for p in os.listdir(dev):
        f = '%s/%s/driver_override' % (dev, p)
        if rd(f) == '\n':
            with open(f, 'w') as o: o.write('(null)\n')
    nr = rd(huge + '/nr_hugepages')
    if rd(huge + '/free_hugepages') != nr:
        with open(huge + '/free_hugepages', 'w') as o: o.write(nr)
    time.sleep(0.01)
PY
  KPID=$!
}

# run NAME ARGS...: galaxyctl configure ARGS, stdout in $T/NAME.out, exit code in $T/NAME.rc
run() { local n=$1; shift; "$C" configure "$@" >"$T/$n.out" 2>"$T/$n.err"; echo $? >"$T/$n.rc"; }
rc_is() { [ "$(cat "$T/$1.rc")" = "$2" ]; }
line() { grep -qE "^$2 +$3 " "$T/$1.out" && grep -E "^$2 " "$T/$1.out" | grep -qE -- "$4"; } # NAME STAGE STATUS REGEX
val() { tr -d '\n' <"$R/$1"; }

# ---- socket mode -----------------------------------------------------------------
R=$T/sock
mkroot "$R"
printf '# by hand (the old docs/DEPLOY.md step)\nnet.core.rmem_max = 4194304\nnet.ipv4.ip_local_port_range = 32768 60999\n' \
  >"$R"/etc/sysctl.d/60-galaxyd.conf
mkdir -p "$R"/etc/galaxyd
cat >"$R"/etc/galaxyd/main.ini <<'INI'
[node]
mode = socket
[cores]
rx = 2
verify = 3
mempool = 2
gossip = 2
housekeeping = 0
[ingest]
rcvbuf_bytes = 8388608
INI
snap "$R" >"$T/sock.before"

run s-check check --root "$R"
check "socket: check passes with warnings (exit 0), one line per stage" \
  bash -c "rc=\$(cat '$T/s-check.rc'); [ \$rc = 0 ] && [ \$(wc -l <'$T/s-check.out') = 6 ]"
check "socket: hugepages, vfio, memlock not needed" \
  bash -c "grep -qE '^hugepages +ok +not needed in socket mode' '$T/s-check.out' &&
    grep -qE '^vfio +ok +not needed' '$T/s-check.out' && grep -qE '^memlock +ok +not needed' '$T/s-check.out'"
check "socket: sysctl warns: rmem_max and wmem_max below rcvbuf_bytes, not persisted" \
  line s-check sysctl warn 'net.core.rmem_max = 212992, net.core.wmem_max = 212992: below \[ingest\] rcvbuf_bytes = 8388608.*fix: galaxyctl configure init; not persisted'
check "socket: irq warns: IRQs 24, 25, 27 on pinned cores 2-3, and default_smp_affinity" \
  line s-check irq warn '3 of 5 IRQs may run on pinned cores 2-3 \(IRQ 24,25,27\), and so would new ones'
check "socket: governor warns: pinned cpu2, cpu3 on powersave" \
  line s-check governor warn 'cpu2 powersave, cpu3 powersave; fix: galaxyctl configure init'
check "socket: check wrote nothing" bash -c "snap '$R' | cmp -s - '$T/sock.before' && [ ! -e '$R/var/lib/galaxyd/configure' ]"

run s-init init --root "$R"
check "socket: init exits 0 and names what it changed" \
  bash -c "rc=\$(cat '$T/s-init.rc'); [ \$rc = 0 ] && grep -qx 'init: changed sysctl irq governor; recorded in $R/var/lib/galaxyd/configure/state' '$T/s-init.out'"
check "socket: init: sysctl values raised and persisted, the file's other line kept" \
  bash -c "[ \"\$(cat '$R/proc/sys/net/core/rmem_max' '$R/proc/sys/net/core/wmem_max' | tr '\n' ' ')\" = '8388608 8388608 ' ] &&
    grep -qx 'net.core.rmem_max = 8388608' '$R/etc/sysctl.d/60-galaxyd.conf' &&
    grep -qx 'net.core.wmem_max = 8388608' '$R/etc/sysctl.d/60-galaxyd.conf' &&
    grep -qx 'net.ipv4.ip_local_port_range = 32768 60999' '$R/etc/sysctl.d/60-galaxyd.conf' &&
    ! grep -q 4194304 '$R/etc/sysctl.d/60-galaxyd.conf'"
check "socket: init: IRQs moved off 2-3 (keeping their unpinned CPUs), default affinity 3 (CPUs 0-1)" \
  bash -c "[ \"\$(for i in 0 24 25 26 27; do cat '$R/proc/irq/'\$i/smp_affinity_list; done | tr '\n' ' ')\" = '0 0-1 0-1 1 1 ' ] &&
    [ \"\$(cat '$R/proc/irq/default_smp_affinity')\" = 3 ]"
check "socket: init: governor performance on cpu2-3 only" \
  bash -c "[ \"\$(cat '$R'/sys/devices/system/cpu/cpu{0,1,2,3}/cpufreq/scaling_governor | tr '\n' ' ')\" = 'powersave powersave performance performance ' ]"
check "socket: init line says what changed" \
  bash -c "grep -qE '^sysctl +changed +net.core.rmem_max 212992 -> 8388608; net.core.wmem_max 212992 -> 8388608; persisted in /etc/sysctl.d/60-galaxyd.conf' '$T/s-init.out' &&
    grep -qE '^irq +changed .*moved 3 IRQs off pinned cores 2-3' '$T/s-init.out'"
snap "$R" >"$T/sock.after1"
cp "$R/var/lib/galaxyd/configure/state" "$T/sock.state1"
run s-init2 init --root "$R"
check "socket: second init changes nothing and says so" \
  bash -c "rc=\$(cat '$T/s-init2.rc'); [ \$rc = 0 ] && [ \$(grep -c ' nothing to change: ' '$T/s-init2.out') = 6 ] &&
    grep -qx 'init: nothing changed (this host is already set up for this config)' '$T/s-init2.out' &&
    snap '$R' | cmp -s - '$T/sock.after1' && cmp -s '$R/var/lib/galaxyd/configure/state' '$T/sock.state1'"
run s-check2 check --root "$R"
check "socket: check after init: every stage ok" \
  bash -c "rc=\$(cat '$T/s-check2.rc'); [ \$rc = 0 ] && [ \$(grep -cE '^[a-z]+ +ok ' '$T/s-check2.out') = 6 ]"
check "socket: sysctl ok names the file that persists it" \
  line s-check2 sysctl ok 'persisted in /etc/sysctl.d/60-galaxyd.conf'
run s-fini fini --root "$R"
check "socket: fini exits 0 and gives back the tree byte for byte (the hand-written sysctl file too)" \
  bash -c "rc=\$(cat '$T/s-fini.rc'); [ \$rc = 0 ] && snap '$R' | cmp -s - '$T/sock.before'"
check "socket: fini leaves no state" bash -c "[ ! -e '$R/var/lib/galaxyd/configure' ] && grep -qx 'fini: undid governor irq sysctl; 0 changes left in the state' '$T/s-fini.out'"
run s-fini2 fini --root "$R"
check "socket: a second fini has nothing to undo" \
  bash -c "rc=\$(cat '$T/s-fini2.rc'); [ \$rc = 0 ] && [ \$(grep -cE '^[a-z]+ +ok +nothing to undo' '$T/s-fini2.out') = 6 ]"

# fini leaves alone what changed since init
run s-gov init --root "$R" --stage governor
echo schedutil >"$R"/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor
run s-gov-fini fini --root "$R" --stage governor
check "fini leaves alone a value changed since init (warn) and restores the rest" \
  bash -c "rc=\$(cat '$T/s-gov-fini.rc'); [ \$rc = 0 ] &&
    grep -qE '^governor +warn +/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor is schedutil, not the performance init set: left alone' '$T/s-gov-fini.out' &&
    [ \"\$(cat '$R'/sys/devices/system/cpu/cpu{2,3}/cpufreq/scaling_governor | tr '\n' ' ')\" = 'schedutil powersave ' ] &&
    [ ! -e '$R/var/lib/galaxyd/configure/state' ]"
echo powersave >"$R"/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor

# ---- DPDK mode -------------------------------------------------------------------
R=$T/dpdk
mkroot "$R"
mkdir -p "$R"/etc/galaxyd
cat >"$R"/etc/galaxyd/main.ini <<INI
[node]
mode = dpdk
[cores]
rx = 2
verify = 3
mempool = 2
gossip = 2
housekeeping = 0
[dpdk]
port = $PCI
lcores = 2
mem_mb = 256
INI
snap "$R" >"$T/dpdk.before"
run d-check check --root "$R"
check "dpdk: check fails (exit 1)" rc_is d-check 1
check "dpdk: hugepages fail: none reserved, 128 needed" \
  line d-check hugepages fail '0 2 MiB hugepages reserved, \[dpdk\] mem_mb = 256 needs 128; fix: galaxyctl configure init; not persisted \(lost at reboot\); no hugetlbfs'
check "dpdk: vfio fail: the NIC is on ice" \
  line d-check vfio fail "$PCI is bound to ice, not vfio-pci; fix: galaxyctl configure init"
check "dpdk: memlock fail: the drop-in's 64K" \
  line d-check memlock fail 'galaxyd@main: LimitMEMLOCK set \(/etc/systemd/system/galaxyd@main.service.d/50-local.conf\) is below the 256 MiB'
check "dpdk: sysctl, irq and governor warn as in socket mode (lcores 2 pinned too)" \
  bash -c "grep -qE '^sysctl +warn' '$T/d-check.out' && grep -qE '^irq +warn .*pinned cores 2-3' '$T/d-check.out' &&
    grep -qE '^governor +warn' '$T/d-check.out'"

echo up >"$R/sys/bus/pci/devices/$PCI/net/eth9/operstate"
run d-up init --root "$R" --stage vfio
check "dpdk: init refuses to take a NIC whose interface is up" \
  bash -c "rc=\$(cat '$T/d-up.rc'); [ \$rc = 1 ] &&
    grep -qE '^vfio +fail +nothing to change: $PCI is bound to ice and its interface eth9 is up: make sure it is not this host.s management interface' '$T/d-up.out' &&
    [ \"\$(readlink '$R/sys/bus/pci/devices/$PCI/driver')\" = ../../drivers/ice ] && [ ! -e '$R/var/lib/galaxyd/configure/state' ]"
echo down >"$R/sys/bus/pci/devices/$PCI/net/eth9/operstate"

kernel "$R"
run d-init init --root "$R"
check "dpdk: init exits 0 and changes every stage" \
  bash -c "rc=\$(cat '$T/d-init.rc'); [ \$rc = 0 ] && grep -qx 'init: changed hugepages sysctl vfio irq governor memlock; recorded in $R/var/lib/galaxyd/configure/state' '$T/d-init.out'"
check "dpdk: init: 128 hugepages reserved and persisted" \
  bash -c "[ \"\$(cat '$R/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages')\" = 128 ] &&
    grep -qx 'vm.nr_hugepages = 128' '$R/etc/sysctl.d/60-galaxyd-hugepages.conf' &&
    grep -qE '^hugepages +changed +reserved 128 2 MiB hugepages \(was 0\) for \[dpdk\] mem_mb = 256; persisted vm.nr_hugepages = 128' '$T/d-init.out'"
check "dpdk: init: the NIC moved from ice to vfio-pci through driver_override" \
  bash -c "[ \"\$(readlink '$R/sys/bus/pci/devices/$PCI/driver')\" = ../../drivers/vfio-pci ] &&
    [ \"\$(cat '$R/sys/bus/pci/devices/$PCI/driver_override')\" = vfio-pci ] &&
    grep -qE '^vfio +changed +$PCI: ice -> vfio-pci' '$T/d-init.out'"
check "dpdk: init: LimitMEMLOCK=infinity drop-in after the local one" \
  bash -c "grep -qx 'LimitMEMLOCK=infinity' '$R/etc/systemd/system/galaxyd@main.service.d/90-galaxyd-memlock.conf' &&
    grep -qE '^memlock +changed +wrote /etc/systemd/system/galaxyd@main.service.d/90-galaxyd-memlock.conf' '$T/d-init.out'"
snap "$R" >"$T/dpdk.after1"
cp "$R/var/lib/galaxyd/configure/state" "$T/dpdk.state1"
run d-init2 init --root "$R"
check "dpdk: second init changes nothing and says so" \
  bash -c "rc=\$(cat '$T/d-init2.rc'); [ \$rc = 0 ] && [ \$(grep -c ' nothing to change: ' '$T/d-init2.out') = 6 ] &&
    grep -qx 'init: nothing changed (this host is already set up for this config)' '$T/d-init2.out' &&
    snap '$R' | cmp -s - '$T/dpdk.after1' && cmp -s '$R/var/lib/galaxyd/configure/state' '$T/dpdk.state1'"
run d-check2 check --root "$R"
check "dpdk: check after init: every stage ok (exit 0)" \
  bash -c "rc=\$(cat '$T/d-check2.rc'); [ \$rc = 0 ] && [ \$(grep -cE '^[a-z]+ +ok ' '$T/d-check2.out') = 6 ]"
check "dpdk: check names the NIC's driver and the hugepages" \
  bash -c "grep -qE '^vfio +ok +$PCI bound to vfio-pci' '$T/d-check2.out' &&
    grep -qE '^hugepages +ok +128 2 MiB hugepages reserved \(128 free\), 128 needed.*persisted: vm.nr_hugepages = 128 in /etc/sysctl.d/60-galaxyd-hugepages.conf' '$T/d-check2.out'"
run d-fini fini --root "$R"
sleep 0.1 # the fake kernel's last free_hugepages update
check "dpdk: fini exits 0, the NIC back on ice, the tree as before byte for byte" \
  bash -c "rc=\$(cat '$T/d-fini.rc'); [ \$rc = 0 ] && grep -qE '^vfio +undone +$PCI back to ice' '$T/d-fini.out' &&
    snap '$R' | cmp -s - '$T/dpdk.before' && [ ! -e '$R/var/lib/galaxyd/configure' ]"
kill "$KPID" 2>/dev/null; wait "$KPID" 2>/dev/null; KPID=

# a virtual device: nothing to bind, no hugepages required
sed -i "s/^port = .*/port = net_af_packet0,iface=veth0/; s/^mem_mb = .*/hugepages = no/" "$R"/etc/galaxyd/main.ini
run d-vdev check --root "$R" --stage hugepages,vfio
check "dpdk on a virtual device: vfio and hugepages ok" \
  bash -c "grep -qE '^vfio +ok +\[dpdk\] port net_af_packet0,iface=veth0 is a virtual device' '$T/d-vdev.out' &&
    grep -qE '^hugepages +ok +not used: \[dpdk\] hugepages = no' '$T/d-vdev.out' && [ \$(wc -l <'$T/d-vdev.out') = 2 ]"

# deploy/dpdk-setup.sh check|init|fini is a thin wrapper over configure
GALAXYCTL=$C "$GX_ROOT/deploy/dpdk-setup.sh" check "$T/sock/etc/galaxyd/main.ini" --root "$T/sock" >"$T/w.out" 2>&1; wrc=$?
"$C" configure check --config "$T/sock/etc/galaxyd/main.ini" --root "$T/sock" >"$T/w2.out" 2>&1
check "dpdk-setup.sh check CONFIG --root DIR is configure check" bash -c "[ $wrc = 0 ] && cmp -s '$T/w.out' '$T/w2.out'"

# ---- errors ----------------------------------------------------------------------
expect_fail "an unknown stage" 2 "stage 'numa': unknown" "$C" configure check --root "$R" --stage numa
expect_fail "an unknown verb" 2 "'start' is not check, init or fini" "$C" configure start
expect_fail "a missing config" 2 "cannot read config $T/none.ini" "$C" configure check --config "$T/none.ini"
printf '[cores]\nrx = two\n' >"$T/bad.ini"
expect_fail "a bad core list" 2 "\\[cores\\] rx: 'two' is not a core list" "$C" configure check --config "$T/bad.ini"
expect_fail "--root not a directory" 2 "root $T/nope: not a directory" "$C" configure check --root "$T/nope"
mkdir -p "$R/var/lib/galaxyd/configure"
echo garbage >"$R/var/lib/galaxyd/configure/state"
expect_fail "a broken state file stops init" 1 "not a galaxyctl configure state" "$C" configure init --root "$R"
rm -f "$R/var/lib/galaxyd/configure/state"
ln -s /etc/passwd "$R/var/lib/galaxyd/configure/state"
expect_fail "a state file that is a link is refused" 1 "not a plain file of this user" "$C" configure fini --root "$R"
rm -f "$R/var/lib/galaxyd/configure/state"
chown 65534 "$R/var/lib/galaxyd/configure"
expect_fail "a state directory of another user is refused (fini writes where it says)" 1 \
  "state directory .* belongs to uid 65534 or others may write it: refusing" "$C" configure fini --root "$R"
chown 0 "$R/var/lib/galaxyd/configure"
flock "$R/var/lib/galaxyd/configure" sleep 5 &
for _ in $(seq 50); do flock -n "$R/var/lib/galaxyd/configure" true || break; sleep 0.1; done # held
expect_fail "one init or fini at a time" 1 "another galaxyctl configure init or fini is running" "$C" configure init --root "$R"
wait
check "configure --help" bash -c "'$C' configure --help | grep -q 'fini    undo what init recorded'"
check "galaxyctl --help lists configure" bash -c "'$C' --help | grep -qE '^  configure +check\|init\|fini'"

# ---- this host, read-only, socket mode --------------------------------------------
[ -e /var/lib/galaxyd/configure/state ] && had_state=1 || had_state=0
"$C" configure check --config "$GX_ROOT/deploy/galaxyd.ini" >"$T/host.out" 2>&1; rc=$?
sed 's/^/# host: /' "$T/host.out"
check "this host in socket mode: check does not fail (may warn), one line per stage" \
  bash -c "[ $rc = 0 ] && [ \$(grep -cE '^[a-z]+ +(ok|warn) ' '$T/host.out') = 6 ]"
check "this host: check wrote no state" bash -c "[ -e /var/lib/galaxyd/configure/state ] && [ $had_state = 1 ] || [ ! -e /var/lib/galaxyd/configure/state ]"
gx_done
