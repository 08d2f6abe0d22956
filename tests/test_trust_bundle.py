"""What users paste as a CA bundle, and what the trust-bundle checks make of it."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import load_pem_x509_certificate

from post_renderer.errors import BundleError
from post_renderer.trust.bundle import inspect_bundle, load_trust_bundle

from . import certs
from .certs import DAY, NOW


@pytest.fixture(scope="module")
def corp_root():
    return certs.root()


@pytest.fixture(scope="module")
def corp_intermediate(corp_root):
    return certs.intermediate(corp_root)


def refused(data: bytes, source: str = "ca.pem") -> BundleError:
    with pytest.raises(BundleError) as caught:
        inspect_bundle(data, source).trust_bundle()
    return caught.value


def test_a_root_ca_is_accepted_and_normalised(corp_root):
    report = inspect_bundle(b"\n\n  " + corp_root.pem + b"\n\n", "ca.pem")
    bundle = report.trust_bundle()
    assert report.warnings == []
    assert [c.fingerprint for c in bundle.certificates] == [corp_root.fingerprint]
    assert bundle.pem() == corp_root.pem


def test_checksum_ignores_whitespace_order_and_duplicates(corp_root, corp_intermediate):
    tidy = inspect_bundle(corp_root.pem + corp_intermediate.pem, "a").trust_bundle()
    messy_text = (corp_intermediate.pem.replace(b"\n", b"\r\n") + b"\n\n"
                  + corp_root.pem + corp_intermediate.pem)
    messy = inspect_bundle(messy_text, "b").trust_bundle()
    assert messy.checksum() == tidy.checksum()
    assert messy.pem() == tidy.pem()


def test_checksum_changes_when_the_set_of_cas_changes(corp_root):
    other = certs.root("Another Root")
    one = inspect_bundle(corp_root.pem, "a").trust_bundle()
    two = inspect_bundle(corp_root.pem + other.pem, "a").trust_bundle()
    assert one.checksum() != two.checksum()


def test_root_and_intermediate_together_give_no_warning(corp_root, corp_intermediate):
    report = inspect_bundle(corp_intermediate.pem + corp_root.pem, "ca.pem")
    report.trust_bundle()
    assert report.warnings == []


def test_intermediate_alone_is_accepted_with_a_warning_naming_its_root(corp_intermediate):
    report = inspect_bundle(corp_intermediate.pem, "ca.pem")
    assert len(report.trust_bundle().certificates) == 1
    [warning] = report.warnings
    assert "intermediate CA" in warning
    assert "log-shipper" in warning
    assert "CN=Example Corp Root CA" in warning


def test_root_in_another_file_satisfies_the_intermediate(corp_root, corp_intermediate):
    bundle, warnings = load_trust_bundle([("int.pem", corp_intermediate.pem),
                                          ("root.pem", corp_root.pem)])
    assert warnings == []
    assert len(bundle.certificates) == 2


def test_leaf_certificate_is_refused_with_its_subject_and_issuer(corp_root):
    server = certs.leaf(corp_root)
    error = refused(corp_root.pem + server.pem)
    assert "ca.pem: certificate 2 'CN=api.spotinst.io,O=Example Corp'" in error.message
    assert "server certificate, not a CA" in error.message
    assert "CN=Example Corp Root CA" in error.hint
    assert error.hint.startswith("remove certificate 2")  # its issuer is certificate 1


def test_expired_ca_is_refused_with_its_subject_and_date():
    old = certs.root("Old Root", not_before=NOW - 800 * DAY, not_after=NOW - 10 * DAY)
    error = refused(old.pem)
    assert "'CN=Old Root,O=Example Corp' expired on" in error.message
    assert f"{(NOW - 10 * DAY):%Y-%m-%d}" in error.message
    assert "current CA certificate" in error.hint


def test_not_yet_valid_ca_is_refused():
    future = certs.root("Future Root", not_before=NOW + 5 * DAY)
    error = refused(future.pem)
    assert "'CN=Future Root,O=Example Corp' is not valid before" in error.message
    assert "clock" in error.hint


def test_ca_expiring_within_30_days_is_warned_about():
    soon = certs.root("Soon Root", not_after=NOW + 10 * DAY)
    report = inspect_bundle(soon.pem, "ca.pem")
    report.trust_bundle()
    assert any("expires on" in w and "under 30 days" in w for w in report.warnings)


def test_a_roots_own_sha1_signature_is_not_warned_about_as_no_client_checks_it():
    weak = certs.resign_with_sha1(certs.root("SHA1 Root", key=certs.new_key("rsa", 2048)))
    assert weak.cert.signature_hash_algorithm.name == "sha1"
    report = inspect_bundle(weak.pem, "ca.pem")
    report.trust_bundle()
    assert report.warnings == []


def test_1024_bit_key_is_warned_about_for_the_log_shipper():
    small = certs.root("Small Root", key=certs.new_key("rsa", 1024))
    report = inspect_bundle(small.pem, "ca.pem")
    report.trust_bundle()
    assert any("RSA 1024" in w and "log-shipper" in w for w in report.warnings)


def test_v3_root_without_basic_constraints_is_refused_as_go_refuses_it():
    legacy = certs.root("Legacy Root", ca=None)
    error = refused(legacy.pem)
    assert "no basic constraints" in error.message and "controller (Go)" in error.message


def test_der_certificate_is_accepted(corp_root):
    bundle = inspect_bundle(corp_root.der, "ca.der").trust_bundle()
    assert bundle.pem() == corp_root.pem


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
def test_pkcs7_bundle_is_accepted(corp_root, corp_intermediate, encoding):
    data = certs.pkcs7_bundle(corp_root, corp_intermediate, encoding=encoding)
    bundle = inspect_bundle(data, "ca.p7b").trust_bundle()
    assert {c.fingerprint for c in bundle.certificates} == {
        corp_root.fingerprint, corp_intermediate.fingerprint}


def test_crlf_and_bom_are_accepted(corp_root):
    data = b"\xef\xbb\xbf" + corp_root.pem.replace(b"\n", b"\r\n")
    assert inspect_bundle(data, "ca.pem").trust_bundle().pem() == corp_root.pem


def test_pem_with_a_private_key_is_refused_without_quoting_the_key(corp_root):
    error = refused(corp_root.pem + corp_root.key_pem)
    assert "ca.pem: block 2 (line" in error.message
    assert "is a private key" in error.message
    assert "exposed" in error.hint
    key_lines = corp_root.key_pem.decode().splitlines()[1:-1]
    assert not any(line in error.message + error.hint for line in key_lines)


def test_truncated_block_is_refused_with_its_line(corp_root):
    truncated = corp_root.pem[: len(corp_root.pem) // 2]
    error = refused(b"# corporate CA\n" + truncated)
    assert "ca.pem: block 1 (line 2) is truncated" in error.message
    assert "-----END" in error.hint


def test_damaged_base64_is_refused(corp_root):
    lines = corp_root.pem.split(b"\n")
    lines[3] = b"this is not base64 at all!"
    error = refused(b"\n".join(lines))
    assert "is damaged" in error.message


def test_garbage_is_refused_with_the_formats_we_accept():
    error = refused(b"hello, this is not a certificate\n")
    assert error.message == "ca.pem: no certificate found"
    assert "PEM" in error.hint and "DER" in error.hint and "PKCS#7" in error.hint


@pytest.mark.parametrize("data", [b"", b"\n \r\n"], ids=["empty", "blank"])
def test_empty_file_is_refused_as_empty(data):
    error = refused(data)
    assert error.message == "ca.pem is empty"
    assert error.hint.endswith("a command whose output was sent to it (> FILE) may have "
                               "failed before writing any")


def test_empty_stdin_is_refused_with_the_pipe_that_fed_it():
    """'ocean-proxy discover-ca | ocean-proxy check-bundle -': no file was emptied by '>', the
    command before the pipe wrote nothing."""
    error = refused(b"", source="stdin")
    assert error.message == "stdin is empty"
    assert "> FILE" not in error.hint
    assert error.hint.endswith("the command piped into it may have failed before writing any")


def test_other_pem_objects_are_refused_by_name(corp_root):
    csr = b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
    error = refused(corp_root.pem + csr)
    assert "is a 'CERTIFICATE REQUEST', not a certificate" in error.message


def test_every_refusal_is_counted_in_the_error(corp_root):
    error = refused(certs.leaf(corp_root).pem + certs.leaf(corp_root, "b.example").pem)
    assert "(and 1 more problem(s))" in error.message
    assert "check-bundle" in error.hint


def test_a_huge_file_is_refused_quickly_by_size():
    started = time.monotonic()
    error = refused(b"A" * (50 * 1024 * 1024))
    assert "larger than 4 MiB" in error.message
    assert time.monotonic() - started < 5


def test_thousands_of_certificates_are_refused(corp_root):
    error = refused(corp_root.pem * 600)
    assert "holds 600 certificates, more than 500" in error.message


def _serve_tls_chain(tmp_path, chain: list[certs.Issued]):
    """openssl s_server presenting ``chain`` (leaf first), on a free 127.0.0.1 port."""
    (tmp_path / "leaf.pem").write_bytes(chain[0].pem)
    (tmp_path / "key.pem").write_bytes(chain[0].key_pem)
    (tmp_path / "chain.pem").write_bytes(b"".join(c.pem for c in chain[1:]))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", "leaf.pem",
            "-key", "key.pem", "-www", "-quiet"]
    if len(chain) > 1:
        args += ["-cert_chain", "chain.pem"]
    server = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("openssl s_server did not start")


def _s_client_showcerts(port: int) -> bytes:
    return subprocess.run(
        ["openssl", "s_client", "-showcerts", "-connect", f"127.0.0.1:{port}",
         "-servername", "api.spotinst.io"],
        input=b"", capture_output=True, timeout=30, check=False,
    ).stdout


def test_pasted_s_client_output_keeps_the_cas_and_skips_the_server_certificate(
    tmp_path, corp_root, corp_intermediate,
):
    server_cert = certs.leaf(corp_intermediate)
    server, port = _serve_tls_chain(tmp_path, [server_cert, corp_intermediate, corp_root])
    try:
        pasted = _s_client_showcerts(port)
    finally:
        server.kill()
        server.wait()
    assert b"Certificate chain" in pasted
    report = inspect_bundle(pasted, "pasted.txt")
    bundle = report.trust_bundle()
    assert {c.fingerprint for c in bundle.certificates} == {
        corp_root.fingerprint, corp_intermediate.fingerprint}
    assert any("server's own certificate" in note for note in report.notes)


def test_pasted_s_client_output_with_only_the_server_certificate_names_the_missing_issuer(
    tmp_path, corp_root,
):
    server, port = _serve_tls_chain(tmp_path, [certs.leaf(corp_root)])
    try:
        pasted = _s_client_showcerts(port)
    finally:
        server.kill()
        server.wait()
    error = refused(pasted, "pasted.txt")
    assert "holds only the server's certificate" in error.message
    assert "CN=Example Corp Root CA" in error.message
    assert "discover-ca" in error.hint


def test_normalised_pem_is_the_same_certificate(corp_root):
    bundle = inspect_bundle(corp_root.pem, "ca.pem").trust_bundle()
    reloaded = load_pem_x509_certificate(bundle.pem())
    assert reloaded == corp_root.cert
