"""``ocean-proxy values`` for a controller whose ConfigMap a metric exporter of another release
reads: the Secrets file it writes must hold the proxy URL under the name and key where that
exporter, post-rendered, looks for it, or the exporter's pod cannot start. Rendered by the
real helm 3 and judged as the kubelet would."""

from __future__ import annotations

from pathlib import Path

from .agent_charts import (
    CONTROLLER_CHART,
    CONTROLLER_RELEASE,
    EXPORTER,
    EXPORTER_CHART,
    NO_CONTROLLER_EXTRAS,
    SPOT_FLAGS,
    exporter_beside_controller,
    helm_template,
    rendered,
    view,
)
from .auto_update_emulation import load_docs
from .conftest import clean_env, ocean_proxy, post_renderer
from .kubelet_view import ContainerView

PROXY = "http://alice:s3cret-Pw@proxy.corp:3128"


def exporter_beside_values(helm3: Path, tmp_path: Path, vendor: tuple[str, ...],
                           *flags: str) -> ContainerView:
    """The controller's release upgraded with the values and its Secrets file applied, and
    an exporter of another release reading its objects, post-rendered with no flags."""
    chart = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, CONTROLLER_CHART, *vendor)
    assert chart.returncode == 0, chart.stderr
    secrets = tmp_path / "ocean-proxy-secrets.yaml"
    run = ocean_proxy("values", *flags, "--secrets", secrets, stdin=chart.stdout)
    assert run.returncode == 0, run.stderr
    overlay = tmp_path / "ocean-proxy-values.yaml"
    overlay.write_bytes(run.stdout)
    controller = rendered(helm_template(helm3, clean_env(), CONTROLLER_RELEASE,
                                        CONTROLLER_CHART, *vendor, "--values", str(overlay)))
    exporter_chart = helm_template(helm3, clean_env(), "exporter", EXPORTER_CHART,
                                   *exporter_beside_controller())
    assert exporter_chart.returncode == 0, exporter_chart.stderr
    exporter = post_renderer(stdin=exporter_chart.stdout)
    assert exporter.returncode == 0, exporter.stderr
    docs = controller.docs + load_docs(secrets.read_text()) + load_docs(exporter.text)
    return view(docs, *EXPORTER)


def test_values_secrets_give_an_exporter_of_another_release_the_full_proxy_url(
        helm3, tmp_path):
    """The values blank the controller's ConfigMap key; the exporter, post-rendered, reads
    the URL from the Secret beside that ConfigMap, which the Secrets file provides."""
    vendor = (*SPOT_FLAGS, *NO_CONTROLLER_EXTRAS, "--set", f"spotinst.proxyUrl={PROXY}")

    seen = exporter_beside_values(helm3, tmp_path, vendor)

    assert seen.env["PROXY_URL"] == PROXY


def test_values_with_a_ca_alone_let_an_exporter_of_another_release_start_without_a_proxy(
        helm3, tmp_path, ca_file, corp_root):
    """A transparent TLS-inspecting proxy: no proxy URL, but the exporter, post-rendered,
    still reads its PROXY_URL from the Secret beside the controller's ConfigMap; the Secrets
    file must hold that key, empty, or the exporter's pod never starts."""
    seen = exporter_beside_values(helm3, tmp_path, (*SPOT_FLAGS, *NO_CONTROLLER_EXTRAS),
                                  f"--ca-file={ca_file}")

    assert seen.env["PROXY_URL"] == ""
    assert corp_root.pem.decode().strip() in seen.env["USER_ENV_CERTIFICATES"]
