"""The CA file name OpenSSL (and so fluent-bit) looks up must be exactly OpenSSL's hash."""

from __future__ import annotations

import subprocess

import pytest
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from post_renderer.trust.subject_hash import subject_hash

from . import certs


def openssl_subject_hash(pem: bytes) -> str:
    return subprocess.run(["openssl", "x509", "-noout", "-subject_hash"], input=pem,
                          capture_output=True, check=True).stdout.decode().strip()


NAMES = {
    "plain": [x509.NameAttribute(NameOID.COMMON_NAME, "Corp Root")],
    "case and spaces": [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "  Big   CORP\tInc  "),
        x509.NameAttribute(NameOID.COMMON_NAME, "Inspection ROOT CA"),
    ],
    "non-ascii": [x509.NameAttribute(NameOID.COMMON_NAME, "Élan Ünïcode Wurzel-CA")],
    "printable and ia5": [
        x509.NameAttribute(NameOID.COMMON_NAME, "Printable", _type=_ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "PKI@Corp.Example"),
    ],
    "bmp string": [x509.NameAttribute(NameOID.COMMON_NAME, "BMP Ñame",
                                      _type=_ASN1Type.BMPString)],
    "long value": [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "y" * 300)],
}


@pytest.mark.parametrize("attributes", NAMES.values(), ids=NAMES.keys())
def test_subject_hash_matches_openssl(attributes):
    key = certs.new_key()
    name = x509.Name(attributes)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(certs.NOW).not_valid_after(certs.NOW + certs.DAY)
            .sign(key, certs.hashes.SHA256()))
    pem = certs.Issued(cert, key).pem
    assert subject_hash(cert.subject.public_bytes()) == openssl_subject_hash(pem)


def test_multi_valued_rdn_matches_openssl():
    key = certs.new_key()
    name = x509.Name([x509.RelativeDistinguishedName([
        x509.NameAttribute(NameOID.COMMON_NAME, "Multi"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Valued RDN")])])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(certs.NOW).not_valid_after(certs.NOW + certs.DAY)
            .sign(key, certs.hashes.SHA256()))
    assert subject_hash(cert.subject.public_bytes()) == openssl_subject_hash(
        certs.Issued(cert, key).pem)
