"""Fetching a missing issuer from its AIA URL through the proxy, in every format CAs publish."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from post_renderer.errors import AiaFetchError
from post_renderer.network.aia_fetch import certificates_in, fetch_issuer_certificates, usable_url
from post_renderer.network.settings import NetworkSettings, parse_endpoint
from post_renderer.proxy_settings.proxy_url import parse_proxy_url

from . import certs
from .netfixtures.fixtures import PROXY_PASSWORD, PROXY_USER
from .netfixtures.raw_servers import TricklingServer


@pytest.fixture(scope="module")
def root():
    return certs.root("Corp Root")


@pytest.mark.parametrize("encode", [
    lambda r: r.der,
    lambda r: r.pem,
    lambda r: certs.pkcs7_bundle(r, encoding=Encoding.DER),
    lambda r: certs.pkcs7_bundle(r, encoding=Encoding.PEM),
], ids=["der", "pem", "pkcs7-der", "pkcs7-pem"])
def test_answer_in_der_pem_or_pkcs7_gives_the_certificate(root, encode):
    assert [c.der for c in certificates_in(encode(root), "url")] == [root.der]


def test_answer_that_is_no_certificate_gives_none():
    assert certificates_in(b"<html>not found</html>", "url") == []


@pytest.mark.parametrize(("url", "usable"), [
    ("http://pki.corp.example/root.crt", True),
    ("HTTP://pki.corp.example/root.crt", True),
    ("https://pki.corp.example/root.crt", False),
    ("ldap://ldap.corp.example/cn=root?cACertificate", False),
    ("http:///root.crt", False),
    ("http://pki.corp.example/root.crt\r\nX-Injected: 1", False),
    ("http://pki.corp.example/r\u00f6ot.crt", False),
])
def test_only_plain_http_urls_are_fetched(url, usable):
    assert usable_url(url) is usable


def settings_for(proxy_url: str, timeout: float = 5.0, log: list[str] | None = None):
    return NetworkSettings(parse_proxy_url(proxy_url), parse_endpoint("api.spotinst.io:443"),
                           "api.spotinst.io", timeout,
                           (log.append if log is not None else lambda text: None))


def test_issuer_is_fetched_through_the_proxy(intercepting_proxy, net_pki, aia_server):
    found = fetch_issuer_certificates(net_pki.aia_url, settings_for(intercepting_proxy.url),
                                      None)

    assert [c.der for c in found] == [net_pki.corp_root.der]


def test_fetch_sends_the_proxy_credentials_without_logging_them(auth_proxy, net_pki):
    log: list[str] = []

    found = fetch_issuer_certificates(net_pki.aia_url,
                                      settings_for(auth_proxy.credentials_url, log=log), None)

    assert [c.der for c in found] == [net_pki.corp_root.der]
    assert PROXY_PASSWORD not in "\n".join(log)


def test_wrong_credentials_make_the_fetch_fail_with_407(auth_proxy, net_pki):
    with pytest.raises(AiaFetchError, match="407"):
        fetch_issuer_certificates(
            net_pki.aia_url, settings_for(auth_proxy.url_with(PROXY_USER, "wrong")), None)


def test_missing_file_is_reported_with_its_status(intercepting_proxy, net_pki):
    with pytest.raises(AiaFetchError, match="404"):
        fetch_issuer_certificates(net_pki.aia_url + ".missing",
                                  settings_for(intercepting_proxy.url), None)


def test_fetch_from_a_proxy_that_never_answers_times_out(silent_server, net_pki):
    with pytest.raises(AiaFetchError, match=r"within 0\.3s"):
        fetch_issuer_certificates(net_pki.aia_url, settings_for(silent_server.url, 0.3), None)


def test_fetch_from_a_proxy_that_trickles_its_answer_stops_at_the_timeout(net_pki):
    """A byte at a time, each well within the timeout: the step as a whole still has one, as
    the README promises of every network step (a timeout per read would wait for ever)."""
    with TricklingServer(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a") as server:
        started = time.monotonic()
        with pytest.raises(AiaFetchError, match=r"within 0\.5s") as raised:
            fetch_issuer_certificates(net_pki.aia_url, settings_for(server.url, 0.5), None)
        assert time.monotonic() - started < 3
    # discover-ca shows the message alone, as a warning: a CA server that is merely slow is
    # not said to be silent, and the way to wait longer is named there
    assert "no answer" not in raised.value.message
    assert "--timeout" in raised.value.message


def test_unusable_url_is_refused_without_connecting(net_pki):
    with pytest.raises(AiaFetchError, match="not a plain http"):
        fetch_issuer_certificates("ldap://ldap.corp.example/root",
                                  settings_for("http://127.0.0.1:9"), None)

