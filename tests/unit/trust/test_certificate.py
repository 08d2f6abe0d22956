"""certificate_from_der: cryptography reads the certificate; "signed by itself" is proved, not
assumed."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from post_renderer.trust import inspect_bundle
from post_renderer.trust.certificate import certificate_from_der

from ... import certs
from ...certs import DAY, NOW, _der

_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
# AlgorithmIdentifier of an OID no library knows (1.3.6.1.4.1.28799.1.1)
_UNKNOWN_ALGORITHM = _der(0x30, _der(0x06, bytes.fromhex("2b0601040181e07f0101")))


def _utc_time(moment) -> bytes:
    return _der(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())


def version_1(algorithm: bytes, sign) -> bytes:
    """A version-1 certificate (no extensions) with equal subject and issuer, as old corporate
    roots are; ``sign(tbs)`` gives its signature bytes."""
    issued = certs.root("Legacy Corp Root", key=certs.new_key("rsa"))
    name = issued.cert.subject.public_bytes()
    spki = issued.key.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    tbs = _der(0x30, _der(0x02, b"\x01\x23") + algorithm + name
               + _der(0x30, _utc_time(NOW - DAY) + _utc_time(NOW + 365 * DAY)) + name + spki)
    signature = sign(issued.key, tbs)
    return _der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature))


def test_a_v1_certificate_signed_by_its_own_key_is_self_signed():
    der = version_1(_SHA256_RSA,
                    lambda key, tbs: key.sign(tbs, padding.PKCS1v15(), hashes.SHA256()))
    assert certificate_from_der(der).self_signed


def test_a_v1_certificate_with_an_unknown_algorithm_and_a_garbage_signature_is_no_root():
    der = version_1(_UNKNOWN_ALGORITHM, lambda key, tbs: b"\x5a" * 256)
    cert = certificate_from_der(der)
    assert cert.subject == cert.issuer and not cert.self_signed
    report = inspect_bundle(cert.pem(), "legacy.pem")
    assert not report.any_usable()
    [refusal] = report.refusals
    assert "'CN=Legacy Corp Root,O=Example Corp' is a server certificate, not a CA" in refusal


def test_a_v1_certificate_with_a_wrong_signature_is_no_root():
    der = version_1(_SHA256_RSA, lambda key, tbs: key.sign(tbs + b"x", padding.PKCS1v15(),
                                                             hashes.SHA256()))
    assert not certificate_from_der(der).self_signed
