"""Fetch a missing issuer from a certificate's AIA "CA Issuers" URL, through the same proxy.

The pods reach the internet only through the proxy, and so does this: an absolute-URI
``GET http://...`` sent to the proxy with the same credentials. The answer may be DER, PEM
or PKCS#7 (``.crt``, ``.cer``, ``.p7c``), as CAs publish them.

    certificates = fetch_issuer_certificates("http://pki.corp.example/root.crt", settings, None)
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from post_renderer.errors import AiaFetchError, one_line
from post_renderer.network.proxy_protocol import REASON_DISPLAY, get_request
from post_renderer.network.settings import NetworkSettings
from post_renderer.network.tunnel import connect_proxy, failure_reason
from post_renderer.trust import Certificate, inspect_bundle

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_ANSWER_BYTES = 1024 * 1024
_HINT = "ask the proxy's owners for the CA certificate instead"


def usable_url(url: str) -> bool:
    """Only plain http:// URLs with a host: what CAs publish, and what a proxy can GET."""
    if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and bool(parts.hostname)


def fetch_issuer_certificates(url: str, settings: NetworkSettings,
                              proxy_tls: ssl.SSLContext | None) -> list[Certificate]:
    """GET ``url`` through the proxy; the certificates in the answer, or AiaFetchError."""
    shown = one_line(url, 200)
    if not usable_url(url):
        raise AiaFetchError(f"the CA Issuers URL '{shown}' is not a plain http:// URL",
                            hint=_HINT)
    host = urlsplit(url).netloc.rpartition("@")[2]
    sock = connect_proxy(settings, proxy_tls)
    settings.log(f"GET {shown} through the proxy")
    deadline = time.monotonic() + settings.timeout
    try:
        sock.settimeout(settings.timeout)
        sock.sendall(get_request(url, host, settings.proxy.basic_credentials()))
        response = http.client.HTTPResponse(cast(socket.socket, _WithDeadline(sock, deadline)),
                                            method="GET")
        response.begin()
        if response.status != 200:
            raise AiaFetchError(
                f"fetching '{shown}' through the proxy gave {response.status} "
                f"{one_line(response.reason, REASON_DISPLAY)}", hint=_HINT)
        body = response.read(MAX_ANSWER_BYTES + 1)
    except TimeoutError:
        raise AiaFetchError(f"no whole answer for '{shown}' within {settings.timeout:g}s "
                            "(--timeout gives it longer)", hint=_HINT) from None
    except (OSError, http.client.HTTPException) as error:
        raise AiaFetchError(f"fetching '{shown}' through the proxy failed "
                            f"({failure_reason(error)})", hint=_HINT) from None
    finally:
        sock.close()
    if len(body) > MAX_ANSWER_BYTES:
        raise AiaFetchError(f"the answer for '{shown}' is larger than 1 MiB", hint=_HINT)
    settings.log(f"got {len(body)} bytes from {shown}")
    return certificates_in(body, shown)


class _WithDeadline:
    """The socket as http.client reads it, every read given what is left of one deadline: a
    proxy that trickles its answer a byte at a time is stopped too, not only a silent one."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self.sock, self.deadline))


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self.sock, self.deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


def certificates_in(data: bytes, source: str) -> list[Certificate]:
    """Every certificate readable in ``data`` (DER, PEM or PKCS#7), judged or not."""
    return [verdict.certificate for verdict in inspect_bundle(data, source).verdicts
            if verdict.certificate is not None]
