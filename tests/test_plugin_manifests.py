"""Every plugin manifest the repository has, installed together into one helm: helm keeps working.

Helm 4 takes every manifest; Helm 3 every one without ``apiVersion`` (it refuses the others).
Each major gets its own HELM_* directories and HOME, a plugin the user already had, and then
ours, from a fresh clone. Once, ``helm plugin install <repository>`` on Helm 3 installed a
``postrenderer/v1`` manifest, after which every Helm 3 plugin command failed ("unknown field
apiVersion"), uninstall included; on Helm 4 two manifests claimed the name ``ocean-proxy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from . import certs
from .conftest import FIXTURE_CHART, REPO, Run, run_command
from .plugin_harness import (
    SYSTEM_PATH,
    VERSION,
    Manifest,
    files_under,
    helm,
    offline_pip,
    ok,
    repository_manifests,
    user_env,
)
from .plugin_sources import (  # noqa: F401  (the fixtures)
    chart_fixture,
    checkout_fixture,
    wheelhouse_fixture,
)

MAJORS = ["helm3", "helm4"]
SECRET = "S3cret'P%40ss"
RECOVERY = ('(IFS=:; for dir in $(helm env HELM_PLUGINS); do '
            'rm -rf -- "$dir/ocean-proxy-post-renderer"; done)')


@pytest.fixture(scope="module")
def other_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin the user already had (Helm 3-style, which both majors load)."""
    directory = tmp_path_factory.mktemp("other") / "hello"
    directory.mkdir()
    (directory / "plugin.yaml").write_text(
        "name: hello\nversion: 1.0.0\nusage: says hello\ndescription: says hello\n"
        "command: echo hello from $HELM_PLUGIN_NAME\n")
    return directory


def _names(listing: Run) -> set[str]:
    """Plugin names from `helm plugin list` (Helm 3 wraps long descriptions onto indented lines)."""
    return {line.split()[0] for line in ok(listing).text.splitlines()[1:] if line[:1].strip()}


def _helm_dirs(home: Path) -> dict[str, str]:
    return {"HELM_DATA_HOME": str(home / "data"), "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_CACHE_HOME": str(home / "cache"), "HELM_PLUGINS": str(home / "data" / "plugins")}


def _user(home: Path, major: str, wheelhouse: Path) -> dict[str, str]:
    """A user's shell; on Helm 3 with the plugin's bin/ on PATH, as the README says."""
    dirs = _helm_dirs(home)
    path = SYSTEM_PATH
    if major == "helm3":
        path += f":{Path(dirs['HELM_PLUGINS']) / 'ocean-proxy' / 'bin'}"
    env = user_env(home, helm_dirs=dirs, path=path, **offline_pip(wheelhouse))
    env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset: messages reach helm's stderr
    return env


def test_no_two_manifests_share_a_name() -> None:
    names = [manifest.name for manifest in repository_manifests()]
    assert len(names) == len(set(names)), names


def test_the_root_manifest_is_the_command_plugin_both_majors_load() -> None:
    """`helm plugin install <repository>` and a git URL install it, on either major."""
    [root] = [m for m in repository_manifests() if m.path == "plugin.yaml"]
    assert root == Manifest("plugin.yaml", "ocean-proxy", None)


def test_every_manifest_sits_in_a_directory_of_its_name_but_the_root() -> None:
    """Helm names a local install's directory after the source directory: the same name, then."""
    for manifest in repository_manifests():
        if manifest.path != "plugin.yaml":
            assert Path(manifest.directory).name == manifest.name, manifest


@dataclass
class OneHelm:
    """One user's helm with every manifest it can take installed, and how it looked before."""

    major: str
    binary: Path
    env: dict[str, str]
    home: Path
    ours: list[Manifest]
    before: dict[str, str]
    install_runs: list[Run]

    def run(self, *args: str | Path) -> Run:
        return helm(self.binary, *args, env=self.env)


@pytest.fixture(scope="class", params=MAJORS)
def one_helm(request: pytest.FixtureRequest, checkout: Path, wheelhouse: Path,
             other_plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> OneHelm:
    major = request.param
    home = tmp_path_factory.mktemp(f"every-manifest-{major}")
    env = _user(home, major, wheelhouse)
    binary = request.getfixturevalue(major)
    ok(helm(binary, "plugin", "list", env=env))
    before = files_under(home)
    ok(helm(binary, "plugin", "install", other_plugin, env=env))
    ours = [m for m in repository_manifests() if major == "helm4" or m.helm3_loads_it]
    runs = [ok(helm(binary, "plugin", "install", checkout / m.directory, env=env)) for m in ours]
    return OneHelm(major, binary, env, home, ours, before, runs)


class TestEveryManifestInOneHelm:
    """Helm 4 with all of them, Helm 3 with all it can read; the last test uninstalls."""

    def test_helm_3_takes_the_root_manifest_and_helm_4_every_one(self, one_helm: OneHelm) -> None:
        expected = {"plugin.yaml"} if one_helm.major == "helm3" else \
            {m.path for m in repository_manifests()}
        assert {m.path for m in one_helm.ours} == expected

    def test_the_command_plugins_install_says_what_the_post_renderer_needs_there(
            self, one_helm: OneHelm) -> None:
        """Helm 4 needs the other plugin (not yet installed then); this Helm 3 has bin/ on PATH."""
        [root_install] = [run for manifest, run in zip(one_helm.ours, one_helm.install_runs,
                                                       strict=True)
                          if manifest.path == "plugin.yaml"]
        helm4_hint = "Helm 4 runs --post-renderer ocean-proxy-post-renderer as a plugin of its own"
        assert (helm4_hint in root_install.stderr) == (one_helm.major == "helm4")
        assert "export PATH=" not in root_install.stderr

    def test_plugin_list_shows_each_plugin_once_without_complaint(self, one_helm: OneHelm) -> None:
        listing = one_helm.run("plugin", "list")
        assert _names(listing) == {"hello", *(m.name for m in one_helm.ours)}
        assert listing.stderr == ""

    def test_the_users_other_plugin_still_runs(self, one_helm: OneHelm) -> None:
        assert ok(one_helm.run("hello")).text == "hello from hello\n"

    def test_helm_ocean_proxy_runs_the_command(self, one_helm: OneHelm) -> None:
        helped = ok(one_helm.run("ocean-proxy", "--help")).text
        assert helped.startswith("usage: helm ocean-proxy ")
        assert ok(one_helm.run("ocean-proxy", "help")).text == helped  # as 'helm help' is
        assert ok(one_helm.run("ocean-proxy", "help", "check-bundle")).text.startswith(
            "usage: helm ocean-proxy check-bundle ")
        assert ok(one_helm.run("ocean-proxy", "--version")).text == f"ocean-proxy {VERSION}\n"

    def test_the_same_post_renderer_flag_works(self, one_helm: OneHelm, chart: Path) -> None:
        """Helm 4 finds the plugin of that name, Helm 3 the executable of that name on PATH."""
        plain = ok(one_helm.run("template", "r", chart)).text
        rendered = one_helm.run("template", "r", chart, "--post-renderer",
                                "ocean-proxy-post-renderer")
        assert ok(rendered).text == plain

    def test_one_post_renderer_argument_with_a_flag_and_its_value_is_read_as_two(
            self, one_helm: OneHelm) -> None:
        setting = "value: http://proxy.example:3128"
        assert setting not in ok(one_helm.run("template", "r", FIXTURE_CHART)).text
        rendered = one_helm.run("template", "r", FIXTURE_CHART, "--post-renderer",
                                "ocean-proxy-post-renderer",
                                "--post-renderer-args", "--proxy-url http://proxy.example:3128")
        assert setting in ok(rendered).text

    def test_a_quoted_value_with_spaces_in_one_post_renderer_argument_is_one_value(
            self, one_helm: OneHelm, tmp_path: Path) -> None:
        """The README's '--post-renderer-args "--ca-file 'my ca.pem'"': the quotes keep the
        file name whole, as a shell reads them, on both majors."""
        ca_file = tmp_path / "my ca.pem"
        ca_file.write_bytes(certs.root("Corp Proxy Root CA").pem)
        rendered = one_helm.run("template", "r", FIXTURE_CHART, "--post-renderer",
                                "ocean-proxy-post-renderer",
                                "--post-renderer-args", f"--ca-file '{ca_file}'")
        assert "name: ocean-proxy-ca" in ok(rendered).text

    def test_helm_keeps_namespace_for_itself_as_the_readme_says(
            self, one_helm: OneHelm, tmp_path: Path) -> None:
        """'helm ocean-proxy values --namespace NS' never reaches ocean-proxy: the Secrets go
        to the namespace the manifests were rendered for (README, "Commands")."""
        manifests = tmp_path / "manifests.yaml"
        manifests.write_bytes(ok(one_helm.run(
            "template", "r", FIXTURE_CHART, "--namespace", "rendered-ns",
            "--set", "spotinst.proxyUrl=http://proxy.example:3128")).stdout)
        secrets = tmp_path / "secrets.yaml"
        ok(one_helm.run("ocean-proxy", "values", "-f", manifests, "--secrets", secrets,
                        "--namespace", "given-ns"))
        text = secrets.read_text()
        assert "namespace: rendered-ns" in text and "given-ns" not in text

    def test_a_misspelt_post_renderer_flag_is_named_and_its_value_kept_secret(
            self, one_helm: OneHelm, chart: Path) -> None:
        run = one_helm.run("template", "r", chart, "--post-renderer", "ocean-proxy-post-renderer",
                           "--post-renderer-args", f"--proxy-ur=http://u:{SECRET}@proxy:3128")
        assert run.returncode != 0
        assert run.stdout == b""
        assert "ocean-proxy: error: unknown flag --proxy-ur; did you mean --proxy-url?\n" \
            in run.stderr
        assert "S3cret" not in run.stderr and "P%40ss" not in run.stderr

    def test_uninstalling_each_leaves_helm_as_it_was(self, one_helm: OneHelm) -> None:
        for name in [*(m.name for m in one_helm.ours), "hello"]:
            ok(one_helm.run("plugin", "uninstall", name))
        assert _names(one_helm.run("plugin", "list")) == set()
        assert files_under(one_helm.home) == one_helm.before


def test_installing_the_repository_keeps_every_helm3_plugin_command_working(
        helm3: Path, checkout: Path, wheelhouse: Path, other_plugin: Path,
        tmp_path: Path) -> None:
    """The old bug: the root manifest was postrenderer/v1, and Helm 3 then failed to load any
    plugin ("unknown field apiVersion"), uninstall included."""
    env = _user(tmp_path, "helm3", wheelhouse)
    ok(helm(helm3, "plugin", "install", other_plugin, env=env))

    install = ok(helm(helm3, "plugin", "install", checkout, env=env))
    assert "Installed plugin: ocean-proxy" in install.text
    for args in (["plugin", "list"], ["hello"], ["ocean-proxy", "--version"]):
        run = ok(helm(helm3, *args, env=env))
        assert "apiVersion" not in run.stderr, run.stderr
    ok(helm(helm3, "plugin", "uninstall", "ocean-proxy", env=env))
    assert ok(helm(helm3, "hello", env=env)).text == "hello from hello\n"


@pytest.mark.parametrize("plugin_dirs", ["one directory", "a list, as the README sets it"])
def test_helm3_broken_by_a_helm4_manifest_is_recovered_as_the_readme_says(
        helm3: Path, checkout: Path, other_plugin: Path, tmp_path: Path,
        plugin_dirs: str) -> None:
    """Helm 3 keeps the directory of a manifest it refuses, and then loads no plugin at all;
    HELM_PLUGINS is one directory or, once the user adds the Quick start's line, a list."""
    assert RECOVERY in (REPO / "README.md").read_text()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "helm").symlink_to(helm3)
    dirs = _helm_dirs(tmp_path)
    env = user_env(tmp_path, helm_dirs=dirs, path=f"{bin_dir}:{SYSTEM_PATH}")
    ok(helm(helm3, "plugin", "install", other_plugin, env=env))

    mixed_up = helm(helm3, "plugin", "install", checkout / "plugins" / "ocean-proxy-post-renderer",
                    env=env)
    assert mixed_up.returncode != 0
    if plugin_dirs != "one directory":
        (tmp_path / "my-plugins").mkdir()
        env["HELM_PLUGINS"] = f"{tmp_path / 'my-plugins'}:{dirs['HELM_PLUGINS']}"
    broken = helm(helm3, "plugin", "list", env=env)
    assert broken.returncode != 0 and 'unknown field "apiVersion"' in broken.stderr

    ok(run_command(["sh", "-c", RECOVERY], env=env))
    assert _names(helm(helm3, "plugin", "list", env=env)) == {"hello"}
    assert ok(helm(helm3, "hello", env=env)).text == "hello from hello\n"
