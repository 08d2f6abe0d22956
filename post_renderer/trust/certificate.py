"""One X.509 certificate as the checks and the manifests see it: its facts, parsed once.

    cert = certificate_from_der(der)
    cert.subject, cert.is_ca, cert.fingerprint, cert.subject_hash, cert.pem()
"""

import base64
import datetime as dt
import functools
import hashlib
from typing import TYPE_CHECKING, NamedTuple

from post_renderer.errors import clipped
from post_renderer.trust.finding import Finding

if TYPE_CHECKING:
    from cryptography import x509

    from post_renderer.trust.x509_fields import X509Fields

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


@functools.lru_cache(maxsize=256)  # a bundle, a release or a test may hold one CA many times
def certificate_from_der(der: bytes) -> Certificate:
    """Parse one DER certificate with cryptography; ValueError when it is not a valid X.509
    certificate."""
    # imported here: a run whose facts all come from the fact cache reads no certificate
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except x509.InvalidVersion as error:  # not a ValueError: a damaged version field
        raise ValueError(f"{error.parsed_version} is not a valid X.509 version") from None
    return describe(cert)


def describe(cert: "x509.Certificate") -> Certificate:
    """The facts of a parsed cryptography certificate; ValueError when they cannot be read."""
    from post_renderer.trust.subject_hash import name_hashes
    from post_renderer.trust.x509_cryptography import fields_from_cryptography

    fields = fields_from_cryptography(cert)  # first: for a damaged name, its error is shown
    return certificate_from_fields(fields, *name_hashes(cert))


def certificate_from_fields(fields: "X509Fields", subject_hash: str, issuer_hash: str
                            ) -> Certificate:
    """The facts of a certificate, from its fields and OpenSSL's hashes of its names."""
    # imported here: facts read from the fact cache were judged when they were written
    from post_renderer.trust.runtime_rules import anchor_findings, path_length, signature_findings

    return Certificate(
        der=fields.der,
        subject=fields.subject,
        issuer=fields.issuer,
        not_before=fields.not_before,
        not_after=fields.not_after,
        is_ca=fields.basic_constraints.ca if fields.basic_constraints else None,
        self_signed=fields.self_signed,
        fingerprint=hashlib.sha256(fields.der).hexdigest(),
        subject_hash=subject_hash,
        issuer_hash=issuer_hash,
        aia_ca_issuers=fields.aia_ca_issuers,
        signature_hash=fields.signature_hash,
        key_description=fields.key.description,
        findings=(*anchor_findings(fields), *signature_findings(fields, fields.self_signed)),
        path_length=path_length(fields),
    )


def shorten(text: str) -> str:
    """A name as messages show it: its start and its length when it is long."""
    return clipped(text, SUBJECT_DISPLAY)

