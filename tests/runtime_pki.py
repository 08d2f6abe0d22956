"""One small PKI per rule of Go's crypto/x509 and OpenSSL, for the differential tests.

Each ``Case`` is a CA bundle (what a user passes to ``--ca-file``) and the chain a server
presents (leaf first, for ``localhost`` and 127.0.0.1), with one thing wrong: a negative
serial, an unhandled critical extension, a path length the chain exceeds, a DSA key, a SHA-1
signature below the anchor, and so on. cryptography refuses to build several of them
(non-positive or over-long serials, SHA-1/MD5 signatures), so those are edited in DER and
signed again by hand, as corporate CAs and old appliances do produce them.

    case = CASES["negative-serial"]
    case.bundle_pem, case.served, case.suspect
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
import warnings
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .certs import DAY, NOW, Issued, _der

LEAF_HOST = "localhost"
LEAF_IP = "127.0.0.1"

# AlgorithmIdentifier DER for the signatures made by hand.
_SIGNATURE_ALGORITHMS = {
    ("rsa", "sha256"): bytes.fromhex("300d06092a864886f70d01010b0500"),
    ("rsa", "sha1"): bytes.fromhex("300d06092a864886f70d0101050500"),
    ("rsa", "md5"): bytes.fromhex("300d06092a864886f70d0101040500"),
    ("ec", "sha256"): bytes.fromhex("300a06082a8648ce3d040302"),
}
_HASHES = {"sha256": hashes.SHA256, "sha1": hashes.SHA1, "md5": hashes.MD5}


@dataclass(frozen=True)
class Case:
    """A CA bundle, the chain a server presents under it, and the certificate the rule is about.

    ``suspect`` is the bundle certificate that breaks the rule, or None when the fault is in
    the served chain only (a bundle cannot show it; ``verify``, which sees the chain, must).
    ``reason`` is a word the project's message about the suspect must contain.
    """

    name: str
    bundle: tuple[Issued, ...]
    served: tuple[Issued, ...]
    suspect: Issued | None
    reason: str

    @property
    def bundle_pem(self) -> bytes:
        return b"".join(cert.pem for cert in self.bundle)

    @property
    def served_pem(self) -> bytes:
        return b"".join(cert.pem for cert in self.served)


# -- building ------------------------------------------------------------------------------


def rsa_key(bits: int = 2048):
    if bits < 1024:
        # cryptography will not generate keys under 1024 bits, but it loads them
        pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                              f"rsa_keygen_bits:{bits}"], capture_output=True, check=True).stdout
        return load_pem_private_key(pem, None)
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def ca(common_name: str, *, issuer: Issued | None = None, key=None,
       basic_constraints: str | None = "ca", path_length: int | None = None,
       cert_sign: bool = True, critical_unknown: bool = False,
       critical_known: tuple[x509.ExtensionType, ...] = (),
       permitted_dns: tuple[str, ...] = (), excluded_dns: tuple[str, ...] = (),
       not_before: dt.datetime | None = None,
       not_after: dt.datetime | None = None) -> Issued:
    """A CA certificate; ``basic_constraints`` is "ca", "not-ca" or None (extension absent)."""
    key = key or ec_key()
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Runtime Rules Corp"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 3650 * DAY)
    )
    if not any(isinstance(e, x509.SubjectKeyIdentifier) for e in critical_known):
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    if basic_constraints is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=basic_constraints == "ca",
                                  path_length=path_length if basic_constraints == "ca" else None),
            True)
    builder = builder.add_extension(x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=True,
        encipher_only=False, decipher_only=False), True)
    if critical_unknown:
        # a private OID no TLS library knows, marked critical
        builder = builder.add_extension(x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.1"), b"\x05\x00"), True)
    for extension in critical_known:  # one some runtime processes, marked critical
        builder = builder.add_extension(extension, True)
    if permitted_dns or excluded_dns:
        builder = builder.add_extension(x509.NameConstraints(
            permitted_subtrees=[x509.DNSName(n) for n in permitted_dns] or None,
            excluded_subtrees=[x509.DNSName(n) for n in excluded_dns] or None), True)
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False)
    return Issued(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


def server_leaf(issuer: Issued) -> Issued:
    """The server certificate every case serves: localhost and 127.0.0.1, serverAuth."""
    key = ec_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LEAF_HOST)]))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + 90 * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName(LEAF_HOST), x509.IPAddress(ipaddress.ip_address(LEAF_IP))]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False)
    )
    return Issued(builder.sign(issuer.key, hashes.SHA256()), key)


# -- editing in DER and signing by hand ----------------------------------------------------


def with_serial(issued: Issued, signer: Issued, serial: int) -> Issued:
    """The same certificate with any serial (negative, zero, over 20 octets), signed again."""
    length = max(1, (serial.bit_length() + 8) // 8)
    content = serial.to_bytes(length, "big", signed=True)
    return _edit(issued, signer, _hash_of(issued), serial=_der(0x02, content))


def with_signature_hash(issued: Issued, signer: Issued, hash_name: str) -> Issued:
    """The same certificate signed with ``hash_name`` (sha1, md5), which cryptography refuses."""
    return _edit(issued, signer, hash_name)


def as_version_1(issued: Issued) -> Issued:
    """The same self-signed certificate as version 1 (no extensions at all), signed again, as
    old corporate roots are."""
    fields = [field for field in _children(issued.cert.tbs_certificate_bytes)
              if field[0] not in (0xA0, 0xA3)]  # the [0] version and [3] extensions
    tbs = _der(0x30, b"".join(fields))
    signature = issued.key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    der = _der(0x30, tbs + fields[1] + _der(0x03, b"\x00" + signature))
    return Issued(x509.load_der_x509_certificate(der), issued.key)


def _hash_of(issued: Issued) -> str:
    return issued.cert.signature_hash_algorithm.name


def _edit(issued: Issued, signer: Issued, hash_name: str, *, serial: bytes | None = None) -> Issued:
    kind = "rsa" if isinstance(signer.key, rsa.RSAPrivateKey) else "ec"
    algorithm = _SIGNATURE_ALGORITHMS[(kind, hash_name)]
    fields = _children(issued.cert.tbs_certificate_bytes)
    # TBSCertificate: [0] version, serial, signature algorithm, issuer, validity, subject, ...
    fields[1] = serial or fields[1]
    fields[2] = algorithm
    tbs = _der(0x30, b"".join(fields))
    digest = _HASHES[hash_name]()
    if kind == "rsa":
        signature = signer.key.sign(tbs, padding.PKCS1v15(), digest)
    else:
        signature = signer.key.sign(tbs, ec.ECDSA(digest))
    der = _der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature))
    with warnings.catch_warnings():  # cryptography warns about the serials it is given here
        warnings.simplefilter("ignore")
        return Issued(x509.load_der_x509_certificate(der), issued.key)


def _children(der: bytes) -> list[bytes]:
    """The DER elements inside one constructed element."""
    body = _element(der)[1]
    children = []
    while body:
        element, _ = _element(body)
        children.append(element)
        body = body[len(element):]
    return children


def _element(der: bytes) -> tuple[bytes, bytes]:
    """(the first whole element, its content)."""
    first = der[1]
    if first < 0x80:
        header, length = 2, first
    else:
        size = first & 0x7F
        header, length = 2 + size, int.from_bytes(der[2:2 + size], "big")
    return der[:header + length], der[header:header + length]


# -- the cases -------------------------------------------------------------------------------


def _own_key_identifier(key) -> x509.ExtensionType:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())


_SHARED_KEY = ec_key()
# Extensions some runtime processes, each marked critical on a root of its own.
_KNOWN_EXTENSIONS = {
    "subject-key-identifier":
        lambda: x509.SubjectKeyIdentifier.from_public_key(_SHARED_KEY.public_key()),
    "authority-key-identifier": lambda: _own_key_identifier(_SHARED_KEY),
    "authority-information-access": lambda: x509.AuthorityInformationAccess([
        x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                               x509.UniformResourceIdentifier("http://pki.corp.example/r.crt"))]),
    "crl-distribution-points": lambda: x509.CRLDistributionPoints([x509.DistributionPoint(
        [x509.UniformResourceIdentifier("http://pki.corp.example/r.crl")], None, None, None)]),
    "certificate-policies": lambda: x509.CertificatePolicies([x509.PolicyInformation(
        x509.oid.CertificatePoliciesOID.ANY_POLICY, None)]),
    "policy-constraints": lambda: x509.PolicyConstraints(None, 0),
    "inhibit-any-policy": lambda: x509.InhibitAnyPolicy(0),
}


def _root_case(name: str, reason: str, root: Issued) -> Case:
    return Case(name, (root,), (server_leaf(root),), root, reason)


@cache
def cases() -> dict[str, Case]:
    """Every case by name, built once per test session."""
    found: list[Case] = []

    good = ca("Good Root CA")
    found.append(_root_case("baseline", "", good))

    for name, serial, reason in (("negative-serial", -4242, "negative serial"),
                                 ("zero-serial", 0, "serial"),
                                 ("long-serial", (1 << 175) + 7, "serial")):
        plain = ca(f"Serial Root CA {name}")
        leaf = server_leaf(plain)
        edited = with_serial(plain, plain, serial)
        found.append(Case(name, (edited,), (leaf,), edited, reason))

    root = ca("Serial Parent Root CA")
    plain = ca("Negative Serial Intermediate CA", issuer=root)
    leaf = server_leaf(plain)
    inter = with_serial(plain, root, -4243)
    found.append(Case("negative-serial-intermediate-served", (root,), (leaf, inter), None,
                      "negative serial"))

    found.append(_root_case("critical-unknown-extension", "critical extension",
                            ca("Critical Extension Root CA", critical_unknown=True)))
    root = ca("Critical Extension Parent Root CA")
    inter = ca("Critical Extension Intermediate CA", issuer=root, critical_unknown=True)
    found.append(Case("critical-unknown-extension-intermediate", (root,),
                      (server_leaf(inter), inter), None, "critical extension"))

    for name, extension in _KNOWN_EXTENSIONS.items():
        found.append(_root_case(f"critical-{name}", "critical extension",
                                ca(f"Critical {name} Root CA", key=_SHARED_KEY,
                                   critical_known=(extension(),))))
    found.append(_root_case("no-basic-constraints", "basic constraints",
                            ca("No Basic Constraints Root CA", basic_constraints=None)))
    root = ca("Basic Constraints Parent Root CA")
    inter = ca("No Basic Constraints Intermediate CA", issuer=root, basic_constraints=None)
    found.append(Case("no-basic-constraints-intermediate-served", (root,),
                      (server_leaf(inter), inter), None, "basic constraints"))
    found.append(_root_case("version-1-root", "basic constraints",
                            as_version_1(ca("Version 1 Root CA"))))
    found.append(_root_case("basic-constraints-not-ca", "CA",
                            ca("Not A CA Root", basic_constraints="not-ca")))

    root = ca("Path Length Zero Root CA", path_length=0)
    inter = ca("Path Length Intermediate CA", issuer=root)
    found.append(Case("path-length-exceeded", (root, inter),
                      (server_leaf(inter), inter), inter, "path length"))
    found.append(Case("path-length-exceeded-served", (root,),
                      (server_leaf(inter), inter), None, "path length"))
    found.append(_root_case("path-length-zero-signs-the-server", "path length",
                            ca("Path Length Zero Issuing Root CA", path_length=0)))

    found.append(_root_case("key-usage-without-cert-sign", "key usage",
                            ca("No Cert Sign Root CA", cert_sign=False)))
    found.append(_root_case("name-constraints-violated", "name constraints",
                            ca("Constrained Root CA", permitted_dns=("corp.example",))))

    found.append(_root_case("dsa-key", "DSA",
                            ca("DSA Root CA", key=dsa.generate_private_key(2048))))
    found.append(_root_case("ec-secp256k1", "secp256k1",
                            ca("secp256k1 Root CA", key=ec.generate_private_key(ec.SECP256K1()))))
    found.append(_root_case("rsa-1024", "1024", ca("RSA 1024 Root CA", key=rsa_key(1024))))
    found.append(_root_case("rsa-512", "512", ca("RSA 512 Root CA", key=rsa_key(512))))

    root = ca("SHA-1 Parent Root CA", key=rsa_key())
    inter = with_signature_hash(ca("SHA-1 Signed Intermediate CA", issuer=root), root, "sha1")
    found.append(Case("sha1-intermediate-served", (root,),
                      (server_leaf(inter), inter), None, "SHA-1"))
    found.append(Case("sha1-intermediate-in-bundle", (root, inter),
                      (server_leaf(inter), inter), inter, "SHA-1"))
    root = ca("MD5 Parent Root CA", key=rsa_key())
    inter = with_signature_hash(ca("MD5 Signed Intermediate CA", issuer=root), root, "md5")
    found.append(Case("md5-intermediate-served", (root,),
                      (server_leaf(inter), inter), None, "MD5"))
    plain = ca("SHA-1 Self-Signed Root CA", key=rsa_key())
    leaf = server_leaf(plain)
    sha1_root = with_signature_hash(plain, plain, "sha1")
    found.append(Case("sha1-self-signed-root", (sha1_root,), (leaf,), sha1_root, "SHA-1"))

    found.append(_root_case("expired-root", "expired",
                            ca("Expired Root CA", not_before=NOW - 400 * DAY,
                               not_after=NOW - 2 * DAY)))
    found.append(_root_case("not-yet-valid-root", "not valid before",
                            ca("Future Root CA", not_before=NOW + 2 * DAY,
                               not_after=NOW + 400 * DAY)))
    expired = ca("Stale Expired Root CA", not_before=NOW - 400 * DAY, not_after=NOW - 2 * DAY)
    fresh = ca("Current Root CA")
    found.append(Case("expired-root-beside-a-good-one", (expired, fresh),
                      (server_leaf(fresh),), expired, "expired"))
    return {case.name: case for case in found}
