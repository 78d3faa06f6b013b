#!/usr/bin/env bash
# The Debian package and the systemd unit, with the real tools:
# * `make deb` (debhelper) packages the programs already built in $GX_BUILD
#   (INSTALL_NOBUILD=1: nothing is compiled here; no -dbgsym package, to save
#   time); dpkg-deb --info/--contents:
#   name, version = GX_VERSION, library dependencies, the conffile, every file
#   an operator needs and no test tool; unpacked with dpkg -x: the programs
#   run, the man pages render, the config is deploy/galaxyd.ini.
# * systemd-analyze verify (unit, and unit + the DPDK and CPU drop-ins; man
#   pages looked up in the package) is clean; the effective settings are the
#   documented ones (user, sandbox, no capability in socket mode nor with
#   vfio-pci, CAP_NET_RAW only for af_packet, CPUAffinity from the drop-in);
#   systemd-analyze security --offline rates the unit at most 2.0 (2.5 with
#   the DPDK drop-in).
# * In a private mount namespace (copies of /etc and /var/lib, so this host
#   gets no user): the postinst creates the galaxyd user and group,
#   /var/lib/galaxyd (galaxyd, 0750) and gives /etc/galaxyd to root:galaxyd,
#   twice over without complaint; galaxyd from the package then runs a
#   1-validator chain as that user with no capability at all and
#   no_new_privs (socket mode needs none), under strace: every system call it
#   makes is allowed by the unit's SystemCallFilter; it survives SIGHUP, stops
#   on SIGTERM with exit 0, after an upgrade (postinst configure OLD) resumes
#   from the height it had, and restored from a backup of its log taken while
#   it ran (checked with galaxyctl db repair + verify) resumes from there.
# * The unit as shipped under a real systemd (PID 1 of its own namespaces;
#   skipped where it cannot boot): it starts galaxyd@main, which commits as
#   galaxyd with no capability, no_new_privs and a seccomp filter; reload is
#   SIGHUP; a killed galaxyd is restarted; the postinst of an upgrade restarts
#   it; the prerm stops it (exit 0); a bad config fails with exit 2 and is
#   not restarted.
# * prerm and postrm purge keep a data directory and configs that are not
#   empty and remove empty ones.
# * make install / uninstall with PREFIX=/usr/local and DESTDIR: the unit's
#   paths follow the prefix, uninstall leaves no file behind.
set -u
# The whole test runs in its own mount namespace: the bind mounts over /etc
# and /var/lib below are seen by nothing else.
if [ -z "${GX_PKG_NS:-}" ]; then
  if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
    GX_PKG_NS=1 exec unshare -m --propagation private "$0" "$@"
  fi
  GX_PKG_NS=0
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir package)
chmod 0755 "$T" # the galaxyd user runs the unpacked programs from here
gd=
sd=
trap '[ -n "$gd" ] && kill -KILL $gd 2>/dev/null; [ -n "$sd" ] && kill -KILL $sd 2>/dev/null; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
quiet() { "$@" >"$T/out" 2>&1 || { tail -n 20 "$T/out" | sed 's/^/# /'; return 1; }; }
V=$(sed -n 's/^#define GX_VERSION "\(.*\)"/\1/p' "$GX_ROOT/apps/gx_cli.h")
ARCH=$(dpkg --print-architecture)
DEB="$T/deb/galaxy-appliance_${V}_${ARCH}.deb"

# ---- make deb ----
t0=$SECONDS
check "make deb (debhelper, from the programs in $GX_BUILD; no -dbgsym here)" quiet env DEB_BUILD_OPTIONS=noautodbgsym \
  make -C "$GX_ROOT" --no-print-directory deb \
  DEB_B="$GX_BUILD" INSTALL_NOBUILD=1 DEB_OUT="$T/deb"
echo "# make deb took $((SECONDS - t0)) s"
check "the package is galaxy-appliance_${V}_${ARCH}.deb" [ -f "$DEB" ]
[ -f "$DEB" ] || { gx_done; exit 1; }
dpkg-deb --info "$DEB" >"$T/info"
field() { dpkg-deb --field "$DEB" "$1"; }
check "Package and Version fields (GX_VERSION $V)" [ "$(field Package) $(field Version)" = "galaxy-appliance $V" ]
deps=$(field Depends)
check "Depends from dpkg-shlibdeps (libsodium, DPDK EAL, LMDB, liburing) and adduser" \
  bash -c "grep -q 'libsodium23' <<<'$deps' && grep -q 'librte-eal' <<<'$deps' && grep -q 'liblmdb0' <<<'$deps' && grep -q 'liburing' <<<'$deps' && grep -q 'adduser' <<<'$deps'"
mkdir -p "$T/ctl" && dpkg-deb --control "$DEB" "$T/ctl"
check "conffiles: /etc/galaxyd/galaxyd.ini" [ "$(cat "$T/ctl/conffiles")" = /etc/galaxyd/galaxyd.ini ]
for s in postinst prerm postrm; do check "$s passes sh -n" sh -n "$T/ctl/$s"; done
dpkg-deb --contents "$DEB" | awk '{print $NF}' | sed 's|^\./|/|' >"$T/contents"
missing=""
for f in /usr/bin/galaxyd /usr/bin/galaxyctl /usr/bin/star /etc/galaxyd/galaxyd.ini \
  /lib/systemd/system/galaxyd@.service /usr/lib/sysusers.d/galaxyd.conf \
  /usr/share/man/man8/galaxyd.8.gz /usr/share/man/man8/galaxyctl.8.gz /usr/share/man/man1/star.1.gz \
  /usr/share/doc/galaxy-appliance/DEPLOY.md /usr/share/doc/galaxy-appliance/OPERATIONS.md \
  /usr/share/doc/galaxy-appliance/copyright /usr/share/galaxy-appliance/dpdk-setup.sh \
  /usr/share/galaxy-appliance/systemd/dpdk.conf /usr/share/galaxy-appliance/systemd/cpu.conf \
  /usr/share/galaxy-appliance/systemd/60-galaxyd-vfio.rules \
  /usr/share/galaxy-appliance/prometheus/alerts.yml /usr/share/galaxy-appliance/prometheus/prometheus.yml \
  /usr/share/galaxy-appliance/grafana/galaxy.json; do
  grep -qxF "$f" "$T/contents" || missing="$missing $f"
done
check "the package holds every operator file (missing:${missing:- none})" [ -z "$missing" ]
check "and no test tool (gx_sim, gx_store_tool)" bash -c "! grep -qE 'gx_sim|gx_store_tool' '$T/contents'"

R="$T/root"
dpkg -x "$DEB" "$R"
check "unpacked galaxyd --version says $V" bash -c "'$R/usr/bin/galaxyd' --version | grep -q '^galaxyd $V '"
check "unpacked galaxyctl and star run" bash -c "'$R/usr/bin/galaxyctl' --version >/dev/null && '$R/usr/bin/star' --version >/dev/null"
check "man pages render (galaxyd.8, galaxyctl.8 with its commands, star.1)" bash -c "
  man -l '$R/usr/share/man/man8/galaxyd.8.gz' 2>/dev/null | grep -q 'galaxyd - Galaxy validator appliance daemon' &&
  man -l '$R/usr/share/man/man8/galaxyctl.8.gz' 2>/dev/null | grep -q 'galaxyctl genesis --validators' &&
  man -l '$R/usr/share/man/man1/star.1.gz' 2>/dev/null | grep -q 'star - Galaxy light client'"
check "/etc/galaxyd/galaxyd.ini is deploy/galaxyd.ini" cmp -s "$R/etc/galaxyd/galaxyd.ini" "$GX_ROOT/deploy/galaxyd.ini"

# ---- systemd-analyze ----
# verify needs ExecStart's program to exist: the unit, in a unit directory of
# its own, points at the unpacked one; man pages are looked up in the package.
U="$T/units"
mkdir -p "$U"
sed "s|^ExecStart=/usr/bin/galaxyd|ExecStart=$R/usr/bin/galaxyd|" "$R/lib/systemd/system/galaxyd@.service" >"$U/galaxyd@.service"
sa() { SYSTEMD_UNIT_PATH="$U:" MANPATH="$R/usr/share/man" systemd-analyze "$@"; }
verify_clean() { # no warning at all, exit 0
  sa verify --recursive-errors=no galaxyd@main.service >"$T/verify" 2>&1 && [ ! -s "$T/verify" ] ||
    { sed 's/^/# /' "$T/verify"; return 1; }
}
dump() { SYSTEMD_LOG_LEVEL=debug sa verify --man=no galaxyd@main.service 2>&1 | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' >"$T/dump"; }
check "systemd-analyze verify galaxyd@main.service: no warning" verify_clean
dump
check "unit: galaxyd -c /etc/galaxyd/main.ini as user galaxyd, reload = SIGHUP" bash -c "
  grep -qx 'Command Line: $R/usr/bin/galaxyd -c /etc/galaxyd/main.ini' '$T/dump' &&
  grep -q '^Command Line: /bin/kill -HUP .*MAINPID' '$T/dump' && grep -qx 'User: galaxyd' '$T/dump'"
check "unit: Restart on-failure, memlock unlimited, state /var/lib/galaxyd/main" bash -c "
  grep -qx 'Restart: on-failure' '$T/dump' && grep -qx 'LimitMEMLOCK: 18446744073709551615' '$T/dump' &&
  grep -qx 'StateDirectory: galaxyd/main' '$T/dump'"
check "unit: no capability, ProtectSystem=strict, PrivateDevices, PrivateTmp, ProtectHome" bash -c "
  grep -qx 'CapabilityBoundingSet:' '$T/dump' && grep -qx 'ProtectSystem: strict' '$T/dump' &&
  grep -qx 'PrivateDevices: yes' '$T/dump' && grep -qx 'PrivateTmp: yes' '$T/dump' && grep -qx 'ProtectHome: yes' '$T/dump'"
check "systemd-analyze security --offline: exposure at most 2.0" \
  quiet sa security --offline=true --man=no --threshold=20 galaxyd@main.service
# The DPDK and CPU drop-ins as shipped (vfio-pci), then with af_packet's lines.
D="$U/galaxyd@main.service.d"
mkdir -p "$D"
cp "$R/usr/share/galaxy-appliance/systemd/dpdk.conf" "$R/usr/share/galaxy-appliance/systemd/cpu.conf" "$D/"
check "verify with the dpdk.conf and cpu.conf drop-ins: no warning" verify_clean
dump
check "DPDK (vfio-pci): /dev/vfio allowed, still no capability; CPUAffinity from cpu.conf" bash -c "
  grep -qx 'PrivateDevices: no' '$T/dump' && grep -qx 'DeviceAllow: char-vfio rw' '$T/dump' &&
  grep -qx 'DeviceAllow: /dev/vfio/vfio rw' '$T/dump' && grep -qx 'CapabilityBoundingSet:' '$T/dump' &&
  grep -qx 'CPUAffinity: 0-5' '$T/dump'"
sed -i 's/^#\(RestrictAddressFamilies\|CapabilityBoundingSet\|AmbientCapabilities\)=/\1=/' "$D/dpdk.conf"
check "verify with af_packet's lines of dpdk.conf: no warning" verify_clean
dump
check "af_packet: CAP_NET_RAW and nothing else" bash -c "
  grep -qx 'CapabilityBoundingSet: cap_net_raw' '$T/dump' && grep -qx 'AmbientCapabilities: cap_net_raw' '$T/dump'"
check "systemd-analyze security with the DPDK drop-in: exposure at most 2.5" \
  quiet sa security --offline=true --man=no --threshold=25 galaxyd@main.service

# ---- maintainer scripts and galaxyd as the galaxyd user ----
if [ "$GX_PKG_NS" = 1 ]; then
  mkdir -p "$T/ns/var-lib"
  cp -a /etc "$T/ns/etc" && cp -a "$R/etc/galaxyd" "$T/ns/etc/"
  mount --bind "$T/ns/etc" /etc && mount --bind "$T/ns/var-lib" /var/lib
  check "postinst configure (first install)" quiet sh "$T/ctl/postinst" configure
  check "the galaxyd system user: home /var/lib/galaxyd, no login shell, its own group" bash -c "
    getent passwd galaxyd | grep -qE '^galaxyd:x:[0-9]+:[0-9]+:[^:]*:/var/lib/galaxyd:/usr/sbin/nologin$' &&
    [ \"\$(id -gn galaxyd)\" = galaxyd ] && [ \"\$(id -u galaxyd)\" -lt 1000 ]"
  check "/var/lib/galaxyd galaxyd:galaxyd 0750, /etc/galaxyd root:galaxyd 0750" bash -c "
    [ \"\$(stat -c '%U:%G %a' /var/lib/galaxyd)\" = 'galaxyd:galaxyd 750' ] &&
    [ \"\$(stat -c '%U:%G %a' /etc/galaxyd)\" = 'root:galaxyd 750' ]"
  check "postinst configure again (idempotent)" quiet sh "$T/ctl/postinst" configure
  check "one galaxyd user still" [ "$(grep -c '^galaxyd:' /etc/passwd)" = 1 ]

  # A 1-validator chain laid out as docs/DEPLOY.md says.
  BASE=$(net_pick_base 1)
  "$R/usr/bin/galaxyctl" genesis --validators 1 --out "$T/g" --base-port $((BASE + 100)) --host 127.0.0.1 >/dev/null
  install -m 0644 "$T/g/genesis.ini" /etc/galaxyd/genesis.ini
  install -m 0640 -o root -g galaxyd "$T/g/node-0.key" /etc/galaxyd/main.key
  cat >/etc/galaxyd/main.ini <<INI
[node]
listen = 127.0.0.1:$BASE
[cores]
rx = 0
verify = 0
[ingest]
items = 16384
verify_ring = 16384
dedup_entries = 262144
eal_mem_mb = 128
[mempool]
capacity = 100000
max_accounts = 16384
[api]
listen = 127.0.0.1:$((BASE + 200))
[admin]
listen = 127.0.0.1:$((BASE + 300))
[chain]
genesis = /etc/galaxyd/genesis.ini
node_key = /etc/galaxyd/main.key
data_dir = /var/lib/galaxyd/main
tick_ms = 100
idle_epoch_ms = 200
INI
  install -d -o galaxyd -g galaxyd -m 0750 /var/lib/galaxyd/main # StateDirectory=galaxyd/%i
  API="http://127.0.0.1:$((BASE + 200))"
  height() { curl -sf --max-time 2 "$API/v1/status" | jq -r .height 2>/dev/null; }
  start_gd() { # [strace -f -o FILE]: as the unit runs it: user galaxyd, no capability, no_new_privs, in its state dir
    (cd /var/lib/galaxyd/main && exec setpriv --reuid=galaxyd --regid=galaxyd --init-groups --no-new-privs \
      --inh-caps=-all --bounding-set=-all "$@" "$R/usr/bin/galaxyd" -c /etc/galaxyd/main.ini) >>"$T/galaxyd.log" 2>&1 &
    gd=$!
    if [ $# -gt 0 ]; then # the tracer's child is galaxyd
      tracer=$gd gd=
      for _ in $(seq 50); do gd=$(pgrep -P "$tracer" | head -1); [ -n "$gd" ] && break; sleep 0.1; done
    fi
  }
  tracer=
  stop_gd() { # signal, wait (bounded), set rc (strace exits with its tracee's status)
    kill -"$1" "$gd" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$gd" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$gd" 2>/dev/null
    if [ -n "$tracer" ]; then wait "$tracer"; else wait "$gd"; fi
    rc=$? gd= tracer=
  }
  # The first run under strace: every system call galaxyd makes, for the
  # unit's SystemCallFilter below.
  install -d -m 0777 "$T/trace"
  start_gd strace -f -qq -o "$T/trace/calls"
  check "galaxyd from the package, as galaxyd, commits (height 3)" net_wait '[ "$(height)" -ge 3 ] 2>/dev/null' 60
  curl -sf "$API/metrics" >/dev/null; curl -sf "http://127.0.0.1:$((BASE + 300))/metrics" >/dev/null
  st=/proc/$gd/status
  check "it runs as galaxyd with no capability and no_new_privs" bash -c "
    [ \"\$(awk '/^Uid:/{print \$2}' $st)\" = \"\$(id -u galaxyd)\" ] && grep -q '^CapEff:[[:space:]]*0000000000000000$' $st &&
    grep -q '^CapBnd:[[:space:]]*0000000000000000$' $st && grep -q '^NoNewPrivs:[[:space:]]*1$' $st"
  check "its store belongs to galaxyd" bash -c "[ -z \"\$(find /var/lib/galaxyd/main ! -user galaxyd)\" ]"
  kill -HUP "$gd"
  check "SIGHUP (systemctl reload): still running, logged" net_wait \
    "grep -q 'SIGHUP: nothing to reopen' '$T/galaxyd.log' && kill -0 $gd" 5
  h1=$(height)
  stop_gd TERM
  check "SIGTERM (systemctl stop): exit 0 (rc=$rc)" [ "$rc" = 0 ]
  # Every call it made is allowed by the unit's SystemCallFilter lines (the
  # groups expanded by systemd-analyze syscall-filter; an allow list, then
  # what the ~ lines take out), but iopl: EAL's probe for port I/O, refused
  # here too (ENOSYS or EPERM), which EAL takes as "no port I/O" and goes on.
  filtered=$(python3 - "$R/lib/systemd/system/galaxyd@.service" "$T/trace/calls" <<'PY'
import re, subprocess, sys
out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True).stdout
groups, cur = {}, None
for line in out.splitlines():
    if line.startswith("@"):
        cur = line.split()[0]
        groups[cur] = []
    elif cur and line.strip() and not line.strip().startswith("#"):
        groups[cur].append(line.split()[0])
def expand(name, seen):
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    return set().union(*[expand(x, seen) for x in groups[name]])
allow, deny = set(), set()
for line in open(sys.argv[1]):
    m = re.match(r"SystemCallFilter=(~?)(.*)", line.strip())
    if m:
        names = set().union(*[expand(n, set()) for n in m.group(2).split()])
        (deny if m.group(1) else allow).update(names)
used = {m.group(1) for m in (re.match(r"\d+\s+([a-z0-9_]+)\(", l) for l in open(sys.argv[2])) if m}
print(" ".join(sorted(used - (allow - deny) - {"iopl"})) or "none", len(used))
PY
  )
  check "every system call of that run is allowed by the unit's SystemCallFilter (filtered: ${filtered% *}; ${filtered##* } distinct calls)" \
    [ "${filtered% *}" = none ]
  check "postinst configure $V (an upgrade)" quiet sh "$T/ctl/postinst" configure "$V"
  start_gd
  check "after the upgrade it resumes from its height ($h1) and commits on" \
    net_wait "[ \"\$(height)\" -gt '$h1' ] 2>/dev/null" 30
  # Backup while it runs (docs/DEPLOY.md): the log only, the index is rebuilt.
  h2=$(height)
  (cd /var/lib/galaxyd/main && tar -cpf "$T/backup.tar" log)
  stop_gd TERM
  mkdir -p "$T/check" && tar -C "$T/check" -xpf "$T/backup.tar"
  check "the backup checks out: galaxyctl db repair (index from the log), verify" bash -c "
    '$R/usr/bin/galaxyctl' db --dir '$T/check' repair >/dev/null && '$R/usr/bin/galaxyctl' db --dir '$T/check' verify >/dev/null"
  rm -rf /var/lib/galaxyd/main/*
  tar -C /var/lib/galaxyd/main -xpf "$T/backup.tar"
  check "restored files belong to galaxyd" bash -c "[ -z \"\$(find /var/lib/galaxyd/main ! -user galaxyd)\" ]"
  start_gd
  check "restored, it rebuilds its index, resumes from the backup ($h2) and commits on" \
    net_wait "[ \"\$(height)\" -gt '$h2' ] 2>/dev/null" 30
  stop_gd TERM

  # ---- the unit under a real systemd ----
  # systemd as PID 1 of its own PID, network, UTS and IPC namespaces (a
  # container: it manages only the units in $T/sd-units, the unit as shipped
  # but for the program's path and the output, as there is no journald). It
  # sees this test's /etc and /var/lib; /run and /opt are its own; the
  # package's programs are copied to /opt (PrivateTmp= hides /tmp from the
  # service). Where systemd cannot boot like that, the part is skipped.
  SU="$T/sd-units"
  mkdir -p "$SU/galaxyd@main.service.d"
  sed 's|^ExecStart=/usr/bin/galaxyd|ExecStart=/opt/galaxy/usr/bin/galaxyd|' "$R/lib/systemd/system/galaxyd@.service" >"$SU/galaxyd@.service"
  # (and RestartSec 1 s instead of 5, to keep the test short)
  printf '[Service]\nStandardOutput=append:/run/galaxyd-main.log\nStandardError=append:/run/galaxyd-main.log\nRestartSec=1s\n' \
    >"$SU/galaxyd@main.service.d/log.conf"
  for u in sysinit.target basic.target shutdown.target network-online.target multi-user.target system.slice; do
    printf '[Unit]\nDescription=stub\n' >"$SU/$u"
  done
  printf '[Unit]\nDescription=galaxy test\nWants=galaxyd@main.service\n' >"$SU/galaxy-test.target"
  cat >"$T/sd-boot.sh" <<EOF
mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /opt || exit 1
# a /dev/null that is no character device (some sandboxes) breaks PrivateDevices=
if [ ! -c /dev/null ]; then mknod /run/null c 1 3 && chmod 666 /run/null && mount --bind /run/null /dev/null; fi
mkdir /opt/galaxy && cp -a '$R/.' /opt/galaxy/ && ip link set lo up || exit 1
export container=galaxy-test SYSTEMD_UNIT_PATH='$SU'
exec /lib/systemd/systemd --system --unit=galaxy-test.target --log-target=null
EOF
  unshare --pid --fork --mount-proc --net --uts --ipc --propagation private bash "$T/sd-boot.sh" >"$T/sd.log" 2>&1 &
  sdwrap=$!
  sd=
  for _ in $(seq 50); do sd=$(pgrep -P "$sdwrap" | head -1); [ -n "$sd" ] && break; sleep 0.1; done
  sdo() { nsenter -t "$sd" -a "$@"; }
  sdshow() { sdo systemctl show -p "$1" --value galaxyd@main 2>/dev/null; }
  sdh() { sdo curl -sf --max-time 2 "$API/v1/status" | jq -r .height 2>/dev/null; }
  if [ -n "$sd" ] && net_wait 'sdo systemctl is-system-running --wait >/dev/null 2>&1; [ "$(sdshow ActiveState)" = active ]' 20; then
    check "systemd starts galaxyd@main (as shipped), it commits on from its height" \
      net_wait '[ "$(sdh)" -gt "$h2" ] 2>/dev/null' 30
    m=$(sdshow MainPID)
    check "under the unit: user galaxyd, no capability, no_new_privs, seccomp filter" sdo bash -c "
      [ \"\$(awk '/^Uid:/{print \$2}' /proc/$m/status)\" = \"\$(id -u galaxyd)\" ] &&
      grep -q '^CapEff:[[:space:]]*0000000000000000$' /proc/$m/status && grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/$m/status &&
      grep -q '^Seccomp:[[:space:]]*2$' /proc/$m/status"
    sdo systemctl reload galaxyd@main
    check "systemctl reload: SIGHUP logged, same process" net_wait \
      "sdo grep -q 'SIGHUP: nothing to reopen' /run/galaxyd-main.log && [ \"\$(sdshow MainPID)\" = $m ]" 5
    sdo kill -KILL "$m"
    check "killed, it is restarted (Restart=on-failure) and commits on" net_wait \
      '[ "$(sdshow NRestarts)" = 1 ] && [ "$(sdshow ActiveState)" = active ] && [ "$(sdh)" -gt 0 ] 2>/dev/null' 20
    m=$(sdshow MainPID)
    check "postinst configure (an upgrade) restarts the running instance" bash -c "
      nsenter -t $sd -a sh '$T/ctl/postinst' configure '$V' >/dev/null 2>&1 &&
      [ \"\$(nsenter -t $sd -a systemctl show -p MainPID --value galaxyd@main)\" != '$m' ] &&
      [ \"\$(nsenter -t $sd -a systemctl is-active galaxyd@main)\" = active ]"
    check "prerm remove stops it, exit 0" bash -c "
      nsenter -t $sd -a sh '$T/ctl/prerm' remove >/dev/null 2>&1 &&
      [ \"\$(nsenter -t $sd -a systemctl is-active galaxyd@main)\" = inactive ] &&
      [ \"\$(nsenter -t $sd -a systemctl show -p ExecMainStatus --value galaxyd@main)\" = 0 ]"
    cp /etc/galaxyd/main.ini "$T/main.ini.good"
    printf '[node]\nbogus = 1\n' >>/etc/galaxyd/main.ini
    sdo systemctl start galaxyd@main 2>/dev/null
    check "a bad config: exit 2, failed, not restarted (RestartPreventExitStatus=2)" net_wait \
      '[ "$(sdshow ActiveState)" = failed ] && [ "$(sdshow ExecMainStatus)" = 2 ]' 10
    sleep 2 # past RestartSec
    check "still failed after RestartSec, no restart" bash -c "
      [ \"\$(nsenter -t $sd -a systemctl show -p NRestarts --value galaxyd@main)\" = 0 ] &&
      [ \"\$(nsenter -t $sd -a systemctl is-active galaxyd@main)\" = failed ]"
    cp "$T/main.ini.good" /etc/galaxyd/main.ini
  else
    ok "# SKIP the unit under systemd: systemd does not boot in a namespace here ($(tail -n 1 "$T/sd.log"))"
  fi
  [ -n "$sd" ] && kill -KILL "$sd" 2>/dev/null
  wait "$sdwrap" 2>/dev/null
  sd=
  check "prerm remove" quiet sh "$T/ctl/prerm" remove
  rm -f /etc/galaxyd/galaxyd.ini # dpkg removes the conffile on purge
  check "postrm purge keeps a data directory and configs that are not empty" bash -c "
    sh '$T/ctl/postrm' purge 2>'$T/purge' && [ -d /var/lib/galaxyd/main ] && [ -f /etc/galaxyd/main.key ] &&
    grep -q 'kept /var/lib/galaxyd' '$T/purge' && grep -q 'kept /etc/galaxyd' '$T/purge'"
  rm -rf /var/lib/galaxyd/* /etc/galaxyd/*
  check "postrm purge removes them once empty" bash -c "
    sh '$T/ctl/postrm' purge && [ ! -e /var/lib/galaxyd ] && [ ! -e /etc/galaxyd ]"
  umount /var/lib /etc
else
  ok "# SKIP maintainer scripts and the galaxyd user: needs root and unshare -m"
fi

# ---- make install / uninstall ----
I="$T/inst"
check "make install PREFIX=/usr/local DESTDIR=..." quiet make -C "$GX_ROOT" --no-print-directory install \
  B="$GX_BUILD" INSTALL_NOBUILD=1 PREFIX=/usr/local DESTDIR="$I"
check "its unit runs /usr/local/bin/galaxyd -c /usr/local/etc/galaxyd/%i.ini" \
  grep -qx 'ExecStart=/usr/local/bin/galaxyd -c /usr/local/etc/galaxyd/%i.ini' "$I/usr/local/lib/systemd/system/galaxyd@.service"
check "make uninstall leaves no file" bash -c "
  make -C '$GX_ROOT' --no-print-directory uninstall PREFIX=/usr/local DESTDIR='$I' >/dev/null 2>&1 &&
  [ -z \"\$(find '$I' -type f)\" ]"
gx_done
