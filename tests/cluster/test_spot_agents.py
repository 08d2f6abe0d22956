"""The metric exporter beside the controller: two releases on the real API server.

The exporter is installed with the post-renderer next to a post-rendered controller and
told to read the controller's ConfigMap and CA Secret (``oceanController.*``). The
controller's release then changes on its own, as users change it: a CA rotation, then the
vendor's command without the post-renderer. After each step every stored pod template, the
exporter's included, can start (``ControllerRelease.check``), and what the kubelet would
give the exporter from the stored objects is the proxy with its credentials and the
controller's CA: a change in one release never breaks another Spot component.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .. import certs
from ..agent_charts import EXPORTER, EXPORTER_CHART, exporter_beside_controller
from ..kubelet_view import ContainerView, container_view
from .helm_users import HelmUser
from .release import PROXY_URL, ControllerRelease, ok, vendor_flags
from .server import ApiServer


@pytest.fixture(scope="module")
def corp_cas() -> tuple[certs.Issued, certs.Issued]:
    return certs.root("Corp Proxy Root CA"), certs.root("Corp Proxy Root CA 2026")


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, corp_cas, tmp_path: Path
               ) -> ControllerRelease:
    ca_file = tmp_path / "corp.pem"
    ca_file.write_bytes(corp_cas[0].pem)
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(ca_file))


def exporter_sees(controller: ControllerRelease) -> ContainerView:
    """What the kubelet gives the exporter's container from the stored objects."""
    _, name, container = EXPORTER
    stored = controller.stored()
    assert name in stored.deployments, f"Deployment {name} is not stored"
    docs = controller.api.list("secrets,configmaps", controller.namespace)
    return container_view(docs, stored.deployments[name]["spec"]["template"], container,
                          namespace=controller.namespace)


def trusted(view: ContainerView) -> set[bytes]:
    """The certificates (DER) of the exporter's USER_ENV_CERTIFICATES."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = view.env["USER_ENV_CERTIFICATES"].encode()
    return {cert.public_bytes(Encoding.DER) for cert in x509.load_pem_x509_certificates(pem)}


def test_the_controllers_own_changes_leave_the_exporter_its_proxy_and_ca(
        user: HelmUser, controller: ControllerRelease, corp_cas, tmp_path: Path) -> None:
    first, second = corp_cas
    ok(controller.upgrade(user))
    ok(user.upgrade(f"{controller.name}-exporter", EXPORTER_CHART, controller.namespace,
                    *exporter_beside_controller(controller.fullname)))
    controller.check()
    seen = exporter_sees(controller)
    assert seen.env["PROXY_URL"] == PROXY_URL  # the credentials, from a Secret
    assert trusted(seen) == {first.der}

    rotated = tmp_path / "rotated.pem"
    rotated.write_bytes(first.pem + second.pem)
    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={rotated}"))
    controller.check()
    seen = exporter_sees(controller)
    assert seen.env["PROXY_URL"] == PROXY_URL
    assert trusted(seen) == {first.der, second.der}

    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={rotated}",
                          post_render=False))  # the vendor's command alone, for the controller
    controller.check(chart_alone=True)
    seen = exporter_sees(controller)
    assert seen.env["PROXY_URL"] == PROXY_URL
    assert trusted(seen) == {first.der, second.der}
