"""docker/compose.yaml and the files it mounts, and the cluster's docker/compose.cluster.yaml
(three replicas, Redis and Sentinels)."""

import os
import shutil
import subprocess

import packaging_common as common
from packaging_common import fail, read_yaml, dig, seconds, rel, budgetd_check, BudgetdConfig


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
    compose_dir = os.path.join(common.REPO, "docker")
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
    if os.path.realpath(context) != os.path.realpath(common.REPO):
        fail("docker/compose.yaml: budgetd must build from the repository root, not %s" % context)
    if os.path.realpath(dockerfile) != os.path.realpath(os.path.join(common.REPO, "docker", "Dockerfile")):
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
        elif os.path.realpath(host) != os.path.realpath(os.path.join(common.REPO, "dashboards")):
            fail("docker/compose.yaml: grafana must mount the repository's dashboards/ at %s" % where)


# --- the cluster's compose file (README "Running a cluster") -----------------------------------


def check_compose_cluster(image):
    """docker/compose.cluster.yaml: three budgetd replicas that pass `budgetd check`, each with its
    own node name, data volume and published port, whose Redis is the compose file's Sentinels
    (watching its primary by the configs' master name) and whose advertise URLs and peer token
    point at the compose file's own services and files."""
    compose_dir = os.path.join(common.REPO, "docker")
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
