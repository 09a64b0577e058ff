#!/usr/bin/env python3
"""End-to-end benchmarks of a Release budgetd with budgetd-loadgen on the same machine.

Usage: bench/e2e.py BUILD_DIR [--runs 3] [--duration 5]

Starts budgetd on generated configs (100 ratio SLOs, default alert rules, fsync interval unless
said otherwise; 10,000 SLOs for the scrape, list and start-up rows), drives it with
budgetd-loadgen, and prints a markdown table of medians of --runs runs next to the targets of
issues 5, 11 and 17. Each figure's command is printed above the table.
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

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=120)


def loadgen(build, *args):
    out = sh([f"{build}/bench/budgetd-loadgen", "--port", str(PORT), *map(str, args)])
    return json.loads(out)


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    a = ap.parse_args()
    b, n, d = a.build, a.runs, f"{a.duration}s"
    rows = []

    with tempfile.TemporaryDirectory() as tmp:
        # In-process ceiling: decode + route + store update of the same kind of payload, one thread.
        micro = json.loads(sh([f"{b}/bench/budgetd_micro_bench", "--benchmark_filter=BM_IngestBatch/1000$",
                               f"--benchmark_repetitions={n}", "--benchmark_format=json"]))
        ceiling = statistics.median(x["items_per_second"] for x in micro["benchmarks"]
                                    if x.get("run_type") == "iteration")

        srv = Budgetd(b, 100, "interval", os.path.join(tmp, "interval"))
        srv.start()
        try:
            big = [loadgen(b, "--connections", 4, "--batch", 1000, "--duration", d, "--slos", 100) for _ in range(n)]
            eps = median(big, lambda r: r["events_per_s"])
            rows.append(("end-to-end ingest, batches of 1,000, 4 connections", f"{eps:,.0f} events/s",
                         ">= 2,000,000 (stretch 4,000,000)"))
            rows.append(("end-to-end / in-process ceiling (BM_IngestBatch/1000, same run)",
                         f"{eps / ceiling:.2f} ({eps:,.0f} / {ceiling:,.0f})", ">= 0.5"))
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

        always = Budgetd(b, 100, "always", os.path.join(tmp, "always"))
        always.start()
        try:
            runs = [loadgen(b, "--connections", 32, "--batch", 1000, "--duration", d, "--slos", 100) for _ in range(n)]
            e = median(runs, lambda r: r["events_per_s"])
            rows.append(("fsync: always, 32 connections, batches of 1,000",
                         f"{e:,.0f} events/s ({e / eps:.0%} of interval), ack p99 "
                         f"{median(runs, lambda r: r['ingest_latency']['p99_ms']):.2f} ms", ">= 20 % of interval"))
        finally:
            always.stop()

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

    print("| what | measured (median of %d) | target |" % n)
    print("|---|---|---|")
    for what, got, target in rows:
        print(f"| {what} | {got} | {target} |")


if __name__ == "__main__":
    main()
