"""A clone's own bin/ wrappers, run without installing the clone as a plugin: what the refusal
tells a user to do must work on the helm that ran it, and never break that helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import FIXTURE_CHART, tool
from .plugin_harness import copy_checkout, helm, ok, user_env


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_checkout(tmp_path_factory.mktemp("src") / "ocean-proxy")


def _helm_dirs(home: Path) -> dict[str, str]:
    return {name: str(home / part) for name, part in
            (("HELM_DATA_HOME", "data"), ("HELM_CONFIG_HOME", "config"),
             ("HELM_CACHE_HOME", "cache"))}


def _hint(stderr: str) -> str:
    hints = [line for line in stderr.splitlines() if line.startswith("ocean-proxy: hint:")]
    assert len(hints) == 1, stderr
    return hints[0]


def test_helm3_given_the_helm4_plugins_wrapper_is_pointed_at_the_command_plugin(
        checkout: Path, tmp_path: Path) -> None:
    """Helm 3 runs whatever path --post-renderer names: the Helm 4 plugin's wrapper in a clone
    is refused, and the hint names the clone's root for Helm 3, not this directory, whose
    manifest, once installed into Helm 3, breaks every Helm 3 plugin command."""
    helm3 = tool("helm3")
    env = user_env(tmp_path, helm_dirs=_helm_dirs(tmp_path))
    post_renderer_plugin = checkout / "plugins" / "ocean-proxy-post-renderer"
    run = helm(helm3, "template", "r", FIXTURE_CHART, "--post-renderer",
               post_renderer_plugin / "bin" / "ocean-proxy-post-renderer", env=env)
    assert run.returncode != 0 and run.stdout == b""
    hint = _hint(run.stderr)
    assert f"'helm plugin install {checkout}'" in hint, hint
    assert "Helm 4" in hint, hint
    assert "<plugin>" not in hint, hint

    # What the hint tells a Helm 3 user to install leaves Helm 3's plugins working.
    ok(helm(helm3, "plugin", "install", checkout, env=env, timeout=600))
    listed = ok(helm(helm3, "plugin", "list", env=env)).text
    assert "ocean-proxy" in listed and "ocean-proxy-post-renderer" not in listed


@pytest.mark.parametrize("program", ["ocean-proxy", "ocean-proxy-post-renderer"])
def test_the_command_plugins_wrapper_names_the_install_that_gives_it(
        checkout: Path, tmp_path: Path, program: str) -> None:
    run = helm(checkout / "bin" / program, "--version", env=user_env(tmp_path))
    assert run.returncode == 1 and run.stdout == b""
    hint = _hint(run.stderr)
    assert f"'helm plugin install {checkout}'" in hint, hint
    assert f"'pip install {checkout}'" in hint, hint
    assert "<plugin>" not in hint, hint
