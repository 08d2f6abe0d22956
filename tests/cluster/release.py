"""One controller release in its own namespace of the test cluster, as a user drives it.

``ControllerRelease`` holds the vendor's documented flags (account, token, a proxy URL with a
password, the corporate CA in ``caBundleSecret``) and runs them through a ``HelmUser``;
``check()`` reads what the API server stored and asserts what must hold after every step
(pod_problems and leaks from stored.py). Pod templates are compared by meaning with
``pod_shape``: env by name, mounts, volumes, annotations.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..conftest import FIXTURE_CHART, Run
from .helm_users import HelmUser
from .server import ApiServer
from .stored import Object, Stored, leaks, pod_problems

PROXY_USER, PROXY_PASSWORD = "alice", "Pa55-s3cr@t-9Z"
PROXY_URL = f"http://{PROXY_USER}:{quote(PROXY_PASSWORD, safe='')}@proxy.corp.example:3128"
CONTROLLER = "ocean-kubernetes-controller"
CHECKSUMS = ("checksum/ca-bundle", "checksum/proxy")
# The metrics-server subchart registers the cluster-wide APIService v1beta1.metrics.k8s.io;
# every release of this suite shares one server, so only one could own it.
SUITE_FLAGS = ("--set", "metrics-server.apiService.create=false")
# The vendor's values that turn the proxy, and the CA, off again
NO_URL = ("--set", "spotinst.proxyUrl=")
NO_CA = ("--set", "caBundleSecret.create=false", "--set", "caBundleSecret.data=")


def vendor_flags(ca_file: Path, proxy_url: str = PROXY_URL) -> list[str]:
    """The vendor's documented command (seed/ocean-controller-v2-proxy-settings.txt)."""
    return ["--set", "spotinst.account=act-123", "--set", "spotinst.clusterIdentifier=c-1",
            "--set", "spotinst.token=TOKEN", "--set", f"spotinst.proxyUrl={proxy_url}",
            "--set", "caBundleSecret.create=true",
            "--set-file", f"caBundleSecret.data={ca_file}", *SUITE_FLAGS]


def ok(run: Run) -> Run:
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stderr}"
    return run


@dataclass
class ControllerRelease:
    """The release ``name`` in ``namespace``; ``fullname`` is the chart's resource name.

    ``flags`` go to every upgrade; ``renderer_args`` (``--proxy-url=...``) only to those with
    the post-renderer, each as a ``--post-renderer-args``."""

    api: ApiServer
    namespace: str
    name: str
    flags: list[str] = field(default_factory=list)
    renderer_args: list[str] = field(default_factory=list)

    @property
    def fullname(self) -> str:
        return f"{self.name}-{CONTROLLER}"

    def upgrade(self, user: HelmUser, *extra: str | os.PathLike,
                chart: str | os.PathLike = FIXTURE_CHART, post_render: bool = True) -> Run:
        renderer_args = [arg for given in self.renderer_args
                         for arg in ("--post-renderer-args", given)] if post_render else []
        return user.upgrade(self.name, chart, self.namespace, *self.flags, *extra,
                            *renderer_args, post_render=post_render)

    def stored(self) -> Stored:
        return Stored.read(self.api, self.namespace)

    def deployment(self) -> Object:
        found = self.stored().deployments.get(self.fullname)
        assert found is not None, f"Deployment {self.fullname} is not stored"
        return found

    def template(self) -> Object:
        return self.deployment()["spec"]["template"]

    def check(self, *, chart_alone: bool = False) -> Stored:
        """What must hold after every step: every pod can start as meant, no secret shows.

        ``chart_alone``: the vendor's chart without ocean-proxy, which keeps the proxy URL,
        password and all, in its ConfigMap (and nowhere else)."""
        stored = self.stored()
        problems = pod_problems(stored)
        assert not problems, problems
        shown = leaks(stored, [PROXY_PASSWORD, quote(PROXY_PASSWORD, safe="")])
        expected = [f"ConfigMap {self.fullname} key proxy-url"] if chart_alone else []
        assert shown == expected, shown
        return stored


def generation(controller: ControllerRelease) -> int:
    """The stored Deployment's ``metadata.generation``: it grows each time the pods roll."""
    return controller.deployment()["metadata"]["generation"]


def _by_name(entries: list[Object] | None, key: str = "name") -> dict[str, Object]:
    return {entry[key]: entry for entry in entries or []}


def pod_shape(template: Object) -> dict[str, Any]:
    """A pod template by meaning: order of env, mounts and volumes aside."""
    spec = template["spec"]
    return {
        "annotations": (template.get("metadata") or {}).get("annotations") or {},
        "volumes": _by_name(spec.get("volumes")),
        "containers": {c["name"]: {"env": _by_name(c.get("env")),
                                   "mounts": _by_name(c.get("volumeMounts"), "mountPath"),
                                   "args": c.get("args")}
                       for c in spec["containers"]},
    }


def injected_names(template: Object) -> set[str]:
    """The env names of the controller container that name a proxy or a trust setting."""
    container = next(c for c in template["spec"]["containers"] if c["name"] == CONTROLLER)
    return {e["name"] for e in container.get("env") or []
            if e["name"].lower() in {"https_proxy", "http_proxy", "no_proxy", "ssl_cert_dir"}}
