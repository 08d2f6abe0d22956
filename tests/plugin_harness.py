"""What the plugin tests need to act like a user: a fresh checkout, the release, helm, a web server.

Helpers only (the fixtures live in the test modules): the release is built once per test session
and shared by the xdist workers through a file lock.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ruamel.yaml import YAML

from post_renderer import __version__

from .conftest import REPO, VENV_BIN, Run, clean_env, run_command

# A shell's PATH without the project's virtualenv (nor pyenv, cargo, ...): python3 is the system's.
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
VERSION = __version__
CA_COMMON_NAME = "Example Corp TLS Inspection CA"


def ok(run: Run) -> Run:
    assert run.returncode == 0, f"exit {run.returncode}\nstdout: {run.text}\nstderr: {run.stderr}"
    return run


def helm(binary: Path, *args: str | os.PathLike, env: dict[str, str], timeout: float = 300,
         cwd: Path | None = None) -> Run:
    return run_command([binary, *args], env=env, timeout=timeout, cwd=cwd)


def user_env(home: Path, *, helm_dirs: dict[str, str] | None = None, path: str = SYSTEM_PATH,
             **extra: str) -> dict[str, str]:
    """A user's environment: their HOME, PATH, and helm's own directories (else helm's defaults)."""
    env = clean_env(HOME=str(home), PATH=path, **(helm_dirs or {}), **extra)
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "VIRTUAL_ENV",
                 "PYTHONPATH", "OCEAN_PROXY_PYTHON"):
        env.pop(name, None)
    return env


def post_renderer_user_env(major: str, home: Path, **extra: str) -> dict[str, str]:
    """A helm user's environment with empty helm homes under ``home``: Helm 3 finds the
    console script on PATH, Helm 4 the plugin ``install_post_renderer_plugin`` puts there."""
    path = f"{VENV_BIN}:{SYSTEM_PATH}" if major == "helm3" else SYSTEM_PATH
    dirs = {"HELM_DATA_HOME": str(home / "data"), "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_CACHE_HOME": str(home / "cache")}
    return clean_env(**dirs, HOME=str(home), PATH=path, **extra)


def install_post_renderer_plugin(major: str, binary: Path, release: Path,
                                 env: dict[str, str]) -> None:
    """Helm 4 runs a post-renderer only as a plugin: install it from the release tarball."""
    if major == "helm4":
        tarball = release / f"ocean-proxy-post-renderer-{__version__}.tgz"
        ok(helm(binary, "plugin", "install", "--verify=false", tarball, env=env))


def offline_pip(wheelhouse: Path) -> dict[str, str]:
    """pip settings for a checkout install that needs no network: the release's wheels only."""
    return {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}


def files_under(*roots: Path) -> dict[str, str]:
    """Every file and symlink under the roots, with its size or link target.

    Directories are left out: helm creates its own (plugins/, cache/plugins/) on first use.
    """
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.is_symlink():
                found[str(path)] = f"-> {os.readlink(path)}"
            elif path.is_file():
                found[str(path)] = f"{path.stat().st_size} bytes"
    return found


def git_status(checkout: Path) -> str:
    return ok(run_command(["git", "status", "--porcelain", "--ignored"], cwd=checkout)).text


def copy_checkout(destination: Path) -> Path:
    """A fresh clone of the working tree as it is now (tracked and new files), named as cloned."""
    listed = ok(run_command(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO)).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, target = REPO / name, destination / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree, not yet committed
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "checkout"]):
        ok(run_command([*git, *argv], cwd=destination))
    return destination


@dataclass(frozen=True)
class Manifest:
    """A Helm plugin manifest in the repository: where it is, what it names, who can read it."""

    path: str  # relative to the repository, as git lists it
    name: str
    api_version: str | None  # None: Helm 3-style, which both majors load

    @property
    def directory(self) -> str:
        return str(Path(self.path).parent)

    @property
    def helm3_loads_it(self) -> bool:
        return self.api_version is None


def repository_manifests() -> list[Manifest]:
    """Every plugin.yaml git knows, so a manifest added later is tested without being listed."""
    listed = ok(run_command(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO)).stdout.decode().split("\0")
    found = []
    for path in sorted(n for n in listed if n == "plugin.yaml" or n.endswith("/plugin.yaml")):
        if (REPO / path).is_file():
            fields = YAML(typ="safe").load((REPO / path).read_text(encoding="utf-8"))
            found.append(Manifest(path, fields["name"], fields.get("apiVersion")))
    return found


def build_release(shared: Path) -> Path:
    """``make dist``'s build (tools/build_dist.py), done once however many workers ask for it."""
    release = shared / "release"
    shared.mkdir(parents=True, exist_ok=True)
    with (shared / "release.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (release / "SHA256SUMS").is_file():
            shutil.rmtree(release, ignore_errors=True)
            ok(run_command([sys.executable, REPO / "tools" / "build_dist.py", release],
                           env=clean_env(), timeout=900))
            with tarfile.open(release / f"ocean-proxy-{VERSION}-helm3.tgz") as tar:
                tar.extractall(shared / "unpacked-helm3", filter="data")
    return release


RELEASE_KEY_NAME = "ocean-proxy release test key"
RELEASE_PUBLIC_KEY = "ocean-proxy-release.pubring.gpg"  # beside the tarballs, as published


class Keyrings(NamedTuple):
    secret: Path
    public: Path


def throwaway_key(home: Path, name: str) -> Keyrings:
    """A new ed25519 signing key without passphrase, as legacy secret and public keyrings."""
    home.mkdir(parents=True, exist_ok=True)
    # A short home of its own: gpg-agent's socket path must fit in 107 bytes, which pytest's
    # temporary directories under xdist do not.
    with tempfile.TemporaryDirectory(prefix="gpg-", dir="/tmp") as gnupg:
        return _generate_key(gnupg, home, name)


def _generate_key(gnupg: str, home: Path, name: str) -> Keyrings:
    gpg = ["gpg", "--homedir", gnupg, "--batch", "--quiet"]
    try:
        subprocess.run([*gpg, "--pinentry-mode", "loopback", "--passphrase", "",
                        "--quick-gen-key", f"{name} <release@example.invalid>", "ed25519",
                        "sign", "never"], check=True, capture_output=True)
        secret, public = home / "secring.gpg", home / "pubring.gpg"
        secret.touch(mode=0o600)  # the builder's alone, as plugins/README.md exports it
        secret.write_bytes(subprocess.run([*gpg, "--export-secret-keys", name], check=True,
                                          capture_output=True).stdout)
        public.write_bytes(subprocess.run([*gpg, "--export", name], check=True,
                                          capture_output=True).stdout)
    finally:  # gpg started an agent for this home: stop it
        subprocess.run(["gpgconf", "--homedir", gnupg, "--kill", "all"], check=False,
                       capture_output=True)
    return Keyrings(secret, public)


def verified_installs(run: Run) -> int:
    """How many plugin tarballs helm checked against a key in this run (``helm plugin list``
    says "signed" for any tarball with a .prov, verified or not)."""
    said = run.text + run.stderr
    assert "Skipping plugin signature verification" not in said
    return said.count("Plugin Hash Verified: sha256:")


class SignedRelease(NamedTuple):
    dist: Path
    key: Keyrings


def build_signed_release(shared: Path) -> SignedRelease:
    """``make dist SIGN_KEY=... KEYRING=...`` with a throwaway key, once per session: the
    release as published, its Helm 4 tarballs signed, its public key beside them."""
    dist, home = shared / "signed-release", shared / "release-key"
    shared.mkdir(parents=True, exist_ok=True)
    with (shared / "signed-release.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        key = Keyrings(home / "secring.gpg", home / "pubring.gpg")
        if not (dist / "SHA256SUMS").is_file():
            shutil.rmtree(dist, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)
            key = throwaway_key(home, RELEASE_KEY_NAME)
            ok(run_command(["make", "-C", REPO, "dist", f"DIST={dist}",
                            f"SIGN_KEY={RELEASE_KEY_NAME}", f"KEYRING={key.secret}"],
                           env=clean_env(), timeout=900))
    return SignedRelease(dist, key)


def unpacked_helm3_release(shared: Path) -> Path:
    """The Helm 3 tarball, unpacked: plugin.yaml, bin/, libexec/ and wheelhouse/ at its root."""
    build_release(shared)
    return shared / "unpacked-helm3"


@contextlib.contextmanager
def serving(directory: Path, tgz_type: str = "application/gzip") -> Iterator[str]:
    """An HTTP server on 127.0.0.1 for the directory, stopped on exit; yields its base URL.

    .tgz goes out as application/gzip: Helm 3 tells a tarball URL from a git URL by the
    Content-Type alone (GitHub release assets must be uploaded with it too).
    """

    class Handler(http.server.SimpleHTTPRequestHandler):
        def guess_type(self, path: str | os.PathLike) -> str:
            return tgz_type if str(path).endswith(".tgz") else super().guess_type(path)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def write_ca(path: Path) -> Path:
    """A real CA certificate, as a TLS-inspecting proxy would have: self-signed, CA:TRUE."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
                      x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def write_chart(directory: Path) -> Path:
    """A chart with one ConfigMap: nothing for the post-renderer to change.

    Helm 4 re-serialises what a post-renderer returns (even `cat`'s: "a  # b" becomes "a # b"),
    so the chart holds only YAML that survives that unchanged.
    """
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    (directory / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n"
        "data:\n  greeting: hello\n  proxy: http://proxy.example:3128\n")
    return directory


def link_tools(bin_dir: Path, *tools: str) -> Path:
    """A PATH directory with only these system tools in it."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        found = shutil.which(tool, path=SYSTEM_PATH)
        assert found, f"{tool} is not installed"
        (bin_dir / tool).symlink_to(found)
    return bin_dir


def pyenv_python(version: str) -> Path:
    """A CPython of this minor version (pyenv's, as on this machine kind); fails if missing."""
    for root in (Path.home() / ".pyenv" / "versions", Path("/root/.pyenv/versions")):
        for candidate in sorted(root.glob(f"{version}.*/bin/python{version}")):
            return candidate
    found = shutil.which(f"python{version}", path=SYSTEM_PATH)
    if found:
        return Path(found)
    raise AssertionError(f"python{version} is not installed (pyenv install {version})")
