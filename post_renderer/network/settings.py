"""What discover-ca and verify need to reach a target through the proxy, from the command line.

    >>> parse_endpoint("api.spotinst.io:443")
    Endpoint(host='api.spotinst.io', port=443)
    >>> str(parse_endpoint("[::1]:8443"))
    '[::1]:8443'

Every network step gets ``timeout`` seconds of its own. ``log`` receives one line per step
when ``--debug`` is given; the lines name the proxy by its redacted URL only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from post_renderer.errors import UsageError, shown
from post_renderer.proxy_settings.proxy_url import HOST_NAME, ProxyUrl

StepLog = Callable[[str], None]

_ENDPOINT_HINT = "use HOST:PORT, for example api.spotinst.io:443"
MIN_TIMEOUT, MAX_TIMEOUT = 0.01, 3600.0  # each network step, in seconds
# the shell's own proxy, in the order Go reads them (the controller is Go): named in a hint
# when no proxy is given, never read as one, since the cluster's proxy may be another
SHELL_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@dataclass(frozen=True)
class Endpoint:
    """A host and port to CONNECT to."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class NetworkSettings:
    """The proxy, the target behind it, the TLS name to ask for, and the per-step timeout."""

    proxy: ProxyUrl
    target: Endpoint
    server_name: str
    timeout: float
    log: StepLog

    @property
    def route(self) -> str:
        """How messages name the path: the target and the proxy, never its password."""
        return f"{self.target} through the proxy {self.proxy.redacted}"


def parse_endpoint(text: str, *, option: str = "--target") -> Endpoint:
    """HOST:PORT, [IPv6]:PORT, or HOST alone (port 443)."""
    value = text.strip()
    if "://" in value:  # a URL pasted from a browser or a proxy's log
        raise UsageError(f"{option} takes HOST:PORT, not a URL",
                         hint="drop the scheme and any path: for example api.spotinst.io:443")
    match = re.fullmatch(r"\[(?P<v6>[0-9A-Fa-f:.]+)\](?::(?P<v6port>\d+))?|"
                         r"(?P<host>[^:\[\]]+)(?::(?P<port>\d+))?", value)
    if not match:
        raise UsageError(f"{option} {shown(value)} is not HOST:PORT", hint=_ENDPOINT_HINT)
    port_text = match["v6port"] or match["port"] or "443"
    port = int(port_text)
    if not 0 < port < 65536:
        raise UsageError(f"{option} has an invalid port {port_text}", hint=_ENDPOINT_HINT)
    if match["v6"]:
        try:
            return Endpoint(str(ipaddress.IPv6Address(match["v6"])), port)
        except ValueError:
            raise UsageError(f"{option} has an invalid IPv6 address",
                             hint=_ENDPOINT_HINT) from None
    host = match["host"]
    if not HOST_NAME.match(host):
        raise UsageError(f"{option} has an invalid host name {shown(host)}", hint=_ENDPOINT_HINT)
    return Endpoint(host.lower().rstrip("."), port)


def network_settings(*, proxy: ProxyUrl | None, target: str, server_name: str | None,
                     timeout: float, log: StepLog = lambda text: None,
                     environ: Mapping[str, str] | None = None) -> NetworkSettings:
    """Check the shared network options of discover-ca and verify; ``proxy`` comes from
    --proxy-url, OCEAN_PROXY_URL or the config file, as a render's does. ``environ`` is
    looked at only to name the shell's proxy variable when no proxy is given."""
    if proxy is None:
        raise _no_proxy_given(environ or {})
    endpoint = parse_endpoint(target)
    name = server_name.strip().lower().rstrip(".") if server_name else endpoint.host
    if server_name is not None and not HOST_NAME.match(name):
        raise UsageError("--servername is not a host name", hint="for example api.spotinst.io")
    if not (MIN_TIMEOUT <= timeout <= MAX_TIMEOUT):  # NaN too; beyond, sockets overflow
        raise UsageError(f"--timeout must be a number of seconds from {MIN_TIMEOUT:g} to "
                         f"{MAX_TIMEOUT:g}", hint="for example --timeout 10")
    return NetworkSettings(proxy, endpoint, name, float(timeout), log)


def _no_proxy_given(environ: Mapping[str, str]) -> UsageError:
    """The refusal when no proxy is given; with the shell's proxy set, the hint says how to
    pass it, by the variable's name: its value may hold a password."""
    shell = next((name for name in SHELL_PROXY_VARIABLES if environ.get(name)), None)
    hint = ("with a password in the URL, OCEAN_PROXY_URL or the config file keeps it off the "
            "command line")
    if shell:
        hint = (f"{shell} is set in this shell: if the cluster goes through the same proxy, "
                f'add --proxy-url "${shell}" (or set OCEAN_PROXY_URL="${shell}", which keeps '
                "a password off the command line)")
    return UsageError("no proxy is given: --proxy-url URL, OCEAN_PROXY_URL, or proxyUrl in "
                      "the --config file", hint=hint)
