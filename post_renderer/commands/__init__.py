"""The commands behind ``ocean-proxy``: each returns what to say; ``cli`` says it.

A command fills an :class:`Outcome` (bytes for stdout or a file, notices and warnings for
stderr) and returns it, or raises one of :mod:`post_renderer.errors`. Only ``cli`` writes:
the output first, then the messages, so a failed write never follows a success summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from post_renderer.errors import Paragraph

if TYPE_CHECKING:
    from post_renderer.errors import OceanProxyError

NOTICE, WARNING, DETAIL = "notice", "warning", "detail"


class Message:
    """One thing to say. A plain class: a cache hit says its messages without importing
    typing, which a NamedTuple needs."""

    __slots__ = ("level", "text")

    def __init__(self, level: str, text: str) -> None:
        self.level = level  # NOTICE, WARNING or DETAIL
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.level, self.text) == (other.level, other.text)

    def __hash__(self) -> int:
        return hash((self.level, self.text))

    def __repr__(self) -> str:
        return f"Message({self.level!r}, {self.text!r})"


class Outcome:
    """What one command produced, in the order it was said."""

    def __init__(self, live: Callable[[str], None] = lambda text: None) -> None:
        self.output: list[bytes | memoryview] = []
        self.output_path: str | None = None  # None: standard output
        self.side_files: list[tuple[str, bytes, int]] = []  # written first: (path, data, mode)
        self.messages: list[Message] = []
        self.error: OceanProxyError | None = None  # said after the output, e.g. a refused bundle
        self.live = live  # debug lines, shown as they happen
        # said at once, before the command waits for the user to type (a terminal on stdin)
        self.prompt: Callable[[str], None] = lambda text: None
        self.hidden: Callable[[str, bool], None] = lambda secret, url: None  # the reporter's
        # the output is a report whose hints name commands (check-bundle's): spelt as the
        # user runs them, as the messages are ('helm ocean-proxy ...' under the plugins)
        self.names_commands = False
        # the command line of the helm that runs this process, read when asked (cli's)
        self.helm_arguments: Callable[[], list[str] | None] = lambda: None
        # does that helm read this process's stdout as the release (a post-renderer's)?
        self.helm_reads_output: Callable[[], bool] = lambda: False

    def notice(self, text: str) -> None:
        self._say(NOTICE, text)

    def warning(self, text: str) -> None:
        self._say(WARNING, text)

    def _say(self, level: str, text: str) -> None:
        """A :class:`~post_renderer.errors.Paragraph`'s headline at ``level``, its other lines
        indented under it."""
        lines = text.lines if isinstance(text, Paragraph) else (text,)
        self.messages.append(Message(level, lines[0]))
        self.messages.extend(Message(DETAIL, f"  {line}") for line in lines[1:])

    def detail(self, text: str) -> None:
        self.messages.append(Message(DETAIL, text))

    def headline(self, position: int, text: str, details: list[str]) -> None:
        """A summary said at ``position``, before what was said since, with its details."""
        self.messages[position:position] = [Message(NOTICE, text),
                                            *(Message(DETAIL, line) for line in details)]

    def hide(self, secret: str, *, url: bool = False) -> None:
        """A secret read after the command line, which no message may show whatever quotes
        it back (a proxy's answer, a debug line): a token, or with ``url`` the credentials of
        a proxy URL (a config file's, the chart's)."""
        self.hidden(secret, url)

    def side_file(self, path: str, data: bytes, mode: int = 0o666) -> None:
        """A file written beside the output (before it), e.g. ``values --secrets``."""
        self.side_files.append((path, data, mode))

    def write(self, *parts: bytes | memoryview) -> None:
        self.output.extend(parts)
