"""The Helm plugin as users get it: installed, used, updated and uninstalled with real Helm 3 and 4.

Each scenario starts from empty helm directories, installs from a fresh clone of the checkout or
from the tarballs ``make dist`` builds, and runs helm from a shell whose PATH holds no project
virtualenv (/usr/local/bin:/usr/bin:/bin, plus on Helm 3 the plugin's bin/ as the README says).
Uninstall must leave the helm directories, HOME and the checkout exactly as they were, the
caches a render keeps in helm's cache and config directories included.

A scenario is a class: its install is a class fixture, its last test uninstalls. ``make test``
runs pytest with ``--dist loadscope``, which keeps a class on one xdist worker, in order.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import certs
from .chart_render import PROXY_FLAGS
from .conftest import FIXTURE_CHART, Run, run_command, tool
from .plugin_harness import (
    CA_COMMON_NAME,
    SYSTEM_PATH,
    VERSION,
    copy_checkout,
    files_under,
    git_status,
    helm,
    offline_pip,
    ok,
    serving,
    unpacked_helm3_release,
    user_env,
    write_ca,
    write_chart,
)

MAJORS = ["helm3", "helm4"]
# Helm 3 releases users still pin: the oldest any registry package carries, and the last one
# without --post-renderer-args (README, "Which helm versions").
OLDER_HELM3 = ["helm3.4.2", "helm3.8.1"]
UNREACHABLE_INDEX = "http://127.0.0.1:9/"


@pytest.fixture(scope="session")
def wheelhouse(shared_dir: Path) -> Path:
    return unpacked_helm3_release(shared_dir) / "wheelhouse"


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's clone, named as `git clone` names it."""
    return copy_checkout(tmp_path_factory.mktemp("src") / "ocean-proxy")


@pytest.fixture(scope="session")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ca(tmp_path_factory.mktemp("ca") / "ca.pem")


@pytest.fixture(scope="session")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_chart(tmp_path_factory.mktemp("chart") / "tiny")


def _kubeconfig(path: Path, namespace: str) -> Path:
    """A kubeconfig whose current context has ``namespace``: helm's namespace without -n."""
    path.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: local, cluster: {{server: "https://127.0.0.1:9"}}}}]
users: [{{name: user, user: {{token: unused}}}}]
contexts: [{{name: local, context: {{cluster: local, user: user, namespace: {namespace}}}}}]
current-context: local
""")
    path.chmod(0o600)
    return path


@dataclass
class Installed:
    """A user's machine with the plugin installed, and how it looked before."""

    helm: Path
    env: dict[str, str]
    roots: list[Path]
    checkout: Path | None
    before: dict[str, str] = field(default_factory=dict)
    checkout_before: str = ""
    install_runs: list[Run] = field(default_factory=list)
    install_seconds: list[float] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)

    def helm_run(self, *args: str | Path) -> Run:
        return helm(self.helm, *args, env=self.env)

    def snapshot(self) -> None:
        """Take 'before': after helm's first run (Helm 4 unpacks its wasm runtime then)."""
        ok(self.helm_run("plugin", "list"))
        self.before = files_under(*self.roots)
        self.checkout_before = git_status(self.checkout) if self.checkout else ""

    def install(self, source: str | Path, *flags: str) -> None:
        started = time.monotonic()
        run = ok(self.helm_run("plugin", "install", *flags, source))
        self.install_seconds.append(time.monotonic() - started)
        self.install_runs.append(run)


def _helm_dirs(home: Path) -> dict[str, str]:
    dirs = {"HELM_DATA_HOME": home / "data", "HELM_CONFIG_HOME": home / "config",
            "HELM_CACHE_HOME": home / "cache"}
    return {**{k: str(v) for k, v in dirs.items()}, "HELM_PLUGINS": str(home / "data" / "plugins")}


def _with_helms_homes(env: dict[str, str]) -> dict[str, str]:
    """As a user has it: no cache settings, so the caches go to helm's own directories."""
    for name in ("OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE"):
        env.pop(name, None)
    return env


def _ocean_proxy_homes(env: dict[str, str]) -> list[Path]:
    """ocean-proxy/ in helm's cache and config directories, as helm resolves them."""
    home = Path(env["HOME"])
    return [Path(env.get("HELM_CACHE_HOME") or home / ".cache" / "helm") / "ocean-proxy",
            Path(env.get("HELM_CONFIG_HOME") or home / ".config" / "helm") / "ocean-proxy"]


def _helm3_path(plugins: Path) -> str:
    """The PATH the README tells Helm 3 users to set: the plugin's bin/ added."""
    return f"{SYSTEM_PATH}:{plugins / 'ocean-proxy' / 'bin'}"


# --- what every installed plugin must do -----------------------------------------------------

class UsedLikeAUser:
    """What every install scenario checks first (pytest runs a base class's tests before the
    subclass's own); each scenario's last test uninstalls."""

    def test_helm_ocean_proxy_reports_its_version(self, installed: Installed) -> None:
        assert ok(installed.helm_run("ocean-proxy", "--version")).text == f"ocean-proxy {VERSION}\n"

    def test_helm_ocean_proxy_help_is_the_commands_own(self, installed: Installed) -> None:
        for command in ("render", "check-bundle", "discover-ca", "verify"):
            run = ok(installed.helm_run("ocean-proxy", command, "--help"))
            assert run.text.startswith(f"usage: helm ocean-proxy {command} "), run.text

    def test_plan_of_the_command_plugin_reaches_the_user(self, installed: Installed,
                                                         tmp_path: Path) -> None:
        """helm hands a command plugin its own stdout: --plan is not refused there, as it is
        in a post-renderer whose stdout helm reads as the release."""
        manifests = tmp_path / "manifests.yaml"
        manifests.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
        run = ok(installed.helm_run("ocean-proxy", "render", "--plan", "-f", manifests))
        assert json.loads(run.text) == {"documents": []}

    def test_helm_s_own_namespace_flag_is_said_not_to_reach_values(self, installed: Installed,
                                                                     tmp_path: Path) -> None:
        """'helm ocean-proxy values --namespace NS', as its --help shows the flag: helm keeps
        --namespace, and the Secrets went to the manifests' namespace without a word."""
        def values(*namespace: str, flag: tuple[str, ...] = ("--namespace", "spot-system")
                   ) -> tuple[Run, str]:
            rendered = ok(installed.helm_run("template", "ocean-controller", FIXTURE_CHART,
                                             *namespace, "--set",
                                             "spotinst.proxyUrl=http://proxy.corp:3128"))
            manifests = tmp_path / "manifests.yaml"
            manifests.write_text(rendered.text)
            secrets = tmp_path / "secrets.yaml"
            secrets.unlink(missing_ok=True)
            run = ok(installed.helm_run("ocean-proxy", "values", "-f", manifests,
                                        "--secrets", secrets, *flag))
            return run, secrets.read_text()

        run, secrets = values()
        assert ("not helm's 'spot-system': helm keeps --namespace for itself; for that "
                "namespace, render with 'helm template --namespace spot-system'") in run.stderr
        assert "namespace: default" in secrets
        followed, secrets = values("--namespace", "spot-system")  # the warning, followed
        assert "helm keeps --namespace" not in followed.stderr
        assert "namespace: spot-system" in secrets and "namespace: default" not in secrets
        # rendered for the release's namespace, values given none, the kube context's another:
        # helm hands on the context's namespace, which nobody asked for: nothing to say
        installed.env["KUBECONFIG"] = str(_kubeconfig(tmp_path / "kubeconfig", "team-a"))
        try:
            plain, secrets = values("--namespace", "spot-system", flag=())
        finally:
            del installed.env["KUBECONFIG"]
        assert "helm keeps --namespace" not in plain.stderr
        assert "namespace: spot-system" in secrets

    def test_check_bundle_accepts_a_real_ca(self, installed: Installed, ca_file: Path) -> None:
        run = ok(installed.helm_run("ocean-proxy", "check-bundle", ca_file))
        assert CA_COMMON_NAME in run.text

    @pytest.mark.parametrize("stderr", ["pipe", "file"])
    def test_a_refused_command_says_why_once(self, installed: Installed, stderr: str,
                                             tmp_path: Path) -> None:
        """helm hands a command plugin its own stderr: the error and its hint come once,
        whether helm's stderr is a pipe (CI) or a file (``2> log``)."""
        notes = tmp_path / "notes.txt"
        notes.write_text("not a certificate\n")
        env = {k: v for k, v in installed.env.items() if k != "OCEAN_PROXY_MESSAGES"}  # unset
        argv = [installed.helm, "ocean-proxy", "check-bundle", notes]
        if stderr == "pipe":
            run = helm(*argv, env=env)
            status, shown = run.returncode, run.stderr
        else:
            log = tmp_path / "log"
            with log.open("w") as handle:
                status = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                                        stderr=handle, timeout=120, check=False).returncode
            shown = log.read_text(encoding="utf-8")
        assert status != 0
        lines = shown.splitlines()
        assert len([line for line in lines if line.startswith("ocean-proxy: error: ")]) == 1, shown
        assert len([line for line in lines if line.startswith("ocean-proxy: hint: ")]) == 1, shown

    def test_check_bundles_report_names_a_command_the_user_has(self, installed: Installed,
                                                                tmp_path: Path) -> None:
        """The report on stdout (text and --json) gives each refused certificate's hint as
        the error line does: a server certificate's points at discover-ca, which the user
        runs as 'helm ocean-proxy discover-ca' (Helm 4 puts no 'ocean-proxy' on PATH)."""
        server = tmp_path / "server.pem"
        server.write_bytes(certs.leaf(certs.intermediate(certs.root())).pem)
        for json_flag in ((), ("--json",)):
            run = installed.helm_run("ocean-proxy", "check-bundle", *json_flag, server)
            assert run.returncode == 1, run.stderr
            named = re.findall(r"'([^'\n]*ocean-proxy discover-ca)'", run.text)
            assert named and set(named) == set(
                re.findall(r"'([^'\n]*ocean-proxy discover-ca)'", run.stderr)), run.text
            for command in set(named):
                words = command.split()
                assert words[0] == "helm", command
                assert installed.helm_run(*words[1:], "--help").returncode == 0, command

    def test_the_install_says_how_settings_reach_a_helm_without_post_renderer_args(
            self, installed: Installed) -> None:
        """A helm 3 before 3.9 refuses --post-renderer-args, which the README's lines use:
        the install says so, and names the route that works there."""
        said = "".join(run.stderr for run in installed.install_runs)
        lacks = installed.helm.name in OLDER_HELM3
        assert ("has no --post-renderer-args" in said) == lacks, said
        if lacks:
            assert "OCEAN_PROXY_CA_FILE" in said and "OCEAN_PROXY_CONFIG" in said

    def test_a_hint_to_the_command_plugin_works_when_followed(self, installed: Installed) -> None:
        """The plugins put no 'ocean-proxy' on PATH on Helm 4: the command a hint names is the
        one the user can run, 'helm ocean-proxy ...'."""
        run = installed.helm_run("ocean-proxy", "verify", "--proxy-ur", "http://127.0.0.1:9")
        assert run.returncode == 2 and not run.text
        ok(_follow_the_hint(installed, run))

    @pytest.mark.parametrize("mistake", ["--proxy-ur=http://127.0.0.1:9", "--version", "-h"])
    def test_a_hint_of_the_post_renderer_works_when_followed(self, installed: Installed,
                                                             mistake: str) -> None:
        """On Helm 4 the post-renderer runs as a plugin, not from PATH: its hint names a command
        the user has (Helm 3's runs from PATH, beside 'ocean-proxy' itself)."""
        env = {k: v for k, v in installed.env.items() if k != "OCEAN_PROXY_MESSAGES"}  # unset
        run = helm(installed.helm, "template", "r", FIXTURE_CHART, *PROXY_FLAGS,
                   "--post-renderer", "ocean-proxy-post-renderer",
                   "--post-renderer-args", mistake, env=env)
        assert run.returncode != 0 and not run.text
        if installed.helm.name in OLDER_HELM3:  # helm says it, before any post-renderer runs
            assert run.stderr == "Error: unknown flag: --post-renderer-args\n"
            return
        ok(_follow_the_hint(installed, run))

    def test_helms_debug_flag_reaches_the_command(self, installed: Installed) -> None:
        """helm keeps --debug and passes HELM_DEBUG=true: the command prints its steps."""
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        run = installed.helm_run("ocean-proxy", "verify", "--proxy-url",
                                 f"http://127.0.0.1:{port}", "--debug")
        assert run.returncode != 0
        step = f"ocean-proxy: debug: connecting to http://127.0.0.1:{port}"
        assert step in run.stderr, run.stderr

    def test_post_renderer_passes_a_chart_without_controller_through(
            self, installed: Installed, chart: Path) -> None:
        plain = ok(installed.helm_run("template", "r", chart)).text
        post_rendered = installed.helm_run("template", "r", chart,
                                           "--post-renderer", "ocean-proxy-post-renderer")
        assert ok(post_rendered).text == plain

    def test_a_render_keeps_its_caches_in_helms_directories(
            self, installed: Installed, ca_file: Path) -> None:
        """What the uninstall test then expects to see removed. A helm 3 older than 3.9 has no
        --post-renderer-args: the CA goes by OCEAN_PROXY_CA_FILE there, as the README says."""
        if installed.helm.name in OLDER_HELM3:
            ok(helm(installed.helm, "template", "r", FIXTURE_CHART, *PROXY_FLAGS,
                    "--post-renderer", "ocean-proxy-post-renderer",
                    env={**installed.env, "OCEAN_PROXY_CA_FILE": str(ca_file)}))
        else:
            ok(installed.helm_run("template", "r", FIXTURE_CHART, *PROXY_FLAGS,
                                  "--post-renderer", "ocean-proxy-post-renderer",
                                  "--post-renderer-args", f"--ca-file={ca_file}"))
        assert any(path.is_dir() for path in _ocean_proxy_homes(installed.env))


def _follow_the_hint(installed: Installed, run: Run) -> Run:
    """Runs the command the first hint of ``run`` names, as the user's shell would."""
    hint = re.search(r"^ocean-proxy: hint: run '([^']+)'", run.stderr, re.MULTILINE)
    assert hint, run.stderr
    words = hint.group(1).split()
    if words[0] == "helm":
        return installed.helm_run(*words[1:])
    found = shutil.which(words[0], path=installed.env["PATH"])
    assert found, f"{words[0]} is not on the user's PATH: {run.stderr}"
    return run_command([found, *words[1:]], env=installed.env)


def _uninstall_leaves_nothing_behind(installed: Installed) -> None:
    ok(installed.helm_run("plugin", "uninstall", *installed.plugins))
    assert files_under(*installed.roots) == installed.before
    if installed.checkout:
        assert git_status(installed.checkout) == installed.checkout_before


# --- scenarios ---------------------------------------------------------------------------------

class TestCheckoutInstall(UsedLikeAUser):
    """`helm plugin install <checkout dir>`: the dependencies come from the index, as pip is set."""

    @pytest.fixture(scope="class", params=MAJORS + OLDER_HELM3)
    @classmethod
    def installed(cls, request: pytest.FixtureRequest, checkout: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Installed:
        major = request.param
        home = tmp_path_factory.mktemp(f"{major}-checkout")
        dirs = _helm_dirs(home)
        plugins = Path(dirs["HELM_PLUGINS"])
        path = _helm3_path(plugins) if major != "helm4" else SYSTEM_PATH
        machine = Installed(helm=tool(major), roots=[home],
                            env=_with_helms_homes(user_env(Path.home(), helm_dirs=dirs,
                                                           path=path)),
                            checkout=checkout)
        machine.snapshot()
        machine.install(checkout)
        machine.plugins = ["ocean-proxy"]
        if major == "helm4":
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
        _uninstall_leaves_nothing_behind(installed)


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
        path = _helm3_path(plugins) if major != "helm4" else SYSTEM_PATH
        env = _with_helms_homes(user_env(home, path=path, PIP_INDEX_URL=UNREACHABLE_INDEX))
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
        _uninstall_leaves_nothing_behind(installed)


def test_helm3_installs_an_unpacked_release_tarball(helm3: Path, shared_dir: Path, tmp_path: Path,
                                                    helm_home: dict[str, str]) -> None:
    """Helm 3 takes no local .tgz: the README says to unpack it and install the directory."""
    unpacked = tmp_path / "ocean-proxy"
    shutil.copytree(unpacked_helm3_release(shared_dir), unpacked, symlinks=True)
    plugins = Path(helm_home["HELM_PLUGINS"])
    env = user_env(tmp_path, helm_dirs=helm_home, path=_helm3_path(plugins),
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


def test_helm4_git_install_updates_and_uninstalls_cleanly(helm4: Path, checkout: Path,
                                                          wheelhouse: Path, tmp_path: Path,
                                                          helm_home: dict[str, str]) -> None:
    """`helm plugin update` works for git installs only; its hook rebuilds the environment.

    A git URL installs the repository's root manifest: the command plugin, which Helm 4 loads
    as cli/v1. Helm keeps its own clone in HELM_CACHE_HOME/plugins, as for every plugin from git.
    """
    origin = tmp_path / "ocean-proxy"  # helm finds git by the .git directory of a file:// URL
    _git("clone", "-q", checkout, origin)
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
    _git("-C", origin, "commit", "-q", "-am", "drop pyopenssl")

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
    _git("clone", "-q", checkout, origin)
    env = user_env(tmp_path, helm_dirs=helm_home, **offline_pip(wheelhouse))
    binary = tool(major)
    ok(helm(binary, "plugin", "install", *(("--verify=false",) if major == "helm4" else ()),
            f"file://{origin}", env=env))
    venv = Path(helm_home["HELM_PLUGINS"]) / ".ocean-proxy.venv"  # beside the clone
    stamp = (venv / "ocean-proxy.stamp").read_text()
    (origin / "CHANGES").write_text("a change of code only\n")
    _git("-C", origin, "add", "CHANGES")
    _git("-C", origin, "commit", "-q", "-m", "a change of code only")
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
    _git("clone", "-q", checkout, origin)
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
    _git("clone", "-q", checkout, remote)
    clone = tmp_path / "work" / "ocean-proxy"
    _git("clone", "-q", f"file://{remote}", clone)
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


def _git(*args: str | Path) -> Run:
    return ok(run_command(["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid",
                           *args]))


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
