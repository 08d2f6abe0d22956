"""The commands behind ``ocean-proxy``: each returns what to say; ``cli`` says it.

A command fills an :class:`Outcome` (bytes for stdout or a file, notices and warnings for
stderr) and returns it, or raises one of :mod:`post_renderer.errors`. Only ``cli`` writes:
the output first, then the messages, so a failed write never follows a success summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from post_renderer.errors import OceanProxyError

NOTICE, WARNING, DETAIL = "notice", "warning", "detail"


class Message(NamedTuple):
    level: str  # NOTICE, WARNING or DETAIL
    text: str


class Outcome:
    """What one command produced, in the order it was said."""

    def __init__(self, live: Callable[[str], None] = lambda text: None) -> None:
        self.output: list[bytes | memoryview] = []
        self.output_path: str | None = None  # None: standard output
        self.messages: list[Message] = []
        self.exit_code = 0
        self.error: OceanProxyError | None = None  # said after the output, e.g. a refused bundle
        self.live = live  # debug lines, shown as they happen

    def notice(self, text: str) -> None:
        self.messages.append(Message(NOTICE, text))

    def warning(self, text: str) -> None:
        self.messages.append(Message(WARNING, text))

    def detail(self, text: str) -> None:
        self.messages.append(Message(DETAIL, text))

    def write(self, *parts: bytes | memoryview) -> None:
        self.output.extend(parts)
