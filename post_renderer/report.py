"""What the user reads on stderr: notices, warnings, the ``--explain`` text, and the one error.

Helm runs a post-renderer with its stderr captured: Helm 3 shows it only when the
post-renderer fails, and Helm 4 (plugin runtime) never shows it. A notice such as "auto-update
will drop these settings" must not vanish, so when the parent process is helm, messages go to
helm's own stderr (``helm_stderr``: a terminal, a pipe, or a log file however the shell opened
it). The error line also goes to our own stderr, which Helm 3 quotes in its error. Set
``OCEAN_PROXY_MESSAGES=stderr`` to keep everything on our stderr.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from post_renderer.errors import OceanProxyError, shown, visible
from post_renderer.helm_plugins import HELM_COMMAND, PROGRAM, command_beside_the_post_renderer
from post_renderer.message_secrets import later_forms, without_credentials, without_secrets

if TYPE_CHECKING:
    from typing import TextIO


class Reporter:
    """Writes prefixed, single-line messages to the user's streams."""

    def __init__(self, messages: TextIO, errors: Iterable[TextIO] = (), *,
                 command: str | Callable[[], str] = PROGRAM) -> None:
        """``command``: how the user runs the commands the messages name, or what finds it
        out when a message first names one."""
        self._messages = messages
        self._errors = list(errors) or [messages]
        self._command = command
        self.warnings = 0
        self._hidden: list[str] = []
        self._later: list[tuple[str, bool]] = []
        self._unwritten: list[TextIO] = []

    def hide(self, secrets: Iterable[str]) -> None:
        """Never print these (the credentials the user passed), whatever quotes them."""
        self._hidden = sorted({*self._hidden, *secrets}, key=len, reverse=True)

    def hide_later(self, secret: str, url: bool) -> None:
        """Never print ``secret`` (a token), or with ``url`` the credentials of that proxy
        URL: read after the command line (a config file, the chart), worked out when a line is
        first written (most renders print nothing)."""
        self._later.append((secret, url))

    def notice(self, text: str) -> None:
        self._write([self._messages], [f"{PROGRAM}: {text}"])

    def warning(self, text: str) -> None:
        self.warnings += 1
        self._write([self._messages], [f"{PROGRAM}: warning: {text}"])

    def detail(self, text: str) -> None:
        """An indented line of a longer explanation (``--explain``, reports)."""
        self._write([self._messages], [text])

    def error(self, error: OceanProxyError) -> None:
        lines = [f"{PROGRAM}: error: {self._safe_line(error.message)}"]
        if error.hint:
            lines.append(f"{PROGRAM}: hint: {self._safe_line(error.hint)}")
        self._write(self._errors, lines)

    def as_run(self, text: str) -> str:
        """``text`` with each command it names spelt as the user runs it (a report's hints)."""
        if self._command == PROGRAM:
            return text
        return "\n".join(_as_run(line, self._command) for line in text.split("\n"))

    def _safe_line(self, text: str) -> str:
        return without_credentials(_one_line(self._without_hidden(text)))

    def _without_hidden(self, text: str) -> str:
        """``text`` without the hidden secrets, those read later worked out first."""
        if self._later:
            later, self._later = self._later, []
            self.hide(later_forms(later))
        return without_secrets(text, self._hidden)

    def _write(self, streams: list[TextIO], lines: list[str]) -> None:
        """Each line as one line: hidden secrets out, then what is not printable escaped (a
        line break in a value would start a line of its own, an ESC clear the terminal)."""
        if self._command != PROGRAM:
            lines = [_as_run(line, self._command) for line in lines]
        text = "".join(visible(self._without_hidden(line)) + "\n" for line in lines)
        for stream in streams:
            if stream is None:  # started with stderr closed ('2>&-'): Python has no sys.stderr
                continue
            try:
                stream.write(text)
                stream.flush()
            except (OSError, ValueError):
                if not self.could_not_write_to(stream):
                    self._unwritten.append(stream)

    def could_not_write_to(self, stream: TextIO) -> bool:
        """Whether a line meant for ``stream`` failed to reach it."""
        return any(unwritten is stream for unwritten in self._unwritten)


def settled(code: int, reporter: Reporter) -> int:
    """The exit code once this process's stderr has taken what was said: ``code`` when the
    command failed, whether or not its error could be written; 1 for one that succeeded but
    could not say all it had to (stderr a full disk, '2>/dev/full'), as a failed write to
    standard output is. What stayed in the buffer goes to /dev/null: the interpreter would
    write it again as it exits, fail, and turn any exit code into 120."""
    stderr = sys.stderr
    if stderr is None:  # started with stderr closed ('2>&-'): the user wants no messages
        return code
    try:
        stderr.flush()
    except (OSError, ValueError):
        discard_buffered(stderr)
        return code or 1
    return code or int(reporter.could_not_write_to(stderr))


def discard_buffered(stream: TextIO) -> None:
    """What waits in ``stream``'s buffer goes to /dev/null when Python flushes it as it
    exits, instead of where the stream went (a pipe nobody reads would hold the exit, a full
    disk would turn the exit code into 120)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


# A command the messages tell the user to run, quoted, piped into or after 'run: '
# ('ocean-proxy discover-ca' finds it, run 'ocean-proxy verify --help', '... | ocean-proxy
# check-bundle -', run: ocean-proxy check-bundle 'my ca.pem'): under helm's
# plugins no 'ocean-proxy' is on PATH (Helm 4 puts none there), so the user runs it as
# 'helm ocean-proxy ...' (see _command_for). The post-renderer's own help is the render
# command's.
_COMMAND_MENTION = (r"(?:(?<=')|(?<=\| )|(?<=run: ))ocean-proxy"
                    r"(?P<post_renderer>-post-renderer(?= (?:--help|-h|--version)'))?"
                    r"(?= (?:render|check-bundle|discover-ca|verify|values|help"
                    r"|--help|-h|--version)(?:'|\s))")


def _as_run(line: str, command: str | Callable[[], str]) -> str:
    """``line`` with each command it tells the user to run spelled as ``command`` runs it."""
    if all(f"{before}ocean-proxy" not in line for before in ("'", "| ", "run: ")):
        return line
    if callable(command):
        command = command()

    def spelt(match: re.Match[str]) -> str:
        own_help = match.group("post_renderer") and not line.startswith(" --version",
                                                                        match.end())
        return f"{command} render" if own_help else command

    return re.sub(_COMMAND_MENTION, spelt, line)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def reporter_for_process(environ: Mapping[str, str] | None = None,
                         hidden: Iterable[str] = ()) -> Reporter:
    """The reporter for this process: straight to stderr, or to helm's stderr under helm.
    ``hidden``: the secrets it never prints, known before it says its first word (its own
    warning quotes a variable, which may hold one)."""
    environ = os.environ if environ is None else environ
    command = _command_for(environ)
    helm_stderr = None
    # only 'stderr' keeps them off helm's: under Helm 4, a typo would lose every message
    mode = environ.get("OCEAN_PROXY_MESSAGES") or "auto"
    if mode != "stderr" and not _isatty(sys.stderr):
        from post_renderer.helm_stderr import open_helm_stderr

        helm_stderr = open_helm_stderr()
    reporter = Reporter(sys.stderr, command=command)
    if helm_stderr is not None:
        errors = [sys.stderr]
        if environ.get("HELM_PLUGIN_NAME"):
            errors.append(helm_stderr)  # Helm 4 discards a post-renderer plugin's, even then
        reporter = Reporter(helm_stderr, errors, command=command)
    reporter.hide(hidden)
    if mode not in ("auto", "stderr"):
        reporter.warning(f"OCEAN_PROXY_MESSAGES is {shown(mode)}, neither 'auto' nor 'stderr': "
                         "read as 'auto' (under helm, messages go to helm's own stderr)")
    return reporter


def _command_for(environ: Mapping[str, str]) -> str | Callable[[], str]:
    """How the user runs the commands the messages name: from PATH; as `helm ocean-proxy` under
    the command plugin; under Helm 4's post-renderer plugin the same if the command plugin is
    installed too, else that plugin's own bin/ocean-proxy (Helm 4 puts no plugin's bin/ on
    PATH). The plugins are looked at only when a message names a command."""
    plugin = environ.get("HELM_PLUGIN_NAME")
    if plugin == PROGRAM:
        return HELM_COMMAND
    if plugin != f"{PROGRAM}-post-renderer":
        return PROGRAM
    found: list[str] = []

    def command() -> str:
        if not found:
            found.append(command_beside_the_post_renderer(environ))
        return found[0]

    return command


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
