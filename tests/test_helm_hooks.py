"""A chart's hooks, as helm hands them to the post-renderer: Helm 3 never does (it splits
them off first); Helm 4 does, in one stream with the rest by default, or, through its SDK's
post-render strategy 'separate' (no helm flag sets it), in a call of their own before the
release's other manifests. That call holds no Spot agent, and must not fail the release."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import FIXTURE_CHART, run_command, tool
from .plugin_harness import install_post_renderer_plugin, post_renderer_user_env

# the shape of the vendor chart's own hook (a chart version's templates/tests/)
TEST_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: "{{ .Release.Name }}-test-connection"
  annotations:
    "helm.sh/hook": test
spec:
  containers:
    - name: wget
      image: busybox
      command: ['wget']
      args: ['{{ .Release.Name }}:80']
  restartPolicy: Never
"""
# a cert-manager's, as its chart writes it
CHECK_JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: "{{ .Release.Name }}-startupapicheck"
  annotations: {helm.sh/hook: post-install, helm.sh/hook-weight: "1"}
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: check
        image: registry.example/cert-manager-startupapicheck:v1.14.0
"""
SETTINGS = ("--post-renderer", "ocean-proxy-post-renderer",
            "--post-renderer-args", "--proxy-url=http://proxy.corp.example:3128")


@pytest.fixture(scope="module")
def helm4_env(tmp_path_factory, release) -> dict[str, str]:
    home = tmp_path_factory.mktemp("helm4")
    env = post_renderer_user_env("helm4", home, HELM_PLUGINS=str(home / "data" / "plugins"),
                                 OCEAN_PROXY_MESSAGES="auto")
    install_post_renderer_plugin("helm4", tool("helm4"), release, env)
    return env


def _chart_of_hooks(tmp_path: Path) -> Path:
    """A chart whose templates are hooks alone: Helm 4 hands the post-renderer what the
    'separate' strategy's first call hands it."""
    chart = tmp_path / "ocean-kubernetes-controller"
    (chart / "templates" / "tests").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: ocean-kubernetes-controller\nversion: 0.1.60\n")
    (chart / "templates" / "tests" / "test-connection.yaml").write_text(TEST_POD)
    (chart / "templates" / "tests" / "check.yaml").write_text(CHECK_JOB)
    return chart


def test_hooks_handed_over_alone_pass_through_with_the_releases_settings(helm4_env, tmp_path):
    """With the release's settings given (--post-renderer-args), the hooks' own call was
    refused for holding no Ocean controller, which failed the whole release."""
    helm4 = [tool("helm4"), "template", "oc", _chart_of_hooks(tmp_path), "--namespace", "spot"]
    plain = run_command(helm4, env=helm4_env)
    assert plain.returncode == 0, plain.stderr

    run = run_command([*helm4, *SETTINGS], env=helm4_env)

    assert run.returncode == 0, run.stderr
    assert _hooks(run.text) == _hooks(plain.text) != []
    assert "ocean-proxy: only helm hooks in these manifests" in run.stderr


def test_hooks_beside_the_controller_leave_the_controller_changed(helm4_env, tmp_path):
    """By default Helm 4 hands the hooks over with the rest: the controller gets the proxy,
    the hook passes as the chart rendered it."""
    chart = tmp_path / "chart"
    run_command(["cp", "-r", FIXTURE_CHART, chart])
    (chart / "templates" / "tests").mkdir()
    (chart / "templates" / "tests" / "test-connection.yaml").write_text(TEST_POD)
    helm4 = [tool("helm4"), "template", "oc", chart, "--namespace", "spot"]

    run = run_command([*helm4, *SETTINGS], env=helm4_env)

    assert run.returncode == 0, run.stderr
    assert "ocean-proxy: injected proxy http://proxy.corp.example:3128" in run.stderr
    assert "only helm hooks" not in run.stderr
    assert _hooks(run.text) == _hooks(run_command(helm4, env=helm4_env).text) != []


def _hooks(text: str) -> list[dict]:
    """The hook documents, parsed (Helm 4 re-writes what a post-renderer returns)."""
    return [document for document in yaml.safe_load_all(text) if isinstance(document, dict)
            and "helm.sh/hook" in (document["metadata"].get("annotations") or {})]
