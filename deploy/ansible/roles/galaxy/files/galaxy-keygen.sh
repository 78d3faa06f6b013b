#!/bin/sh
# galaxy-keygen.sh GALAXYCTL KEY INDEX HOST:PORT
# Makes this host's identity key KEY once (galaxyctl keygen: 0600, never
# overwritten; it never leaves the host) and prints its public member line
# "INDEX IDENTITY HOST:PORT" (galaxyctl keygen --public). When it made the
# key, the first line is "made". Run by the galaxy role (ansible.builtin.script).
set -eu
ctl=$1 key=$2 index=$3 addr=$4
if [ ! -e "$key" ]; then
  "$ctl" keygen --out "$key" --index "$index" --address "$addr" >/dev/null
  echo made
fi
exec "$ctl" keygen --public "$key" --address "$addr"
