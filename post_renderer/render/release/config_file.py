"""The ``--config`` file itself: read, its shape checked, and what its mode exposes. What its
settings mean is ``settings``'s."""

import os
import re
import stat

from post_renderer.errors import TAGGED_VALUE_ERRORS, ConfigError, ProxyUrlError, shown
from post_renderer.proxy_settings.proxy_url import parse_proxy_url
from post_renderer.render.stream.kube import YamlNode
from post_renderer.user_files import load_taking_tabs, read_user_text, yaml_tab_refused

CONFIG_KEYS = ("proxyUrl", "caFiles", "noProxy", "workloads", "autoUpdate")
MAX_CONFIG_BYTES = 1024 * 1024
_TAB_HINT = "indent with spaces: YAML does not read tabs there"


def read_config(path: str, what: str) -> tuple[dict[str, YamlNode], str]:
    """``what`` names the file in the errors of reading it."""
    name = shown(path, quoted=False)
    data = _loaded(path, what, name)
    if data is None:
        return {}, os.path.dirname(path)
    return _settings_of(data, name), os.path.dirname(path)


def _loaded(path: str, what: str, name: str) -> object:
    """The file's one YAML document, as the safe loader reads it (None when empty)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    text = read_user_text(path, MAX_CONFIG_BYTES, what,
                          "a config file holds a few settings: check that it names the right "
                          "file", f"config file {name}", "save the config file as UTF-8")
    try:
        data = load_taking_tabs(YAML(typ="safe", pure=True).load, text)
    except YAMLError as error:
        from ruamel.yaml.composer import ComposerError
        from ruamel.yaml.constructor import DuplicateKeyError

        if tab := yaml_tab_refused(error, text, f"config file {name}", _TAB_HINT):
            raise tab from None
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        what = ("has a key twice" if isinstance(error, DuplicateKeyError)
                else "holds more than one document" if isinstance(error, ComposerError)
                and "another document" in str(error) else "is not valid YAML")
        raise ConfigError(f"config file {name} {what}{line}",
                          hint="fix the YAML of the config file: one mapping, each key once"
                          ) from None
    except TAGGED_VALUE_ERRORS:
        raise ConfigError(f"config file {name} is not valid YAML: a value cannot be read as "
                          "the type its tag names, such as !!int",
                          hint="fix the YAML of the config file: one mapping, each key once"
                          ) from None
    return data


def _settings_of(data: object, name: str) -> dict[str, YamlNode]:
    """``data``, checked: a mapping of known settings, proxyUrl and autoUpdate as text."""
    if isinstance(data, str) and re.match(r"(?:export\s+)?[A-Za-z_]\w*=", data):
        raise ConfigError(f"config file {name} holds NAME=value lines, as a shell or .env "
                          "file does, not YAML settings",
                          hint="write each setting as YAML, 'proxyUrl: URL' (known settings: "
                               f"{', '.join(CONFIG_KEYS)}), or export the OCEAN_PROXY_* "
                               "variables instead of naming a config file")
    if not isinstance(data, dict):
        raise ConfigError(f"config file {name} must be a mapping of settings",
                          hint=f"known settings: {', '.join(CONFIG_KEYS)}")
    for key in data:
        if key not in CONFIG_KEYS:
            import difflib

            close = difflib.get_close_matches(str(key), CONFIG_KEYS, n=1)
            raise ConfigError(
                f"config file {name}: unknown setting {shown(str(key))}",
                hint=f"did you mean '{close[0]}'?" if close
                else f"known settings: {', '.join(CONFIG_KEYS)}",
            )
    for key in ("proxyUrl", "autoUpdate"):
        if data.get(key) is not None and not isinstance(data[key], str):  # empty is unset
            raise ConfigError(f"config file {name}: '{key}' must be a string",
                              hint=f"e.g. {key}: " + ("http://proxy.corp:3128"
                                                      if key == "proxyUrl" else "inject"))
    return data


def exposed_credentials(path: str, config: dict[str, YamlNode], source: str,
                        winner: str | None) -> tuple[str, ...]:
    """A config file whose proxy URL carries credentials, readable by other users: said, as
    helm says of a kubeconfig others can read, not refused (a git checkout makes it 0644).
    ``winner`` is the flag or variable that gives the proxy instead, if one does."""
    url = config.get("proxyUrl")
    try:
        if not (isinstance(url, str) and parse_proxy_url(url, source=source).has_credentials):
            return ()
        status = os.stat(path)
    except (ProxyUrlError, OSError):  # a URL refused where it is used; a file gone since
        return ()
    mode = stat.S_IMODE(status.st_mode)
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return ()
    readers = ("every user of this machine" if mode & stat.S_IROTH
               else f"the members of its group {_group_name(status.st_gid)}")
    said = f"{source} holds the proxy's credentials, and {readers} can read it (mode {mode:04o})"
    if winner:
        return (f"{said}; its proxyUrl is not used ({winner} gives the proxy): take it out, "
                "or make the file yours alone (chmod 600)",)
    return (f"{said}: make it yours alone (chmod 600), or give the URL by OCEAN_PROXY_URL",)


def _group_name(gid: int) -> str:
    import grp

    try:
        return shown(grp.getgrgid(gid).gr_name)
    except KeyError:  # a group id without a name (a container's, say)
        return str(gid)
