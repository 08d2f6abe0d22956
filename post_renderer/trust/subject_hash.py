"""OpenSSL's subject-name hash, the file name OpenSSL looks up in a CA directory.

fluent-bit (the log-shipper) trusts ``/etc/ssl/certs/ca-certificates.crt`` plus the directory
``/etc/ssl/certs/``, where OpenSSL finds an issuer by the file ``<hash>.0``. Mounting a corporate
CA there under that name adds it to the image's trust without replacing the public roots.

    >>> from cryptography import x509
    >>> subject_hash(x509.Name.from_rfc4514_string("CN=Corp Root").public_bytes())
    '5f241b44'

The hash is the first four bytes (little-endian) of the SHA-1 of the name's canonical
encoding: every string value converted to UTF-8, trimmed, inner whitespace collapsed, ASCII
lower-cased, re-encoded as UTF8String; the outer SEQUENCE is left out (``x509_name_canon``).
"""

from __future__ import annotations

import hashlib

_SEQUENCE, _SET, _UTF8STRING = 0x30, 0x31, 0x0C
# Tags OpenSSL canonicalises (ASN1_MASK_CANON), with the codec of their contents.
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String (OpenSSL reads it as Latin-1)
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}
_SPACE = b" \t\n\v\f\r"


def subject_hash(name_der: bytes) -> str:
    """The 8-hex-digit OpenSSL hash of a DER-encoded X.509 Name."""
    digest = hashlib.sha1(_canonical(name_der), usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def _canonical(name_der: bytes) -> bytes:
    tag, rdns, _ = _read_tlv(name_der, 0)
    if tag != _SEQUENCE:
        raise ValueError("not a DER Name")
    out = bytearray()
    for set_tag, rdn in _children(rdns):
        if set_tag != _SET:
            raise ValueError("not a DER RelativeDistinguishedName")
        entries = [_canonical_entry(entry) for _, entry in _children(rdn)]
        entries.sort(key=lambda e: (e, len(e)))
        out += _encode(_SET, b"".join(entries))
    return bytes(out)


def _canonical_entry(entry: bytes) -> bytes:
    fields = list(_children(entry, raw=True))
    if len(fields) != 2:
        raise ValueError("not a DER AttributeTypeAndValue")
    (_, oid), (value_tag, value) = fields
    codec = _STRING_CODECS.get(value_tag)
    if codec is None:
        return _encode(_SEQUENCE, oid + value)
    _, contents, _ = _read_tlv(value, 0)
    return _encode(_SEQUENCE, oid + _encode(_UTF8STRING, _canonical_text(contents, codec)))


def _canonical_text(contents: bytes, codec: str) -> bytes:
    text = contents.decode(codec, errors="surrogatepass").encode("utf-8", errors="surrogatepass")
    text = text.strip(_SPACE)
    out = bytearray()
    i = 0
    while i < len(text):
        byte = text[i]
        if byte in _SPACE:
            out.append(0x20)
            while i < len(text) and text[i] in _SPACE:
                i += 1
            continue
        out.append(byte + 32 if 0x41 <= byte <= 0x5A else byte)
        i += 1
    return bytes(out)


def _children(data: bytes, raw: bool = False):
    """(tag, contents) of each TLV in ``data``; with raw, the whole TLV instead of contents."""
    offset = 0
    while offset < len(data):
        tag, contents, end = _read_tlv(data, offset)
        yield tag, (data[offset:end] if raw else contents)
        offset = end


def _read_tlv(data: bytes, offset: int) -> tuple[int, bytes, int]:
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0 or size > 4 or offset + size > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[offset:offset + size], "big")
        offset += size
    end = offset + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[offset:end], end


def _encode(tag: int, contents: bytes) -> bytes:
    length = len(contents)
    if length < 0x80:
        return bytes([tag, length]) + contents
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + contents
