"""OpenSSL's subject and issuer name hashes, the file names OpenSSL looks up in a CA directory.

fluent-bit (the log-shipper) trusts ``/etc/ssl/certs/ca-certificates.crt`` plus the directory
``/etc/ssl/certs/``, where OpenSSL finds an issuer by the file ``<hash>.0``. Mounting a corporate
CA there under that name adds it to the image's trust without replacing the public roots.

    >>> from cryptography import x509
    >>> name_hash(x509.Name.from_rfc4514_string("CN=Corp Root"))
    '5f241b44'

OpenSSL computes every hash here (``X509_subject_name_hash``, through pyOpenSSL), over its own
canonical form of the name, so ``<hash>.0`` is what ``openssl x509 -subject_hash`` prints.
pyOpenSSL deprecates its name objects (``X509.get_issuer``, ``X509Name.hash``), not a
certificate's ``subject_name_hash``: a name other than a certificate's own subject is hashed as
the subject of a stand-in certificate that cryptography makes to carry it.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from post_renderer.errors import short_error

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ed25519

_STAND_IN_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def name_hashes(cert: x509.Certificate) -> tuple[str, str]:
    """(subject hash, issuer hash) of a certificate, as ``openssl x509 -subject_hash`` and
    ``-issuer_hash`` print them; ValueError when OpenSSL cannot read the certificate."""
    subject = _subject_hash(cert)
    if cert.issuer.public_bytes() == cert.subject.public_bytes():  # a root: no stand-in needed
        return subject, subject
    return subject, name_hash(cert.issuer)


def name_hash(name: x509.Name) -> str:
    """OpenSSL's hash of one name: the subject hash of a stand-in certificate bearing it."""
    from cryptography import x509

    key = _stand_in_key()
    stand_in = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1)
                .not_valid_before(_STAND_IN_TIME).not_valid_after(_STAND_IN_TIME)
                .sign(key, None))
    return _subject_hash(stand_in)


def _subject_hash(cert: x509.Certificate) -> str:
    from OpenSSL import crypto  # imported here: a run whose facts are all cached needs no OpenSSL

    try:
        value = crypto.X509.from_cryptography(cert).subject_name_hash()
    except crypto.Error as error:  # read by cryptography, not by OpenSSL: e.g. a name over 1 MiB
        raise ValueError(f"OpenSSL cannot read it: {_first_reason(error)}") from None
    return f"{value:08x}"


def _first_reason(error: Exception) -> str:
    """OpenSSL's first reason (its error queue is a list of (library, function, reason))."""
    queue = error.args[0] if error.args else None
    if isinstance(queue, list) and queue and isinstance(queue[0], tuple) and queue[0][-1]:
        return str(queue[0][-1])
    return short_error(error)


@functools.cache  # one throwaway key per process: it signs stand-ins nobody verifies
def _stand_in_key() -> ed25519.Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.generate()
