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

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from typing import NamedTuple

from .errors import BundleError
from .subject_hash import subject_hash

MAX_INPUT_BYTES = 4 * 1024 * 1024
MAX_CERTIFICATES = 500
MANY_CERTIFICATES = 50
EXPIRY_WARNING = dt.timedelta(days=30)
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
_SUBJECT_DISPLAY = 160

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 #]{1,40})-----")
_BASE64 = re.compile(rb"[A-Za-z0-9+/=\s]*")
_S_CLIENT = re.compile(rb"^(?:CONNECTED\(|Certificate chain|\s*\d+ s:)", re.MULTILINE)
_KEY_LABELS = re.compile(r"PRIVATE KEY")
_CERT_LABELS = {"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"}
_PKCS7_LABELS = {"PKCS7", "PKCS #7 SIGNED DATA", "CMS"}
_FORMAT_HINT = "expected PEM (-----BEGIN CERTIFICATE-----), DER or PKCS#7 certificates"


class Certificate(NamedTuple):
    """One parsed certificate, with the facts the checks and the manifests need."""

    der: bytes
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool | None  # None: no BasicConstraints extension at all
    self_signed: bool
    fingerprint: str  # SHA-256 of the DER, lower-case hex
    subject_hash: str  # OpenSSL's <hash>.0 file name
    issuer_hash: str
    aia_ca_issuers: tuple[str, ...] = ()
    signature_hash: str | None = None
    key_description: str = ""
    weak_key: bool = False
    can_sign_certificates: bool = True

    def pem(self) -> bytes:
        body = base64.encodebytes(self.der).replace(b"\n", b"")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return b"".join((b"-----BEGIN CERTIFICATE-----\n", b"\n".join(lines),
                         b"\n-----END CERTIFICATE-----\n"))

    @property
    def label(self) -> str:
        """The subject, shortened for messages."""
        text = self.subject or "(empty subject)"
        return text if len(text) <= _SUBJECT_DISPLAY else text[:_SUBJECT_DISPLAY] + "..."


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
                    f"its root '{_cut(cert.issuer)}'; add that root to the bundle",
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
            issuers = sorted({_cut(v.certificate.issuer) for v in self.verdicts if v.skipped})
            raise BundleError(
                f"the pasted openssl output holds only the server's certificate; its issuer "
                f"'{issuers[0]}' was not sent",
                hint="run 'ocean-proxy discover-ca --proxy URL', or ask the proxy's owners for "
                     "that CA certificate",
            )
        if not unique:
            raise BundleError("no CA certificate to trust", hint=_FORMAT_HINT)
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
    items = _extract(data.removeprefix(b"\xef\xbb\xbf"), source, report) \
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
        report.verdicts.append(_judge(cert, source, position, now, from_s_client))
    if not items and not report.problems:
        report.problems.append((f"{source}: no certificate found", _FORMAT_HINT))
    if known > MANY_CERTIFICATES:
        report.verdicts[-1] = _add_warning(report.verdicts[-1], (
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


def certificate_from_der(der: bytes) -> Certificate:
    """Parse one DER certificate; ValueError when it is not a valid X.509 certificate."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except x509.InvalidVersion as error:  # not a ValueError: a damaged version field
        raise ValueError(f"{error.parsed_version} is not a valid X.509 version") from None
    return _describe(cert)


# -- reading -----------------------------------------------------------------------------

Item = tuple[tuple[str, str], Certificate | None]


def _extract(data: bytes, source: str, report: BundleReport) -> list[Item]:
    text = data.replace(b"\r\n", b"\n")
    if b"-----BEGIN " in text:
        return _extract_pem(text, source, report)
    if text[:1] == b"\x30":
        return _extract_der(data, source, report)
    report.problems.append((f"{source}: no certificate found", _FORMAT_HINT))
    return []


def _extract_pem(text: bytes, source: str, report: BundleReport) -> list[Item]:
    items: list[Item] = []
    offset = 0
    block = 0
    while (begin := _BEGIN.search(text, offset)) is not None:
        block += 1
        label = begin.group(1).decode("ascii")
        line = text.count(b"\n", 0, begin.start()) + 1
        where = f"{source}: block {block} (line {line})"
        end_marker = b"-----END " + begin.group(1) + b"-----"
        end = text.find(end_marker, begin.end())
        next_begin = text.find(b"-----BEGIN ", begin.end())
        if end < 0 or (0 <= next_begin < end):
            report.problems.append((
                f"{where} is truncated: it has no '-----END {label}-----' line",
                "copy the whole block, from its -----BEGIN line to its -----END line",
            ))
            offset = begin.end()
            continue
        offset = end + len(end_marker)
        if _KEY_LABELS.search(label):
            report.problems.append((
                f"{where} is a private key",
                "a CA bundle holds only certificates: remove the key block, and treat the key "
                "as exposed if this file was shared",
            ))
            continue
        body = text[begin.end():end]
        if label in _CERT_LABELS or label in _PKCS7_LABELS:
            items.extend(_decode_block(label, body, where, report))
        else:
            report.problems.append((
                f"{where} is a '{label}', not a certificate",
                "remove it; a CA bundle holds only CA certificates",
            ))
    if block == 0:
        report.problems.append((f"{source}: no certificate found", _FORMAT_HINT))
    return items


def _decode_block(label: str, body: bytes, where: str, report: BundleReport) -> list[Item]:
    if not _BASE64.fullmatch(body):
        report.problems.append((f"{where} is damaged: it is not base64", _copy_hint()))
        return []
    try:
        der = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        report.problems.append((f"{where} is damaged: its base64 is incomplete", _copy_hint()))
        return []
    if label in _PKCS7_LABELS:
        return _pkcs7_items(der, where, report)
    if label == "TRUSTED CERTIFICATE":
        der = _first_tlv(der)  # OpenSSL's trusted form: the certificate, then trust settings
    return [_parse_der(der, where)]


def _extract_der(data: bytes, source: str, report: BundleReport) -> list[Item]:
    item = _parse_der(data, f"{source}: DER data")
    if item[1] is not None:
        return [item]
    items = _pkcs7_items(data, f"{source}: DER data", report, quiet=True)
    if items:
        return items
    report.problems.append((
        f"{source}: DER data is neither an X.509 certificate nor PKCS#7", _FORMAT_HINT,
    ))
    return []


def _pkcs7_items(der: bytes, where: str, report: BundleReport, quiet: bool = False) -> list[Item]:
    from cryptography.hazmat.primitives.serialization import pkcs7

    try:
        certs = pkcs7.load_der_pkcs7_certificates(der)
    except Exception as error:  # any parse failure is reported
        if not quiet:
            report.problems.append((
                f"{where} is not a readable PKCS#7 bundle ({_short(error)})", _copy_hint(),
            ))
        return []
    items: list[Item] = []
    for cert in certs:
        try:
            items.append((("", ""), _describe(cert)))
        except ValueError as error:
            items.append(((f"{where}: a certificate in it is invalid ({_short(error)})",
                           _copy_hint()), None))
    return items


def _parse_der(der: bytes, where: str) -> Item:
    try:
        return ("", ""), certificate_from_der(der)
    except ValueError as error:
        return (f"{where} is not a valid X.509 certificate ({_short(error)})", _copy_hint()), None


def _first_tlv(der: bytes) -> bytes:
    if len(der) < 2:
        return der
    length = der[1]
    if length < 0x80:
        return der[: 2 + length]
    size = length & 0x7F
    return der[: 2 + size + int.from_bytes(der[2:2 + size], "big")]


def _copy_hint() -> str:
    return "copy the certificate again, from its -----BEGIN line to its -----END line"


def _short(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:120]


# -- describing --------------------------------------------------------------------------


def _describe(cert) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        extensions = cert.extensions
        subject = cert.subject.rfc4514_string()
        issuer = cert.issuer.rfc4514_string()
        subject_der = cert.subject.public_bytes()
        issuer_der = cert.issuer.public_bytes()
    except Exception as error:  # malformed names or extensions
        raise ValueError(_short(error)) from None
    is_ca = None
    can_sign = True
    aia: list[str] = []
    for extension in extensions:
        value = extension.value
        if isinstance(value, x509.BasicConstraints):
            is_ca = value.ca
        elif isinstance(value, x509.KeyUsage):
            can_sign = value.key_cert_sign
        elif isinstance(value, x509.AuthorityInformationAccess):
            aia.extend(
                d.access_location.value for d in value
                if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
                and isinstance(d.access_location, x509.UniformResourceIdentifier)
            )
    try:
        signature_hash = cert.signature_hash_algorithm
        signature_name = signature_hash.name if signature_hash else None
    except Exception:  # unsupported algorithm: reported as unknown
        signature_name = "unknown"
    key_description, weak_key = _describe_key(cert)
    der = cert.public_bytes(serialization.Encoding.DER)
    return Certificate(
        der=der,
        subject=subject,
        issuer=issuer,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=is_ca,
        self_signed=subject_der == issuer_der and _signed_by_itself(cert),
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        subject_hash=subject_hash(subject_der),
        issuer_hash=subject_hash(issuer_der),
        aia_ca_issuers=tuple(aia),
        signature_hash=signature_name,
        key_description=key_description,
        weak_key=weak_key,
        can_sign_certificates=can_sign,
    )


def _signed_by_itself(cert) -> bool:
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        cert.verify_directly_issued_by(cert)
    except UnsupportedAlgorithm:
        return True  # e.g. SHA-1: the names match and we cannot check further
    except Exception:  # any other failure means "not self-signed"
        return False
    return True


def _describe_key(cert) -> tuple[str, bool]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    try:
        key = cert.public_key()
    except Exception:  # unsupported key types are described, not fatal
        return "unsupported key", False
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}", key.key_size < MIN_RSA_BITS
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size < MIN_EC_BITS
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}", True
    return type(key).__name__.replace("PublicKey", ""), False


# -- judging -----------------------------------------------------------------------------


def _judge(
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
        refusals.append((
            f"{where} is a server certificate, not a CA (issued by '{_cut(cert.issuer)}')",
            f"trust its issuer '{_cut(cert.issuer)}' instead; 'ocean-proxy discover-ca' finds it",
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


def _add_warning(verdict: Verdict, warning: str) -> Verdict:
    return Verdict(verdict.source, verdict.position, verdict.certificate, verdict.refusals,
                   (*verdict.warnings, warning), verdict.skipped)


def shorten(text: str) -> str:
    """A name as messages show it: cut after 160 characters."""
    return _cut(text)


def _cut(text: str) -> str:
    return text if len(text) <= _SUBJECT_DISPLAY else text[:_SUBJECT_DISPLAY] + "..."
