#!/bin/sh
# galaxy-node-key.sh GALAXYCTL CONF_DIR NODE_KEY INDEX
# Opens this member's sealed coin share CONF_DIR/share-INDEX.sealed with its
# identity CONF_DIR/identity.key into NODE_KEY once (galaxyctl node-key:
# 0600, never overwritten), then checks NODE_KEY against CONF_DIR/genesis.ini
# (galaxyctl genesis --check --key: prints "key NODE_KEY: validator I of
# CHAIN"). When it made the key, the first line is "made". Run by the galaxy
# role (ansible.builtin.script).
set -eu
ctl=$1 conf=$2 key=$3 index=$4
if [ ! -e "$key" ]; then
  "$ctl" node-key --identity "$conf/identity.key" --share "$conf/share-$index.sealed" \
    --genesis "$conf/genesis.ini" --out "$key" >/dev/null
  echo made
fi
exec "$ctl" genesis --check "$conf/genesis.ini" --key "$key"
