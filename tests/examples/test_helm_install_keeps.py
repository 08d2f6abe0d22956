"""examples/helm's install scripts, moving to another release that cannot be installed (a
version misspelt, a mirror without it, a keyring that is not there): the plugins that run stay
installed, and the script says why it stopped."""

from __future__ import annotations

import shutil

import pytest

from ..conftest import run_command
from ..plugin_harness import RELEASE_PUBLIC_KEY, VERSION, ok, serving, verified_installs
from .test_helm import HELM_EXAMPLE, INSTALL_SCRIPT, installed_versions, next_release
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


def test_helm4_a_keyring_that_is_not_there_leaves_the_installed_plugins(
        tmp_path, release, signed_release, signed_release_url):
    """The plugins of the release before installed; moving to the signed release on the page
    with OCEAN_PROXY_KEYRING naming a file that is not there (its key not yet fetched, a path
    misspelt) stops the script, which names that file, and the installed plugins stay. Once
    the key is where it says, the same move goes through: only the keyring stood in the way."""
    older = "0.0.9"
    script = ["sh", HELM_EXAMPLE / INSTALL_SCRIPT["helm4"]]
    with serving(next_release(release, tmp_path / "older", older)) as older_url:
        env = fresh_user(tmp_path / "home", "helm4", OCEAN_PROXY_RELEASE_URL=older_url,
                         OCEAN_PROXY_VERSION=older, OCEAN_PROXY_VERIFY="false")
        ok(run_command(script, env=env, timeout=300))
    keyring = tmp_path / RELEASE_PUBLIC_KEY
    moved_on = {k: v for k, v in env.items() if k != "OCEAN_PROXY_VERIFY"}
    moved_on.update(OCEAN_PROXY_RELEASE_URL=signed_release_url, OCEAN_PROXY_VERSION=VERSION,
                    OCEAN_PROXY_KEYRING=str(keyring))

    run = run_command(script, env=moved_on, timeout=300)

    assert run.returncode != 0
    assert f"ocean-proxy: error: OCEAN_PROXY_KEYRING names {keyring}, which is not there" \
        in run.stderr, run.stderr
    assert "ocean-proxy: hint: " in run.stderr
    assert "Error:" not in run.stderr, run.stderr  # said before helm was asked for anything
    assert installed_versions(env) == dict.fromkeys(PLUGINS["helm4"], older), run.stderr
    assert ok(run_command(["helm", "ocean-proxy", "--version"], env=env)).text == \
        f"ocean-proxy {VERSION}\n"

    # what the hint says: the release's public key, from its page
    shutil.copyfile(signed_release.dist / RELEASE_PUBLIC_KEY, keyring)
    moved = ok(run_command(script, env=moved_on, timeout=300))
    assert verified_installs(moved) == 2
    assert installed_versions(env) == dict.fromkeys(PLUGINS["helm4"], VERSION)
