"""Kubernetes shapes every part of the pipeline walks: pod specs, containers, env, pointers.

    get_path(deployment, POD_SPEC_PATHS["Deployment"])      # the pod spec, or None
    for entry in env_entries(deployment, "Deployment"): ...  # every env entry, with its path
    for entry in used_env_entries(deployment, "Deployment"): ...  # those Kubernetes uses
    pointer("spec", "template", "metadata")                 # "/spec/template/metadata"
"""

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeAlias

from post_renderer.errors import ManifestError, clipped, visible

# A node of a parsed YAML document (a dict, a list or a scalar): charts put anything anywhere,
# so every walk checks the shape it needs with isinstance instead of trusting a declared type.
YamlNode: TypeAlias = Any
# One RFC 6902 operation: {"op": ..., "path": ..., "value": ...}.
PatchOp: TypeAlias = dict[str, YamlNode]

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
CONTAINER_LISTS = ("initContainers", "containers")
CA_ENV = "USER_ENV_CERTIFICATES"  # the chart's own CA variable, read by the controller
KEY_REF_KINDS = (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret"))


def pod_template_path(kind: str) -> tuple[str, ...]:
    """Path of the pod template (whose ``metadata`` holds the rollout annotations)."""
    return POD_SPEC_PATHS[kind][:-1]


def get_path(document: YamlNode, path: tuple[str, ...], missing: Any = None) -> YamlNode:
    """The node at ``path``; ``missing`` where there is none (to tell it from a null)."""
    node = document
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return missing
        node = node[key]
    return node


def containers(pod_spec: YamlNode) -> list[tuple[str, int, dict[str, YamlNode]]]:
    """(list name, index, container) for every init and regular container with a name."""
    found: list[tuple[str, int, dict[str, YamlNode]]] = []
    if not isinstance(pod_spec, dict):
        return found
    for list_name in CONTAINER_LISTS:
        items = pod_spec.get(list_name)
        if isinstance(items, list):
            found.extend((list_name, i, c) for i, c in enumerate(items)
                         if isinstance(c, dict) and isinstance(c.get("name"), str))
    return found


class EnvEntry(NamedTuple):
    container: dict[str, YamlNode]
    entry: dict[str, YamlNode]
    path: str  # RFC 6901 pointer of the entry in its document

    @property
    def env_list(self) -> str:
        """The pointer of the container's env list: one per container."""
        return self.path.rsplit("/", 1)[0]


def env_entries(document: YamlNode, kind: str) -> Iterator[EnvEntry]:
    """Every env entry of every container of a workload, in document order."""
    spec_path = POD_SPEC_PATHS[kind]
    for list_name, index, container in containers(get_path(document, spec_path)):
        env = container.get("env")
        if not isinstance(env, list):
            continue
        for position, entry in enumerate(env):
            if not isinstance(entry, dict):
                continue
            if not isinstance(entry.get("name"), str):  # a list, say: no name to match
                raise _nameless(kind, container, position, entry.get("name"))
            yield EnvEntry(container, entry,
                           pointer(*spec_path, list_name, index, "env", position))


def _nameless(kind: str, container: dict[str, YamlNode], position: int,
              name: YamlNode) -> ManifestError:
    where = f"{kind} container '{clipped(visible(container['name']))}': env entry {position + 1}"
    values = "check the values that add env entries to it (extraEnv, podEnvVariables)"
    if name is None or isinstance(name, (list, dict)):
        said = "has no name" if name is None else "has a list or a mapping for its name"
        return ManifestError(f"{where} {said}", hint=f"the API server refuses it too; {values}")
    # 123, true, 2024-01-01 unquoted: YAML reads no text there ('--set' writes it unquoted)
    return ManifestError(
        f"{where} has a name that YAML reads as a number, a boolean or a date, not as text",
        hint=f"quote it in the values file, or give it with --set-string; {values}")


def used_env_entries(document: YamlNode, kind: str,
                     skipped: Callable[[dict[str, YamlNode]], bool] = lambda entry: False
                     ) -> Iterator[EnvEntry]:
    """The env entries the kubelet gives the containers, in document order. Of two entries
    of one name in a container (the chart's own and an ``extraEnv`` one after it) it gives
    the last (the API server stores both, and warns that it "hides previous definition"),
    passing over one it ``skipped``: an optional reference to a key that is not there sets
    nothing. When it skips them all, the last stands for them."""
    every = list(env_entries(document, kind))
    groups: dict[tuple[str, YamlNode], list[EnvEntry]] = {}
    for found in every:
        groups.setdefault((found.env_list, found.entry.get("name")), []).append(found)
    chosen = {next((e for e in reversed(group) if not skipped(e.entry)), group[-1]).path
              for group in groups.values()}
    return (found for found in every if found.path in chosen)


def pointer(*parts: str | int) -> str:
    """An RFC 6901 JSON pointer."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pointer_parts(path: str) -> list[str]:
    """The reference tokens of an RFC 6901 pointer, unescaped."""
    if path == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]
