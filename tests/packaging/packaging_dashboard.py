"""dashboards/budgetd-grafana.json against a real /metrics scrape of the binary under check."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import packaging_common as common
from packaging_common import fail, dig


# --- the dashboard against a real scrape -----------------------------------------------------------


def scrape():
    """/metrics of a budgetd started on a free port, after one event batch and one gate call."""
    tmp = tempfile.mkdtemp(prefix="budgetd-packaging-")
    proc = None
    try:
        config = os.path.join(tmp, "budgetd.yaml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(
                'server: {listen: "127.0.0.1:0", drain_timeout: 2s}\n'
                'storage: {dir: "%s"}\n'
                "notify:\n"  # a target, so budgetd_notifications_total exists; nothing listens there
                '  webhooks: [{url: "http://127.0.0.1:9/hook", timeout: 1s}]\n'
                "slos:\n"
                "  - {name: pkg-availability, service: pkg, objective: 99.9, sli: {type: ratio}}\n"
                "  - {name: pkg-latency, service: pkg, objective: 99, windows: [\"28d\"],\n"
                "     sli: {type: latency, threshold_ms: 300}}\n" % os.path.join(tmp, "data"))
        log = open(os.path.join(tmp, "budgetd.log"), "w+", encoding="utf-8")
        proc = subprocess.Popen([common.BUDGETD, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=log)
        port, deadline = None, time.time() + 20
        while port is None and time.time() < deadline and proc.poll() is None:
            log.seek(0)
            m = re.search(r'"msg":"http: listening".*"port":(\d+)', log.read())
            if m:
                port = int(m.group(1))
            else:
                time.sleep(0.05)
        if port is None:
            log.seek(0)
            fail("budgetd serve did not log 'http: listening' (exit %s):\n%s" % (proc.poll(), log.read()[-3000:]))
            return None
        base = "http://127.0.0.1:%d" % port

        def call(path, body=None):
            req = urllib.request.Request(base + path, data=body, method="POST" if body else "GET",
                                         headers={"Content-Type": "application/json"} if body else {})
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()

        events = {"events": [{"service": "pkg", "good": True, "latency_ms": 12},
                             {"service": "pkg", "good": False, "latency_ms": 420}]}
        status, body = call("/v1/events", json.dumps(events).encode())
        if status != 200 or json.loads(body).get("accepted") != 2:
            fail("POST /v1/events answered %s %s" % (status, body))
        call("/v1/gate?service=pkg&change=feature")
        status, text = call("/metrics")
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
            if code != 0:
                fail("budgetd exited %s after SIGTERM, expected 0 (a drained stop)" % code)
        except subprocess.TimeoutExpired:
            fail("budgetd did not stop within 20s of SIGTERM")
        return text
    except (OSError, urllib.error.URLError, ValueError) as e:
        fail("scraping budgetd failed: %s" % e)
        return None
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def series(text):
    """{sample name: [label dict, ...]} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*?)\})?\s", line)
        if m:
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
            out.setdefault(m.group(1), []).append(labels)
    return out


def strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node


def check_dashboard():
    path = os.path.join(common.REPO, "dashboards", "budgetd-grafana.json")
    try:
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        fail("dashboards/budgetd-grafana.json is not valid JSON: %s" % e)
        return
    variables = {v.get("name"): v for v in dig(dash, "templating", "list", default=[]) or []}
    for name in ("service", "slo"):
        query = json.dumps(dig(variables, name, "query"))
        if "label_values(budgetd_slo_objective_ratio" not in query:
            fail("dashboard: variable %s must come from label_values(budgetd_slo_objective_ratio, ...)" % name)
    defined = set(variables) | {"__rate_interval", "__interval", "__range", "__all"}
    for s in strings(dash):
        for var in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", s):
            if var not in defined:
                fail("dashboard: ${%s} is used but not a template variable (in %r)" % (var, s[:80]))
    ids = []
    panels = list(dash.get("panels") or [])
    while panels:
        p = panels.pop()
        ids.append(p.get("id"))
        panels += p.get("panels") or []
        for t in p.get("targets") or []:
            if p.get("type") != "row" and not t.get("expr"):
                fail("dashboard: panel %r has a target without expr" % p.get("title"))
    if len(ids) != len(set(ids)):
        fail("dashboard: panel ids are not unique")

    text = scrape()
    if text is None:
        return
    have = series(text)
    used = sorted({m for s in strings(dash) for m in re.findall(r"\bbudgetd_[a-zA-Z0-9_]+", s)})
    if not used:
        fail("dashboard: no budgetd_* metric is used")
    for name in used:
        if name not in have:
            fail("dashboard uses %s, which budgetd's /metrics does not export" % name)
    exprs = [s for s in strings(dash) if "budgetd_" in s]
    for s in exprs:
        # Label matchers on a metric: the label exists, and a literal value ("true") occurs.
        for name, body in re.findall(r"\b(budgetd_[a-zA-Z0-9_]+)\{([^}]*)\}", s):
            for label, op, value in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"', body):
                samples = have.get(name, [])
                if samples and not any(label in l for l in samples):
                    fail("dashboard filters %s on label %s, which it does not have" % (name, label))
                elif samples and op == "=" and "$" not in value and not any(l.get(label) == value for l in samples):
                    fail('dashboard filters %s{%s="%s"}, a value budgetd does not export' % (name, label, value))
        # by (...) over one metric: every grouping label exists on it.
        for labels, name in re.findall(r"\bby\s*\(([^)]*)\)\s*\(\s*(?:[a-z_]+\()?\s*(budgetd_[a-zA-Z0-9_]+)", s):
            for label in [l.strip() for l in labels.split(",") if l.strip()]:
                samples = have.get(name, [])
                if samples and not any(label in l for l in samples):
                    fail("dashboard groups %s by %s, a label it does not have" % (name, label))
