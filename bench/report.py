#!/usr/bin/env python3
"""bench/report.py: the reporting half of bench/run.sh and bench/compare.sh.

  report.py plan PAIRS LIST MODE [LIST_ALL]  which benchmarks each gx_bench run executes
  report.py report DIR                  DIR/report.md, summary.json, benchmarks.json, *.png
  report.py compare OLD NEW             change of every figure; exit 1 on a regression
  report.py series LOG OUT [OFFERED [SCRAPE0 SCRAPE1]]
                                        bench/e2e.sh's per-second committed series from
                                        deploy/run-local.sh's progress lines

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

    def against(run, s, p, a):
        """A measured figure (stat s) held to one pair's bound: baseline, factor,
        bound, ratio and its noise (bound and ratio absent when the baseline was
        not measured)."""
        bkey, factor = p.baseline_for(a), p.factor_for(a)
        out = {"baseline": bkey, "factor": factor, "factor_text": p.factor_text, "metric": p.metric}
        bs, brun = baseline_stat(run, bkey, p.metric)
        if bs is None or factor is None:
            return out
        bound = factor * bs["mean"]
        ratio = (bound / s["mean"] if lower_is_better(p.metric) else s["mean"] / bound) \
            if bound and s["mean"] else None
        rcv = None
        if s["cv"] is not None and bs["cv"] is not None:
            rcv = math.sqrt(s["cv"] ** 2 + bs["cv"] ** 2)
        out.update(baseline_value=bs["mean"], baseline_cv=bs["cv"], baseline_run=brun,
                   bound=bound, ratio=ratio, ratio_cv=rcv)
        return out

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
            r_ = against(run, s, p, a)
            if "bound" not in r_:
                entry.update(reason="baseline %s not measured" % bkey)
            else:
                entry.update({k: v for k, v in r_.items() if k not in ("baseline", "factor")})
            # further pairs of the same figure (e2e/committed_transfers against the
            # offered load first, then against the verification bound): "also"
            also = []
            for p2, a2 in matched[1:]:
                s2 = run.stat(key, p2.metric)
                if s2:
                    also.append(against(run, s2, p2, a2))
            if also:
                entry["also"] = also
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


# ------------------------------------------------------------- machine load
# A run is "loaded" when other work took more than LOADED_RUN of the CPUs this
# run could use over the whole run, or more than LOADED_STRETCH during one suite
# (stretches shorter than LOADED_MIN_SECONDS are not judged alone). Without
# cpu.tsv (runs from before run.sh recorded it) the 1-minute load average at the
# start is the only sign: loaded at LOADED_LOADAVG per CPU or more (every CPU
# had work waiting; run.sh reads it after its own build, so a lower bar would
# flag that build).
LOADED_RUN = 0.10
LOADED_STRETCH = 0.25
LOADED_MIN_SECONDS = 5.0
LOADED_LOADAVG = 1.0


def read_cpu_marks(path):
    """[(label, wall_s, cpus, clk_tck, busy_ticks, total_ticks, own_cpu_s)] of cpu.tsv."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) != 7 or line.startswith("#"):
                continue
            try:
                out.append((w[0], float(w[1]), int(w[2]), int(w[3]), int(w[4]), int(w[5]), float(w[6])))
            except ValueError:
                pass
    return out


def machine_load(R):
    """How busy other work kept the machine during the run, and the verdict."""
    d, meta, machine = R["dir"], R["meta"], R["machine"]
    ncpu = (machine.get("cpu") or {}).get("online") or (machine.get("cpu") or {}).get("nproc")
    start = str(meta.get("load_average_start", "")).split()
    load1 = None
    try:
        load1 = float(start[0]) if start else None
    except ValueError:
        pass
    out = {"loaded": False, "reasons": [], "load_average_start": meta.get("load_average_start"),
           "load_average_end": machine.get("load_average"), "other_cpu_share": None,
           "stretches": [], "recorded": False}
    marks = read_cpu_marks(os.path.join(d, "cpu.tsv"))
    if len(marks) >= 2:
        out["recorded"] = True
        seg = []
        for a, b in zip(marks, marks[1:]):
            secs, cpus, tck = b[1] - a[1], b[2] or 1, b[3] or 100
            if secs <= 0:
                continue
            other = max(0.0, (b[4] - a[4]) / tck - (b[6] - a[6]))
            share = min(1.0, other / (secs * cpus))
            seg.append({"after": b[0], "seconds": round(secs, 1), "other_share": share})
        out["stretches"] = seg
        wall = marks[-1][1] - marks[0][1]
        cpus, tck = marks[-1][2] or 1, marks[-1][3] or 100
        if wall > 0:
            other = max(0.0, (marks[-1][4] - marks[0][4]) / tck - (marks[-1][6] - marks[0][6]))
            out["other_cpu_share"] = min(1.0, other / (wall * cpus))
            out["cpus"] = cpus
        if out["other_cpu_share"] is not None and out["other_cpu_share"] > LOADED_RUN:
            out["reasons"].append("other processes took %s of the %d CPUs over the whole run"
                                  % (pct(out["other_cpu_share"]), cpus))
        judged = [s for s in seg if s["seconds"] >= LOADED_MIN_SECONDS]
        worst = max(judged, key=lambda s: s["other_share"]) if judged else None
        if worst and worst["other_share"] > LOADED_STRETCH:
            busy = [s["after"] for s in judged if s["other_share"] > LOADED_STRETCH]
            out["reasons"].append("other processes took %s of them during suite %s%s" % (
                pct(worst["other_share"]), worst["after"],
                (" (over %s in %d stretches: %s)" % (pct(LOADED_STRETCH), len(busy), ", ".join(busy)))
                if len(busy) > 1 else ""))
        if worst:
            out["worst_stretch"] = worst
    elif load1 is not None and ncpu and load1 >= LOADED_LOADAVG * ncpu:
        out["reasons"].append("load average %.2f at the start on %d CPUs (the run recorded no "
                              "CPU marks in cpu.tsv to tell what happened during it)" % (load1, ncpu))
    out["loaded"] = bool(out["reasons"])
    return out


# ------------------------------------------------------ per-second series
# deploy/monitor.py's progress line, printed by deploy/run-local.sh every second:
# "[   12s] height     89  committed    15643    1436/s  epoch ...  mempool    279  nodes ..."
PROGRESS_RE = re.compile(r"^\[\s*(\d+)s\] height\s+(\d+)\s+committed\s+(\d+)\s+-?\d+/s.*?"
                         r"mempool\s+(\d+|-)")


def make_series(log_path, scrapes=()):
    """Per-second committed transfers of node 0 from run-local.log's progress lines:
    (rows [(seconds, committed_total, per_second, height, mempool)], window (t0, t1)
    or None). per_second is the change of the total over the change of the
    (whole-second) time stamps; the window is where bench/e2e.sh measured,
    located by node 0's committed total at its two scrapes."""
    pts = []
    with open(log_path, errors="replace") as f:
        for line in f:
            m = PROGRESS_RE.match(line)
            if m:
                pts.append((int(m.group(1)), int(m.group(3)), int(m.group(2)),
                            None if m.group(4) == "-" else int(m.group(4))))
    rows = []
    for (t0, c0, _, _), (t1, c1, h1, mp1) in zip(pts, pts[1:]):
        if t1 > t0:
            rows.append((t1, c1, (c1 - c0) / (t1 - t0), h1, mp1))

    def when(col, value):
        """The time the series' column col (1 committed, 2 height) first reached value."""
        for a, b in zip(pts, pts[1:]):
            if a[col] < value <= b[col] and b[0] > a[0]:
                return a[0] + (value - a[col]) / (b[col] - a[col]) * (b[0] - a[0])
        return None
    docs = []
    for p in scrapes:
        doc, _ = load_json(p) if p else (None, None)
        docs.append(doc)
    window = None
    try:
        a, b = docs
        length = float(b["t"]) - float(a["t"])
        # the end by node 0's committed total (it grows fast), the start a window's
        # length before it (the total may still be 0 when the window opens);
        # failing that, both by height
        end = when(1, float(b["status"]["transfers_committed"]))
        if end is not None and length > 0:
            window = (end - length, end)
        else:
            t0, t1 = when(2, float(a["status"]["height"])), when(2, float(b["status"]["height"]))
            if t0 is not None and t1 is not None and t1 > t0:
                window = (t0, t1)
    except (TypeError, KeyError, ValueError):
        pass
    return rows, window


def write_series(path, rows, window, offered):
    with open(path, "w") as f:
        f.write("# committed transfers per second of node 0, from deploy/monitor.py's progress "
                "lines (bench/e2e.sh)\n")
        if offered:
            f.write("# offered %s\n" % offered)
        if window:
            f.write("# window %.2f %.2f\n" % window)
        f.write("# seconds committed_total per_second height mempool\n")
        for t, c, r, h, mp in rows:
            f.write("%d %d %.1f %d %s\n" % (t, c, r, h, "-" if mp is None else mp))


def read_series(path):
    """(rows, window, offered) of a committed_series*.txt file."""
    rows, window, offered = [], None, None
    with open(path) as f:
        for line in f:
            w = line.split()
            try:
                if line.startswith("# offered ") and len(w) == 3:
                    offered = float(w[2])
                elif line.startswith("# window ") and len(w) == 4:
                    window = (float(w[2]), float(w[3]))
                elif not line.startswith("#") and len(w) == 5:
                    rows.append((float(w[0]), float(w[1]), float(w[2]), float(w[3]),
                                 None if w[4] == "-" else float(w[4])))
            except ValueError:
                pass
    return rows, window, offered


def cmd_series(log_path, out_path, offered=None, *scrapes):
    """e2e.sh's hook: run-local.log's progress lines to committed_series.txt."""
    if not os.path.exists(log_path):
        die("%s: no such log" % log_path)
    rows, window = make_series(log_path, scrapes)
    write_series(out_path, rows, window, offered)
    return 0


def series_stats(rows, window, skip=10.0):
    """Per-second figures of a series: over the measured window when known,
    otherwise after the first `skip` seconds (the network's warm-up)."""
    if window:
        sel = [r for r in rows if window[0] <= r[0] - 0.5 <= window[1]]  # row t: the second before t
        where = "the measured window"
    else:
        sel = [r for r in rows if r[0] > skip]
        where = "after the first %g s" % skip
    vals = [r[2] for r in sel]
    if not vals:
        return None
    med = statistics.median(vals)
    return {"where": where, "seconds": len(vals), "min": min(vals), "median": med, "max": max(vals),
            "zero_seconds": sum(1 for v in vals if v <= 0),
            "below_90pct_median": sum(1 for v in vals if v < 0.9 * med)}


def load_series(R):
    """[(name, rows, window, offered, stats)] of every committed_series*.txt in
    e2e/ (one per load bench/e2e.sh ran); for result directories from before e2e.sh
    wrote one, derived from e2e/run-local.log."""
    e2e = os.path.join(R["dir"], "e2e")
    out = []
    names = sorted(n for n in (os.listdir(e2e) if os.path.isdir(e2e) else [])
                   if re.fullmatch(r"committed_series.*\.txt", n))
    for n in names:
        rows, window, offered = read_series(os.path.join(e2e, n))
        out.append((n[:-4], rows, window, offered))
    log = os.path.join(e2e, "run-local.log")
    if not names and os.path.exists(log):
        rows, window = make_series(log, [os.path.join(e2e, "scrape%d.json" % i) for i in (0, 1)])
        offered = None
        with open(log, errors="replace") as f:
            m = re.search(r"\brate=([0-9.]+)", f.read())
            offered = float(m.group(1)) if m else None
        if rows:
            out.append(("committed_series", rows, window, offered))
    return [(n, rows, w, o, series_stats(rows, w)) for n, rows, w, o in out if rows]


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
    """Draws one PNG; the script is kept as plots/NAME.gp (run `gnuplot plots/NAME.gp`
    in the results directory to redraw it)."""
    m = re.search(r"set output ['\"]([^'\"]+)\.png['\"]", script)
    if m:
        os.makedirs(os.path.join(d, "plots"), exist_ok=True)
        with open(os.path.join(d, "plots", m.group(1) + ".gp"), "w") as f:
            f.write(script)
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


def gp_quote_lines(*lines):
    """A gnuplot string of several lines (a two-line title)."""
    return "\\n".join(gp_quote(x)[1:-1] for x in lines).join('""')


def natural(s):
    """Sort key that orders embedded numbers by value (acs/epoch/401000 before 1601000)."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", s) if t]


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


RATIO_BANDS = ((0.5, 0xd62728, "red"), (0.8, 0xff7f0e, "orange"), (math.inf, 0x2ca02c, "green"))


def ratio_bars(S):
    """[(label, suite, ratio, ratio_cv)] of every measured ratio, the extra pairs
    of a figure (its "also") included as "FIGURE vs BASELINE"."""
    out = []
    for k, f in S["figures"].items():
        if f.get("ratio") is not None:
            out.append((k, f["suite"], f["ratio"], f.get("ratio_cv")))
        for a in f.get("also", []):
            if a.get("ratio") is not None:
                out.append(("%s vs %s" % (k, a["baseline"]), f["suite"], a["ratio"], a.get("ratio_cv")))
    return out


def plot_ratios(d, S):
    """Horizontal bars on a log scale, each drawn from 1.0 (the bound) to the
    figure's ratio: left of the line is below the bound, right beats it, and a
    factor of 2 is the same length either way, so a 77x bar leaves the 0.5 and
    0.9 bars readable. Grouped by suite; colour by band."""
    fs = sorted(ratio_bars(S), key=lambda b: (b[1], natural(b[0])))
    if not fs:
        why = "no figure has a measured baseline"
        return placeholder("ratios.png", "Figures against their bounds", why), why
    os.makedirs(os.path.join(d, "plots"), exist_ok=True)
    n = len(fs)
    lo, hi = 1.0, 1.0
    with open(os.path.join(d, "plots", "ratios.dat"), "w") as out:
        out.write("# y ratio label low high colour label_x\n")
        for i, (k, suite, r, cv) in enumerate(fs):
            y = n - 1 - i
            cv = cv or 0.0
            low = r * (1 - cv) if cv < 0.9 else r / 10
            high = r * (1 + cv)
            colour = next(c for lim, c, _ in RATIO_BANDS if r < lim)
            lx = high * 1.12 if r >= 1 else low / 1.12
            lo, hi = min(lo, low / 1.12), max(hi, high * 1.12)
            out.write("%d %.6g %s %.6g %.6g %d %.6g\n" % (y, r, gp_quote(k), low, high, colour, lx))
    lo, hi = lo / 2.5, hi * 2.5   # room for the value labels
    seps = []
    for i in range(1, n):
        if fs[i][1] != fs[i - 1][1]:
            y = n - i - 0.5
            seps.append("set arrow from graph 0, first %g to graph 1, first %g nohead dt 3 lc rgb '#999999'\n"
                        % (y, y))
    height = max(360, 15 * n + 140)
    title = gp_quote_lines("Each figure against its bound: figure / bound on a log scale, bars drawn "
                           "from 1.0 (the bound)",
                           "red < 0.5 <= orange < 0.8 <= green; whiskers +/- one sigma")
    return (TERM.replace("900,520", "1000,%d" % height).replace("'sans,10'", "'sans,9'") +
            "set output 'ratios.png'\nset title %s\n" % title +
            "set logscale x\nset xrange [%g:%g]\nset yrange [-0.7:%g]\n" % (lo, hi, n - 0.3) +
            "set xlabel 'figure / bound'\nset grid xtics mxtics\nunset key\nset ytics scale 0 font ',8'\n"
            "set style fill solid 0.75 noborder\nset lmargin 44\n"
            "set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb 'black' lw 1.5 front\n" + "".join(seps) +
            "plot 'plots/ratios.dat' using (1):1:(1):2:($1-0.38):($1+0.38):6:ytic(3) "
            "with boxxyerror lc rgb variable, \\\n"
            "  '' using 2:1:4:5 with xerrorbars pt -1 lc rgb '#333333', \\\n"
            "  '' using ($2 >= 1 ? $7 : 1/0):1:(sprintf('%.3g', $2)) with labels left font ',8', \\\n"
            "  '' using ($2 < 1 ? $7 : 1/0):1:(sprintf('%.3g', $2)) with labels right font ',8'\n"), None


def plot_series(d, series, bound):
    """committed_series.png: node 0's committed transfers per second over the run,
    one line per load e2e ran, the offered rate and the verification bound dashed,
    the measured window shaded."""
    png = "committed_series.png"
    if not series:
        why = "the end-to-end run recorded no per-second series"
        return placeholder(png, "Committed transfers per second", why), why
    os.makedirs(os.path.join(d, "plots"), exist_ok=True)
    plots, objs = [], []
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"]
    ymax = 0.0
    for i, (name, rows, window, offered, _) in enumerate(series):
        c = colours[i % len(colours)]
        dat = "plots/%s.dat" % name
        with open(os.path.join(d, dat), "w") as out:
            out.write("# seconds per_second\n")
            for r in rows:
                out.write("%g %g\n" % (r[0], r[2]))
                ymax = max(ymax, r[2])
        label = "committed/s%s%s" % ("" if name == "committed_series" else
                                     " (%s)" % name[len("committed_series"):].strip("_-"),
                                     (" at %s/s offered" % si(offered)) if offered else "")
        plots.append("%s using 1:2 with linespoints lw 2 pt 7 ps 0.5 lc rgb '%s' title %s"
                     % (gp_quote(dat), c, gp_quote(label)))
        if offered:
            plots.append("%g with lines dt 2 lc rgb '%s' title %s" % (offered, c, gp_quote("offered %s/s" % si(offered))))
            ymax = max(ymax, offered)
        if window:
            objs.append("set object %d rect from %g, graph 0 to %g, graph 1 behind fc rgb '#eeeeee' "
                        "fs solid 1.0 noborder\n" % (i + 1, window[0], window[1]))
    if bound:
        plots.append("%g with lines dt 3 lw 2 lc rgb 'black' title %s"
                     % (bound, gp_quote("verification bound %s/s" % si(bound))))
        ymax = max(ymax, bound)
    return (TERM + "set output '%s'\n" % png +
            "set title 'Committed transfers per second, node 0 (shaded: the measured window)'\n"
            "set xlabel 'seconds since the network came up (run-local.sh progress clock)'\nset ylabel 'transfers committed per second'\n"
            "set grid\nset key top left\nset yrange [0:%g]\n" % (ymax * 1.25 or 1) + "".join(objs) +
            "plot %s\n" % ", \\\n  ".join(plots)), None



# ----------------------------------------------------------------- headline

E2E_FIGURE = "e2e/committed_transfers"
E2E_OFFERED = "baseline/e2e_offered_load"
E2E_BOUND = "baseline/e2e_verify_bound"


def fmt_ms(v, bucket):
    if v is None:
        return "-"
    if v == math.inf:
        return "> the largest bucket"
    s = ("%.3g s" % (v / 1e3)) if v >= 1e3 else ("%.3g ms" % v)
    return ("<= " + s) if bucket else s


def headline(R, S, lat_q, series, load):
    """The block a reader takes in at a glance: (markdown lines, data for summary.json)."""
    figs = S["figures"]
    H = {"loaded": load["loaded"], "load": load}
    L = ["## Headline", ""]
    if load["loaded"]:
        L.append("> **WARNING: the machine was loaded during this run**: %s. A figure and its baseline "
                 "may have seen different moments of that load: rerun on a quiet machine before "
                 "trusting or comparing these numbers." % "; ".join(load["reasons"]))
        L.append("")
    st = R["status"].get("e2e")
    f = figs.get(E2E_FIGURE) or {}
    if f.get("value") is not None:
        sides = [f] + f.get("also", [])
        off = next((x for x in sides if x.get("baseline") == E2E_OFFERED and x.get("ratio") is not None), None)
        bnd = next((x for x in sides if x.get("baseline") == E2E_BOUND and x.get("ratio") is not None), None)
        c = f.get("counters") or {}
        H.update(committed_per_second=f["value"], offered_per_second=off and off["baseline_value"],
                 offered_ratio=off and off["ratio"], verify_bound=bnd and bnd["bound"],
                 verify_bound_ratio=bnd and bnd["ratio"])
        L.append("- Committed end to end: **%s transfers/s** (node 0%s%s)" % (
            si(f["value"]), ", %.3g s window" % c["window_seconds"] if c.get("window_seconds") else "",
            "; offered %s/s, %.2f of it" % (si(off["baseline_value"]), off["ratio"]) if off else ""))
        if bnd:
            bc = (figs.get(E2E_BOUND) or {}).get("counters") or {}
            how = ""
            if bc.get("cores") and bc.get("single_core_verify_per_second"):
                how = ": %d cores x %s verifies/s / (2 signatures x %d nodes)" % (
                    bc["cores"], si(bc["single_core_verify_per_second"]), bc.get("nodes", 4))
            L.append("- Share of the verification bound: **%.2f** (bound %s/s%s)" % (
                bnd["ratio"], si(bnd["bound"]), how))
        else:
            L.append("- Share of the verification bound: not measured (%s not in this run)" % E2E_BOUND)
    else:
        why = ("e2e %s%s" % (st[0], ": " + st[1] if st[1] else "")) if st and st[0] != "ok" else \
            (f.get("reason") or "%s not in this run" % E2E_FIGURE)
        L.append("- Committed end to end: not measured (%s)" % why)
        L.append("- Share of the verification bound: not measured (%s)" % why)
    if lat_q:
        bucket = lat_q.get("from") == "histogram buckets"
        H.update(latency_p50_ms=lat_q["p50"], latency_p99_ms=lat_q["p99"])
        L.append("- Epoch commit latency: p50 **%s**, p99 **%s** (%d %s%s)" % (
            fmt_ms(lat_q["p50"], bucket), fmt_ms(lat_q["p99"], bucket), lat_q["n"],
            "epochs" if bucket else "commits", "; upper bounds of histogram buckets" if bucket else ""))
    else:
        L.append("- Epoch commit latency: not measured (%s)" % (
            ("e2e %s: %s" % (st[0], st[1])) if st and st[0] != "ok" else "no latency recorded"))
    H["series"] = {}
    for name, rows, window, offered, ss in series:
        if not ss:
            continue
        H["series"][name] = ss
        L.append("- Committed per second%s, %d s %s: min **%s**, median %s, max %s; **%d** s at 0, "
                 "%d below 90%% of the median (committed_series.png)" % (
                     "" if name == "committed_series" else " (%s)" % name[len("committed_series"):].strip("_-"),
                     ss["seconds"], ss["where"].replace("the measured window", "in the measured window"),
                     si(ss["min"]), si(ss["median"]), si(ss["max"]), ss["zero_seconds"],
                     ss["below_90pct_median"]))
    bars = sorted(ratio_bars(S), key=lambda b: b[2])
    if bars:
        H["worst"] = {"figure": bars[0][0], "ratio": bars[0][2]}
        L.append("- Worst ratio: **%.3f** %s%s" % (bars[0][2], bars[0][0], (" (next: %s)" % ", ".join(
            "%.3f %s" % (b[2], b[0]) for b in bars[1:3])) if len(bars) > 1 else ""))
        good = sum(1 for b in bars if b[2] >= 0.8)
        bad = sum(1 for b in bars if b[2] < 0.5)
        H.update(ratios=len(bars), ratios_at_least_0_8=good, ratios_below_0_5=bad)
    else:
        L.append("- Worst ratio: none measured (no figure ran beside its baseline)")
    unmeasured = sorted(k for k, x in figs.items() if x.get("value") is None and x["suite"] != "baseline")
    H["not_measured"] = len(unmeasured)
    if bars or unmeasured:
        L.append("- %d ratio%s: %d at >= 0.8 of their bound, %d below 0.5 (ratios.png); %d figure%s not "
                 "measured%s" % (len(bars), "" if len(bars) == 1 else "s", H.get("ratios_at_least_0_8", 0),
                                 H.get("ratios_below_0_5", 0), len(unmeasured),
                                 "" if len(unmeasured) == 1 else "s",
                                 " (the tables below say why)" if unmeasured else ""))
    if not load["loaded"]:
        if load["recorded"] and load["other_cpu_share"] is not None:
            w = load.get("worst_stretch")
            L.append("- Machine quiet during the run: other processes took %s of the %d CPUs%s" % (
                pct(load["other_cpu_share"]), load.get("cpus", 0),
                " (most: %s during suite %s)" % (pct(w["other_share"]), w["after"]) if w else ""))
        else:
            L.append("- Machine load during the run: not recorded (no CPU marks in cpu.tsv); load average "
                     "%s at the start" % (load.get("load_average_start") or "?"))
    L.append("")
    return L, H


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
    series = load_series(R)
    bound = (S["figures"].get(E2E_BOUND) or {}).get("value")
    ser_script, ser_why = plot_series(d, series, bound)
    plots["committed_series.png"] = gnuplot(ser_script, d) or ser_why
    load = machine_load(R)
    head, H = headline(R, S, lat_q, series, load)

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
               "figures": S["figures"], "commit_latency_ms": lat_q, "headline": H}
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)

    L = []
    w = L.append
    w("# Galaxy appliance benchmark report")
    w("")
    L += head
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
        for a in f.get("also", []):  # the same figure held to a further bound
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                k, m, fmt_metric(f.get("value"), m), a["baseline"], fmt_metric(a.get("baseline_value"), m),
                "%.4g" % a["factor"] if a.get("factor") is not None else a.get("factor_text", "-"),
                fmt_metric(a.get("bound"), m), "%.3f" % a["ratio"] if a.get("ratio") is not None else "-",
                pct(a.get("ratio_cv")), "ok" if a.get("ratio") is not None else
                "baseline %s not measured" % a["baseline"], "-"))
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
                       ("committed_series.png", "Committed transfers per second"),
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


def with_also(figs):
    """The figures, and each further pair of a figure as one more, named
    "FIGURE vs BASELINE" (e2e/committed_transfers against the verification bound)."""
    out = dict(figs)
    for k, f in figs.items():
        for a in f.get("also", []):
            e = dict(f)
            e.pop("also")
            e.update(a)
            out["%s vs %s" % (k, a["baseline"])] = e
    return out


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
    ofigs, nfigs = with_also(old["figures"]), with_also(new["figures"])
    keys = sorted(set(ofigs) | set(nfigs))
    for k in keys:
        o, n = ofigs.get(k), nfigs.get(k)
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
    if 4 <= len(argv) <= 7 and argv[1] == "series":
        return cmd_series(*argv[2:])
    die("usage: report.py plan PAIRS LIST MODE [LIST_ALL] | report DIR | compare OLD NEW | "
        "series RUN_LOCAL_LOG OUT [OFFERED [SCRAPE0 SCRAPE1]]")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
