"""The vendor's auto-update Job run against the test cluster, nothing of it stood in for.

- ``controller_chart_repository``: charts.spot.io as a chart repository of the stand-in chart's
  later versions, packaged and indexed by the real helm, served over TLS by a certificate of
  the stand-in public root, and reachable only through a TLS-intercepting mitmdump with Basic
  auth (the corporate proxy); ``.proxy`` is that proxy, ``.origin.requests`` what reached it.
- ``run_stored_job``: the controller's part (the Job from the ConfigMap key
  ``auto-update.job`` as the API server stores it, ``CHART_VERSION`` and ``WAIT_TIMEOUT``
  set) and the kubelet's (env and Secret files from the stored objects, each emptyDir a fresh
  tmpfs, bash in pod_sandbox), with the real helm as the image's ``helm``: its ``repo add``,
  ``get values`` and ``upgrade --atomic`` run for real. Standing in: an admin kubeconfig in the
  release's namespace for the pod's service account (``KUBECONFIG``), and the Deployments'
  rollouts (rollouts.py) for the nodes this cluster has not.
- ``release_for``: the user's release, the proxy and CA given by ``mode`` (test_auto_update's
  Mode: as the chart's values, or as ``--post-renderer-args``) beside their own extras.
- ``auto_update``: that run for chart ``version``, asserting the release is upgraded through
  the proxy and still passes ``ControllerRelease.check``; ``resolved`` is what the
  controller's containers get from the stored objects (proxy, NO_PROXY, trust files) and the
  checksums, to compare before and after; ``assert_proxy_and_trust`` says that is the proxy
  and the CA; ``stored_values`` is ``helm get values``, what the Job passes back.
"""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..auto_update_emulation import _empty_dirs, copy_chart
from ..conftest import FIXTURE_CHART, REPO, Run, run_command
from ..kubelet_view import ContainerView, container_view, expand
from ..netfixtures.fixtures import PROXY_USER, proxy_specs
from ..netfixtures.mitm import MitmProxy, start_mitmdump
from ..netfixtures.pki import SPOT_API, SPOT_CHARTS, NetPki
from ..netfixtures.servers import LocalServer
from ..pod_sandbox import Image, run_in_pod
from ..test_auto_update import API_SERVER, LOG_SHIPPER, Mode, effective
from .helm_users import HelmUser
from .pki import kubeconfig
from .release import CHECKSUMS, CONTROLLER, SUITE_FLAGS, ControllerRelease, ok
from .rollouts import rollouts
from .server import ApiServer
from .stored import JOB_KEY

WAIT_TIMEOUT = "60s"
FIRST, SECOND = "0.1.64", "0.1.74"  # the chart versions the repository publishes


@dataclass
class ChartRepository:
    origin: LocalServer
    proxy: MitmProxy

    def stop(self) -> None:
        self.proxy.stop()
        self.origin.stop()


def repository_files(helm: Path, versions: tuple[str, ...], workdir: Path) -> dict[str, bytes]:
    """``/index.yaml`` and ``/charts/<chart>-<version>.tgz``, as ``helm package`` and
    ``helm repo index`` make them."""
    packages = workdir / "charts"
    packages.mkdir(parents=True)
    for version in versions:
        chart = copy_chart(FIXTURE_CHART, workdir / "sources" / version / FIXTURE_CHART.name,
                           version)
        packaged = run_command([helm, "package", chart, "--destination", packages])
        assert packaged.returncode == 0, packaged.stderr
    indexed = run_command([helm, "repo", "index", packages, "--url",
                           f"https://{SPOT_CHARTS}/charts"])
    assert indexed.returncode == 0, indexed.stderr
    files = {f"/charts/{p.name}": p.read_bytes() for p in packages.glob("*.tgz")}
    return {"/index.yaml": (packages / "index.yaml").read_bytes(), **files}


def controller_chart_repository(helm: Path, mitmdump: Path, pki: NetPki,
                                versions: tuple[str, ...], workdir: Path) -> ChartRepository:
    origin = LocalServer(repository_files(helm, versions, workdir / "repository"),
                         certificate=pki.origin, key_directory=workdir / "origin-keys").start()
    routes = {host: ("127.0.0.1", origin.port) for host in (SPOT_CHARTS, SPOT_API)}
    try:
        proxy = start_mitmdump(mitmdump, proxy_specs(pki)["auth"], workdir / "mitm",
                               public_roots=pki.public_roots_file, routes=routes)
    except BaseException:
        origin.stop()
        raise
    return ChartRepository(origin, proxy)


def stored_job(api: ApiServer, namespace: str, configmap: str) -> dict[str, Any]:
    stored = api.get("configmap", configmap, namespace)
    assert stored is not None, f"ConfigMap {configmap} is not stored"
    return yaml.safe_load(stored["data"][JOB_KEY])


def run_stored_job(api: ApiServer, namespace: str, configmap: str, *, helm: Path,
                   version: str, image: Image, workdir: Path) -> Run:
    """The Job the controller would create now for chart ``version``, run to its end."""
    job = copy.deepcopy(stored_job(api, namespace, configmap))
    pod = job["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    container.setdefault("env", []).extend([{"name": "CHART_VERSION", "value": version},
                                            {"name": "WAIT_TIMEOUT", "value": WAIT_TIMEOUT}])
    docs = api.list("secrets,configmaps", namespace)
    view = container_view(docs, pod, container["name"], namespace=namespace)
    argv = [expand(part, view.env) for part in [*container.get("command", []),
                                                *container.get("args", [])]]
    workdir.mkdir(parents=True)
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    shutil.copy(helm, bin_dir / "helm")  # the image's own helm, not a link out of the image
    account = workdir / "service-account.kubeconfig"
    account.write_text(kubeconfig(api.pki, api.url, namespace))
    env = {**view.env, "KUBECONFIG": str(account), "PATH": f"{bin_dir}:{view.env['PATH']}"}
    mounts = _empty_dirs(container, pod["spec"], [workdir, REPO])
    with rollouts(api, namespace):
        return run_in_pod(ContainerView(view.name, env, view.secret_mounts), [*mounts, argv],
                          image=image, workdir=workdir / "pod", timeout=300)


def release_for(mode: Mode, api: ApiServer, namespace: str, repository: ChartRepository,
                net_pki: NetPki, workdir: Path) -> ControllerRelease:
    """The user's release: their values file with their own extras (and, by ``mode``, the
    proxy and the CA as values or as the post-renderer's flags); the proxy is the one in front
    of charts.spot.io, the CA the one it intercepts TLS with."""
    proxy_url, ca_file = repository.proxy.credentials_url, net_pki.corp_root_file
    values = workdir / "user-values.yaml"
    values.write_text(yaml.safe_dump(mode.user_values(proxy_url, ca_file)))
    return ControllerRelease(api, namespace, f"oc-{namespace.split('-')[0]}",
                             ["--values", str(values), *SUITE_FLAGS],
                             mode.flags(proxy_url, ca_file))


def auto_update(release: ControllerRelease, user: HelmUser, repository: ChartRepository,
                net_pki: NetPki, version: str, workdir: Path) -> Run:
    """The stored Job run for chart ``version`` with ``user``'s helm; its output."""
    asked_before = len(repository.origin.requests)
    run = run_stored_job(release.api, release.namespace, release.fullname, helm=user.binary,
                         version=version, image=Image(net_pki.public_roots_file.read_bytes()),
                         workdir=workdir)
    assert run.returncode == 0, run.stderr
    assert "has been upgraded" in run.text
    # the Job's post-renderer says it gave the next Job the same step
    assert f"({CONTROLLER}-{version}) now has ocean-proxy's proxy, CA and step" in run.text
    assert "auto-update failed" not in run.text  # said only of an upgrade helm failed
    asked = repository.origin.requests[asked_before:]
    assert (SPOT_CHARTS, f"/charts/{CONTROLLER}-{version}.tgz") in asked  # via the proxy
    history = json.loads(ok(user.helm("history", release.name, "-n", release.namespace,
                                      "-o", "json")).text)
    assert history[-1]["status"] == "deployed"
    assert history[-1]["chart"] == f"{CONTROLLER}-{version}"
    release.check()
    return run


def stored_values(release: ControllerRelease, user: HelmUser) -> str:
    """``helm get values``: the release's user-supplied values, as the Job passes them on."""
    return ok(user.helm("get", "values", release.name, "-n", release.namespace,
                        "-o", "yaml")).text


def resolved(release: ControllerRelease) -> dict[str, Any]:
    """What the controller's containers get from the stored objects, and the checksums."""
    template = release.template()
    docs = release.api.list("secrets,configmaps", release.namespace)
    return {"containers": {name: effective(container_view(docs, template, name,
                                                          namespace=release.namespace))
                           for name in (CONTROLLER, LOG_SHIPPER)},
            "checksums": {key: template["metadata"]["annotations"].get(key)
                          for key in CHECKSUMS}}


def assert_proxy_and_trust(state: dict[str, Any], proxy_url: str, ca_pem: bytes) -> None:
    """What must be kept is there to keep: the proxy with its credentials for Go and for
    fluent-bit, in-cluster traffic direct, and the corporate CA where each reads trust: the
    controller (Go) in a directory of SSL_CERT_DIR, the log-shipper (OpenSSL) in
    /etc/ssl/certs."""
    for name, settings in state["containers"].items():
        if name == CONTROLLER:
            assert settings["https proxy (Go)"] == proxy_url, name
            where = tuple(f"{d}/" for d in (settings["SSL_CERT_DIR"] or "").split(":") if d)
        else:
            where = ("/etc/ssl/certs/",)
        assert PROXY_USER in (settings["http proxy (Go, fluent-bit)"] or ""), name
        no_proxy = set((settings["no proxy"] or "").split(","))
        assert {API_SERVER, ".svc", ".cluster.local"} <= no_proxy, (name, no_proxy)
        assert [path for path, content in settings["trust files"].items()
                if path.startswith(where) and ca_pem.strip() in content], (name, where)
    assert all(state["checksums"].values()), state["checksums"]
