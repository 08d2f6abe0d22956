"""A TLS handshake with the target inside a proxy tunnel, and the certificates it showed.

The handshake runs over memory BIOs, so it works the same inside a plain socket and inside
TLS to an https:// proxy (TLS in TLS). It records the chain exactly as presented (leaf
first) and, when the context verified it, the chain OpenSSL built up to its trust anchor.

    session = handshake(tunnel, trusting(roots), settings)      # CertificateRejected
    session = handshake(tunnel, unverified(), settings)          # any certificate
"""

from __future__ import annotations

import _ssl
import ssl
import time
from dataclasses import dataclass

from post_renderer.errors import TlsHandshakeError
from post_renderer.network.settings import NetworkSettings
from post_renderer.network.tunnel import Tunnel, failure_reason

_ENCODING_DER = getattr(ssl, "ENCODING_DER", _ssl.ENCODING_DER)


@dataclass(frozen=True)
class TlsSession:
    """What one handshake established."""

    version: str
    cipher: str
    presented: tuple[bytes, ...]  # DER, as the server sent them, leaf first
    verified: tuple[bytes, ...]  # DER, leaf to trust anchor; () when not verified


class CertificateRejected(Exception):
    """OpenSSL refused the certificate; ``code`` and ``reason`` are its verify result."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def trusting(cadata: bytes | None = None, *, cafile: str | None = None,
             default_paths: bool = False) -> ssl.SSLContext:
    """A client context that verifies chain and name, as OpenSSL-based pods do.

    Partial chains are not accepted: the log-shipper (OpenSSL) needs a root as anchor, so an
    intermediate alone must not pass here either.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
    if default_paths:
        context.set_default_verify_paths()
    if cafile:
        context.load_verify_locations(cafile=cafile)
    if cadata:
        context.load_verify_locations(cadata=cadata.decode("ascii"))
    return context


def unverified() -> ssl.SSLContext:
    """A context that accepts any certificate: only to look at what is presented."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def handshake(tunnel: Tunnel, context: ssl.SSLContext, settings: NetworkSettings) -> TlsSession:
    """TLS with SNI ``settings.server_name`` inside ``tunnel``; CertificateRejected or
    TlsHandshakeError when it fails."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=settings.server_name)
    deadline = time.monotonic() + settings.timeout
    mode = "verified" if context.verify_mode != ssl.CERT_NONE else "unverified"
    settings.log(f"TLS handshake ({mode}) with {settings.server_name} inside the tunnel")
    try:
        _drive(tls, tunnel, incoming, outgoing, deadline)
    except ssl.SSLCertVerificationError as error:
        settings.log(f"certificate rejected: {error.verify_message} (code {error.verify_code})")
        raise CertificateRejected(error.verify_code, error.verify_message) from None
    except TimeoutError:
        raise TlsHandshakeError(
            f"no TLS answer from {settings.route} within {settings.timeout:g}s",
            hint="the proxy or the server stalls the handshake; --timeout gives it longer",
        ) from None
    except (ssl.SSLError, OSError) as error:
        raise TlsHandshakeError(
            f"the TLS handshake with {settings.route} failed ({failure_reason(error)})",
            hint="the proxy may block TLS to this host, or the server does not speak TLS on "
                 "this port; check --target",
        ) from None
    session = TlsSession(
        version=tls.version() or "unknown",
        cipher=(tls.cipher() or ("unknown",))[0],
        presented=_chain(tls, "get_unverified_chain"),
        verified=_chain(tls, "get_verified_chain") if mode == "verified" else (),
    )
    settings.log(f"handshake done: {session.version}, {len(session.presented)} certificate(s) "
                 "presented")
    return session


def _drive(tls: ssl.SSLObject, tunnel: Tunnel, incoming: ssl.MemoryBIO,
           outgoing: ssl.MemoryBIO, deadline: float) -> None:
    while True:
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            _flush(tunnel, outgoing, deadline)
            data = tunnel.recv(deadline)
            if data:
                incoming.write(data)
            else:
                incoming.write_eof()
            continue
        _flush(tunnel, outgoing, deadline)
        return


def _flush(tunnel: Tunnel, outgoing: ssl.MemoryBIO, deadline: float) -> None:
    data = outgoing.read()
    if data:
        tunnel.send(data, deadline)


def _chain(tls: ssl.SSLObject, method: str) -> tuple[bytes, ...]:
    """The chain as DER: public method from Python 3.13, private ``_sslobj`` from 3.10.

    Without either (an unusual build), only the server's own certificate is known.
    """
    found = getattr(tls, method, None) or getattr(getattr(tls, "_sslobj", None), method, None)
    if found is None:
        leaf = tls.getpeercert(binary_form=True)
        return (leaf,) if leaf else ()
    return tuple(c if isinstance(c, bytes) else c.public_bytes(_ENCODING_DER)
                 for c in found() or ())

