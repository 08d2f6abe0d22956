"""render_units: a release of several Spot agents, each planned as a unit of its own."""

from __future__ import annotations

import textwrap

import pytest

from post_renderer.render.pipeline import post_render

from ..chart_manifests import (
    AUTO_UPDATE_JOB,
    CA_KEY,
    CA_SECRET,
    EXPORTER,
    FULLNAME,
    ca_secret,
    configmap,
    controller,
    env_of,
    find,
    load_all,
    metric_exporter,
    release,
)
from ..user_settings import user_settings

PROXY = "http://alice:s3cret@proxy.corp.example:3128"
# the vendor's auto-update script: the Job's helm can pass ocean-proxy's values on
VENDOR_SCRIPT = """\
set -o pipefail
helm repo add spot https://charts.spot.io && \\
helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\
helm upgrade $(RELEASE_NAME) spot/ocean-kubernetes-controller --version $(CHART_VERSION) \\
  --atomic --timeout=$(WAIT_TIMEOUT) --values /tmp/values.yaml
"""


def exporter_beside_controller() -> str:
    """The metric exporter the controller chart renders (ocean-metric-exporter.deployChart):
    its cluster id and proxy URL from the controller's ConfigMap, its CA from the
    controller's CA Secret."""
    return metric_exporter(f"""\
        - name: SPOTINST_CLUSTER_IDENTIFIER
          valueFrom:
            configMapKeyRef: {{name: {FULLNAME}, key: spotinst.cluster-identifier}}
        - name: PROXY_URL
          valueFrom:
            configMapKeyRef: {{name: {FULLNAME}, key: proxy-url, optional: true}}
        - name: USER_ENV_CERTIFICATES
          valueFrom:
            secretKeyRef: {{name: {CA_SECRET}, key: {CA_KEY}, optional: true}}
""", chart="ocean-kubernetes-controller-0.1.60")


def vendor_configmap() -> str:
    """The controller's ConfigMap with the proxy URL and the vendor's auto-update Job."""
    rendered = configmap(proxy_url=PROXY)
    job_args = "              helm repo add spot https://charts.spot.io\n" \
               "              helm upgrade spot spot/ocean-kubernetes-controller\n"
    assert job_args in AUTO_UPDATE_JOB
    vendor = textwrap.indent(VENDOR_SCRIPT, " " * 14)
    return rendered.replace(textwrap.indent(job_args, "    "), textwrap.indent(vendor, "    "))


@pytest.mark.parametrize("ca", ["the chart's CA Secret", "--ca-file"])
def test_the_controllers_secrets_are_written_once_by_its_unit_for_the_agent_beside_it(
        corp_root, ca):
    """The exporter beside the controller reads the controller's Secrets (the proxy URL with
    its password, the CA files): the controller's unit writes each, once, as an object of
    the controller's (its labels), and the exporter's unit writes none of them. Were the
    exporter's unit to propose them too, the two would differ (the exporter's labels) and
    the render would fail."""
    chart_ca = [ca_secret(corp_root.pem)] if ca == "the chart's CA Secret" else []
    data = release(controller(), vendor_configmap(), *chart_ca, exporter_beside_controller())
    user = user_settings(ca=[("ca.pem", corp_root.pem)] if ca == "--ca-file" else None)

    result = post_render(data, user)

    documents = load_all(result.parts)
    given = {d["metadata"]["name"] for d in load_all(data) if d["kind"] == "Secret"}
    added = [d["metadata"] for d in documents
             if d["kind"] == "Secret" and d["metadata"]["name"] not in given]
    names = [metadata["name"] for metadata in added]
    assert len(names) == len(set(names)), names
    owned = {f"{FULLNAME}-ocean-proxy", f"{FULLNAME}-ocean-proxy-ca",
             f"{FULLNAME}-ocean-proxy-values"}
    assert owned <= set(names), names
    assert not [name for name in names if name.startswith(EXPORTER)], names
    controllers = find(load_all(data), "Deployment", FULLNAME)["metadata"]["labels"]
    assert all(metadata["labels"] == controllers for metadata in added)
    exporter = env_of(find(documents, "Deployment", EXPORTER), "spot-ocean-metric-exporter")
    assert exporter["HTTPS_PROXY"]["valueFrom"]["secretKeyRef"]["name"] == \
        f"{FULLNAME}-ocean-proxy"


def test_an_agent_beside_the_controller_that_read_only_its_proxy_url_stays_beside_it_rendered_again(
        corp_root):
    """An exporter of a chart of one's own that reads nothing from the controller's ConfigMap
    but the proxy URL reads none of it once post-rendered (its proxy variables read the
    controller's Secret): rendered again, it is still the controller's neighbour, and the
    output is the same, not a Secret of its own with the password in it."""
    exporter = exporter_beside_controller()
    cluster_id = exporter[exporter.index("        - name: SPOTINST_CLUSTER_IDENTIFIER"):
                          exporter.index("        - name: PROXY_URL")]
    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(corp_root.pem),
                   exporter.replace(cluster_id, ""))
    user = user_settings()

    once = b"".join(post_render(data, user).parts)
    twice = b"".join(post_render(once, user).parts)

    assert twice == once
    assert not [d for d in load_all(twice)
                if d["kind"] == "Secret" and d["metadata"]["name"].startswith(EXPORTER)]
