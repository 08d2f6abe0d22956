"""examples/helm's install scripts, moving to another release that cannot be installed (a
version misspelt, a mirror without it, a keyring that is not there): the plugins that run stay
installed, and the script says why it stopped."""

from __future__ import annotations

import pytest

from ..conftest import run_command
from ..plugin_harness import VERSION, ok
from .test_helm import HELM_EXAMPLE, INSTALL_SCRIPT, installed_versions
from .user import PLUGINS, fresh_user


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_a_release_that_cannot_be_installed_leaves_the_installed_one_running(
        major, tmp_path, release_url):
    env = fresh_user(tmp_path / "home", major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false")
    script = ["sh", HELM_EXAMPLE / INSTALL_SCRIPT[major]]
    ok(run_command(script, env=env, timeout=300))

    run = run_command(script, env={**env, "OCEAN_PROXY_VERSION": "0.1.O"}, timeout=300)

    assert run.returncode != 0
    assert "0.1.O" in run.stderr, run.stderr  # what could not be had
    assert installed_versions(env) == dict.fromkeys(PLUGINS[major], VERSION), run.stderr
    assert ok(run_command(["helm", "ocean-proxy", "--version"], env=env)).text == \
        f"ocean-proxy {VERSION}\n"


def test_helm4_a_keyring_that_is_not_there_leaves_the_installed_plugins(tmp_path, release_url):
    env = fresh_user(tmp_path / "home", "helm4", OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false")
    script = ["sh", HELM_EXAMPLE / INSTALL_SCRIPT["helm4"]]
    ok(run_command(script, env=env, timeout=300))
    moved_on = {k: v for k, v in env.items() if k != "OCEAN_PROXY_VERIFY"}
    moved_on.update(OCEAN_PROXY_VERSION="0.1.99",
                    OCEAN_PROXY_KEYRING=str(tmp_path / "ocean-proxy-release.pubring.gpg"))

    run = run_command(script, env=moved_on, timeout=300)

    assert run.returncode != 0
    assert installed_versions(env) == dict.fromkeys(PLUGINS["helm4"], VERSION), run.stderr
