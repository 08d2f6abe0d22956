"""Overlay: the injection written as the chart's own values, so a values-only upgrade keeps it.

The vendor's auto-update runs ``helm upgrade --values <the release's values>`` with no
post-renderer. Written as values, the injection is rendered by the chart itself::

    spotinst: {proxyUrl: ""}          # the chart's HTTPS_PROXY and NO_PROXY step aside
    caBundleSecret: {create: true, name: <fullname>-ca-bundle, key: ..., data: <validated>}
    extraEnv: [https_proxy, HTTP_PROXY, http_proxy, NO_PROXY, no_proxy, SSL_CERT_DIR]
    extraVolumes: [ocean-proxy-ca: Secret <fullname>-ocean-proxy-ca,
                   ocean-proxy-ca-bundle: the same Secret, its bundle key alone]
    extraVolumeMounts: [/etc/ocean-proxy/ca, /etc/ssl/certs/<hash>.0 ...]
    logShipping: {extraEnv: [...], extraVolumeMounts: [...]}   # since chart 0.1.53
    podAnnotations: {checksum/ca-bundle: ..., checksum/proxy: ...}

The controller container always carries the chart's ``HTTPS_PROXY`` (from the ConfigMap),
so the overlay cannot add that name (a duplicate env name fails Helm 4 and Helm 3
upgrades); with ``spotinst.proxyUrl`` blank it is empty, and Go reads ``https_proxy``.
The proxy credentials and the CA files live in Secrets the overlay refers to; the values
themselves hold no secret.
"""

import base64
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from post_renderer.errors import Paragraph, as_flags
from post_renderer.render.release.key_refs import KeyRef
from post_renderer.render.release.owned_names import OwnedNames
from post_renderer.render.release.release import Release, Resource
from post_renderer.render.release.workloads import CONTROLLER_CONTAINER, is_fluent_bit
from post_renderer.render.stream.kube import (
    CA_ENV,
    POD_SPEC_PATHS,
    YamlNode,
    containers,
    env_entries,
    get_path,
)

MIN_VERSION = (0, 1, 53)  # logShipping.extraEnv/extraVolumeMounts, for a log-shipper
HTTPS_PROXY_VERSION = (0, 1, 4)  # before it, the controller reads PROXY_URL
CHART_NAME = "ocean-kubernetes-controller"
CHART_FIXED_ENV = frozenset({"HTTPS_PROXY", "USER_ENV_CERTIFICATES"})
LIST_KEYS = {"extraEnv": "name", "extraVolumes": "name", "extraVolumeMounts": "mountPath"}
LOG_SHIPPING_LIST_KEYS = {"extraEnv": "name", "extraVolumeMounts": "mountPath"}
# The user's extraEnv entries dropped when the overlay gives a proxy (spotinst) or a CA
# (caBundleSecret): the controller's one HTTPS_PROXY and USER_ENV_CERTIFICATES are the
# chart's own, and a second one after it (an old workaround, a CA written in extraEnv) would
# win over it: Kubernetes gives a container the last entry of a name.
REPLACED_USER_ENTRIES = {"spotinst": ("HTTPS_PROXY",), "caBundleSecret": (CA_ENV,)}
# helm's own chart template writes the version's build metadata with '_' ('+' is no label
# character): 0.1.60+corp.5 is ocean-kubernetes-controller-0.1.60_corp.5
_CHART_LABEL = re.compile(rf"^{CHART_NAME}-(\d+)\.(\d+)\.(\d+)(?:[-+_].*)?$")


class Overlay(NamedTuple):
    """The values, and the Secrets (name -> data, base64) they refer to."""

    values: dict[str, YamlNode]
    secrets: dict[str, dict[str, str]]


def chart_version(release: Release) -> tuple[int, int, int] | None:
    """The chart's version, from the controller Deployment's ``helm.sh/chart`` label."""
    for workload in release.workloads:
        label = get_path(workload.document, ("metadata", "labels", "helm.sh/chart"))
        match = _CHART_LABEL.match(label) if isinstance(label, str) else None
        if match:
            return tuple(int(part) for part in match.groups())  # type: ignore[return-value]
    return None


def other_chart(release: Release) -> str | None:
    """What the workloads are when none is the controller (a metric exporter's chart, a
    network client's DaemonSet): another chart, whose values are not the controller's. None
    when a workload runs the controller container or carries the controller chart's label."""
    shown = []
    for workload in release.workloads:
        label = get_path(workload.document, ("metadata", "labels", "helm.sh/chart"))
        if isinstance(label, str) and label.startswith(f"{CHART_NAME}-"):
            return None
        if any(c.get("name") == CONTROLLER_CONTAINER for c in _containers(workload)):
            return None
        shown.append(label if isinstance(label, str) else f"{workload.kind} {workload.name}")
    return f"{shown[0]}" if shown else None


def why_not(release: Release) -> str | None:
    """Why this release cannot carry an overlay, or None when it can.

    Every chart version has ``extraEnv``, ``extraVolumes``, ``extraVolumeMounts`` and
    ``podAnnotations``; charts 0.1.0 to 0.1.31 have no log-shipper, so they need nothing more.
    """
    version = chart_version(release)
    if version is None and not _reads_only_proxy_url(release):  # the variables tell the era
        return (f"the manifests carry no '{CHART_NAME}-<version>' helm.sh/chart label on the "
                "controller, so its chart values are unknown")
    if version is None or version < HTTPS_PROXY_VERSION:
        return (f"{_chart(version)} gives the controller PROXY_URL, which only "
                "spotinst.proxyUrl fills (in plain text), and has no caBundleSecret")
    if version < MIN_VERSION and _has_log_shipper(release):
        return (f"{_chart(version)} is older than 0.1.53 and has no "
                "logShipping.extraEnv/extraVolumeMounts for the log-shipper")
    return None


NO_CA = "no CA bundle configured"  # how the notice starts


def no_ca_notice(release: Release) -> str:
    """What to say when a proxy is set and no CA: charts before 0.1.4 (their controller reads
    PROXY_URL) have no CA values, so the vendor's --set caBundleSecret... did nothing there.
    A CA given as caBundleSecret.data without create=true leaves no trace in the manifests:
    helm's command line tells (``commands.helm_values``)."""
    version = chart_version(release)
    before_ca_values = version < HTTPS_PROXY_VERSION if version else \
        _reads_only_proxy_url(release)  # no chart label: the controller's variables tell
    if before_ca_values:
        chart = _chart(version) + ("" if version else " (its controller reads PROXY_URL)")
        return Paragraph(
            f"{NO_CA}, and {chart} has no CA values (caBundleSecret came with "
            "0.1.4): fine if the proxy does not inspect TLS",
            "if it does, 'ocean-proxy discover-ca --proxy-url URL -o ca.pem' finds its CA; give "
            f"it with {as_flags('--ca-file=ca.pem')}")
    return Paragraph(f"{NO_CA}: fine if the proxy does not inspect TLS",
                     "if it does, 'ocean-proxy discover-ca --proxy-url URL -o ca.pem' finds "
                     "its CA")


def _chart(version: tuple[int, ...] | None) -> str:
    return f"chart {CHART_NAME} {'.'.join(map(str, version))}" if version else \
        f"the {CHART_NAME} chart of this release"


def _reads_only_proxy_url(release: Release) -> bool:
    names = {found.entry.get("name") for w in release.workloads
             for found in env_entries(w.document, w.kind)
             if found.container.get("name") == CONTROLLER_CONTAINER}
    return "PROXY_URL" in names and "HTTPS_PROXY" not in names


def _has_log_shipper(release: Release) -> bool:
    return any(is_fluent_bit(c) for w in release.workloads for c in _containers(w))


class PodValues(NamedTuple):
    """What the overlay is handed by the plan: the injection as manifests, named by nothing
    above this module (the filters that decide them import the overlay, not the reverse)."""

    proxy: bool  # a proxy is injected: the chart's own spotinst.proxyUrl steps aside
    proxy_secret: tuple[str, dict[str, str]] | None  # name, data: the URL with credentials
    ca_bundle: KeyRef | None  # where the chart's USER_ENV_CERTIFICATES reads the bundle
    ca_pem: str  # the validated bundle
    repoint_ca_env: bool  # the chart's CA Secret is not ours to create
    ca_files: dict[str, str]  # the CA files' Secret data, by subject hash
    volumes: list[dict[str, YamlNode]]  # the trust volumes, pointed at the CA files' Secret
    env_for: Callable[[dict[str, YamlNode]], list[dict[str, YamlNode]]]  # a container's env
    mounts: list[dict[str, YamlNode]]  # every injected container's mounts
    annotations: dict[str, str]  # the checksums that roll the pods


def build_overlay(pod: PodValues, release: Release) -> Overlay:
    owner = release.workloads[0]
    values: dict[str, Any] = {}
    secrets: dict[str, dict[str, str]] = {}
    if pod.proxy:
        values["spotinst"] = {"proxyUrl": ""}
        if pod.proxy_secret:
            secrets[pod.proxy_secret[0]] = pod.proxy_secret[1]
    if pod.ca_bundle is not None:
        name = OwnedNames(owner.name).ca
        secrets[name] = pod.ca_files
        ref = pod.ca_bundle
        values["caBundleSecret"] = (
            {"create": False, "name": ref.name, "key": ref.key} if pod.repoint_ca_env
            else {"create": True, "name": ref.name, "key": ref.key, "data": pod.ca_pem})
        values["extraVolumes"] = [dict(v, secret={**v["secret"], "secretName": name})
                                  for v in pod.volumes]
    for container in _containers(owner):
        env = pod.env_for(container)
        mounts = [dict(m) for m in pod.mounts]
        if container.get("name") == CONTROLLER_CONTAINER:
            values["extraEnv"] = [e for e in env if e["name"] not in CHART_FIXED_ENV]
            values["extraVolumeMounts"] = mounts
        elif is_fluent_bit(container):
            values["logShipping"] = {"extraEnv": env, "extraVolumeMounts": mounts}
    if pod.annotations:
        values["podAnnotations"] = dict(pod.annotations)
    return Overlay(_without_empty(values), secrets)


def merge_user_values(overlay: dict[str, YamlNode], user: dict[str, YamlNode]
                      ) -> dict[str, YamlNode]:
    """The overlay with the user's own list entries kept: helm replaces a list given in a
    later values file, so theirs go first and ours replace the same name or path."""
    merged = dict(overlay)
    replaced = replaced_user_entries(overlay)
    for key, field in LIST_KEYS.items():
        if key in overlay:
            merged[key] = _merge_list(user.get(key), overlay[key], field, replaced.get(key, ()))
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


def replaced_user_entries(overlay: dict[str, YamlNode]) -> dict[str, tuple[str, ...]]:
    """The user's list entries the overlay replaces besides those of its own names."""
    names = tuple(name for key, names in REPLACED_USER_ENTRIES.items() if key in overlay
                  for name in names)
    return {"extraEnv": names} if names else {}


def _merge_list(theirs: YamlNode, ours: list[YamlNode], field: str,
                replaced: tuple[str, ...] = ()) -> list[YamlNode]:
    names = {entry[field] for entry in ours} | set(replaced)
    kept = [entry for entry in theirs or [] if not (
        isinstance(entry, dict) and entry.get(field) in names)]
    return kept + ours


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
