"""The manifest stream as bytes: split into documents, find the few worth parsing, join back.

Nothing here parses YAML. A document is the byte range from one ``---`` line to the next,
so every document that is not changed is written out exactly as it came in. Boundaries are
kept as two arrays of offsets (a million empty documents take a few MB, not hundreds), and
candidates are found with ``bytes.find`` for a value and a check of that one line, which is
what keeps a 100 MB release fast. The check accepts the pair anywhere in the line too
(``{"name": "x"}``, ``'name': 'x'``), so JSON and flow-style documents are candidates as well:

    >>> data = b"---\\nkind: ConfigMap\\n---\\nkind: Deployment\\nname: x\\n"
    >>> chunks = split_documents(data)
    >>> [top_level_kind(data, c) for c in chunks]
    ['ConfigMap', 'Deployment']
    >>> [c.index for c in chunks_matching(data, chunks, [line_pattern("name", "x")])]
    [1]

By the YAML spec a ``---`` or ``...`` at the start of a line always ends a document, even
inside what looks like a block scalar, so splitting on them is exact.
"""

import bisect
import functools
import re
from array import array
from collections.abc import Iterable, Iterator
from typing import NamedTuple

# compiled, by re's own cache, for the rare document with a line that starts with "..."
_DOCUMENT_END = rb"(?m)^\.\.\.(?=[ \t\r\n]|\Z)"
_KIND = re.compile(rb"^([\"']?)kind\1:[ \t]*[\"']?([A-Za-z0-9]+)[\"']?[ \t]*(?:#.*)?\r?$",
                   re.MULTILINE)
_BOM = b"\xef\xbb\xbf"
_MARKER_ENDS = (b" ", b"\t", b"\r", b"\n", b"")
_QUOTES = (b'"', b"'")
_AMBIGUOUS_STARTS = (b"", b" ", b"\t", b"-", b'"', b"'")
# what may stand before a key (a quote aside) in a flow or quoted spelling (``_loose_regex``)
_KEY_STARTS = (b"", b" ", b"\t", b"\n", b"\r", b"\f", b"\v", b"{", b",", b"[", b"-")
# and what may follow its value
_VALUE_ENDS = (b"", b'"', b"'", b" ", b"\t", b",", b"}", b"]", b"#", b"\r")
# what may come before and after the last part of an image's repository
_IMAGE_STARTS = (b"/", b" ", b"\t", b'"', b"'", b":")
_IMAGE_ENDS = (*_VALUE_ENDS, b":", b"@")


class Chunk(NamedTuple):
    """One document's bytes: ``start:end`` in the stream; its YAML begins at ``body``."""

    # Shadows tuple.index(), which no caller uses; the name is what the rest of the code reads.
    index: int  # type: ignore[assignment]
    start: int
    end: int
    body: int  # after the '---' line (== start when the document has no marker)


class Chunks:
    """Every document's boundaries, as offsets; a ``Chunk`` is made only when asked for."""

    def __init__(self, data: bytes, starts: "array[int]") -> None:
        self._data = data
        self._starts = starts
        self._end = len(data)

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, index: int) -> Chunk:
        if index < 0:
            index += len(self._starts)
        start = self._starts[index]
        end = self._starts[index + 1] if index + 1 < len(self._starts) else self._end
        return Chunk(index, start, end, _body(self._data, start, end))

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self._starts)))

    def index_at(self, position: int) -> int:
        """The index of the chunk holding byte ``position``."""
        return max(bisect.bisect_right(self._starts, position) - 1, 0)


class LinePattern(NamedTuple):
    """A line ``key: value`` at any indentation, in a list or not, quoted or not; and the same
    pair anywhere in a line (``loose``): JSON, flow style, quoted keys."""

    key: bytes
    value: bytes

    def in_line(self, line: bytes) -> bool:
        return self._on_its_own_line(line) or _loosely_matches(self, line)

    def _on_its_own_line(self, line: bytes) -> bool:
        """``line`` fully matches ``[ \\t-]*KEY:[ \\t]*["']?VALUE["']?[ \\t]*(#.*)?\\r?``,
        checked without a regular expression (compiling one per name costs more than the
        whole check) when neither the key nor the value starts with a character that the
        pattern's optional parts could also take."""
        if self.key[:1] in _AMBIGUOUS_STARTS or self.value[:1] in _AMBIGUOUS_STARTS:
            return _line_regex(self.key, self.value).fullmatch(line) is not None
        rest = line.lstrip(b" \t-")
        if not rest.startswith(self.key + b":"):
            return False
        rest = rest[len(self.key) + 1:].lstrip(b" \t")
        rest = rest[1:] if rest[:1] in _QUOTES else rest
        if not rest.startswith(self.value):
            return False
        rest = rest[len(self.value):]
        rest = rest[1:] if rest[:1] in _QUOTES else rest
        rest = rest.lstrip(b" \t")
        return rest in (b"", b"\r") or rest.startswith(b"#")


class ImagePattern(NamedTuple):
    """A line naming an image whose repository ends in ``value`` (``image: REGISTRY/PATH/VALUE``,
    with a tag or a digest or neither), quoted, in flow style or in JSON too. It may take in a
    little more than that (any line with ``image`` before the name): what it finds is parsed
    and judged, what it misses is never seen."""

    value: bytes

    def in_line(self, line: bytes) -> bool:
        start = line.find(self.value)
        while start >= 0:
            end = start + len(self.value)
            if line[start - 1:start] in _IMAGE_STARTS and line[end:end + 1] in _IMAGE_ENDS \
                    and b"image" in line[:start]:
                return True
            start = line.find(self.value, start + 1)
        return False


def split_documents(data: bytes) -> Chunks:
    """Cut the stream before every ``---`` line; chunk 0 is what precedes the first one."""
    first = len(_BOM) if data.startswith(_BOM) else 0
    starts = array("q", [first])
    position = data.find(b"\n---", first)
    while position >= 0:
        if _is_marker(data, position + 1):
            starts.append(position + 1)
        position = data.find(b"\n---", position + 1)
    return Chunks(data, starts)


def _body(data: bytes, start: int, end: int) -> int:
    """Where a chunk's YAML begins: after its '---' line, found only for the chunks asked for
    (a render reads a few of a stream's thousands)."""
    if not _is_marker(data, start):
        return start
    newline = data.find(b"\n", start, end)
    return end if newline < 0 else newline + 1


def _is_marker(data: bytes, position: int) -> bool:
    return data.startswith(b"---", position) and data[position + 3:position + 4] in _MARKER_ENDS


def top_level_kind(data: bytes, chunk: Chunk) -> str | None:
    """The ``kind:`` written at column 0 of the document, without parsing it."""
    end = document_end(data, chunk)
    match = _KIND.search(data, chunk.body, end)
    return match.group(2).decode("ascii") if match else None


def document_end(data: bytes, chunk: Chunk) -> int:
    """Where the document's YAML ends: at a ``...`` line, else at the end of the chunk. Most
    documents have none, which ``bytes.find`` tells fast; the pattern, whose ``^`` it has to
    try at every byte, then only looks where one may be."""
    start, end = chunk.body, chunk.end
    if data.find(b"\n...", max(start - 1, 0), end) < 0 and not data.startswith(b"...", start):
        return end
    match = re.compile(_DOCUMENT_END).search(data, start, end)
    return match.start() if match else end


def line_pattern(key: str, value: str) -> LinePattern:
    # a "\ud800" escape in a double-quoted name reads as an unpaired surrogate: as such bytes
    # it matches no line of a UTF-8 stream, which is what such a name is there
    return LinePattern(key.encode(), value.encode("utf-8", "surrogatepass"))


# one pattern per name a render looks for (a handful); bounded for a long-lived process
@functools.lru_cache(maxsize=256)
def _line_regex(key: bytes, value: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"[ \t-]*" + re.escape(key) + rb":[ \t]*[\"']?" + re.escape(value)
                      + rb"[\"']?[ \t]*(?:#.*)?\r?")


@functools.lru_cache(maxsize=256)
def _loose_regex(key: bytes, value: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?:^|[\s{,\[-])([\"']?)" + re.escape(key)
                      + rb"\1[ \t]*:[ \t]*([\"']?)" + re.escape(value)
                      + rb"\2(?=[ \t]*(?:[,}\]#\r]|$))")


def chunks_matching(data: bytes, chunks: Chunks,
                    patterns: Iterable[LinePattern | ImagePattern]) -> list[Chunk]:
    """The chunks holding a line that matches any pattern: find the value, check its line."""
    by_value: dict[bytes, list[LinePattern | ImagePattern]] = {}
    for pattern in patterns:  # one pass over the stream per value, whatever keys it goes with
        if pattern.value:  # an empty name ('name: ""') names nothing to look for
            by_value.setdefault(pattern.value, []).append(pattern)
    for value in sorted(by_value, key=len, reverse=True):  # and none for a value holding another
        inner = next((other for other in by_value if other != value and other in value), None)
        if inner is not None:
            by_value[inner] += by_value.pop(value)
    hits: set[int] = set()
    for value, group in by_value.items():
        position = data.find(value)
        while position >= 0:
            line_start = data.rfind(b"\n", 0, position) + 1
            line_end = data.find(b"\n", position)
            line_end = len(data) if line_end < 0 else line_end
            line = data[line_start:line_end]
            if any(pattern.in_line(line) for pattern in group):
                index = chunks.index_at(position)
                hits.add(index)
                position = data.find(value, max(chunks[index].end, line_end))
            else:
                position = data.find(value, line_end)
    return [chunks[i] for i in sorted(hits)]


def _loosely_matches(pattern: LinePattern, line: bytes) -> bool:
    """A quoted or flow spelling of the pair on this line, before any comment."""
    if not (_value_after_a_colon(line, pattern.value) and _key_may_start(line, pattern.key)):
        return False  # what the pattern needs first, checked before compiling it
    found = _loose_regex(pattern.key, pattern.value).search(line)
    return found is not None and found.start() < _comment_start(line)


def _value_after_a_colon(line: bytes, value: bytes) -> bool:
    """Whether ``value`` follows a ':' somewhere in the line, past blanks and quotes, and
    ends there (``chart: ocean-kubernetes-controller-0.1.60`` holds the value but not as one)."""
    start = line.find(value)
    while start >= 0:
        after = line[start + len(value):start + len(value) + 1]
        if after in _VALUE_ENDS and line[:start].rstrip(b"\"'").rstrip(b" \t").endswith(b":"):
            return True
        start = line.find(value, start + 1)
    return False


def _key_may_start(line: bytes, key: bytes) -> bool:
    """Whether ``key`` stands where a quoted or flow spelling's key may start: at the line's
    start or after a blank, '{', ',', '[' or '-', a quote between or not (the label line
    ``app.kubernetes.io/name: ocean-kubernetes-controller`` holds no key ``name`` so)."""
    start = line.find(key)
    while start >= 0:
        before = line[max(start - 1, 0):start]
        if before in _QUOTES:
            before = line[max(start - 2, 0):start - 1]
        if before in _KEY_STARTS:
            return True
        start = line.find(key, start + 1)
    return False


def _comment_start(line: bytes) -> int:
    """Where a YAML comment starts on the line ('#' at its start or after a blank, outside
    quotes), or the line's length."""
    quote = 0
    for index, byte in enumerate(line):
        if quote:
            if byte == quote:
                quote = 0
        elif byte in b"\"'":
            quote = byte
        elif byte == 0x23 and (index == 0 or line[index - 1] in b" \t"):  # '#'
            return index
    return len(line)


def join(data: bytes, chunks: Chunks, replaced: dict[int, bytes],
         appended: Iterable[bytes]) -> list[bytes | memoryview]:
    """The output as parts: the unchanged stretches are views of the input, not copies.

    New documents go at the end. Where the stream ends without a line break, one written after
    its last document could change that document's last value (a literal block keeps it), so
    they go in just before that document instead, which then gets a '---' line if it had none
    (the stream's only document)."""
    view = memoryview(data)
    appended = list(appended)
    before = len(chunks) - 1 if appended and data and not data.endswith(b"\n") else None
    parts: list[bytes | memoryview] = []
    offset = 0
    for index in sorted({*replaced, *([before] if before is not None else [])}):
        chunk = chunks[index]
        parts.append(view[offset:chunk.start])
        if index == before:
            parts.extend(appended)
            if not _is_marker(data, chunk.start):
                parts.append(b"---\r\n" if b"\r\n" in data[chunk.start:chunk.end] else b"---\n")
        parts.append(replaced[index] if index in replaced else view[chunk.start:chunk.end])
        offset = chunk.end
    parts.append(view[offset:])
    if before is None:
        parts.extend(appended)
    return [part for part in parts if len(part)]
