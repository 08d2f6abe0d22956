"""pytest fixtures for real network tests (loaded from tests/conftest.py via pytest_plugins).

Session-scoped, started on first use and stopped at the end (each xdist worker has its own):

- ``net_pki`` -> NetPki: the certificates and PEM files (``public_roots_file``,
  ``corp_root_file``, ``proxy_ca_file``); see pki.py.
- ``spot_origin`` -> LocalServer: HTTPS origin for api.spotinst.io and charts.spot.io, signed
  by the public root: a JSON at ``/``, and a chart repository (``/index.yaml``,
  ``/charts/hello-spot-0.1.0.tgz``, see chart_repo.py); ``.requests`` lists (Host, path).
- ``expired_origin`` -> LocalServer: HTTPS origin for expired.spot.test, with an expired leaf.
- ``aia_server`` -> LocalServer: plain HTTP, serves the offline root (DER) at AIA_PATH.
- ``mitm_proxies`` -> ProxyPool: ``.get(name)`` starts a variant once; the shortcuts below.
  Every variant routes api.spotinst.io and charts.spot.io to ``spot_origin``,
  expired.spot.test to ``expired_origin`` and pki.corp.example to ``aia_server``, trusts the
  public root upstream, and answers CONNECT to blocked.spot.test with 403.

  ``intercepting_proxy``  presents leaf + "Example Corp TLS Inspection CA" + offline root
  ``intermediate_only_proxy``  leaf + inspection CA (root missing, no AIA URL)
  ``aia_proxy``           leaf + inspection CA 2, whose AIA URL leads to the offline root
  ``leaf_only_proxy``     leaf alone, signed by the self-signed "Example Corp Proxy CA"
  ``passthrough_proxy``   ``--ignore-hosts .*``: plain CONNECT tunnels, the origin's own chain
  ``auth_proxy``          as intercepting_proxy, with ``--proxyauth`` (``credentials_url``)

Per test: ``leaf_with_aia_proxy``, a tunnel to an origin that presents its server certificate
alone, whose CA Issuers URL leads to inspection CA 2, and so on to the offline root;
``silent_server``, ``ssh_server`` and ``stalling_tunnel_server`` (RawServer:
``.url``, ``.port``) for proxies that never answer, are not proxies, or stall inside the
tunnel; ``raw_servers.closed_port()`` for a port where nothing listens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .. import certs
from ..conftest import tool
from .mitm import MitmProxy, ProxySpec, start_mitmdump
from .pki import AIA_HOST, AIA_PATH, EXPIRED_HOST, SPOT_API, SPOT_CHARTS, NetPki, make_pki
from .raw_servers import RawServer
from .servers import LocalServer, spot_origin_files

BLOCKED_HOST = "blocked.spot.test"
PROXY_USER = "alice"
PROXY_PASSWORD = "Pa55-s3cr@t-9Z"  # '@' must be percent-encoded in the URL


def proxy_specs(pki: NetPki) -> dict[str, ProxySpec]:
    corporate = pki.inspection.key_pem + pki.inspection.pem + pki.corp_root.pem
    return {
        "root-presented": ProxySpec("root-presented", corporate),
        "intermediate-only": ProxySpec(
            "intermediate-only", pki.inspection.key_pem + pki.inspection.pem * 2),
        "intermediate-aia": ProxySpec(
            "intermediate-aia",
            pki.inspection_with_aia.key_pem + pki.inspection_with_aia.pem * 2),
        "leaf-only": ProxySpec("leaf-only", pki.proxy_ca.key_pem + pki.proxy_ca.pem),
        "passthrough": ProxySpec("passthrough", corporate, ("--ignore-hosts", ".*")),
        "auth": ProxySpec("auth", corporate, ("--proxyauth", f"{PROXY_USER}:{PROXY_PASSWORD}"),
                          user=PROXY_USER, password=PROXY_PASSWORD),
    }


class ProxyPool:
    """Starts each mitmdump variant on first use; ``stop_all`` ends them."""

    def __init__(self, mitmdump: Path, workdir: Path, pki: NetPki,
                 routes: dict[str, tuple[str, int]]) -> None:
        self._mitmdump, self._workdir, self._pki, self._routes = mitmdump, workdir, pki, routes
        self._specs = proxy_specs(pki)
        self._running: dict[str, MitmProxy] = {}

    def get(self, name: str) -> MitmProxy:
        if name not in self._running:
            self._running[name] = start_mitmdump(
                self._mitmdump, self._specs[name], self._workdir,
                public_roots=self._pki.public_roots_file, routes=self._routes,
                refused_hosts=(BLOCKED_HOST,))
        return self._running[name]

    def stop_all(self) -> None:
        for proxy in self._running.values():
            proxy.terminate()  # all at once: each takes a moment to shut down
        for proxy in self._running.values():
            proxy.stop()
        self._running.clear()


@pytest.fixture(scope="session")
def net_pki(tmp_path_factory: pytest.TempPathFactory) -> NetPki:
    return make_pki(tmp_path_factory.mktemp("net-pki"))


@pytest.fixture(scope="session")
def spot_origin(net_pki: NetPki, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[LocalServer]:
    server = LocalServer(spot_origin_files(f"https://{SPOT_CHARTS}"),
                         certificate=net_pki.origin,
                         key_directory=tmp_path_factory.mktemp("origin-keys")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def expired_origin(net_pki: NetPki, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[LocalServer]:
    server = LocalServer({"/": b"{}"}, certificate=net_pki.expired_origin,
                         key_directory=tmp_path_factory.mktemp("expired-keys")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aia_server(net_pki: NetPki) -> Iterator[LocalServer]:
    server = LocalServer({AIA_PATH: net_pki.corp_root.der}).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mitm_proxies(net_pki: NetPki, spot_origin: LocalServer, expired_origin: LocalServer,
                 aia_server: LocalServer, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[ProxyPool]:
    routes = {SPOT_API: ("127.0.0.1", spot_origin.port),
              SPOT_CHARTS: ("127.0.0.1", spot_origin.port),
              EXPIRED_HOST: ("127.0.0.1", expired_origin.port),
              AIA_HOST: ("127.0.0.1", aia_server.port)}
    pool = ProxyPool(tool("mitmdump"), tmp_path_factory.mktemp("mitm"), net_pki, routes)
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def intercepting_proxy(mitm_proxies: ProxyPool) -> MitmProxy:
    return mitm_proxies.get("root-presented")


@pytest.fixture(scope="session")
def intermediate_only_proxy(mitm_proxies: ProxyPool) -> MitmProxy:
    return mitm_proxies.get("intermediate-only")


@pytest.fixture(scope="session")
def aia_proxy(mitm_proxies: ProxyPool) -> MitmProxy:
    return mitm_proxies.get("intermediate-aia")


@pytest.fixture(scope="session")
def leaf_only_proxy(mitm_proxies: ProxyPool) -> MitmProxy:
    return mitm_proxies.get("leaf-only")


@pytest.fixture(scope="session")
def passthrough_proxy(mitm_proxies: ProxyPool) -> MitmProxy:
    return mitm_proxies.get("passthrough")


@pytest.fixture(scope="session")
def auth_proxy(mitm_proxies: ProxyPool) -> MitmProxy:
    return mitm_proxies.get("auth")


@pytest.fixture
def leaf_with_aia_proxy(net_pki: NetPki, tmp_path: Path) -> Iterator[MitmProxy]:
    """A proxy that presents its server certificate alone, whose AIA URL leads to the
    inspection CA it signs with, whose own AIA URL leads to the offline root: both fetched
    through the proxy, as discover-ca does."""
    leaf = certs.leaf(net_pki.inspection_with_aia, SPOT_API,
                      aia_url=f"http://{AIA_HOST}/inspection-ca-2.crt")
    origin = LocalServer({"/": b"{}"}, certificate=leaf, key_directory=tmp_path / "keys").start()
    aia = LocalServer({AIA_PATH: net_pki.corp_root.der,
                       "/inspection-ca-2.crt": net_pki.inspection_with_aia.der}).start()
    spec = ProxySpec("leaf-with-aia", net_pki.proxy_ca.key_pem + net_pki.proxy_ca.pem,
                     ("--ignore-hosts", ".*"))  # tunnels: the origin's own certificate
    proxy = start_mitmdump(
        tool("mitmdump"), spec, tmp_path, public_roots=net_pki.public_roots_file,
        routes={SPOT_API: ("127.0.0.1", origin.port), AIA_HOST: ("127.0.0.1", aia.port)})
    try:
        yield proxy
    finally:
        proxy.stop()
        origin.stop()
        aia.stop()


@pytest.fixture
def silent_server() -> Iterator[RawServer]:
    """Accepts TCP connections and never says a word."""
    server = RawServer().start()
    yield server
    server.stop()


@pytest.fixture
def ssh_server() -> Iterator[RawServer]:
    """Answers like an SSH server: not a proxy at all."""
    server = RawServer(b"SSH-2.0-OpenSSH_9.6\r\n").start()
    yield server
    server.stop()


@pytest.fixture
def stalling_tunnel_server() -> Iterator[RawServer]:
    """Says "200 Connection established" to anything, then nothing: TLS never starts."""
    server = RawServer(b"HTTP/1.1 200 Connection established\r\n\r\n").start()
    yield server
    server.stop()
