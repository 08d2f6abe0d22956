"""The proxy URL: a wrong URL is named as what is wrong with it, never echoed."""

from __future__ import annotations

import pytest

from post_renderer.errors import ProxyUrlError
from post_renderer.proxy_settings.proxy_url import parse_proxy_url

PASSWORD = "Pr0xy-Passw0rd"


@pytest.mark.parametrize("url", [
    f"http://user:{PASSWORD}@bad@proxy.corp:3128",
    f"http://user:p@{PASSWORD}@proxy.corp:3128",
    f"http://us@er:{PASSWORD}@proxy.corp",
])
def test_an_unencoded_at_sign_in_the_credentials_is_named_with_its_encoding(url):
    with pytest.raises(ProxyUrlError) as raised:
        parse_proxy_url(url, source="--proxy-url")
    assert "'@'" in raised.value.message
    assert "port" not in raised.value.message
    assert "%40" in raised.value.hint
    assert PASSWORD not in raised.value.message + raised.value.hint


@pytest.mark.parametrize("url", [
    f"http://user:{PASSWORD}@",
    f"http://user:{PASSWORD}@:3128",
    "http://:3128",
    "http://",
    f"https://user:{PASSWORD}@/",
])
def test_a_url_without_a_host_says_so(url):
    with pytest.raises(ProxyUrlError) as raised:
        parse_proxy_url(url, source="--proxy-url")
    assert raised.value.message == "--proxy-url has no host"
    assert PASSWORD not in raised.value.hint


@pytest.mark.parametrize("url", [
    "http://::1:3128",
    f"http://user:{PASSWORD}@2001:db8::1:3128",
    "https://2001:db8:0:0:0:0:0:1",
    "http://::ffff:10.0.0.1:3128/",
    "http://fe80::1",  # no port, two colons
    "http://2001:DB8::1:3128",  # as some tools print it
])
def test_an_ipv6_address_without_brackets_is_told_to_take_them(url):
    """Which colon starts the port is anyone's guess: Go takes the last, a user may not."""
    with pytest.raises(ProxyUrlError) as raised:
        parse_proxy_url(url, source="--proxy-url")
    assert "IPv6 address without brackets" in raised.value.message
    assert "http://[2001:db8::1]:3128" in raised.value.hint
    assert PASSWORD not in raised.value.message + raised.value.hint
    assert parse_proxy_url("http://[2001:db8::1]:3128").port == 3128


@pytest.mark.parametrize("url", ["http://cafe:3128:80", "http://proxy.corp:31:28"])
def test_a_host_name_with_two_ports_is_a_bad_port_not_ipv6(url):
    with pytest.raises(ProxyUrlError, match="invalid port"):
        parse_proxy_url(url, source="--proxy-url")


@pytest.mark.parametrize("url", [
    f"http://user:{PASSWORD}/x@proxy.corp:3128",
    f"http://user:{PASSWORD}#x@proxy.corp:3128",
])
def test_a_slash_or_hash_in_the_password_is_a_character_to_encode(url):
    with pytest.raises(ProxyUrlError, match="must be percent-encoded"):
        parse_proxy_url(url, source="--proxy-url")


def test_an_encoded_at_sign_is_fine():
    url = parse_proxy_url(f"http://user:p%40{PASSWORD}@proxy.corp:3128")
    assert url.host == "proxy.corp" and url.password == f"p%40{PASSWORD}"


def test_a_real_bad_port_is_still_a_bad_port():
    with pytest.raises(ProxyUrlError, match="invalid port"):
        parse_proxy_url("http://proxy.corp:99999")


@pytest.mark.parametrize("url", [f'"http://user:{PASSWORD}@proxy.corp:3128"',
                                 "'proxy.corp:3128'", ' "http://proxy.corp:3128"\n'])
def test_a_url_wrapped_in_quotes_is_told_to_lose_them(url):
    """OCEAN_PROXY_URL="..." in an env file that docker --env-file or systemd read: the
    quotes stay as characters, and the URL was only 'not a valid URL'."""
    with pytest.raises(ProxyUrlError) as raised:
        parse_proxy_url(url, source="OCEAN_PROXY_URL")
    assert raised.value.message == \
        "OCEAN_PROXY_URL is wrapped in quotes, which are not part of a URL"
    assert raised.value.hint.startswith("remove the quotes: ")
    assert PASSWORD not in raised.value.message + raised.value.hint
