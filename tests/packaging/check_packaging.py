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

The checks live beside this file: packaging_docker.py (Dockerfile, .dockerignore, systemd unit),
packaging_compose.py (both compose files), packaging_dashboard.py (the Grafana dashboard),
packaging_common.py and packaging_yaml.py (what they share).
"""

import os
import sys

import packaging_common as common
from packaging_compose import check_compose, check_compose_cluster
from packaging_dashboard import check_dashboard
from packaging_docker import check_dockerfile, check_systemd


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    common.BUDGETD, common.REPO = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.access(common.BUDGETD, os.X_OK):
        print("FAIL: %s is not an executable budgetd binary" % common.BUDGETD, file=sys.stderr)
        return 1
    image = check_dockerfile()
    check_compose(image)
    check_compose_cluster(image)
    check_systemd(image)
    check_dashboard()
    problems = list(dict.fromkeys(common.failures))  # once each, in order
    for f in problems:
        print("FAIL: " + f, file=sys.stderr)
    if problems:
        print("%d packaging problem(s)" % len(problems), file=sys.stderr)
        return 1
    print("packaging: Dockerfile, compose, systemd unit and dashboard are consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
