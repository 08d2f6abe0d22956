"""One look at the TLS path through the proxy: does it verify, and what chain is presented.

A verifying handshake first; when OpenSSL refuses the certificate, a second, unverified
handshake reads the chain that was presented, so the refusal can name certificates.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from post_renderer.errors import TlsHandshakeError
from post_renderer.network.settings import NetworkSettings
from post_renderer.network.tls_session import CertificateRejected, TlsSession, handshake, unverified
from post_renderer.network.tunnel import open_tunnel
from post_renderer.trust import Certificate, ChainAnalysis, analyse_chain, certificate_from_der


@dataclass(frozen=True)
class Probe:
    """The handshake that counted, the chain presented, and OpenSSL's refusal if any."""

    session: TlsSession
    chain: ChainAnalysis
    rejected: CertificateRejected | None = None

    @property
    def anchor(self) -> Certificate | None:
        """The trust anchor OpenSSL verified against (None when not verified)."""
        if not self.session.verified:
            return None
        return _parse(self.session.verified[-1])


def probe(settings: NetworkSettings, proxy_tls: ssl.SSLContext | None,
          context: ssl.SSLContext) -> Probe:
    """Handshake with ``context``; on a refused certificate, look again without verifying."""
    try:
        with open_tunnel(settings, proxy_tls) as tunnel:
            session = handshake(tunnel, context, settings)
        return Probe(session, _analyse(session, settings))
    except CertificateRejected as rejected:
        settings.log("reading the presented chain again, without verifying it")
        with open_tunnel(settings, proxy_tls) as tunnel:
            session = handshake(tunnel, unverified(), settings)
        return Probe(session, _analyse(session, settings), rejected)


def _analyse(session: TlsSession, settings: NetworkSettings) -> ChainAnalysis:
    certificates = []
    for position, der in enumerate(session.presented):
        certificate = _parse(der)
        if certificate is None:
            settings.log(f"presented certificate {position} cannot be parsed; ignored")
            continue
        settings.log(f"presented {position}: '{certificate.subject}' "
                     f"issued by '{certificate.issuer}'")
        certificates.append(certificate)
    if not session.presented or _parse(session.presented[0]) is None:
        raise TlsHandshakeError(
            f"no readable server certificate was presented on {settings.route}",
            hint="check the path with 'openssl s_client -showcerts -proxy ...'",
        )
    return analyse_chain(certificates)


def _parse(der: bytes) -> Certificate | None:
    try:
        return certificate_from_der(der)
    except ValueError:
        return None
