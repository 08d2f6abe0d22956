"""Run a real client as one container of a rendered pod: with exactly the environment and the
Secret files the pod spec gives it (see kubelet_view), on top of an emulated image.

The client runs in a private mount namespace (``unshare -m --propagation private``, as root)
in which:

- ``/etc`` gets the container's writable layer (an overlay on a tmpfs), so mount points can
  be made there and nothing reaches the host's ``/etc``;
- the image's trust is a Debian-like ``/etc/ssl/certs`` (a tmpfs): ``ca-certificates.crt``
  holding only the stand-in public roots (the image's Mozilla bundle), each root also as a
  ``.pem`` with its OpenSSL subject-hash link, as ``update-ca-certificates`` leaves them;
  every other place Go or OpenSSL looks for CAs (``/etc/pki``, ``/etc/ssl/cert.pem``,
  ``/etc/ssl/ca-bundle.pem``) is removed;
- ``/etc/resolv.conf`` names 127.0.0.1, where no DNS server answers: as in a cluster whose
  egress is locked down, outside names resolve nowhere and only the proxy reaches them;
- each Secret ``volumeMount`` is bind-mounted read-only at its ``mountPath``: the whole
  volume in the kubelet's layout, or with ``subPath`` the one file the kubelet would mount.

The environment is the container's and nothing else: the test process's own variables
(``SSL_CERT_FILE``, proxies, ``HELM_*``) never reach the client. ``HOME`` is a fresh
directory, as the runtime gives one; helm keeps its repositories and cache there.

Not emulated: the network (no network namespace: the proxy listens on the host's 127.0.0.1,
and the Spot hosts resolve only inside the proxy), the user and capabilities (the client
runs as root), and the rest of the image (the binaries and libraries, e.g. OpenSSL, are the
host's). The mounts, tmpfs and overlay die with the client's process.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .conftest import Run, run_command
from .kubelet_view import ATOMIC_DIR, DEFAULT_MODE, ContainerView, NotEmulated, SecretMount

IMAGE_CERTS = "/etc/ssl/certs"
IMAGE_BUNDLE = f"{IMAGE_CERTS}/ca-certificates.crt"
HIDDEN_TRUST = ("/etc/pki", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem")
WRITABLE = "/etc"  # the only part of the root with a writable layer: mount points go there
NO_DNS = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
SETUP_FAILED = "pod sandbox: this step failed: "


class SandboxError(Exception):
    """The sandbox could not be set up (no mount namespace, no overlayfs, not root)."""


@dataclass(frozen=True)
class Image:
    """The container image's part in trust: the public roots its CA package installed."""

    public_roots: bytes  # PEM


def run_in_pod(view: ContainerView, commands: Sequence[Sequence[str | os.PathLike]], *,
               image: Image, workdir: Path, timeout: float = 60) -> Run:
    """Run ``commands`` one after the other (stop at the first failure) as the container."""
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    (workdir / "layer").mkdir(exist_ok=True)
    env = {"HOME": str(home), **view.env}
    # the shell exports PWD, which no container runtime sets: the client must not see it
    launch = [] if "PWD" in env else ["/usr/bin/env", "-u", "PWD"]
    setup = [
        *_writable_etc(workdir / "layer"),
        *_image_trust(_image_certs(image, workdir / "image-certs")),
        *(line for mount in view.secret_mounts
          for line in _secret_mount(mount, volume_dir(mount, workdir / "volumes"))),
    ]
    script = [
        *(f"{{ {line}; }} || {{ echo {SETUP_FAILED}{shlex.quote(line)} >&2; exit 125; }}"
          for line in setup),
        "set -e",
        *(shlex.join(map(str, [*launch, *argv])) for argv in commands[:-1]),
        "exec " + shlex.join(map(str, [*launch, *commands[-1]])),
    ]
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    run = run_command([unshare, "-m", "--propagation", "private", "/bin/sh", "-c",
                       "\n".join(script)], env=env, cwd=home, timeout=timeout)
    if run.returncode == 125 and SETUP_FAILED in run.stderr:
        raise SandboxError(run.stderr.strip())
    return run


def _writable_etc(layer: Path) -> list[str]:
    upper, work = shlex.quote(f"{layer}/upper"), shlex.quote(f"{layer}/work")
    return [
        f"mount -t tmpfs -o mode=0755 pod-layer {shlex.quote(str(layer))}",
        f"mkdir {upper} {work}",
        f"mount -t overlay pod-etc -o lowerdir=/etc,upperdir={upper},workdir={work} /etc",
        # the host's resolv.conf may be a link out of /etc: remove it before writing ours
        "rm -rf /etc/resolv.conf " + " ".join(HIDDEN_TRUST),
        f"printf %s {shlex.quote(NO_DNS)} > /etc/resolv.conf",
    ]


def _image_certs(image: Image, directory: Path) -> Path:
    """The image's /etc/ssl/certs, made on the host: the bundle, and each root by hash."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    roots = x509.load_pem_x509_certificates(image.public_roots)
    for number, root in enumerate(roots):
        (directory / f"public-root-{number}.pem").write_bytes(root.public_bytes(Encoding.PEM))
    subprocess.run(["openssl", "rehash", str(directory)], check=True, capture_output=True)
    (directory / "ca-certificates.crt").write_bytes(
        b"".join(root.public_bytes(Encoding.PEM) for root in roots))
    return directory


def _image_trust(image_certs: Path) -> list[str]:
    return [
        f"mount -t tmpfs -o mode=0755 image-certs {IMAGE_CERTS}",
        f"cp -a {shlex.quote(str(image_certs))}/. {IMAGE_CERTS}/",
    ]


def volume_dir(mount: SecretMount, root: Path) -> Path:
    """The Secret volume as the kubelet writes it: ``..<time>/`` with the files, ``..data``
    linking to it, and a link per top-level name into ``..data``."""
    volume = root / mount.volume
    if not volume.exists():
        payload = volume / ATOMIC_DIR
        payload.mkdir(parents=True)
        for path, content in mount.files.items():
            target = payload / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            target.chmod(mount.modes.get(path, DEFAULT_MODE))
        (volume / "..data").symlink_to(ATOMIC_DIR)
        for name in {path.split("/", 1)[0] for path in mount.files}:
            (volume / name).symlink_to(f"..data/{name}")
    return volume


def _secret_mount(mount: SecretMount, volume: Path) -> list[str]:
    if not mount.mount_path.startswith(WRITABLE + "/"):
        raise NotEmulated(f"{mount.mount_path}: mount points are only made under {WRITABLE}")
    source = volume / mount.sub_path if mount.sub_path else volume
    if mount.sub_path_missing:  # the kubelet makes it an empty directory, and mounts that
        source.mkdir(parents=True, exist_ok=True)
    # the kubelet mounts what a subPath resolves to: the file itself, not the link to it
    source = source.resolve()
    target = shlex.quote(mount.mount_path)
    make_point = (f"mkdir -p {target}" if source.is_dir() else
                  f"mkdir -p {shlex.quote(os.path.dirname(mount.mount_path))}; "
                  f"[ -e {target} ] || : > {target}")
    return [make_point,
            f"mount --bind {shlex.quote(str(source))} {target}",
            f"mount -o remount,bind,ro {target}"]
