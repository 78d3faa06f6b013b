#!/usr/bin/env bash
# galaxyd's HTTP limits (docs/API.md "Limits") on one validator (a committee of
# 1) on loopback, with real sockets (tests/http_attack.py; each 127.x.y.z is a
# client address of its own):
# - the admin listener's bearer token: /metrics open, everything else 401
#   unauthorized without it, 200 with it;
# - per client: the connection over connections_per_ip is answered 503
#   client_connections_full at once (Retry-After, Connection: close) while
#   another client is served;
# - slowloris: more dribbling connections (a header byte every 0.3 s) than the
#   public listener admits, coming back as soon as they are cut off: each is
#   cut at the request deadline (not later, not earlier), a new one is
#   answered 503, never reset; the admin listener answers every /metrics and
#   catch-up sync probe meanwhile; the public listener serves again after;
# - 500 clients at once ask /v1/status: each gets 200 or 503, none a reset;
# - the deadline and refusals are counted in gx_http_* metrics;
# - config problems: a token file others can read, connections_per_ip above
#   connections, both listeners on one port.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir http)
trap 'net_stop; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
A="python3 $GX_ROOT/tests/http_attack.py"
jqc() { jq -e "$1" <<<"$2" >/dev/null; } # jqc FILTER JSON: the filter holds
BASE=$(net_pick_base 1)
net_node_extra() { # small limits; the listeners stay netlib's (127.0.0.1: BASE+200, +300)
  printf '[api]\nconnections = 24\nconnections_per_ip = 8\nrequest_timeout_ms = 2000\n'
  printf '[admin]\nconnections = 16\n'
}
net_setup "$T" 1 "$BASE" || { not_ok "genesis"; gx_done; exit 1; }
net_start
API=$((BASE + 200)) ADMIN=$((BASE + 300))
check "height 2 reached" net_wait '[ "$(net_height 0)" -ge 2 ]' 30

# ---- the admin listener's token -----------------------------------------------------
code() { curl -s --max-time 3 -o "$T/body" -w '%{http_code}' "$@"; }
check "admin /metrics needs no token" [ "$(code "http://127.0.0.1:$ADMIN/metrics")" = 200 ]
check "admin /v1/status without the token: 401 unauthorized" bash -c "
  [ \"\$(curl -s --max-time 3 -D '$T/hdr' -o '$T/body' -w '%{http_code}' http://127.0.0.1:$ADMIN/v1/status)\" = 401 ] &&
  [ \"\$(jq -r .code '$T/body')\" = unauthorized ] && grep -qi '^WWW-Authenticate: Bearer' '$T/hdr'"
check "admin with a wrong token: 401" [ "$(code -H "Authorization: Bearer x$NET_TOKEN" "http://127.0.0.1:$ADMIN/v1/status")" = 401 ]
check "admin unknown path without the token: 401, not 404" [ "$(code "http://127.0.0.1:$ADMIN/nope")" = 401 ]
check "admin /v1/status with the token: 200" [ "$(code -H "Authorization: Bearer $NET_TOKEN" "http://127.0.0.1:$ADMIN/v1/status")" = 200 ]
check "admin sync endpoint with the token: 200" [ "$(code -H "Authorization: bearer $NET_TOKEN" "http://127.0.0.1:$ADMIN/v1/raw/cert/1")" = 200 ]
check "public /v1/status needs no token" [ "$(code "http://127.0.0.1:$API/v1/status")" = 200 ]
check "public /metrics (metrics = yes)" [ "$(code "http://127.0.0.1:$API/metrics")" = 200 ]

# ---- per client ---------------------------------------------------------------------
r=$($A idle "$API" 127.0.0.2 8); echo "# idle: $r"
check "9th connection of one client: 503 client_connections_full, Retry-After, Connection: close" \
  jqc '.status == 503 and .code == "client_connections_full" and .retry_after == "1" and .connection == "close"' "$r"
check "another client is served meanwhile" jqc '.other_client == 200' "$r"

# ---- slowloris ----------------------------------------------------------------------
r=$($A slowloris "$API" "$ADMIN" "$NET_TOKEN" 7); echo "# slowloris: $r"
check "admin listener answered every probe during the attack (/metrics and sync)" \
  jqc '.probes.admin_ok >= 15 and (.probes.admin_fail | length) == 0' "$r"
check "public listener during the attack: only 200 or 503 connections_full, some 503" \
  jqc '(.probes.api | keys - ["200", "503:connections_full"]) == [] and .probes.api["503:connections_full"] >= 1' "$r"
check "dribblers over the limit answered 503, none reset" \
  jqc '(.answers | keys - ["408:request_timeout", "503:connections_full", "503:client_connections_full"]) == [] and .answers["503:connections_full"] >= 1' "$r"
check "admitted dribblers cut at the 2 s request deadline with 408 (not before, not 1.5 s after)" \
  jqc '.answers["408:request_timeout"] >= 24 and .lifetime_min >= 1.9 and .lifetime_max <= 3.5' "$r"
check "public listener serves again after the attack" jqc '.after == 200' "$r"
m=$(curl -s "http://127.0.0.1:$ADMIN/metrics")
mv() { awk -v s="$1" '$1 == s { print $2 }' <<<"$m"; }
check "metrics: request deadline closings counted" \
  [ "$(mv 'gx_http_deadline_closed_total{listener="api",phase="request"}')" -ge 24 ]
check "metrics: refusals counted by reason" bash -c "
  [ '$(mv 'gx_http_refused_total{listener="api",reason="connections_full"}')' -ge 1 ] &&
  [ '$(mv 'gx_http_refused_total{listener="api",reason="client_connections_full"}')' -ge 1 ]"

# ---- 500 at once --------------------------------------------------------------------
sleep 2.5 # the last dribblers' slots free up (deadline)
r=$($A burst "$API" 500 50); echo "# burst: $r"
check "500 concurrent /v1/status: every one 200 or 503, none reset" \
  jqc '(keys - ["200", "503"]) == [] and (.["200"] // 0) >= 1 and ((.["200"] // 0) + (.["503"] // 0)) == 500' "$r"
check "the validator is still healthy" bash -c "[ \"\$(curl -s http://127.0.0.1:$API/v1/status | jq -r .healthy)\" = true ]"

# ---- config problems ----------------------------------------------------------------
G="$BIN/galaxyd"
cfgbase=(--set node.listen="127.0.0.1:$(gx_free_port)" --set api.listen="127.0.0.1:$(gx_free_port)"
         --set admin.listen="127.0.0.1:$(gx_free_port)")
echo "0123456789abcdef0123" >"$T/tok"; chmod 644 "$T/tok"
expect_fail "token file readable by others refused" 2 "\[admin\] token_file $T/tok: readable or writable by others" \
  "$G" "${cfgbase[@]}" --set admin.token_file="$T/tok" --check-config
chmod 600 "$T/tok"
check "token file of mode 600 accepted" bash -c "'$G' ${cfgbase[*]} --set admin.token_file='$T/tok' --check-config >/dev/null 2>&1"
echo "short" >"$T/short"; chmod 600 "$T/short"
expect_fail "a short token refused" 2 "token_file $T/short: want one line of 16..256" \
  "$G" "${cfgbase[@]}" --set admin.token_file="$T/short" --check-config
expect_fail "connections_per_ip above connections" 2 "\[api\] connections_per_ip: 300 is more than connections \(256\)" \
  "$G" "${cfgbase[@]}" --set api.connections_per_ip=300 --check-config
p=$(gx_free_port)
expect_fail "both listeners on one port" 2 "\[api\] listen .*:$p and \[admin\] listen .*: the same port" \
  "$G" "${cfgbase[@]}" --set api.listen="[::]:$p" --set admin.listen="127.0.0.1:$p" --check-config
gx_done
