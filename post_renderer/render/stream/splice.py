"""Edit a document's text in place: every byte the patch does not name stays as it was.

The planner's RFC 6902 operations become text edits at the positions the YAML parser
reports for each node: replacing a list item or a value, appending to a block list, adding
a key to a block mapping, removing a list item or a key. Inserted values are written by
ruamel.yaml's dumper, re-indented to where they go. So a changed Deployment keeps its
comments, its key order, its quoting and even its mixed list indentation, and is not
re-serialised.

Anything else (flow collections, anchors and aliases, merge keys, a value changing its
kind) raises ``Unsupported``; the caller then uses ruamel.yaml's round-trip instead. The
caller also parses every spliced result again and compares it with the patched data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeAlias

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from post_renderer.render.stream.kube import PatchOp, YamlNode, pointer_parts

DumpBlock: TypeAlias = Callable[[YamlNode], str]

_KEY_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


class Unsupported(Exception):
    """The operation cannot be done as a text edit; use the round-trip instead."""


def splice(text: str, root: Node, ops: list[PatchOp], dump_block: DumpBlock) -> str:
    """Apply ``ops`` (all in the original document's coordinates) to ``text``.

    ``dump_block(value)`` writes a value as block YAML at column 0, ending with a newline.
    """
    _check_plain_tree(root)
    edits: list[tuple[int, int, int, str]] = []
    for order, op in enumerate(ops):
        start, end, new = _edit(text, root, op, dump_block)
        edits.append((start, end, order, new))
    edits.sort(key=lambda e: (e[0], e[2]), reverse=True)
    out = text
    previous_start = len(text) + 1
    for start, end, _, new in edits:
        if end > previous_start:
            raise Unsupported("overlapping edits")
        out = out[:start] + new + out[end:]
        previous_start = min(previous_start, start)
    return out


def _edit(text: str, root: Node, op: PatchOp, dump_block: DumpBlock) -> tuple[int, int, str]:
    parts = pointer_parts(op["path"])
    if not parts:
        raise Unsupported("whole-document operation")
    parent = _resolve(root, parts[:-1])
    last = parts[-1]
    kind = op["op"]
    if isinstance(parent, SequenceNode):
        if _is_flow(parent):
            raise Unsupported("flow sequence")
        if kind == "add" and last == "-":
            return _append_item(text, parent, op["value"], dump_block)
        index = _index(last, parent)
        if kind == "replace":
            return _replace_node(text, parent.value[index], op["value"], dump_block)
        if kind == "remove":
            return _remove_lines(text, _dash(text, parent.value[index]), parent.value[index])
    elif isinstance(parent, MappingNode):
        if _is_flow(parent):
            raise Unsupported("flow mapping")
        entry = _entry(parent, last)
        if kind in ("add", "replace") and entry is not None:
            return _replace_node(text, entry[1], op["value"], dump_block)
        if kind == "add":
            return _add_key(text, parent, last, op["value"], dump_block)
        if kind == "remove" and entry is not None:
            return _remove_lines(text, entry[0].start_mark.index, entry[1])
    raise Unsupported(f"{kind} at {op['path']}")


def _append_item(text: str, sequence: SequenceNode, value: YamlNode,
                 dump_block: DumpBlock) -> tuple[int, int, str]:
    column = _column(text, _dash(text, sequence.value[0]))
    at = _line_end(text, _content_end(sequence))
    return at, at, "\n" + " " * column + "- " + _block(value, column + 2, dump_block)


def _add_key(text: str, mapping: MappingNode, key: str, value: YamlNode,
             dump_block: DumpBlock) -> tuple[int, int, str]:
    if not _KEY_SAFE.match(key):
        raise Unsupported("key needs quoting")
    column = mapping.value[0][0].start_mark.column
    at = _line_end(text, _content_end(mapping))
    entry = _block({key: value}, column, dump_block)
    return at, at, "\n" + " " * column + entry


def _replace_node(text: str, node: Node, value: YamlNode,
                  dump_block: DumpBlock) -> tuple[int, int, str]:
    start = node.start_mark.index
    column = node.start_mark.column
    if isinstance(node, ScalarNode):
        if isinstance(value, (dict, list)):
            raise Unsupported("scalar becomes a collection")
        if node.style in ("|", ">"):
            return start, node.end_mark.index, _block_scalar(value, _indent_of(text, start) + 2)
        return start, node.end_mark.index, _scalar(_same_quotes(node, value), dump_block)
    if _is_flow(node) or isinstance(value, dict) != isinstance(node, MappingNode) or (
            isinstance(value, list) != isinstance(node, SequenceNode)):
        raise Unsupported("collection changes kind or style")
    if isinstance(node, SequenceNode):
        column = _column(text, _dash(text, node.value[0]))
        start = _dash(text, node.value[0])
    return start, _line_end(text, _content_end(node)), _block(value, column, dump_block)


def _same_quotes(node: ScalarNode, value: YamlNode) -> YamlNode:
    """A new string keeps the quotes of the one it replaces, as ruamel.yaml's round-trip
    keeps them when a quoted value is assigned."""
    if type(value) is not str or node.style not in ('"', "'"):
        return value
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    quoted = DoubleQuotedScalarString if node.style == '"' else SingleQuotedScalarString
    return quoted(value)


def _remove_lines(text: str, first: int, last_node: Node) -> tuple[int, int, str]:
    """From the end of the line before ``first`` to the end of ``last_node``'s last line."""
    line_start = text.rfind("\n", 0, first) + 1
    if line_start == 0:
        raise Unsupported("removal at the start of the document")
    if text[line_start:first].strip() not in ("", "-"):
        raise Unsupported("entry shares its line")
    return line_start - 1, _line_end(text, _content_end(last_node)), ""


def _block(value: YamlNode, column: int, dump_block: DumpBlock) -> str:
    """Block YAML for ``value`` whose first line continues the current one at ``column``."""
    if not isinstance(value, (dict, list)):
        return _scalar(value, dump_block)
    lines = dump_block(value).rstrip("\n").split("\n")
    pad = " " * column
    return "\n".join([lines[0], *(pad + line if line else line for line in lines[1:])])


def _scalar(value: YamlNode, dump_block: DumpBlock) -> str:
    if isinstance(value, str) and "\n" in value:
        raise Unsupported("multi-line value needs a block scalar here")
    # a document whose lists are indented has its items dumped as "  - item"
    rendered = dump_block([value]).rstrip("\n").lstrip(" ")
    if not rendered.startswith("- ") or "\n" in rendered:
        raise Unsupported("scalar does not fit on one line")
    return rendered[2:]


def _block_scalar(value: YamlNode, indent: int) -> str:
    if not isinstance(value, str) or value[:1] in (" ", "\t") or "\r" in value:
        raise Unsupported("block scalar needs an indentation indicator")
    body = value[:-1] if value.endswith("\n") else value
    chomp = "" if value.endswith("\n") and not value.endswith("\n\n") else \
        ("-" if not value.endswith("\n") else "+")
    pad = " " * indent
    lines = [pad + line if line.strip() else "" for line in body.split("\n")]
    return f"|{chomp}\n" + "\n".join(lines) + "\n"


# -- the node tree ----------------------------------------------------------------------


def _check_plain_tree(root: Node) -> None:
    """No aliases (a node reached twice) and no merge keys: their text is elsewhere."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise Unsupported("anchors and aliases")
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == "<<":
                    raise Unsupported("merge keys")
                stack += (key, value)
        elif isinstance(node, SequenceNode):
            stack += node.value


def _resolve(root: Node, parts: list[str]) -> Node:
    node = root
    for part in parts:
        if isinstance(node, MappingNode):
            entry = _entry(node, part)
            if entry is None:
                raise Unsupported(f"no key {part}")
            node = entry[1]
        elif isinstance(node, SequenceNode):
            node = node.value[_index(part, node)]
        else:
            raise Unsupported("path goes through a scalar")
    return node


def _entry(mapping: MappingNode, key: str) -> tuple[Node, Node] | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _index(part: str, sequence: SequenceNode) -> int:
    if not part.isdigit() or int(part) >= len(sequence.value):
        raise Unsupported(f"no item {part}")
    return int(part)


def _is_flow(node: Node) -> bool:
    return bool(getattr(node, "flow_style", False)) or (
        isinstance(node, (MappingNode, SequenceNode)) and not node.value)


def _content_end(node: Node) -> int:
    """Where the node's own text ends (before the newline that follows a block)."""
    if isinstance(node, ScalarNode) or _is_flow(node):
        end: int = node.end_mark.index  # ruamel.yaml types a node's marks as Any
        return end
    last = node.value[-1]
    return _content_end(last[1] if isinstance(node, MappingNode) else last)


def _line_end(text: str, position: int) -> int:
    """The newline ending the line of ``position`` (a block scalar already ends at one)."""
    if position > 0 and text[position - 1] == "\n":
        return position - 1
    newline = text.find("\n", position)
    return len(text) if newline < 0 else newline


def _dash(text: str, item: Node) -> int:
    """Position of the '-' that starts a block sequence item."""
    position: int = item.start_mark.index - 1
    while position >= 0 and text[position] in " \t\n":
        position -= 1
    if position < 0 or text[position] != "-":
        raise Unsupported("sequence item without its dash")
    return position


def _column(text: str, position: int) -> int:
    return position - (text.rfind("\n", 0, position) + 1)


def _indent_of(text: str, position: int) -> int:
    line_start = text.rfind("\n", 0, position) + 1
    line = text[line_start:position]
    return len(line) - len(line.lstrip(" -"))
