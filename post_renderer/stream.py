"""The manifest stream as bytes: split into documents, find the few worth parsing, join back.

Nothing here parses YAML. A document is the byte range from one ``---`` line to the next,
so every document that is not changed is written out exactly as it came in. Candidates are
found with substring and regular-expression scans over the whole buffer, which is what
keeps a 100 MB release fast:

    >>> data = b"---\\nkind: ConfigMap\\n---\\nkind: Deployment\\nname: x\\n"
    >>> chunks = split_documents(data)
    >>> [top_level_kind(data, c) for c in chunks]
    ['ConfigMap', 'Deployment']

By the YAML spec a ``---`` or ``...`` at the start of a line always ends a document, even
inside what looks like a block scalar, so splitting on them is exact.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

_DOCUMENT_START = re.compile(rb"^---(?=[ \t\r\n]|\Z)", re.MULTILINE)
_DOCUMENT_END = re.compile(rb"^\.\.\.(?=[ \t\r\n]|\Z)", re.MULTILINE)
_KIND = re.compile(rb"^kind:[ \t]*[\"']?([A-Za-z0-9]+)[\"']?[ \t]*(?:#.*)?\r?$", re.MULTILINE)
_BOM = b"\xef\xbb\xbf"


class Chunk(NamedTuple):
    """One document's bytes: ``start:end`` in the stream; its YAML begins at ``body``."""

    index: int
    start: int
    end: int
    body: int  # after the '---' line (== start when the document has no marker)

    @property
    def marker(self) -> bool:
        return self.body != self.start


def split_documents(data: bytes) -> list[Chunk]:
    """Cut the stream before every ``---`` line; chunk 0 is what precedes the first one."""
    first = len(_BOM) if data.startswith(_BOM) else 0
    markers = {m.start() for m in _DOCUMENT_START.finditer(data)}
    if data.startswith(b"---", first) and data[first + 3:first + 4] in (b"", b" ", b"\t",
                                                                          b"\r", b"\n"):
        markers.add(first)  # '^' does not match right after a BOM
    bounds = [*sorted(markers | {first}), len(data)]
    chunks = []
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        body = start
        if start in markers:
            newline = data.find(b"\n", start, end)
            body = end if newline < 0 else newline + 1
        chunks.append(Chunk(index, start, end, body))
    return chunks


def top_level_kind(data: bytes, chunk: Chunk) -> str | None:
    """The ``kind:`` written at column 0 of the document, without parsing it."""
    end = document_end(data, chunk)
    match = _KIND.search(data, chunk.body, end)
    return match.group(1).decode("ascii") if match else None


def document_end(data: bytes, chunk: Chunk) -> int:
    """Where the document's YAML ends: at a ``...`` line, else at the end of the chunk."""
    match = _DOCUMENT_END.search(data, chunk.body, chunk.end)
    return match.start() if match else chunk.end


def chunks_matching(
    data: bytes, chunks: Sequence[Chunk], patterns: Iterable[re.Pattern[bytes]],
) -> list[Chunk]:
    """The chunks in which any pattern matches; one pass over the buffer per pattern."""
    starts = [c.start for c in chunks]
    hits: set[int] = set()
    for pattern in patterns:
        match = pattern.search(data)
        while match is not None:
            index = max(bisect.bisect_right(starts, match.start()) - 1, 0)
            hits.add(index)
            match = pattern.search(data, max(chunks[index].end, match.end()))
    return [chunks[i] for i in sorted(hits)]


def line_pattern(key: str, value: str) -> re.Pattern[bytes]:
    """A line ``key: value`` at any indentation, in a list or not, quoted or not."""
    return re.compile(
        rb"^[ \t-]*" + re.escape(key.encode()) + rb":[ \t]*[\"']?" + re.escape(value.encode())
        + rb"[\"']?[ \t]*(?:#.*)?\r?$",
        re.MULTILINE,
    )


def join(data: bytes, chunks: Sequence[Chunk], replaced: dict[int, bytes],
         appended: Sequence[bytes]) -> list[bytes | memoryview]:
    """The output as a list of parts: untouched chunks are views of the input, not copies."""
    view = memoryview(data)
    parts: list[bytes | memoryview] = []
    if data.startswith(_BOM):
        parts.append(view[: len(_BOM)])
    for chunk in chunks:
        parts.append(replaced[chunk.index] if chunk.index in replaced
                     else view[chunk.start:chunk.end])
    if appended:
        if data and not data.endswith(b"\n"):
            parts.append(b"\n")
        parts.extend(appended)
    return parts
