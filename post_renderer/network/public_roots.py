"""Which roots count as public: the ones the pods trust without any corporate CA.

In order: ``--public-roots FILE`` (PEM); else ``$SSL_CERT_FILE`` and ``$SSL_CERT_DIR``, read
exactly as OpenSSL reads them; else this machine's default bundle. discover-ca calls a path
"not intercepted" when the presented chain verifies against these; verify adds them to the
CA files, as the post-rendered pods do.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

from post_renderer.errors import ConfigError, shown
from post_renderer.network.tls_session import trusting

_HINT = "give a PEM file of public roots with --public-roots FILE, e.g. the ca-certificates " \
        "bundle your container images use"


@dataclass(frozen=True)
class PublicRoots:
    """A source of public roots and how to name it in messages."""

    description: str
    cafile: str | None = None  # None: OpenSSL's default paths (which honour the environment)

    def context(self, extra_pem: bytes | None = None) -> ssl.SSLContext:
        """A verifying client context trusting these roots, plus ``extra_pem`` if given."""
        try:
            if self.cafile is not None:
                return trusting(extra_pem, cafile=self.cafile)
            return trusting(extra_pem, default_paths=True)
        except (ssl.SSLError, OSError, ValueError):
            raise ConfigError(f"cannot read the public roots from {self.description}",
                              hint=_HINT) from None

    def files(self) -> list[str]:
        """The bundle files these roots are read from (a directory's files aside)."""
        if self.cafile is not None:
            return [self.cafile]
        default = ssl.get_default_verify_paths().cafile  # SSL_CERT_FILE, else the machine's
        return [default] if default else []

    def is_empty(self) -> bool:
        context = self.context()
        has_dir = self.cafile is None and bool(ssl.get_default_verify_paths().capath)
        return context.cert_store_stats()["x509_ca"] == 0 and not has_dir


def resolve_public_roots(option: str | None) -> PublicRoots:
    """The public roots from ``--public-roots``, the environment, or the machine.

    OpenSSL reads SSL_CERT_FILE and SSL_CERT_DIR from the process environment itself, so
    that is the environment described here too.
    """
    environ = os.environ
    if option:
        if not os.path.isfile(option):
            problem = "not a file" if os.path.exists(option) else "no such file"
            raise ConfigError(f"--public-roots {shown(option, quoted=False)}: {problem}",
                              hint=_HINT)
        return PublicRoots(f"--public-roots {option}", option)
    named = [f"{var}={environ[var]}" for var in ("SSL_CERT_FILE", "SSL_CERT_DIR")
             if environ.get(var)]
    cert_file = environ.get("SSL_CERT_FILE")
    if cert_file and not os.path.isfile(cert_file):
        raise ConfigError(f"SSL_CERT_FILE names {cert_file}, which is not a file", hint=_HINT)
    if named:
        return PublicRoots(" and ".join(named))
    paths = ssl.get_default_verify_paths()
    where = paths.openssl_cafile if os.path.exists(paths.openssl_cafile) else paths.openssl_capath
    return PublicRoots(f"this machine's default bundle ({where})")
