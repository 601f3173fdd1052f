#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Packet-delivery modes compared under a request/response load, in the VM.

Runs as root in the guest that `make bench` boots with two virtio-net NICs
joined by a QEMU hub (scripts/bench.sh).  The first NIC serves, on
192.0.2.1; the second moves into a netns as the client's, on 192.0.2.2.
The server and its NIC's RX interrupt run on CPU 0; the client, its NIC's
interrupts and the server NIC's TX completions on CPU 1.

Modes: those of the IRQ-suspension study (the cover letter of "Suspend
IRQs during application busy periods", net-next v4 to v9, merged with
mainline 5dc51ec86df6 and its followers in 6.13), with X, the
gro-flush-timeout, swept over 10, 20, 50 and 200 us (--quick: 20):

  base      interrupts, no deferral, no busy polling
  deferX    defer-hard-irqs 100, gro-flush-timeout X
  napibusy  defer-hard-irqs 100, gro-flush-timeout 200 us; epoll
            (EPIOCSPARAMS) busy poll 64 us, budget 64, prefer_busy_poll;
            the application blocks in epoll_wait
  fullbusy  defer-hard-irqs 100, gro-flush-timeout 5 ms; epoll busy poll
            1000 us, budget 64, prefer_busy_poll, and epoll_wait waits at
            most 1 ms (the study's libevent patch): it sleeps only
            after a busy poll that found nothing, for at most 1 ms
  suspend0  defer-hard-irqs 0, gro-flush-timeout 0, irq-suspend-timeout
            20 ms; epoll busy poll 0 (one pass per epoll_wait), budget 64,
            prefer_busy_poll
  suspendX  defer-hard-irqs 100, gro-flush-timeout X, irq-suspend-timeout
            20 ms; epoll as suspend0

A request costs the TCG guest's server vCPU hundreds of microseconds
(320 to 1040 us at 25% load, make bench of 2026-12-05), and its timers
fire late: the microsecond times (gro-flush-timeout, busy poll, the epoll_wait
cap) are scaled by SCALE, and every scaled value is reported with the
scale.  irq-suspend-timeout (20 ms), counts and budgets are not scaled.

The NAPI settings go to the server queue with tools/net/ynl/napi-queue.py,
the epoll parameters to the server through bench/epoll_params.so
(LD_PRELOAD), so that an unmodified memcached runs every mode.

  bench.py matrix   OUT [--quick] [--reps N] [--workloads memcached,echo]
  bench.py fastpath OUT --reps N [--rate R]

matrix: the rate S at which the base mode saturates, then for each repetition and
each mode (the order rotated per repetition, so that drift favours none),
loads of 25%, 50% and 80% of S and, unless --quick, MAX: the highest rate
sustained (achieved >= 97% of offered, nothing lost) with p99 under
P99_BOUND_MS, searched from S/2 upwards (or downwards) in steps of 15%.
fastpath: the base mode only, without tracing: saturation and CPU per
request at rate R, for comparing kernels.  One JSON object per point is
appended to OUT/points.jsonl.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time

TOP = pathlib.Path(__file__).resolve().parents[1]
TREE = pathlib.Path(os.environ.get("TREE", TOP / "build/linux"))
BIN = pathlib.Path(os.environ.get("BENCH_BIN", TOP / "build/bench/bin"))
NS = "bench"
SRV_ADDR, CLI_ADDR = "192.0.2.1", "192.0.2.2"
SRV_CPU, CLI_CPU = 0, 1
PORT = {"memcached": 11211, "echo": 7777}

SCALE = int(os.environ.get("BENCH_SCALE", 10))
XS = (10, 20, 50, 200)		# the study's gro-flush-timeout sweep, us
QUICK_X = 20
SUSPEND_NS = 20 * 1000 * 1000	# not scaled: the guest honours 20 ms
BUDGET = 64
P99_BOUND_MS = float(os.environ.get("BENCH_P99_BOUND_MS", 50))
# Offered to find the saturation rate: above what the guest sustains, not
# so far above that the backlog takes long to answer.
SAT_RATE = int(os.environ.get("BENCH_SAT_RATE", 6000))
LOADS = (0.25, 0.5, 0.8)


def scenarios(xs):
    """name: the study's settings, its times in us (scaled when applied):
    defer-hard-irqs, gro_us, irq-suspend-timeout (ns), and the epoll
    parameters (None: no EPIOCSPARAMS) with the epoll_wait cap (us)."""
    def ep(busy_us, cap_us=None):
        return {"busy_poll_us": busy_us, "budget": BUDGET, "prefer": 1,
                "max_timeout_us": cap_us}

    s = {"base": (0, 0, 0, None)}
    s.update({f"defer{x}": (100, x, 0, None) for x in xs})
    s["napibusy"] = (100, 200, 0, ep(64))
    s["fullbusy"] = (100, 5000, 0, ep(1000, 1000))
    s["suspend0"] = (0, 0, SUSPEND_NS, ep(0))
    s.update({f"suspend{x}": (100, x, SUSPEND_NS, ep(0)) for x in xs})
    return s


SCENARIOS = scenarios(XS)


def server_env(name):
    """The server's epoll_params.so environment: the scaled epoll values."""
    ep = SCENARIOS[name][3]
    if not ep:
        return {}
    env = {"EP_BUSY_POLL_USECS": str(ep["busy_poll_us"] * SCALE),
           "EP_BUSY_POLL_BUDGET": str(ep["budget"]),
           "EP_PREFER_BUSY_POLL": str(ep["prefer"])}
    if ep["max_timeout_us"] is not None:
        env["EP_MAX_TIMEOUT_USECS"] = str(ep["max_timeout_us"] * SCALE)
    return env


def log(msg):
    print(f"bench: {msg}", flush=True)


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=True, check=check, text=True,
                          capture_output=True, **kw)


def write(path, val):
    with open(path, "w", encoding="utf-8") as f:
        f.write(str(val))


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


class Net:
    """The two NICs: the server's here, the client's in netns NS."""

    def __init__(self):
        nics = []
        for d in sorted(pathlib.Path("/sys/class/net").iterdir()):
            drv = pathlib.Path(d, "device/driver")
            if drv.exists() and drv.resolve().name == "virtio_net":
                nics.append(d.name)
        if len(nics) < 2 or os.cpu_count() < 2:
            sys.exit("bench: needs two virtio-net NICs and 2 CPUs (NICS=2)")
        self.srv, self.cli = nics[:2]
        for irq in self.irqs(self.srv, "input"):
            write(f"/proc/irq/{irq}/smp_affinity_list", SRV_CPU)
        for irq in (self.irqs(self.srv, "output") +
                    self.irqs(self.cli, "input") +
                    self.irqs(self.cli, "output")):
            write(f"/proc/irq/{irq}/smp_affinity_list", CLI_CPU)
        self.rx_irqs = self.irqs(self.srv, "input")
        sh(f"ip netns add {NS}; ip link set dev {self.cli} netns {NS}")
        sh(f"ip addr add {SRV_ADDR}/24 dev {self.srv}; "
           f"ip link set dev {self.srv} up; "
           f"ip -n {NS} addr add {CLI_ADDR}/24 dev {self.cli}; "
           f"ip -n {NS} link set dev {self.cli} up; "
           f"ip -n {NS} link set dev lo up")
        sh(f"ping -q -c 1 -w 10 {CLI_ADDR}")

    @staticmethod
    def irqs(dev, kind):
        vdev = pathlib.Path(f"/sys/class/net/{dev}/device").resolve().name
        return [ln.split()[0].rstrip(":") for ln in read_lines("/proc/interrupts")
                if re.search(rf"\s{vdev}-{kind}\.\d+$", ln.rstrip())]


class Counters:
    """What one point measures, read before and after the load."""

    TRACE = pathlib.Path("/sys/kernel/tracing")

    def __init__(self, net, trace, fork):
        self.net = net
        self.trace = trace
        self.ynl = None
        if fork:
            sys.path.append(str(TREE / "tools/net/ynl"))
            from lib import YnlFamily  # pylint: disable=import-outside-toplevel
            specs = TREE / "Documentation/netlink/specs"
            netdev = YnlFamily(str(specs / "netdev.yaml"), schema="")
            self.ynl = YnlFamily(str(specs / "napi-suspend.yaml"), schema="")
            ifindex = int(pathlib.Path(f"/sys/class/net/{net.srv}/ifindex").read_text())
            self.napi_id = netdev.do("queue-get", {"ifindex": ifindex, "type": "rx",
                                                   "id": 0})["napi-id"]
        if trace:
            ev = self.TRACE / "events/napi/napi_poll"
            write(self.TRACE / "buffer_size_kb", 64)
            write(ev / "filter", f'dev_name == "{net.srv}"')
            write(ev / "enable", 1)

    def read(self):
        """The /proc counters first, read before any parsing, so that they
        are taken within a few ms of each other (proc_ms); then the
        tracepoint's and the NAPI's, which take tens of ms under TCG."""
        t = time.monotonic()
        intr, softirqs, stat = (pathlib.Path(f).read_text().splitlines() for f in
                                ("/proc/interrupts", "/proc/softirqs", "/proc/stat"))
        c = {"time": t, "proc_ms": (time.monotonic() - t) * 1000, "irqs": 0}
        for ln in intr:
            f = ln.split()
            if f and f[0].rstrip(":") in self.net.rx_irqs:
                c["irqs"] += sum(int(x) for x in f[1:] if x.isdigit())
        for ln in softirqs:
            if ln.split()[0] == "NET_RX:":
                c["net_rx"] = int(ln.split()[1 + SRV_CPU])
        for ln in stat:
            f = ln.split()
            if f[0] == f"cpu{SRV_CPU}":
                v = [int(x) for x in f[1:9]]
                c["cpu_total"] = sum(v)
                c["cpu_idle"] = v[3] + v[4]
        if self.trace:
            c["polls"] = 0
            for st in self.TRACE.glob("per_cpu/cpu*/stats"):
                s = dict(ln.split(":", 1) for ln in read_lines(st))
                c["polls"] += int(s["entries"]) + int(s["overrun"])
        if self.ynl:
            n = self.ynl.do("napi-get", {"id": self.napi_id})
            for k in ("irq-suspends", "irq-suspend-resumes", "irq-suspend-expiries"):
                c[k.replace("-", "_")] = n[k]
        return c


def describe(name):
    """A mode's settings, each scaled time with the study's value and the
    scale: "gro-flush-timeout 200 us (20 us x10)"."""
    def t(us):
        if not us:
            return "0"
        v = us * SCALE
        return (f"{v // 1000} ms" if v % 1000 == 0 else f"{v} us") + f" ({us} us x{SCALE})"
    defer, gro_us, susp, ep = SCENARIOS[name]
    out = [f"defer-hard-irqs {defer}", f"gro-flush-timeout {t(gro_us)}",
           f"irq-suspend-timeout {susp // 10**6} ms" if susp else "irq-suspend-timeout 0"]
    if ep:
        out += [f"busy poll {t(ep['busy_poll_us'])}", f"budget {ep['budget']}",
                "prefer_busy_poll"]
        if ep["max_timeout_us"] is not None:
            out.append(f"epoll_wait at most {t(ep['max_timeout_us'])}")
    else:
        out.append("no epoll busy poll")
    return ", ".join(out)


def configure(net, name, fork):
    defer, gro_us, susp, _ = SCENARIOS[name]
    write("/proc/sys/net/core/busy_poll", 0)
    write("/proc/sys/net/core/busy_read", 0)
    if fork:
        sh(f"{TREE}/tools/net/ynl/napi-queue.py {net.srv} 0 "
           f"defer-hard-irqs {defer} gro-flush-timeout {gro_us * SCALE * 1000} "
           f"irq-suspend-timeout {susp}")
    elif defer or gro_us or susp:
        sys.exit(f"bench: {name} needs the fork's napi-set")


class Server:
    def __init__(self, workload, name):
        env = dict(os.environ, **server_env(name),
                   LD_PRELOAD=str(BIN / "epoll_params.so"))
        port = PORT[workload]
        if workload == "memcached":
            argv = (f"memcached -u root -t 1 -U 0 -l {SRV_ADDR} -p {port} "
                    "-m 64 -c 4096")
        else:
            argv = f"{BIN}/napi_echo -4 -a {SRV_ADDR} -p {port}"
        self.workload = workload
        self.proc = subprocess.Popen(f"exec taskset -c {SRV_CPU} {argv}", shell=True,
                                     env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 20
        while f":{port:X} " not in pathlib.Path("/proc/net/tcp").read_text():
            if self.proc.poll() is not None or time.monotonic() > end:
                sys.exit(f"bench: {workload} did not start: {self.proc.stderr.read()}")
            time.sleep(0.05)
        if workload == "memcached":	# the keys of the gets exist
            load(workload, 1000, 0.5, 0, preload=True)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load_cmd(workload, rate, secs, warmup, preload=False, drain=5, marks=False):
    port = PORT[workload]
    if workload == "memcached":
        prog = f"{BIN}/mcload -c 16 -k 10000 -K 30 -V 200 -g 0.9"
        if preload:
            prog += " -L"
    else:
        prog = f"{BIN}/napi_load -c 16 -s 64"
    if marks:
        prog += " -m"
    return (f"ip netns exec {NS} {prog} -4 -a {SRV_ADDR} -p {port} -r {rate:.0f} "
            f"-d {secs} -w {warmup} -e -C {CLI_CPU} -T {drain}")


def load(workload, rate, secs, warmup, preload=False):
    r = sh(load_cmd(workload, rate, secs, warmup, preload), check=False,
           timeout=secs + 60)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        sys.exit(f"bench: no report from the load generator: {r.stderr}")


def point(cnt, workload, rate, secs, warmup, drain=5):
    """Counters over the load's own measured window: read when the load
    generator marks its start and its end (from the end of the warm-up to
    the end of the schedule).  How late each read began after its mark,
    and how long it took, is kept in the counts (lag_start_ms, lag_end_ms,
    read_start_ms, read_end_ms; proc_start_ms, proc_end_ms for the /proc
    part): the reads run on the load generator's CPU.  A load generator still running drain + 60 s after its schedule
    ended is killed."""
    snap, lag, took, rep = {}, {}, {}, None
    with tempfile.TemporaryFile(mode="w+") as err:
        p = subprocess.Popen(load_cmd(workload, rate, secs, warmup, drain=drain,
                                      marks=True),
                             shell=True, stdout=subprocess.PIPE, stderr=err, text=True)
        watchdog = threading.Timer(secs + drain + 60, p.kill)
        watchdog.start()
        try:
            for ln in p.stdout:
                t = time.monotonic_ns()
                try:
                    j = json.loads(ln)
                except ValueError:
                    continue
                if "window" in j:
                    snap[j["window"]] = cnt.read()
                    lag[j["window"]] = (t - j["ns"]) / 1e6
                    took[j["window"]] = (time.monotonic_ns() - t) / 1e6
                else:
                    rep = j
            p.wait()
        finally:
            watchdog.cancel()
            if p.poll() is None:
                p.kill()
                p.wait()
        err.seek(0)
        if rep is None or set(snap) != {"start", "end"}:
            sys.exit(f"bench: no report or window from the load generator: {err.read()}")
    a, b = snap["start"], snap["end"]
    d = {k: b[k] - a[k] for k in a if k != "proc_ms"}
    d["proc_start_ms"], d["proc_end_ms"] = a["proc_ms"], b["proc_ms"]
    busy = d.pop("cpu_total") - d.pop("cpu_idle")
    total = b["cpu_total"] - a["cpu_total"]
    d["cpu"] = busy / total if total else 0.0
    d["lag_start_ms"], d["lag_end_ms"] = lag["start"], lag["end"]
    d["read_start_ms"], d["read_end_ms"] = took["start"], took["end"]
    return rep, d


def record(out, **kw):
    with open(out / "points.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(kw) + "\n")


def summary(rep, d):
    n = max(rep["measured"], 1)
    return (f"qps {rep['qps']:7.0f} p50 {rep['lat_us']['p50'] / 1000:7.2f} "
            f"p99 {rep['lat_us']['p99'] / 1000:7.2f} ms cpu {d['cpu'] * 100:3.0f}% "
            f"cpu/req {cpu_us_per_req(rep, d):5.0f} us "
            f"irq/req {d['irqs'] / n:.3f} softirq/req {d['net_rx'] / n:.3f}"
            + (f" polls/req {d['polls'] / n:.2f}" if "polls" in d else ""))


def cpu_us_per_req(rep, d):
    """Server vCPU time per request in the window, us: the study's cycles
    per query."""
    return d["cpu"] * d["time"] / max(rep["completed"], 1) * 1e6


def sustained(rep, rate):
    return (rep["qps"] >= 0.97 * rate and rep["lost"] + rep["errors"] == 0
            and rep["lat_us"]["p99"] <= P99_BOUND_MS * 1000)


def saturation(cnt, net, workload, fork, secs, offered=SAT_RATE):
    """The rate at which the base mode saturates: OFFERED, well above it,
    for SECS without warm-up and every answer awaited, so that the server
    is busy from the first request to the last answer: the answers over
    that time."""
    configure(net, "base", fork)
    srv = Server(workload, "base")
    try:
        rep, d = point(cnt, workload, offered, secs, 0, drain=60)
    finally:
        srv.stop()
    log(f"{workload} base saturates at {rep['qps']:.0f} requests/s: {summary(rep, d)}")
    return rep, d


def matrix(args, net, cnt):
    secs, warmup = (2, 0.5) if args.quick else (args.secs, 1)
    names = list(scenarios((QUICK_X,)) if args.quick else SCENARIOS)
    for workload in args.workloads.split(","):
        rep, d = saturation(cnt, net, workload, True, secs + 1)
        sat = rep["qps"]
        record(args.out, workload=workload, scenario="base", load="saturation",
               rate=rep["rate"], rep=0, report=rep, counts=d)
        loads = (0.25, 0.8) if args.quick else LOADS
        for r in range(args.reps):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                configure(net, name, True)
                srv = Server(workload, name)
                try:
                    for frac in loads:
                        rate = sat * frac
                        rep, d = point(cnt, workload, rate, secs, warmup)
                        log(f"{workload} {name:11} {frac * 100:3.0f}% rep {r} {summary(rep, d)}")
                        record(args.out, workload=workload, scenario=name,
                               load=f"{frac * 100:.0f}%", rate=rate, rep=r,
                               report=rep, counts=d)
                    if not args.quick and workload == "memcached":
                        max_search(args, cnt, workload, name, r, sat, secs, warmup)
                finally:
                    srv.stop()


def max_search(args, cnt, workload, name, r, sat, secs, warmup):
    """MAX: rates from S/2 up by 15% until one is not sustained; if S/2
    itself is not, down by 15% until one is."""
    best, rate, up = None, sat / 2, None
    for _ in range(10):
        rep, d = point(cnt, workload, rate, secs, warmup)
        ok = sustained(rep, rate)
        log(f"{workload} {name:11} MAX? {rate:7.0f} {'ok ' if ok else 'no '} {summary(rep, d)}")
        if up is None:
            up = ok
        if ok:
            best = (rep, d, rate)
        if ok != up:
            break
        rate *= 1.15 if up else 1 / 1.15
    if best:
        record(args.out, workload=workload, scenario=name, load="MAX",
               rate=best[2], rep=r, report=best[0], counts=best[1])
    else:
        record(args.out, workload=workload, scenario=name, load="MAX",
               rate=0, rep=r, report=None, counts=None)


def fastpath(args, net, cnt):
    """The base mode on whatever kernel this is: the saturation rate
    (saturation() at eight times the fixed rate), then CPU per request at
    the fixed rate, alternately."""
    kernel = os.uname().release
    for r in range(args.reps):
        rep, d = saturation(cnt, net, "memcached", False, args.secs,
                            offered=8 * args.rate)
        record(args.out, kernel=kernel, kind="saturation", rep=r, report=rep, counts=d)
        srv = Server("memcached", "base")
        try:
            rep, d = point(cnt, "memcached", args.rate, args.secs, 1)
        finally:
            srv.stop()
        log(f"fixed rate {args.rate}: {summary(rep, d)}")
        record(args.out, kernel=kernel, kind="fixed", rep=r, report=rep, counts=d)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("matrix", "fastpath"))
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--secs", type=float, default=3)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--workloads", default="memcached,echo")
    args = ap.parse_args()

    os.sched_setaffinity(0, {CLI_CPU})	# off the server's CPU
    net = Net()
    fork = args.mode == "matrix"
    cnt = Counters(net, trace=fork, fork=fork)
    modes = scenarios((QUICK_X,)) if args.quick or not fork else SCENARIOS
    log(f"kernel {os.uname().release}; server {net.srv} (IRQs {','.join(net.rx_irqs)}) "
        f"CPU {SRV_CPU}, client {net.cli} CPU {CLI_CPU}; the study's microseconds "
        f"x{SCALE}, irq-suspend-timeout {SUSPEND_NS} ns not scaled")
    for name in modes:
        log(f"mode {name}: {describe(name)}")
    meta = {"kernel": os.uname().release, "mode": args.mode, "quick": args.quick,
            "scale": SCALE, "suspend_ns": SUSPEND_NS, "p99_bound_ms": P99_BOUND_MS,
            "scenarios": list(modes), "reps": args.reps, "secs": args.secs,
            "settings": {n: SCENARIOS[n] for n in modes},
            "described": {n: describe(n) for n in modes}}
    (args.out / f"meta-{args.mode}.json").write_text(json.dumps(meta) + "\n")
    if fork:
        matrix(args, net, cnt)
    else:
        fastpath(args, net, cnt)


if __name__ == "__main__":
    main()
