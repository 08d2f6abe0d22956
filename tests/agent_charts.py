"""The stand-in charts of every Spot agent, rendered by a real helm, and what the kubelet
would give each of their containers: shared by the agent, side-by-side and lint tests."""

from __future__ import annotations

import base64
import socket
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .chart_render import Rendered, parse
from .conftest import EXAMPLES, Run, run_command
from .kubelet_view import ContainerView, container_view

CHARTS = EXAMPLES / "charts"
CONTROLLER_CHART = CHARTS / "ocean-kubernetes-controller"
LEGACY_CONTROLLER_CHART = CHARTS / "ocean-kubernetes-controller-0.1.3"
EXPORTER_CHART = CHARTS / "ocean-metric-exporter"
NETWORK_CLIENT_CHART = CHARTS / "ocean-network-client"

NAMESPACE = "spot-system"
CONTROLLER_RELEASE = "ocean-controller"
CONTROLLER_FULLNAME = "ocean-controller-ocean-kubernetes-controller"
EXPORTER = ("Deployment", "spot-ocean-metric-exporter", "spot-ocean-metric-exporter")
NETWORK_CLIENT = ("DaemonSet", "ocean-network-client", "ocean-network-client")
NETWORK_CLIENT_NAMESPACE = "kube-system"  # the chart's own `namespace` value, not helm's

SPOT_FLAGS = ("--set", "spotinst.account=act-123", "--set", "spotinst.clusterIdentifier=c-1",
              "--set", "spotinst.token=TOKEN")
NO_CONTROLLER_EXTRAS = ("--set", "metrics-server.deployChart=false")
POST_RENDERER = ("--post-renderer", "ocean-proxy-post-renderer")
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
IN_CLUSTER = ("10.96.0.1", ".svc", ".cluster.local", "localhost", "127.0.0.1", "169.254.169.254")


def post_renderer_args(*args: str) -> tuple[str, ...]:
    return tuple(part for arg in args for part in ("--post-renderer-args", arg))


def exporter_beside_controller(fullname: str = CONTROLLER_FULLNAME) -> tuple[str, ...]:
    """The exporter told to read the controller's ConfigMap, Secret and CA Secret."""
    return ("--set", f"oceanController.configMapName={fullname}",
            "--set", f"oceanController.secretName={fullname}",
            "--set", f"oceanController.caBundleSecretName={fullname}-ca-bundle")


def helm_template(helm: Path, env: dict[str, str], release: str, chart: Path, *flags,
                  namespace: str = NAMESPACE) -> Run:
    return run_command([helm, "template", release, chart, "--namespace", namespace, *flags],
                       env=env)


def rendered(run: Run) -> Rendered:
    assert run.returncode == 0, run.stderr
    return parse(run.text)


def workload(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_template(document: dict[str, Any]) -> dict[str, Any]:
    return document["spec"]["template"]


def view(docs: list[dict[str, Any]], kind: str, name: str, container: str) -> ContainerView:
    """What the kubelet gives ``container`` of workload KIND/NAME: only the objects of the
    workload's own namespace count, as in a cluster, whichever release rendered them. A file
    mounted by name (subPath) that its Secret lacks fails (FileNotMounted): the kubelet starts
    the container with an empty directory there, and OpenSSL finds no CA in it."""
    document = workload(docs, kind, name)
    namespace = document["metadata"]["namespace"]
    beside = [d for d in docs if d["metadata"].get("namespace", namespace) == namespace]
    return container_view(beside, pod_template(document), container, namespace=namespace)


def plain_texts(docs: list[dict[str, Any]]) -> str:
    """The manifests as a reader sees them who is not allowed to read Secrets' data."""
    shown = []
    for doc in docs:
        if doc["kind"] == "Secret":
            doc = {k: v for k, v in doc.items() if k not in ("data", "stringData")}
        shown.append(repr(doc))
    return "\n".join(shown)


def secret_value(docs: list[dict[str, Any]], namespace: str, name: str, key: str) -> bytes:
    for doc in docs:
        if (doc["kind"], doc["metadata"]["name"], doc["metadata"].get("namespace")) == (
                "Secret", name, namespace):
            return base64.b64decode(doc["data"][key])
    raise AssertionError(f"no Secret {namespace}/{name}")


def connect_status(proxy_url: str, target: str = "api.spotinst.io:443") -> int:
    """The status a proxy answers a CONNECT with, given the credentials in ``proxy_url``
    (percent-decoded, sent as Basic auth as HTTP clients do)."""
    parts = urlsplit(proxy_url)
    request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        request += f"Proxy-Authorization: Basic {base64.b64encode(pair).decode()}\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall((request + "\r\n").encode())
        status_line = conn.makefile("rb").readline().decode("latin-1")
    return int(status_line.split()[1])
