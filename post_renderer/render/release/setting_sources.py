"""What the settings are read from, without reading them: light enough for the argument
parser, which needs the auto-update policies before anything heavy is imported."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

AUTO_UPDATE_POLICIES = ("inject", "keep", "refuse")

# Every OCEAN_PROXY_* variable read by the commands, the plugins' wrappers and the auto-update
# Job's post-renderer, then those of the example scripts and CI jobs, which users export in
# the shell they run helm from.
SETTING_VARIABLES = ("URL", "CA_FILE", "NO_PROXY", "CONFIG", "AUTO_UPDATE", "STRICT",
                     "NO_CACHE", "CACHE_DIR", "CACHE_KEY_FILE", "MESSAGES", "PYTHON")
_OTHER_VARIABLES = ("VERSION", "RELEASE_URL", "PLUGIN_URL", "KEYRING", "VERIFY", "ARGS",
                    "JOB_LOG", "JOB_CHART", "FUZZ_SCALE")
# How a setting's variable is also written: the config file's caFiles, the flag --proxy-url.
_ALSO_WRITTEN = {"CA_FILES": "CA_FILE", "CA": "CA_FILE", "CA_BUNDLE": "CA_FILE",
                 "CA_CERT": "CA_FILE", "CA_PATH": "CA_FILE", "CA_DIR": "CA_FILE",
                 "CA_FILE_PATH": "CA_FILE", "PROXY_URL": "URL", "PROXY": "URL",
                 "HTTPS_PROXY": "URL", "HTTP_PROXY": "URL", "CONFIG_FILE": "CONFIG"}
_PREFIX = "OCEAN_PROXY_"


def split_paths(value: str | None) -> list[str]:
    """OCEAN_PROXY_CA_FILE's paths, separated as PATH is; a blank one beside others (a line
    break after the last ':') names no file, and is left out as an empty one is."""
    return [p for p in (value or "").split(os.pathsep) if p.strip()]


def misspelt_variables(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each OCEAN_PROXY_* variable that is set, none of ours, and close to a setting's name,
    with that setting's variable: nothing reads it, so the setting it was meant for would go
    unset without a word (``CA_FILES`` for ``CA_FILE``, as the config file writes caFiles). One
    close to none is a variable of the user's own, and left alone; so is one beside the very
    variable it is close to (``CA_FILE_B64``, that a pipeline writes ``CA_FILE``'s file from).
    A setting's name in another case (``ocean_proxy_url``) is named always: nothing reads it,
    and nobody writes it so on purpose; its value is never read either way. One in another
    case and close to a setting's name (``ocean_proxy_ca_files``) is named as one in capitals
    would be."""
    known = {*SETTING_VARIABLES, *_OTHER_VARIABLES}
    other_case, unknown = [], []
    for name, value in environ.items():
        if not value or name[:len(_PREFIX)].upper() != _PREFIX:
            continue
        suffix = name[len(_PREFIX):].upper()
        if suffix in SETTING_VARIABLES and name != _PREFIX + suffix:
            other_case.append((name, _PREFIX + suffix))
        elif suffix not in known and re.fullmatch(r"[A-Z0-9_]{1,40}", suffix):
            unknown.append((name, suffix))
    if not unknown:
        return sorted(other_case)
    import difflib  # only for a variable none of ours: not on every run

    candidates = {**{name: name for name in SETTING_VARIABLES}, **_ALSO_WRITTEN}
    misspelt = []
    for name, suffix in unknown:
        close = difflib.get_close_matches(suffix, list(candidates), 1, 0.75)
        if close and not environ.get(_PREFIX + candidates[close[0]]):
            misspelt.append((name, _PREFIX + candidates[close[0]]))
    return sorted([*other_case, *misspelt])
