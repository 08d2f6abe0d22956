"""Rollout filter: pod-template checksums that change exactly when trust or proxy changes.

``checksum/ca-bundle`` covers the set of trusted CA fingerprints (not their order,
whitespace or duplicates); ``checksum/proxy`` covers the proxy URL and the NO_PROXY set.
A changed CA or proxy therefore restarts the pods, which is what loads the new settings.

The proxy credentials are part of the checksum, since a new password must restart the
pods too, but the annotation is readable by anyone who can read pods, and must not let them
test password guesses. When the release renders the controller's Spot token in a Secret
(``SPOTINST_TOKEN``; the usual install), the credentials enter as an HMAC-SHA256 keyed by
that token: without the token, which only those who can read Secrets see (and they can read
the proxy Secret itself), a guess cannot be checked at all. Otherwise they enter through
scrypt, with a salt tied to the proxy, so a guess costs scrypt; that is the slowest step of
a render (about 50 ms), so it runs once per run, however many workloads, overlays and lints
ask for the annotation.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from post_renderer.proxy_settings.proxy_url import ProxyUrl
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.pod_patch import Change, PodWants
from post_renderer.render.plan.protocol import NO_WANTS, PlanContext, Proposal
from post_renderer.render.release.release import Resource
from post_renderer.render.stream.kube import YamlNode, get_path, pod_template_path, pointer

CA_ANNOTATION = "checksum/ca-bundle"
PROXY_ANNOTATION = "checksum/proxy"
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}


def pod_wants(injection: Injection) -> PodWants:
    return NO_WANTS


def propose(context: PlanContext) -> list[Proposal]:
    return [Proposal(workload, change) for workload in context.release.workloads
            for change in annotation_changes(workload, context.injection)]


def proxy_checksum(proxy: ProxyUrl, no_proxy: tuple[str, ...], key: bytes | None = None) -> str:
    """The proxy settings' checksum; ``key``, a secret pod readers cannot see, keys the
    credentials (else scrypt stretches them)."""
    lines = [f"proxy {proxy.without_credentials}"]
    lines += (f"no-proxy {entry}" for entry in sorted(set(no_proxy)))
    if proxy.has_credentials:
        secret = f"{proxy.username}:{proxy.password or ''}".encode()
        salt = f"ocean-proxy/{PROXY_ANNOTATION}/{proxy.netloc}".encode()
        digest = hmac.new(key, salt + b"\0" + secret, hashlib.sha256).hexdigest() if key \
            else _stretched(secret, salt)
        lines.append(f"credentials {digest}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@functools.lru_cache(maxsize=4)
def _stretched(secret: bytes, salt: bytes) -> str:
    return hashlib.scrypt(secret, salt=salt, **SCRYPT).hex()


def wanted_annotations(injection: Injection) -> dict[str, tuple[str, str]]:
    wanted = {}
    if injection.trust is not None:
        wanted[CA_ANNOTATION] = (injection.trust.checksum(),
                                 "restart the pods when the trusted CA set changes")
    if injection.proxy is not None:
        wanted[PROXY_ANNOTATION] = (proxy_checksum(injection.proxy.value, injection.no_proxy,
                                                   injection.checksum_key),
                                    "restart the pods when the proxy settings change")
    return wanted


def annotation_changes(workload: Resource, injection: Injection) -> list[Change]:
    wanted = wanted_annotations(injection)
    if not wanted:
        return []
    metadata_path = (*pod_template_path(workload.kind), "metadata")
    metadata = get_path(workload.document, metadata_path)
    annotations = get_path(metadata, ("annotations",))
    if not isinstance(metadata, dict):
        value: YamlNode = {"annotations": {k: v for k, (v, _) in wanted.items()}}
        return [Change({"op": "add", "path": pointer(*metadata_path), "value": value},
                       "; ".join(r for _, r in wanted.values()))]
    if not isinstance(annotations, dict):
        value = {k: v for k, (v, _) in wanted.items()}
        return [Change({"op": "add", "path": pointer(*metadata_path, "annotations"),
                        "value": value}, "; ".join(r for _, r in wanted.values()))]
    changes = []
    for key, (value, reason) in wanted.items():
        if annotations.get(key) != value:
            op = "replace" if key in annotations else "add"
            changes.append(Change({"op": op, "path": pointer(*metadata_path, "annotations", key),
                                   "value": value}, reason))
    return changes
