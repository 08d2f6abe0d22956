"""``ocean-proxy values`` and the post-renderer on one release, against a real API server.

A user of the values route renders the chart, runs ``ocean-proxy values``, applies the
Secrets it writes with kubectl and upgrades with the values file; later they move to the
post-renderer, or came from it. Both moves must work on Helm 3 (three-way merge) and Helm 4
(server-side apply): helm adopts the Secrets the values route applied (their ownership
metadata names the release), keeps the ones the values route no longer renders
(``helm.sh/resource-policy: keep``), and the stored pod template stays the same by meaning,
except ``checksum/config`` (the ConfigMap holds the auto-update Job with the proxy only when
post-rendered; README, "One pod template for every route").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .. import certs
from ..conftest import FIXTURE_CHART, Run, ocean_proxy
from .helm_users import HelmUser
from .release import PROXY_URL, ControllerRelease, ok, pod_shape, vendor_flags
from .server import ApiServer

DIFFERS = "checksum/config"


@pytest.fixture(scope="module")
def corp_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("values-route") / "corp.pem"
    path.write_bytes(certs.root("Corp Proxy Root CA").pem)
    return path


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str,
               corp_ca: Path) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(corp_ca))


def my_values(corp_ca: Path, workdir: Path) -> Path:
    """The vendor's settings as a values file: the values route needs them in one, since a
    ``--set`` on helm's command line beats every ``-f`` file, the blank ``proxyUrl`` of
    ocean-proxy's included (the chart would then render ``NO_PROXY`` twice)."""
    path = workdir / "my-values.yaml"
    path.write_text(yaml.safe_dump({
        "spotinst": {"account": "act-123", "clusterIdentifier": "c-1", "token": "TOKEN",
                     "proxyUrl": PROXY_URL},
        "caBundleSecret": {"create": True, "data": corp_ca.read_text()},
        "metrics-server": {"apiService": {"create": False}}}))
    return path


def values_route(user: HelmUser, controller: ControllerRelease, mine: Path,
                 workdir: Path) -> Run:
    """The README's recipe: render, write the values and the Secrets, kubectl apply the
    Secrets, 'helm upgrade -f my-values.yaml -f ocean-proxy-values.yaml'."""
    rendered = ok(user.helm("template", controller.name, FIXTURE_CHART, "--namespace",
                            controller.namespace, "-f", mine))
    secrets, values = workdir / "ocean-proxy-secrets.yaml", workdir / "ocean-proxy-values.yaml"
    run = ok(ocean_proxy("values", "--values", mine, "--secrets", secrets,
                         stdin=rendered.stdout))
    values.write_bytes(run.stdout)
    ok(controller.api.kubectl("apply", "--namespace", controller.namespace, "-f", str(secrets)))
    return user.upgrade(controller.name, FIXTURE_CHART, controller.namespace, "-f", mine,
                        "-f", values, post_render=False)


def shape(template: dict[str, Any]) -> dict[str, Any]:
    found = pod_shape(template)
    found["annotations"] = {k: v for k, v in found["annotations"].items() if k != DIFFERS}
    return found


def test_values_route_then_the_post_renderer_adopts_its_secrets(
        user, controller, corp_ca, tmp_path):
    ok(values_route(user, controller, my_values(corp_ca, tmp_path), tmp_path))
    before = controller.check().deployments[controller.fullname]["spec"]["template"]

    ok(controller.upgrade(user))  # was: "... exists and cannot be imported ..."

    controller.check()
    assert shape(controller.template()) == shape(before)
    manifest = ok(user.helm("get", "manifest", controller.name, "-n", controller.namespace))
    assert f"name: {controller.fullname}-ocean-proxy-ca\n" in manifest.text  # adopted


def test_post_renderer_then_the_values_route_keeps_the_pods_as_they_were(
        user, controller, corp_ca, tmp_path):
    ok(controller.upgrade(user))
    before = controller.check().deployments[controller.fullname]["spec"]["template"]

    ok(values_route(user, controller, my_values(corp_ca, tmp_path), tmp_path))

    controller.check()
    assert shape(controller.template()) == shape(before)
