#!/bin/sh
# star-init.sh STAR DIR API_URL GALAXY_HOST:PORT
# Points the wallet in DIR at a galaxy (star init --api --galaxy: DIR/api and
# DIR/galaxy, one line each) unless it points there already. Prints
# "initialised" when it ran star init, "unchanged" when not. Run by the star
# role (ansible.builtin.script).
set -eu
star=$1 dir=$2 api=$3 galaxy=$4
if [ "$(cat "$dir/api" 2>/dev/null)" = "$api" ] && [ "$(cat "$dir/galaxy" 2>/dev/null)" = "$galaxy" ]; then
  echo unchanged
  exit 0
fi
"$star" init --dir "$dir" --api "$api" --galaxy "$galaxy"
echo initialised
