"""Spot agents are recognised by what they run, not by what the release calls them."""

from __future__ import annotations

import pytest

from post_renderer.render.release.agents import (
    CONTROLLER,
    METRIC_EXPORTER,
    NETWORK_CLIENT,
    UNNAMED_AGENT,
    recognise,
)

from .chart_render import parse
from .conftest import post_renderer
from .kubelet_view import container_view


def deployment(*containers: dict, labels: dict | None = None, kind: str = "Deployment") -> dict:
    return {"kind": kind, "metadata": {"name": "renamed"},
            "spec": {"template": {"metadata": {"labels": labels or {}},
                                  "spec": {"containers": list(containers)}}}}


@pytest.mark.parametrize(("container", "agent"), [
    ({"name": "ocean-kubernetes-controller"}, CONTROLLER),
    ({"name": "main", "image": "spotinst/ocean-kubernetes-controller:2.0.70"}, CONTROLLER),
    ({"name": "spot-ocean-metric-exporter"}, METRIC_EXPORTER),
    ({"name": "x", "image": "registry.corp:5000/mirror/spot-ocean-metric-exporter:1.0.5"},
     METRIC_EXPORTER),
    ({"name": "x", "image": "public.ecr.aws/spotinst/spot-network-client@sha256:abc"},
     NETWORK_CLIENT),
    # a mirror on a port of its own, the image untagged or pinned by digest alone
    ({"name": "x", "image": "registry.corp:5000/mirror/spot-ocean-metric-exporter"},
     METRIC_EXPORTER),
    ({"name": "x", "image": "registry.corp:5000/spot-network-client@sha256:abc"},
     NETWORK_CLIENT),
    ({"name": "x", "image": "localhost:5000/spotinst/ocean-kubernetes-controller:2.0.70@sha256:ab"},
     CONTROLLER),
])
def test_an_agent_is_recognised_by_its_container_or_its_image(container, agent):
    assert recognise(deployment(container), "Deployment") == agent


def test_an_agent_is_recognised_by_its_pod_label_whatever_its_container_is_called():
    labels = {"app.kubernetes.io/name": "ocean-network-client"}
    assert recognise(deployment({"name": "c"}, labels=labels, kind="DaemonSet"),
                     "DaemonSet") == NETWORK_CLIENT


def test_a_container_reading_the_spot_token_from_a_secret_is_a_spot_agent():
    token = {"name": "SPOTINST_TOKEN",
             "valueFrom": {"secretKeyRef": {"name": "spot", "key": "token"}}}
    assert recognise(deployment({"name": "custom", "env": [token]}), "Deployment") == \
        UNNAMED_AGENT


@pytest.mark.parametrize("container", [
    {"name": "metrics-server", "image": "registry.k8s.io/metrics-server/metrics-server:v0.7.2"},
    {"name": "app", "image": "spotinst/ocean-kubernetes-controller-auto-update:1.4.2"},
    {"name": "app", "env": [{"name": "SPOTINST_TOKEN", "value": "not-from-a-secret"}]},
])
def test_other_workloads_are_not_agents(container):
    assert recognise(deployment(container), "Deployment") is None


def test_a_document_that_is_not_a_workload_is_not_an_agent():
    assert recognise({"kind": "ConfigMap"}, "ConfigMap") is None


MIRRORED_EXPORTER = """\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metrics
  namespace: spot-system
spec:
  template:
    metadata:
      labels:
        app: metrics
    spec:
      containers:
      - name: exporter
        image: {image}
"""


def exporter_env(manifest: str) -> dict[str, str]:
    """Post-rendered with a proxy, the environment the kubelet gives the container 'exporter'."""
    run = post_renderer("--proxy-url", "http://proxy.corp:3128", stdin=manifest.encode())
    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs
    workload = next(d for d in docs if d["kind"] == "Deployment")
    return container_view(docs, workload["spec"]["template"], "exporter",
                          namespace="spot-system").env


@pytest.mark.parametrize("image", [
    "registry.corp:5000/mirror/spot-ocean-metric-exporter:1.1.0",
    "'registry.corp/spotinst/spot-ocean-metric-exporter@sha256:0123abcd'",
    "spot-ocean-metric-exporter",
    "registry.corp:5000/mirror/spot-ocean-metric-exporter",
    "registry.corp:5000/spot-ocean-metric-exporter@sha256:0123abcd",
])
def test_a_release_whose_agent_only_its_image_names_gets_the_proxy(image):
    """A fork or a kustomized copy of the exporter chart renames the container and drops the
    chart's labels; the image still says what runs, and the render must find it by that
    alone, not only ``recognise`` once something else has picked the document out."""
    env = exporter_env(MIRRORED_EXPORTER.format(image=image))
    assert env["HTTPS_PROXY"] == "http://proxy.corp:3128", env


def test_an_image_that_only_resembles_an_agent_is_left_alone():
    """``spot-ocean-metric-exporter-sidecar`` is another image: the render says no Spot agent."""
    run = post_renderer("--proxy-url", "http://proxy.corp:3128", stdin=MIRRORED_EXPORTER.format(
        image="registry.corp/spot-ocean-metric-exporter-sidecar:1").encode())
    assert run.returncode == 1 and run.stdout == b""
    assert "no Ocean controller workload" in run.stderr
    # what it looked for, each way recognise() knows an agent: a fork's user sees which
    assert "container, image or pod label" in run.stderr and "SPOTINST_TOKEN" in run.stderr
    # by the names it knows them by: the exporter's container and image, the network
    # client's image are not their charts' names, and a fork named after those is not found
    for name in ("spot-ocean-metric-exporter", ".../spot-network-client",
                 "app.kubernetes.io/name"):
        assert name in run.stderr, name


def test_a_release_whose_agent_only_its_pod_label_names_gets_the_proxy():
    """A fork renames the container and mirrors the image under a name of its own, but keeps
    the chart's pod label: the render must find the workload by that alone."""
    manifest = MIRRORED_EXPORTER.format(image="registry.corp/mirror/metrics:1.1.0").replace(
        "        app: metrics\n", "        app.kubernetes.io/name: ocean-metric-exporter\n")
    env = exporter_env(manifest)
    assert env["HTTPS_PROXY"] == "http://proxy.corp:3128", env


CUSTOM_AGENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: reporter, namespace: tools}
spec:
  template:
    spec:
      containers:
      - name: reporter
        image: corp/spot-reporter:1
        env:
        - name: SPOTINST_TOKEN
          valueFrom: {secretKeyRef: {name: spot, key: token}}
"""


def test_an_agent_of_a_chart_of_its_own_with_nothing_configured_is_told_the_flags_alone():
    """A container reading the Spot token from a Secret, in a chart of the user's: nothing
    says its chart has spotinst.proxyUrl (the controller chart's value), which helm would take
    without a word and change nothing."""
    run = post_renderer(stdin=CUSTOM_AGENT.encode())
    assert run.returncode == 0 and run.stdout == CUSTOM_AGENT.encode(), run.stderr
    assert "Deployment/reporter" in run.stderr and "passed through unchanged" in run.stderr
    assert "--proxy-url" in run.stderr and "spotinst.proxyUrl" not in run.stderr
