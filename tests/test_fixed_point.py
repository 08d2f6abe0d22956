"""Post-rendering our own output changes nothing: cases the fuzzer found, as plain bytes.

A Secret we add (the proxy URL with credentials, or the CA bundle when the chart's Secret
is not ours to write) is named after the workload. A workload name that is no Kubernetes
name, e.g. one with a tab, came out escaped (``name: "oc\\tx-ocean-proxy"``), where the
line scan of the next run could not find it: the second run added the Secret again. Such a
name is now refused, as the API server would refuse the Secret.
"""

from __future__ import annotations

import pytest

from post_renderer.errors import ManifestError
from post_renderer.proxy_settings.proxy_url import parse_proxy_url
from post_renderer.render.pipeline import post_render
from post_renderer.render.release.settings import Setting, UserSettings

from . import certs
from .certs import NOW

BOM = b"\xef\xbb\xbf"


def stream(name: str) -> bytes:
    """A UTF-8 BOM, an empty document, then the controller and its ConfigMap, in CRLF."""
    text = f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: spot-system
spec:
  template:
    spec:
      containers:
      - name: ocean-kubernetes-controller
        image: spotinst/ocean-kubernetes-controller:2.0.70
        env:
        - name: HTTPS_PROXY
          valueFrom:
            configMapKeyRef:
              name: oc-ocean-kubernetes-controller
              key: proxy-url
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: oc-ocean-kubernetes-controller
  namespace: spot-system
data:
  proxy-url: http://ocean:s3cret@proxy.corp:3128
"""
    return BOM + b"---\n" + text.replace("\n", "\r\n").encode("utf-8")


def output(data: bytes, user: UserSettings) -> bytes:
    return b"".join(bytes(part) for part in post_render(data, user, NOW).parts)


@pytest.fixture(scope="module")
def settings_by_mode():
    ca = certs.root("Corp A Root CA").pem
    return {
        "zero-config": UserSettings(),
        "ca-file": UserSettings(ca_files=Setting((("ca.pem", ca),), "--ca-file")),
        "proxy-url": UserSettings(proxy_url=Setting(
            parse_proxy_url("http://u:pw@proxy.corp:3128"), "--proxy-url")),
    }


@pytest.mark.parametrize("mode", ["zero-config", "ca-file", "proxy-url"])
def test_a_valid_workload_name_gives_a_fixed_point(settings_by_mode, mode):
    user = settings_by_mode[mode]
    once = output(stream("oc-ocean-kubernetes-controller"), user)
    assert b"-ocean-proxy\r\n" in once or b"-ocean-proxy\n" in once  # a Secret was added
    assert output(once, user) == once


def survive(data: bytes, user: UserSettings) -> bytes | None:
    """As the fuzz test: the output, or None when refused with one of our errors."""
    try:
        return output(data, user)
    except ManifestError:
        return None


@pytest.mark.parametrize("mode", ["zero-config", "ca-file", "proxy-url"])
def test_a_tab_in_the_workload_name_is_refused_or_post_renders_to_a_fixed_point(
        settings_by_mode, mode):
    """The fuzzer's case: a tab inserted in the Deployment's name."""
    user = settings_by_mode[mode]
    once = survive(stream("oc-ocean\t-kubernetes-controller"), user)
    assert once is None or survive(once, user) == once


@pytest.mark.parametrize("name", ["oc-ocean\t-kubernetes-controller",
                                  '"oc-ocean\\u2028kubernetes-controller"',
                                  "Oc-Ocean-Kubernetes-Controller",
                                  "'oc: ocean'"])
@pytest.mark.parametrize("mode", ["zero-config", "ca-file", "proxy-url"])
def test_a_secret_named_after_an_invalid_workload_name_is_refused(settings_by_mode, mode,
                                                                   name):
    """Before, the first run wrote the Secret with an escaped name and the second run,
    not finding it, wrote it again (or, zero-config, silently lost the proxy)."""
    with pytest.raises(ManifestError, match="is not a valid Kubernetes name") as raised:
        output(stream(name), settings_by_mode[mode])
    message = raised.value.message
    assert "\t" not in message and "\u2028" not in message  # one printable line
    assert "s3cret" not in message and "pw" not in message
