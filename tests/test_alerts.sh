#!/usr/bin/env bash
# The alert rules and the Prometheus config of deploy/prometheus/: promtool
# accepts them (check rules, check config) and the unit tests of
# alerts_test.yml pass (every alert fires where it should and not elsewhere);
# every gx_ metric the rules name is exposed by a real galaxyd running a
# 1-validator chain; a real Prometheus, started from deploy/prometheus/
# prometheus.yml with the example addresses replaced by that galaxyd, loads
# every rule, evaluates each without error on the live series, raises none
# while the chain commits, and has GalaxyNodeDown pending within seconds of
# the validator's death; every query of the Grafana dashboard
# deploy/grafana/galaxy.json returns data from that Prometheus.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
T=$(gx_tmpdir alerts)
prom=
trap 'net_stop; [ -n "$prom" ] && kill -KILL $prom 2>/dev/null; if [ "$gx_failed" = 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
P="$GX_ROOT/deploy/prometheus"
quiet() { "$@" >"$T/out" 2>&1 || { sed 's/^/# /' "$T/out"; return 1; }; }

check "promtool check rules: alerts.yml" quiet promtool check rules "$P/alerts.yml"
N=$(grep -c '^      - alert: ' "$P/alerts.yml")
check "alerts.yml has $N alerts" [ "$N" -ge 14 ]
check "promtool test rules: alerts_test.yml" quiet promtool test rules "$P/alerts_test.yml"
tested=$(grep -oE 'alertname: [A-Za-z]+' "$P/alerts_test.yml" | sort -u | wc -l)
check "the unit tests cover all $N alerts ($tested)" [ "$tested" -eq "$N" ]
# The deployment config as shipped, beside the rules under their installed name.
mkdir -p "$T/etc"
cp "$P/prometheus.yml" "$T/etc/prometheus.yml"
cp "$P/alerts.yml" "$T/etc/galaxy-alerts.yml"
check "promtool check config: prometheus.yml with galaxy-alerts.yml" quiet promtool check config "$T/etc/prometheus.yml"

# ---- a real galaxyd ----
BASE=$(net_pick_base 1)
net_setup "$T/net" 1 "$BASE" || { not_ok "genesis"; gx_done; exit 1; }
net_start
check "height 2 reached" net_wait '[ "$(net_height 0)" -ge 2 ]' 30
HTTP=$((BASE + 300)) # the admin listener: /metrics without the token
curl -sf "http://127.0.0.1:$HTTP/metrics" >"$T/metrics.txt"
missing=""
exprs=$(python3 -c 'import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]: print(r["expr"])' "$P/alerts.yml")
for m in $(grep -oE '\bgx_[a-z0-9_]+' <<<"$exprs" | sort -u); do
  grep -q "^# TYPE $m " "$T/metrics.txt" || missing="$missing $m"
done
check "every gx_ metric in alerts.yml is exposed by galaxyd (missing:${missing:- none})" [ -z "$missing" ]

# ---- a real Prometheus with the shipped config and rules ----
PP=$(gx_free_port)
python3 - "$T/etc/prometheus.yml" "$HTTP" <<'EOF'
import re, sys
path, http = sys.argv[1], sys.argv[2]
s = open(path).read()
s = re.sub(r"scrape_interval: \S+", "scrape_interval: 1s", s)
s = re.sub(r"scrape_timeout: \S+", "scrape_timeout: 1s", s)
s = re.sub(r"evaluation_interval: \S+", "evaluation_interval: 1s", s)
# the galaxyd job scrapes our validator, node_exporter is absent here
s = s.replace("'192.0.2.11:7111'", "'127.0.0.1:%s'" % http)
s = re.sub(r"\n +- '192\.0\.2\.1[234]:7111'", "", s)
s = re.sub(r"'192\.0\.2\.1\d:9100'", "'127.0.0.1:9'", s)
open(path, "w").write(s)
EOF
prometheus --config.file="$T/etc/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
  --web.listen-address="127.0.0.1:$PP" >"$T/prom.log" 2>&1 &
prom=$!
api() { curl -sf --max-time 2 "http://127.0.0.1:$PP/api/v1/$1"; }
galaxyd_up() {
  [ "$(api targets | jq -r '.data.activeTargets[] | select(.labels.job=="galaxyd") | .health' 2>/dev/null)" = up ]
}
rules_evaluated() { # every rule evaluated at least twice, none with an error
  api rules >"$T/rules.json" || return 1
  jq -e --argjson n "$N" '[.data.groups[].rules[]] | length == $n and all(.health == "ok" and .lastEvaluation > "2000")' "$T/rules.json" >/dev/null
}
wait_s() { local end=$((SECONDS + $1)); shift; while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.5; done; "$@"; }
check "Prometheus scrapes the validator (job galaxyd up)" wait_s 30 galaxyd_up
sleep 3
check "Prometheus loaded the $N rules and evaluates each without error" wait_s 10 rules_evaluated
jq -r '.data.groups[].rules[] | select(.health != "ok") | "# \(.name): \(.lastError)"' "$T/rules.json" 2>/dev/null
firing() { api alerts | jq -r '.data.alerts[] | "\(.labels.alertname) \(.state)"'; }
active=$(firing | grep -v '^GalaxyNodeDown pending' | tr '\n' ' ')
check "no galaxy alert active while the chain commits (${active:-none})" [ -z "$active" ]

# ---- the Grafana dashboard: well formed, and every query answers ----
D="$GX_ROOT/deploy/grafana/galaxy.json"
mkdir -p "$T/grafana" && cp "$GX_ROOT/deploy/grafana/galaxy.py" "$T/grafana/"
check "galaxy.json is what deploy/grafana/galaxy.py writes" \
  bash -c "python3 '$T/grafana/galaxy.py' >/dev/null && cmp -s '$T/grafana/galaxy.json' '$D'"
check "galaxy.json: unique panel ids, every panel placed, every query on the \${datasource} variable" python3 - "$D" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "panel ids repeat"
names = {v["name"] for v in d["templating"]["list"]}
assert {"datasource", "network", "instance"} <= names, names
for p in d["panels"]:
    assert all(k in p["gridPos"] for k in "hwxy"), p["title"]
    if p["type"] == "row":
        continue
    assert p["targets"], p["title"]
    for t in [p] + p["targets"]:
        assert t["datasource"]["uid"] == "${datasource}", p["title"]
    for t in p["targets"]:
        assert t["expr"] and t["refId"], p["title"]
PY
# Grafana's variables as a dashboard opened with "All" would send them.
python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p.get("targets", []):
        e = t["expr"].replace("$network", ".*").replace("$instance", ".*").replace("$__rate_interval", "1m")
        print(p["title"] + "\t" + e)' "$D" >"$T/queries"
nq=$(wc -l <"$T/queries")
empty=""
while IFS=$'\t' read -r title expr; do
  n=$(curl -sf --max-time 5 -G "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$expr" |
      jq '.data.result | length' 2>/dev/null)
  [ "${n:-0}" -gt 0 ] || empty="$empty [$title: $expr]"
done <"$T/queries"
check "each of the dashboard's $nq queries returns data from Prometheus scraping the validator${empty:+ (empty:$empty)}" [ -z "$empty" ]
net_stop_node 0 KILL
node_down_pending() { firing | grep -qE '^GalaxyNodeDown (pending|firing)$'; }
check "GalaxyNodeDown pending once the validator is killed" wait_s 15 node_down_pending
kill -TERM "$prom"; wait "$prom" 2>/dev/null; prom=
gx_done
