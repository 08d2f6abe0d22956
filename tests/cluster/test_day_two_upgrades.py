"""Day-2 upgrades a platform team runs on a release over months, on the real API server.

- the vendor's command first (no post-renderer), then ocean-proxy added to it, then the
  pipeline's same command again: the pods roll once, the password leaves the ConfigMap and
  the manifest helm keeps of the new revision, and the render says what it did;
- a chart version upgrade with ``--reuse-values``, then another with
  ``--reset-then-reuse-values``, the post-renderer on: ocean-proxy's part of the pods stays;
- ``helm template`` with the pipeline's flags as a preview of the upgrade (what ``helm diff``
  shows), also checked against the cluster: the release helm then stores is that preview;
- a team moving from Helm 3 to Helm 4 mid-life, finishing a CA rotation under Helm 4, with
  its default method and with server-side apply; a release Helm 4 installed, changed by a
  pipeline still on Helm 3;
- a release of the ``PROXY_URL`` era (chart 0.1.3, the CA by ``--ca-file``) moved to a chart
  with the CA value, then the CA moved into that value;
- a CA rotation forced through by replacement (``--force``, ``--force-replace``);
- ``kubectl rollout restart`` by hand (the vendor's last step), then a CA change.

After each step ``ControllerRelease.check`` reads what the API server stored (every pod can
start, no password in plain sight), and ``trusted`` which corporate CAs the controller's Go
stack and the log-shipper's OpenSSL are given: exactly those of the user's last command.
test_day_two_settings.py changes the settings of such a release.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..auto_update_emulation import copy_chart
from ..conftest import FIXTURE_CHART
from .helm_users import POST_RENDERER
from .release import (
    CHECKSUMS,
    CONTROLLER,
    PROXY_PASSWORD,
    SUITE_FLAGS,
    ControllerRelease,
    generation,
    injected_names,
    ok,
    pod_shape,
    vendor_flags,
)
from .server import ApiServer
from .test_user_sequences import LOG_SHIPPER, trusted

SHOWN = (PROXY_PASSWORD, quote(PROXY_PASSWORD, safe=""))
INJECTED = {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy",
            "SSL_CERT_DIR"}


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, cas) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(cas[0]))


def ders(*files: Path) -> set[bytes]:
    return {cert.public_bytes(Encoding.DER) for file in files
            for cert in x509.load_pem_x509_certificates(file.read_bytes())}


def manifest(user, controller: ControllerRelease, revision: int) -> str:
    return ok(user.helm("get", "manifest", controller.name, "-n", controller.namespace,
                        "--revision", str(revision))).text


def said(run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy:")]


def test_the_vendors_install_then_ocean_proxy_added_then_the_same_command_again(
        user, controller):
    ok(controller.upgrade(user, post_render=False))  # 1: the vendor's command, as documented
    controller.check(chart_alone=True)
    assert [s for s in SHOWN if s in manifest(user, controller, 1)]  # the chart's own doing

    added = ok(controller.upgrade(user))  # 2: the same command, plus the post-renderer

    controller.check()
    assert said(added)[0].startswith("ocean-proxy: injected proxy http://alice:***@"), \
        added.stderr
    assert f"ConfigMap '{controller.fullname}' key 'proxy-url' is now blank" in added.stderr
    assert not [s for s in SHOWN if s in added.stderr]
    assert injected_names(controller.template()) == INJECTED
    assert generation(controller) == 2
    assert not [s for s in SHOWN if s in manifest(user, controller, 2)]

    again = ok(controller.upgrade(user))  # 3: the pipeline's next run
    controller.check()
    assert said(again) == said(added)
    assert generation(controller) == 2
    assert not [s for s in SHOWN if s in manifest(user, controller, 3)]


def test_chart_upgrades_with_reuse_values_keep_the_proxy_the_ca_and_the_checksums(
        user, controller, tmp_path):
    charts = {v: copy_chart(FIXTURE_CHART, tmp_path / v, v) for v in ("0.1.64", "0.1.74",
                                                                       "0.1.75")}
    ok(controller.upgrade(user, chart=charts["0.1.64"]))
    installed = pod_shape(controller.check().deployments[controller.fullname]["spec"]
                          ["template"])

    def ours(shape):
        return {**shape, "annotations": {k: v for k, v in shape["annotations"].items()
                                         if k in CHECKSUMS}}

    for version, reuse in (("0.1.74", "--reuse-values"), ("0.1.75",
                                                         "--reset-then-reuse-values")):
        ok(user.upgrade(controller.name, charts[version], controller.namespace, reuse))
        deployment = controller.check().deployments[controller.fullname]
        assert deployment["metadata"]["labels"]["helm.sh/chart"] == \
            f"ocean-kubernetes-controller-{version}"
        assert ours(pod_shape(deployment["spec"]["template"])) == ours(installed), version


def documents(text: str) -> dict[tuple[str, str], object]:
    return {(doc["kind"], doc["metadata"]["name"]): doc
            for doc in yaml.safe_load_all(text) if doc}


def test_helm_template_previews_what_the_upgrade_stores(user, controller, cas):
    """A reviewer's preview (``helm template`` with the pipeline's flags, as ``helm diff``
    renders it) of an install and of a CA change is the release helm then stores; the
    second checked against the cluster as an upgrade (``--is-upgrade`` and Helm 3's
    ``--validate``, Helm 4's ``--dry-run=server``)."""
    checked = ("--is-upgrade", "--dry-run=server" if user.major == "helm4" else "--validate")
    for step, against in (((), ()),
                          (("--set-file", f"caBundleSecret.data={cas[1]}"), checked)):
        preview = ok(user.helm("template", controller.name, FIXTURE_CHART, "--namespace",
                               controller.namespace, *controller.flags, *step, *against,
                               *POST_RENDERER))
        ok(controller.upgrade(user, *step))
        controller.check()
        stored = ok(user.helm("get", "manifest", controller.name, "-n", controller.namespace))
        previewed, applied = documents(preview.text), documents(stored.text)
        assert set(previewed) == set(applied)
        assert [key for key in previewed if previewed[key] != applied[key]] == [], step


@pytest.mark.parametrize("method", ["auto", "true"])
def test_a_team_moving_to_helm4_mid_life_rotates_the_ca_under_helm4(
        helm_users, controller, cas, tmp_path, method):
    """Installed and upgraded by Helm 3 (the CA rotation under way, both roots), then the
    pipeline's Helm 4 with the post-renderer plugin finishes it (the second root alone):
    with Helm 4's default (``--server-side auto``: three-way merge, as the release was
    installed) and with server-side apply asked for."""
    helm3, helm4 = helm_users.get("helm3"), helm_users.get("helm4")
    both = tmp_path / "both.pem"
    both.write_bytes(cas[0].read_bytes() + cas[1].read_bytes())
    ok(controller.upgrade(helm3))
    ok(controller.upgrade(helm3, "--set-file", f"caBundleSecret.data={both}"))
    controller.check()
    rotating = generation(controller)

    ok(controller.upgrade(helm4, "--server-side", method,
                          "--set-file", f"caBundleSecret.data={cas[1]}"))

    controller.check()
    assert generation(controller) == rotating + 1
    assert trusted(controller, CONTROLLER) == ders(cas[1])
    assert trusted(controller, LOG_SHIPPER) == ders(cas[1])


OLD_CHART = FIXTURE_CHART.parent / "ocean-kubernetes-controller-0.1.3"


def test_a_release_of_the_proxy_url_era_moves_to_a_chart_with_the_ca_value(
        user, api_server, cluster_namespace, cas):
    """Chart 0.1.3 (``PROXY_URL``, no CA value: the CA by ``--ca-file``) upgraded to the
    current chart with ``--reset-then-reuse-values`` (``--reuse-values`` fails in the chart
    itself, without the values 0.1.3 did not have) and the same post-renderer arguments, then
    the CA moved into the chart's own value as the vendor documents it."""
    controller = ControllerRelease(
        api_server, cluster_namespace, f"oc-{cluster_namespace.split('-')[0]}",
        [*vendor_flags(cas[0])[:8], *SUITE_FLAGS], [f"--ca-file={cas[0]}"])
    ok(controller.upgrade(user, chart=OLD_CHART))
    controller.check()
    assert trusted(controller, CONTROLLER) == ders(cas[0])

    ok(controller.upgrade(user, "--reset-then-reuse-values"))
    controller.check()
    assert injected_names(controller.template()) == INJECTED
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == ders(cas[0]), container

    controller.renderer_args = []
    ok(controller.upgrade(user, "--reuse-values", "--set", "caBundleSecret.create=true",
                          "--set-file", f"caBundleSecret.data={cas[0]}"))
    controller.check()
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == ders(cas[0]), container


def test_a_ca_rotation_forced_through_by_replacement(user, controller, cas):
    """``--force`` (Helm 3) / ``--force-replace`` (Helm 4), as teams use it after an
    upgrade stuck on an immutable field: the objects are replaced, ocean-proxy's kept
    Secrets too. Helm 4 replaces only without server-side apply ("cannot use server-side
    apply and force replace together")."""
    force = ("--server-side=false", "--force-replace") if user.major == "helm4" else ("--force",)
    ok(controller.upgrade(user))
    controller.check()

    forced = controller.upgrade(user, *force, "--set-file", f"caBundleSecret.data={cas[1]}")

    assert forced.returncode == 0, forced.stderr
    controller.check()
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == ders(cas[1]), container
    assert generation(controller) == 2
    ok(controller.upgrade(user, *force, "--set-file", f"caBundleSecret.data={cas[1]}"))
    controller.check()
    assert generation(controller) == 2  # replaced with the same spec: no roll


def test_a_restart_by_hand_then_a_ca_change(user, controller, cas):
    """The vendor's procedure ends with 'restart the pod yourself': ``kubectl rollout
    restart`` marks the pod template, then the pipeline's next upgrade changes the CA."""
    ok(controller.upgrade(user))
    controller.api.kubectl("rollout", "restart", f"deployment/{controller.fullname}",
                           "-n", controller.namespace)
    restarted = generation(controller)

    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={cas[1]}"))

    controller.check()
    assert generation(controller) == restarted + 1
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == ders(cas[1]), container


def test_a_team_back_on_helm3_after_helm4_rotates_the_ca(helm_users, controller, cas):
    """Installed by Helm 4 (server-side apply), then a pipeline that still runs Helm 3 with
    the plugin on PATH changes the CA."""
    ok(controller.upgrade(helm_users.get("helm4")))
    installed = generation(controller)

    ok(controller.upgrade(helm_users.get("helm3"), "--set-file",
                          f"caBundleSecret.data={cas[1]}"))

    controller.check()
    assert generation(controller) == installed + 1
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == ders(cas[1]), container
