"""What the pod's TLS stacks do with a CA certificate: Go (the controller, the auto-updater's
helm) and OpenSSL (the log-shipper, fluent-bit, at Debian's security level 2).

Only rules some client really applies are here; each finding names the runtime that refuses
and what to ask for instead (tests/test_runtime_verdicts.py pins every rule against helm and
openssl). Neither runtime checks a trust anchor's own signature, so that is not a finding.

    for finding in anchor_findings(cert):      # cryptography x509.Certificate
        finding.go, finding.openssl, finding.reason, finding.hint
    go_chain_refusal([leaf, intermediate, anchor], "api.spotinst.io")   # None or the reason
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import ExtensionOID

SPOT_API = "api.spotinst.io"
SPOT_CHARTS = "charts.spot.io"
GO_MIN_RSA_BITS = 1024  # Go 1.24 and later
OPENSSL_MIN_RSA_BITS = 2048  # security level 2: 112 bits
GO_CURVES = frozenset({"secp224r1", "secp256r1", "secp384r1", "secp521r1"})
WEAK_HASHES = {"sha1": "SHA-1", "md5": "MD5"}

_GO_CRITICAL = frozenset({
    ExtensionOID.KEY_USAGE, ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.NAME_CONSTRAINTS, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.CERTIFICATE_POLICIES, ExtensionOID.POLICY_CONSTRAINTS,
    ExtensionOID.POLICY_MAPPINGS, ExtensionOID.INHIBIT_ANY_POLICY,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.CRL_DISTRIBUTION_POINTS, ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
})
_OPENSSL_CRITICAL = frozenset({
    ExtensionOID.KEY_USAGE, ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.NAME_CONSTRAINTS, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.CERTIFICATE_POLICIES, ExtensionOID.POLICY_CONSTRAINTS,
    ExtensionOID.POLICY_MAPPINGS, ExtensionOID.INHIBIT_ANY_POLICY,
    x509.ObjectIdentifier("2.16.840.1.113730.1.1"),  # Netscape certificate type
})
_NEW_CA_HINT = "ask the proxy's owners for a CA certificate without this problem"


class Finding(NamedTuple):
    """One rule a certificate breaks, and which runtimes refuse it for that."""

    go: bool  # the controller and the auto-updater's helm refuse it
    openssl: bool  # the log-shipper refuses it
    reason: str  # completes "<certificate> ..."
    hint: str = _NEW_CA_HINT


def anchor_findings(cert: x509.Certificate) -> list[Finding]:
    """Why Go or OpenSSL would not use ``cert`` as a trust anchor for the Spot hosts."""
    return [*_parsed(cert), *_ca_flags(cert), *_name_constraints(cert)]


def signature_findings(cert: x509.Certificate, self_signed: bool) -> list[Finding]:
    """A weak signature counts only below an anchor: OpenSSL checks it on a chain's CAs."""
    name = _hash_name(cert)
    if self_signed or name not in WEAK_HASHES:
        return []
    return [Finding(False, True, f"is signed with {WEAK_HASHES[name]}: the log-shipper "
                                 "(OpenSSL) refuses chains through it; the controller (Go) "
                                 "trusts it only because it is in the bundle itself",
                    "ask the proxy's owners for the CA re-signed with SHA-256")]


def go_chain_refusal(chain: Sequence[x509.Certificate], server_name: str) -> str | None:
    """Why Go would refuse ``chain`` (leaf first, trust anchor last), or None."""
    for position, cert in enumerate(chain):
        subject = cert.subject.rfc4514_string()
        findings = _parsed(cert) + (_ca_flags(cert) if position else [])
        refused = [f.reason for f in findings if f.go]
        if refused:
            return f"'{subject}' {refused[0]}"
        weak = WEAK_HASHES.get(_hash_name(cert) or "")
        if weak and position < len(chain) - 1:
            return (f"'{subject}' is signed with {weak}: the controller (Go) refuses SHA-1 and "
                    "MD5 signatures below the trust anchor")
        limit = path_length(cert) if position else None
        if limit is not None and position - 1 > limit:
            return (f"'{subject}' allows {limit} intermediate CA(s) below it (path length), "
                    f"the chain has {position - 1}")
        if position and not name_allowed(cert, server_name):
            return f"'{subject}' has name constraints that do not allow {server_name}"
    return None


def name_allowed(cert: x509.Certificate, host: str) -> bool:
    """Whether ``cert``'s DNS name constraints let it sign for ``host`` (as Go and OpenSSL)."""
    try:
        constraints = cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return True
    permitted = [n.value for n in constraints.permitted_subtrees or ()
                 if isinstance(n, x509.DNSName)]
    excluded = [n.value for n in constraints.excluded_subtrees or ()
                if isinstance(n, x509.DNSName)]
    if any(_dns_match(host, name) for name in excluded):
        return False
    return not permitted or any(_dns_match(host, name) for name in permitted)


def _dns_match(host: str, constraint: str) -> bool:
    host, constraint = host.lower().rstrip("."), constraint.lower()
    if not constraint:
        return True
    if constraint.startswith("."):
        return host.endswith(constraint)
    return host == constraint or host.endswith("." + constraint)


def _parsed(cert: x509.Certificate) -> list[Finding]:
    """What Go and OpenSSL refuse in any certificate of a chain, its anchor included."""
    return [*_serial(cert), *_critical(cert), *_key(cert)]


def _serial(cert: x509.Certificate) -> list[Finding]:
    if cert.serial_number < 0:
        return [Finding(True, False, "has a negative serial number: the controller (Go) "
                                     "drops it when loading its trust (x509: negative serial "
                                     "number)")]
    return []


def _critical(cert: x509.Certificate) -> list[Finding]:
    found = []
    for extension in cert.extensions:
        if not extension.critical:
            continue
        go, openssl = extension.oid not in _GO_CRITICAL, extension.oid not in _OPENSSL_CRITICAL
        if go or openssl:
            oid = extension.oid.dotted_string
            found.append(Finding(go, openssl, f"has a critical extension {oid}: refused by "
                                              f"{_who(go, openssl)} (unhandled critical "
                                              "extension)"))
    return found


def _ca_flags(cert: x509.Certificate) -> list[Finding]:
    basic = _extension(cert, x509.BasicConstraints)
    usage = _extension(cert, x509.KeyUsage)
    found = []
    if basic is None and cert.version == x509.Version.v3:
        openssl = usage is None or not usage.key_cert_sign
        found.append(Finding(True, openssl, "has no basic constraints extension: refused as a "
                                            f"CA by {_who(True, openssl)}"))
    if usage is not None and not usage.key_cert_sign:
        found.append(Finding(True, True, "has a key usage without keyCertSign: refused as a CA "
                                         f"by {_who(True, True)}"))
    return found


def _key(cert: x509.Certificate) -> list[Finding]:
    try:
        key = cert.public_key()
    except Exception:  # a key type cryptography cannot load; Go cannot either
        return [Finding(True, False, "has a public key of an unsupported type")]
    if isinstance(key, dsa.DSAPublicKey):
        return [Finding(True, key.key_size < OPENSSL_MIN_RSA_BITS,
                        "has a DSA key: the controller (Go) does not verify DSA signatures")]
    if isinstance(key, rsa.RSAPublicKey):
        bits = key.key_size
        if bits < GO_MIN_RSA_BITS:
            return [Finding(True, True, f"has a {bits}-bit RSA key: the controller (Go 1.24 "
                                        f"and later) refuses RSA keys under {GO_MIN_RSA_BITS} "
                                        "bits, the log-shipper (OpenSSL) under "
                                        f"{OPENSSL_MIN_RSA_BITS}")]
        if bits < OPENSSL_MIN_RSA_BITS:
            return [Finding(False, True, f"has an RSA {bits} key: the log-shipper (OpenSSL at "
                                         "security level 2) refuses RSA keys under "
                                         f"{OPENSSL_MIN_RSA_BITS} bits",
                            "ask the proxy's owners for a CA with an RSA 2048 or EC key")]
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in GO_CURVES:
        return [Finding(True, key.curve.key_size < 224,
                        f"has an EC key on {key.curve.name}, a curve the controller (Go) does "
                        "not support")]
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey,
                            ed25519.Ed25519PublicKey, dsa.DSAPublicKey)):
        return [Finding(True, False, f"has a {type(key).__name__.removesuffix('PublicKey')} "
                                     "key, which the controller (Go) does not support")]
    return []


def _name_constraints(cert: x509.Certificate) -> list[Finding]:
    if not name_allowed(cert, SPOT_API):
        return [Finding(True, True, f"has name constraints that do not allow {SPOT_API}: "
                                    "it cannot sign the proxy's certificate for the Spot API",
                        "trust the CA your proxy re-signs Spot traffic with")]
    if not name_allowed(cert, SPOT_CHARTS):
        return [Finding(False, False, f"has name constraints that do not allow {SPOT_CHARTS}: "
                                      "the auto-update Job's helm will refuse the proxy there")]
    return []


def _extension(cert: x509.Certificate, kind: type) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def path_length(cert: x509.Certificate) -> int | None:
    """How many intermediate CAs ``cert`` allows below it (None: no limit, or not a CA)."""
    basic = _extension(cert, x509.BasicConstraints)
    return basic.path_length if basic is not None and basic.ca else None


def _hash_name(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # an algorithm cryptography does not know
        return None
    return algorithm.name if algorithm else None


def _who(go: bool, openssl: bool) -> str:
    if go and openssl:
        return "the controller (Go) and the log-shipper (OpenSSL)"
    return "the controller (Go)" if go else "the log-shipper (OpenSSL)"
