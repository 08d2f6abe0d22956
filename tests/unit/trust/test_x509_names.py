"""x509_names: RFC 4514 text exactly as cryptography writes it."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.name import _escape_dn_value
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from post_renderer.trust.der import SEQUENCE, DerReader
from post_renderer.trust.x509_names import escape, name_string


@given(st.text(st.sampled_from(list(" #\\\"+,;<>=\0aé😀")), max_size=8))
def test_values_are_escaped_as_cryptography_escapes_them(value):
    assert escape(value) == _escape_dn_value(value)


def test_rdns_are_reversed_and_a_multi_valued_rdn_keeps_its_der_order():
    name = x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "US")]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Ops, East"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Root"),
            x509.NameAttribute(x509.ObjectIdentifier("1.2.3.4"), " x ")]),
    ])
    der = name.public_bytes()
    expected = x509.Name.from_bytes(der).rfc4514_string()
    assert name_string(DerReader(der).nested(SEQUENCE)) == expected
    assert expected == "1.2.3.4=\\ x\\ +CN=Root+OU=Ops\\, East,C=US"  # DER (sorted) order
