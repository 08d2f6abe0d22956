"""What the kubelet gives one container of a rendered pod spec: its environment and its
Secret files, worked out from the rendered manifests alone (pure: manifests in, data out).

Emulated, as the kubelet does it:

- ``env`` in order, after ``envFrom``: ``value`` with dependent-variable expansion
  (``$(VAR)`` from earlier variables and the service variables, ``$$`` for a literal ``$``,
  unknown references left as they are), ``valueFrom`` ``secretKeyRef``/``configMapKeyRef``
  from the rendered Secrets/ConfigMaps (``optional`` honoured: skipped when missing, else
  the container cannot start), ``fieldRef`` from fixed stand-in values. The service
  variables (``KUBERNETES_SERVICE_HOST``...) come last unless the container set them.
- What the runtime adds: ``PATH`` (the image's), ``HOSTNAME`` (the pod's name) and ``HOME``.
- Secret volumes: the files of each ``volumeMount`` of a ``secret`` volume (``items``,
  ``optional``, ``subPath``; a subPath the volume lacks is an empty directory, as the kubelet
  makes it, listed in ``ContainerView.empty_directories``) in the kubelet's atomic-writer
  layout: a timestamped directory, a ``..data`` link to it, and one link per key (Go's
  CA-directory reader skips only links that stay inside the directory, so the layout
  matters). Each file has its item's
  ``mode``, else the volume's ``defaultMode``, else 0644, as the kubelet sets them.

Not emulated: other volume types (ConfigMaps, emptyDirs) are left out, and refused if they
would land under ``/etc`` where trust lives; ``resourceFieldRef``; other namespaces.

    >>> expand("$(A)-$$(A)-$(B)", {"A": "x"})
    'x-$(A)-$(B)'
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

POD_NAME = "ocean-controller-ocean-kubernetes-controller-7d9c6b5f4-x2x7q"
SERVICE_ENV = {
    "KUBERNETES_SERVICE_HOST": "10.96.0.1",
    "KUBERNETES_SERVICE_PORT": "443",
    "KUBERNETES_SERVICE_PORT_HTTPS": "443",
    "KUBERNETES_PORT": "tcp://10.96.0.1:443",
    "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443",
    "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
    "KUBERNETES_PORT_443_TCP_PORT": "443",
    "KUBERNETES_PORT_443_TCP_ADDR": "10.96.0.1",
}
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TRUST_ROOT = "/etc"  # where a dropped volume could change what a client trusts
ATOMIC_DIR = "..2024_01_01_00_00_00.000000001"
DEFAULT_MODE = 0o644  # the API server's default for a Secret volume's defaultMode


class ContainerCannotStart(Exception):
    """What the kubelet reports as CreateContainerConfigError: a required ref is missing."""


class FileNotMounted(Exception):
    """The container starts, but a file mounted by name (``subPath``) that its Secret lacks is
    an empty directory: not the container the pod spec meant. Raised unless the caller takes
    such a view (``empty_directories_ok``)."""


class NotEmulated(Exception):
    """The pod spec uses something this view does not reproduce, so a result would lie."""


@dataclass(frozen=True)
class SecretMount:
    """One volumeMount of a Secret volume (read-only, as the kubelet always mounts them):
    the volume's files, and which part of it is mounted."""

    mount_path: str
    volume: str
    files: Mapping[str, bytes]  # path inside the volume -> content
    sub_path: str | None = None
    modes: Mapping[str, int] = field(default_factory=dict)  # path -> mode, when not 0644
    # a subPath the volume lacks: the kubelet makes it an empty directory, and the container
    # starts with that directory where the file was meant to be (kubernetes#126186)
    sub_path_missing: bool = False


@dataclass(frozen=True)
class ContainerView:
    name: str
    env: dict[str, str]
    secret_mounts: tuple[SecretMount, ...] = field(default=())

    @property
    def empty_directories(self) -> list[str]:
        """Mount paths that got an empty directory instead of the file their subPath names."""
        return [m.mount_path for m in self.secret_mounts if m.sub_path_missing]


def expand(value: str, defined: Mapping[str, str]) -> str:
    """Kubernetes' dependent-variable expansion (k8s.io/kubernetes third_party expansion)."""
    out, cursor = [], 0
    while cursor < len(value):
        char = value[cursor]
        if char != "$" or cursor + 1 == len(value):
            out.append(char)
            cursor += 1
            continue
        following = value[cursor + 1]
        if following == "$":
            out.append("$")
            cursor += 2
        elif following == "(" and ")" in value[cursor + 2:]:
            end = value.index(")", cursor + 2)
            name = value[cursor + 2:end]
            out.append(defined.get(name, f"$({name})"))
            cursor = end + 1
        else:
            out.append("$" + following)
            cursor += 2
    return "".join(out)


class Manifests:
    """The rendered Secrets and ConfigMaps of one namespace, decoded, by name."""

    def __init__(self, docs: Sequence[dict[str, Any]]) -> None:
        self.secrets: dict[str, dict[str, bytes]] = {}
        self.configmaps: dict[str, dict[str, bytes]] = {}
        for doc in docs:
            name = doc.get("metadata", {}).get("name")
            if doc.get("kind") == "Secret":
                data = {k: base64.b64decode(v) for k, v in (doc.get("data") or {}).items()}
                data.update((k, v.encode()) for k, v in (doc.get("stringData") or {}).items())
                self.secrets[name] = data
            elif doc.get("kind") == "ConfigMap":
                data = {k: v.encode() for k, v in (doc.get("data") or {}).items()}
                data.update((k, base64.b64decode(v))
                            for k, v in (doc.get("binaryData") or {}).items())
                self.configmaps[name] = data

    def key(self, kind: str, ref: Mapping[str, Any]) -> bytes | None:
        """The value of a secretKeyRef/configMapKeyRef; None when missing and optional."""
        objects = self.secrets if kind == "secretKeyRef" else self.configmaps
        data = objects.get(ref["name"])
        if data is not None and ref["key"] in data:
            return data[ref["key"]]
        if ref.get("optional"):
            return None
        raise ContainerCannotStart(f"{kind} {ref['name']}/{ref['key']} does not exist")


def container_view(docs: Sequence[dict[str, Any]], pod_template: dict[str, Any],
                   name: str, *, namespace: str,
                   empty_directories_ok: bool = False) -> ContainerView:
    """The environment and Secret files the kubelet gives container ``name`` of the pod;
    FileNotMounted where a file mounted by name is an empty directory, unless
    ``empty_directories_ok``."""
    spec = pod_template["spec"]
    found = [c for c in spec.get("containers", []) if c["name"] == name]
    if len(found) != 1:
        raise NotEmulated(f"container {name!r} not in the pod spec")
    container, manifests = found[0], Manifests(docs)
    env = container_env(container, manifests, {
        "metadata.name": POD_NAME, "metadata.namespace": namespace, "spec.nodeName": "node-1",
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.podIP": "10.244.1.17", "status.hostIP": "172.18.0.2",
    })
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    mounts = tuple(m for mount in container.get("volumeMounts") or []
                   if (m := _secret_mount(mount, volumes.get(mount["name"]), manifests)))
    view = ContainerView(name, env, mounts)
    if view.empty_directories and not empty_directories_ok:
        raise FileNotMounted(f"{name}: an empty directory at {', '.join(view.empty_directories)}"
                             ": its subPath is not in the Secret volume")
    return view


def container_env(container: dict[str, Any], manifests: Manifests,
                  fields: Mapping[str, str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        env.update(_env_from(source, manifests))
    for entry in container.get("env") or []:
        value = _env_value(entry, env, manifests, fields)
        if value is not None:
            env[entry["name"]] = value
    for name, value in SERVICE_ENV.items():
        env.setdefault(name, value)
    env.setdefault("PATH", IMAGE_PATH)
    env.setdefault("HOSTNAME", POD_NAME)
    return env


def _env_value(entry: dict[str, Any], defined: dict[str, str], manifests: Manifests,
               fields: Mapping[str, str]) -> str | None:
    source = entry.get("valueFrom")
    if source is None:
        return expand(entry.get("value", ""), {**SERVICE_ENV, **defined})
    for kind in ("secretKeyRef", "configMapKeyRef"):
        if kind in source:
            value = manifests.key(kind, source[kind])
            return None if value is None else value.decode()
    if "fieldRef" in source and source["fieldRef"]["fieldPath"] in fields:
        return fields[source["fieldRef"]["fieldPath"]]
    raise NotEmulated(f"env {entry['name']}: valueFrom {source}")


def _env_from(source: dict[str, Any], manifests: Manifests) -> dict[str, str]:
    kind, objects = (("secretRef", manifests.secrets) if "secretRef" in source
                     else ("configMapRef", manifests.configmaps))
    ref = source[kind]
    data = objects.get(ref["name"])
    if data is None:
        if ref.get("optional"):
            return {}
        raise ContainerCannotStart(f"envFrom {kind} {ref['name']} does not exist")
    prefix = source.get("prefix", "")
    return {prefix + key: value.decode() for key, value in data.items()}


def _secret_mount(mount: dict[str, Any], volume: dict[str, Any] | None,
                  manifests: Manifests) -> SecretMount | None:
    if volume is None:
        raise ContainerCannotStart(f"volumeMount of undeclared volume {mount['name']!r}")
    if "secret" not in volume:
        if mount["mountPath"].startswith(TRUST_ROOT + "/"):
            raise NotEmulated(f"{mount['mountPath']}: only Secret volumes are materialised")
        return None
    files = _secret_files(volume["secret"], manifests)
    modes = _secret_modes(volume["secret"], files)
    sub_path = mount.get("subPath") or None
    missing = sub_path is not None and not any(p == sub_path or p.startswith(sub_path + "/")
                                               for p in files)
    return SecretMount(mount["mountPath"], mount["name"], files, sub_path, modes, missing)


def _secret_modes(source: dict[str, Any], files: Mapping[str, bytes]) -> dict[str, int]:
    default = source.get("defaultMode", DEFAULT_MODE)
    modes = {path: default for path in files}
    modes.update((item["path"], item["mode"]) for item in source.get("items") or []
                 if "mode" in item and item["path"] in files)
    return {path: mode for path, mode in modes.items() if mode != DEFAULT_MODE}


def _secret_files(source: dict[str, Any], manifests: Manifests) -> dict[str, bytes]:
    data = manifests.secrets.get(source["secretName"])
    if data is None:
        if source.get("optional"):
            return {}
        raise ContainerCannotStart(f"Secret {source['secretName']} does not exist")
    items = source.get("items")
    if not items:
        return dict(data)
    files = {}
    for item in items:
        if item["key"] in data:
            files[item["path"]] = data[item["key"]]
        elif not source.get("optional"):
            raise ContainerCannotStart(f"Secret {source['secretName']} has no key "
                                       f"{item['key']!r}")
    return files
