"""The HTTP spoken to a proxy: CONNECT and GET requests, and reading its answer."""

from __future__ import annotations

import base64

import pytest

from post_renderer.errors import ProxyProtocolError
from post_renderer.network.proxy_protocol import (
    REASON_DISPLAY,
    connect_request,
    get_request,
    head_end,
    parse_response_head,
)


def test_connect_names_the_target_and_sends_basic_credentials():
    request = connect_request("api.spotinst.io:443", ("alice", "p@ss:word"))

    lines = request.decode().split("\r\n")
    assert lines[0] == "CONNECT api.spotinst.io:443 HTTP/1.1"
    assert "Host: api.spotinst.io:443" in lines
    token = base64.b64encode(b"alice:p@ss:word").decode()
    assert f"Proxy-Authorization: Basic {token}" in lines
    assert request.endswith(b"\r\n\r\n")


def test_connect_without_credentials_has_no_authorization_header():
    assert b"Proxy-Authorization" not in connect_request("api.spotinst.io:443", None)


def test_get_uses_the_absolute_uri_and_closes_the_connection():
    request = get_request("http://pki.corp.example/root.crt", "pki.corp.example", None)

    assert request.startswith(b"GET http://pki.corp.example/root.crt HTTP/1.1\r\n")
    assert b"Host: pki.corp.example\r\n" in request
    assert b"Connection: close\r\n" in request


def test_answer_head_gives_status_reason_and_headers():
    head = parse_response_head(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                               b"Proxy-Authenticate: Basic realm=\"corp\"\r\n"
                               b"Proxy-Authenticate: NTLM\r\n\r\n")

    assert (head.status, head.reason) == (407, "Proxy Authentication Required")
    assert head.header_values("Proxy-Authenticate") == ['Basic realm="corp"', "NTLM"]


def test_answer_without_reason_phrase_is_accepted():
    assert parse_response_head(b"HTTP/1.0 200\r\n\r\n").status_text == "200"


@pytest.mark.parametrize("answer", [b"SSH-2.0-OpenSSH_9.6\r\n", b"\x16\x03\x01\x00",
                                    b"HTTP/1.1 OK\r\n\r\n", b"HTTP/2 200\r\n\r\n"])
def test_answer_that_is_not_http_1_is_refused(answer):
    with pytest.raises(ProxyProtocolError, match="not HTTP"):
        parse_response_head(answer)


def test_head_ends_at_the_first_blank_line():
    assert head_end(b"HTTP/1.1 200 OK\r\n\r\n\x16\x03") == 19
    assert head_end(b"HTTP/1.1 200 OK\r\n") == -1


def test_what_the_proxy_says_is_made_safe_for_one_line():
    head = parse_response_head(b"HTTP/1.1 403 Forbidden\x1b[31m" + b"x" * 200 + b"\r\n\r\n")
    assert head.reason == "Forbidden [31m" + "x" * (REASON_DISPLAY - 14) + "..."
