"""``ocean-proxy values`` on what the controller chart renders beside the controller (the
metric exporter with ocean-metric-exporter.deployChart=true), through the real helm 3: what
the values give the exporter, and what is refused or said."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .agent_charts import EXPORTER, EXPORTER_CHART
from .auto_update_emulation import load_docs
from .chart_render import FULLNAME, NAMESPACE, RELEASE
from .conftest import FIXTURE_CHART, clean_env, ocean_proxy, run_command
from .kubelet_view import container_view


def exporter_in_the_release(helm3: Path, namespace: str = NAMESPACE) -> str:
    """The exporter reading the controller's ConfigMap, Secret and CA Secret."""
    run = run_command([helm3, "template", RELEASE, EXPORTER_CHART, "--namespace", namespace,
                       "--set", f"oceanController.configMapName={FULLNAME}",
                       "--set", f"oceanController.secretName={FULLNAME}",
                       "--set", f"oceanController.caBundleSecretName={FULLNAME}-ca-bundle"],
                      env=clean_env())
    assert run.returncode == 0, run.stderr
    return run.text


def controller_chart(helm3: Path, *values: Path, namespace: str = NAMESPACE) -> str:
    run = run_command([helm3, "template", RELEASE, FIXTURE_CHART, "--namespace", namespace,
                       "--set", "spotinst.account=act-123", "--set", "spotinst.token=TOKEN",
                       "--set", "spotinst.clusterIdentifier=c-1",
                       *(arg for path in values for arg in ("--values", path))],
                      env=clean_env())
    assert run.returncode == 0, run.stderr
    return run.text


def exporter_view(docs: list[dict[str, Any]]):
    kind, name, container = EXPORTER
    [document] = [d for d in docs if (d["kind"], d["metadata"]["name"]) == (kind, name)]
    return container_view(docs, document["spec"]["template"], container, namespace=NAMESPACE)


def test_values_with_a_ca_alone_give_the_exporter_in_the_release_the_ca(
        helm3, tmp_path, ca_file, corp_root):
    """A transparent TLS-inspecting proxy needs the CA alone: no proxy is blanked, so the
    exporter the chart renders loses nothing; it reads the controller's CA Secret, which the
    values fill, and nothing says it goes without."""
    exporter = exporter_in_the_release(helm3)
    secrets = tmp_path / "ocean-proxy-secrets.yaml"

    run = ocean_proxy("values", f"--ca-file={ca_file}", "--secrets", secrets,
                      stdin=(controller_chart(helm3) + exporter).encode())

    assert run.returncode == 0, run.stderr
    overlay = tmp_path / "ocean-proxy-values.yaml"
    overlay.write_bytes(run.stdout)
    docs = load_docs(controller_chart(helm3, overlay)) + load_docs(exporter)
    seen = exporter_view(docs + load_docs(secrets.read_text()))
    assert corp_root.pem.decode().strip() in seen.env["USER_ENV_CERTIFICATES"]
    assert "gets no proxy and no CA" not in run.stderr, run.stderr
    assert "spot-ocean-metric-exporter" not in run.stderr, run.stderr


def test_values_for_one_namespace_neither_refuse_nor_name_a_namesake_release_elsewhere(
        helm3, tmp_path, ca_file):
    """A stream of two environments (helmfile templates them together): the values are for
    the first controller's release; the exporter the namesake release renders in another
    namespace reads that namespace's ConfigMap, which these values do not blank."""
    other = "spot-staging"
    stream = (controller_chart(helm3) + controller_chart(helm3, namespace=other)
              + exporter_in_the_release(helm3, namespace=other))

    run = ocean_proxy("values", "--proxy-url=http://proxy.corp:3128", f"--ca-file={ca_file}",
                      "--secrets", tmp_path / "ocean-proxy-secrets.yaml",
                      stdin=stream.encode())

    assert run.returncode == 0, run.stderr
    assert "spot-ocean-metric-exporter" not in run.stderr, run.stderr
    assert "which the chart renders too" not in run.stderr, run.stderr
    assert load_docs(run.stdout.decode()), "no values written"


def test_values_for_a_workload_that_is_another_agent_are_refused_not_written_empty(
        helm3, tmp_path):
    """'--workload' names the metric exporter the controller chart renders: the values are
    the controller chart's, which give that exporter nothing, and written for it they only
    blanked spotinst.proxyUrl and gave the controller's pods an annotation, exit 0."""
    beside = tmp_path / "beside.yaml"
    beside.write_text("ocean-metric-exporter: {deployChart: true}\n")
    secrets = tmp_path / "ocean-proxy-secrets.yaml"

    run = ocean_proxy("values", "--proxy-url=http://proxy.corp:3128", "--secrets", secrets,
                      f"--workload=Deployment/{RELEASE}-ocean-metric-exporter",
                      stdin=controller_chart(helm3, beside).encode())

    assert run.returncode == 1 and run.stdout == b"", run.stderr
    assert not secrets.exists()
    assert "writes the controller chart's values only" in run.stderr
    assert "--post-renderer ocean-proxy-post-renderer" in run.stderr
