"""What the API server stores in a namespace, read back, and what a kubelet would make of it.

``Stored.read(api, namespace)`` takes the Deployments, DaemonSets, Secrets and ConfigMaps
as stored. ``pod_problems`` lists every reason a pod of theirs (and of the auto-update Job
embedded in the chart's ConfigMap) could not start as meant: an env name twice in a
container, a mount without its volume, a Secret or ConfigMap (or a key of it) that a
reference, a volume or a ``subPath`` needs and the namespace lacks. An ``optional`` reference
may miss, except to a Secret of ocean-proxy's (``*ocean-proxy*``): without it, a container
would start quietly without the proxy or the CA. ``leaks`` lists every place a secret shows
in plain sight: a ConfigMap, an annotation, a plain env value.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from post_renderer.job_renderer import AGENTS_TEMPLATE

from .server import ApiServer

JOB_KEY = "auto-update.job"
KEEP = ("helm.sh/resource-policy", "keep")
OURS = "ocean-proxy"
# an item of ocean-proxy's (optional) Job volume that only a release with agents to edit holds
MAY_BE_ABSENT = {AGENTS_TEMPLATE}
Object = dict[str, Any]


@dataclass(frozen=True)
class Stored:
    """The namespace's objects by kind and name."""

    deployments: dict[str, Object]
    secrets: dict[str, Object]
    configmaps: dict[str, Object]
    daemonsets: dict[str, Object]

    @classmethod
    def read(cls, api: ApiServer, namespace: str) -> Stored:
        kinds = ("Deployment", "Secret", "ConfigMap", "DaemonSet")
        by_kind: dict[str, dict[str, Object]] = {kind: {} for kind in kinds}
        for item in api.list("deployments,secrets,configmaps,daemonsets", namespace):
            by_kind[item["kind"]][item["metadata"]["name"]] = item
        return cls(*(by_kind[kind] for kind in kinds))

    def keys(self, kind: str, name: str) -> set[str] | None:
        """The data keys of a Secret or ConfigMap, or None when it does not exist."""
        found = (self.secrets if kind == "Secret" else self.configmaps).get(name)
        if found is None:
            return None
        return {*(found.get("data") or {}), *(found.get("binaryData") or {})}

    def secret_text(self, name: str, key: str) -> str:
        return base64.b64decode(self.secrets[name]["data"][key]).decode()

    def kept_secrets(self) -> set[str]:
        return {name for name, secret in self.secrets.items()
                if (secret["metadata"].get("annotations") or {}).get(KEEP[0]) == KEEP[1]}

    def pod_templates(self) -> dict[str, Object]:
        """Each Deployment's and DaemonSet's pod template, and the auto-update Job's
        (``job:<ConfigMap>``)."""
        templates = {f"{kind}:{name}": workload["spec"]["template"]
                     for kind, workloads in (("deployment", self.deployments),
                                             ("daemonset", self.daemonsets))
                     for name, workload in workloads.items()}
        for name, configmap in self.configmaps.items():
            text = (configmap.get("data") or {}).get(JOB_KEY)
            if text:
                templates[f"job:{name}"] = yaml.safe_load(text)["spec"]["template"]
        return templates


def _containers(spec: Object) -> Iterator[Object]:
    yield from spec.get("initContainers") or []
    yield from spec.get("containers") or []


def _required(ref: Object, name: str) -> bool:
    return not ref.get("optional") or OURS in name


def _missing(stored: Stored, kind: str, name: str, keys: Iterable[str]) -> list[str]:
    present = stored.keys(kind, name)
    if present is None:
        return [f"{kind} {name!r} does not exist"]
    return [f"{kind} {name!r} has no key {key!r}" for key in keys if key not in present]


def _env_problems(stored: Stored, container: Object) -> list[str]:
    names = [entry["name"] for entry in container.get("env") or []]
    problems = [f"env {n} set {names.count(n)} times" for n in sorted(set(names))
                if names.count(n) > 1]
    for entry in container.get("env") or []:
        source = entry.get("valueFrom") or {}
        for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            ref = source.get(field)
            if ref and _required(ref, ref["name"]):
                problems += [f"env {entry['name']}: {p}"
                             for p in _missing(stored, kind, ref["name"], [ref["key"]])]
    for entry in container.get("envFrom") or []:
        for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
            ref = entry.get(field)
            if ref and _required(ref, ref["name"]):
                problems += _missing(stored, kind, ref["name"], [])
    return problems


def _volume_source(volume: Object) -> tuple[str, str, bool, list[str]] | None:
    """(kind, name, optional, keys it names) of a Secret or ConfigMap volume."""
    for field, kind, name_field in (("secret", "Secret", "secretName"),
                                    ("configMap", "ConfigMap", "name")):
        if field in volume:
            source = volume[field]
            items = [item["key"] for item in source.get("items") or []]
            return kind, source[name_field], bool(source.get("optional")), items
    return None


def _mount_problems(stored: Stored, container: Object, volumes: dict[str, Object]) -> list[str]:
    problems = []
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount["name"])
        where = f"mount {mount['mountPath']}"
        if volume is None:
            problems.append(f"{where}: no volume {mount['name']!r}")
            continue
        source = _volume_source(volume)
        if source is None or (source[2] and OURS not in source[1]):
            continue
        kind, name, optional, items = source
        if optional:  # the kubelet skips an item the Secret lacks; ours must hold all others
            items = [key for key in items if key not in MAY_BE_ABSENT]
        sub_path = mount.get("subPath")
        # a subPath that is not a file of the volume mounts an empty directory instead
        wanted = [*items] + ([sub_path] if sub_path and not items else [])
        problems += [f"{where}: {p}" for p in _missing(stored, kind, name, wanted)]
    return problems


def pod_problems(stored: Stored) -> list[str]:
    """Everything that would keep a stored pod template from starting as meant."""
    problems = []
    for where, template in stored.pod_templates().items():
        spec = template["spec"]
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        for container in _containers(spec):
            found = [*_env_problems(stored, container),
                     *_mount_problems(stored, container, volumes)]
            problems += [f"{where} container {container['name']}: {p}" for p in found]
    return problems


def _annotations(stored: Stored) -> Iterator[tuple[str, str]]:
    for kind, objects in (("Deployment", stored.deployments), ("DaemonSet", stored.daemonsets),
                          ("Secret", stored.secrets), ("ConfigMap", stored.configmaps)):
        for name, obj in objects.items():
            for key, value in (obj["metadata"].get("annotations") or {}).items():
                yield f"{kind} {name} annotation {key}", value
    for where, template in stored.pod_templates().items():
        for key, value in ((template.get("metadata") or {}).get("annotations") or {}).items():
            yield f"{where} pod annotation {key}", value


def _plain_values(stored: Stored) -> Iterator[tuple[str, str]]:
    for name, configmap in stored.configmaps.items():
        for key, value in (configmap.get("data") or {}).items():
            yield f"ConfigMap {name} key {key}", value
    yield from _annotations(stored)
    for where, template in stored.pod_templates().items():
        for container in _containers(template["spec"]):
            for entry in container.get("env") or []:
                if "value" in entry:
                    yield f"{where} container {container['name']} env {entry['name']}", \
                        entry["value"]


def leaks(stored: Stored, secrets: Iterable[str]) -> list[str]:
    """Where any of ``secrets`` (say, a proxy password, also percent-encoded) is in plain sight."""
    wanted = [s for s in secrets if s]
    return [where for where, value in _plain_values(stored)
            if any(secret in str(value) for secret in wanted)]
