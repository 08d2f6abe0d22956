"""A strict DER reader for the few ASN.1 types an ordinary certificate uses.

Strict means: one-byte tags, definite minimal lengths, minimal integers, canonical booleans,
bit strings and times, and nothing left over. Anything else raises ``NotHandled``: not "this
is invalid" but "let cryptography judge it", so a certificate is never accepted here that
cryptography would refuse, and never refused here at all.

    body = DerReader(der).nested(SEQUENCE)
    serial = integer(body.element(INTEGER))
    body.end()
"""

from __future__ import annotations

import datetime as dt

BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, OID = 0x01, 0x02, 0x03, 0x04, 0x06
UTF8_STRING, PRINTABLE_STRING, IA5_STRING = 0x0C, 0x13, 0x16
UTC_TIME, GENERALIZED_TIME = 0x17, 0x18
SEQUENCE, SET = 0x30, 0x31

_MAX_OID_BYTES = 32  # longer identifiers are left to cryptography
_MAX_ARC = 1 << 63


class NotHandled(Exception):
    """The input is outside what this reader handles; cryptography decides about it."""


class DerReader:
    """The elements inside one DER value, read in order."""

    __slots__ = ("_data", "_end", "_pos")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self._data, self._pos = data, start
        self._end = len(data) if end is None else end

    def at_end(self) -> bool:
        return self._pos >= self._end

    def peek(self) -> int:
        """The tag of the next element, or -1 at the end."""
        return self._data[self._pos] if self._pos < self._end else -1

    def raw(self, tag: int) -> bytes:
        """The next element, header included; it must have ``tag``."""
        start = self._pos
        _, end = self._header(tag)
        return self._data[start:end]

    def element(self, tag: int) -> bytes:
        """The content of the next element; it must have ``tag``."""
        content, end = self._header(tag)
        return self._data[content:end]

    def nested(self, tag: int) -> DerReader:
        """A reader over the content of the next (constructed) element."""
        content, end = self._header(tag)
        return DerReader(self._data, content, end)

    def end(self) -> None:
        if self._pos != self._end:
            raise NotHandled("trailing data")

    def _header(self, tag: int) -> tuple[int, int]:
        data, pos = self._data, self._pos
        if pos + 2 > self._end or data[pos] != tag:
            raise NotHandled(f"expected tag {tag:#x}")
        first = data[pos + 1]
        pos += 2
        if first < 0x80:
            length = first
        else:
            size = first & 0x7F
            if not 1 <= size <= 3 or pos + size > self._end or data[pos] == 0:
                raise NotHandled("indefinite, long or padded length")
            length = int.from_bytes(data[pos:pos + size], "big")
            if length < 0x80:
                raise NotHandled("non-minimal length")
            pos += size
        end = pos + length
        if end > self._end:
            raise NotHandled("length beyond the data")
        self._pos = end
        return pos, end


def integer(content: bytes) -> int:
    """A minimally encoded INTEGER, negative values included."""
    if not content:
        raise NotHandled("empty integer")
    if len(content) > 1 and (content[0], content[1] >> 7) in ((0x00, 0), (0xFF, 1)):
        raise NotHandled("non-minimal integer")
    return int.from_bytes(content, "big", signed=True)


def positive(content: bytes) -> int:
    value = integer(content)
    if value <= 0:
        raise NotHandled("not a positive integer")
    return value


def boolean(content: bytes) -> bool:
    if content == b"\xff":
        return True
    if content == b"\x00":
        return False
    raise NotHandled("non-canonical boolean")


def bit_string(content: bytes) -> bytes:
    """The bits of a BIT STRING, as bytes; unused bits must be zero."""
    if not content or content[0] > 7 or (len(content) == 1 and content[0]):
        raise NotHandled("bad bit string")
    unused = content[0]
    if unused and content[-1] & ((1 << unused) - 1):
        raise NotHandled("unused bits set")
    return content[1:]


def octets(content: bytes) -> bytes:
    """The bytes of a BIT STRING that holds whole octets (keys, signatures)."""
    if not content or content[0] != 0:
        raise NotHandled("bit string with unused bits")
    return content[1:]


def oid(content: bytes) -> str:
    """An OBJECT IDENTIFIER in dotted form."""
    if not content or len(content) > _MAX_OID_BYTES or content[-1] & 0x80:
        raise NotHandled("bad object identifier")
    arcs: list[int] = []
    value, fresh = 0, True
    for byte in content:
        if fresh and byte == 0x80:
            raise NotHandled("padded object identifier arc")
        value = (value << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            if value >= _MAX_ARC:
                raise NotHandled("object identifier arc too large")
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [first // 40, first % 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def time(tag: int, content: bytes) -> dt.datetime:
    """A UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as aware UTC."""
    digits = 12 if tag == UTC_TIME else 14
    if len(content) != digits + 1 or content[-1:] != b"Z" or not content[:-1].isdigit():
        raise NotHandled("unusual time format")
    text = content[:-1].decode("ascii")
    if tag == UTC_TIME:
        year = int(text[:2])
        text = str(year + (1900 if year >= 50 else 2000)) + text[2:]
    month, day, hour, minute, second = (int(text[i:i + 2]) for i in range(4, 14, 2))
    try:
        return dt.datetime(int(text[:4]), month, day, hour, minute, second,
                           tzinfo=dt.timezone.utc)
    except ValueError:  # a day, hour, ... out of range: cryptography decides
        raise NotHandled("time out of range") from None
