"""Fixtures the cluster tests share (the API server's own are in fixtures.py).

- ``user`` -> HelmUser: each test runs once with helm 3 and once with helm 4, installed as
  the README says.
- ``cas`` -> (first, second): two corporate roots in files of their own, for a CA change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .. import certs
from .helm_users import MAJORS, HelmUser, HelmUsers


@pytest.fixture(params=MAJORS)
def user(request: pytest.FixtureRequest, helm_users: HelmUsers) -> HelmUser:
    return helm_users.get(request.param)


@pytest.fixture
def cas(tmp_path: Path) -> tuple[Path, Path]:
    files = tmp_path / "first.pem", tmp_path / "second.pem"
    for path, name in zip(files, ("Corp Proxy Root CA", "Corp Proxy Root CA 2027"), strict=True):
        path.write_bytes(certs.root(name).pem)
    return files
