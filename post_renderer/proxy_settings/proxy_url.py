"""The proxy URL: parsed, checked for what Go and fluent-bit can use, and printable safely.

    >>> url = parse_proxy_url("http://alice:s3cret@Proxy.Corp:3128/")
    >>> url.redacted
    'http://alice:***@proxy.corp:3128'
    >>> url.has_credentials, url.without_credentials
    (True, 'http://proxy.corp:3128')
    >>> parse_proxy_url("http://alice:p%40ss@proxy.corp:3128").for_fluent_bit
    'http://alice:p@ss@proxy.corp:3128'
    >>> parse_proxy_url("http://alice@proxy.corp:3128").for_fluent_bit
    'http://alice:@proxy.corp:3128'

Only ``http://`` and ``https://`` proxies are accepted (fluent-bit takes only ``http://``).
The password is kept exactly as given (percent-encoding included), and never appears in
``redacted`` or in any error message. Credentials must be written as Go
reads them (RFC 3986: ``%XX`` for anything else): Go drops or mangles a proxy URL it cannot
parse, and the controller then goes without the proxy.
"""

import re
from typing import NamedTuple

from post_renderer.errors import ProxyUrlError

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

_URL = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?:(?P<userinfo>[^@/?#]*)@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/?#\[\]@]+)"
    r"(?::(?P<port>[^/?#]*))?"
    r"(?P<rest>[/?#].*)?$",
    re.DOTALL,
)
# What Go's net/url accepts in userinfo (validUserinfo, then unescape).
_USERINFO = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*")
# A label of a host name, as every command and NO_PROXY take one: "_" too, Go's resolver takes
# it, as in a Compose or Swarm service name (squid_proxy); never '-' at either end, which Go's
# resolver refuses to look up (net.isDomainName)
HOST_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
HOST_NAME = re.compile(rf"^{HOST_LABEL}(?:\.{HOST_LABEL})*\.?$")
_HINT = "use the form http://[user:password@]proxy.example.com:3128"
_IPV6_HINT = "write an IPv6 address in brackets: http://[2001:db8::1]:3128"
_IPV6_CHARACTERS = frozenset("0123456789abcdefABCDEF:.")


class ProxyUrl(NamedTuple):
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    scheme_assumed: bool = False  # written without one: read as http://, as Go does
    port_assumed: bool = False  # written without one: the scheme's default, as Go does

    @property
    def has_credentials(self) -> bool:
        return self.username is not None

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def without_credentials(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    @property
    def redacted(self) -> str:
        if not self.has_credentials:
            return self.without_credentials
        # a user name without a password may be a token (some proxies take one so): hidden too
        user = f"{self.username}:***" if self.password else "***"
        return f"{self.scheme}://{user}@{self.netloc}"

    @property
    def shown_user(self) -> str:
        """The user name for a message, decoded; hidden as ``redacted`` hides it when there
        is no password (then it may be a token)."""
        return percent_decoded(self.username or "") if self.password else "***"

    @property
    def full(self) -> str:
        """The URL with its credentials: goes into a Secret, never into a message."""
        if not self.has_credentials:
            return self.without_credentials
        secret = self.username if self.password is None else f"{self.username}:{self.password}"
        return f"{self.scheme}://{secret}@{self.netloc}"

    @property
    def for_fluent_bit(self) -> str:
        """The URL as fluent-bit must read it: it takes the credentials as written (user up
        to the first ':', password up to the last '@', nothing percent-decoded) and needs
        the ':' even without a password. Goes into a Secret, never into a message."""
        credentials = self.basic_credentials()
        if credentials is None:
            return self.without_credentials
        return f"{self.scheme}://{credentials[0]}:{credentials[1]}@{self.netloc}"

    def basic_credentials(self) -> tuple[str, str] | None:
        """Decoded user and password for a Proxy-Authorization: Basic header."""
        if not self.has_credentials:
            return None
        return percent_decoded(self.username or ""), percent_decoded(self.password or "")


def percent_decoded(text: str) -> str:
    """``urllib.parse.unquote(text)``, imported only for a text with a '%' in it: unquote
    returns any other as it is, and urllib.parse (with ipaddress) costs a thirtieth of a
    render that has none."""
    if "%" not in text:
        return text
    from urllib.parse import unquote

    return unquote(text)


def parse_proxy_url(text: str, *, source: str = "proxy URL") -> ProxyUrl:
    """Parse and check a proxy URL; errors name the source but never echo the URL itself."""
    try:
        return _parsed(text, source)
    except ProxyUrlError as error:
        quoted = text.strip()
        if len(quoted) > 1 and quoted[0] in "'\"" and quoted[-1] == quoted[0]:
            raise ProxyUrlError(f"{source} is wrapped in quotes, which are not part of a URL",
                                hint=_QUOTES_HINT) from None
        # '${PROXY_URL}' from a config file, '$URL' in single quotes (a password may hold '$')
        if re.search(_VARIABLE, text.rpartition("@")[2]):
            error.hint = ("a '$NAME' in it is not expanded here: nothing expands variables in "
                          "a config file or chart values, nor does a shell within single "
                          "quotes; write the URL itself")
        raise


# OCEAN_PROXY_URL="http://..." in an env file read by docker (run --env-file) or systemd's
# EnvironmentFile, which keep the quotes as characters, as a CI variable may
_QUOTES_HINT = ("remove the quotes: what read the value kept them as characters (an env file "
                "docker or systemd reads, a CI variable, a value quoted twice)")
# A shell variable reference, looked for only in a URL that is refused
_VARIABLE = r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)"


def _parsed(text: str, source: str) -> ProxyUrl:
    value = text.strip()
    if not value:
        raise ProxyUrlError(f"{source} is empty", hint=_HINT)
    if _is_a_list(value):
        raise ProxyUrlError(
            f"{source} is a list of proxies or a PAC file's answer, not one proxy URL",
            hint="give one proxy URL: Go and fluent-bit read one, e.g. http://proxy.example.com:3128")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        if "@" in value and " " in value[:value.rfind("@")]:  # a passphrase, once encoded
            raise ProxyUrlError(f"{source} has a space in its user name or password",
                                hint="percent-encode it: each space as %20")
        raise ProxyUrlError(f"{source} contains spaces or control characters", hint=_HINT)
    _check_scheme_separator(value, source)
    # Go (the controller, helm) reads 'proxy.corp:3128' as http://proxy.corp:3128; fluent-bit
    # needs the scheme written, so every container gets it written.
    assumed = "://" not in value
    if assumed:
        value = "http://" + value
    _check_authority(value, source)
    match = _URL.match(value)
    if not match:
        if "://" not in value:
            raise ProxyUrlError(f"{source} has no scheme", hint=_HINT)
        raise ProxyUrlError(f"{source} is not a valid URL", hint=_HINT)
    scheme = match["scheme"].lower()
    if scheme not in SCHEMES:
        raise ProxyUrlError(
            f"{source} uses the scheme '{scheme}', but the controller and the log-shipper reach "
            "the Spot API only through http:// (or, for the controller, https://) proxies",
            hint=_HINT,
        )
    host = _check_host(match["host"], source)
    port = _check_port(match["port"], scheme, source)
    rest = match["rest"] or ""
    if rest not in ("", "/"):
        raise ProxyUrlError(
            f"{source} has a path, query or fragment; a proxy URL is only scheme, host and port",
            hint=_HINT,
        )
    username, password = _credentials(match["userinfo"], source)
    return ProxyUrl(scheme, host, port, username, password, assumed, not match["port"])


def _credentials(userinfo: str | None, source: str) -> tuple[str | None, str | None]:
    """The user name and password of a URL's userinfo (None, None without one), refused where
    the controller and the log-shipper would not send the same to the proxy."""
    if userinfo is None:
        return None, None
    if not _USERINFO.fullmatch(userinfo):
        raise _must_encode(source)
    username, sep, pw = userinfo.partition(":")
    password = pw if sep else None
    if not username:
        raise ProxyUrlError(f"{source} has credentials without a user name", hint=_HINT)
    if "%" in userinfo and re.search(_CONTROL, percent_decoded(userinfo)):
        raise ProxyUrlError(
            f"{source} has a control character (%00 to %1F, or %7F) in its credentials: "
            "the log-shipper gets them decoded, where it would break its proxy URL (and "
            "a NUL cannot be in its environment at all)",
            hint="check the percent-encoding of the user name and the password")
    if "%" in username and ":" in percent_decoded(username):
        raise ProxyUrlError(
            f"{source} has a ':' (%3A) in its user name: Basic authentication sends the "
            "user name and the password joined by ':', and the proxy reads the user name "
            "up to the first one (RFC 7617), so no client could log in as that user",
            hint="a user name cannot hold ':' (a password can, as %3A); ask the proxy's "
                 "owners for the name to log in with")
    if "%" in userinfo and not _utf8(userinfo):
        raise ProxyUrlError(
            f"{source} has percent-encoded bytes in its credentials that are not UTF-8 "
            "text: the controller (Go) would send those bytes and the log-shipper another "
            "text, and one of them would be refused",
            hint="percent-encode the UTF-8 bytes of each character ('\u00e4' as %C3%A4, "
                 "not %E4)")
    return username, password


def assumed_parts(url: ProxyUrl, source: str) -> str | None:
    """The warning for a URL read with a scheme or port it does not write, as Go reads it."""
    if not (url.scheme_assumed or url.port_assumed):
        return None
    missing = " and no ".join(part for part, assumed in (("scheme", url.scheme_assumed),
                                                      ("port", url.port_assumed)) if assumed)
    why = []
    if url.scheme_assumed:
        why.append("every container gets it with the scheme written, which the log-shipper "
                   "(fluent-bit) needs")
    if url.port_assumed:
        why.append(f"port {url.port} is {url.scheme}'s default; corporate proxies mostly listen "
                   "on 3128 or 8080: write the port if yours is not on it")
    return (f"{source} has no {missing}: read as {url.redacted}, as the controller (Go) reads "
            f"it; {'; '.join(why)}")


_CONTROL = r"[\x00-\x1f\x7f]"


def _utf8(userinfo: str) -> bool:
    from urllib.parse import unquote_to_bytes

    try:
        unquote_to_bytes(userinfo).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _must_encode(source: str) -> ProxyUrlError:
    return ProxyUrlError(
        f"{source} has credentials with a character that must be percent-encoded, or a "
        "'%' that is not %XX: Go cannot parse such a URL, and the controller and the "
        "auto-updater would not use the proxy",
        hint="percent-encode the user name and password ('%' as %25, '^' as %5E, '/' as "
             "%2F, ...); the log-shipper gets them decoded",
    )


# 'http//proxy:3128', 'http:/proxy:3128', 'http:proxy:3128': a scheme with its '://' mistyped,
# which would otherwise be read as a host named 'http' and refused for its path or its port.
# 'http:3128' stays a host named 'http' on port 3128, as Go reads it. Compiled, by re's own
# cache, only for a URL that does not start with its scheme's '://'.
_MISTYPED_SCHEME = r"(?i)(?P<scheme>https?)(?P<written>:/(?!/)|//|:(?!//)(?!\d+/?$))"


def _check_scheme_separator(value: str, source: str) -> None:
    """Name a mistyped '://' (or a missing scheme before '//') as such; only the scheme part
    is shown, never what follows it (a password may)."""
    if value.startswith("//"):
        raise ProxyUrlError(f"{source} starts with '//' but has no scheme",
                            hint="write 'http://' in place of the '//': "
                                 "http://[user:password@]proxy.example.com:3128")
    if value[:8].lower().startswith(("http://", "https://")):
        return
    mistyped = re.match(_MISTYPED_SCHEME, value)
    if mistyped:
        scheme = mistyped["scheme"].lower()
        raise ProxyUrlError(
            f"{source} starts with '{mistyped[0]}', not '{scheme}://'",
            hint=f"write '{scheme}://' before the host: "
                 f"{scheme}://[user:password@]proxy.example.com:3128")


def _is_a_list(value: str) -> bool:
    """A PAC file's answer ('PROXY a:3128; PROXY b:3128'), or proxies joined by ',', ';' or
    a blank: a second URL, or a separator where the host and port are."""
    if re.match(r"(?i)(?:PROXY|HTTPS|SOCKS[45]?|DIRECT)(?:[\s;]|$)", value):
        return True
    authority = (value.partition("://")[2] or value).rpartition("@")[2].split("/")[0]
    return re.search(r"[\s,;][^\s,;]*://", value) is not None or \
        re.search(r"[,;]|:\d+\s+\S+:\d", authority) is not None  # not a space in a name


def _check_authority(value: str, source: str) -> None:
    """Name the mistakes that would otherwise surface as "an invalid port": the host is the
    part after the last '@', so an '@' or '/' left in a password shifts everything after it."""
    _, separator, after = value.partition("://")
    if not separator:
        return
    userinfo, at, host_and_port = after.rpartition("@")
    if at and "@" in userinfo:
        raise ProxyUrlError(
            f"{source} has an '@' in its user name or password that is not percent-encoded",
            hint="write each '@' inside the credentials as %40; only the '@' before the "
                 "host stays as it is",
        )
    if at and any(ch in userinfo for ch in "/?#"):
        raise _must_encode(source)
    host = re.split(r"[/?#]", host_and_port, maxsplit=1)[0]
    if ("::" in host or host.count(":") > 2) and set(host) <= _IPV6_CHARACTERS:
        raise ProxyUrlError(f"{source} has an IPv6 address without brackets: its port cannot "
                            "be told apart", hint=_IPV6_HINT)
    if not host or host.startswith(":"):
        raise ProxyUrlError(f"{source} has no host", hint=_HINT)
    if host.startswith("[") and "%" in host.partition("]")[0]:
        raise ProxyUrlError(
            f"{source} has an IPv6 zone (the '%' part): it names a network interface of one "
            "machine, which the pods do not share",
            hint="give the proxy's routable IPv6 address or its host name")


def _check_host(host: str, source: str) -> str:
    if host.startswith("["):
        import ipaddress

        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ProxyUrlError(f"{source} has an invalid IPv6 address", hint=_HINT) from None
        return host.lower()
    if not HOST_NAME.match(host):
        raise ProxyUrlError(f"{source} has an invalid host name", hint=_HINT)
    return host.lower().rstrip(".")


def _check_port(port: str | None, scheme: str, source: str) -> int:
    if port is None or port == "":
        return DEFAULT_PORTS[scheme]
    if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:  # as Go reads it
        raise ProxyUrlError(f"{source} has an invalid port", hint=_HINT)
    return int(port)
