"""Build the Helm plugin's private Python environment: a venv with ocean-proxy and its dependencies.

Run, stdlib only, by a Python 3.10+ that ``libexec/ocean-proxy/bootstrap`` found (helm's install and
update hooks; the ``bin/`` wrappers when the environment is missing or stale). ``--sources`` is a
release's ``wheelhouse/`` (offline, pip's configuration ignored) or a checkout, whose dependencies
come from the index as pip is configured (PIP_INDEX_URL, proxies, certificates) and whose code runs
in place through a ``.pth`` file: nothing is built or written in it. A no-op while the environment
matches its sources; ``--update`` rebuilds it. All on stderr: stdout is manifests."""

from __future__ import annotations

import argparse
import configparser
import contextlib
import errno
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Iterator
from pathlib import Path

PROGRAM = "ocean-proxy"
STAMP = "ocean-proxy.stamp"
SOURCE_LINK = "ocean-proxy-source.pth"
POST_RENDERER = "ocean-proxy-post-renderer"
CONNECTION_TROUBLE = re.compile(
    r"NewConnectionError|ConnectTimeout|ReadTimeout|ProxyError|SSLError|Max retries exceeded|"
    r"Could not fetch URL|Temporary failure in name resolution|Name or service not known")
UNWRITABLE = "install the plugin as the user who runs it, in a folder that user may write"
FULL = "free space on that file system (or raise your quota there), then run it again"


class BootstrapError(Exception):
    """What went wrong, in one line, and what the user can do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def say(text: str) -> None:
    """A line on stderr. pip quotes a proxy or index URL it cannot use whole ('Failed to
    parse: http://bob:pw@...'): each password, or a user name alone (a token), is masked."""
    for name, url in os.environ.items():
        user, _, password = (url.partition("://")[2] or url).rpartition("@")[0].partition(":")
        if name.upper().endswith(("_PROXY", "INDEX_URL")) and len(password or user) >= 4:
            text = text.replace(password or user, "***")  # as written: spaces and all
    text = re.sub(r"(://(?:[^\s/@:]*:)?)(?:\S*|[^'\"\n/]*?)@", r"\1***@", text)  # pip.conf's
    print(f"{PROGRAM}: {text}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    venv_dir = Path(args.venv)
    sources = Path(args.sources).resolve()
    try:
        with _locked(venv_dir.parent):
            previous = venv_dir.with_name(f"{venv_dir.name}.previous")  # set aside by _build
            if _stamp(venv_dir) is None and _stamp(previous) is not None:  # a build killed
                shutil.rmtree(venv_dir, ignore_errors=True)  # outright (SIGTERM): no except ran
                os.replace(previous, venv_dir)
            plan = _plan(sources)
            if not args.update and _stamp(venv_dir) == plan.fingerprint:
                say(f"Python environment already set up in {venv_dir}")
                _freshen(venv_dir / STAMP, sources / "setup.cfg")
            else:
                _build(venv_dir, previous, plan)
    except KeyboardInterrupt:  # Ctrl-C: _build has put back what was there, a command's exit
        return 130
    except (BootstrapError, OSError) as error:  # OSError: another user's folder, read-only, full
        problem = error if isinstance(error, BootstrapError) else BootstrapError(f"cannot set up "
            f"the Python environment in {venv_dir}: {error.strerror or error}",
            FULL if error.errno in (errno.ENOSPC, errno.EDQUOT) else UNWRITABLE)
        say(f"error: {problem.message}\n{PROGRAM}: hint: {problem.hint}")
        return 1
    _say_plugins_hint(Path(args.plugin_dir).parent)
    if args.post_renderer_hint:
        _say_post_renderer_hint(Path(args.plugin_dir))
        _say_how_a_clone_updates(Path(args.plugin_dir), install=not args.update)
    return 0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bootstrap.py")
    for name in ("--venv", "--sources", "--plugin-dir"):
        parser.add_argument(name, required=True)
    parser.add_argument("--update", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--post-renderer-hint", "--path-hint", action="store_true",
                        help="say what --post-renderer needs: PATH (Helm 3), a plugin (Helm 4)")
    return parser.parse_args(argv)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialize bootstraps of one environment (two first runs at once, a hook during a run):
    the lock is on the directory holding it, so it leaves no file and dies with the process."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class _Plan:
    """What goes into the environment, and a fingerprint that changes when that does."""

    def __init__(self, sources: Path, wheels: list[Path], requirements: list[str]) -> None:
        self.sources, self.wheels, self.requirements = sources, wheels, requirements
        identity = [sys.version, os.path.realpath(sys.executable), str(sources),
                    *(wheel.name for wheel in wheels), *requirements]
        self.fingerprint = hashlib.sha256("\n".join(identity).encode()).hexdigest()
        self.offline = bool(wheels)  # a release's wheelhouse: nothing from the index


def _plan(sources: Path) -> _Plan:
    if sources.name == "wheelhouse":
        wheels = sorted(sources.glob("*.whl"))
        if not any(wheel.name.startswith("ocean_proxy-") for wheel in wheels):
            raise BootstrapError(f"{sources} has no ocean_proxy wheel",
                                 "the plugin tarball is incomplete: download it again")
        return _Plan(sources, wheels, [])
    setup_cfg = sources / "setup.cfg"
    if not setup_cfg.is_file():
        raise BootstrapError(f"{sources} is neither a wheelhouse nor an ocean-proxy checkout",
                             "reinstall the plugin from a release tarball or a checkout")
    config = configparser.ConfigParser()
    config.read(setup_cfg, encoding="utf-8")
    requirements = config.get("options", "install_requires", fallback="").splitlines()
    return _Plan(sources, [], [line.strip() for line in requirements if line.strip()])


def _stamp(venv_dir: Path) -> str | None:
    python = venv_dir / "bin" / "python"
    try:
        stamp = (venv_dir / STAMP).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return stamp if os.access(python, os.X_OK) and python.resolve().exists() else None


def _freshen(stamp: Path, setup_cfg: Path) -> None:
    """A setup.cfg edit that changes no requirement: make the wrappers stop asking."""
    with contextlib.suppress(OSError):
        if setup_cfg.stat().st_mtime > stamp.stat().st_mtime:
            os.utime(stamp)


def _build(venv_dir: Path, previous: Path, plan: _Plan) -> None:
    """A new environment in ``venv_dir``; the one there is set aside as ``previous`` till then."""
    started = time.monotonic()
    origin = "the bundled wheels" if plan.offline else "the package index"
    version = ".".join(map(str, sys.version_info[:3]))
    say(f"setting up Python {version} environment in {venv_dir} from {origin}")
    shutil.rmtree(previous, ignore_errors=True)  # a killed build's, of no use beside a working one
    if _stamp(venv_dir) is not None:  # a mirror that is down must not cost a working one
        os.replace(venv_dir, previous)
    shutil.rmtree(venv_dir, ignore_errors=True)
    try:
        venv.EnvBuilder(with_pip=False, symlinks=True).create(venv_dir)
        if plan.offline:
            _install_wheels(venv_dir, plan)
        else:
            _install_requirements(venv_dir, plan.requirements)
            _link_source(venv_dir, plan.sources)
        (venv_dir / STAMP).write_text(plan.fingerprint + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(venv_dir, ignore_errors=True)
        if previous.exists():
            os.replace(previous, venv_dir)
            say(f"the Python environment in {venv_dir} is kept as it was")
        raise
    shutil.rmtree(previous, ignore_errors=True)
    say(f"Python environment ready ({time.monotonic() - started:.1f}s)")


def _install_wheels(venv_dir: Path, plan: _Plan) -> None:
    """Offline from the wheelhouse; where none of its wheels fit, from the index instead."""
    package = next(w for w in plan.wheels if w.name.startswith("ocean_proxy-"))
    pip = _pip(venv_dir, plan.wheels)
    result = _run([*pip, "install", "--isolated", "--no-index", "--find-links",
                   str(plan.sources), str(package)])
    if result.returncode == 0:
        return
    if not any(s in result.stdout for s in ("No matching distribution", "not a supported wheel")):
        raise _pip_failure(result.stdout, pip)
    say(f"the bundled wheels lack some for this machine ({sys.platform}, Python "
        f"{sys.version_info.major}.{sys.version_info.minor}): getting them from the package index")
    result = _run([*pip, "install", "--find-links", str(plan.sources), str(package)])
    if result.returncode != 0:
        raise _pip_failure(result.stdout, pip)


def _install_requirements(venv_dir: Path, requirements: list[str]) -> None:
    pip = _pip(venv_dir, [])
    result = _run([*pip, "install", *requirements])
    if result.returncode != 0:
        raise _pip_failure(result.stdout, pip, requirements)


def _link_source(venv_dir: Path, checkout: Path) -> None:
    """Run the checkout's code in place: edits take effect, and the checkout gets no build files."""
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (venv_dir / "lib" / python / "site-packages" / SOURCE_LINK).write_text(f"{checkout}\n",
                                                                          encoding="utf-8")


def _pip(venv_dir: Path, wheels: list[Path]) -> list[str]:
    """pip, run from a wheel by the venv's python (no pip in the venv, no ensurepip): the
    wheelhouse's own, else the one this Python keeps for ensurepip (in ensurepip/_bundled, or
    where Debian and Ubuntu's python3-venv put it)."""
    candidates = [w for w in wheels if w.name.startswith("pip-")]
    with contextlib.suppress(ImportError):
        import ensurepip

        candidates += sorted(Path(ensurepip.__file__).parent.glob("_bundled/pip-*.whl"))
    candidates += sorted(Path("/usr/share/python-wheels").glob("pip-*.whl"))
    if not candidates:
        raise BootstrapError(
            f"Python {sys.executable} has no pip to install with (no ensurepip)",
            "install your distribution's python3-venv package, or use the release tarball")
    return [str(venv_dir / "bin" / "python"), f"{candidates[0]}/pip",
            "--disable-pip-version-check", "--no-input"]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    with _homeless_dirs() as environment:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False, env=environment)


_XDG_DIRS = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


@contextlib.contextmanager
def _homeless_dirs() -> Iterator[dict[str, str] | None]:
    """pip's environment: this one, unless there is no home (no HOME, and a user id that
    /etc/passwd does not know: 'docker run --user 1234'), where pip stops ('could not determine
    the home directory'): then an empty folder is its XDG directories for the run."""
    if os.path.isabs(os.path.expanduser("~")):
        yield None
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ocean-proxy-pip-") as empty:
        yield {**os.environ, **{name: empty for name in _XDG_DIRS
                                if not os.path.isabs(os.environ.get(name, ""))}}


def _pip_failure(output: str, pip: list[str], requirements: list[str] | None = None
                 ) -> BootstrapError:
    wanted = ", ".join(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
                       for requirement in requirements or []) or "the dependencies"
    lines = [line for line in output.splitlines() if line.startswith("ERROR:")]
    detail = lines[-1].removeprefix("ERROR:").strip() if lines else "pip failed"
    index = _index(output, pip)
    if index is not None and (CONNECTION_TROUBLE.search(output) or not _answers(index)):
        return BootstrapError(
            f"cannot reach the package index {index} to install {wanted} ({detail})",
            "install from the release tarball, which bundles every wheel and needs no network, "
            "or make the index reachable: PIP_INDEX_URL for a mirror, HTTPS_PROXY for a proxy")
    if index is None:
        return BootstrapError(
            f"cannot install {wanted}: pip is configured to use no package index "
            f"(PIP_NO_INDEX or no-index in pip.conf) ({detail})",
            "install from the release tarball, which bundles every wheel, or let pip use an "
            "index (unset PIP_NO_INDEX)")
    return BootstrapError(f"pip could not install {wanted}: {detail}",
                          "run the same pip install by hand to see the whole story")


def _answers(url: str) -> bool:
    """Whether the index answers at all (pip does not say so when it is set not to retry)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=15).close()
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
    return True


def _index(output: str, pip: list[str]) -> str | None:
    """The index pip used, as the user knows it; None when pip is told to use none."""
    config = _run([*pip, "config", "list"]).stdout
    if os.environ.get("PIP_NO_INDEX", "").lower() in {"1", "true", "yes", "on"} or re.search(
            r"no-index\s*=\s*'(1|true|yes|on)'", config, re.IGNORECASE):
        return None
    shown = re.search(r"^Looking in indexes: (\S+)", output, re.MULTILINE)
    return shown.group(1).rstrip(",") if shown else "https://pypi.org/simple"


def _say_post_renderer_hint(plugin_dir: Path) -> None:
    """The command plugin's hook: Helm 3 gives hooks HELM_BIN, Helm 4 only HELM_PLUGIN_*."""
    if "HELM_BIN" not in os.environ:
        if not (plugin_dir.parent / POST_RENDERER / "plugin.yaml").is_file():
            say(f"Helm 4 runs --post-renderer {POST_RENDERER} as a plugin of its own: install "
                f"{POST_RENDERER}-<version>.tgz, or a checkout's plugins/{POST_RENDERER}")
        return
    _say_settings_hint(os.environ["HELM_BIN"])
    bin_dir = plugin_dir / "bin"
    if str(bin_dir) in os.environ.get("PATH", "").split(os.pathsep):
        return
    say(f"Helm 3 runs --post-renderer {POST_RENDERER} from PATH: add this to your "
        f'shell profile: export PATH="{bin_dir}:$PATH"')


def _say_how_a_clone_updates(plugin_dir: Path, install: bool) -> None:
    """Helm takes a linked clone named as its remote for a git install: `git clean -xdff`."""
    clone = plugin_dir.resolve()
    if install and plugin_dir.is_symlink() and (clone / ".git").exists():
        say(f"warning: this plugin runs your clone {clone} in place: update it with 'git -C "
            f"{clone} pull', not 'helm plugin update {PROGRAM}', which runs 'git pull' and "
            "'git clean -x -d -f -f' in it, deleting every untracked and ignored file there")


def _say_settings_hint(helm: str) -> None:
    """A helm 3 before 3.9 refuses the whole command on --post-renderer-args."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        shown = subprocess.run([helm, "version", "--template", "{{.Version}}"], timeout=30,
                               capture_output=True, text=True, check=False).stdout.strip()
        if (old := re.fullmatch(r"v3\.(\d+)\.\d+\S*", shown)) and int(old.group(1)) < 9:
            say(f"helm {shown} has no --post-renderer-args (3.9 and later have it): give "
                "ocean-proxy's settings by environment (OCEAN_PROXY_URL, OCEAN_PROXY_CA_FILE, "
                "OCEAN_PROXY_NO_PROXY, ...) or a config file named by OCEAN_PROXY_CONFIG")


def _say_plugins_hint(installed_in: Path) -> None:
    """helm installs into its data directory whatever HELM_PLUGINS says, and finds plugins
    only through HELM_PLUGINS: a user who set it to other directories sees none of this one's."""
    searched = [entry for entry in os.environ.get("HELM_PLUGINS", "").split(os.pathsep) if entry]
    if not searched or any(Path(entry).resolve() == installed_in.resolve()
                           for entry in searched):
        return
    say(f"helm finds plugins only through HELM_PLUGINS, which does not name {installed_in}, "
        "where helm installed this one: add this to your shell profile: export "
        f'HELM_PLUGINS="$HELM_PLUGINS:{installed_in}"')


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
