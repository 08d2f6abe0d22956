"""Values we add, written as block YAML by ruamel.yaml, in the style of the document they go in.

ruamel.yaml's round-trip emitter is pure Python and looks at every character of every scalar:
the 36 KB of base64 in the Secret that carries the auto-update Job's post-renderer alone took
a seventh of a render. Its libyaml emitter (``ruamel.yaml.clib``) writes the same bytes for
most of what we add: mappings and lists of printable ASCII strings without ``'`` (keys of at
most 120 characters), integers and booleans, such as Secrets, environment variables, volumes
and their mounts (``tests/unit/render/stream/test_writer.py`` holds the two to that, property
by property). Anything else (a ``'``, a line break, non-ASCII text, ``None``, and any list in
a document whose lists are indented under their key) is written by the round-trip emitter,
as is everything when ruamel.yaml.clib is not installed.
"""

import functools
import io
import re
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, NamedTuple

from post_renderer.render.stream.kube import YamlNode

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.tag import Tag

# printable ASCII but "'": libyaml and ruamel's emitter quote a "'" differently
_ALIKE_TEXT = re.compile(r"[\x20-\x26\x28-\x7e]*")
# a longer key is written as "? key" by the round-trip emitter (it counts the implicit tag
# into YAML's 128-character limit on simple keys), on one line by libyaml
_LONGEST_SIMPLE_KEY = 120


class DocumentStyle(NamedTuple):
    """How a document was written, so that a changed one is written back the same way."""

    sequence_indent: int = 0  # columns between a key and its "- " items
    crlf: bool = False
    final_newline: bool = True


@functools.lru_cache(maxsize=4)
def block_writer(style: DocumentStyle) -> "BlockWriter":
    """Block YAML at column 0 for a value we add, as ruamel.yaml's round-trip dumper writes it
    in this document's style."""
    return BlockWriter(style)


class BlockWriter:
    """``writer(value)``: the value as block YAML at column 0. A render adds the same few
    values to every container (the proxy variables, the CA's mounts), so each distinct value
    is written once; ``prepare(values)`` writes those of a document in one go, since setting
    ruamel.yaml's dumper up again for each value costs as much as writing a small one. In
    memory only, and bounded."""

    _KEPT = 256

    def __init__(self, style: DocumentStyle) -> None:
        self._style = style
        self._written: dict[Hashable, str] = {}

    def __call__(self, value: YamlNode) -> str:
        key = _frozen(value)
        text = self._written.get(key)
        if text is None:
            yaml = _libyaml_yaml() if written_alike(value, self._style) else None
            out = io.StringIO()  # a copy: no part of it is shared, so none gets an anchor
            (yaml or round_trip_yaml(self._style)).dump(_thawed(key), out)
            text = self._keep(key, out.getvalue())
        return text

    def prepare(self, values: list[YamlNode]) -> None:
        """Write the mappings and lists among ``values`` that libyaml writes alike, in one
        stream of documents, each as ``writer(value)`` alone would write it."""
        libyaml = _libyaml_yaml()
        todo: dict[Hashable, None] = {}  # each value once, in the order given
        for value in values:
            if isinstance(value, (dict, list)) and value:
                key = _frozen(value)
                if key not in self._written and written_alike(value, self._style):
                    todo[key] = None
        if libyaml is None or len(todo) < 2:
            return
        out = io.StringIO()
        libyaml.dump_all([_thawed(key) for key in todo], out)
        # a document after the first starts with a line "---"; no line of a block mapping
        # or list of one-line scalars is "---", and a count that differs writes nothing
        texts = out.getvalue().split("\n---\n")
        if len(texts) == len(todo):
            for key, text in zip(todo, texts, strict=True):
                self._keep(key, text if text.endswith("\n") else text + "\n")

    def _keep(self, key: Hashable, text: str) -> str:
        if len(self._written) >= self._KEPT:
            self._written.clear()
        self._written[key] = text
        return text


def written_alike(value: YamlNode, style: DocumentStyle) -> bool:
    """Does libyaml write ``value`` byte for byte as the round-trip emitter does? True for
    mappings and lists of such values, plain or double-quoted strings of printable ASCII
    without "'", integers and booleans; lists only where the document's lists are not
    indented under their key (libyaml writes them flush)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return _alike(value, (str, DoubleQuotedScalarString), lists=not style.sequence_indent)


def _alike(value: YamlNode, strings: tuple[type, ...], lists: bool) -> bool:
    if type(value) is dict:
        return all(type(key) is str and len(key) <= _LONGEST_SIMPLE_KEY and
                   _ALIKE_TEXT.fullmatch(key) is not None and
                   _alike(item, strings, lists) for key, item in value.items())
    if type(value) is list:
        return lists and all(_alike(item, strings, lists) for item in value)
    if type(value) in strings:
        return _ALIKE_TEXT.fullmatch(value) is not None
    return type(value) in (int, bool)


@functools.lru_cache(maxsize=4)
def round_trip_yaml(style: DocumentStyle) -> "YAML":
    from ruamel.yaml import YAML
    from ruamel.yaml.emitter import RoundTripEmitter

    class Yaml11FlowEmitter(RoundTripEmitter):
        """ruamel.yaml's emitter (YAML 1.2), but a scalar with a ':' is quoted inside a flow
        collection: YAML 1.1 readers (older libyaml releases and the parsers ported from
        them) end a plain scalar there, so ``{value: http://proxy.corp:3128}`` is an error
        to them."""

        def analyze_scalar(self, scalar: Any) -> Any:
            analysis = super().analyze_scalar(scalar)
            if ":" in scalar:
                analysis.allow_flow_plain = False
            return analysis

    yaml = YAML(typ="rt", pure=True)
    yaml.Emitter = Yaml11FlowEmitter
    yaml.Representer = shared_tags(yaml.Representer)
    yaml.preserve_quotes = True
    yaml.width = 1 << 30
    if style.sequence_indent:
        yaml.indent(mapping=2, sequence=4, offset=2)
    else:
        yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


@functools.lru_cache(maxsize=1)
def _libyaml_yaml() -> "YAML | None":
    """ruamel.yaml with libyaml's emitter, keeping key order and the double quotes that
    ``kubernetes_safe`` asks for; None without ruamel.yaml.clib."""
    from ruamel.yaml import YAML
    from ruamel.yaml.emitter import Emitter
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    yaml = YAML(typ="safe", pure=False)
    if yaml.Emitter is Emitter:  # ruamel.yaml's own: ruamel.yaml.clib is not installed
        return None
    yaml.Representer = shared_tags(yaml.Representer)
    yaml.width = 1 << 30
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.representer.add_representer(
        DoubleQuotedScalarString,
        lambda representer, text: representer.represent_scalar(
            "tag:yaml.org,2002:str", str(text), style='"'))
    return yaml


@functools.lru_cache(maxsize=64)
def shared_tag(name: str) -> "Tag":
    """One ruamel.yaml ``Tag`` for each tag name. ruamel.yaml makes a new one for every node
    it represents or resolves, and each works its name out again, character by character,
    the first time the node's tag is read: a third of the time of writing a small value."""
    from ruamel.yaml.tag import Tag

    return Tag(suffix=name)


def shared_tags(representer: type) -> type:
    """``representer`` giving its nodes the ``shared_tag`` of their tag name."""

    def tag_of(tag: Any) -> Any:
        return shared_tag(tag) if isinstance(tag, str) else tag

    class SharedTagRepresenter(representer):  # type: ignore[misc]
        def represent_scalar(self, tag: Any, value: Any, style: Any = None,
                             anchor: Any = None) -> Any:
            return super().represent_scalar(tag_of(tag), value, style, anchor)

        def represent_sequence(self, tag: Any, sequence: Any, flow_style: Any = None) -> Any:
            return super().represent_sequence(tag_of(tag), sequence, flow_style)

        def represent_mapping(self, tag: Any, mapping: Any, flow_style: Any = None) -> Any:
            return super().represent_mapping(tag_of(tag), mapping, flow_style)

    return SharedTagRepresenter


def _frozen(value: YamlNode) -> Hashable:
    """``value`` as a hashable key that tells apart what the dumper writes differently:
    the type of each scalar (a quoted string, a bool, an int) and the order of keys."""
    if isinstance(value, dict):
        return dict, tuple((_frozen(k), _frozen(v)) for k, v in value.items())
    if isinstance(value, list):
        return list, tuple(_frozen(item) for item in value)
    if isinstance(value, (str, int)):  # bool is an int
        return type(value), value
    # equal, but written differently: 0.0 and -0.0, one moment in two time zones
    return type(value), value, repr(value)


def _thawed(frozen: Any) -> YamlNode:
    kind, content = frozen[0], frozen[1]
    if kind is dict:
        return {_thawed(k): _thawed(v) for k, v in content}
    if kind is list:
        return [_thawed(item) for item in content]
    return content
