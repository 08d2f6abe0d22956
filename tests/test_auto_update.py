"""What ocean-proxy injects survives the vendor's auto-update, and every one after it.

The release is rendered by the real helm (3 and 4) and post-rendered once, as a pipeline
does. Then the controller's auto-update runs as the cluster would run it (see
auto_update_emulation), three times in a row: the Job from the ConfigMap, its env and Secret
files (with their modes) as the kubelet gives them, its script in bash, its ``helm repo
add`` through the real TLS-intercepting proxy with Basic auth (the only route out), its
``helm upgrade`` a real ``helm template`` of the next chart version run through the Job's
own post-renderer (ocean-proxy's bash-and-helm one, by path on Helm 3, as a plugin on Helm
4). After each, every container still resolves the same proxy, NO_PROXY and trust, from
objects that still exist, with no password in plain sight, and the next Job carries the
same step.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from .auto_update_emulation import Cluster, copy_chart, load_docs, run_auto_update
from .chart_render import FULLNAME, NAMESPACE, RELEASE
from .conftest import FIXTURE_CHART, Run, clean_env, ocean_proxy, post_renderer, run_command, tool
from .kubelet_view import ContainerView, container_view
from .netfixtures.fixtures import PROXY_PASSWORD, PROXY_USER
from .netfixtures.pki import SPOT_CHARTS
from .pod_sandbox import Image

CONTROLLER, LOG_SHIPPER = "ocean-kubernetes-controller", "log-shipper"
CHART = "ocean-kubernetes-controller"
CHECKSUMS = ("checksum/ca-bundle", "checksum/proxy")
CURRENT, NEXT, AFTER_NEXT, TOO_OLD = "0.1.60", "0.1.64", "0.1.74", "0.1.52"
API_SERVER = "10.96.0.1"  # kubelet_view's KUBERNETES_SERVICE_HOST
# The user's own entries, in the vendor's value shapes: they must survive next to ours.
USER_EXTRAS = {
    "extraEnv": [{"name": "CORP_TRACE", "value": "on"}],
    "extraVolumes": [{"name": "corp-extra", "secret": {"secretName": "corp-extra",
                                                       "optional": True}}],
    "extraVolumeMounts": [{"name": "corp-extra", "mountPath": "/var/run/corp"}],
    "logShipping": {"extraEnv": [{"name": "CORP_LOG_TAG", "value": "ocean"}]},
}


@dataclass(frozen=True)
class Mode:
    """How the pipeline tells ocean-proxy about the proxy and the CA."""

    name: str

    def user_values(self, proxy_url: str, ca_file: Path) -> dict[str, Any]:
        values: dict[str, Any] = {
            "spotinst": {"account": "act-123", "clusterIdentifier": "c-1", "token": "TOKEN"},
            **yaml.safe_load(yaml.safe_dump(USER_EXTRAS)),
        }
        if self.name == "zero-config":
            values["spotinst"]["proxyUrl"] = proxy_url
            values["caBundleSecret"] = {"create": True, "data": ca_file.read_text()}
        return values

    def flags(self, proxy_url: str, ca_file: Path) -> list[str]:
        if self.name == "zero-config":
            return []
        return [f"--proxy-url={proxy_url}", f"--ca-file={ca_file}"]


MODES = [Mode("zero-config"), Mode("flags")]


# helm 3.8.1: an older helm 3 built with Go 1.16 or later, as the Job's helm must be (README,
# "Which helm versions"; tests/test_older_helm.py shows an older Go failing)
@pytest.fixture(params=["helm3", "helm4", "helm3.8.1"])
def helm(request) -> Path:
    return tool(request.param)


@pytest.fixture(params=MODES, ids=lambda mode: mode.name)
def mode(request) -> Mode:
    return request.param


@pytest.fixture(scope="module")
def image(net_pki) -> Image:
    return Image(net_pki.public_roots_file.read_bytes())


@pytest.fixture
def charts(tmp_path: Path) -> dict[str, Path]:
    """The chart as published now, and the two versions the auto-updates install; the later
    one's Job writes its lists with unindented dashes, as another hand might."""
    charts = {CURRENT: FIXTURE_CHART,
              **{v: copy_chart(FIXTURE_CHART, tmp_path / "charts" / v, v)
                 for v in (NEXT, AFTER_NEXT)}}
    job = charts[AFTER_NEXT] / "templates" / "_auto-update-job.tpl"
    text = job.read_text().replace("""          env:
            - name: RELEASE_NAME
              value: {{ .Release.Name }}
          volumeMounts:
            - name: helm-data
              mountPath: /tmp
      volumes:
        - name: helm-data
          emptyDir: {}""", """          env:
          - name: RELEASE_NAME
            value: {{ .Release.Name }}
          volumeMounts:
          - name: helm-data
            mountPath: /tmp
      volumes:
      - name: helm-data
        emptyDir: {}""")
    assert "          env:\n          - name: RELEASE_NAME" in text  # the stand-in's shape held
    job.write_text(text)
    return charts


def helm_template(helm: Path, chart: Path, *values_files: Path) -> str:
    files = [arg for path in values_files for arg in ("--values", path)]
    run = run_command([helm, "template", RELEASE, chart, "--namespace", NAMESPACE, *files],
                      env=clean_env())
    assert run.returncode == 0, run.stderr
    return run.text


@dataclass
class Pipeline:
    """The user's ``helm upgrade --install ... --post-renderer ocean-proxy-post-renderer``."""

    cluster: Cluster
    stderr: str


def install(helm: Path, chart: Path, values: dict[str, Any], flags: list[str],
            tmp_path: Path, version: str = CURRENT) -> Pipeline:
    tmp_path.mkdir(parents=True, exist_ok=True)
    user_file = tmp_path / "user-values.yaml"
    user_file.write_text(yaml.safe_dump(values))
    rendered = helm_template(helm, chart, user_file)
    run = post_renderer(*flags, stdin=rendered.encode())
    assert run.returncode == 0, run.stderr
    return Pipeline(Cluster.installed(load_docs(run.text), values, version), run.stderr)


# -- what a container gets ------------------------------------------------------------


def first(env: dict[str, str], *names: str) -> str | None:
    """What Go's httpproxy and fluent-bit read: the first of the names that is not empty."""
    return next((env[n] for n in names if env.get(n)), None)


def trust_files(view: ContainerView) -> dict[str, bytes]:
    files = {}
    for mount in view.secret_mounts:
        if mount.sub_path_missing:  # an empty directory: no file of trust
            continue
        if mount.sub_path:
            files[mount.mount_path] = mount.files[mount.sub_path]
        else:
            files.update((f"{mount.mount_path}/{p}", c) for p, c in mount.files.items())
    return {path: content for path, content in files.items() if path.startswith("/etc/")}


def effective(view: ContainerView) -> dict[str, Any]:
    """The settings each TLS stack of the container ends up with, and its trust files."""
    env = view.env
    return {
        "https proxy (Go)": first(env, "HTTPS_PROXY", "https_proxy"),
        "http proxy (Go, fluent-bit)": first(env, "HTTP_PROXY", "http_proxy"),
        "no proxy": first(env, "NO_PROXY", "no_proxy"),
        "SSL_CERT_DIR": env.get("SSL_CERT_DIR"),
        "SSL_CERT_FILE": env.get("SSL_CERT_FILE"),
        "USER_ENV_CERTIFICATES": env.get("USER_ENV_CERTIFICATES"),
        "trust files": trust_files(view),
    }


def pod(cluster: Cluster) -> dict[str, Any]:
    deployment = cluster.get("Deployment")
    assert deployment is not None, "the controller's Deployment is gone"
    return deployment["spec"]["template"]


def views(cluster: Cluster) -> dict[str, ContainerView]:
    """Raises ContainerCannotStart when a Secret or ConfigMap a container needs is gone, and
    FileNotMounted when a file mounted by name is not in its Secret."""
    return {name: container_view(cluster.docs(), pod(cluster), name, namespace=NAMESPACE)
            for name in (CONTROLLER, LOG_SHIPPER)}


def assert_injected(cluster: Cluster, proxy_url: str, ca_pem: bytes) -> None:
    """The proxy with its credentials, in-cluster traffic direct, the CA for every stack."""
    for name, view in views(cluster).items():
        settings = effective(view)
        if name == CONTROLLER:
            assert settings["https proxy (Go)"] == proxy_url, name
        assert PROXY_USER in (settings["http proxy (Go, fluent-bit)"] or ""), name
        no_proxy = (settings["no proxy"] or "").split(",")
        assert {API_SERVER, ".svc", ".cluster.local"} <= set(no_proxy), name
        # where each stack reads trust: Go every directory of SSL_CERT_DIR, the log-shipper's
        # OpenSSL /etc/ssl/certs (not the CA directory it is also given)
        where = tuple(f"{d}/" for d in (settings["SSL_CERT_DIR"] or "").split(":") if d) \
            if name == CONTROLLER else ("/etc/ssl/certs/",)
        assert [path for path, content in settings["trust files"].items()
                if path.startswith(where) and ca_pem.strip() in content], (name, where)
        if name == CONTROLLER:
            assert ca_pem.strip() in view.env["USER_ENV_CERTIFICATES"].encode(), name
    for name in (CONTROLLER, LOG_SHIPPER):
        assert_unique_env(pod(cluster)["spec"], f"Deployment {name}")
    for key in CHECKSUMS:
        assert pod(cluster)["metadata"]["annotations"].get(key), key


def assert_user_extras(template: dict[str, Any], where: str) -> None:
    """Each of the user's own entries (USER_EXTRAS) is in the pod template's container the
    chart puts it in."""
    spec = template["spec"]
    containers = {c["name"]: c for c in spec["containers"]}
    controller, log_shipper = containers[CONTROLLER], containers[LOG_SHIPPER]
    wanted = [(USER_EXTRAS["extraEnv"], controller.get("env"), "extraEnv"),
              (USER_EXTRAS["extraVolumes"], spec.get("volumes"), "extraVolumes"),
              (USER_EXTRAS["extraVolumeMounts"], controller.get("volumeMounts"),
               "extraVolumeMounts"),
              (USER_EXTRAS["logShipping"]["extraEnv"], log_shipper.get("env"),
               "logShipping.extraEnv")]
    for entries, found, key in wanted:
        for entry in entries:
            assert any(holds(f, entry) for f in found or []), f"{where}: {key} lost {entry}"


def holds(found: Any, wanted: Any) -> bool:
    """``found`` is ``wanted``, or more: the fields an API server adds (``defaultMode``)."""
    if isinstance(wanted, dict):
        return isinstance(found, dict) and all(
            key in found and holds(found[key], value) for key, value in wanted.items())
    return found == wanted


def assert_unique_env(spec: dict[str, Any], where: str) -> None:
    for container in spec["containers"]:
        names = [e["name"] for e in container.get("env") or []]
        assert len(names) == len(set(names)), f"{where}: duplicate env in {names}"


def assert_no_password_in_plain_sight(cluster: Cluster) -> None:
    secrets = {PROXY_PASSWORD, quote(PROXY_PASSWORD, safe="")}
    for doc in cluster.docs():
        text = yaml.safe_dump(doc if doc["kind"] != "Secret" else
                              {"metadata": doc["metadata"], "stringData": doc.get("stringData")})
        found = [s for s in secrets if s in text]
        assert not found, f"{doc['kind']}/{doc['metadata']['name']} shows the proxy password"


def snapshot(cluster: Cluster) -> dict[str, Any]:
    annotations = pod(cluster)["metadata"]["annotations"]
    return {"containers": {name: effective(view) for name, view in views(cluster).items()},
            "checksums": {key: annotations.get(key) for key in CHECKSUMS}}


# -- the auto-update ------------------------------------------------------------------


def test_release_keeps_proxy_and_trust_through_every_auto_update(
        helm, mode, charts, image, auth_proxy, spot_origin, net_pki, tmp_path):
    proxy_url = auth_proxy.credentials_url
    ca_file, ca_pem = net_pki.corp_root_file, net_pki.corp_root.pem
    values = mode.user_values(proxy_url, ca_file)
    pipeline = install(helm, FIXTURE_CHART, values, mode.flags(proxy_url, ca_file), tmp_path)
    cluster = pipeline.cluster
    assert_injected(cluster, proxy_url, ca_pem)
    assert_no_password_in_plain_sight(cluster)
    assert_user_extras(pod(cluster), "install")
    assert "every later auto-update keeps the proxy" in pipeline.stderr
    before = snapshot(cluster)

    states = []
    for number, version in enumerate((NEXT, AFTER_NEXT, AFTER_NEXT), start=1):
        requests_before = len(spot_origin.requests)
        update = run_auto_update(cluster, helm=helm, charts=charts, version=version,
                                 image=image, workdir=tmp_path / f"auto-update-{number}")

        assert update.run.returncode == 0, (number, update.run.stderr)
        assert update.upgraded and cluster.version == version
        # its helm reached charts.spot.io through the proxy, trusting the CA; the API
        # server direct
        assert (SPOT_CHARTS, "/index.yaml") in spot_origin.requests[requests_before:], number
        job_no_proxy = first(update.view.env, "NO_PROXY", "no_proxy") or ""
        assert API_SERVER in job_no_proxy.split(",")
        assert_unique_env(update.job["spec"]["template"]["spec"], f"auto-update Job {number}")
        assert_survived(cluster, before, proxy_url, ca_pem)
        assert_user_extras(pod(cluster), f"auto-update {number}")
        # the Job printed what its post-renderer did to the next one
        assert f"({CHART}-{version}) now has ocean-proxy's proxy, CA and step" in update.run.text
        states.append(copy.deepcopy(cluster.objects))

    assert cluster.history == [CURRENT, NEXT, AFTER_NEXT, AFTER_NEXT]
    assert states[2] == states[1]  # the same chart again: nothing more, nothing less


def test_removing_ocean_proxy_leaves_no_job_that_needs_its_secrets(
        helm, charts, image, passthrough_proxy, spot_origin, net_pki, tmp_path):
    """After an auto-update, the user upgrades without ocean-proxy and deletes the Secrets the
    render named: the ConfigMap's Job is the vendor's again, and a Job the controller made
    from the patched one before still starts (its Secrets are optional) and upgrades without
    ocean-proxy's step. The proxy here passes TLS through, so the public roots suffice."""
    proxy_url, ca_file = passthrough_proxy.url, net_pki.corp_root_file
    values = MODES[1].user_values(proxy_url, ca_file)
    pipeline = install(helm, FIXTURE_CHART, values, MODES[1].flags(proxy_url, ca_file), tmp_path)
    cluster = pipeline.cluster
    first_update = run_auto_update(cluster, helm=helm, charts=charts, version=NEXT,
                                   image=image, workdir=tmp_path / "auto-update")
    assert first_update.upgraded, first_update.run.stderr
    patched = cluster.job()
    assert patched is not None and "OCEAN_PROXY_ARGS" in job_script(patched)

    user_file = tmp_path / "user-values.yaml"
    cluster.apply_upgrade(load_docs(helm_template(helm, charts[NEXT], user_file)), values, NEXT)
    namespace, names = re.search(r"'kubectl delete secret -n (\S+) ([^']+)'",
                                 pipeline.stderr).groups()
    assert namespace == NAMESPACE
    for name in names.split():
        del cluster.objects[("Secret", name)]

    plain = cluster.job()
    assert plain is not None and "ocean-proxy" not in json.dumps(plain)
    late = run_auto_update(cluster, helm=helm, charts=charts, version=AFTER_NEXT, image=image,
                           workdir=tmp_path / "late-auto-update", job=patched)
    assert late.run.returncode == 0, late.run.stderr
    assert late.upgraded and cluster.version == AFTER_NEXT
    assert "ocean-proxy-job-renderer" not in late.run.text  # the step found nothing to do


def test_values_the_jobs_helm_cannot_render_stop_the_auto_update(
        helm, charts, image, passthrough_proxy, spot_origin, net_pki, tmp_path):
    """If the Job's helm cannot render ocean-proxy's values, the Job fails before its
    'helm upgrade' and shows helm's error: an upgrade without them would take the proxy
    out of the pods."""
    proxy_url, ca_file = passthrough_proxy.url, net_pki.corp_root_file
    values = MODES[1].user_values(proxy_url, ca_file)
    cluster = install(helm, FIXTURE_CHART, values, MODES[1].flags(proxy_url, ca_file),
                      tmp_path).cluster
    kept = cluster.objects[("Secret", f"{FULLNAME}-ocean-proxy-values")]
    kept["data"]["overlay.yaml"] = base64.b64encode(b'{{ include "no-such" . }}\n').decode()

    update = run_auto_update(cluster, helm=helm, charts=charts, version=NEXT, image=image,
                             workdir=tmp_path / "auto-update")

    assert update.run.returncode != 0
    assert not update.upgraded and cluster.history == [CURRENT]
    assert "no-such" in update.run.stderr + update.run.text


def job_script(job: dict[str, Any]) -> str:
    return job["spec"]["template"]["spec"]["containers"][0]["args"][-1]


def assert_survived(cluster: Cluster, before: dict[str, Any], proxy_url: str,
                    ca_pem: bytes) -> None:
    assert_injected(cluster, proxy_url, ca_pem)
    assert_no_password_in_plain_sight(cluster)
    after = snapshot(cluster)
    for name in (CONTROLLER, LOG_SHIPPER):
        assert after["containers"][name] == before["containers"][name], name
    assert after["checksums"] == before["checksums"]


# -- ocean-proxy values -----------------------------------------------------------------


def values_overlay(helm: Path, values: dict[str, Any], flags: list[str],
                   tmp_path: Path) -> tuple[Run, Path, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    user_file = tmp_path / "user-values.yaml"
    user_file.write_text(yaml.safe_dump(values))
    secrets = tmp_path / "ocean-proxy-secrets.yaml"
    rendered = helm_template(helm, FIXTURE_CHART, user_file)
    run = ocean_proxy("values", *flags, "--values", user_file, "--secrets", secrets,
                      stdin=rendered.encode())
    return run, user_file, secrets


def test_values_overlay_gives_the_pod_specs_of_the_post_renderer(
        helm, mode, auth_proxy, net_pki, tmp_path):
    proxy_url = auth_proxy.credentials_url
    values = mode.user_values(proxy_url, net_pki.corp_root_file)
    flags = mode.flags(proxy_url, net_pki.corp_root_file)
    post_rendered = install(helm, FIXTURE_CHART, values, flags, tmp_path).cluster

    run, user_file, secrets = values_overlay(helm, values, flags, tmp_path / "values")
    assert run.returncode == 0, run.stderr
    overlay = tmp_path / "overlay.yaml"
    overlay.write_bytes(run.stdout)
    docs = load_docs(helm_template(helm, FIXTURE_CHART, user_file, overlay))
    with_values = Cluster.installed(docs, {}, CURRENT)
    with_values.apply(load_docs(secrets.read_text()))

    assert {d["kind"] for d in load_docs(secrets.read_text())} <= {"Secret"}
    assert_injected(with_values, proxy_url, net_pki.corp_root.pem)
    assert_no_password_in_plain_sight(with_values)
    assert snapshot(with_values) == snapshot(post_rendered)
    assert PROXY_PASSWORD not in run.text and quote(PROXY_PASSWORD, safe="") not in run.text


# -- what cannot be carried over ----------------------------------------------------------


def test_chart_too_old_for_an_overlay_says_what_an_auto_update_loses(
        helm, auth_proxy, net_pki, tmp_path):
    old = copy_chart(FIXTURE_CHART, tmp_path / "old", TOO_OLD)
    values = MODES[0].user_values(auth_proxy.credentials_url, net_pki.corp_root_file)
    pipeline = install(helm, old, values, [], tmp_path, TOO_OLD)

    job = pipeline.cluster.job()
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][-1]
    assert "--values /tmp/values.yaml\n" in script  # no overlay half-wired into the Job
    assert TOO_OLD in pipeline.stderr and "0.1.53" in pipeline.stderr
    assert "log-shipper" in pipeline.stderr and "auto-update" in pipeline.stderr

    user_file = tmp_path / "user.yaml"
    user_file.write_text(yaml.safe_dump(values))
    secrets = tmp_path / "secrets.yaml"
    run = ocean_proxy("values", "--secrets", secrets,
                      stdin=helm_template(helm, old, user_file).encode())
    assert_refused(run, "0.1.53")
    assert not secrets.exists()


def test_job_script_unlike_the_vendors_gets_no_overlay_and_a_warning(
        helm3, auth_proxy, net_pki, tmp_path):
    values = MODES[0].user_values(auth_proxy.credentials_url, net_pki.corp_root_file)
    user_file = tmp_path / "user.yaml"
    user_file.write_text(yaml.safe_dump(values))
    rendered = helm_template(helm3, FIXTURE_CHART, user_file).replace(
        "--values /tmp/values.yaml", "--reuse-values")

    run = post_renderer(stdin=rendered.encode())

    assert run.returncode == 0, run.stderr
    job = Cluster.installed(load_docs(run.text), values, CURRENT).job()
    assert "--reuse-values\n" in job["spec"]["template"]["spec"]["containers"][0]["args"][-1]
    assert "ocean-proxy-values" not in run.text  # no overlay Secret for a Job that cannot use it
    assert "auto-update" in run.stderr and "helm upgrade" in run.stderr

    refused = post_renderer("--auto-update=refuse", stdin=rendered.encode())
    assert_refused(refused, "auto-update")


def test_auto_update_keep_leaves_the_job_as_rendered_and_says_what_is_lost(
        helm3, auth_proxy, net_pki, tmp_path):
    values = MODES[0].user_values(auth_proxy.credentials_url, net_pki.corp_root_file)
    user_file = tmp_path / "user.yaml"
    user_file.write_text(yaml.safe_dump(values))
    rendered = helm_template(helm3, FIXTURE_CHART, user_file)
    chart_job = Cluster.installed(load_docs(rendered), values, CURRENT).job()

    run = post_renderer("--auto-update=keep", stdin=rendered.encode())

    assert run.returncode == 0, run.stderr
    assert Cluster.installed(load_docs(run.text), values, CURRENT).job() == chart_job
    assert "log-shipper" in run.stderr and "auto-update" in run.stderr


def test_values_refuses_manifests_without_the_controller_chart(helm3, tmp_path):
    secrets = tmp_path / "secrets.yaml"
    run = ocean_proxy("values", "--proxy-url", "http://proxy.corp:3128", "--secrets", secrets,
                      stdin=b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    assert_refused(run, "ocean-kubernetes-controller")
    assert not secrets.exists()


def assert_refused(run: Run, mentions: str) -> None:
    assert run.returncode != 0
    assert run.stdout == b""
    assert "Traceback" not in run.stderr
    assert mentions in run.stderr
    assert PROXY_PASSWORD not in run.stderr and quote(PROXY_PASSWORD, safe="") not in run.stderr


@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_a_chart_version_with_build_metadata_is_read_as_that_version(helm, tmp_path):
    """A chart repackaged as 0.1.60+corp.5 (a mirror's own build) is 0.1.60: helm writes its
    helm.sh/chart label as ocean-kubernetes-controller-0.1.60_corp.5 ('+' is no label
    character), and the render says and does what it does for 0.1.60 itself."""
    rebuilt = copy_chart(FIXTURE_CHART, tmp_path / "rebuilt", f"{CURRENT}+corp.5")
    runs = {}
    for chart in (FIXTURE_CHART, rebuilt):
        rendered = helm_template(tool(helm), chart)
        runs[chart] = post_renderer("--proxy-url", "http://proxy.corp:3128",
                                    stdin=rendered.encode())
        assert runs[chart].returncode == 0, runs[chart].stderr
    assert f"{CURRENT}_corp.5" in runs[rebuilt].text
    assert runs[rebuilt].stderr == runs[FIXTURE_CHART].stderr
    assert "warning" not in runs[rebuilt].stderr
