"""The outside world, on 127.0.0.1: charts.spot.io's stand-in, the release download pages and
the TLS-inspecting proxy's CA; one of each per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..helmfile_example import chart_repository
from ..plugin_harness import serving, write_ca


@pytest.fixture(scope="session")
def chart_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """charts.spot.io's stand-in: a chart repository serving the stand-in chart."""
    with chart_repository(tmp_path_factory.mktemp("chart-repo")) as url:
        yield url


@pytest.fixture(scope="session")
def release_url(release: Path) -> Iterator[str]:
    """Where users download the release tarballs (a GitHub release page, a mirror)."""
    with serving(release) as url:
        yield url


@pytest.fixture(scope="session")
def signed_release_url(signed_release) -> Iterator[str]:
    """The same download page for a signed release, its public key beside the tarballs."""
    with serving(signed_release.dist) as url:
        yield url


@pytest.fixture(scope="session")
def corp_ca(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The TLS-inspecting proxy's CA, as the user has it."""
    return write_ca(tmp_path_factory.mktemp("corp-ca") / "ca.pem").read_bytes()
