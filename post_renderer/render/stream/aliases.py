"""YAML aliases in a document we change: every node on a changed path gets its own copy.

An alias makes one node appear in several places, e.g. two containers with ``env: *common``.
A change planned for each container would land in the one shared list once per container
(duplicate entries, and indices that no longer hold on the next run), and a change meant for
one place would show in every place. So, before planning, each node on a path the plan may
change that is referenced more than once is replaced there by a shallow copy, which is what
any YAML reader, Kubernetes included, sees at that place anyway:

    >>> env = [{"name": "A"}]
    >>> pod = {"containers": [{"name": "a", "env": env}, {"name": "b", "env": env}]}
    >>> unshare_pod({"spec": pod}, ("spec",))
    >>> pod["containers"][0]["env"] is pod["containers"][1]["env"]
    False

Nodes off those paths are left alone, so an alias bomb elsewhere stays as small as it came.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from post_renderer.render.stream.kube import CONTAINER_LISTS, YamlNode, pointer_parts

_STYLE_ATTRIBUTES = ("_yaml_comment", "_yaml_format")  # ruamel: comments, flow/block style


def unshare_pod(document: YamlNode, pod_spec_path: tuple[str, ...]) -> None:
    """Unshare what the plan may change in a workload: annotations, volumes, containers."""
    counts = _reference_counts(document)
    template = pod_spec_path[:-1]
    _unshare(document, (*template, "metadata", "annotations"), counts)
    _unshare(document, (*pod_spec_path, "volumes"), counts)
    for list_name in CONTAINER_LISTS:
        items = _unshare(document, (*pod_spec_path, list_name), counts)
        for index in range(len(items) if isinstance(items, list) else 0):
            for field in ("env", "volumeMounts"):
                _unshare(document, (*pod_spec_path, list_name, index, field), counts)


def unshare_paths(document: YamlNode, pointers: list[str]) -> None:
    """Unshare every node on the way to each RFC 6901 pointer (the parents of the changes)."""
    counts = _reference_counts(document)
    for pointer in pointers:
        parts = pointer_parts(pointer)[:-1]
        _unshare(document, tuple(int(p) if p.isdigit() else p for p in parts), counts)


def unshare_data(document: YamlNode) -> None:
    """Unshare what the plan may change in a ConfigMap or Secret: its data maps."""
    counts = _reference_counts(document)
    for field in ("data", "stringData"):
        _unshare(document, (field,), counts)


def _children(node: YamlNode) -> list[YamlNode]:
    values = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    return [v for v in values if isinstance(v, (dict, list))]


def _distinct_nodes(document: YamlNode) -> Iterator[YamlNode]:
    """Each mapping and list of the document once, however often aliased."""
    visited: set[int] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if id(node) not in visited:
            visited.add(id(node))
            yield node
            stack.extend(_children(node))


def _reference_counts(document: YamlNode) -> Counter[int]:
    """How many places refer to each node: one visit per distinct node, never per alias."""
    counts: Counter[int] = Counter()
    for node in _distinct_nodes(document):
        for child in _children(node):
            counts[id(child)] += 1
    return counts


def _unshare(document: YamlNode, path: tuple[YamlNode, ...], counts: Counter[int]) -> YamlNode:
    """Walk ``path``, copying each shared node on the way; the node at its end, or None."""
    node = document
    for key in path:
        if (isinstance(node, dict) and key in node) or \
                (isinstance(node, list) and isinstance(key, int) and key < len(node)):
            child = node[key]
        else:
            return None
        if not isinstance(child, (dict, list)):
            return None
        if counts[id(child)] > 1:
            counts[id(child)] -= 1
            child = node[key] = _copy(child)
            counts[id(child)] = 1
            for grandchild in _children(child):
                counts[id(grandchild)] += 1
        node = child
    return node


def _copy(node: dict[YamlNode, YamlNode] | list[YamlNode]) -> YamlNode:
    """A shallow copy with the node's comments and style, but not its anchor."""
    fresh: YamlNode = type(node)()  # a ruamel CommentedMap or CommentedSeq stays one
    if isinstance(node, dict):
        fresh.update(node)
    else:
        fresh.extend(node)
    for attribute in _STYLE_ATTRIBUTES:
        if hasattr(node, attribute):
            setattr(fresh, attribute, getattr(node, attribute))
    return fresh


def drop_comments(document: YamlNode, *, shared_only: bool = False) -> None:
    """Take every comment off the document's nodes, each node once however often aliased;
    with ``shared_only``, only off the nodes near a node reached from more than one place:
    that node, the node holding it, and that holder's entry in its own parent, where ruamel
    keeps a comment before a list's first item."""
    counts = _reference_counts(document) if shared_only else None
    for node in list(_distinct_nodes(document)):
        if counts is None:
            _uncomment(node)
            continue
        entries = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in entries:
            shared = [n for n in (child, *_children(child)) if counts[id(n)] > 1] \
                if isinstance(child, (dict, list)) else []
            if shared:
                for near in (child, *shared):
                    _uncomment(near)
                getattr(getattr(node, "ca", None), "items", {}).pop(key, None)


def _uncomment(node: YamlNode) -> None:
    if hasattr(node, "_yaml_comment"):
        delattr(node, "_yaml_comment")
