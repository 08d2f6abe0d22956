"""examples/helmfile deployed with ``helmfile sync``, the real helmfile against the real API
server, with Helm 3 and Helm 4 set up as the README says (``user``).

What the server stores is what a user depends on: the controller goes through the proxy and
trusts the CA, no password is in plain sight, and a pipeline that runs the same sync again
changes nothing in the cluster. The example runs as written but for two things the shared test
server needs: ``--namespace`` (each test has its own; helmfile's flag overrides the file's
``spot-system``) and ``--set metrics-server.apiService.create=false`` (one cluster-wide
APIService for every release of the suite); charts.spot.io is served on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .. import certs
from ..chart_render import CA_KEY
from ..conftest import Run
from ..helmfile_example import chart_repository, helmfile, project
from .helm_users import HelmUser
from .release import (
    CONTROLLER,
    PROXY_URL,
    SUITE_FLAGS,
    ControllerRelease,
    generation,
    injected_names,
    ok,
)
from .stored import Stored

RELEASE = "ocean-controller"  # the example's
SPOTINST = {"SPOTINST_ACCOUNT": "act-12345678", "SPOTINST_CLUSTER_IDENTIFIER": "prod-eu-1",
            "SPOTINST_TOKEN": "spot-token-0123456789abcdef", "SPOTINST_PROXY_URL": PROXY_URL}
HELM_RECORDS = "sh.helm.release.v1."  # helm's release history: a new revision each sync


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chart_repository(tmp_path_factory.mktemp("charts")) as url:
        yield url


@pytest.fixture(scope="module")
def corp_ca() -> bytes:
    return certs.root("Corp Proxy Root CA").pem


@dataclass(frozen=True)
class Helmfile:
    """The user's copy of the example, their environment and helmfile's global flags."""

    project: Path
    env: dict[str, str]
    flags: tuple[str, ...]

    def __call__(self, *args: str) -> Run:
        return helmfile(self.project, self.env, *self.flags, *args)


@pytest.fixture
def user_helmfile(user: HelmUser, cluster_namespace: str, charts: str, corp_ca: bytes,
                  tmp_path: Path) -> Iterator[Helmfile]:
    """The release is destroyed afterwards: its ClusterRoles are named after it, the same for
    every test. The repository helmfile adds goes to files of the test's own, not to the
    session's helm user's."""
    env = {**user.env, **SPOTINST, "HELM_REPOSITORY_CONFIG": str(tmp_path / "repositories.yaml"),
           "HELM_REPOSITORY_CACHE": str(tmp_path / "repository-cache")}
    run = Helmfile(project(tmp_path, corp_ca, charts), env,
                   ("--helm-binary", str(user.binary), "--namespace", cluster_namespace))
    yield run
    ok(run("destroy"))


def objects(stored: Stored) -> dict[str, str]:
    """Each stored object's resourceVersion, helm's release records aside."""
    return {f"{kind} {name}": found["metadata"]["resourceVersion"]
            for kind, by_name in (("Deployment", stored.deployments), ("Secret", stored.secrets),
                                  ("ConfigMap", stored.configmaps),
                                  ("DaemonSet", stored.daemonsets))
            for name, found in by_name.items() if not name.startswith(HELM_RECORDS)}


def test_helmfile_sync_gives_the_controller_the_proxy_and_the_ca_and_again_changes_nothing(
        user_helmfile, api_server, cluster_namespace, corp_ca):
    ok(user_helmfile("sync", *SUITE_FLAGS))

    controller = ControllerRelease(api_server, cluster_namespace, RELEASE)
    stored = controller.check()  # every pod can start; the proxy password nowhere in sight
    template = stored.deployments[controller.fullname]["spec"]["template"]
    assert injected_names(template) == {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy",
                                        "http_proxy", "no_proxy", "SSL_CERT_DIR"}
    assert stored.secret_text(f"{controller.fullname}-ocean-proxy", "proxy-url") == PROXY_URL
    assert stored.secret_text(f"{controller.fullname}-ca-bundle", CA_KEY) == corp_ca.decode()
    [container] = [c for c in template["spec"]["containers"] if c["name"] == CONTROLLER]
    no_proxy = next(e["value"] for e in container["env"] if e["name"] == "NO_PROXY")
    assert {".corp.example", "10.0.0.0/8"} <= set(no_proxy.split(","))  # postRendererArgs
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert f"/etc/ssl/certs/{certs.openssl_subject_hash(corp_ca)}.0" in mounts
    installed = generation(controller)
    before = objects(stored)

    ok(user_helmfile("sync", *SUITE_FLAGS))  # the pipeline runs again

    after = controller.check()
    assert objects(after) == before
    assert generation(controller) == installed
    records = sorted(name for name in after.secrets if name.startswith(HELM_RECORDS))
    assert records == [f"{HELM_RECORDS}{RELEASE}.v1", f"{HELM_RECORDS}{RELEASE}.v2"]
