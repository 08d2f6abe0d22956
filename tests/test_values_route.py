"""One pod template for every route, and a release that moves between them on either helm.

The routes: the post-renderer, ``ocean-proxy values`` (a values file, and Secrets applied with
kubectl), and the vendor's auto-update run on a post-rendered release. Each stores the same
pod template, compared by meaning: env by name, mounts by path, volumes by name, the pod
annotations. The one difference that cannot be avoided is ``checksum/config`` (see
``DOCUMENTED_DIFFERENCE``).

What a route stores is what the real helm (3 and 4) renders: the post-renderer's output, or
the chart with the values file. What the namespace holds after an upgrade follows helm's
rules (``Cluster.apply_upgrade``: objects the new manifest lacks are deleted unless kept),
and helm's check before it takes over an object that already exists (``adopt``): label
``app.kubernetes.io/managed-by: Helm`` and annotations ``meta.helm.sh/release-name`` and
``meta.helm.sh/release-namespace`` naming the release, else "exists and cannot be imported
into the current release: invalid ownership metadata".
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from . import certs
from .agent_charts import LEGACY_CONTROLLER_CHART
from .auto_update_emulation import Cluster, copy_chart, load_docs, run_auto_update
from .chart_render import FULLNAME, NAMESPACE, RELEASE
from .cli_outcomes import failure
from .conftest import (
    FIXTURE_CHART,
    VENV_BIN,
    Run,
    clean_env,
    ocean_proxy,
    post_renderer,
    run_command,
)
from .kubelet_view import container_view
from .netfixtures.fixtures import PROXY_PASSWORD
from .pod_sandbox import Image
from .test_render_helm import POST_RENDERER, helm_flags_in, rendered
from .test_render_helm import helm_user as helm_user  # helm 4 with the post-renderer plugin

CURRENT, NEXT = "0.1.60", "0.1.61"
NO_LOG_SHIPPER = "0.1.31"  # charts 0.1.0 to 0.1.31: no log-shipper, but extraEnv and the rest
PROXY_URL_ERA = "0.1.3"  # the controller reads PROXY_URL, which only spotinst.proxyUrl fills
PROXY = "http://svc-ocean:p%40ss@proxy.corp.example:3128"  # fluent-bit gets a decoded copy
# checksum/config is the chart's hash of its ConfigMap's text. The post-renderer's ConfigMap
# holds the auto-update Job with the proxy (chart values cannot give the Job one), and the
# chart computes the hash from its template, which a post-renderer never sees: the two
# routes cannot agree on it, so switching routes restarts the pods once.
DOCUMENTED_DIFFERENCE = {"checksum/config"}
CHART_CHECKSUMS = {"checksum/config", "checksum/secret", "checksum/cluster-role"}
OWNERSHIP_ERROR = "exists and cannot be imported into the current release"


@pytest.fixture(params=["helm3", "helm4"])
def helm(request) -> Path:
    return request.getfixturevalue(request.param)


def user_values(ca_file: Path, zero_config: bool = True) -> dict[str, Any]:
    values: dict[str, Any] = {
        "spotinst": {"account": "act-123", "clusterIdentifier": "c-1", "token": "TOKEN"},
        "extraEnv": [{"name": "CORP_TRACE", "value": "on"}],
        "podAnnotations": {"corp.example/team": "platform"},
    }
    if zero_config:
        values["spotinst"]["proxyUrl"] = PROXY
        values["caBundleSecret"] = {"create": True, "data": ca_file.read_text()}
    return values


def flags(ca_file: Path, zero_config: bool = True) -> list[str]:
    return [] if zero_config else [f"--proxy-url={PROXY}", f"--ca-file={ca_file}"]


def helm_template(helm: Path, chart: Path, *files: Path, sets: tuple[str, ...] = ()) -> str:
    options = [arg for path in files for arg in ("--values", path)]
    options += [arg for value in sets for arg in ("--set", value)]
    run = run_command([helm, "template", RELEASE, chart, "--namespace", NAMESPACE, *options],
                      env=clean_env())
    assert run.returncode == 0, run.stderr
    return run.text


class Routes:
    """One user's chart, values and settings, rendered by each route."""

    def __init__(self, helm: Path, tmp_path: Path, values: dict[str, Any],
                 settings: list[str], chart: Path = FIXTURE_CHART,
                 sets: tuple[str, ...] = ()) -> None:
        self.helm, self.tmp_path, self.chart, self.sets = helm, tmp_path, chart, sets
        self.values, self.settings = values, settings
        self.user_file = tmp_path / "my-values.yaml"
        self.user_file.write_text(json.dumps(values))  # JSON is YAML, every string quoted

    def post_rendered(self) -> list[dict[str, Any]]:
        run = post_renderer(*self.settings, stdin=self.rendered().encode())
        assert run.returncode == 0, run.stderr
        return load_docs(run.text)

    def rendered(self, *more: Path) -> str:
        return helm_template(self.helm, self.chart, self.user_file, *more, sets=self.sets)

    def values_route(self, *extra: str) -> Run:
        """``ocean-proxy values``: the values file on stdout, the Secrets beside it."""
        return ocean_proxy("values", *self.settings, *extra, "--values", self.user_file,
                           "--secrets", self.secrets_file, stdin=self.rendered().encode())

    @property
    def secrets_file(self) -> Path:
        return self.tmp_path / "ocean-proxy-secrets.yaml"

    def with_values(self, run: Run) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """What 'helm upgrade -f my-values.yaml -f ocean-proxy-values.yaml' renders, and the
        Secrets to 'kubectl apply'."""
        assert run.returncode == 0, run.stderr
        overlay = self.tmp_path / "ocean-proxy-values.yaml"
        overlay.write_bytes(run.stdout)
        return load_docs(self.rendered(overlay)), load_docs(self.secrets_file.read_text())


# -- comparing pod templates ----------------------------------------------------------


def pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    [deployment] = [d for d in docs if d["kind"] == "Deployment"
                    and d["metadata"]["name"].endswith("ocean-kubernetes-controller")]
    return deployment["spec"]["template"]


def meaning(template: dict[str, Any], leave_out: set[str] = DOCUMENTED_DIFFERENCE
            ) -> dict[str, Any]:
    """What the kubelet acts on, without the order lists happen to have."""
    spec = template["spec"]
    annotations = template["metadata"].get("annotations") or {}
    return {
        "annotations": {k: v for k, v in annotations.items() if k not in leave_out},
        "volumes": {v["name"]: v for v in spec.get("volumes") or []},
        "containers": {c["name"]: {"env": by_key(c.get("env"), "name"),
                                   "mounts": by_key(c.get("volumeMounts"), "mountPath")}
                       for c in spec["containers"]},
    }


def by_key(entries: list[dict[str, Any]] | None, key: str) -> dict[str, Any]:
    found = [entry[key] for entry in entries or []]
    assert len(found) == len(set(found)), f"duplicate {key}: {found}"
    return {entry[key]: entry for entry in entries or []}


def assert_pods_start(objects: list[dict[str, Any]], template: dict[str, Any]) -> None:
    """Every Secret and ConfigMap key the containers need exists (else ContainerCannotStart,
    or FileNotMounted for a file mounted by name), and the controller's Go reads the proxy
    with its credentials."""
    views = {c["name"]: container_view(objects, template, c["name"], namespace=NAMESPACE)
             for c in template["spec"]["containers"]}
    env = views["ocean-kubernetes-controller"].env
    go_proxy = next(env[n] for n in ("HTTPS_PROXY", "https_proxy") if env.get(n))
    assert go_proxy == PROXY


# -- helm's side of a route change ----------------------------------------------------


def adopt(cluster: Cluster, docs: list[dict[str, Any]]) -> None:
    """Helm's check before an upgrade: an object the new manifest has, which exists but is
    not in the release yet, must carry the release's ownership metadata."""
    for doc in docs:
        key = (doc["kind"], doc["metadata"]["name"])
        live = cluster.objects.get(key)
        if live is None or key in cluster.manifest:
            continue
        labels = live["metadata"].get("labels") or {}
        annotations = live["metadata"].get("annotations") or {}
        owned = (labels.get("app.kubernetes.io/managed-by") == "Helm"
                 and annotations.get("meta.helm.sh/release-name") == RELEASE
                 and annotations.get("meta.helm.sh/release-namespace") == NAMESPACE)
        assert owned, f'{key[0]} "{key[1]}" {OWNERSHIP_ERROR}: invalid ownership metadata'


def upgrade(cluster: Cluster, docs: list[dict[str, Any]], values: dict[str, Any]) -> None:
    adopt(cluster, docs)
    cluster.apply_upgrade(docs, values, cluster.version)


# -- one shape --------------------------------------------------------------------------


@pytest.mark.parametrize("zero_config", [True, False], ids=["zero-config", "flags"])
def test_post_renderer_and_values_route_store_one_pod_template(
        helm, zero_config, net_pki, tmp_path):
    ca_file = net_pki.corp_root_file
    routes = Routes(helm, tmp_path, user_values(ca_file, zero_config),
                    flags(ca_file, zero_config))

    post_rendered = pod(routes.post_rendered())
    docs, secrets = routes.with_values(routes.values_route())

    assert meaning(pod(docs)) == meaning(post_rendered)
    assert {"checksum/ca-bundle", "checksum/proxy", "corp.example/team"} <= \
        set(meaning(post_rendered)["annotations"])
    assert_pods_start(docs + secrets, pod(docs))


def test_the_users_own_volumes_and_log_shipper_entries_survive_both_routes(
        helm, net_pki, tmp_path):
    """Helm replaces a list given in a later values file: the values route must write the
    user's own extraVolumes, extraVolumeMounts and logShipping lists (chart 0.1.53 and
    later) back beside ocean-proxy's entries, as the post-renderer keeps them."""
    values = user_values(net_pki.corp_root_file)
    values.update({
        "extraVolumes": [{"name": "corp-extra",
                          "secret": {"secretName": "corp-extra", "optional": True}}],
        "extraVolumeMounts": [{"name": "corp-extra", "mountPath": "/var/run/corp"}],
        "logShipping": {"extraEnv": [{"name": "CORP_LOG_TAG", "value": "ocean"}],
                        "extraVolumeMounts": [{"name": "corp-extra",
                                               "mountPath": "/var/run/corp-logs"}]},
    })
    routes = Routes(helm, tmp_path, values, [])

    post_rendered = pod(routes.post_rendered())
    docs, secrets = routes.with_values(routes.values_route())

    assert meaning(pod(docs)) == meaning(post_rendered)
    shape = meaning(pod(docs))
    assert "corp-extra" in shape["volumes"]
    assert "/var/run/corp" in shape["containers"]["ocean-kubernetes-controller"]["mounts"]
    log_shipper = shape["containers"]["log-shipper"]
    assert log_shipper["env"]["CORP_LOG_TAG"] == {"name": "CORP_LOG_TAG", "value": "ocean"}
    assert "/var/run/corp-logs" in log_shipper["mounts"]
    assert "HTTP_PROXY" in log_shipper["env"]  # and ocean-proxy's own entries beside them
    assert_pods_start(docs + secrets, pod(docs))


OLD_WORKAROUND = {"name": "HTTPS_PROXY", "value": "http://old-proxy:8080"}


def test_an_old_https_proxy_in_extra_env_is_left_out_by_both_routes(helm, net_pki, tmp_path):
    """Kept, the user's HTTPS_PROXY would follow the chart's own, and Kubernetes gives the
    controller the last of two: the old proxy. Helm merges no lists, so the values route must
    leave it out of the extraEnv it writes, as the post-renderer removes it."""
    values = user_values(net_pki.corp_root_file)
    values["extraEnv"].append(OLD_WORKAROUND)
    routes = Routes(helm, tmp_path, values, [])

    post_rendered = pod(routes.post_rendered())
    run = routes.values_route()
    docs, secrets = routes.with_values(run)

    assert meaning(pod(docs)) == meaning(post_rendered)  # each variable once (by_key)
    assert "more than one proxy" in run.stderr and OLD_WORKAROUND["value"] in run.stderr
    assert OLD_WORKAROUND["value"] not in json.dumps([post_rendered, pod(docs)])
    assert "CORP_TRACE" in meaning(pod(docs))["containers"]["ocean-kubernetes-controller"]["env"]
    assert_pods_start(docs + secrets, pod(docs))


def test_values_to_post_renderer_adopts_the_secrets_and_restarts_nothing_else(
        helm, net_pki, tmp_path):
    routes = Routes(helm, tmp_path, user_values(net_pki.corp_root_file), [])
    docs, secrets = routes.with_values(routes.values_route())
    cluster = Cluster.installed(docs, routes.values, CURRENT)
    cluster.apply(secrets)  # kubectl apply, outside the release
    before = pod(cluster.docs())

    upgrade(cluster, routes.post_rendered(), routes.values)

    after = pod(cluster.docs())
    assert meaning(after) == meaning(before)
    assert_pods_start(cluster.docs(), after)
    adopted = {s["metadata"]["name"] for s in secrets} & {n for _, n in cluster.manifest}
    assert adopted, "the post-renderer's manifest takes over the Secrets of the values route"


# Strings go-yaml (helm's reader) takes for numbers or booleans when written plain.
LOOK_LIKE_NUMBERS = ["0_x1F", "+.5", "2e_5", "0b-01", "1_000", "0o17", "on", "089", ""]


def test_the_users_own_list_entries_come_back_from_helm_as_the_strings_they_are(
        helm3, net_pki, tmp_path):
    """The values file carries the user's extraEnv back, merged with ocean-proxy's entries:
    helm must read each value as the string it was, or Kubernetes refuses a number there."""
    values = user_values(net_pki.corp_root_file)
    values["extraEnv"] = [{"name": f"CORP_{n}", "value": text}
                          for n, text in enumerate(LOOK_LIKE_NUMBERS)]
    routes = Routes(helm3, tmp_path, values, [])

    docs, _ = routes.with_values(routes.values_route())

    env = {e["name"]: e.get("value") for c in pod(docs)["spec"]["containers"]
           for e in c.get("env", []) if e["name"].startswith("CORP_")}
    assert env == {f"CORP_{n}": text for n, text in enumerate(LOOK_LIKE_NUMBERS)}


def test_post_renderer_to_values_keeps_what_the_pods_read(helm, net_pki, tmp_path):
    routes = Routes(helm, tmp_path, user_values(net_pki.corp_root_file), [])
    cluster = Cluster.installed(routes.post_rendered(), routes.values, CURRENT)
    before = pod(cluster.docs())

    docs, secrets = routes.with_values(routes.values_route())
    cluster.apply(secrets)
    upgrade(cluster, docs, routes.values)

    after = pod(cluster.docs())
    assert meaning(after) == meaning(before)
    assert_pods_start(cluster.docs(), after)


def test_post_renderer_to_values_keeps_the_secrets_even_before_kubectl_apply(
        helm, net_pki, tmp_path):
    routes = Routes(helm, tmp_path, user_values(net_pki.corp_root_file), [])
    cluster = Cluster.installed(routes.post_rendered(), routes.values, CURRENT)

    docs, _ = routes.with_values(routes.values_route())
    upgrade(cluster, docs, routes.values)

    assert_pods_start(cluster.docs(), pod(cluster.docs()))


@pytest.fixture(scope="module")
def image(net_pki) -> Image:
    return Image(net_pki.public_roots_file.read_bytes())


@pytest.mark.parametrize("extra_env", ["", "old-https-proxy", "ca-in-extra-env"])
def test_the_auto_update_leaves_the_pod_template_the_post_renderer_stored(
        helm, image, net_pki, auth_proxy, spot_origin, tmp_path, extra_env):
    """Also with an old HTTPS_PROXY in the release's extraEnv, or the proxy's CA written
    there after an outdated caBundleSecret.data (Kubernetes gives the controller the last of
    the two), which the Job's helm reads back with 'helm get values': its merge leaves them
    out, as the post-renderer did."""
    values = user_values(net_pki.corp_root_file)
    values["spotinst"]["proxyUrl"] = auth_proxy.credentials_url
    if extra_env == "old-https-proxy":
        values["extraEnv"].append(OLD_WORKAROUND)
    if extra_env == "ca-in-extra-env":
        values["caBundleSecret"]["data"] = certs.root("Retired Proxy Root").pem.decode()
        values["extraEnv"].append({"name": "USER_ENV_CERTIFICATES",
                                   "value": net_pki.corp_root_file.read_text()})
    routes = Routes(helm, tmp_path, values, [])
    cluster = Cluster.installed(routes.post_rendered(), values, CURRENT)
    before = pod(cluster.docs())
    charts = {CURRENT: FIXTURE_CHART,
              NEXT: copy_chart(FIXTURE_CHART, tmp_path / "charts" / NEXT, NEXT)}

    update = run_auto_update(cluster, helm=helm, charts=charts, version=NEXT, image=image,
                             workdir=tmp_path / "auto-update")

    assert update.upgraded, update.run.stderr
    # the chart's own checksums cover objects labelled with the chart version: a new chart
    # version restarts the pods whatever the route
    assert meaning(pod(cluster.docs()), CHART_CHECKSUMS) == meaning(before, CHART_CHECKSUMS)


# -- what the values route serves, and what it refuses --------------------------------


def test_a_chart_without_log_shipper_is_served_with_the_post_renderers_pod_template(
        helm, net_pki, tmp_path):
    chart = copy_chart(FIXTURE_CHART, tmp_path / "chart", NO_LOG_SHIPPER)
    routes = Routes(helm, tmp_path, user_values(net_pki.corp_root_file), [], chart=chart,
                    sets=("logShipping.enabled=false",))

    run = routes.values_route()
    docs, secrets = routes.with_values(run)

    assert "logShipping" not in yaml.safe_load(run.stdout)
    assert [c["name"] for c in pod(docs)["spec"]["containers"]] == \
        ["ocean-kubernetes-controller"]
    assert meaning(pod(docs)) == meaning(pod(routes.post_rendered()))
    assert_pods_start(docs + secrets, pod(docs))


def test_the_values_are_the_controllers_when_its_chart_renders_the_network_client_first(
        helm3, net_pki, tmp_path):
    """With ocean-network-client.deployChart=true the controller chart renders the network
    client's DaemonSet too, reading the controller's Secret and ConfigMap, and helm writes
    DaemonSets before Deployments: the values and Secrets are still the controller's."""
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [],
                    sets=("ocean-network-client.deployChart=true",))

    run = routes.values_route()

    docs, secrets = routes.with_values(run)
    assert meaning(pod(docs)) == meaning(pod(routes.post_rendered()))
    assert_pods_start(docs + secrets, pod(docs))
    # no chart value gives the network client a proxy: the post-renderer does, and that is said
    [said] = [line for line in run.stderr.splitlines()
              if f"DaemonSet/{RELEASE}-ocean-network-client" in line]
    assert said.startswith("ocean-proxy: warning: ") and "--post-renderer" in said


def test_values_that_would_leave_the_exporter_the_chart_renders_without_proxy_are_refused(
        helm3, net_pki, tmp_path):
    """With ocean-metric-exporter.deployChart=true the exporter is in the controller's release
    and reads PROXY_URL from its ConfigMap, which the values blank: no chart value gives it
    the proxy again, and it would lose the one the vendor's command gave it."""
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [],
                    sets=("ocean-metric-exporter.deployChart=true",))

    run = routes.values_route()

    error, hint = failure(run)
    assert f"Deployment/{RELEASE}-ocean-metric-exporter" in error and "PROXY_URL" in error
    assert "--post-renderer ocean-proxy-post-renderer" in hint
    assert not routes.secrets_file.exists()
    assert PROXY_PASSWORD not in run.stderr and quote(PROXY_PASSWORD) not in run.stderr


def test_values_with_the_proxy_from_flags_beside_the_exporter_the_chart_renders_are_written(
        helm3, net_pki, tmp_path):
    """The proxy from --proxy-url, the chart's spotinst.proxyUrl empty (the README's way to
    keep a password out of --set): the exporter the chart renders had no proxy to lose. The
    values are written, and the exporter is named as getting no proxy from chart values."""
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file, zero_config=False),
                    flags(net_pki.corp_root_file, zero_config=False),
                    sets=("ocean-metric-exporter.deployChart=true",))

    run = routes.values_route()

    assert run.returncode == 0, run.stderr
    docs, _ = routes.with_values(run)
    assert pod(docs)["spec"]["containers"]  # the controller's values render
    said = [line for line in run.stderr.splitlines()
            if f"Deployment/{RELEASE}-ocean-metric-exporter" in line]
    assert len(said) == 1 and "no proxy" in said[0] and "warning" in said[0], run.stderr
    assert PROXY_PASSWORD not in run.stderr and quote(PROXY_PASSWORD) not in run.stderr
    assert PROXY_PASSWORD not in run.stdout.decode()


@pytest.mark.parametrize("version, says", [(PROXY_URL_ERA, "PROXY_URL"), ("0.1.52", "0.1.53")])
def test_charts_whose_values_cannot_carry_it_are_refused_with_the_reason(
        helm3, net_pki, tmp_path, version, says):
    chart = copy_chart(FIXTURE_CHART, tmp_path / "chart", version)
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [], chart=chart)

    run = routes.values_route()

    assert run.returncode != 0 and run.stdout == b""
    assert says in run.stderr and "post-renderer" in run.stderr
    assert "Traceback" not in run.stderr and PROXY_PASSWORD not in run.stderr
    assert not routes.secrets_file.exists()


def test_a_chart_without_its_label_is_refused_for_the_proxy_url_its_controller_reads(
        helm3, tmp_path):
    """The stand-in of charts 0.1.0 to 0.1.3 renders no helm.sh/chart label: the controller's
    PROXY_URL says what the chart is, as it does for the post-renderer's notice."""
    rendered = run_command([helm3, "template", RELEASE, LEGACY_CONTROLLER_CHART, "--namespace",
                            NAMESPACE, "--set", "spotinst.account=act-1", "--set",
                            "spotinst.clusterIdentifier=c-1", "--set", "spotinst.token=TOKEN"],
                           env=clean_env(HOME=str(tmp_path)))
    assert rendered.returncode == 0, rendered.stderr
    assert b"helm.sh/chart" not in rendered.stdout

    run = ocean_proxy("values", "--proxy-url", f"http://alice:{quote(PROXY_PASSWORD)}@proxy.corp:3128",
                      "--secrets", tmp_path / "secrets.yaml", stdin=rendered.stdout)

    assert run.returncode == 1 and run.stdout == b""
    assert "gives the controller PROXY_URL, which only spotinst.proxyUrl fills" in run.stderr
    assert "label" not in run.stderr and PROXY_PASSWORD not in run.stderr
    assert not (tmp_path / "secrets.yaml").exists()


@pytest.mark.parametrize("read_by", [
    "--values", "--filename", "the config file", "a CA file from --ca-file",
    "a CA file from OCEAN_PROXY_CA_FILE", "a CA file from config file"])
def test_secrets_may_not_replace_a_file_the_run_reads(read_by, helm3, net_pki, tmp_path):
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [])
    manifests = tmp_path / "manifests.yaml"
    manifests.write_text(routes.rendered())
    ca = tmp_path / "corp-ca.pem"
    ca.write_bytes(net_pki.corp_root_file.read_bytes())
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text("noProxy: [.corp.example]\n"
                      + ("caFiles: [corp-ca.pem]\n" if read_by.endswith("config file") else ""))
    flags = ["--ca-file", ca] if read_by.endswith("--ca-file") else []
    env = clean_env(OCEAN_PROXY_CONFIG=str(config))  # the config file from the environment
    if read_by.endswith("OCEAN_PROXY_CA_FILE"):
        env["OCEAN_PROXY_CA_FILE"] = str(ca)
    named = {"--values": routes.user_file, "--filename": manifests,
             "the config file": config}.get(read_by, ca)
    before = named.read_bytes()

    run = ocean_proxy("values", "--values", routes.user_file, "--filename", manifests, *flags,
                      "--secrets", named, env=env)

    assert run.returncode == 2 and run.stdout == b"", run.stderr
    assert f"--secrets names a file this run reads ({read_by}" in run.stderr
    assert named.read_bytes() == before


def test_secrets_may_not_go_to_the_file_standard_output_goes_to(helm3, net_pki, tmp_path):
    import subprocess

    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [])
    both = tmp_path / "out.yaml"
    with both.open("wb") as stdout:  # as '--secrets out.yaml > out.yaml' in a shell
        run = subprocess.run([VENV_BIN / "ocean-proxy", "values", "--values", routes.user_file,
                              "--secrets", both], input=routes.rendered().encode(),
                             stdout=stdout, stderr=subprocess.PIPE, env=clean_env(), check=False)
    assert run.returncode == 2 and both.read_bytes() == b""
    assert b"--secrets names the file standard output goes to" in run.stderr


def test_the_secrets_carry_helms_ownership_of_the_release_and_keep(helm3, net_pki, tmp_path):
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [])

    run = routes.values_route()
    secrets = load_docs(routes.secrets_file.read_text())
    again = routes.values_route("--release", "ocean", "--namespace", "spot")
    moved = load_docs(routes.secrets_file.read_text())

    assert run.returncode == 0 and again.returncode == 0, run.stderr + again.stderr
    assert f"release '{RELEASE}' in namespace '{NAMESPACE}'" in run.stderr
    assert "--set spotinst.proxyUrl" in run.stderr  # would beat the values file's blank one
    for secret, other in zip(secrets, moved, strict=True):
        assert secret["metadata"]["namespace"] == NAMESPACE
        assert secret["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        assert secret["metadata"]["annotations"] == {
            "helm.sh/resource-policy": "keep", "meta.helm.sh/release-name": RELEASE,
            "meta.helm.sh/release-namespace": NAMESPACE,
            "argocd.argoproj.io/sync-options": "Prune=false",
            "argocd.argoproj.io/compare-options": "IgnoreExtraneous"}
        assert other["metadata"]["namespace"] == "spot"
        assert other["metadata"]["annotations"]["meta.helm.sh/release-name"] == "ocean"


def test_a_release_name_helm_would_refuse_is_refused(helm3, net_pki, tmp_path):
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [])

    run = routes.values_route("--release", "Ocean_Controller")

    assert run.returncode != 0 and run.stdout == b""
    assert "--release" in run.stderr and "Traceback" not in run.stderr
    assert not routes.secrets_file.exists()


@pytest.mark.parametrize("flag, value", [
    ("--namespace", "spot.system"),  # a namespace is a DNS label: no '.'
    ("--namespace", "s" * 64),  # at most 63 characters
    ("--release", "r" * 54),  # helm takes release names of at most 53
])
def test_a_namespace_or_release_kubernetes_or_helm_would_refuse_is_refused(
        helm3, net_pki, tmp_path, flag, value):
    """Such a name was taken, and the Secrets written for it: kubectl then refused them, or
    helm the release they were to be adopted into."""
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [])

    run = routes.values_route(flag, value)

    assert run.returncode != 0 and run.stdout == b""
    assert flag in run.stderr and "Traceback" not in run.stderr
    assert not routes.secrets_file.exists()


def test_values_run_again_on_a_render_with_its_own_values_says_so_and_writes_nothing(
        helm3, net_pki, tmp_path):
    """Rendered with the previous ocean-proxy values, the proxy is read from our Secret, which
    helm does not render: written again, the values would silently lose the proxy."""
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [])
    overlay = tmp_path / "ocean-proxy-values.yaml"
    overlay.write_bytes(routes.values_route().stdout)
    routes.secrets_file.unlink()

    again = ocean_proxy("values", "--values", routes.user_file, "--secrets", routes.secrets_file,
                        stdin=routes.rendered(overlay).encode())

    assert again.returncode != 0 and again.stdout == b""
    assert "rendered with ocean-proxy's chart values already" in again.stderr
    assert "without the previous ocean-proxy values file" in again.stderr
    assert not routes.secrets_file.exists()
    assert "Traceback" not in again.stderr and PROXY_PASSWORD not in again.stderr


def test_helm_given_the_hint_renders_the_values_the_release_keeps_after_an_auto_update(
        helm_user, net_pki, tmp_path):
    """Once the auto-update ran, the release's values are ocean-proxy's, which leave the proxy
    in a Secret no render holds: 'helm upgrade --reuse-values' is refused (the Job would go
    without the proxy), and the hint said the flag as only the post-renderer's own command
    line takes it. Given to helm as the hint says, the release renders with its proxy."""
    routes = Routes(helm_user.binary, tmp_path, user_values(net_pki.corp_root_file), [])
    overlay = tmp_path / "ocean-proxy-values.yaml"
    overlay.write_bytes(routes.values_route().stdout)
    flags = ("--values", routes.user_file, "--values", overlay, *POST_RENDERER)

    refused = helm_user.template(*flags)

    assert refused.returncode != 0 and "the auto-update Job would go without it" in \
        refused.stderr, refused.stderr
    hint = next(line for line in refused.stderr.splitlines() if "hint: give the proxy" in line)
    given = helm_user.template(*flags, *helm_flags_in(hint, URL=PROXY))
    assert given.returncode == 0, given.stderr
    kept = rendered(given).one("Secret", f"{FULLNAME}-ocean-proxy")
    assert base64.b64decode(kept["data"]["proxy-url"]).decode() == PROXY


def test_values_refuse_the_auto_update_job_while_it_is_on(helm3, net_pki, tmp_path):
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [])
    refused = routes.values_route("--auto-update=refuse")
    assert refused.returncode != 0 and refused.stdout == b""
    assert "auto-update policy 'refuse' from --auto-update" in refused.stderr

    assert "auto-update Job has no proxy" in routes.values_route().stderr
    off = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file), [],
                 sets=("spotinst.disableAutoUpdate=true",))
    run = off.values_route("--auto-update=refuse")
    assert run.returncode == 0 and "auto-update Job has no proxy" not in run.stderr


def test_with_a_ca_alone_the_auto_update_messages_name_the_ca_the_job_lacks(
        helm3, net_pki, tmp_path):
    """Behind a transparent proxy (a CA alone) the Job needs no proxy: it reaches
    charts.spot.io and fails there on the CA, which chart values never give it."""
    routes = Routes(helm3, tmp_path, user_values(net_pki.corp_root_file, zero_config=False),
                    [f"--ca-file={net_pki.corp_root_file}"])

    run = routes.values_route()

    assert run.returncode == 0, run.stderr
    assert "auto-update Job has no CA of its own" in run.stderr
    assert "the post-renderer gives the Job the CA" in run.stderr
    assert "no proxy" not in run.stderr
    refused = routes.values_route("--auto-update=refuse")
    assert refused.returncode != 0 and refused.stdout == b""
    assert "chart values give it no CA (auto-update policy 'refuse'" in refused.stderr
    assert "which gives the Job the CA" in refused.stderr
