#!/usr/bin/env python3
"""bench/report.py: the reporting half of bench/run.sh and bench/compare.sh.

  report.py plan PAIRS LIST MODE [LIST_ALL]  which benchmarks each gx_bench run executes
  report.py report DIR                  DIR/report.md, summary.json, benchmarks.json, *.png
  report.py compare OLD NEW             change of every figure; exit 1 on a regression

Standard library only; plots are drawn by gnuplot (Debian gnuplot-nox).
The report never invents a number: a figure that did not run is listed as
missing or failed with the reason. docs/PERFORMANCE.md describes the output.
"""
import ast
import json
import math
import os
import re
import statistics
import subprocess
import sys

SUFFIX_RE = re.compile(r"/(real_time|manual_time|process_time|threads:\d+|repeats:\d+|"
                       r"min_time:[0-9.]+s?|min_warmup_time:[0-9.]+s?|iterations:\d+)$")
TIME_METRICS = ("real_time", "cpu_time")
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# Regression rule (docs/PERFORMANCE.md): flagged when the change is worse than
# max(NOISE_SIGMAS x measured noise, MIN_CHANGE).
NOISE_SIGMAS = 3.0
MIN_CHANGE = 0.02
ASSUMED_NOISE = 0.05


def die(msg, code=2):
    sys.stderr.write("report.py: %s\n" % msg)
    sys.exit(code)


# ---------------------------------------------------------------- names, pairs

def norm(name):
    """Benchmark name without harness suffixes ("/real_time")."""
    while True:
        n = SUFFIX_RE.sub("", name)
        if n == name:
            return n
        name = n


def split_arg(key):
    """("hash/gx_hash", 290) for "hash/gx_hash/290"; (key, None) without an argument."""
    head, _, last = key.rpartition("/")
    if head and re.fullmatch(r"-?\d+", last):
        return head, int(last)
    return key, None


def suite_of(key):
    return key.split("/", 1)[0]


def lower_is_better(metric):
    return metric in TIME_METRICS or bool(re.search(r"(latency|_ns|_us|_ms|_seconds)$", metric))


def factor_expr(text):
    """Compiles FACTOR: arithmetic (+ - * / // and parentheses) on numbers and N."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    ok = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Add, ast.Sub,
          ast.Mult, ast.Div, ast.FloorDiv, ast.USub)
    for n in ast.walk(tree):
        if not isinstance(n, ok) or (isinstance(n, ast.Name) and n.id != "N") or \
                (isinstance(n, ast.Constant) and not isinstance(n.value, (int, float))):
            return None
    code = compile(tree, "<factor>", "eval")
    return lambda arg: eval(code, {"__builtins__": {}}, {"N": arg})


class Pair:
    def __init__(self, figure, baseline, metric, factor, line):
        self.figure, self.baseline, self.metric, self.factor_text = figure, baseline, metric, factor
        self.line = line
        self.expr = factor_expr(factor)
        if self.expr is None:
            raise ValueError("line %d: bad factor %r (a number, or arithmetic on N such as 0.5*N, "
                             "1/N, 1/((N-1)//3+1))" % (line, factor))
        self.uses_n = re.search(r"\bN\b", factor) is not None
        # worker scaling (plotted against N): a bound proportional to N
        self.scaling = re.fullmatch(r"(?:[0-9.]+\*)?N|N\*[0-9.]+", factor) is not None
        self.wild = figure.endswith("/*")
        if self.uses_n and not self.wild:
            raise ValueError("line %d: factor %r uses N but %s has no /* argument" % (line, factor, figure))

    def match(self, key):
        """The argument (or True) when key is one of this pair's figures, else None."""
        if self.wild:
            fam, arg = split_arg(key)
            return arg if fam == self.figure[:-2] and arg is not None else None
        return True if key == self.figure else None

    def baseline_for(self, arg):
        return self.baseline.replace("*", str(arg)) if self.wild else self.baseline

    def factor_for(self, arg):
        if self.uses_n and (not isinstance(arg, int) or isinstance(arg, bool)):
            return None
        try:
            return float(self.expr(arg if self.uses_n else 0))
        except (ZeroDivisionError, OverflowError, TypeError):
            return None


def read_pairs(path):
    suites, pairs = {}, []
    with open(path) as f:
        for i, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            w = line.split()
            if w[0] == "suite":
                if len(w) < 2:
                    die("%s:%d: suite NAME DESCRIPTION" % (path, i))
                suites[w[1]] = " ".join(w[2:])
            elif len(w) == 4:
                try:
                    pairs.append(Pair(w[0], w[1], w[2], w[3], i))
                except ValueError as e:
                    die("%s: %s" % (path, e))
            else:
                die("%s:%d: want FIGURE BASELINE METRIC FACTOR" % (path, i))
    return suites, pairs


def pairs_for(pairs, key):
    out = []
    for p in pairs:
        a = p.match(key)
        if a is not None:
            out.append((p, a))
    return out


def regex_escape(s):
    return "".join("\\" + c if c in ".^$*+?()[]{}|\\" else c for c in s)


# ---------------------------------------------------------------------- plan

def cmd_plan(pairs_path, list_path, mode, list_all_path=None):
    """Prints "RUN<TAB>REGEX<TAB>COUNT" per gx_bench process: one per suite (its
    figures plus the baselines they are paired with, so that each figure is
    measured beside its baseline in the same process) and one "baseline" run for
    baselines no selected figure uses. --quick keeps the smallest argument of
    each family except the scaling families (every worker count is kept)."""
    _, pairs = read_pairs(pairs_path)
    with open(list_path) as f:
        names = [n.strip() for n in f if n.strip()]
    by_key, all_key = {}, {}
    for n in names:
        by_key.setdefault(norm(n), []).append(n)
    if list_all_path:  # baselines run beside their figures even when --filter leaves them out
        with open(list_all_path) as f:
            for n in (x.strip() for x in f):
                if n:
                    all_key.setdefault(norm(n), []).append(n)
    for k, v in by_key.items():
        all_key.setdefault(k, v)

    def thin(keys):
        if mode != "quick":
            return keys
        keep, smallest = [], {}
        for k in keys:
            fam, arg = split_arg(k)
            if arg is None or any(p.scaling for p, _ in pairs_for(pairs, k)):
                keep.append(k)
            elif fam not in smallest or arg < smallest[fam]:
                smallest[fam] = arg
        keep += ["%s/%d" % (f, a) for f, a in smallest.items()]
        return [k for k in keys if k in keep]

    runs, used_baselines = {}, set()
    for k in by_key:
        if suite_of(k) != "baseline":
            runs.setdefault(suite_of(k), []).append(k)
    for suite in sorted(runs):
        figs = thin(runs[suite])
        extra = []
        for k in figs:
            for p, a in pairs_for(pairs, k):
                b = p.baseline_for(a)
                if b in all_key and b not in figs and b not in extra:
                    extra.append(b)
                    used_baselines.add(b)
        sel = [n for k in figs + extra for n in all_key[k]]
        print("%s\t^(%s)$\t%d" % (suite, "|".join(regex_escape(n) for n in sel), len(figs)))
    used_fams = {split_arg(b)[0] for b in used_baselines}
    rest = [k for k in by_key if suite_of(k) == "baseline" and k not in used_baselines]
    if mode == "quick":  # a family already measured beside a figure needs no other size
        rest = [k for k in rest if split_arg(k)[0] not in used_fams]
    rest = thin(rest)
    if rest:
        sel = [n for k in rest for n in by_key[k]]
        print("baseline\t^(%s)$\t%d" % ("|".join(regex_escape(n) for n in sel), len(rest)))


# ------------------------------------------------------------------ results

def load_json(path):
    try:
        with open(path) as f:
            return json.load(f), None
    except FileNotFoundError:
        return None, "no JSON written"
    except (OSError, ValueError) as e:
        return None, "JSON unreadable: %s" % e


def metric_value(row, metric):
    if metric in TIME_METRICS:
        v = row.get(metric)
        return None if v is None else float(v) * TO_NS.get(row.get("time_unit", "ns"), 1.0)
    v = row.get(metric)
    return float(v) if isinstance(v, (int, float)) else None


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    mean = statistics.fmean(vals)
    sd = statistics.stdev(vals) if len(vals) > 1 else None
    cv = (sd / mean) if sd is not None and mean else None
    return {"mean": mean, "cv": cv, "n": len(vals)}


class Run:
    """One gx_bench process (one suite): its rows grouped by benchmark key."""

    def __init__(self, name, doc):
        self.name = name
        self.rows = {}
        self.context = doc.get("context", {}) if doc else {}
        for r in (doc or {}).get("benchmarks", []):
            if r.get("run_type", "iteration") != "iteration":
                continue
            self.rows.setdefault(norm(r.get("run_name") or r["name"]), []).append(r)

    def error(self, key):
        for r in self.rows.get(key, []):
            if r.get("error_occurred"):
                return r.get("error_message") or "the benchmark reported an error"
        return None

    def stat(self, key, metric):
        return stats(metric_value(r, metric) for r in self.rows.get(key, []))

    STD_FIELDS = {"family_index", "per_family_instance_index", "repetitions", "repetition_index",
                  "threads", "iterations", "real_time", "cpu_time", "items_per_second",
                  "bytes_per_second"}

    def counters(self, key):
        """Means of a benchmark's custom counters (p50_ns, ratio, ...)."""
        vals = {}
        for r in self.rows.get(key, []):
            for k, v in r.items():
                if k not in self.STD_FIELDS and isinstance(v, (int, float)) and not isinstance(v, bool):
                    vals.setdefault(k, []).append(float(v))
        return {k: statistics.fmean(v) for k, v in sorted(vals.items())}

    def default_metric(self, key):
        rows = self.rows.get(key, [])
        for m in ("items_per_second", "bytes_per_second"):
            if any(m in r for r in rows):
                return m
        return "real_time"


def load_dir(d):
    """Everything bench/run.sh left in d, parsed."""
    meta, _ = load_json(os.path.join(d, "run.json"))
    if meta is None:
        die("%s: no run.json (not a bench/run.sh result directory)" % d)
    pairs_path = os.path.join(d, "pairs.txt")
    suites, pairs = read_pairs(pairs_path)
    machine, _ = load_json(os.path.join(d, "machine.json"))
    listed_keys = set()
    lp = os.path.join(d, "list_all.txt")
    if os.path.exists(lp):
        with open(lp) as f:
            listed_keys = {norm(n.strip()) for n in f if n.strip()}
    listed = {suite_of(k) for k in listed_keys}
    planned = {}
    pp = os.path.join(d, "plan.tsv")
    if os.path.exists(pp):
        with open(pp) as f:
            for line in f:
                w = line.rstrip("\n").split("\t")
                if len(w) >= 3:
                    planned[w[0]] = int(w[2])
    runs, status = {}, {}
    for s in planned:
        st, _ = load_json(os.path.join(d, "runs", s + ".json"))
        st = st or {"rc": None, "reason": "run.sh left no status (interrupted?)"}
        doc, why = load_json(os.path.join(d, "json", s + ".json"))
        runs[s] = Run(s, doc)
        if st.get("rc") != 0:
            status[s] = ("failed", st.get("reason") or "exit code %s" % st.get("rc"), st)
        elif doc is None:
            status[s] = ("failed", why, st)
        else:
            status[s] = ("ok", "", st)
    # e2e: a whole-process run driven by bench/e2e.sh
    e2e, _ = load_json(os.path.join(d, "e2e", "status.json"))
    if e2e is not None:
        if e2e.get("status") == "ok":
            doc, why = load_json(os.path.join(d, "e2e", "e2e.json"))
            runs["e2e"] = Run("e2e", doc)
            status["e2e"] = ("ok", "", e2e) if doc else ("failed", why, e2e)
        else:
            status["e2e"] = (e2e.get("status", "failed").replace("_", " "),
                             e2e.get("reason", ""), e2e)
    return {"dir": d, "meta": meta, "suites": suites, "pairs": pairs, "machine": machine or {},
            "listed": listed, "listed_keys": listed_keys, "planned": planned, "runs": runs, "status": status}


def summarize(R):
    """Per-figure results: value, baseline, bound, ratio, status, reason."""
    suites, pairs, runs, status = R["suites"], R["pairs"], R["runs"], R["status"]
    figs = {}

    def baseline_stat(run, bkey, metric):
        """The baseline measured in the figure's own process, else in any other."""
        order = [run] + [r for r in runs.values() if r is not run]
        for r in order:
            if r.error(bkey):
                continue
            s = r.stat(bkey, metric)
            if s:
                return s, r.name
        return None, None

    # a baseline is shown in the metric its pairs compare
    baseline_metric = {}
    for r in runs.values():
        for key in r.rows:
            for p, a in pairs_for(pairs, key):
                baseline_metric.setdefault(p.baseline_for(a), p.metric)
    # every measured key of every run (a baseline may appear in several runs)
    for rname, run in runs.items():
        for key in run.rows:
            suite = suite_of(key)
            if suite != "baseline" and suite != rname:
                continue  # a figure pulled in as another figure's baseline
            if suite == "baseline" and key in figs:
                continue
            if suite == "baseline":  # measured in several processes: their mean, and each
                m_ = baseline_metric.get(key) or run.default_metric(key)
                ms = [(r.name, r.stat(key, m_)) for r in runs.values()
                      if key in r.rows and not r.error(key)]
                ms = [(n, s_["mean"]) for n, s_ in ms if s_]
                if len(ms) > 1:
                    vals = [v for _, v in ms]
                    figs[key] = {"suite": suite, "run": ",".join(n for n, _ in ms), "status": "ok",
                                 "reason": "", "metric": m_, "paired": False,
                                 "value": statistics.fmean(vals), "n": len(vals),
                                 "cv": statistics.stdev(vals) / statistics.fmean(vals),
                                 "per_run": dict(ms)}
                    continue
            entry = {"suite": suite, "run": rname, "status": "ok", "reason": "",
                     "counters": run.counters(key)}
            err = run.error(key)
            matched = pairs_for(pairs, key) if suite != "baseline" else []
            if err:  # gx_bench_skip(): "marks the run as skipped with a reason"
                entry.update(status="skipped", reason=err)
            if not matched:
                m = baseline_metric.get(key) or run.default_metric(key)
                s = run.stat(key, m)
                entry.update(metric=m, paired=False)
                if s and not err:
                    entry.update(value=s["mean"], cv=s["cv"], n=s["n"])
                figs[key] = entry
                continue
            p, a = matched[0]
            s = run.stat(key, p.metric)
            bkey, factor = p.baseline_for(a), p.factor_for(a)
            entry.update(metric=p.metric, paired=True, baseline=bkey, factor=factor,
                         factor_text=p.factor_text, scaling=p.scaling, arg=a if p.wild else None,
                         pattern=p.figure)
            if err:
                figs[key] = entry
                continue
            if not s:
                entry.update(status="failed", reason="no %s in its results" % p.metric)
                figs[key] = entry
                continue
            entry.update(value=s["mean"], cv=s["cv"], n=s["n"])
            bs, brun = baseline_stat(run, bkey, p.metric)
            if bs is None or factor is None:
                entry.update(reason="baseline %s not measured" % bkey)
            else:
                bound = factor * bs["mean"]
                ratio = (bound / s["mean"] if lower_is_better(p.metric) else s["mean"] / bound) \
                    if bound and s["mean"] else None
                rcv = None
                if s["cv"] is not None and bs["cv"] is not None:
                    rcv = math.sqrt(s["cv"] ** 2 + bs["cv"] ** 2)
                entry.update(baseline_value=bs["mean"], baseline_cv=bs["cv"], baseline_run=brun,
                             bound=bound, ratio=ratio, ratio_cv=rcv)
            figs[key] = entry

    # pairs whose figure never ran: say why
    for p in pairs:
        if p.wild and any(p.match(k) is not None for k in figs):
            continue
        if not p.wild and p.figure in figs:
            continue
        suite = suite_of(p.figure)
        name = p.figure
        if suite in status and status[suite][0] != "ok":
            st, why = status[suite][0], status[suite][1]
        elif suite in status and any(p.match(k) is not None for k in R["listed_keys"]):
            st, why = "filtered out", "excluded by --filter"
        elif suite in status and status[suite][0] == "ok":
            st, why = "missing", "not registered: no benchmark named %s in gx_bench" % name
        elif suite in R["listed"] and suite not in R["planned"]:
            st, why = "filtered out", "excluded by --filter"
        elif suite in R["listed"]:
            st, why = "missing", "not selected"
        else:
            st, why = "missing", "suite %s/ has no benchmark in gx_bench" % suite
        figs[name] = {"suite": suite, "status": st, "reason": why, "metric": p.metric,
                      "paired": True, "baseline": p.baseline, "factor_text": p.factor_text,
                      "scaling": p.scaling, "pattern": p.figure}

    # run-to-run noise measured in this run
    cvs = [f["cv"] for f in figs.values() if f.get("cv") is not None and "per_run" not in f]
    spreads = []
    for key in {k for r in runs.values() for k in r.rows if suite_of(k) == "baseline"}:
        for metric in ("items_per_second", "bytes_per_second"):
            means = [r.stat(key, metric)["mean"] for r in runs.values()
                     if r.stat(key, metric) and not r.error(key)]
            if len(means) >= 2 and statistics.fmean(means):
                spreads.append(statistics.stdev(means) / statistics.fmean(means))
    noise = {"repetition_cv_median": statistics.median(cvs) if cvs else None,
             "repetition_cv_count": len(cvs),
             "baseline_spread_median": statistics.median(spreads) if spreads else None,
             "baseline_spread_count": len(spreads)}

    suite_rows = {}
    for s in sorted(set(suites) | set(R["planned"]) | set(status)):
        n = sum(1 for k, f in figs.items() if f["suite"] == s and "value" in f)
        if s in status:
            st, why, info = status[s]
            secs = info.get("seconds") if isinstance(info, dict) else None
        elif s in R["listed"]:
            st, why, secs = "filtered out", "excluded by --filter", None
        else:
            st, why, secs = "missing", "no benchmark named %s/* is registered in gx_bench" % s, None
        if s != "baseline" and st == "ok" and n == 0:
            st, why = "failed", why or "ran but produced no figure"
        suite_rows[s] = {"status": st, "reason": why, "figures": n, "seconds": secs,
                         "description": suites.get(s, "(not listed in pairs.txt)")}
    return {"figures": figs, "suites": suite_rows, "noise": noise}


# ------------------------------------------------------------------- format

def si(v, unit=""):
    if v is None:
        return "-"
    a = abs(v)
    for div, p in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return "%.3g %s%s" % (v / div, p, unit)
    return "%.3g %s" % (v, unit) if unit else "%.3g" % v


def fmt_metric(v, metric):
    if v is None:
        return "-"
    if metric == "bytes_per_second":
        return si(v, "B/s")
    if metric == "items_per_second":
        return si(v, "/s")
    if metric in TIME_METRICS:
        for div, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "us")):
            if v >= div:
                return "%.4g %s" % (v / div, unit)
        return "%.4g ns" % v
    return si(v)


def fmt_counters(f):
    c = f.get("counters") or {}
    return ", ".join("%s %s" % (k, si(v)) for k, v in c.items()) or "-"


def pct(x):
    return "-" if x is None else "%.1f%%" % (100 * x)


def md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


# -------------------------------------------------------------------- plots

def gnuplot(script, d):
    try:
        p = subprocess.run(["gnuplot"], input=script, text=True, cwd=d, capture_output=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "gnuplot did not run: %s" % e
    if p.returncode != 0:
        return "gnuplot failed: %s" % (p.stderr.strip().splitlines() or ["?"])[-1]
    return None


def gp_quote(s):
    return '"%s"' % str(s).replace("\\", "\\\\").replace('"', '\\"')


TERM = "set terminal pngcairo noenhanced size 900,520 font 'sans,10'\n"


def placeholder(png, title, why):
    return (TERM + "set output %s\nunset border\nunset tics\nunset key\n"
            "set title %s\nset label 1 %s at screen 0.5,0.5 center\n"
            "set xrange [0:1]\nset yrange [0:1]\nplot 2 notitle\n"
            % (gp_quote(png), gp_quote(title), gp_quote("no data: " + why)))


def plot_workers(d, S):
    groups = {}
    for k, f in S["figures"].items():
        if f.get("scaling") and f.get("value") is not None and f.get("arg") is not None:
            groups.setdefault(f["pattern"], []).append(f)
    if not groups:
        missing = [f.get("reason", "") for f in S["figures"].values() if f.get("scaling")]
        why = "no worker-scaling figure was measured" + (" (%s)" % missing[0] if missing else "")
        return placeholder("workers.png", "Throughput against workers", why), why
    os.makedirs(os.path.join(d, "plots"), exist_ok=True)
    plots, i = [], 0
    for pat, fs in sorted(groups.items()):
        fs.sort(key=lambda f: f["arg"])
        dat = os.path.join("plots", "workers_%d.dat" % i)
        with open(os.path.join(d, dat), "w") as out:
            out.write("# workers  %s  bound(%s x %s)\n" % (fs[0]["metric"], fs[0]["factor_text"],
                                                         fs[0]["baseline"]))
            for f in fs:
                out.write("%d %.6g %s\n" % (f["arg"], f["value"],
                                            "%.6g" % f["bound"] if f.get("bound") else "NaN"))
        plots.append("%s using 1:2 with linespoints lw 2 pt 7 title %s" % (gp_quote(dat), gp_quote(pat)))
        plots.append("%s using 1:3 with lines dt 2 lw 1 title %s"
                     % (gp_quote(dat), gp_quote("bound: %s x %s" % (fs[0]["factor_text"], fs[0]["baseline"]))))
        i += 1
    return (TERM + "set output 'workers.png'\nset title 'Throughput against workers'\n"
            "set xlabel 'workers (pinned)'\nset ylabel %s\nset key top left\nset grid\n"
            "set yrange [0:*]\nset xtics 1\nset offsets 0.3, 0.3, 0, 0\nplot %s\n"
            % (gp_quote(fs[0]["metric"]), ", \\\n  ".join(plots))), None


def read_hist(path):
    """[(upper bound in ms or inf, cumulative count)] from "LE_SECONDS CUMULATIVE" lines."""
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) == 2 and not line.startswith("#"):
                    try:
                        out.append((math.inf if w[0] in ("inf", "+Inf") else float(w[0]) * 1e3, float(w[1])))
                    except ValueError:
                        pass
    return out


def plot_latency_hist(d, hist):
    n = hist[-1][1]
    q = {}
    for p in (50, 90, 99):
        q[p] = next((le for le, c in hist if c >= p / 100 * n), None)
    os.makedirs(os.path.join(d, "plots"), exist_ok=True)
    finite = [(le, c) for le, c in hist if le != math.inf]
    with open(os.path.join(d, "plots", "latency_cdf.dat"), "w") as out:
        out.write("# upper bound (ms), fraction of epochs at or below it\n")
        for le, c in finite:
            out.write("%.6g %.6g\n" % (le, c / n))
    fmt = lambda v: "inf" if v in (None, math.inf) else "%.3g" % v
    script = (TERM + "set output 'commit_latency.png'\n"
              "set title %s\nset xlabel 'epoch commit latency (ms, log scale; bucket upper bounds)'\n"
              "set ylabel 'fraction of epochs'\nset logscale x\n"
              "set grid\nset key bottom right\nset yrange [0:1.05]\n"
              "plot 'plots/latency_cdf.dat' using 1:2 with linespoints lw 2 pt 7 title 'CDF (histogram buckets)'\n"
              % gp_quote("Commit latency: %d epochs, p50 <= %s ms, p90 <= %s ms, p99 <= %s ms"
                         % (n, fmt(q[50]), fmt(q[90]), fmt(q[99]))))
    return script, None, {"n": n, "p50": q[50], "p90": q[90], "p99": q[99], "from": "histogram buckets"}


def plot_latency(d, S, R):
    src = os.path.join(d, "e2e", "commit_latency_ms.txt")
    samples = []
    if os.path.exists(src):
        with open(src) as f:
            for line in f:
                try:
                    samples.append(float(line.split()[0]))
                except (ValueError, IndexError):
                    pass
    hist = read_hist(os.path.join(d, "e2e", "commit_latency_hist.txt"))
    if not samples and hist and hist[-1][1] > 0:
        return plot_latency_hist(d, hist)
    if not samples:
        st = R["status"].get("e2e")
        why = ("e2e %s: %s" % (st[0], st[1])) if st and st[0] != "ok" else \
            "the end-to-end run wrote no commit latencies"
        return placeholder("commit_latency.png", "Commit latency distribution", why), why, None
    samples.sort()
    n = len(samples)
    q = {p: samples[max(0, math.ceil(p / 100 * n) - 1)] for p in (50, 90, 99)}  # nearest rank
    os.makedirs(os.path.join(d, "plots"), exist_ok=True)
    with open(os.path.join(d, "plots", "latency_cdf.dat"), "w") as out:
        for i, v in enumerate(samples):
            out.write("%.6g %.6g\n" % (v, (i + 1) / n))
    script = (TERM + "set output 'commit_latency.png'\n"
              "set title %s\nset xlabel 'commit latency (ms)'\nset ylabel 'fraction of commits'\n"
              "set grid\nset key bottom right\nset yrange [0:1]\n"
              "plot 'plots/latency_cdf.dat' using 1:2 with steps lw 2 title 'CDF'\n"
              % gp_quote("Commit latency: %d commits, p50 %.3g ms, p90 %.3g ms, p99 %.3g ms"
                         % (n, q[50], q[90], q[99])))
    return script, None, {"n": n, "p50": q[50], "p90": q[90], "p99": q[99], "from": "samples"}


def plot_ratios(d, S):
    fs = sorted((k, f) for k, f in S["figures"].items() if f.get("ratio") is not None)
    if not fs:
        why = "no figure has a measured baseline"
        return placeholder("ratios.png", "Figures against their bounds", why), why
    os.makedirs(os.path.join(d, "plots"), exist_ok=True)
    with open(os.path.join(d, "plots", "ratios.dat"), "w") as out:
        for i, (k, f) in enumerate(fs):
            err = f["ratio"] * f["ratio_cv"] if f.get("ratio_cv") is not None else 0.0
            out.write("%d %.6g %s %.6g\n" % (i, f["ratio"], gp_quote(k), err))
    return (TERM.replace("900,520", "%d,560" % max(700, 40 * len(fs) + 200)) +
            "set output 'ratios.png'\nset title 'Each figure as a fraction of its baseline bound (1.0 = the bound; bars: +/- one sigma)'\n"
            "set style fill solid 0.6\nset boxwidth 0.7\nset grid ytics\nunset key\n"
            "set xtics rotate by -40 left font ',8'\nset yrange [0:*]\nset bmargin 12\n"
            "set xrange [-0.6:%f]\n"
            "plot 'plots/ratios.dat' using 1:2:4:xtic(3) with boxerrorbars, 1 with lines dt 2 lc rgb 'red'\n"
            % (len(fs) - 0.4)), None


# ------------------------------------------------------------------- report

def cmd_report(d):
    R = load_dir(d)
    S = summarize(R)
    meta, machine = R["meta"], R["machine"]
    cpu = machine.get("cpu", {})
    flags = cpu.get("flags", {})
    hp = machine.get("hugepages", {})

    plots = {}
    for name, (script, why) in (("workers.png", plot_workers(d, S)), ("ratios.png", plot_ratios(d, S))):
        err = gnuplot(script, d)
        plots[name] = err or why
    lat_script, lat_why, lat_q = plot_latency(d, S, R)
    plots["commit_latency.png"] = gnuplot(lat_script, d) or lat_why

    # merged Google Benchmark JSON: every row, tagged with the process it ran in
    merged = {"context": None, "benchmarks": []}
    for rname in sorted(R["runs"]):
        doc, _ = load_json(os.path.join(d, "json", rname + ".json")) if rname != "e2e" else \
            load_json(os.path.join(d, "e2e", "e2e.json"))
        if not doc:
            continue
        if merged["context"] is None:
            merged["context"] = doc.get("context")
        for r in doc.get("benchmarks", []):
            r = dict(r)
            r["gx_run"] = rname
            merged["benchmarks"].append(r)
    with open(os.path.join(d, "benchmarks.json"), "w") as f:
        json.dump(merged, f, indent=1)
    summary = {"mode": meta.get("mode"), "date": meta.get("date"), "rev": meta.get("rev"),
               "machine": machine, "noise": S["noise"], "suites": S["suites"],
               "figures": S["figures"], "commit_latency_ms": lat_q}
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)

    L = []
    w = L.append
    w("# Galaxy appliance benchmark report")
    w("")
    w("Run %s, mode **%s**, git %s%s, filter `%s`." % (
        meta.get("date"), meta.get("mode"), meta.get("rev"),
        " (with uncommitted changes)" if machine.get("git", {}).get("modified_tracked_files") else "",
        meta.get("filter") or "(none)"))
    w("")
    w("Machine: **%s**, %s cores (%s online), kernel %s, %s MiB memory, hugepages %s x %s KiB (%s free), "
      "virtualization %s; load average %s at the start, %s at the end (1, 5, 15 min)." % (
          cpu.get("model"), cpu.get("nproc"), cpu.get("online"), machine.get("kernel"),
          (machine.get("memory_kib") or 0) // 1024, hp.get("total"), hp.get("size_kib"), hp.get("free"),
          cpu.get("virtualization"), meta.get("load_average_start", "?"), machine.get("load_average", "?")))
    w("CPU flags: " + ", ".join("%s %s" % (k, "yes" if v else "no") for k, v in flags.items()) + ".")
    w("Toolchain: " + ", ".join("%s %s" % kv for kv in machine.get("toolchain", {}).items()) + ".")
    w("")
    w("Every ratio is the figure divided by its bound, the bound being FACTOR x the baseline "
      "measured in the same gx_bench process (1.0 = as fast as the raw library loop allows). "
      "Nothing here is estimated: a figure that did not run is listed with the reason.")
    w("")
    w("## Suites")
    w("")
    w("| suite | status | figures | seconds | what | reason |")
    w("|---|---|---|---|---|---|")
    for s, r in S["suites"].items():
        w("| %s | %s | %d | %s | %s | %s |" % (
            s, r["status"], r["figures"], "-" if r["seconds"] is None else r["seconds"],
            md_escape(r["description"]), md_escape(r["reason"])))
    w("")
    w("## Figures against their baselines")
    w("")
    w("| figure | metric | value | baseline | baseline value | factor | bound | ratio | +/- | status | counters |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    paired = sorted((k, f) for k, f in S["figures"].items() if f.get("paired"))
    for k, f in paired:
        m = f["metric"]
        st = f["status"] + (": " + f["reason"] if f.get("reason") else "")
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            k, m, fmt_metric(f.get("value"), m), f.get("baseline", "-"),
            fmt_metric(f.get("baseline_value"), m),
            "%.4g" % f["factor"] if f.get("factor") is not None else f.get("factor_text", "-"),
            fmt_metric(f.get("bound"), m),
            "%.3f" % f["ratio"] if f.get("ratio") is not None else "-",
            pct(f.get("ratio_cv")), md_escape(st), fmt_counters(f)))
    w("")
    w("## Figures without a baseline pairing")
    w("")
    w("These have no line in bench/pairs.txt: their values are shown, without a ratio.")
    w("")
    w("| figure | metric | value | +/- | status | counters |")
    w("|---|---|---|---|---|---|")
    for k, f in sorted(S["figures"].items()):
        if f.get("paired") or f["suite"] == "baseline":
            continue
        st = f["status"] + (": " + f["reason"] if f.get("reason") else "")
        w("| %s | %s | %s | %s | %s | %s |" % (k, f.get("metric"), fmt_metric(f.get("value"), f.get("metric")),
                                              pct(f.get("cv")), md_escape(st), fmt_counters(f)))
    w("")
    w("## Baselines")
    w("")
    w("| baseline | metric | value | +/- |")
    w("|---|---|---|---|")
    for k, f in sorted(S["figures"].items()):
        if f["suite"] == "baseline":
            st = "" if f["status"] == "ok" else " (%s: %s)" % (f["status"], f["reason"])
            runs_ = f.get("per_run")
            where = (" (mean of %d processes: %s)" % (len(runs_), ", ".join(
                "%s %s" % (r, fmt_metric(v, f.get("metric"))) for r, v in sorted(runs_.items())))) \
                if runs_ else ""
            w("| %s | %s | %s | %s |" % (k, f.get("metric"),
                                         fmt_metric(f.get("value"), f.get("metric")) + st + where,
                                         pct(f.get("cv"))))
    w("")
    n = S["noise"]
    w("## Noise")
    w("")
    w("- Repetitions: median coefficient of variation %s over %d figures (needs --benchmark_repetitions "
      "> 1: the default and --full modes repeat, --quick does not)." % (pct(n["repetition_cv_median"]),
                                                                       n["repetition_cv_count"]))
    w("- Same baseline measured in separate gx_bench processes: median relative spread %s over %d "
      "baselines." % (pct(n["baseline_spread_median"]), n["baseline_spread_count"]))
    w("")
    w("## Plots")
    w("")
    for png, title in (("workers.png", "Throughput against workers"),
                       ("commit_latency.png", "Commit-latency distribution"),
                       ("ratios.png", "Each figure against its bound")):
        note = plots.get(png)
        w("- %s: ![%s](%s)%s" % (title, title, png, (" (%s)" % note) if note else ""))
    w("")
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write("\n".join(L))
    bad = [s for s, r in S["suites"].items() if r["status"] == "failed"]
    errs = sorted(k for k, f in S["figures"].items() if f["status"] in ("failed", "skipped"))
    print("report: %s/report.md (%d figures, %d suites failed%s)" % (
        d, sum(1 for f in S["figures"].values() if "value" in f), len(bad),
        (": " + ", ".join(bad)) if bad else ""))
    for k in errs:
        print("report: figure %s %s: %s" % (k, S["figures"][k]["status"], S["figures"][k]["reason"]))
    return 0


# ------------------------------------------------------------------ compare

def run_noise(summary):
    n = summary.get("noise", {})
    vals = [v for v in (n.get("repetition_cv_median"), n.get("baseline_spread_median")) if v is not None]
    return max(vals) if vals else None


def cmd_compare(old_dir, new_dir):
    sums = []
    for d in (old_dir, new_dir):
        p = os.path.join(d, "summary.json")
        if not os.path.exists(p):
            if not os.path.exists(os.path.join(d, "run.json")):
                die("%s: not a bench/run.sh result directory (no run.json)" % d)
            with open(os.devnull, "w") as dn:
                so, sys.stdout = sys.stdout, dn
                try:
                    cmd_report(d)
                finally:
                    sys.stdout = so
        with open(p) as f:
            sums.append(json.load(f))
    old, new = sums
    on, nn = run_noise(old), run_noise(new)
    run_level = math.sqrt((on or 0) ** 2 + (nn or 0) ** 2) if (on or nn) else None
    print("# bench/compare.sh %s -> %s" % (old_dir, new_dir))
    print("# old: %s rev %s mode %s on %s" % (old.get("date"), old.get("rev"), old.get("mode"),
                                             old.get("machine", {}).get("cpu", {}).get("model")))
    print("# new: %s rev %s mode %s on %s" % (new.get("date"), new.get("rev"), new.get("mode"),
                                             new.get("machine", {}).get("cpu", {}).get("model")))
    print("# run-level noise: old %s, new %s; a change is flagged beyond max(%gx noise, %s)"
          % (pct(on), pct(nn), NOISE_SIGMAS, pct(MIN_CHANGE)))
    print("%-44s %-6s %12s %12s %8s %7s  %s" % ("figure", "on", "old", "new", "change", "noise", "verdict"))
    regressions = 0
    keys = sorted(set(old["figures"]) | set(new["figures"]))
    for k in keys:
        o, n = old["figures"].get(k), new["figures"].get(k)
        if not o or o.get("value") is None or not n or n.get("value") is None:
            o_bad, n_bad = not o or o.get("value") is None, not n or n.get("value") is None
            which = "both" if o_bad and n_bad else "old" if o_bad else "new"
            f = (n if which == "new" else o) or {}
            print("%-44s %-6s %12s %12s %8s %7s  not comparable: %s in %s%s" % (
                k, "-", "-", "-", "-", "-", f.get("status", "absent"), which,
                (" (%s)" % f.get("reason")) if f.get("reason") else ""))
            continue
        use_ratio = o.get("ratio") is not None and n.get("ratio") is not None
        if use_ratio:
            ov, nv, ocv, ncv, better_up = o["ratio"], n["ratio"], o.get("ratio_cv"), n.get("ratio_cv"), True
        else:
            ov, nv, ocv, ncv = o["value"], n["value"], o.get("cv"), n.get("cv")
            better_up = not lower_is_better(n.get("metric", ""))
        change = (nv - ov) / ov if ov else 0.0
        # judged on the log of new/old (a cv is the noise of a log): a halving and a
        # doubling weigh the same, and a large drop is never capped at -100%
        logc = math.log(nv / ov) if ov > 0 and nv > 0 else (-math.inf if nv <= 0 < ov else 0.0)
        gain = logc if better_up else -logc
        if ocv is not None and ncv is not None:
            noise, src = math.sqrt(ocv ** 2 + ncv ** 2), ""
        elif ocv is not None or ncv is not None:
            noise, src = math.sqrt(2) * (ocv if ocv is not None else ncv), ""
        elif run_level is not None:
            noise, src = run_level, "~"
        else:
            noise, src = ASSUMED_NOISE, "?"
        limit = max(NOISE_SIGMAS * noise, math.log1p(MIN_CHANGE))
        if o["suite"] == "baseline":
            verdict = "baseline (machine drift, never flagged)" if abs(logc) > limit else "baseline, same"
        elif gain < -limit:
            verdict = "REGRESSION"
            regressions += 1
        elif gain > limit:
            verdict = "improvement"
        else:
            verdict = "within noise"
        fmtv = (lambda v: "%.4f" % v) if use_ratio else (lambda v: fmt_metric(v, n.get("metric", "")))
        print("%-44s %-6s %12s %12s %+7.1f%% %6s%s  %s" % (
            k, "ratio" if use_ratio else "value", fmtv(ov), fmtv(nv), 100 * change,
            "%.1f%%" % (100 * noise), src, verdict))
    print("# noise column: from repetitions; '~' the run-level noise (baselines measured in separate "
          "processes); '?' assumed %s (neither run measured any)" % pct(ASSUMED_NOISE))
    print("# %d regression(s)" % regressions)
    return 1 if regressions else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "plan" and len(argv) in (5, 6):
        return cmd_plan(argv[2], argv[3], argv[4], argv[5] if len(argv) == 6 else None) or 0
    if len(argv) == 3 and argv[1] == "report":
        return cmd_report(argv[2])
    if len(argv) == 4 and argv[1] == "compare":
        return cmd_compare(argv[2], argv[3])
    die("usage: report.py plan PAIRS LIST MODE [LIST_ALL] | report DIR | compare OLD NEW")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
