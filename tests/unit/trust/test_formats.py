"""read_certificates: PEM, DER, PKCS#7 and pasted openssl output, block by block."""

from __future__ import annotations

import base64
import subprocess

from cryptography.hazmat.primitives import serialization

from post_renderer.trust.formats import read_certificates

from ... import certs


def read(data: bytes, source: str = "ca.pem"):
    problems: list[tuple[str, str]] = []
    items = read_certificates(data, source, problems)
    return [cert for _, cert in items], problems


def test_every_pem_block_becomes_a_certificate_in_order(corp_root, corp_intermediate):
    found, problems = read(b"junk before\n" + corp_root.pem + b"\n\n" + corp_intermediate.pem)
    assert problems == []
    assert [c.fingerprint for c in found] == [corp_root.fingerprint, corp_intermediate.fingerprint]


def test_crlf_line_ends_are_read(corp_root):
    found, _ = read(corp_root.pem.replace(b"\n", b"\r\n"))
    assert [c.fingerprint for c in found] == [corp_root.fingerprint]


def test_der_and_pkcs7_are_read(corp_root, corp_intermediate):
    assert [c.fingerprint for c in read(corp_root.der)[0]] == [corp_root.fingerprint]
    for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
        found, problems = read(certs.pkcs7_bundle(corp_root, corp_intermediate,
                                                  encoding=encoding))
        assert problems == []
        assert {c.fingerprint for c in found} == {corp_root.fingerprint,
                                                  corp_intermediate.fingerprint}


def trusted_form(issued: certs.Issued) -> bytes:
    """OpenSSL's TRUSTED CERTIFICATE form: the certificate, then its trust settings."""
    return subprocess.run(["openssl", "x509", "-addtrust", "serverAuth", "-trustout"],
                          input=issued.pem, capture_output=True, check=True).stdout


def test_openssls_trusted_certificate_form_is_read_as_the_same_certificate(corp_root):
    pem = trusted_form(corp_root)
    assert pem.startswith(b"-----BEGIN TRUSTED CERTIFICATE-----")
    assert len(pem) > len(corp_root.pem)  # the trust settings follow the certificate
    found, problems = read(b"from the distribution's store:\n" + pem)
    assert problems == []
    assert [c.der for c in found] == [corp_root.der]


def test_a_damaged_trusted_certificate_is_one_problem(corp_root):
    der = base64.b64decode(b"".join(trusted_form(corp_root).splitlines()[1:-1]))
    damaged = der[:4] + bytes(b ^ 0x5A for b in der[4:40]) + der[40:]
    problems: list[tuple[str, str]] = []
    [((message, hint), cert)] = read_certificates(
        b"-----BEGIN TRUSTED CERTIFICATE-----\n" + base64.encodebytes(damaged)
        + b"-----END TRUSTED CERTIFICATE-----\n", "ca.pem", problems)
    assert cert is None and problems == []
    assert message.startswith("ca.pem: block 1 (line 1) is not a valid X.509 certificate (")
    assert "\n" not in message
    assert hint.startswith("copy the certificate again")


def test_a_private_key_is_a_problem_that_never_quotes_the_key(corp_root):
    found, problems = read(corp_root.pem + corp_root.key_pem)
    assert len(found) == 1
    [(message, hint)] = problems
    line = corp_root.pem.count(b"\n") + 1
    assert message == f"ca.pem: block 2 (line {line}) is a private key"
    key_body = corp_root.key_pem.splitlines()[1].decode()
    assert key_body not in message + hint
    assert "exposed" in hint


def test_a_truncated_block_is_named_with_its_line(corp_root):
    cut = corp_root.pem[: corp_root.pem.index(b"-----END")]
    _, problems = read(b"\n\n" + cut)
    [(message, _)] = problems
    assert message == "ca.pem: block 1 (line 3) is truncated: it has no " \
                      "'-----END CERTIFICATE-----' line"


def test_damaged_base64_is_a_problem(corp_root):
    lines = corp_root.pem.splitlines()
    lines[2] = b"!!!" + lines[2][3:]
    _, problems = read(b"\n".join(lines))
    assert "is damaged: it is not base64" in problems[0][0]


def test_other_pem_objects_are_refused_by_their_label():
    _, problems = read(b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
    assert problems[0][0] == "ca.pem: block 1 (line 1) is a 'X509 CRL', not a certificate"


def test_text_with_no_certificate_says_which_formats_are_accepted():
    _, problems = read(b"hello", "notes.txt")
    assert problems == [("notes.txt: no certificate found",
                         "expected PEM (-----BEGIN CERTIFICATE-----), DER or PKCS#7 "
                         "certificates")]


def _key_der(issued) -> bytes:
    return issued.key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())


def test_a_private_key_under_a_certificate_label_or_as_der_is_named_a_key(corp_root):
    key = _key_der(corp_root)
    labelled = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(key) + \
        b"-----END CERTIFICATE-----\n"
    problems: list[tuple[str, str]] = []
    [((message, hint), cert)] = read_certificates(labelled, "ca.pem", problems)
    assert cert is None and message == "ca.pem: block 1 (line 1) is a private key"
    assert "exposed" in hint
    assert read(key) == ([], [("ca.pem: DER data is a private key", hint)])


def test_a_block_that_is_not_a_certificate_gets_no_parser_debug_text():
    body = base64.encodebytes(b"\x30\x03\x02\x01\x00")  # a SEQUENCE holding an INTEGER
    [((message, _), _)] = read_certificates(b"-----BEGIN CERTIFICATE-----\n" + body +
                                            b"-----END CERTIFICATE-----\n", "ca.pem", [])
    assert message.startswith("ca.pem: block 1 (line 1) is not a valid X.509 certificate (")
    assert "ParseError" not in message and "{" not in message
