"""What the auto-update Job's post-renderer gives again to a Spot agent the controller chart
renders beside the controller (the metric exporter, the network client).

No value of the chart carries ocean-proxy's change to them, so the Job's post-renderer makes
it again in the release its 'helm upgrade' renders (``job/templates/_agents.tpl``). The
edit is what of the agent's pod, as the render leaves it, is ocean-proxy's (the names its
plan wants): one container's env entries, set (replaced in place, or added at the end), its
mounts and the pod's volumes and annotations, added::

    {"kind": "DaemonSet", "name": "rel-ocean-network-client", "namespace": "spot-system",
     "container": "spotinst-ocean-network-client",
     "env": [{"name": "HTTPS_PROXY", ...}, ...], "volumeMounts": [...], "volumes": [...],
     "annotations": {"checksum/ca-bundle": "...", "checksum/proxy": "..."}}

When that edit does not make the render's change exactly (an entry removed, two
containers changed, anything outside those lists), there is none: the render says what
the agent loses instead.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from post_renderer.render.stream.kube import PatchOp, YamlNode, pod_template_path


class Owned(NamedTuple):
    """What of a pod is ocean-proxy's: env names, mount paths, volume names, annotations."""

    env: frozenset[str]
    mounts: frozenset[str]
    volumes: frozenset[str]
    annotations: frozenset[str]


def agent_edit(kind: str, name: str, document: YamlNode, ops: list[PatchOp],
               owned: Owned) -> dict[str, Any] | None:
    """The edit the Job's post-renderer makes: what of ``owned`` the agent's pod has once
    ``ops`` are applied. None when it does not turn ``document`` into that pod exactly."""
    import jsonpatch

    if kind not in ("Deployment", "DaemonSet", "StatefulSet"):
        return None
    before = json.loads(json.dumps(document, default=str))
    after = jsonpatch.apply_patch(before, json.loads(json.dumps(ops, default=str)))
    template = _at(after, pod_template_path(kind))
    if not isinstance(template, dict):
        return None
    pod = template.get("spec") or {}
    ours = [c for c in pod.get("containers") or []
            if isinstance(c, dict) and (_own_env(c, owned) or _own_mounts(c, owned))]
    if len(ours) != 1:
        return None
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    edit = {"kind": kind, "name": name, "namespace": _namespace(before),
            "container": ours[0]["name"],
            "env": _own_env(ours[0], owned), "volumeMounts": _own_mounts(ours[0], owned),
            "volumes": [v for v in pod.get("volumes") or [] if _named(v, "name", owned.volumes)],
            "annotations": {key: value for key, value in annotations.items()
                            if key in owned.annotations}}
    # run on its own output, the render changes nothing: the pod is already the edited one
    if ops and apply_edit(before, edit) != after:
        return None
    return edit


def apply_edit(document: dict[str, Any], edit: dict[str, Any]) -> dict[str, Any] | None:
    """``document`` with ``edit`` made as the Job's post-renderer makes it: env entries
    replaced in place or added, the rest added; None where it would refuse (a mount path,
    volume or annotation already there)."""
    out: dict[str, Any] = json.loads(json.dumps(document))
    template = _at(out, pod_template_path(edit["kind"]))
    pod = template["spec"]
    (container,) = [c for c in pod["containers"]
                    if isinstance(c, dict) and c.get("name") == edit["container"]]
    env = list(container.get("env") or [])
    names = _fields(env, "name")
    for entry in edit["env"]:
        if entry["name"] in names:
            env[names.index(entry["name"])] = entry
        else:
            env.append(entry)
    metadata = template.setdefault("metadata", {})
    annotations = metadata.get("annotations") or {}
    if not all(isinstance(items, list) for items in (container.get("volumeMounts") or [],
                                                     pod.get("volumes") or [])):
        return None  # text where a list belongs: nothing to add to, the API server refuses it
    if set(_fields(container.get("volumeMounts"), "mountPath")) & \
            set(_fields(edit["volumeMounts"], "mountPath")) or \
            set(_fields(pod.get("volumes"), "name")) & set(_fields(edit["volumes"], "name")) \
            or set(annotations) & set(edit["annotations"]):
        return None
    if env:
        container["env"] = env
    if edit["volumeMounts"]:
        container["volumeMounts"] = (container.get("volumeMounts") or []) + edit["volumeMounts"]
    if edit["volumes"]:
        pod["volumes"] = (pod.get("volumes") or []) + edit["volumes"]
    if edit["annotations"]:
        metadata["annotations"] = {**annotations, **edit["annotations"]}
    return out


def _namespace(document: dict[str, Any]) -> str:
    """Its namespace as written ('' when helm's is meant): what tells it from a namesake."""
    return str((document.get("metadata") or {}).get("namespace") or "")


def _own_env(container: dict[str, Any], owned: Owned) -> list[Any]:
    return [e for e in container.get("env") or [] if _named(e, "name", owned.env)]


def _own_mounts(container: dict[str, Any], owned: Owned) -> list[Any]:
    return [m for m in container.get("volumeMounts") or [] if _named(m, "mountPath", owned.mounts)]


def _named(item: Any, key: str, names: frozenset[str]) -> bool:
    """Whether ``item`` is a mapping whose ``key`` is one of ``names``."""
    return isinstance(item, dict) and isinstance(item.get(key), str) and item[key] in names


def _fields(items: Any, key: str) -> list[str | None]:
    """Each item's ``key`` where it is text, else None: charts put anything anywhere (a list
    for a mount path), and only text can be compared by name."""
    return [item.get(key) if isinstance(item, dict) and isinstance(item.get(key), str) else None
            for item in (items if isinstance(items, list) else [])]


def _at(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node
