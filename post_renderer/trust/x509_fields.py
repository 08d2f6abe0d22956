"""What the checks read from one X.509 certificate, whoever parsed it.

cryptography reads the certificate (``x509_cryptography.fields_from_cryptography``); the rules
(runtime_rules) and the facts (certificate) read only this, so they can be tested on fields
a certificate could not easily be made to have.

    fields.subject            # 'CN=Corp Root CA,O=Corp', as cryptography's rfc4514_string()
    fields.basic_constraints  # BasicConstraints(ca=True, path_length=0), or None: absent
    fields.key                # PublicKey(kind='EC', size=256, curve='secp256r1')
"""

import datetime as dt
from typing import NamedTuple


class BasicConstraints(NamedTuple):
    ca: bool
    path_length: int | None


class PublicKey(NamedTuple):
    """The subject's key as cryptography names it; ``kind`` None: a key it cannot load."""

    kind: str | None  # "RSA", "EC", "DSA", "Ed25519", ...: the class name without PublicKey
    size: int | None = None  # bits: the modulus, the curve or the DSA prime
    curve: str | None = None  # e.g. "secp256r1"

    @property
    def description(self) -> str:
        if self.kind is None:
            return "unsupported key"
        if self.kind in ("RSA", "DSA"):
            return f"{self.kind} {self.size}"
        if self.kind == "EC":
            return f"EC {self.curve}"
        return self.kind


class NameConstraints(NamedTuple):
    """The DNS names of a NameConstraints extension (other name forms are not kept)."""

    permitted: tuple[str, ...]
    excluded: tuple[str, ...]


class X509Fields(NamedTuple):
    """One parsed certificate, as neutral facts."""

    der: bytes
    version: int  # 1 or 3
    negative_serial: bool
    subject: str  # RFC 4514, exactly as cryptography prints it
    issuer: str
    not_before: dt.datetime  # aware, UTC
    not_after: dt.datetime
    extensions: tuple[tuple[str, bool], ...]  # (dotted OID, critical), in certificate order
    basic_constraints: BasicConstraints | None
    key_cert_sign: bool | None  # None: no KeyUsage extension
    key: PublicKey
    signature_hash: str | None  # "sha256", ...; None: no separate digest; "unknown"
    name_constraints: NameConstraints | None
    aia_ca_issuers: tuple[str, ...]
    self_signed: bool  # names equal and the signature verifies under its own key
