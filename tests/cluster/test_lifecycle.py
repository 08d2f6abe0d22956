"""A controller release's life with the post-renderer, against a real API server.

Each test is one user's story on one release, with real helm 3 or 4 and the post-renderer
installed as the README says. After every step, ``ControllerRelease.check`` reads what the API
server stored: every pod template (the Deployments' and the auto-update Job's) finds each
Secret, ConfigMap, key and volume it needs, no env name is set twice, no password is in plain
sight. A Deployment's ``metadata.generation`` moves exactly when its spec changed, so it tells
which step restarts the pods.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest

from .. import certs
from ..auto_update_emulation import copy_chart
from ..conftest import FIXTURE_CHART
from .release import (
    CHECKSUMS,
    PROXY_PASSWORD,
    PROXY_URL,
    ControllerRelease,
    generation,
    injected_names,
    ok,
    pod_shape,
    vendor_flags,
)
from .server import ApiServer
from .stored import leaks

OURS = ("-ocean-proxy", "-ocean-proxy-ca", "-ocean-proxy-values")  # Secrets we add


@pytest.fixture(scope="module")
def corp_cas(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corporate root alone, and with a second root (a CA rotation)."""
    directory = tmp_path_factory.mktemp("corp-cas")
    first, second = certs.root("Corp Proxy Root CA"), certs.root("Corp Proxy Root CA 2026")
    (directory / "one.pem").write_bytes(first.pem)
    (directory / "two.pem").write_bytes(first.pem + second.pem)
    return directory / "one.pem", directory / "two.pem"


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str,
               corp_cas: tuple[Path, Path]) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(corp_cas[0]))


def our_secrets(controller: ControllerRelease) -> set[str]:
    wanted = {controller.fullname + suffix for suffix in OURS}
    return wanted & set(controller.stored().secrets)


def test_install_same_settings_and_a_ca_change(user, controller, corp_cas):
    ok(controller.upgrade(user))
    stored = controller.check()
    template = stored.deployments[controller.fullname]["spec"]["template"]
    assert injected_names(template) == {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy",
                                        "http_proxy", "no_proxy", "SSL_CERT_DIR"}
    assert all(template["metadata"]["annotations"].get(key) for key in CHECKSUMS)
    installed = generation(controller)

    ok(controller.upgrade(user))  # the same command again, as a pipeline reruns it
    controller.check()
    assert generation(controller) == installed, "an upgrade with the same settings rolled pods"
    assert controller.template() == template

    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={corp_cas[1]}"))
    controller.check()
    annotations = controller.template()["metadata"]["annotations"]
    assert generation(controller) == installed + 1
    assert annotations["checksum/ca-bundle"] != template["metadata"]["annotations"][
        "checksum/ca-bundle"]
    assert annotations["checksum/proxy"] == template["metadata"]["annotations"]["checksum/proxy"]


def test_a_new_proxy_password_rolls_the_pods_once_and_shows_nowhere(user, controller):
    """Only the proxy Secret's data changes with a password: the pod template would stay
    the same, and the pods would keep the old password, without checksum/proxy."""
    ok(controller.upgrade(user))
    before = controller.check()
    installed = generation(controller)
    password = "N3w-pr0xy-Pa55"
    new_url = PROXY_URL.replace(quote(PROXY_PASSWORD, safe=""), password)
    assert new_url != PROXY_URL

    ok(controller.upgrade(user, "--set", f"spotinst.proxyUrl={new_url}"))

    stored = controller.check()
    assert generation(controller) == installed + 1
    assert stored.secret_text(f"{controller.fullname}-ocean-proxy", "proxy-url") == new_url
    assert leaks(stored, [password]) == []
    annotations = controller.template()["metadata"]["annotations"]
    assert annotations["checksum/proxy"] != before.deployments[controller.fullname]["spec"][
        "template"]["metadata"]["annotations"]["checksum/proxy"]
    assert annotations["checksum/ca-bundle"] == before.deployments[controller.fullname][
        "spec"]["template"]["metadata"]["annotations"]["checksum/ca-bundle"]


def test_a_private_key_pasted_with_the_ca_is_refused_and_nothing_reaches_the_server(
        user, controller, tmp_path):
    """The vendor's procedure has the user paste the proxy's CA by hand; a private key
    copied with it must stop the upgrade before helm sends anything, and show nowhere."""
    ok(controller.upgrade(user))
    before = controller.check()
    installed = generation(controller)
    pasted = certs.root("Pasted Proxy Root CA")
    bundle = tmp_path / "pasted.pem"
    bundle.write_bytes(pasted.pem + pasted.key_pem)

    refused = controller.upgrade(user, "--set-file", f"caBundleSecret.data={bundle}")

    assert refused.returncode != 0
    assert "is a private key" in refused.stderr, refused.stderr
    key_lines = pasted.key_pem.decode().splitlines()[1:-1]
    assert not [line for line in key_lines if line in refused.stderr + refused.text]
    after = controller.check()
    assert generation(controller) == installed
    assert {name: secret.get("data") for name, secret in after.secrets.items()} == \
        {name: secret.get("data") for name, secret in before.secrets.items()}
    stored = "".join(base64.b64decode(value).decode("latin-1")
                     for secret in after.secrets.values()
                     for value in (secret.get("data") or {}).values())
    assert not [line for line in key_lines if line in stored]
    assert pasted.pem.decode() not in stored  # nothing of the refused upgrade was applied


def test_plain_chart_keeps_only_the_kept_secrets_and_the_post_renderer_comes_back(
        user, controller):
    ok(controller.upgrade(user))
    with_us = controller.check()
    kept = {name for name in with_us.kept_secrets() if name.startswith(controller.fullname)}
    assert kept == {controller.fullname + suffix for suffix in OURS}

    ok(controller.upgrade(user, post_render=False))  # the vendor's command alone
    plain = controller.check(chart_alone=True)
    assert injected_names(controller.template()) == {"HTTPS_PROXY", "NO_PROXY"}  # the chart's
    assert our_secrets(controller) == kept
    assert plain.deployments[controller.fullname]["metadata"]["generation"] == 2

    ok(controller.upgrade(user))
    controller.check()
    assert pod_shape(controller.template()) == pod_shape(
        with_us.deployments[controller.fullname]["spec"]["template"])


def test_chart_upgrade_from_0_1_64_to_0_1_74(user, controller, tmp_path):
    """The chart's own checksums (config, secret, cluster-role) cover its chart label, so the
    chart rolls the pods; nothing of ours changes."""
    charts = {v: copy_chart(FIXTURE_CHART, tmp_path / v, v) for v in ("0.1.64", "0.1.74")}
    ok(controller.upgrade(user, chart=charts["0.1.64"]))
    before = pod_shape(controller.check().deployments[controller.fullname]["spec"]["template"])

    ok(controller.upgrade(user, chart=charts["0.1.74"]))
    after_deployment = controller.check().deployments[controller.fullname]
    after = pod_shape(after_deployment["spec"]["template"])
    assert after_deployment["metadata"]["labels"]["helm.sh/chart"] == \
        "ocean-kubernetes-controller-0.1.74"
    for shape in (before, after):
        shape["annotations"] = {k: v for k, v in shape["annotations"].items() if k in CHECKSUMS}
    assert after == before


def test_uninstall_leaves_the_kept_secrets_and_a_reinstall_adopts_them(user, controller):
    ok(controller.upgrade(user))
    installed = controller.check()

    ok(user.helm("uninstall", controller.name, "--namespace", controller.namespace))
    stored = controller.check()
    assert controller.fullname not in stored.deployments
    assert our_secrets(controller) == {controller.fullname + suffix for suffix in OURS}

    ok(controller.upgrade(user))
    controller.check()
    assert pod_shape(controller.template()) == pod_shape(
        installed.deployments[controller.fullname]["spec"]["template"])
    manifest = ok(user.helm("get", "manifest", controller.name, "-n", controller.namespace))
    for suffix in OURS:
        assert f"name: {controller.fullname}{suffix}\n" in manifest.text


def test_helm3_then_helm4_then_helm3_leaves_the_pod_template_alone(helm_users, controller):
    ok(controller.upgrade(helm_users.get("helm3")))
    template = controller.check().deployments[controller.fullname]["spec"]["template"]
    installed = generation(controller)

    ok(controller.upgrade(helm_users.get("helm4")))
    controller.check()
    under_helm4 = controller.template()
    ok(controller.upgrade(helm_users.get("helm3")))
    controller.check()

    assert controller.template() == template
    # Helm 4 hands every document over with a transient postrender-filename annotation:
    # it must not enter checksum/config, or each switch of majors restarts the pods once
    assert under_helm4 == template
    assert generation(controller) == installed

