"""NO_PROXY: what the pods reach directly, never through the corporate proxy.

The defaults keep in-cluster traffic direct: the API server (by the address the kubelet puts
in ``KUBERNETES_SERVICE_HOST``), services (``.svc``, ``.cluster.local``), the pod itself
and the cloud metadata address. User additions (``--no-proxy``) come after the defaults,
lower-cased, deduplicated and sorted, so reordering them never restarts the pods:

    >>> ",".join(no_proxy_entries(parse_no_proxy(["Corp.Example, 10.0.0.0/8", ".svc"], "x")))
    '$(KUBERNETES_SERVICE_HOST),.svc,.cluster.local,localhost,127.0.0.1,169.254.169.254,10.0.0.0/8,corp.example'

A name not in ASCII is refused with its IDNA form (``idna_form``), the one Go matches it by;
one with another mistake as well (a port, a trailing dot, '*' without its dot) is told that first.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable

from post_renderer.errors import ConfigError, shown
from post_renderer.proxy_settings.proxy_url import HOST_LABEL

DEFAULT_NO_PROXY = (
    "$(KUBERNETES_SERVICE_HOST)",
    ".svc",
    ".cluster.local",
    "localhost",
    "127.0.0.1",
    "169.254.169.254",
)
# compiled when an entry is first checked (re's cache): most runs list none. Labels as in the
# proxy URL's host. Go's NO_PROXY matching takes any text, but a label ending in '-' names no
# host Go can reach direct (its resolver refuses the name): such an entry is a typo.
_HOST = rf"^(?:\*\.|\.)?{HOST_LABEL}(?:\.{HOST_LABEL})*(?::\d{{1,5}})?$"
_HINT = "use host names, .domain suffixes, IP addresses or CIDRs, separated by commas"


def parse_no_proxy(values: Iterable[str], source: str) -> tuple[str, ...]:
    """Split comma-separated values into checked, lower-cased entries (in given order)."""
    entries: list[str] = []
    for value in values:
        for raw in value.split(","):
            entry = raw.strip().lower()
            if entry:
                try:
                    entries.append(_check(entry, source))
                except ConfigError as error:  # quoted as written: the user looks for it so
                    raise ConfigError(error.message.replace(shown(entry), shown(raw.strip())),
                                      hint=error.hint) from None
    return tuple(entries)


def usable_entry(entry: str) -> str | None:
    """A rendered entry as ocean-proxy would take it from --no-proxy, or None when it would
    refuse it there (one that sends the Spot API around the proxy, '*', not a host)."""
    try:
        return _check(entry.lower(), "NO_PROXY")
    except ConfigError:
        return None


def no_proxy_entries(additions: Iterable[str]) -> tuple[str, ...]:
    """The defaults, then the additions that are not already defaults, sorted."""
    extra = sorted(set(additions) - {d.lower() for d in DEFAULT_NO_PROXY})
    return (*DEFAULT_NO_PROXY, *extra)


def _check_port(entry: str, port: str, source: str) -> None:
    if not 0 < int(port) < 65536:  # no connection has it: the entry covers nothing
        raise ConfigError(f"{source}: {shown(entry)} names port {int(port)}, and a port is "
                          "1 to 65535", hint="write the host's port, or leave the port out "
                          "to cover every port")
    if port != str(int(port)):  # '８０８０', '08080': Go compares the port as text
        raise ConfigError(f"{source}: {shown(entry)} names port {shown(port)}, which no "
                          f"connection's port matches (it is written {int(port)}, in 0-9)",
                          hint=f"write the port as {int(port)}")


def _check(entry: str, source: str) -> str:
    import ipaddress  # only when the user lists entries: keep it off the start-up path

    if entry == "*":
        raise ConfigError(
            f"{source}: '*' would send nothing through the proxy, the Spot API included",
            hint="list only the hosts and networks to reach directly",
        )
    if "://" in entry:  # not shown: a URL can hold credentials
        raise ConfigError(f"{source}: an entry is a URL (it has '://'); a NO_PROXY entry is "
                          "a host, a domain or a network, without a scheme", hint=_HINT)
    _refuse_windows_bypass_forms(entry, source)
    _refuse_spaces_and_quotes(entry, source)
    if "/" in entry:
        try:
            return str(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ConfigError(f"{source}: {shown(entry)} is not a valid CIDR", hint=_HINT) from None
    bare = entry[1:-1] if entry.startswith("[") and entry.endswith("]") else entry
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    bracketed = re.fullmatch(r"\[([^\]]*)\]:(\d{1,5})", entry)  # an IPv6 address and a port
    if bracketed:
        try:
            address = ipaddress.IPv6Address(bracketed.group(1))
        except ValueError:
            raise ConfigError(f"{source}: {shown(entry)} is not a NO_PROXY entry (brackets "
                              "hold an IPv6 address)", hint=_HINT) from None
        _check_port(entry, bracketed.group(2), source)
        return f"[{address}]:{bracketed.group(2)}"
    if not re.match(_HOST, entry):
        _refuse_a_name_not_in_ascii(entry, source)
        _refuse_a_trailing_dot(entry, source)
        _refuse_a_wildcard_without_its_dot(entry, source)
        dash = " (a part of a host name may not end with '-')" \
            if re.search(r"-(?:\.|$)", entry.partition(":")[0]) else ""
        raise ConfigError(f"{source}: {shown(entry)} is not a NO_PROXY entry{dash}", hint=_HINT)
    if ":" in entry:
        _check_port(entry, entry.rpartition(":")[2], source)
    for name, what in _THROUGH_THE_PROXY:
        if _covers(entry, name):
            raise ConfigError(
                f"{source}: {shown(entry)} would send {what} ({name}) around the proxy, as Go "
                "reads NO_PROXY",
                hint="list only the hosts and networks to reach directly")
    return entry


def _refuse_a_name_not_in_ascii(entry: str, source: str) -> None:
    """'bücher.example': Go matches a NO_PROXY name by its IDNA (punycode) form, the one it
    looks the host up by. ocean-proxy takes entries in that form only: two spellings of a
    host are then one entry (one checksum), and one that is the Spot API in full-width
    letters ('ａｐｉ.spotinst.io') is seen for what it is. The hint gives the form to write."""
    if entry.isascii():
        return
    form = idna_form(entry)
    if form is None:
        _refuse_what_its_idna_text_shows(entry, source)
    raise ConfigError(f"{source}: {shown(entry)} is a name not in ASCII: a NO_PROXY entry names "
                      "a host in its IDNA (punycode) form, as clients look it up",
                      hint=f"write it as {form}" if form else "write the name in its IDNA 2008 "
                      "(punycode) form, xn--..., as Go looks it up")


# Mapped away by Python's codec (IDNA 2003: ß to ss), kept by Go's lookup (UTS #46,
# non-transitional since Go 1.18: ß stays, as xn--strae-oqa): no form to offer for them
_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


def idna_form(entry: str) -> str | None:
    """A host entry not in ASCII in the IDNA form ocean-proxy takes, as Go's NO_PROXY
    matching reads it; None when it has none, or when ocean-proxy would refuse it too.

        >>> idna_form("*.Bücher.example:8443")
        '*.xn--bcher-kva.example:8443'
    """
    written = re.fullmatch(r"(\*?\.)?([^:]+)(:\d{1,5})?", entry.lower())
    if written is None or _DEVIATIONS.intersection(written[2]):
        return None
    try:
        host = written[2].encode("idna").decode("ascii")
    except UnicodeError:  # a label too long, a character IDNA does not allow
        return None
    try:
        return _check(f"{written[1] or ''}{host}{written[3] or ''}", "NO_PROXY")
    except ConfigError:  # 'ａｐｉ.spotinst.io' is the Spot API: not a form to offer
        return None


def _refuse_what_its_idna_text_shows(entry: str, source: str) -> None:
    """'bücher.example:0', 'bücher.example.', '*bücher.example', 'ａｐｉ.spotinst.io': a name
    not in ASCII that has another mistake is told that one first, of the entry as written,
    with the name's IDNA form in the hint: the form alone would be refused in turn."""
    parts = re.fullmatch(r"(\*?\.?)([^:]+)(:[^:]*)?", entry)
    if parts is None or _DEVIATIONS.intersection(parts[2]):
        return
    try:
        host = parts[2].encode("idna").decode("ascii")
    except UnicodeError:
        return
    name, port = parts[1] + host, parts[3] or ""
    if re.fullmatch(r":\d{1,5}", port):
        try:
            _check_port(entry, port[1:], source)
        except ConfigError as error:
            raise ConfigError(error.message, hint=f"{error.hint}, and the name in its IDNA "
                              f"form: {host.rstrip('.')}") from None
    try:
        _check(name + port, source)
    except ConfigError as error:
        if not error.message.endswith("is not a NO_PROXY entry"):  # said of the name as well
            raise ConfigError(error.message.replace(shown(name + port), shown(entry), 1),
                              hint=error.hint) from None


def _refuse_a_wildcard_without_its_dot(entry: str, source: str) -> None:
    """'*corp.example': Go reads a wildcard only as '*.' before a domain; this one is the
    name of no host, and covers nothing."""
    below = entry[1:]
    if not entry.startswith("*") or not re.match(_HOST, f"*.{below}"):
        return
    import ipaddress

    host, forms = below.partition(":")[0], []
    spelt: tuple[tuple[str, str], ...] = ((f"*.{below}", f"the names below {host}"),
                                          (below, "it and them"))
    with contextlib.suppress(ValueError):  # an address has no names below it: '*.10.0.0.1'
        ipaddress.IPv4Address(host)
        spelt = ((below, "that address"),)
    for form, covers in spelt:
        with contextlib.suppress(ConfigError):  # the Spot API, a port out of range
            forms.append(f"{_check(form, source)} for {covers}")
    through = [what for name, what in _THROUGH_THE_PROXY if _covers(f".{below}", name)]
    if not forms and not through:
        return
    raise ConfigError(f"{source}: {shown(entry)} is not a NO_PROXY entry: a wildcard is "
                      "written '*.' before a domain", hint=f"write {', or '.join(forms)}"
                      if forms else f"leave it out: as *.{below} it would send {through[0]} "
                      "around the proxy")


def _refuse_a_trailing_dot(entry: str, source: str) -> None:
    """'corp.example.', a name written fully qualified: Go's NO_PROXY matching compares the
    text as written, so it covers only names written with that dot too ('x.corp.example.'),
    never 'x.corp.example', which is what the pods connect to."""
    written = re.sub(r"\.(?=(?::\d{1,5})?$)", "", entry)
    if written == entry or not re.match(_HOST, written):
        return
    through = [what for name, what in _THROUGH_THE_PROXY if _covers(written, name)]
    raise ConfigError(f"{source}: {shown(entry)} ends with a dot, and Go's NO_PROXY matching "
                      "then covers only names written with that dot, not the ones the pods "
                      "connect to", hint=f"leave it out: without the dot it would send "
                      f"{through[0]} around the proxy" if through else
                      f"drop the dot: {written}")


def _refuse_windows_bypass_forms(entry: str, source: str) -> None:
    """What a list copied from Windows' proxy settings ('*.corp.example;10.*;<local>') holds
    and NO_PROXY does not read, each said with its NO_PROXY form."""
    if ";" in entry:
        raise ConfigError(f"{source}: {shown(entry)} separates entries by ';', as Windows' "
                          "proxy bypass list does", hint=_comma_list_hint(entry, source))
    cidr = _wildcard_cidr(entry)
    if cidr:
        raise ConfigError(f"{source}: {shown(entry)} is a wildcard address, which NO_PROXY does "
                          "not read", hint=f"give the network as a CIDR: {cidr}")
    if entry == "<local>":
        raise ConfigError(f"{source}: '<local>' (Windows' bypass of names without a dot) has no "
                          "NO_PROXY form", hint="list those hosts by name, or their domain as "
                          ".domain")


def _wildcard_cidr(entry: str) -> str | None:
    """'10.*' as the network NO_PROXY reads, 10.0.0.0/8; None for anything else."""
    wildcard = re.fullmatch(r"(\d{1,3}(?:\.\d{1,3}){0,2})(?:\.\*)+", entry)
    octets = wildcard[1].split(".") if wildcard else []
    # an address's octets only: '300.*' or '010.*' has no CIDR to give, and is no entry
    if octets and all(str(int(octet)) == octet and int(octet) < 256 for octet in octets):
        return ".".join(octets + ["0"] * (4 - len(octets))) + f"/{8 * len(octets)}"
    return None


def _comma_list_hint(entry: str, source: str) -> str:
    """The whole list as NO_PROXY reads it, each entry in its own form where each has one:
    one hint, not an error for each Windows form in turn."""
    parts = [part.strip() for part in entry.split(";") if part.strip()]
    local = "; list by name the hosts '<local>' meant" if "<local>" in parts else ""
    forms = []
    for part in (part for part in parts if part != "<local>"):
        try:
            forms.append(_wildcard_cidr(part) or _check(part, source))
        except ConfigError:
            return ("separate them by commas: NO_PROXY is a comma-separated list, with each "
                    f"network as a CIDR (10.0.0.0/8, not 10.*){local}")
    listed = ",".join(forms)
    if not listed or len(listed) > 200:
        return f"separate them by commas: NO_PROXY is a comma-separated list{local}"
    return f"separate them by commas: {listed}{local}"


def _refuse_spaces_and_quotes(entry: str, source: str) -> None:
    """A list separated by spaces or lines (a CI variable written one entry a line), or an
    entry with the quotes of a .env file or of YAML quoted twice: NO_PROXY would read the
    spaces and quotes as part of a name. The hint gives the list to write when it is one."""
    if any(ch.isspace() for ch in entry):
        words = entry.split()
        try:
            listed = ",".join(_check(word, source) for word in words)
        except ConfigError:
            listed = ""
        raise ConfigError(
            f"{source}: {shown(entry)} holds a space or a line break: NO_PROXY separates its "
            "entries by commas only", hint=f"separate them by commas: {listed}"
            if listed and len(listed) <= 200 else "separate them by commas, with no spaces")
    if '"' in entry or "'" in entry:
        raise ConfigError(f"{source}: {shown(entry)} has quotes in it, which NO_PROXY would "
                          "read as part of the name", hint="drop the quotes (a .env file or a "
                          "YAML value quoted twice keeps them)")


# What the pods reach only through the proxy (port 443 both)
_THROUGH_THE_PROXY = (("api.spotinst.io", "the Spot API"),
                      ("charts.spot.io", "the auto-update's chart repository"))


def _covers(entry: str, name: str) -> bool:
    """Does a host entry cover ``name`` on port 443, as Go's NO_PROXY matching reads it? An
    entry covers its host and every name below it ("spotinst.io", "io"), a ".domain" only the
    names below it, and one with a port only that port."""
    host, colon, port = entry.rpartition(":") if ":" in entry else (entry, "", "")
    if colon and port != "443":
        return False
    host = host.removeprefix("*")  # "*.example.com" reads as ".example.com"
    return name.endswith(host) if host.startswith(".") else \
        name == host or name.endswith("." + host)
