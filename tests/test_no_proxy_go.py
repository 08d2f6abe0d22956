"""--no-proxy entries that send what the pods reach only through the proxy (the Spot API,
the auto-update's chart repository) around it are refused exactly when Go would send that
host direct: the oracle is ``noproxy``, NO_PROXY as Go programs read it
(golang.org/x/net/http/httpproxy, built by ``make cluster-tools``)."""

from __future__ import annotations

from post_renderer.errors import ConfigError
from post_renderer.proxy_settings.no_proxy import parse_no_proxy

from .conftest import run_command, tool

TARGETS = ("https://api.spotinst.io", "https://charts.spot.io")
ENTRIES = (
    "io", ".io", "spotinst.io", ".spotinst.io", "*.spotinst.io", "api.spotinst.io",
    ".api.spotinst.io", "API.Spotinst.IO", "api.spotinst.io:443", "api.spotinst.io:8443",
    "spotinst.io:443", "pi.spotinst.io", ".pi.spotinst.io", "otinst.io", ".otinst.io",
    "spot.io", "charts.spot.io", "charts.spot.io:80", ".spot.io", "spotinst.io.corp.example",
    "corp.example", ".corp.example", "*.corp.example", "svc", "io:443", "spot.io:8443",
)


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
