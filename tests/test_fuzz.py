"""Fuzzing the two inputs, the manifest stream and the CA file, with hypothesis.

Seeds are real: generated release streams (``release_streams.py``) and real certificates in
every accepted format (PEM, DER, PKCS#7, pasted ``openssl s_client`` output). Mutations work
where parsers break: YAML syntax tokens, document markers, anchors and aliases, tabs, CR,
NUL, invalid UTF-8 and truncation in the stream; flipped, cut and re-lengthened bytes in
the DER under the base64, damaged PEM armour, nested ASN.1 in the bundle. Whatever comes:

- the core (in-process, thousands of cases) returns or raises one of our errors, and what
  it returns post-renders again to the same bytes; a CA bundle it accepts holds only valid,
  current CA certificates;
- the real command (a subprocess per case) exits 0 with output, or 1/2 with nothing on
  stdout and one error line and hint on stderr, never a traceback, within its time limit.

``OCEAN_PROXY_FUZZ_SCALE`` multiplies the number of cases (default 1: a few minutes).
"""

from __future__ import annotations

import base64
import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from post_renderer.errors import OceanProxyError
from post_renderer.render.pipeline import post_render
from post_renderer.render.release.settings import Setting, UserSettings
from post_renderer.trust import certificate_from_der, inspect_bundle

from . import certs
from .certs import DAY, NOW
from .conftest import clean_env, ocean_proxy
from .release_streams import release_streams

SCALE = float(os.environ.get("OCEAN_PROXY_FUZZ_SCALE", "1"))
EXAMPLE_SECONDS = 30  # one case taking longer than this counts as a hang


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=max(int(examples * SCALE), 1), deadline=None,
                    print_blob=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# -- mutations -------------------------------------------------------------------------------

STREAM_TOKENS = [
    b"---\n", b"--- ", b"...\n", b"\n---", b"&a ", b"*a", b"&a [x, *a]", b"<<: *a\n",
    b"!!binary ", b"!!python/object/apply:os.system ", b"!custom ", b"%YAML 1.1\n---\n",
    b"? ", b": ", b"- ", b"[", b"]", b"{", b"}", b"|", b">-", b"|2+", b"\"", b"'", b"\\",
    b"\\x", b"#", b"\t", b"\r", b"\r\n", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3",
    b"\n  ", b"\n        ", b"env: *a\n", b"env:\n", b"env: []\n", b"env: {}\n",
    b"name: ocean-kubernetes-controller\n", b"- name: ocean-kubernetes-controller\n",
    b"kind: Deployment\n", b"kind: Secret\n", b"kind: ConfigMap\n", b"kind: CronJob\n",
    b"        - name: HTTPS_PROXY\n          valueFrom: {secretKeyRef: {name: x, key: y}}\n",
    b"        - name: HTTP_PROXY\n          value: 7\n", b"        - name: NO_PROXY\n",
    b"    volumeMounts: 5\n", b"  containers: null\n", b"  data: [1, 2]\n",
    b"  userEnvCertificates.pem: !!binary AAAA\n", b"  proxy-url: socks5://x\n",
    b"  proxy-url: http://u:p@h:1\n", b"app.kubernetes.io/name: ocean-kubernetes-controller\n",
    b"9" * 400, b"[" * 300, b"{a: " * 100, b"- " * 200,
]


@st.composite
def mutated(draw, data: bytes, tokens: list[bytes], max_mutations: int = 6) -> bytes:
    """``data`` with a few insertions, deletions, replacements, repeats and cuts."""
    for _ in range(draw(st.integers(1, max_mutations))):
        if not data:
            data = draw(st.sampled_from(tokens))
            continue
        at = draw(st.integers(0, len(data) - 1))
        span = draw(st.integers(1, 64))
        action = draw(st.sampled_from(["insert", "insert", "replace", "delete", "repeat",
                                       "cut", "flip", "bytes"]))
        token = draw(st.sampled_from(tokens))
        if action == "insert":
            data = data[:at] + token + data[at:]
        elif action == "replace":
            data = data[:at] + token + data[at + span:]
        elif action == "delete":
            data = data[:at] + data[at + span:]
        elif action == "repeat":
            data = data[:at + span] + data[at:at + span] * draw(st.integers(1, 20)) + \
                data[at + span:]
        elif action == "cut":
            data = data[:at]
        elif action == "flip":
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + \
                data[at + 1:]
        else:
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    return data


# -- the manifest stream ---------------------------------------------------------------------


@st.composite
def fuzzed_streams(draw, stream) -> bytes:
    """The stream with its own documents damaged (where parsing happens), then anywhere."""
    documents = list(stream.documents)
    for index in draw(st.sets(st.sampled_from(sorted(stream.targets) or [0]), max_size=2)):
        documents[index] = draw(mutated(documents[index], STREAM_TOKENS, 4))
    data = (b"\xef\xbb\xbf" if stream.bom else b"") + b"".join(documents)
    return draw(mutated(data, STREAM_TOKENS, 3)) if draw(st.booleans()) else data


@pytest.fixture(scope="module")
def ca_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cas")
    pems = {"corp-a": certs.root("Corp A Root CA").pem, "corp-b": certs.root("Corp B Root").pem}
    for name, pem in pems.items():
        (folder / f"{name}.pem").write_bytes(pem)
    return pems, {name: str(folder / f"{name}.pem") for name in pems}


def survive(data: bytes, user: UserSettings) -> bytes | None:
    """Post-render in-process; the output, or None for a refusal with one of our errors."""
    started = time.monotonic()
    try:
        result = post_render(data, user, NOW)
    except (OceanProxyError, RecursionError):  # the CLI turns both into a clean error
        return None
    finally:
        assert time.monotonic() - started < EXAMPLE_SECONDS, "no hang"
    return b"".join(bytes(part) for part in result.parts)


@pytest.mark.slow
@pytest.mark.timeout(900)
@given(data=st.data())
@fuzz_settings(800)
def test_fuzzed_streams_are_post_rendered_or_refused_and_output_is_a_fixed_point(
        ca_files, data):
    pems, paths = ca_files
    stream = data.draw(release_streams(pems))
    user = stream.user(paths)
    output = survive(data.draw(fuzzed_streams(stream)), user)
    if output is not None:
        assert survive(output, user) == output


# -- the CA file -----------------------------------------------------------------------------


def s_client(chain: list[certs.Issued]) -> bytes:
    lines = [b"CONNECTED(00000003)", b"---", b"Certificate chain"]
    for depth, issued in enumerate(chain):
        lines += [f" {depth} s:{issued.subject}".encode(), issued.pem.rstrip(b"\n")]
    return b"\n".join([*lines, b"---", b"Server certificate", b"DONE", b""])


@pytest.fixture(scope="module")
def bundles() -> list[bytes]:
    """Every format users paste: PEM, chains, DER, PKCS#7 (PEM and DER), s_client output."""
    root = certs.root("Fuzz Root CA")
    rsa_root = certs.root("Fuzz RSA Root", key=certs.new_key("rsa", 2048))
    inter = certs.intermediate(root, "Fuzz Issuing CA")
    leaf = certs.leaf(inter)
    old = certs.root("Fuzz Old Root", not_before=NOW - 9 * DAY, not_after=NOW - DAY)
    return [
        root.pem, inter.pem + root.pem, rsa_root.pem.replace(b"\n", b"\r\n"), root.der,
        certs.pkcs7_bundle(root, inter),
        certs.pkcs7_bundle(root, rsa_root, encoding=serialization.Encoding.DER),
        s_client([leaf, inter, root]), leaf.pem, old.pem, root.pem + root.key_pem,
        b"\xef\xbb\xbf" + root.pem,
    ]


DER_TOKENS = [
    b"\x30\x82\xff\xff", b"\x30\x84\xff\xff\xff\xff", b"\x30\x80", b"\x30\x03\x02\x01\x01",
    b"\x06\x03\x55\x04\x03", b"\x17\x0d991231235959Z", b"\x00", b"\xff", b"\x80",
]
PEM_TOKENS = [*DER_TOKENS[:6],
    b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n", b"-----BEGIN ",
    b"-----END ", b"-----BEGIN PKCS7-----\n", b"-----BEGIN TRUSTED CERTIFICATE-----\n",
    b"-----BEGIN PRIVATE KEY-----\n", b"-----BEGIN X509 CRL-----\n", b"=", b"==", b"\n",
    b"\r\n", b" ", b"\x00", b"\xff", b"A" * 64 + b"\n", b"MII", b"CONNECTED(00000003)\n",
    b" 0 s:CN=x\n",
]


@st.composite
def fuzzed_bundles(draw, seeds: list[bytes]) -> bytes:
    """A seed bundle damaged as text, or as DER under its base64 (where ASN.1 breaks)."""
    seed = draw(st.sampled_from(seeds))
    if b"-----BEGIN CERTIFICATE-----" in seed and draw(st.booleans()):
        head, _, rest = seed.partition(b"-----BEGIN CERTIFICATE-----\n")
        body, _, tail = rest.partition(b"-----END CERTIFICATE-----")
        der = base64.b64decode(b"".join(body.split()))
        der = draw(mutated(der, DER_TOKENS))
        encoded = base64.encodebytes(der)
        return head + b"-----BEGIN CERTIFICATE-----\n" + encoded + \
            b"-----END CERTIFICATE-----" + tail
    if draw(st.integers(0, 9)) == 0:  # an ASN.1 nesting bomb
        depth = draw(st.integers(100, 20000))
        return b"\x30\x80" * depth + b"\x00\x00" * depth
    return draw(mutated(seed, PEM_TOKENS))


def assert_only_valid_cas(report) -> None:
    for verdict in report.verdicts:
        if verdict.certificate is None or verdict.verdict not in ("ok", "warning"):
            continue
        cert = verdict.certificate
        certificate_from_der(cert.der)  # still a readable X.509 certificate
        assert cert.is_ca or (cert.is_ca is None and cert.self_signed), cert.subject
        assert cert.not_before <= NOW <= cert.not_after, cert.subject


@pytest.mark.slow
@pytest.mark.timeout(900)
@given(data=st.data())
@fuzz_settings(5000)
def test_fuzzed_ca_files_are_judged_without_crashing_and_only_valid_cas_pass(bundles, data):
    bundle = data.draw(fuzzed_bundles(bundles))
    started = time.monotonic()
    report = inspect_bundle(bundle, "ca.pem", now=NOW)  # never raises for bad content
    try:
        trusted = report.trust_bundle()
    except OceanProxyError:
        trusted = None
    assert time.monotonic() - started < EXAMPLE_SECONDS, "no hang"
    assert_only_valid_cas(report)
    if trusted is not None:
        assert trusted.certificates


@pytest.mark.slow
@pytest.mark.timeout(900)
@given(data=st.data())
@fuzz_settings(300)
def test_fuzzed_ca_files_through_the_post_renderer_core(ca_files, bundles, data):
    pems, paths = ca_files
    stream = data.draw(release_streams(pems))
    bundle = data.draw(fuzzed_bundles(bundles))
    user = stream.user(paths)._replace(ca_files=Setting((("ca.pem", bundle),), "--ca-file"))
    output = survive(stream.data, user)
    if output is not None:
        assert survive(output, user) == output


# -- the real command ------------------------------------------------------------------------


def assert_clean_exit(run) -> None:
    assert "Traceback" not in run.stderr
    if run.returncode == 0:
        assert run.stdout
        return
    assert run.returncode in (1, 2), run.stderr
    assert run.stdout == b""
    lines = run.stderr.splitlines()
    assert sum(line.startswith("ocean-proxy: error: ") for line in lines) == 1, run.stderr
    assert sum(line.startswith("ocean-proxy: hint: ") for line in lines) == 1, run.stderr
    assert "internal error" not in run.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)
@given(data=st.data())
@fuzz_settings(40)
def test_the_command_on_fuzzed_streams_and_ca_files_exits_cleanly(ca_files, bundles, data,
                                                                 tmp_path_factory):
    pems, paths = ca_files
    stream = data.draw(release_streams(pems))
    manifests = data.draw(fuzzed_streams(stream))
    args = stream.flags(paths)
    if data.draw(st.booleans()):
        ca = tmp_path_factory.mktemp("fuzz") / "ca.pem"
        ca.write_bytes(data.draw(fuzzed_bundles(bundles)))
        args += ["--ca-file", str(ca)]
    run = ocean_proxy("render", *args, stdin=manifests, env=clean_env())
    assert_clean_exit(run)


# -- what fuzzing found, kept as plain regression tests ---------------------------------------


def test_a_certificate_with_a_damaged_version_field_is_refused_by_name(tmp_path):
    """cryptography raises InvalidVersion (not a ValueError) for it: it was an internal error."""
    der = bytearray(certs.root("Corp Root").der)
    version = der.find(b"\xa0\x03\x02\x01\x02")  # [0] EXPLICIT INTEGER 2 (v3)
    der[version + 4] = 0x0A
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(bytes(der))
                   + b"-----END CERTIFICATE-----\n")
    report = inspect_bundle(ca.read_bytes(), "ca.pem", now=NOW)
    assert "10 is not a valid X.509 version" in report.refusals[0]
    run = ocean_proxy("check-bundle", ca)
    assert run.returncode == 1
    assert "block 1 (line 1) is not a valid X.509 certificate" in run.stderr
    assert "internal error" not in run.stderr


# -- passwords: any characters, every path a value reaches a message by ----------------------

PASSWORD_CHARACTERS = st.one_of(
    st.sampled_from(list("'\" @%:/?#\\\t=,;[]{}!$&*()~^`|<>")),
    st.characters(min_codepoint=0x21, max_codepoint=0x7e),
    st.characters(min_codepoint=0xa0, max_codepoint=0x2fff, blacklist_categories=("Cs",)),
)


@given(data=st.data())
@fuzz_settings(400)
def test_fuzzed_passwords_never_reach_any_output(data, tmp_path_factory):
    """A password made of quotes, spaces, '@', '%', non-ASCII... between two markers, given on
    every path (flag typo, wrong flag, environment, config file, chart ConfigMap, bad URL):
    whatever the command says, no piece of the password is in it."""
    from .test_leaks import AWKWARD_PATHS, awkward_url, marker_leaks, run_awkward

    middle = data.draw(st.text(PASSWORD_CHARACTERS, min_size=1, max_size=12), label="middle")
    password = f"Zq7{middle}Fx9{data.draw(st.sampled_from(['', '@', ' ', '%']))}Wv4"
    path = data.draw(st.sampled_from(sorted(AWKWARD_PATHS)), label="path")
    case = AWKWARD_PATHS[path](awkward_url(password))
    run = run_awkward(case, tmp_path_factory.mktemp("password"))
    assert "Traceback" not in run.stderr
    assert marker_leaks(run) == [], run.stderr
    if run.returncode != 0:
        assert run.stdout == b""
        assert [line.startswith("ocean-proxy: error:") for line in run.stderr.splitlines()
                ].count(True) == 1, run.stderr
