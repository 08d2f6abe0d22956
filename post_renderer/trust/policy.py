"""The verdict on one certificate: refused, warned about, skipped, or fine, and why.

Refused: server (leaf) certificates, expired or not-yet-valid certificates. Warned about:
expiry within 30 days, SHA-1/MD5 signatures, small keys, CAs without basic constraints or
without the right to sign certificates.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from post_renderer.trust.certificate import Certificate, shorten

EXPIRY_WARNING = dt.timedelta(days=30)


class Verdict(NamedTuple):
    """What the checks concluded about one certificate of one source."""

    source: str
    position: int
    certificate: Certificate | None
    refusals: tuple[tuple[str, str], ...] = ()  # (message, hint)
    warnings: tuple[str, ...] = ()
    skipped: str | None = None  # why a certificate is left out without refusing the bundle

    @property
    def verdict(self) -> str:
        if self.refusals:
            return "refused"
        if self.skipped:
            return "skipped"
        return "warning" if self.warnings else "ok"


def judge(
    cert: Certificate, source: str, position: int, now: dt.datetime, from_s_client: bool,
) -> Verdict:
    where = f"{source}: certificate {position} '{cert.label}'"
    refusals: list[tuple[str, str]] = []
    warnings: list[str] = []
    if cert.is_ca is False or (cert.is_ca is None and not cert.self_signed):
        if from_s_client:
            return Verdict(source, position, cert, skipped=(
                f"{where} is the server's own certificate from the pasted openssl output: "
                "skipped, only CA certificates are trusted"))
        issuer = shorten(cert.issuer)
        refusals.append((
            f"{where} is a server certificate, not a CA (issued by '{issuer}')",
            f"trust its issuer '{issuer}' instead; 'ocean-proxy discover-ca' finds it",
        ))
    if cert.not_after < now:
        refusals.append((
            f"{where} expired on {cert.not_after:%Y-%m-%d}",
            "ask the proxy's owners for the current CA certificate",
        ))
    elif cert.not_after - now < EXPIRY_WARNING:
        warnings.append(f"{where} expires on {cert.not_after:%Y-%m-%d}, in under 30 days")
    if cert.not_before > now:
        refusals.append((
            f"{where} is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC",
            "check this machine's clock, or wait until the certificate is valid",
        ))
    if refusals:
        return Verdict(source, position, cert, refusals=tuple(refusals))
    if cert.is_ca is None:
        warnings.append(f"{where} has no CA basic constraint; some TLS clients reject it")
    if not cert.can_sign_certificates:
        warnings.append(f"{where} has a key usage that does not allow signing certificates")
    if cert.signature_hash in ("sha1", "md5"):
        warnings.append(f"{where} is signed with {cert.signature_hash.upper()}, a weak signature")
    if cert.weak_key:
        warnings.append(f"{where} has a small key ({cert.key_description})")
    return Verdict(source, position, cert, warnings=tuple(warnings))


def add_warning(verdict: Verdict, warning: str) -> Verdict:
    return Verdict(verdict.source, verdict.position, verdict.certificate, verdict.refusals,
                   (*verdict.warnings, warning), verdict.skipped)
