"""Every Spot agent behind the proxy, through the real helm 3 and 4 with
``--post-renderer``: the metric exporter, the network client, the PROXY_URL-era controller,
and the exporter installed beside a post-rendered controller. Each container is judged by
what the kubelet would give it, across every release in its namespace."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from . import certs, test_pod_proof, test_render_helm
from .agent_charts import (
    CONTROLLER_CHART,
    CONTROLLER_FULLNAME,
    CONTROLLER_RELEASE,
    EXPORTER,
    EXPORTER_CHART,
    IN_CLUSTER,
    LEGACY_CONTROLLER_CHART,
    NAMESPACE,
    NETWORK_CLIENT,
    NETWORK_CLIENT_CHART,
    NETWORK_CLIENT_NAMESPACE,
    NO_CONTROLLER_EXTRAS,
    POST_RENDERER,
    PROXY_VARS,
    SPOT_FLAGS,
    connect_status,
    exporter_beside_controller,
    helm_template,
    plain_texts,
    post_renderer_args,
    rendered,
    view,
    workload,
)
from .chart_render import parse
from .conftest import clean_env, post_renderer
from .kubelet_view import ContainerView
from .test_pod_proof import Traffic, assert_pulled_through_the_proxy, go_pull

helm_user = test_render_helm.helm_user  # helm 3 with the script on PATH, helm 4 with the plugin
image = test_pod_proof.image  # trusts the public roots alone
discovered_ca = test_pod_proof.discovered_ca  # what 'ocean-proxy discover-ca' finds

PASSWORD = "s3cret-Pw"
PROXY = f"http://alice:{PASSWORD}@proxy.corp:3128"



def template(user, release: str, chart: Path, *flags, namespace: str = NAMESPACE):
    return helm_template(user.binary, user.env, release, chart, *flags, namespace=namespace)


def assert_behind_the_proxy(container: ContainerView, url: str) -> None:
    for name in PROXY_VARS:
        if (container.name, name) == ("ocean-kubernetes-controller", "HTTPS_PROXY") and \
                not container.env.get(name):
            # the chart's, reading the ConfigMap key blanked as the chart's values leave it:
            # Go takes the first of HTTPS_PROXY and https_proxy that is not empty
            continue
        assert container.env[name] == url, f"{container.name}: {name}"
    for name in ("NO_PROXY", "no_proxy"):
        entries = container.env[name].split(",")
        assert all(host in entries for host in IN_CLUSTER), f"{container.name}: {entries}"


def assert_rolls_on_changes(document: dict) -> None:
    annotations = document["spec"]["template"]["metadata"]["annotations"]
    assert {"checksum/proxy", "checksum/ca-bundle"} <= set(annotations)
    assert PASSWORD not in repr(annotations)


# -- the metric exporter ------------------------------------------------------------------


def test_standalone_metric_exporter_gets_proxy_credentials_and_ca_from_the_flags(
        helm_user, ca_file, corp_root):
    run = template(helm_user, "exporter", EXPORTER_CHART, *SPOT_FLAGS, *POST_RENDERER,
                   *post_renderer_args(f"--proxy-url={PROXY}", f"--ca-file={ca_file}"))
    out = rendered(run)
    kind, name, container = EXPORTER
    exporter = view(out.docs, kind, name, container)

    assert exporter.env["PROXY_URL"] == PROXY  # what the exporter's own HTTP client reads
    assert_behind_the_proxy(exporter, PROXY)
    assert exporter.env["USER_ENV_CERTIFICATES"] == corp_root.pem.decode()
    assert PASSWORD not in plain_texts(out.docs)
    assert all(d["metadata"]["namespace"] == NAMESPACE for d in out.docs
               if d["kind"] in ("Secret", "ConfigMap"))
    assert_rolls_on_changes(workload(out.docs, kind, name))
    # its CA directory holds CA files only: the chart's Secret with the Spot token is not
    # written to, nor mounted as the CA directory
    files = {path: content for mount in exporter.secret_mounts
             for path, content in mount.files.items()}
    assert files and not [path for path, content in files.items() if b"TOKEN" in content]
    chart_only = rendered(template(helm_user, "exporter", EXPORTER_CHART, *SPOT_FLAGS))
    assert out.find("Secret", "ocean-metric-exporter") == \
        chart_only.find("Secret", "ocean-metric-exporter")
    # its ConfigMap holds no proxy URL: no copy of the password for agents reading one
    assert {(k, n) for k, n in out.kinds_and_names() if k == "Secret"} == {
        ("Secret", "ocean-metric-exporter"), ("Secret", f"{name}-ocean-proxy"),
        ("Secret", f"{name}-ocean-proxy-ca")}
    assert "without its credentials" not in run.stderr


def test_standalone_exporter_without_flags_passes_through_and_says_which_flags_it_needs(helm3):
    """Its chart refers to a CA key its Secret may not hold: no CA, not a refused one."""
    chart_output = helm_template(helm3, clean_env(), "exporter", EXPORTER_CHART, *SPOT_FLAGS)
    run = post_renderer(stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    assert run.stdout == chart_output.stdout
    assert "--proxy-url" in run.stderr and "--ca-file" in run.stderr
    # the controller chart's value: the exporter's chart has none, and helm would take
    # '--set spotinst.proxyUrl=...' on this release without a word, changing nothing
    assert "spotinst.proxyUrl" not in run.stderr
    assert "its chart has no proxy value" in run.stderr
    # its Secrets of ours are not kept (helm deletes them with the next upgrade): no delete
    # line to follow, which would name Secrets that are gone
    assert "ran with ocean-proxy before" not in run.stderr and "kubectl delete" not in run.stderr
    with_proxy = post_renderer(f"--proxy-url={PROXY}", stdin=chart_output.stdout)
    assert with_proxy.returncode == 0, with_proxy.stderr
    assert "ocean-proxy: injected proxy" in with_proxy.stderr


def test_standalone_exporter_with_a_proxy_alone_is_told_no_ca_is_configured(helm3, ca_file):
    """As the controller and the network client are: its pod trusts the public roots alone,
    and a proxy that inspects TLS breaks it. Its chart has no caBundleSecret values (the CA
    Secret it reads, by name, no release renders), so the notice names discover-ca only."""
    chart_output = helm_template(helm3, clean_env(), "exporter", EXPORTER_CHART, *SPOT_FLAGS)
    run = post_renderer(f"--proxy-url={PROXY}", stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    assert "ocean-proxy: no CA bundle configured: fine if the proxy does not inspect TLS" in \
        run.stderr
    assert "discover-ca" in run.stderr and "caBundleSecret" not in run.stderr
    with_ca = post_renderer(f"--proxy-url={PROXY}", f"--ca-file={ca_file}",
                            stdin=chart_output.stdout)
    assert with_ca.returncode == 0, with_ca.stderr
    assert "no CA bundle configured" not in with_ca.stderr


def test_an_exporter_reading_the_controllers_ca_secret_is_not_told_no_ca_is_configured(helm3):
    """Next to the controller of another release, the exporter reads the controller's CA
    Secret: the CA is configured, or not, in that release, whose render says so."""
    chart_output = helm_template(helm3, clean_env(), "exporter", EXPORTER_CHART,
                                 *exporter_beside_controller())
    run = post_renderer(f"--proxy-url={PROXY}", stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    assert "no CA bundle configured" not in run.stderr


@pytest.mark.parametrize("ca_secret", [
    ("caBundleSecretName", "corp-ca"),
    ("oceanController.caBundleSecretName", f"{CONTROLLER_FULLNAME}-ca-bundle"),
], ids=["users-own", "controllers"])
def test_a_standalone_exporter_reading_a_ca_secret_of_another_release_is_not_told_no_ca(
        helm3, ca_secret):
    """Standalone, but its CA read from a Secret its release does not render (one of the
    user's, or the controller's): a CA may well be there, as for the exporter next to the
    controller."""
    value, name = ca_secret
    chart_output = helm_template(helm3, clean_env(), "exporter", EXPORTER_CHART, *SPOT_FLAGS,
                                 "--set", f"{value}={name}")
    assert f"name: {name}\n" in chart_output.text
    run = post_renderer(f"--proxy-url={PROXY}", stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    assert "no CA bundle configured" not in run.stderr


def test_a_ca_added_to_the_exporters_token_secret_is_not_mounted_with_the_token(helm3, ca_file):
    """Its Secret holds the token; a CA key put in it (kustomize, an umbrella chart) is read,
    but the pods' CA directory comes from a Secret of ours, with CA files only."""
    chart_output = helm_template(helm3, clean_env(), "exporter", EXPORTER_CHART, *SPOT_FLAGS)
    docs = parse(chart_output.text).docs
    secret = next(d for d in docs if d["kind"] == "Secret")
    ca = Path(ca_file).read_bytes()
    secret["data"]["userEnvCertificates.pem"] = base64.b64encode(ca).decode()
    manifests = "".join(f"---\n{yaml.safe_dump(d)}" for d in docs).encode()
    run = post_renderer(f"--proxy-url={PROXY}", stdin=manifests)
    assert run.returncode == 0, run.stderr
    out = parse(run.text).docs
    assert next(d for d in out if d["kind"] == "Secret" and d["metadata"]["name"] ==
                secret["metadata"]["name"]) == secret  # nothing written into it
    kind, name, container = EXPORTER
    exporter = view(out, kind, name, container)
    files = {path: content for mount in exporter.secret_mounts
             for path, content in mount.files.items()}
    assert files and not [path for path, content in files.items() if b"TOKEN" in content]
    assert any(ca.strip() in content for content in files.values())


def test_a_proxy_url_era_controller_keeps_the_full_url_for_the_exporter(helm3):
    """The exporter reads the controller's ConfigMap; its post-render takes the proxy from
    Secret '<ConfigMap>-ocean-proxy', which the controller's render writes beside it, even
    when the URL came from --proxy-url and the ConfigMap has none."""
    chart_output = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, LEGACY_CONTROLLER_CHART,
                                 *SPOT_FLAGS)
    run = post_renderer("--proxy-url=http://proxy.corp:3128", stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    assert ("Secret", f"{CONTROLLER_FULLNAME}-ocean-proxy") in {
        (d["kind"], d["metadata"]["name"]) for d in parse(run.text).docs}


def test_post_rendering_the_exporter_twice_changes_nothing(helm3, ca_file):
    once = helm_template(helm3, clean_env(), "exporter", EXPORTER_CHART, *SPOT_FLAGS)
    args = (f"--proxy-url={PROXY}", f"--ca-file={ca_file}")
    first = post_renderer(*args, stdin=once.stdout)
    assert first.returncode == 0, first.stderr
    second = post_renderer(*args, stdin=first.stdout)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


def test_post_rendering_an_exporter_beside_the_controller_twice_changes_nothing(helm3):
    """Once post-rendered, the exporter reads its proxy from the Secret the controller's
    render writes, which its own release never renders: read again, that is the same
    contract, not a setting out of sight (which --strict refused)."""
    chart_only = helm_template(helm3, clean_env(), "exporter", EXPORTER_CHART,
                               *exporter_beside_controller())
    first = post_renderer("--strict", stdin=chart_only.stdout)
    assert first.returncode == 0, first.stderr
    assert f"{CONTROLLER_FULLNAME}-ocean-proxy" in first.text

    second = post_renderer("--strict", stdin=first.stdout)

    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "warning" not in second.stderr
    assert "post-render the controller's release first" in second.stderr
    # the Secret never comes where the controller has no proxy and no CA: the way out is named
    assert "in a cluster without a proxy, where it never will, install this release without " \
        "--post-renderer" in second.stderr


# -- the network client -------------------------------------------------------------------


def test_network_client_gets_proxy_and_trust_in_its_own_namespace(helm_user, ca_file, corp_root):
    out = rendered(template(helm_user, "network-client", NETWORK_CLIENT_CHART, *POST_RENDERER,
                            *post_renderer_args(f"--proxy-url={PROXY}", f"--ca-file={ca_file}")))
    kind, name, container = NETWORK_CLIENT
    client = view(out.docs, kind, name, container)  # fails when a Secret is in another namespace

    assert_behind_the_proxy(client, PROXY)
    cert_dirs = client.env["SSL_CERT_DIR"].split(":")  # Go reads these besides its bundle
    assert any(corp_root.pem in content for mount in client.secret_mounts
               if mount.mount_path in cert_dirs for content in mount.files.values())
    assert {d["metadata"]["namespace"] for d in out.docs
            if d["kind"] == "Secret"} == {NETWORK_CLIENT_NAMESPACE}
    assert PASSWORD not in plain_texts(out.docs)
    assert_rolls_on_changes(workload(out.docs, kind, name))


def test_network_client_without_flags_passes_through_and_says_which_flags_it_needs(helm3):
    chart_output = helm_template(helm3, clean_env(), "network-client", NETWORK_CLIENT_CHART)
    run = post_renderer(stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    assert run.stdout == chart_output.stdout
    assert "ocean-network-client" in run.stderr
    assert "--proxy-url" in run.stderr and "--ca-file" in run.stderr


def test_network_client_with_a_proxy_alone_is_not_told_of_chart_ca_values_it_lacks(helm3):
    """The controller's no-CA notice names caBundleSecret.create=true; this chart has no CA
    values at all, so its notice sends the user to discover-ca only."""
    chart_output = helm_template(helm3, clean_env(), "network-client", NETWORK_CLIENT_CHART)
    run = post_renderer(f"--proxy-url={PROXY}", stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    assert "no CA bundle configured" in run.stderr
    assert "caBundleSecret" not in run.stderr


# -- the PROXY_URL-era controller (charts 0.1.0 to 0.1.3) ---------------------------------


def test_proxy_url_era_controller_without_a_ca_is_told_the_ca_flag_as_helm_takes_it(
        helm_user, tmp_path):
    """Charts 0.1.0 to 0.1.3 have no CA values: the notice names --ca-file, and the form helm
    passes it in; given to helm so, the release renders with the CA, and no notice."""
    flags = (*SPOT_FLAGS, "--set", f"spotinst.proxyUrl={PROXY}", *POST_RENDERER)
    run = template(helm_user, CONTROLLER_RELEASE, LEGACY_CONTROLLER_CHART, *flags)
    [notice] = [said for said in test_render_helm.messages(run.stderr)
                if "has no CA values" in said]
    root = certs.root("Legacy Corp Root CA").pem
    (tmp_path / "ca.pem").write_bytes(root)
    given = [flag.replace("=ca.pem", f"={tmp_path / 'ca.pem'}")
             for flag in test_render_helm.helm_flags_in(notice)]

    with_ca = template(helm_user, CONTROLLER_RELEASE, LEGACY_CONTROLLER_CHART, *flags, *given)

    assert "CA bundle" not in with_ca.stderr
    kept = [base64.b64decode(value) for doc in rendered(with_ca).docs if doc["kind"] == "Secret"
            for value in (doc.get("data") or {}).values()]
    assert any(root in bundle for bundle in kept)


def test_proxy_url_era_controller_gets_the_proxy_of_the_vendor_command(helm_user):
    out = rendered(template(helm_user, CONTROLLER_RELEASE, LEGACY_CONTROLLER_CHART, *SPOT_FLAGS,
                            "--set", f"spotinst.proxyUrl={PROXY}", *POST_RENDERER))
    controller = view(out.docs, "Deployment", CONTROLLER_FULLNAME, "ocean-kubernetes-controller")
    log_shipper = view(out.docs, "Deployment", CONTROLLER_FULLNAME, "log-shipper")

    assert controller.env["PROXY_URL"] == PROXY  # the one it reads, credentials kept
    assert_behind_the_proxy(controller, PROXY)
    assert_behind_the_proxy(log_shipper, PROXY)
    assert PASSWORD not in plain_texts(out.docs)


def test_proxy_url_era_controller_is_never_passed_through_silently(helm3):
    chart_output = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, LEGACY_CONTROLLER_CHART,
                                 *SPOT_FLAGS, "--set", f"spotinst.proxyUrl={PROXY}")
    run = post_renderer(stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    assert run.stdout != chart_output.stdout
    assert "no proxy URL" not in run.stderr
    assert PASSWORD not in run.stderr
    # the vendor's --set caBundleSecret... does nothing on 0.1.3: the CA comes with --ca-file
    assert "has no CA values (caBundleSecret came with 0.1.4)" in run.stderr
    assert "--ca-file=ca.pem" in run.stderr


# -- the exporter beside a post-rendered controller ----------------------------------------


@pytest.fixture
def controller_with_credentials(helm_user, auth_proxy, ca_file):
    """The controller's release: the vendor's command with a password in the proxy URL and
    the CA, post-rendered (its ConfigMap then holds the URL without the password)."""
    run = template(helm_user, CONTROLLER_RELEASE, CONTROLLER_CHART, *SPOT_FLAGS,
                   *NO_CONTROLLER_EXTRAS,
                   "--set", f"spotinst.proxyUrl={auth_proxy.credentials_url}",
                   "--set", "caBundleSecret.create=true",
                   "--set-file", f"caBundleSecret.data={ca_file}", *POST_RENDERER)
    return run, rendered(run)


def test_exporter_beside_a_post_rendered_controller_reaches_the_proxy_with_its_credentials(
        helm_user, controller_with_credentials, auth_proxy, corp_root):
    _, controller = controller_with_credentials
    exporter = rendered(template(helm_user, "exporter", EXPORTER_CHART,
                                 *exporter_beside_controller(), *POST_RENDERER))
    docs = controller.docs + exporter.docs
    kind, name, container = EXPORTER
    seen = view(docs, kind, name, container)

    assert seen.env["PROXY_URL"] == auth_proxy.credentials_url
    assert connect_status(seen.env["PROXY_URL"]) == 200
    # its proxy comes from the controller's release; in-cluster traffic still goes direct
    for variable in ("NO_PROXY", "no_proxy"):
        assert set(IN_CLUSTER) <= set(seen.env[variable].split(",")), seen.env[variable]
    assert seen.env["USER_ENV_CERTIFICATES"] == corp_root.pem.decode()
    controller_seen = view(docs, "Deployment", CONTROLLER_FULLNAME, "ocean-kubernetes-controller")
    # Go takes the first of HTTPS_PROXY (the chart's, its key blanked) and https_proxy
    go_proxy = controller_seen.env.get("HTTPS_PROXY") or controller_seen.env["https_proxy"]
    assert connect_status(go_proxy) == 200
    assert auth_proxy.spec.password not in plain_texts(docs)


def test_controller_render_that_strips_the_password_names_the_exporter_it_would_break(
        helm_user, controller_with_credentials, auth_proxy):
    run, controller = controller_with_credentials
    exporter = rendered(template(helm_user, "exporter", EXPORTER_CHART,
                                 *exporter_beside_controller()))  # installed as before
    seen = view(controller.docs + exporter.docs, *EXPORTER)

    # the regression, made visible: the controller's ConfigMap key is blank, as the chart's
    # values leave it (one pod template for every route), so this exporter has no proxy
    assert not seen.env.get("PROXY_URL")
    assert "ocean-metric-exporter" in run.stderr  # the render says who breaks
    assert "--post-renderer" in run.stderr  # and what to run
    assert auth_proxy.spec.password not in run.stderr


# -- each agent's client, given only its post-rendered pod spec, through a real proxy -------


def post_rendered_stream(helm3: Path, release: str, chart: Path, *flags, args=()) -> list:
    chart_output = helm_template(helm3, clean_env(), release, chart, *flags)
    assert chart_output.returncode == 0, chart_output.stderr
    run = post_renderer(*args, stdin=chart_output.stdout)
    assert run.returncode == 0, run.stderr
    return parse(run.text).docs


def test_network_client_pulls_through_the_intercepting_proxy_with_its_pod_spec(
        helm3, intercepting_proxy, discovered_ca, image, spot_origin, tmp_path):
    docs = post_rendered_stream(helm3, "network-client", NETWORK_CLIENT_CHART, args=(
        f"--proxy-url={intercepting_proxy.url}", f"--ca-file={discovered_ca}"))
    with Traffic(intercepting_proxy, spot_origin) as traffic:  # Go, like the network client
        run = go_pull(helm3, view(docs, *NETWORK_CLIENT), image, tmp_path)

    assert_pulled_through_the_proxy(run, traffic, spot_origin, tmp_path)


def test_proxy_url_era_controller_pulls_through_the_authenticating_proxy_with_its_pod_spec(
        helm3, auth_proxy, discovered_ca, image, spot_origin, tmp_path):
    docs = post_rendered_stream(
        helm3, CONTROLLER_RELEASE, LEGACY_CONTROLLER_CHART, *SPOT_FLAGS,
        "--set", f"spotinst.proxyUrl={auth_proxy.credentials_url}",
        args=(f"--ca-file={discovered_ca}",))  # 0.1.3 has no CA value: the flag brings it
    controller = view(docs, "Deployment", CONTROLLER_FULLNAME, "ocean-kubernetes-controller")
    with Traffic(auth_proxy, spot_origin) as traffic:
        run = go_pull(helm3, controller, image, tmp_path)

    assert_pulled_through_the_proxy(run, traffic, spot_origin, tmp_path)
