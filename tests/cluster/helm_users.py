"""Helm 3 and Helm 4 set up as the README tells users, talking to the test cluster.

Helm 3: the plugin tarball installed from a URL (Helm 3 takes no local .tgz) and its ``bin/``
on PATH, where helm finds ``ocean-proxy-post-renderer``. Helm 4: the post-renderer plugin
(postrenderer/v1) installed from its tarball with ``--verify=false``. Both with empty helm
directories of their own, a PATH without the project's virtualenv, KUBECONFIG set to the
server's admin kubeconfig.

    user = helm_users.get("helm4")
    user.upgrade("demo", FIXTURE_CHART, namespace, "--set", "spotinst.proxyUrl=...")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from post_renderer import __version__

from ..conftest import Run, is_helm4, run_command, tool
from ..plugin_harness import SYSTEM_PATH, serving
from .server import ApiServer

MAJORS = ("helm3", "helm4")
POST_RENDERER = ("--post-renderer", "ocean-proxy-post-renderer")


@dataclass(frozen=True)
class HelmUser:
    """One user's helm: the binary, their environment, and the release commands they run."""

    major: str
    binary: Path
    env: dict[str, str]

    def helm(self, *args: str | os.PathLike, timeout: float = 300) -> Run:
        return run_command([self.binary, *args], env=self.env, timeout=timeout)

    def upgrade(self, release: str, chart: str | os.PathLike, namespace: str,
                *flags: str | os.PathLike, post_render: bool = True) -> Run:
        """``helm upgrade --install``, with ``--post-renderer ocean-proxy-post-renderer``
        unless ``post_render`` is false (the vendor's plain command)."""
        extra = POST_RENDERER if post_render else ()
        return self.helm("upgrade", "--install", release, chart, "--namespace", namespace,
                         *flags, *extra)

    @property
    def atomic(self) -> str:
        """The flag that rolls a failed upgrade back: Helm 4 deprecates Helm 3's."""
        return "--rollback-on-failure" if is_helm4(self.major) else "--atomic"


class HelmUsers:
    """Each major set up once (on first use) per test session."""

    def __init__(self, api: ApiServer, release: Path, home: Path) -> None:
        self._api, self._release, self._home = api, release, home
        self._users: dict[str, HelmUser] = {}

    def get(self, major: str) -> HelmUser:
        if major not in self._users:
            self._users[major] = self._install(major)
        return self._users[major]

    def _install(self, major: str) -> HelmUser:
        home = self._home / major
        dirs = {"HELM_DATA_HOME": home / "data", "HELM_CONFIG_HOME": home / "config",
                "HELM_CACHE_HOME": home / "cache", "HELM_PLUGINS": home / "data" / "plugins"}
        path = SYSTEM_PATH
        if not is_helm4(major):  # helm3, or another helm 3 such as helm3.8.1
            path = f"{SYSTEM_PATH}:{dirs['HELM_PLUGINS'] / 'ocean-proxy' / 'bin'}"
        env = self._api.env(HOME=str(home), PATH=path,
                            **{name: str(value) for name, value in dirs.items()})
        env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset: messages reach helm's stderr
        user = HelmUser(major, tool(major), env)
        if not is_helm4(major):
            with serving(self._release) as url:
                installed = user.helm("plugin", "install",
                                      f"{url}/ocean-proxy-{__version__}-helm3.tgz")
        else:
            installed = user.helm("plugin", "install", "--verify=false", self._release /
                                  f"ocean-proxy-post-renderer-{__version__}.tgz")
        assert installed.returncode == 0, installed.stderr
        return user
