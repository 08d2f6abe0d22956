"""What the user reads on stderr: notices, warnings, the ``--explain`` text, and the one error.

Helm runs a post-renderer with its stderr captured: Helm 3 shows it only when the
post-renderer fails, and Helm 4 (plugin runtime) never shows it. A notice such as "auto-update
will drop these settings" must not vanish, so when the parent process is helm, messages go to
helm's own stderr (``helm_stderr``: a terminal, a pipe, or a log file however the shell opened
it). The error line also goes to our own stderr, which Helm 3 quotes in its error. Set
``OCEAN_PROXY_MESSAGES=stderr`` to keep everything on our stderr.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from post_renderer.errors import OceanProxyError, shown, visible
from post_renderer.helm_plugins import HELM_COMMAND, PROGRAM, command_beside_the_post_renderer

if TYPE_CHECKING:
    from typing import TextIO

# user:password@ in anything an error quotes back: a proxy URL given to the wrong flag, or
# with a typo in the flag's name, is echoed by argparse and by the checks of other settings.
# The password runs to the last '@' of its word: quotes are in it too (Go takes "'" as is).
# (patterns compiled when first used, by re's own cache: most runs print no error)
_CREDENTIALS = r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?P<user>[^\s'\"=,@/:]*):\S*@"


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
        return _without_credentials(_one_line(self._without_hidden(text)))

    def _without_hidden(self, text: str) -> str:
        """``text`` without the hidden secrets, in any letter case (a proxy may quote one back
        changed), and without the start of one that a message cut short ("s3cr3t-pa...")."""
        if self._later:
            later, self._later = self._later, []
            self.hide(_later_forms(later))
        folded = _case_folded(text)
        for secret in self._hidden:
            if _case_folded(secret) in folded:  # else no case of it is there: nothing compiled
                masked = re.sub(re.escape(secret), "***", text, flags=re.IGNORECASE)
                if masked != text:  # its '***' may complete a shorter secret holding '***'
                    text, folded = masked, _case_folded(masked)
        return _without_cut(text, self._hidden) if "..." in text else text

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
                continue


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


def _without_cut(text: str, secrets: list[str]) -> str:
    """``text`` without any start of a secret right before a "..." (where a message cut what
    it quoted): linear in the text for each length of start, and no message cuts a quote
    longer than ``_LONGEST_CUT``."""
    for secret in secrets:
        lowered = text.lower()
        if len(lowered) != len(text):  # a letter whose lower case is longer: compare as is
            lowered = text
        for end in range(min(len(secret) - 1, _LONGEST_CUT), _SHORTEST_CUT - 1, -1):
            cut = secret[:end].lower() + "..."
            at = lowered.find(cut)
            while at >= 0:
                text, lowered = (text[:at] + "***" + text[at + end:],
                                 lowered[:at] + "***" + lowered[at + end:])
                at = lowered.find(cut, at + 3)
    return text


# A start of a secret shorter than this before "..." is left: it could be any word's start
# ("pass...") and tells little. No message cuts a quote after more than 200 characters.
_SHORTEST_CUT, _LONGEST_CUT = 6, 200


def _case_folded(text: str) -> str:
    """``text`` with every letter that re.IGNORECASE may take for another written alike: ASCII
    in lower case, and 'i', 'k', 's' and every non-ASCII character as one mark, since those are
    the ones Unicode's case rules pair across ASCII ('İ', 'ı', 'K' for kelvin, 'ſ'). So a
    secret re.IGNORECASE finds in a text is in it folded so too; the converse need not hold."""
    return text.translate(_FOLD) if text.isascii() else \
        "".join("\0" if ord(char) > 127 else char for char in text).translate(_FOLD)


_FOLD = str.maketrans("ABCDEFGHJLMNOPQRTUVWXYZiksIKS", "abcdefghjlmnopqrtuvwxyz" + "\0" * 6)


def _one_line(text: str) -> str:
    return " ".join(text.split())


_PLACEHOLDER = r"\[?user:password@"  # the form our own hints show
# Credentials never span a space, and only a word with an '@' can hold them: the pattern runs
# on such words alone, and a longer word is not shown at all (the pattern's backtracking grows
# with the square of a word's length: a 100 KB name quoted in an error took minutes).
_LONGEST_CHECKED_WORD = 2048


def _without_credentials(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        credentials = match.group(0)[len(match.group("scheme") or ""):]
        if re.fullmatch(_PLACEHOLDER, credentials):
            return match.group(0)
        return f"{match.group('scheme') or ''}{match.group('user')}:***@"  # the password hidden

    if "@" not in text:
        return text
    words = text.split(" ")
    for index, word in enumerate(words):
        if "@" not in word:
            continue
        words[index] = re.sub(_CREDENTIALS, mask, word) if len(word) <= _LONGEST_CHECKED_WORD \
            else "(a long value with an '@', not shown)"
    return " ".join(words)


def credentials_in(texts: Iterable[str], urls: Iterable[str] = ()) -> list[str]:
    """The credentials of every URL in ``texts`` (arguments, environment), as written and
    decoded: the password, or a user name that has none (a token). A user name and password
    run from '://' to the last '@', whatever they hold (and to the first, too, where one
    argument holds several). A proxy URL may be written without a scheme, as Go reads it
    (``bob:pw@proxy:3128``): such are ``urls`` (OCEAN_PROXY_URL) and the values of
    ``--proxy-url`` in ``texts``. The user name of a password stays readable, so that every
    message masks as ``user:***``.

        >>> credentials_in(["--proxy-ur=http://bob:it's a s3cret@proxy:3128", "-f"])[0]
        "it's a s3cret"
    """
    texts = list(texts)
    userinfos = [info for text in texts for info in _userinfos(text)]
    for url in [*urls, *_url_flag_values(texts)]:
        url = url[1:-1] if len(url) > 1 and url[0] == url[-1] and url[0] in "'\"" else url
        if "://" not in url and "@" in url:  # read as http://, as the proxy URL itself is
            userinfos.append(url.rpartition("@")[0])
    found: dict[str, None] = {}  # in order, each once
    for user, colon, password in (info.partition(":") for info in dict.fromkeys(userinfos)):
        found.update(dict.fromkeys(secret for secret in _forms(
            user, password if colon else "", user + colon + password)
            if len(secret) >= _SHORTEST_HIDDEN))
    return list(found)


def _userinfos(text: str) -> list[str]:
    """Those of the first 16 URLs of ``text`` (an argument of '://@' 30,000 times made as
    many of 120 KB each): ``_without_credentials`` masks any later one where quoted."""
    found = []
    for start in [m.end() for m in re.finditer("://", text)][:16]:
        rest = text[start:]
        if "@" in rest:
            found.append(rest.rpartition("@")[0])
            first = rest.partition("@")[0]
            if first != found[-1]:
                found.append(first)
    return found


def _url_flag_values(texts: list[str]) -> list[str]:
    """The values given to --proxy-url (or --proxy), in any spelling: separate, with '=', or
    inside one argument that holds several flags."""
    values = []
    for index, text in enumerate(texts):
        if text in ("--proxy-url", "--proxy") and index + 1 < len(texts):
            values.append(texts[index + 1])
        values += re.findall(r"(?:^|\s)--proxy(?:-url)?(?:=|\s+)(\S+)", text)
    return values


def _later_forms(secrets: list[tuple[str, bool]]) -> list[str]:
    """What to hide of secrets read after the command line: a URL's credentials; a token as
    written and in the base64 a Secret's data holds it in."""
    import base64

    urls = [secret for secret, url in secrets if url]
    tokens = [secret for secret, url in secrets if not url]
    encoded = [base64.b64encode(token.encode("utf-8", "surrogateescape")).decode("ascii")
               for token in tokens]
    return [*credentials_in(urls, urls=urls),
            *(form for form in [*tokens, *encoded, *(e.rstrip("=") for e in encoded)]
              if len(form) >= _SHORTEST_TOKEN)]


def _forms(user: str, password: str, userinfo: str) -> list[str]:
    """What a proxy or a library may quote back of these credentials."""
    import base64

    from post_renderer.proxy_settings.proxy_url import percent_decoded

    hidden = password if password else userinfo.removesuffix(":")  # else a token
    plain = percent_decoded(hidden)
    # as sent in Proxy-Authorization: Basic (a user alone as "user:"), padded or not
    basic = base64.b64encode(f"{percent_decoded(user)}:{percent_decoded(password)}".encode(
        "utf-8", "surrogateescape")).decode("ascii")
    forms = [hidden, plain, basic, basic.rstrip("="),
             basic.replace("+", "-").replace("/", "_").rstrip("="),
             plain.upper(), plain.lower(),  # where a change of case changes the length (ß)
             " ".join(plain.split()),  # white space collapsed, as messages print it
             plain.encode("utf-8", "surrogateescape").decode("latin-1")]  # read as Latin-1
    if password and len(plain) < _SHORTEST_HIDDEN:  # too short to hide alone: with its user
        forms.append(f"{percent_decoded(user)}:{plain}")
    return forms


_SHORTEST_HIDDEN = 4  # shorter ones would blank out ordinary words; the sources never echo them
# A Spot token is 64 characters; a shorter one is a placeholder ("TOKEN", "changeme"), and
# hiding it would blank out the word in every message ("the Spot ***").
_SHORTEST_TOKEN = 10


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
