"""Files the user names (CA files, the config file): read with a size limit, and errors that
say which file, from which option, and what to do."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from typing import TypeVar

from post_renderer.errors import ConfigError, OceanProxyError, clipped, shown, visible

Loaded = TypeVar("Loaded")

# A CA bundle file: the most trust reads (a whole public bundle is some 220 KiB), and one byte
# more read, so that "too large" is seen as such. Here, not in trust: a render reads the CA
# files an environment names for every release, and one without a Spot agent loads no trust.
MAX_CA_BUNDLE_BYTES = 4 * 1024 * 1024
MAX_CA_FILE_BYTES = MAX_CA_BUNDLE_BYTES + 1
MISSING_HINT = "check the path; a relative path starts from the current directory"
STDIN_HINT = "'-' is a file name here, not standard input: give the file's path"
SPACED_HINT = ("the path starts or ends with a space or a line break (as a variable or a "
                "config value can): drop it")
TILDE_HINT = ("'~' is not the home directory here: a shell expands it only at the start of a "
              "word, and nothing expands it in a config file; write the whole path, or "
              "$HOME/... on a command line")
# '$HOME/ca.pem' in a config file, or in single quotes: the '$NAME' part, looked for only in a
# path that does not exist (compiled then, by re's own cache)
_VARIABLE = r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)"


def read_user_file(path: str, limit: int, what: str, missing_hint: str = MISSING_HINT,
                   too_large_hint: str | None = None) -> bytes:
    """At most ``limit`` bytes of ``path``; ``what`` names it in errors ("CA file (--ca-file)"),
    ``missing_hint`` is the hint when it does not exist. With ``too_large_hint``, a larger file
    is refused with it, not read cut short (where a cut file would be misread: a config file,
    a values file)."""
    name = shown(path, quoted=False)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit if too_large_hint is None else limit + 1)
    except FileNotFoundError:
        if path.strip() != path and path.strip():  # a CI variable's line break, say: unseen
            name, missing_hint = shown(path), SPACED_HINT
        if path == "-":
            missing_hint = STDIN_HINT
        elif _unexpanded_tilde(path):
            missing_hint = TILDE_HINT
        elif variable := re.search(_VARIABLE, path):
            missing_hint = (f"'{variable[0]}' is not expanded here: nothing expands variables "
                            "in a config file, nor does a shell within single quotes; write "
                            "the whole path")
        elif missing_hint == MISSING_HINT and not os.path.isabs(path):
            missing_hint = _missing_from_here()
        raise ConfigError(f"{what} {name} does not exist", hint=missing_hint) from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {name} is a directory", hint="name the file itself") from None
    except PermissionError:
        raise ConfigError(f"{what} {name} cannot be read (permission denied)",
                          hint="check the file's permissions") from None
    except OSError as error:
        raise ConfigError(f"{what} {name} cannot be read ({error.strerror})",
                          hint="check the path") from None
    except ValueError:  # a NUL or an unpaired surrogate (from a config file): no file has it
        raise ConfigError(f"{what} {name} is not a file name a system can hold (a NUL or an "
                          "unpaired surrogate in it)", hint="check the path") from None
    if too_large_hint is not None:
        refuse_larger(data, limit, f"{what} {name}", too_large_hint)
    return data


def _missing_from_here() -> str:
    """The hint for a relative path, naming the directory it started from: under helm, helm's
    own, which a CI step or a helmfile may have set elsewhere than the user thinks."""
    try:
        here = os.getcwd()
    except OSError:  # the directory was removed under the run
        return MISSING_HINT
    return f"{MISSING_HINT}, here {visible(clipped(here, 200))}"


def refuse_larger(data: bytes, limit: int, what: str, hint: str,
                  kind: type[OceanProxyError] = ConfigError) -> None:
    """Refuse ``data``, read as at most ``limit`` + 1 bytes (so that an endless input is
    never held whole), when it is larger than ``limit``: a user file, the manifests.

        >>> refuse_larger(b"x" * 11, 10, "values file v.yaml", "name the chart's values")
        Traceback (most recent call last):
        ...
        post_renderer.errors.ConfigError: values file v.yaml is larger than 10 bytes
    """
    if len(data) > limit:
        size = next((f"{limit // unit} {unit_name}" for unit, unit_name in _UNITS
                     if limit >= unit), f"{limit} bytes")
        raise kind(f"{what} is larger than {size}", hint=hint)


_UNITS = ((2**30, "GiB"), (2**20, "MiB"))


def _unexpanded_tilde(path: str) -> bool:
    """'--config=~/x' (no shell expands it there), or '~/x' in caFiles joined to the config
    file's directory: a part of the path that is '~' or '~user'."""
    return any(part.startswith("~") for part in path.split(os.sep)[:-1])


def missing_beside_config_hint(config: str) -> str:
    """The hint for a file the config file names that does not exist: where its relative
    paths started from, when that is not plain. They start from the directory the config file
    is named in, as kubectl reads a kubeconfig's: through a symbolic link, the link's (a
    Kubernetes volume's files are links into a hidden directory, and '../' must leave the
    volume's); a pipe (a shell's <(...)) is in no directory a CA file could share."""
    start = "check the path; a relative path starts from"
    try:
        if stat.S_ISFIFO(os.stat(config).st_mode):
            return ("the config file is a pipe (a shell's <(...), say), which is in no "
                    "directory: give its caFiles as absolute paths")
        folder, target = os.path.dirname(os.path.abspath(config)), os.path.dirname(
            os.path.realpath(config))
    except (OSError, ValueError):
        return f"{start} the config file's directory"
    if folder != target and os.path.islink(config):
        return (f"{start} the directory of the config file's link, "
                f"{shown(folder, quoted=False)}, not of its target, "
                f"{shown(target, quoted=False)}")
    return f"{start} the config file's directory"


def read_user_text(path: str, limit: int, what: str, too_large_hint: str, named: str,
                   utf8_hint: str) -> str:
    """A YAML file the user wrote (a config file, a values file), as UTF-8 text, refused
    whole when larger than ``limit``; ``named`` is how a refusal of its text names it."""
    try:
        return read_user_file(path, limit, what, too_large_hint=too_large_hint).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{named} is not UTF-8 text (byte {error.start})",
                          hint=utf8_hint) from None


def yaml_tab_refused(error: object, text: str, named: str, hint: str) -> ConfigError | None:
    """The YAML ``error`` said as a tab where YAML allows only spaces, with its line and
    column, the usual slip in a file written by hand; None for any other error. Never the
    text."""
    mark = getattr(error, "problem_mark", None)
    lines = text.splitlines()
    if mark is None or mark.line >= len(lines):
        return None
    if lines[mark.line][mark.column:mark.column + 1] != "\t":
        return None
    return ConfigError(f"{named} has a tab at line {mark.line + 1}, column {mark.column + 1}, "
                       "where YAML allows only spaces", hint=hint)


def load_taking_tabs(load: Callable[[str], Loaded], text: str) -> Loaded:
    """``load(text)``, a YAML file the user wrote, with each tab the reader stops at after a
    token on its line ('key: value<TAB>', 'key:<TAB>value', 'value<TAB># note') read as a
    space, as helm's YAML reader (go-yaml) reads it: there, never inside a value, it only
    separates. A tab that indents, follows a '- ', or sits between two words of a value (which
    go-yaml keeps in the value) stays refused (``yaml_tab_refused``)."""
    from ruamel.yaml.error import MarkedYAMLError

    for _ in range(min(text.count("\t"), _MOST_TABS_TAKEN)):
        try:
            return load(text)
        except MarkedYAMLError as error:
            at = getattr(error.problem_mark, "index", -1)
            before = text[text.rfind("\n", 0, at) + 1:at] if 0 <= at < len(text) else ""
            if not before or text[at] != "\t" or re.fullmatch(r"[ \t]*(?:-[ \t]+)*-?", before):
                raise
            # between two words of a plain value ('- my<TAB>ca.pem') go-yaml keeps the tab
            after = re.match(r"[ \t]*([^\r\n]?)", text[at:])
            if after and after[1] not in ("", "#") and not before.rstrip(" \t").endswith(":"):
                raise
            text = f"{text[:at]} {text[at + 1:]}"
    return load(text)


# each tab taken is one more reading of the file: a file with more is read as it is
_MOST_TABS_TAKEN = 64
