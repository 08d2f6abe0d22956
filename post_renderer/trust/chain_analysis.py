"""Which CA certificates a presented chain contains, and which issuer it is missing.

    analyse_chain([leaf, inspection_ca, corp_root]).root      # corp_root
    analyse_chain([leaf]).missing_issuer                        # 'CN=Corp Inspection CA,...'

Links are followed from the server's certificate upwards by name and signature, so
certificates sent out of order or unrelated ones do not confuse it. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography import x509

from post_renderer.trust.bundle import Certificate

MAX_DEPTH = 10


@dataclass(frozen=True)
class ChainAnalysis:
    """The server's certificate, the CA certificates linking up from it, and their root."""

    leaf: Certificate
    issuers: tuple[Certificate, ...] = ()  # leaf's issuer first
    unrelated: tuple[Certificate, ...] = field(default=(), compare=False)

    @property
    def top(self) -> Certificate:
        """The highest certificate reached: the root, or the one whose issuer is missing."""
        return self.issuers[-1] if self.issuers else self.leaf

    @property
    def root(self) -> Certificate | None:
        top = self.top
        return top if self.issuers and top.self_signed else None

    @property
    def leaf_self_signed(self) -> bool:
        return self.leaf.self_signed

    @property
    def missing_issuer(self) -> str | None:
        """Subject of the issuer nobody presented, or None when the chain reaches a root."""
        if self.root is not None or self.leaf_self_signed:
            return None
        return self.top.issuer

    def extended(self, issuer: Certificate) -> ChainAnalysis:
        """The same chain with one more issuer (found elsewhere, e.g. by AIA) on top."""
        return ChainAnalysis(self.leaf, (*self.issuers, issuer), self.unrelated)


def analyse_chain(presented: Sequence[Certificate]) -> ChainAnalysis:
    """Follow issuers from ``presented[0]`` (the server's certificate) through the others."""
    if not presented:
        raise ValueError("no certificate was presented")
    leaf, others = presented[0], list(presented[1:])
    issuers: list[Certificate] = []
    current = leaf
    while not current.self_signed and len(issuers) < MAX_DEPTH:
        found = find_issuer(current, others)
        if found is None:
            break
        issuers.append(found)
        others.remove(found)
        current = found
    return ChainAnalysis(leaf, tuple(issuers), tuple(others))


def find_issuer(child: Certificate, candidates: Iterable[Certificate]) -> Certificate | None:
    """The candidate whose name and key issued ``child``."""
    for candidate in candidates:
        if candidate.subject_hash == child.issuer_hash and signed_by(child, candidate):
            return candidate
    return None


def signed_by(child: Certificate, issuer: Certificate) -> bool:
    try:
        x509.load_der_x509_certificate(child.der).verify_directly_issued_by(
            x509.load_der_x509_certificate(issuer.der))
    except Exception:  # wrong key, wrong name, unsupported algorithm: not its issuer
        return False
    return True


def subject_names(certificate: Certificate) -> list[str]:
    """The DNS names and IP addresses a server certificate is for (CN when it has no SAN)."""
    cert = x509.load_der_x509_certificate(certificate.der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return [str(n.value) for n in names]
    return [*san.get_values_for_type(x509.DNSName),
            *(str(ip) for ip in san.get_values_for_type(x509.IPAddress))]
