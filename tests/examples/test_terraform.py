"""examples/terraform: the Helm provider v3 release, as the helm command line it derives."""

from __future__ import annotations

import datetime as dt
import re
import shutil

from .. import certs
from ..conftest import EXAMPLES, VENV_BIN, run_command
from ..example_tools import (
    evaluate_tf,
    load_terraform,
    terraform_resource,
    terraform_template_argv,
    terraform_variables,
)
from ..plugin_harness import ok
from .user import (
    PASSWORD_PROXY_URL,
    PROXY_URL,
    TOKEN,
    assert_proxy_and_ca,
    assert_proxy_from_secret,
    fresh_user,
    password_shown,
    pasted,
    rendered,
)

TERRAFORM = EXAMPLES / "terraform"


def test_terraform_release_uses_provider_v3_syntax_and_keeps_secrets_sensitive():
    tf = load_terraform(TERRAFORM / "main.tf")
    release = terraform_resource(tf, "helm_release", "ocean_controller")
    variables = terraform_variables(tf)
    assert tf["terraform"][0]["required_providers"][0]["helm"]["version"] == "~> 3.0"
    # v3: set, set_sensitive and postrender are attributes (lists, an object), not blocks.
    assert isinstance(release["set"], list) and isinstance(release["set_sensitive"], list)
    assert "__is_block__" not in release["postrender"]
    assert release["repository"] == "https://charts.spot.io"
    assert release["chart"] == "ocean-kubernetes-controller"
    sensitive = {item["name"] for item in release["set_sensitive"]}
    assert sensitive == {"spotinst.token", "spotinst.proxyUrl"}
    assert {item["name"] for item in release["set"]}.isdisjoint(sensitive)
    assert variables["spotinst_token"]["sensitive"] is True
    assert variables["spotinst_proxy_url"]["sensitive"] is True


def test_terraform_release_renders_with_the_post_renderer_on_helm3(chart_repo, corp_ca, tmp_path):
    tf = load_terraform(TERRAFORM / "main.tf")
    release = terraform_resource(tf, "helm_release", "ocean_controller")
    defaults = {name: spec.get("default") for name, spec in terraform_variables(tf).items()}
    tfvars = load_terraform(TERRAFORM / "terraform.tfvars.example")
    ca_file = tmp_path / "corp-proxy-ca.pem"
    ca_file.write_bytes(pasted(corp_ca))
    variables = {**defaults, **tfvars, "ca_file": str(ca_file),  # the user's CA, here
                 "spotinst_token": TOKEN, "spotinst_proxy_url": PROXY_URL}  # TF_VAR_...
    argv = terraform_template_argv(release, variables, repository=chart_repo)  # charts.spot.io

    # The provider embeds Helm 3: binary_path is looked up on PATH, where pip put it.
    env = fresh_user(tmp_path / "home", "helm3")
    env["PATH"] = f"{VENV_BIN}:{env['PATH']}"
    run = run_command(["helm", *argv], env=env, cwd=tmp_path, timeout=300)

    out = rendered(run)
    assert_proxy_and_ca(out, corp_ca)
    assert out.config()["spotinst.cluster-identifier"] == tfvars["spotinst_cluster_identifier"]
    assert "auto-update.job" not in out.config()


def test_terraform_proxy_password_goes_to_the_post_renderer_as_the_readme_says(
        chart_repo, corp_ca, tmp_path):
    """Through set_sensitive, a proxy password would stay in helm's record of the release's
    values and in the Terraform state. As the README says: spotinst_proxy_url left at its
    default, the URL exported where terraform runs, whose environment the provider's
    post-renderer inherits. Every container gets the proxy from a Secret; no --set, and
    nothing the post-renderer says, holds the password."""
    readme = " ".join((TERRAFORM / "README.md").read_text().split())
    named = re.search(r"user and password: [^.]*?`export (\w+)=", readme)
    assert named, "the README says where a proxy password goes"
    tf = load_terraform(TERRAFORM / "main.tf")
    defaults = {name: spec.get("default") for name, spec in terraform_variables(tf).items()}
    assert defaults["spotinst_proxy_url"] == ""
    ca_file = tmp_path / "corp-proxy-ca.pem"
    ca_file.write_bytes(corp_ca)
    variables = {**defaults, **load_terraform(TERRAFORM / "terraform.tfvars.example"),
                 "ca_file": str(ca_file), "spotinst_token": TOKEN}
    argv = terraform_template_argv(terraform_resource(tf, "helm_release", "ocean_controller"),
                                   variables, repository=chart_repo)

    env = fresh_user(tmp_path / "home", "helm3", **{named[1]: PASSWORD_PROXY_URL})
    env["PATH"] = f"{VENV_BIN}:{env['PATH']}"
    run = run_command(["helm", *argv], env=env, cwd=tmp_path, timeout=300)

    assert_proxy_from_secret(rendered(run))
    assert password_shown(" ".join(argv) + run.stderr) == []


def test_terraform_shows_what_ocean_proxy_says_only_when_the_apply_fails(chart_repo, tmp_path):
    """The provider runs binary_path itself (no helm above it, so nothing reaches a terminal)
    and keeps its stderr for the error of a failed apply. Run so, with the example's args: an
    expiring CA passes with its warning on that stderr, which the README says the user never
    sees; a server certificate fails with the error and hint there, nothing on stdout."""
    readme = " ".join((TERRAFORM / "README.md").read_text().split())
    assert "A successful apply shows nothing of what ocean-proxy says" in readme
    tf = load_terraform(TERRAFORM / "main.tf")
    release = terraform_resource(tf, "helm_release", "ocean_controller")
    defaults = {name: spec.get("default") for name, spec in terraform_variables(tf).items()}
    ca_file = tmp_path / "corp-proxy-ca.pem"
    variables = {**defaults, **load_terraform(TERRAFORM / "terraform.tfvars.example"),
                 "ca_file": str(ca_file), "spotinst_token": TOKEN,
                 "spotinst_proxy_url": PROXY_URL}
    env = fresh_user(tmp_path / "home", "helm3")
    argv = terraform_template_argv({**release, "postrender": None}, variables,
                                   repository=chart_repo)
    manifests = ok(run_command(["helm", *argv], env=env, cwd=tmp_path, timeout=300)).stdout
    postrender = release["postrender"]
    binary = shutil.which(evaluate_tf(postrender["binary_path"], variables), path=str(VENV_BIN))
    assert binary, "binary_path is the command pip installs"
    args = [evaluate_tf(arg, variables) for arg in postrender["args"]]

    def provider_runs(ca: bytes):
        ca_file.write_bytes(ca)
        return run_command([binary, *args], stdin=manifests, env=env, cwd=tmp_path)

    expiring = certs.root("Expiring Corp Root CA",
                          not_after=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=10))
    passed = provider_runs(expiring.pem)
    assert passed.returncode == 0 and b"checksum/ca-bundle" in passed.stdout
    assert "ocean-proxy: warning: " in passed.stderr and "in under 30 days" in passed.stderr

    refused = provider_runs(certs.leaf(certs.root()).pem)
    assert refused.returncode == 1 and refused.stdout == b""
    assert "ocean-proxy: error: " in refused.stderr and "ocean-proxy: hint: " in refused.stderr
