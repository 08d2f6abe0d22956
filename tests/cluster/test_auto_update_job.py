"""The vendor's auto-update against the real API server, twice in a row, on helm 3 and 4.

The user installs with the post-renderer, the proxy (with a password) and the CA given as the
chart's values or as ``--post-renderer-args``, their own ``extraEnv``, ``extraVolumes``,
``extraVolumeMounts`` and ``logShipping.extraEnv`` beside them; then the Job the controller
would create from the stored ConfigMap runs with the real helm of the same major
(auto_update_job.py): ``helm repo add`` and the chart download through the TLS-intercepting
proxy with Basic auth, ``helm get values`` and ``helm upgrade --atomic`` against the API
server. After each run, every stored pod template can start, no password shows (in the
stored objects, nor in the Job's log, which ``kubectl logs`` shows and log collectors keep), the
controller's containers resolve the same proxy, NO_PROXY and trust, with the same checksums,
as after the install, and the user's entries are still there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..netfixtures.pki import NetPki
from ..test_auto_update import MODES, Mode, assert_user_extras
from ..test_leaks import needles
from .auto_update_job import (
    FIRST,
    SECOND,
    ChartRepository,
    assert_proxy_and_trust,
    auto_update,
    release_for,
    resolved,
    stored_values,
)
from .helm_users import HelmUser
from .release import PROXY_PASSWORD, ControllerRelease, ok
from .server import ApiServer


@pytest.fixture
def installed(user: HelmUser, mode: Mode, api_server: ApiServer, cluster_namespace: str,
              repository: ChartRepository, net_pki: NetPki, tmp_path: Path) -> ControllerRelease:
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    ok(release.upgrade(user))
    release.check()
    return release


def test_two_auto_updates_in_a_row_keep_proxy_trust_and_the_users_entries(
        user, mode, installed, repository, net_pki, tmp_path):
    before = resolved(installed)
    assert_proxy_and_trust(before, repository.proxy.credentials_url, net_pki.corp_root.pem)
    assert_user_extras(installed.template(), "install")

    for number, version in enumerate((FIRST, SECOND), start=1):
        job = auto_update(installed, user, repository, net_pki, version,
                          tmp_path / f"job-{number}")

        assert resolved(installed) == before, number
        assert_user_extras(installed.template(), f"auto-update {number}")
        # the Job's log (kubectl logs, log collectors): plain, URL-encoded, base64 in a Secret
        shown = job.text + job.stderr
        if mode == MODES[1]:  # the flags keep the password out of the release's values too
            shown += stored_values(installed, user)
        assert not [n for n in needles(PROXY_PASSWORD.encode()) if n.decode() in shown.lower()], \
            f"auto-update {number} shows it"
