#!/usr/bin/env bash
# Layering of the static libraries: for each layer library
# $GX_BUILD/lib/libgx_NAME.a (the GX_LIBS of every */module.mk), every gx_
# symbol it leaves undefined must be defined in the same library or in one of
# the layers it may call (GX_LIB_DEPS_NAME in the module.mk files, the list its
# unit tests and fuzzers link against). One TAP line per layer; a failure names
# each offending symbol and the library that defines it. A last line runs the
# same check on two synthetic archives (a "lower" object calling a function of
# a "higher" one) and expects it to report that call.
set -u
. "$(dirname "$0")/lib.sh"
tmp=$(gx_tmpdir layers)
trap 'rm -rf "$tmp"' EXIT

# layers_read ROOT: the layer table of ROOT's module.mk files (the Makefile's
# include order) into layers=(NAME...) and layer_deps[NAME]="DEP...". Returns
# 1, with the reason on stdout, when a layer has no GX_LIB_DEPS line or its
# value is not a plain list of names (this script reads no make syntax).
declare -a layers
declare -A layer_deps
layers_read() {
  local root=$1 mk name line f files=() deps
  layers=()
  layer_deps=()
  for f in "$root"/*/module.mk "$root"/*/*/module.mk; do [ -f "$f" ] && files+=("$f"); done
  [ ${#files[@]} -gt 0 ] || { echo "no module.mk under $root"; return 1; }
  mk=$(printf '%s\n' "${files[@]}" | LC_ALL=C sort | xargs cat)
  for name in $(printf '%s\n' "$mk" | sed -n 's/^GX_LIBS[[:space:]]*+=[[:space:]]*\([A-Za-z0-9_]*\)[[:space:]]*$/\1/p'); do
    line=$(printf '%s\n' "$mk" | grep -E "^GX_LIB_DEPS_${name}[[:space:]]*:?=" | tail -n 1)
    [ -n "$line" ] || { echo "layer $name: no GX_LIB_DEPS_$name"; return 1; }
    deps=$(printf '%s\n' "$line" | sed 's/^[^=]*=//')
    if ! [[ $deps =~ ^[[:space:]A-Za-z0-9_]*$ ]]; then
      echo "layer $name: GX_LIB_DEPS_$name is not a plain list: $deps"
      return 1
    fi
    read -ra deps <<<"$deps"
    layers+=("$name")
    layer_deps[$name]="${deps[*]}"
  done
  [ ${#layers[@]} -gt 0 ] || { echo "no GX_LIBS in $root's module.mk files"; return 1; }
}

# defined_syms LIB / undefined_syms LIB: the gx_ symbols an archive defines
# (any global or weak definition) / leaves undefined, sorted, one a line.
defined_syms() {
  nm -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 && $3 ~ /^gx_/ { print $3 }' | LC_ALL=C sort -u
}
undefined_syms() {
  nm -u "$1" 2>/dev/null | awk 'NF == 2 && $2 ~ /^gx_/ { print $2 }' | LC_ALL=C sort -u
}

# layer_check LIBDIR NAME: 0 when NAME's archive only calls gx_ symbols of
# its own layer and its GX_LIB_DEPS; otherwise 1 and, on stdout, one line per
# offending symbol: "SYMBOL (defined in libgx_X.a)" or "(defined in no layer
# library)". 2 when its archive or one of its GX_LIB_DEPS' is missing (which
# one on stdout). Needs layers_read first.
layer_check() {
  local dir=$1 name=$2 l sym owner rc=0
  [ -f "$dir/libgx_$name.a" ] || { echo "$dir/libgx_$name.a not built"; return 2; }
  for l in "${layers[@]}"; do
    [ -f "$tmp/def.$l" ] || defined_syms "$dir/libgx_$l.a" >"$tmp/def.$l"
  done
  : >"$tmp/allowed"
  for l in "$name" ${layer_deps[$name]}; do
    if [ ! -f "$dir/libgx_$l.a" ]; then
      echo "$dir/libgx_$l.a (in GX_LIB_DEPS_$name) not built"
      return 2
    fi
    [ -f "$tmp/def.$l" ] && cat "$tmp/def.$l" >>"$tmp/allowed"
  done
  LC_ALL=C sort -u -o "$tmp/allowed" "$tmp/allowed"
  undefined_syms "$dir/libgx_$name.a" >"$tmp/undef.$name"
  while read -r sym; do
    rc=1
    owner=
    for l in "${layers[@]}"; do
      grep -qxF "$sym" "$tmp/def.$l" && owner="${owner:+$owner, }libgx_$l.a"
    done
    echo "$sym (defined in ${owner:-no layer library})"
  done < <(LC_ALL=C comm -23 "$tmp/undef.$name" "$tmp/allowed")
  return $rc
}

# check_tree ROOT LIBDIR: one TAP line per layer of ROOT, archives in LIBDIR.
check_tree() {
  local root=$1 dir=$2 name out may
  if ! layers_read "$root" >"$tmp/why"; then
    not_ok "layer table of $root/*/module.mk: $(cat "$tmp/why")"
    return
  fi
  rm -f "$tmp"/def.* "$tmp"/undef.*
  for name in "${layers[@]}"; do
    may=$(echo "$name ${layer_deps[$name]}" | sed 's/ *$//; s/ /, /g')
    out=$(layer_check "$dir" "$name")
    case $? in
    0) ok "layer $name: its $(wc -l <"$tmp/undef.$name") undefined gx_ symbols all lie in $may" ;;
    2) not_ok "layer $name: $out" ;;
    *)
      not_ok "layer $name calls outside $may: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)"
      printf '%s\n' "$out" | sed "s/^/# libgx_$name.a: /"
      ;;
    esac
  done
}

check_tree "$GX_ROOT" "$GX_BUILD/lib"

# The check can fail: a synthetic "lo" layer (may call nothing) whose object
# calls gx_hi_fn, defined by the "hi" layer above it (which may call lo, and
# does, legitimately). Expect exactly lo's violation, named with its owner.
syn=$tmp/syn
mkdir -p "$syn/lo" "$syn/hi" "$syn/lib"
printf 'GX_LIBS += lo\nGX_LIB_DEPS_lo := \n' >"$syn/lo/module.mk"
printf 'GX_LIBS += hi\nGX_LIB_DEPS_hi := lo\n' >"$syn/hi/module.mk"
printf 'void gx_hi_fn(void);\nint gx_lo_ok(void) { return 1; }\nvoid gx_lo_fn(void) { gx_hi_fn(); }\n' >"$syn/lo.c"
printf 'int gx_lo_ok(void);\nvoid gx_hi_fn(void) {}\nint gx_hi_other(void) { return gx_lo_ok(); }\n' >"$syn/hi.c"
cc_=${CC:-cc}
if "$cc_" -c "$syn/lo.c" -o "$syn/lo.o" && "$cc_" -c "$syn/hi.c" -o "$syn/hi.o" &&
   ar rcs "$syn/lib/libgx_lo.a" "$syn/lo.o" && ar rcs "$syn/lib/libgx_hi.a" "$syn/hi.o"; then
  # in a subshell with its own TAP numbering: its lines are checked, not counted
  # shellcheck disable=SC2034 # gx_n, gx_failed: read by ok/not_ok
  syn_out=$(gx_n=0 && gx_failed=0 && check_tree "$syn" "$syn/lib")
  if printf '%s\n' "$syn_out" | grep -q '^not ok [0-9]* - layer lo .*gx_hi_fn (defined in libgx_hi.a)' &&
     printf '%s\n' "$syn_out" | grep -q '^ok [0-9]* - layer hi: ' &&
     [ "$(printf '%s\n' "$syn_out" | grep -c '^not ok')" -eq 1 ]; then
    ok "the check fails a lower layer calling a higher one (synthetic lo -> gx_hi_fn in libgx_hi.a) and passes the call upwards"
  else
    not_ok "the check missed a synthetic lower-to-higher call (lo -> gx_hi_fn)"
    printf '%s\n' "$syn_out" | sed 's/^/# synthetic: /'
  fi
else
  not_ok "could not build the synthetic archives with $cc_"
fi

gx_done
