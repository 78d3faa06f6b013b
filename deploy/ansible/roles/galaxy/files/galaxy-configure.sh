#!/bin/sh
# galaxy-configure.sh GALAXYCTL ARGS...
# `GALAXYCTL configure init ARGS...` when this galaxyctl has configure (issue
# 18 item 3: `galaxyctl configure --help` succeeds), else prints "no
# galaxyctl configure" and exits 0. init prints "STAGE changed ..." for each
# stage it changed and exits 1 when a stage still fails. Run by the galaxy
# role (ansible.builtin.script).
set -eu
ctl=$1
shift
if ! "$ctl" configure --help >/dev/null 2>&1; then
  echo "no galaxyctl configure"
  exit 0
fi
exec "$ctl" configure init "$@"
