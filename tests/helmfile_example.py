"""examples/helmfile as a user has it, run with the real helmfile (``make tools`` builds it
from its Go module into .tools/bin/helmfile).

``project(directory, ca, chart_repo)`` copies the example with the user's proxy CA beside
helmfile.yaml; the one substitution, if ``chart_repo`` is given, is charts.spot.io, pointed at
a chart repository on 127.0.0.1 (``chart_repository``). ``helmfile(project, env, *args)`` runs
helmfile there, with the helm that ``env``'s PATH (or ``--helm-binary``) gives it.
``behind_the_proxy(project, env, proxy_url, api_host)`` runs the README's lines for helm behind
the proxy, as the user pastes them, and returns what they export.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .conftest import EXAMPLES, FIXTURE_CHART, Run, clean_env, run_command, tool
from .plugin_harness import ok, serving
from .test_readme import code_blocks, section

EXAMPLE = EXAMPLES / "helmfile"
SPOT_CHARTS = "https://charts.spot.io"
CA_FILE = "userEnvCertificates.pem"  # the name the example's `set: file:` reads
README = EXAMPLE / "README.md"
PROXY_HEADING = "## helm behind the proxy"
README_PROXY = "http://user:password@proxy.corp.example:3128"  # the user's own, in the README
README_API_HOST = "api.my-cluster.example"


@contextmanager
def chart_repository(directory: Path) -> Iterator[str]:
    """charts.spot.io's stand-in: the stand-in chart packaged, indexed and served on
    127.0.0.1; yields its URL."""
    env = clean_env(HOME=str(directory))
    ok(run_command([tool("helm3"), "package", FIXTURE_CHART, "-d", directory], env=env))
    ok(run_command([tool("helm3"), "repo", "index", directory], env=env))
    with serving(directory) as url:
        yield url


def project(directory: Path, ca: bytes, chart_repo: str | None = None) -> Path:
    """The example copied to ``directory``, the CA in the file it names, charts.spot.io
    replaced by ``chart_repo`` (the only line changed) if one is given."""
    copied = shutil.copytree(EXAMPLE, directory / "helmfile-project")
    (copied / CA_FILE).write_bytes(ca)
    if chart_repo is None:
        return copied
    helmfile_yaml = copied / "helmfile.yaml"
    text = helmfile_yaml.read_text()
    assert text.count(f"url: {SPOT_CHARTS}\n") == 1, "the example no longer uses charts.spot.io"
    helmfile_yaml.write_text(text.replace(SPOT_CHARTS, chart_repo))
    return copied


def helmfile(project: Path, env: dict[str, str], *args: str | os.PathLike,
             timeout: float = 600) -> Run:
    """``helmfile <args>`` in the project's directory, as the README runs it."""
    return run_command([tool("helmfile"), *args], env=env, cwd=project, timeout=timeout)


def behind_the_proxy(project: Path, env: dict[str, str], proxy_url: str,
                     api_host: str) -> dict[str, str]:
    """The README's lines for helm behind the proxy run by bash in ``project`` as written, but
    for the proxy URL and the API server, which are the user's own; what they export."""
    [lines] = code_blocks(section(README.read_text(), PROXY_HEADING))
    for placeholder, value in ((README_PROXY, proxy_url), (README_API_HOST, api_host)):
        assert lines.count(placeholder) == 1, f"the README no longer shows {placeholder}"
        lines = lines.replace(placeholder, value)
    shell = run_command(["bash", "-euo", "pipefail", "-c", f"{lines}\nenv -0"], env=env,
                        cwd=project)
    assert shell.returncode == 0, shell.stderr
    after = dict(item.split("=", 1) for item in shell.text.split("\0") if item)
    return {name: value for name, value in after.items()
            if env.get(name) != value and name not in {"_", "PWD", "SHLVL", "OLDPWD"}}
