"""der: strict DER only; everything else is NotHandled, never a ValueError."""

from __future__ import annotations

import datetime as dt

import pytest

from post_renderer.trust.der import (
    GENERALIZED_TIME,
    INTEGER,
    SEQUENCE,
    UTC_TIME,
    DerReader,
    NotHandled,
    bit_string,
    boolean,
    integer,
    oid,
    time,
)


def test_a_sequence_reads_its_elements_in_order_and_must_be_used_up():
    body = DerReader(bytes.fromhex("3006020101020102")).nested(SEQUENCE)
    assert integer(body.element(INTEGER)) == 1 and body.peek() == INTEGER
    with pytest.raises(NotHandled):
        body.end()
    assert integer(body.element(INTEGER)) == 2 and body.at_end() and body.peek() == -1


@pytest.mark.parametrize("encoded", ["3080020101 0000", "308103020101", "30820003020101",
                                     "3004020101", "0201"], ids=["indefinite", "long short",
                                                                "padded long", "beyond",
                                                                "no length"])
def test_lengths_outside_strict_der_are_not_handled(encoded):
    with pytest.raises(NotHandled):
        DerReader(bytes.fromhex(encoded.replace(" ", ""))).nested(SEQUENCE)


@pytest.mark.parametrize("content,value", [("00", 0), ("7f", 127), ("0080", 128), ("ff", -1),
                                           ("ff7f", -129), ("80", -128)])
def test_minimal_integers_are_read_with_their_sign(content, value):
    assert integer(bytes.fromhex(content)) == value


@pytest.mark.parametrize("content", ["", "0001", "ff80"])
def test_empty_or_padded_integers_are_not_handled(content):
    with pytest.raises(NotHandled):
        integer(bytes.fromhex(content))


def test_only_canonical_booleans_and_bit_strings_are_read():
    assert boolean(b"\xff") is True and boolean(b"\x00") is False
    assert bit_string(bytes.fromhex("0106")) == b"\x06"
    for bad in (b"\x01", b""):
        with pytest.raises(NotHandled):
            boolean(bad)
    for bad in ("0107", "08ff", "01", ""):  # unused bit set, too many unused, none left
        with pytest.raises(NotHandled):
            bit_string(bytes.fromhex(bad))


def test_object_identifiers_print_as_cryptography_prints_them():
    assert oid(bytes.fromhex("2a864886f70d01010b")) == "1.2.840.113549.1.1.11"
    assert oid(bytes.fromhex("8837")) == "2.999"
    assert oid(bytes.fromhex("0992268993f22c640119")) == "0.9.2342.19200300.100.1.25"
    for bad in ("", "2a86", "2a80 01", "ff" * 40):
        with pytest.raises(NotHandled):
            oid(bytes.fromhex(bad.replace(" ", "")))


def test_times_are_aware_utc_and_two_digit_years_pivot_at_1950():
    utc = dt.timezone.utc
    assert time(UTC_TIME, b"491231235959Z") == dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=utc)
    assert time(UTC_TIME, b"500101000000Z") == dt.datetime(1950, 1, 1, tzinfo=utc)
    assert time(GENERALIZED_TIME, b"20500101000000Z") == dt.datetime(2050, 1, 1, tzinfo=utc)


@pytest.mark.parametrize("tag,text", [(UTC_TIME, b"4912312359Z"), (UTC_TIME, b"491231235959+0000"),
                                      (UTC_TIME, b"490229000000Z"), (UTC_TIME, b"49123123595 Z"),
                                      (GENERALIZED_TIME, b"20500101000000.5Z"),
                                      (GENERALIZED_TIME, b"00000101000000Z"),
                                      (UTC_TIME, b"491231245959Z")])
def test_unusual_times_are_not_handled(tag, text):
    with pytest.raises(NotHandled):
        time(tag, text)
