"""The verdict on one certificate: refused, left out, warned about, skipped, or fine, and why.

Refused (the whole bundle): server (leaf) certificates. Unusable, as the pod's runtimes judge
them (runtime_rules): expired or not yet valid, or refused by the controller (Go) for its
serial, extensions, key or name constraints; left out when the bundle holds usable ones.
Warned about: expiry within 30 days, and what only the log-shipper (OpenSSL) refuses.
"""

import datetime as dt
from typing import NamedTuple

from post_renderer.trust.certificate import Certificate, shorten

EXPIRY_WARNING = dt.timedelta(days=30)


class Verdict(NamedTuple):
    """What the checks concluded about one certificate of one source."""

    source: str
    position: int
    certificate: Certificate | None
    refusals: tuple[tuple[str, str], ...] = ()  # (message, hint): the bundle is refused
    warnings: tuple[str, ...] = ()
    skipped: str | None = None  # why a certificate is left out without refusing the bundle
    unusable: tuple[tuple[str, str], ...] = ()  # (message, hint): left out, or refused alone

    @property
    def verdict(self) -> str:
        if self.refusals:
            return "refused"
        if self.unusable:
            return "left out"
        if self.skipped:
            return "skipped"
        return "warning" if self.warnings else "ok"

    @property
    def usable(self) -> bool:
        return self.certificate is not None and self.verdict in ("ok", "warning")


def judge(
    cert: Certificate, source: str, position: int, now: dt.datetime, from_s_client: bool,
    issuer_beside: bool = False,
) -> Verdict:
    """``issuer_beside``: the same source also holds the certificate's issuer (a full chain)."""
    where = f"{source}: certificate {position} '{cert.label}'"
    if cert.is_ca is False or (cert.is_ca is None and not cert.self_signed):
        return _not_a_ca(cert, source, position, where, from_s_client, issuer_beside)
    unusable: list[tuple[str, str]] = []
    warnings: list[str] = []
    if cert.not_after < now:
        unusable.append((
            f"{where} expired on {cert.not_after:%Y-%m-%d}",
            "ask the proxy's owners for the current CA certificate",
        ))
    elif cert.not_after - now < EXPIRY_WARNING:
        warnings.append(f"{where} expires on {cert.not_after:%Y-%m-%d}, in under 30 days")
    if cert.not_before > now:
        unusable.append((
            f"{where} is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC",
            "check this machine's clock, or wait until the certificate is valid",
        ))
    for finding in cert.findings:
        if finding.go:
            unusable.append((f"{where} {finding.reason}", finding.hint))
        else:
            warnings.append(f"{where} {finding.reason}")
    return Verdict(source, position, cert, warnings=tuple(warnings), unusable=tuple(unusable))


def _not_a_ca(cert: Certificate, source: str, position: int, where: str, from_s_client: bool,
              issuer_beside: bool) -> Verdict:
    """A server's own certificate: skipped in pasted openssl output, else refused with the
    CA to trust instead."""
    if from_s_client:
        return Verdict(source, position, cert, skipped=(
            f"{where} is the server's own certificate from the pasted openssl output: "
            "skipped, only CA certificates are trusted"))
    if cert.self_signed:  # its issuer is itself: "trust its issuer instead" named it again
        return Verdict(source, position, cert, refusals=((
            f"{where} is a self-signed server certificate, not a CA",
            "a proxy that inspects TLS re-signs with a CA certificate: ask its owners for "
            "that one, or let 'ocean-proxy discover-ca' find it",
        ),))
    issuer = shorten(cert.issuer)
    return Verdict(source, position, cert, refusals=((
        f"{where} is a server certificate, not a CA (issued by '{issuer}')",
        f"remove certificate {position}, the server's own: its issuer '{issuer}', the one "
        "to trust, is there already"
        if issuer_beside else
        f"trust its issuer '{issuer}' instead; 'ocean-proxy discover-ca' finds it",
    ),))


def add_warning(verdict: Verdict, warning: str) -> Verdict:
    return verdict._replace(warnings=(*verdict.warnings, warning))
