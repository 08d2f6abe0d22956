"""How the messages that name a command spell it: ``helm ocean-proxy`` under the command
plugin; under Helm 4's post-renderer plugin, as the plugins helm finds beside it allow (that
plugin alone puts no ``ocean-proxy`` on PATH, and Helm 4 puts no plugin's bin/ there).

    command_beside_the_post_renderer(os.environ)   # 'helm ocean-proxy', or the path of
                                                   # .../ocean-proxy-post-renderer/bin/ocean-proxy
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

PROGRAM = "ocean-proxy"  # the command-line tool, and the name of its command plugin
HELM_COMMAND = f"helm {PROGRAM}"  # the tool as the command plugin runs it


def command_beside_the_post_renderer(environ: Mapping[str, str]) -> str:
    """'helm ocean-proxy' when helm finds the command plugin where it found the post-renderer
    (HELM_PLUGINS, else the post-renderer's own plugins directory), else the path of the
    post-renderer plugin's bin/ocean-proxy."""
    plugin_dir = environ.get("HELM_PLUGIN_DIR", "")
    folders = environ.get("HELM_PLUGINS", "").split(os.pathsep) \
        if environ.get("HELM_PLUGINS") else [os.path.dirname(plugin_dir)]
    if any(_is_the_command_plugin(os.path.join(folder, entry, "plugin.yaml"))
           for folder in folders if folder for entry in _entries(folder)):
        return HELM_COMMAND
    own = os.path.join(plugin_dir, "bin", PROGRAM)
    return _as_word(own) if plugin_dir and os.access(own, os.X_OK) else HELM_COMMAND


def _as_word(path: str) -> str:
    """The path as one shell word, to stand for 'ocean-proxy' in the commands messages show
    in single quotes (run 'ocean-proxy verify --help'): a path with a space goes in double
    quotes, which read the same inside those; it is shell-quoted where double quotes would
    not keep it as it is ('$', a backquote, '!', a quote)."""
    import shlex  # only for a message that names a command

    if shlex.quote(path) == path or re.search(r"[\"$`\\!']", path):
        return shlex.quote(path)
    return f'"{path}"'


def _entries(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _is_the_command_plugin(manifest: str) -> bool:
    """Helm finds a plugin by the name in its manifest, whatever its directory is called;
    read as YAML, as helm reads it (a byte order mark, a flow mapping, a quoted key). Another
    plugin's manifest that our reader refuses (a date Go reads as a string, a bad tag) is
    not the command plugin's, and never stops a message."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        with open(manifest, encoding="utf-8-sig", errors="replace") as handle:
            loaded = YAML(typ="safe", pure=True).load(handle.read(1 << 16))
    except (OSError, YAMLError, ValueError, TypeError, RecursionError):
        return False
    return isinstance(loaded, dict) and loaded.get("name") == PROGRAM
