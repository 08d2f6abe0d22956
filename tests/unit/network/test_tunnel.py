"""open_tunnel: CONNECT through a proxy, and a named error for each way it can fail."""

from __future__ import annotations

import base64
import socket

import pytest

from post_renderer.errors import (
    ConnectRefusedError,
    ProxyAuthError,
    ProxyProtocolError,
    ProxyUnreachableError,
)
from post_renderer.network.settings import network_settings
from post_renderer.network.tunnel import open_tunnel
from post_renderer.proxy_settings.proxy_url import parse_proxy_url

from .local_proxy import local_proxy as proxy


def settings_for(port: int, userinfo: str = "", timeout: float = 2.0, log=None):
    return network_settings(proxy=parse_proxy_url(f"http://{userinfo}127.0.0.1:{port}"),
                            target="api.spotinst.io:443", server_name=None, timeout=timeout,
                            log=log or (lambda text: None))


def test_an_open_tunnel_carries_bytes_both_ways_and_keeps_what_followed_the_answer():
    with proxy(b"HTTP/1.1 200 Connection established\r\n\r\nearly") as fake, \
            open_tunnel(settings_for(fake.port), None) as tunnel:
        assert tunnel.pending == b"early"
        tunnel.sock.sendall(b"ping")
        assert tunnel.sock.recv(4) == b"ping"
    assert fake.requests[0].startswith(b"CONNECT api.spotinst.io:443 HTTP/1.1\r\n")


def test_credentials_go_decoded_into_basic_auth_and_never_into_the_step_log():
    lines: list[str] = []
    with proxy(b"HTTP/1.1 200 OK\r\n\r\n") as fake:
        open_tunnel(settings_for(fake.port, "alice:p%40ss@", log=lines.append), None).close()
    token = base64.b64encode(b"alice:p@ss").decode()
    assert f"Proxy-Authorization: Basic {token}\r\n".encode() in fake.requests[0]
    assert lines and not any("p@ss" in line or "p%40ss" in line for line in lines)


def test_a_token_given_as_the_user_name_stays_out_of_the_step_log():
    """A user without a password may be a token (some proxies take one so): --debug printed
    it, and from a config file nothing else hid it."""
    lines: list[str] = []
    with proxy(b"HTTP/1.1 200 OK\r\n\r\n") as fake:
        open_tunnel(settings_for(fake.port, "tok3n-s3cret@", log=lines.append), None).close()
    token = base64.b64encode(b"tok3n-s3cret:").decode()
    assert f"Proxy-Authorization: Basic {token}\r\n".encode() in fake.requests[0]
    assert any("Basic credentials" in line for line in lines)
    assert not any("tok3n" in line for line in lines), lines


def test_407_without_credentials_says_to_put_them_in_the_url():
    answer = b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n"
    with proxy(answer) as fake, pytest.raises(ProxyAuthError) as caught:
        open_tunnel(settings_for(fake.port), None)
    assert "the proxy URL has no credentials" in caught.value.message
    assert "http://user:password@host:port" in caught.value.hint


def test_407_with_credentials_names_the_user_but_not_the_password():
    answer = b"HTTP/1.1 407 Denied\r\nProxy-Authenticate: Basic realm=corp\r\n\r\n"
    with proxy(answer) as fake, pytest.raises(ProxyAuthError) as caught:
        open_tunnel(settings_for(fake.port, "alice:s3cret@"), None)
    assert "user 'alice'" in caught.value.message
    assert "s3cret" not in caught.value.message + caught.value.hint


def test_a_proxy_that_offers_only_negotiate_is_told_apart():
    answer = b"HTTP/1.1 407 Denied\r\nProxy-Authenticate: Negotiate\r\n\r\n"
    with proxy(answer) as fake, pytest.raises(ProxyAuthError) as caught:
        open_tunnel(settings_for(fake.port, "alice:s3cret@"), None)
    assert "accepts only Negotiate, not Basic" in caught.value.message


def test_a_refused_connect_names_the_target_and_what_to_allow():
    with proxy(b"HTTP/1.1 403 Forbidden\r\n\r\n") as fake, \
            pytest.raises(ConnectRefusedError) as caught:
        open_tunnel(settings_for(fake.port), None)
    assert caught.value.message == \
        "the proxy refused to CONNECT to api.spotinst.io:443: 403 Forbidden"


@pytest.mark.parametrize("status", [b"502 Bad Gateway", b"503 Service Unavailable",
                                    b"504 Gateway Timeout"])
def test_a_proxy_that_could_not_reach_the_target_is_not_called_a_refusal(status):
    with proxy(b"HTTP/1.1 " + status + b"\r\n\r\n") as fake, \
            pytest.raises(ConnectRefusedError) as caught:
        open_tunnel(settings_for(fake.port), None)
    assert caught.value.message == \
        f"the proxy could not reach api.spotinst.io:443: {status.decode()}"
    assert "allow" not in caught.value.hint


def test_something_that_is_not_an_http_proxy_is_a_protocol_error():
    with proxy(b"SSH-2.0-OpenSSH_9.6\r\n\r\n") as fake, \
            pytest.raises(ProxyProtocolError, match="not HTTP"):
        open_tunnel(settings_for(fake.port), None)


def test_a_proxy_that_never_answers_times_out_in_the_given_time():
    with proxy(None) as fake, pytest.raises(ProxyUnreachableError) as caught:
        open_tunnel(settings_for(fake.port, timeout=0.3), None)
    assert "did not answer CONNECT api.spotinst.io:443 within 0.3s" in caught.value.message


def test_a_port_where_nothing_listens_is_unreachable():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(ProxyUnreachableError, match="refused the connection"):
        open_tunnel(settings_for(port), None)
