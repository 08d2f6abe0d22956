"""`helm plugin update` of a git install, and the rebuilds of the plugin's environment that
fail or are killed: the plugin keeps working."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..conftest import tool
from ..plugin_harness import VERSION, files_under, helm, offline_pip, ok, user_env
from .installed import git


def test_helm4_git_install_updates_and_uninstalls_cleanly(helm4: Path, checkout: Path,
                                                          wheelhouse: Path, tmp_path: Path,
                                                          helm_home: dict[str, str]) -> None:
    """`helm plugin update` works for git installs only; its hook rebuilds the environment.

    A git URL installs the repository's root manifest: the command plugin, which Helm 4 loads
    as cli/v1. Helm keeps its own clone in HELM_CACHE_HOME/plugins, as for every plugin from git.
    """
    origin = tmp_path / "ocean-proxy"  # helm finds git by the .git directory of a file:// URL
    git("clone", "-q", checkout, origin)
    env = user_env(tmp_path, helm_dirs=helm_home, **offline_pip(wheelhouse))
    data_home = Path(helm_home["HELM_DATA_HOME"])
    venv = Path(helm_home["HELM_PLUGINS"]) / ".ocean-proxy.venv"  # beside the clone
    ok(helm(helm4, "plugin", "list", env=env))
    before = files_under(data_home)

    ok(helm(helm4, "plugin", "install", "--verify=false", f"file://{origin}", env=env))
    stamp = (venv / "ocean-proxy.stamp").read_text()
    assert list(venv.rglob("OpenSSL/__init__.py"))

    # pyOpenSSL: no other dependency needs it, so dropping it must remove it
    setup_cfg = origin / "setup.cfg"
    kept = [line for line in setup_cfg.read_text().splitlines(keepends=True)
            if not line.strip().startswith("pyopenssl")]
    setup_cfg.write_text("".join(kept))
    git("-C", origin, "commit", "-q", "-am", "drop pyopenssl")

    run = ok(helm(helm4, "plugin", "update", "ocean-proxy", env=env))
    assert "setting up Python" in run.stderr
    assert (venv / "ocean-proxy.stamp").read_text() != stamp
    assert not list(venv.rglob("OpenSSL/__init__.py")), "the update kept a dropped dependency"
    ok(helm(helm4, "plugin", "uninstall", "ocean-proxy", env=env))
    assert files_under(data_home) == before


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_an_update_that_cannot_reach_the_index_keeps_the_plugin_working(
        major: str, checkout: Path, wheelhouse: Path, tmp_path: Path,
        helm_home: dict[str, str]) -> None:
    """`helm plugin update` pulls the new code, then its hook rebuilds the environment from
    the package index: where the index cannot be reached (a mirror down, a machine cut off),
    the hook fails, and the environment that worked must still be there, not removed with
    nothing in its place: every post-render and command then tried, and failed, to rebuild it."""
    origin = tmp_path / "ocean-proxy"
    git("clone", "-q", checkout, origin)
    env = user_env(tmp_path, helm_dirs=helm_home, **offline_pip(wheelhouse))
    binary = tool(major)
    ok(helm(binary, "plugin", "install", *(("--verify=false",) if major == "helm4" else ()),
            f"file://{origin}", env=env))
    venv = Path(helm_home["HELM_PLUGINS"]) / ".ocean-proxy.venv"  # beside the clone
    stamp = (venv / "ocean-proxy.stamp").read_text()
    (origin / "CHANGES").write_text("a change of code only\n")
    git("-C", origin, "add", "CHANGES")
    git("-C", origin, "commit", "-q", "-m", "a change of code only")
    cut_off = {**env, "PIP_FIND_LINKS": str(tmp_path / "no-wheels")}

    update = helm(binary, "plugin", "update", "ocean-proxy", env=cut_off)

    assert update.returncode != 0, update.stderr
    assert "ocean-proxy: error: cannot install" in update.stderr, update.stderr
    assert (venv / "ocean-proxy.stamp").read_text() == stamp, update.stderr
    assert ok(helm(binary, "ocean-proxy", "--version", env=cut_off)).text == \
        f"ocean-proxy {VERSION}\n"
    assert not venv.with_name(f"{venv.name}.previous").exists()  # nothing set aside is left
    ok(helm(binary, "plugin", "uninstall", "ocean-proxy", env=env))
    assert not venv.exists()


def test_an_update_killed_outright_leaves_the_plugin_working(
        checkout: Path, wheelhouse: Path, tmp_path: Path, helm_home: dict[str, str]) -> None:
    """A rebuild sets the environment that works aside until the new one is ready. Killed
    outright (a CI job's SIGTERM, a timeout's SIGKILL: no cleanup runs), it leaves a
    half-built environment and the working one beside it: the next command, with the index
    out of reach, deleted the working one and failed, and so did every command after it."""
    origin = tmp_path / "ocean-proxy"
    git("clone", "-q", checkout, origin)
    env = user_env(tmp_path, helm_dirs=helm_home, **offline_pip(wheelhouse))
    binary = tool("helm3")
    ok(helm(binary, "plugin", "install", f"file://{origin}", env=env))
    venv = Path(helm_home["HELM_PLUGINS"]) / ".ocean-proxy.venv"
    stamp = (venv / "ocean-proxy.stamp").read_text()
    previous = venv.with_name(f"{venv.name}.previous")
    os.replace(venv, previous)  # what the killed build left: the working one set aside,
    (venv / "bin").mkdir(parents=True)  # and its own, half-built, without a stamp
    cut_off = {**env, "PIP_FIND_LINKS": str(tmp_path / "no-wheels")}

    run = helm(binary, "ocean-proxy", "--version", env=cut_off)

    assert ok(run).text == f"ocean-proxy {VERSION}\n", run.stderr
    assert (venv / "ocean-proxy.stamp").read_text() == stamp
    assert not previous.exists()
    ok(helm(binary, "plugin", "uninstall", "ocean-proxy", env=env))
