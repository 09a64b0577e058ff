#!/usr/bin/env python3
"""Checks that budgetd's packaging and operations files agree with each other and with budgetd.

    check_packaging.py BUDGETD_BINARY REPO_ROOT

Checks docker/Dockerfile, .dockerignore, docker/compose.yaml and the files it mounts,
docker/compose.cluster.yaml (three replicas, Redis and Sentinels) and its configs
(prometheus.yml, alertmanager.yml, Grafana provisioning), packaging/budgetd.service and
dashboards/budgetd-grafana.json: files referenced exist, the budgetd configs pass
`budgetd check`, ports and paths match across files, and every metric (and label) the dashboard
queries is in a real /metrics scrape of BUDGETD_BINARY. Prints every problem and exits 1 if
there is any. Python 3 standard library only.
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

failures = []


def fail(msg):
    failures.append(msg)


# --- a small YAML reader ---------------------------------------------------------------------
# Enough YAML for the files checked here (block mappings and sequences, quoted and plain
# scalars, flow [..] and {..}); anything else is an error, never a silent misreading.


class YamlError(Exception):
    pass


def _strip_comment(line):
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _plain(s):
    s = s.strip()
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?[0-9]+", s):
        return int(s)
    if re.fullmatch(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", s):
        return float(s)
    return s


def _quoted(s, i):
    """The quoted scalar starting at s[i]; returns (value, index after it)."""
    q = s[i]
    j = i + 1
    out = []
    while j < len(s):
        c = s[j]
        if q == "'" and c == "'":
            if j + 1 < len(s) and s[j + 1] == "'":
                out.append("'")
                j += 2
                continue
            return "".join(out), j + 1
        if q == '"' and c == "\\":
            out.append(s[j:j + 2])
            j += 2
            continue
        if q == '"' and c == '"':
            return json.loads('"' + "".join(out) + '"'), j + 1
        out.append(c)
        j += 1
    raise YamlError("unterminated quoted string: " + s)


def _flow(s, i):
    """The flow node starting at s[i] (after spaces); returns (value, index after it)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        raise YamlError("unexpected end of flow value: " + s)
    c = s[i]
    if c in "'\"":
        return _quoted(s, i)
    if c in "[{":
        close = "]" if c == "[" else "}"
        items = [] if c == "[" else {}
        i += 1
        while True:
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == close:
                return items, i + 1
            key, i = _flow(s, i)
            while i < len(s) and s[i] == " ":
                i += 1
            if c == "{":
                if i >= len(s) or s[i] != ":":
                    raise YamlError("expected ':' in flow mapping: " + s)
                value, i = _flow(s, i + 1)
                items[key] = value
            else:
                items.append(key)
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == ",":
                i += 1
            elif i < len(s) and s[i] == close:
                return items, i + 1
            else:
                raise YamlError("expected ',' or '%s' in: %s" % (close, s))
    j = i
    while j < len(s) and s[j] not in ",]}" and not (s[j] == ":" and (j + 1 == len(s) or s[j + 1] == " ")):
        j += 1
    return _plain(s[i:j]), j


def _scalar(s):
    s = s.strip()
    if s[:1] in ("|", ">", "&", "*", "!"):
        raise YamlError("unsupported YAML (block scalar, anchor, alias or tag): " + s)
    if s[:1] in "'\"[{":
        value, end = _flow(s, 0)
        if s[end:].strip():
            raise YamlError("trailing text after value: " + s)
        return value
    return _plain(s)


def _split_key(content):
    """'key: value' -> (key, value text); None if content is not a mapping entry."""
    if content[:1] in "'\"":
        key, j = _quoted(content, 0)
    else:
        m = re.match(r"([^:]*?):(?: |$)", content)
        if not m or content[:1] in "[{":
            return None
        key, j = _plain(m.group(1)), m.end(1)
    rest = content[j:]
    if not (rest == ":" or rest.startswith(": ")):
        return None
    return key, rest[1:].strip()


def _block(lines, i, indent):
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        seq = []
        while i < len(lines) and lines[i][0] == indent and (lines[i][1].startswith("- ") or lines[i][1] == "-"):
            rest = lines[i][1][1:].lstrip()
            if not rest:
                i += 1
                if i < len(lines) and lines[i][0] > indent:
                    value, i = _block(lines, i, lines[i][0])
                else:
                    value = None
            else:
                lines[i] = (indent + len(lines[i][1]) - len(rest), rest)
                value, i = _block(lines, i, lines[i][0])
            seq.append(value)
        return seq, i
    entry = _split_key(lines[i][1])
    if entry is None:
        if i + 1 < len(lines) and lines[i + 1][0] >= indent:
            raise YamlError("unsupported multi-line scalar: " + lines[i][1])
        return _scalar(lines[i][1]), i + 1
    mapping = {}
    while i < len(lines) and lines[i][0] == indent:
        entry = _split_key(lines[i][1])
        if entry is None:
            raise YamlError("expected 'key: value', got: " + lines[i][1])
        key, rest = entry
        i += 1
        if rest:
            mapping[key] = _scalar(rest)
        elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and lines[i][1][:1] == "-")):
            mapping[key], i = _block(lines, i, lines[i][0])
        else:
            mapping[key] = None
    return mapping, i


def load_yaml(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = _strip_comment(raw.rstrip("\n")).rstrip()
            if not line.strip() or line.strip() == "---":
                continue
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise YamlError("%s: tab in indentation" % path)
            lines.append((len(line) - len(line.lstrip(" ")), line.strip()))
    if not lines:
        return None
    value, i = _block(lines, 0, lines[0][0])
    if i != len(lines):
        raise YamlError("%s: cannot read from: %s" % (path, lines[i][1]))
    return value


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


# --- Dockerfile and .dockerignore ---------------------------------------------------------------


class Image:
    pass


def check_dockerfile():
    image = Image()
    image.config_path = image.config_source = image.config = None
    image.volumes, image.exposed = [], []
    dockerfile = os.path.join(REPO, "docker", "Dockerfile")
    if not os.path.isfile(dockerfile):
        fail("docker/Dockerfile is missing")
        return image
    ignore = []
    dockerignore = os.path.join(REPO, ".dockerignore")
    if os.path.isfile(dockerignore):
        with open(dockerignore, encoding="utf-8") as f:
            ignore = [l.strip().strip("/") for l in f if l.strip() and not l.lstrip().startswith(("#", "!"))]
    else:
        fail(".dockerignore is missing")
    for needed in ("build", "build-release", "data"):
        if not any(fnmatch.fnmatch(needed, p) for p in ignore):
            fail(".dockerignore does not exclude %s/" % needed)

    stages, copies, user, healthcheck, entrypoint, runs = [], [], None, None, None, []
    for word, args in instructions(dockerfile):
        if word == "FROM":
            stages.append(args.split()[0])
            user, runs = None, []
        elif word == "RUN":
            runs.append(args)
        elif word in ("COPY", "ADD"):
            parts = exec_form(args) or shlex.split(args)
            flags = [p for p in parts if p.startswith("--")]
            paths = [p for p in parts if not p.startswith("--")]
            from_stage = any(f.startswith("--from=") for f in flags)
            copies.append((len(stages), from_stage, paths[:-1], paths[-1]))
            if from_stage:
                continue
            for src in paths[:-1]:
                if not os.path.exists(os.path.join(REPO, src)):
                    fail("docker/Dockerfile: %s %s: no such file in the repository" % (word, src))
                parts_of = src.strip("/").split("/")
                for n in range(1, len(parts_of) + 1):
                    prefix = "/".join(parts_of[:n])
                    for p in ignore:
                        if fnmatch.fnmatch(prefix, p):
                            fail("docker/Dockerfile copies %s, which .dockerignore excludes (%s)" % (src, p))
        elif word == "USER":
            user = args.split(":")[0]
        elif word == "VOLUME":
            image.volumes += exec_form(args) or args.split()
        elif word == "EXPOSE":
            image.exposed += [int(p.split("/")[0]) for p in args.split()]
        elif word == "HEALTHCHECK":
            healthcheck = args
        elif word == "ENTRYPOINT":
            entrypoint = exec_form(args)

    final = len(stages)
    if len(stages) < 2:
        fail("docker/Dockerfile: expected a multi-stage build, found %d stage(s)" % len(stages))
    elif not stages[-1].startswith("debian:bookworm-slim"):
        fail("docker/Dockerfile: the run stage is %s, expected debian:bookworm-slim" % stages[-1])
    if user in (None, "root", "0"):
        fail("docker/Dockerfile: the run stage must switch to a non-root USER")
    if not entrypoint or len(entrypoint) != 4 or entrypoint[1:3] != ["serve", "--config"]:
        fail('docker/Dockerfile: ENTRYPOINT must be ["<binary>", "serve", "--config", "<file>"], got %s' % entrypoint)
        return image
    binary, image.config_path = entrypoint[0], entrypoint[3]
    if not any(s == final and f and d == binary for s, f, _, d in copies):
        fail("docker/Dockerfile: ENTRYPOINT runs %s, which no COPY --from=<build stage> installs" % binary)
    sources = [srcs for s, f, srcs, d in copies if s == final and not f and d == image.config_path]
    if len(sources) != 1 or len(sources[0]) != 1:
        fail("docker/Dockerfile: ENTRYPOINT reads %s, which is not COPYed from one repository file" % image.config_path)
        return image
    image.config_source = os.path.join(REPO, sources[0][0])
    if not os.path.isfile(image.config_source):
        return image
    budgetd_check(image.config_source, "the image's " + image.config_path)
    cfg = image.config = BudgetdConfig(image.config_source)
    if cfg.host not in ("0.0.0.0", "::"):
        fail("%s: server.listen is %s; in a container it must listen on 0.0.0.0 to be reachable"
             % (rel(cfg.path), cfg.listen))
    if cfg.port not in image.exposed:
        fail("docker/Dockerfile: EXPOSE %s does not include the config's port %s" % (image.exposed, cfg.port))
    if cfg.storage_dir not in image.volumes:
        fail("docker/Dockerfile: VOLUME %s does not include the config's storage.dir %s" % (image.volumes, cfg.storage_dir))
    if not healthcheck or not re.search(r"[:/]%s/healthz\b" % cfg.port, healthcheck):
        fail("docker/Dockerfile: HEALTHCHECK must ask :%s/healthz, got: %s" % (cfg.port, healthcheck))
    elif "curl" in healthcheck and not any(re.search(r"apt-get install.*\bcurl\b", r) for r in runs):
        fail("docker/Dockerfile: HEALTHCHECK uses curl, which the run stage does not install")
    return image


# --- compose and the files it mounts -----------------------------------------------------------


def published(service):
    """{container port: host port} of a compose service's ports."""
    out = {}
    for p in service.get("ports") or []:
        parts = str(p).split("/")[0].split(":")
        if len(parts) >= 2 and parts[-1].isdigit() and parts[-2].isdigit():
            out[int(parts[-1])] = int(parts[-2])
        else:
            fail("docker/compose.yaml: cannot read port %r" % p)
    return out


def mounts(name, service, compose_dir, named_volumes):
    """{container path: host path} of a service's bind mounts; checks that host paths exist."""
    out = {}
    for v in service.get("volumes") or []:
        if isinstance(v, dict):
            src, dst = v.get("source"), v.get("target")
        else:
            parts = str(v).split(":")
            src, dst = parts[0], parts[1] if len(parts) > 1 else None
        if src.startswith((".", "/", "~")):
            host = os.path.normpath(os.path.join(compose_dir, src))
            if not os.path.exists(host):
                fail("docker/compose.yaml: service %s mounts %s, which does not exist (%s)" % (name, src, host))
            out[dst] = host
        elif src not in named_volumes:
            fail("docker/compose.yaml: service %s uses volume %s, not declared under volumes:" % (name, src))
    return out


def check_compose(image):
    compose_dir = os.path.join(REPO, "docker")
    path = os.path.join(compose_dir, "compose.yaml")
    if not os.path.isfile(path):
        fail("docker/compose.yaml is missing")
        return
    compose = read_yaml(path, "compose file")
    services = dig(compose, "services", default={}) or {}
    named = set((compose or {}).get("volumes") or {})
    expected = {"budgetd": 8080, "prometheus": 9090, "alertmanager": 9093, "grafana": 3000}
    for name in expected:
        if name not in services:
            fail("docker/compose.yaml: no service %s" % name)
    if any(name not in services for name in expected):
        return
    ports = {name: published(s) for name, s in services.items()}
    binds = {name: mounts(name, s, compose_dir, named) for name, s in services.items()}
    for name, host_port in expected.items():
        if host_port not in ports[name].values():
            fail("docker/compose.yaml: service %s must publish host port %d (ports: %s)"
                 % (name, host_port, services[name].get("ports")))

    # budgetd: built from the repository with docker/Dockerfile, its config, ports and alerts.
    build = services["budgetd"].get("build")
    context = os.path.normpath(os.path.join(compose_dir, dig(build, "context", default=build or ".")))
    dockerfile = os.path.join(context, dig(build, "dockerfile", default="Dockerfile"))
    if os.path.realpath(context) != os.path.realpath(REPO):
        fail("docker/compose.yaml: budgetd must build from the repository root, not %s" % context)
    if os.path.realpath(dockerfile) != os.path.realpath(os.path.join(REPO, "docker", "Dockerfile")):
        fail("docker/compose.yaml: budgetd must build with docker/Dockerfile, not %s" % dockerfile)
    if image.config_path in binds["budgetd"]:
        config_file = binds["budgetd"][image.config_path]
        if os.path.isfile(config_file):
            budgetd_check(config_file, "compose's " + image.config_path)
            cfg = BudgetdConfig(config_file)
        else:
            cfg = None
    else:
        cfg = image.config
    if cfg is None:
        fail("docker/compose.yaml: cannot tell which config budgetd runs with")
        return
    if cfg.port not in ports["budgetd"]:
        fail("docker/compose.yaml: budgetd listens on %s (%s) but publishes container ports %s"
             % (cfg.port, rel(cfg.path), sorted(ports["budgetd"])))
    if cfg.host not in ("0.0.0.0", "::"):
        fail("%s: server.listen is %s; in compose it must listen on 0.0.0.0" % (rel(cfg.path), cfg.listen))
    volume_targets = [str(v).split(":")[1] for v in services["budgetd"].get("volumes") or [] if ":" in str(v)]
    if cfg.storage_dir not in volume_targets + image.volumes:
        fail("docker/compose.yaml: budgetd's storage.dir %s is not a volume" % cfg.storage_dir)
    am_port = next(iter(ports["alertmanager"]), 9093)
    if "http://alertmanager:%d" % am_port not in [u.rstrip("/") for u in cfg.alertmanagers]:
        fail("%s: notify.alertmanager must send to http://alertmanager:%d (has %s)"
             % (rel(cfg.path), am_port, cfg.alertmanagers))

    # prometheus: scrapes budgetd:<listen port>, alerts to alertmanager.
    prom_file = binds["prometheus"].get("/etc/prometheus/prometheus.yml")
    if not prom_file:
        fail("docker/compose.yaml: prometheus does not mount a prometheus.yml at /etc/prometheus/prometheus.yml")
    elif os.path.isfile(prom_file):
        prom = read_yaml(prom_file, "Prometheus config") or {}
        jobs = [j for j in prom.get("scrape_configs") or []
                if any("budgetd:%s" % cfg.port in (sc.get("targets") or []) for sc in j.get("static_configs") or [])]
        if not jobs:
            fail("%s: no scrape job targets budgetd:%s" % (rel(prom_file), cfg.port))
        for job in jobs:
            interval = job.get("scrape_interval", dig(prom, "global", "scrape_interval"))
            if seconds(interval) != 15:
                fail("%s: job %s scrapes every %s, expected 15s" % (rel(prom_file), job.get("job_name"), interval))
            if job.get("metrics_path", "/metrics") != "/metrics":
                fail("%s: job %s must scrape /metrics" % (rel(prom_file), job.get("job_name")))
        am_targets = [t for am in dig(prom, "alerting", "alertmanagers", default=[]) or []
                      for sc in am.get("static_configs") or [] for t in sc.get("targets") or []]
        if "alertmanager:%d" % am_port not in am_targets:
            fail("%s: alerting must target alertmanager:%d (has %s)" % (rel(prom_file), am_port, am_targets))
        if shutil.which("promtool"):
            r = subprocess.run(["promtool", "check", "config", "--syntax-only", prom_file],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fail("promtool check config %s:\n%s%s" % (rel(prom_file), r.stdout, r.stderr))

    # alertmanager: a route whose receivers exist.
    am_file = binds["alertmanager"].get("/etc/alertmanager/alertmanager.yml")
    if not am_file:
        fail("docker/compose.yaml: alertmanager does not mount /etc/alertmanager/alertmanager.yml")
    elif os.path.isfile(am_file):
        am = read_yaml(am_file, "Alertmanager config") or {}
        receivers = {r.get("name") for r in am.get("receivers") or []}
        routes = [am.get("route") or {}]
        while routes:
            route = routes.pop()
            if "receiver" in route and route["receiver"] not in receivers:
                fail("%s: route receiver %s is not defined" % (rel(am_file), route["receiver"]))
            routes += route.get("routes") or []
        if not dig(am, "route", "receiver"):
            fail("%s: the top-level route needs a receiver" % rel(am_file))
        if shutil.which("amtool"):
            r = subprocess.run(["amtool", "check-config", am_file], capture_output=True, text=True)
            if r.returncode != 0:
                fail("amtool check-config %s:\n%s%s" % (rel(am_file), r.stdout, r.stderr))

    # grafana: a Prometheus data source and the dashboard directory.
    prov = binds["grafana"].get("/etc/grafana/provisioning")
    if not prov:
        fail("docker/compose.yaml: grafana does not mount a provisioning directory at /etc/grafana/provisioning")
        return
    prom_port = next(iter(ports["prometheus"]), 9090)
    ds_file = os.path.join(prov, "datasources", "prometheus.yaml")
    if not os.path.isfile(ds_file):
        fail("%s is missing" % rel(ds_file))
    else:
        sources = (read_yaml(ds_file, "Grafana data sources") or {}).get("datasources") or []
        if not any(s.get("type") == "prometheus" and str(s.get("url")).rstrip("/") == "http://prometheus:%d" % prom_port
                   for s in sources):
            fail("%s: needs a prometheus data source at http://prometheus:%d" % (rel(ds_file), prom_port))
    db_file = os.path.join(prov, "dashboards", "budgetd.yaml")
    if not os.path.isfile(db_file):
        fail("%s is missing" % rel(db_file))
        return
    for provider in (read_yaml(db_file, "Grafana dashboard provider") or {}).get("providers") or []:
        where = dig(provider, "options", "path")
        host = binds["grafana"].get(where)
        if host is None:
            fail("%s: provider %s loads %s, which compose does not mount into grafana"
                 % (rel(db_file), provider.get("name"), where))
        elif not os.path.isfile(os.path.join(host, "budgetd-grafana.json")):
            fail("%s: %s (mounted from %s) holds no budgetd-grafana.json" % (rel(db_file), where, rel(host)))
        elif os.path.realpath(host) != os.path.realpath(os.path.join(REPO, "dashboards")):
            fail("docker/compose.yaml: grafana must mount the repository's dashboards/ at %s" % where)


# --- systemd unit ---------------------------------------------------------------------------------



# --- the cluster's compose file (README "Running a cluster") -----------------------------------


def check_compose_cluster(image):
    """docker/compose.cluster.yaml: three budgetd replicas that pass `budgetd check`, each with its
    own node name, data volume and published port, whose Redis is the compose file's Sentinels
    (watching its primary by the configs' master name) and whose advertise URLs and peer token
    point at the compose file's own services and files."""
    compose_dir = os.path.join(REPO, "docker")
    path = os.path.join(compose_dir, "compose.cluster.yaml")
    where = "docker/compose.cluster.yaml"
    if not os.path.isfile(path):
        fail(where + " is missing")
        return
    compose = read_yaml(path, "compose file") or {}
    services = dig(compose, "services", default={}) or {}
    named = set(compose.get("volumes") or {})
    replicas = sorted(n for n in services if n.startswith("budgetd-"))
    if len(replicas) != 3:
        fail("%s: wants three budgetd replicas, has %s" % (where, replicas))
    sentinels = sorted(n for n in services if n.startswith("sentinel-"))
    if len(sentinels) != 3:
        fail("%s: wants three Sentinels, has %s" % (where, sentinels))
    for name in ("redis-primary", "redis-replica"):
        if name not in services:
            fail("%s: no service %s" % (where, name))
    sentinel_conf = None
    for name in sentinels:
        binds = mounts(name, services[name], compose_dir, named)
        sentinel_conf = binds.get("/etc/redis/sentinel.conf", sentinel_conf)
    monitored = {}
    if sentinel_conf and os.path.isfile(sentinel_conf):
        for line in open(sentinel_conf):
            words = line.split()
            if words[:2] == ["sentinel", "monitor"] and len(words) >= 5:
                monitored[words[2]] = words[3]
    else:
        fail("%s: the Sentinels mount no /etc/redis/sentinel.conf" % where)
    for name, host in monitored.items():
        if host not in services:
            fail("%s: Sentinel monitors %s at %s, which is not a compose service" % (rel(sentinel_conf), name, host))
    nodes, host_ports, data_volumes = set(), set(), set()
    for name in replicas:
        service = services[name]
        binds = mounts(name, service, compose_dir, named)
        config_file = binds.get(image.config_path)
        if not config_file or not os.path.isfile(config_file):
            fail("%s: %s mounts no config at %s" % (where, name, image.config_path))
            continue
        budgetd_check(config_file, "%s's %s" % (name, image.config_path))
        data = read_yaml(config_file, "budgetd config") or {}
        cfg = BudgetdConfig(config_file)
        node = dig(data, "cluster", "node")
        if not node:
            fail("%s: no cluster.node" % rel(config_file))
        elif node in nodes:
            fail("%s: cluster.node %s is used by another replica too" % (rel(config_file), node))
        nodes.add(node)
        advertise = str(dig(data, "cluster", "advertise", default=""))
        if advertise.rstrip("/") != "http://%s:%s" % (name, cfg.port):
            fail("%s: cluster.advertise is %s; peers reach %s at http://%s:%s" % (rel(config_file), advertise, name,
                                                                                 name, cfg.port))
        published_ports = published(service)
        if cfg.port not in published_ports:
            fail("%s: %s listens on %s but publishes %s" % (where, name, cfg.port, sorted(published_ports)))
        host_ports.update(published_ports.values())
        for s in dig(data, "cluster", "redis", "sentinels", default=None) or []:
            if str(s).rpartition(":")[0] not in sentinels:
                fail("%s: cluster.redis.sentinels names %s, not a Sentinel of the compose file" % (rel(config_file), s))
        master = dig(data, "cluster", "redis", "master")
        if master not in monitored:
            fail("%s: cluster.redis.master %s is not what the Sentinels monitor (%s)"
                 % (rel(config_file), master, sorted(monitored)))
        token = dig(data, "cluster", "peer_token_file")
        if token and token not in binds:
            fail("%s: %s does not mount cluster.peer_token_file %s" % (where, name, token))
        volume = next((str(v).split(":")[0] for v in service.get("volumes") or []
                       if str(v).split(":")[1:2] == [cfg.storage_dir]), None)
        if volume is None:
            fail("%s: %s's storage.dir %s is not a volume" % (where, name, cfg.storage_dir))
        elif volume in data_volumes:
            fail("%s: %s shares its data volume %s with another replica" % (where, name, volume))
        data_volumes.add(volume)
    if len(host_ports) != len(replicas):
        fail("%s: the replicas must publish distinct host ports (%s)" % (where, sorted(host_ports)))


def check_systemd(image):
    unit = os.path.join(REPO, "packaging", "budgetd.service")
    config = os.path.join(REPO, "packaging", "budgetd.yaml")
    for p in (unit, config):
        if not os.path.isfile(p):
            fail("%s is missing" % rel(p))
    if not os.path.isfile(unit):
        return
    section, service = None, {}
    with open(unit, encoding="utf-8") as f:
        text = f.read()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        if section == "Service":
            service.setdefault(key.strip(), []).append(value.strip())

    def one(key):
        return service.get(key, [None])[-1]

    expect = {"Type": "simple", "User": "budgetd", "Group": "budgetd", "KillSignal": "SIGTERM",
              "Restart": "on-failure", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
              "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
              "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
              "ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "LockPersonality": "yes",
              "MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native", "CapabilityBoundingSet": "",
              "LimitNOFILE": "65536", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX"}
    for key, value in expect.items():
        if one(key) != value:
            fail("packaging/budgetd.service: %s=%s, expected %s=%s" % (key, one(key), key, value))
    if "-HUP $MAINPID" not in (one("ExecReload") or ""):
        fail("packaging/budgetd.service: ExecReload must send SIGHUP to $MAINPID, got %s" % one("ExecReload"))
    exec_start = shlex.split(one("ExecStart") or "")
    if len(exec_start) != 4 or exec_start[1:3] != ["serve", "--config"]:
        fail("packaging/budgetd.service: ExecStart must be '<binary> serve --config <file>', got %s" % exec_start)
        return
    if image.config_path and exec_start[3] != image.config_path:
        fail("packaging/budgetd.service reads %s but the image reads %s: keep one installed path"
             % (exec_start[3], image.config_path))
    if "packaging/budgetd.yaml %s" % exec_start[3] not in text:
        fail("packaging/budgetd.service: its install notes must put packaging/budgetd.yaml at %s" % exec_start[3])
    if not os.path.isfile(config) or not budgetd_check(config, "the systemd unit's " + exec_start[3]):
        return
    cfg = BudgetdConfig(config)
    state = ["/var/lib/" + d for v in service.get("StateDirectory", []) for d in v.split()]
    writable = [p.lstrip("-") for v in service.get("ReadWritePaths", []) for p in v.split()]
    if cfg.storage_dir not in state:
        fail("packaging/budgetd.yaml: storage.dir %s is not the unit's StateDirectory (%s)" % (cfg.storage_dir, state))
    if cfg.storage_dir not in writable:
        fail("packaging/budgetd.service: ReadWritePaths %s does not include storage.dir %s" % (writable, cfg.storage_dir))
    stop = seconds(one("TimeoutStopSec") or "90s")
    if stop is None or cfg.drain_timeout is None or stop <= cfg.drain_timeout:
        fail("packaging/budgetd.service: TimeoutStopSec=%s must be longer than server.drain_timeout (%ss)"
             % (one("TimeoutStopSec"), cfg.drain_timeout))


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
        proc = subprocess.Popen([BUDGETD, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=log)
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
    path = os.path.join(REPO, "dashboards", "budgetd-grafana.json")
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


def main():
    global BUDGETD, REPO
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    BUDGETD, REPO = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.access(BUDGETD, os.X_OK):
        print("FAIL: %s is not an executable budgetd binary" % BUDGETD, file=sys.stderr)
        return 1
    image = check_dockerfile()
    check_compose(image)
    check_compose_cluster(image)
    check_systemd(image)
    check_dashboard()
    problems = list(dict.fromkeys(failures))  # once each, in order
    for f in problems:
        print("FAIL: " + f, file=sys.stderr)
    if problems:
        print("%d packaging problem(s)" % len(problems), file=sys.stderr)
        return 1
    print("packaging: Dockerfile, compose, systemd unit and dashboard are consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
