"""An X.509 Name as RFC 4514 text, exactly as cryptography's ``Name.rfc4514_string()``.

Only the string types ordinary names use are read (UTF8String, PrintableString with its own
alphabet, IA5String in ASCII); anything else is left to cryptography (der.NotHandled).
Attributes are named as cryptography names them (CN, O, ... or the dotted OID), RDNs in
reverse order, the attributes of a multi-valued RDN in their DER order joined by '+'.

    name_string(DerReader(der).nested(SEQUENCE))   # 'CN=Corp Root CA,O=Corp\\, Inc.'
"""

from __future__ import annotations

from post_renderer.trust.der import (
    IA5_STRING,
    OID,
    PRINTABLE_STRING,
    SEQUENCE,
    SET,
    UTF8_STRING,
    DerReader,
    NotHandled,
    oid,
)

# cryptography's _NAMEOID_TO_NAME: the short names RFC 4514 defines
_SHORT_NAMES = {
    "2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
    "2.5.4.6": "C", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_PRINTABLE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       b" '()+,-./:=?")
_ESCAPED = (("\\", "\\\\"), ('"', '\\"'), ("+", "\\+"), (",", "\\,"), (";", "\\;"),
            ("<", "\\<"), (">", "\\>"), ("\0", "\\00"))


def name_string(name: DerReader) -> str:
    """The RFC 4514 form of the RDNSequence ``name`` reads."""
    rdns = []
    while not name.at_end():
        rdns.append(_rdn(name.nested(SET)))
    return ",".join(reversed(rdns))


def _rdn(rdn: DerReader) -> str:
    attributes, previous = [], b""
    seen: set[tuple[str, str]] = set()
    while not rdn.at_end():
        encoded = rdn.raw(SEQUENCE)
        if encoded <= previous:  # DER sorts a SET OF
            raise NotHandled("unsorted or repeated attributes")
        previous = encoded
        attribute = DerReader(encoded).nested(SEQUENCE)
        kind = oid(attribute.element(OID))
        value = _string(attribute)
        attribute.end()
        if (kind, value) in seen:  # cryptography refuses it, whatever the string types
            raise NotHandled("duplicate attribute")
        seen.add((kind, value))
        attributes.append(f"{_SHORT_NAMES.get(kind, kind)}={escape(value)}")
    if not attributes:
        raise NotHandled("empty RDN")
    return "+".join(attributes)


def _string(attribute: DerReader) -> str:
    tag = attribute.peek()
    if tag not in (UTF8_STRING, PRINTABLE_STRING, IA5_STRING):
        raise NotHandled(f"name string type {tag:#x}")
    content = attribute.element(tag)
    if tag == UTF8_STRING:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            raise NotHandled("invalid UTF-8") from None
    if tag == PRINTABLE_STRING and not _PRINTABLE.issuperset(content):
        raise NotHandled("not a PrintableString")
    if not content.isascii():
        raise NotHandled("not an IA5String")
    return content.decode("ascii")


def escape(value: str) -> str:
    """cryptography's _escape_dn_value for a text value."""
    if not value:
        return ""
    for special, escaped in _ESCAPED:
        value = value.replace(special, escaped)
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value
