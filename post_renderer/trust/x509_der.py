"""The fields (x509_fields) of an ordinary certificate, read from DER in pure Python.

Ordinary means: strict DER, version 1 or 3, RSA (512 to 16384 bits) or EC P-256/P-384/P-521
keys, signed with RSA PKCS#1 v1.5 (MD5, SHA-1, SHA-2) or ECDSA (SHA-2), names in the usual
string types, the extensions x509_extensions reads. A self-issued certificate must verify
under its own key here. Anything else raises der.NotHandled, and cryptography reads it
instead (certificate.certificate_from_der); nothing here raises ValueError.

    fields = fields_from_der(der)     # or der.NotHandled
"""

from __future__ import annotations

import datetime as dt

from post_renderer.trust.der import (
    BIT_STRING,
    GENERALIZED_TIME,
    INTEGER,
    SEQUENCE,
    UTC_TIME,
    DerReader,
    NotHandled,
    integer,
    octets,
    positive,
    time,
)
from post_renderer.trust.signatures import CURVES, ecdsa_valid, rsa_pkcs1_valid
from post_renderer.trust.x509_extensions import Extensions, read_extensions
from post_renderer.trust.x509_fields import PublicKey, X509Fields
from post_renderer.trust.x509_names import name_string

_VERSION = 0xA0
_EXTENSIONS = 0xA3
_RSA_BITS = range(512, 16385)  # what OpenSSL verifies with
_MAX_RSA_EXPONENT = 1 << 32

# Signature AlgorithmIdentifiers, whole DER -> (hash, key kind). RSA carries NULL
# parameters, ECDSA none: the other spellings are left to cryptography.
_SIGNATURES = {
    bytes.fromhex(f"300d06092a864886f70d0101{code}0500"): (name, "RSA")
    for code, name in (("04", "md5"), ("05", "sha1"), ("0e", "sha224"), ("0b", "sha256"),
                       ("0c", "sha384"), ("0d", "sha512"))
} | {
    bytes.fromhex(f"300a06082a8648ce3d0403{code}"): (name, "EC")
    for code, name in (("01", "sha224"), ("02", "sha256"), ("03", "sha384"), ("04", "sha512"))
}
_RSA_KEY = bytes.fromhex("300d06092a864886f70d0101010500")
_EC_KEYS = {
    bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107"): "secp256r1",
    bytes.fromhex("301006072a8648ce3d020106052b81040022"): "secp384r1",
    bytes.fromhex("301006072a8648ce3d020106052b81040023"): "secp521r1",
}


def fields_from_der(der: bytes) -> X509Fields:
    """The fields of one DER certificate, or NotHandled: cryptography must read it."""
    try:
        return _read(der)
    except (ValueError, LookupError, OverflowError) as error:
        # damage the checks did not foresee (a 13th month, say): cryptography judges it. The
        # ordinary certificates never come here: tests hold them to the pure reader.
        raise NotHandled(f"unexpected: {error}") from None


def _read(der: bytes) -> X509Fields:
    outer = DerReader(der)
    certificate = outer.nested(SEQUENCE)
    outer.end()
    tbs_der = certificate.raw(SEQUENCE)
    algorithm = certificate.raw(SEQUENCE)
    signature = octets(certificate.element(BIT_STRING))
    certificate.end()
    if algorithm not in _SIGNATURES:
        raise NotHandled("signature algorithm")
    hash_name, signer_kind = _SIGNATURES[algorithm]

    tbs = DerReader(tbs_der).nested(SEQUENCE)
    version = _version(tbs)
    serial = integer(tbs.element(INTEGER))
    if tbs.raw(SEQUENCE) != algorithm:
        raise NotHandled("inner and outer signature algorithms differ")
    issuer_der = tbs.raw(SEQUENCE)
    validity = tbs.nested(SEQUENCE)
    not_before, not_after = _time(validity), _time(validity)
    validity.end()
    subject_der = tbs.raw(SEQUENCE)
    key, numbers = _public_key(tbs.nested(SEQUENCE))
    found = Extensions()
    if tbs.peek() == _EXTENSIONS:
        if version != 3:
            raise NotHandled("extensions in a version 1 certificate")
        wrapper = tbs.nested(_EXTENSIONS)
        found = read_extensions(wrapper.nested(SEQUENCE))
        wrapper.end()
    tbs.end()  # unique identifiers are left to cryptography

    self_issued = subject_der == issuer_der
    if self_issued and (key.kind != signer_kind or
                        not _verifies(key, numbers, signature, hash_name, tbs_der)):
        raise NotHandled("self-signature not verified here")  # cryptography decides
    return X509Fields(
        der=der,
        version=version,
        negative_serial=serial < 0,
        subject=name_string(DerReader(subject_der).nested(SEQUENCE)),
        issuer=name_string(DerReader(issuer_der).nested(SEQUENCE)),
        subject_der=subject_der,
        issuer_der=issuer_der,
        not_before=not_before,
        not_after=not_after,
        extensions=found.listed,
        basic_constraints=found.basic_constraints,
        key_cert_sign=found.key_cert_sign,
        key=key,
        signature_hash=hash_name,
        name_constraints=found.name_constraints,
        aia_ca_issuers=found.aia_ca_issuers,
        self_signed=self_issued,
    )


def _version(tbs: DerReader) -> int:
    if tbs.peek() != _VERSION:
        return 1
    wrapper = tbs.nested(_VERSION)
    value = integer(wrapper.element(INTEGER))
    wrapper.end()
    if value != 2:  # v1 spelled out (DER omits it), v2, or no version at all
        raise NotHandled("version")
    return 3


def _time(validity: DerReader) -> dt.datetime:
    tag = validity.peek()
    if tag not in (UTC_TIME, GENERALIZED_TIME):
        raise NotHandled("time type")
    return time(tag, validity.element(tag))


def _public_key(spki: DerReader) -> tuple[PublicKey, tuple[int, int]]:
    """The key and its numbers: (n, e) for RSA, the point (x, y) for EC."""
    algorithm = spki.raw(SEQUENCE)
    bits = octets(spki.element(BIT_STRING))
    spki.end()
    if algorithm == _RSA_KEY:
        outer = DerReader(bits)
        body = outer.nested(SEQUENCE)
        n, e = positive(body.element(INTEGER)), positive(body.element(INTEGER))
        body.end()
        outer.end()
        if n.bit_length() not in _RSA_BITS or not n & 1 or not e & 1 or not 3 <= e < \
                min(n, _MAX_RSA_EXPONENT):
            raise NotHandled("RSA key outside the usual")
        return PublicKey("RSA", n.bit_length()), (n, e)
    curve_name = _EC_KEYS.get(algorithm)
    if curve_name is None:
        raise NotHandled("key type")
    curve = CURVES[curve_name]
    size = curve.bytes
    if len(bits) != 1 + 2 * size or bits[0] != 4:  # compressed points: cryptography
        raise NotHandled("EC point encoding")
    point = int.from_bytes(bits[1:1 + size], "big"), int.from_bytes(bits[1 + size:], "big")
    if not curve.contains(point):
        raise NotHandled("EC point not on the curve")
    return PublicKey("EC", curve.p.bit_length(), curve_name), point


def _verifies(key: PublicKey, numbers: tuple[int, int], signature: bytes, hash_name: str,
              tbs: bytes) -> bool:
    if key.kind == "RSA":
        return rsa_pkcs1_valid(*numbers, signature, hash_name, tbs)
    return ecdsa_valid(str(key.curve), numbers, signature, hash_name, tbs)
