"""mitmdump on 127.0.0.1 in the shapes corporate proxies take, started and stopped by tests.

The proxy's CA lives in ``<confdir>/mitmproxy-ca.pem``: its private key, then certificates.
mitmproxy signs each leaf with the key and, when the file holds more than one certificate,
loads the file as a chain store and sends the chain OpenSSL builds from it with every leaf:

- key + self-signed CA: the leaf alone (mitmproxy's default);
- key + intermediate + root: leaf, intermediate and root (the root is presented);
- key + intermediate + intermediate again: leaf and intermediate (the root is missing).

The port is chosen by the system (``--listen-port 0``) and read from mitmdump's log line.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ADDON = Path(__file__).with_name("mitm_addon.py")
_LISTENING = re.compile(r"proxy listening at (?:\*|[0-9.]+):(\d+)")
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class ProxySpec:
    """What to start: the CA file content, and mitmdump options on top of the common ones."""

    name: str
    ca_file: bytes  # key, then certificates: written to <confdir>/mitmproxy-ca.pem
    extra_args: tuple[str, ...] = ()
    user: str | None = None
    password: str | None = None


@dataclass
class MitmProxy:
    """A running mitmdump. ``url`` is http://127.0.0.1:PORT; ``https_url`` speaks TLS to it."""

    spec: ProxySpec
    port: int
    log_file: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        """The same proxy spoken to over TLS (mitmproxy accepts both on one port); its own
        certificate is made for 'localhost' by the proxy's CA."""
        return f"https://localhost:{self.port}"

    def url_with(self, user: str, password: str, *, scheme: str = "http") -> str:
        from urllib.parse import quote

        return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"

    @property
    def credentials_url(self) -> str:
        """The URL with the right credentials (only for proxies started with some)."""
        assert self.spec.user is not None and self.spec.password is not None
        return self.url_with(self.spec.user, self.spec.password)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def terminate(self) -> None:
        """Ask mitmdump's process group to exit, without waiting (see ``stop``)."""
        self._signal(signal.SIGTERM)

    def stop(self) -> None:
        """Terminate and wait; kill the process group if it does not exit in 5 s."""
        self.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait(timeout=5)

    def _signal(self, number: int) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, number)


def start_mitmdump(mitmdump: Path, spec: ProxySpec, workdir: Path, *, public_roots: Path,
                   routes: dict[str, tuple[str, int]], refused_hosts: tuple[str, ...] = ()
                   ) -> MitmProxy:
    """Start mitmdump for ``spec`` and wait until it listens; fails with its log otherwise."""
    confdir = workdir / spec.name
    confdir.mkdir(parents=True, exist_ok=True)
    (confdir / "mitmproxy-ca.pem").write_bytes(spec.ca_file)
    log_file = confdir / "mitmdump.log"
    argv = [
        str(mitmdump), "--listen-host", "127.0.0.1", "--listen-port", "0",
        "--set", f"confdir={confdir}",
        "--set", f"ssl_verify_upstream_trusted_ca={public_roots}",
        "-s", str(ADDON),
        "--set", f"local_routes={json.dumps(routes)}",
        "--set", f"refused_hosts={','.join(refused_hosts)}",
        *spec.extra_args,
    ]
    with open(log_file, "wb") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        match = _LISTENING.search(log_file.read_text(errors="replace"))
        if match:
            return MitmProxy(spec, int(match.group(1)), log_file, process)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    proxy = MitmProxy(spec, 0, log_file, process)
    proxy.stop()
    raise RuntimeError(f"mitmdump ({spec.name}) did not start:\n{proxy.log()[-3000:]}")
