"""One post-renderer for every release (helmfile's ``helmDefaults.postRenderer``, a CI wrapper
around ``helm upgrade``): a release of another chart comes out of the real helm 3 and 4 as an
identity post-renderer leaves it, exit 0, with one notice on stderr, whatever the pipeline set
for the Spot releases in the environment."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from . import certs
from .conftest import FIXTURE_CHART, Run, clean_env, run_command, tool
from .plugin_harness import install_post_renderer_plugin, post_renderer_user_env

NOTICE = ("ocean-proxy: no Ocean controller in these manifests, nor another Spot agent: "
          "passed through unchanged")
PASSWORD = "Pipel1ne-Secret"
CA = certs.root("Third Party Chart CA")
IDENTITY_PLUGIN = """\
apiVersion: v1
type: postrenderer/v1
name: identity
version: 0.1.0
runtime: subprocess
runtimeConfig:
  platformCommand:
    - command: /bin/cat
"""


class HelmUser(NamedTuple):
    major: str
    binary: Path
    env: dict[str, str]
    identity: str  # the --post-renderer that hands the manifests back unchanged

    def template(self, chart: Path, *flags: str | Path, post_renderer: str,
                 **env: str) -> Run:
        return run_command([self.binary, "template", "edge", chart, "--namespace", "edge",
                            "--post-renderer", post_renderer, *flags], env={**self.env, **env})


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def helm_user(request, tmp_path_factory, release) -> HelmUser:
    """The post-renderer as each major runs it, beside an identity post-renderer (Helm 4
    re-serialises what any post-renderer returns: the same plugin type is the baseline)."""
    major = request.param
    home = tmp_path_factory.mktemp(major)
    env = post_renderer_user_env(major, home, HELM_PLUGINS=str(home / "data" / "plugins"),
                                 OCEAN_PROXY_MESSAGES="auto")
    for name in ("OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE"):
        env.pop(name)  # helm's own directories, as a user has them
    install_post_renderer_plugin(major, tool(major), release, env)
    identity = "/bin/cat"
    if major == "helm4":
        plugin = home / "data" / "plugins" / "identity"
        plugin.mkdir(parents=True)
        (plugin / "plugin.yaml").write_text(IDENTITY_PLUGIN)
        identity = "identity"
    return HelmUser(major, tool(major), env, identity)


@pytest.fixture(scope="module")
def third_party_chart(tmp_path_factory) -> Path:
    """An ingress controller and a cert-manager in one chart: CRDs, a hook Job, proxy env,
    PEM certificates in values, a ConfigMap and a Secret, a ConfigMap named like the Ocean
    controller's, a 'kind: List' and a JSON document."""
    chart = tmp_path_factory.mktemp("chart") / "third-party"
    (chart / "templates").mkdir(parents=True)
    (chart / "crds").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: third-party\nversion: 1.2.3\n")
    (chart / "ca.pem").write_bytes(CA.pem)
    (chart / "values.yaml").write_text(
        "proxy: http://egress.corp.example:3128\ncaBundleSecret:\n  create: false\n")
    (chart / "crds" / "issuers.yaml").write_text(CRD)
    (chart / "templates" / "NOTES.txt").write_text("installed {{ .Release.Name }}\n")
    (chart / "templates" / "all.yaml").write_text(TEMPLATES)
    return chart


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: issuers.cert.example.io
spec:
  group: cert.example.io
  names: {kind: Issuer, plural: issuers, singular: issuer, listKind: IssuerList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
TEMPLATES = """\
# The CA this chart trusts:
{{ .Files.Get "ca.pem" | trim | replace "\\n" "\\n# " | printf "# %s" }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-ca-bundle
type: kubernetes.io/tls
stringData:
  ca.crt: |
{{ .Files.Get "ca.pem" | indent 4 }}
data:
  userEnvCertificates.pem: {{ .Files.Get "ca.pem" | b64enc }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-ingress-controller
spec:
  selector: {matchLabels: {app: ingress}}
  template:
    metadata:
      labels: {app: ingress}
      annotations:
        checksum/config: "0123"
    spec:
      containers:
      - name: controller
        image: registry.example/ingress-nginx/controller:v1.10.0
        env:
        - name: HTTPS_PROXY
          value: {{ .Values.proxy }}
        - name: NO_PROXY
          value: 10.0.0.0/8,.svc
        - name: USER_ENV_CERTIFICATES
          valueFrom: {secretKeyRef: {name: {{ .Release.Name }}-ca-bundle, key: ca.crt}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-startupapicheck
  annotations: {helm.sh/hook: post-install, helm.sh/hook-weight: "1"}
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: check
        image: registry.example/cert-manager-startupapicheck:v1.14.0
        env: [{name: HTTPS_PROXY, value: {{ .Values.proxy }}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-ocean-kubernetes-controller
data:
  proxy-url: http://user:password@egress.corp.example:3128
  ca.pem: |
{{ .Files.Get "ca.pem" | indent 4 }}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: ingress}, spec: {ports: [{port: 443}]}}
---
{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "as-json"}, "data": {"a": "b"}}
"""


def assert_as_the_identity_leaves_it(user: HelmUser, chart: Path, *flags: str | Path,
                                     **env: str) -> str:
    """The release's manifests as the identity post-renderer's; ocean-proxy's stderr."""
    baseline = user.template(chart, *flags, post_renderer=user.identity, **env)
    assert baseline.returncode == 0, baseline.stderr
    run = user.template(chart, *flags, post_renderer="ocean-proxy-post-renderer", **env)
    assert run.returncode == 0, run.stderr
    assert run.stdout == baseline.stdout
    return run.stderr


def test_another_charts_release_is_untouched_with_one_notice(helm_user, third_party_chart):
    stderr = assert_as_the_identity_leaves_it(helm_user, third_party_chart, "--include-crds")

    assert stderr.startswith(NOTICE)
    assert stderr.count("\n") == 1, stderr


# what a Spot agent's release loads: the planning, certificates, YAML, patches, digests
LOADED_FOR_SPOT_AGENTS = {"post_renderer.render.units", "post_renderer.trust", "ruamel",
                          "jsonpatch", "hashlib"}


def modules_loaded(manifests: bytes, **env: str) -> set[str]:
    """The modules (and their top packages) the post-renderer's process imports."""
    script = Path(sys.executable).parent / "ocean-proxy-post-renderer"
    done = subprocess.run([sys.executable, "-X", "importtime", str(script)], input=manifests,
                          capture_output=True, env=clean_env(**env), check=True)
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.decode().splitlines()
               if line.startswith("import time:") and "|" in line}
    return modules | {name.split(".")[0] for name in modules}


def test_another_charts_release_loads_nothing_a_spot_agent_needs(third_party_chart, tmp_path):
    """A shared post-renderer runs for every release of a pipeline: one without a Spot agent
    is found out by the byte scan, before the planning, the certificate code and the YAML
    library are loaded, however much the environment configures for the Spot releases (a CA
    file too: read, as the README says, but not judged)."""
    flags = ("template", "edge", "--namespace", "edge", "--include-crds")
    other = run_command([tool("helm3"), *flags, third_party_chart], env=clean_env())
    spot = run_command([tool("helm3"), *flags, FIXTURE_CHART, "--set", "spotinst.token=t",
                        "--set", "spotinst.account=a", "--set", "spotinst.clusterIdentifier=c"],
                       env=clean_env())
    assert other.returncode == spot.returncode == 0, other.stderr + spot.stderr
    ca_file = tmp_path / "corp-root.pem"
    ca_file.write_bytes(certs.root("Pipeline Corp Root").pem)
    pipeline = {"OCEAN_PROXY_URL": f"http://ci:{PASSWORD}@proxy.corp:3128",
                "OCEAN_PROXY_CA_FILE": str(ca_file)}

    assert modules_loaded(other.stdout, **pipeline) & LOADED_FOR_SPOT_AGENTS == set()
    assert modules_loaded(spot.stdout, **pipeline) >= LOADED_FOR_SPOT_AGENTS


def test_the_pipelines_settings_in_the_environment_leave_another_chart_alone(
        helm_user, third_party_chart, tmp_path):
    """helmfile's users set OCEAN_PROXY_* once for every release: the ingress controller's
    release is not failed for having no Ocean controller."""
    ca_file = tmp_path / "corp-root.pem"
    ca_file.write_bytes(certs.root("Pipeline Corp Root CA").pem)

    stderr = assert_as_the_identity_leaves_it(
        helm_user, third_party_chart,
        OCEAN_PROXY_URL=f"http://ci:{PASSWORD}@proxy.corp.example:3128",
        OCEAN_PROXY_CA_FILE=str(ca_file), OCEAN_PROXY_NO_PROXY=".corp.example")

    assert stderr.startswith(NOTICE)
    assert "; not used: OCEAN_PROXY_URL, OCEAN_PROXY_CA_FILE, OCEAN_PROXY_NO_PROXY (from the " \
           "environment, for the Spot agents' releases)" in stderr
    assert stderr.count("\n") == 1, stderr
    assert PASSWORD not in stderr
    assert base64.b64encode(f"ci:{PASSWORD}".encode()).decode() not in stderr


def test_helms_own_ca_file_and_the_vendors_ca_value_say_nothing_for_another_chart(
        helm_user, third_party_chart, tmp_path):
    """The warnings for a Spot release's CA given where no pod gets it (helm's --ca-file, a
    caBundleSecret.data without create=true) are not a release of another chart's concern."""
    ca_file = tmp_path / "repo-ca.pem"
    ca_file.write_bytes(CA.pem)
    values = tmp_path / "values.yaml"
    values.write_text("caBundleSecret:\n  data: |\n" + "".join(
        f"    {line}\n" for line in CA.pem.decode().splitlines()))

    stderr = assert_as_the_identity_leaves_it(
        helm_user, third_party_chart, "--ca-file", ca_file, "-f", values,
        "--set-file", f"caBundleSecret.data={ca_file}")

    assert stderr.startswith(NOTICE)
    assert stderr.count("\n") == 1, stderr


def test_a_release_that_starts_with_a_commented_certificate_is_not_taken_for_one(
        helm_user, third_party_chart):
    """Helm 4 hands the post-renderer the stream from the first template's first line (no
    '---', no '# Source'): here the chart's comment quoting its CA, armor and all; its
    Secret and ConfigMaps hold the PEM too."""
    stderr = assert_as_the_identity_leaves_it(helm_user, third_party_chart)

    assert stderr.startswith(NOTICE)


def test_another_charts_release_makes_no_cache_key(helm_user, third_party_chart, tmp_path):
    """The certificate cache (a secret key in helm's config directory, facts in its cache
    directory) is a Spot release's: an ingress controller's release creates none of it."""
    config, cache = tmp_path / "config", tmp_path / "cache"

    assert_as_the_identity_leaves_it(helm_user, third_party_chart,
                                     HELM_CONFIG_HOME=str(config), HELM_CACHE_HOME=str(cache))

    assert not (config / "ocean-proxy").exists()
    assert not (cache / "ocean-proxy").exists()


def test_the_same_settings_on_the_command_line_still_fail_another_chart(helm_user,
                                                                       third_party_chart):
    """A flag is this release's own: given to a release without a Spot agent, it is a
    mistake said at once, not an injection silently left out."""
    run = helm_user.template(third_party_chart, "--post-renderer-args",
                             "--proxy-url=http://proxy.corp.example:3128",
                             post_renderer="ocean-proxy-post-renderer")

    assert run.returncode != 0
    assert "ocean-proxy: error: no Ocean controller workload in the manifests" in run.stderr


def test_policies_on_the_command_line_pass_another_chart_through(helm_user, third_party_chart):
    """helmDefaults.postRendererArgs with --strict and --auto-update=refuse for every release:
    they inject nothing, so the ingress controller's release goes through as the README says,
    where a setting to inject would fail it."""
    baseline = helm_user.template(third_party_chart, post_renderer=helm_user.identity)
    assert baseline.returncode == 0, baseline.stderr

    run = helm_user.template(third_party_chart, "--post-renderer-args", "--strict",
                             "--post-renderer-args", "--auto-update=refuse",
                             "--post-renderer-args", "--explain",
                             post_renderer="ocean-proxy-post-renderer")

    assert run.returncode == 0, run.stderr
    assert run.stdout == baseline.stdout
    assert run.stderr.startswith(NOTICE)


def test_a_chart_that_renders_nothing_is_no_error_where_helm_takes_it(helm_user, tmp_path):
    """A chart of only NOTES.txt (or one whose values disable everything): Helm 3 installs it
    through any post-renderer; Helm 4 refuses every post-renderer's empty output, and
    ocean-proxy says why instead of helm's 'produced empty output'."""
    chart = tmp_path / "notes-only"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: notes-only\nversion: 0.1.0\n")
    (chart / "templates" / "NOTES.txt").write_text("Visit the docs.\n")

    if helm_user.major == "helm3":
        stderr = assert_as_the_identity_leaves_it(helm_user, chart)
        assert stderr.startswith(NOTICE)
        return
    baseline = helm_user.template(chart, post_renderer=helm_user.identity)
    assert baseline.returncode != 0 and "produced empty output" in baseline.stderr
    run = helm_user.template(chart, post_renderer="ocean-proxy-post-renderer")
    assert run.returncode != 0
    assert "ocean-proxy: error: helm handed the post-renderer no manifests: the chart " \
           "renders none" in run.stderr
    assert "leave --post-renderer out of this release" in run.stderr


def test_a_chart_that_renders_nothing_with_this_releases_settings_is_said_as_such(
        helm_user, tmp_path):
    """--post-renderer-args on a release whose chart renders nothing (its values switch the
    controller off): Helm 3 ran the post-renderer, which told the user to 'check what is
    piped in, or the file given with -f', though nothing was piped and no -f given."""
    chart = tmp_path / "notes-only"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: notes-only\nversion: 0.1.0\n")
    (chart / "templates" / "NOTES.txt").write_text("Visit the docs.\n")

    run = helm_user.template(chart, "--post-renderer-args",
                             "--proxy-url=http://proxy.corp.example:3128",
                             post_renderer="ocean-proxy-post-renderer")

    assert run.returncode != 0
    assert "ocean-proxy: error: helm handed the post-renderer no manifests: the chart " \
           "renders none" in run.stderr
    # ocean-proxy's own lines: helm's wrapper around them names the post-renderer's path,
    # which may hold a "-f" of its own (a temporary folder such as /tmp/ci-fSp1)
    ours = [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy:")]
    assert ours and not any("piped" in line or "-f" in line for line in ours), run.stderr


HELMFILE = """\
helmDefaults:
  postRenderer: {post_renderer}
releases:
  - name: edge
    namespace: edge
    chart: {third_party}
  - name: ocean-controller
    namespace: spot-system
    chart: {controller}
    set:
      - {{name: spotinst.token, value: a-token}}
      - {{name: spotinst.account, value: act-12345678}}
      - {{name: spotinst.clusterIdentifier, value: prod-1}}
"""


def test_helmfile_defaults_post_render_every_release_the_spot_one_alone_changed(
        helm_user, third_party_chart, tmp_path):
    """helmfile's helmDefaults.postRenderer, the pipeline's proxy and CA exported once: the
    release of another chart comes out as the identity leaves it, the controller's gets them."""
    ca_file = tmp_path / "corp-root.pem"
    ca_file.write_bytes(certs.root("Helmfile Corp Root CA").pem)
    env = {**helm_user.env, "OCEAN_PROXY_URL": "http://proxy.corp.example:3128",
           "OCEAN_PROXY_CA_FILE": str(ca_file)}
    # helmfile writes a Chart.lock into a local chart with dependencies: a copy of ours
    controller_chart = shutil.copytree(FIXTURE_CHART, tmp_path / "controller")
    outputs = []
    for post_renderer in (helm_user.identity, "ocean-proxy-post-renderer"):
        project = tmp_path / post_renderer.strip("/").replace("/", "-")
        project.mkdir()
        (project / "helmfile.yaml").write_text(HELMFILE.format(
            post_renderer=post_renderer, third_party=third_party_chart,
            controller=controller_chart))
        run = run_command([tool("helmfile"), "--helm-binary", helm_user.binary, "template"],
                          env=env, cwd=project, timeout=300)
        assert run.returncode == 0, run.stderr
        outputs.append(run.text)

    controller = "# Source: ocean-kubernetes-controller/"
    [identity, ours] = [text.partition(controller) for text in outputs]
    assert ours[0] == identity[0]  # the release of another chart, first
    assert "checksum/ca-bundle" in ours[2] and "checksum/ca-bundle" not in identity[2]
