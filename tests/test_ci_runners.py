"""What a locked-down CI runner or container gives a run, through the real console script: a
user id with no home and no passwd entry (``docker run --user 1234``, a runner's random id),
standard error closed, several first runs at once on a fresh runner. The render is the same
as anywhere else, and nothing lands where the user did not ask for it."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import certs
from .conftest import VENV_BIN, clean_env, run_command, tool
from .plugin_harness import VERSION, ok, post_renderer_user_env, write_chart

SCRIPT = VENV_BIN / "ocean-proxy-post-renderer"


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "corp-root.pem"
    path.write_bytes(certs.root("Runner Corp Root CA").pem)
    return path


@pytest.fixture(scope="module")
def expected(manifests, ca_file) -> bytes:
    run = subprocess.run([SCRIPT, "--ca-file", ca_file, "--no-cache"], input=manifests,
                         capture_output=True, env=clean_env(), check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def homeless_env() -> dict[str, str]:
    """No HOME and none of helm's or the cache's own directories: where the cache goes is
    up to the user's passwd entry."""
    env = clean_env()
    for name in ("HOME", "OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE",
                 "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        env.pop(name, None)
    return env


def unnamed_uid() -> int:
    """A user id with no passwd entry, as ``docker run --user`` gives one."""
    for uid in range(54321, 54421):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    raise AssertionError("no free user id between 54321 and 54420")


def test_a_user_without_home_or_passwd_entry_leaves_nothing_in_the_working_directory(
        manifests, ca_file, expected, tmp_path):
    """The cache and its key went to a folder literally named '~' in the current directory:
    the CI job's checkout, which the job then commits, caches or uploads, key included. The
    user id is one of a new user namespace (as a container's), so the files stay reachable."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    uid = unnamed_uid()
    run = subprocess.run(["unshare", "--user", f"--map-user={uid}", f"--map-group={uid}",
                          SCRIPT, "--ca-file", ca_file], input=manifests, capture_output=True,
                         env=homeless_env(), cwd=checkout, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout == expected
    assert sorted(path.name for path in checkout.iterdir()) == []
    assert b"Traceback" not in run.stderr


def test_a_user_without_home_or_passwd_entry_but_a_cache_directory_renders_as_anywhere(
        manifests, ca_file, expected, tmp_path):
    """OCEAN_PROXY_CACHE_DIR gives the cache a place, and nothing gives its key one: the
    render is the same, the cache unused."""
    cache = tmp_path / "cache"
    uid = unnamed_uid()
    run = subprocess.run(["unshare", "--user", f"--map-user={uid}", f"--map-group={uid}",
                          SCRIPT, "--ca-file", ca_file], input=manifests, capture_output=True,
                         env={**homeless_env(), "OCEAN_PROXY_CACHE_DIR": str(cache)},
                         cwd=tmp_path, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout == expected
    assert b"Traceback" not in run.stderr and b"internal error" not in run.stderr


def closed_stderr() -> None:
    os.close(2)


def test_a_render_with_standard_error_closed_succeeds(manifests, ca_file, expected):
    """``ocean-proxy-post-renderer ... 2>&-``: the render was written whole, then the notices
    it could not print failed the run with exit 1 and no word."""
    run = subprocess.run([SCRIPT, "--ca-file", ca_file], input=manifests, stdout=subprocess.PIPE,
                         preexec_fn=closed_stderr, env=clean_env(), check=False)
    assert run.returncode == 0
    assert run.stdout == expected


def test_a_failing_run_with_standard_error_closed_still_fails_with_nothing_on_stdout(
        ca_file, tmp_path):
    run = subprocess.run([SCRIPT, "--ca-file", tmp_path / "missing.pem"], input=b"",
                         stdout=subprocess.PIPE, preexec_fn=closed_stderr, env=clean_env(),
                         check=False)
    assert run.returncode == 1
    assert run.stdout == b""


# Started by the first run the moment it has made the cache key's file and before it has
# written the key into it: a second first run of a fresh runner (xargs -P 8, a CI matrix on
# one volume), landing in that moment every time, as on a slow disk. (A 'sitecustomize' on
# PYTHONPATH that the real console script loads; the second run gets none of it.)
_SECOND_RUN_WHILE_THE_KEY_IS_WRITTEN = '''
import json, os, subprocess, sys

_asked = os.environ.pop("SECOND_RUN_WHILE_THE_KEY_IS_WRITTEN", None)
if _asked:
    _second = json.loads(_asked)
    _armed = []

    def _hook(event, args):
        global _second
        if _second is None:
            return
        if _armed:
            second, _second = _second, None
            with open(second["stdin"], "rb") as stdin, open(second["stdout"], "wb") as out, \\
                    open(second["stderr"], "wb") as err:
                subprocess.run(second["argv"], stdin=stdin, stdout=out, stderr=err, check=False)
            return
        if event != "open" or not isinstance(args[0], str) or args[2] is None:
            return
        named = args[2] & os.O_CREAT and os.path.dirname(args[0]) == os.path.dirname(_second["key"])
        if named or args[2] & os.O_TMPFILE == os.O_TMPFILE:  # the key's, unnamed till whole
            _armed.append(args[0])

    sys.addaudithook(_hook)
'''


def test_two_first_runs_at_once_share_one_key_and_neither_calls_it_broken(
        manifests, ca_file, expected, tmp_path):
    """The second run found the key's file made but still empty, and told the user that the
    cache key 'is not 32 bytes (delete it: a new one is made)': a good key, and a notice on a
    CI log for nothing. It happened on one fresh runner in six with 'xargs -P 16'."""
    hooks, key = tmp_path / "hooks", tmp_path / "config" / "cache.key"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_SECOND_RUN_WHILE_THE_KEY_IS_WRITTEN)
    (tmp_path / "manifests.yaml").write_bytes(manifests)
    argv = [str(SCRIPT), "--ca-file", str(ca_file)]
    second = {"argv": argv, "key": str(key), "stdin": str(tmp_path / "manifests.yaml"),
              "stdout": str(tmp_path / "second.out"), "stderr": str(tmp_path / "second.err")}
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"),
                    OCEAN_PROXY_CACHE_KEY_FILE=str(key), PYTHONPATH=str(hooks),
                    SECOND_RUN_WHILE_THE_KEY_IS_WRITTEN=json.dumps(second))
    first = subprocess.run(argv, input=manifests, capture_output=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    second_said = (tmp_path / "second.err").read_text()  # it ran, while the key was written
    assert "cache key" not in second_said and "cache key" not in first.stderr.decode()
    assert first.stdout == expected
    assert (tmp_path / "second.out").read_bytes() == expected
    assert key.stat().st_size == 32


NOBODY = 65534


@contextlib.contextmanager
def home_of(uid: int, release: Path) -> Iterator[tuple[Path, Path, Path]]:
    """A folder of user ``uid`` (pytest's tmp is root's alone) with the Helm 4 post-renderer
    plugin's tarball and a chart in it: (the folder, the tarball, the chart)."""
    home = Path(tempfile.mkdtemp(prefix="ocean-proxy-runner-"))
    try:
        home.chmod(0o755)
        tarball = Path(shutil.copy(release / f"ocean-proxy-post-renderer-{VERSION}.tgz", home))
        chart = write_chart(home / "chart")
        for path in [home, *home.rglob("*")]:
            os.chown(path, uid, uid)
        yield home, tarball, chart
    finally:
        shutil.rmtree(home, ignore_errors=True)


def as_user(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


def test_helm_4_as_another_user_than_its_stderr_pipe_shows_the_post_renderers_error(release):
    """'docker run --user 1001': the container's stdout and stderr are pipes the runtime
    made as root, which a process of user 1001 may write to but not open again through
    /proc. Helm 4 discards its post-renderer plugin's own stderr, so the error vanished and
    the CI log said only that the plugin 'exited with error'. Here the pipe is this test's
    (root's) and helm runs as nobody."""
    with home_of(NOBODY, release) as (home, tarball, chart):
        env = post_renderer_user_env("helm4", home, OCEAN_PROXY_NO_CACHE="1")
        env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset: messages go to helm's stderr
        ok(run_command([*as_user(NOBODY), tool("helm4"), "plugin", "install",
                        "--verify=false", tarball], env=env, cwd=home))
        run = run_command([*as_user(NOBODY), tool("helm4"), "template", "tiny", chart,
                           "--post-renderer", "ocean-proxy-post-renderer",
                           "--post-renderer-args", "--proxy-url=ftp://proxy.corp:3128"],
                          env=env, cwd=home)
    assert run.returncode != 0
    assert "ocean-proxy: error: --proxy-url uses the scheme 'ftp'" in run.stderr, run.stderr


def test_helm_4_plugin_installs_and_renders_for_a_user_without_home_or_passwd_entry(release):
    """'docker run --user 1234' in an image without that user, and no HOME: pip, which the
    install hook runs, stopped at 'could not determine the home directory', and the user
    read 'pip could not install the dependencies: pip failed'."""
    uid = unnamed_uid()
    with home_of(uid, release) as (home, tarball, chart):
        env = post_renderer_user_env("helm4", home)
        for name in ("HOME", "OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE"):
            env.pop(name)
        ok(run_command([*as_user(uid), tool("helm4"), "plugin", "install", "--verify=false",
                        tarball], env=env, cwd=home))
        run = ok(run_command([*as_user(uid), tool("helm4"), "template", "tiny", chart,
                              "--post-renderer", "ocean-proxy-post-renderer"],
                             env=env, cwd=home))
        left = sorted(path.name for path in home.iterdir())
    assert "kind: ConfigMap" in run.text
    # helm's data and cache; no config: a release without a Spot agent makes no cache key
    assert left == sorted(["chart", "data", "cache", tarball.name])


# Ctrl-C, or a CI runner's SIGINT on cancel, the moment a module starts loading (is looked
# for), or once found, its code starts running: a signal that lands while the console script
# imports what it needs, every time.
_INTERRUPTED_WHILE_LOADING = '''
import os, signal, sys

_module = os.environ.pop("INTERRUPTED_WHILE_LOADING", None)
_running = os.environ.pop("INTERRUPTED_WHILE_RUNNING", None)
if _module or _running:
    def _hook(event, args):
        global _module, _running
        if event == "import" and args[0] == _module or event == "exec" and _running and \\
                getattr(args[0], "co_filename", "").endswith(_running):
            _module = _running = None
            os.kill(os.getpid(), signal.SIGINT)

    sys.addaudithook(_hook)
'''


def interrupted(run: subprocess.CompletedProcess) -> bool:
    """Ended as an interrupted command should: exit 130, or killed by the SIGINT itself (the
    shell says 130 of both), with nothing on stdout and no traceback."""
    return run.returncode in (130, -signal.SIGINT) and run.stdout == b"" and \
        b"Traceback" not in run.stderr and b"KeyboardInterrupt" not in run.stderr


# where the signal lands: while a module is looked for, or as the code of one starts running
# (post_renderer/__init__.py itself starts at once; only after it can anything catch it)
_LANDINGS = [("INTERRUPTED_WHILE_LOADING", "post_renderer.cli"),
             ("INTERRUPTED_WHILE_RUNNING", "post_renderer/console.py")]


@pytest.mark.parametrize("landing", [*_LANDINGS,
                                     ("INTERRUPTED_WHILE_LOADING", "post_renderer.arguments")])
def test_an_interrupt_while_the_post_renderer_loads_ends_it_without_a_traceback(
        landing, manifests, ca_file, tmp_path):
    """A cancelled job's SIGINT before the render began printed Python's traceback of the
    import it stopped (paths of the installation, and no word a user can act on); so did
    one as pip's console script loaded post_renderer.console, before it could catch any."""
    (tmp_path / "sitecustomize.py").write_text(_INTERRUPTED_WHILE_LOADING)
    env = clean_env(PYTHONPATH=str(tmp_path), **dict([landing]))
    run = subprocess.run([SCRIPT, "--ca-file", ca_file], input=manifests, capture_output=True,
                         env=env, check=False)
    assert interrupted(run), (run.returncode, run.stdout, run.stderr)


@pytest.mark.parametrize("landing", [*_LANDINGS,
                                     ("INTERRUPTED_WHILE_LOADING", "post_renderer.errors")])
@pytest.mark.parametrize("command", [[VENV_BIN / "ocean-proxy"],
                                     [VENV_BIN / "python", "-m", "post_renderer"]])
def test_an_interrupt_while_the_command_loads_ends_it_without_a_traceback(
        command, landing, tmp_path):
    """Ctrl-C on ``ocean-proxy`` before the command began printed Python's traceback of the
    import it stopped, as the post-renderer's did."""
    (tmp_path / "sitecustomize.py").write_text(_INTERRUPTED_WHILE_LOADING)
    env = clean_env(PYTHONPATH=str(tmp_path), **dict([landing]))
    run = subprocess.run([*command, "--version"], capture_output=True, env=env, check=False)
    assert interrupted(run), (run.returncode, run.stdout, run.stderr)


# A half-updated environment: a module of the package that cannot be found as it loads.
_MODULE_MISSING = '''
import sys

class _Missing:
    def find_spec(self, name, path=None, target=None):
        if name == "post_renderer.report":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, _Missing())
'''


@pytest.mark.parametrize("script", [SCRIPT, VENV_BIN / "ocean-proxy"])
def test_a_module_a_broken_install_lacks_is_named_not_silenced(script, tmp_path):
    """Only an interrupt while loading ends without a word: a module the environment lacks
    fails the run and is named, so the user knows to reinstall rather than see nothing."""
    (tmp_path / "sitecustomize.py").write_text(_MODULE_MISSING)
    run = subprocess.run([script, "--version"], input=b"", capture_output=True,
                         env=clean_env(PYTHONPATH=str(tmp_path)), check=False)
    assert run.returncode not in (0, 130, -signal.SIGINT) and run.stdout == b""
    assert b"post_renderer.report" in run.stderr, run.stderr
