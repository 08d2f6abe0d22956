"""A few users' many values at once (tests/test_value_combinations.py), installed on the real
API server with helm 3 and helm 4, then upgraded again with the same command.

Chosen for what no other cluster test installs: env the chart renders twice (extraEnv that
already names HTTPS_PROXY, https_proxy and NO_PROXY, the log-shipper's own HTTP_PROXY), which
Helm 4's server-side apply refuses outright and ocean-proxy makes one; a nameOverride; env
shared by both containers through a YAML anchor; the metric exporter and the network client
beside the controller with a password full of URL delimiters; the chart's CA Secret
pointed at one that does not exist, and the CA given by flag; an https:// proxy beside the
log-shipper's own http:// one, which fluent-bit keeps.

After each step: every stored pod can start as meant (stored.pod_problems: no env name twice,
no reference to a missing Secret of ocean-proxy's), the password shows nowhere in plain
sight, and the second upgrade changes no pod template (no restart for nothing).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from .. import certs
from ..conftest import FIXTURE_CHART
from ..test_value_combinations import (
    COMBINATIONS,
    PASSWORD,
    Combination,
    agent_workloads,
    values_file,
)
from .helm_users import HelmUser
from .release import SUITE_FLAGS, ok
from .server import ApiServer
from .stored import Stored, leaks, pod_problems

CHOSEN = ("name-override-and-user-env-that-names-proxy-and-ca",
          "anchors-shared-by-both-containers", "agents-beside-the-controller",
          "existing-ca-secret-and-ca-file-flag",
          "https-proxy-beside-a-log-shippers-own-http-proxy")


def chosen() -> list[Combination]:
    return [combo for combo in COMBINATIONS if combo.name in CHOSEN]


def templates(stored: Stored) -> dict[str, object]:
    workloads = [*stored.deployments.values(), *stored.daemonsets.values()]
    return {w["metadata"]["name"]: w["spec"]["template"] for w in agent_workloads(workloads)}


@pytest.mark.parametrize("combo", chosen(), ids=lambda combo: combo.name)
def test_a_users_values_all_at_once_install_and_upgrade_on_the_api_server(
        user: HelmUser, api_server: ApiServer, cluster_namespace: str, combo: Combination,
        tmp_path: Path):
    ca_pem = certs.root("Corp Cluster Combination Root").pem.decode()
    values = values_file(tmp_path, combo, ca_pem)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(ca_pem)
    args = [arg for given in combo.args
            for arg in ("--post-renderer-args", given.replace("CA_FILE", str(ca_file)))]
    release = f"c-{cluster_namespace.split('-')[0]}"

    def upgrade() -> Stored:
        ok(user.upgrade(release, FIXTURE_CHART, cluster_namespace, "--values", values,
                        *SUITE_FLAGS, *args))
        stored = Stored.read(api_server, cluster_namespace)
        assert pod_problems(stored) == []
        assert leaks(stored, [PASSWORD, quote(PASSWORD, safe=""), *combo.secrets]) == []
        return stored

    first = templates(upgrade())
    assert first, "no Spot agent was stored"
    assert templates(upgrade()) == first
