"""Trust filter: every injected container trusts the corporate CAs and still the public ones.

The validated bundle goes into the chart's CA Secret (so ``USER_ENV_CERTIFICATES`` keeps
working), with one extra key per CA named by OpenSSL's subject hash. Each container gets:

- ``/etc/ssl/certs/<hash>.0`` (subPath mounts): OpenSSL's CA-directory lookup, which is how
  fluent-bit finds issuers besides its fixed ``/etc/ssl/certs/ca-certificates.crt``. The
  image's public roots stay where they are; nothing is hidden.
- ``/etc/ocean-proxy/ca`` with ``SSL_CERT_DIR`` listing it after the usual directories:
  Go reads every file of every listed directory, in addition to its default bundle file.
  ``SSL_CERT_FILE`` is not set, because it would replace the image's public bundle for Go.
  That directory is a second volume of the same Secret listing the bundle alone (``items``):
  a kept Secret that helm 3 takes over again (a reinstall, an upgrade that brings a CA back)
  keeps the keys of CAs since taken out of the bundle, which Go would trust from a whole
  Secret. The per-CA files are mounted by name (``subPath``) from the whole Secret: a key a
  pod template names and the Secret no longer has (an upgrade whose Deployment the server
  refused) leaves an empty directory there rather than keeping the pod from starting, as an
  ``items`` entry would.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.owned_secrets import secret_changes
from post_renderer.render.plan.pod_patch import PodEntry, PodWants
from post_renderer.render.plan.protocol import PlanContext, Proposal
from post_renderer.render.release.key_refs import KeyRef
from post_renderer.render.release.owned_names import HASH_KEY
from post_renderer.render.release.release import Release
from post_renderer.render.stream.kube import (
    CA_ENV,
    YamlNode,
    get_path,
)

if TYPE_CHECKING:
    from post_renderer.trust import TrustBundle

VOLUME = "ocean-proxy-ca"
BUNDLE_VOLUME = "ocean-proxy-ca-bundle"
CA_DIR = "/etc/ocean-proxy/ca"
OPENSSL_DIR = "/etc/ssl/certs"
GO_DEFAULT_DIRS = ("/etc/ssl/certs", "/etc/pki/tls/certs")


def hashed_names(bundle: TrustBundle) -> list[tuple[str, bytes]]:
    """(``<hash>.<n>``, PEM) per CA; CAs sharing a subject (a renewed root) count up n."""
    seen: dict[str, int] = {}
    names = []
    for cert in bundle.certificates:
        n = seen.get(cert.subject_hash, 0)
        seen[cert.subject_hash] = n + 1
        names.append((f"{cert.subject_hash}.{n}", cert.pem()))
    return names


def pod_wants(injection: Injection) -> PodWants:
    if injection.trust is None or injection.ca_secret is None:
        return PodWants()
    mounts = [PodEntry(CA_DIR, {"name": BUNDLE_VOLUME, "mountPath": CA_DIR, "readOnly": True},
                       "the CA bundle, where Go (SSL_CERT_DIR) reads it")]
    mounts += [
        PodEntry(f"{OPENSSL_DIR}/{name}", {"name": VOLUME, "mountPath": f"{OPENSSL_DIR}/{name}",
                                          "subPath": name, "readOnly": True},
               "the CA where OpenSSL (the log-shipper) looks it up")
        for name, _ in hashed_names(injection.trust)
    ]
    secret = injection.ca_volume_secret or injection.ca_secret.name
    volumes = (
        PodEntry(VOLUME, {"name": VOLUME, "secret": {"secretName": secret}},
                 "the validated CA bundle"),
        PodEntry(BUNDLE_VOLUME, {"name": BUNDLE_VOLUME, "secret": {
            "secretName": secret, "items": [{"key": injection.ca_secret.key,
                                             "path": injection.ca_secret.key}]}},
                 "the validated CA bundle alone, for Go's CA directory"),
    )
    cert_dir = PodEntry("SSL_CERT_DIR", {"name": "SSL_CERT_DIR", "value": _cert_dirs(None)},
                      "Go reads the CA directory besides the image's public roots",
                      merge=_merge_cert_dir)
    return PodWants(env=(cert_dir,), mounts=tuple(mounts), volumes=volumes, owned_volume=VOLUME,
                    env_in_place=(_ca_env(injection.ca_secret),))


def _ca_env(ref: KeyRef) -> PodEntry:
    """``USER_ENV_CERTIFICATES`` reads the validated bundle, in every container that has it,
    once: Kubernetes gives a container the last entry of a name, so an ``extraEnv`` one
    after the chart's (a CA written in the pod spec) would hide the bundle written here."""
    wanted = {"name": CA_ENV, "valueFrom": {"secretKeyRef": {
        "name": ref.name, "key": ref.key, "optional": True}}}

    def reading_the_bundle(existing: YamlNode) -> dict[str, YamlNode]:
        return dict(existing) if _read_key(existing) == (ref.name, ref.key) else wanted

    return PodEntry(CA_ENV, wanted, "USER_ENV_CERTIFICATES reads the validated bundle",
                    reading_the_bundle)


def _cert_dirs(existing: str | None) -> str:
    dirs = [d for d in (existing or "").split(":") if d] or list(GO_DEFAULT_DIRS)
    return ":".join([*dirs, CA_DIR] if CA_DIR not in dirs else dirs)


def _merge_cert_dir(existing: YamlNode) -> dict[str, YamlNode]:
    value = existing.get("value") if isinstance(existing, dict) else None
    return {"name": "SSL_CERT_DIR", "value": _cert_dirs(value if isinstance(value, str) else None)}


def propose(context: PlanContext) -> list[Proposal]:
    release, injection = context.release, context.injection
    if injection.trust is None or injection.ca_secret is None:
        return []
    if injection.ca_secret.name in injection.read_only_secrets:
        return []  # the controller's unit writes it
    data = secret_data(injection.trust, injection.ca_secret.key)
    stale = stale_hash_keys(release, injection.ca_secret.name)
    return secret_changes(release, injection.ca_secret.name, data, stale,
                          "the validated CA bundle, and each CA by its OpenSSL hash",
                          keep=injection.repoint_ca_env and (
                              injection.values_shape or injection.overlay is not None))


def stale_hash_keys(release: Release, secret: str) -> dict[str, str]:
    """The per-CA keys a Secret of the stream has, each with the reason to drop it if the
    bundle no longer has that CA."""
    existing = release.get("Secret", secret)
    current = get_path(existing.document, ("data",)) if existing else None
    return {key: "a CA no longer in the bundle" for key in (current or {})
            if isinstance(key, str) and HASH_KEY.match(key)}


def secret_data(bundle: TrustBundle, key: str) -> dict[str, str]:
    """The CA Secret's data (base64): the bundle under ``key``, and each CA by its hash."""
    data = {key: _b64(bundle.pem())}
    data.update((name, _b64(pem)) for name, pem in hashed_names(bundle))
    return data


def _read_key(entry: YamlNode) -> tuple[YamlNode, YamlNode]:
    source = get_path(entry, ("valueFrom", "secretKeyRef"))
    return (source.get("name"), source.get("key")) if isinstance(source, dict) else (None, None)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
