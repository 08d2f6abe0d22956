"""parse_proxy_url: what Go and fluent-bit can use, printed without the password."""

from __future__ import annotations

import pytest

from post_renderer.errors import ProxyUrlError
from post_renderer.proxy_settings.proxy_url import assumed_parts, parse_proxy_url


def test_scheme_and_host_are_lower_cased_and_the_default_port_filled_in():
    url = parse_proxy_url("HTTP://Proxy.Corp.")
    assert (url.scheme, url.host, url.port) == ("http", "proxy.corp", 80)
    assert parse_proxy_url("https://proxy.corp/").port == 443


def test_a_service_name_with_an_underscore_is_a_host_as_go_resolves_it():
    assert parse_proxy_url("http://squid_proxy:3128").host == "squid_proxy"


def test_ipv6_hosts_keep_their_brackets():
    assert parse_proxy_url("http://[FD00::1]:3128").netloc == "[fd00::1]:3128"


def test_the_password_is_kept_as_written_and_shown_only_as_stars():
    url = parse_proxy_url("http://alice:p%40ss@proxy.corp:3128")
    assert url.full == "http://alice:p%40ss@proxy.corp:3128"
    assert url.redacted == "http://alice:***@proxy.corp:3128"
    assert url.without_credentials == "http://proxy.corp:3128"
    assert url.basic_credentials() == ("alice", "p@ss")


def test_a_user_without_a_password_is_hidden_as_it_may_be_a_token():
    url = parse_proxy_url("http://s3cr3ttoken@proxy.corp:3128")
    assert url.redacted == "http://***@proxy.corp:3128"
    assert parse_proxy_url("http://s3cr3ttoken:@proxy.corp:3128").redacted == \
        "http://***@proxy.corp:3128"  # an empty password: the same
    url = parse_proxy_url("http://alice@proxy.corp:3128")
    assert url.for_fluent_bit == "http://alice:@proxy.corp:3128"


def test_a_user_without_a_password_goes_into_the_secret_as_it_was_written():
    assert parse_proxy_url("http://s3cr3ttoken@proxy.corp:3128").full == \
        "http://s3cr3ttoken@proxy.corp:3128"


def test_a_url_without_a_port_is_said_to_use_the_schemes_default():
    url = parse_proxy_url("http://proxy.corp")
    said = assumed_parts(url, "--proxy-url")
    assert said is not None and said.startswith(
        "--proxy-url has no port: read as http://proxy.corp:80, as the controller (Go) reads it")
    assert "port 80 is http's default" in said
    assert assumed_parts(parse_proxy_url("http://proxy.corp:3128"), "--proxy-url") is None


def test_a_url_without_scheme_is_read_as_http_as_go_reads_it():
    url = parse_proxy_url("alice:s3cret@proxy.corp:3128")
    assert url.scheme_assumed and url.without_credentials == "http://proxy.corp:3128"
    assert url.full == "http://alice:s3cret@proxy.corp:3128"
    assert not parse_proxy_url("http://proxy.corp:3128").scheme_assumed


@pytest.mark.parametrize("text, words", [
    ("", "is empty"),
    ("socks5://proxy.corp:1080", "uses the scheme 'socks5'"),
    ("http://proxy.corp:99999", "invalid port"),
    ("http://proxy.corp:0", "invalid port"),  # no proxy listens there: every pod would fail
    ("http://proxy.corp:65536", "invalid port"),
    ("http://proxy.corp:3128/path", "has a path"),
    ("http://-bad-.corp:3128", "invalid host name"),
    (f"http://{'p' * 64}.corp:3128", "invalid host name"),  # Go looks up no longer label
    ("http://[fd00::1::2]:3128", "invalid IPv6"),
    ("http://[fe80::1%25eth0]:3128", "IPv6 zone"),
    ("http://alice:s3cret@[fe80::1%eth0]:3128", "IPv6 zone"),
    ("http://:s3cret@proxy.corp:3128", "without a user name"),
    ("http://alice:s3cr^t@proxy.corp:3128", "must be percent-encoded"),
    ("http://alice:s3 cret@proxy.corp:3128", "a space in its user name or password"),
    ("http://proxy .corp:3128", "spaces or control characters"),
    ("http://proxy.corp:\uff13\uff11\uff12\uff18", "invalid port"),  # full-width 3128
    ("http://alice:s3cret%00@proxy.corp:3128", "control character"),
    ("http://alice:s3cret%0A@proxy.corp:3128", "control character"),
    ("http://alice%7F:s3cret@proxy.corp:3128", "control character"),
    ("http://alice:s3cr%E4t@proxy.corp:3128", "not UTF-8"),
    ("http://alice:s3cr%C3%28t@proxy.corp:3128", "not UTF-8"),
    ("http://corp%3Aalice:s3cret@proxy.corp:3128", "a ':' (%3A) in its user name"),
    ("http://corp%3aalice@proxy.corp:3128", "a ':' (%3A) in its user name"),
])
def test_unusable_urls_are_refused_naming_the_source_and_never_the_url(text, words):
    with pytest.raises(ProxyUrlError) as caught:
        parse_proxy_url(text, source="--proxy-url")
    message = caught.value.message
    assert message.startswith("--proxy-url ") and words in message
    assert "s3cr" not in message + caught.value.hint


@pytest.mark.parametrize("port", [1, 65535])
def test_every_real_port_is_taken_as_written(port):
    assert parse_proxy_url(f"http://proxy.corp:{port}").netloc == f"proxy.corp:{port}"


def test_a_colon_in_the_password_is_taken_as_basic_authentication_carries_it():
    url = parse_proxy_url("http://alice:s3%3Acret@proxy.corp:3128")
    assert url.basic_credentials() == ("alice", "s3:cret")


def test_a_password_with_a_space_is_refused_with_a_hint_that_makes_it_work():
    with pytest.raises(ProxyUrlError) as caught:
        parse_proxy_url("http://alice:correct horse@proxy.corp:3128", source="--proxy-url")
    assert caught.value.hint == "percent-encode it: each space as %20"
    followed = parse_proxy_url("http://alice:correct%20horse@proxy.corp:3128")
    assert followed.basic_credentials() == ("alice", "correct horse")
    assert followed.for_fluent_bit == "http://alice:correct horse@proxy.corp:3128"


@pytest.mark.parametrize("text", ["${PROXY_URL}", "$PROXY_URL", "http://${PROXY_HOST}:3128",
                                  "http://svc:pw@$HOST:3128"])
def test_a_variable_nothing_expanded_is_named_as_such(text):
    """A config file or chart values are not a shell: '${PROXY_URL}' stays as written."""
    with pytest.raises(ProxyUrlError) as caught:
        parse_proxy_url(text, source="config file c.yaml")
    assert caught.value.hint.startswith("a '$NAME' in it is not expanded here")
    assert text not in caught.value.message


def test_a_dollar_in_the_password_is_a_password_not_a_variable():
    assert parse_proxy_url("http://svc:pa$$Word@proxy.corp:3128").password == "pa$$Word"
    with pytest.raises(ProxyUrlError) as caught:  # refused for its port, and told so
        parse_proxy_url("http://svc:pa$Word@proxy.corp:99999")
    assert "not expanded" not in caught.value.hint


@pytest.mark.parametrize("text, written, scheme", [
    ("http//proxy.corp:3128", "http//", "http"),
    ("http:/proxy.corp:3128", "http:/", "http"),
    ("http:proxy.corp:3128", "http:", "http"),
    ("HTTPS//alice:s3cret@proxy.corp:3128", "HTTPS//", "https"),
    ("http:/alice:s3cret@proxy.corp", "http:/", "http"),
])
def test_a_mistyped_scheme_separator_is_named_not_read_as_a_host_called_http(text, written,
                                                                             scheme):
    """Read as a host named 'http', these were refused for a path or a port they do not have."""
    with pytest.raises(ProxyUrlError) as caught:
        parse_proxy_url(text, source="--proxy-url")
    assert caught.value.message == f"--proxy-url starts with '{written}', not '{scheme}://'"
    assert f"{scheme}://" in caught.value.hint
    assert "s3cr" not in caught.value.message + caught.value.hint


def test_a_url_that_starts_with_two_slashes_is_told_its_scheme_is_missing():
    with pytest.raises(ProxyUrlError) as caught:
        parse_proxy_url("//alice:s3cret@proxy.corp:3128", source="--proxy-url")
    assert caught.value.message == "--proxy-url starts with '//' but has no scheme"
    assert "s3cr" not in caught.value.message + caught.value.hint


@pytest.mark.parametrize("text, host", [("http:3128", "http"), ("httpproxy:3128", "httpproxy"),
                                        ("http.corp:3128", "http.corp")])
def test_a_host_whose_name_starts_like_a_scheme_is_still_a_host(text, host):
    url = parse_proxy_url(text)
    assert (url.scheme, url.host, url.port) == ("http", host, 3128)


def test_a_user_name_without_a_password_may_be_a_token_and_is_never_shown():
    """Some proxies take a token as the user name alone: messages (a 407 from the proxy)
    name the user only when a password stands beside it."""
    token = parse_proxy_url("http://tok3n-Zq7@proxy.corp:3128")
    assert token.shown_user == "***" and "tok3n" not in token.redacted
    assert parse_proxy_url("http://al%20ice:pw@proxy.corp:3128").shown_user == "al ice"


def test_a_colon_without_a_port_is_read_as_the_schemes_default_as_go_does_and_said():
    url = parse_proxy_url("http://proxy.corp:")
    assert url.port == 80 and url.port_assumed
    assert "no port: read as http://proxy.corp:80" in str(assumed_parts(url, "--proxy-url"))


def test_a_percent_sign_that_is_not_an_escape_is_refused_as_go_refuses_the_url():
    with pytest.raises(ProxyUrlError) as caught:
        parse_proxy_url("http://alice:50%off@proxy.corp:3128")
    assert "a '%' that is not %XX" in caught.value.message
    assert "50%off" not in caught.value.message


@pytest.mark.parametrize("value", ["http://a.corp:3128,http://b.corp:3128",
                                   "http://a.corp:3128 http://b.corp:3128",
                                   "http://alice:s3cret@a.corp:3128,b.corp:3128",
                                   "http://a.corp:3128;http://b.corp:3128",
                                   "a.corp:3128;b.corp:3128", "a.corp:3128 b.corp:3128",
                                   "PROXY a.corp:3128; PROXY b.corp:3128"])
def test_a_list_of_proxies_is_told_as_a_list_not_as_a_bad_port(value):
    """A PAC file's answer or fallbacks pasted as the proxy URL: Go and fluent-bit read one."""
    with pytest.raises(ProxyUrlError) as caught:
        parse_proxy_url(value)
    assert "not one proxy URL" in caught.value.message
    assert "invalid port" not in caught.value.message
    assert "s3cret" not in caught.value.message + caught.value.hint


@pytest.mark.parametrize("value", ["http://bob:p,w;x@proxy.corp:3128",
                                   "bob:p,w@proxy.corp:3128", "proxy.corp:3128",
                                   "http://svc:pa%20ss@proxy.corp:3128", "http://proxy.corp:3128/"])
def test_a_single_proxy_with_separators_in_its_credentials_is_no_list(value):
    assert parse_proxy_url(value).netloc == "proxy.corp:3128"
