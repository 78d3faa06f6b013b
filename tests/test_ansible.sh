#!/usr/bin/env bash
# The Ansible deployment (issue 18 item 5, deploy/ansible, docs/DEPLOY.md
# "Multi-host deploy with Ansible"): yamllint, ansible-lint (production
# profile) and `ansible-playbook --syntax-check` of site.yml with the example
# inventory; then a real run of site.yml against an inventory of 4 galaxies
# and 1 star, all on this machine (ansible_connection: local), each with its
# own directories and ports under a temp dir: galaxy_install_method
# local_build (the programs of $GX_BUILD/bin) and galaxy_service_manager
# process (galaxyd-ctl, a pid file), since the test cannot install the .deb
# system-wide nor count on systemd as PID 1; `galaxyctl configure init`
# (stage sysctl) runs on a fake host tree per galaxy (--root). The run does
# the whole key ceremony (keygen on each host, member lines to the
# controller, genesis --members, sealed shares, node-key), so the test
# checks: all 4 validators commit (each height grows), no identity secret
# reached the controller or the builder, configure raised rmem_max on each
# fake host, the star's wallet shows its genesis coins, and a second run
# reports changed=0 on every host and leaves the validators running (same
# pids). Not covered here: the deb and repo install methods, the galaxyd@
# unit under systemd, configure on the real host, remote hosts over SSH.
. "$(dirname "$0")/lib.sh"
A="$GX_ROOT/deploy/ansible"
T=$(gx_tmpdir ansible)
stop_all() {
  local f p
  for f in "$T"/galaxy-*/etc/run/galaxyd.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    # only a galaxyd of this test (its config lies under $T)
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-c $T/" || continue
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
}
trap 'stop_all; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
for t in ansible-playbook ansible-lint yamllint; do
  command -v $t >/dev/null || { not_ok "$t is installed (make deps)"; gx_done; exit 1; }
done
export ANSIBLE_CONFIG="$A/ansible.cfg" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_LOCAL_TEMP="$T/.ansible-tmp"
export ANSIBLE_REMOTE_TEMP="$T/.ansible-tmp" ANSIBLE_ROLES_PATH="$A/roles"

# ---- static checks -------------------------------------------------------------------
check "yamllint: deploy/ansible" bash -c "cd '$A' && yamllint -s . >'$T/yamllint.out' 2>&1 || { cat '$T/yamllint.out'; exit 1; }"
check "ansible-lint: deploy/ansible (production profile)" bash -c \
  "cd '$A' && ansible-lint --nocolor >'$T/lint.out' 2>&1 || { tail -n 30 '$T/lint.out'; exit 1; }"
check "ansible-playbook --syntax-check site.yml with the example inventory" bash -c \
  "cd '$A' && ansible-playbook --syntax-check -i inventory.example.yml site.yml >'$T/syntax.out' 2>&1 ||
   { cat '$T/syntax.out'; exit 1; }"

# ---- an inventory of 4 galaxies and a star on this machine ----------------------------
BASE=$(python3 "$GX_ROOT/tests/free_base_port.py" 4) || { not_ok "a free base port"; gx_done; exit 1; }
# ports as in tests/netlib.sh: ingest BASE+i, consensus BASE+100+i, API BASE+200+i, admin BASE+300+i
cat >"$T/inventory.yml" <<YML
---
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: $(command -v python3)
    galaxy_become: false
    galaxy_install_method: local_build
    galaxy_local_bin_dir: $BIN
    galaxy_network_name: ansible-test
    galaxy_file_owner: ""
    galaxy_file_group: ""
    galaxy_artifacts_dir: $T/controller
    galaxy_genesis_build_dir: $T/builder
    galaxy_rmem_max: 0
  children:
    galaxies:
      vars:
        galaxy_address: 127.0.0.1
        galaxy_conf_dir: "$T/{{ inventory_hostname }}/etc"
        galaxy_data_dir: "$T/{{ inventory_hostname }}/data"
        galaxy_ingest_port: "{{ $BASE + galaxy_index | int }}"
        galaxy_consensus_port: "{{ $((BASE + 100)) + galaxy_index | int }}"
        galaxy_api_port: "{{ $((BASE + 200)) + galaxy_index | int }}"
        galaxy_admin_port: "{{ $((BASE + 300)) + galaxy_index | int }}"
        # galaxyctl configure init on a fake host tree of each galaxy's own
        # (the real host's sysctls are not the test's to change)
        galaxy_configure_stages: [sysctl]
        galaxy_configure_args: [--root, "$T/{{ inventory_hostname }}/root"]
        galaxy_wait_blocks: 3
        galaxy_wait_seconds: 120
        # small and quick, as tests/netlib.sh: 4 validators share 2 cores
        galaxy_config:
          cores: {rx: "0", verify: "0"}
          ingest: {items: 16384, verify_ring: 16384, dedup_entries: 262144, eal_mem_mb: 128}
          mempool: {capacity: 100000, max_accounts: 16384}
          chain: {tick_ms: 100, idle_epoch_ms: 200}
      hosts:
        galaxy-0:
        galaxy-1:
        galaxy-2:
        galaxy-3:
    stars:
      hosts:
        star-0:
          star_wallet_dir: $T/star-0/wallet
          star_wallet_owner: ""
          star_wallet_group: ""
          star_genesis_amount: 1000000
          star_expect_balance: 1000000
YML
# each galaxy's fake host for galaxyctl configure: rmem_max/wmem_max at the kernel's default
for i in 0 1 2 3; do
  R="$T/galaxy-$i/root"
  mkdir -p "$R/proc/sys/net/core" "$R/etc/sysctl.d" "$R/var/lib/galaxyd"
  echo 212992 >"$R/proc/sys/net/core/rmem_max"; echo 212992 >"$R/proc/sys/net/core/wmem_max"
done
play() { # LOG: run site.yml on the test inventory
  (cd "$A" && ansible-playbook -f 8 -i "$T/inventory.yml" site.yml) >"$1" 2>&1
}
status() { curl -sf --max-time 2 "http://127.0.0.1:$((BASE + 200 + $1))/v1/status"; }
height() { # i: node i's height, retried while the node is slow to answer
  local h
  for _ in 1 2 3 4 5; do h=$(status "$1" | jq -r .height 2>/dev/null) && [ -n "$h" ] && { echo "$h"; return; }; done
  return 1
}
pids() { cat "$T"/galaxy-{0,1,2,3}/etc/run/galaxyd.pid 2>/dev/null | tr '\n' ' '; }
recap_ok() { # LOG CHANGED: 5 hosts in the recap, none failed or unreachable, changed as given ("any" or a number)
  local n
  n=$(grep -cE '^(galaxy-[0-3]|star-0) +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0 ' "$1")
  [ "$n" = 5 ] || { sed -n '/PLAY RECAP/,$p' "$1"; return 1; }
  [ "$2" = any ] && return 0
  n=$(grep -cE "^(galaxy-[0-3]|star-0) +: ok=[0-9]+ +changed=$2 " "$1")
  [ "$n" = 5 ] || { sed -n '/PLAY RECAP/,$p' "$1"; grep -B2 -E '^changed:' "$1" | head -40; return 1; }
}

# ---- first run: the whole deployment ----------------------------------------------------
t0=$SECONDS
play "$T/run1.log"; rc=$?
check "first run of site.yml succeeds ($((SECONDS - t0)) s)" \
  bash -c "[ $rc = 0 ] || { tail -n 40 '$T/run1.log'; exit 1; }"
check "first run: every host ok" recap_ok "$T/run1.log" any
[ "$rc" = 0 ] || { gx_done; exit 1; }
check "the playbook waited for each validator's height to grow" \
  bash -c "[ \$(grep -c 'of ansible-test at height' '$T/run1.log') = 4 ]"
H=(); for i in 0 1 2 3; do H[$i]=$(height $i || echo x); done
# every node's height read, and each one grown since
grows() { for i in 0 1 2 3; do h=$(height $i); [ "$h" -gt "${H[$i]}" ] 2>/dev/null || return 1; done; }
check "all 4 validators commit: heights ${H[*]} grow on each /v1/status" \
  bash -c "$(declare -f grows height status); BASE=$BASE; H=(${H[*]}); for _ in \$(seq 50); do grows && exit 0; sleep 0.2; done; exit 1"
check "each validator reports its own index in chain ansible-test" bash -c "
  $(declare -f status); BASE=$BASE
  for i in 0 1 2 3; do status \$i | jq -e \".name == \\\"ansible-test\\\" and .validator == \$i\" >/dev/null || exit 1; done"
check "the controller holds the member lines, genesis, sealed shares and the token" bash -c \
  "cd '$T/controller' && [ \$(grep -cE '^[0-3] [0-9a-f]{64} 127\.0\.0\.1:[0-9]+\$' members.txt) = 4 ] &&
   [ -f genesis.ini ] && ls share-0.sealed share-1.sealed share-2.sealed share-3.sealed >/dev/null && [ -s admin.token ]"
# the identity secrets: each host's identity.key "secret HEX" line
secrets_absent() {
  local f s
  for f in "$T"/galaxy-*/etc/identity.key; do
    s=$(sed -n 's/^secret \([0-9a-f]\{64\}\)$/\1/p' "$f")
    [ -n "$s" ] || { echo "# no secret line in $f" >&2; return 1; }
    if grep -rqiF "$s" "$T/controller" "$T/builder"; then echo "# the secret of $f left its host" >&2; return 1; fi
  done
}
check "no identity secret reached the controller or the builder's directory" secrets_absent
check "identity and node keys are 0600 on their host (no service group in this test)" bash -c \
  "[ \"\$(stat -c %a '$T'/galaxy-*/etc/identity.key '$T'/galaxy-*/etc/main.key | sort -u)\" = 600 ]"
check "galaxyctl configure init ran (when galaxyctl has it): rmem_max raised and persisted on each fake host" bash -c "
  '$BIN/galaxyctl' configure --help >/dev/null 2>&1 || { echo '# galaxyctl has no configure: the role skipped it'; exit 0; }
  [ \$(grep -cE '\"sysctl +changed' '$T/run1.log') = 4 ] || exit 1
  for i in 0 1 2 3; do R='$T'/galaxy-\$i/root
    [ \"\$(cat \$R/proc/sys/net/core/rmem_max)\" = 8388608 ] && grep -q 'rmem_max *= *8388608' \$R/etc/sysctl.d/60-galaxyd.conf || exit 1
  done"
check "the star's wallet shows its genesis coins through its galaxy" \
  grep -qE 'gx[0-9a-f]{72} balance 1000000 seq 0' "$T/run1.log"

# ---- second run: nothing changes ---------------------------------------------------------
P1=$(pids)
t0=$SECONDS
play "$T/run2.log"; rc=$?
check "second run succeeds ($((SECONDS - t0)) s)" bash -c "[ $rc = 0 ] || { tail -n 40 '$T/run2.log'; exit 1; }"
check "second run reports changed=0 on every host" recap_ok "$T/run2.log" 0
check "second run left the validators running (same pids: $P1)" test "$(pids)" = "$P1"
H2=(); for i in 0 1 2 3; do H2[$i]=$(height $i || echo x); done
check "the network still commits after the second run" bash -c \
  "$(declare -f grows height status); BASE=$BASE; H=(${H2[*]}); for _ in \$(seq 50); do grows && exit 0; sleep 0.2; done; exit 1"
gx_done
