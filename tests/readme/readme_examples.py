#!/usr/bin/env python3
"""Runs every example of README.md and compares what it prints with what the README shows.

    readme_examples.py BUDGETD_BINARY REPO_ROOT

House rule 6: every README example is run by a test. This is that test. It reads the fenced
blocks of README.md in order:

- A ```sh block is a command. It runs in bash (-e -o pipefail) against one real budgetd that
  this script starts (`budgetd serve` on the README's own config/budgetd.yaml, listening on a
  free loopback port instead of 8080, storing in a temp dir), in a working directory where
  `./build/src/budgetd`, `budgetd` on PATH and `config/` are the ones under test. Its output
  (stdout and stderr, as a terminal shows them) must equal the ```json or ```text block right
  after it, if there is one: JSON as values (so the README may wrap and indent an answer, but
  every key, value and type must be the same), text line by line. Without one it must exit 0.
  `curl` is called with --fail-with-body, so a command the server refuses fails here too.
- Time is fixed. budgetd, the shell, `date` and every command run under Debian's libfaketime
  with the wall clock frozen at 2026-11-24T10:00:00Z (the monotonic clock runs: timeouts and
  loops work). A directive `<!-- example: at 2026-11-24T10:00:10Z -->` before a block moves the
  clock there first, and waits until budgetd's evaluator has evaluated at that time
  (budgetd_slo_evaluation_timestamp_seconds), so alert states are those of that instant.
- What must vary is normalised, and only that: the port (shown as localhost:8080) and the ids of
  gate overrides, which are random (shown as ovr-4f1c2a9b7d3e5f60).
- Other blocks say with a directive what checks them:
    `config`        a complete budgetd config: `budgetd check` must accept it (run where
                    `slos/*.yaml` holds one OpenSLO SLO and the README's slos/payments.yaml,
                    for `include:`);
    `slo fragment`  keys of one SLO: with a name, service, objective and sli around them,
                    `budgetd check` must accept it;
    `flags: CMD`    a CI job calling `budgetd CMD`: each --flag it uses must be one of
                    `budgetd CMD --help`;
    `metrics`       PromQL: each budgetd_* metric it names must be in a live /metrics scrape;
    `exit N`        (on an sh block) the exit code it must have instead of 0;
    `not run: WHY`  cannot run here (a server that does not exit, docker, sudo): the repo paths
                    and `make` targets it names must exist.
  A block with none of these, and no command before it, fails the test: a new example cannot
  go unchecked.

Prints each block's result and every difference, and exits 1 if any block failed. With
--print-actual as a third argument it also prints what each command printed, for updating the
README after a deliberate change (then read the differences before pasting them).
"""

import difflib
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

BUDGETD, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PRINT_ACTUAL = sys.argv[3:] == ["--print-actual"]
README = os.path.join(ROOT, "README.md")
# The thread-safe build: budgetd reads the clock from many threads.
FAKETIME_LIB = (glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") + ["libfaketimeMT.so.1 (package faketime)"])[0]
START = "2026-11-24T10:00:00Z"
PORT_SHOWN = "localhost:8080"
OVERRIDE_ID_SHOWN = "ovr-4f1c2a9b7d3e5f60"

failures = []
passed = 0


def fail(block, message):
    failures.append("README.md:%d: %s" % (block["line"], message))
    print("FAIL README.md:%d: %s" % (block["line"], message), flush=True)


def ok(block, what):
    global passed
    passed += 1
    print("ok   README.md:%d: %s" % (block["line"], what), flush=True)


# ---------------------------------------------------------------------------------------------
# Reading the README


def read_blocks(path):
    """Every fenced block: its first line, info string, text, and the directive before it."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, info = i, m.group(1)
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        k = start - 1
        while k >= 0 and lines[k].strip() == "":
            k -= 1
        d = re.match(r"^<!-- example: (.*) -->$", lines[k].strip()) if k >= 0 else None
        blocks.append({"line": start + 1, "info": info, "text": "\n".join(lines[start + 1:j]) + "\n",
                       "directive": d.group(1).strip() if d else "", "end": j + 1})
        i = j + 1
    return blocks


def pair_outputs(blocks):
    """An output block is a json or text block right after an sh block (blank lines between)."""
    for a, b in zip(blocks, blocks[1:]):
        if a["info"] == "sh" and b["info"] in ("json", "text") and not b["directive"] \
                and b["line"] - a["end"] <= 2:
            a["output"] = b
            b["is_output"] = True


# ---------------------------------------------------------------------------------------------
# The environment the examples run in


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="budgetd-readme-")
        self.work = os.path.join(self.dir, "work")
        self.bin = os.path.join(self.dir, "bin")
        self.clock = os.path.join(self.dir, "clock")
        os.makedirs(os.path.join(self.work, "build", "src"))
        os.makedirs(os.path.join(self.work, "config"))
        os.makedirs(self.bin)
        os.symlink(BUDGETD, os.path.join(self.work, "build", "src", "budgetd"))
        os.symlink(BUDGETD, os.path.join(self.bin, "budgetd"))
        with open(os.path.join(self.bin, "curl"), "w") as f:
            f.write('#!/bin/sh\nexec %s --fail-with-body "$@"\n' % shutil.which("curl"))
        os.chmod(os.path.join(self.bin, "curl"), 0o755)
        # The README's config, listening on a free port: the one change the examples need.
        text = open(os.path.join(ROOT, "config", "budgetd.yaml")).read()
        listen = 'listen: "127.0.0.1:8080"'
        if text.count(listen) != 1:
            raise SystemExit("config/budgetd.yaml: expected one %s to point at a free port" % listen)
        with open(os.path.join(self.work, "config", "budgetd.yaml"), "w") as f:
            f.write(text.replace(listen, 'listen: "127.0.0.1:0"'))
        self.set_clock(START)
        self.port = None
        self.daemon = None

    def environ(self):
        env = dict(os.environ)
        env.update({
            "PATH": self.bin + ":" + env.get("PATH", "/usr/bin:/bin"),
            "LD_PRELOAD": FAKETIME_LIB,
            "FAKETIME_TIMESTAMP_FILE": self.clock,
            "FAKETIME_NO_CACHE": "1",            # read the clock file at every call: moves at once
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # timeouts and polling loops run in real time
            "TZ": "UTC", "LC_ALL": "C.UTF-8",
        })
        for name in ("BUDGETD_TOKEN", "FAKETIME", "FAKETIME_START_AFTER_SECONDS", "FAKETIME_STOP_AFTER_SECONDS"):
            env.pop(name, None)
        return env

    def set_clock(self, rfc3339):
        t = datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ")
        with open(self.clock + ".new", "w") as f:
            f.write(t.strftime("%Y-%m-%d %H:%M:%S") + "\n")
        os.replace(self.clock + ".new", self.clock)
        return t.replace(tzinfo=timezone.utc).timestamp()

    def start_daemon(self):
        log = open(os.path.join(self.dir, "budgetd.log"), "w")
        self.daemon = subprocess.Popen([BUDGETD, "serve", "--config", "config/budgetd.yaml"], cwd=self.work,
                                       env=self.environ(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.port is None:
            m = re.search(r'"msg":"http: listening".*"port":(\d+)', self.log())
            if m:
                self.port = int(m.group(1))
            elif self.daemon.poll() is not None:
                raise SystemExit("budgetd exited at start:\n" + self.log())
            else:
                time.sleep(0.02)
        if self.port is None:
            raise SystemExit("budgetd did not say where it listens:\n" + self.log())
        while time.monotonic() < deadline and self.get("/readyz")[0] != 200:
            time.sleep(0.02)

    def log(self):
        return open(os.path.join(self.dir, "budgetd.log")).read()

    def get(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=5) as r:
                return r.status, r.read().decode()
        except OSError as e:
            return getattr(e, "code", 0), ""

    def move_clock(self, rfc3339):
        """Moves budgetd's clock and waits for the evaluation at the new time."""
        want = self.set_clock(rfc3339)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            m = re.search(r"^budgetd_slo_evaluation_timestamp_seconds (\S+)$", self.get("/metrics")[1], re.M)
            if m and float(m.group(1)) == want:
                return True
            time.sleep(0.02)
        return False

    def run(self, script, timeout=60):
        return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=self.work, env=self.environ(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)

    def stop(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Comparing


def json_values(text):
    """The JSON values of text, one after another (a block may run several commands)."""
    dec, values, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return values
        v, i = dec.raw_decode(text, i)
        values.append(v)


def readable_json(v, indent=0, width=110):
    """JSON as the README shows it: what fits on a line stays on it, short items share lines."""
    flat = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    if indent + len(flat) <= width or not isinstance(v, (dict, list)) or not v:
        return flat
    pad = " " * (indent + 1)
    if isinstance(v, dict):
        parts = [(json.dumps(k, ensure_ascii=False) + ":", x) for k, x in v.items()]
    else:
        parts = [("", x) for x in v]
    lines, line = [], ""
    for key, x in parts:
        item = key + readable_json(x, indent + 1 + len(key), width)
        if "\n" in item or len(pad) + len(line) + len(item) + 1 > width:
            if line:
                lines.append(line)
            line = item
        else:
            line = line + "," + item if line else item
    lines.append(line)
    body = (",\n" + pad).join(lines)
    return ("{" if isinstance(v, dict) else "[") + body + ("}" if isinstance(v, dict) else "]")


def same(a, b):
    """JSON equality that tells true from 1 and a string from a number; 20 equals 20.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def diff(expected, actual):
    return "\n".join(difflib.unified_diff(expected.split("\n"), actual.split("\n"), "README", "actual", lineterm=""))


def compare_output(block, out):
    shown = block["output"]
    if shown["info"] == "text":
        if [l.rstrip() for l in out.rstrip("\n").split("\n")] != [l.rstrip() for l in shown["text"].rstrip("\n").split("\n")]:
            return "its output differs from the README's:\n" + diff(shown["text"], out)
        return None
    try:
        want = json_values(shown["text"])
    except ValueError as e:
        return "the README's JSON at line %d does not parse: %s" % (shown["line"], e)
    try:
        got = json_values(out)
    except ValueError:
        return "it printed something that is not JSON:\n" + out
    if not same(want, got):
        show = lambda vs: "\n".join(json.dumps(v, indent=1, sort_keys=True) for v in vs)
        return "its answer differs from the README's:\n" + diff(show(want), show(got))
    return None


# ---------------------------------------------------------------------------------------------
# The checks of each kind of block


def run_sh(env, block):
    d = block["directive"]
    at = re.search(r"\bat (\S+Z)", d)
    if at and not env.move_clock(at.group(1)):
        return fail(block, "budgetd did not evaluate at %s within 10 s" % at.group(1))
    want_exit = int(re.search(r"\bexit (\d+)", d).group(1)) if re.search(r"\bexit (\d+)", d) else 0
    script = block["text"].replace(PORT_SHOWN, "127.0.0.1:%d" % env.port)
    try:
        r = env.run(script)
    except subprocess.TimeoutExpired:
        return fail(block, "still running after 60 s")
    out = r.stdout.replace("127.0.0.1:%d" % env.port, PORT_SHOWN).replace(":%d" % env.port, ":8080")
    out = re.sub(r"ovr-[0-9a-f]{16}", OVERRIDE_ID_SHOWN, out)
    if PRINT_ACTUAL:
        try:
            shown = "\n".join(readable_json(v) for v in json_values(out)) + "\n" if out.strip() else out
        except ValueError:
            shown = out
        print("---- README.md:%d printed:\n%s----" % (block["line"], shown), flush=True)
    if r.returncode != want_exit:
        return fail(block, "exited %d, not %d:\n%s" % (r.returncode, want_exit, out))
    if "output" in block:
        problem = compare_output(block, out)
        if problem:
            return fail(block, problem)
        return ok(block, "output as shown (line %d)" % block["output"]["line"])
    ok(block, "ran")


def check_paths(block):
    """The repo paths and make targets a block that cannot run names."""
    problems = []
    for path in re.findall(r"(?<![\w$/.-])((?:build|config|docker|packaging|dashboards|scripts|bench|docs|tests)/[\w./*-]*[\w*])",
                           block["text"]):
        if path == "build/src/budgetd":
            continue  # the binary under test, wherever the build dir is
        if not glob.glob(os.path.join(ROOT, path)):
            problems.append("names %s, which is not in the repo" % path)
    makefile = open(os.path.join(ROOT, "Makefile")).read()
    for target in re.findall(r"\bmake (\w[\w-]*)", block["text"]):
        if not re.search(r"^%s:" % re.escape(target), makefile, re.M):
            problems.append("names `make %s`, which the Makefile has no target for" % target)
    return problems


def check_config(env, block, text, what):
    d = tempfile.mkdtemp(dir=env.dir)
    os.makedirs(os.path.join(d, "slos"))
    with open(os.path.join(d, "slos", "example.yaml"), "w") as f:
        f.write("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: example-openslo}\nspec:\n  service: example\n"
                "  indicator: {metadata: {name: example}, spec: {ratioMetric: {counter: true, good: {metricSource: "
                "{type: budgetd, spec: {service: example}}}, total: {metricSource: {type: budgetd, spec: {service: example}}}}}}\n  timeWindow: [{duration: 28d, "
                "isRolling: true}]\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n")
    with open(os.path.join(d, "slos", "payments.yaml"), "w") as f:  # the README's split-config example
        f.write("slos:\n  - {name: pay-availability, service: pay, objective: 99.9, sli: {type: ratio}}\n")
    with open(os.path.join(d, "budgetd.yaml"), "w") as f:
        f.write(text)
    r = subprocess.run([BUDGETD, "check", "--config", "budgetd.yaml"], cwd=d, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return fail(block, "%s fails `budgetd check`:\n%s%s" % (what, r.stdout, r.stderr))
    # The split-config example: its SLO, the included file's and the OpenSLO one, all three read.
    if "slos/payments.yaml" in text and "(3 SLOs" not in r.stdout:
        return fail(block, "%s: budgetd check did not count the SLO of slos/payments.yaml:\n%s" % (what, r.stdout))
    ok(block, what + " passes budgetd check")


def check_flags(block, command):
    r = subprocess.run([BUDGETD, command, "--help"], capture_output=True, text=True, timeout=60)
    known = set(re.findall(r"^  (--[\w-]+)", r.stdout, re.M))
    unknown = sorted(set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", block["text"])) - known)
    if r.returncode != 0 or not known:
        return fail(block, "`budgetd %s --help` failed" % command)
    if unknown:
        return fail(block, "uses %s, not flags of budgetd %s" % (", ".join(unknown), command))
    ok(block, "its flags are budgetd %s's" % command)


def check_metrics(env, block):
    scrape = env.get("/metrics")[1]
    missing = [m for m in sorted(set(re.findall(r"\bbudgetd_\w+", block["text"])))
               if not re.search(r"^%s[{ ]" % m, scrape, re.M)]
    if missing:
        return fail(block, "names metrics that /metrics does not have: " + ", ".join(missing))
    ok(block, "its metrics are in /metrics")


def check_block(env, block):
    d, info = block["directive"], block["info"]
    if d.startswith("not run:"):
        if len(d) <= len("not run:") + 3:
            return fail(block, "say why it is not run")
        problems = check_paths(block)
        for p in problems:
            fail(block, p)
        if not problems:
            ok(block, "not run (%s); the paths and targets it names exist" % d[len("not run:"):].strip())
    elif info == "sh":
        run_sh(env, block)
    elif block.get("is_output"):
        pass  # checked with its command
    elif d == "config":
        check_config(env, block, block["text"], "the config")
    elif d == "slo fragment":
        # The fragment is written at an SLO's indentation (four spaces, under "  - name:").
        check_config(env, block, "slos:\n  - name: example\n    service: example\n    objective: 99.9\n"
                                 "    sli: {type: ratio}\n" + block["text"], "the SLO fragment")
    elif d.startswith("flags: "):
        check_flags(block, d[len("flags: "):].strip())
    elif d == "metrics":
        check_metrics(env, block)
    else:
        fail(block, "a ```%s block that no test checks: run it as a command with its output after it, or "
                    "mark it <!-- example: ... --> (see tests/readme/readme_examples.py)" % (info or "(plain)"))


def main():
    if not os.path.exists(FAKETIME_LIB):
        raise SystemExit("%s is missing: scripts/deps.sh installs Debian's faketime" % FAKETIME_LIB)
    blocks = read_blocks(README)
    pair_outputs(blocks)
    env = Env()
    try:
        env.start_daemon()
        for block in blocks:
            check_block(env, block)
        if failures:
            print("\nbudgetd's log:\n" + env.log())
    finally:
        env.stop()
    print("\n%d passed, %d failed" % (passed, len(failures)))
    if failures:
        print("\n".join(["", "failed:"] + failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
