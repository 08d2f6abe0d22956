"""What the user asked for: flags, then environment variables, then the ``--config`` file.

Each setting comes from the first of these that sets it (a list is never merged across
sources); what the chart rendered is the fallback, read later from the manifests.

    # ocean-proxy.yaml (--config, or OCEAN_PROXY_CONFIG)
    proxyUrl: http://proxy.corp.example:3128
    caFiles: [corp-root.pem]          # relative to this file
    noProxy: [.corp.example, 10.0.0.0/8]
    workloads: [Deployment/my-controller]
    autoUpdate: inject                # inject | keep | refuse

Environment: OCEAN_PROXY_URL, OCEAN_PROXY_CA_FILE (several separated by ':'),
OCEAN_PROXY_NO_PROXY, OCEAN_PROXY_AUTO_UPDATE, OCEAN_PROXY_CONFIG.
"""

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from post_renderer.errors import ConfigError, UsageError, as_flags, shown
from post_renderer.proxy_settings.no_proxy import parse_no_proxy
from post_renderer.proxy_settings.proxy_url import parse_proxy_url
from post_renderer.render.release.setting_sources import (
    AUTO_UPDATE_POLICIES,
    misspelt_variables,
    split_paths,
)
from post_renderer.render.release.workloads import WorkloadRef, parse_workload_ref
from post_renderer.render.stream.kube import YamlNode
from post_renderer.switches import switch
from post_renderer.user_files import (
    MAX_CA_FILE_BYTES,
    missing_beside_config_hint,
    read_user_file,
)

if TYPE_CHECKING:
    import argparse



class Setting(NamedTuple):
    """A value and where it came from, for messages such as 'from --proxy-url'."""

    value: Any
    source: str


class UserSettings(NamedTuple):
    proxy_url: Setting | None = None  # value: ProxyUrl
    ca_files: Setting | None = None  # value: tuple of (path, contents)
    no_proxy: Setting | None = None  # value: tuple of NO_PROXY entries
    workloads: tuple[WorkloadRef, ...] = ()
    auto_update: Setting = Setting("inject", "default")
    strict: bool = False  # --strict: also the auto-update Job's post-renderer fails, not skips
    strict_source: str = "--strict"  # or OCEAN_PROXY_STRICT: what a message tells to undo
    # False: only the environment configured the injection (OCEAN_PROXY_URL, the file named
    # by OCEAN_PROXY_CONFIG), which a pipeline sets once for every release it runs
    command_line: bool = True

    @property
    def explicit(self) -> bool:
        """True when the user configured anything to inject (not only a policy)."""
        return bool(self.proxy_url or self.ca_files or self.no_proxy or self.workloads)

    @property
    def sources(self) -> tuple[str, ...]:
        """Where the settings to inject came from: '--proxy-url', 'OCEAN_PROXY_CA_FILE'..."""
        return tuple(dict.fromkeys(setting.source for setting in
                                   (self.proxy_url, self.ca_files, self.no_proxy) if setting))


def tell_no_one(secret: str, *, url: bool = False) -> None:
    """Where a secret read from a file or the manifests goes when nothing will be printed;
    else it goes to the reporter, which then never prints it (``hide`` below)."""


def config_file(flags: "argparse.Namespace", environ: Mapping[str, str]) -> str | None:
    """The config file the settings come from: --config, else OCEAN_PROXY_CONFIG."""
    if flags.config:
        return str(flags.config)
    _refuse_blank(environ, "OCEAN_PROXY_CONFIG", "config file's path")
    return environ.get("OCEAN_PROXY_CONFIG") or None


def _refuse_blank(environ: Mapping[str, str], name: str, what: str, *,
                  paths: bool = False) -> None:
    """A variable of spaces or a line break alone (a CI secret that holds none): taken for
    unset, as an empty one is, it would drop the proxy, the CA or the config file without a
    word, and the pods would not reach the Spot API; taken as set, it names no URL or file."""
    value = environ.get(name) or ""
    if paths:  # ':\n' names no file; ':' alone is empty entries, unset as '' is
        blank = bool(value.strip(os.pathsep)) and not split_paths(value)
    else:
        blank = bool(value) and not value.strip()
    if blank:
        raise ConfigError(f"{name} is blank: it holds only spaces or line breaks, no {what}",
                          hint=f"set it to the {what}, or leave it empty ({name}=) or unset "
                               "to use the next source")


def read_settings(flags: "argparse.Namespace", environ: Mapping[str, str],
                  warn: Callable[[str], None], hide: Callable[..., None] = tell_no_one
                  ) -> UserSettings:
    """Resolve every setting from the flags, the environment and the config file. What is to
    be said of the config file itself goes to ``warn`` as soon as it is read: a setting
    refused later (a CA file not written yet) does not hide it; its proxy URL goes to
    ``hide(url, url=True)``: no message may show its credentials (the command line's are
    known already)."""
    config, config_dir, config_source = _config_of(flags, environ, warn, hide)
    proxy = _proxy_source(flags, environ, config, config_source)
    ca_files = _ca_files_source(flags, environ, config, config_dir, config_source)
    no_proxy = _first(
        (flags.no_proxy, "--no-proxy"),
        (_as_list(environ.get("OCEAN_PROXY_NO_PROXY")), "OCEAN_PROXY_NO_PROXY"),
        (_as_list(config.get("noProxy"), f"{config_source}: noProxy"), config_source),
    )
    workloads = _first(
        (flags.workload, "--workload"),
        (_as_list(config.get("workloads"), f"{config_source}: workloads"), config_source),
    )
    policy = _first(
        (flags.auto_update, "--auto-update"),
        (_word(environ.get("OCEAN_PROXY_AUTO_UPDATE")), "OCEAN_PROXY_AUTO_UPDATE"),
        (_word(config.get("autoUpdate")), config_source),
    ) or Setting("inject", "default")
    _check_policy(policy)
    return UserSettings(
        proxy_url=_parsed_proxy(proxy, config_source),
        ca_files=_read_ca_files(ca_files, config_source, config_file(flags, environ)),
        no_proxy=no_proxy and Setting(parse_no_proxy(no_proxy.value, no_proxy.source),
                                      no_proxy.source),
        workloads=tuple(parse_workload_ref(w, workloads.source)
                        for w in workloads.value) if workloads else (),
        auto_update=policy,
        strict=bool(getattr(flags, "strict", False)) or switch(environ, "OCEAN_PROXY_STRICT"),
        strict_source="--strict" if getattr(flags, "strict", False) else "OCEAN_PROXY_STRICT",
        command_line=any(getattr(flags, name, None) for name in _INJECTION_FLAGS),
    )


# what configures an injection on the command line (a --config file: its settings)
_INJECTION_FLAGS = ("proxy_url", "ca_file", "no_proxy", "workload", "config")


class NetworkUserSettings(NamedTuple):
    """What verify and discover-ca take of the settings."""

    proxy: Setting | None  # value: ProxyUrl
    ca_files: Setting | None  # value: tuple of (path, contents)
    ca_paths: Setting | None  # value: the CA files' paths, read or not


def network_settings_from(flags: "argparse.Namespace", environ: Mapping[str, str], *,
                          ca_files: bool, warn: Callable[[str], None],
                          hide: Callable[..., None] = tell_no_one) -> NetworkUserSettings:
    """verify's and discover-ca's share of the settings, from the same sources in the same
    order as a render's: the proxy, and with ``ca_files`` the CA files. discover-ca reads no
    caFiles: it writes the file they may name. ``warn`` and ``hide`` as for
    ``read_settings``."""
    config, config_dir, config_source = _config_of(flags, environ, warn, hide)
    if config_source:
        _check_config(config, config_dir, config_source)
    proxy = _parsed_proxy(_proxy_source(flags, environ, config, config_source), config_source)
    paths = _ca_files_source(flags, environ, config, config_dir, config_source)
    read = _read_ca_files(paths, config_source, config_file(flags, environ)) if ca_files else None
    return NetworkUserSettings(proxy, read, paths)


def _check_config(config: dict[str, YamlNode], config_dir: str, source: str) -> None:
    """What a render would refuse in the config file's own settings, refused by verify and
    discover-ca too, which use only its proxy (and CA files): a file they take, the
    post-renderer takes."""
    _config_paths(config.get("caFiles"), config_dir, source)
    parse_no_proxy(_as_list(config.get("noProxy"), f"{source}: noProxy"), source)
    for ref in _as_list(config.get("workloads"), f"{source}: workloads"):
        parse_workload_ref(ref, source)
    _check_policy(_first((_word(config.get("autoUpdate")), source)))


def _check_policy(policy: Setting | None) -> None:
    if policy is not None and policy.value not in AUTO_UPDATE_POLICIES:
        meant = str(policy.value).lower()  # 'KEEP': said, as the flag says it
        raise ConfigError(
            f"{policy.source}: auto-update policy {shown(str(policy.value))} is unknown",
            hint=f"write it {meant}" if meant in AUTO_UPDATE_POLICIES else
            f"use one of {', '.join(AUTO_UPDATE_POLICIES)}",
        )


def _word(value: YamlNode) -> YamlNode:
    """A variable's or config value's word without the spaces or line break around it (a CI
    variable's), as the proxy URL is read; blank, it counts as unset."""
    return value.strip() if isinstance(value, str) else value


def _config_of(flags: "argparse.Namespace", environ: Mapping[str, str],
               warn: Callable[[str], None], hide: Callable[..., None]
               ) -> tuple[dict[str, YamlNode], str, str]:
    """The config file's settings, its directory and how messages name it; what to say of
    the file goes to ``warn``, and so does a variable that looks meant for a setting."""
    _refuse_empty_flags(flags)
    for name, meant in misspelt_variables(environ):
        warn(f"{name} is set, but ocean-proxy reads no such variable: did you mean {meant}?")
    path = config_file(flags, environ)
    if not path:
        return {}, ".", ""
    from post_renderer.render.release.config_file import exposed_credentials, read_config

    # a variable a pipeline exported long before: the run's own command line names no file
    config, config_dir = read_config(path, "config file" if flags.config
                                      else "config file (from OCEAN_PROXY_CONFIG)")
    if isinstance(config.get("proxyUrl"), str):  # used or not: a typo elsewhere may quote it
        hide(config["proxyUrl"], url=True)
    source = f"config file {shown(path, quoted=False)}"
    winner = "--proxy-url" if flags.proxy_url else \
        "OCEAN_PROXY_URL" if environ.get("OCEAN_PROXY_URL") else None
    for warning in exposed_credentials(path, config, source, winner):
        warn(warning)
    if all(_first((value, source)) is None for value in config.values()):
        warn(f"{source} sets nothing: it is empty, or each value in it is (an empty secret, a "
             "variable envsubst did not find?)")
    return config, config_dir, source


def _proxy_source(flags: "argparse.Namespace", environ: Mapping[str, str],
                  config: dict[str, YamlNode], config_source: str) -> Setting | None:
    if flags.proxy_url is not None and not flags.proxy_url.strip():
        # '--proxy-url=$PROXY' with PROXY unset: not the chart's proxy, without a word
        raise UsageError("--proxy-url is given but empty",
                         hint="give the proxy's URL (is the variable it comes from set?), "
                              "or leave the flag out to use OCEAN_PROXY_URL, the config "
                              "file's proxyUrl or, when rendering, the chart's proxy")
    if flags.proxy_url is None:
        _refuse_blank(environ, "OCEAN_PROXY_URL", "proxy URL")
    return _first(
        (flags.proxy_url, "--proxy-url"),
        (environ.get("OCEAN_PROXY_URL"), "OCEAN_PROXY_URL"),
        (config.get("proxyUrl"), config_source),
    )


def _ca_files_source(flags: "argparse.Namespace", environ: Mapping[str, str],
                     config: dict[str, YamlNode], config_dir: str,
                     config_source: str) -> Setting | None:
    if not getattr(flags, "ca_file", None):
        _refuse_blank(environ, "OCEAN_PROXY_CA_FILE", "CA file's path", paths=True)
    return _first(
        (getattr(flags, "ca_file", None), "--ca-file"),  # discover-ca has none
        (split_paths(environ.get("OCEAN_PROXY_CA_FILE")), "OCEAN_PROXY_CA_FILE"),
        (_config_paths(config.get("caFiles"), config_dir, config_source), config_source),
    )


def _parsed_proxy(proxy: Setting | None, config_source: str) -> Setting | None:
    """Its errors name the config file's key: 'config file x.yaml: proxyUrl is empty'."""
    if proxy is None:
        return None
    named = f"{config_source}: proxyUrl" if proxy.source == config_source else proxy.source
    return Setting(parse_proxy_url(proxy.value, source=named), proxy.source)


def _read_ca_files(ca_files: Setting | None, config_source: str, config: str | None
                   ) -> Setting | None:
    """``config``: the config file's path, which ``config_source`` names in messages."""
    if ca_files is None:
        return None
    beside = config if ca_files.source == config_source else None  # its caFiles
    return Setting(tuple(_read_ca_file(path, ca_files.source, beside)
                         for path in ca_files.value), ca_files.source)


_REFUSED_EMPTY = ("--config", "--ca-file", "--no-proxy", "--workload", "--proxy-ca-file",
                  "--public-roots", "--servername")


def _refuse_empty_flags(flags: "argparse.Namespace") -> None:
    """A flag given empty ('--config=$CONFIG' with CONFIG unset) is a mistake, never "unset":
    an empty --config fell back to OCEAN_PROXY_CONFIG or to nothing, an empty --no-proxy
    dropped the config file's noProxy, without a word; an empty --workload was refused as a
    workload misspelt; an empty --public-roots or --servername (verify, discover-ca) fell
    back to the machine's roots or the target's name, and the probe ran on them."""
    for option in _REFUSED_EMPTY:
        given = getattr(flags, option[2:].replace("-", "_"), None)  # a list where repeatable
        values = given if isinstance(given, list) else [] if given is None else [given]
        if any(not value.strip() for value in values):
            raise UsageError(f"{option} is given but empty",
                             hint="give it a value (is the variable it comes from set?), or "
                                  "leave the flag out")


def _first(*candidates: tuple[Any, str]) -> Setting | None:
    for value, source in candidates:
        if value not in (None, "", [], ()):
            return Setting(value, source)
    return None


# The config file's list settings, each in the shape a refused one is shown to take.
_LIST_EXAMPLES = {"caFiles": "[corp-root.pem, corp-intermediate.pem]",
                  "noProxy": "[.corp.example, 10.0.0.0/8]",
                  "workloads": "[Deployment/ocean-controller-ocean-kubernetes-controller]"}


def _as_list(value: YamlNode, source: str = "") -> list[str]:
    """``source``: '<config file>: <key>', as the messages name the setting."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []  # empty counts as unset, as for every variable and config value
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    key = source.rpartition(": ")[2]
    raise ConfigError(f"{source}: expected a string or a list of strings",
                      hint=f"one entry, or a list of them, e.g. {key}: "
                      f"{_LIST_EXAMPLES.get(key, '[first, second]')}")


def _config_paths(value: YamlNode, base: str, source: str) -> list[str]:
    paths = _as_list(value, f"{source}: caFiles")
    if any(not path.strip() for path in paths):  # joined to the directory, it names that
        raise ConfigError(f"{source}: caFiles has an empty entry",
                          hint="name each CA file, relative to the config file's directory")
    return [os.path.join(base, p) for p in paths]


def _read_ca_file(path: str, source: str, config: str | None) -> tuple[str, bytes]:
    """``config``: the config file the path comes from, whose directory it starts from."""
    hint = _list_hint(source) if "," in path else None  # 'a.pem,b.pem', as --no-proxy is written
    if hint is not None:
        return path, read_user_file(path, MAX_CA_FILE_BYTES, f"CA file (from {source})", hint)
    return path, read_user_file(path, MAX_CA_FILE_BYTES, f"CA file (from {source})",
                                *([missing_beside_config_hint(config)] if config else []))


def _list_hint(source: str) -> str | None:
    """How several CA files are given where ``source`` gave them joined by a comma."""
    if source == "OCEAN_PROXY_CA_FILE":
        return "separate several files with ':', as in PATH, not ','"
    if source == "--ca-file":
        return f"give each file a flag of its own: {as_flags('--ca-file=FILE')}"
    if source.startswith("config file"):  # 'caFiles: a.pem, b.pem': one string, one path
        return "write caFiles as a YAML list: caFiles: [a.pem, b.pem]"
    return None
