"""``ocean-proxy values`` on another Spot agent's chart: what the user is told.

The values route writes the controller chart's values only; the metric exporter's and the
network client's charts have no values for the CA volume. Rendered by the real helm (3 and 4)
and piped in as a GitOps user would, the refusal must name what was given and point at the
post-renderer, not at a controller chart label or a controller chart upgrade.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from .agent_charts import (
    EXPORTER_CHART,
    NETWORK_CLIENT_CHART,
    NETWORK_CLIENT_NAMESPACE,
    helm_template,
)
from .cli_outcomes import failure
from .conftest import clean_env, ocean_proxy
from .netfixtures.fixtures import PROXY_PASSWORD

CASES = {"exporter": (EXPORTER_CHART, "spot-system", "ocean-metric-exporter-"),
         "network-client": (NETWORK_CLIENT_CHART, NETWORK_CLIENT_NAMESPACE,
                            "DaemonSet ocean-network-client")}


@pytest.mark.parametrize("helm_name", ["helm3", "helm4"])
@pytest.mark.parametrize("agent", list(CASES))
def test_another_agents_chart_is_refused_for_what_it_is(
        request, helm_name, agent, net_pki, tmp_path):
    helm: Path = request.getfixturevalue(helm_name)
    chart, namespace, named = CASES[agent]
    rendered = helm_template(helm, clean_env(), "agent", chart, namespace=namespace)
    assert rendered.returncode == 0, rendered.stderr
    secrets = tmp_path / "secrets.yaml"

    run = ocean_proxy("values", f"--proxy-url=http://u:{quote(PROXY_PASSWORD)}@proxy:3128",
                      f"--ca-file={net_pki.corp_root_file}", "--secrets", secrets,
                      stdin=rendered.text.encode())

    error, hint = failure(run)
    assert named in error and "controller chart's values only" in error
    assert "helm.sh/chart label" not in error and "0.1.53" not in hint
    assert "--post-renderer ocean-proxy-post-renderer" in hint
    assert not secrets.exists()
    assert PROXY_PASSWORD not in run.stderr and quote(PROXY_PASSWORD) not in run.stderr
