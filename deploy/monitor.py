#!/usr/bin/env python3
"""Live progress of a local Galaxy network: one line per second from every
node's /v1/status and node 0's /metrics (epoch commit latency histogram).
Runs until --duration + 5 s (0: until stopped). Ctrl-C (SIGINT) and SIGTERM
end it quietly, exit 130 and 143: deploy/run-local.sh stops the rest."""
import argparse, json, os, signal, sys, time, urllib.request

def get(url, timeout=0.5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode()
    except Exception:
        return None

def hist(text, name):
    """Cumulative buckets (le, count) of a Prometheus histogram."""
    out = []
    for line in (text or "").splitlines():
        if line.startswith(name + "_bucket{"):
            le = line.split('le="')[1].split('"')[0]
            out.append((float("inf") if le == "+Inf" else float(le), float(line.split()[-1])))
    return out

def quantile(b0, b1, q):
    """q-quantile (upper bucket bound) of the observations between two scrapes."""
    d = [(le, c1 - dict(b0).get(le, 0)) for le, c1 in b1]
    total = d[-1][1] if d else 0
    if total <= 0:
        return None
    for le, c in d:
        if c >= q * total:
            return le
    return None

def stop(signum, frame):
    os._exit(128 + signum)  # every line is flushed as printed

signal.signal(signal.SIGTERM, stop)
if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
    signal.signal(signal.SIGINT, stop)

ap = argparse.ArgumentParser()
ap.add_argument("--base", type=int, required=True)
ap.add_argument("--nodes", type=int, required=True)
ap.add_argument("--duration", type=int, default=0)
ap.add_argument("--load-pid", type=int, default=0)
a = ap.parse_args()
start = time.time()
prev_tx = None
prev_hist = None
window = []
while True:
    t = time.time() - start
    st = []
    for i in range(a.nodes):
        s = get(f"http://127.0.0.1:{a.base + i}/v1/status")
        try:
            st.append(json.loads(s) if s else None)
        except ValueError:
            st.append(None)
    m = get(f"http://127.0.0.1:{a.base}/metrics")
    h = hist(m, "gx_epoch_commit_seconds")
    n0 = st[0] or {}
    tx = n0.get("transfers_committed")
    rate = (tx - prev_tx) if tx is not None and prev_tx is not None else 0
    prev_tx = tx if tx is not None else prev_tx
    window.append(h)
    window = window[-10:]
    p50 = quantile(window[0], h, 0.5) if h else None
    p99 = quantile(window[0], h, 0.99) if h else None
    fmt = lambda v: "-" if v is None else ("inf" if v == float("inf") else f"{v:.2f}s")
    health = " ".join(
        f"{i}:{'ok' if s and s.get('healthy') else ('sync' if s and s.get('syncing') else 'DOWN')}@{s.get('height') if s else '-'}"
        for i, s in enumerate(st))
    print(f"[{t:5.0f}s] height {n0.get('height', '-'):>6}  committed {tx if tx is not None else '-':>8}"
          f"  {rate:>6}/s  epoch p50 {fmt(p50)} p99 {fmt(p99)}  mempool {n0.get('mempool', '-'):>6}"
          f"  nodes {health}", flush=True)
    if a.duration and t >= a.duration + 5:
        break
    if a.load_pid and a.duration and t > a.duration:
        try:
            os.kill(a.load_pid, 0)
        except OSError:
            pass
    time.sleep(max(0.0, 1.0 - ((time.time() - start) - t)))
