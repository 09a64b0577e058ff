#!/usr/bin/env python3
"""Cluster benchmarks (issue 12): three budgetd replicas on one Redis against one embedded node.

Usage: bench/cluster_bench.py BUILD_DIR [--runs 3] [--duration 5] [--ack replicated|local]

In one run, on the same machine (budgetd, Redis and the load tool share the cores):
- embedded: one budgetd (100 ratio SLOs, fsync interval) driven by budgetd-loadgen with
  connections (3 x --connections), batches of 100;
- cluster: a redis-server (appendonly, appendfsync always) and three budgetd replicas of the
  same SLOs (cluster.ack as given, wait_replicas 0: there is no Redis replica here), each driven
  by its own budgetd-loadgen with --connections connections, summed;
- replication lag: while the three replicas take 80 % of that load open loop, single events for
  a probe SLO go to replica a, and replica b's GET /v1/slos/lag-probe is polled until it counts
  them: the time from a's 200 to b's answer showing it (polling every ~1 ms, so the figure is
  high by up to that);
- bootstrap: a fourth replica with an empty data dir and 1,000 SLOs, from process start to
  /readyz 200, beside the same start with nothing to fetch (first node of a cluster).
Prints a markdown table of medians of --runs runs; each command is printed on stderr.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def sh(cmd):
    print("$ " + " ".join(map(str, cmd)), file=sys.stderr)
    return subprocess.run(list(map(str, cmd)), check=True, capture_output=True, text=True).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, path, body=None, timeout=5):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                 method="POST" if body is not None else "GET")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


class Redis:
    def __init__(self, tmp, name):
        self.port = free_port()
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                                      self.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            if subprocess.run(["redis-cli", "-p", str(self.port), "PING"], capture_output=True,
                              text=True).stdout.strip() == "PONG":
                return
            time.sleep(0.01)
        raise SystemExit("redis-server did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Budgetd:
    def __init__(self, build, tmp, name, slos, redis=None, ack="replicated", probe=False):
        self.build, self.port = build, free_port()
        self.data = os.path.join(tmp, name)
        os.makedirs(self.data, exist_ok=True)
        self.config = os.path.join(self.data, "budgetd.yaml")
        sh([f"{build}/bench/budgetd-loadgen", "--write-config", self.config, "--slos", slos, "--port", self.port,
            "--fsync", "interval", "--data", os.path.join(self.data, "store")])
        with open(self.config, "a") as f:
            if probe:
                f.write("  - {name: lag-probe, service: lag-probe, objective: 99.9, sli: {type: ratio}}\n")
            if redis:
                f.write(f"cluster:\n  node: {name}\n  advertise: \"http://127.0.0.1:{self.port}\"\n"
                        f"  redis: {{url: \"redis://127.0.0.1:{redis.port}\"}}\n  ack: {ack}\n  wait_replicas: 0\n")
        self.proc = None

    def start(self):
        t0 = time.monotonic()
        self.proc = subprocess.Popen([f"{self.build}/src/budgetd", "serve", "--config", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except Exception:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"budgetd exited at start-up ({self.config})")
            time.sleep(0.005)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait()
        self.proc = None


def loadgen_cmd(build, port, *args, slos=100):
    return [f"{build}/bench/budgetd-loadgen", "--port", port, "--slos", slos, *args]


def run_parallel(cmds):
    for c in cmds:
        print("$ " + " ".join(map(str, c)), file=sys.stderr)
    procs = [subprocess.Popen(list(map(str, c)), stdout=subprocess.PIPE, text=True) for c in cmds]
    return [json.loads(p.communicate()[0]) for p in procs]


def probe_lag(a, b, samples):
    lags = []
    seen = http(b.port, "/v1/slos/lag-probe")["budget"]["total"]
    for i in range(samples):
        body = json.dumps({"events": [{"service": "lag-probe", "good": True}]}).encode()
        http(a.port, "/v1/events", body)
        acked = time.monotonic()
        while True:
            total = http(b.port, "/v1/slos/lag-probe")["budget"]["total"]
            if total > seen:
                lags.append((time.monotonic() - acked) * 1000)
                seen = total
                break
            if time.monotonic() - acked > 10:
                print("a probe event did not reach replica b within 10 s", file=sys.stderr)
                return float("inf"), float("inf")
            time.sleep(0.001)
        time.sleep(0.01)
    lags.sort()
    return lags[len(lags) // 2], lags[min(len(lags) - 1, int(len(lags) * 0.99))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--ack", default="replicated")
    ap.add_argument("--connections", type=int, default=2, help="per replica; the embedded node gets 3x")
    a = ap.parse_args()
    b, n, d = a.build, a.runs, f"{a.duration}s"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        one = Budgetd(b, tmp, "embedded", 100)
        one.start()
        try:
            emb = [run_parallel([loadgen_cmd(b, one.port, "--connections", 3 * a.connections, "--batch", 100,
                                              "--duration", d)])[0]
                   for _ in range(n)]
        finally:
            one.stop()
        embedded = statistics.median(r["events_per_s"] for r in emb)

        redis = Redis(tmp, "redis-load")
        nodes = [Budgetd(b, tmp, x, 100, redis, a.ack, probe=True) for x in "abc"]
        try:
            for x in nodes:
                x.start()
            clu = []
            for _ in range(n):
                res = run_parallel([loadgen_cmd(b, x.port, "--connections", a.connections, "--batch", 100,
                                                "--duration", d) for x in nodes])
                clu.append((sum(r["events_per_s"] for r in res), sum(r["requests_per_s"] for r in res),
                            max(r["ingest_latency"]["p99_ms"] for r in res)))
            cluster = statistics.median(c[0] for c in clu)
            ack_p99 = statistics.median(c[2] for c in clu)
            rows.append((f"ingest, batches of 100: three replicas on one Redis (ack: {a.ack}), {a.connections} connections each",
                         f"{cluster:,.0f} events/s (ack p99 {ack_p99:.2f} ms)", "report"))
            rows.append((f"ingest, batches of 100: one embedded node, {3 * a.connections} connections, same run",
                         f"{embedded:,.0f} events/s", "report"))
            rows.append(("cluster / embedded", f"{cluster / embedded:.2f}", ">= 0.5"))
            rate = 0.8 * statistics.median(c[1] for c in clu) / 3
            p50s, p99s = [], []
            for _ in range(n):
                # Long enough for the probes (150 of them, ~10 ms apart) to run under load throughout.
                cmds = [loadgen_cmd(b, x.port, "--connections", a.connections, "--batch", 100, "--duration",
                                    f"{max(a.duration, 8)}s", "--rate", f"{rate:.1f}") for x in nodes]
                for c in cmds:
                    print("$ " + " ".join(map(str, c)), file=sys.stderr)
                procs = [subprocess.Popen(list(map(str, c)), stdout=subprocess.PIPE, text=True) for c in cmds]
                time.sleep(0.5)
                p50, p99 = probe_lag(nodes[0], nodes[1], 150)
                for p in procs:
                    p.communicate()
                p50s.append(p50)
                p99s.append(p99)
            rows.append((f"replication lag, ack on a to visible on b, at 80 % load ({3 * rate:,.0f} batches/s), "
                         "150 probes", f"p50 {statistics.median(p50s):.1f} ms, p99 {statistics.median(p99s):.1f} ms",
                         "p99 <= 100 ms"))
        finally:
            for x in nodes:
                x.stop()
            redis.stop()

        # Bootstrap of 1,000 SLOs: a peer holds data, a new node fetches its snapshot.
        redis = Redis(tmp, "redis-bootstrap")
        peer = Budgetd(b, tmp, "peer", 1000, redis, a.ack)
        try:
            first = []
            peer.start()
            sh(loadgen_cmd(b, peer.port, "--connections", 2, "--batch", 1000, "--duration", "2s", slos=1000))
            boots = []
            for i in range(n):
                new = Budgetd(b, tmp, f"new{i}", 1000, redis, a.ack)
                boots.append(new.start())
                new.stop()
            alone = Budgetd(b, tmp, "alone", 1000, None)
            for _ in range(n):
                first.append(alone.start())
                alone.stop()
                for f in os.listdir(os.path.join(alone.data, "store")):
                    path = os.path.join(alone.data, "store", f)
                    if f.startswith("snapshot-"):
                        os.remove(path)
            rows.append(("bootstrap: a new replica with an empty data dir and 1,000 SLOs, start to /readyz 200 "
                         "(fetches and loads a peer's snapshot)", f"{statistics.median(boots):.2f} s", "report"))
            rows.append(("the same start of an embedded node with an empty data dir (nothing to fetch)",
                         f"{statistics.median(first):.2f} s", "report"))
        finally:
            peer.stop()
            redis.stop()

    print("| what | measured (median of %d) | target |" % n)
    print("|---|---|---|")
    for r in rows:
        print("| %s | %s | %s |" % r)


if __name__ == "__main__":
    main()
