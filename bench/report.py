#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table, CSV and plot of a `make bench` run (see bench/bench.py).

  report.py DIR [--quick]

Reads DIR/matrix/points.jsonl and DIR/fastpath-*/points.jsonl; writes
DIR/table.md (printed too), DIR/results.csv and DIR/bench.png.  Each
cell is the median over the repetitions, with the spread: the half-range
in percent of the median ("812 ±3%").  Per-request figures divide the
counters of the measured window by the requests due in it.  --quick only
checks that every mode produced numbers at every load.
"""

import argparse
import csv
import datetime
import json
import os
import pathlib
import platform
import re
import statistics
import sys

REF_X = 20	# the defer mode that modes without an X compare with

METRICS = (  # key, column, format
    ("qps", "qps", "{:.0f}"),
    ("avg_ms", "avglat ms", "{:.2f}"),
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p95_ms", "p95 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("cpu", "cpu %", "{:.0f}"),
    ("cpu_us_per_req", "cpu us/req", "{:.0f}"),
    ("vs_defer", "cpu/req ÷ defer", "{:.2f}"),
    ("vs_fullbusy", "cpu/req ÷ fullbusy", "{:.2f}"),
    ("irq", "irq/req", "{:.3f}"),
    ("softirq", "softirq/req", "{:.3f}"),
    ("polls", "polls/req", "{:.2f}"),
    ("suspends", "suspends/req", "{:.3f}"),
)


def figures(p):
    rep, c = p["report"], p["counts"]
    n = max(rep["measured"], 1)
    f = {"qps": rep["qps"], "avg_ms": rep["lat_us"]["mean"] / 1000,
         "p50_ms": rep["lat_us"]["p50"] / 1000,
         "p95_ms": rep["lat_us"]["p95"] / 1000,
         "p99_ms": rep["lat_us"]["p99"] / 1000, "cpu": c["cpu"] * 100,
         "irq": c["irqs"] / n, "softirq": c["net_rx"] / n,
         "cpu_us_per_req": c["cpu"] * c["time"] / max(rep["completed"], 1) * 1e6,
         "errors": rep["errors"] + rep["lost"]}
    if "polls" in c:
        f["polls"] = c["polls"] / n
    if "irq_suspends" in c:
        f["suspends"] = c["irq_suspends"] / n
    return f


def load_points(path):
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(ln) for ln in f if ln.strip()]


def agg(vals):
    med = statistics.median(vals)
    half = (max(vals) - min(vals)) / 2
    return med, min(vals), max(vals), (100 * half / med if med else 0.0)


def cell(a, fmt, spread=True):
    if a is None:
        return "-"
    s = fmt.format(a[0])
    return f"{s} ±{a[3]:.0f}%" if spread and len(a) > 1 and a[3] >= 0.5 else s


class Matrix:
    def __init__(self, d):
        self.meta = json.loads((d / "matrix/meta-matrix.json").read_text())
        self.points = load_points(d / "matrix/points.jsonl")
        self.rows = {}	# (workload, scenario, load) -> {metric: agg}
        self.reps = {}
        groups = {}
        for p in self.points:
            if p["load"] == "saturation":
                continue
            # a MAX search that sustained no rate: 0 requests/s
            f = figures(p) if p["report"] is not None else {"qps": 0.0}
            groups.setdefault((p["workload"], p["scenario"], p["load"]), []).append(f)
        for key, fs in groups.items():
            self.reps[key] = len(fs)
            self.rows[key] = {m: agg([f[m] for f in fs if m in f])
                              for m in dict.fromkeys(k for f in fs for k in f)}
        self.workloads = list(dict.fromkeys(p["workload"] for p in self.points))
        self.loads = {w: list(dict.fromkeys(p["load"] for p in self.points
                                            if p["workload"] == w and
                                            p["load"] != "saturation"))
                      for w in self.workloads}

    def get(self, w, s, load, m):
        r = self.rows.get((w, s, load))
        return r[m][0] if r and m in r else None

    def agg(self, w, s, load, m):
        r = self.rows.get((w, s, load))
        return r[m] if r and m in r else None

    def defer_of(self, s):
        """The deferral mode @s compares with: deferX for suspendX, else
        defer20 (the study's usual X)."""
        x = re.fullmatch(r"(?:defer|suspend)(\d+)", s)
        d = f"defer{x.group(1) if x and x.group(1) != '0' else REF_X}"
        return d if d in self.meta["scenarios"] else None

    def ratio(self, w, s, load, ref):
        a, b = self.get(w, s, load, "cpu_us_per_req"), self.get(w, ref, load, "cpu_us_per_req")
        return (a / b,) if ref and a is not None and b else None

    def saturation(self, w):
        return [p["report"]["qps"] for p in self.points
                if p["workload"] == w and p["load"] == "saturation"]


def fastpath(d):
    res = {}
    for kind in ("fork", "stock"):
        pts = []
        for sub in sorted(d.glob(f"fastpath-{kind}-*")):
            pts += load_points(sub / "points.jsonl")
        if pts:
            res[kind] = {
                "kernel": pts[0]["kernel"],
                "sat": [p["report"]["qps"] for p in pts if p["kind"] == "saturation"],
                "cpu": [figures(p)["cpu_us_per_req"] for p in pts if p["kind"] == "fixed"],
                "rate": [p["report"]["rate"] for p in pts if p["kind"] == "fixed"],
            }
    return res if len(res) == 2 else None


def table(mx, fp, quick):
    m = mx.meta
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"`make bench{' QUICK=1' if quick else ''}`, {now}: kernel {m['kernel']} "
             f"in a QEMU TCG guest (2 vCPUs, two virtio-net NICs on a hub) on "
             f"{platform.node()} ({os.cpu_count()} host CPUs, "
             f"{platform.processor() or platform.machine()}).",
             "",
             "Modes: the IRQ-suspension study's, its microsecond times scaled by "
             f"{m['scale']} (each shown with the study's value), because the guest's "
             "timers and CPU cannot honour them; irq-suspend-timeout is not "
             "scaled.",
             "",
             "| mode | settings |",
             "|---|---|"] + [f"| {s} | {m.get('described', {}).get(s, '?')} |"
                                       for s in m["scenarios"]] + [
             "",
             "MAX: the highest rate sustained (>= 97% achieved, no loss) with p99 <= "
             f"{m['p99_bound_ms']:g} ms.  Median of {m['reps']} "
             f"repetition{'s' if m['reps'] != 1 else ''}, ±: half "
             "the range.  cpu us/req: the server vCPU's busy time per request (the "
             "study's cycles per query); ÷ defer: that over deferX's for suspendX "
             f"and deferX, over defer{REF_X}'s for the others; ÷ fullbusy: over "
             "fullbusy's, at the same load.  Counters are read when the load "
             "generator marks the start and the end of its measured window.",
             ""]
    for w in mx.workloads:
        sat = mx.saturation(w)
        lines.append(f"**{w}** (base saturates at {statistics.median(sat):.0f} requests/s)")
        lines.append("")
        cols = [c for k, c, _ in METRICS if k.startswith("vs_") or
                any(k in r for r in mx.rows.values())]
        lines.append("| testcase | load | " + " | ".join(cols) + " |")
        lines.append("|---|---|" + "---:|" * len(cols))
        for s in m["scenarios"]:
            for load in mx.loads[w]:
                r = mx.rows.get((w, s, load))
                if not r:
                    continue
                r = dict(r, vs_defer=mx.ratio(w, s, load, mx.defer_of(s)),
                         vs_fullbusy=mx.ratio(w, s, load, "fullbusy"))
                vals = [cell(r.get(k), fmt, spread=k in ("qps", "p99_ms", "cpu",
                                                         "cpu_us_per_req"))
                        for k, c, fmt in METRICS if c in cols]
                lines.append(f"| {s} | {load} | " + " | ".join(vals) + " |")
        lines.append("")
    if fp:
        f, s = fp["fork"], fp["stock"]
        cpu = statistics.median(f["cpu"]) / statistics.median(s["cpu"])
        sat = statistics.median(f["sat"]) / statistics.median(s["sat"])
        lines += [f"**Fast path** (base mode, memcached, kernels booted alternately): "
                  f"{f['kernel']} with every feature off against stock {s['kernel']}.",
                  "",
                  "| | CPU us/request at {:.0f}/s | saturation qps |".format(f["rate"][0]),
                  "|---|---:|---:|",
                  "| stock | {} | {} |".format(
                      " ".join(f"{x:.0f}" for x in s["cpu"]),
                      " ".join(f"{x:.0f}" for x in s["sat"])),
                  "| fork | {} | {} |".format(
                      " ".join(f"{x:.0f}" for x in f["cpu"]),
                      " ".join(f"{x:.0f}" for x in f["sat"])),
                  f"| fork / stock (medians) | {cpu:.3f} | {sat:.3f} |", ""]
    return lines


def targets(mx, fp):
    """The targets for every suspendX against deferX, with the median and
    the range [min..max] of the repetitions: met or NOT met when every
    repetition agrees, else unresolved."""
    w = "memcached"
    out = []

    def check(what, a, b, k, unit, fmt="{:.3f}", ge=False):
        """a <= k * b (a >= k * b with @ge): a and b aggregates (median,
        min, max, spread%), or b a bare bound."""
        if a is None or b is None:
            out.append(f"- no data: {what}")
            return
        bm, blo, bhi = (b[0], b[1], b[2]) if isinstance(b, tuple) else (b, b, b)
        if ge:
            med, sure, never = a[0] >= k * bm, a[1] >= k * bhi, a[2] < k * blo
        else:
            med, sure, never = a[0] <= k * bm, a[2] <= k * blo, a[1] > k * bhi
        if sure:
            verdict = "met"
        elif never:
            verdict = "NOT met"
        else:
            verdict = f"unresolved, the ranges straddle the bound (the median {'meets' if med else 'misses'} it)"
        fig = f"{fmt.format(a[0])} [{fmt.format(a[1])}..{fmt.format(a[2])}]{unit}"
        if isinstance(b, tuple):
            fig += f" vs {fmt.format(b[0])} [{fmt.format(b[1])}..{fmt.format(b[2])}]{unit}"
        out.append(f"- {verdict}: {what}: {fig}")

    g = lambda s, load, m: mx.agg(w, s, load, m)  # noqa: E731
    for sus in [s for s in mx.meta["scenarios"] if re.fullmatch(r"suspend[1-9]\d*", s)]:
        dfr = mx.defer_of(sus)
        check(f"80%: {sus} irq/req <= 0.01", g(sus, "80%", "irq"), 0.01, 1, "")
        check(f"80%: {sus} softirq/req <= 0.5 x {dfr}'s", g(sus, "80%", "softirq"),
              g(dfr, "80%", "softirq"), 0.5, "")
        check(f"80%: {sus} p99 <= {dfr}'s", g(sus, "80%", "p99_ms"), g(dfr, "80%", "p99_ms"),
              1, " ms", "{:.2f}")
        check(f"25%: {sus} cpu/req <= 1.2 x {dfr}'s", g(sus, "25%", "cpu_us_per_req"),
              g(dfr, "25%", "cpu_us_per_req"), 1.2, " us", "{:.0f}")
        check(f"25%: {sus} cpu/req <= 0.5 x fullbusy's", g(sus, "25%", "cpu_us_per_req"),
              g("fullbusy", "25%", "cpu_us_per_req"), 0.5, " us", "{:.0f}")
        check(f"MAX: {sus} >= base", g(sus, "MAX", "qps"), g("base", "MAX", "qps"), 1,
              " qps", "{:.0f}", ge=True)
    for key, what in (("cpu", "CPU per request"), ("sat", "saturation qps")):
        if not fp:
            break
        f, st = fp["fork"][key], fp["stock"][key]
        med = statistics.median(f) / statistics.median(st)
        lo, hi = min(f) / max(st), max(f) / min(st)
        if 0.98 <= lo and hi <= 1.02:
            verdict = "met"
        elif hi < 0.98 or lo > 1.02:
            verdict = "NOT met"
        else:
            verdict = ("unresolved, the ranges straddle the bound (the median "
                       f"{'meets' if abs(med - 1) <= 0.02 else 'misses'} it)")
        out.append(f"- {verdict}: fast path: {what} within 2% of stock: fork / stock "
                   f"{med:.3f} [{lo:.3f}..{hi:.3f}]")
    return out


def plot(mx, path):
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    fig, axes = plt.subplots(len(mx.workloads), 2, squeeze=False,
                             figsize=(11, 4 * len(mx.workloads)))
    for i, w in enumerate(mx.workloads):
        for j, (m, label) in enumerate((("p99_ms", "p99 latency (ms)"),
                                        ("cpu", "server vCPU (%)"))):
            ax = axes[i][j]
            for s in mx.meta["scenarios"]:
                pts = sorted((mx.get(w, s, ld, "qps"), mx.get(w, s, ld, m))
                             for ld in mx.loads[w] if ld != "MAX" and
                             mx.get(w, s, ld, m) is not None)
                if pts:
                    ax.plot(*zip(*pts), marker="o", label=s)
            ax.set_xlabel("achieved requests/s")
            ax.set_ylabel(label)
            ax.set_title(w)
            if m == "p99_ms":
                ax.set_yscale("log")
            ax.grid(True, alpha=0.3)
        axes[i][0].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_csv(mx, path):
    keys = sorted({k for r in mx.rows.values() for k in r})
    with open(path, "w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f)
        wr.writerow(["workload", "scenario", "load", "reps"] +
                    [f"{k}_{s}" for k in keys for s in ("median", "min", "max")])
        for (w, s, load), r in mx.rows.items():
            wr.writerow([w, s, load, mx.reps[(w, s, load)]] +
                        [f"{x:.6g}" if k in r else ""
                         for k in keys for x in (r[k][:3] if k in r else ("", "", ""))])


def smoke(mx):
    """Every mode produced numbers at every load."""
    bad = []
    for w in mx.workloads:
        for s in mx.meta["scenarios"]:
            for load in mx.loads[w]:
                r = mx.rows.get((w, s, load))
                if not r or not r["qps"][0] > 0 or not r["p99_ms"][0] > 0:
                    bad.append(f"{w} {s} {load}")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    mx = Matrix(args.dir)
    if not mx.points:
        sys.exit("report: no points measured")
    fp = None if args.quick else fastpath(args.dir)
    lines = table(mx, fp, args.quick)
    if not args.quick:
        lines += ["Targets:", ""] + targets(mx, fp) + [""]
    (args.dir / "table.md").write_text("\n".join(lines))
    print("\n".join(lines))
    write_csv(mx, args.dir / "results.csv")
    plot(mx, args.dir / "bench.png")
    print(f"report: {args.dir}/table.md, results.csv, bench.png")
    bad = smoke(mx)
    if bad:
        sys.exit("report: no numbers for: " + ", ".join(bad))


if __name__ == "__main__":
    main()
