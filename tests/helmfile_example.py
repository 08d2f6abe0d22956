"""examples/helmfile as a user has it, run with the real helmfile (``make tools`` builds it
from its Go module into .tools/bin/helmfile).

``project(directory, ca, chart_repo)`` copies the example with the user's proxy CA beside
helmfile.yaml; the one substitution is charts.spot.io, pointed at a chart repository on
127.0.0.1 (``chart_repository``). ``helmfile(project, env, *args)`` runs helmfile there, with
the helm that ``env``'s PATH (or ``--helm-binary``) gives it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .conftest import EXAMPLES, FIXTURE_CHART, Run, clean_env, run_command, tool
from .plugin_harness import ok, serving

EXAMPLE = EXAMPLES / "helmfile"
SPOT_CHARTS = "https://charts.spot.io"
CA_FILE = "userEnvCertificates.pem"  # the name the example's `set: file:` reads


@contextmanager
def chart_repository(directory: Path) -> Iterator[str]:
    """charts.spot.io's stand-in: the stand-in chart packaged, indexed and served on
    127.0.0.1; yields its URL."""
    env = clean_env(HOME=str(directory))
    ok(run_command([tool("helm3"), "package", FIXTURE_CHART, "-d", directory], env=env))
    ok(run_command([tool("helm3"), "repo", "index", directory], env=env))
    with serving(directory) as url:
        yield url


def project(directory: Path, ca: bytes, chart_repo: str) -> Path:
    """The example copied to ``directory``, the CA in the file it names, charts.spot.io
    replaced by ``chart_repo`` (the only line changed)."""
    copied = shutil.copytree(EXAMPLE, directory / "helmfile-project")
    (copied / CA_FILE).write_bytes(ca)
    helmfile_yaml = copied / "helmfile.yaml"
    text = helmfile_yaml.read_text()
    assert text.count(f"url: {SPOT_CHARTS}\n") == 1, "the example no longer uses charts.spot.io"
    helmfile_yaml.write_text(text.replace(SPOT_CHARTS, chart_repo))
    return copied


def helmfile(project: Path, env: dict[str, str], *args: str | os.PathLike,
             timeout: float = 600) -> Run:
    """``helmfile <args>`` in the project's directory, as the README runs it."""
    return run_command([tool("helmfile"), *args], env=env, cwd=project, timeout=timeout)
