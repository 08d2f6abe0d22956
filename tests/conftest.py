"""Shared test fixtures: where the project and its real tools are, and how to run the CLI.

The tools (helm 3, helm 4, kubectl, mitmdump) are installed by ``make test``; a test never
skips because one is missing, it fails and says how to install it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .chart_render import NAMESPACE, PROXY_FLAGS, RELEASE

if TYPE_CHECKING:
    from .plugin_harness import SignedRelease

# Real network parts (mitmproxy, local origins, a PKI) and a real API server (etcd and
# kube-apiserver), shared by every test that needs them.
pytest_plugins = ["tests.netfixtures.fixtures", "tests.cluster.fixtures"]

REPO = Path(__file__).resolve().parent.parent
TOOLS_BIN = REPO / ".tools" / "bin"
VENV_BIN = Path(sys.executable).parent
EXAMPLES = REPO / "examples"
FIXTURE_CHART = EXAMPLES / "charts" / "ocean-kubernetes-controller"


def is_helm4(name: str) -> bool:
    """``helm4``, or another Helm 4 release such as ``helm4.1.4`` (a tool's name)."""
    return name.startswith("helm4")


def tool(name: str) -> Path:
    """A real binary the tests need; fail (never skip) when it is not installed."""
    path = TOOLS_BIN / name
    if path.exists():
        return path
    found = shutil.which(name)
    if found:
        return Path(found)
    pytest.fail(f"{name} is not installed: run 'make tools' (make test does it)")


@dataclass
class Run:
    """The outcome of running a command: exit code, stdout bytes, stderr text."""

    returncode: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8")


def run_command(
    argv: list[str | os.PathLike], *, stdin: bytes = b"", env: dict[str, str] | None = None,
    cwd: Path | None = None, timeout: float = 120,
) -> Run:
    proc = subprocess.run(
        [str(a) for a in argv], input=stdin, capture_output=True, env=env, cwd=cwd,
        timeout=timeout, check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


# The certificate fact cache and its key for the CLI runs of this test process (warm and cold
# runs share them), removed when the process's session ends, or when a process that imports
# these helpers without a session (tests/cluster/measure_release_size.py) exits.
_SESSION_FILES = Path(tempfile.mkdtemp(prefix="ocean-proxy-tests-"))
FACT_CACHE = _SESSION_FILES / "facts"
FACT_CACHE_KEY = _SESSION_FILES / "cache.key"
atexit.register(shutil.rmtree, _SESSION_FILES, True)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_FILES, ignore_errors=True)


def clean_env(**extra: str) -> dict[str, str]:
    """An environment without any OCEAN_PROXY_* (in any case) or proxy settings leaking in,
    and with Python's standard output buffered as in a user's shell: PYTHONUNBUFFERED, which
    CI runners set, hides what a buffered write does when it fails."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.upper().startswith("OCEAN_PROXY_") and k.lower() not in
        {"http_proxy", "https_proxy", "no_proxy", "all_proxy", "ssl_cert_file", "ssl_cert_dir",
         "pythonunbuffered"}
        and not k.startswith("HELM_")
    }
    env["OCEAN_PROXY_MESSAGES"] = "stderr"
    env["OCEAN_PROXY_CACHE_DIR"] = str(FACT_CACHE)
    env["OCEAN_PROXY_CACHE_KEY_FILE"] = str(FACT_CACHE_KEY)
    env.update(extra)
    return env


def helm_template(home: Path, *flags: str) -> bytes:
    """The fixture chart rendered by helm 3 as the release the tests use, with helm's homes
    in ``home``; the test fails where helm does."""
    run = run_command([tool("helm3"), "template", RELEASE, FIXTURE_CHART, "--namespace",
                       NAMESPACE, *flags],
                      env=clean_env(HELM_DATA_HOME=str(home), HELM_CONFIG_HOME=str(home),
                                    HELM_CACHE_HOME=str(home)))
    assert run.returncode == 0, run.stderr
    return run.stdout


def ocean_proxy(*args: str | os.PathLike, stdin: bytes = b"", env: dict[str, str] | None = None,
                cwd: Path | None = None) -> Run:
    """Run the installed ``ocean-proxy`` console script."""
    return run_command([VENV_BIN / "ocean-proxy", *args], stdin=stdin,
                       env=env if env is not None else clean_env(), cwd=cwd)


def post_renderer(*args: str | os.PathLike, stdin: bytes = b"",
                  env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run the installed ``ocean-proxy-post-renderer`` console script."""
    return run_command([VENV_BIN / "ocean-proxy-post-renderer", *args], stdin=stdin,
                       env=env if env is not None else clean_env(), cwd=cwd)


@pytest.fixture(scope="session")
def helm3() -> Path:
    return tool("helm3")


@pytest.fixture(scope="session")
def helm4() -> Path:
    return tool("helm4")


@pytest.fixture(scope="session")
def kubectl() -> Path:
    return tool("kubectl")


@pytest.fixture
def helm_home(tmp_path: Path) -> dict[str, str]:
    """Empty, private HELM_* directories, so no test sees the user's helm setup."""
    dirs = {name: tmp_path / name.lower() for name in
            ("HELM_DATA_HOME", "HELM_CONFIG_HOME", "HELM_CACHE_HOME")}
    for path in dirs.values():
        path.mkdir()
    env = {name: str(path) for name, path in dirs.items()}
    env["HELM_PLUGINS"] = str(dirs["HELM_DATA_HOME"] / "plugins")
    return env


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A directory all xdist workers of this session share (the release is built there once)."""
    base = tmp_path_factory.getbasetemp()
    return (base if worker_id == "master" else base.parent) / "shared"


@pytest.fixture(scope="session")
def release(shared_dir: Path) -> Path:
    """``make dist``'s wheel, sdist and plugin tarballs, built once per test session."""
    from .plugin_harness import build_release

    return build_release(shared_dir)


@pytest.fixture(scope="session")
def signed_release(shared_dir: Path) -> SignedRelease:
    """The same, signed as releases are (``make dist SIGN_KEY=...``) with a throwaway key."""
    from .plugin_harness import build_signed_release

    return build_signed_release(shared_dir)


@pytest.fixture(scope="session")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The fixture chart as helm 3 renders the vendor's command with a proxy URL, as a
    post-renderer reads it (a module may define its own)."""
    return helm_template(tmp_path_factory.mktemp("helm-home"), *PROXY_FLAGS)


@pytest.fixture(scope="module")
def corp_root():
    """The corporate proxy's root CA most tests inject (a module may define its own)."""
    from . import certs

    return certs.root("Corp Proxy Root CA")


@pytest.fixture
def ca_file(tmp_path: Path, corp_root) -> Path:
    """That root as a PEM file, as users pass it with --ca-file."""
    path = tmp_path / "corp-root.pem"
    path.write_bytes(corp_root.pem)
    return path
