"""probe and handshake: TLS inside the tunnel, verified as the pods verify, through an
intercepting proxy on 127.0.0.1 that re-signs api.spotinst.io with a corporate CA."""

from __future__ import annotations

import ssl

import pytest

from post_renderer.errors import UnknownIssuerError
from post_renderer.network.path_probe import probe
from post_renderer.network.settings import network_settings
from post_renderer.network.tls_session import trusting
from post_renderer.proxy_settings.proxy_url import parse_proxy_url
from post_renderer.trust.diagnosis import diagnose

from ... import certs
from .local_proxy import local_proxy, tls_server

OK = b"HTTP/1.1 200 Connection established\r\n\r\n"


@pytest.fixture(scope="module")
def interception(tmp_path_factory, corp_intermediate):
    """A server context presenting leaf + inspection CA, as intercepting proxies do."""
    leaf = certs.leaf(corp_intermediate, "api.spotinst.io")
    folder = tmp_path_factory.mktemp("interception")
    (folder / "chain.pem").write_bytes(leaf.pem + corp_intermediate.pem)
    (folder / "key.pem").write_bytes(leaf.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "chain.pem", folder / "key.pem")
    return context


def settings_for(port: int):
    return network_settings(proxy=parse_proxy_url(f"http://127.0.0.1:{port}"),
                            target="api.spotinst.io:443", server_name=None, timeout=3)


def test_a_path_re_signed_by_a_trusted_corporate_root_verifies_to_that_root(
        interception, corp_root):
    with local_proxy(OK, tls_server(interception)) as proxy:
        result = probe(settings_for(proxy.port), None, trusting(corp_root.pem))
    assert result.rejected is None
    assert result.anchor.fingerprint == corp_root.fingerprint
    assert len(result.session.presented) == 2


def test_an_untrusted_interception_is_rejected_and_the_presented_chain_read_again(
        interception, other_root, corp_intermediate):
    with local_proxy(OK, tls_server(interception)) as proxy:
        settings = settings_for(proxy.port)
        result = probe(settings, None, trusting(other_root.pem))
        assert len(proxy.requests) == 2  # verified, then unverified to read the chain
    assert result.rejected is not None and result.anchor is None
    error = diagnose(result.rejected.code, result.rejected.reason, result.chain,
                     settings.server_name, settings.route)
    assert isinstance(error, UnknownIssuerError)
    assert "Example Corp TLS Inspection CA" in error.message


def test_the_intermediate_alone_does_not_verify_as_it_would_not_for_openssl_pods(
        interception, corp_intermediate):
    with local_proxy(OK, tls_server(interception)) as proxy:
        result = probe(settings_for(proxy.port), None, trusting(corp_intermediate.pem))
    assert result.rejected is not None
