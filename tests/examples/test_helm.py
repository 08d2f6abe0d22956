"""examples/helm: the vendor's command plus the post-renderer, on Helm 3 and Helm 4."""

from __future__ import annotations

import io
import re
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest

from .. import certs
from ..conftest import EXAMPLES, Run, run_command
from ..plugin_harness import CA_COMMON_NAME, VERSION, ok, serving
from .user import (
    PASSWORD_PROXY_URL,
    PLUGINS,
    SPOTINST,
    assert_proxy_and_ca,
    assert_proxy_from_secret,
    fresh_user,
    installed_plugins,
    password_shown,
    pasted,
    rendered,
)

HELM_EXAMPLE = EXAMPLES / "helm"
INSTALL_SCRIPT = {"helm3": "helm3-install-plugin.sh", "helm4": "helm4-install-plugins.sh"}


@dataclass
class ScriptUser:
    major: str
    env: dict[str, str]
    install: Run
    workdir: Path

    def upgrade(self, ca_file: Path, **extra: str) -> Run:
        script = HELM_EXAMPLE / f"{self.major}-upgrade.sh"
        env = {**self.env, **SPOTINST, "CA_FILE": str(ca_file), **extra}
        return run_command(["sh", script], env=env, cwd=self.workdir, timeout=300)


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def script_user(request, tmp_path_factory, release_url) -> ScriptUser:
    """A user who ran the example's install script: plugins from the release, empty helm dirs."""
    major = request.param
    home = tmp_path_factory.mktemp(f"script-user-{major}")
    env = fresh_user(home, major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false")  # the test's build is not signed
    install = run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT[major]], env=env, timeout=300)
    return ScriptUser(major, env, ok(install), home)


def test_helm4_install_script_installs_nothing_it_cannot_verify(tmp_path, release_url):
    """Without the release's key, and without saying the build is unsigned, nothing goes in."""
    env = fresh_user(tmp_path, "helm4", OCEAN_PROXY_RELEASE_URL=release_url)
    run = run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT["helm4"]], env=env, timeout=120)
    assert run.returncode != 0
    assert "ocean-proxy: error: OCEAN_PROXY_KEYRING is not set" in run.stderr
    assert "OCEAN_PROXY_VERIFY=false" in run.stderr
    assert installed_plugins(env) == set()


def test_helm_install_script_installs_the_plugins_that_major_needs(script_user):
    assert installed_plugins(script_user.env) == PLUGINS[script_user.major]
    # run again (a CI job with cached plugins): nothing to install, so no key is asked for
    env = {k: v for k, v in script_user.env.items() if k != "OCEAN_PROXY_VERIFY"}
    again = ok(run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT[script_user.major]],
                           env=env, timeout=120))
    assert "already installed" in again.text
    assert installed_plugins(script_user.env) == PLUGINS[script_user.major]


def installed_versions(env: dict[str, str]) -> dict[str, str]:
    listed = ok(run_command(["helm", "plugin", "list"], env=env)).text.splitlines()[1:]
    return {line.split()[0]: line.split()[1] for line in listed if line[:1].strip()}


def next_release(release: Path, directory: Path, version: str) -> Path:
    """The release's plugin tarballs as the next version's: each plugin.yaml says
    ``version``, and each tarball is named for it."""
    directory.mkdir()
    for tarball in release.glob(f"*-{VERSION}*.tgz"):
        renamed = directory / tarball.name.replace(f"-{VERSION}", f"-{version}")
        with tarfile.open(tarball) as source, tarfile.open(renamed, "w:gz") as target:
            for member in source.getmembers():
                data = source.extractfile(member) if member.isfile() else None
                if member.name.rsplit("/", 1)[-1] == "plugin.yaml" and data is not None:
                    text = data.read().replace(f"version: {VERSION}\n".encode(),
                                               f"version: {version}\n".encode())
                    member.size = len(text)
                    data = io.BytesIO(text)
                target.addfile(member, data)
    return directory


@pytest.mark.parametrize("own_plugins", [False, True], ids=["helms", "own-helm-plugins"])
@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_helm_install_script_replaces_the_plugins_of_another_release(
        major, own_plugins, tmp_path, release, release_url):
    """A CI job whose cached helm directories hold the plugins of the release before: with
    OCEAN_PROXY_VERSION moved on, the script installs that release, where it used to say
    'already installed' and leave the old one running every deploy; also where HELM_PLUGINS
    lists only a directory of the user's, and the old plugins are in helm's data directory."""
    mine = {"HELM_PLUGINS": str(tmp_path / "my-plugins")} if own_plugins else {}
    env = fresh_user(tmp_path / "home", major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false", **mine)
    script = ["sh", HELM_EXAMPLE / INSTALL_SCRIPT[major]]
    ok(run_command(script, env=env, timeout=300))
    newer = "0.1.99"

    with serving(next_release(release, tmp_path / "next", newer)) as next_url:
        run = ok(run_command(script, env={**env, "OCEAN_PROXY_RELEASE_URL": next_url,
                                          "OCEAN_PROXY_VERSION": newer}, timeout=300))

    if own_plugins:  # the line the install hook says to add to the profile, followed
        data = ok(run_command(["helm", "env", "HELM_DATA_HOME"], env=env)).text.strip()
        env["HELM_PLUGINS"] += f":{data}/plugins"
    assert installed_versions(env) == dict.fromkeys(PLUGINS[major], newer), \
        run.text + run.stderr
    assert "already installed" not in run.text
    assert ok(run_command(["helm", "ocean-proxy", "--version"], env=env)).text == \
        f"ocean-proxy {VERSION}\n"  # the plugin runs: its environment was set up again


class PutByHand(NamedTuple):
    mine: Path  # the user's own HELM_PLUGINS, holding the plugins
    data: Path  # helm's data directory, whose plugins/ they were moved from
    env: dict[str, str]
    script: list  # the example install script's command line


def installed_then_put_by_hand(major: str, tmp_path: Path, release_url: str) -> PutByHand:
    """This release installed by the example script, then its plugins moved by hand from
    helm's data directory into the user's own HELM_PLUGINS."""
    mine = tmp_path / "my-plugins"
    env = fresh_user(tmp_path / "home", major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false", HELM_PLUGINS=str(mine))
    script = ["sh", HELM_EXAMPLE / INSTALL_SCRIPT[major]]
    ok(run_command(script, env=env, timeout=300))
    data = Path(ok(run_command(["helm", "env", "HELM_DATA_HOME"], env=env)).text.strip())
    for name in PLUGINS[major]:
        shutil.move(data / "plugins" / name, mine / name)
    return PutByHand(mine, data, env, script)


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_helm_install_script_names_an_older_plugin_put_by_hand_in_the_users_helm_plugins(
        major, tmp_path, release, release_url):
    """The release before, moved by hand into the user's own HELM_PLUGINS directory: helm's
    uninstall cannot reach it there, and the script used to stop on helm's "plugin not
    found". It says which directory holds it and what to do, changes nothing, and once the
    user did that, installs the new release."""
    mine, data, env, script = installed_then_put_by_hand(major, tmp_path, release_url)
    newer = "0.1.99"

    with serving(next_release(release, tmp_path / "next", newer)) as next_url:
        newer_env = {**env, "OCEAN_PROXY_RELEASE_URL": next_url, "OCEAN_PROXY_VERSION": newer}
        refused = run_command(script, env=newer_env, timeout=300)
        assert refused.returncode != 0
        for name in PLUGINS[major]:
            assert f"ocean-proxy: error: the {name} plugin in {mine / name} was put there " \
                   "by hand" in refused.stderr, refused.stderr
        assert "ocean-proxy: hint: remove that directory or move it out of HELM_PLUGINS" \
            in refused.stderr
        assert "not found" not in refused.stderr
        assert installed_versions(env) == dict.fromkeys(PLUGINS[major], VERSION)

        for name in PLUGINS[major]:  # what the hint says
            shutil.rmtree(mine / name)
        ok(run_command(script, env=newer_env, timeout=300))

    env["HELM_PLUGINS"] += f":{data}/plugins"
    assert installed_versions(env) == dict.fromkeys(PLUGINS[major], newer)
    assert ok(run_command(["helm", "ocean-proxy", "--version"], env=env)).text == \
        f"ocean-proxy {VERSION}\n"


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_helm_install_script_leaves_the_same_release_put_by_hand_as_it_is(
        major, tmp_path, release_url):
    """The plugins of this very release, moved by hand into the user's HELM_PLUGINS: nothing
    to replace, so the script says they are installed and succeeds (a CI job with them
    cached there runs it before each deploy), naming no directory as an error."""
    _, _, env, script = installed_then_put_by_hand(major, tmp_path, release_url)

    again = ok(run_command(script, env=env, timeout=120))
    assert "already installed" in again.text
    assert "error" not in again.stderr, again.stderr
    assert installed_versions(env) == dict.fromkeys(PLUGINS[major], VERSION)


def test_helm_upgrade_script_renders_the_proxy_and_the_validated_ca(
        script_user, chart_repo, corp_ca, tmp_path):
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(pasted(corp_ca))
    run = script_user.upgrade(ca_file, DRY_RUN="1", SPOT_CHARTS_URL=chart_repo)

    assert_proxy_and_ca(rendered(run), corp_ca)
    assert f"CN={CA_COMMON_NAME}" in run.stderr  # check-bundle's report ran first
    assert "ocean-proxy: injected proxy" in run.stderr


def test_helm_upgrade_script_stops_on_a_server_certificate_before_helm_runs(
        script_user, chart_repo, corp_ca, tmp_path):
    server = certs.leaf(certs.root("Corp Proxy Root CA"))
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(server.pem)
    run = script_user.upgrade(ca_file, DRY_RUN="1", SPOT_CHARTS_URL=chart_repo)

    assert run.returncode != 0
    assert run.stdout == b""
    assert "is a server certificate, not a CA" in run.stderr
    assert "has been added to your repositories" not in run.stderr


def test_helm3_upgrade_script_finds_the_post_renderer_whatever_helm_plugins_lists(
        tmp_path, release_url, chart_repo, corp_ca):
    """Helm installs the tarball into its data directory whatever HELM_PLUGINS says; a user
    who lists that directory first, before plugins of their own, still gets the post-renderer."""
    data_plugins = tmp_path / ".local" / "share" / "helm" / "plugins"
    env = fresh_user(tmp_path, "helm3", OCEAN_PROXY_RELEASE_URL=release_url,
                     HELM_PLUGINS=f"{data_plugins}:{tmp_path / 'my-plugins'}")
    ok(run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT["helm3"]], env=env, timeout=300))
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(corp_ca)
    run = run_command(["sh", HELM_EXAMPLE / "helm3-upgrade.sh"], cwd=tmp_path, timeout=300,
                      env={**env, **SPOTINST, "CA_FILE": str(ca_file), "DRY_RUN": "1",
                           "SPOT_CHARTS_URL": chart_repo})

    assert_proxy_and_ca(rendered(run), corp_ca)


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_helm_scripts_work_when_helm_plugins_lacks_helms_data_directory(
        major, tmp_path, release_url, chart_repo, corp_ca):
    """HELM_PLUGINS naming only a directory of the user's: helm installs the tarballs into its
    data directory anyway. Running the install script again finds them there (no "plugin
    already exists"), and the upgrade script finds `helm ocean-proxy` and the post-renderer."""
    env = fresh_user(tmp_path, major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false", HELM_PLUGINS=str(tmp_path / "my-plugins"))
    script = HELM_EXAMPLE / INSTALL_SCRIPT[major]
    first = ok(run_command(["sh", script], env=env, timeout=300))
    assert "export HELM_PLUGINS=" in first.stderr  # the install hook's line for the profile
    again = ok(run_command(["sh", script], env=env, timeout=300))
    assert "already installed" in again.text
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(corp_ca)
    run = run_command(["sh", HELM_EXAMPLE / f"{major}-upgrade.sh"], cwd=tmp_path, timeout=300,
                      env={**env, **SPOTINST, "CA_FILE": str(ca_file), "DRY_RUN": "1",
                           "SPOT_CHARTS_URL": chart_repo})

    assert_proxy_and_ca(rendered(run), corp_ca)


def _password_recipe() -> tuple[str, str]:
    """What the README says to export for a proxy that needs a user and password: the URL
    without them as SPOTINST_PROXY_URL, and the variable that takes the whole URL."""
    readme = " ".join((HELM_EXAMPLE / "README.md").read_text().split())
    said = re.search(r"user and password: export `SPOTINST_PROXY_URL` without them "
                     r"\(`([^`]+)`\) and the whole URL, percent-encoded, as `(\w+)`", readme)
    assert said, "the README says how to give the scripts a proxy password"
    return said[1], said[2]


def test_helm_upgrade_script_gives_a_proxy_password_as_the_readme_says(
        script_user, chart_repo, corp_ca, tmp_path):
    """Every container gets the password URL, from a Secret, though the scripts' own
    command line carries only the URL without the password."""
    without, variable = _password_recipe()
    assert "@" not in without
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(corp_ca)
    run = script_user.upgrade(ca_file, DRY_RUN="1", SPOT_CHARTS_URL=chart_repo,
                              SPOTINST_PROXY_URL=without, **{variable: PASSWORD_PROXY_URL})

    assert_proxy_from_secret(rendered(run))
    assert password_shown(run.stderr) == []


def test_helm3_install_script_given_a_tarball_served_as_another_type_says_what_helm_needs(
        tmp_path, release):
    """A mirror served by 'python3 -m http.server' (application/x-tar) or an upload tool's
    application/octet-stream: Helm 3 tries git and the script stopped at 'Error: Cannot detect
    VCS', which says nothing of the server."""
    with serving(release, tgz_type="application/octet-stream") as url:
        env = fresh_user(tmp_path, "helm3", OCEAN_PROXY_RELEASE_URL=url)
        run = run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT["helm3"]], env=env, timeout=120)
    assert run.returncode != 0
    assert "Error: Cannot detect VCS" in run.stderr
    assert ("ocean-proxy: hint: the server did not answer Content-Type: application/gzip for the "
            "tarball, so Helm 3 took its URL for a git one") in run.stderr, run.stderr
    assert installed_plugins(env) == set()
