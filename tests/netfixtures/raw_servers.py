"""TCP endpoints that are not proxies: a closed port, a listener that never answers, one that
answers something other than HTTP, and one whose answer trickles in and never ends. For the
"proxy unreachable / not a proxy / too slow" paths."""

from __future__ import annotations

import socket
import threading
import time


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RawServer:
    """Accepts connections, sends ``greeting`` (if any), then keeps them open and silent."""

    def __init__(self, greeting: bytes = b"") -> None:
        self.greeting = greeting
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._connections: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RawServer:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                continue
            self._connections.append(connection)
            if self.greeting:
                connection.sendall(self.greeting)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        for connection in self._connections:
            connection.close()
        self._listener.close()


class TricklingServer:
    """Waits for the client's first words, answers ``head``, then one byte of ``drip`` at a
    time, each well within any timeout, for up to five seconds: an answer that never ends
    in time, though no single read waits long. A context manager."""

    def __init__(self, head: bytes, drip: bytes) -> None:
        self.head, self.drip = head, drip
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """As an http:// proxy URL; the tests of an https:// proxy change the scheme."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> TricklingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        self._listener.settimeout(5)
        try:
            connection, _ = self._listener.accept()
        except OSError:  # the client gave up before connecting
            return
        with connection:
            connection.recv(65536)
            connection.sendall(self.head)
            give_up = time.monotonic() + 5  # then the answer breaks off, if still read
            while not self._stopping.wait(0.05) and time.monotonic() < give_up:
                try:
                    connection.sendall(self.drip)
                except OSError:
                    return
