"""Block YAML for the plain values we add, byte for byte as ruamel.yaml's round-trip dumper
writes them, without running its serializer and emitter (most of a render's work).

It writes what the filters add: mappings and sequences of one-line strings, booleans and
integers. For anything else it answers None and the caller uses ruamel.yaml;
``tests/unit/render/test_block_yaml.py`` holds it to ruamel.yaml's output.

    >>> write_block({"name": "HTTPS_PROXY", "value": "http://proxy:3128"}, 0, lambda s: True)
    'name: HTTPS_PROXY\\nvalue: http://proxy:3128\\n'
"""

from __future__ import annotations

from collections.abc import Callable

from post_renderer.render.stream.kube import YamlNode

# ruamel.yaml's emitter never writes these plain at the start of a scalar (they are
# indicators there); '-', '?' and ':' only sometimes, which we leave to ruamel.yaml.
_LEADING_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`?:-")
_PRINTABLE = frozenset(chr(code) for code in range(0x20, 0x7F))
# ruamel.yaml writes a longer key as an explicit "? key" (its limit is 128 with the tag).
_SIMPLE_KEY_LENGTH = 100


class _Declined(Exception):
    """A value outside what this writer reproduces exactly."""


def write_block(value: YamlNode, sequence_indent: int,
                resolves_to_str: Callable[[str], bool]) -> str | None:
    """``value`` (a non-empty mapping or sequence) as block YAML at column 0, or None.

    ``sequence_indent`` is the columns between a key and its "- " items (0 or 2);
    ``resolves_to_str(text)`` says whether the dumper's resolver reads ``text`` written
    plain back as a string (else ruamel.yaml would quote it).
    """
    try:
        writer = _Writer(sequence_indent, resolves_to_str)
        if isinstance(value, dict):
            lines = writer.mapping(value, 0)
        elif isinstance(value, list):
            lines = writer.sequence(value, sequence_indent)
        else:
            return None
    except _Declined:
        return None
    return "\n".join(lines) + "\n"


class _Writer:
    def __init__(self, sequence_indent: int, resolves_to_str: Callable[[str], bool]) -> None:
        if sequence_indent not in (0, 2):
            raise _Declined
        self.offset = sequence_indent
        self.resolves_to_str = resolves_to_str

    def mapping(self, value: dict[str, YamlNode], column: int) -> list[str]:
        if not value:
            raise _Declined  # ruamel.yaml writes {} in flow style
        pad = " " * column
        lines: list[str] = []
        for key, item in value.items():
            if type(key) is not str:
                raise _Declined
            if len(key) > _SIMPLE_KEY_LENGTH:
                raise _Declined
            head = pad + self.plain(key) + ":"
            if isinstance(item, dict):
                lines += (head, *self.mapping(item, column + 2))
            elif isinstance(item, list):
                lines += (head, *self.sequence(item, column + self.offset))
            else:
                lines.append(head + " " + self.scalar(item))
        return lines

    def sequence(self, value: list[YamlNode], dash_column: int) -> list[str]:
        if not value:
            raise _Declined
        pad = " " * dash_column
        lines: list[str] = []
        for item in value:
            if isinstance(item, dict):
                nested = self.mapping(item, dash_column + 2)
                lines += (pad + "- " + nested[0][dash_column + 2:], *nested[1:])
            elif isinstance(item, list):
                raise _Declined
            else:
                lines.append(pad + "- " + self.scalar(item))
        return lines

    def scalar(self, value: YamlNode) -> str:
        if value is True or value is False:
            return "true" if value else "false"
        if type(value) is int:
            return str(value)
        if type(value) is str:
            return self.plain(value)
        if isinstance(value, str) and type(value).__name__ == "DoubleQuotedScalarString":
            return self.double_quoted(value)
        raise _Declined

    def plain(self, text: str) -> str:
        """``text`` written plain, as ruamel.yaml would; declined where it would quote."""
        if not text or text[0] in _LEADING_INDICATORS or text[0] == " " or text[-1] in " :" \
                or text.startswith(("---", "...")) or ": " in text or " #" in text \
                or not _PRINTABLE.issuperset(text) or not self.resolves_to_str(text):
            raise _Declined
        return text

    @staticmethod
    def double_quoted(text: str) -> str:
        if not _PRINTABLE.issuperset(text) or '"' in text or "\\" in text:
            raise _Declined
        return '"' + text + '"'
