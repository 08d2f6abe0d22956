"""post_render: the whole transformation on manifest bytes, as helm hands them over."""

from __future__ import annotations

import base64
import re
import subprocess

import pytest

from post_renderer.arguments import build_post_renderer_parser
from post_renderer.errors import (
    AutoUpdateError,
    BundleError,
    ManifestError,
    TargetError,
    WorkloadConflictError,
)
from post_renderer.render.pipeline import post_render
from post_renderer.render.release.settings import read_settings
from post_renderer.render.release.workloads import WorkloadRef

from ... import certs
from ...certs import DAY, NOW
from ..chart_manifests import (
    CA_KEY,
    CA_SECRET,
    FULLNAME,
    NAMESPACE,
    NO_VALUES_SHAPE,
    ca_secret,
    configmap,
    controller,
    env_of,
    find,
    load_all,
    metric_exporter,
    metrics_server,
    release,
    secret_value,
    service,
)
from ..user_settings import user_settings

PROXY = "http://proxy.corp.example:3128"


def helm_passes(hint: str, **values: str) -> list[str]:
    """The arguments helm hands the post-renderer for a hint's '(under helm: ...)' form: each
    --post-renderer-args' value, its placeholders filled in."""
    said = re.search(r"\(under helm: ([^)]*)\)", hint)
    assert said, hint
    words = re.sub(r"\b[A-Z]{3,}\b", lambda m: values.get(m[0], m[0]), said.group(1)).split()
    assert words[::2] == ["--post-renderer-args"] * (len(words) // 2), hint
    return words[1::2]


def output(result) -> bytes:
    return b"".join(bytes(part) for part in result.parts)


def test_zero_config_takes_the_proxy_the_chart_rendered_into_every_container():
    data = release(controller(no_proxy="$(KUBERNETES_SERVICE_HOST)"),
                   configmap(proxy_url=PROXY), service())

    result = post_render(data, user_settings())

    documents = load_all(output(result))
    deployment = find(documents, "Deployment", FULLNAME)
    for name in ("ocean-kubernetes-controller", "log-shipper"):
        env = env_of(deployment, name)
        assert env["HTTP_PROXY"]["value"] == PROXY  # fluent-bit's variable, for CONNECT too
        assert env["https_proxy"]["value"] == PROXY
        assert ".svc" in env["NO_PROXY"]["value"].split(",")
        assert "$(KUBERNETES_SERVICE_HOST)" in env["no_proxy"]["value"].split(",")
    assert env_of(deployment, "log-shipper")["HTTPS_PROXY"]["value"] == PROXY
    # the controller's is the chart's, as chart values leave it: its key blank, so Go (which
    # takes the first of HTTPS_PROXY, https_proxy that is not empty) reads https_proxy
    chart_entry = env_of(deployment, "ocean-kubernetes-controller")["HTTPS_PROXY"]
    assert chart_entry["valueFrom"]["configMapKeyRef"]["key"] == "proxy-url"
    assert find(documents, "ConfigMap", FULLNAME)["data"]["proxy-url"] == ""


def test_where_chart_values_cannot_carry_it_every_container_gets_https_proxy_itself():
    data = release(controller(no_proxy="$(KUBERNETES_SERVICE_HOST)",
                              chart_version=NO_VALUES_SHAPE), configmap(proxy_url=PROXY))

    documents = load_all(output(post_render(data, user_settings())))

    for name in ("ocean-kubernetes-controller", "log-shipper"):
        assert env_of(find(documents, "Deployment", FULLNAME), name)["HTTPS_PROXY"]["value"] \
            == PROXY
    assert find(documents, "ConfigMap", FULLNAME)["data"]["proxy-url"] == PROXY


def test_a_chart_proxy_url_without_scheme_is_read_as_go_reads_it_and_written_with_it():
    data = release(controller(), configmap(proxy_url="proxy.corp.example:3128"))

    result = post_render(data, user_settings())

    documents = load_all(output(result))
    for name in ("ocean-kubernetes-controller", "log-shipper"):  # fluent-bit needs the scheme
        assert env_of(find(documents, "Deployment", FULLNAME), name)["HTTP_PROXY"]["value"] \
            == PROXY
    assert find(documents, "ConfigMap", FULLNAME)["data"]["proxy-url"] == ""
    assert any("has no scheme: read as http://proxy.corp.example:3128" in warning
               for warning in result.warnings)


@pytest.mark.parametrize(("written", "read_as"), [("http://proxy.corp.example", ":80"),
                                                   ("https://proxy.corp.example", ":443"),
                                                   ("proxy.corp.example", ":80")])
def test_a_proxy_url_without_port_gets_the_default_port_as_go_does_and_a_warning(written,
                                                                                 read_as):
    """A port left out is most likely a mistake behind a corporate proxy (3128, 8080)."""
    result = post_render(release(controller(), configmap(proxy_url=written)), user_settings())

    controller_env = env_of(find(load_all(output(result)), "Deployment", FULLNAME),
                            "ocean-kubernetes-controller")
    assert controller_env["HTTP_PROXY"]["value"].endswith(read_as)
    about_the_url = [w for w in result.warnings if "has no " in w]
    assert len(about_the_url) == 1  # one warning, whether the scheme is missing too or not
    assert "no port" in about_the_url[0] and "3128 or 8080" in about_the_url[0]
    with_port = post_render(release(controller(), configmap(proxy_url=PROXY)), user_settings())
    assert not [w for w in with_port.warnings if "has no port" in w]


def test_a_token_given_as_the_proxy_user_is_in_no_message():
    """Some proxies take a token as the user name, with no password: it is a secret too."""
    from post_renderer.render.explain import summary

    token = "s3cr3t-t0ken-8f2a"
    result = post_render(release(controller(), configmap(proxy_url=f"http://{token}@proxy.corp")),
                         user_settings())
    said = [*result.notices, *result.warnings, summary(result.plan, result.injection)]
    assert any("has no port" in line for line in said)  # a message that names the proxy
    assert not [line for line in said if token in line]


def test_controller_env_the_chart_had_keeps_its_place():
    data = release(controller(), configmap(proxy_url=PROXY))

    deployment = find(load_all(output(post_render(data, user_settings()))), "Deployment",
                      FULLNAME)

    names = list(env_of(deployment, "ocean-kubernetes-controller"))
    assert names[:3] == ["SPOTINST_TOKEN", "HTTPS_PROXY", "USER_ENV_CERTIFICATES"]


def test_a_release_without_the_controller_passes_through_byte_identical():
    data = release(metrics_server(), service())

    result = post_render(data, user_settings())

    assert output(result) == data
    assert not result.changed
    assert any("passed through unchanged" in n for n in result.notices)


def test_a_controller_with_nothing_configured_passes_through_and_names_what_helm_kept():
    """Nothing to inject changes nothing, so a proxy Secret an earlier render kept keeps its
    password: the render names the command that deletes it, the exporter's release first."""
    data = release(controller(), configmap(), service())

    result = post_render(data, user_settings())

    assert output(result) == data
    [kept] = [n for n in result.notices if "ran with ocean-proxy before" in n]
    names = " ".join(f"{FULLNAME}{suffix}" for suffix in
                     ("-ocean-proxy", "-ocean-proxy-ca", "-ocean-proxy-values"))
    # the exporter's release first, then the command, each alone and once: the delete before
    # the upgrade leaves that exporter's pods unable to start
    _, first, then = kept.lines
    assert first == ("first upgrade without --post-renderer each Spot agent of another release "
                     f"that reads '{FULLNAME}-ocean-proxy'")
    assert then == (f"then 'kubectl delete secret -n {NAMESPACE} --ignore-not-found {names}' "
                    "deletes them")  # in the release's namespace, not kubectl's default


@pytest.mark.parametrize("settings", [{}, {"proxy_url": "http://proxy.corp:3128",
                                           "auto_update": "keep"}],
                         ids=["nothing-configured", "proxy"])
def test_the_delete_command_of_a_release_rendered_without_a_namespace_pastes_into_bash(
        settings):
    """'helm template' without --namespace renders no namespace: the command said
    'kubectl delete secret -n <namespace> ...', which bash reads as input from a file named
    'namespace'; the namespace is a placeholder in capitals, as other hints write them, said
    as such."""
    data = re.sub(rb"(?m)^  namespace: .*\n", b"", release(controller(), configmap()))
    result = post_render(data, user_settings(**settings))
    [line] = [line for notice in result.notices for line in getattr(notice, "lines", ())
              if "kubectl delete secret" in line]
    command = line.split("'")[1]
    shown = subprocess.run(["bash", "-c", 'kubectl() { printf "%s\\0" "$@"; }; ' + command],
                           capture_output=True, env={})
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.decode().split("\0")[:3] == ["delete", "secret", "-n"]
    assert shown.stdout.decode().split("\0")[3] == "NAMESPACE"
    assert line.endswith("(NAMESPACE: the release's namespace)")


def agent(kind: str, name: str, container: str, *, reads_configmap: str | None = None) -> str:
    """A Spot agent's workload as its chart renders it, maybe reading a ConfigMap's key."""
    env = (f"        env:\n        - name: SPOTINST_CLUSTER_IDENTIFIER\n          valueFrom:\n"
           f"            configMapKeyRef: {{name: {reads_configmap}, key: "
           "spotinst.cluster-identifier}\n") if reads_configmap else ""
    return (f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n"
            f"  namespace: {NAMESPACE}\nspec:\n  template:\n    spec:\n      containers:\n"
            f"      - name: {container}\n        image: spotinst/{container}:1.0.0\n{env}")


def test_agents_of_charts_without_proxy_values_are_each_told_what_their_chart_lacks():
    """The network client's and the exporter's charts have no proxy value (the client's no CA
    value either): each is told so, once, and only the flags, never spotinst.proxyUrl."""
    data = release(agent("DaemonSet", "client", "ocean-network-client"),
                   agent("Deployment", "exporter", "spot-ocean-metric-exporter"))

    result = post_render(data, user_settings())

    assert output(result) == data
    said = [n for n in result.notices if "its chart has" in n]
    assert [n.lines[0] for n in said] == [
        "DaemonSet/client: its chart has no proxy or CA values, so it was passed through "
        "unchanged",
        "Deployment/exporter: its chart has no proxy value, so it was passed through unchanged"]
    assert all(n.lines[1].startswith("pass --proxy-url=URL --ca-file=FILE") for n in said)
    assert not any("spotinst.proxyUrl" in n for n in result.notices)


def test_an_agent_the_controller_chart_renders_is_told_of_the_charts_proxy_value():
    """The exporter beside the controller, reading its ConfigMap, follows the controller's
    values: spotinst.proxyUrl reaches it too, so its notice names it, as the controller's."""
    data = release(controller(), configmap(),
                   agent("Deployment", "exporter", "spot-ocean-metric-exporter",
                         reads_configmap=FULLNAME))

    result = post_render(data, user_settings())

    assert output(result) == data
    [told] = [n for n in result.notices if "Deployment/exporter" in n]
    assert told.lines[0] == (f"no proxy URL and no CA bundle configured for "
                             f"Deployment/{FULLNAME}, Deployment/exporter: passed through "
                             "unchanged")
    assert told.lines[1].startswith("set spotinst.proxyUrl, or pass --proxy-url=URL")
    assert not any("its chart has" in n for n in result.notices)


def test_a_controller_wrapped_in_a_list_is_named_as_not_looked_into():
    data = (b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n"
            b"  metadata: {name: ocean-controller}\n")

    result = post_render(data, user_settings())

    assert output(result) == data
    [notice] = result.notices
    assert "a 'kind: List' document is not looked into" in notice
    assert not any("List" in n for n in post_render(release(service()), user_settings()).notices)


@pytest.mark.parametrize("listed", [
    b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n"
    b"  metadata: {name: ocean-controller}\n",
    b'{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "apps/v1", '
    b'"kind": "Deployment", "metadata": {"name": "ocean-controller"}}]}\n',
])
@pytest.mark.parametrize("workloads", [(), (WorkloadRef("Deployment", "ocean-controller"),)])
def test_settings_given_for_a_controller_wrapped_in_a_list_name_the_list(listed, workloads):
    """helm 3 hands a chart's List over as it is: the error says why no hint can help."""
    data = release(configmap(proxy_url=PROXY), service()) + b"---\n" + listed

    with pytest.raises(TargetError) as caught:
        post_render(data, user_settings(proxy_url=PROXY, workloads=workloads))

    assert "a 'kind: List' document is not looked into" in caught.value.message


def test_settings_given_for_a_release_without_the_controller_are_an_error():
    with pytest.raises(TargetError) as caught:
        post_render(release(metrics_server()), user_settings(proxy_url=PROXY))
    flags = build_post_renderer_parser().parse_args(
        helm_passes(caught.value.hint, NAME="spot-metrics-server"))
    named = read_settings(flags, {"OCEAN_PROXY_URL": PROXY}, warn=lambda _: None)
    result = post_render(release(metrics_server()), named)  # the hint's helm form, followed
    assert env_of(find(load_all(output(result)), "Deployment", "spot-metrics-server"),
                  "metrics-server")["HTTPS_PROXY"]["value"] == PROXY


@pytest.mark.parametrize("data", [b"this is: not: yaml: [\n", b"\x00\x9f random \xff bytes",
                                  b"<!DOCTYPE html><html><body>Sign in</body></html>\n"])
def test_input_that_is_no_manifests_at_all_is_named_as_such(data):
    with pytest.raises(TargetError) as caught:
        post_render(data, user_settings(proxy_url=PROXY))
    assert "holds no Kubernetes manifests" in caught.value.message
    assert "helm template" in caught.value.hint and "--workload" not in caught.value.hint


def test_a_controller_with_no_proxy_and_no_ca_passes_through_and_says_how_to_configure():
    data = release(controller(), configmap(), service())

    result = post_render(data, user_settings())

    assert output(result) == data
    assert any("--proxy-url" in n for n in result.notices)


def test_documents_that_are_not_changed_are_written_as_they_came():
    data = release(controller(), configmap(), service(), metrics_server())

    result = post_render(data, user_settings(proxy_url=PROXY))

    text = output(result).decode()
    assert service() in text
    assert metrics_server() in text  # the subchart keeps its own proxy, and no other


def test_post_rendering_its_own_output_changes_nothing(corp_root):
    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(corp_root.pem))
    settings = user_settings(proxy_url="http://alice:s3cret@proxy.corp.example:3128",
                             ca=[("corp.pem", corp_root.pem)], no_proxy=("corp.example",))

    once = output(post_render(data, settings))
    again = post_render(once, settings)

    assert not again.changed
    assert output(again) == once


def test_the_same_input_gives_the_same_bytes(corp_root):
    data = release(controller(), configmap(proxy_url=PROXY))
    settings = user_settings(ca=[("corp.pem", corp_root.pem)])

    assert output(post_render(data, settings)) == output(post_render(data, settings))


def test_the_vendor_ca_secret_is_validated_and_normalised(corp_root):
    pasted = b"\r\n".join(corp_root.pem.splitlines()) + b"\r\n" + corp_root.pem
    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(pasted))

    documents = load_all(output(post_render(data, user_settings())))

    assert secret_value(find(documents, "Secret", CA_SECRET), CA_KEY) == corp_root.pem


def test_an_expired_ca_from_the_chart_is_refused_with_its_subject():
    expired = certs.root("Expired Corp CA", not_before=NOW - 400 * DAY,
                         not_after=NOW - DAY)
    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(expired.pem))

    with pytest.raises(BundleError) as caught:
        post_render(data, user_settings())
    assert "Expired Corp CA" in caught.value.message
    assert "expired" in caught.value.message
    assert "caBundleSecret.data" in caught.value.hint  # the value the user set, by its name


def test_a_ca_from_the_chart_given_no_certificate_names_the_value_to_set():
    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(b"not a PEM file\n"))

    with pytest.raises(BundleError) as caught:
        post_render(data, user_settings())
    assert f"Secret '{CA_SECRET}'" in caught.value.message
    assert "--set-file caBundleSecret.data=" in caught.value.hint


def test_a_ca_written_in_the_pod_spec_given_no_certificate_is_said_to_be_there():
    literal = "              optional: true\n        - name: USER_ENV_CERTIFICATES\n" \
              "          value: not a PEM file\n"
    deployment = controller().replace("              optional: true\n", literal, 1)
    assert deployment != controller()

    with pytest.raises(BundleError) as caught:
        post_render(release(deployment, configmap(proxy_url=PROXY)), user_settings())
    assert "USER_ENV_CERTIFICATES" in caught.value.message
    assert "extraEnv" in caught.value.hint and "caBundleSecret" not in caught.value.hint
    assert "--ca-file" in caught.value.hint


def test_a_ca_file_of_the_user_is_not_taken_for_the_charts_value():
    with pytest.raises(BundleError) as caught:
        post_render(release(controller(), configmap(proxy_url=PROXY)),
                    user_settings(ca=[("notes.txt", b"not a PEM file\n")]))
    assert "caBundleSecret" not in caught.value.hint


def test_a_ca_secret_written_with_string_data_alone_gets_the_validated_bundle_once(
        corp_root, other_root):
    """The API server lays stringData over data: the chart's copy would win over ours, so it
    goes, in the first pass; a second pass changes nothing."""
    import textwrap

    chart_ca = textwrap.indent(other_root.pem.decode(), "    ")
    secret = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {CA_SECRET}\n"
              f"  namespace: spot-system\ntype: Opaque\nstringData:\n  {CA_KEY}: |\n{chart_ca}")
    data = release(controller(), configmap(proxy_url=PROXY), secret)
    settings = user_settings(ca=[("corp.pem", corp_root.pem)])

    once = output(post_render(data, settings))
    written = find(load_all(once), "Secret", CA_SECRET)
    assert secret_value(written, CA_KEY) == corp_root.pem
    assert CA_KEY not in (written.get("stringData") or {})
    assert output(post_render(once, settings)) == once


def test_ca_file_pods_trust_it_and_restart_when_it_changes(corp_root, other_root):
    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(corp_root.pem))

    first = load_all(output(post_render(data, user_settings(ca=[("a.pem", corp_root.pem)]))))
    second = load_all(output(post_render(data, user_settings(ca=[("b.pem", other_root.pem)]))))

    def checksum(documents):
        pod = find(documents, "Deployment", FULLNAME)["spec"]["template"]
        return pod["metadata"]["annotations"]["checksum/ca-bundle"]

    assert checksum(first) != checksum(second)
    assert secret_value(find(second, "Secret", CA_SECRET), CA_KEY) == other_root.pem
    env = env_of(find(second, "Deployment", FULLNAME), "log-shipper")
    assert "/etc/ocean-proxy/ca" in env["SSL_CERT_DIR"]["value"].split(":")


def test_proxy_credentials_live_only_in_a_secret():
    data = release(controller(), configmap(proxy_url="http://alice:s3cret@proxy.corp:3128"))

    text = output(post_render(data, user_settings())).decode()
    documents = load_all(text.encode())

    assert "s3cret" not in text
    assert find(documents, "ConfigMap", FULLNAME)["data"]["proxy-url"] == ""
    secret = find(documents, "Secret", f"{FULLNAME}-ocean-proxy")
    assert secret_value(secret, "proxy-url") == b"http://alice:s3cret@proxy.corp:3128"
    env = env_of(find(documents, "Deployment", FULLNAME), "ocean-kubernetes-controller")
    assert env["https_proxy"]["valueFrom"]["secretKeyRef"]["name"] == f"{FULLNAME}-ocean-proxy"
    assert "secretKeyRef" not in env["HTTPS_PROXY"]["valueFrom"]  # the chart's, blanked


def test_the_auto_update_job_gets_the_proxy_and_the_user_is_warned_it_loses_the_rest():
    data = release(controller(), configmap(proxy_url=PROXY))

    result = post_render(data, user_settings())

    embedded = find(load_all(output(result)), "ConfigMap", FULLNAME)["data"]["auto-update.job"]
    job = load_all(embedded.encode())[0]
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HTTPS_PROXY"]["value"] == PROXY
    [warning] = [w for w in result.warnings if "disableAutoUpdate=true" in w]
    flags = build_post_renderer_parser().parse_args(helm_passes(warning))
    with pytest.raises(AutoUpdateError):  # the warning's helm form makes it an error
        post_render(data, read_settings(flags, {}, warn=lambda _: None))


def test_auto_update_keep_leaves_the_embedded_job_as_rendered():
    data = release(controller(), configmap(proxy_url=PROXY))

    result = post_render(data, user_settings(auto_update="keep"))

    rendered = find(load_all(data), "ConfigMap", FULLNAME)["data"]["auto-update.job"]
    assert find(load_all(output(result)), "ConfigMap", FULLNAME)["data"]["auto-update.job"] \
        == rendered


def test_auto_update_refuse_stops_while_the_chart_has_auto_update_on():
    with pytest.raises(AutoUpdateError) as caught:
        post_render(release(controller(), configmap(proxy_url=PROXY)),
                    user_settings(auto_update="refuse"))
    assert "disableAutoUpdate=true" in caught.value.hint


def test_auto_update_refuse_is_fine_once_auto_update_is_off():
    result = post_render(release(controller(), configmap(proxy_url=PROXY, auto_update=False)),
                         user_settings(auto_update="refuse"))
    assert result.changed


def test_a_named_workload_is_the_only_target():
    data = release(controller(), configmap(), metrics_server())

    result = post_render(data, user_settings(
        proxy_url=PROXY, workloads=(WorkloadRef("Deployment", "spot-metrics-server"),)))

    documents = load_all(output(result))
    assert env_of(find(documents, "Deployment", "spot-metrics-server"),
                  "metrics-server")["HTTPS_PROXY"]["value"] == PROXY
    assert "HTTP_PROXY" not in env_of(find(documents, "Deployment", FULLNAME),
                                      "ocean-kubernetes-controller")


def test_an_https_proxy_is_kept_from_the_log_shipper_with_a_warning():
    data = release(controller(), configmap())

    result = post_render(data, user_settings(proxy_url="https://proxy.corp:443"))

    deployment = find(load_all(output(result)), "Deployment", FULLNAME)
    assert "HTTPS_PROXY" in env_of(deployment, "ocean-kubernetes-controller")
    assert "HTTP_PROXY" not in env_of(deployment, "log-shipper")
    assert "NO_PROXY" in env_of(deployment, "log-shipper")
    assert any("fluent-bit" in w for w in result.warnings)


def test_two_workloads_with_different_proxies_say_how_helm_passes_the_one_to_choose():
    """helm refuses '--proxy-url' on its own command line: the hint's helm form, as helm hands
    it to the post-renderer (each --post-renderer-args' value an argument), renders."""
    data = release(controller(name="a-ocean"), configmap(proxy_url=PROXY, name="a-ocean"),
                   controller(name="b-ocean"),
                   configmap(proxy_url="http://old-proxy.corp:8080", name="b-ocean"))
    with pytest.raises(WorkloadConflictError) as caught:
        post_render(data, user_settings())

    flags = build_post_renderer_parser().parse_args(helm_passes(caught.value.hint, URL=PROXY))
    result = post_render(data, read_settings(flags, {}, warn=lambda _: None))
    documents = load_all(output(result))
    for name in ("a-ocean", "b-ocean"):
        env = env_of(find(documents, "Deployment", name), "log-shipper")
        assert env["HTTPS_PROXY"]["value"] == PROXY


def test_workloads_named_by_the_environments_config_let_another_chart_pass_through():
    """OCEAN_PROXY_CONFIG is read by every release a pipeline runs: its workloads missing
    from a release of another chart pass it through; missing from a Spot release, they are
    still the mistake they were."""
    from post_renderer.render.release.settings import UserSettings
    from post_renderer.render.release.workloads import parse_workload_ref

    ref = parse_workload_ref("Deployment/my-controller", "config file ocean-proxy.yaml")
    shared = UserSettings(workloads=(ref,), command_line=False)
    other = release(metrics_server(), service())

    result = post_render(other, shared)

    assert output(result) == other
    [notice] = result.notices
    assert notice.endswith("; not used: OCEAN_PROXY_CONFIG (from the environment, for the Spot "
                           "agents' releases)")
    with pytest.raises(TargetError, match="workload Deployment/my-controller is not in the"):
        post_render(release(controller(), configmap(proxy_url=PROXY)), shared)
    with pytest.raises(TargetError, match="workload Deployment/my-controller is not in the"):
        post_render(other, shared._replace(command_line=True))


def test_the_controllers_https_proxy_reading_the_blanked_key_is_left_as_the_chart_wrote_it():
    """The chart's own entry reads the ConfigMap key that chart values leave blank: the pod
    template stays the one the chart's values give (which the auto-update renders), even
    where the chart wrote that entry without 'optional'."""
    chart = controller().replace("              key: proxy-url\n              optional: true\n",
                                 "              key: proxy-url\n", 1)
    data = release(chart, configmap(proxy_url=PROXY))

    deployment = find(load_all(output(post_render(data, user_settings()))), "Deployment",
                      FULLNAME)

    assert env_of(deployment, "ocean-kubernetes-controller")["HTTPS_PROXY"] == {
        "name": "HTTPS_PROXY",
        "valueFrom": {"configMapKeyRef": {"name": FULLNAME, "key": "proxy-url"}}}
    assert env_of(deployment, "log-shipper")["HTTPS_PROXY"]["value"] == PROXY


@pytest.mark.parametrize("length", [241, 242])
def test_a_secret_name_one_past_the_kubernetes_limit_is_refused(length):
    """'<workload>-ocean-proxy' may have 253 characters, as the API server allows: 254 is
    refused before anything is written, rather than by the API server at install."""
    name = "a" * length
    data = release(controller(name=name, chart_version=NO_VALUES_SHAPE),
                   configmap(proxy_url="http://svc:pw-4k2@proxy.corp:3128", name=name,
                             auto_update=False))
    if length + len("-ocean-proxy") <= 253:
        documents = load_all(output(post_render(data, user_settings())))
        assert find(documents, "Secret", f"{name}-ocean-proxy")
        return
    with pytest.raises(ManifestError, match="is not a valid Kubernetes name"):
        post_render(data, user_settings())


def test_our_ca_secret_the_pods_read_outlives_an_upgrade_that_renders_the_chart_alone(corp_root):
    """The chart reads a CA Secret made elsewhere, so the bundle goes to ours, which
    USER_ENV_CERTIFICATES and the CA volume then read: the auto-update's upgrade renders the
    chart without it, and helm would delete it under the running pods without 'keep'."""
    data = release(controller(ca_secret="corp-ca"), configmap(proxy_url=PROXY))

    documents = load_all(output(post_render(data, user_settings(ca=[("a.pem", corp_root.pem)]))))

    ours = find(documents, "Secret", f"{FULLNAME}-ocean-proxy-ca")
    assert ours["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert ours["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false"
    env = env_of(find(documents, "Deployment", FULLNAME), "ocean-kubernetes-controller")
    assert env["USER_ENV_CERTIFICATES"]["valueFrom"]["secretKeyRef"]["name"] == \
        f"{FULLNAME}-ocean-proxy-ca"


def test_a_ca_variable_that_reads_the_bundle_already_is_left_as_the_chart_wrote_it(corp_root):
    chart = controller().replace(f"              key: {CA_KEY}\n              optional: true\n",
                                 f"              key: {CA_KEY}\n", 1)
    data = release(chart, configmap(proxy_url=PROXY), ca_secret(corp_root.pem))

    deployment = find(load_all(output(post_render(data, user_settings()))), "Deployment",
                      FULLNAME)

    assert env_of(deployment, "ocean-kubernetes-controller")["USER_ENV_CERTIFICATES"] == {
        "name": "USER_ENV_CERTIFICATES",
        "valueFrom": {"secretKeyRef": {"name": CA_SECRET, "key": CA_KEY}}}


def test_helm_4s_transient_annotation_does_not_change_the_recomputed_config_checksum():
    """Helm 4 hands the post-renderer each document with an annotation it removes again:
    the same chart and values give the same checksum/config on both majors, so moving a
    release from helm 3 to helm 4 restarts nothing."""
    chart_configmap = configmap(proxy_url="http://alice:s3cret@proxy.corp:3128")
    under_helm4 = chart_configmap.replace(
        f"  namespace: {NAMESPACE}\n", f"  namespace: {NAMESPACE}\n  annotations:\n"
        "    postrenderer.helm.sh/postrender-filename: templates/configmap.yaml\n", 1)
    assert under_helm4 != chart_configmap

    def checksum(configmap_text: str) -> str:
        documents = load_all(output(post_render(release(controller(), configmap_text),
                                                user_settings())))
        pod = find(documents, "Deployment", FULLNAME)["spec"]["template"]
        return pod["metadata"]["annotations"]["checksum/config"]

    assert checksum(under_helm4) == checksum(chart_configmap) != "0f4c"


def test_the_ca_variable_moved_to_our_secret_is_said_once_and_not_on_the_rerun(corp_root):
    data = release(controller(ca_secret="corp-ca"), configmap(proxy_url=PROXY))
    settings = user_settings(ca=[("a.pem", corp_root.pem)])

    first = post_render(data, settings)
    again = post_render(output(first), settings)

    moved = f"USER_ENV_CERTIFICATES now reads Secret '{FULLNAME}-ocean-proxy-ca'"
    assert [n for n in first.notices if n.startswith(moved)] == [
        f"{moved}, made from --ca-file, instead of Secret 'corp-ca' key '{CA_KEY}'"]
    assert not [n for n in again.notices if "USER_ENV_CERTIFICATES now reads" in n], \
        again.notices
    assert output(again) == output(first)


def test_manifests_rendered_with_our_chart_values_get_our_ca_secret_once_and_kept(corp_root):
    """Rendered with ocean-proxy's chart values (the release's values hold them once the
    auto-update ran), the pods read our CA Secret, which the chart does not render: it is
    added once, with 'keep', as the render that made those values added it."""
    ours = f"{FULLNAME}-ocean-proxy-ca"
    data = release(controller(ca_secret=ours), configmap(proxy_url=PROXY))

    documents = load_all(output(post_render(data, user_settings(ca=[("a.pem", corp_root.pem)]))))

    [secret] = [d for d in documents if d["kind"] == "Secret" and d["metadata"]["name"] == ours]
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert secret_value(secret, CA_KEY) == corp_root.pem


def test_the_ca_secret_the_pods_mount_beside_the_charts_own_is_kept(corp_root):
    """The chart's CA Secret gets the bundle back from the chart's values alone; the pods'
    CA volume mounts ours, which an upgrade rendering the chart alone must not delete."""
    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(corp_root.pem))

    documents = load_all(output(post_render(data, user_settings())))

    ours = find(documents, "Secret", f"{FULLNAME}-ocean-proxy-ca")
    assert ours["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert secret_value(ours, CA_KEY) == corp_root.pem
    volumes = find(documents, "Deployment", FULLNAME)["spec"]["template"]["spec"]["volumes"]
    assert {v["secret"]["secretName"] for v in volumes if "secret" in v} == \
        {f"{FULLNAME}-ocean-proxy-ca"}


def exporter_reading_a_secret(secret: str) -> str:
    return metric_exporter(f"""\
        - name: PROXY_URL
          valueFrom:
            secretKeyRef:
              name: {secret}
              key: proxy-url
""")


def test_an_exporter_reading_a_proxy_secret_of_the_users_own_is_passed_through():
    """Only the Secret ocean-proxy writes beside a controller's ConfigMap is one another
    release's render provides: an exporter reading the user's own Secret is not told to
    wait for it, nor given proxy variables that read it."""
    data = release(exporter_reading_a_secret("my-proxy"))

    result = post_render(data, user_settings())

    assert output(result) == data
    assert not [n for n in result.notices if "which ocean-proxy writes" in n], result.notices
    ours = release(exporter_reading_a_secret(f"{FULLNAME}-ocean-proxy"))
    env = env_of(find(load_all(output(post_render(ours, user_settings()))), "Deployment",
                      "spot-ocean-metric-exporter"), "spot-ocean-metric-exporter")
    assert env["HTTPS_PROXY"]["valueFrom"]["secretKeyRef"]["name"] == f"{FULLNAME}-ocean-proxy"


def test_secrets_helm_hid_from_the_post_renderer_hide_the_ones_it_adds_and_it_says_why():
    """Helm 3 hides a dry run's Secrets (--hide-secret) before the post-renderer reads them: a
    '# HIDDEN' line in place of each. The Secrets ocean-proxy adds (the proxy URL whole, in
    base64) are hidden the same way, and the notice says what the dry run leaves out, not
    that no CA is configured (the chart's CA Secret is among the hidden)."""
    url = "http://alice:pa55-word@proxy.corp.example:3128"
    hidden = f"---\n# Source: {CA_SECRET}.yaml\n# HIDDEN: The Secret output has been suppressed\n"
    data = release(controller(), configmap(proxy_url=url), service()) + hidden.encode()

    result = post_render(data, user_settings())

    written = output(result).decode()
    kinds = [document["kind"] for document in load_all(written.encode())]
    assert "Deployment" in kinds and "Secret" not in kinds, kinds
    assert written.count("# Added by ocean-proxy (post-renderer)\n# HIDDEN: The Secret output "
                         "has been suppressed\n") == 1  # the proxy URL's
    assert "pa55-word" not in written and base64.b64encode(url.encode()).decode() not in written
    assert result.notices[0].startswith("helm hid the chart's Secrets from the post-renderer")
    assert not [n for n in result.notices if n.startswith("no CA bundle configured")]


def test_without_hidden_secrets_the_secrets_ocean_proxy_adds_are_written_whole():
    url = "http://alice:pa55-word@proxy.corp.example:3128"
    result = post_render(release(controller(), configmap(proxy_url=url), service()),
                         user_settings())

    written = output(result)
    assert "Secret" in [document["kind"] for document in load_all(written)]
    assert b"HIDDEN" not in written
    assert [n for n in result.notices if n.startswith("no CA bundle configured")]


def kept_by_helm(documents: list[dict]) -> set[str]:
    """The Secrets written with helm's keep policy: they outlive the release."""
    return {d["metadata"]["name"] for d in documents if d["kind"] == "Secret" and
            (d["metadata"].get("annotations") or {}).get("helm.sh/resource-policy") == "keep"}


def named_as_kept(result) -> set[str]:
    """The Secrets the render says helm keeps, for the user to delete once ocean-proxy goes."""
    said = "\n".join(str(message) for message in (*result.notices, *result.warnings))
    return {name for names in re.findall(r"helm keeps Secrets? ((?:'[^']+'(?:, )?)+)", said)
            for name in re.findall(r"'([^']+)'", names)}


@pytest.mark.parametrize("chart_version", [NO_VALUES_SHAPE, "0.1.60"])
def test_the_secrets_helm_keeps_are_only_those_the_render_names_for_deletion(corp_root,
                                                                            chart_version):
    """A Secret with helm.sh/resource-policy: keep outlives 'helm uninstall' and every
    upgrade without ocean-proxy, the proxy password with it: the render must name each for
    deletion. A chart whose values cannot carry the injection has no upgrade that renders
    the pods without our Secrets, so its Secrets go with the release, as the chart's do, and
    nothing is left behind unnamed."""
    data = release(controller(chart_version=chart_version),
                   configmap(proxy_url="http://alice:pa55-word@proxy.corp.example:3128",
                             auto_update=False))

    result = post_render(data, user_settings(ca=[("ca.pem", corp_root.pem)]))

    documents = load_all(output(result))
    ours = {d["metadata"]["name"] for d in documents if d["kind"] == "Secret"}
    assert f"{FULLNAME}-ocean-proxy" in ours  # the password, out of the ConfigMap
    assert kept_by_helm(documents) == named_as_kept(result)
    if chart_version == NO_VALUES_SHAPE:
        assert not kept_by_helm(documents)
        assert not any("argocd.argoproj.io" in key for d in documents if d["kind"] == "Secret"
                       for key in d["metadata"].get("annotations") or {})
    else:  # the pods read them after an upgrade that renders the chart alone
        assert f"{FULLNAME}-ocean-proxy" in kept_by_helm(documents)


@pytest.mark.parametrize("field, value", [
    ("name", "[ocean-controller]"), ("name", "123"), ("name", "null"), ("name", "{a: b}"),
    ("kind", "[Deployment]"), ("kind", "123")])
def test_a_controller_whose_name_or_kind_is_not_text_is_no_object_to_inject_into(
        field, value, corp_root):
    """The API server takes only text for an object's kind and name (helm refuses the rest
    when it applies them): such a document is not an object to inject into, even with the
    controller's containers. With nothing configured the render passes it through as it
    came and says so; given settings, it says it found no controller to give them to: a
    clear error, never an internal one."""
    written = {"name": f"  name: {FULLNAME}\n  namespace", "kind": "kind: Deployment\n"}
    odd = {"name": f"  name: {value}\n  namespace", "kind": f"kind: {value}\n"}
    document = controller().replace(written[field], odd[field], 1)
    assert document != controller()
    data = release(document, configmap(proxy_url=PROXY))

    result = post_render(data, user_settings())

    assert output(result) == data
    assert not result.changed
    assert any("passed through unchanged" in n for n in result.notices), result.notices
    with pytest.raises(TargetError, match="no Ocean controller workload in the manifests"):
        post_render(data, user_settings(ca=[("ca.pem", corp_root.pem)]))
