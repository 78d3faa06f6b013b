#!/bin/sh
# Installs every Debian 12 package the project needs. Idempotent: does nothing
# when all are present. Uses sudo when not root. Exit 0 on success, 1 when a
# package cannot be installed (the apt-get error is shown).
set -eu
PKGS="build-essential pkg-config clang llvm libclang-rt-14-dev
libdpdk-dev dpdk libsodium-dev liburing-dev liblmdb-dev lmdb-utils libisal-dev
libbenchmark-dev libmicrohttpd-dev libinih-dev libcmocka-dev
prometheus iproute2 tcpreplay python3 gnuplot-nox curl jq
libcurl4-openssl-dev nftables libxxhash-dev
debhelper help2man systemd adduser python3-yaml strace
libncurses-dev tmux
ansible ansible-lint yamllint"
missing=""
for p in $PKGS; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || $SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || \
  $SUDO apt-get install -y --no-install-recommends $missing
