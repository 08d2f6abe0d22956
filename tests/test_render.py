"""The post-renderer on rendered manifests: faithful, idempotent, deterministic, and restarting
the pods exactly when the trusted CAs or the proxy settings change."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from . import certs
from .chart_render import (
    FULLNAME,
    NAMESPACE,
    PROXY_FLAGS,
    PROXY_URL,
    RELEASE,
    VENDOR_FLAGS,
    parse,
)
from .conftest import FIXTURE_CHART, clean_env, ocean_proxy, run_command, tool

CA_ANNOTATION = "checksum/ca-bundle"
PROXY_ANNOTATION = "checksum/proxy"


@pytest.fixture(scope="session")
def helm_render(tmp_path_factory):
    """``helm template`` of the stand-in chart (helm 3), cached per set of flags."""
    cache: dict[tuple[str, ...], bytes] = {}
    home = tmp_path_factory.mktemp("helm-home")

    def render(*flags: str) -> bytes:
        if flags not in cache:
            run = run_command([tool("helm3"), "template", RELEASE, FIXTURE_CHART,
                               "--namespace", NAMESPACE, *flags],
                              env=clean_env(HELM_DATA_HOME=str(home),
                                            HELM_CONFIG_HOME=str(home),
                                            HELM_CACHE_HOME=str(home)))
            assert run.returncode == 0, run.stderr
            cache[flags] = run.stdout
        return cache[flags]

    return render


@pytest.fixture(scope="module")
def corp_root():
    return certs.root("Corp Proxy Root CA")


@pytest.fixture(scope="module")
def second_root():
    return certs.root("Corp Second Root CA")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def render(manifests: bytes, *args: str | Path, env: dict[str, str] | None = None):
    run = ocean_proxy("render", *args, stdin=manifests, env=env)
    assert run.returncode == 0, run.stderr
    return run


def annotations(output: bytes) -> dict[str, str]:
    pod = parse(output.decode()).pod()
    return dict(pod["metadata"].get("annotations", {}))


def test_post_rendering_its_own_output_changes_nothing(helm_render, corp_root, tmp_path):
    ca = write(tmp_path, "ca.pem", corp_root.pem)
    manifests = helm_render(*VENDOR_FLAGS, "--set", "spotinst.proxyUrl=http://u:pw@p.corp:3128")
    once = render(manifests, "--ca-file", ca, "--no-proxy", ".corp").stdout
    twice = render(once, "--ca-file", ca, "--no-proxy", ".corp")
    assert twice.stdout == once
    assert "nothing changed" in twice.stderr
    assert render(once).stdout == once  # zero-config reads back what it wrote


def test_fluent_bit_copy_of_the_proxy_url_exists_only_while_the_readings_differ(helm_render):
    manifests = helm_render(*VENDOR_FLAGS, "--set", "spotinst.proxyUrl=http://u:p%40ss@p.corp:3128")
    encoded = render(manifests).stdout
    assert render(encoded).stdout == encoded

    plain = parse(render(encoded, "--proxy-url", "http://u:pass@p.corp:3128").stdout.decode())

    assert set(plain.one("Secret", f"{FULLNAME}-ocean-proxy")["data"]) == {"proxy-url"}
    assert plain.env("log-shipper")["HTTP_PROXY"]["valueFrom"]["secretKeyRef"]["key"] == \
        "proxy-url"


def test_same_input_gives_the_same_output(helm_render, corp_root, tmp_path):
    ca = write(tmp_path, "ca.pem", corp_root.pem)
    manifests = helm_render(*PROXY_FLAGS)
    outputs = {render(manifests, "--ca-file", ca).stdout for _ in range(3)}
    assert len(outputs) == 1


def test_no_duplicate_env_names_volumes_or_mount_paths(helm_render, corp_root, second_root,
                                                       tmp_path):
    ca = write(tmp_path, "ca.pem", corp_root.pem + second_root.pem)
    manifests = helm_render(*PROXY_FLAGS)
    out = parse(render(render(manifests, "--ca-file", ca).stdout, "--ca-file", ca).stdout.decode())
    pod = out.pod()["spec"]
    names = [v["name"] for v in pod["volumes"]]
    assert len(names) == len(set(names))
    for container in pod["containers"]:
        env = [e["name"] for e in container["env"]]
        mounts = [m["mountPath"] for m in container["volumeMounts"]]
        assert len(env) == len(set(env)), container["name"]
        assert len(mounts) == len(set(mounts)), container["name"]


def test_duplicated_proxy_entries_in_the_input_are_collapsed(helm_render):
    manifests = helm_render(*PROXY_FLAGS).replace(
        b"        - name: NO_PROXY\n",
        b"        - name: HTTP_PROXY\n          value: http://old:1\n"
        b"        - name: HTTP_PROXY\n          value: http://older:2\n"
        b"        - name: NO_PROXY\n", 1)
    assert manifests.count(b"name: HTTP_PROXY") == 2
    out = parse(render(manifests).stdout.decode())
    env = [e for e in out.container("ocean-kubernetes-controller")["env"]
           if e["name"] == "HTTP_PROXY"]
    assert env == [{"name": "HTTP_PROXY", "value": "http://proxy.corp:3128"}]


def test_ca_checksum_ignores_whitespace_order_and_duplicates(helm_render, corp_root,
                                                            second_root, tmp_path):
    manifests = helm_render(*PROXY_FLAGS)
    tidy = write(tmp_path, "tidy.pem", corp_root.pem + second_root.pem)
    messy = write(tmp_path, "messy.pem", b"\n\n" + second_root.pem.replace(b"\n", b"\r\n")
                  + b"\n" + corp_root.pem + second_root.pem)
    a = render(manifests, "--ca-file", tidy).stdout
    b = render(manifests, "--ca-file", messy).stdout
    assert annotations(a)[CA_ANNOTATION] == annotations(b)[CA_ANNOTATION]
    assert a == b  # the whole release, the Secret's bundle included, is the same


def test_ca_checksum_changes_when_the_trusted_set_changes(helm_render, corp_root, second_root,
                                                         tmp_path):
    manifests = helm_render(*PROXY_FLAGS)
    one = write(tmp_path, "one.pem", corp_root.pem)
    two = write(tmp_path, "two.pem", corp_root.pem + second_root.pem)
    other = write(tmp_path, "other.pem", second_root.pem)
    checksums = {annotations(render(manifests, "--ca-file", f).stdout)[CA_ANNOTATION]
                 for f in (one, two, other)}
    assert len(checksums) == 3


def test_values_that_carry_the_old_checksums_still_roll_the_pods(helm_render, corp_root,
                                                                 second_root, tmp_path):
    """The release's values hold the checksums of the last CA and proxy (an 'ocean-proxy
    values' file, or what the auto-update passed on): a new CA or proxy password must still
    replace them, or the pods keep the old CA and the old password."""
    old_ca, new_ca = (write(tmp_path, f"{n}.pem", c.pem) for n, c in (("a", corp_root),
                                                                      ("b", second_root)))
    old_url, new_url = "http://u:old-pw@proxy.corp:3128", "http://u:new-pw@proxy.corp:3128"
    before = annotations(render(helm_render(*VENDOR_FLAGS), "--ca-file", old_ca,
                                "--proxy-url", old_url).stdout)
    carried = helm_render(*VENDOR_FLAGS, *(arg for key in (CA_ANNOTATION, PROXY_ANNOTATION)
                                           for arg in ("--set-string",
                                                       f"podAnnotations.{key}={before[key]}")))
    assert all(annotations(carried)[k] == before[k] for k in (CA_ANNOTATION, PROXY_ANNOTATION))
    after = annotations(render(carried, "--ca-file", new_ca, "--proxy-url", new_url).stdout)
    fresh = annotations(render(helm_render(*VENDOR_FLAGS), "--ca-file", new_ca,
                               "--proxy-url", new_url).stdout)
    for key in (CA_ANNOTATION, PROXY_ANNOTATION):
        assert after[key] == fresh[key] != before[key], key


def test_proxy_checksum_ignores_no_proxy_order_and_duplicates(helm_render):
    manifests = helm_render(*PROXY_FLAGS)
    a = render(manifests, "--no-proxy", "b.corp,a.corp").stdout
    b = render(manifests, "--no-proxy", "A.corp", "--no-proxy", "b.corp, a.corp").stdout
    assert annotations(a)[PROXY_ANNOTATION] == annotations(b)[PROXY_ANNOTATION]
    assert a == b


WITH_PASSWORD = "http://user:old-password@proxy.corp:3128"


@pytest.mark.parametrize("base_url, changed", [
    (WITH_PASSWORD, ("--proxy-url", "http://other.corp:3128")),
    (WITH_PASSWORD, ("--no-proxy", ".extra.corp")),
    (WITH_PASSWORD, ("--proxy-url", "http://user:new-password@proxy.corp:3128")),
    # without credentials, the URL alone must move the checksum: a host or port change
    # with a password also changes the password's salt
    ("http://proxy.corp:3128", ("--proxy-url", "http://other.corp:3128")),
    ("http://proxy.corp:3128", ("--proxy-url", "http://proxy.corp:8080")),
], ids=["proxy", "no-proxy", "password", "proxy-without-password", "port-without-password"])
def test_proxy_checksum_changes_when_the_proxy_settings_change(helm_render, base_url, changed):
    manifests = helm_render(*VENDOR_FLAGS)
    base = annotations(render(manifests, "--proxy-url", base_url).stdout)
    after = annotations(render(manifests, "--proxy-url", base_url, *changed).stdout)
    assert base[PROXY_ANNOTATION] != after[PROXY_ANNOTATION]


def test_a_new_proxy_in_the_charts_values_rolls_the_pods(helm_render):
    """Zero-config: the user changes spotinst.proxyUrl (no credentials) in the vendor's
    command, and the pods must restart to pick it up."""
    before, after = (annotations(render(helm_render(
        *VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={url}")).stdout)[PROXY_ANNOTATION]
        for url in ("http://proxy-a.corp:3128", "http://proxy-b.corp:3128"))
    assert before != after


def test_chart_annotations_are_kept(helm_render):
    """All of them without an auto-update Job; with one, all but checksum/config, which then
    covers the ConfigMap as emitted: the controller loads ocean-proxy's Job from it when it
    starts (test_rollout)."""
    no_job = (*PROXY_FLAGS, "--set", "spotinst.disableAutoUpdate=true")
    plain = annotations(helm_render(*no_job))
    assert {k: v for k, v in annotations(render(helm_render(*no_job)).stdout).items()
            if k in plain} == plain

    plain = annotations(helm_render(*PROXY_FLAGS))
    out = annotations(render(helm_render(*PROXY_FLAGS)).stdout)
    assert {k: out[k] for k in plain if k != "checksum/config"} == \
        {k: v for k, v in plain.items() if k != "checksum/config"}
    assert out["checksum/config"] != plain["checksum/config"]


def test_custom_ca_secret_name_that_is_not_rendered_is_reported_plainly(helm_render):
    manifests = helm_render(*PROXY_FLAGS, "--set", "caBundleSecret.name=corp-ca")
    run = render(manifests)
    assert "Secret 'corp-ca', which is not part of this release" in run.stderr
    assert "--ca-file" in run.stderr
    assert CA_ANNOTATION not in annotations(run.stdout)


def test_ca_file_with_an_unrendered_custom_secret_gets_a_secret_of_its_own(
    helm_render, corp_root, tmp_path,
):
    ca = write(tmp_path, "ca.pem", corp_root.pem)
    manifests = helm_render(*PROXY_FLAGS, "--set", "caBundleSecret.name=corp-ca")
    run = render(manifests, "--ca-file", ca)
    out = parse(run.stdout.decode())
    mine = out.one("Secret", f"{FULLNAME}-ocean-proxy-ca")
    assert base64.b64decode(mine["data"]["userEnvCertificates.pem"]) == corp_root.pem
    ref = out.env("ocean-kubernetes-controller")["USER_ENV_CERTIFICATES"]["valueFrom"]
    assert ref["secretKeyRef"]["name"] == f"{FULLNAME}-ocean-proxy-ca"
    assert "USER_ENV_CERTIFICATES now reads Secret" in run.stderr


def test_a_changed_bundle_replaces_the_old_hash_keys(helm_render, corp_root, second_root,
                                                     tmp_path):
    first = render(helm_render(*PROXY_FLAGS), "--ca-file",
                   write(tmp_path, "a.pem", corp_root.pem)).stdout
    second = parse(render(first, "--ca-file",
                          write(tmp_path, "b.pem", second_root.pem)).stdout.decode())
    data = second.one("Secret", f"{FULLNAME}-ca-bundle")["data"]
    hashed = [k for k in data if k != "userEnvCertificates.pem"]
    assert len(hashed) == 1
    assert base64.b64decode(data[hashed[0]]) == second_root.pem
    mounts = [m["mountPath"] for m in second.container("log-shipper")["volumeMounts"]]
    assert [m for m in mounts if m.startswith("/etc/ssl/certs/")] == [f"/etc/ssl/certs/{hashed[0]}"]


def test_explain_says_what_changes_and_why_on_stderr(helm_render):
    run = render(helm_render(*PROXY_FLAGS), "--explain")
    assert f"Deployment/{FULLNAME}" in run.stderr
    assert "replace /spec/template/spec/containers/0/env/5 = NO_PROXY=$(KUBERNETES_SERVICE_HOST)," \
        in run.stderr
    assert "replace /data/proxy-url = \"\"  # blank, as the chart's values leave it" in run.stderr
    assert "# in-cluster traffic" in run.stderr
    # the Secret written for the agents that read the chart's ConfigMap names that ConfigMap
    assert (f"Secret/{FULLNAME}-ocean-proxy (new):\n    add     (whole document) = " in run.stderr
            and f"  # the full proxy URL, for the Spot agents of other releases that read "
            f"ConfigMap '{FULLNAME}'\n" in run.stderr), run.stderr
    assert run.stdout.startswith(b"---\n# Source:")


def test_a_proxy_taken_from_the_configmap_is_said_to_be_blanked_there(helm_render):
    """Other releases' agents (the metric exporter) read the chart's ConfigMap: the render
    says it took the URL they read out of it, and where the full URL is now."""
    run = render(helm_render(*PROXY_FLAGS))
    assert parse(run.stdout.decode()).config()["proxy-url"] == ""
    assert f"ConfigMap '{FULLNAME}' key 'proxy-url' is now blank" in run.stderr
    assert f"the full URL is in Secret '{FULLNAME}-ocean-proxy'" in run.stderr


@pytest.mark.parametrize("proxy", [PROXY_URL, "http://svc:p%40ss@proxy.corp:3128"])
def test_a_configmap_that_held_no_proxy_is_not_said_to_lose_it(helm_render, proxy):
    """The proxy from --proxy-url, the chart's ConfigMap without one: nothing was blanked or
    stripped there, and an agent of another release that reads it had no proxy before either.
    The render says so, and where that agent finds the URL once post-rendered."""
    run = render(helm_render(*VENDOR_FLAGS), "--proxy-url", proxy)
    assert parse(run.stdout.decode()).config()["proxy-url"] == ""  # the chart's own blank
    assert "is now blank" not in run.stderr
    assert "without its credentials" not in run.stderr
    assert "warning" not in run.stderr
    assert (f"ConfigMap '{FULLNAME}' holds no proxy URL (the proxy comes from --proxy-url)"
            in run.stderr)
    assert f"from Secret '{FULLNAME}-ocean-proxy' once its release is post-rendered" \
        in run.stderr


@pytest.mark.parametrize("proxy", [PROXY_URL, "http://svc:p%40ss@proxy.corp:3128"])
def test_a_strict_refusal_says_only_why_not_what_the_render_would_have_done(
        helm_render, corp_root, tmp_path, proxy):
    """--strict with a lint: nothing is written, so the notes about the output (the blanked
    ConfigMap key, what the auto-update Job gets) would describe a render that did not
    happen; the run says the error and its hint, and nothing else. With a password the
    blanked key is said as a warning, not a notice: it did not happen either."""
    manifests = helm_render(*VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={proxy}",
                            "--set", "spotinst.insecureSkipTLSVerify=true",
                            "--set", "caBundleSecret.create=true", "--set-file",
                            f"caBundleSecret.data={write(tmp_path, 'ca.pem', corp_root.pem)}")
    run = ocean_proxy("render", "--strict", stdin=manifests)
    assert run.returncode == 1 and run.stdout == b""
    lines = run.stderr.splitlines()
    assert [line.split(":", 2)[1] for line in lines] == [" error", " hint"], run.stderr
    assert "--insecure (spotinst.insecureSkipTLSVerify=true) next to a CA bundle" in lines[0]


def test_plan_prints_rfc6902_patches_that_the_output_applies(helm_render):
    import jsonpatch

    manifests = helm_render(*PROXY_FLAGS)
    plan = json.loads(ocean_proxy("render", "--plan", stdin=manifests).stdout)
    before = parse(manifests.decode())
    after = parse(render(manifests).stdout.decode())
    for entry in plan["documents"]:
        added = entry["document"] is None  # its patch adds the whole document
        original = {} if added else before.one(entry["kind"], entry["name"])
        patched = jsonpatch.apply_patch(original, entry["patch"])
        expected = after.one(entry["kind"], entry["name"])
        if entry["kind"] == "Secret":  # the plan shows a Secret's keys, never their data
            assert set(patched["data"]) == set(expected["data"])
            for key, shown in patched["data"].items():  # each value by its size alone
                size = re.fullmatch(r"<(\d+) bytes of base64>", shown)
                assert size and int(size[1]) == len(expected["data"][key]), (key, shown)
            patched, expected = ({k: v for k, v in d.items() if k != "data"}
                                 for d in (patched, expected))
        assert patched == expected, entry["name"]


def test_plan_never_shows_secret_data(helm_render):
    manifests = helm_render(*VENDOR_FLAGS, "--set", "spotinst.proxyUrl=http://u:hunter2@p:3128")
    run = ocean_proxy("render", "--plan", stdin=manifests)
    assert b"hunter2" not in run.stdout
    assert base64.b64encode(b"http://u:hunter2@p:3128") not in run.stdout


def test_crlf_documents_stay_crlf_and_bom_is_kept(helm_render):
    manifests = b"\xef\xbb\xbf" + helm_render(*PROXY_FLAGS).replace(b"\n", b"\r\n")
    out = render(manifests).stdout
    assert out.startswith(b"\xef\xbb\xbf---\r\n")
    assert b"\n" not in out.replace(b"\r\n", b"")
    assert b"HTTP_PROXY" in out


def test_document_end_marker_and_what_follows_it_are_kept(helm_render):
    manifests = helm_render(*PROXY_FLAGS).rstrip(b"\n") + b"\n...\n# trailing comment\n"
    out = render(manifests).stdout
    assert b"...\n# trailing comment\n" in out  # documents ocean-proxy adds come after it


def test_without_a_controller_the_release_passes_through_with_a_notice():
    manifests = b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: b}\n"
    run = render(manifests)
    assert run.stdout == manifests
    assert "no Ocean controller in these manifests" in run.stderr


def test_workload_flag_injects_into_another_workload(helm_render):
    manifests = helm_render(*VENDOR_FLAGS)
    run = render(manifests, "--workload", "Deployment/ocean-controller-metrics-server",
                 "--proxy-url", "http://p.corp:3128")
    out = parse(run.stdout.decode())
    metrics = out.pod("ocean-controller-metrics-server")["spec"]["containers"][0]
    assert {e["name"]: e.get("value") for e in metrics["env"]}["HTTPS_PROXY"] == \
        "http://p.corp:3128"
    assert "HTTPS_PROXY" not in {e["name"] for e in out.container("log-shipper")["env"]}


def test_untouched_yaml_parses_to_the_same_objects_except_the_targets(helm_render):
    manifests = helm_render(*PROXY_FLAGS)
    before = [d for d in YAML(typ="safe").load_all(manifests) if d]
    after = [d for d in YAML(typ="safe").load_all(render(manifests).stdout) if d]
    changed = {("Deployment", FULLNAME), ("ConfigMap", FULLNAME),
               ("Secret", f"{FULLNAME}-ocean-proxy")}  # added: the full URL, for the exporter
    keep = lambda docs: [d for d in docs  # noqa: E731
                         if (d["kind"], d["metadata"]["name"]) not in changed]
    added = [d for d in after[len(before):]]
    assert keep(before) == keep(after[:len(before)])
    assert {d["kind"] for d in added} <= {"Secret"}


def test_an_https_proxy_is_given_to_go_but_not_to_fluent_bit_and_that_is_said(helm_render):
    run = render(helm_render(*VENDOR_FLAGS), "--proxy-url", "https://proxy.corp:3129")
    out = parse(run.stdout.decode())
    controller = out.env("ocean-kubernetes-controller")
    assert controller["https_proxy"]["value"] == "https://proxy.corp:3129"  # Go: HTTPS_PROXY blank
    shipper = out.env("log-shipper")
    assert not {"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"} & set(shipper)
    assert "NO_PROXY" in shipper
    assert "supports only http:// proxies" in run.stderr


@pytest.mark.parametrize("blank", [
    ("--set", "logShipping.extraEnv[0].name=HTTP_PROXY",
     "--set-string", "logShipping.extraEnv[0].value="),
    ("--set", "logShipping.extraEnv[0].name=http_proxy"),
], ids=["empty-value", "no-value"])
def test_an_https_proxy_beside_a_log_shippers_blank_http_proxy_is_said_to_leave_it_without(
        helm_render, blank):
    """An HTTP_PROXY the log-shipper's values blank (kept out of an old proxy) gives
    fluent-bit no proxy: stderr says it cannot ship its logs, not that it keeps a proxy."""
    run = render(helm_render(*VENDOR_FLAGS, *blank), "--proxy-url", "https://proxy.corp:3129")
    said = " ".join(run.stderr.split())
    assert "gets no proxy and cannot ship its logs" in said, run.stderr
    assert "keeps the HTTP_PROXY" not in said


def test_a_bundle_too_big_for_a_secret_is_refused_before_anything_is_written(
    helm_render, tmp_path,
):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    huge = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "x" * 60)] * 3000)
    root = certs.make_cert("Huge Root")
    key = root.key
    cert = (x509.CertificateBuilder().subject_name(huge).issuer_name(huge)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(certs.NOW - certs.DAY).not_valid_after(certs.NOW + 9 * certs.DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, certs.hashes.SHA256()))
    ca = write(tmp_path, "huge.pem", certs.Issued(cert, key).pem)
    run = ocean_proxy("render", "--ca-file", ca, stdin=helm_render(*PROXY_FLAGS))
    assert run.returncode == 1
    assert run.stdout == b""
    assert "would not fit in a Kubernetes Secret (1 MiB)" in run.stderr


@pytest.mark.parametrize("flags", [VENDOR_FLAGS, PROXY_FLAGS], ids=["nothing-configured", "proxy"])
def test_a_namespace_with_control_characters_is_shown_escaped_in_the_commands_to_copy(
        helm_render, flags):
    """The commands the notices give on lines of their own name the release's namespace: an
    ESC in it must not reach the terminal, nor a line break start a line of its own."""
    manifests = helm_render(*flags).replace(f"namespace: {NAMESPACE}\n".encode(),
                                            b'namespace: "ns\\e[2J\\nx"\n')
    run = render(manifests)
    stderr = run.stderr
    assert "\x1b" not in stderr
    [delete] = [line for line in stderr.splitlines() if "kubectl delete secret" in line]
    assert not delete.startswith("ocean-proxy:")  # the continuation line of a notice
    assert "kubectl delete secret -n ns\\x1b[2J\\nx " in delete
    assert all(line.startswith(("ocean-proxy:", " ")) for line in stderr.splitlines()), stderr


def test_a_big_release_with_a_small_bundle_is_not_said_to_outgrow_helms_record(
        helm_render, corp_root, tmp_path):
    """The record-size warning names the CA bundle ocean-proxy writes several times over: a
    release too big for helm's 1 MiB record with a one-certificate bundle is the chart's
    own size (the chart alone fails the same), and the warning would blame the bundle."""
    import os

    filler = b"".join(
        b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler-%d\ndata:\n  blob: %s\n"
        % (n, base64.b64encode(os.urandom(48 * 1024))) for n in range(32))
    manifests = helm_render(*PROXY_FLAGS) + filler  # about 2 MiB, 1.5 MiB as helm stores it

    run = render(manifests, "--ca-file", write(tmp_path, "corp.pem", corp_root.pem))

    assert "as helm stores it" not in run.stderr
    assert filler in run.stdout  # passed through as it came
