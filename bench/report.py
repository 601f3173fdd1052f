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
import statistics
import sys

METRICS = (  # key, column, format
    ("qps", "qps", "{:.0f}"),
    ("avg_ms", "avglat ms", "{:.2f}"),
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p95_ms", "p95 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("cpu", "cpu %", "{:.0f}"),
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
         "cpu_us_per_req": c["cpu"] * c["time"] / n * 1e6,
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
            if p["load"] == "saturation" or p["report"] is None:
                continue
            groups.setdefault((p["workload"], p["scenario"], p["load"]),
                              []).append(figures(p))
        for key, fs in groups.items():
            self.reps[key] = len(fs)
            self.rows[key] = {m: agg([f[m] for f in fs]) for m in fs[0]}
        self.workloads = list(dict.fromkeys(p["workload"] for p in self.points))
        self.loads = {w: list(dict.fromkeys(p["load"] for p in self.points
                                            if p["workload"] == w and
                                            p["load"] != "saturation"))
                      for w in self.workloads}

    def get(self, w, s, load, m):
        r = self.rows.get((w, s, load))
        return r[m][0] if r and m in r else None

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
             f"Busy poll {m['busy_poll_usecs']} us, budget 64, gro-flush-timeout "
             f"{m['gro_ns'] // 1000} us, irq-suspend-timeout {m['suspend_ns'] // 10**6} ms: "
             f"the original's microsecond values x{m['scale']}, because the guest's "
             "timers and CPU cannot honour them.  napibusy is a stand-in "
             "(net.core.busy_poll, the application blocks in epoll_wait): 6.12 has "
             "no threaded NAPI busy polling.  suspend0 has gro-flush-timeout 0, "
             "without which suspension has no effect (as in mainline): the "
             "suspend modes' busy polling with interrupts re-enabled.  MAX: the highest rate sustained "
             f"(>= 97% achieved, no loss) with p99 <= {m['p99_bound_ms']:g} ms.  "
             f"Median of {m['reps']} repetitions, ±: half the range.",
             ""]
    for w in mx.workloads:
        sat = mx.saturation(w)
        lines.append(f"**{w}** (base saturates at {statistics.median(sat):.0f} requests/s)")
        lines.append("")
        cols = [c for k, c, _ in METRICS if any(k in r for r in mx.rows.values())]
        lines.append("| testcase | load | " + " | ".join(cols) + " |")
        lines.append("|---|---|" + "---:|" * len(cols))
        for s in m["scenarios"]:
            for load in mx.loads[w]:
                r = mx.rows.get((w, s, load))
                if not r:
                    continue
                vals = [cell(r.get(k), fmt, spread=k in ("qps", "p99_ms", "cpu"))
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
    """The issue's targets, met or not, with the figures."""
    w = "memcached"
    sus = [s for s in mx.meta["scenarios"] if s.startswith("suspend") and s != "suspend0"][0]
    dfr = [s for s in mx.meta["scenarios"] if s.startswith("defer")][0]
    g = lambda s, load, m: mx.get(w, s, load, m)  # noqa: E731
    out = []

    def check(what, val, ok):
        out.append(f"- {'met' if ok else 'NOT met'}: {what} ({val})")

    if g(sus, "80%", "irq") is not None:
        v = g(sus, "80%", "irq")
        check(f"80%: {sus} irq/req <= 0.01", f"{v:.4f}", v <= 0.01)
        a, b = g(sus, "80%", "softirq"), g(dfr, "80%", "softirq")
        check(f"80%: {sus} softirq/req <= 0.5 x {dfr}'s", f"{a:.3f} vs {b:.3f}", a <= 0.5 * b)
        a, b = g(sus, "80%", "p99_ms"), g(dfr, "80%", "p99_ms")
        check(f"80%: {sus} p99 <= {dfr}'s", f"{a:.2f} vs {b:.2f} ms", a <= b)
    if g(sus, "25%", "cpu") is not None:
        a, b, c = g(sus, "25%", "cpu"), g(dfr, "25%", "cpu"), g("fullbusy", "25%", "cpu")
        check(f"25%: {sus} cpu <= 1.2 x {dfr}'s", f"{a:.0f}% vs {b:.0f}%", a <= 1.2 * b)
        check(f"25%: {sus} cpu <= 0.5 x fullbusy's", f"{a:.0f}% vs {c:.0f}%", a <= 0.5 * c)
    if g(sus, "MAX", "qps") is not None:
        a, b = g(sus, "MAX", "qps"), g("base", "MAX", "qps")
        check(f"MAX: {sus} >= base", f"{a:.0f} vs {b:.0f} qps", a >= b)
    if fp:
        cpu = statistics.median(fp["fork"]["cpu"]) / statistics.median(fp["stock"]["cpu"])
        sat = statistics.median(fp["fork"]["sat"]) / statistics.median(fp["stock"]["sat"])
        check("fast path: CPU per request within 2% of stock", f"ratio {cpu:.3f}",
              abs(cpu - 1) <= 0.02)
        check("fast path: saturation qps within 2% of stock", f"ratio {sat:.3f}",
              abs(sat - 1) <= 0.02)
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
