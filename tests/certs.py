"""Real certificates for the tests, made with cryptography: roots, intermediates, leaves and
every kind of bad certificate users paste (expired, not yet valid, SHA-1, small keys)."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
DAY = dt.timedelta(days=1)


@dataclass
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: object

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def subject(self) -> str:
        return self.cert.subject.rfc4514_string()

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint(hashes.SHA256()).hex()


def new_key(kind: str = "ec", size: int = 2048):
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    return ec.generate_private_key(ec.SECP256R1() if size >= 256 else ec.SECP192R1())


def make_cert(
    common_name: str,
    *,
    issuer: Issued | None = None,
    ca: bool | None = True,
    key=None,
    hash_algorithm: hashes.HashAlgorithm | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    dns_names: tuple[str, ...] = (),
    aia_url: str | None = None,
    organization: str = "Example Corp",
) -> Issued:
    """A certificate for ``common_name``; self-signed unless ``issuer`` is given.

    ``ca=None`` leaves out BasicConstraints altogether (as in old v1-style roots).
    """
    key = key or new_key()
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 365 * DAY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), True)
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), False)
    if aia_url:
        builder = builder.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(aia_url))]), False)
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False)
    cert = builder.sign(signer_key, hash_algorithm or hashes.SHA256())
    return Issued(cert, key)


def root(common_name: str = "Example Corp Root CA", **kwargs) -> Issued:
    return make_cert(common_name, **kwargs)


def intermediate(issuer: Issued, common_name: str = "Example Corp TLS Inspection CA",
                 **kwargs) -> Issued:
    return make_cert(common_name, issuer=issuer, **kwargs)


def leaf(issuer: Issued, host: str = "api.spotinst.io", **kwargs) -> Issued:
    return make_cert(host, issuer=issuer, ca=False, dns_names=(host,), **kwargs)


def openssl_subject_hash(pem: bytes) -> str:
    """The name OpenSSL looks a CA up by in a hashed directory (``<hash>.0``), from the real
    openssl: a client's view, not ours."""
    return subprocess.run(["openssl", "x509", "-noout", "-subject_hash"], input=pem,
                          capture_output=True, check=True).stdout.decode().strip()


def pkcs7_bundle(*certs: Issued, encoding=serialization.Encoding.PEM) -> bytes:
    return pkcs7.serialize_certificates([c.cert for c in certs], encoding)


_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
_SHA1_RSA = bytes.fromhex("300d06092a864886f70d0101050500")


def resign_with_sha1(issued: Issued) -> Issued:
    """The same self-signed RSA certificate, signed with SHA-1.

    cryptography no longer signs certificates with SHA-1, but corporate CAs that do still
    exist; so swap the algorithm identifier in the signed part and sign it by hand.
    """
    tbs = issued.cert.tbs_certificate_bytes
    assert tbs.count(_SHA256_RSA) == 1, "expects an RSA certificate signed with SHA-256"
    tbs = tbs.replace(_SHA256_RSA, _SHA1_RSA)
    signature = issued.key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    der = _der(0x30, tbs + _SHA1_RSA + _der(0x03, b"\x00" + signature))
    return Issued(x509.load_der_x509_certificate(der), issued.key)


def _der(tag: int, contents: bytes) -> bytes:
    length = len(contents)
    if length < 0x80:
        return bytes([tag, length]) + contents
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + contents
