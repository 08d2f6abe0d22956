"""NetworkSettings: how discover-ca and verify name the path, and the options they check."""

from __future__ import annotations

import pytest

from post_renderer.errors import UsageError
from post_renderer.network.settings import network_settings
from post_renderer.proxy_settings.proxy_url import parse_proxy_url


def test_the_route_names_the_target_and_the_proxy_without_its_password():
    settings = network_settings(proxy=parse_proxy_url("http://alice:s3cret@proxy.corp:3128"),
                                target="api.spotinst.io", server_name=None, timeout=5)
    assert settings.route == "api.spotinst.io:443 through the proxy " \
                             "http://alice:***@proxy.corp:3128"


def test_a_server_name_is_normalised_and_checked():
    settings = network_settings(proxy=parse_proxy_url("http://p:1"), target="10.0.0.1:443",
                                server_name="API.Spotinst.IO.", timeout=5)
    assert settings.server_name == "api.spotinst.io"
    with pytest.raises(UsageError, match="--servername"):
        network_settings(proxy=parse_proxy_url("http://p:1"), target="a:1",
                         server_name="not a name", timeout=5)
