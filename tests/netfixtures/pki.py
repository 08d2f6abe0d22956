"""Every certificate the network tests need, made once per session and written to files.

A "public" root stands in for the Mozilla roots and signs the origins; the corporate side
has an offline root with two inspection intermediates (one with an AIA URL), and a
self-signed proxy CA like the one mitmproxy makes for itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import certs
from ..certs import DAY, NOW

SPOT_API = "api.spotinst.io"
SPOT_CHARTS = "charts.spot.io"
EXPIRED_HOST = "expired.spot.test"
AIA_HOST = "pki.corp.example"
AIA_PATH = "/offline-root.crt"


@dataclass(frozen=True)
class NetPki:
    """The certificates (``certs.Issued``) and the PEM files the tests hand to the tools."""

    directory: Path
    public_root: certs.Issued
    origin: certs.Issued
    expired_origin: certs.Issued
    corp_root: certs.Issued
    inspection: certs.Issued
    inspection_with_aia: certs.Issued
    proxy_ca: certs.Issued

    @property
    def public_roots_file(self) -> Path:
        return self.directory / "public-roots.pem"

    @property
    def corp_root_file(self) -> Path:
        return self.directory / "corp-root.pem"

    @property
    def proxy_ca_file(self) -> Path:
        return self.directory / "proxy-ca.pem"

    @property
    def aia_url(self) -> str:
        return f"http://{AIA_HOST}{AIA_PATH}"


def make_pki(directory: Path) -> NetPki:
    public_root = certs.root("Public Trust Root CA", organization="Public Trust")
    corp_root = certs.root("Example Corp Offline Root CA")
    pki = NetPki(
        directory=directory,
        public_root=public_root,
        origin=certs.make_cert(SPOT_API, issuer=public_root, ca=False,
                               dns_names=(SPOT_API, SPOT_CHARTS, "localhost"),
                               organization="Spot"),
        expired_origin=certs.make_cert(EXPIRED_HOST, issuer=public_root, ca=False,
                                       dns_names=(EXPIRED_HOST,), organization="Spot",
                                       not_before=NOW - 30 * DAY, not_after=NOW - DAY),
        corp_root=corp_root,
        inspection=certs.intermediate(corp_root, "Example Corp TLS Inspection CA"),
        inspection_with_aia=certs.intermediate(
            corp_root, "Example Corp TLS Inspection CA 2",
            aia_url=f"http://{AIA_HOST}{AIA_PATH}"),
        proxy_ca=certs.root("Example Corp Proxy CA"),
    )
    directory.mkdir(parents=True, exist_ok=True)
    pki.public_roots_file.write_bytes(public_root.pem)
    pki.corp_root_file.write_bytes(corp_root.pem)
    pki.proxy_ca_file.write_bytes(pki.proxy_ca.pem)
    return pki
