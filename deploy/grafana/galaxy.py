#!/usr/bin/env python3
# Writes galaxy.json, the Grafana dashboard of a Galaxy network, beside this
# file: python3 deploy/grafana/galaxy.py. Edit the panels here, regenerate,
# and commit both; tests/test_alerts.sh runs every query of galaxy.json
# against a Prometheus scraping a live validator.
import json
import os
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job="galaxyd", network=~"$network", instance=~"$instance"'
RI = "$__rate_interval"
panels = []
y = 0
def row(title):
    global y
    panels.append({"type": "row", "title": title, "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
    y += 1
def ts(title, targets, unit="short", w=12, x=0, h=8, kind="timeseries", desc=""):
    p = {"type": kind, "title": title, "datasource": DS, "description": desc,
         "gridPos": {"h": h, "w": w, "x": x, "y": y},
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
         "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}, "tooltip": {"mode": "multi", "sort": "desc"}} if kind == "timeseries" else {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value", "graphMode": "none", "textMode": "auto"},
         "targets": [{"refId": chr(65 + i), "datasource": DS, "expr": e, "legendFormat": l} for i, (e, l) in enumerate(targets)]}
    panels.append(p)
    return p
def line(*ps):
    global y
    y += max(p["gridPos"]["h"] for p in ps)

row("Network")
a = ts("Validators up", [(f'sum by (network) (up{{{SEL}}})', "{{network}} up"), (f'sum by (network) (up{{{SEL}}} == bool 0)', "{{network}} down")], w=6, h=6, kind="stat", desc="Targets of the galaxyd job that answer (more than f = (n-1)/3 down stops the chain).")
b = ts("Highest committed height", [(f'max by (network) (gx_blackhole_height{{{SEL}}})', "{{network}}")], w=6, x=6, h=6, kind="stat")
c = ts("Transfers committed /s (network)", [(f'max by (network) (rate(gx_transfers_committed_total{{{SEL}}}[{RI}]))', "{{network}}")], unit="ops", w=6, x=12, h=6, kind="stat", desc="Every validator commits the same transfers: the highest rate of one validator.")
d = ts("Epoch commit p99", [(f'histogram_quantile(0.99, sum by (le) (rate(gx_epoch_commit_seconds_bucket{{{SEL}}}[{RI}])))', "p99")], unit="s", w=6, x=18, h=6, kind="stat")
line(a, b, c, d)

row("Chain")
a = ts("Committed height", [(f'gx_blackhole_height{{{SEL}}}', "{{instance}}")], w=12)
b = ts("Behind the best validator (black holes)", [(f'max without (instance) (gx_blackhole_height{{{SEL}}}) - ignoring (instance) group_right gx_blackhole_height{{{SEL}}}', "{{instance}}")], w=12, x=12, desc="GalaxyNodeLagging fires above 100 for 2 minutes.")
line(a, b)
a = ts("Transfers committed /s", [(f'rate(gx_transfers_committed_total{{{SEL}}}[{RI}])', "{{instance}}")], unit="ops", w=8)
b = ts("Black holes /s (empty ones too)", [(f'rate(gx_blackholes_committed_total{{{SEL}}}[{RI}])', "{{instance}} all"), (f'rate(gx_blackholes_empty_total{{{SEL}}}[{RI}])', "{{instance}} empty")], unit="ops", w=8, x=8)
c = ts("Epoch commit latency p50 / p99", [(f'histogram_quantile(0.5, sum by (instance, le) (rate(gx_epoch_commit_seconds_bucket{{{SEL}}}[{RI}])))', "{{instance}} p50"), (f'histogram_quantile(0.99, sum by (instance, le) (rate(gx_epoch_commit_seconds_bucket{{{SEL}}}[{RI}])))', "{{instance}} p99")], unit="s", w=8, x=16, desc="From proposing in an epoch to committing its black hole.")
line(a, b, c)
a = ts("Black hole apply p99 (ledger + durable append)", [(f'histogram_quantile(0.99, sum by (instance, le) (rate(gx_blackhole_apply_seconds_bucket{{{SEL}}}[{RI}])))', "{{instance}}")], unit="s", w=8)
b = ts("Transfers left out by the ledger /s, by reason", [(f'sum by (instance, reason) (rate(gx_transfers_rejected_total{{{SEL}}}[{RI}]))', "{{instance}} {{reason}}")], unit="ops", w=8, x=8)
c = ts("Catch-up sync /s: applied, refused", [(f'rate(gx_sync_blackholes_total{{{SEL}}}[{RI}])', "{{instance}} applied"), (f'rate(gx_sync_failures_total{{{SEL}}}[{RI}])', "{{instance}} refused")], unit="ops", w=8, x=16, desc="Refused: bad certificate, chain or state (GalaxyCertificateConflict).")
line(a, b, c)

row("Ingest")
a = ts("Verified /s, failed /s", [(f'rate(gx_verify_ok_total{{{SEL}}}[{RI}])', "{{instance}} ok"), (f'sum by (instance) (rate(gx_verify_failed_total{{{SEL}}}[{RI}]))', "{{instance}} failed")], unit="ops", w=8)
b = ts("Ingress drops /s, by reason", [(f'sum by (instance, reason) (rate(gx_ingress_drops_total{{{SEL}}}[{RI}]))', "{{instance}} {{reason}}")], unit="ops", w=8, x=8, desc="Overload: GalaxyIngressDrops fires above 1/s for 10 minutes.")
c = ts("Admission gate drops /s", [(f'sum by (instance, stage, reason) (rate(gx_gate_drops_total{{{SEL}}}[{RI}]))', "{{instance}} {{stage}} {{reason}}")], unit="ops", w=8, x=16)
line(a, b, c)
a = ts("Queue fill", [(f'gx_queue_depth{{{SEL}}} / gx_queue_capacity{{{SEL}}}', "{{instance}} {{queue}}")], unit="percentunit", w=8)
b = ts("Mempool", [(f'gx_mempool_transfers{{{SEL}}}', "{{instance}} transfers"), (f'gx_mempool_ready_accounts{{{SEL}}}', "{{instance}} ready accounts")], w=8, x=8)
c = ts("Duplicates /s, parse errors /s", [(f'rate(gx_dedup_duplicates_total{{{SEL}}}[{RI}])', "{{instance}} duplicates"), (f'sum by (instance) (rate(gx_parse_errors_total{{{SEL}}}[{RI}]))', "{{instance}} parse errors")], unit="ops", w=8, x=16)
line(a, b, c)

row("Consensus and links")
a = ts("Consensus messages /s", [(f'rate(gx_consensus_messages_in_total{{{SEL}}}[{RI}])', "{{instance}} in"), (f'rate(gx_consensus_messages_out_total{{{SEL}}}[{RI}])', "{{instance}} out")], unit="ops", w=8)
b = ts("Consensus drops /s, by reason", [(f'sum by (instance, reason) (rate(gx_consensus_dropped_total{{{SEL}}}[{RI}]))', "{{instance}} {{reason}}")], unit="ops", w=8, x=8, desc="stale and future are normal; others: GalaxyConsensusDrops.")
c = ts("Validator link datagrams /s, by outcome", [(f'sum by (instance, outcome) (rate(gx_link_datagrams_total{{{SEL}}}[{RI}]))', "{{instance}} {{outcome}}")], unit="ops", w=8, x=16)
line(a, b, c)

row("HTTP and process")
a = ts("HTTP connections, by listener", [(f'gx_http_connections{{{SEL}}}', "{{instance}} {{listener}}")], w=8)
b = ts("HTTP refused /s, by listener and reason", [(f'sum by (instance, listener, reason) (rate(gx_http_refused_total{{{SEL}}}[{RI}]))', "{{instance}} {{listener}} {{reason}}")], unit="ops", w=8, x=8)
c = ts("Resident memory", [(f'gx_process_resident_memory_bytes{{{SEL}}}', "{{instance}}")], unit="bytes", w=8, x=16)
line(a, b, c)

for i, p in enumerate(panels):
    p["id"] = i + 1
dash = {
    "title": "Galaxy network",
    "uid": "galaxy-network",
    "description": "Every validator of a Galaxy network (deploy/grafana/galaxy.json; docs/DEPLOY.md). Each query is checked against a live validator by tests/test_alerts.sh.",
    "tags": ["galaxy"],
    "timezone": "utc",
    "schemaVersion": 37,
    "version": 1,
    "editable": True,
    "refresh": "10s",
    "time": {"from": "now-1h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus", "current": {}, "hide": 0},
        {"name": "network", "type": "query", "datasource": DS, "label": "network",
         "query": {"query": 'label_values(up{job="galaxyd"}, network)', "refId": "network"},
         "definition": 'label_values(up{job="galaxyd"}, network)', "includeAll": True, "allValue": ".*", "multi": True, "refresh": 2, "current": {}},
        {"name": "instance", "type": "query", "datasource": DS, "label": "validator",
         "query": {"query": 'label_values(up{job="galaxyd", network=~"$network"}, instance)', "refId": "instance"},
         "definition": 'label_values(up{job="galaxyd", network=~"$network"}, instance)', "includeAll": True, "allValue": ".*", "multi": True, "refresh": 2, "current": {}},
    ]},
    "annotations": {"list": []},
    "panels": panels,
}
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "galaxy.json"), "w").write(json.dumps(dash, indent=2) + "\n")
print(len(panels), "panels;", sum(len(p.get("targets", [])) for p in panels), "queries")
