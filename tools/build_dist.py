"""Build what a release attaches: the wheel, the sdist, and the Helm plugin tarballs.

    python tools/build_dist.py OUTDIR [--helm4 HELM] [--sign-key NAME --keyring SECRING
                                       [--passphrase-file FILE]]

``make dist`` builds into dist/; ``make dist SIGN_KEY=<key name> KEYRING=<secret keyring>``
signs the Helm 4 tarballs (a ``.prov`` beside each, which Helm 4's ``helm plugin install``
verifies) and adds the public key users verify with, ``ocean-proxy-release.pubring.gpg``. The
keyring is GnuPG's legacy format, as helm reads it: ``(umask 077; gpg --export-secret-keys NAME >
secring.gpg)``, yours alone, deleted once the release is built.

Each plugin tarball carries a ``wheelhouse/``: our wheel, its dependencies as manylinux x86_64
wheels for CPython 3.10-3.13, and pip, so its install hook needs no network. The layouts are the
ones each Helm major's installer takes, and each file name up to ``-<version>`` is the plugin's
name helm gives the directory it installs into (Helm 4 wants the files under that directory
name inside the tarball, Helm 3 at its root):

    ocean-proxy-<v>-helm3.tgz                plugin.yaml                     (URL only)
    ocean-proxy-<v>.tgz                      plugin.yaml                     (path or URL)
    ocean-proxy-post-renderer-<v>.tgz        plugins/ocean-proxy-post-renderer/plugin.yaml
                                                                             (path or URL)

The command plugin (the root manifest) serves both majors, but no one tarball does: Helm 3
finds no plugin.yaml under a directory, Helm 4 none at the root. The Helm 4 tarballs are made by
``helm plugin package`` (signed or not), so their names are helm's ``<name>-<version>.tgz``:
the ``.prov`` names the tarball it signs, and helm refuses any other name.

Needs the network only for PyPI (build isolation and the wheels). Tarballs are reproducible:
sorted entries, fixed times (SOURCE_DATE_EPOCH, else 1980-01-01); the Helm 3 tarball also a
fixed owner (helm packs the Helm 4 ones with the builder's uid).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")
PAYLOAD = ("bin/ocean-proxy", "bin/ocean-proxy-post-renderer", "libexec/ocean-proxy/bootstrap",
           "libexec/ocean-proxy/bootstrap.py", "libexec/ocean-proxy/plugin-env.sh")
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", ".tools", "dist", "build", "*.egg-info",
                                    "__pycache__", ".*_cache", ".hypothesis", "bench")
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
PUBLIC_KEY = "ocean-proxy-release.pubring.gpg"  # what users pass to helm plugin install --keyring


@dataclass(frozen=True)
class PluginTarball:
    """One release asset: which manifest, under which file name, in which layout."""

    manifest: str
    filename: str
    top_dir: bool  # Helm 4 wants <dir>/plugin.yaml; Helm 3 wants plugin.yaml at the root

    @property
    def directory(self) -> str:
        """The directory helm installs into: the file name up to -<version>, as helm cuts it."""
        return re.sub(r"(.*)-[0-9]+\..*", r"\1", self.filename.removesuffix(".tgz"))


def tarballs(version: str) -> list[PluginTarball]:
    return [
        PluginTarball("plugin.yaml", f"ocean-proxy-{version}-helm3.tgz", False),
        PluginTarball("plugin.yaml", f"ocean-proxy-{version}.tgz", True),
        PluginTarball("plugins/ocean-proxy-post-renderer/plugin.yaml",
                      f"ocean-proxy-post-renderer-{version}.tgz", True),
    ]


@dataclass(frozen=True)
class Signing:
    """How ``helm plugin package`` signs: the key's name and the secret keyring holding it."""

    key: str
    keyring: Path
    passphrase_file: Path | None = None

    def flags(self) -> list[str]:
        flags = ["--sign", "--key", self.key, "--keyring", str(self.keyring)]
        if self.passphrase_file:
            flags += ["--passphrase-file", str(self.passphrase_file)]
        return flags


def main(outdir: Path, helm4: Path, signing: Signing | None) -> int:
    """Build into a staging directory beside ``outdir``, which takes its place only whole: a
    failed step (a signature, a missing wheel) leaves no release that looks complete."""
    version = _package_version()
    public_key = _public_key(signing) if signing else None  # a wrong key fails before building
    if signing:
        _warn_if_others_can_read(signing.keyring, "the release's secret signing key")
        _warn_if_others_can_read(signing.passphrase_file, "the signing key's passphrase")
    staging = outdir.with_name(f".{outdir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _build(staging, version, helm4, signing)
        if public_key:
            (staging / PUBLIC_KEY).write_bytes(public_key)
        _write_sums(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(outdir, ignore_errors=True)
    staging.rename(outdir)
    for path in sorted(outdir.iterdir()):
        print(f"{path.stat().st_size / 1e6:7.1f} MB  {path}")
    return 0


def _warn_if_others_can_read(path: Path | None, holding: str) -> None:
    """A key exported with the shell's umask (0644) lets every user of the machine sign
    releases: said, as ssh says of a private key others can read; the build goes on."""
    if path is not None and (mode := path.stat().st_mode & 0o777) & 0o044:
        print(f"build_dist: warning: {path} holds {holding}, and other users of this machine "
              f"can read it (mode {mode:04o}): chmod 600 it, and delete it once the release is "
              "built", file=sys.stderr)


def _build(outdir: Path, version: str, helm4: Path, signing: Signing | None) -> None:
    with tempfile.TemporaryDirectory(prefix="ocean-proxy-dist-") as scratch:
        wheel = _build_python_dists(Path(scratch), outdir, version)
        wheelhouse = Path(scratch) / "wheelhouse"
        _fill_wheelhouse(wheelhouse, wheel)
        for tarball in tarballs(version):
            _check_manifest(tarball, version)
            if tarball.top_dir:
                _package_with_helm(outdir, tarball, wheelhouse, helm4, signing,
                                   Path(scratch) / "stage")
            else:
                _write_tarball(outdir / tarball.filename, tarball, wheelhouse)


def _package_version() -> str:
    init = (REPO / "post_renderer" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', init, re.MULTILINE).group(1)


def _check_manifest(tarball: PluginTarball, version: str) -> None:
    """The version is the package's, and the name the one helm gives the directory."""
    manifest = tarball.manifest
    text = (REPO / manifest).read_text(encoding="utf-8")
    if not re.search(rf"^version: {re.escape(version)}$", text, re.MULTILINE):
        sys.exit(f"build_dist: {manifest} does not say version: {version} (the package's version)")
    if not re.search(rf"^name: {re.escape(tarball.directory)}$", text, re.MULTILINE):
        sys.exit(f"build_dist: {manifest} is not named {tarball.directory} ({tarball.filename})")


def _build_python_dists(scratch: Path, outdir: Path, version: str) -> Path:
    """Build from a copy, so the checkout gets no build/ or egg-info from it."""
    source = scratch / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE, symlinks=True)
    _run([sys.executable, "-m", "build", "--outdir", str(outdir), str(source)])
    wheel = outdir / f"ocean_proxy-{version}-py3-none-any.whl"
    if not wheel.is_file() or not (outdir / f"ocean_proxy-{version}.tar.gz").is_file():
        sys.exit(f"build_dist: python -m build did not make {wheel.name} and the sdist")
    return wheel


def _fill_wheelhouse(wheelhouse: Path, wheel: Path) -> None:
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                "--only-binary=:all:", "--implementation", "cp", "--dest", str(wheelhouse)]
    for platform in PLATFORMS:
        download += ["--platform", platform]
    for python in PYTHONS:
        abi = "cp" + python.replace(".", "")
        for_python = [*download, "--python-version", python, "--abi", abi, "--abi", "abi3",
                      "--abi", "none"]
        _run([*for_python, str(wheel)])
        while missing := _missing_requirements(wheelhouse, python):
            _run([*for_python, *missing])
    _run([*download, "--no-deps", "pip"])


def _missing_requirements(wheelhouse: Path, python: str) -> list[str]:
    """What the target Python needs and the wheelhouse lacks.

    pip download judges environment markers by the Python running it, not the target one, so
    for 3.10 it leaves out cryptography's ``typing-extensions; python_full_version < '3.11'``.
    """
    major, minor = (int(part) for part in python.split("."))
    tags = set(cpython_tags((major, minor), [f"cp{major}{minor}", "abi3", "none"], PLATFORMS))
    tags |= set(compatible_tags((major, minor), f"cp{major}{minor}", PLATFORMS))
    target = {"python_version": python, "python_full_version": f"{python}.0",
              "implementation_name": "cpython", "platform_python_implementation": "CPython",
              "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
              "os_name": "posix", "extra": ""}
    present: dict[str, list[Version]] = {}
    requirements: list[Requirement] = []
    for path in sorted(wheelhouse.glob("*.whl")):
        name, version, _, wheel_tags = parse_wheel_filename(path.name)
        if not wheel_tags & tags:
            continue
        present.setdefault(canonicalize_name(name), []).append(version)
        with zipfile.ZipFile(path) as archive:
            metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            text = archive.read(metadata).decode("utf-8")
        requirements += [Requirement(line.split(":", 1)[1].strip()) for line in text.splitlines()
                         if line.startswith("Requires-Dist:")]
    return sorted({str(req).split(";")[0] for req in requirements
                   if (req.marker is None or req.marker.evaluate(target))
                   and not any(req.specifier.contains(v, prereleases=True)
                               for v in present.get(canonicalize_name(req.name), []))})


def _plugin_files(tarball: PluginTarball, wheelhouse: Path) -> dict[str, Path]:
    """What a plugin directory holds, by its path inside it."""
    files = {"plugin.yaml": REPO / tarball.manifest, "README.md": REPO / "plugins" / "README.md"}
    files.update({member: REPO / member for member in PAYLOAD})
    files.update({f"wheelhouse/{whl.name}": whl for whl in sorted(wheelhouse.glob("*.whl"))})
    return files


def _package_with_helm(outdir: Path, tarball: PluginTarball, wheelhouse: Path, helm4: Path,
                       signing: Signing | None, stage: Path) -> None:
    """``helm plugin package`` of the plugin directory, laid out in ``stage``: Helm 4's own
    tarball, and with ``signing`` the ``.prov`` that ``helm plugin install`` verifies."""
    directory = stage / tarball.directory
    shutil.rmtree(directory, ignore_errors=True)
    for member, source in _plugin_files(tarball, wheelhouse).items():
        target = directory / member
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(0o755 if os.access(source, os.X_OK) else 0o644)
    for path in [*directory.rglob("*"), directory]:
        os.utime(path, (EPOCH, EPOCH))
    sign = signing.flags() if signing else ["--sign=false"]
    _run([str(helm4), "plugin", "package", *sign, "--destination", str(outdir), str(directory)])
    made = outdir / tarball.filename
    if not made.is_file() or (signing and not Path(f"{made}.prov").is_file()):
        sys.exit(f"build_dist: helm plugin package did not make {made.name}"
                 + (" and its .prov" if signing else ""))


def _public_key(signing: Signing) -> bytes:
    """The signing key's public half, as a keyring helm reads (a signed release publishes it),
    once the keyring is known to hold the secret key helm signs with."""
    with tempfile.TemporaryDirectory(prefix="ocean-proxy-gpg-") as home:
        gpg = ["gpg", "--homedir", home, "--batch", "--quiet"]
        try:
            _run([*gpg, "--import", str(signing.keyring)])
            secret = subprocess.run([*gpg, "--list-secret-keys", signing.key],
                                    capture_output=True, check=False)
            exported = subprocess.run([*gpg, "--export", signing.key], capture_output=True,
                                      check=False).stdout
        finally:
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False,
                           capture_output=True)
    if secret.returncode != 0 or not exported:
        sys.exit(f"build_dist: {signing.keyring} holds no secret key {signing.key!r}; export "
                 f"it with: (umask 077; gpg --export-secret-keys '{signing.key}' > secring.gpg)")
    return exported


def _write_tarball(path: Path, tarball: PluginTarball, wheelhouse: Path) -> None:
    prefix = f"{tarball.directory}/" if tarball.top_dir else ""
    files = _plugin_files(tarball, wheelhouse)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in _directories(files, prefix):
            tar.addfile(_entry(directory, tarfile.DIRTYPE, 0o755))
        for member in sorted(files):
            data = files[member].read_bytes()
            mode = 0o755 if os.access(files[member], os.X_OK) else 0o644
            info = _entry(prefix + member, tarfile.REGTYPE, mode)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=EPOCH,
                                                filename="") as zipped:
        zipped.write(buffer.getvalue())


def _directories(files: dict[str, Path], prefix: str) -> list[str]:
    """Every directory, parents first: Helm 3's extractor creates only what the archive lists."""
    found = {prefix.rstrip("/")} if prefix else set()
    for member in files:
        parts = member.split("/")[:-1]
        found.update(prefix + "/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return sorted(found)


def _entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _write_sums(outdir: Path) -> None:
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
             for path in sorted(outdir.iterdir()) if path.name != "SHA256SUMS"]
    (outdir / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        sys.exit(f"build_dist: failed: {' '.join(argv[:6])} ...")


def _arguments(argv: list[str]) -> tuple[Path, Path, Signing | None]:
    parser = argparse.ArgumentParser(description="the release's wheel, sdist and tarballs")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--helm4", type=Path, default=REPO / ".tools" / "bin" / "helm4",
                        help="the Helm 4 binary that packages (and signs) the Helm 4 tarballs")
    parser.add_argument("--sign-key", help="sign the Helm 4 tarballs with this GnuPG key")
    parser.add_argument("--keyring", help="the secret keyring (legacy format) with it")
    parser.add_argument("--passphrase-file", type=Path, help="the key's passphrase, if any")
    args = parser.parse_args(argv)
    if bool(args.sign_key) != bool(args.keyring):
        parser.error("--sign-key and --keyring go together (make dist SIGN_KEY=... KEYRING=...)")
    if args.keyring and not Path(args.keyring).is_file():
        parser.error(f"no keyring at {args.keyring}: export one with "
                     "'(umask 077; gpg --export-secret-keys NAME > secring.gpg)'")
    if args.keyring and Path(args.keyring).read_bytes()[8:12] == b"KBXf":  # ~/.gnupg/pubring.kbx
        parser.error(f"{args.keyring} is a GnuPG 2 keybox, which holds no secret key: export "
                     "one with '(umask 077; gpg --export-secret-keys NAME > secring.gpg)'")
    if args.passphrase_file and not args.passphrase_file.is_file():
        parser.error(f"no passphrase file at {args.passphrase_file}: leave PASSPHRASE_FILE "
                     "out for a key without one")
    signing = Signing(args.sign_key, Path(args.keyring).resolve(),
                      args.passphrase_file and args.passphrase_file.resolve()) \
        if args.sign_key else None
    return args.outdir.resolve(), args.helm4, signing


if __name__ == "__main__":
    sys.exit(main(*_arguments(sys.argv[1:])))
