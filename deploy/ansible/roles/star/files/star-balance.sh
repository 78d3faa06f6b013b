#!/bin/sh
# star-balance.sh STAR DIR
# The wallet's committed balance through its galaxy's API (star balance:
# "ADDRESS balance N seq S"). Run by the star role (ansible.builtin.script).
set -eu
exec "$1" balance --dir "$2"
