"""The vendor's auto-update against the real API server, twice in a row, on helm 3 and 4.

The user installs with the post-renderer; then the Job the controller would create from the
stored ConfigMap runs with the real helm of the same major (auto_update_job.py): ``helm repo
add`` and the chart download through the TLS-intercepting proxy with Basic auth, ``helm get
values`` and ``helm upgrade --atomic`` against the API server. After each run, every stored
pod template can start, no password shows, and the controller's containers resolve the same
proxy, NO_PROXY and trust, with the same checksums, as after the install.
"""

from __future__ import annotations

import pytest

from ..netfixtures.pki import NetPki
from .auto_update_job import (
    FIRST,
    SECOND,
    ChartRepository,
    assert_proxy_and_trust,
    auto_update,
    resolved,
)
from .helm_users import HelmUser
from .release import ControllerRelease, ok, vendor_flags
from .server import ApiServer


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
