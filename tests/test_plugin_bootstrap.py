"""The plugin's Python environment: built by helm's install hook, repeatable, self-healing, and a
clear one-line error when it cannot be built (no Python 3.10+, no reachable package index).

Also what ``make dist`` ships: each tarball in the layout its Helm major installs, with wheels
that install offline on every supported CPython.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from .conftest import REPO, Run, run_command
from .plugin_harness import (
    SYSTEM_PATH,
    VERSION,
    build_release,
    copy_checkout,
    files_under,
    git_status,
    helm,
    link_tools,
    ok,
    pyenv_python,
    repository_manifests,
    unpacked_helm3_release,
    user_env,
)

MAJORS = ["helm3", "helm4"]
HOOK_TOOLS = ("sh", "dirname", "basename", "cat", "rm", "uname")


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    base = tmp_path_factory.getbasetemp()
    return (base if worker_id == "master" else base.parent) / "shared"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_checkout(tmp_path_factory.mktemp("src") / "ocean-proxy")


def _plugin_source(checkout: Path, major: str) -> Path:
    """Helm 3's hooks are the command plugin's strings, Helm 4's the post-renderer's lists."""
    return checkout if major == "helm3" else checkout / "plugins" / "ocean-proxy-post-renderer"


def _plugin_name(major: str) -> str:
    return "ocean-proxy" if major == "helm3" else "ocean-proxy-post-renderer"


def _state(binary: Path, env: dict[str, str], helm_home: dict[str, str],
           checkout: Path) -> tuple[dict[str, str], str]:
    """The helm directories' files and the checkout's git status (after helm's first run)."""
    ok(helm(binary, "plugin", "list", env=env))
    dirs = [Path(helm_home[name]) for name in ("HELM_DATA_HOME", "HELM_CONFIG_HOME",
                                               "HELM_CACHE_HOME")]
    return files_under(*dirs), git_status(checkout)


def _errors(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy: error:")]


def _without_pip_settings(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith("PIP_")}


# --- when the environment cannot be built ------------------------------------------------------

class TestWhenTheEnvironmentCannotBeBuilt:
    """The hook fails with one error line and a hint, and uninstall still leaves nothing."""

    @pytest.mark.parametrize("major", MAJORS)
    def test_without_python_310_the_install_hook_says_so(
            self, major: str, request: pytest.FixtureRequest, checkout: Path, tmp_path: Path,
            helm_home: dict[str, str]) -> None:
        binary = request.getfixturevalue(major)
        path = link_tools(tmp_path / "bin", *HOOK_TOOLS)
        (path / "python3").symlink_to(pyenv_python("3.9"))
        env = user_env(tmp_path, helm_dirs=helm_home, path=str(path))
        before = _state(binary, env, helm_home, checkout)

        run = helm(binary, "plugin", "install", _plugin_source(checkout, major), env=env)
        assert run.returncode != 0
        assert len(_errors(run)) == 1, run.stderr
        assert re.fullmatch(
            r"ocean-proxy: error: needs Python 3\.10 or newer and found none on PATH \(tried "
            r"python3 python3\.13 python3\.12 python3\.11 python3\.10; python3 is 3\.9\.\d+\)",
            _errors(run)[0]), run.stderr
        assert "ocean-proxy: hint: install Python 3.10+ or set OCEAN_PROXY_PYTHON" in run.stderr
        # helm keeps a plugin whose install hook failed; uninstalling it leaves nothing
        ok(helm(binary, "plugin", "uninstall", _plugin_name(major), env=env))
        assert _state(binary, env, helm_home, checkout) == before

    @pytest.mark.parametrize("major", MAJORS)
    @pytest.mark.parametrize(("pip_settings", "expected"), [
        ({"PIP_INDEX_URL": "http://127.0.0.1:9/", "PIP_RETRIES": "0"},
         "ocean-proxy: error: cannot reach the package index http://127.0.0.1:9/ to install "
         "ruamel.yaml, ruamel.yaml.clib, cryptography, jsonpatch, pyopenssl"),
        ({"PIP_NO_INDEX": "1"},
         "ocean-proxy: error: cannot install ruamel.yaml, ruamel.yaml.clib, cryptography, "
         "jsonpatch, pyopenssl: pip is configured to use no package index"),
    ], ids=["unreachable-index", "no-index"])
    def test_without_a_usable_index_the_install_hook_says_so(
            self, major: str, pip_settings: dict[str, str], expected: str,
            request: pytest.FixtureRequest, checkout: Path, tmp_path: Path,
            helm_home: dict[str, str]) -> None:
        binary = request.getfixturevalue(major)
        env = _without_pip_settings(user_env(tmp_path, helm_dirs=helm_home))
        env.update(PIP_CONFIG_FILE=os.devnull, **pip_settings)
        before = _state(binary, env, helm_home, checkout)

        run = helm(binary, "plugin", "install", _plugin_source(checkout, major), env=env)
        assert run.returncode != 0
        assert len(_errors(run)) == 1 and _errors(run)[0].startswith(expected), run.stderr
        assert "ocean-proxy: hint: install from the release tarball" in run.stderr
        plugins = Path(helm_home["HELM_PLUGINS"])
        assert not list(plugins.glob(".*.venv")), "a failed bootstrap left a half-built venv"
        ok(helm(binary, "plugin", "uninstall", _plugin_name(major), env=env))
        assert _state(binary, env, helm_home, checkout) == before


    @pytest.mark.parametrize(("proxy", "where"), [
        ("http://svc:hunter2-Passw0rd@proxy.corp:99999", "environment"),
        ("http://svc:hunter2 Passw0rd@[::1:3128", "environment"),
        ("http://hunter2-Passw0rd-token@proxy.corp:99999", "environment"),
        ("http://svc:hunter2-Passw0rd@proxy.corp:99999", "pip.conf"),
        ("http://svc:hunter2 Passw0rd@[::1:3128", "pip.conf"),
    ], ids=["bad-port", "space-in-password", "token-as-user", "pip-conf",
            "pip-conf-space-in-password"])
    def test_a_proxy_url_pip_quotes_back_has_its_password_masked(
            self, proxy: str, where: str, checkout: Path, tmp_path: Path) -> None:
        """pip quotes a proxy URL it cannot parse whole ('Failed to parse: http://svc:pw@...')
        in the error line the hook says, which goes to helm's stderr: a CI log."""
        env = _without_pip_settings(user_env(tmp_path))
        config = tmp_path / "pip.conf"
        config.write_text(f"[global]\nproxy = {proxy}\n" if where == "pip.conf" else "")
        env.update(PIP_CONFIG_FILE=str(config), PIP_INDEX_URL="http://127.0.0.1:9/",
                   PIP_RETRIES="0")
        if where == "environment":
            env.update(HTTPS_PROXY=proxy, HTTP_PROXY=proxy)
        run = run_command([pyenv_python("3.11"), "-I",
                           checkout / "libexec" / "ocean-proxy" / "bootstrap.py",
                           "--venv", tmp_path / "venv", "--sources", checkout,
                           "--plugin-dir", checkout], env=env, timeout=300)
        assert run.returncode == 1
        assert len(_errors(run)) == 1, run.stderr
        assert "Failed to parse: http://" in run.stderr  # the line that quoted it is still said
        assert "hunter2" not in run.stderr and "Passw0rd" not in run.stderr, run.stderr

    @pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
    def test_a_plugins_directory_this_user_cannot_write_is_said_in_one_line(
            self, checkout: Path, tmp_path: Path) -> None:
        """The environment is (re)built on first use by whoever runs the plugin: a user other
        than the one who installed it, or a read-only file system (a container's), cannot
        write it there. That is an error line and a hint, not a traceback."""
        plugins = tmp_path / "plugins"
        plugins.mkdir()
        plugins.chmod(0o555)
        as_another_user = ("unshare", "--user", "--map-user=1000680000", "--map-group=0")
        run = run_command([*as_another_user, pyenv_python("3.11"), "-I",
                           checkout / "libexec" / "ocean-proxy" / "bootstrap.py",
                           "--venv", plugins / ".ocean-proxy.venv", "--sources", checkout,
                           "--plugin-dir", plugins / "ocean-proxy"],
                          env=user_env(tmp_path), timeout=300)
        assert run.returncode == 1
        assert "Traceback" not in run.stderr, run.stderr
        assert _errors(run) == [
            f"ocean-proxy: error: cannot set up the Python environment in "
            f"{plugins / '.ocean-proxy.venv'}: Permission denied"], run.stderr
        assert "ocean-proxy: hint: " in run.stderr
        assert not list(plugins.iterdir())

    @pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
    def test_a_full_file_system_is_told_to_free_space_not_to_change_user(
            self, checkout: Path, tmp_path: Path) -> None:
        """No space left where the environment goes: the user who runs it may write there, so
        the hint for a folder of another user's sent them the wrong way (a file system of a
        few inodes, mounted in a user and mount namespace of the test's own)."""
        plugins = tmp_path / "plugins"
        plugins.mkdir()
        bootstrap = [pyenv_python("3.11"), "-I",
                     checkout / "libexec" / "ocean-proxy" / "bootstrap.py",
                     "--venv", plugins / ".ocean-proxy.venv", "--sources", checkout,
                     "--plugin-dir", plugins / "ocean-proxy"]
        run = run_command(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                           f'mount -t tmpfs -o size=64k,nr_inodes=6 tmpfs "{plugins}" && '
                           'exec "$@"', "sh", *bootstrap], env=user_env(tmp_path), timeout=300)
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
        assert _errors(run) == [
            f"ocean-proxy: error: cannot set up the Python environment in "
            f"{plugins / '.ocean-proxy.venv'}: No space left on device"], run.stderr
        assert "ocean-proxy: hint: free space on that file system" in run.stderr, run.stderr
        assert "as the user who runs it" not in run.stderr, run.stderr

    def test_ctrl_c_while_the_environment_is_set_up_leaves_no_traceback_and_no_half_venv(
            self, checkout: Path, tmp_path: Path) -> None:
        """The first run sets the environment up for seconds; a user who presses Ctrl-C then
        got a KeyboardInterrupt traceback. It stops as a command does (exit 130), with
        nothing left half-built: the next run sets it up again."""
        venv_dir = tmp_path / "plugins" / ".ocean-proxy.venv"
        with subprocess.Popen([pyenv_python("3.11"), "-I",
                               checkout / "libexec" / "ocean-proxy" / "bootstrap.py",
                               "--venv", venv_dir, "--sources", checkout,
                               "--plugin-dir", tmp_path / "plugins" / "ocean-proxy"],
                              stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=user_env(tmp_path)) as bootstrap:
            assert bootstrap.stderr is not None
            started = bootstrap.stderr.readline()
            assert "setting up Python" in started, started
            _started_under(bootstrap.pid, b"pip")
            bootstrap.send_signal(signal.SIGINT)
            rest = bootstrap.stderr.read()
            assert bootstrap.wait(timeout=60) == 130, rest
        assert "Traceback" not in rest and "KeyboardInterrupt" not in rest, rest
        assert not venv_dir.exists()


def _started_under(pid: int, word: bytes) -> int:
    """The process under ``pid`` (a child, or a child's child...) whose command line holds
    ``word``, once one runs: waited for, whatever the speed of the machine or the index (a
    fixed pause could outlast a fast set-up)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        parents = [pid]
        while parents:
            for child in Path(f"/proc/{parents[0]}/task/{parents[0]}/children").read_text() \
                    .split() if Path(f"/proc/{parents[0]}").exists() else ():
                try:
                    if word in Path(f"/proc/{child}/cmdline").read_bytes():
                        return int(child)
                except OSError:  # it ended between the two reads
                    continue
                parents.append(int(child))
            parents.pop(0)
        time.sleep(0.01)
    raise AssertionError(f"nothing ran {word!r} under {pid} within 120 s")

# --- repeatable and self-healing ---------------------------------------------------------------

@pytest.fixture
def helm4_tarball_install(helm4: Path, shared_dir: Path, tmp_path: Path,
                          helm_home: dict[str, str]) -> tuple[dict[str, str], Path]:
    """The Helm 4 command and post-renderer plugins installed from their tarballs."""
    release = build_release(shared_dir)
    env = user_env(tmp_path, helm_dirs=helm_home, OCEAN_PROXY_MESSAGES="auto")
    for name in ("ocean-proxy", "ocean-proxy-post-renderer"):
        ok(helm(helm4, "plugin", "install", "--verify=false",
                release / f"{name}-{VERSION}.tgz", env=env))
    return env, Path(helm_home["HELM_PLUGINS"])


class TestRepeatableAndSelfHealing:
    """Running the hook again, losing the environment, running a checkout's bin/ by hand."""

    def test_rerunning_the_install_hook_is_a_no_op_and_update_rebuilds(
            self, helm4_tarball_install: tuple[dict[str, str], Path]) -> None:
        env, plugins = helm4_tarball_install
        plugin_dir = plugins / "ocean-proxy"
        hook = [plugin_dir / "libexec" / "ocean-proxy" / "bootstrap"]
        hook_env = {**env, "HELM_PLUGIN_DIR": str(plugin_dir), "HELM_PLUGIN_NAME": "ocean-proxy"}
        stamp = plugin_dir / ".venv" / "ocean-proxy.stamp"
        built = stamp.stat().st_mtime_ns

        started = time.monotonic()
        run = ok(run_command(hook, env=hook_env))
        assert "already set up" in run.stderr
        assert time.monotonic() - started < 5
        assert stamp.stat().st_mtime_ns == built

        set_aside = plugin_dir / ".venv.previous"  # what an update killed mid-build left
        (set_aside / "bin").mkdir(parents=True)
        run = ok(run_command([*hook, "--update"], env=hook_env))
        assert "setting up Python" in run.stderr
        assert stamp.stat().st_mtime_ns != built
        assert not set_aside.exists()  # neither that nor this update's copy is left

    @pytest.mark.parametrize("messages", ["auto", "Stderr", "stderr"])
    def test_a_deleted_environment_is_rebuilt_on_first_use(
            self, helm4: Path, helm4_tarball_install: tuple[dict[str, str], Path],
            tmp_path: Path, messages: str) -> None:
        """Even under Helm 4's --post-renderer, which hides a plugin's stderr, the user is told;
        an OCEAN_PROXY_MESSAGES other than 'stderr' is read as 'auto', as the commands read it,
        and 'stderr' keeps them on the plugin's own, which that helm shows on failure only."""
        env, plugins = helm4_tarball_install
        env = {**env, "OCEAN_PROXY_MESSAGES": messages}
        for name in ("ocean-proxy", "ocean-proxy-post-renderer"):
            shutil.rmtree(plugins / name / ".venv")

        run = ok(helm(helm4, "ocean-proxy", "--version", env=env))
        assert run.text == f"ocean-proxy {VERSION}\n"
        assert "setting up Python" in run.stderr

        chart = tmp_path / "chart"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
        run = helm(helm4, "template", "r", chart, "--post-renderer", "ocean-proxy-post-renderer",
                   env=env)
        assert ("ocean-proxy: setting up Python" in run.stderr) == (messages != "stderr")
        assert (plugins / "ocean-proxy-post-renderer" / ".venv" / "ocean-proxy.stamp").is_file()

    def test_a_wrapper_ends_with_the_set_up_when_it_is_interrupted(self, checkout: Path,
                                                                   tmp_path: Path) -> None:
        """An interrupt that reaches the set-up alone (a supervisor's or a timeout's SIGINT)
        ends the command as the set-up ended, 130, as an interrupted command does: not 1, which
        says that something is wrong."""
        env = user_env(tmp_path, HELM_PLUGIN_DIR=str(checkout))
        with subprocess.Popen([checkout / "bin" / "ocean-proxy", "--version"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) as wrapper:
            setup = _started_under(wrapper.pid, b"bootstrap.py")
            _started_under(setup, b"pip")
            os.kill(setup, signal.SIGINT)
            out, err = wrapper.communicate(timeout=60)
        assert wrapper.returncode == 130 and out == "", err
        assert "Traceback" not in err, err

    def test_a_checkout_run_directly_refuses_and_writes_nothing(self, checkout: Path,
                                                                tmp_path: Path) -> None:
        """Only helm's symlink to a checkout says where its venv may go; the checkout is not it."""
        before = git_status(checkout)
        for program in ("ocean-proxy", "ocean-proxy-post-renderer"):
            run = run_command([checkout / "bin" / program, "--version"], env=user_env(tmp_path))
            assert run.returncode == 1
            assert _errors(run) == [f"ocean-proxy: error: {checkout} is a source checkout, not "
                                    "an installed plugin"]
        assert git_status(checkout) == before


# --- what make dist ships ----------------------------------------------------------------------

class TestWhatMakeDistShips:
    """The Python dists and the plugin tarballs, with wheels for every CPython."""

    @pytest.mark.parametrize("python", ["3.10", "3.11", "3.12", "3.13"])
    def test_the_wheelhouse_installs_offline_on_every_supported_python(
            self, python: str, shared_dir: Path, tmp_path: Path) -> None:
        plugin_dir = tmp_path / "ocean-proxy"
        shutil.copytree(unpacked_helm3_release(shared_dir), plugin_dir)
        env = _without_pip_settings(user_env(tmp_path, path=SYSTEM_PATH))
        env.update(OCEAN_PROXY_PYTHON=str(pyenv_python(python)),
                   PIP_INDEX_URL="http://127.0.0.1:9/")

        run = ok(run_command([plugin_dir / "libexec" / "ocean-proxy" / "bootstrap"], env=env))
        assert f"setting up Python {python}." in run.stderr
        assert "from the bundled wheels" in run.stderr
        assert "package index" not in run.stderr
        version = ok(run_command([plugin_dir / "bin" / "ocean-proxy", "--version"], env=env))
        assert version.text == f"ocean-proxy {VERSION}\n"
        imported = run_command([plugin_dir / ".venv" / "bin" / "python", "-c",
                                "import cryptography.x509, ruamel.yaml"], env=env)
        assert ok(imported).stderr == ""

    def test_the_release_has_the_python_dists_and_a_tarball_per_plugin_and_major(
            self, shared_dir: Path) -> None:
        release = build_release(shared_dir)
        assert sorted(p.name for p in release.iterdir()) == sorted([
            "SHA256SUMS", f"ocean_proxy-{VERSION}-py3-none-any.whl",
            f"ocean_proxy-{VERSION}.tar.gz", f"ocean-proxy-{VERSION}-helm3.tgz",
            f"ocean-proxy-{VERSION}.tgz", f"ocean-proxy-post-renderer-{VERSION}.tgz"])

    @pytest.mark.parametrize(("tarball", "manifest", "directory"), [
        ("ocean-proxy-{v}-helm3.tgz", "plugin.yaml", ""),
        ("ocean-proxy-{v}.tgz", "plugin.yaml", "ocean-proxy/"),
        ("ocean-proxy-post-renderer-{v}.tgz", "plugins/ocean-proxy-post-renderer/plugin.yaml",
         "ocean-proxy-post-renderer/"),
    ])
    def test_each_tarball_has_the_layout_its_helm_installs(
            self, tarball: str, manifest: str, directory: str, shared_dir: Path) -> None:
        """Helm 4 wants <name>/plugin.yaml inside, Helm 3 plugin.yaml at the root."""
        with tarfile.open(build_release(shared_dir) / tarball.format(v=VERSION)) as tar:
            members = {m.name: m for m in tar.getmembers()}
            packed = tar.extractfile(f"{directory}plugin.yaml").read()
        assert packed == (REPO / manifest).read_bytes()
        assert all(name.startswith(directory) or f"{name}/" == directory for name in members)
        for program in ("bin/ocean-proxy", "bin/ocean-proxy-post-renderer",
                        "libexec/ocean-proxy/bootstrap"):
            assert members[directory + program].mode == 0o755
        wheels = {Path(name).name for name in members if name.endswith(".whl")}
        assert f"ocean_proxy-{VERSION}-py3-none-any.whl" in wheels
        for python in ("310", "311", "312", "313"):
            assert any(w.startswith("cffi-") and f"-cp{python}-" in w for w in wheels), python
        assert any(re.match(r"cryptography-.*-cp3\d+-abi3-manylinux", w) for w in wheels)

    def test_every_manifest_has_the_package_version(self) -> None:
        for manifest in repository_manifests():
            assert f"\nversion: {VERSION}\n" in (REPO / manifest.path).read_text(), manifest
