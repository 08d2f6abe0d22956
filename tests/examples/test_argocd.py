"""examples/argocd: the Config Management Plugin, the sidecar's image, the repo-server patch
and the Application."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path
from urllib.parse import urlparse

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from ..chart_render import Rendered, validation_errors
from ..conftest import EXAMPLES, clean_env, run_command, tool
from ..example_tools import (
    argocd_build_env,
    cmp_command,
    cmp_plugin,
    container_env,
    dockerfile_args,
    dockerfile_copies,
    dockerfile_runs,
    load_yaml,
)
from ..plugin_harness import VERSION, ok, verified_installs
from .user import (
    FULLNAME,
    NAMESPACE,
    PASSWORD_PROXY_URL,
    TOKEN,
    assert_proxy_and_ca,
    assert_proxy_from_secret,
    fresh_user,
    password_shown,
    pasted,
    rendered,
)

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


def patched_repo_server(tmp_path: Path, patch: Path = ARGOCD / "repo-server-patch.yaml") -> dict:
    """Argo CD's repo-server Deployment with the example's patch applied by kubectl itself."""
    base = tmp_path / "argocd-repo-server.yaml"
    base.write_text(REPO_SERVER)
    run = run_command([tool("kubectl"), "patch", "--local", "-f", base, "--type", "strategic",
                       "--patch-file", patch, "-o", "yaml"], env=clean_env(HOME=str(tmp_path)))
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
    return {**image, **patch_env(home)}


def sidecar_container(patch: dict) -> dict:
    return next(c for c in patch["spec"]["template"]["spec"]["containers"]
                if c["name"] == SIDECAR)


def patch_env(home: Path, container: dict | None = None,
              secrets: dict[tuple[str, str], str] | None = None) -> dict[str, str]:
    """The sidecar's env from the repo-server patch, as the kubelet resolves it."""
    container = container or sidecar_container(load_yaml(ARGOCD / "repo-server-patch.yaml"))
    (home / "tmp").mkdir(exist_ok=True)
    return container_env(container, paths={"/tmp": home / "tmp"},
                         secrets={("spot-ocean-controller", "token"): TOKEN, **(secrets or {})})


def test_argocd_plugin_generates_the_release_with_proxy_and_ca(
        argocd_sidecar, chart_repo, corp_ca, tmp_path):
    assert_generates_the_release(argocd_sidecar, chart_repo, corp_ca, tmp_path)


def assert_generates_the_release(sidecar: dict[str, str], chart_repo: str, corp_ca: bytes,
                                 tmp_path: Path) -> None:
    """The plugin's init and generate, run in the sidecar as the CMP server runs them, render
    the Application's release with the proxy and the validated CA."""
    out, app_env, logs = generate_release(sidecar, chart_repo, corp_ca, tmp_path)
    assert_proxy_and_ca(out, corp_ca, no_proxy=tuple(app_env["NO_PROXY"].split(",")))
    # Named after the Application, in its destination namespace.
    assert out.one("Deployment", FULLNAME)["metadata"]["namespace"] == NAMESPACE
    assert "auto-update.job" not in out.config()
    assert TOKEN not in logs


# The patch's readOnlyRootFilesystem: the image (its home, where the plugin and its Python
# environment are) is read-only, the sidecar's /tmp (an emptyDir, here $HOME/tmp) is not.
READ_ONLY_IMAGE = (
    "unshare", "-m", "--propagation", "private", "sh", "-c",
    'mount --bind "$HOME/tmp" "$HOME/tmp" && mount --rbind -o ro "$HOME" "$HOME"'
    ' && ! touch "$HOME/.probe" 2>/dev/null && exec "$@"', "sh")


def test_argocd_plugin_generates_in_the_patchs_read_only_root_filesystem(
        argocd_sidecar, chart_repo, corp_ca, tmp_path):
    """The sidecar runs with readOnlyRootFilesystem: helm, the plugin and ocean-proxy's cache
    write only under /tmp (HELM_CACHE_HOME, HELM_CONFIG_HOME), and the render is the same."""
    security = sidecar_container(load_yaml(ARGOCD / "repo-server-patch.yaml"))["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    out, app_env, logs = generate_release(argocd_sidecar, chart_repo, corp_ca, tmp_path,
                                          inside=READ_ONLY_IMAGE)
    assert_proxy_and_ca(out, corp_ca, no_proxy=tuple(app_env["NO_PROXY"].split(",")))
    assert "read-only" not in logs.lower()


def generate_release(sidecar: dict[str, str], chart_repo: str, corp_ca: bytes, tmp_path: Path,
                     without_values: tuple[str, ...] = (), inside: tuple[str, ...] = (),
                     ) -> tuple[Rendered, dict, str]:
    """The plugin's init and generate as the CMP server runs them (each command after
    ``inside``), in a copy of the Application's source directory whose values.yaml lacks
    ``without_values`` (spotinst keys): the manifests, the Application's plugin env, and what
    both commands said on stderr."""
    configmap, application, _ = argocd_files()
    plugin = cmp_plugin(configmap)
    app_env = {e["name"]: e["value"] for e in application["spec"]["source"]["plugin"]["env"]}
    # The repository as the repo-server sends it: the Application's path, with the user's CA.
    app_dir = shutil.copytree(ARGOCD / application["spec"]["source"]["path"],
                              tmp_path / "repo" / application["spec"]["source"]["path"])
    (app_dir / app_env["CA_FILE"]).write_bytes(pasted(corp_ca))
    values = load_yaml(app_dir / "values.yaml")
    for key in without_values:
        del values["spotinst"][key]
    YAML(typ="safe").dump(values, app_dir / "values.yaml")
    build_env = argocd_build_env(
        application, revision="f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8", kube_version="1.31.0",
        api_versions=["v1", "apps/v1", "batch/v1"],
        env_overrides={"CHART_REPO": chart_repo})  # charts.spot.io
    env = {**sidecar, **build_env}

    init = run_command([*inside, *cmp_command(plugin["spec"]["init"])], env=env, cwd=app_dir,
                       timeout=300)
    ok(init)
    generate = run_command([*inside, *cmp_command(plugin["spec"]["generate"])], env=env,
                           cwd=app_dir, timeout=300)

    out = rendered(generate)
    # Argo CD takes every document of stdout as an object: nothing else may be there.
    assert all({"apiVersion", "kind", "metadata"} <= set(doc) for doc in out.docs)
    return out, app_env, init.stderr + generate.stderr


def _helm3_sidecar_lines() -> tuple[str, str, str]:
    """What the README says to change for Argo CD 3.4 or older (Helm 3): the plugin's install
    line and the PATH entry of its bin/, and the paragraph that says it."""
    readme = " ".join((ARGOCD / "README.md").read_text().split())
    paragraph = readme[readme.index("For Argo CD 3.4 or older"):readme.index("## Commands")]
    install = re.search(r"`RUN (helm plugin install [^`]*)`", paragraph)
    path = re.search(r"`ENV PATH=([^`:]+):\$PATH`", paragraph)
    assert install and path, paragraph
    return install[1], path[1], paragraph


def test_argocd_sidecar_for_helm3_builds_and_renders_as_the_readme_says(
        signed_release, signed_release_url, chart_repo, corp_ca, tmp_path):
    """Argo CD 3.4 and older ship Helm 3: the Dockerfile's Helm 4 install line stops the build
    with the error the README quotes, and the README's Helm 3 line and PATH entry give a
    sidecar that renders the release with the proxy and the CA."""
    install, bin_dir, paragraph = _helm3_sidecar_lines()
    tarball = f"ocean-proxy-{VERSION}-helm3.tgz"
    assert f"`{tarball}`" in paragraph
    home = tmp_path / "argocd"  # the image's /home/argocd
    image = fresh_user(home, "helm3")
    dockerfile = (ARGOCD / "Dockerfile").read_text()
    for source, destination in dockerfile_copies(dockerfile):
        shutil.copy(signed_release.dist / source, home / destination)
    build = {**image, "OCEAN_PROXY_PLUGIN_URL": f"{signed_release_url}/{tarball}"}

    [helm4_line] = [line for line in dockerfile_runs(dockerfile) if "plugin install" in line]
    refused = run_command(["sh", "-c", helm4_line], cwd=home, env=build, timeout=300)
    assert refused.returncode != 0
    assert f"`{refused.stderr.strip().splitlines()[-1]}`" in paragraph, refused.stderr

    ok(run_command(["sh", "-c", install], cwd=home, env=build, timeout=300))
    sidecar = {**image, **patch_env(home),
               "PATH": f"{bin_dir.replace('/home/argocd', str(home))}:{image['PATH']}"}
    assert_generates_the_release(sidecar, chart_repo, corp_ca, tmp_path / "app")


def _password_entries() -> list[dict]:
    """The sidecar's env entries the README gives for a proxy that needs a user and password."""
    readme = (ARGOCD / "README.md").read_text()
    part = readme[readme.index("A proxy that needs a user and password"):]
    block = re.search(r"```yaml\n(.*?)```", part, re.DOTALL)
    assert block, part[:400]
    return YAML(typ="safe").load(textwrap.dedent(block[1]))


def test_argocd_sidecar_with_a_proxy_password_as_the_readme_says(
        argocd_sidecar, chart_repo, corp_ca, tmp_path):
    """The README's two entries in place of the patch's HTTPS_PROXY, the URL in a Secret and
    proxyUrl out of values.yaml: the patch stays valid, the sidecar's own helm pull goes
    through the proxy with the password, and the pods get it from a Secret."""
    patch = load_yaml(ARGOCD / "repo-server-patch.yaml")
    container = sidecar_container(patch)
    at = next(i for i, e in enumerate(container["env"]) if e["name"] == "HTTPS_PROXY")
    container["env"][at:at + 1] = _password_entries()
    patch_file = tmp_path / "repo-server-patch.yaml"
    YAML(typ="safe").dump(patch, patch_file)
    assert validation_errors([patched_repo_server(tmp_path, patch_file)]) == []
    secret = next(e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e
                  and e["valueFrom"]["secretKeyRef"]["name"] != "spot-ocean-controller")

    home = Path(argocd_sidecar["HOME"])
    env = patch_env(home, container, {(secret["name"], secret["key"]): PASSWORD_PROXY_URL})
    assert env["HTTPS_PROXY"] == PASSWORD_PROXY_URL  # the sidecar's own helm pull
    out, _, logs = generate_release({**argocd_sidecar, **env}, chart_repo, corp_ca, tmp_path,
                                    without_values=("proxyUrl",))
    assert_proxy_from_secret(out)
    assert password_shown(logs) == []


def test_argocd_readme_deletes_the_secrets_argo_cd_keeps_with_the_application(
        argocd_sidecar, chart_repo, corp_ca, tmp_path):
    """Argo CD honours helm.sh/resource-policy: keep when an Application is deleted, and shows
    none of the plugin's stderr on success, where ocean-proxy names them: the README's command
    deletes exactly the Secrets the plugin renders with that annotation, in the Application's
    namespace."""
    out, _, _ = generate_release(argocd_sidecar, chart_repo, corp_ca, tmp_path)
    kept = {doc["metadata"]["name"] for doc in out.docs if doc["kind"] == "Secret" and
            (doc["metadata"].get("annotations") or {}).get("helm.sh/resource-policy") == "keep"}
    readme = (ARGOCD / "README.md").read_text()
    section = readme.split("## Deleting the Application", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"^kubectl -n (\S+) delete secret --ignore-not-found ((?:.|\n)*?)\n```",
                        section, re.M)
    assert command, "the README gives the command that deletes them"
    assert command[1] == NAMESPACE
    assert set(command[2].replace("\\\n", " ").split()) == kept
    assert kept == {f"{FULLNAME}-ocean-proxy", f"{FULLNAME}-ocean-proxy-ca"}
