"""Hostile input: each is passed through untouched, injected correctly, or refused with one
clear error, and always fast and in bounded memory.

The real post-renderer runs forked from ``bench/measure.py``, which reports its wall time and
peak RSS (a small measuring parent, so the peak is the child's own). The bounds are
robustness limits, generous enough never to flake on a busy 2-core machine, not benchmarks:
60 s, and the input's size plus 200 MB.
"""

from __future__ import annotations

import base64
import filecmp
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, ObjectIdentifier
from ruamel.yaml import YAML

from . import certs
from .conftest import REPO, VENV_BIN, clean_env

MEASURE = REPO / "bench" / "measure.py"
TIME_LIMIT = 60
MEMORY_MARGIN_KB = 200 * 1024
PROXY = "http://proxy.corp:3128"
FULLNAME = "oc-ocean-kubernetes-controller"

CONTROLLER = f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {FULLNAME}
spec:
  template:
    spec:
      containers:
      - name: ocean-kubernetes-controller
        image: spotinst/ocean-kubernetes-controller:2
        env:
        - name: SPOTINST_ACCOUNT
          value: act-1
      - name: log-shipper
        image: fluent/fluent-bit:3
"""


@dataclass
class Outcome:
    """One measured run of the post-renderer."""

    returncode: int
    wall: float
    peak_kb: int
    timed_out: bool
    stdout: Path
    stderr: str
    input_size: int

    def output(self) -> bytes:
        return self.stdout.read_bytes()

    def assert_bounded(self) -> None:
        assert not self.timed_out, f"still running after the time limit ({self.wall:.0f} s)"
        assert self.peak_kb < self.input_size // 1024 + MEMORY_MARGIN_KB, \
            f"peak RSS {self.peak_kb // 1024} MB for {self.input_size // 2**20} MB of input"
        assert "Traceback" not in self.stderr

    def assert_refused(self, *fragments: str) -> None:
        self.assert_bounded()
        errors = [x for x in self.stderr.splitlines() if x.startswith("ocean-proxy: error: ")]
        hints = [x for x in self.stderr.splitlines() if x.startswith("ocean-proxy: hint: ")]
        assert self.returncode in (1, 2), self.stderr
        assert self.stdout.stat().st_size == 0
        assert len(errors) == 1 and len(hints) == 1, self.stderr
        for fragment in fragments:
            assert fragment in errors[0], self.stderr

    def assert_untouched(self, manifests: Path) -> None:
        self.assert_bounded()
        assert self.returncode == 0, self.stderr
        assert filecmp.cmp(manifests, self.stdout, shallow=False)

    def assert_injected(self) -> bytes:
        self.assert_bounded()
        assert self.returncode == 0, self.stderr
        output = self.output()
        assert b"name: HTTP_PROXY" in output
        return output


def post_render(manifests: Path | bytes, *args: str | Path, tmp_path: Path,
                name: str = "run", time_limit: float = TIME_LIMIT) -> Outcome:
    """Run the real post-renderer on ``manifests``, measured."""
    if isinstance(manifests, bytes):
        path = tmp_path / f"{name}-input.yaml"
        path.write_bytes(manifests)
        manifests = path
    stdout, stderr = tmp_path / f"{name}-stdout", tmp_path / f"{name}-stderr"
    line = subprocess.run(
        [sys.executable, "-I", "-S", MEASURE, str(time_limit), manifests, stdout, stderr, "--",
         VENV_BIN / "ocean-proxy-post-renderer", *map(str, args)],
        capture_output=True, text=True, env=clean_env(), check=True, timeout=time_limit + 30,
    ).stdout.split()
    return Outcome(int(line[0]), float(line[1]), int(line[3]), line[4] == "1", stdout,
                   stderr.read_text(errors="replace"), manifests.stat().st_size)


def containers_of(output: bytes, name: str = FULLNAME) -> list[dict]:
    for doc in YAML(typ="safe").load_all(output):
        if isinstance(doc, dict) and doc.get("kind") == "Deployment" \
                and doc["metadata"]["name"] == name:
            return doc["spec"]["template"]["spec"]["containers"]
    raise AssertionError(f"no Deployment/{name}")


def assert_no_duplicates(containers: list[dict]) -> None:
    for container in containers:
        names = [e["name"] for e in container.get("env") or ()]
        mounts = [m["mountPath"] for m in container.get("volumeMounts") or ()]
        assert len(names) == len(set(names)), (container["name"], names)
        assert len(mounts) == len(set(mounts)), (container["name"], mounts)


# -- YAML aliases ----------------------------------------------------------------------------


SHARED_ENV = CONTROLLER.replace(
    "        env:\n", "        env: &common\n").replace(
    "        image: fluent/fluent-bit:3\n", "        image: fluent/fluent-bit:3\n"
    "        env: *common\n").encode()


@pytest.mark.timeout(120)
def test_containers_sharing_one_env_list_by_alias_each_get_the_proxy_once(tmp_path):
    first = post_render(SHARED_ENV, "--proxy-url", PROXY, tmp_path=tmp_path, name="first")
    output = first.assert_injected()
    containers = containers_of(output)
    assert_no_duplicates(containers)
    for container in containers:
        assert [e["name"] for e in container["env"]].count("HTTP_PROXY") == 1
    again = post_render(output, "--proxy-url", PROXY, tmp_path=tmp_path, name="again")
    assert again.assert_injected() == output


@pytest.mark.timeout(120)
def test_an_alias_of_the_pod_annotations_elsewhere_does_not_get_the_checksum(tmp_path):
    manifests = CONTROLLER.replace(
        "metadata:\n  name: " + FULLNAME + "\n",
        "metadata:\n  name: " + FULLNAME + "\n  annotations: &notes\n    team: platform\n").replace(
        "  template:\n    spec:\n",
        "  template:\n    metadata:\n      annotations: *notes\n    spec:\n").encode()
    output = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_injected()
    deployment = next(d for d in YAML(typ="safe").load_all(output) if d)
    assert deployment["metadata"]["annotations"] == {"team": "platform"}
    assert "checksum/proxy" in deployment["spec"]["template"]["metadata"]["annotations"]


# -- alias bombs ("billion laughs") ----------------------------------------------------------


def laughs(indent: str, levels: int = 10) -> str:
    """Anchors whose full expansion is 10**levels strings: a few hundred bytes of YAML."""
    lines = [f"{indent}- &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    lines += [f"{indent}- &lol{i} [{', '.join([f'*lol{i - 1}'] * 10)}]\n"
              for i in range(1, levels)]
    return "".join(lines)


def with_auto_update_job(job: str) -> bytes:
    """The controller reading its ConfigMap, which embeds the auto-update Job."""
    configmap = f"""---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {FULLNAME}
data:
  proxy-url: {PROXY}
  auto-update.job: |
""" + "".join(f"    {line}\n" for line in job.splitlines())
    controller = CONTROLLER.replace("        env:\n", f"""        env:
        - name: HTTPS_PROXY
          valueFrom:
            configMapKeyRef: {{name: {FULLNAME}, key: proxy-url, optional: true}}
""")
    return (configmap + controller).encode()


@pytest.mark.timeout(120)
def test_alias_bomb_in_the_controller_is_injected_without_being_expanded(tmp_path):
    manifests = CONTROLLER.replace(
        "        image: spotinst/ocean-kubernetes-controller:2\n",
        "        image: spotinst/ocean-kubernetes-controller:2\n        args:\n"
        + laughs("        ")).encode()
    output = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_injected()
    assert len(output) < 4 * len(manifests)
    assert output.count(b"*lol8") == 10  # still aliases, not 10**10 strings


@pytest.mark.timeout(120)
def test_alias_bomb_in_the_env_list_itself_is_injected_without_being_expanded(tmp_path):
    manifests = CONTROLLER.replace(
        "        - name: SPOTINST_ACCOUNT\n          value: act-1\n", laughs("        ")).encode()
    output = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_injected()
    assert len(output) < 4 * len(manifests)


# The embedded auto-update Job, down to its pod spec's keys
JOB_HEAD = """apiVersion: batch/v1
kind: Job
metadata:
  name: auto-update
spec:
  template:
    spec:
"""


@pytest.mark.timeout(120)
def test_alias_bomb_in_the_embedded_auto_update_job_is_injected_without_being_expanded(
        tmp_path):
    job = JOB_HEAD + """      containers:
        - name: auto-update
          image: spotinst/auto-update:1
          args:
""" + laughs("            ")
    manifests = with_auto_update_job(job)
    output = post_render(manifests, tmp_path=tmp_path).assert_injected()
    assert len(output) < 4 * len(manifests)


@pytest.mark.timeout(120)
def test_auto_update_job_containers_sharing_one_env_list_each_get_the_proxy_once(tmp_path):
    """The embedded Job's containers may share one env list by alias, as the controller's
    may: each gets each proxy variable once, and a second run changes nothing."""
    job = JOB_HEAD + """      initContainers:
        - name: prepare
          image: spotinst/auto-update:1
          env: &common
            - name: RELEASE_NAME
              value: oc
      containers:
        - name: auto-update
          image: spotinst/auto-update:1
          env: *common
"""
    first = post_render(with_auto_update_job(job), tmp_path=tmp_path, name="first")
    output = first.assert_injected()
    configmap = next(d for d in YAML(typ="safe").load_all(output) if d and d["kind"] == "ConfigMap")
    spec = YAML(typ="safe").load(configmap["data"]["auto-update.job"])["spec"]["template"]["spec"]
    containers = spec["initContainers"] + spec["containers"]
    assert_no_duplicates(containers)
    for container in containers:
        assert [e["name"] for e in container["env"]].count("HTTPS_PROXY") == 1, container
    again = post_render(output, tmp_path=tmp_path, name="again")
    assert again.assert_injected() == output


@pytest.mark.timeout(120)
def test_alias_bomb_in_another_document_passes_through_untouched(tmp_path):
    bomb = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\nlaughs:\n" + \
        laughs("  ", levels=30)
    manifests = tmp_path / "manifests.yaml"
    manifests.write_bytes((bomb + CONTROLLER).encode())
    output = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_injected()
    assert output.startswith(bomb.encode())


@pytest.mark.timeout(120)
def test_alias_bomb_in_the_config_file_is_refused(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("noProxy:\n" + laughs("  ", levels=30))
    outcome = post_render(CONTROLLER.encode(), "--config", config, tmp_path=tmp_path)
    outcome.assert_refused("expected a string or a list of strings")


# -- deep nesting ----------------------------------------------------------------------------


def nested_args(depth: int, flow: bool) -> str:
    if flow:
        return "        args: " + "[" * depth + "]" * depth + "\n"
    return "        args:\n" + "".join(" " * (10 + 2 * i) + "- \n" for i in range(depth))[:-1] \
        + "x\n"


@pytest.mark.timeout(200)
@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_a_deeply_nested_controller_is_refused(flow, tmp_path):
    depth = 50_000 if flow else 1_500  # a block level costs a line: 1,500 make 2 MB
    manifests = CONTROLLER.replace(
        "      - name: log-shipper\n",
        nested_args(depth, flow) + "      - name: log-shipper\n").encode()
    # Deep flow nesting costs ruamel's scanner ~10 s of one core whatever the depth (it keeps
    # up to 1,024 pending keys and checks them all on every token): a wider limit, not a hang.
    outcome = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path,
                          time_limit=2 * TIME_LIMIT)
    outcome.assert_refused("nested too deeply")


@pytest.mark.timeout(120)
def test_a_moderately_nested_controller_is_injected(tmp_path):
    manifests = CONTROLLER.replace(
        "      - name: log-shipper\n",
        nested_args(60, flow=True) + nested_args(60, flow=False).replace("args", "command")
        + "      - name: log-shipper\n").encode()
    output = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_injected()
    assert_no_duplicates(containers_of(output))


@pytest.mark.timeout(120)
def test_a_deeply_nested_other_document_passes_through_untouched(tmp_path):
    deep = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: " + \
        "[" * 500_000 + "]" * 500_000 + "\n"
    output = post_render((deep + CONTROLLER).encode(), "--proxy-url", PROXY,
                         tmp_path=tmp_path).assert_injected()
    assert output.startswith(deep.encode())


# -- 100 MB on one line ----------------------------------------------------------------------


HUNDRED_MB = 100 * 1024 * 1024


def write_blocks(path: Path, *parts: bytes | tuple[bytes, int]) -> None:
    """Write parts; a (block, count) part is the block repeated, without building it whole."""
    with open(path, "wb") as out:
        for part in parts:
            if isinstance(part, tuple):
                block, count = part
                for _ in range(count):
                    out.write(block)
            else:
                out.write(part)


def same_tail(path: Path, expected: Path) -> bool:
    size = expected.stat().st_size
    with open(path, "rb") as actual, open(expected, "rb") as wanted:
        actual.seek(actual.seek(0, 2) - size)
        while block := wanted.read(1 << 23):
            if actual.read(len(block)) != block:
                return False
    return True


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_100_mb_line_without_a_controller_passes_through_untouched(tmp_path):
    manifests = tmp_path / "line.yaml"
    write_blocks(manifests, (b"kind: ConfigMap name: x " * 4096, HUNDRED_MB // (24 * 4096)))
    post_render(manifests, tmp_path=tmp_path).assert_untouched(manifests)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_100_mb_line_next_to_the_controller_is_kept_and_the_controller_injected(tmp_path):
    big = tmp_path / "big.yaml"
    write_blocks(big, b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n"
                      b"data:\n  blob: \"", (b"x" * 2**20, 100), b"\"\n")
    manifests = tmp_path / "manifests.yaml"
    write_blocks(manifests, CONTROLLER.encode(), big.read_bytes())
    outcome = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path)
    outcome.assert_bounded()
    assert outcome.returncode == 0, outcome.stderr
    assert same_tail(outcome.stdout, big)
    with open(outcome.stdout, "rb") as output:
        assert b"name: HTTP_PROXY" in output.read(1 << 16)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_100_mb_line_inside_the_controller_is_refused(tmp_path):
    manifests = tmp_path / "manifests.yaml"
    write_blocks(manifests, CONTROLLER.encode(), b"        args: [\"", (b"x" * 2**20, 100),
                 b"\"]\n")
    post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_refused(
        "document 1", "larger than any Kubernetes object")


# -- namesakes in other namespaces -----------------------------------------------------------


def namespaced(namespace: str, proxy: str, ca: bytes) -> bytes:
    """The controller's ConfigMap and CA Secret, in ``namespace``."""
    return f"""---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {FULLNAME}
  namespace: {namespace}
data:
  proxy-url: {proxy}
---
apiVersion: v1
kind: Secret
metadata:
  name: {FULLNAME}-ca-bundle
  namespace: {namespace}
data:
  userEnvCertificates.pem: {base64.b64encode(ca).decode()}
""".encode()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("namesakes_first", [True, False], ids=["before", "after"])
def test_namesakes_in_another_namespace_are_not_the_controllers_configuration(
        namesakes_first, ca_key, tmp_path):
    """A pod reads its own namespace's ConfigMap and Secret: the proxy and the CA must come
    from those, and only those may change, wherever a namesake stands in the stream."""
    controller = CONTROLLER.replace(
        f"  name: {FULLNAME}\n", f"  name: {FULLNAME}\n  namespace: spot-system\n", 1).replace(
        "        env:\n", f"""        env:
        - name: HTTPS_PROXY
          valueFrom:
            configMapKeyRef: {{name: {FULLNAME}, key: proxy-url}}
        - name: USER_ENV_CERTIFICATES
          valueFrom:
            secretKeyRef: {{name: {FULLNAME}-ca-bundle, key: userEnvCertificates.pem}}
""").encode()
    own = namespaced("spot-system", "http://own.proxy:3128",
                     self_signed_ca(ca_key, common_name("Own Root")))
    namesakes = namespaced("other-team", "http://other.proxy:3128",
                           self_signed_ca(ca_key, common_name("Other Root")))
    parts = [namesakes, own, controller] if namesakes_first else [own, controller, namesakes]
    outcome = post_render(b"".join(parts), tmp_path=tmp_path)
    output = outcome.assert_injected()
    assert "proxy http://own.proxy:3128" in outcome.stderr
    assert b"http://other.proxy" not in output.replace(namesakes, b"")
    assert namesakes in output  # byte for byte


# -- binary garbage and invalid UTF-8 --------------------------------------------------------


def garbage(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.timeout(120)
def test_binary_garbage_passes_through_untouched(tmp_path):
    manifests = tmp_path / "garbage.bin"
    manifests.write_bytes(garbage(20 * 2**20))
    post_render(manifests, tmp_path=tmp_path).assert_untouched(manifests)


@pytest.mark.timeout(120)
def test_binary_garbage_with_explicit_settings_is_refused(tmp_path):
    post_render(garbage(20 * 2**20), "--proxy-url", PROXY, tmp_path=tmp_path).assert_refused(
        "the input holds no Kubernetes manifests")


@pytest.mark.timeout(120)
def test_binary_garbage_between_documents_is_kept_byte_for_byte(tmp_path):
    blobs = [garbage(2**20, seed) for seed in range(5)]
    manifests = b"".join([blobs[0], b"\n---\n", blobs[1], b"\n", CONTROLLER.encode(),
                          b"---\n", blobs[2], b"\n---\n", blobs[3], b"\n---\n", blobs[4]])
    output = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_injected()
    for blob in blobs:
        assert blob in output
    assert output.startswith(blobs[0])


@pytest.mark.timeout(120)
def test_binary_garbage_inside_the_controller_is_refused(tmp_path):
    manifests = CONTROLLER.replace("        image: spotinst", "        image: \x00\x01\x1b[31m"
                                   ).encode() + garbage(4096)
    post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_refused(
        "document 1 is not valid")


BAD_UTF8 = {
    "latin-1": "café".encode("latin-1"),
    "continuation-bytes": b"\x80\x81\xbf",
    "overlong": b"\xc0\xaf\xe0\x80\x80",
    "surrogate": b"\xed\xa0\x80\xed\xb0\x80",
    "truncated": b"\xe2\x82",
    "utf-16": "name".encode("utf-16"),
}


@pytest.mark.timeout(120)
def test_invalid_utf8_in_other_documents_is_kept_byte_for_byte(tmp_path):
    others = b"".join(b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + bad
                      + b"\ndata:\n  " + bad + b": " + bad + b"\n" for bad in BAD_UTF8.values())
    others += "---\nkind: ConfigMap\nmetadata:\n  name: x\n".encode("utf-16") + b"\n"
    output = post_render(others + CONTROLLER.encode(), "--proxy-url", PROXY,
                         tmp_path=tmp_path).assert_injected()
    assert output.startswith(others)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(BAD_UTF8))
def test_invalid_utf8_in_the_configmap_the_controller_reads_is_refused(name, tmp_path):
    manifests = with_auto_update_job("kind: Job\n").replace(
        b"  proxy-url: ", b"  note: x" + BAD_UTF8[name] + b"\n  proxy-url: ")
    post_render(manifests, tmp_path=tmp_path).assert_refused("document 1 is not valid UTF-8")


# -- CA bundles: huge, crowded, absurd -------------------------------------------------------


def self_signed_ca(key, name: x509.Name, serial: int = 1, *extensions) -> bytes:
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(serial)
               .not_valid_before(certs.NOW - certs.DAY)
               .not_valid_after(certs.NOW + 300 * certs.DAY)
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), True))
    for extension in extensions:
        builder = builder.add_extension(extension, False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def common_name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


@pytest.fixture(scope="module")
def ca_key():
    return certs.new_key()


def ca_secret(bundle: bytes) -> bytes:
    """The controller with the chart's CA Secret holding ``bundle``."""
    return CONTROLLER.replace("        env:\n", f"""        env:
        - name: USER_ENV_CERTIFICATES
          valueFrom:
            secretKeyRef: {{name: {FULLNAME}-ca-bundle, key: userEnvCertificates.pem}}
""").encode() + f"""---
apiVersion: v1
kind: Secret
metadata:
  name: {FULLNAME}-ca-bundle
data:
  userEnvCertificates.pem: """.encode() + base64.b64encode(bundle) + b"\n"


@pytest.mark.timeout(120)
def test_a_50_mb_ca_file_is_refused_without_reading_it_all(ca_key, tmp_path):
    cert = self_signed_ca(ca_key, common_name("Corp Root"))
    ca = tmp_path / "ca.pem"
    write_blocks(ca, (cert, 50 * 2**20 // len(cert) + 1))
    outcome = post_render(CONTROLLER.encode(), "--proxy-url", PROXY, "--ca-file", ca,
                          tmp_path=tmp_path)
    outcome.assert_refused("larger than 4 MiB")
    assert outcome.peak_kb < 100 * 1024


@pytest.mark.timeout(120)
def test_a_50_mb_ca_bundle_in_the_chart_secret_is_refused(ca_key, tmp_path):
    cert = self_signed_ca(ca_key, common_name("Corp Root"))
    manifests = ca_secret(cert * (50 * 2**20 // len(cert) + 1))
    post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_refused(
        "larger than any Kubernetes object")


@pytest.fixture(scope="module")
def many_cas(ca_key) -> list[bytes]:
    return [self_signed_ca(ca_key, common_name(f"Corp CA {i}"), i + 1) for i in range(3000)]


@pytest.fixture(scope="module")
def thousands(many_cas) -> bytes:
    return b"".join(many_cas)


@pytest.mark.timeout(120)
def test_thousands_of_certificates_are_refused_by_count(thousands, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(thousands)
    post_render(CONTROLLER.encode(), "--proxy-url", PROXY, "--ca-file", ca,
                tmp_path=tmp_path).assert_refused("holds 3000 certificates, more than 500")


@pytest.mark.timeout(120)
def test_thousands_of_copies_of_one_certificate_are_refused_by_count(ca_key, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(self_signed_ca(ca_key, common_name("Corp Root")) * 5000)
    post_render(CONTROLLER.encode(), "--proxy-url", PROXY, "--ca-file", ca,
                tmp_path=tmp_path).assert_refused("holds 5000 certificates")


@pytest.mark.timeout(120)
def test_thousands_of_certificates_in_the_chart_secret_are_refused(thousands, tmp_path):
    post_render(ca_secret(thousands), "--proxy-url", PROXY, tmp_path=tmp_path).assert_refused(
        "holds 3000 certificates, more than 500")


@pytest.mark.timeout(120)
def test_hundreds_of_certificates_are_trusted_each_mounted_once(many_cas, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"".join(many_cas[:450]))
    outcome = post_render(CONTROLLER.encode(), "--proxy-url", PROXY, "--ca-file", ca,
                          tmp_path=tmp_path)
    containers = containers_of(outcome.assert_injected())
    assert_no_duplicates(containers)
    assert all(len(c["volumeMounts"]) == 451 for c in containers)
    assert "holds 450 certificates" in outcome.stderr


ABSURD = {
    "1 MB organization": lambda key: self_signed_ca(key, x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "O" * 2**20)])),
    "5000 name parts": lambda key: self_signed_ca(key, x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"unit-{i}")
         for i in range(5000)])),
    "20000 alternative names": lambda key: self_signed_ca(
        key, common_name("Corp SAN"), 1,
        x509.SubjectAlternativeName([x509.DNSName(f"h{i}.corp.example") for i in range(20000)])),
    "2 MB unknown extension": lambda key: self_signed_ca(
        key, common_name("Corp Ext"), 1,
        x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04" * 2**21)),
    "1000 issuer URLs": lambda key: self_signed_ca(
        key, common_name("Corp AIA"), 1, x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(f"http://ca{i}.corp/ca.crt"))
            for i in range(1000)])),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(ABSURD))
def test_certificates_with_absurd_field_sizes_are_handled_with_short_messages(
        name, ca_key, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(ABSURD[name](ca_key))
    outcome = post_render(CONTROLLER.encode(), "--proxy-url", PROXY, "--ca-file", ca,
                          tmp_path=tmp_path)
    outcome.assert_bounded()
    if outcome.returncode == 0:
        assert b"checksum/ca-bundle" in outcome.output()
    else:
        outcome.assert_refused()
    assert max(map(len, outcome.stderr.splitlines())) < 2000


def huge_name_ca(ca_key, size: int) -> bytes:
    """An expired CA whose name is one organisation of ``size`` characters."""
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "O" * size)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(ca_key.public_key()).serial_number(1)
            .not_valid_before(certs.NOW - 9 * certs.DAY).not_valid_after(certs.NOW - certs.DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


@pytest.mark.timeout(120)
def test_an_expired_certificate_with_a_1_mb_name_is_refused_in_one_short_line(ca_key, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(huge_name_ca(ca_key, 2**20 - 64))  # just within what OpenSSL reads in a name
    outcome = post_render(CONTROLLER.encode(), "--proxy-url", PROXY, "--ca-file", ca,
                          tmp_path=tmp_path)
    outcome.assert_refused("expired on")
    assert max(map(len, outcome.stderr.splitlines())) < 2000


@pytest.mark.timeout(120)
def test_a_certificate_whose_name_openssl_cannot_read_is_refused_in_one_short_line(
        ca_key, tmp_path):
    """Over 1 MiB, OpenSSL refuses the name, so the log-shipper could never use the CA."""
    ca = tmp_path / "ca.pem"
    ca.write_bytes(huge_name_ca(ca_key, 2**20))
    assert subprocess.run(["openssl", "x509", "-noout", "-subject_hash", "-in", ca],
                          capture_output=True).returncode != 0
    outcome = post_render(CONTROLLER.encode(), "--proxy-url", PROXY, "--ca-file", ca,
                          tmp_path=tmp_path)
    outcome.assert_refused("is not a valid X.509 certificate (OpenSSL cannot read it: ")
    assert max(map(len, outcome.stderr.splitlines())) < 2000


# -- many documents --------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_million_empty_documents_pass_through_in_bounded_memory(tmp_path):
    manifests = tmp_path / "empty.yaml"
    manifests.write_bytes(b"---\n" * 1_000_000)
    post_render(manifests, tmp_path=tmp_path).assert_untouched(manifests)


def test_a_config_file_larger_than_a_mib_is_refused_not_read_cut_short(tmp_path):
    """Read cut at the limit, the proxy URL past it was lost without a word: the release
    went out without the proxy."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(("# " + "x" * 1021 + "\n") * 1024  # 1 MiB of comments
                      + "proxyUrl: http://svc-ocean:S3cr3t-Pa55@proxy.corp.example:3128\n")
    outcome = post_render(CONTROLLER.encode(), "--config", config, tmp_path=tmp_path)
    outcome.assert_refused(f"config file {config} is larger than 1 MiB")
    assert "S3cr3t-Pa55" not in outcome.stderr


def test_a_config_file_with_a_variable_in_its_proxy_url_says_nothing_expands_it(tmp_path):
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text("proxyUrl: ${PROXY_URL}\n")
    outcome = post_render(CONTROLLER.encode(), "--config", config, tmp_path=tmp_path)
    outcome.assert_refused(f"config file {config}")
    assert "ocean-proxy: hint: a '$NAME' in it is not expanded here" in outcome.stderr
