"""The real TLS clients of the differential tests, each run against a local HTTPS server.

- ``ChainServer``: an HTTPS chart repository on 127.0.0.1 presenting a given chain (leaf
  first); OpenSSL's security level 0 on the server side, so that it will present weak
  certificates and let the clients judge them.
- ``go_outcome``: Go's crypto/x509, as the controller and the auto-updater's helm use it:
  ``helm pull`` of a chart from that server, trusting only ``SSL_CERT_FILE`` (an empty
  ``SSL_CERT_DIR`` keeps the machine's roots out).
- ``openssl_outcome``: OpenSSL as fluent-bit uses it: ``openssl s_client`` with only the
  bundle (``-CAfile``, no default paths), the default verify flags and this machine's
  openssl.cnf, failing the handshake on any verify error.
- ``ConnectTunnel``: a plain CONNECT proxy for ``ocean-proxy verify``.
"""

from __future__ import annotations

import re
import select
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from .netfixtures.chart_repo import CHART, VERSION, repository_files
from .netfixtures.servers import LocalServer


@dataclass(frozen=True)
class Outcome:
    """What a client did with a chain: trusted it or not, and the reason it gave."""

    trusted: bool
    reason: str


class ChainServer:
    """A chart repository over HTTPS on 127.0.0.1, presenting ``chain_pem`` with ``key_pem``."""

    def __init__(self, chain_pem: bytes, key_pem: bytes, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "chain.pem").write_bytes(chain_pem)
        (directory / "key.pem").write_bytes(key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.load_cert_chain(directory / "chain.pem", directory / "key.pem")
        self._server = LocalServer({}, tls=context)
        self._server.files.update(repository_files(self.url))

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def chart_url(self) -> str:
        return f"{self.url}/charts/{CHART}-{VERSION}.tgz"

    def __enter__(self) -> ChainServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()


_GO_X509 = re.compile(r"(x509: .*|tls: .*|crypto/\S+: .*)")


def go_outcome(helm: Path, bundle: Path, server: ChainServer, home: Path) -> Outcome:
    """``helm pull`` from ``server``, trusting exactly ``bundle`` (Go's SSL_CERT_FILE)."""
    empty = home / "empty-cert-dir"
    empty.mkdir(parents=True, exist_ok=True)
    (home / "pulled").mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "SSL_CERT_FILE": str(bundle),
           "SSL_CERT_DIR": str(empty), "HELM_CACHE_HOME": str(home / "cache"),
           "HELM_CONFIG_HOME": str(home / "config"), "HELM_DATA_HOME": str(home / "data")}
    run = subprocess.run([str(helm), "pull", server.chart_url, "-d", str(home / "pulled")],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    if run.returncode == 0:
        return Outcome(True, "")
    found = _GO_X509.search(run.stderr)
    return Outcome(False, found.group(1) if found else run.stderr.strip())


# Debian-based fluent-bit images (4.x) run OpenSSL at security level 2 (openssl.cnf).
OPENSSL_SECURITY = "DEFAULT:@SECLEVEL=2"
_VERIFY_ERROR = re.compile(r"verify error:num=\d+:(.*)")


def openssl_outcome(bundle: Path, server: ChainServer) -> Outcome:
    """``openssl s_client`` to ``server`` trusting only ``bundle``, as an OpenSSL client does."""
    run = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-verify_return_error",
         "-cipher", OPENSSL_SECURITY,
         "-verify_ip", "127.0.0.1", "-CAfile", str(bundle), "-no-CApath", "-no-CAstore"],
        input="", capture_output=True, text=True, timeout=60, check=False)
    output = run.stdout + run.stderr
    found = _VERIFY_ERROR.search(output)
    if run.returncode == 0 and "Verify return code: 0 (ok)" in output and not found:
        return Outcome(True, "")
    return Outcome(False, found.group(1) if found else output.strip().splitlines()[-1])


class ConnectTunnel:
    """A plain HTTP CONNECT proxy on 127.0.0.1: it tunnels, never inspects."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> ConnectTunnel:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._tunnel, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            client.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            target = head.split(b" ", 2)[1].decode("ascii")
            host, _, port = target.rpartition(":")
            with socket.create_connection((host, int(port)), timeout=10) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(client, upstream)

    def _pipe(self, client: socket.socket, upstream: socket.socket) -> None:
        ends = {client: upstream, upstream: client}
        while not self._stopping.is_set():
            readable, _, _ = select.select(list(ends), [], [], 0.2)
            for end in readable:
                try:
                    data = end.recv(65536)
                    if data:
                        ends[end].sendall(data)
                except OSError:  # a client that gives up mid-handshake resets the tunnel
                    return
                if not data:
                    return
