"""What a pod's env entry reads: the ConfigMap or Secret key of its ``valueFrom``, and the
text the release renders there.

    key_ref({"name": "HTTPS_PROXY", "valueFrom": {"configMapKeyRef":
             {"name": "x", "key": "proxy-url"}}})  # KeyRef("ConfigMap", "x", "proxy-url")
"""

import base64
import binascii
from collections.abc import Callable
from typing import NamedTuple

from post_renderer.errors import ManifestError
from post_renderer.render.release.owned_names import HASH_KEY, OwnedNames
from post_renderer.render.release.release import Release, Resource
from post_renderer.render.release.workloads import CONTROLLER_CONTAINER
from post_renderer.render.stream.kube import (
    KEY_REF_KINDS,
    YamlNode,
    env_entries,
    get_path,
    used_env_entries,
)

_REF_FIELD = {kind: field for field, kind in KEY_REF_KINDS}


class KeyRef(NamedTuple):
    """A key of a ConfigMap or Secret, as ``valueFrom`` refers to it."""

    kind: str
    name: str
    key: str

    def __str__(self) -> str:
        if not self.key:  # 'valueFrom.configMapKeyRef.key: Required value', from the API server
            return (f"{self.kind} '{self.name}' (the reference names no key: the API server "
                    "refuses it)")
        return f"{self.kind} '{self.name}' key '{self.key}'"


def sets_nothing(release: Release) -> Callable[[dict[str, YamlNode]], bool]:
    """Does an env entry set nothing, as far as the release shows: an optional reference to
    a key its ConfigMap or Secret here lacks, or to the chart's CA Secret, which the release
    does not render (no caBundleSecret.create=true). Another object the release does not
    render may well be in the cluster (a Secret of the user's own, read in extraEnv): the
    kubelet gives what it holds."""
    own_ca = {OwnedNames(w.name).chart_ca for w in release.workloads}

    def sets_nothing_here(entry: dict[str, YamlNode]) -> bool:
        ref = key_ref(entry)
        if ref is None or get_path(entry, ("valueFrom", _REF_FIELD[ref.kind], "optional")) \
                is not True:
            return False
        found = release.get(ref.kind, ref.name)
        if found is None:
            return ref.kind == "Secret" and ref.name in own_ca
        return not _has_key(found, ref.key)
    return sets_nothing_here


def bundle_ref(release: Release, entry: YamlNode) -> KeyRef | None:
    """The Secret key an entry reads, when the release renders it."""
    ref = key_ref(entry)
    secret = release.get("Secret", ref.name) if ref is not None and ref.kind == "Secret" \
        else None
    return ref if ref is not None and secret is not None and _has_key(secret, ref.key) \
        else None


def first_env(release: Release, names: tuple[str, ...]) -> dict[str, YamlNode] | None:
    """The first entry of these names that Kubernetes gives a container."""
    for workload in release.workloads:
        for found in used_env_entries(workload.document, workload.kind,
                                      sets_nothing(release)):
            if found.entry.get("name") in names:
                return found.entry
    return None


def key_ref(entry: YamlNode) -> KeyRef | None:
    """The key an entry's ``valueFrom`` reads, if it reads one."""
    for field, kind in KEY_REF_KINDS:
        ref = get_path(entry, ("valueFrom", field))
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            return KeyRef(kind, ref["name"], str(ref.get("key", "")))
    return None


def entry_text(release: Release, entry: dict[str, YamlNode], ref: KeyRef | None
               ) -> str | None:
    """The entry's value, or the text at ``ref`` where the release renders it."""
    if ref is None:
        value = entry.get("value")
        return value if isinstance(value, str) else None
    resource = release.get(ref.kind, ref.name)
    if resource is None:
        return None
    if ref.kind == "Secret":
        return secret_bytes(resource, ref.key).decode("utf-8", "replace") or None
    value = get_path(resource.document, ("data", ref.key))
    return value if isinstance(value, str) else None


def read_by_controller(release: Release, configmap: str) -> bool:
    """Does the controller container read a key of this ConfigMap (HTTPS_PROXY, or PROXY_URL
    on charts 0.1.0 to 0.1.3)?"""
    return any(found.container.get("name") == CONTROLLER_CONTAINER and get_path(
        found.entry, ("valueFrom", "configMapKeyRef", "name")) == configmap
        for w in release.workloads for found in env_entries(w.document, w.kind))


def only_ca_files(secret: Resource, bundle_key: str) -> bool:
    """Does the Secret hold only the bundle and CA files by hash (no token, no account)?"""
    keys = {key for field in ("data", "stringData")
            for key in (get_path(secret.document, (field,)) or {})}
    return all(key == bundle_key or HASH_KEY.match(str(key)) for key in keys)


def _has_key(secret: Resource, key: str) -> bool:
    return any(isinstance(get_path(secret.document, (field, key)), str)
               for field in ("data", "stringData"))


def secret_bytes(secret: Resource, key: str) -> bytes:
    plain = get_path(secret.document, ("stringData", key))
    if isinstance(plain, str):
        return plain.encode("utf-8")
    encoded = get_path(secret.document, ("data", key))
    if not isinstance(encoded, str):
        return b""
    try:
        return base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ManifestError(
            f"Secret '{secret.name}' key '{key}' is not valid base64",
            hint="a Secret's data values are base64; check how the chart was given its value",
        ) from None
