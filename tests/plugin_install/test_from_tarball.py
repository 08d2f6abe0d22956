"""The release tarballs `make dist` builds: from a URL, a path, or unpacked, offline from the
wheels inside; helm puts them in its data directory whatever HELM_PLUGINS says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..conftest import run_command, tool
from ..plugin_harness import (
    SYSTEM_PATH,
    VERSION,
    files_under,
    helm,
    ok,
    serving,
    unpacked_helm3_release,
    user_env,
)
from .installed import (
    MAJORS,
    OLDER_HELM3,
    UNREACHABLE_INDEX,
    Installed,
    helm3_path,
    uninstall_leaves_nothing_behind,
    with_helms_homes,
)
from .used_like_a_user import UsedLikeAUser


class TestTarballInstall(UsedLikeAUser):
    """The release tarballs, in a HOME with helm's default directories: offline from the wheels.

    Helm 3 takes them from a URL only; Helm 4 from a path (the command plugin here) or a URL
    (the post-renderer here), with --verify=false as they are not signed. The command plugin
    has a tarball per major, from the one manifest: the majors want different layouts.
    """

    @pytest.fixture(scope="class", params=MAJORS + OLDER_HELM3)
    @classmethod
    def installed(cls, request: pytest.FixtureRequest, release: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Installed:
        major = request.param
        home = tmp_path_factory.mktemp(f"{major}-tarball")
        plugins = home / ".local" / "share" / "helm" / "plugins"
        path = helm3_path(plugins) if major != "helm4" else SYSTEM_PATH
        env = with_helms_homes(user_env(home, path=path, PIP_INDEX_URL=UNREACHABLE_INDEX))
        machine = Installed(helm=tool(major), env=env, roots=[home],
                            checkout=None)
        machine.snapshot()
        with serving(release) as url:
            if major != "helm4":
                machine.install(f"{url}/ocean-proxy-{VERSION}-helm3.tgz")
                machine.plugins = ["ocean-proxy"]
            else:
                machine.install(f"{url}/ocean-proxy-post-renderer-{VERSION}.tgz",
                                "--verify=false")
                machine.install(release / f"ocean-proxy-{VERSION}.tgz", "--verify=false")
                machine.plugins = ["ocean-proxy", "ocean-proxy-post-renderer"]
        return machine

    def test_install_hook_builds_the_environment_offline_from_the_wheelhouse(
            self, installed: Installed, record_property) -> None:
        for run in installed.install_runs:
            assert "from the bundled wheels" in run.stderr
            assert "Python environment ready" in run.stderr
        record_property("install_seconds", installed.install_seconds)

    def test_environment_lives_inside_the_plugin_directory(self, installed: Installed) -> None:
        plugins = installed.roots[0] / ".local" / "share" / "helm" / "plugins"
        assert not list(plugins.glob(".*.venv"))
        for directory in (p for p in plugins.iterdir() if p.is_dir()):
            assert (directory / ".venv" / "ocean-proxy.stamp").is_file()

    def test_uninstall_leaves_nothing_behind(self, installed: Installed) -> None:
        """Helm's download of the URL install goes too: the delete hook removes it."""
        uninstall_leaves_nothing_behind(installed)


def test_helm3_installs_an_unpacked_release_tarball(helm3: Path, shared_dir: Path, tmp_path: Path,
                                                    helm_home: dict[str, str]) -> None:
    """Helm 3 takes no local .tgz: the README says to unpack it and install the directory."""
    unpacked = tmp_path / "ocean-proxy"
    shutil.copytree(unpacked_helm3_release(shared_dir), unpacked, symlinks=True)
    plugins = Path(helm_home["HELM_PLUGINS"])
    env = user_env(tmp_path, helm_dirs=helm_home, path=helm3_path(plugins),
                   PIP_INDEX_URL=UNREACHABLE_INDEX)
    watched = [unpacked, *(Path(helm_home[name]) for name in
                           ("HELM_DATA_HOME", "HELM_CONFIG_HOME", "HELM_CACHE_HOME"))]
    before = files_under(*watched)

    run = ok(helm(helm3, "plugin", "install", unpacked, env=env))
    assert "from the bundled wheels" in run.stderr
    assert "git -C" not in run.stderr  # linked, but no clone: nothing to update with git
    assert (plugins / ".ocean-proxy.venv" / "ocean-proxy.stamp").is_file()
    assert ok(helm(helm3, "ocean-proxy", "--version", env=env)).text == f"ocean-proxy {VERSION}\n"
    ok(helm(helm3, "plugin", "uninstall", "ocean-proxy", env=env))
    assert files_under(*watched) == before


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_an_install_helm_cannot_find_through_helm_plugins_says_how_it_will(
        major: str, release: Path, tmp_path: Path, helm_home: dict[str, str]) -> None:
    """helm installs a tarball into its data directory whatever HELM_PLUGINS says: a user whose
    HELM_PLUGINS names other directories is told the line that lets helm find the plugin."""
    binary = tool(major)
    elsewhere = tmp_path / "my-plugins"
    elsewhere.mkdir()
    env = user_env(tmp_path, helm_dirs={**helm_home, "HELM_PLUGINS": str(elsewhere)},
                   PIP_INDEX_URL=UNREACHABLE_INDEX)
    if major == "helm3":  # Helm 3 takes a tarball from a URL only (a folder, it links there)
        name = "ocean-proxy"
        with serving(release) as url:
            run = ok(helm(binary, "plugin", "install", f"{url}/{name}-{VERSION}-helm3.tgz",
                          env=env))
    else:
        name = "ocean-proxy-post-renderer"
        run = ok(helm(binary, "plugin", "install", "--verify=false",
                      release / f"{name}-{VERSION}.tgz", env=env))
    installed_in = Path(helm_home["HELM_DATA_HOME"]) / "plugins"
    assert f'export HELM_PLUGINS="$HELM_PLUGINS:{installed_in}"' in run.stderr
    assert name not in ok(helm(binary, "plugin", "list", env=env)).text
    env["HELM_PLUGINS"] = f"{elsewhere}:{installed_in}"  # the line, followed
    assert name in ok(helm(binary, "plugin", "list", env=env)).text


@pytest.mark.parametrize("helm4_dirs", ["shared", "own", "no-helm3"])
def test_the_post_renderer_installed_where_helm3_reads_says_it_breaks_helm3_and_the_way_out(
        helm4_dirs: str, release: Path, tmp_path: Path) -> None:
    """Helm 3 and Helm 4 on one machine use the same plugins directory by default, and one Helm
    4 manifest there makes every Helm 3 plugin command fail: the install said nothing of it.
    Helm 4 given its own directories, as the README advises, or no Helm 3 on PATH: no word."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if helm4_dirs != "no-helm3":
        (bin_dir / "helm").symlink_to(tool("helm3"))
    home = tmp_path / "home"
    own = {"HELM_DATA_HOME": str(home / ".local" / "share" / "helm4")} \
        if helm4_dirs == "own" else {}
    env = user_env(home, path=f"{bin_dir}:{SYSTEM_PATH}", helm_dirs=own,
                   PIP_INDEX_URL=UNREACHABLE_INDEX)
    run = ok(helm(tool("helm4"), "plugin", "install", "--verify=false",
                  release / f"ocean-proxy-post-renderer-{VERSION}.tgz", env=env))
    helm3 = helm(bin_dir / "helm", "plugin", "list", env=user_env(home, path=SYSTEM_PATH)) \
        if helm4_dirs != "no-helm3" else None
    if helm4_dirs != "shared":
        assert "warning" not in run.stderr, run.stderr
        assert helm3 is None or helm3.returncode == 0, helm3.stderr
        return
    plugins = home / ".local" / "share" / "helm" / "plugins"
    assert helm3 is not None and 'unknown field "apiVersion"' in helm3.stderr  # the warning's
    assert (f"ocean-proxy: warning: {bin_dir / 'helm'} is Helm v3.17.3 and reads {plugins} too: "
            "this Helm 4 plugin there makes every Helm 3 plugin command fail ('failed to load "
            "plugins: ... unknown field \"apiVersion\"')\n") in run.stderr, run.stderr
    hint = next(line for line in run.stderr.splitlines() if line.startswith("ocean-proxy: hint"))
    assert "helm plugin uninstall ocean-proxy-post-renderer" in hint
    ok(helm(tool("helm4"), "plugin", "uninstall", "ocean-proxy-post-renderer", env=env))
    assert ok(helm(bin_dir / "helm", "plugin", "list", env=env)).stderr == ""  # the way out


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_a_second_copy_under_another_folder_name_is_named_with_the_line_that_removes_it(
        major: str, release: Path, shared_dir: Path, tmp_path: Path,
        helm_home: dict[str, str]) -> None:
    """The release unpacked into a folder of another name and installed, then the tarball:
    helm installs both, and from then on refuses every plugin command, uninstall included
    ('two plugins claim the name'); the install said nothing."""
    binary = tool(major)
    unpacked = tmp_path / "ocean-proxy-0.1"
    shutil.copytree(unpacked_helm3_release(shared_dir), unpacked, symlinks=True)
    env = user_env(tmp_path, helm_dirs=helm_home, PIP_INDEX_URL=UNREACHABLE_INDEX)
    first = ok(helm(binary, "plugin", "install", unpacked, env=env))
    assert "two plugins" not in first.stderr
    if major == "helm3":
        with serving(release) as url:
            second = ok(helm(binary, "plugin", "install", f"{url}/ocean-proxy-{VERSION}-helm3.tgz",
                             env=env))
    else:
        second = ok(helm(binary, "plugin", "install", "--verify=false",
                         release / f"ocean-proxy-{VERSION}.tgz", env=env))
    listed = helm(binary, "plugin", "list", env=env)
    assert listed.returncode != 0 and 'two plugins claim the name "ocean-proxy"' in listed.stderr
    plugins = Path(helm_home["HELM_PLUGINS"])
    other = plugins / unpacked.name
    assert (f"ocean-proxy: warning: {other} is the ocean-proxy plugin too: helm now refuses every "
            "plugin command, uninstall included ('two plugins claim the name \"ocean-proxy\"')\n"
            ) in second.stderr, second.stderr
    hint = next(line for line in second.stderr.splitlines() if line.startswith("ocean-proxy: hint"))
    removal = hint.removeprefix("ocean-proxy: hint: keep one: ").partition(" (")[0]
    assert removal == f"rm -rf -- '{other}' '{plugins / ('.' + unpacked.name + '.venv')}'"
    ok(run_command(["sh", "-c", removal], env=env))  # the line, followed
    assert "ocean-proxy" in ok(helm(binary, "plugin", "list", env=env)).text
    assert (unpacked / "plugin.yaml").is_file()  # the user's folder stays
