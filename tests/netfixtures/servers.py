"""Local HTTP(S) servers: the stand-in Spot API and chart repository, and an AIA server.

Each runs ``http.server`` in threads on 127.0.0.1 and an ephemeral port, serves a fixed map
of paths, records what it was asked for, and is stopped by ``stop()``. The TLS handshake
runs in the request's thread, so a stalled client never blocks the others.
"""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .. import certs

CONTENT_TYPES = {".json": "application/json", ".yaml": "text/yaml", ".tgz": "application/gzip",
                 ".crt": "application/pkix-cert", ".p7c": "application/pkcs7-mime"}
SPOT_API_ANSWER = {"status": {"code": 200, "message": "OK"}, "kind": "stand-in Spot API"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None
    owner: LocalServer

    def finish_request(self, request, client_address) -> None:  # type: ignore[override]
        if self.tls is not None:
            request.settimeout(10)
            request = self.tls.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up or fail the handshake are expected in these tests."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        owner = self.server.owner
        owner.requests.append((self.headers.get("Host", ""), self.path))
        body = owner.files.get(self.path.split("?", 1)[0])
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        suffix = Path(self.path).suffix or ".json"
        self.send_header("Content-Type", CONTENT_TYPES.get(suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read ``requests`` instead."""


class LocalServer:
    """An HTTP server (HTTPS when given a certificate) for a fixed set of paths."""

    def __init__(self, files: dict[str, bytes], *, certificate: certs.Issued | None = None,
                 key_directory: Path | None = None, tls: ssl.SSLContext | None = None) -> None:
        """HTTPS with ``certificate`` (its key written under ``key_directory``) or ``tls``."""
        self.files = dict(files)
        self.requests: list[tuple[str, str]] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        if certificate is not None:
            self._server.tls = _server_context(certificate, key_directory)
        elif tls is not None:
            self._server.tls = tls
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def spot_origin_files(charts_url: str) -> dict[str, bytes]:
    """The stand-in Spot API at ``/`` and a chart repository (see chart_repo)."""
    from .chart_repo import repository_files

    return {"/": json.dumps(SPOT_API_ANSWER).encode(), **repository_files(charts_url)}


def _server_context(certificate: certs.Issued, key_directory: Path | None) -> ssl.SSLContext:
    if key_directory is None:
        raise ValueError("an HTTPS server needs a directory for its key file")
    key_directory.mkdir(parents=True, exist_ok=True)
    name = certificate.cert.subject.rfc4514_string().encode().hex()[:16]
    cert_file, key_file = key_directory / f"{name}.pem", key_directory / f"{name}.key"
    cert_file.write_bytes(certificate.pem)
    key_file.write_bytes(certificate.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
