"""Overlay: the injection written as the chart's own values, so a values-only upgrade keeps it.

The vendor's auto-update runs ``helm upgrade --values <the release's values>`` with no
post-renderer. Written as values, the injection is rendered by the chart itself::

    spotinst: {proxyUrl: ""}          # the chart's HTTPS_PROXY and NO_PROXY step aside
    caBundleSecret: {create: true, name: <fullname>-ca-bundle, key: ..., data: <validated>}
    extraEnv: [https_proxy, HTTP_PROXY, http_proxy, NO_PROXY, no_proxy, SSL_CERT_DIR]
    extraVolumes: [ocean-proxy-ca: Secret <fullname>-ocean-proxy-ca]
    extraVolumeMounts: [/etc/ocean-proxy/ca, /etc/ssl/certs/<hash>.0 ...]
    logShipping: {extraEnv: [...], extraVolumeMounts: [...]}   # since chart 0.1.53
    podAnnotations: {checksum/ca-bundle: ..., checksum/proxy: ...}

The controller container always carries the chart's ``HTTPS_PROXY`` (from the ConfigMap),
so the overlay cannot add that name (a duplicate env name fails Helm 4 and Helm 3
upgrades); with ``spotinst.proxyUrl`` blank it is empty, and Go reads ``https_proxy``.
The proxy credentials and the CA files live in Secrets the overlay refers to; the values
themselves hold no secret.
"""

from __future__ import annotations

import base64
import re
from typing import Any, NamedTuple

from post_renderer.render.filters import proxy_env, rollout, trust_mounts
from post_renderer.render.injection import Injection
from post_renderer.render.kube import POD_SPEC_PATHS, YamlNode, containers, get_path
from post_renderer.render.owned_names import OwnedNames
from post_renderer.render.pod_patch import PodWants
from post_renderer.render.release import Release, Resource
from post_renderer.render.workloads import CONTROLLER_CONTAINER, is_fluent_bit

MIN_VERSION = (0, 1, 53)  # logShipping.extraEnv/extraVolumeMounts, for a log-shipper
HTTPS_PROXY_VERSION = (0, 1, 4)  # before it, the controller reads PROXY_URL
CHART_NAME = "ocean-kubernetes-controller"
CHART_FIXED_ENV = frozenset({"HTTPS_PROXY", "USER_ENV_CERTIFICATES"})
LIST_KEYS = {"extraEnv": "name", "extraVolumes": "name", "extraVolumeMounts": "mountPath"}
LOG_SHIPPING_LIST_KEYS = {"extraEnv": "name", "extraVolumeMounts": "mountPath"}
_CHART_LABEL = re.compile(rf"^{CHART_NAME}-(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")


class Overlay(NamedTuple):
    """The values, and the Secrets (name -> data, base64) they refer to."""

    values: dict[str, YamlNode]
    secrets: dict[str, dict[str, str]]


def ca_secret_name(owner: str) -> str:
    return OwnedNames(owner).ca


def chart_version(release: Release) -> tuple[int, int, int] | None:
    """The chart's version, from the controller Deployment's ``helm.sh/chart`` label."""
    for workload in release.workloads:
        label = get_path(workload.document, ("metadata", "labels", "helm.sh/chart"))
        match = _CHART_LABEL.match(label) if isinstance(label, str) else None
        if match:
            return tuple(int(part) for part in match.groups())  # type: ignore[return-value]
    return None


def why_not(release: Release) -> str | None:
    """Why this release cannot carry an overlay, or None when it can.

    Every chart version has ``extraEnv``, ``extraVolumes``, ``extraVolumeMounts`` and
    ``podAnnotations``; charts 0.1.0 to 0.1.31 have no log-shipper, so they need nothing more.
    """
    version = chart_version(release)
    if version is None:
        return (f"the manifests carry no '{CHART_NAME}-<version>' helm.sh/chart label on the "
                "controller, so its chart values are unknown")
    shown = ".".join(map(str, version))
    if version < HTTPS_PROXY_VERSION:
        return (f"chart {CHART_NAME} {shown} gives the controller PROXY_URL, which only "
                "spotinst.proxyUrl fills (in plain text), and has no caBundleSecret")
    if version < MIN_VERSION and _has_log_shipper(release):
        return (f"chart {CHART_NAME} {shown} is older than 0.1.53 and has no "
                "logShipping.extraEnv/extraVolumeMounts for the log-shipper")
    return None


def _has_log_shipper(release: Release) -> bool:
    return any(is_fluent_bit(c) for w in release.workloads for c in _containers(w))


def build_overlay(injection: Injection, release: Release) -> Overlay:
    owner = release.workloads[0]
    values: dict[str, Any] = {}
    secrets: dict[str, dict[str, str]] = {}
    if injection.proxy is not None:
        values["spotinst"] = {"proxyUrl": ""}
        if injection.proxy_secret:
            secrets[injection.proxy_secret] = proxy_env.secret_data(injection)
    trust = trust_mounts.pod_wants(injection)
    if injection.trust is not None and injection.ca_secret is not None:
        name = ca_secret_name(owner.name)
        secrets[name] = trust_mounts.secret_data(injection.trust, injection.ca_secret.key)
        ref = injection.ca_secret
        values["caBundleSecret"] = (
            {"create": False, "name": ref.name, "key": ref.key} if injection.repoint_ca_env
            else {"create": True, "name": ref.name, "key": ref.key,
                  "data": injection.trust.pem().decode("ascii")})
        values["extraVolumes"] = [dict(w.manifest, secret={"secretName": name})
                                  for w in trust.volumes]
    wants = _merged_wants(injection)
    for container in _containers(owner):
        env = [dict(w.desired(None)) for w in wants.env_for(container)]
        mounts = [dict(w.manifest) for w in wants.mounts]
        if container.get("name") == CONTROLLER_CONTAINER:
            values["extraEnv"] = [e for e in env if e["name"] not in CHART_FIXED_ENV]
            values["extraVolumeMounts"] = mounts
        elif is_fluent_bit(container):
            values["logShipping"] = {"extraEnv": env, "extraVolumeMounts": mounts}
    annotations = {k: v for k, (v, _) in rollout.wanted_annotations(injection).items()}
    if annotations:
        values["podAnnotations"] = annotations
    return Overlay(_without_empty(values), secrets)


def merge_user_values(overlay: dict[str, YamlNode], user: dict[str, YamlNode]
                      ) -> dict[str, YamlNode]:
    """The overlay with the user's own list entries kept: helm replaces a list given in a
    later values file, so theirs go first and ours replace the same name or path."""
    merged = dict(overlay)
    for key, field in LIST_KEYS.items():
        if key in overlay:
            merged[key] = _merge_list(user.get(key), overlay[key], field)
    shipping = user.get("logShipping")
    if not isinstance(shipping, dict):
        shipping = {}
    if "logShipping" in overlay:
        merged["logShipping"] = {
            key: _merge_list(shipping.get(key), overlay["logShipping"][key], field)
            for key, field in LOG_SHIPPING_LIST_KEYS.items() if key in overlay["logShipping"]}
    if isinstance(user.get("podAnnotations"), dict) and "podAnnotations" in overlay:
        merged["podAnnotations"] = {**user["podAnnotations"], **overlay["podAnnotations"]}
    return merged


def _merge_list(theirs: YamlNode, ours: list[YamlNode], field: str) -> list[YamlNode]:
    names = {entry[field] for entry in ours}
    kept = [entry for entry in theirs or [] if not (
        isinstance(entry, dict) and entry.get(field) in names)]
    return kept + ours


def _merged_wants(injection: Injection) -> PodWants:
    from post_renderer.render.filters.protocol import merge_wants
    from post_renderer.render.plan import FILTERS

    return merge_wants(f.pod_wants(injection) for f in FILTERS)


def _containers(workload: Resource) -> list[dict[str, YamlNode]]:
    pod_spec = get_path(workload.document, POD_SPEC_PATHS[workload.kind])
    return [container for _, _, container in containers(pod_spec)]


def _without_empty(values: dict[str, YamlNode]) -> dict[str, YamlNode]:
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            value = _without_empty(value)
        if value or value == "" or value is False:
            out[key] = value
    return out


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
