"""The extensions of an ordinary CA certificate, read in pure Python.

cryptography parses every extension it knows when its facts are read, and refuses the
certificate if one is malformed; so an extension is only accepted here in a shape known to
parse there: basic constraints, key usage, key identifiers, extended key usage, AIA and CRL
distribution points with URIs, certificate policies with CPS URIs, DNS name constraints,
DNS and IP alternative names, and a few private extensions cryptography keeps as raw bytes.
Anything else (der.NotHandled) is left to cryptography.

    found = read_extensions(DerReader(der_of_the_sequence).nested(SEQUENCE))
    found.listed, found.basic_constraints, found.key_cert_sign, found.aia_ca_issuers
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from post_renderer.trust.der import (
    BIT_STRING,
    BOOLEAN,
    IA5_STRING,
    INTEGER,
    OCTET_STRING,
    OID,
    SEQUENCE,
    DerReader,
    NotHandled,
    bit_string,
    boolean,
    integer,
    oid,
)
from post_renderer.trust.x509_fields import BasicConstraints, NameConstraints

CA_ISSUERS = "1.3.6.1.5.5.7.48.2"
CPS_QUALIFIER = "1.3.6.1.5.5.7.2.1"
_DNS_NAME, _URI, _IP_ADDRESS = 0x82, 0x86, 0x87
_CONTEXT_0, _CONTEXT_1, _KEY_IDENTIFIER = 0xA0, 0xA1, 0x80
_MAX_PATH_LENGTH = 1 << 63

# Private extensions cryptography 50 does not parse (it keeps them as UnrecognizedExtension),
# so any content is accepted as it is there (tests/unit/trust/test_x509_extensions.py).
RAW_EXTENSIONS = frozenset({
    "2.16.840.1.113730.1.1",  # Netscape certificate type
    "2.16.840.1.113730.1.13",  # Netscape comment
    "1.3.6.1.4.1.311.20.2",  # Microsoft certificate template name
    "1.3.6.1.4.1.311.21.1",  # Microsoft CA version
    "1.3.6.1.4.1.311.21.2",  # Microsoft previous CA certificate hash
    "1.2.840.113533.7.65.0",  # Entrust version information
})


class Extensions(NamedTuple):
    listed: tuple[tuple[str, bool], ...] = ()
    basic_constraints: BasicConstraints | None = None
    key_cert_sign: bool | None = None
    name_constraints: NameConstraints | None = None
    aia_ca_issuers: tuple[str, ...] = ()


def read_extensions(sequence: DerReader) -> Extensions:
    """The facts of a certificate's Extensions SEQUENCE (the content ``sequence`` reads)."""
    found = Extensions()
    listed: list[tuple[str, bool]] = []
    while not sequence.at_end():
        extension = sequence.nested(SEQUENCE)
        kind = oid(extension.element(OID))
        critical = _flag(extension)
        value = DerReader(extension.element(OCTET_STRING))
        extension.end()
        if any(kind == seen for seen, _ in listed):
            raise NotHandled("duplicate extension")
        listed.append((kind, critical))
        if kind not in RAW_EXTENSIONS:
            reader = _READERS.get(kind)
            if reader is None:
                raise NotHandled(f"extension {kind}")
            found = reader(value, found)
            value.end()
    if not listed:
        raise NotHandled("empty extensions")
    return found._replace(listed=tuple(listed))


def _basic_constraints(value: DerReader, found: Extensions) -> Extensions:
    body = value.nested(SEQUENCE)
    ca = _flag(body)
    limit = integer(body.element(INTEGER)) if body.peek() == INTEGER else None
    body.end()
    if limit is not None and (not ca or not 0 <= limit < _MAX_PATH_LENGTH):
        raise NotHandled("path length cryptography refuses")
    return found._replace(basic_constraints=BasicConstraints(ca, limit))


def _key_usage(value: DerReader, found: Extensions) -> Extensions:
    bits = bit_string(value.element(BIT_STRING))
    if len(bits) > 2:
        raise NotHandled("long key usage")

    def bit(number: int) -> bool:
        index = number // 8
        return index < len(bits) and bool(bits[index] & (0x80 >> number % 8))

    if (bit(7) or bit(8)) and not bit(4):  # cryptography's KeyUsage raises ValueError
        raise NotHandled("encipherOnly or decipherOnly without keyAgreement")
    return found._replace(key_cert_sign=bit(5))


def _subject_key_identifier(value: DerReader, found: Extensions) -> Extensions:
    value.element(OCTET_STRING)
    return found


def _authority_key_identifier(value: DerReader, found: Extensions) -> Extensions:
    body = value.nested(SEQUENCE)
    body.element(_KEY_IDENTIFIER)
    body.end()
    return found


def _extended_key_usage(value: DerReader, found: Extensions) -> Extensions:
    body = _non_empty(value.nested(SEQUENCE))
    while not body.at_end():
        oid(body.element(OID))
    return found


def _authority_information_access(value: DerReader, found: Extensions) -> Extensions:
    body = _non_empty(value.nested(SEQUENCE))
    issuers = []
    while not body.at_end():
        description = body.nested(SEQUENCE)
        method = oid(description.element(OID))
        location = _text(description.element(_URI))
        description.end()
        if method == CA_ISSUERS:
            issuers.append(location)
    return found._replace(aia_ca_issuers=tuple(issuers))


def _crl_distribution_points(value: DerReader, found: Extensions) -> Extensions:
    body = _non_empty(value.nested(SEQUENCE))
    while not body.at_end():
        point = body.nested(SEQUENCE)
        name = point.nested(_CONTEXT_0)
        full_name = _non_empty(name.nested(_CONTEXT_0))
        while not full_name.at_end():
            _text(full_name.element(_URI))
        name.end()
        point.end()
    return found


def _certificate_policies(value: DerReader, found: Extensions) -> Extensions:
    body = _non_empty(value.nested(SEQUENCE))
    while not body.at_end():
        policy = body.nested(SEQUENCE)
        oid(policy.element(OID))
        if not policy.at_end():
            qualifiers = _non_empty(policy.nested(SEQUENCE))
            while not qualifiers.at_end():
                qualifier = qualifiers.nested(SEQUENCE)
                if oid(qualifier.element(OID)) != CPS_QUALIFIER:
                    raise NotHandled("policy qualifier other than a CPS URI")
                _text(qualifier.element(IA5_STRING))
                qualifier.end()
        policy.end()
    return found


def _name_constraints(value: DerReader, found: Extensions) -> Extensions:
    body = value.nested(SEQUENCE)
    permitted = _dns_subtrees(body.nested(_CONTEXT_0)) if body.peek() == _CONTEXT_0 else ()
    excluded = _dns_subtrees(body.nested(_CONTEXT_1)) if body.peek() == _CONTEXT_1 else ()
    body.end()
    if not permitted and not excluded:
        raise NotHandled("name constraints without subtrees")
    return found._replace(name_constraints=NameConstraints(permitted, excluded))


def _dns_subtrees(subtrees: DerReader) -> tuple[str, ...]:
    names = []
    _non_empty(subtrees)
    while not subtrees.at_end():
        subtree = subtrees.nested(SEQUENCE)
        names.append(_text(subtree.element(_DNS_NAME)))
        subtree.end()  # no minimum or maximum
    return tuple(names)


def _subject_alternative_name(value: DerReader, found: Extensions) -> Extensions:
    body = _non_empty(value.nested(SEQUENCE))
    while not body.at_end():
        if body.peek() == _DNS_NAME:
            _text(body.element(_DNS_NAME))
        elif len(body.element(_IP_ADDRESS)) not in (4, 16):
            raise NotHandled("IP address of odd length")
    return found


def _flag(reader: DerReader) -> bool:
    """A BOOLEAN DEFAULT FALSE: absent, or TRUE (DER leaves the default out)."""
    if reader.peek() != BOOLEAN:
        return False
    if not boolean(reader.element(BOOLEAN)):
        raise NotHandled("default FALSE encoded")
    return True


def _non_empty(reader: DerReader) -> DerReader:
    if reader.at_end():
        raise NotHandled("empty list")
    return reader


def _text(content: bytes) -> str:
    """A URI or DNS name in printable ASCII (cryptography would take any UTF-8)."""
    if not content or not all(0x20 <= byte < 0x7F for byte in content):
        raise NotHandled("name outside printable ASCII")
    return content.decode("ascii")


_READERS: dict[str, Callable[[DerReader, Extensions], Extensions]] = {
    "2.5.29.19": _basic_constraints,
    "2.5.29.15": _key_usage,
    "2.5.29.14": _subject_key_identifier,
    "2.5.29.35": _authority_key_identifier,
    "2.5.29.37": _extended_key_usage,
    "1.3.6.1.5.5.7.1.1": _authority_information_access,
    "2.5.29.31": _crl_distribution_points,
    "2.5.29.32": _certificate_policies,
    "2.5.29.30": _name_constraints,
    "2.5.29.17": _subject_alternative_name,
}
