"""The shared options of discover-ca and verify: target, server name, timeout."""

from __future__ import annotations

import pytest

from post_renderer.errors import ProxyUrlError, UsageError
from post_renderer.network.settings import Endpoint, network_settings, parse_endpoint
from post_renderer.proxy_settings.proxy_url import parse_proxy_url


@pytest.mark.parametrize(("text", "endpoint"), [
    ("api.spotinst.io:443", Endpoint("api.spotinst.io", 443)),
    ("API.Spotinst.IO.", Endpoint("api.spotinst.io", 443)),
    ("[::1]:8443", Endpoint("::1", 8443)),
    ("10.0.0.1:3128", Endpoint("10.0.0.1", 3128)),
])
def test_target_is_host_and_port_with_443_by_default(text, endpoint):
    assert parse_endpoint(text) == endpoint


def test_ipv6_target_is_written_back_in_brackets():
    assert str(parse_endpoint("[::1]:8443")) == "[::1]:8443"


@pytest.mark.parametrize("text", ["api.spotinst.io:0", "api.spotinst.io:99999", "a b:443",
                                  "[zz::1]:443", "host:port", ""])
def test_bad_target_is_a_usage_error(text):
    with pytest.raises(UsageError):
        parse_endpoint(text)


def settings(**overrides):
    proxy_url = overrides.pop("proxy_url", "http://alice:s3cret@proxy.corp:3128")
    values = {"target": "api.spotinst.io:443", "server_name": None, "timeout": 10.0,
              **overrides}
    return network_settings(proxy=parse_proxy_url(proxy_url), **values)


def test_server_name_defaults_to_the_target_host():
    result = settings()

    assert result.server_name == "api.spotinst.io"
    assert result.route == ("api.spotinst.io:443 through the proxy "
                              "http://alice:***@proxy.corp:3128")


@pytest.mark.parametrize("timeout", [0.0, -1.0, float("nan"), float("inf"), 1e-300, 1e308,
                                     99999999999.0])
def test_timeout_must_be_a_number_of_seconds_a_socket_takes(timeout):
    with pytest.raises(UsageError, match="--timeout"):
        settings(timeout=timeout)


def test_bad_proxy_url_never_echoes_it():
    with pytest.raises(ProxyUrlError) as raised:
        settings(proxy_url="socks5://alice:s3cret@proxy.corp:1080")

    assert "s3cret" not in raised.value.message


@pytest.mark.parametrize("make, says", [
    (lambda tmp_path: str(tmp_path / "missing.pem"), "no such file"),
    (lambda tmp_path: str(tmp_path), "not a file"),
    (lambda tmp_path: "/dev/zero", "not a file"),
])
def test_public_roots_that_are_not_a_file_say_which_it_is(tmp_path, make, says):
    from post_renderer.errors import ConfigError
    from post_renderer.network.public_roots import resolve_public_roots

    path = make(tmp_path)
    with pytest.raises(ConfigError) as caught:
        resolve_public_roots(path)
    assert caught.value.message == f"--public-roots {path}: {says}"


@pytest.mark.parametrize("text", ["https://api.spotinst.io:443", "https://api.spotinst.io/",
                                  "http://user:s3cret@api.spotinst.io"])
def test_a_url_as_target_is_told_to_drop_its_scheme_without_echoing_it(text):
    """--target is what CONNECT names: a URL pasted from a browser is told apart from a bad
    host name, and the hint shows the form, not the value (it may hold a password)."""
    with pytest.raises(UsageError) as caught:
        parse_endpoint(text)
    assert "not a URL" in caught.value.message
    assert "drop the scheme" in caught.value.hint
    assert "s3cret" not in caught.value.message + caught.value.hint
