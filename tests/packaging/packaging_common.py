"""What the packaging checks share: the list of problems found, the paths of the binary and
repository under check, YAML and Dockerfile readers, and `budgetd check`."""

import json
import os
import re
import subprocess

from packaging_yaml import YamlError, load_yaml

# Set by check_packaging.main() before any check runs.
BUDGETD = None  # the budgetd binary under check
REPO = None  # the repository root

failures = []


def fail(msg):
    failures.append(msg)


def read_yaml(path, what):
    try:
        return load_yaml(path)
    except (OSError, YamlError, ValueError) as e:
        fail("%s (%s): cannot read: %s" % (path, what, e))
        return None


def dig(value, *keys, default=None):
    for k in keys:
        if isinstance(value, dict) and k in value:
            value = value[k]
        elif isinstance(value, list) and isinstance(k, int) and k < len(value):
            value = value[k]
        else:
            return default
    return value


# --- helpers ----------------------------------------------------------------------------------


def seconds(duration):
    """'1h30m', '10s', '250ms' -> seconds; None if it is not a duration."""
    if isinstance(duration, (int, float)):
        return float(duration)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|s|m|h|d|min)", str(duration).strip())
    if not parts or "".join(n + u for n, u in parts) != str(duration).strip():
        return None
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
    return sum(float(n) * unit[u] for n, u in parts)


def rel(path):
    return os.path.relpath(path, REPO)


def budgetd_check(config, why):
    """Runs `budgetd check` on config; True if it passes."""
    try:
        r = subprocess.run([BUDGETD, "check", "--config", config], capture_output=True, text=True, timeout=60)
    except OSError as e:
        fail("cannot run %s: %s" % (BUDGETD, e))
        return False
    if r.returncode != 0:
        fail("%s (%s) fails `budgetd check`:\n%s%s" % (rel(config), why, r.stdout, r.stderr))
        return False
    return True


class BudgetdConfig:
    """The parts of a budgetd config the packaging depends on."""

    def __init__(self, path):
        self.path = path
        data = read_yaml(path, "budgetd config") or {}
        self.listen = str(dig(data, "server", "listen", default="127.0.0.1:8080"))
        host, _, port = self.listen.rpartition(":")
        self.host = host.strip("[]")
        self.port = int(port) if port.isdigit() else None
        self.storage_dir = dig(data, "storage", "dir", default="./data")
        self.drain_timeout = seconds(dig(data, "server", "drain_timeout", default="10s"))
        self.alertmanagers = [str(dig(t, "url")) for t in dig(data, "notify", "alertmanager", default=None) or []]


def instructions(dockerfile):
    """(instruction, arguments) of a Dockerfile, continuation lines joined."""
    out, current = [], ""
    with open(dockerfile, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not current and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if current and line.lstrip().startswith("#"):
                continue
            if line.rstrip().endswith("\\"):
                current += line.rstrip()[:-1] + " "
                continue
            current += line
            word, _, args = current.strip().partition(" ")
            out.append((word.upper(), args.strip()))
            current = ""
    return out


def exec_form(args):
    try:
        value = json.loads(args)
        return value if isinstance(value, list) else None
    except ValueError:
        return None
