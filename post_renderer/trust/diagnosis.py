"""Why OpenSSL refused a certificate, in the words of the person who has to fix it.

OpenSSL says *what* failed (its verify code); the chain presented (read again without
verifying) says *which* certificate and *which* issuer. Pure: no I/O.

    error = diagnose(20, "unable to get local issuer certificate", chain, name, route)
    # UnknownIssuerError: ... is issued by 'CN=Corp Inspection CA', which is not trusted
"""

from __future__ import annotations

import datetime as dt

from post_renderer.errors import (
    CertificateExpiredError,
    CertificateVerifyError,
    NameMismatchError,
    UnknownIssuerError,
)
from post_renderer.trust.certificate import Certificate
from post_renderer.trust.chain_analysis import ChainAnalysis, subject_names

# OpenSSL X509_V_ERR_* codes
UNABLE_TO_GET_ISSUER = 2
NOT_YET_VALID = 9
EXPIRED = 10
SELF_SIGNED_LEAF = 18
SELF_SIGNED_IN_CHAIN = 19
UNABLE_TO_GET_LOCAL_ISSUER = 20
UNABLE_TO_VERIFY_LEAF = 21
HOSTNAME_MISMATCH = 62
IP_MISMATCH = 64

UNTRUSTED_ISSUER = frozenset({UNABLE_TO_GET_ISSUER, SELF_SIGNED_LEAF, SELF_SIGNED_IN_CHAIN,
                              UNABLE_TO_GET_LOCAL_ISSUER, UNABLE_TO_VERIFY_LEAF})
_NAMES_DISPLAY = 6


def diagnose(code: int, reason: str, chain: ChainAnalysis, server_name: str, route: str,
             *, now: dt.datetime | None = None, given: str | None = None
             ) -> CertificateVerifyError:
    """The error to show when OpenSSL refused (``code``, ``reason``) the chain on ``route``;
    ``given``: the option that named the CA files trusted with the public roots, if any (the
    hint then says the CA is missing from them, not to give some)."""
    if code in UNTRUSTED_ISSUER:
        return _unknown_issuer(chain, route, given)
    if code in (HOSTNAME_MISMATCH, IP_MISMATCH):
        return _name_mismatch(chain, server_name, route)
    if code in (EXPIRED, NOT_YET_VALID):
        return _expired(chain, route, now or dt.datetime.now(dt.timezone.utc))
    return CertificateVerifyError(
        f"the certificate presented on {route} is refused by OpenSSL, so the log-shipper "
        f"will refuse it too: {reason} (OpenSSL code {code}; issued by '{chain.leaf.issuer}')",
        hint="check the certificates with 'openssl s_client -showcerts -proxy ...'",
    )


def _unknown_issuer(chain: ChainAnalysis, route: str, given: str | None) -> UnknownIssuerError:
    leaf = chain.leaf
    add = f"to the CA files of {given} (they do not hold it)" if given else "with --ca-file"
    if chain.leaf_self_signed:
        return UnknownIssuerError(
            f"the certificate presented on {route} is self-signed ('{leaf.subject}'), and "
            "nothing trusts it",
            hint="a proxy must re-sign with a CA; ask the proxy's owners for that CA",
        )
    if chain.root is not None:
        issued = f"by the root '{chain.root.subject}'" if len(chain.issuers) == 1 else \
            f"by '{leaf.issuer}', under the root '{chain.root.subject}'"
        return UnknownIssuerError(
            f"the certificate presented on {route} is issued {issued}, which is not trusted",
            hint=f"add that root {add}; 'ocean-proxy discover-ca' writes it",
        )
    if not chain.issuers:
        return UnknownIssuerError(
            f"the certificate presented on {route} is issued by '{leaf.issuer}', which is not "
            "trusted (and not presented)",
            hint=_missing_issuer_hint(leaf.issuer, chain, add),
        )
    return UnknownIssuerError(
        f"the certificate presented on {route} is issued by '{leaf.issuer}'; its issuer "
        f"'{chain.missing_issuer}' is not trusted",
        hint=_missing_issuer_hint(chain.top.issuer, chain, add),
    )


def _missing_issuer_hint(issuer: str, chain: ChainAnalysis, add: str) -> str:
    """Where to get an issuer the proxy does not present: discover-ca fetches it only from a
    CA Issuers URL of the topmost certificate presented; without one, only its owners have it.
    A root above it alone is not enough: no client fetches the CA the proxy leaves out."""
    if chain.top.aia_ca_issuers:
        return (f"add the CA certificate '{issuer}' (with the root above it, if it is not a root "
                f"itself) {add}; 'ocean-proxy discover-ca' fetches them from the CA Issuers "
                "URLs")
    return (f"ask the proxy's owners for the CA certificate '{issuer}' as PEM (with the root "
            f"above it, if it is not a root itself), and add them {add}")


def _name_mismatch(chain: ChainAnalysis, server_name: str, route: str) -> NameMismatchError:
    names = subject_names(chain.leaf)
    shown = ", ".join(names[:_NAMES_DISPLAY]) + (", ..." if len(names) > _NAMES_DISPLAY else "")
    return NameMismatchError(
        f"the certificate presented on {route} is for '{shown or 'no name'}', not for "
        f"'{server_name}' (issued by '{chain.leaf.issuer}')",
        hint="check --target and --servername; if the proxy re-signs, it must copy the "
             "server's names into its certificates",
    )


def _expired(chain: ChainAnalysis, route: str, now: dt.datetime) -> CertificateExpiredError:
    for cert in (chain.leaf, *chain.issuers, *chain.unrelated):
        if cert.not_after < now:
            return CertificateExpiredError(
                f"the certificate '{cert.subject}' presented on {route} expired on "
                f"{cert.not_after:%Y-%m-%d %H:%M} UTC",
                hint=_renew_hint(cert, chain),
            )
        if cert.not_before > now:
            return CertificateExpiredError(
                f"the certificate '{cert.subject}' presented on {route} is not valid before "
                f"{cert.not_before:%Y-%m-%d %H:%M} UTC",
                hint="check this machine's clock; otherwise its issuer must fix it",
            )
    return CertificateExpiredError(
        f"a certificate presented on {route} is outside its validity period",
        hint="check this machine's clock, and the certificates with 'openssl s_client'",
    )


def _renew_hint(cert: Certificate, chain: ChainAnalysis) -> str:
    if cert is chain.leaf:
        return ("whoever issued it must renew it (the proxy's owners if the proxy re-signs, "
                "else the server's); no CA you add can fix this; check this machine's clock too")
    return "that CA must be renewed by its owners; check this machine's clock too"

