#!/usr/bin/env bash
# galaxyd's GET /metrics: the live text passes `promtool check metrics` with no
# lint at all (before and after traffic); every family named in the issue is
# present; unknown paths answer 404 and other methods 405; a real Prometheus
# server on loopback scrapes galaxyd, its HTTP API shows the target up and a
# non-zero counter (verified transfers after a short star load).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest_lib.sh"
tmp=$(gx_tmpdir metrics)
gd_pid=; prom=
trap '[ -n "$gd_pid" ] && kill -KILL $gd_pid 2>/dev/null; [ -n "$prom" ] && kill -KILL $prom 2>/dev/null; rm -rf "$tmp"' EXIT

udp=$(gx_free_port); http=$(gx_free_port)
check "galaxyd starts" gd_start m "$udp" "$http"

lint() { # promtool's findings (stdout+stderr) must be empty and its status 0
  curl -sf "http://127.0.0.1:$http/metrics" >"$tmp/m.txt" || return 1
  promtool check metrics <"$tmp/m.txt" >"$tmp/lint.txt" 2>&1 || { cat "$tmp/lint.txt"; return 1; }
  [ ! -s "$tmp/lint.txt" ] || { sed 's/^/# lint: /' "$tmp/lint.txt"; return 1; }
}
check "idle /metrics passes promtool check metrics with no lint" lint

"$BIN/star" load --galaxy "127.0.0.1:$udp" --accounts 20 --rate 1000 --duration 1 \
  --corrupt-every 7 --duplicate-every 3 --seed 5 >/dev/null 2>&1
udp_send "$udp" random:50 zeros:3
wait_until 20 sh -c "[ \$(curl -sf http://127.0.0.1:$http/metrics | awk '\$1==\"gx_verify_ok_total\"{print \$2}') -gt 0 ]"
check "busy /metrics passes promtool check metrics with no lint" lint

families="gx_rx_datagrams_total gx_rx_bytes_total gx_parse_errors_total gx_dedup_duplicates_total
gx_verify_ok_total gx_verify_failed_total gx_ingress_drops_total gx_gossip_sent_datagrams_total
gx_queue_depth gx_mempool_transfers gx_mempool_accounts gx_verify_batch_duration_seconds gx_build_info
gx_sock_rx_oversize_total"
absent=""
for f in $families; do grep -q "^# TYPE $f " "$tmp/m.txt" || absent="$absent $f"; done
check "every issue-listed family is exposed (absent:${absent:- none})" [ -z "$absent" ]
check "histogram has buckets, sum and count" \
  grep -q '^gx_verify_batch_duration_seconds_bucket{le="+Inf"} [1-9]' "$tmp/m.txt"
check "build info carries version and mode" grep -q '^gx_build_info{version="[^"]*",revision="[^"]*",mode="socket"} 1$' "$tmp/m.txt"
check "unknown path answers 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/nope")" = 404 ]
check "POST /metrics answers 405" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$http/metrics")" = 405 ]

# ---- a real Prometheus server scraping galaxyd ----
pp=$(gx_free_port)
cat >"$tmp/prom.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: galaxyd
    static_configs:
      - targets: ['127.0.0.1:$http']
EOF
quiet() { "$@" >/dev/null 2>&1; }
check "promtool accepts the scrape config" quiet promtool check config "$tmp/prom.yml"
prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$pp" >"$tmp/prom.log" 2>&1 &
prom=$!
target_up() {
  [ "$(curl -sf "http://127.0.0.1:$pp/api/v1/targets" |
      jq -r '.data.activeTargets[] | select(.labels.job=="galaxyd") | .health' 2>/dev/null)" = up ]
}
wait_until 60 target_up
check "Prometheus shows the galaxyd target up" target_up
counter_seen() {
  local v
  v=$(curl -sf "http://127.0.0.1:$pp/api/v1/query?query=gx_verify_ok_total" |
      jq -r '.data.result[0].value[1] // "0"' 2>/dev/null)
  [ "${v%.*}" -gt 0 ] 2>/dev/null
}
wait_until 30 counter_seen
check "Prometheus query returns a non-zero gx_verify_ok_total" counter_seen
kill -TERM "$prom"; wait "$prom" 2>/dev/null; prom=

gd_stop "$gd_pid" INT; gd_pid=
check "galaxyd stops on SIGINT with exit 0 (rc=$gd_rc)" [ "$gd_rc" -eq 0 ]
gx_done
