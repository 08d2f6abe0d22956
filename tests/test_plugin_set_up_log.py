"""The plugin's first-use set-up, run by helm as the post-renderer, says what went wrong in
helm's log however the shell opened it: a CI job's '2> helm.log' is written by helm at its own
offset, over lines appended before helm's own error."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from .conftest import FIXTURE_CHART, tool
from .plugin_harness import SYSTEM_PATH, copy_checkout, user_env

MAJORS = ["helm3", "helm4"]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_checkout(tmp_path_factory.mktemp("src") / "ocean-proxy")


def _installed_without_environment(major: str, checkout: Path, home: Path) -> dict[str, str]:
    """The plugins linked into helm's plugins directory as 'helm plugin install <dir>' links
    them, their Python environment not built yet (removed, or never made): the next run sets
    it up, and fails at once (no Python), offline."""
    plugins = home / "data" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "ocean-proxy").symlink_to(checkout)
    if major == "helm3":
        path = f"{plugins / 'ocean-proxy' / 'bin'}:{SYSTEM_PATH}"
    else:
        (plugins / "ocean-proxy-post-renderer").symlink_to(
            checkout / "plugins" / "ocean-proxy-post-renderer")
        path = SYSTEM_PATH
    dirs = {"HELM_DATA_HOME": str(home / "data"), "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_CACHE_HOME": str(home / "cache")}
    env = user_env(home, helm_dirs=dirs, path=path)
    env.pop("OCEAN_PROXY_MESSAGES")  # as users run it: the messages go to helm's stderr
    env["OCEAN_PROXY_PYTHON"] = "/nonexistent/python3"
    return env


COMMANDS = {"post-renderer": 'template r "$1" --post-renderer ocean-proxy-post-renderer',
            "command plugin": 'ocean-proxy check-bundle "$1"'}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("major", MAJORS)
def test_a_set_up_that_fails_is_said_in_a_log_helm_writes_with_2_redirect(
        major: str, command: str, checkout: Path, tmp_path: Path) -> None:
    env = _installed_without_environment(major, checkout, tmp_path / "home")
    log = tmp_path / "helm.log"
    argument = FIXTURE_CHART if command == "post-renderer" else FIXTURE_CHART / "Chart.yaml"
    run = subprocess.run(["sh", "-c", f'"$0" {COMMANDS[command]} > /dev/null 2> "$2"',
                          tool(major), argument, log],
                         env=env, capture_output=True, timeout=120, check=False)
    assert run.returncode != 0
    deadline = time.monotonic() + 20  # the post-renderer's: once helm has exited, after its own
    while "ocean-proxy: hint:" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = log.read_text().splitlines()
    assert any(line.startswith("Error: ") for line in lines), lines
    ours = [line for line in lines if "ocean-proxy" in line and not line.startswith("Error: ")]
    assert ours == [
        "ocean-proxy: error: needs Python 3.10 or newer and found none on PATH "
        "(tried /nonexistent/python3)",
        "ocean-proxy: hint: install Python 3.10+ or set OCEAN_PROXY_PYTHON=/path/to/python3; "
        "the plugin then sets itself up on first use"], lines
