#!/usr/bin/env python3
"""End-to-end benchmarks of a Release budgetd with budgetd-loadgen on the same machine.

Usage: bench/e2e.py BUILD_DIR [--runs 3] [--duration 5] [--groups ingest,fsync,many,spread,huge]

Starts budgetd on generated configs (100 ratio SLOs, default alert rules, fsync interval unless
said otherwise; 10,000 SLOs for the scrape, list and start-up rows; 1,000 for the spread and
disk rows; 100,000 for the scale rows), drives it with budgetd-loadgen (and wrk, with the same
body, where it is installed), and prints a markdown table of medians of --runs runs next to the
targets of issues 5, 11 and 17. Each figure's command is printed above the table.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import shutil
import threading
import urllib.request

PORT = 18080


def sh(cmd):
    print("$ " + " ".join(cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


class Budgetd:
    def __init__(self, build, slos, fsync, data):
        self.build, self.data = build, data
        self.config = os.path.join(data, "budgetd.yaml")
        os.makedirs(data, exist_ok=True)
        sh([f"{build}/bench/budgetd-loadgen", "--write-config", self.config, "--slos", str(slos),
            "--port", str(PORT), "--fsync", fsync, "--data", os.path.join(data, "store")])
        self.proc = None

    def start(self):
        t0 = time.monotonic()
        self.proc = subprocess.Popen([f"{self.build}/src/budgetd", "serve", "--config", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except Exception:
                pass
            if self.proc.poll() is not None:
                raise SystemExit("budgetd exited at start-up")
            time.sleep(0.01)

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def post(self, path):
        req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.load(r)

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=60) as r:
            return json.load(r)

    def metric(self, name):
        """The sum of every sample of `name` (any labels) in GET /metrics."""
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=600) as r:
            text = r.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def written_bytes(self):
        """Bytes this process passed to write(2) and friends so far (/proc/PID/io wchar)."""
        with open(f"/proc/{self.proc.pid}/io") as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=120)


def loadgen(build, *args):
    out = sh([f"{build}/bench/budgetd-loadgen", "--port", str(PORT), *map(str, args)])
    return json.loads(out)


def wrk_events_per_s(build, tmp, d, slos, ts):
    """wrk posting budgetd-loadgen's own first batch body (1,000 events), 4 connections, 1 thread."""
    if shutil.which("wrk") is None:
        return None
    body = os.path.join(tmp, f"body-{slos}-{int(ts)}.json")
    sh([f"{build}/bench/budgetd-loadgen", "--write-body", body, "--batch", "1000", "--slos", str(slos),
        *([] if ts else ["--no-ts"])])
    script = os.path.join(tmp, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f'local f = io.open("{body}", "rb")\nwrk.body = f:read("*a")\nf:close()\n'
                'done = function(summary, latency, requests)\n'
                '  io.write(string.format("REQUESTS %d ERRORS %d SECONDS %f\\n", summary.requests,\n'
                '    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write\n'
                '    + summary.errors.timeout, summary.duration / 1e6))\nend\n')
    out = sh(["wrk", "-t1", "-c4", f"-d{d}", "-s", script, f"http://127.0.0.1:{PORT}/v1/events"])
    fields = out.split("REQUESTS", 1)[1].split()
    requests, errors, seconds = int(fields[0]), int(fields[2]), float(fields[4])
    if errors:
        raise SystemExit(f"wrk saw {errors} errors: {out}")
    return requests * 1000 / seconds


def median(runs, key):
    return statistics.median(key(r) for r in runs)


def scrape_rows(b, srv, n, d):
    """GET /metrics and /v1/slos with 10,000 SLOs, and /healthz while two scrapes run (issue 11 #4)."""
    rows = []
    one = [loadgen(b, "--connections", 0, "--scrapers", 1, "--duration", d, "--slos", 10_000) for _ in range(n)]
    rows.append(("one `/metrics` scrape of 10,000 SLOs (back to back on one connection, read whole)",
                 f"{median(one, lambda r: r['scrape_latency']['p50_ms']):.1f} ms, "
                 f"{one[0]['scrape_bytes'] / 1e6:.1f} MB", "<= 250 ms"))
    two = [loadgen(b, "--connections", 0, "--scrapers", 2, "--probe-rate", 200, "--query-rate", 200,
                   "--duration", d, "--slos", 10_000) for _ in range(n)]
    rows.append(("`/healthz` while two `/metrics` scrapes of 10,000 SLOs run (200 probes/s)",
                 f"p99 {median(two, lambda r: r['healthz_latency']['p99_ms']):.2f} ms, "
                 f"max {median(two, lambda r: r['healthz_latency']['max_ms']):.2f} ms; each scrape "
                 f"{median(two, lambda r: r['scrape_latency']['p50_ms']):.1f} ms", "<= 10 ms"))
    rows.append(("status and gate during those scrapes (200 queries/s)",
                 f"p99 {median(two, lambda r: r['status_latency']['p99_ms']):.2f} / "
                 f"{median(two, lambda r: r['gate_latency']['p99_ms']):.2f} ms", "report"))
    busy = [loadgen(b, "--connections", 4, "--batch", 1000, "--scrapers", 2, "--probe-rate", 200,
                    "--duration", d, "--slos", 10_000) for _ in range(n)]
    rows.append(("`/healthz` while two scrapes and closed-loop ingest (4 connections, batches of 1,000) run",
                 f"p99 {median(busy, lambda r: r['healthz_latency']['p99_ms']):.2f} ms; ingest "
                 f"{median(busy, lambda r: r['events_per_s']):,.0f} events/s", "report"))
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=60) as r:
        tick = [line for line in r.read().decode().splitlines()
                if line.startswith("budgetd_slo_evaluation_duration_seconds ")]
    rows.append(("one evaluation tick of 10,000 SLOs, with the `/metrics` rendering (budgetd's own gauge)",
                 f"{float(tick[0].split()[1]) * 1000:.0f} ms", "report"))
    times, size = [], 0
    for _ in range(n):
        t0 = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/v1/slos", timeout=600) as r:
            size = len(r.read())
        times.append(time.monotonic() - t0)
    rows.append(("`GET /v1/slos` of 10,000 SLOs (evaluated 64 at a time on the read executor)",
                 f"{statistics.median(times) * 1000:.0f} ms, {size / 1e6:.1f} MB", "report"))
    return rows


def ts_rows(b, n, d, ceilings, tmp):
    """Ingest of events with and without a `ts`, by budgetd-loadgen and by wrk on the same body, each
    against the in-process ceiling of its own shape (issue 17)."""
    rows = []
    shapes = {True: [], False: [], "wrk-ts": [], "wrk-nots": []}
    for _ in range(n):  # interleaved, so a noisy minute hits both shapes alike
        for ts in (True, False):
            shapes[ts].append(loadgen(b, "--connections", 4, "--batch", 1000, "--duration", d, "--slos", 100,
                                      *([] if ts else ["--no-ts"]))["events_per_s"])
            w = wrk_events_per_s(b, tmp, d, 100, ts)
            if w is not None:
                shapes["wrk-ts" if ts else "wrk-nots"].append(w)
    for ts in (True, False):
        e, ceiling = statistics.median(shapes[ts]), ceilings[ts]
        bench = "BM_IngestBatch/1000" if ts else "BM_IngestBatchNoTs/1000"
        rows.append((f"end-to-end ingest, batches of 1,000 {'with' if ts else 'without'} `ts`, budgetd-loadgen",
                     f"{e:,.0f} events/s, {e / ceiling:.2f} of its ceiling ({bench}, {ceiling:,.0f})",
                     ">= 0.9 of the ceiling with `ts`"))
        wk = shapes["wrk-ts" if ts else "wrk-nots"]
        if wk:
            e = statistics.median(wk)
            rows.append((f"the same body {'with' if ts else 'without'} `ts`, wrk (1 thread, 4 connections)",
                         f"{e:,.0f} events/s, {e / ceiling:.2f} of its ceiling", ">= 0.9 of the ceiling with `ts`"))
    return rows


def spread_rows(b, n, d, tmp):
    """Batches spread over 1,000 SLOs against 10, and the disk each accepted event costs (issue 17)."""
    rows = []
    srv = Budgetd(b, 1000, "interval", os.path.join(tmp, "spread"))
    srv.start()
    try:
        narrow, wide, per_event, wchar_per_event, peaks = [], [], [], [], []
        for _ in range(n):
            narrow.append(loadgen(b, "--connections", 4, "--batch", 1000, "--duration", d, "--slos", 10)["events_per_s"])
            log0, wchar0 = srv.metric("budgetd_wal_append_bytes_total"), srv.written_bytes()
            peak, stop = [0.0, 0.0, 0.0], threading.Event()

            def sample():  # the log's size, the store's (the last snapshot) and the log's limit
                while not stop.wait(0.5):
                    log = srv.metric("budgetd_wal_bytes")
                    if log > peak[0]:
                        peak[:] = log, srv.metric("budgetd_snapshot_bytes"), srv.metric("budgetd_wal_limit_bytes")
            t = threading.Thread(target=sample)
            t.start()
            r = loadgen(b, "--connections", 4, "--batch", 1000, "--duration", d, "--slos", 1000)
            stop.set()
            t.join()
            wide.append(r["events_per_s"])
            per_event.append((srv.metric("budgetd_wal_append_bytes_total") - log0) / r["events_acked"])
            wchar_per_event.append((srv.written_bytes() - wchar0) / r["events_acked"])
            peaks.append(peak)
    finally:
        srv.stop()
    rows.append(("ingest, batches of 1,000 spread over 1,000 SLOs (budgetd holds 1,000)",
                 f"{statistics.median(wide):,.0f} events/s", ">= 4,000,000 events/s"))
    rows.append(("the same, the batches' events over 10 of those SLOs", f"{statistics.median(narrow):,.0f} events/s",
                 "report"))
    peak = max(peaks)
    rows.append(("disk per accepted event, events over 1,000 SLOs: log appended / everything written (wchar)",
                 f"{statistics.median(per_event):.1f} / {statistics.median(wchar_per_event):.1f} bytes", "<= 8 bytes"))
    rows.append(("largest log seen during those runs; the store (last snapshot) and the log's limit then",
                 f"{peak[0] / 2**20:,.0f} MiB; store {peak[1] / 2**20:,.1f} MiB, limit {peak[2] / 2**20:,.0f} MiB",
                 "<= max(1 GiB, 4 x the store)"))
    return rows


def huge_rows(b, tmp):
    """100,000 SLOs: start from a snapshot, resident memory, one evaluation tick (issue 17)."""
    srv = Budgetd(b, 100_000, "interval", os.path.join(tmp, "huge"))
    first = srv.start()
    try:
        loadgen(b, "--connections", 4, "--batch", 1000, "--duration", "5s", "--slos", 100_000)
        srv.post("/-/snapshot")
    finally:
        srv.stop()
    start = srv.start()
    try:
        rss = srv.rss_mib()
        # The gauge is the last tick's: start-up ran one, the loop the next an evaluation_interval
        # later; the second is the steady state's.
        first_tick = srv.metric("budgetd_slo_evaluation_timestamp_seconds")
        deadline = time.monotonic() + 300
        while srv.metric("budgetd_slo_evaluation_timestamp_seconds") == first_tick and time.monotonic() < deadline:
            time.sleep(1)
        tick = srv.metric("budgetd_slo_evaluation_duration_seconds")
        rss = max(rss, srv.rss_mib())
    finally:
        srv.stop()
    return [
        ("100,000 SLOs: start-up from a snapshot (to /readyz 200); the first start, empty, beside it",
         f"{start:.1f} s (empty: {first:.1f} s)", "<= 20 s"),
        ("100,000 SLOs: resident memory after start-up and a tick", f"{rss / 1024:.2f} GiB", "<= 7 GiB"),
        ("100,000 SLOs: one evaluation tick, with the `/metrics` rendering (budgetd's own gauge)",
         f"{tick * 1000:,.0f} ms", "<= 500 ms"),
    ]


def ingest_rows(b, n, d, ceilings, tmp):
    """100 SLOs: ingest by batch size, single events, reads beside ingest, memory per SLO."""
    rows = []
    srv = Budgetd(b, 100, "interval", os.path.join(tmp, "interval"))
    srv.start()
    try:
        big = [loadgen(b, "--connections", 4, "--batch", 1000, "--duration", d, "--slos", 100) for _ in range(n)]
        eps = median(big, lambda r: r["events_per_s"])
        rows.append(("end-to-end ingest, batches of 1,000, 4 connections", f"{eps:,.0f} events/s",
                     ">= 2,000,000 (stretch 4,000,000)"))
        rows.append(("end-to-end / in-process ceiling (BM_IngestBatch/1000, same run)",
                     f"{eps / ceilings[True]:.2f} ({eps:,.0f} / {ceilings[True]:,.0f})", ">= 0.5"))
        rows.extend(ts_rows(b, n, d, ceilings, tmp))
        hundred = [loadgen(b, "--connections", 4, "--batch", 100, "--duration", d, "--slos", 100) for _ in range(n)]
        rows.append(("batches of 100, 4 connections", f"{median(hundred, lambda r: r['events_per_s']):,.0f} events/s",
                     "report"))
        single = [loadgen(b, "--connections", 8, "--batch", 1, "--duration", d, "--slos", 100) for _ in range(n)]
        rows.append(("single-event requests, 8 connections",
                     f"{median(single, lambda r: r['requests_per_s']):,.0f} requests/s", ">= 30,000 requests/s"))
        # Queries at 500/s while ingest runs open-loop at 80 % of the closed-loop maximum.
        rate = 0.8 * median(big, lambda r: r["requests_per_s"])
        mixed = [loadgen(b, "--connections", 4, "--batch", 1000, "--duration", d, "--slos", 100,
                         "--rate", f"{rate:.1f}", "--query-rate", 500) for _ in range(n)]
        for kind in ("status", "gate"):
            rows.append((f"{kind} latency at 500 queries/s, ingest at 80 % ({rate:,.0f} batches/s)",
                         f"p99 {median(mixed, lambda r: r[kind + '_latency']['p99_ms']):.3f} ms, "
                         f"p99.9 {median(mixed, lambda r: r[kind + '_latency']['p999_ms']):.3f} ms",
                         "p99 <= 1 ms, p99.9 <= 5 ms"))
        rows.append(("ingest under that mix",
                     f"{median(mixed, lambda r: r['events_per_s']):,.0f} events/s, ack p99 "
                     f"{median(mixed, lambda r: r['ingest_latency']['p99_ms']):.2f} ms", "report"))
        status = srv.get("/v1/slos/slo-0")
        rows.append(("memory per ratio SLO, 30d window + default alert windows (status memory_bytes)",
                     f"{status['memory_bytes'] / 1024:.1f} KiB", "<= 64 KiB"))
    finally:
        srv.stop()
    return rows, eps


def fsync_rows(b, n, d, eps, tmp):
    always = Budgetd(b, 100, "always", os.path.join(tmp, "always"))
    always.start()
    try:
        runs = [loadgen(b, "--connections", 32, "--batch", 1000, "--duration", d, "--slos", 100) for _ in range(n)]
    finally:
        always.stop()
    e = median(runs, lambda r: r["events_per_s"])
    share = f" ({e / eps:.0%} of interval)" if eps else ""
    return [("fsync: always, 32 connections, batches of 1,000",
             f"{e:,.0f} events/s{share}, ack p99 {median(runs, lambda r: r['ingest_latency']['p99_ms']):.2f} ms",
             ">= 20 % of interval")]


def many_rows(b, n, d, tmp):
    rows = []
    many = Budgetd(b, 10_000, "interval", os.path.join(tmp, "many"))
    many.start()
    try:
        loadgen(b, "--connections", 4, "--batch", 1000, "--duration", "2s", "--slos", 10_000)
        rss = many.rss_mib()
        many.post("/-/snapshot")
        rows.extend(scrape_rows(b, many, n, d))
    finally:
        many.stop()
    starts = []
    for _ in range(n):
        starts.append(many.start())
        many.stop()
    rows.append(("10,000 SLOs loaded: resident memory", f"{rss:,.0f} MiB", "<= 1 GiB"))
    rows.append(("start-up with 10,000 SLOs from a snapshot (to /readyz 200)",
                 f"{statistics.median(starts):.2f} s", "<= 5 s"))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--groups", default="ingest,fsync,many,spread,huge",
                    help="ingest (100 SLOs, with the ts rows), fsync (always), many (10,000 SLOs), "
                         "spread (1,000 SLOs and disk per event), huge (100,000 SLOs)")
    a = ap.parse_args()
    b, n, d = a.build, a.runs, f"{a.duration:g}s"  # "5s": wrk reads no "5.0s"
    groups = set(a.groups.split(","))
    eps = None

    # Each group's rows are printed as it ends, so a failure late in a long run keeps the rest.
    print("| what | measured (median of %d) | target |" % n)
    print("|---|---|---|", flush=True)

    def emit(rows):
        for what, got, target in rows:
            print(f"| {what} | {got} | {target} |", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        if "ingest" in groups:
            # In-process ceilings: decode + route + store update of the same payloads (a `ts` on
            # every event, as loadgen sends by default, and none), one thread.
            micro = json.loads(sh([f"{b}/bench/budgetd_micro_bench",
                                   "--benchmark_filter=BM_IngestBatch(NoTs)?/1000$",
                                   f"--benchmark_repetitions={n}", "--benchmark_format=json"]))
            ceilings = {ts: statistics.median(x["items_per_second"] for x in micro["benchmarks"]
                                              if x.get("run_type") == "iteration"
                                              and x["name"].startswith(name))
                        for ts, name in ((True, "BM_IngestBatch/"), (False, "BM_IngestBatchNoTs/"))}
            got, eps = ingest_rows(b, n, d, ceilings, tmp)
            emit(got)
        if "fsync" in groups:
            emit(fsync_rows(b, n, d, eps, tmp))
        if "many" in groups:
            emit(many_rows(b, n, d, tmp))
        if "spread" in groups:
            emit(spread_rows(b, n, d, tmp))
        if "huge" in groups:
            emit(huge_rows(b, tmp))

if __name__ == "__main__":
    main()
