"""A forward proxy in a few lines of socket code, on 127.0.0.1, for one test at a time.

    with local_proxy(b"HTTP/1.1 200 OK\\r\\n\\r\\n", then=echo) as proxy:
        ... proxy.port, proxy.requests

It answers every CONNECT with ``answer`` (None: never answers), then hands the connection
to ``then`` (echo it, or play a TLS server as an intercepting proxy does).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def echo(conn: socket.socket) -> None:
    while data := conn.recv(4096):
        conn.sendall(data)


def tls_server(context: ssl.SSLContext) -> Callable[[socket.socket], None]:
    """Play the target's TLS server with ``context``, as an intercepting proxy does."""
    def serve(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    return serve


class LocalProxy:
    def __init__(self, answer: bytes | None, then: Callable[[socket.socket], None]) -> None:
        self.answer = answer
        self.then = then
        self.requests: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.settimeout(5)
                    self._one(conn)
                except (OSError, ssl.SSLError):
                    pass

    def _one(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            data = conn.recv(4096)
            if not data:
                return
            request += data
        self.requests.append(request)
        if self.answer is None:
            self.stopped.wait(5)
            return
        conn.sendall(self.answer)
        self.then(conn)


@contextmanager
def local_proxy(answer: bytes | None,
                then: Callable[[socket.socket], None] = echo) -> Iterator[LocalProxy]:
    proxy = LocalProxy(answer, then)
    proxy.thread.start()
    try:
        yield proxy
    finally:
        proxy.stopped.set()
        # a blocked accept() does not notice close(): one last connection wakes it
        with socket.create_connection(("127.0.0.1", proxy.port)):
            pass
        proxy.thread.join(5)
        proxy.server.close()
