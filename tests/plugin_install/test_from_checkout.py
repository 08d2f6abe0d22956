"""`helm plugin install <checkout dir>`: the plugin runs the user's clone in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import is_helm4, tool
from ..plugin_harness import SYSTEM_PATH, git_status, helm, offline_pip, ok, user_env
from .installed import (
    MAJORS,
    OLDER_HELM3,
    OTHER_HELMS,
    Installed,
    git,
    helm3_path,
    helm_dirs_under,
    uninstall_leaves_nothing_behind,
    with_helms_homes,
)
from .used_like_a_user import UsedLikeAUser


class TestCheckoutInstall(UsedLikeAUser):
    """`helm plugin install <checkout dir>`: the dependencies come from the index, as pip is set."""

    @pytest.fixture(scope="class", params=MAJORS + OLDER_HELM3 + OTHER_HELMS)
    @classmethod
    def installed(cls, request: pytest.FixtureRequest, checkout: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Installed:
        major = request.param
        home = tmp_path_factory.mktemp(f"{major}-checkout")
        dirs = helm_dirs_under(home)
        plugins = Path(dirs["HELM_PLUGINS"])
        path = helm3_path(plugins) if not is_helm4(major) else SYSTEM_PATH
        machine = Installed(helm=tool(major), roots=[home],
                            env=with_helms_homes(user_env(Path.home(), helm_dirs=dirs,
                                                           path=path)),
                            checkout=checkout)
        machine.snapshot()
        machine.install(checkout)
        machine.plugins = ["ocean-proxy"]
        if is_helm4(major):
            machine.install(checkout / "plugins" / "ocean-proxy-post-renderer")
            machine.plugins.append("ocean-proxy-post-renderer")
        return machine

    def test_install_hook_builds_the_environment_from_the_index(self, installed: Installed,
                                                                record_property) -> None:
        for run in installed.install_runs:
            assert "from the package index" in run.stderr
            assert "Python environment ready" in run.stderr
        record_property("install_seconds", installed.install_seconds)

    def test_environment_lives_beside_the_symlink_not_in_the_checkout(
            self, installed: Installed) -> None:
        plugins = Path(installed.env["HELM_PLUGINS"])
        links = [p.name for p in plugins.iterdir() if p.is_symlink()]
        assert {p.name for p in plugins.glob(".*.venv")} == {f".{n}.venv" for n in links}
        assert git_status(installed.checkout) == installed.checkout_before

    def test_uninstall_leaves_nothing_behind(self, installed: Installed) -> None:
        """Also the environment an update killed mid-build set aside beside the link."""
        plugins = Path(installed.env["HELM_PLUGINS"])
        for link in (p for p in plugins.iterdir() if p.is_symlink()):
            set_aside = plugins / f".{link.name}.venv.previous"
            set_aside.mkdir()
            (set_aside / "ocean-proxy.stamp").write_text("an environment that worked\n")
        uninstall_leaves_nothing_behind(installed)


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_a_checkout_install_says_to_update_with_git_pull_not_helm(
        major: str, checkout: Path, wheelhouse: Path, tmp_path: Path,
        helm_home: dict[str, str]) -> None:
    """`helm plugin install ./ocean-proxy` of a clone runs the clone in place. Helm takes it
    for a git install when the clone's directory is named as its remote is (any `git clone
    <url>`): `helm plugin update ocean-proxy` then runs `git pull` and `git clean -x -d -f
    -f` in the user's own clone, deleting every untracked and ignored file in it. The
    install says so, and how to update instead."""
    remote = tmp_path / "remote" / "ocean-proxy"
    git("clone", "-q", checkout, remote)
    clone = tmp_path / "work" / "ocean-proxy"
    git("clone", "-q", f"file://{remote}", clone)
    env = user_env(tmp_path, helm_dirs=helm_home, **offline_pip(wheelhouse))
    binary = tool(major)

    installed = ok(helm(binary, "plugin", "install", clone, env=env))

    notice = [line for line in installed.stderr.splitlines() if "git clean" in line]
    assert notice == [
        f"ocean-proxy: warning: this plugin runs your clone {clone} in place: update it with "
        f"'git -C {clone} pull', not 'helm plugin update ocean-proxy', which runs 'git pull' "
        "and 'git clean -x -d -f -f' in it, deleting every untracked and ignored file "
        "there"], installed.stderr
    notes = clone / "my-notes.txt"  # what the warning is about, as helm does it
    notes.write_text("not committed yet\n")
    ok(helm(binary, "plugin", "update", "ocean-proxy", env=env))
    assert not notes.exists()
    ok(helm(binary, "plugin", "uninstall", "ocean-proxy", env=env))
