"""One X.509 certificate as the checks and the manifests see it: its facts, parsed once.

    cert = certificate_from_der(der)
    cert.subject, cert.is_ca, cert.fingerprint, cert.subject_hash, cert.pem()
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import NamedTuple

from post_renderer.trust.runtime_rules import (
    Finding,
    anchor_findings,
    path_length,
    signature_findings,
)
from post_renderer.trust.subject_hash import subject_hash

SUBJECT_DISPLAY = 160


class Certificate(NamedTuple):
    """One parsed certificate, with the facts the checks and the manifests need."""

    der: bytes
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool | None  # None: no BasicConstraints extension at all
    self_signed: bool
    fingerprint: str  # SHA-256 of the DER, lower-case hex
    subject_hash: str  # OpenSSL's <hash>.0 file name
    issuer_hash: str
    aia_ca_issuers: tuple[str, ...] = ()
    signature_hash: str | None = None
    key_description: str = ""
    findings: tuple[Finding, ...] = ()  # what the runtimes refuse it for (runtime_rules)
    path_length: int | None = None

    def pem(self) -> bytes:
        body = base64.encodebytes(self.der).replace(b"\n", b"")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return b"".join((b"-----BEGIN CERTIFICATE-----\n", b"\n".join(lines),
                         b"\n-----END CERTIFICATE-----\n"))

    @property
    def label(self) -> str:
        """The subject, shortened for messages."""
        text = self.subject or "(empty subject)"
        return shorten(text)


def certificate_from_der(der: bytes) -> Certificate:
    """Parse one DER certificate; ValueError when it is not a valid X.509 certificate."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except x509.InvalidVersion as error:  # not a ValueError: a damaged version field
        raise ValueError(f"{error.parsed_version} is not a valid X.509 version") from None
    return describe(cert)


def describe(cert) -> Certificate:
    """The facts of a parsed cryptography certificate; ValueError when they cannot be read."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        extensions = cert.extensions
        subject = cert.subject.rfc4514_string()
        issuer = cert.issuer.rfc4514_string()
        subject_der = cert.subject.public_bytes()
        issuer_der = cert.issuer.public_bytes()
    except Exception as error:  # malformed names or extensions
        raise ValueError(short_error(error)) from None
    is_ca = None
    aia: list[str] = []
    for extension in extensions:
        value = extension.value
        if isinstance(value, x509.BasicConstraints):
            is_ca = value.ca
        elif isinstance(value, x509.AuthorityInformationAccess):
            aia.extend(
                d.access_location.value for d in value
                if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
                and isinstance(d.access_location, x509.UniformResourceIdentifier)
            )
    try:
        signature_hash = cert.signature_hash_algorithm
        signature_name = signature_hash.name if signature_hash else None
    except Exception:  # unsupported algorithm: reported as unknown
        signature_name = "unknown"
    der = cert.public_bytes(serialization.Encoding.DER)
    self_signed = subject_der == issuer_der and _signed_by_itself(cert)
    return Certificate(
        der=der,
        subject=subject,
        issuer=issuer,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=is_ca,
        self_signed=self_signed,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        subject_hash=subject_hash(subject_der),
        issuer_hash=subject_hash(issuer_der),
        aia_ca_issuers=tuple(aia),
        signature_hash=signature_name,
        key_description=_describe_key(cert),
        findings=(*anchor_findings(cert), *signature_findings(cert, self_signed)),
        path_length=path_length(cert),
    )


def _signed_by_itself(cert) -> bool:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    try:
        cert.verify_directly_issued_by(cert)
    except (UnsupportedAlgorithm, ValueError):  # e.g. SHA-1, which cryptography will not check
        return _weak_signature_by_itself(cert)
    except (InvalidSignature, TypeError):
        return False
    return True


def _weak_signature_by_itself(cert) -> bool:
    """Check a SHA-1/MD5 self-signature by hand; when even that cannot, the names decide."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

    try:
        key, digest = cert.public_key(), cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(digest))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, digest)
    except InvalidSignature:
        return False
    except Exception:  # an algorithm nothing here can check: the matching names decide
        return True
    return True


def _describe_key(cert) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    try:
        key = cert.public_key()
    except Exception:  # unsupported key types are described, not fatal
        return "unsupported key"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    return type(key).__name__.replace("PublicKey", "")


def shorten(text: str) -> str:
    """A name as messages show it: cut after 160 characters."""
    return text if len(text) <= SUBJECT_DISPLAY else text[:SUBJECT_DISPLAY] + "..."


def short_error(error: Exception) -> str:
    """A library's error on one line, short enough for a message."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:120]
