"""One YAML document: parsed fast, edited in place, and written back in the style it came in.

Targets are parsed with ruamel.yaml's C parser (libyaml; pure Python where it is missing)
into nodes that know their position in the text, and into plain data for planning. A
changed document is edited in its text (see ``splice``): every byte the patch does not name
stays, comments, quoting and indentation included. Where a text edit is not possible
(flow collections, anchors), ruamel.yaml's round-trip loads, patches and dumps the
document instead, keeping comments and key order. Either way the result is parsed again and
must equal the patched data. Values we add are quoted when a YAML 1.1 reader (Kubernetes,
helm) would take them for a bool or a number.
"""

import contextlib
import functools
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from post_renderer.errors import TAGGED_VALUE_ERRORS, ManifestError
from post_renderer.render.stream.kube import PatchOp, YamlNode
from post_renderer.render.stream.writer import (
    DocumentStyle,
    block_writer,
    round_trip_yaml,
    shared_tag,
)

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import Node

_SEQUENCE_ITEM = re.compile(r"^( *)- ", re.MULTILINE)
_SAFE_FLOW_OPENERS = 1000
_DEEP_INDENT = " " * 1000  # a line indented this far
# ruamel quotes parts of the document in some problems (a duplicate key's values, an alias
# name); a value can be a token or a password. Single characters and token names stay.
# A quote inside a value would end it early ("Zq7"Wv4"): a problem with any quote left once
# the harmless ones are out is cut at its first quote.
# (compiled when a problem is first redacted, by re's own cache)
_HARMLESS = r"(?:.|\\.|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8}|<[a-z ]+>)?"
_HARMLESS_QUOTED = rf"(?s)'{_HARMLESS}'|\"{_HARMLESS}\""
_KEY_LINE = re.compile(r"^( *)[^\s#-][^:]*:\s*(?:#.*)?$")
# Plain scalars a YAML 1.1 reader does not read as strings: the words it reads as booleans
# or null, and numbers and times, which all start with a sign, a dot or a digit (the patterns
# are compiled, by re's own cache, once such a value is written; most never start so).
_YAML11_WORDS = frozenset((
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL"))
_YAML11_NUMBER_STARTS = frozenset("-+.0123456789")
_NUMBER_PREFIXES = frozenset(("0x", "0X", "0o", "0O", "0b", "0B"))
_PLAIN_NUMBER_CHARS = frozenset("0123456789_.:eE+-\n")
_YAML11_NUMBER = r"""(?x)^(?:
    [-+]?(?:0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO][0-7_]+|[-+]?0[bB][01_]+
    |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$"""
# go-yaml v2, helm's and Kubernetes' reader, drops every "_" of a text that starts with a sign
# or a digit and then takes what Go's strconv reads: integers with a 0x, 0o or 0b prefix (either
# case) or a leading 0, floats, and a binary number with a sign after a lowercase "0b". Matched
# against the text without "_", the pattern takes in a little more (a "." start keeps its "_";
# "0B-1", "+0b-1" and numbers beyond 64 bits stay strings there): quoting more is harmless.
_GO_YAML_NUMBER = r"""(?x)[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][-+]?[01]+
    |(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"""


class ParsedDocument(NamedTuple):
    """A document's text (LF line ends), its node tree with positions, and its plain data."""

    text: str
    node: Any
    data: YamlNode


def detect_style(text: str) -> DocumentStyle:
    lines = text.splitlines()
    flush = indented = 0
    for number, line in enumerate(lines):
        item = _SEQUENCE_ITEM.match(line)
        if not item or number == 0:
            continue
        parent = _previous_key(lines, number)
        if parent is None:
            continue
        if len(item.group(1)) == parent:
            flush += 1
        elif len(item.group(1)) == parent + 2:
            indented += 1
    return DocumentStyle(
        sequence_indent=2 if indented > flush else 0,
        crlf="\r\n" in text,
        final_newline=text.endswith("\n"),
    )


def _previous_key(lines: list[str], number: int) -> int | None:
    for previous in reversed(lines[max(0, number - 3):number]):
        if not previous.strip() or previous.lstrip().startswith("#"):
            continue
        key = _KEY_LINE.match(previous)
        return len(key.group(1)) if key else None
    return None


def _parser(pure: bool = False) -> "YAML":
    """libyaml when ruamel.yaml.clib is installed; ``pure`` for ruamel's own parser, which
    also reads what libyaml refuses but YAML allows (a redefined anchor). ruamel's own parser
    keeps its resolver from one document to the next, and a document's ``%YAML`` directive
    sets the version its resolver works with: each such document gets a parser of its own
    (they are rare: a document libyaml cannot read, or nests too deep for it)."""
    return _new_parser(pure=True) if pure else _libyaml_parser()


@functools.lru_cache(maxsize=1)
def _libyaml_parser() -> "YAML":
    return _new_parser(pure=False)


def _new_parser(pure: bool) -> "YAML":
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=pure)
    yaml.Resolver = _one_version_resolver()
    yaml.Constructor = go_yaml_constructor()
    return yaml


@functools.lru_cache(maxsize=1)
def go_yaml_constructor() -> type:
    """ruamel.yaml's safe constructor, which also builds a plain ``=`` or ``<<`` that is not a
    merge key as its text, as go-yaml (helm, Kubernetes) does: helm writes an env value ``=``
    plain, and YAML 1.1's 'value' and 'merge' types, which it resolves to, have no
    constructor of their own (the release was refused as not YAML)."""
    from ruamel.yaml.constructor import SafeConstructor

    class GoYamlConstructor(SafeConstructor):
        pass

    for tag in ("tag:yaml.org,2002:value", "tag:yaml.org,2002:merge"):
        GoYamlConstructor.add_constructor(tag, SafeConstructor.construct_yaml_str)
    return GoYamlConstructor


# What each (node kind, text, way of writing) resolved to, per YAML version: in memory only,
# bounded, and only for short texts (keys and the like, which repeat; not a bundle or a token).
_RESOLVED: dict[Any, dict[Any, Any]] = {}
_RESOLVED_KEPT = 4096
_RESOLVED_LONGEST = 64


@functools.lru_cache(maxsize=1)
def _one_version_resolver() -> type:
    from ruamel.yaml.resolver import VersionedResolver

    class OneVersionResolver(VersionedResolver):
        """ruamel.yaml works out the YAML version again for every scalar (raising and
        catching an AttributeError each time); a document has one version. A document also
        resolves the same few texts again and again ("name", "value", "true"), each by
        trying its regular expressions in turn, and makes a new Tag for each result, which
        decodes its name again when first read: what a node resolves to depends only on its
        kind, its text and how it was written (plain or quoted) in a given version, so each
        is resolved once per process (no path resolvers are set, which would make it
        depend on where the node is), and each tag name gets one shared Tag."""

        @property
        def versioned_resolver(self) -> Any:  # ruamel.yaml's own type for it
            if "_resolvers" not in self.__dict__:
                self.__dict__["_resolvers"] = super().versioned_resolver
            return self.__dict__["_resolvers"]

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            known = self.__dict__.get("_known")
            if known is None:
                known = self.__dict__["_known"] = _RESOLVED.setdefault(
                    str(self.processing_version), {})
            key = (kind, value, implicit)
            tag = known.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if tag is not None and tag.handle is None:
                    tag = shared_tag(tag.suffix)
                if (value is None or len(value) <= _RESOLVED_LONGEST) and \
                        len(known) < _RESOLVED_KEPT:
                    known[key] = tag
            return tag

    return OneVersionResolver


def parse_document(text: str, where: str, first_line: int | Callable[[], int] = 1,
                   lines_of: str = "the input") -> ParsedDocument:
    """Parse one document; a ManifestError says where, never what the document contains."""
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    text = text.replace("\r\n", "\n")
    try:
        try:
            node, data = _compose(_parser(pure=_maybe_deep(text)), text)
        except MarkedYAMLError:
            node, data = _compose(_parser(pure=True), text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if callable(first_line):  # counted only for the message: lines of a 100 MB stream
            first_line = first_line()
        line = f" at line {first_line + mark.line} of {lines_of}" if mark else ""
        problem = ("a mapping has the same key twice" if isinstance(error, DuplicateKeyError)
                   else _without_content(error.problem or error.context or "parse error"))
        raise ManifestError(
            f"{where} is not valid YAML ({problem}{line})",
            hint="helm rendered YAML that cannot be read; run the same 'helm template' "
                 "without --post-renderer to see it",
        ) from None
    except YAMLError:
        raise ManifestError(f"{where} is not valid YAML", hint="check the chart's output") from None
    except TAGGED_VALUE_ERRORS:
        raise ManifestError(
            f"{where} is not valid YAML (a value cannot be read as the type its tag names, "
            "such as !!int)",
            hint="helm rendered YAML that cannot be read; run the same 'helm template' "
                 "without --post-renderer to see it",
        ) from None
    return ParsedDocument(text, node, data)


def _maybe_deep(text: str) -> bool:
    """Could the document nest deeper than libyaml's composer can recurse? It would crash the
    process; ruamel's own parser stops at Python's recursion limit instead. Helm output has
    a handful of levels, so counting brackets is enough to tell."""
    return text.count("[") + text.count("{") > _SAFE_FLOW_OPENERS or \
        text.startswith(_DEEP_INDENT) or "\n" + _DEEP_INDENT in text


def _compose(parser: "YAML", text: str) -> "tuple[Node | None, YamlNode]":
    node = parser.compose(text)
    return node, parser.constructor.construct_document(node) if node is not None else None


def _without_content(problem: str) -> str:
    rest = re.sub(_HARMLESS_QUOTED, "", problem)
    if "'" not in rest and '"' not in rest:
        return problem
    return problem[:min(at for at in (problem.find("'"), problem.find('"')) if at >= 0)] + "'...'"


def edit_document(document: ParsedDocument, ops: list[PatchOp], style: DocumentStyle) -> str:
    """The document's text with ``ops`` applied, edited in place where possible."""
    import jsonpatch

    from post_renderer.render.stream.splice import Unsupported, splice

    ops = [kubernetes_safe_op(op) for op in ops]
    writer = block_writer(style)
    writer.prepare([op["value"] for op in ops if "value" in op])
    text = None
    try:
        spliced = splice(document.text, document.node, ops, writer)
        expected = jsonpatch.apply_patch(document.data, ops)
        if parse_document(spliced, "the edited document").data == expected:
            text = spliced
    except Unsupported:
        pass
    if text is None:
        text = _round_trip_edit(document.text, ops, style)
    if not style.final_newline:
        text = text.rstrip("\n")
    return text.replace("\n", "\r\n") if style.crlf else text


def _round_trip_edit(text: str, ops: list[PatchOp], style: DocumentStyle) -> str:
    """ruamel's round trip, comments kept; where it writes what no reader loads (``env: -
    *id001`` for a commented list shared by alias), the shared nodes' comments go, then all;
    the output is loaded, not compared with the patched data (an alias bomb would expand)."""
    import jsonpatch

    from post_renderer.render.stream.aliases import drop_comments, unshare_paths

    yaml = round_trip_yaml(style)
    document = yaml.load(text)
    unshare_paths(document, [op["path"] for op in ops])  # as the plan's data was
    jsonpatch.apply_patch(document, ops, in_place=True)
    edited = _dumped(yaml, document)
    if not _loads(edited):
        drop_comments(document, shared_only=True)
        edited = _dumped(yaml, document)
    if not _loads(edited):
        drop_comments(document)
        edited = _dumped(yaml, document)
    if not _loads(edited):
        raise ManifestError("the changed document would be written in a form no YAML reader "
                            "loads", hint="write its shared parts (YAML anchors '&' and "
                            "aliases '*') out in the chart's template")
    return edited


def _dumped(yaml: Any, document: YamlNode) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _loads(text: str) -> bool:
    with contextlib.suppress(ManifestError):
        return parse_document(text, "the edited document") is not None
    return False


def dump_new_document(value: YamlNode, style: DocumentStyle) -> str:
    text = block_writer(style)(kubernetes_safe(value))
    return text.replace("\n", "\r\n") if style.crlf else text


def kubernetes_safe(value: YamlNode) -> YamlNode:
    """Plain data to insert, with strings quoted where YAML 1.1 would read them otherwise."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict):
        return {key: kubernetes_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [kubernetes_safe(item) for item in value]
    if isinstance(value, str) and not isinstance(value, DoubleQuotedScalarString) and \
            yaml11_not_string(value):
        return DoubleQuotedScalarString(value)
    return value


def yaml11_not_string(text: str) -> bool:
    """Would a YAML 1.1 reader take ``text``, written plain, for something else than a
    string (a boolean, null, a number, a time)? An empty text is null."""
    if text.removesuffix("\n") in _YAML11_WORDS or text == "":
        return True
    return text[0] in _YAML11_NUMBER_STARTS and _may_be_number(text) and (
        re.match(_YAML11_NUMBER, text) is not None
        or re.fullmatch(_GO_YAML_NUMBER, text.replace("_", "")) is not None)


def _may_be_number(text: str) -> bool:
    """False for a text neither pattern matches, found without them: compiling them takes
    two milliseconds, and what a render adds that starts with a digit is mostly a checksum
    or a version (2.0.70). Every number form holds at most one ".", and letters only after a
    0x, 0o or 0b prefix, in an exponent, or in .inf and .nan (go-yaml drops each "_" first)."""
    if text.count(".") > 1:
        return False
    bare = text.replace("_", "").lstrip("+-")
    return bare[:2] in _NUMBER_PREFIXES or bare[:1] == "." or _PLAIN_NUMBER_CHARS.issuperset(text)


def kubernetes_safe_op(op: PatchOp) -> PatchOp:
    """An RFC 6902 operation whose value is ``kubernetes_safe``."""
    return {**op, "value": kubernetes_safe(op["value"])} if "value" in op else op
