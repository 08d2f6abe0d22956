"""The smallest RFC 6902 patch that gives a pod spec the wanted env, mounts and volumes.

Entries already there are replaced in place (the chart's ``HTTPS_PROXY`` stays where it
was), missing ones are appended, and later duplicates of a wanted name or mount path are
removed: Kubernetes takes the last of two same-named variables, so a duplicate left behind
would win over the entry we set. For the same reason an entry built from the one there
(``SSL_CERT_DIR`` keeps the image's directories) is built from the last. When the pod
already has everything, the patch is empty: that is what makes the post-renderer idempotent.

    >>> pod = {"containers": [{"name": "c", "env": [{"name": "A", "value": "x"}]}]}
    >>> want = PodWants(env=(PodEntry("A", {"name": "A", "value": "y"}, "why"),))
    >>> [change.op for change in pod_spec_changes(pod, "/spec", want)]
    [{'op': 'replace', 'path': '/spec/containers/0/env/0', 'value': {'name': 'A', 'value': 'y'}}]
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

from post_renderer.render.release.workloads import CONTROLLER_CONTAINER, is_fluent_bit
from post_renderer.render.stream.kube import PatchOp, YamlNode, containers, pointer


class PodEntry(NamedTuple):
    """One list entry a pod should have, identified by ``key`` (a name or a mount path).

    ``merge`` builds the entry from an existing one (SSL_CERT_DIR keeps the image's dirs).
    """

    key: str
    manifest: dict[str, YamlNode]
    reason: str
    merge: Callable[[YamlNode], dict[str, YamlNode]] | None = None

    def desired(self, existing: YamlNode) -> dict[str, YamlNode]:
        return self.merge(existing) if self.merge and existing is not None else self.manifest


class PodWants(NamedTuple):
    env: tuple[PodEntry, ...] = ()
    mounts: tuple[PodEntry, ...] = ()
    volumes: tuple[PodEntry, ...] = ()
    owned_volume: str | None = None  # mounts of it that are not wanted are ours, and stale
    fluent_bit_env: tuple[PodEntry, ...] = ()  # replace same-named env in fluent-bit containers
    fluent_bit_skip: frozenset[str] = frozenset()  # env fluent-bit containers must not get
    env_in_place: tuple[PodEntry, ...] = ()  # replaced where a container has it, never added
    controller_env: tuple[PodEntry, ...] = ()  # replace same-named env in the controller

    def env_for(self, container: dict[str, YamlNode]) -> tuple[PodEntry, ...]:
        present = {e.get("name") for e in container.get("env") or () if isinstance(e, dict)}
        in_place = tuple(wanted for wanted in self.env_in_place if wanted.key in present)
        if self.controller_env and container.get("name") == CONTROLLER_CONTAINER:
            own = {wanted.key: wanted for wanted in self.controller_env}
            return tuple(own.get(wanted.key, wanted) for wanted in self.env + in_place)
        if not (self.fluent_bit_env or self.fluent_bit_skip) or not is_fluent_bit(container):
            return self.env + in_place
        own = {wanted.key: wanted for wanted in self.fluent_bit_env}
        return tuple(own.get(wanted.key, wanted) for wanted in self.env + in_place
                     if wanted.key not in self.fluent_bit_skip)


class Change(NamedTuple):
    """One RFC 6902 operation and the reason a reader is given for it."""

    op: PatchOp
    reason: str


def pod_spec_changes(pod_spec: YamlNode, prefix: str, wants: PodWants) -> list[Change]:
    changes: list[Change] = []
    for list_name, index, container in containers(pod_spec):
        base = f"{prefix}{pointer(list_name, index)}"
        changes += list_changes(container.get("env"), f"{base}/env", wants.env_for(container),
                                "name")
        changes += list_changes(container.get("volumeMounts"), f"{base}/volumeMounts",
                                wants.mounts, "mountPath", wants.owned_volume)
    if isinstance(pod_spec, dict):
        changes += list_changes(pod_spec.get("volumes"), f"{prefix}/volumes", wants.volumes,
                                "name")
    return changes


def list_changes(current: YamlNode, path: str, wanted: Sequence[PodEntry], field: str,
                 owned_volume: str | None = None) -> list[Change]:
    """Replace, remove duplicates and stale entries, then append: indices stay valid."""
    if not wanted:
        return []
    if not isinstance(current, list) or not current:
        value = [w.desired(None) for w in wanted]
        reason = "; ".join(dict.fromkeys(w.reason for w in wanted))
        return [Change({"op": "add", "path": path, "value": value}, reason)]
    first: dict[str, int] = {}
    last: dict[str, int] = {}  # the entry Kubernetes uses, which a merge builds on
    duplicates: list[int] = []
    keys = {w.key for w in wanted}
    for index, entry in enumerate(current):
        key = entry.get(field) if isinstance(entry, dict) else None
        if isinstance(key, str) and key in keys:  # a list there: the API server judges it
            if key in first:
                duplicates.append(index)
            else:
                first[key] = index
            last[key] = index
        elif owned_volume and isinstance(entry, dict) and entry.get("name") == owned_volume:
            duplicates.append(index)
    replaces, appends = [], []
    for item in wanted:
        if item.key in first:
            existing = current[first[item.key]]
            desired = item.desired(current[last[item.key]])
            if not _same(existing, desired):
                replaces.append(Change({"op": "replace", "path": f"{path}/{first[item.key]}",
                                        "value": desired}, item.reason))
        else:
            appends.append(Change({"op": "add", "path": f"{path}/-",
                                   "value": item.desired(None)}, item.reason))
    removes = [Change({"op": "remove", "path": f"{path}/{index}"},
                      f"duplicate or stale {field} '{current[index].get(field)}'")
               for index in sorted(duplicates, reverse=True)]
    return replaces + removes + appends


def _same(existing: YamlNode, desired: dict[str, YamlNode]) -> bool:
    """Equal as data. A bounded walk: user data could be a YAML alias bomb."""
    if not isinstance(existing, dict) or set(existing) != set(desired):
        return False
    budget = [_COMPARE_BUDGET]
    return all(_plain(existing[k], budget) == _plain(v, budget) for k, v in desired.items())


_COMPARE_BUDGET = 10_000


_TOO_LARGE = object()  # never equal to a desired value: the entry gets replaced


def _plain(value: YamlNode, budget: list[int]) -> YamlNode:
    budget[0] -= 1
    if budget[0] < 0:
        return _TOO_LARGE
    if isinstance(value, dict):
        return {str(k): _plain(v, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, budget) for v in value]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return str(value)
