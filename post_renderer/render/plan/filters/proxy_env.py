"""Proxy filter: HTTPS_PROXY, HTTP_PROXY, NO_PROXY and their lower-case twins, everywhere.

Go (the controller, the auto-updater's helm) reads ``HTTPS_PROXY`` for HTTPS; fluent-bit
(the log-shipper) reads ``HTTP_PROXY`` and uses it for HTTPS too, by CONNECT. Both honour
``NO_PROXY``. When the proxy URL carries credentials, every container reads it from a
Secret of ours, and the chart's ConfigMap keeps only the URL without them:

    env:
    - name: HTTPS_PROXY
      valueFrom: {secretKeyRef: {name: <controller>-ocean-proxy, key: proxy-url}}

Go percent-decodes the credentials; fluent-bit sends them as written. When the two readings
differ (``p%40ss``, or a user without a password), fluent-bit's ``HTTP_PROXY`` and
``http_proxy`` come from a second key, ``fluent-bit-proxy-url``, holding them decoded.

``PROXY_URL``, which the metric exporter and controllers of charts 0.1.0 to 0.1.3 read
instead, is replaced where a container has it. The ConfigMap's full URL also goes to Secret
``<configmap>-ocean-proxy``: a metric exporter of another release that reads that ConfigMap
takes its proxy from there (``Injection.proxy_from``), credentials included.
"""

from __future__ import annotations

from post_renderer.render.overlay.values import b64
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.owned_secrets import secret_changes
from post_renderer.render.plan.pod_patch import Change, PodEntry, PodWants
from post_renderer.render.plan.protocol import PlanContext, Proposal
from post_renderer.render.release.chart_settings import PROXY_KEY
from post_renderer.render.release.key_refs import KeyRef
from post_renderer.render.release.release import Release
from post_renderer.render.stream.kube import YamlNode, get_path, pointer

FLUENT_BIT_KEY = "fluent-bit-proxy-url"
FLUENT_BIT_VARS = ("HTTP_PROXY", "http_proxy")
URL_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
ORDER = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")
IN_PLACE_VARS = ("PROXY_URL",)  # read by some agents; replaced, never added


def pod_wants(injection: Injection) -> PodWants:
    if injection.proxy_from is not None:
        return _wants_from_another_release(injection)
    if injection.proxy is None:
        return PodWants()
    reason = "the proxy, credentials read from a Secret" if injection.proxy_secret else "the proxy"
    no_proxy = ",".join(injection.no_proxy)
    env = []
    for name in ORDER:
        if name in URL_VARS:
            env.append(PodEntry(name, _url_entry(name, injection), reason))
        else:
            env.append(PodEntry(name, {"name": name, "value": no_proxy},
                              "in-cluster traffic stays direct"))
    fluent_bit: tuple[PodEntry, ...] = ()
    if _fluent_bit_url(injection) is not None:
        fluent_bit = tuple(
            PodEntry(name, _url_entry(name, injection, FLUENT_BIT_KEY),
                   f"{reason}; fluent-bit takes the credentials as written, so its copy has "
                   "them percent-decoded")
            for name in FLUENT_BIT_VARS)
    # fluent-bit refuses any proxy URL but http:// ("only HTTP proxy is supported"), and its
    # output would not start; without the proxy it at least runs (injection warns).
    skip = frozenset(URL_VARS) if injection.proxy.value.scheme != "http" else frozenset()
    in_place = tuple(PodEntry(name, _url_entry(name, injection), reason)
                     for name in IN_PLACE_VARS)
    chart_entry = _chart_https_proxy(injection.chart_proxy_key)
    return PodWants(env=tuple(env), fluent_bit_env=fluent_bit, fluent_bit_skip=skip,
                    env_in_place=in_place, controller_env=chart_entry)


def _chart_https_proxy(ref: KeyRef | None) -> tuple[PodEntry, ...]:
    """The controller's ``HTTPS_PROXY`` stays the chart's own entry, reading the key this
    filter blanks (see ``Injection.values_shape``). It is still the one ``HTTPS_PROXY`` of the
    container: another (an old ``extraEnv`` workaround) would come later, and Kubernetes
    would give the controller that one."""
    if ref is None:
        return ()
    reads = {"name": ref.name, "key": ref.key}

    def keep_the_charts(existing: YamlNode) -> dict[str, YamlNode]:
        source = get_path(existing, ("valueFrom", "configMapKeyRef"))
        if isinstance(existing, dict) and isinstance(source, dict) and \
                {k: source.get(k) for k in reads} == reads:
            return dict(existing)
        return manifest

    manifest: dict[str, YamlNode] = {"name": "HTTPS_PROXY", "valueFrom": {
        "configMapKeyRef": {**reads, "optional": True}}}
    return (PodEntry("HTTPS_PROXY", manifest, "the chart's own HTTPS_PROXY, reading the "
                     "ConfigMap key left blank: Go then takes https_proxy", keep_the_charts),)


def _wants_from_another_release(injection: Injection) -> PodWants:
    ref = injection.proxy_from
    assert ref is not None  # only called for a pod whose proxy another release writes
    reason = (f"the proxy, credentials included, from Secret '{ref.name}' (written by the "
              "post-render of the release whose ConfigMap this pod reads)")

    def entry(name: str) -> dict[str, YamlNode]:
        return {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}

    no_proxy = ",".join(injection.no_proxy)
    env = tuple(PodEntry(name, entry(name), reason) if name in URL_VARS else
                PodEntry(name, {"name": name, "value": no_proxy}, "in-cluster traffic stays direct")
                for name in ORDER)
    return PodWants(env=env, env_in_place=tuple(PodEntry(name, entry(name), reason)
                                                for name in IN_PLACE_VARS))


def _url_entry(name: str, injection: Injection, key: str = PROXY_KEY) -> dict[str, YamlNode]:
    if injection.proxy_secret:
        return {"name": name, "valueFrom": {"secretKeyRef": {
            "name": injection.proxy_secret, "key": key}}}
    assert injection.proxy is not None  # only asked for when there is a proxy
    return {"name": name, "value": injection.proxy.value.without_credentials}


def _fluent_bit_url(injection: Injection) -> str | None:
    """fluent-bit's own copy of the URL, when it must differ from Go's."""
    if not injection.proxy_secret:
        return None
    assert injection.proxy is not None  # a proxy Secret is made only for a proxy
    url = injection.proxy.value
    return url.for_fluent_bit if url.for_fluent_bit != url.full else None


def propose(context: PlanContext) -> list[Proposal]:
    release, injection = context.release, context.injection
    changes: list[Proposal] = []
    keep = injection.values_shape or injection.overlay is not None
    shared = injection.shared_proxy_secret
    if injection.proxy is None:
        if shared is not None:  # a CA alone: the agents that read that ConfigMap go direct
            changes += secret_changes(release, shared, {PROXY_KEY: ""},
                                      {FLUENT_BIT_KEY: "there is no proxy to give"},
                                      f"no proxy, for {_readers(injection)}", keep=keep)
        return changes
    if injection.proxy_secret and injection.proxy_secret not in injection.read_only_secrets:
        data = secret_data(injection)
        stale = {FLUENT_BIT_KEY: "the log-shipper reads the proxy URL as Go does"}
        changes += secret_changes(release, injection.proxy_secret, data, stale,
                                  "the proxy URL with its credentials, out of plain sight",
                                  keep=keep)
    if shared is not None and shared != injection.proxy_secret:
        changes += secret_changes(release, shared, {PROXY_KEY: b64(injection.proxy.value.full)},
                                  {}, f"the full proxy URL, for {_readers(injection)}",
                                  keep=keep)
    blank = injection.chart_proxy_key
    if blank is not None:
        changes += _configmap_value(release, blank, "", "blank, as the chart's values leave "
                                    "it: the controller's HTTPS_PROXY reads it, and Go then "
                                    "takes https_proxy")
    ref = injection.proxy_configmap
    if ref is not None and ref != blank:
        changes += _configmap_value(release, ref, injection.proxy.value.without_credentials,
                                    "the ConfigMap keeps the proxy URL without credentials")
    return changes


def _readers(injection: Injection) -> str:
    """Who reads the shared proxy Secret, named in its reason: the agents that read the
    ConfigMap it stands beside (``shared_proxy_secret`` is only ever set beside one)."""
    configmap = injection.proxy_configmap
    assert configmap is not None  # see shared_proxy.shared_proxy_secret
    return f"the Spot agents of other releases that read ConfigMap '{configmap.name}'"


def _configmap_value(release: Release, ref: KeyRef, wanted: str, reason: str
                     ) -> list[Proposal]:
    configmap = release.get("ConfigMap", ref.name)
    current = get_path(configmap.document, ("data", ref.key)) if configmap else None
    if configmap is None or not isinstance(current, str) or current == wanted:
        return []
    return [Proposal(configmap, Change(
        {"op": "replace", "path": pointer("data", ref.key), "value": wanted}, reason))]


def secret_data(injection: Injection) -> dict[str, str]:
    """The proxy Secret's data (base64): the URL with its credentials, for every reader."""
    assert injection.proxy is not None  # only asked for when there is a proxy
    data = {PROXY_KEY: b64(injection.proxy.value.full)}
    fluent_bit = _fluent_bit_url(injection)
    if fluent_bit is not None:
        data[FLUENT_BIT_KEY] = b64(fluent_bit)
    return data
