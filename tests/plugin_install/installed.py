"""A user's machine with the plugin installed, and how it looked before: the helm directories,
the PATH the README gives each major, and the uninstall that must leave nothing behind."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..conftest import Run, run_command
from ..plugin_harness import SYSTEM_PATH, files_under, git_status, helm, ok

MAJORS = ["helm3", "helm4"]
# Helm 3 releases users still pin: the oldest any registry package carries, and the last one
# without --post-renderer-args (README, "Which helm versions").
OLDER_HELM3 = ["helm3.4.2", "helm3.8.1"]
# The other releases `make tools` installs: the first helm 3 with --post-renderer-args, the
# newest helm 3 a registry package carries, and the Helm 4 releases before 4.3.
OTHER_HELMS = ["helm3.9.4", "helm3.19.0", "helm4.1.4", "helm4.2.3"]
UNREACHABLE_INDEX = "http://127.0.0.1:9/"


@dataclass
class Installed:
    """A user's machine with the plugin installed, and how it looked before."""

    helm: Path
    env: dict[str, str]
    roots: list[Path]
    checkout: Path | None
    before: dict[str, str] = field(default_factory=dict)
    checkout_before: str = ""
    install_runs: list[Run] = field(default_factory=list)
    install_seconds: list[float] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)

    def helm_run(self, *args: str | Path) -> Run:
        return helm(self.helm, *args, env=self.env)

    def snapshot(self) -> None:
        """Take 'before': after helm's first run (Helm 4 unpacks its wasm runtime then)."""
        ok(self.helm_run("plugin", "list"))
        self.before = files_under(*self.roots)
        self.checkout_before = git_status(self.checkout) if self.checkout else ""

    def install(self, source: str | Path, *flags: str) -> None:
        started = time.monotonic()
        run = ok(self.helm_run("plugin", "install", *flags, source))
        self.install_seconds.append(time.monotonic() - started)
        self.install_runs.append(run)


def helm_dirs_under(home: Path) -> dict[str, str]:
    dirs = {"HELM_DATA_HOME": home / "data", "HELM_CONFIG_HOME": home / "config",
            "HELM_CACHE_HOME": home / "cache"}
    return {**{k: str(v) for k, v in dirs.items()}, "HELM_PLUGINS": str(home / "data" / "plugins")}


def with_helms_homes(env: dict[str, str]) -> dict[str, str]:
    """As a user has it: no cache settings, so the caches go to helm's own directories."""
    for name in ("OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE"):
        env.pop(name, None)
    return env


def ocean_proxy_homes(env: dict[str, str]) -> list[Path]:
    """ocean-proxy/ in helm's cache and config directories, as helm resolves them."""
    home = Path(env["HOME"])
    return [Path(env.get("HELM_CACHE_HOME") or home / ".cache" / "helm") / "ocean-proxy",
            Path(env.get("HELM_CONFIG_HOME") or home / ".config" / "helm") / "ocean-proxy"]


def helm3_path(plugins: Path) -> str:
    """The PATH the README tells Helm 3 users to set: the plugin's bin/ added."""
    return f"{SYSTEM_PATH}:{plugins / 'ocean-proxy' / 'bin'}"


def uninstall_leaves_nothing_behind(installed: Installed) -> None:
    ok(installed.helm_run("plugin", "uninstall", *installed.plugins))
    assert files_under(*installed.roots) == installed.before
    if installed.checkout:
        assert git_status(installed.checkout) == installed.checkout_before


def git(*args: str | Path) -> Run:
    return ok(run_command(["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid",
                           *args]))
