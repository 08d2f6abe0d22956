"""CA bundles: read what users paste, judge every certificate, and normalise what is trusted.

Accepted input: PEM (also the whole output of ``openssl s_client -showcerts``, whose server
certificates are skipped), DER, and PKCS#7 (PEM or DER); CRLF line ends and a UTF-8 BOM.
Refused, with the certificate named and what to do: private keys, server (leaf) certificates,
truncated or damaged blocks, and anything that is not a certificate. Judged as the pod's
runtimes judge them (policy, runtime_rules): a certificate the controller (Go) will not use
(expired, not yet valid, a negative serial, a DSA key, ...) is left out with a warning when
the bundle holds usable ones, and refuses the bundle when it holds none; one only the
log-shipper (OpenSSL) refuses is kept, with a warning naming it. Also warned about: expiry
within 30 days, and intermediates whose root is missing or forbids them (path length).

    report = inspect_bundle(Path("corp-root.pem").read_bytes(), "corp-root.pem")
    bundle = report.trust_bundle()      # raises BundleError if refused or nothing usable
    bundle.pem(), bundle.checksum()

The normalised bundle is deduplicated and sorted, and its checksum covers only the set of
certificates, so whitespace, order and duplicates never change it.
"""

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from typing import NamedTuple

from post_renderer.errors import BundleError
from post_renderer.trust.certificate import Certificate, shorten
from post_renderer.trust.fact_cache import FactCache
from post_renderer.trust.formats import FORMAT_HINT, NO_CACHE, read_certificates
from post_renderer.trust.policy import Verdict, add_warning, judge
from post_renderer.user_files import MAX_CA_BUNDLE_BYTES

MAX_INPUT_BYTES = MAX_CA_BUNDLE_BYTES
MAX_CERTIFICATES = 500
MANY_CERTIFICATES = 50
MAX_DEPTH = 10

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
            found.extend(message for message, _ in self.refusals_of(verdict))
        return found

    @property
    def warnings(self) -> list[str]:
        return [w for verdict in self.verdicts for w in self.warnings_of(verdict)]

    def any_usable(self) -> bool:
        return any(verdict.usable for verdict in self.verdicts)

    def refusals_of(self, verdict: Verdict) -> tuple[tuple[str, str], ...]:
        """Its own refusals; what makes it unusable, too, when nothing else is usable."""
        if verdict.unusable and not self.any_usable():
            return (*verdict.refusals, *verdict.unusable)
        return verdict.refusals

    def warnings_of(self, verdict: Verdict) -> tuple[str, ...]:
        """Its own warnings, and those only the whole set shows: left out, missing root."""
        left_out: tuple[str, ...] = ()
        if verdict.unusable and not verdict.refusals and self.any_usable():
            left_out = tuple(f"{message}: left out of the bundle, the other certificates "
                             "are used" for message, _ in verdict.unusable)
        return (*left_out, *verdict.warnings, *self.chain_warnings().get(id(verdict), ()))

    def state_of(self, verdict: Verdict) -> str:
        if verdict.unusable and not verdict.refusals and not self.any_usable():
            return "refused"
        if verdict.verdict == "ok" and self.warnings_of(verdict):
            return "warning"
        return verdict.verdict

    def usable(self) -> list[tuple[Verdict, Certificate]]:
        """The certificates that will be trusted, with their verdicts."""
        return [(v, v.certificate) for v in self.verdicts
                if v.usable and v.certificate is not None]

    def chain_warnings(self) -> dict[int, tuple[str, ...]]:
        """Intermediates whose root is missing or forbids them, by id() of their verdict.

        The controller (Go) anchors at any certificate in the bundle; the log-shipper
        (OpenSSL) follows issuers up to a self-signed root and checks each path length.
        """
        accepted = self.usable()
        by_subject = {cert.subject_hash: cert for _, cert in accepted}
        found: dict[int, tuple[str, ...]] = {}
        for verdict, cert in accepted:
            where = f"{verdict.source}: certificate {verdict.position} '{cert.label}'"
            if cert.self_signed:
                continue
            if cert.issuer_hash not in by_subject:
                found[id(verdict)] = (
                    f"{where} is an intermediate CA: OpenSSL-based clients such as the "
                    f"log-shipper also need its root '{shorten(cert.issuer)}'; add that root "
                    "to the bundle",
                )
                continue
            limit = _path_length_exceeded(cert, by_subject)
            if limit is not None:
                found[id(verdict)] = (
                    f"{where} is an intermediate CA below '{shorten(limit.subject)}', whose "
                    f"path length allows {limit.path_length} intermediate CA(s) below it: the "
                    "log-shipper (OpenSSL) refuses chains through it (the controller (Go) "
                    "trusts it as given)",
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
        unique = {cert.fingerprint: cert for _, cert in self.usable()}
        unusable = [u for v in self.verdicts for u in v.unusable]
        if not unique and unusable:
            message, hint = unusable[0]
            if len(unusable) > 1:
                message += f" (and {len(unusable) - 1} more unusable certificate(s))"
            raise BundleError(message, hint)
        if not unique and self.notes:
            issuers = sorted({shorten(v.certificate.issuer) for v in self.verdicts
                              if v.skipped and v.certificate})  # skipped ones have one
            raise BundleError(
                f"the pasted openssl output holds only the server's certificate; its issuer "
                f"'{issuers[0]}' was not sent",
                hint="run 'ocean-proxy discover-ca --proxy-url URL', or ask the proxy's owners for "
                     "that CA certificate",
            )
        if not unique:
            raise BundleError("no CA certificate to trust", hint=FORMAT_HINT)
        ordered = sorted(unique.values(), key=lambda c: (c.subject, c.fingerprint))
        return TrustBundle(tuple(ordered))

    def extend(self, other: "BundleReport") -> None:
        self.verdicts.extend(other.verdicts)
        self.problems.extend(other.problems)


def inspect_bundle(data: bytes, source: str, *, now: dt.datetime | None = None,
                   facts: FactCache | None = None) -> BundleReport:
    """Judge every certificate in ``data``; never raises for bad content.

    ``facts`` only saves parsing: the verdicts are the same with any cache or none.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    report = BundleReport()
    if len(data) > MAX_INPUT_BYTES:
        report.problems.append((
            f"{source} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB",
            "a CA bundle is a few KiB: pass only the CA certificates your proxy re-signs with",
        ))
        return report
    blocks = data.count(b"-----BEGIN ")  # counted before parsing thousands of them
    items = read_certificates(data, source, report.problems, facts or NO_CACHE) \
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
    subjects = {cert.subject for _, cert in items if cert is not None}
    for position, (der_problem, cert) in enumerate(items, start=1):
        if cert is None:
            report.verdicts.append(Verdict(source, position, None, refusals=(der_problem,)))
            continue
        report.verdicts.append(judge(cert, source, position, now, from_s_client,
                                     issuer_beside=cert.issuer != cert.subject
                                     and cert.issuer in subjects))
    if not items and not report.problems:
        report.problems.append((f"{source}: no certificate found", FORMAT_HINT))
    if known > MANY_CERTIFICATES:
        report.verdicts[-1] = add_warning(report.verdicts[-1], (
            f"{source} holds {known} certificates: the pods already trust the public "
            "roots, so only your corporate CAs are needed"))
    return report


def _path_length_exceeded(cert: Certificate, by_subject: dict[str, Certificate]
                          ) -> Certificate | None:
    """The first CA above ``cert`` (in the bundle) whose path length it exceeds, if any."""
    current, below = cert, 0
    while not current.self_signed and below < MAX_DEPTH:
        issuer = by_subject.get(current.issuer_hash)
        if issuer is None:
            return None
        below += 1
        if issuer.path_length is not None and issuer.path_length < below:
            return issuer
        current = issuer
    return None


def load_trust_bundle(
    sources: Sequence[tuple[str, bytes]], *, now: dt.datetime | None = None,
    facts: FactCache | None = None,
) -> tuple[TrustBundle, list[str]]:
    """Validate several sources together; the bundle and the warnings, or BundleError."""
    report = BundleReport()
    for source, data in sources:
        report.extend(inspect_bundle(data, source, now=now, facts=facts))
    bundle = report.trust_bundle()
    return bundle, report.warnings
