"""``--workload`` across namespaces, and the lints: what the post-renderer cannot do right
is said on stderr (a warning, an error with ``--strict``), never passed over in silence.

The input is what helm 3 renders for the stand-in charts; the post-renderer runs as helm
runs it (manifests on stdin, the result on stdout)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from ruamel.yaml import YAML

from . import certs
from .agent_charts import (
    CONTROLLER_CHART,
    EXPORTER,
    EXPORTER_CHART,
    NAMESPACE,
    NETWORK_CLIENT,
    NETWORK_CLIENT_CHART,
    NO_CONTROLLER_EXTRAS,
    SPOT_FLAGS,
    helm_template,
    view,
)
from .chart_render import parse
from .conftest import Run, clean_env, post_renderer
from .kubelet_view import container_view

PASSWORD = "s3cret-Pw"
PROXY = f"http://alice:{PASSWORD}@proxy.corp:3128"



def chart_output(helm3: Path, release: str, chart: Path, *flags, namespace=NAMESPACE) -> bytes:
    run = helm_template(helm3, clean_env(), release, chart, *flags, namespace=namespace)
    assert run.returncode == 0, run.stderr
    return run.stdout


def controller(helm3: Path, namespace: str, *flags) -> bytes:
    """A controller release named after its namespace (Deployment
    <namespace>-ocean-kubernetes-controller), auto-update off."""
    return chart_output(helm3, namespace, CONTROLLER_CHART, *SPOT_FLAGS, *NO_CONTROLLER_EXTRAS,
                        "--set", "spotinst.disableAutoUpdate=true", *flags, namespace=namespace)


def assert_one_clear_error(run: Run, *named: str) -> None:
    assert run.returncode == 1
    assert run.stdout == b""
    lines = run.stderr.splitlines()
    errors = [line for line in lines if line.startswith("ocean-proxy: error: ")]
    assert len(errors) == 1, run.stderr
    assert any(line.startswith("ocean-proxy: hint: ") for line in lines), run.stderr
    assert "Traceback" not in run.stderr and PASSWORD not in run.stderr
    for text in named:
        assert text in errors[0], errors[0]


def warnings_of(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy: warning: ")]


# -- --workload across namespaces ------------------------------------------------------------


def test_workloads_in_two_namespaces_get_what_they_need_in_their_own_namespace(
        helm3, ca_file, corp_root):
    stream = (chart_output(helm3, "exporter", EXPORTER_CHART, *SPOT_FLAGS)
              + chart_output(helm3, "network-client", NETWORK_CLIENT_CHART))
    run = post_renderer(f"--workload={EXPORTER[0]}/{EXPORTER[1]}",
                        f"--workload={NETWORK_CLIENT[0]}/{NETWORK_CLIENT[1]}",
                        f"--proxy-url={PROXY}", f"--ca-file={ca_file}", stdin=stream)
    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs

    for kind, name, container in (EXPORTER, NETWORK_CLIENT):
        seen = view(docs, kind, name, container)  # a Secret in another namespace fails here
        assert seen.env["HTTPS_PROXY"] == PROXY, f"{kind}/{name}"
        assert corp_root.pem in b"".join(content for mount in seen.secret_mounts
                                         for content in mount.files.values()), f"{kind}/{name}"


def test_each_workload_trusts_the_ca_of_its_own_chart(helm3, tmp_path):
    root_a, root_b = certs.root("Team A Proxy Root"), certs.root("Team B Proxy Root")
    flags = []
    for team, root in (("team-a", root_a), ("team-b", root_b)):
        path = tmp_path / f"{team}.pem"
        path.write_bytes(root.pem)
        flags.append(("--set", "spotinst.proxyUrl=http://proxy.corp:3128",
                      "--set", "caBundleSecret.create=true",
                      "--set-file", f"caBundleSecret.data={path}"))
    stream = controller(helm3, "team-a", *flags[0]) + controller(helm3, "team-b", *flags[1])
    run = post_renderer("--workload=Deployment/team-a-ocean-kubernetes-controller",
                        "--workload=Deployment/team-b-ocean-kubernetes-controller", stdin=stream)
    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs

    for team, root in (("team-a", root_a), ("team-b", root_b)):
        seen = view(docs, "Deployment", f"{team}-ocean-kubernetes-controller",
                    "ocean-kubernetes-controller")
        assert root.pem.decode() in seen.env["USER_ENV_CERTIFICATES"], team
        assert root.pem in b"".join(content for mount in seen.secret_mounts
                                    for content in mount.files.values()), team


def test_namesake_releases_in_two_namespaces_each_get_the_proxy_in_their_auto_update_job(
        helm3):
    """One release name installed in two namespaces (a stream of environments, as helmfile
    templates them): every object has a namesake in the other namespace, the ConfigMap
    holding the auto-update Job too. Each Job gets the proxy, not the first alone."""
    proxy = ("--set", "spotinst.proxyUrl=http://proxy.corp:3128")
    stream = b"".join(chart_output(helm3, "ocean-controller", CONTROLLER_CHART, *SPOT_FLAGS,
                                   *NO_CONTROLLER_EXTRAS, *proxy, namespace=namespace)
                      for namespace in ("team-a", "team-b"))

    run = post_renderer(stdin=stream)

    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs
    for namespace in ("team-a", "team-b"):
        [configmap] = [d for d in docs if d["kind"] == "ConfigMap" and
                       d["metadata"]["namespace"] == namespace and "auto-update.job" in d["data"]]
        job = YAML(typ="safe").load(configmap["data"]["auto-update.job"])
        [container] = job["spec"]["template"]["spec"]["containers"]
        assert "http://proxy.corp:3128" in repr(container["env"]), namespace


def test_a_namesake_release_does_not_trust_the_ca_another_namespace_rendered(helm3, ca_file):
    """Pods read the Secrets of their own namespace: the CA Secret one namespace's release
    renders is no CA of its namesake's in another namespace, which rendered none."""
    proxy = ("--set", "spotinst.proxyUrl=http://proxy.corp:3128")
    with_ca = ("--set", "caBundleSecret.create=true",
               "--set-file", f"caBundleSecret.data={ca_file}")
    stream = b"".join(chart_output(helm3, "ocean-controller", CONTROLLER_CHART, *SPOT_FLAGS,
                                   *NO_CONTROLLER_EXTRAS, *proxy, *flags, namespace=namespace)
                      for namespace, flags in (("team-a", with_ca), ("team-b", ())))

    run = post_renderer(stdin=stream)

    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs
    ca = Path(ca_file).read_bytes().strip()
    for namespace, trusted in (("team-a", True), ("team-b", False)):
        beside = [d for d in docs if d["metadata"].get("namespace") == namespace]
        [pod] = [d for d in beside if d["kind"] == "Deployment"]
        for container in ("ocean-kubernetes-controller", "log-shipper"):
            seen = container_view(beside, pod["spec"]["template"], container,
                                  namespace=namespace)
            assert any(ca in content for mount in seen.secret_mounts
                       for content in mount.files.values()) == trusted, (namespace, container)
        assert bool([d for d in beside if d["kind"] == "Secret" and
                     d["metadata"]["name"].endswith("-ocean-proxy-ca")]) == trusted, namespace


def test_two_workloads_whose_charts_name_different_proxies_is_one_clear_error(helm3):
    stream = (controller(helm3, "team-a", "--set", "spotinst.proxyUrl=http://proxy-a.corp:3128")
              + controller(helm3, "team-b",
                           "--set", f"spotinst.proxyUrl=http://bob:{PASSWORD}@proxy-b.corp:3128"))
    run = post_renderer("--workload=Deployment/team-a-ocean-kubernetes-controller",
                        "--workload=Deployment/team-b-ocean-kubernetes-controller", stdin=stream)
    assert_one_clear_error(run, "team-a-ocean-kubernetes-controller",
                           "team-b-ocean-kubernetes-controller")


# -- lints ---------------------------------------------------------------------------------


def test_insecure_tls_next_to_a_ca_is_a_warning_and_with_strict_an_error(helm3, ca_file):
    stream = controller(helm3, NAMESPACE, "--set", "spotinst.insecureSkipTLSVerify=true",
                        "--set", "spotinst.proxyUrl=http://proxy.corp:3128",
                        "--set", "caBundleSecret.create=true",
                        "--set-file", f"caBundleSecret.data={ca_file}")
    run = post_renderer(stdin=stream)
    assert run.returncode == 0, run.stderr
    assert any("insecureSkipTLSVerify" in w for w in warnings_of(run)), run.stderr

    assert_one_clear_error(post_renderer("--strict", stdin=stream), "insecureSkipTLSVerify")


def without_document(stream: bytes, kind: str, name: str) -> bytes:
    """The stream without one object: what helm renders when the chart is told to use an
    existing one instead of creating it."""
    pieces = stream.split(b"\n---\n")
    kept = [p for p in pieces if not (f"kind: {kind}\n".encode() in p
                                      and f"\n  name: {name}\n".encode() in p)]
    assert len(kept) == len(pieces) - 1
    return b"\n---\n".join(kept)


def test_a_configmap_the_release_does_not_render_is_named_in_a_warning(helm3):
    fullname = f"{NAMESPACE}-ocean-kubernetes-controller"
    stream = without_document(
        controller(helm3, NAMESPACE, "--set", "spotinst.proxyUrl=http://proxy.corp:3128"),
        "ConfigMap", fullname)
    run = post_renderer(stdin=stream)
    assert run.returncode == 0, run.stderr
    assert any(fullname in w and "proxy-url" in w for w in warnings_of(run)), run.stderr

    assert_one_clear_error(post_renderer("--strict", stdin=stream), fullname)


def test_a_proxy_the_user_keeps_in_a_secret_of_their_own_is_named_in_a_warning(helm3):
    """The proxy URL, password and all, kept out of the chart's ConfigMap: the controller's
    HTTPS_PROXY reads the user's own Secret (extraEnv), after the chart's blank one. Nothing
    can read it here, and the log-shipper goes without: said in a warning, which names the
    Secret."""
    stream = controller(helm3, NAMESPACE, "--set", "extraEnv[0].name=HTTPS_PROXY",
                        "--set", "extraEnv[0].valueFrom.secretKeyRef.name=corp-proxy",
                        "--set", "extraEnv[0].valueFrom.secretKeyRef.key=url")
    run = post_renderer(stdin=stream)
    assert run.returncode == 0, run.stderr
    assert run.stdout == stream
    assert any("Secret 'corp-proxy' key 'url'" in w and "--proxy-url" in w
               for w in warnings_of(run)), run.stderr

    assert_one_clear_error(post_renderer("--strict", stdin=stream), "corp-proxy")


def test_a_proxy_in_a_secret_of_the_users_own_leaves_the_charts_configmap_handled(helm3):
    """That Secret of the user's own, and the proxy given with --proxy-url: the chart's
    ConfigMap is still the one whose proxy URL the render handles, so what it says of that
    ConfigMap (the Secret beside it for an exporter of another release, what helm keeps) is
    what it says without the user's variable."""
    user_secret = ("--set", "extraEnv[0].name=HTTPS_PROXY",
                   "--set", "extraEnv[0].valueFrom.secretKeyRef.name=corp-proxy",
                   "--set", "extraEnv[0].valueFrom.secretKeyRef.key=url")
    flag = "--proxy-url=http://svc:s3cret@proxy.corp:3128"

    def said_of_the_configmap(*values: str) -> list[str]:
        run = post_renderer(flag, stdin=controller(helm3, NAMESPACE, *values))
        assert run.returncode == 0, run.stderr
        assert "s3cret" not in run.stderr
        fullname = f"{NAMESPACE}-ocean-kubernetes-controller"  # named after its namespace
        return sorted(line for line in run.stderr.splitlines()
                      if f"ConfigMap '{fullname}'" in line or f"{fullname}-ocean-proxy" in line)

    expected = said_of_the_configmap()
    assert expected
    assert said_of_the_configmap(*user_secret) == expected


def test_a_users_checksum_proxy_annotation_is_not_overwritten_in_silence(helm3):
    stream = controller(helm3, NAMESPACE, "--set", "spotinst.proxyUrl=http://proxy.corp:3128",
                        "--set-string", "podAnnotations.checksum/proxy=mine")
    run = post_renderer(stdin=stream)
    assert run.returncode == 0, run.stderr
    assert any("checksum/proxy" in w for w in warnings_of(run)), run.stderr

    assert_one_clear_error(post_renderer("--strict", stdin=stream), "checksum/proxy")


def test_a_users_volume_named_like_ours_is_not_overwritten_in_silence(helm3, ca_file):
    yaml = YAML()
    docs = list(yaml.load_all(controller(helm3, NAMESPACE)))
    for doc in docs:
        if doc and doc["kind"] == "Deployment":
            doc["spec"]["template"]["spec"]["volumes"].append(
                {"name": "ocean-proxy-ca", "configMap": {"name": "my-own-certs"}})
    buffer = BytesIO()
    yaml.dump_all([d for d in docs if d], buffer)
    stream = buffer.getvalue()
    run = post_renderer(f"--ca-file={ca_file}", stdin=stream)
    assert run.returncode == 0, run.stderr
    assert any("ocean-proxy-ca" in w for w in warnings_of(run)), run.stderr

    assert_one_clear_error(post_renderer("--strict", f"--ca-file={ca_file}", stdin=stream),
                           "ocean-proxy-ca")


def test_a_users_log_shipper_mount_at_our_ca_path_is_not_replaced_in_silence(helm3, ca_file):
    stream = controller(helm3, NAMESPACE, "--set", "spotinst.proxyUrl=http://proxy.corp:3128",
                        "--set", "logShipping.extraVolumeMounts[0].name=logs",
                        "--set", "logShipping.extraVolumeMounts[0].mountPath=/etc/ocean-proxy/ca")
    run = post_renderer(f"--ca-file={ca_file}", stdin=stream)
    assert run.returncode == 0, run.stderr
    [warning] = [w for w in warnings_of(run) if "/etc/ocean-proxy/ca" in w]
    assert "'log-shipper'" in warning and "'logs'" in warning

    assert_one_clear_error(post_renderer("--strict", f"--ca-file={ca_file}", stdin=stream),
                           "/etc/ocean-proxy/ca", "'logs'")
    again = post_renderer("--strict", f"--ca-file={ca_file}", stdin=run.stdout)
    assert again.returncode == 0, again.stderr  # our own mount there is ours to replace
    assert again.stdout == run.stdout


def test_strict_changes_nothing_when_there_is_nothing_to_say(helm3, ca_file):
    stream = controller(helm3, NAMESPACE, "--set", "spotinst.proxyUrl=http://proxy.corp:3128")
    plain = post_renderer(f"--ca-file={ca_file}", stdin=stream)
    strict = post_renderer("--strict", f"--ca-file={ca_file}", stdin=stream)
    assert plain.returncode == strict.returncode == 0, strict.stderr
    assert strict.stdout == plain.stdout
    assert warnings_of(plain) == []


def test_a_users_mount_at_our_hashed_ca_path_is_not_replaced_in_silence(helm3, ca_file,
                                                                         corp_root):
    """fluent-bit's OpenSSL finds the CA as /etc/ssl/certs/<subject hash>.0, the name the real
    openssl gives it: a mount of the user's own there is named, and refused with --strict."""
    path = f"/etc/ssl/certs/{certs.openssl_subject_hash(corp_root.pem)}.0"
    stream = controller(helm3, NAMESPACE, "--set", "spotinst.proxyUrl=http://proxy.corp:3128",
                        "--set", "logShipping.extraVolumeMounts[0].name=my-certs",
                        "--set", f"logShipping.extraVolumeMounts[0].mountPath={path}")
    run = post_renderer(f"--ca-file={ca_file}", stdin=stream)
    assert run.returncode == 0, run.stderr
    [warning] = [w for w in warnings_of(run) if path in w]
    assert "'log-shipper'" in warning and "'my-certs'" in warning

    assert_one_clear_error(post_renderer("--strict", f"--ca-file={ca_file}", stdin=stream),
                           path, "'my-certs'")


def test_a_users_ca_bundle_annotation_and_volume_are_not_overwritten_in_silence(helm3,
                                                                                 ca_file):
    """The other names the lints promise: 'checksum/ca-bundle' and 'ocean-proxy-ca-bundle'."""
    stream = controller(helm3, NAMESPACE, "--set", "spotinst.proxyUrl=http://proxy.corp:3128",
                        "--set-string", "podAnnotations.checksum/ca-bundle=mine",
                        "--set", "extraVolumes[0].name=ocean-proxy-ca-bundle",
                        "--set", "extraVolumes[0].configMap.name=my-own-certs")
    run = post_renderer(f"--ca-file={ca_file}", stdin=stream)
    assert run.returncode == 0, run.stderr
    said = warnings_of(run)
    assert any("'checksum/ca-bundle'" in w for w in said), run.stderr
    assert any("'ocean-proxy-ca-bundle'" in w for w in said), run.stderr

    strict = post_renderer("--strict", f"--ca-file={ca_file}", stdin=stream)
    assert_one_clear_error(strict, "'checksum/ca-bundle'", "1 more, above")
    assert "'ocean-proxy-ca-bundle'" in strict.stderr
