"""CA bundles: read what users paste, judge every certificate, and normalise what is trusted.

Accepted input: PEM (also the whole output of ``openssl s_client -showcerts``, whose server
certificates are skipped), DER, and PKCS#7 (PEM or DER); CRLF line ends and a UTF-8 BOM.
Refused, with the certificate named and what to do: private keys, server (leaf) certificates,
expired or not-yet-valid certificates, truncated or damaged blocks, and anything that is not a
certificate. Warned about: expiry within 30 days, SHA-1/MD5 signatures, small keys, and
intermediates whose root is missing (OpenSSL-based clients such as fluent-bit need the root).

    report = inspect_bundle(Path("corp-root.pem").read_bytes(), "corp-root.pem")
    bundle = report.trust_bundle()      # raises BundleError if anything was refused
    bundle.pem(), bundle.checksum()

The normalised bundle is deduplicated and sorted, and its checksum covers only the set of
certificates, so whitespace, order and duplicates never change it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from typing import NamedTuple

from post_renderer.errors import BundleError
from post_renderer.trust.certificate import Certificate, shorten
from post_renderer.trust.formats import FORMAT_HINT, read_certificates
from post_renderer.trust.policy import Verdict, add_warning, judge

MAX_INPUT_BYTES = 4 * 1024 * 1024
MAX_CERTIFICATES = 500
MANY_CERTIFICATES = 50

_S_CLIENT = re.compile(rb"^(?:CONNECTED\(|Certificate chain|\s*\d+ s:)", re.MULTILINE)


class TrustBundle(NamedTuple):
    """The validated, deduplicated and sorted certificates the pods will trust."""

    certificates: tuple[Certificate, ...]

    def pem(self) -> bytes:
        return b"".join(cert.pem() for cert in self.certificates)

    def checksum(self) -> str:
        """SHA-256 over the set of certificate fingerprints: blind to order and duplicates."""
        joined = "\n".join(sorted(cert.fingerprint for cert in self.certificates))
        return hashlib.sha256(joined.encode("ascii")).hexdigest()


class BundleReport:
    """Every verdict and problem found in one or more sources."""

    def __init__(self) -> None:
        self.verdicts: list[Verdict] = []
        self.problems: list[tuple[str, str]] = []  # source-level (message, hint)

    @property
    def refusals(self) -> list[str]:
        found = [message for message, _ in self.problems]
        for verdict in self.verdicts:
            found.extend(message for message, _ in verdict.refusals)
        return found

    @property
    def warnings(self) -> list[str]:
        chain = self.missing_roots()
        return [w for verdict in self.verdicts
                for w in (*verdict.warnings, *chain.get(id(verdict), ()))]

    def warnings_of(self, verdict: Verdict) -> tuple[str, ...]:
        """The verdict's own warnings plus a missing root, which only the whole set shows."""
        return (*verdict.warnings, *self.missing_roots().get(id(verdict), ()))

    def state_of(self, verdict: Verdict) -> str:
        if verdict.verdict == "ok" and self.warnings_of(verdict):
            return "warning"
        return verdict.verdict

    def missing_roots(self) -> dict[int, tuple[str]]:
        """Intermediates whose issuer is in none of the sources, by id() of their verdict."""
        accepted = [v for v in self.verdicts if v.certificate and v.verdict in ("ok", "warning")]
        subjects = {v.certificate.subject_hash for v in accepted}
        found: dict[int, tuple[str]] = {}
        for verdict in accepted:
            cert = verdict.certificate
            if not cert.self_signed and cert.issuer_hash not in subjects:
                found[id(verdict)] = (
                    f"{verdict.source}: certificate {verdict.position} '{cert.label}' is an "
                    f"intermediate CA: OpenSSL-based clients such as the log-shipper also need "
                    f"its root '{shorten(cert.issuer)}'; add that root to the bundle",
                )
        return found

    @property
    def notes(self) -> list[str]:
        return [v.skipped for v in self.verdicts if v.skipped]

    def trust_bundle(self) -> TrustBundle:
        refusals = self.problems + [r for v in self.verdicts for r in v.refusals]
        if refusals:
            message, hint = refusals[0]
            if len(refusals) > 1:
                message += f" (and {len(refusals) - 1} more problem(s))"
                hint = f"{hint}; 'ocean-proxy check-bundle FILE' lists them all"
            raise BundleError(message, hint)
        unique = {v.certificate.fingerprint: v.certificate for v in self.verdicts
                  if v.certificate is not None and not v.skipped}
        if not unique and self.notes:
            issuers = sorted({shorten(v.certificate.issuer) for v in self.verdicts if v.skipped})
            raise BundleError(
                f"the pasted openssl output holds only the server's certificate; its issuer "
                f"'{issuers[0]}' was not sent",
                hint="run 'ocean-proxy discover-ca --proxy URL', or ask the proxy's owners for "
                     "that CA certificate",
            )
        if not unique:
            raise BundleError("no CA certificate to trust", hint=FORMAT_HINT)
        ordered = sorted(unique.values(), key=lambda c: (c.subject, c.fingerprint))
        return TrustBundle(tuple(ordered))

    def extend(self, other: BundleReport) -> None:
        self.verdicts.extend(other.verdicts)
        self.problems.extend(other.problems)


def inspect_bundle(data: bytes, source: str, *, now: dt.datetime | None = None) -> BundleReport:
    """Judge every certificate in ``data``; never raises for bad content."""
    now = now or dt.datetime.now(dt.timezone.utc)
    report = BundleReport()
    if len(data) > MAX_INPUT_BYTES:
        report.problems.append((
            f"{source} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB",
            "a CA bundle is a few KiB: pass only the CA certificates your proxy re-signs with",
        ))
        return report
    blocks = data.count(b"-----BEGIN ")  # counted before parsing thousands of them
    items = read_certificates(data.removeprefix(b"\xef\xbb\xbf"), source, report.problems) \
        if blocks <= MAX_CERTIFICATES else []
    if max(len(items), blocks) > MAX_CERTIFICATES:
        report.problems.append((
            f"{source} holds {max(len(items), blocks)} certificates, more than "
            f"{MAX_CERTIFICATES}",
            "pass only your corporate CA certificates; the pods keep trusting the public roots",
        ))
        return report
    from_s_client = bool(_S_CLIENT.search(data))
    known = sum(1 for _, cert in items if cert is not None)
    for position, (der_problem, cert) in enumerate(items, start=1):
        if cert is None:
            report.verdicts.append(Verdict(source, position, None, refusals=(der_problem,)))
            continue
        report.verdicts.append(judge(cert, source, position, now, from_s_client))
    if not items and not report.problems:
        report.problems.append((f"{source}: no certificate found", FORMAT_HINT))
    if known > MANY_CERTIFICATES:
        report.verdicts[-1] = add_warning(report.verdicts[-1], (
            f"{source} holds {known} certificates: the pods already trust the public "
            "roots, so only your corporate CAs are needed"))
    return report


def load_trust_bundle(
    sources: Sequence[tuple[str, bytes]], *, now: dt.datetime | None = None,
) -> tuple[TrustBundle, list[str]]:
    """Validate several sources together; the bundle and the warnings, or BundleError."""
    report = BundleReport()
    for source, data in sources:
        report.extend(inspect_bundle(data, source, now=now))
    bundle = report.trust_bundle()
    return bundle, report.warnings
