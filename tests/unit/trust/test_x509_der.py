"""fields_from_der: every certificate is either declined or read exactly as cryptography
reads it (agreement.agreed), over generated, real-world, test-suite and damaged certificates;
and the ordinary CAs users paste are read without cryptography."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import random
import re
import warnings
from functools import cache
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from post_renderer.trust.der import NotHandled
from post_renderer.trust.x509_der import fields_from_der

from ... import certs, runtime_pki
from ...certs import _der
from .agreement import agreed, pure_path

SYSTEM_ROOTS = Path("/etc/ssl/certs")
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


# -- keys and certificates ------------------------------------------------------------------


@cache
def key_pool() -> dict[str, object]:
    """One private key per kind, made once: RSA keys are slow to generate."""
    return {
        "rsa1024": rsa.generate_private_key(65537, 1024),
        "rsa2048": rsa.generate_private_key(65537, 2048),
        "rsa3072": rsa.generate_private_key(65537, 3072),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "k256": ec.generate_private_key(ec.SECP256K1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "dsa": dsa.generate_private_key(2048),
    }


_ATTRIBUTES = [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME,
               NameOID.LOCALITY_NAME, NameOID.STATE_OR_PROVINCE_NAME, NameOID.STREET_ADDRESS,
               NameOID.DOMAIN_COMPONENT, NameOID.USER_ID, NameOID.EMAIL_ADDRESS,
               NameOID.SERIAL_NUMBER, NameOID.GIVEN_NAME, NameOID.TITLE, NameOID.PSEUDONYM,
               NameOID.ORGANIZATION_IDENTIFIER, x509.ObjectIdentifier("1.3.6.1.4.1.55555.7")]
_TYPES = [None] * 8 + [_ASN1Type.UTF8String, _ASN1Type.PrintableString,
          _ASN1Type.IA5String, _ASN1Type.T61String, _ASN1Type.BMPString]
# rfc4514 specials, spaces at the ends, NUL, non-ASCII and astral characters
_TEXT = st.lists(st.sampled_from([*list("aZ9 -.'#=+,;<>\"\\\x00éü中😀"), "Corp", "CA"]),
                 max_size=8).map("".join)


@st.composite
def attributes(draw: st.DrawFn) -> x509.NameAttribute:
    kind = draw(st.sampled_from([*_ATTRIBUTES, NameOID.COUNTRY_NAME]))
    value, kind_of_string = (draw(st.sampled_from(["US", "DE", "F!", "ü1"])), None) \
        if kind == NameOID.COUNTRY_NAME else (draw(_TEXT), draw(st.sampled_from(_TYPES)))
    with warnings.catch_warnings():  # lengths RFC 5280 does not allow: wanted here
        warnings.simplefilter("ignore", UserWarning)
        return x509.NameAttribute(kind, value, kind_of_string, _validate=False)


@st.composite
def names(draw: st.DrawFn) -> x509.Name:
    rdns = []
    for _ in range(draw(st.integers(0, 4))):
        members = draw(st.lists(attributes(), min_size=1, max_size=3))
        assume(len(set(members)) == len(members))
        rdns.append(x509.RelativeDistinguishedName(members))
    return x509.Name(rdns)


_DNS = st.sampled_from(["corp.example", ".corp.example", "api.spotinst.io", "spot.io",
                        "charts.spot.io", "", "xn--bcher-kva.example"])


@st.composite
def extensions(draw: st.DrawFn, subject_key: object, issuer_key: object) -> list:
    found = []
    critical = st.booleans()
    if draw(st.booleans()):
        ca = draw(st.booleans())
        limit = draw(st.none() | st.integers(0, 5)) if ca else None
        found.append((x509.BasicConstraints(ca=ca, path_length=limit), draw(critical)))
    if draw(st.booleans()):
        bits = draw(st.lists(st.booleans(), min_size=9, max_size=9))
        bits[7] = bits[8] = bits[7] and bits[4]
        found.append((x509.KeyUsage(*bits[:7], bits[7], bits[8]), draw(critical)))
    if draw(st.booleans()):
        found.append((x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()),
                      False))
    if draw(st.booleans()):
        found.append((x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), False))
    if draw(st.booleans()):
        permitted = [x509.DNSName(n) for n in draw(st.lists(_DNS, max_size=2))]
        excluded = [x509.DNSName(n) for n in draw(st.lists(_DNS, max_size=2))]
        if draw(_RARELY):
            permitted.append(x509.IPAddress(ipaddress.ip_network("10.0.0.0/8")))
        if permitted or excluded:
            found.append((x509.NameConstraints(permitted or None, excluded or None),
                          draw(critical)))
    if draw(st.booleans()):
        found.append((x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://pki.corp/ca.crt")),
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier("http://ocsp.corp"))]),
            draw(critical)))
    if draw(st.booleans()):
        found.append((x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://pki.corp/ca.crl")], None, None, None)]),
            False))
    if draw(st.booleans()):
        qualifiers = draw(st.sampled_from([None, None, ["https://pki.corp/cps"],
                                           [x509.UserNotice(None, "explicit text")]]))
        found.append((x509.CertificatePolicies([x509.PolicyInformation(
            x509.ObjectIdentifier("2.5.29.32.0"), qualifiers)]), False))
    if draw(st.booleans()):
        found.append((x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False))
    if draw(st.booleans()):
        found.append((x509.SubjectAlternativeName([
            x509.DNSName("api.spotinst.io"), x509.IPAddress(ipaddress.ip_address("10.1.2.3")),
            *draw(st.sampled_from([[], [], [x509.RFC822Name("pki@corp.example")]]))]), False))
    if draw(_RARELY):
        private = draw(st.sampled_from(["1.3.6.1.4.1.55555.1.1", "2.16.840.1.113730.1.1",
                                        "1.3.6.1.4.1.311.21.1"]))
        found.append((x509.UnrecognizedExtension(x509.ObjectIdentifier(private), b"\x05\x00"),
                      draw(critical)))
    return found


# the ordinary keys more often than the exotic ones (secp256k1, Ed25519, DSA)
_KEY_NAMES = st.sampled_from(["rsa1024", "rsa2048", "rsa3072", "p256", "p384", "p521"] * 3
                             + ["k256", "ed25519", "dsa"])
_RARELY = st.sampled_from([False, False, False, False, True])
_INSTANTS = st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2200, 1, 1),
                         timezones=st.just(dt.timezone.utc)).map(lambda t: t.replace(microsecond=0))
_HASHES = {"sha1": None, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
           "sha512": hashes.SHA512}


@st.composite
def generated(draw: st.DrawFn) -> bytes:
    """A certificate from a wide space, as cryptography (or a DER edit) makes it."""
    pool = key_pool()
    subject_key = pool[draw(_KEY_NAMES)]
    self_signed = draw(st.booleans())
    issuer_key = subject_key if self_signed else pool[draw(_KEY_NAMES)]
    subject = draw(names())
    issuer = subject if self_signed else draw(names())
    not_before = draw(_INSTANTS)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(subject_key.public_key())
               .serial_number(draw(st.integers(1, (1 << 159) - 1)))
               .not_valid_before(not_before)
               .not_valid_after(draw(_INSTANTS.filter(lambda t: t >= not_before))))
    for extension, critical in draw(extensions(subject_key, issuer_key)):
        builder = builder.add_extension(extension, critical)
    hash_name = draw(st.sampled_from(sorted(_HASHES)))
    signing = isinstance(issuer_key, (ed25519.Ed25519PrivateKey,))
    digest = None if signing else (_HASHES[hash_name] or hashes.SHA256)()
    try:
        cert = builder.sign(issuer_key, digest)
    except ValueError:  # e.g. a DSA key too small for the digest, a bad name for its type
        assume(False)
    der = cert.public_bytes(certs.serialization.Encoding.DER)
    edit = draw(st.sampled_from(["none", "none", "sha1", "negative serial", "version 1"]))
    rsa_or_ec = isinstance(issuer_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey))
    if edit != "none" and rsa_or_ec and digest is not None and digest.name == "sha256":
        der = edited(der, issuer_key, edit, draw(st.integers(1, 1 << 64)))
    return der


def edited(der: bytes, signer: object, edit: str, number: int) -> bytes:
    """The certificate re-signed after a DER edit cryptography's builder will not make."""
    tbs, _, _ = runtime_pki._children(der)
    fields = runtime_pki._children(tbs)
    kind = "rsa" if isinstance(signer, rsa.RSAPrivateKey) else "ec"
    hash_name = "sha1" if edit == "sha1" and kind == "rsa" else "sha256"
    algorithm = runtime_pki._SIGNATURE_ALGORITHMS[(kind, hash_name)]
    fields[2] = algorithm
    if edit == "negative serial":
        fields[1] = _der(0x02, (-number).to_bytes((number.bit_length() + 8) // 8, "big",
                                                  signed=True))
    if edit == "version 1" and fields[-1][0] == 0xA3:
        fields = fields[1:-1]  # no version, no extensions
    tbs = _der(0x30, b"".join(fields))
    digest = runtime_pki._HASHES[hash_name]()
    if kind == "rsa":
        signature = signer.sign(tbs, padding.PKCS1v15(), digest)
    else:
        signature = signer.sign(tbs, ec.ECDSA(digest))
    return _der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature))


# -- the property ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated())
def test_a_generated_certificate_is_declined_or_read_exactly_as_cryptography_reads_it(der):
    agreed(der)


def test_the_generator_reaches_both_outcomes():
    # the property above is only worth something if the pure path accepts many of them
    outcomes = {"handled": 0, "declined": 0}

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(generated())
    def count(der):
        outcomes["handled" if agreed(der) else "declined"] += 1

    count()
    assert outcomes["handled"] >= 20 and outcomes["declined"] >= 20, outcomes


# -- real certificates -----------------------------------------------------------------------


def system_roots() -> list[bytes]:
    found = [base64.b64decode(match.group(1)) for path in sorted(SYSTEM_ROOTS.glob("*.pem"))
             for match in _PEM.finditer(path.read_bytes())]
    assert found, f"no certificates in {SYSTEM_ROOTS}"
    return found


def is_ordinary(der: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cert = x509.load_der_x509_certificate(der)
        key = cert.public_key()
    good_key = isinstance(key, rsa.RSAPublicKey) or (
        isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in ("secp256r1",
                                                                        "secp384r1"))
    return good_key and cert.signature_hash_algorithm.name in ("sha256", "sha384")


def test_every_system_root_is_declined_or_read_as_cryptography_reads_it():
    handled = [der for der in system_roots() if agreed(der) is not None]
    ordinary = [der for der in system_roots() if is_ordinary(der)]
    # the few declined ones carry AKI issuer names, user notices, T61 names, private extensions
    assert len(set(handled) & set(ordinary)) >= 0.85 * len(ordinary)


def suite_certificates() -> dict[str, bytes]:
    """Every certificate the other suites build, by a name for the failure message."""
    found = {}
    for case in runtime_pki.cases().values():
        for position, issued in enumerate((*case.bundle, *case.served)):
            found[f"{case.name}/{position}"] = issued.der
    corp = certs.root()
    rsa_root = certs.root("RSA Root CA", key=certs.new_key("rsa"))
    found.update({
        "root": corp.der, "intermediate": certs.intermediate(corp).der,
        "leaf": certs.leaf(corp).der, "rsa root": rsa_root.der,
        "sha1 root": certs.resign_with_sha1(rsa_root).der,
        "v1-style root": certs.root("Old Root", ca=None).der,
        "aia intermediate": certs.intermediate(corp, aia_url="http://pki.corp/r.crt").der,
        "sha384 root": certs.root("SHA-384 Root CA", hash_algorithm=hashes.SHA384()).der,
        "corporate ca": corporate_ca(),
    })
    return found


def corporate_ca(curve: ec.EllipticCurve | None = None) -> bytes:
    """The bench's corporate CA (bench/run.py write_corporate_ca)."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Corp Root CA")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(certs.NOW - certs.DAY).not_valid_after(certs.NOW + 3650 * certs.DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(certs.serialization.Encoding.DER)


def test_every_certificate_the_suites_build_is_declined_or_read_as_cryptography_reads_it():
    results = {name: agreed(der) for name, der in suite_certificates().items()}
    handled = {name for name, cert in results.items() if cert is not None}
    # ordinary RSA and EC CAs, SHA-1 and MD5 ones included, are read without cryptography
    assert {"baseline/0", "root", "intermediate", "leaf", "rsa root", "sha1 root",
            "v1-style root", "aia intermediate", "sha384 root", "corporate ca",
            "negative-serial/0", "rsa-1024/0", "path-length-exceeded/1",
            "name-constraints-violated/0", "sha1-intermediate-in-bundle/1",
            "md5-intermediate-served/2", "no-basic-constraints/0"} <= handled
    # the exotic ones are cryptography's
    assert not {"dsa-key/0", "critical-unknown-extension/0"} & handled


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()],
                         ids=lambda c: c.name)
def test_the_corporate_ca_shape_is_read_without_cryptography_on_every_nist_curve(curve):
    cert = agreed(corporate_ca(curve))
    assert cert is not None and cert.self_signed and cert.is_ca
    assert cert.findings == () and cert.key_description == f"EC {curve.name}"


# -- damaged certificates --------------------------------------------------------------------


@cache
def fuzz_seeds() -> list[bytes]:
    corp = certs.root("Fuzz Root CA")
    rsa_root = certs.root("Fuzz RSA Root CA", key=key_pool()["rsa2048"])
    return [corporate_ca(), rsa_root.der, certs.intermediate(corp).der,
            certs.intermediate(rsa_root, aia_url="http://pki.corp/r.crt").der,
            runtime_pki.cases()["name-constraints-violated"].bundle[0].der]


@settings(max_examples=1500, deadline=None)
@given(st.data())
def test_a_damaged_certificate_is_declined_or_read_as_cryptography_reads_it(data):
    der = bytearray(data.draw(st.sampled_from(fuzz_seeds())))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(der) - 1))
        action = data.draw(st.sampled_from(["flip", "set", "insert", "delete"]))
        byte = data.draw(st.integers(0, 255))
        if action == "flip":
            der[at] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "set":
            der[at] = byte
        elif action == "insert":
            der.insert(at, byte)
        else:
            del der[at]
    agreed(bytes(der))


def test_many_damaged_issued_certificates_are_still_read_and_agree():
    # a mutation inside an issued certificate's names or dates is read, not just declined
    rng = random.Random(4)
    seed = fuzz_seeds()[2]
    handled = 0
    for _ in range(400):
        der = bytearray(seed)
        der[rng.randrange(len(der))] ^= 1 << rng.randrange(8)
        handled += agreed(bytes(der)) is not None
    assert handled >= 20


@pytest.mark.parametrize("damage", ["long length", "indefinite length", "trailing byte",
                                    "truncated"])
def test_encodings_outside_strict_der_are_declined(damage):
    der = corporate_ca()
    body = der[4:] if der[1] == 0x82 else der[3:]
    broken = {
        "long length": b"\x30\x83" + len(body).to_bytes(3, "big") + body,
        "indefinite length": b"\x30\x80" + body + b"\x00\x00",
        "trailing byte": der + b"\x00",
        "truncated": der[:-1],
    }[damage]
    with pytest.raises(NotHandled):
        fields_from_der(broken)


def test_mismatched_inner_and_outer_signature_algorithms_are_declined():
    issued = certs.root("Mismatch Root CA", key=key_pool()["rsa2048"])
    tbs = issued.cert.tbs_certificate_bytes
    outer = runtime_pki._SIGNATURE_ALGORITHMS[("rsa", "sha1")]
    der = _der(0x30, tbs + outer + _der(0x03, b"\x00" + issued.cert.signature))
    assert pure_path(der) is None
    agreed(der)


def test_rsa_pss_ed25519_and_dsa_certificates_are_cryptography_s():
    pool = key_pool()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Other Algorithms CA")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .serial_number(7).not_valid_before(certs.NOW)
               .not_valid_after(certs.NOW + certs.DAY))
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
    made = [builder.public_key(pool["rsa2048"].public_key()).sign(
                pool["rsa2048"], hashes.SHA256(), rsa_padding=pss),
            builder.public_key(pool["ed25519"].public_key()).sign(pool["ed25519"], None),
            builder.public_key(pool["dsa"].public_key()).sign(pool["dsa"], hashes.SHA256())]
    for cert in made:
        der = cert.public_bytes(certs.serialization.Encoding.DER)
        assert pure_path(der) is None
        assert agreed(der) is None


def test_a_self_signed_certificate_with_a_bad_signature_is_left_to_cryptography():
    der = bytearray(corporate_ca())
    der[-5] ^= 0x01  # inside the signature's s
    assert pure_path(bytes(der)) is None
    agreed(bytes(der))


def test_an_attribute_twice_in_one_rdn_is_declined_whatever_its_string_types():
    """cryptography refuses CN=a next to CN=a in one RDN even when one is a UTF8String and the
    other a PrintableString; the pure reader must not read it."""
    key = ec.generate_private_key(ec.SECP256R1())
    rdn = x509.RelativeDistinguishedName([
        x509.NameAttribute(NameOID.COMMON_NAME, "a", _ASN1Type.UTF8String),
        x509.NameAttribute(NameOID.COMMON_NAME, "b", _ASN1Type.PrintableString)])
    name = x509.Name([rdn])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(certs.NOW - certs.DAY).not_valid_after(certs.NOW + certs.DAY)
            .sign(key, hashes.SHA256()))
    der = cert.public_bytes(certs.serialization.Encoding.DER)
    assert der.count(b"\x13\x01b") == 2  # the subject and the issuer
    duplicated = edited(der.replace(b"\x13\x01b", b"\x13\x01a"), key, "", 0)
    assert pure_path(duplicated) is None
    agreed(duplicated)  # and cryptography refuses it (else this says the two disagree)
    with pytest.raises(ValueError):
        _ = x509.load_der_x509_certificate(duplicated).subject
