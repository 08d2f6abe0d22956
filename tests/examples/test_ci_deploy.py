"""examples/ci: the deploy path (GitHub Actions on a push to main, Helm 3; GitLab's `deploy`
job on the default branch, Helm 4) against a real API server, pushed twice.

The release and the namespace are the ones a user sets in the pipeline (`RELEASE`,
`NAMESPACE`), here of the test's own; the cluster access is the pipeline's (the `KUBECONFIG`
secret, a `KUBECONFIG` variable of type File); `--wait` is met by ``rollouts``. The proxy URL
with a password goes in the variable the README names: the stored release must carry it in a
Secret only, `helm get values` must not show it, and no output of the job may.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from ..cluster.rollouts import rollouts
from ..cluster.server import ApiServer
from ..cluster.stored import Stored, leaks, pod_problems
from ..conftest import Run, run_command, tool
from .test_ci_github import run_job, workflow_here  # noqa: F401 (a fixture)
from .test_ci_gitlab import helm_download, run_render_job  # noqa: F401 (a fixture)
from .user import (
    PASSWORD,
    PASSWORD_PROXY_URL,
    SPOTINST,
    TOKEN,
    checkout,
    ci_password_secret,
    password_shown,
)

CONTAINERS = ("ocean-kubernetes-controller", "log-shipper")
DEFAULT_BRANCH = {"CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}


def fullname(release: str) -> str:
    return f"{release}-ocean-kubernetes-controller"


def assert_deployed_with_the_proxy_from_a_secret(api: ApiServer, namespace: str,
                                                 release: str) -> dict:
    """The stored controller: every pod can start, both containers read the proxy from
    ocean-proxy's Secret, which holds the URL; the password is nowhere in plain sight. Its pod
    template, to compare with the next push's."""
    stored = Stored.read(api, namespace)
    assert pod_problems(stored) == []
    assert leaks(stored, [PASSWORD, quote(PASSWORD, safe="")]) == []
    secret = f"{fullname(release)}-ocean-proxy"
    assert stored.secret_text(secret, "proxy-url") == PASSWORD_PROXY_URL
    template = stored.deployments[fullname(release)]["spec"]["template"]
    for container in template["spec"]["containers"]:
        if container["name"] in CONTAINERS:
            env = {entry["name"]: entry for entry in container.get("env") or []}
            assert env["HTTP_PROXY"]["valueFrom"]["secretKeyRef"]["name"] == secret
    return template


def assert_nothing_shown(runs: list[Run], values: Run) -> None:
    """No job output shows the token or the password; helm's record of the release's values
    (which has the token, from --set) has no password."""
    log = "".join(run.text + run.stderr for run in runs)
    assert password_shown(log) == []
    assert TOKEN not in log and base64.b64encode(TOKEN.encode()).decode() not in log
    assert password_shown(values.text) == []


def helm_values(helm: Path, api: ApiServer, namespace: str, release: str) -> Run:
    run = run_command([helm, "get", "values", release, "-n", namespace, "--all"],
                      env=api.env())
    assert run.returncode == 0, run.stderr
    return run


@contextlib.contextmanager
def uninstalled_after(major: str, api: ApiServer, namespace: str, release: str) -> Iterator[None]:
    """The release goes once the test ends: its metrics-server APIService is cluster-wide, one
    for every release of the server (the other suites leave it out)."""
    try:
        yield
    finally:
        run_command([tool(major), "uninstall", release, "-n", namespace], env=api.env())


def test_github_job_deploys_on_main_and_the_next_push_changes_nothing(
        workflow_here, corp_ca, tmp_path, api_server, cluster_namespace):  # noqa: F811
    release = cluster_namespace.split("-")[0]
    workflow_here["env"].update(RELEASE=release, NAMESPACE=cluster_namespace)
    home = tmp_path / "runner"
    workspace = checkout(tmp_path / "workspace", corp_ca, workflow_here["env"]["CA_FILE"])
    secrets = {"SPOTINST_TOKEN": TOKEN, "KUBECONFIG": api_server.kubeconfig.read_text(),
               ci_password_secret("GitHub Actions", "secret"): PASSWORD_PROXY_URL}
    templates, logs = [], []
    with uninstalled_after("helm3", api_server, cluster_namespace, release), \
            rollouts(api_server, cluster_namespace):
        for _ in range(2):  # a push to main, then the next one
            runs = run_job(workflow_here, home=home, workspace=workspace, event_name="push",
                           secrets=secrets)
            failed = [(step.name, step.run.stderr) for step in runs
                      if step.run and step.run.returncode]
            assert failed == []
            logs += [step.run for step in runs if step.run]
            templates.append(assert_deployed_with_the_proxy_from_a_secret(
                api_server, cluster_namespace, release))
        values = helm_values(tool("helm3"), api_server, cluster_namespace, release)
    assert templates[0] == templates[1]  # no restart for the same settings
    assert_nothing_shown(logs, values)


def test_gitlab_deploy_job_deploys_on_the_default_branch_and_the_next_pipeline_changes_nothing(
        helm_download, signed_release, signed_release_url, chart_repo, corp_ca,  # noqa: F811
        tmp_path, api_server, cluster_namespace):
    release = cluster_namespace.split("-")[0]
    project = {name: value for name, value in SPOTINST.items() if name != "SPOTINST_PROXY_URL"}
    project[ci_password_secret("GitLab CI", "variable")] = PASSWORD_PROXY_URL
    project.update(RELEASE=release, NAMESPACE=cluster_namespace,
                   KUBECONFIG=str(api_server.kubeconfig))  # a variable of type File
    templates, logs = [], []
    with uninstalled_after("helm4", api_server, cluster_namespace, release), \
            rollouts(api_server, cluster_namespace):
        for pipeline in ("first", "next"):  # a fresh container each, the same cluster
            run, _, _ = run_render_job(helm_download, signed_release, signed_release_url,
                                         chart_repo, corp_ca, tmp_path / pipeline, project,
                                         name="deploy", predefined=DEFAULT_BRANCH)
            assert run.returncode == 0, run.text + run.stderr
            logs.append(run)
            templates.append(assert_deployed_with_the_proxy_from_a_secret(
                api_server, cluster_namespace, release))
        values = helm_values(tool("helm4"), api_server, cluster_namespace, release)
    assert templates[0] == templates[1]
    assert_nothing_shown(logs, values)
