"""The neutral fields (x509_fields) of a certificate parsed by cryptography.

cryptography reads every certificate ocean-proxy looks at, and its errors are what users see
for a damaged one.

    fields = fields_from_cryptography(x509.load_der_x509_certificate(der))
    fields.subject, fields.self_signed
"""

from __future__ import annotations

from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from post_renderer.errors import short_error
from post_renderer.trust.x509_fields import (
    BasicConstraints,
    NameConstraints,
    PublicKey,
    X509Fields,
)

_E = TypeVar("_E", bound=x509.ExtensionType)


def fields_from_cryptography(cert: x509.Certificate) -> X509Fields:
    """The fields of a parsed certificate; ValueError when its names or extensions are bad."""
    try:
        extensions = cert.extensions
        subject = cert.subject.rfc4514_string()
        issuer = cert.issuer.rfc4514_string()
        same_names = cert.subject.public_bytes() == cert.issuer.public_bytes()
    except Exception as error:  # malformed names or extensions
        raise ValueError(short_error(error)) from None
    basic, usage, constraints = _value(extensions, x509.BasicConstraints), \
        _value(extensions, x509.KeyUsage), _value(extensions, x509.NameConstraints)
    return X509Fields(
        der=cert.public_bytes(serialization.Encoding.DER),
        version=3 if cert.version == x509.Version.v3 else 1,
        negative_serial=cert.serial_number < 0,
        subject=subject,
        issuer=issuer,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        extensions=tuple((e.oid.dotted_string, e.critical) for e in extensions),
        basic_constraints=BasicConstraints(basic.ca, basic.path_length) if basic else None,
        key_cert_sign=usage.key_cert_sign if usage else None,
        key=_public_key(cert),
        signature_hash=_signature_hash(cert),
        name_constraints=_dns_constraints(constraints) if constraints else None,
        aia_ca_issuers=_ca_issuers(extensions),
        self_signed=same_names and _signed_by_itself(cert),
    )


def _value(extensions: x509.Extensions, kind: type[_E]) -> _E | None:
    try:
        return extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _ca_issuers(extensions: x509.Extensions) -> tuple[str, ...]:
    found: list[str] = []
    for extension in extensions:
        if isinstance(extension.value, x509.AuthorityInformationAccess):
            found.extend(
                d.access_location.value for d in extension.value
                if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
                and isinstance(d.access_location, x509.UniformResourceIdentifier)
            )
    return tuple(found)


def _dns_constraints(constraints: x509.NameConstraints) -> NameConstraints:
    def dns(subtrees: list[x509.GeneralName] | None) -> tuple[str, ...]:
        return tuple(n.value for n in subtrees or () if isinstance(n, x509.DNSName))

    return NameConstraints(dns(constraints.permitted_subtrees),
                           dns(constraints.excluded_subtrees))


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # an algorithm cryptography does not know
        return "unknown"
    return algorithm.name if algorithm else None


def _public_key(cert: x509.Certificate) -> PublicKey:
    try:
        key = cert.public_key()
    except Exception:  # a key type cryptography cannot load
        return PublicKey(None)
    if isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)):
        return PublicKey("RSA" if isinstance(key, rsa.RSAPublicKey) else "DSA", key.key_size)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return PublicKey("EC", key.curve.key_size, key.curve.name)
    return PublicKey(type(key).__name__.removesuffix("PublicKey"))


def _signed_by_itself(cert: x509.Certificate) -> bool:
    """Whether the certificate's own key verifies its signature; anything that cannot be
    checked is not signed by itself (names alone never make a root)."""
    try:
        cert.verify_directly_issued_by(cert)
    except (UnsupportedAlgorithm, ValueError):  # e.g. SHA-1, which cryptography will not check
        return _weak_signature_by_itself(cert)
    except (InvalidSignature, TypeError):
        return False
    return True


def _weak_signature_by_itself(cert: x509.Certificate) -> bool:
    """A self-signature verify_directly_issued_by declines (SHA-1, MD5), checked with the
    certificate's own key; an algorithm nothing here can check answers False."""
    try:
        key, digest = cert.public_key(), cert.signature_hash_algorithm
        if digest is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            padding_ = cert.signature_algorithm_parameters
            if not isinstance(padding_, (padding.PKCS1v15, padding.PSS)):
                return False
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding_, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(digest))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, digest)
        else:
            return False
    except Exception:  # InvalidSignature, or an algorithm or key nothing here can check
        return False
    return True
