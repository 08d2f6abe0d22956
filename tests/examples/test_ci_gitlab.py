"""examples/ci: a GitLab CI pipeline, on Helm 4."""

from __future__ import annotations

import base64
import hashlib
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ..chart_render import parse
from ..conftest import EXAMPLES, VENV_BIN, Run, clean_env, run_command, tool
from ..example_tools import (
    gitlab_after_script,
    gitlab_job,
    gitlab_rule_matches,
    gitlab_script,
    load_yaml,
)
from ..plugin_harness import (
    CA_COMMON_NAME,
    RELEASE_PUBLIC_KEY,
    SYSTEM_PATH,
    serving,
    user_env,
    verified_installs,
)
from .user import (
    PASSWORD_PROXY_URL,
    PLUGINS,
    SPOTINST,
    TOKEN,
    assert_proxy_and_ca,
    assert_proxy_from_secret,
    checkout,
    ci_password_secret,
    helm_version,
    installed_plugins,
    password_shown,
)

GITLAB = EXAMPLES / "ci" / ".gitlab-ci.yml"
MERGE_REQUEST = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_DEFAULT_BRANCH": "main",
                 "CI_MERGE_REQUEST_IID": "7"}


def test_gitlab_pipeline_is_valid_against_the_gitlab_ci_schema():
    run = run_command([VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                       GITLAB], env=clean_env())
    assert run.returncode == 0, run.text + run.stderr
    pipeline = load_yaml(GITLAB)
    assert pipeline["variables"]["CHART"] == "spot/ocean-kubernetes-controller"
    assert pipeline["variables"]["CHART_REPO"] == "https://charts.spot.io"
    # Merge requests render, the default branch deploys, with the same script.
    assert gitlab_rule_matches(gitlab_job(pipeline, "render"), MERGE_REQUEST)
    assert not gitlab_rule_matches(gitlab_job(pipeline, "deploy"), MERGE_REQUEST)
    assert gitlab_rule_matches(gitlab_job(pipeline, "deploy"),
                               {"CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"})
    assert gitlab_script(gitlab_job(pipeline, "render")) == \
        gitlab_script(gitlab_job(pipeline, "deploy"))


def test_gitlab_deploys_run_one_at_a_time():
    """GitLab runs the pipelines of two pushes at once, and their deploy jobs with them unless
    a resource group holds one back: the README says deploys run one at a time."""
    pipeline = load_yaml(GITLAB)
    deploy, render = gitlab_job(pipeline, "deploy"), gitlab_job(pipeline, "render")
    assert deploy["resource_group"] == deploy["environment"]
    assert "resource_group" not in render  # merge requests render in parallel
    readme = " ".join((EXAMPLES / "ci" / "README.md").read_text().split())
    assert "`deploy` jobs run one at a time (`resource_group: production`)" in readme


@pytest.fixture
def helm_download(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """get.helm.sh's stand-in: the local helm 4 in the release archive's layout, and its sha256."""
    directory = tmp_path_factory.mktemp("get-helm")
    archive = directory / f"helm-{helm_version('helm4')}-linux-amd64.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(tool("helm4"), arcname="linux-amd64/helm")
    with serving(directory) as url:
        yield f"{url}/{archive.name}", hashlib.sha256(archive.read_bytes()).hexdigest()


def run_render_job(helm_download: tuple[str, str], signed_release, signed_release_url: str,
                   chart_repo: str, corp_ca: bytes, tmp_path: Path,
                   project_variables: dict[str, str], *, name: str = "render",
                   predefined: dict[str, str] = MERGE_REQUEST,
                   ) -> tuple[Run, Path, dict[str, str]]:
    """The merge request's `render` job (or `name` with the `predefined` variables of its
    pipeline), with the project's CI/CD variables; its run, the project's directory and the
    job's environment."""
    pipeline = load_yaml(GITLAB)
    job = gitlab_job(pipeline, name)
    assert gitlab_rule_matches(job, predefined)
    download_url, sha256 = helm_download
    variables = job["variables"]
    assert Path(urlparse(variables["HELM_DOWNLOAD_URL"]).path).name == Path(download_url).name
    install_dir = tmp_path / "image-path"
    install_dir.mkdir(parents=True)
    # Downloads from 127.0.0.1, with the variables the pipeline already has for them.
    variables.update(HELM_DOWNLOAD_URL=download_url, HELM_SHA256=sha256,
                     HELM_INSTALL_DIR=str(install_dir),
                     OCEAN_PROXY_RELEASE_URL=signed_release_url, CHART_REPO=chart_repo)
    variables.update(project_variables)  # a project's variable wins over the file's
    workspace = checkout(tmp_path / "project", corp_ca, variables["CA_FILE"])
    # the published key, where the pipeline names it in the project
    shutil.copy(signed_release.dist / RELEASE_PUBLIC_KEY,
                workspace / variables["OCEAN_PROXY_KEYRING"])
    home, job_tmp = tmp_path / "home", tmp_path / "tmp"
    job_tmp.mkdir()
    env = user_env(home, path=f"{install_dir}:{SYSTEM_PATH}", **variables, **predefined,
                   CI="true", GITLAB_CI="true", CI_PROJECT_DIR=str(workspace),
                   TMPDIR=str(job_tmp))
    env.pop("OCEAN_PROXY_MESSAGES")
    script = tmp_path / "job.sh"
    script.write_text(gitlab_script(job))
    return run_command(["bash", script], env=env, cwd=workspace, timeout=600), workspace, env


def test_gitlab_merge_request_job_installs_helm4_and_the_plugins_checks_the_ca_and_renders(
        helm_download, signed_release, signed_release_url, chart_repo, corp_ca, tmp_path):
    run, workspace, env = run_render_job(helm_download, signed_release, signed_release_url,
                                         chart_repo, corp_ca, tmp_path, SPOTINST)

    assert run.returncode == 0, run.text + run.stderr
    assert installed_plugins(env) == PLUGINS["helm4"]
    assert verified_installs(run) == 2
    assert "certificate 1: ok" in run.text and f"CN={CA_COMMON_NAME}" in run.text
    assert_proxy_and_ca(parse((workspace / "ocean-controller.out").read_text()), corp_ca)
    assert "ocean-proxy: injected proxy" in run.stderr
    assert TOKEN not in run.text + run.stderr
    # helm's archive went to a file of the job's own, and is gone: on a shell runner, jobs
    # running at once share /tmp, where one's download overwrote the other's mid-check.
    assert list(Path(env["TMPDIR"]).iterdir()) == []
    assert "/tmp/" not in gitlab_script(gitlab_job(load_yaml(GITLAB), "render"))
    assert base64.b64encode(TOKEN.encode()).decode() not in run.text + run.stderr


def test_gitlab_job_leaves_no_copy_of_the_token_in_the_project_directory(
        helm_download, signed_release, signed_release_url, chart_repo, corp_ca, tmp_path):
    """The rendered manifests went to ocean-controller.out in the project's directory and
    stayed there, the token in the chart's Secret, in the working copy the runner keeps for
    the project's next job. The job's after_script, which the runner runs once the script
    ends, takes them away."""
    run, workspace, env = run_render_job(helm_download, signed_release, signed_release_url,
                                         chart_repo, corp_ca, tmp_path, SPOTINST)
    assert run.returncode == 0, run.text + run.stderr
    assert (workspace / "ocean-controller.out").is_file()  # the script rendered
    after = tmp_path / "after.sh"
    after.write_text(gitlab_after_script(gitlab_job(load_yaml(GITLAB), "render")))
    ended = run_command(["bash", after], env=env, cwd=workspace)
    assert ended.returncode == 0, ended.text + ended.stderr

    forms = [TOKEN.encode(), base64.b64encode(TOKEN.encode())]
    holding = [path.relative_to(workspace) for path in workspace.rglob("*") if path.is_file()
               and any(form in path.read_bytes() for form in forms)]
    assert holding == []


def test_gitlab_job_with_a_proxy_password_renders_it_from_a_secret_as_the_readme_says(
        helm_download, signed_release, signed_release_url, chart_repo, corp_ca, tmp_path):
    """The proxy URL with a password in the variable the README names, SPOTINST_PROXY_URL
    undefined: the job renders every container with the proxy from Secret <fullname>-ocean-proxy,
    the chart's values carry no proxy, and the password is in no output of the job."""
    project = {name: value for name, value in SPOTINST.items() if name != "SPOTINST_PROXY_URL"}
    project[ci_password_secret("GitLab CI", "variable")] = PASSWORD_PROXY_URL
    run, workspace, _ = run_render_job(helm_download, signed_release, signed_release_url,
                                       chart_repo, corp_ca, tmp_path, project)

    assert run.returncode == 0, run.text + run.stderr
    assert_proxy_from_secret(parse((workspace / "ocean-controller.out").read_text()))
    assert password_shown(run.text + run.stderr) == []
