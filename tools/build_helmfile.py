"""Build helmfile, the one examples/helmfile's tests run, from its published Go module, once.

    python tools/build_helmfile.py .tools

tools/helmfile/go.mod pins github.com/helmfile/helmfile (and go.sum every module it builds
from, fetched from the Go module proxy); ``go build -trimpath`` with ``CGO_ENABLED=0`` makes
``.tools/bin/helmfile``, the same bytes for the same pins and Go. An installed helmfile that
reports the pinned version is kept; otherwise it is built in a temporary directory beside it
and moved into place only once it runs, so a failed build leaves nothing half-written. The
first build takes minutes on two cores. Go is the one build_cluster.py finds.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from build_cluster import find_go, go_env

MODULE = Path(__file__).resolve().parent / "helmfile"
PACKAGE = "github.com/helmfile/helmfile"
# -X as helmfile's own Makefile stamps its version; -buildid= and -trimpath leave no build path
# or random id in the binary.
VERSION_VARIABLE = "go.szostok.io/version.version"


def pinned_version() -> str:
    go_mod = (MODULE / "go.mod").read_text()
    match = re.search(rf"^\s*(?:require )?{re.escape(PACKAGE)} (v\S+)", go_mod, re.M)
    assert match, f"tools/helmfile/go.mod does not require {PACKAGE}"
    return match.group(1)


def reported_version(binary: Path) -> str | None:
    """What ``helmfile version -o short`` says, or None when it does not run."""
    # without this helmfile asks github.com for its latest release on every `version`
    env = {**os.environ, "HELMFILE_UPGRADE_NOTICE_DISABLED": "1"}
    try:
        run = subprocess.run([binary, "version", "-o", "short"], capture_output=True, text=True,
                             env=env, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


def build(go: str, version: str, into: Path) -> None:
    print(f"building helmfile {version} with {go} (the first build downloads its modules and "
          f"takes minutes on 2 cores)", flush=True)
    started = time.monotonic()
    ldflags = f"-s -w -buildid= -X {VERSION_VARIABLE}={version}"
    built = subprocess.run([go, "build", "-mod=readonly", "-trimpath", "-buildvcs=false",
                            "-ldflags", ldflags, "-o", str(into), PACKAGE],
                           cwd=MODULE, env={**go_env(), "CGO_ENABLED": "0"}, check=False)
    if built.returncode != 0:
        sys.exit(f"building helmfile {version} failed (exit {built.returncode})")
    print(f"built helmfile {version} in {time.monotonic() - started:.0f} s", flush=True)


def install(tools: Path) -> None:
    version = pinned_version()
    bin_dir = tools / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    target = bin_dir / "helmfile"
    with (tools / ".helmfile.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # clones sharing .tools wait for one build
        if reported_version(target) != version:
            with tempfile.TemporaryDirectory(prefix=".helmfile-build.", dir=tools) as scratch:
                built = Path(scratch) / "helmfile"
                build(find_go(tools, MODULE), version, built)
                reported = reported_version(built)
                if reported != version:
                    sys.exit(f"the helmfile just built reports {reported!r}, not {version}")
                os.replace(built, target)
    print(f"helmfile {version}: {target}")


if __name__ == "__main__":
    install(Path(sys.argv[1] if len(sys.argv) > 1 else ".tools").resolve())
