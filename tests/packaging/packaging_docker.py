"""The image and the host: docker/Dockerfile with .dockerignore, and the systemd unit
packaging/budgetd.service with its config."""

import fnmatch
import os
import re
import shlex

import packaging_common as common
from packaging_common import fail, seconds, rel, budgetd_check, BudgetdConfig, instructions, exec_form


# --- Dockerfile and .dockerignore ---------------------------------------------------------------


class Image:
    pass


def check_dockerfile():
    image = Image()
    image.config_path = image.config_source = image.config = None
    image.volumes, image.exposed = [], []
    dockerfile = os.path.join(common.REPO, "docker", "Dockerfile")
    if not os.path.isfile(dockerfile):
        fail("docker/Dockerfile is missing")
        return image
    ignore = []
    dockerignore = os.path.join(common.REPO, ".dockerignore")
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
                if not os.path.exists(os.path.join(common.REPO, src)):
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
    image.config_source = os.path.join(common.REPO, sources[0][0])
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


# --- systemd unit ---------------------------------------------------------------------------------


def check_systemd(image):
    unit = os.path.join(common.REPO, "packaging", "budgetd.service")
    config = os.path.join(common.REPO, "packaging", "budgetd.yaml")
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
