"""examples/ci: a GitHub Actions job."""

from __future__ import annotations

import base64
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from .. import certs
from ..chart_render import parse
from ..conftest import EXAMPLES, VENV_BIN, Run, clean_env, run_command
from ..example_tools import (
    github_expression,
    job_steps,
    load_yaml,
    read_env_file,
    read_path_file,
)
from ..plugin_harness import CA_COMMON_NAME, VERSION, user_env
from .user import (
    NAMESPACE,
    PASSWORD_PROXY_URL,
    PROXY_URL,
    SPOTINST,
    TOKEN,
    assert_proxy_and_ca,
    assert_proxy_from_secret,
    checkout,
    ci_password_secret,
    helm_version,
    password_shown,
    user_bin,
)

WORKFLOW = EXAMPLES / "ci" / "github-actions.yml"


def test_github_workflow_is_valid_against_the_github_workflow_schema():
    run = run_command([VENV_BIN / "check-jsonschema", "--builtin-schema",
                       "vendor.github-workflows", WORKFLOW], env=clean_env())
    assert run.returncode == 0, run.text + run.stderr
    workflow = load_yaml(WORKFLOW)
    assert workflow["defaults"]["run"]["shell"] == "bash"
    assert workflow["env"]["CHART"] == "spot/ocean-kubernetes-controller"
    assert workflow["env"]["CHART_REPO"] == "https://charts.spot.io"
    assert workflow["env"]["NAMESPACE"] == NAMESPACE


def test_github_pull_request_renders_never_cancel_a_deploy_waiting_its_turn():
    """GitHub keeps one pending run per concurrency group and cancels the one waiting before
    it: in the deploys' group, a pull request's render queued during a deploy would cancel the
    next push's deploy, which then never runs. Deploys share one group and are never cancelled
    half way; renders go elsewhere."""
    concurrency = load_yaml(WORKFLOW)["concurrency"]
    assert concurrency["cancel-in-progress"] is False

    def group(event_name: str, ref: str) -> str:
        return github_expression(concurrency["group"], {"event_name": event_name, "ref": ref})

    deploys = {group("push", "refs/heads/main") for _ in range(2)}
    renders = {group("pull_request", f"refs/pull/{number}/merge") for number in (7, 8)}
    assert len(deploys) == 1 and deploys.isdisjoint(renders)


@dataclass
class StepRun:
    name: str
    run: Run | None


def run_job(workflow: dict, *, home: Path, workspace: Path, event_name: str,
            secrets: dict[str, str] | None = None) -> list[StepRun]:
    """The job's steps in order, as the runner runs them (`bash --noprofile --norc -eo
    pipefail`), until one fails. The two actions are done here: checkout is the workspace the
    test prepared, setup-helm puts the local helm of the pinned version on PATH. The runner
    empties its temporary directory for every job; the rest of `home` stays, as on a
    self-hosted runner."""
    runner_temp = home / "runner-temp"
    shutil.rmtree(runner_temp, ignore_errors=True)
    runner_temp.mkdir(parents=True)
    github_env, github_path = runner_temp / "github_env", runner_temp / "github_path"
    base = user_env(home, CI="true", GITHUB_ACTIONS="true", GITHUB_EVENT_NAME=event_name,
                    GITHUB_WORKSPACE=str(workspace), RUNNER_TEMP=str(runner_temp),
                    GITHUB_ENV=str(github_env), GITHUB_PATH=str(github_path))
    base.pop("OCEAN_PROXY_MESSAGES")
    # The repository's secrets; one it does not have is "" to the workflow.
    given = {"SPOTINST_TOKEN": TOKEN, "SPOTINST_PROXY_URL": PROXY_URL} if secrets is None \
        else secrets
    contexts = {"secrets": {"SPOTINST_PROXY_URL": "", "OCEAN_PROXY_URL": "", "KUBECONFIG": "",
                            **given},
                "vars": {"SPOTINST_ACCOUNT": SPOTINST["SPOTINST_ACCOUNT"],
                         "SPOTINST_CLUSTER_IDENTIFIER": SPOTINST["SPOTINST_CLUSTER_IDENTIFIER"]}}
    runs = []
    for step in job_steps(workflow, "ocean-controller", event_name=event_name, contexts=contexts):
        if step.uses:
            if step.uses.startswith("azure/setup-helm@"):
                assert step.with_["version"] == helm_version("helm3")
                with github_path.open("a") as paths:
                    print(user_bin(home / "setup-helm", "helm3"), file=paths)
            else:
                assert step.uses.startswith("actions/checkout@"), step.uses
            runs.append(StepRun(step.name, None))
            continue
        env = {**base, **workflow["env"], **step.env, **read_env_file(github_env)}
        env["PATH"] = ":".join([*read_path_file(github_path), base["PATH"]])
        script = runner_temp / f"step-{len(runs)}.sh"
        script.write_text(step.run)
        run = run_command(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                          env=env, cwd=workspace, timeout=300)
        runs.append(StepRun(step.name, run))
        if run.returncode != 0:
            break
    return runs


@pytest.fixture
def workflow_here(release_url, chart_repo) -> dict:
    """The workflow with what it downloads taken from 127.0.0.1 instead: the env entries it
    already has for that, nothing else."""
    workflow = load_yaml(WORKFLOW)
    assert workflow["env"]["OCEAN_PROXY_PLUGIN_URL"].endswith(f"/ocean-proxy-{VERSION}-helm3.tgz")
    workflow["env"]["OCEAN_PROXY_PLUGIN_URL"] = f"{release_url}/ocean-proxy-{VERSION}-helm3.tgz"
    workflow["env"]["CHART_REPO"] = chart_repo
    return workflow


def test_github_job_installs_the_plugin_checks_the_ca_and_renders_on_pull_requests(
        workflow_here, corp_ca, tmp_path):
    home = tmp_path / "runner"
    workspace = checkout(tmp_path / "workspace", corp_ca, workflow_here["env"]["CA_FILE"])
    runs = run_job(workflow_here, home=home, workspace=workspace, event_name="pull_request")

    by_name = {step.name: step.run for step in runs}
    assert all(run.returncode == 0 for run in by_name.values() if run), \
        [(name, run.stderr) for name, run in by_name.items() if run and run.returncode]
    assert "Configure cluster access" not in by_name  # deploys only
    plugin_dir = home / "runner-temp" / "helm" / "data" / "plugins" / "ocean-proxy"
    assert (plugin_dir / "bin" / "ocean-proxy-post-renderer").is_file()
    assert (plugin_dir / ".venv" / "bin" / "python").exists()
    report = by_name["Check the proxy's CA"].text
    assert "certificate 1: ok" in report and f"CN={CA_COMMON_NAME}" in report

    out = parse((home / "runner-temp" / "ocean-controller.out").read_text())
    assert_proxy_and_ca(out, corp_ca)
    render = by_name["Render (pull request) or deploy (main)"]
    assert "ocean-proxy: injected proxy" in render.stderr  # --explain, in the log
    log = "".join(run.text + run.stderr for run in by_name.values() if run)
    assert TOKEN not in log
    assert base64.b64encode(TOKEN.encode()).decode() not in log


def test_github_job_runs_again_on_a_self_hosted_runner(workflow_here, corp_ca, tmp_path):
    """A self-hosted runner keeps its home from one job to the next: the next pull request's
    job installs the plugin again and renders, rather than stop at "plugin already exists"."""
    home = tmp_path / "runner"
    workspace = checkout(tmp_path / "workspace", corp_ca, workflow_here["env"]["CA_FILE"])
    for _ in range(2):
        runs = run_job(workflow_here, home=home, workspace=workspace,
                       event_name="pull_request")
        failed = [(step.name, step.run.stderr) for step in runs
                  if step.run and step.run.returncode]
        assert failed == []
        assert_proxy_and_ca(parse((home / "runner-temp" / "ocean-controller.out").read_text()),
                            corp_ca)


def test_github_job_stops_at_the_ca_check_when_the_file_is_a_server_certificate(
        workflow_here, tmp_path):
    server = certs.leaf(certs.root("Corp Proxy Root CA"))
    workspace = checkout(tmp_path / "workspace", server.pem, workflow_here["env"]["CA_FILE"])
    runs = run_job(workflow_here, home=tmp_path / "runner", workspace=workspace,
                   event_name="pull_request")

    last = runs[-1]
    assert last.name == "Check the proxy's CA"
    assert last.run.returncode != 0
    assert "is a server certificate, not a CA" in last.run.stderr


def test_github_job_with_a_proxy_password_renders_it_from_a_secret_as_the_readme_says(
        workflow_here, corp_ca, tmp_path):
    """The proxy URL with a password in the secret the README names, SPOTINST_PROXY_URL unset:
    every container gets the proxy from Secret <fullname>-ocean-proxy, the chart's values carry
    no proxy, and the password is in no step's output."""
    home = tmp_path / "runner"
    workspace = checkout(tmp_path / "workspace", corp_ca, workflow_here["env"]["CA_FILE"])
    secrets = {"SPOTINST_TOKEN": TOKEN,
               ci_password_secret("GitHub Actions", "secret"): PASSWORD_PROXY_URL}
    runs = run_job(workflow_here, home=home, workspace=workspace, event_name="pull_request",
                   secrets=secrets)

    failed = [(step.name, step.run.stderr) for step in runs if step.run and step.run.returncode]
    assert failed == []
    assert_proxy_from_secret(parse((home / "runner-temp" / "ocean-controller.out").read_text()))
    assert password_shown("".join(step.run.text + step.run.stderr
                                  for step in runs if step.run)) == []


def test_the_readmes_helm_4_variant_names_a_helm_version_setup_helm_can_download():
    """azure/setup-helm downloads helm-<version>-linux-amd64 as given ("latest" aside): a
    range such as v4.x names no file on get.helm.sh, and the job stops at setup-helm."""
    readme = " ".join((EXAMPLES / "ci" / "README.md").read_text().split())
    named = re.search(r"Helm 4 instead: `HELM_VERSION: (\S+)`", readme)
    assert named, "the README's Helm 4 variant names the HELM_VERSION to set"
    assert named[1] == helm_version("helm4")  # a whole version, the one the tests run
