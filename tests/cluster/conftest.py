"""Fixtures the cluster tests share (the API server's own are in fixtures.py).

- ``user`` -> HelmUser: each test runs once with helm 3 and once with helm 4, installed as
  the README says.
- ``cas`` -> (first, second): two corporate roots in files of their own, for a CA change.
- ``mode`` -> Mode: each test runs with the proxy and the CA as the chart's values
  (zero-config) and as ``--post-renderer-args`` (flags), see tests/test_auto_update.py.
- ``repository`` (session) -> ChartRepository: charts.spot.io with the chart's versions
  FIRST and SECOND, behind the intercepting proxy with Basic auth, for the auto-update Job
  (auto_update_job.py); stopped at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .. import certs
from ..conftest import tool
from ..netfixtures.pki import NetPki
from ..test_auto_update import MODES, Mode
from .auto_update_job import FIRST, SECOND, ChartRepository, controller_chart_repository
from .helm_users import MAJORS, HelmUser, HelmUsers


@pytest.fixture(params=MAJORS)
def user(request: pytest.FixtureRequest, helm_users: HelmUsers) -> HelmUser:
    return helm_users.get(request.param)


@pytest.fixture(params=MODES, ids=lambda mode: mode.name)
def mode(request: pytest.FixtureRequest) -> Mode:
    return request.param


@pytest.fixture
def cas(tmp_path: Path) -> tuple[Path, Path]:
    files = tmp_path / "first.pem", tmp_path / "second.pem"
    for path, name in zip(files, ("Corp Proxy Root CA", "Corp Proxy Root CA 2027"), strict=True):
        path.write_bytes(certs.root(name).pem)
    return files


@pytest.fixture(scope="session")
def repository(net_pki: NetPki,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChartRepository]:
    repository = controller_chart_repository(tool("helm3"), tool("mitmdump"), net_pki,
                                             (FIRST, SECOND), tmp_path_factory.mktemp("repo"))
    yield repository
    repository.stop()
