"""One YAML document in and out through ruamel.yaml's round-trip mode, in the style it came in.

Only documents that change pass through here. Comments, key order and quoting survive; list
indentation follows what the document mostly used; CRLF documents stay CRLF. Values we add
are quoted when a YAML 1.1 reader (Kubernetes, helm) would take them for a bool or number.
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any, NamedTuple

from .errors import ManifestError

_SEQUENCE_ITEM = re.compile(r"^( *)- ", re.MULTILINE)
# ruamel quotes parts of the document in some problems (a duplicate key's values, an alias
# name); a value can be a token or a password. Single characters and token names stay.
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_HARMLESS_QUOTE = re.compile(
    r"^(?:.|\\.|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8}|<[a-z ]+>)?$", re.DOTALL)
_KEY_LINE = re.compile(r"^( *)[^\s#-][^:]*:\s*(?:#.*)?$")
# Plain scalars a YAML 1.1 reader does not read as strings (booleans, null, numbers, times).
_YAML11_NOT_STRING = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|
    [-+]?(?:0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+
    |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$""",
    re.VERBOSE,
)


class DocumentStyle(NamedTuple):
    """How a document was written, so that a changed one is written back the same way."""

    sequence_indent: int = 0  # columns between a key and its "- " items
    crlf: bool = False
    final_newline: bool = True


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


@functools.lru_cache(maxsize=4)
def _yaml(style: DocumentStyle):
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 1 << 30
    if style.sequence_indent:
        yaml.indent(mapping=2, sequence=4, offset=2)
    else:
        yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def load_document(text: str, where: str, first_line: int = 1, lines_of: str = "the input") -> Any:
    """Parse one document; a ManifestError says where, never what the document contains."""
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return _yaml(DocumentStyle()).load(text.replace("\r\n", "\n"))
    except MarkedYAMLError as error:
        mark = error.problem_mark
        line = f" at line {first_line + mark.line} of {lines_of}" if mark else ""
        problem = ("a mapping has the same key twice" if isinstance(error, DuplicateKeyError)
                   else _without_content(error.problem or "parse error"))
        raise ManifestError(
            f"{where} is not valid YAML ({problem}{line})",
            hint="helm rendered YAML that cannot be read; run the same 'helm template' "
                 "without --post-renderer to see it",
        ) from None
    except YAMLError:
        raise ManifestError(f"{where} is not valid YAML", hint="check the chart's output") from None


def _without_content(problem: str) -> str:
    def redact(match: re.Match[str]) -> str:
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        return match.group(0) if _HARMLESS_QUOTE.match(quoted) else "'...'"

    return _QUOTED.sub(redact, problem)


def dump_document(document: Any, style: DocumentStyle) -> str:
    out = io.StringIO()
    _yaml(style).dump(document, out)
    text = out.getvalue()
    if not style.final_newline:
        text = text.rstrip("\n")
    return text.replace("\n", "\r\n") if style.crlf else text


def load_value(text: str) -> Any:
    """Parse a YAML value held in a string (the chart's embedded auto-update Job)."""
    return load_document(text, "the embedded auto-update Job", lines_of="the Job")


def kubernetes_safe(value: Any) -> Any:
    """Plain data to insert, with strings quoted where YAML 1.1 would read them otherwise."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict):
        return {key: kubernetes_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [kubernetes_safe(item) for item in value]
    if isinstance(value, str) and (value == "" or _YAML11_NOT_STRING.match(value)):
        return DoubleQuotedScalarString(value)
    return value


def kubernetes_safe_op(op: dict) -> dict:
    """An RFC 6902 operation whose value is ``kubernetes_safe``."""
    return {**op, "value": kubernetes_safe(op["value"])} if "value" in op else op
