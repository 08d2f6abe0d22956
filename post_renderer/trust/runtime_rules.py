"""What the pod's TLS stacks do with a CA certificate: Go (the controller, the auto-updater's
helm) and OpenSSL (the log-shipper, fluent-bit, at Debian's security level 2).

Only rules some client really applies are here; each finding names the runtime that refuses
and what to ask for instead (tests/test_runtime_verdicts.py pins every rule against helm and
openssl). Neither runtime checks a trust anchor's own signature, so that is not a finding.

    for finding in anchor_findings(fields):    # x509_fields.X509Fields
        finding.go, finding.openssl, finding.reason, finding.hint
    go_chain_refusal([leaf, intermediate, anchor], "api.spotinst.io")   # None or the reason
"""

from __future__ import annotations

from collections.abc import Sequence

from post_renderer.trust.finding import Finding
from post_renderer.trust.x509_fields import X509Fields

SPOT_API = "api.spotinst.io"
SPOT_CHARTS = "charts.spot.io"
GO_MIN_RSA_BITS = 1024  # Go 1.24 and later
OPENSSL_MIN_RSA_BITS = 2048  # security level 2: 112 bits
GO_CURVES = frozenset({"secp224r1", "secp256r1", "secp384r1", "secp521r1"})
WEAK_HASHES = {"sha1": "SHA-1", "md5": "MD5"}
_SUPPORTED_KEYS = frozenset({"RSA", "EC", "Ed25519", "DSA"})

# The extensions both runtimes process, and so accept marked critical (by dotted OID): all Go
# takes so. Go drops a CA whose key identifiers or authority information access are marked
# critical (RFC 5280 says they must not be), and Go 1.23 refuses the policy extensions that
# OpenSSL takes below. Measured with helm 3 (Go 1.23), helm 4 and OpenSSL 3
# (tests/test_runtime_verdicts.py).
_UNDERSTOOD = frozenset({
    "2.5.29.15",  # key usage
    "2.5.29.19",  # basic constraints
    "2.5.29.17",  # subject alternative name
    "2.5.29.30",  # name constraints
    "2.5.29.37",  # extended key usage
    "2.5.29.32",  # certificate policies
    "2.5.29.31",  # CRL distribution points
})
_OPENSSL_CRITICAL = _UNDERSTOOD | {
    "2.16.840.1.113730.1.1",  # Netscape certificate type
    "2.5.29.36",  # policy constraints
    "2.5.29.33",  # policy mappings
    "2.5.29.54",  # inhibit any policy
}


def anchor_findings(cert: X509Fields) -> list[Finding]:
    """Why Go or OpenSSL would not use ``cert`` as a trust anchor for the Spot hosts."""
    return [*_parsed(cert), *_ca_flags(cert), *_name_constraints(cert)]


def signature_findings(cert: X509Fields, self_signed: bool) -> list[Finding]:
    """A weak signature counts only below an anchor: OpenSSL checks it on a chain's CAs."""
    name = cert.signature_hash
    if self_signed or name not in WEAK_HASHES:
        return []
    return [Finding(False, True, f"is signed with {WEAK_HASHES[name]}: the log-shipper "
                                 "(OpenSSL) refuses chains through it; the controller (Go) "
                                 "trusts it only because it is in the bundle itself",
                    "ask the proxy's owners for the CA re-signed with SHA-256")]


def go_chain_refusal(chain: Sequence[X509Fields], server_name: str) -> str | None:
    """Why Go would refuse ``chain`` (leaf first, trust anchor last), or None."""
    for position, cert in enumerate(chain):
        subject = cert.subject
        findings = _parsed(cert) + (_ca_flags(cert) if position else [])
        refused = [f.reason for f in findings if f.go]
        if refused:
            return f"'{subject}' {refused[0]}"
        weak = WEAK_HASHES.get(cert.signature_hash or "")
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


def name_allowed(cert: X509Fields, host: str) -> bool:
    """Whether ``cert``'s DNS name constraints let it sign for ``host`` (as Go and OpenSSL)."""
    constraints = cert.name_constraints
    if constraints is None:
        return True
    if any(_dns_match(host, name) for name in constraints.excluded):
        return False
    return not constraints.permitted or any(_dns_match(host, name)
                                            for name in constraints.permitted)


def _dns_match(host: str, constraint: str) -> bool:
    host, constraint = host.lower().rstrip("."), constraint.lower()
    if not constraint:
        return True
    if constraint.startswith("."):
        return host.endswith(constraint)
    return host == constraint or host.endswith("." + constraint)


def _parsed(cert: X509Fields) -> list[Finding]:
    """What Go and OpenSSL refuse in any certificate of a chain, its anchor included."""
    return [*_serial(cert), *_critical(cert), *_key(cert)]


def _serial(cert: X509Fields) -> list[Finding]:
    if cert.negative_serial:
        return [Finding(True, False, "has a negative serial number: the controller (Go) "
                                     "drops it when loading its trust (x509: negative serial "
                                     "number)")]
    return []


def _critical(cert: X509Fields) -> list[Finding]:
    """An extension marked critical must be refused by a client that does not handle it
    (RFC 5280), and both runtimes do: named, so that the proxy's owners know what to change."""
    found = []
    for oid, critical in cert.extensions:
        if not critical:
            continue
        go, openssl = oid not in _UNDERSTOOD, oid not in _OPENSSL_CRITICAL
        if go or openssl:
            name = _EXTENSION_NAMES.get(oid)
            what = f"its {name} extension ({oid})" if name else \
                f"an extension Go and OpenSSL do not know (OID {oid})"
            found.append(Finding(go, openssl, f"marks {what} as critical: refused by "
                                              f"{_who(go, openssl)} (\"unhandled critical "
                                              "extension\")", _CRITICAL_HINT))
    return found


_CRITICAL_HINT = ("ask the proxy's owners to re-issue this CA with that extension not marked "
                  "critical, or without it")
# What the extensions a CA may carry are called (RFC 5280, and Active Directory Certificate
# Services' own, common in corporate CAs), for the ones a runtime may refuse marked critical.
_EXTENSION_NAMES = {
    "2.5.29.14": "subject key identifier",
    "2.5.29.35": "authority key identifier",
    "1.3.6.1.5.5.7.1.1": "authority information access",
    "1.3.6.1.5.5.7.1.11": "subject information access",
    "2.5.29.18": "issuer alternative name",
    "2.5.29.9": "subject directory attributes",
    "2.5.29.46": "freshest CRL",
    "2.5.29.36": "policy constraints",
    "2.5.29.33": "policy mappings",
    "2.5.29.54": "inhibit any policy",
    "2.16.840.1.113730.1.1": "Netscape certificate type",
    "1.3.6.1.5.5.7.1.24": "TLS feature",
    "1.3.6.1.4.1.311.20.2": "Microsoft certificate template name",
    "1.3.6.1.4.1.311.21.1": "Microsoft CA version",
    "1.3.6.1.4.1.311.21.2": "Microsoft previous CA hash",
    "1.3.6.1.4.1.311.21.7": "Microsoft certificate template",
    "1.3.6.1.4.1.311.21.10": "Microsoft application policies",
}


_SUBJECT_ALT_NAME = "2.5.29.17"


def _ca_flags(cert: X509Fields) -> list[Finding]:
    usage = cert.key_cert_sign
    found = []
    if cert.basic_constraints is None and cert.version == 3:
        openssl = not usage
        # names hosts: a server's own certificate (an https:// proxy's, self-signed), no CA
        server = any(oid == _SUBJECT_ALT_NAME for oid, _ in cert.extensions)
        found.append(Finding(
            True, openssl, "has no basic constraints extension"
            + (" and names hosts, as a server's own certificate does" if server else "")
            + f": refused as a CA by {_who(True, openssl)}",
            *(("trust the CA that issued the proxy's certificates instead; 'ocean-proxy "
               "discover-ca' finds it",) if server else ())))
    if usage is False:
        found.append(Finding(True, True, "has a key usage without keyCertSign: refused as a CA "
                                         f"by {_who(True, True)}"))
    return found


def _key(cert: X509Fields) -> list[Finding]:
    kind, bits, curve = cert.key
    if kind is None:  # a key type cryptography cannot load; Go cannot either
        return [Finding(True, False, "has a public key of an unsupported type")]
    if kind == "DSA":
        return [Finding(True, (bits or 0) < OPENSSL_MIN_RSA_BITS,
                        "has a DSA key: the controller (Go) does not verify DSA signatures")]
    if kind == "RSA":
        bits = bits or 0
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
    if kind == "EC" and curve not in GO_CURVES:
        return [Finding(True, (bits or 0) < 224,
                        f"has an EC key on {curve}, a curve the controller (Go) does "
                        "not support")]
    if kind not in _SUPPORTED_KEYS:
        return [Finding(True, False, f"has a {kind} key, which the controller (Go) does not "
                                     "support")]
    return []


def _name_constraints(cert: X509Fields) -> list[Finding]:
    if not name_allowed(cert, SPOT_API):
        return [Finding(True, True, f"has name constraints that do not allow {SPOT_API}: "
                                    "it cannot sign the proxy's certificate for the Spot API",
                        "trust the CA your proxy re-signs Spot traffic with")]
    if not name_allowed(cert, SPOT_CHARTS):
        return [Finding(False, False, f"has name constraints that do not allow {SPOT_CHARTS}: "
                                      "the auto-update Job's helm will refuse the proxy there")]
    return []


def path_length(cert: X509Fields) -> int | None:
    """How many intermediate CAs ``cert`` allows below it (None: no limit, or not a CA)."""
    basic = cert.basic_constraints
    return basic.path_length if basic is not None and basic.ca else None


def _who(go: bool, openssl: bool) -> str:
    if go and openssl:
        return "the controller (Go) and the log-shipper (OpenSSL)"
    return "the controller (Go)" if go else "the log-shipper (OpenSSL)"
