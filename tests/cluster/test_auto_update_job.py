"""The vendor's auto-update against the real API server, twice in a row, on helm 3 and 4.

The user installs with the post-renderer; then the Job the controller would create from the
stored ConfigMap runs with the real helm of the same major (auto_update_job.py): ``helm repo
add`` and the chart download through the TLS-intercepting proxy with Basic auth, ``helm get
values`` and ``helm upgrade --atomic`` against the API server. After each run, every stored
pod template can start, no password shows (in the stored objects, nor in the Job's log, which
``kubectl logs`` shows and log collectors keep), and the controller's containers resolve the
same proxy, NO_PROXY and trust, with the same checksums, as after the install.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from ..conftest import Run, tool
from ..kubelet_view import container_view
from ..netfixtures.fixtures import PROXY_PASSWORD, PROXY_USER
from ..netfixtures.pki import SPOT_CHARTS, NetPki
from ..pod_sandbox import Image
from ..test_auto_update import LOG_SHIPPER, effective
from ..test_leaks import needles
from .auto_update_job import ChartRepository, controller_chart_repository, run_stored_job
from .helm_users import HelmUser
from .release import CHECKSUMS, CONTROLLER, ControllerRelease, ok, vendor_flags
from .server import ApiServer

FIRST, SECOND = "0.1.64", "0.1.74"


@pytest.fixture(scope="module")
def repository(net_pki: NetPki, tmp_path_factory: pytest.TempPathFactory):
    repository = controller_chart_repository(tool("helm3"), tool("mitmdump"), net_pki,
                                             (FIRST, SECOND), tmp_path_factory.mktemp("repo"))
    yield repository
    repository.stop()


@pytest.fixture
def installed(user: HelmUser, api_server: ApiServer, cluster_namespace: str,
              repository: ChartRepository, net_pki: NetPki) -> ControllerRelease:
    release = ControllerRelease(api_server, cluster_namespace,
                                f"oc-{cluster_namespace.split('-')[0]}",
                                vendor_flags(net_pki.corp_root_file,
                                             repository.proxy.credentials_url))
    ok(release.upgrade(user))
    release.check()
    return release


def resolved(release: ControllerRelease) -> dict[str, Any]:
    """What the controller's containers get from the stored objects, and the checksums."""
    template = release.template()
    docs = release.api.list("secrets,configmaps", release.namespace)
    return {"containers": {name: effective(container_view(docs, template, name,
                                                          namespace=release.namespace))
                           for name in (CONTROLLER, LOG_SHIPPER)},
            "checksums": {key: template["metadata"]["annotations"].get(key)
                          for key in CHECKSUMS}}


def auto_update(release: ControllerRelease, user: HelmUser, repository: ChartRepository,
                net_pki: NetPki, version: str, workdir: Path) -> None:
    asked_before = len(repository.origin.requests)
    run = run_stored_job(release.api, release.namespace, release.fullname, helm=user.binary,
                         version=version, image=Image(net_pki.public_roots_file.read_bytes()),
                         workdir=workdir)
    assert run.returncode == 0, run.stderr
    assert "has been upgraded" in run.text
    assert not shown(PROXY_PASSWORD, run), "the Job's log shows the proxy password"
    asked = repository.origin.requests[asked_before:]
    assert (SPOT_CHARTS, f"/charts/{CONTROLLER}-{version}.tgz") in asked  # via the proxy
    history = json.loads(ok(user.helm("history", release.name, "-n", release.namespace,
                                      "-o", "json")).text)
    assert history[-1]["status"] == "deployed"
    assert history[-1]["chart"] == f"{CONTROLLER}-{version}"
    release.check()


def shown(secret: str, run: Run) -> bool:
    """Whether the Job's log holds ``secret`` in any form (plain, URL-encoded, base64 inside
    a Secret's data)."""
    log = (run.text + run.stderr).lower()
    return any(needle.decode() in log for needle in needles(secret.encode()))


def assert_proxy_and_trust(state: dict[str, Any], proxy_url: str, ca_pem: bytes) -> None:
    """What must be kept is there to keep: the proxy with its credentials for Go and for
    fluent-bit, and the corporate CA where each reads trust: the controller (Go) in a
    directory of SSL_CERT_DIR, the log-shipper (OpenSSL) in /etc/ssl/certs."""
    for name, settings in state["containers"].items():
        if name == CONTROLLER:
            assert settings["https proxy (Go)"] == proxy_url, name
            where = tuple(f"{d}/" for d in (settings["SSL_CERT_DIR"] or "").split(":") if d)
        else:
            where = ("/etc/ssl/certs/",)
        assert PROXY_USER in (settings["http proxy (Go, fluent-bit)"] or ""), name
        assert [path for path, content in settings["trust files"].items()
                if path.startswith(where) and ca_pem.strip() in content], (name, where)
    assert all(state["checksums"].values()), state["checksums"]


def test_the_first_auto_update_keeps_proxy_and_trust(user, installed, repository, net_pki,
                                                    tmp_path):
    before = resolved(installed)
    assert_proxy_and_trust(before, repository.proxy.credentials_url, net_pki.corp_root.pem)

    auto_update(installed, user, repository, net_pki, FIRST, tmp_path / "job-1")

    assert resolved(installed) == before


def test_the_second_auto_update_keeps_them_too(user, installed, repository, net_pki, tmp_path):
    before = resolved(installed)
    assert_proxy_and_trust(before, repository.proxy.credentials_url, net_pki.corp_root.pem)
    auto_update(installed, user, repository, net_pki, FIRST, tmp_path / "job-1")

    auto_update(installed, user, repository, net_pki, SECOND, tmp_path / "job-2")

    assert resolved(installed) == before


@pytest.mark.xfail(strict=True, reason=(
    "finding: the vendor's Job script runs 'helm upgrade --debug', which prints the release's "
    "values and manifest into the Job's log, the Spot token among them (in the stand-in "
    "chart's script; ocean-proxy's step could pass --debug=false in OCEAN_PROXY_ARGS, and "
    "the vendor's debug output of a failed auto-update would go too: a decision to make)"))
def test_the_job_log_shows_no_spot_token(user, api_server, cluster_namespace, repository,
                                         net_pki, tmp_path):
    token = secrets.token_hex(32)
    flags = [f"spotinst.token={token}" if flag == "spotinst.token=TOKEN" else flag
             for flag in vendor_flags(net_pki.corp_root_file, repository.proxy.credentials_url)]
    release = ControllerRelease(api_server, cluster_namespace,
                                f"oc-{cluster_namespace.split('-')[0]}", flags)
    ok(release.upgrade(user))
    run = run_stored_job(release.api, release.namespace, release.fullname, helm=user.binary,
                         version=FIRST, image=Image(net_pki.public_roots_file.read_bytes()),
                         workdir=tmp_path / "job")
    assert run.returncode == 0, run.stderr
    assert not shown(token, run), "the Job's log shows the Spot token"
