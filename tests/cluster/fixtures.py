"""pytest fixtures for a real API server (loaded from tests/conftest.py via pytest_plugins).

- ``api_server`` (session) -> ApiServer: etcd + kube-apiserver on 127.0.0.1, started on first
  use, stopped at the end of the session; each xdist worker that asks starts its own.
  ``.kubeconfig`` (admin), ``.env()`` (a clean environment with KUBECONFIG for helm and
  kubectl), ``.kubectl(...)``, ``.get(kind, name, namespace)`` and ``.list(kinds, namespace)``
  (stored objects as dicts).
- ``cluster_namespace`` (per test) -> str: a fresh namespace named after the test,
  ``t<N>-<test name>``; ``t<N>`` alone is unique in the server too (for release names, as
  cluster-wide objects such as ClusterRoles are named after the release).
- ``helm_users`` (session) -> HelmUsers: ``.get("helm3" | "helm4")`` is that major with the
  post-renderer installed from the release tarballs as the README says (see helm_users.py).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import tool
from .helm_users import HelmUsers
from .server import ApiServer, start_cluster

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = start_cluster(Path(tmp_path_factory.mktemp("cluster")), kubectl=tool("kubectl"),
                           etcd=tool("etcd"), kube_apiserver=tool("kube-apiserver"))
    yield server
    server.stop()


@pytest.fixture
def cluster_namespace(api_server: ApiServer, request: pytest.FixtureRequest) -> str:
    """A namespace of its own for the test (a name of at most 63 DNS-label characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    return api_server.create_namespace(f"t{next(_numbers)}-{slug}"[:63].rstrip("-"))


@pytest.fixture(scope="session")
def helm_users(api_server: ApiServer, release: Path,
               tmp_path_factory: pytest.TempPathFactory) -> HelmUsers:
    return HelmUsers(api_server, release, Path(tmp_path_factory.mktemp("helm-users")))
