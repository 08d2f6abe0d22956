"""The stand-in chart renders with the shape of the vendor's ocean-kubernetes-controller chart.

Every other test, the demo and the benchmarks run the post-renderer against this chart, so these
tests pin down the facts it relies on (PRODUCT.md, "What the chart really renders"), rendered by
the real helm 3 and helm 4.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .chart_render import (
    CA_KEY,
    CHART_LABEL,
    CONTROLLER,
    FULLNAME,
    NAMESPACE,
    PROXY_FLAGS,
    PROXY_NAMES,
    PROXY_URL,
    RELEASE,
    TRUST_NAMES,
    VENDOR_FLAGS,
    Rendered,
    embedded_job,
    parse,
    validation_errors,
)
from .conftest import FIXTURE_CHART, clean_env, run_command


@pytest.fixture(params=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


Render = Callable[..., Rendered]


@pytest.fixture
def render(helm: Path, helm_home: dict[str, str]) -> Render:
    """helm template of the fixture chart, as the vendor's docs run it, plus extra flags."""

    def _render(*flags: str, release: str = RELEASE) -> Rendered:
        run = run_command(
            [helm, "template", release, FIXTURE_CHART, "--namespace", NAMESPACE, *flags],
            env=clean_env(**helm_home),
        )
        assert run.returncode == 0, run.stderr
        return parse(run.text)

    return _render


def self_signed_ca(common_name: str) -> tuple[bytes, bytes]:
    """A corporate CA like a TLS-intercepting proxy's: (certificate PEM, private key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture(scope="session")
def corporate_ca() -> tuple[bytes, bytes]:
    return self_signed_ca("Corp Proxy Root CA")


@pytest.fixture
def ca_file(tmp_path: Path, corporate_ca: tuple[bytes, bytes]) -> Path:
    path = tmp_path / "ca.pem"
    path.write_bytes(corporate_ca[0])
    return path


def ca_secret_data(rendered: Rendered, name: str = f"{FULLNAME}-ca-bundle",
                   key: str = CA_KEY) -> bytes:
    secret = rendered.one("Secret", name)
    assert secret["type"] == "Opaque"
    assert list(secret["data"]) == [key]
    return base64.b64decode(secret["data"][key])


# The release's objects.

def test_default_release_has_the_vendor_chart_objects(render: Render) -> None:
    rendered = render(*VENDOR_FLAGS)

    assert rendered.kinds_and_names() == {
        ("ServiceAccount", FULLNAME),
        ("ClusterRole", FULLNAME),
        ("ClusterRoleBinding", FULLNAME),
        ("Service", f"{FULLNAME}-metrics"),
        ("Secret", FULLNAME),
        ("ConfigMap", FULLNAME),
        ("ConfigMap", f"{FULLNAME}-log-shipper"),
        ("Deployment", FULLNAME),
        ("ServiceAccount", "ocean-controller-metrics-server"),
        ("ClusterRole", "system:ocean-controller-metrics-server"),
        ("ClusterRoleBinding", "system:ocean-controller-metrics-server"),
        ("ClusterRoleBinding", "ocean-controller-metrics-server:system:auth-delegator"),
        ("RoleBinding", "ocean-controller-metrics-server-auth-reader"),
        ("Service", "ocean-controller-metrics-server"),
        ("Deployment", "ocean-controller-metrics-server"),
        ("APIService", "v1beta1.metrics.k8s.io"),
    }


def test_chart_objects_carry_the_standard_labels(render: Render) -> None:
    rendered = render(*VENDOR_FLAGS)

    own = [d for d in rendered.docs if d["metadata"]["labels"]["helm.sh/chart"] == CHART_LABEL]
    assert len(own) == 8
    for doc in own:
        assert doc["metadata"]["labels"] == {
            "helm.sh/chart": CHART_LABEL,
            "app.kubernetes.io/name": "ocean-kubernetes-controller",
            "app.kubernetes.io/instance": RELEASE,
            "app.kubernetes.io/version": "2.0.70",
            "app.kubernetes.io/managed-by": "Helm",
        }, doc["kind"]
    assert rendered.pod()["metadata"]["labels"] == {
        "app.kubernetes.io/name": "ocean-kubernetes-controller",
        "app.kubernetes.io/instance": RELEASE,
    }


def test_token_and_account_are_in_the_release_secret(render: Render) -> None:
    secret = render(*VENDOR_FLAGS).one("Secret")

    assert secret["type"] == "Opaque"
    assert {k: base64.b64decode(v) for k, v in secret["data"].items()} == {
        "token": b"TOKEN", "account": b"act-123",
    }


def test_controller_reads_its_identity_from_the_secret_and_configmap(render: Render) -> None:
    rendered = render(*VENDOR_FLAGS)
    env = rendered.env(CONTROLLER)

    assert env["SPOTINST_TOKEN"]["valueFrom"] == {
        "secretKeyRef": {"name": FULLNAME, "key": "token"}}
    assert env["SPOTINST_ACCOUNT"]["valueFrom"] == {
        "secretKeyRef": {"name": FULLNAME, "key": "account"}}
    assert env["SPOTINST_CLUSTER_IDENTIFIER"]["valueFrom"] == {
        "configMapKeyRef": {"name": FULLNAME, "key": "spotinst.cluster-identifier"}}
    assert rendered.config()["spotinst.cluster-identifier"] == "cluster-1"
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}


def test_base_url_is_in_the_configmap_and_blank_when_unset(render: Render) -> None:
    assert render(*VENDOR_FLAGS).config()["base-url"] == ""  # as the vendor's chart has it

    rendered = render(*VENDOR_FLAGS, "--set", "spotinst.baseUrl=https://api.example.test")

    assert rendered.config()["base-url"] == "https://api.example.test"
    assert rendered.env(CONTROLLER)["SPOTINST_BASE_URL"]["valueFrom"] == {
        "configMapKeyRef": {"name": FULLNAME, "key": "base-url", "optional": True}}


# Proxy.

@pytest.mark.parametrize("flags", [VENDOR_FLAGS, PROXY_FLAGS], ids=["no-proxy", "proxy"])
def test_controller_gets_https_proxy_from_the_configmap(
    render: Render, flags: tuple[str, ...],
) -> None:
    rendered = render(*flags)

    assert rendered.env(CONTROLLER)["HTTPS_PROXY"] == {
        "name": "HTTPS_PROXY",
        "valueFrom": {"configMapKeyRef": {"name": FULLNAME, "key": "proxy-url", "optional": True}},
    }
    if flags == PROXY_FLAGS:
        assert rendered.config()["proxy-url"] == PROXY_URL
    else:  # the key is always there, as in the vendor's chart: blank without a proxy
        assert rendered.config()["proxy-url"] == ""


def test_no_proxy_is_only_the_api_server_when_a_proxy_is_set(render: Render) -> None:
    with_proxy = render(*PROXY_FLAGS).env(CONTROLLER)
    without_proxy = render(*VENDOR_FLAGS).env(CONTROLLER)

    assert with_proxy["NO_PROXY"] == {"name": "NO_PROXY", "value": "$(KUBERNETES_SERVICE_HOST)"}
    assert "NO_PROXY" not in without_proxy
    assert {n for n in with_proxy if n.lower() in PROXY_NAMES} == {"HTTPS_PROXY", "NO_PROXY"}


def test_proxy_credentials_sit_in_the_configmap_in_plain_text(render: Render) -> None:
    url = "http://ocean:s3cr%40t@proxy.corp:3128"
    rendered = render(*VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={url}")

    assert rendered.config()["proxy-url"] == url
    assert f'proxy-url: "{url}"' in rendered.document_text("templates/configmap.yaml")


def test_insecure_skip_tls_verify_adds_insecure_to_the_controller(render: Render) -> None:
    safe = render(*PROXY_FLAGS).container(CONTROLLER)["args"]
    unsafe = render(*PROXY_FLAGS, "--set", "spotinst.insecureSkipTLSVerify=true")

    assert "--insecure" not in safe
    assert unsafe.container(CONTROLLER)["args"] == [*safe, "--insecure"]
    assert "--insecure" not in unsafe.container("log-shipper")["args"]


# CA bundle.

def test_ca_secret_exists_only_with_create_true(render: Render, ca_file: Path) -> None:
    default = render(*PROXY_FLAGS)
    data_only = render(*PROXY_FLAGS, "--set-file", f"caBundleSecret.data={ca_file}")
    created = render(*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
                     "--set-file", f"caBundleSecret.data={ca_file}")

    assert default.find("Secret", f"{FULLNAME}-ca-bundle") is None
    assert data_only.find("Secret", f"{FULLNAME}-ca-bundle") is None
    assert ca_secret_data(created) == ca_file.read_bytes()


@pytest.mark.parametrize("create", ["false", "true"])
def test_controller_always_has_an_optional_user_env_certificates_reference(
    render: Render, create: str,
) -> None:
    env = render(*PROXY_FLAGS, "--set", f"caBundleSecret.create={create}").env(CONTROLLER)

    assert env["USER_ENV_CERTIFICATES"]["valueFrom"] == {
        "secretKeyRef": {"name": f"{FULLNAME}-ca-bundle", "key": CA_KEY, "optional": True}}


def test_ca_secret_name_and_key_follow_the_values(render: Render, ca_file: Path) -> None:
    rendered = render(
        *PROXY_FLAGS, "--set", "caBundleSecret.create=true",
        "--set", "caBundleSecret.name=corp-ca", "--set", "caBundleSecret.key=ca.crt",
        "--set-file", f"caBundleSecret.data={ca_file}",
    )

    assert ca_secret_data(rendered, "corp-ca", "ca.crt") == ca_file.read_bytes()
    assert rendered.env(CONTROLLER)["USER_ENV_CERTIFICATES"]["valueFrom"] == {
        "secretKeyRef": {"name": "corp-ca", "key": "ca.crt", "optional": True}}


def test_ca_secret_holds_whatever_was_passed_unvalidated(
    render: Render, tmp_path: Path, corporate_ca: tuple[bytes, bytes],
) -> None:
    certificate, private_key = corporate_ca
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(b"not a certificate\n")
    leaked_key = tmp_path / "key.pem"
    leaked_key.write_bytes(private_key)
    create = ("--set", "caBundleSecret.create=true")

    # --set "$(cat ca.pem)" as the vendor's docs write it: the shell drops the final newline.
    pasted = render(*create, "--set", f"caBundleSecret.data={certificate.decode().rstrip()}")
    not_pem = render(*create, "--set-file", f"caBundleSecret.data={garbage}")
    a_key = render(*create, "--set-file", f"caBundleSecret.data={leaked_key}")

    assert ca_secret_data(pasted) == certificate.rstrip(b"\n")
    assert ca_secret_data(not_pem) == b"not a certificate\n"
    assert ca_secret_data(a_key) == private_key


# Rollout.

def test_pod_checksums_cover_config_secret_and_cluster_role_but_not_the_ca(
    render: Render, ca_file: Path, tmp_path: Path,
) -> None:
    other_ca = tmp_path / "other.pem"
    other_ca.write_bytes(self_signed_ca("Another Proxy CA")[0])

    def annotations(*flags: str) -> dict[str, str]:
        return render(*flags).pod()["metadata"]["annotations"]

    with_ca = annotations(*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
                          "--set-file", f"caBundleSecret.data={ca_file}")
    other = annotations(*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
                        "--set-file", f"caBundleSecret.data={other_ca}")
    new_proxy = annotations(*VENDOR_FLAGS, "--set", "spotinst.proxyUrl=http://other:3128")
    new_token = annotations(*PROXY_FLAGS, "--set", "spotinst.token=OTHER")

    assert set(with_ca) == {"checksum/config", "checksum/secret", "checksum/cluster-role"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in with_ca.values())
    assert other == with_ca
    assert {k for k in with_ca if new_proxy[k] != with_ca[k]} == {"checksum/config"}
    assert {k for k in with_ca if new_token[k] != with_ca[k]} == {"checksum/secret"}


# Log shipper.

def test_log_shipper_has_no_proxy_and_no_ca(render: Render, ca_file: Path) -> None:
    rendered = render(*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
                      "--set-file", f"caBundleSecret.data={ca_file}")
    shipper = rendered.container("log-shipper")
    volumes = {v["name"]: v for v in rendered.pod()["spec"]["volumes"]}

    assert shipper["image"].startswith("fluent/fluent-bit:3.")
    assert set(rendered.env("log-shipper")) == {
        "SPOTINST_TOKEN", "SPOTINST_ACCOUNT", "SPOTINST_CLUSTER_IDENTIFIER"}
    assert not {n for n in rendered.env("log-shipper") if n.lower() in PROXY_NAMES}
    assert not TRUST_NAMES & set(rendered.env("log-shipper"))
    assert "envFrom" not in shipper
    assert {m["name"] for m in shipper["volumeMounts"]} == {"log-shipper-config", "logs"}
    assert all("secret" not in v for v in volumes.values())


def test_log_shipper_ships_to_the_spot_api_over_verified_tls(render: Render) -> None:
    rendered = render(*PROXY_FLAGS)
    shipper = rendered.container("log-shipper")
    conf = rendered.one("ConfigMap", f"{FULLNAME}-log-shipper")["data"]["fluent-bit.conf"]
    output = dict(
        line.split(None, 1) for line in conf.split("[OUTPUT]", 1)[1].strip().splitlines()
    )

    assert shipper["args"] == ["-c", "/fluent-bit/etc/fluent-bit.conf"]
    assert {"name": "log-shipper-config", "mountPath": "/fluent-bit/etc/",
            "readOnly": True} in shipper["volumeMounts"]
    assert {"name": "log-shipper-config",
            "configMap": {"name": f"{FULLNAME}-log-shipper"}} in rendered.pod()["spec"]["volumes"]
    assert output["Name"] == "http"
    assert (output["Host"], output["Port"]) == ("api.spotinst.io", "443")
    assert (output["tls"], output["tls.verify"]) == ("On", "On")
    assert "tls.ca_file" not in output
    assert "proxy" not in conf.lower()


def test_log_shipper_can_be_turned_off(render: Render) -> None:
    rendered = render(*PROXY_FLAGS, "--set", "logShipping.enabled=false")
    spec = rendered.pod()["spec"]

    assert [c["name"] for c in spec["containers"]] == [CONTROLLER]
    assert [v["name"] for v in spec["volumes"]] == ["tmp", "logs"]
    assert rendered.find("ConfigMap", f"{FULLNAME}-log-shipper") is None


def test_extra_values_append_to_the_controller_and_the_pod(render: Render) -> None:
    """extraEnv, extraVolumeMounts (the controller's) and extraVolumes (the pod's): lists of
    Kubernetes entries, appended after the chart's own, as in the vendor's chart."""
    rendered = render(*PROXY_FLAGS, "--set", "extraEnv[0].name=EXTRA", "--set",
                      "extraEnv[0].value=one", "--set", "extraVolumes[0].name=extra",
                      "--set", "extraVolumes[0].secret.secretName=extra",
                      "--set", "extraVolumeMounts[0].name=extra",
                      "--set", "extraVolumeMounts[0].mountPath=/etc/extra")
    controller, shipper = rendered.container(CONTROLLER), rendered.container("log-shipper")

    assert controller["env"][-1] == {"name": "EXTRA", "value": "one"}
    assert controller["volumeMounts"][-1] == {"name": "extra", "mountPath": "/etc/extra"}
    assert {"name": "extra", "secret": {"secretName": "extra"}} in rendered.pod()["spec"]["volumes"]
    assert "EXTRA" not in rendered.env("log-shipper")
    assert "/etc/extra" not in {m["mountPath"] for m in shipper["volumeMounts"]}


def test_log_shipping_extra_values_reach_only_the_log_shipper(render: Render) -> None:
    rendered = render(*PROXY_FLAGS, "--set", "logShipping.extraEnv[0].name=EXTRA",
                      "--set", "logShipping.extraEnv[0].value=x",
                      "--set", "extraVolumes[0].name=extra",
                      "--set", "extraVolumes[0].secret.secretName=extra",
                      "--set", "logShipping.extraVolumeMounts[0].name=extra",
                      "--set", "logShipping.extraVolumeMounts[0].mountPath=/etc/extra")
    shipper = rendered.container("log-shipper")

    assert shipper["env"][-1] == {"name": "EXTRA", "value": "x"}
    assert shipper["volumeMounts"][-1] == {"name": "extra", "mountPath": "/etc/extra"}
    assert "EXTRA" not in rendered.env(CONTROLLER)
    assert validation_errors(rendered.docs) == []


def test_chart_is_recent_enough_for_log_shipping_extra_values() -> None:
    """logShipping.extraEnv/.extraVolumeMounts exist since the vendor's chart 0.1.53."""
    chart = (FIXTURE_CHART / "Chart.yaml").read_text()
    version = re.search(r"^version: (\d+)\.(\d+)\.(\d+)$", chart, re.M)

    assert version and tuple(map(int, version.groups())) >= (0, 1, 53)
    assert f"version: {CHART_LABEL.rsplit('-', 1)[1]}\n" in chart


# Auto-update.

def test_auto_update_job_is_an_embedded_manifest_without_post_renderer(render: Render) -> None:
    rendered = render(*PROXY_FLAGS)
    job = embedded_job(rendered)
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    flag, script = container["args"]

    assert isinstance(rendered.config()["auto-update.job"], str)
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert job["metadata"]["name"] == f"{FULLNAME}-auto-update"
    assert pod["serviceAccountName"] == FULLNAME
    assert pod["restartPolicy"] == "Never"
    assert container["name"] == "auto-update"
    assert (container["command"], flag) == (["/bin/bash"], "-c")
    assert "post-renderer" not in script
    assert "app.kubernetes.io/name" not in job["spec"]["template"]["metadata"]["labels"]


def test_auto_update_job_runs_the_vendors_script(render: Render) -> None:
    """The vendor's three steps, their $(VAR) references expanded by the kubelet from the
    Job's env (RELEASE_NAME) and what the controller adds (CHART_VERSION, WAIT_TIMEOUT)."""
    container = embedded_job(render(*PROXY_FLAGS))["spec"]["template"]["spec"]["containers"][0]
    steps = " ".join(container["args"][1].replace("\\\n", " ").split())

    assert "helm repo add spot https://charts.spot.io && " \
           "helm get values $(RELEASE_NAME) > /tmp/values.yaml && " \
           "helm upgrade $(RELEASE_NAME) spot/ocean-kubernetes-controller " \
           "--version $(CHART_VERSION) --debug --atomic --timeout=$(WAIT_TIMEOUT) " \
           "--values /tmp/values.yaml" in steps
    assert container["env"] == [{"name": "RELEASE_NAME", "value": RELEASE}]
    assert container["volumeMounts"] == [{"name": "helm-data", "mountPath": "/tmp"}]
    assert job_volumes(render(*PROXY_FLAGS)) == [{"name": "helm-data", "emptyDir": {}}]


def job_volumes(rendered: Rendered) -> list:
    return embedded_job(rendered)["spec"]["template"]["spec"]["volumes"]


def test_auto_update_job_text_trips_naive_document_splitters(render: Render) -> None:
    text = render(*PROXY_FLAGS).document_text("templates/configmap.yaml")

    assert "\n  auto-update.job: |\n    # Generated by ocean-kubernetes-controller" in text
    assert re.search(r"^ +--- upgrading ocean-controller in spot-system ---$", text, re.M)


def test_auto_update_job_passes_schema_validation(render: Render) -> None:
    assert validation_errors([embedded_job(render(*PROXY_FLAGS))]) == []


def test_disable_auto_update_removes_the_job(render: Render) -> None:
    enabled = render(*PROXY_FLAGS).config()
    disabled = render(*PROXY_FLAGS, "--set", "spotinst.disableAutoUpdate=true").config()

    assert enabled["disable-auto-update"] == "false"
    assert "auto-update.job" in enabled
    assert disabled["disable-auto-update"] == "true"
    assert "auto-update.job" not in disabled


def test_controller_reads_the_auto_update_job_from_its_env(render: Render) -> None:
    """As the vendor's controller does: the Job text reaches it as env AUTO_UPDATE_JOB_SPEC,
    which the kubelet resolves once, when the container starts, so a ConfigMap changed under
    running pods gives them no new Job until they restart."""
    enabled = render(*PROXY_FLAGS).env(CONTROLLER)
    disabled = render(*PROXY_FLAGS, "--set", "spotinst.disableAutoUpdate=true").env(CONTROLLER)

    assert enabled["AUTO_UPDATE_JOB_SPEC"]["valueFrom"] == {
        "configMapKeyRef": {"name": FULLNAME, "key": "auto-update.job", "optional": True}}
    assert "AUTO_UPDATE_JOB_SPEC" not in disabled


# Names.

def test_name_override_changes_labels_but_not_the_container_name(render: Render) -> None:
    rendered = render(*PROXY_FLAGS, "--set", "nameOverride=spot-ocean")
    fullname = "ocean-controller-spot-ocean"
    deployment = rendered.one("Deployment", fullname)

    assert deployment["metadata"]["labels"]["app.kubernetes.io/name"] == "spot-ocean"
    assert deployment["metadata"]["labels"]["helm.sh/chart"] == CHART_LABEL
    assert rendered.pod(fullname)["metadata"]["labels"]["app.kubernetes.io/name"] == "spot-ocean"
    assert [c["name"] for c in rendered.pod(fullname)["spec"]["containers"]] == [
        CONTROLLER, "log-shipper"]
    assert rendered.one("ConfigMap", fullname)["data"]["proxy-url"] == PROXY_URL


@pytest.mark.parametrize(("release", "flags", "fullname"), [
    ("ocean-controller", (), FULLNAME),
    ("ocean-kubernetes-controller", (), "ocean-kubernetes-controller"),
    ("prod-ocean-kubernetes-controller", (), "prod-ocean-kubernetes-controller"),
    ("ocean-controller", ("--set", "fullnameOverride=spot-ocean"), "spot-ocean"),
])
def test_fullname_follows_the_helm_convention(
    render: Render, release: str, flags: tuple[str, ...], fullname: str,
) -> None:
    rendered = render(*PROXY_FLAGS, *flags, release=release)

    assert rendered.one("Deployment", fullname)
    assert rendered.one("ConfigMap", fullname)["data"]["proxy-url"] == PROXY_URL
    assert rendered.pod(fullname)["spec"]["containers"][0]["name"] == CONTROLLER


# metrics-server.

def test_metrics_server_deployment_is_separate(render: Render) -> None:
    rendered = render(*PROXY_FLAGS)
    deployment = rendered.one("Deployment", "ocean-controller-metrics-server")
    pod = rendered.pod("ocean-controller-metrics-server")

    assert deployment["metadata"]["labels"]["helm.sh/chart"] == "metrics-server-3.12.2"
    assert deployment["metadata"]["labels"]["app.kubernetes.io/name"] == "metrics-server"
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == "metrics-server"
    assert [c["name"] for c in pod["spec"]["containers"]] == ["metrics-server"]
    assert "ocean-kubernetes-controller" not in repr(pod)
    assert "env" not in pod["spec"]["containers"][0]


def test_metrics_server_name_contains_the_chart_name_when_the_release_does(
    render: Render,
) -> None:
    rendered = render(*PROXY_FLAGS, release="ocean-kubernetes-controller")

    assert rendered.one("Deployment", "ocean-kubernetes-controller-metrics-server")
    assert rendered.one("Deployment", "ocean-kubernetes-controller")


def test_metrics_server_can_be_turned_off(render: Render) -> None:
    rendered = render(*PROXY_FLAGS, "--set", "metrics-server.deployChart=false")

    assert {d["metadata"]["labels"]["helm.sh/chart"] for d in rendered.docs} == {CHART_LABEL}


# Output as helm writes it.

@pytest.mark.parametrize("flags", [
    pytest.param((), id="no-values"),
    pytest.param(PROXY_FLAGS, id="vendor-proxy"),
    pytest.param((*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
                  "--set", "spotinst.insecureSkipTLSVerify=true",
                  "--set", "spotinst.baseUrl=https://api.example.test"), id="everything-on"),
    pytest.param((*VENDOR_FLAGS, "--set", "logShipping.enabled=false",
                  "--set", "spotinst.disableAutoUpdate=true",
                  "--set", "metrics-server.deployChart=false",
                  "--set", "serviceAccount.create=false",
                  "--set", "nameOverride=spot-ocean"), id="everything-off"),
])
def test_rendered_objects_pass_schema_validation(
    render: Render, ca_file: Path, flags: tuple[str, ...],
) -> None:
    rendered = render(*flags, "--set-file", f"caBundleSecret.data={ca_file}")

    assert rendered.docs
    assert validation_errors(rendered.docs) == []


def test_output_has_source_comments_and_mixed_list_indentation(render: Render) -> None:
    deployment = render(*PROXY_FLAGS).document_text("templates/deployment.yaml")

    assert deployment.startswith("# Source: ocean-kubernetes-controller/templates/deployment.yaml")
    # Lists flush with their parent key, comments between the key and the first item...
    assert "\n      containers:\n      # controller\n      - name: ocean-kubernetes-controller\n" \
        in deployment
    assert "\n        env:\n        - name: SPOTINST_TOKEN\n" in deployment
    assert "\n      # log shipper: sends the controller's logs to the Spot API\n" in deployment
    # ...and lists indented by two under theirs.
    assert "\n        args:\n          - --metrics-bind-address=:8080\n" in deployment
    assert "\n        volumeMounts:\n          - name: tmp\n" in deployment
    assert '\n            drop: ["ALL"]\n' in deployment


def test_helm_majors_differ_only_by_blank_lines_between_documents(
    helm3: Path, helm4: Path, helm_home: dict[str, str],
) -> None:
    def template(helm: Path) -> str:
        run = run_command([helm, "template", RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE,
                           *PROXY_FLAGS], env=clean_env(**helm_home))
        assert run.returncode == 0, run.stderr
        return run.text

    from_helm3, from_helm4 = template(helm3), template(helm4)

    # helm 4 keeps the newline that ends each template file, helm 3 trims it.
    assert "\n\n---\n" not in from_helm3
    assert from_helm4.count("\n\n---\n") == from_helm4.count("\n---\n")
    assert from_helm4.replace("\n\n---\n", "\n---\n") == from_helm3


# What a post-renderer is handed: helm 3 passes helm template's text through, helm 4 does not.

FILENAME_ANNOTATION = "postrenderer.helm.sh/postrender-filename"


def recording_post_renderer(helm: Path, helm_home: dict[str, str], record: Path) -> str:
    """An identity post-renderer that keeps a copy of its input; the --post-renderer value."""
    script = record.with_suffix(".sh")
    script.write_text(f"#!/bin/sh\ntee '{record}'\n")
    script.chmod(0o755)
    if helm.name == "helm3":
        return str(script)
    plugin = Path(helm_home["HELM_PLUGINS"]) / "record-input"
    plugin.mkdir(parents=True)
    (plugin / "plugin.yaml").write_text(
        "apiVersion: v1\nname: record-input\ntype: postrenderer/v1\nruntime: subprocess\n"
        f"version: 0.1.0\nruntimeConfig:\n  platformCommand:\n    - command: {script}\n"
    )
    return "record-input"


def template_through_post_renderer(
    helm: Path, helm_home: dict[str, str], tmp_path: Path,
) -> tuple[str, str, str]:
    """(helm template's output, the post-renderer's input, helm's output through it)."""
    argv = [helm, "template", RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE, *PROXY_FLAGS]
    record = tmp_path / "post-renderer-input.yaml"
    post_renderer = recording_post_renderer(helm, helm_home, record)
    plain = run_command(argv, env=clean_env(**helm_home))
    through = run_command([*argv, "--post-renderer", post_renderer], env=clean_env(**helm_home))
    assert plain.returncode == 0, plain.stderr
    assert through.returncode == 0, through.stderr
    return plain.text, record.read_text(), through.text


def test_helm3_hands_a_post_renderer_exactly_what_helm_template_prints(
    helm3: Path, helm_home: dict[str, str], tmp_path: Path,
) -> None:
    printed, handed, output = template_through_post_renderer(helm3, helm_home, tmp_path)

    assert handed == printed
    assert output == printed


def test_helm4_hands_a_post_renderer_reserialized_documents(
    helm4: Path, helm_home: dict[str, str], tmp_path: Path,
) -> None:
    printed, handed, output = template_through_post_renderer(helm4, helm_home, tmp_path)
    handed_docs = parse(handed).docs

    # No "# Source:" comments; each document names its template in an annotation instead.
    assert "# Source:" not in handed
    assert all(FILENAME_ANNOTATION in d["metadata"]["annotations"] for d in handed_docs)
    assert {d["metadata"]["annotations"][FILENAME_ANNOTATION] for d in handed_docs} >= {
        "ocean-kubernetes-controller/templates/deployment.yaml",
        "ocean-kubernetes-controller/charts/metrics-server/templates/deployment.yaml",
    }
    # Re-serialized: comments and the embedded Job survive, list indentation does not.
    assert "\n      # controller\n      - name: ocean-kubernetes-controller\n" in handed
    assert "\n        args:\n        - --metrics-bind-address=:8080\n" in handed
    assert parse(handed).config() == parse(printed).config()
    # helm 4 takes the annotation out again, puts the comments back, and re-serializes.
    assert FILENAME_ANNOTATION not in output
    assert "# Source: ocean-kubernetes-controller/templates/deployment.yaml" in output
    assert output != printed
    assert parse(output).docs == parse(printed).docs
