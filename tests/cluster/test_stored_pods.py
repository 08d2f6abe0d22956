"""The pods as the API server stores them reach the Spot services through the proxy.

The other cluster tests compare stored pod templates with each other and check that every
reference resolves; this one gives what the API server stored to real TLS clients. The user
runs the vendor's command (a proxy with Basic auth, the corporate CA in ``caBundleSecret``),
first alone, then with the post-renderer, on helm 3 and 4. Each container is given only
what the kubelet would make of the stored Deployment, Secrets and ConfigMaps
(kubelet_view), over an image that trusts the public roots alone: the controller's Go stack
(the real helm pulling a chart from charts.spot.io) and the log-shipper's (fluent-bit's
proxy handling and trust paths on OpenSSL, asking api.spotinst.io), through the real
TLS-intercepting mitmdump.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..kubelet_view import ContainerView, container_view
from ..netfixtures.mitm import MitmProxy
from ..netfixtures.pki import SPOT_CHARTS, NetPki
from ..netfixtures.servers import LocalServer
from ..pod_sandbox import Image
from ..test_pod_proof import (
    LOG_SHIPPER,
    Traffic,
    assert_answered_through_the_proxy,
    assert_pulled_through_the_proxy,
    fluent_bit_get,
    go_pull,
)
from .helm_users import HelmUser
from .release import CONTROLLER, ControllerRelease, ok, vendor_flags
from .server import ApiServer


@pytest.fixture(scope="module")
def image(net_pki: NetPki) -> Image:
    return Image(net_pki.public_roots_file.read_bytes())


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, net_pki: NetPki,
               auth_proxy: MitmProxy) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}",
                             vendor_flags(net_pki.corp_root_file, auth_proxy.credentials_url))


def stored_view(release: ControllerRelease, container: str) -> ContainerView:
    """What the kubelet gives ``container`` from the objects the API server stored."""
    docs = release.api.list("secrets,configmaps", release.namespace)
    return container_view(docs, release.template(), container, namespace=release.namespace)


def test_the_stored_pods_reach_the_spot_services_through_the_proxy_only_post_rendered(
        user: HelmUser, controller: ControllerRelease, auth_proxy: MitmProxy,
        spot_origin: LocalServer, image: Image, tmp_path: Path) -> None:
    ok(controller.upgrade(user, post_render=False))  # the vendor's command alone
    controller.check(chart_alone=True)
    with Traffic(auth_proxy, spot_origin):
        alone = go_pull(user.binary, stored_view(controller, CONTROLLER), image,
                        tmp_path / "chart-alone")
    assert alone.returncode == 1  # the proxy's CA is not trusted by Go's stack
    assert f"https://{SPOT_CHARTS}/index.yaml" in alone.stderr

    ok(controller.upgrade(user))  # the same command with the post-renderer
    controller.check()
    with Traffic(auth_proxy, spot_origin) as traffic:
        run = go_pull(user.binary, stored_view(controller, CONTROLLER), image,
                      tmp_path / "controller")
    assert_pulled_through_the_proxy(run, traffic, spot_origin, tmp_path / "controller")

    with Traffic(auth_proxy, spot_origin) as traffic:
        run = fluent_bit_get(stored_view(controller, LOG_SHIPPER), image,
                             tmp_path / "log-shipper")
    assert_answered_through_the_proxy(run, traffic, spot_origin, auth_proxy)
