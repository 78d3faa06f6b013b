#!/bin/sh
# star-wallet.sh STAR DIR
# Makes the wallet key DIR/key once (star keygen: 0600, never overwritten; it
# never leaves the host) and prints the wallet's address (star address). When
# it made the key, the first line is "made". Run by the star role
# (ansible.builtin.script).
set -eu
star=$1 dir=$2
if [ ! -e "$dir/key" ]; then
  "$star" keygen --dir "$dir" >/dev/null
  echo made
fi
exec "$star" address --dir "$dir"
