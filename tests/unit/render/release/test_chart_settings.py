"""read_chart_settings: what the chart rendered, read back the way the controller reads it."""

from __future__ import annotations

import io

import pytest

from post_renderer.errors import ManifestError, ProxyUrlError
from post_renderer.render.release.chart_settings import read_chart_settings
from post_renderer.render.release.key_refs import KeyRef
from post_renderer.report import Reporter

from ...chart_manifests import (
    CA_KEY,
    CA_SECRET,
    FULLNAME,
    ca_secret,
    configmap,
    controller,
    release,
)
from ..planning import release_of


def read(*documents: str):
    return read_chart_settings(release_of(release(*documents)))


def test_the_proxy_url_comes_from_the_configmap_https_proxy_refers_to():
    chart = read(controller(), configmap(proxy_url="http://Proxy.Corp:3128"))
    assert chart.proxy_url.value.without_credentials == "http://proxy.corp:3128"
    assert chart.proxy_ref == KeyRef("ConfigMap", FULLNAME, "proxy-url")


def test_no_proxy_url_key_means_no_proxy():
    chart = read(controller(), configmap())
    assert chart.proxy_url is None
    assert chart.proxy_ref == KeyRef("ConfigMap", FULLNAME, "proxy-url")


def test_a_literal_https_proxy_value_is_read_too():
    deployment = controller(proxy_env=False).replace(
        "        - name: USER_ENV_CERTIFICATES",
        "        - name: HTTPS_PROXY\n          value: http://literal.corp:8080\n"
        "        - name: USER_ENV_CERTIFICATES")
    chart = read(deployment)
    assert chart.proxy_url.value.host == "literal.corp"
    assert chart.proxy_url.source == "the rendered HTTPS_PROXY value"


@pytest.mark.parametrize("name", ["HTTP_PROXY", "http_proxy"])
def test_the_password_of_a_rendered_http_proxy_is_hidden_in_every_message(name):
    """HTTP_PROXY (extraEnv) is read for no setting, so no message names it yet: one that
    ever quotes it, or a proxy's answer that quotes its password, shows neither."""
    deployment = controller().replace(
        "        - name: USER_ENV_CERTIFICATES",
        f"        - name: {name}\n          value: http://bob:h77p-Pa55%21@plain.corp:3128\n"
        "        - name: USER_ENV_CERTIFICATES")
    stream = io.StringIO()
    reporter = Reporter(stream)
    read_chart_settings(release_of(release(deployment, configmap(
        proxy_url="http://proxy.corp:3128"))), reporter.hide_later)
    reporter.notice("the proxy said h77p-pa55! to http://bob:h77p-Pa55%21@plain.corp:3128")
    reporter.warning(f"{name} is http://bob:h77p-Pa55%21@plain.corp:3128")
    text = stream.getvalue()
    assert "h77p" not in text.lower() and text.count("***") == 3, text


def test_every_rendered_spot_token_is_hidden_the_one_kubernetes_does_not_give_too():
    """SPOTINST_TOKEN twice, the chart's from its Secret and an old one written in extraEnv
    after it: Kubernetes gives the controller the last, and the checksum reads that one; a
    message that ever quotes either token shows neither."""
    deployment = controller().replace(
        "        - name: USER_ENV_CERTIFICATES",
        "        - name: SPOTINST_TOKEN\n          value: literal-t0ken-4567\n"
        "        - name: USER_ENV_CERTIFICATES", 1)
    secret = ca_secret(b"chart-t0ken-1234", name=FULLNAME).replace(f"{CA_KEY}:", "token:")
    stream = io.StringIO()
    reporter = Reporter(stream)
    read_chart_settings(release_of(release(deployment, configmap(), secret)),
                        reporter.hide_later)
    reporter.warning("tokens: chart-t0ken-1234 and literal-t0ken-4567")
    assert "t0ken" not in stream.getvalue(), stream.getvalue()


def test_a_rendered_http_proxy_in_a_secret_that_is_no_base64_does_not_stop_the_render():
    """HTTP_PROXY (extraEnv) is read for no setting, only to hide its password: a Secret of
    the user's it points to whose data is no base64 leaves the render to go on, as without."""
    deployment = controller().replace(
        "        - name: USER_ENV_CERTIFICATES",
        "        - name: HTTP_PROXY\n          valueFrom:\n            secretKeyRef:\n"
        "              name: plain-proxy\n              key: url\n"
        "        - name: USER_ENV_CERTIFICATES")
    secret = ca_secret(b"", name="plain-proxy").replace(f'{CA_KEY}: ""', "url: not*base64!")
    chart = read(deployment, configmap(proxy_url="http://proxy.corp:3128"), secret)
    assert chart.proxy_url.value.host == "proxy.corp"


def test_an_invalid_rendered_proxy_url_is_refused_naming_where_it_is():
    with pytest.raises(ProxyUrlError) as caught:
        read(controller(), configmap(proxy_url="socks5://proxy.corp:1080"))
    assert f"ConfigMap '{FULLNAME}' key 'proxy-url' (spotinst.proxyUrl)" in caught.value.message


def test_the_ca_bundle_is_read_from_the_secret_user_env_certificates_refers_to(corp_root):
    chart = read(controller(), configmap(), ca_secret(corp_root.pem))
    assert chart.ca_ref == KeyRef("Secret", CA_SECRET, CA_KEY)
    assert chart.ca_data.value == corp_root.pem


def test_a_ca_secret_outside_the_release_is_a_reference_without_data():
    chart = read(controller(ca_secret="corp-trust"), configmap())
    assert chart.ca_ref.name == "corp-trust"
    assert chart.ca_data is None


def test_string_data_is_read_as_kubernetes_would_merge_it(corp_root):
    secret = ca_secret(b"ignored").replace(
        "\ndata:", "\nstringData:\n  " + CA_KEY + ": |\n" + "".join(
            f"    {line}\n" for line in corp_root.pem.decode().splitlines()) + "data:", 1)
    chart = read(controller(), secret)
    assert chart.ca_data.value == corp_root.pem


def test_secret_data_that_is_not_base64_is_a_manifest_error():
    secret = ca_secret(b"x").replace('"eA=="', '"not base64!"')
    with pytest.raises(ManifestError) as caught:
        read(controller(), secret)
    assert f"Secret '{CA_SECRET}' key '{CA_KEY}'" in caught.value.message


def test_the_auto_update_job_is_found_in_the_referenced_configmap():
    assert read(controller(), configmap()).auto_update_jobs == (
        KeyRef("ConfigMap", FULLNAME, "auto-update.job"),)
    assert read(controller(), configmap(auto_update=False)).auto_update_jobs == ()


def test_rendered_no_proxy_entries_refused_as_no_proxy_flags_are_left_out_and_named():
    chart = read(controller(no_proxy="registry.corp,spotinst.io,*"), configmap())
    assert chart.no_proxy == ("registry.corp",)
    assert chart.dropped_no_proxy == ("spotinst.io", "*")


def test_rendered_no_proxy_extras_are_kept_beyond_the_defaults():
    chart = read(controller(no_proxy="$(KUBERNETES_SERVICE_HOST), .SVC ,Registry.Corp,"
                                     "$(MY_HOST)"), configmap())
    assert chart.no_proxy == ("registry.corp", "$(MY_HOST)")


def log_shipper_http_proxy(url: str, name: str = "HTTP_PROXY") -> str:
    """The controller's Deployment, its log-shipper given a proxy of its own
    (logShipping.extraEnv, since chart 0.1.53)."""
    shipped = controller().replace(
        "                key: token\n        volumeMounts:",
        f"                key: token\n          - name: {name}\n            value: {url}\n"
        "        volumeMounts:")
    assert url in shipped
    return shipped


@pytest.mark.parametrize("name", ["HTTP_PROXY", "http_proxy"])
def test_a_log_shippers_own_http_proxy_is_another_proxy(name):
    """fluent-bit takes its proxy from HTTP_PROXY, for HTTPS too: the chart's proxy replaces
    the one it had, which is said as an old HTTPS_PROXY of the controller's is."""
    chart = read(log_shipper_http_proxy("http://bob:h77p-Pa55@ls.corp:8080", name),
                 configmap(proxy_url="http://proxy.corp:3128"))
    assert chart.other_proxies == (
        f"http://bob:***@ls.corp:8080 ({name} of container 'log-shipper')",)


def test_a_log_shippers_http_proxy_that_is_the_charts_is_no_other_proxy():
    chart = read(log_shipper_http_proxy("http://proxy.corp:3128"),
                 configmap(proxy_url="http://proxy.corp:3128"))
    assert chart.other_proxies == ()


def test_the_controllers_http_proxy_is_no_other_proxy():
    """Go takes HTTP_PROXY for http:// requests only, and the Spot API is HTTPS."""
    deployment = controller().replace(
        "        - name: USER_ENV_CERTIFICATES",
        "        - name: HTTP_PROXY\n          value: http://plain.corp:3128\n"
        "        - name: USER_ENV_CERTIFICATES")
    chart = read(deployment, configmap(proxy_url="http://proxy.corp:3128"))
    assert chart.other_proxies == ()
