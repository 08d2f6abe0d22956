"""The HTTP a client speaks to a forward proxy: CONNECT and absolute-URI GET, and the answer head.

    >>> connect_request("api.spotinst.io:443", ("alice", "s3cret")).splitlines()[0]
    b'CONNECT api.spotinst.io:443 HTTP/1.1'
    >>> parse_response_head(b"HTTP/1.1 407 Proxy Authentication Required\\r\\n"
    ...                     b"Proxy-Authenticate: Basic realm=corp\\r\\n\\r\\n").status
    407

Pure functions: no sockets here. The credentials are only ever put into the
``Proxy-Authorization`` header, never into anything printable.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from post_renderer import __version__
from post_renderer.errors import ProxyProtocolError, one_line

USER_AGENT = f"ocean-proxy/{__version__}"
MAX_HEAD_BYTES = 64 * 1024
REASON_DISPLAY = 80


@dataclass(frozen=True)
class ResponseHead:
    """Status line and headers of a proxy's answer (header names lower-cased)."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]

    @property
    def status_text(self) -> str:
        return f"{self.status} {self.reason}".strip()


def connect_request(authority: str, credentials: tuple[str, str] | None) -> bytes:
    """``CONNECT host:port``; Basic authentication when the proxy URL carries credentials."""
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}",
             f"User-Agent: {USER_AGENT}", "Proxy-Connection: keep-alive"]
    return _encode(lines, credentials)


def get_request(url: str, host: str, credentials: tuple[str, str] | None) -> bytes:
    """An absolute-URI ``GET`` for the proxy to forward (plain http:// URLs only)."""
    lines = [f"GET {url} HTTP/1.1", f"Host: {host}", f"User-Agent: {USER_AGENT}",
             "Accept: */*", "Connection: close"]
    return _encode(lines, credentials)


def _encode(lines: list[str], credentials: tuple[str, str] | None) -> bytes:
    if credentials is not None:
        user, password = credentials
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        lines.append(f"Proxy-Authorization: Basic {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def head_end(buffer: bytes) -> int:
    """Where the head ends (just after the blank line), or -1 while it is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end >= 0:
        return end + 4
    end = buffer.find(b"\n\n")
    return end + 2 if end >= 0 else -1


def parse_response_head(head: bytes) -> ResponseHead:
    """Parse ``HTTP/1.x NNN reason`` and the header lines; ProxyProtocolError otherwise."""
    text = head.decode("iso-8859-1")
    lines = text.replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not _is_status(parts[1]):
        raise ProxyProtocolError(
            "the proxy's answer is not HTTP",
            hint="check that the proxy URL names an HTTP proxy (http://host:port), not a SOCKS "
                 "proxy or a web server; for a proxy that expects TLS, use https://",
        )
    reason = one_line(parts[2] if len(parts) > 2 else "", REASON_DISPLAY)
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers.append((name.strip().lower(), value.strip()))
    return ResponseHead(int(parts[1]), reason, tuple(headers))


def _is_status(text: str) -> bool:
    return len(text) == 3 and text.isdigit()
