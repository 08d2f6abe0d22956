"""The mistakes a user can make, one exception type each, carrying what the user is told.

Every message and hint is written for the person running ``helm``: what is wrong, where,
and what to do about it. None of them may contain a secret (token, key, proxy password).
"""

from __future__ import annotations

_NOT_SHOWN = "(the value is not shown: it may hold a password)"
# What ruamel.yaml's constructors raise, past their YAMLError, on a value its tag cannot read
# (!!int on a URL, !!float _, an !!omap with a key twice fails an assert): their text quotes
# the value, so each reader says "not valid YAML" instead
TAGGED_VALUE_ERRORS = (ValueError, KeyError, IndexError, TypeError, OverflowError, AssertionError)


def shown(value: str, *, quoted: bool = True) -> str:
    """A value the user gave, for a message: itself, or a stand-in when it could hold
    credentials (a URL, anything with an '@'), whatever characters those contain.

        >>> shown("Deployment/x"), shown("http://u:p w@h", quoted=False)
        ("'Deployment/x'", '(the value is not shown: it may hold a password)')
    """
    if "@" in value or "://" in value or len(value) > 200 or _pasted_key(value):
        return _NOT_SHOWN
    value = visible(value)  # an error is one line: a line break in it would be lost as a space
    return f"'{value}'" if quoted else value


def _pasted_key(value: str) -> bool:
    """Whether ``value`` holds a run of base64 or hex as long as a token's or a key's, letters
    and digits mixed: one pasted in the wrong place (a Spot token is 64 hex digits, a P-256
    key 184 base64 characters). No Kubernetes name has one, nor a path written by hand (a
    Nix store's hash is 32 characters long)."""
    import re  # only for the values a message may quote

    return any(len(run) >= 40 and not run.isalpha() and not run.isdigit()
               for run in re.findall(r"[A-Za-z0-9+=]+", value))


def visible(text: str) -> str:
    r"""``text`` with control and other invisible characters escaped: a value from the input
    can hold an ESC that would clear the terminal, a NUL, or a line break.

        >>> visible("a\x1b[2Jb")
        'a\\x1b[2Jb'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def clipped(text: str, limit: int = 120) -> str:
    """A name from the input, for a message: itself, or its start and its length when long.

        >>> clipped("a" * 200, 5)
        'aaaaa... (200 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def one_line(text: str, limit: int = 120) -> str:
    r"""Free text from elsewhere (a library's error, what a proxy answered), for a message:
    invisible characters and runs of white space as one space, cut after ``limit``.

        >>> one_line("Forbidden\r\n\x1b[31mred"), one_line("x" * 200, 10)
        ('Forbidden [31mred', 'xxxxxxxxxx...')
    """
    clean = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return clean if len(clean) <= limit else clean[:limit] + "..."


class Paragraph(str):
    """A notice or warning too long for one line: a headline, then lines said indented
    under it, each one fact or one command to copy.

    As a ``str`` it is its lines joined by spaces, which is what is compared and deduplicated;
    the lines are given one by one, never found by splitting, so a line break in a value
    from the input is still shown escaped, not as a line of its own.

        >>> said = Paragraph("auto-update is on", "its Job reaches the proxy")
        >>> said, said.lines[1:]
        ('auto-update is on its Job reaches the proxy', ('its Job reaches the proxy',))
    """

    lines: tuple[str, ...]

    def __new__(cls, headline: str, *under: str) -> Paragraph:
        made = super().__new__(cls, " ".join(line.strip() for line in (headline, *under)))
        made.lines = (headline, *under)
        return made


def as_flags(*flags: str) -> str:
    """Our flags as a hint writes them, 'FLAG=VALUE' with VALUE to fill in: helm refuses a flag
    of ours on its own command line, so each is also shown after its --post-renderer-args."""
    under_helm = " ".join(f"--post-renderer-args {flag}" for flag in flags)
    return f"{' '.join(flags)} (under helm: {under_helm})"


def run_command(words: list[str], purpose: str = "") -> str:
    """A hint's command line to run, built from words the user gave, to paste as it stands:
    each word shell-quoted where it needs it. Messages show a command in single quotes; a
    command holding a quote of its own (a file name with a space, a '$' or a quote) would not
    paste as it reads inside them, so it is said last, after 'run: ', without them.

        >>> run_command(["ocean-proxy", "check-bundle", "ca.pem"], "to check it")
        "run 'ocean-proxy check-bundle ca.pem' to check it"
        >>> run_command(["ocean-proxy", "check-bundle", "my ca.pem"], "to check it")
        "to check it, run: ocean-proxy check-bundle 'my ca.pem'"
    """
    import shlex  # only for a hint

    line = shlex.join(words)
    if "'" not in line:
        return f"run '{line}'" + (f" {purpose}" if purpose else "")
    return (f"{purpose}, run: " if purpose else "run: ") + line


def short_error(error: Exception) -> str:
    """A library's error on one line, short enough for a message."""
    return one_line(str(error)) or type(error).__name__


class OceanProxyError(Exception):
    """Base class: a one-line message, an optional hint, and the process exit code."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(OceanProxyError):
    """The command line itself is wrong (unknown flag, missing argument)."""

    exit_code = 2


class ConfigError(OceanProxyError):
    """A setting from a flag, an environment variable or the config file is invalid."""


class ProxyUrlError(ConfigError):
    """The proxy URL cannot be used by the controller and the log-shipper."""


class ManifestError(OceanProxyError):
    """The manifests on standard input cannot be post-rendered safely."""


class TargetError(OceanProxyError):
    """The workload to inject into cannot be found, or is ambiguous."""


class WorkloadConflictError(ConfigError):
    """Two target workloads' settings disagree where one post-render can give only one."""


class LintError(OceanProxyError):
    """With ``--strict``: something the post-renderer cannot make right (see render.lints)."""


class BundleError(OceanProxyError):
    """A CA bundle is refused: it would not give the pods the trust they need."""


class AutoUpdateError(OceanProxyError):
    """The release's auto-update Job conflicts with the chosen auto-update policy."""


class NetworkError(OceanProxyError):
    """A network step of discover-ca or verify failed (proxy, tunnel or TLS)."""


class ProxyUnreachableError(NetworkError):
    """The proxy cannot be reached: unknown name, connection refused, or no answer in time."""


class ProxyAuthError(NetworkError):
    """The proxy answered 407: credentials are missing, wrong, or of a kind we cannot send."""


class ConnectRefusedError(NetworkError):
    """The proxy answered CONNECT with something other than success or 407."""


class ProxyProtocolError(NetworkError):
    """The proxy's answer is not HTTP, is too large, or stops half-way."""


class TlsHandshakeError(NetworkError):
    """TLS failed for a reason other than the certificate (protocol, reset, timeout)."""


class CertificateVerifyError(NetworkError):
    """The certificate presented through the proxy is not trusted for the target name."""


class UnknownIssuerError(CertificateVerifyError):
    """The chain ends at an issuer the given trust does not contain."""


class NameMismatchError(CertificateVerifyError):
    """The certificate is valid, but not for the name that was asked for."""


class CertificateExpiredError(CertificateVerifyError):
    """A certificate of the chain is expired (or not yet valid)."""


class DiscoveryError(OceanProxyError):
    """discover-ca found nothing it can offer as the CA to trust."""


class AiaFetchError(NetworkError):
    """A certificate's "CA Issuers" URL could not be fetched through the proxy."""


class OutputError(OceanProxyError):
    """The result could not be written: standard output or the output file failed."""


class OverlayError(OceanProxyError):
    """The injection cannot be written as this chart's values."""
