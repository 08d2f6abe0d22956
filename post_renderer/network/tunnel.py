"""A byte stream to a target through the proxy: TCP (and TLS, for https:// proxies), then CONNECT.

    with open_tunnel(settings, proxy_tls=None) as tunnel:
        session = handshake(tunnel, context, settings)

Each step (TCP connect, TLS to the proxy, the answer to CONNECT) has ``settings.timeout``
seconds, and each way of failing is its own error with the words a user needs. The proxy is
named by host and port, or by its redacted URL; the password goes only into the request.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from typing import TypeAlias

from post_renderer.errors import (
    ConnectRefusedError,
    ProxyAuthError,
    ProxyProtocolError,
    ProxyUnreachableError,
    TlsHandshakeError,
    one_line,
)
from post_renderer.network.proxy_protocol import (
    MAX_HEAD_BYTES,
    ResponseHead,
    connect_request,
    head_end,
    parse_response_head,
)
from post_renderer.network.settings import NetworkSettings

# One getaddrinfo() answer: family, type, protocol, canonical name, socket address.
_AddressInfo: TypeAlias = tuple[socket.AddressFamily, socket.SocketKind, int, str,
                                tuple[str | int | bytes, ...]]
# The flag wins over the variable: the hint says to drop the flag, which ps shows to everyone.
_ENCODED = "percent-encode '@', ':', '/', '%' and spaces in them"
_AUTH_HINT = ("give the URL with the proxy's user and password, http://user:password@host:port "
              f"({_ENCODED}), by OCEAN_PROXY_URL or the --config file instead of --proxy-url, "
              "which 'ps' shows to every user")


class Tunnel:
    """A connected stream; ``pending`` holds bytes the proxy sent after its answer head."""

    def __init__(self, sock: socket.socket, pending: bytes = b"") -> None:
        self.sock = sock
        self.pending = pending

    def send(self, data: bytes, deadline: float) -> None:
        self.sock.settimeout(_remaining(deadline))
        self.sock.sendall(data)

    def recv(self, deadline: float, size: int = 65536) -> bytes:
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        self.sock.settimeout(_remaining(deadline))
        return self.sock.recv(size)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> Tunnel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def connect_proxy(settings: NetworkSettings, proxy_tls: ssl.SSLContext | None) -> socket.socket:
    """TCP to the proxy, then TLS to the proxy itself when its URL is https://."""
    proxy = settings.proxy
    where = f"the proxy {proxy.netloc}"
    settings.log(f"connecting to {proxy.redacted} (timeout {settings.timeout:g}s)")
    addresses = _resolve(proxy.host.strip("[]"), proxy.port, settings)
    try:
        sock = _connect_any(addresses, settings.timeout)
    except TimeoutError:
        raise ProxyUnreachableError(
            f"{where} did not accept a connection within {settings.timeout:g}s",
            hint="check the host and port in the proxy URL, and that a firewall lets this machine "
                 "reach it; --timeout gives it longer",
        ) from None
    except ConnectionRefusedError:
        raise ProxyUnreachableError(
            f"{where} refused the connection: nothing listens on that port",
            hint="check the port in the proxy URL (3128 and 8080 are common)",
        ) from None
    except OSError as error:
        raise ProxyUnreachableError(
            f"cannot connect to {where} ({error.strerror or type(error).__name__})",
            hint="check the host and port in the proxy URL, and this machine's network",
        ) from None
    settings.log(f"connected to {proxy.netloc}")
    if proxy_tls is None:
        return sock
    return _tls_to_proxy(sock, settings, proxy_tls)


def _resolve(host: str, port: int, settings: NetworkSettings) -> Sequence[_AddressInfo]:
    """getaddrinfo has no timeout of its own: run it in a thread and stop waiting."""
    answer: list[Sequence[_AddressInfo] | BaseException] = []

    def lookup() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            answer.append(error)

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(settings.timeout)
    if not answer:
        raise ProxyUnreachableError(
            f"no answer from DNS for the proxy's host name '{host}' within "
            f"{settings.timeout:g}s",
            hint="check the host in the proxy URL, and the DNS of this machine",
        )
    if isinstance(answer[0], BaseException) or not answer[0]:
        raise ProxyUnreachableError(
            f"cannot resolve the proxy's host name '{host}'",
            hint="check the host in the proxy URL, and the DNS of this machine",
        )
    return answer[0]


def _connect_any(addresses: Sequence[_AddressInfo], timeout: float) -> socket.socket:
    """Try each address in turn, as socket.create_connection does; the last error if none."""
    failure: OSError = OSError("no address")
    for family, kind, protocol, _, address in addresses:
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as error:
            sock.close()
            failure = error
    raise failure


def _tls_to_proxy(sock: socket.socket, settings: NetworkSettings,
                  context: ssl.SSLContext) -> socket.socket:
    proxy = settings.proxy
    settings.log(f"TLS handshake with the proxy itself ({proxy.host})")
    sock.settimeout(settings.timeout)  # for the whole handshake: ssl keeps one deadline
    try:
        return context.wrap_socket(sock, server_hostname=proxy.host.strip("[]"))
    except TimeoutError:
        sock.close()
        raise TlsHandshakeError(
            f"the https proxy {proxy.netloc} did not complete the TLS handshake within "
            f"{settings.timeout:g}s",
            hint="the proxy may be overloaded, or not speak TLS on that port (then use its "
                 "http:// URL); --timeout gives it longer",
        ) from None
    except ssl.SSLCertVerificationError as error:
        sock.close()
        raise TlsHandshakeError(
            f"the https proxy {proxy.netloc} presents a certificate this command does not "
            f"trust ({error.verify_message})",
            hint="an https:// proxy's own certificate must be trusted too: give its CA with "
                 "--proxy-ca-file (discover-ca) or --ca-file (verify), or use the proxy's "
                 "http:// port",
        ) from None
    except (ssl.SSLError, OSError) as error:
        sock.close()
        raise TlsHandshakeError(
            f"TLS with the https proxy {proxy.netloc} failed ({failure_reason(error)})",
            hint="check that the proxy really speaks TLS on that port; if not, use http://",
        ) from None


def open_tunnel(settings: NetworkSettings, proxy_tls: ssl.SSLContext | None) -> Tunnel:
    """Connect to the proxy and ask it to CONNECT to the target; the open tunnel."""
    sock = connect_proxy(settings, proxy_tls)
    tunnel = Tunnel(sock)
    try:
        rest = _exchange(tunnel, settings)
    except BaseException:
        tunnel.close()
        raise
    tunnel.pending = rest
    return tunnel


def _exchange(tunnel: Tunnel, settings: NetworkSettings) -> bytes:
    """Send CONNECT and read the answer; the bytes that followed the head on success."""
    proxy, target = settings.proxy, settings.target
    credentials = proxy.basic_credentials()
    settings.log(f"CONNECT {target}" + (" with Basic credentials for user "
                                        f"'{one_line(proxy.shown_user, 40)}'"
                                        if credentials else ""))
    deadline = time.monotonic() + settings.timeout
    try:
        tunnel.send(connect_request(str(target), credentials), deadline)
        raw, rest = read_head(tunnel, deadline)
    except TimeoutError:
        raise ProxyUnreachableError(
            f"the proxy {proxy.netloc} did not answer CONNECT {target} within "
            f"{settings.timeout:g}s",
            hint="the proxy may be overloaded or silently drop this traffic; --timeout gives "
                 "it longer",
        ) from None
    except OSError as error:
        raise ProxyProtocolError(
            f"the proxy {proxy.netloc} closed the connection instead of answering CONNECT "
            f"({failure_reason(error)})",
            hint="check that the proxy URL names an HTTP proxy; for a proxy that expects TLS, use "
                 "https://",
        ) from None
    head = parse_response_head(raw)
    settings.log(f"proxy answered: {head.status_text}")
    if 200 <= head.status < 300:
        return rest
    if head.status == 407:
        raise _auth_error(head, settings)
    if head.status in _UPSTREAM_FAILED:
        raise ConnectRefusedError(
            f"the proxy could not reach {target}: {head.status_text}",
            hint=f"the target is down or the proxy's own DNS or route to it failed: check "
                 f"that {target} is right and try again; if it lasts, ask the proxy's owners "
                 "whether the proxy reaches it")
    raise ConnectRefusedError(
        f"the proxy refused to CONNECT to {target}: {head.status_text}",
        hint=f"ask the proxy's owners to allow HTTPS (CONNECT) to {target}; the controller "
             "also needs api.spotinst.io:443 and, for auto-update, charts.spot.io:443",
    )


# Bad Gateway, Service Unavailable, Gateway Timeout: the proxy tried and failed, it did not refuse
_UPSTREAM_FAILED = frozenset({502, 503, 504})


def read_head(tunnel: Tunnel, deadline: float) -> tuple[bytes, bytes]:
    """Read up to the blank line ending an HTTP head; (head, bytes after it)."""
    buffer = b""
    while (end := head_end(buffer)) < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise ProxyProtocolError("the proxy's answer head is larger than 64 KiB",
                                     hint="check that the proxy URL names an HTTP proxy")
        data = tunnel.recv(deadline)
        if not data:
            if not buffer:
                raise ConnectionResetError(0, "no answer at all")
            raise ProxyProtocolError("the proxy's answer stops before its end",
                                     hint="check that the proxy URL names an HTTP proxy")
        buffer += data
        if not b"HTTP/".startswith(buffer[:5]):
            return buffer, b""  # not HTTP: the parser says so now, without waiting for more
    return buffer[:end], buffer[end:]


def _auth_error(head: ResponseHead, settings: NetworkSettings) -> ProxyAuthError:
    proxy = settings.proxy
    offered = [one_line(v, 40) for v in head.header_values("proxy-authenticate")]
    schemes = sorted({value.split(" ", 1)[0] for value in offered if value}, key=str.lower)
    if schemes and "basic" not in {scheme.lower() for scheme in schemes}:
        return ProxyAuthError(
            f"the proxy {proxy.netloc} requires authentication ({head.status_text}) and "
            f"accepts only {', '.join(schemes)}, not Basic",
            hint="the controller and the log-shipper can send only Basic credentials; ask the "
                 "proxy's owners for Basic authentication or an exemption for the cluster",
        )
    if not proxy.has_credentials:
        return ProxyAuthError(
            f"the proxy {proxy.netloc} requires authentication ({head.status_text}), and "
            "the proxy URL has no credentials",
            hint=_AUTH_HINT,
        )
    return ProxyAuthError(
        f"the proxy {proxy.netloc} rejected the credentials of user "
        f"'{one_line(proxy.shown_user, 40)}' "
        f"({head.status_text})",
        hint=f"check the user and the password in the proxy URL; {_ENCODED}",
    )


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def failure_reason(error: BaseException) -> str:
    """A few words on why a socket or TLS step failed, for the end of a message."""
    if isinstance(error, ssl.SSLEOFError):
        return "the connection was closed during the handshake"
    if isinstance(error, ssl.SSLError) and error.reason:
        return error.reason.replace("_", " ").lower()
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return type(error).__name__
