"""The CA file name OpenSSL (and so fluent-bit) looks up must be exactly OpenSSL's hash: each
certificate's subject and issuer hash is what ``openssl x509 -subject_hash`` and
``-issuer_hash`` print for it, whatever its names are made of."""

from __future__ import annotations

import subprocess

import pytest
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from post_renderer.trust.certificate import certificate_from_der

from . import certs

# pyOpenSSL deprecates its name objects: nothing here may reach for them
pytestmark = pytest.mark.filterwarnings("error")


def openssl(flag: str, pem: bytes) -> str:
    return subprocess.run(["openssl", "x509", "-noout", flag], input=pem,
                          capture_output=True, check=True).stdout.decode().strip()


def attribute(oid: x509.ObjectIdentifier, value: str | bytes,
              kind: _ASN1Type | None = None) -> x509.NameAttribute:
    return x509.NameAttribute(oid, value, _type=kind) if kind else x509.NameAttribute(oid, value)


NAMES = {
    "plain": [attribute(NameOID.COMMON_NAME, "Corp Root")],
    "mixed case and extra whitespace": [
        attribute(NameOID.COUNTRY_NAME, "US"),
        attribute(NameOID.ORGANIZATION_NAME, "  Big   CORP\tInc \n "),
        attribute(NameOID.COMMON_NAME, "Inspection ROOT CA"),
    ],
    "utf8 beyond ascii": [attribute(NameOID.COMMON_NAME, "ÉLAN Ünïcode Wurzel-CA  ÄÖ")],
    "printable and ia5": [
        attribute(NameOID.COMMON_NAME, "Printable  NAME", _ASN1Type.PrintableString),
        attribute(NameOID.EMAIL_ADDRESS, "PKI@Corp.Example"),
    ],
    "bmp string": [attribute(NameOID.COMMON_NAME, "BMP Ñame", _ASN1Type.BMPString)],
    "universal string": [attribute(NameOID.COMMON_NAME, "Univ ERSAL",
                                   _ASN1Type.UniversalString)],
    "non-string attribute": [
        attribute(NameOID.COMMON_NAME, "With Unique ID"),
        attribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\xAB\xCD", _ASN1Type.BitString),
    ],
    "long value": [attribute(NameOID.ORGANIZATION_NAME, "Y" * 300)],
}
MULTI_VALUED = x509.Name([
    x509.RelativeDistinguishedName([attribute(NameOID.COMMON_NAME, "Multi"),
                                    attribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Valued  RDN")]),
    x509.RelativeDistinguishedName([attribute(NameOID.ORGANIZATION_NAME, "Corp")]),
])
CASES = {**{label: x509.Name(attributes) for label, attributes in NAMES.items()},
         "multi-valued rdn": MULTI_VALUED}


def issued(subject: x509.Name, issuer: x509.Name, signer: certs.Issued | None = None
           ) -> certs.Issued:
    key = certs.new_key()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(certs.NOW).not_valid_after(certs.NOW + certs.DAY)
            .sign(signer.key if signer else key, certs.hashes.SHA256()))
    return certs.Issued(cert, key)


@pytest.mark.parametrize("name", CASES.values(), ids=CASES.keys())
def test_a_roots_hashes_are_openssls(name):
    root = issued(name, name)
    facts = certificate_from_der(root.der)
    assert facts.subject_hash == openssl("-subject_hash", root.pem)
    assert facts.issuer_hash == openssl("-issuer_hash", root.pem) == facts.subject_hash


@pytest.mark.parametrize("name", CASES.values(), ids=CASES.keys())
def test_an_issued_certificates_hashes_are_openssls(name):
    root = issued(name, name)
    child = issued(x509.Name([attribute(NameOID.COMMON_NAME, "Child  of IT")]), name, root)
    facts = certificate_from_der(child.der)
    assert facts.subject_hash == openssl("-subject_hash", child.pem)
    assert facts.issuer_hash == openssl("-issuer_hash", child.pem)
    assert facts.issuer_hash == certificate_from_der(root.der).subject_hash


def test_an_issuer_named_in_other_case_and_spacing_is_found_under_the_roots_hash():
    """OpenSSL matches names in its canonical form: the child's issuer hash is the root's file."""
    root = issued(x509.Name([attribute(NameOID.COMMON_NAME, "Corp Root CA")]),
                  x509.Name([attribute(NameOID.COMMON_NAME, "Corp Root CA")]))
    spelled = x509.Name([attribute(NameOID.COMMON_NAME, "  corp   ROOT ca",
                                   _ASN1Type.PrintableString)])
    child = issued(x509.Name([attribute(NameOID.COMMON_NAME, "Leaf")]), spelled, root)
    assert openssl("-issuer_hash", child.pem) == openssl("-subject_hash", root.pem)
    assert certificate_from_der(child.der).issuer_hash == openssl("-subject_hash", root.pem)
