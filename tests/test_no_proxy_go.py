"""--no-proxy entries that send what the pods reach only through the proxy (the Spot API,
the auto-update's chart repository) around it are refused exactly when Go would send that
host direct: the oracle is ``noproxy``, NO_PROXY as Go programs read it
(golang.org/x/net/http/httpproxy, built by ``make cluster-tools``)."""

from __future__ import annotations

import pytest

from post_renderer.errors import ConfigError
from post_renderer.proxy_settings.no_proxy import parse_no_proxy

from .conftest import helm_template, ocean_proxy, run_command, tool

TARGETS = ("https://api.spotinst.io", "https://charts.spot.io")
ENTRIES = (
    "io", ".io", "spotinst.io", ".spotinst.io", "*.spotinst.io", "api.spotinst.io",
    ".api.spotinst.io", "API.Spotinst.IO", "api.spotinst.io:443", "api.spotinst.io:8443",
    "spotinst.io:443", "pi.spotinst.io", ".pi.spotinst.io", "otinst.io", ".otinst.io",
    "spot.io", "charts.spot.io", "charts.spot.io:80", ".spot.io", "spotinst.io.corp.example",
    "corp.example", ".corp.example", "*.corp.example", "svc", "io:443", "spot.io:8443",
    "ａｐｉ.spotinst.io", "ｓｐｏｔ.io",  # Go maps full-width letters as it looks a name up
)


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return helm_template(tmp_path_factory.mktemp("helm"))


def go_sends_direct(entries: tuple[str, ...]) -> list[bool]:
    run = run_command([tool("noproxy"), *TARGETS], stdin="\n".join(entries).encode() + b"\n")
    assert run.returncode == 0, run.stderr
    return ["direct" in line.split() for line in run.text.splitlines()]


def refused(entry: str) -> bool:
    try:
        parse_no_proxy([entry], "--no-proxy")
    except ConfigError as error:
        assert "around the proxy" in error.message, error.message
        return True
    return False


def test_an_entry_is_refused_exactly_when_go_would_go_around_the_proxy():
    direct = go_sends_direct(ENTRIES)
    assert len(direct) == len(ENTRIES)
    assert any(direct) and not all(direct)  # the sample has both kinds
    assert {entry: refused(entry) for entry in ENTRIES} == dict(zip(ENTRIES, direct, strict=True))


def test_entries_go_honours_for_names_with_an_underscore_are_taken():
    run = run_command([tool("noproxy"), "https://my_db.corp.internal", "https://x.corp_int"],
                      stdin=b"my_db.corp.internal\n.corp_int\n")
    assert run.returncode == 0, run.stderr
    assert run.text.split() == ["direct", "proxy", "proxy", "direct"]  # each entry its host
    assert parse_no_proxy(["my_db.corp.internal", ".corp_int"], "--no-proxy") == \
        ("my_db.corp.internal", ".corp_int")


@pytest.mark.parametrize("name, taken", [
    ("corp-.example", False), ("corp.example-", False), ("-corp.example", False),
    ("x.-corp.example", False), ("a-b.corp.example", True), ("my_db.corp", True),
    ("x--y.corp", True),
])
def test_a_no_proxy_entry_is_judged_as_the_same_name_in_the_proxy_url(manifests, name, taken):
    """A label never ends with '-' (Go's resolver refuses such a name, so Go never reaches
    it direct, whatever its NO_PROXY matching takes): the same name is refused in both."""
    entry = ocean_proxy("render", "--proxy-url", "http://proxy.corp:3128",
                        f"--no-proxy={name}", stdin=manifests)
    proxy = ocean_proxy("render", "--proxy-url", f"http://{name}:3128", stdin=manifests)
    assert (entry.returncode == 0, proxy.returncode == 0) == (taken, taken), \
        (entry.stderr, proxy.stderr)
    if not taken:
        assert entry.stderr.startswith(f"ocean-proxy: error: --no-proxy: '{name}' is not a "
                                       "NO_PROXY entry"), entry.stderr
        ends = any(label.endswith("-") for label in name.split("."))
        assert ("may not end with '-'" in entry.stderr) == ends, entry.stderr


@pytest.mark.parametrize("entry", ["Corp.Example.", ".corp.example.", "*.corp.example.",
                                   "corp.example.:8443", "10.1.2.3."])
def test_an_entry_ending_with_a_dot_is_refused_with_the_entry_go_would_match(manifests, entry):
    """'Corp.Example.' was only 'not a NO_PROXY entry'. Go matches it against names written
    with the trailing dot alone, never the names the pods connect to; the hint gives the
    entry without it, which Go matches against them."""
    plain = "corp.example" if "corp" in entry.lower() else "10.1.2.3"
    port = ":8443" if ":8443" in entry else ""
    url = f"https://x.{plain}{port}" if entry[0] in ".*" else f"https://{plain}{port}"
    dotted = url.replace(plain, plain + ".")
    fixed = entry.lower().replace(".:", ":").removesuffix(".")
    run = run_command([tool("noproxy"), url, dotted], stdin=f"{entry}\n{fixed}\n".encode())
    assert run.returncode == 0, run.stderr
    assert run.text.split() == ["proxy", "direct", "direct", "proxy"]  # as written, only dotted

    refused = ocean_proxy("render", "--proxy-url", "http://proxy.corp:3128",
                          f"--no-proxy={entry}", stdin=manifests)

    assert refused.returncode != 0 and refused.stdout == b""
    error, hint = refused.stderr.splitlines()
    assert error.startswith(f"ocean-proxy: error: --no-proxy: '{entry}' ends with a dot")
    assert hint == f"ocean-proxy: hint: drop the dot: {fixed}"
    taken = ocean_proxy("render", "--proxy-url", "http://proxy.corp:3128",
                        f"--no-proxy={fixed}", stdin=manifests)
    assert taken.returncode == 0, taken.stderr


def test_an_entry_ending_with_a_dot_that_covers_the_spot_api_without_it_is_not_offered():
    with pytest.raises(ConfigError) as refused:
        parse_no_proxy(["Spotinst.IO."], "--no-proxy")
    assert "ends with a dot" in refused.value.message
    assert refused.value.hint == "leave it out: without the dot it would send the Spot API " \
                                 "around the proxy"


def refused_covering_nothing(entry: str, reachable: tuple[str, ...]
                             ) -> pytest.ExceptionInfo[ConfigError]:
    """Go sends none of ``reachable`` direct with ``entry`` as NO_PROXY, and ocean-proxy
    refuses the entry naming its port."""
    run = run_command([tool("noproxy"), *reachable], stdin=entry.encode() + b"\n")
    assert run.returncode == 0, run.stderr
    assert run.text.split() == ["proxy"] * len(reachable)

    with pytest.raises(ConfigError) as caught:
        parse_no_proxy([entry], "--no-proxy")
    assert caught.value.message.startswith(f"--no-proxy: '{entry}' names port "), \
        caught.value.message
    return caught


@pytest.mark.parametrize("entry", ["corp.example:99999", "corp.example:0", ".corp.example:70000",
                                   "corp.example:00"])
def test_an_entry_with_a_port_no_connection_has_is_refused_as_covering_nothing(entry):
    """Go compares the port as text, so 'corp.example:99999' matches no connection a pod can
    make (ports are 1 to 65535): it sends nothing direct, and is a typo."""
    caught = refused_covering_nothing(entry, ("https://corp.example", "http://corp.example:8080",
                                              "https://x.corp.example:65535"))
    assert "a port is 1 to 65535" in caught.value.message  # not 'write it as 0'
    assert parse_no_proxy([entry.rsplit(":", 1)[0] + ":65535"], "--no-proxy")  # the range's end


@pytest.mark.parametrize("entry", ["corp.example:08080", "corp.example:８０８０",
                                   ".corp.example:٨٠"])
def test_a_port_written_otherwise_than_connections_write_it_is_refused(entry):
    """A port with a leading zero, or typed with an input method's full-width digits
    ('８０８０') or another script's, reads as a number to Python but not to Go, which
    compares it as text with the connection's '8080': the entry covers nothing."""
    port = int(entry.rpartition(":")[2])
    caught = refused_covering_nothing(entry, (f"http://corp.example:{port}",
                                              f"https://x.corp.example:{port}"))
    assert caught.value.hint == f"write the port as {port}"
    assert parse_no_proxy([f"{entry.rpartition(':')[0]}:{port}"], "--no-proxy")


@pytest.mark.parametrize(("entry", "written"), [
    ("[2001:db8::1]:8080", "[2001:db8::1]:8080"),
    ("[FD00:0:0::10]:8443", "[fd00::10]:8443"),
    ("10.0.0.1:8080", "10.0.0.1:8080"),
])
def test_an_ip_address_with_a_port_is_taken_as_go_reads_it(entry, written):
    """Go's NO_PROXY takes an IPv6 address with a port in brackets, as URLs write it: that
    address on that port goes direct, on another port through the proxy. ocean-proxy takes
    the entry, written as Go reads it."""
    host = written.rpartition(":")[0]
    reachable = (f"http://{host}:{written.rpartition(':')[2]}", f"http://{host}:9999")
    run = run_command([tool("noproxy"), *reachable], stdin=f"{entry}\n{written}\n".encode())
    assert run.returncode == 0, run.stderr
    assert run.text.split() == ["direct", "proxy"] * 2  # the entry, and as ocean-proxy writes it

    assert parse_no_proxy([entry], "--no-proxy") == (written,)


@pytest.mark.parametrize("entry", ["[fd00::10]:0", "[fd00::10]:65536", "[fd00::10]:08080"])
def test_an_ip_address_in_brackets_with_a_port_no_connection_has_is_refused(entry):
    """(Go sends a loopback address direct whatever NO_PROXY says: these use another.)"""
    refused_covering_nothing(entry, ("http://[fd00::10]:8080", "http://[fd00::10]:80"))


def test_a_bracketed_entry_that_is_no_ip_address_is_refused():
    with pytest.raises(ConfigError) as refused:
        parse_no_proxy(["[corp.example]:8080"], "--no-proxy")
    assert "is not a NO_PROXY entry" in refused.value.message


IDNA = (("bücher.example", "https://bücher.example"), (".bücher.example", "https://x.bücher.example"),
        ("München.DE", "https://münchen.de"), ("日本.example", "https://日本.example"),
        ("ｂücher.example", "https://bücher.example"))


@pytest.mark.parametrize("entry, target", IDNA, ids=[entry for entry, _ in IDNA])
def test_the_idna_form_a_name_not_in_ascii_is_told_sends_the_same_host_direct_in_go(entry, target):
    """'bücher.example' is refused with its IDNA form in the hint: Go sends that host direct
    for the form as for the name, and for neither a host beside it."""
    with pytest.raises(ConfigError) as caught:
        parse_no_proxy([entry], "--no-proxy")
    form = caught.value.hint.removeprefix("write it as ")
    assert form.isascii() and parse_no_proxy([form], "--no-proxy") == (form,)
    run = run_command([tool("noproxy"), target, "https://other.example"],
                      stdin=f"{entry}\n{form}\n".encode())
    assert run.returncode == 0, run.stderr
    assert run.text.splitlines() == ["direct proxy", "direct proxy"]


def test_a_wildcard_without_its_dot_covers_nothing_in_go_and_is_refused():
    """'*corp.example' is the name of no host: Go sends every name through the proxy for it,
    and '*.corp.example', the form the hint gives, direct below corp.example."""
    run = run_command([tool("noproxy"), "https://x.corp.example", "https://corp.example"],
                      stdin=b"*corp.example\n*.corp.example\n")
    assert run.returncode == 0, run.stderr
    assert run.text.splitlines() == ["proxy proxy", "direct proxy"]
    with pytest.raises(ConfigError, match="a wildcard is written"):
        parse_no_proxy(["*corp.example"], "--no-proxy")
