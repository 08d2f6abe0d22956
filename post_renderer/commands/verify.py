"""``ocean-proxy verify``: a live TLS path through the proxy, with exactly the pods' trust.

    ocean-proxy verify --proxy-url http://proxy.corp:3128 --ca-file corp-ca.pem

The trust is what the post-renderer gives the pods: the CA files (validated as check-bundle
does; PEM, DER or PKCS#7) plus the public roots. Like the log-shipper (OpenSSL), a chain must
end at a root: an intermediate CA alone is not enough; and a chain OpenSSL accepts is then
checked with the controller's (Go's) rules, which are stricter in places (SHA-1 below the
anchor, negative serials, DSA keys). Success names the issuer, the anchor and the TLS
version (exit 0); a failure says which step failed and why (exit 1).
"""

from __future__ import annotations

import argparse
import hashlib
import os

from post_renderer.commands import Outcome
from post_renderer.commands.ca_files import bundle_of
from post_renderer.errors import CertificateVerifyError, UnknownIssuerError
from post_renderer.network.path_probe import probe
from post_renderer.network.public_roots import resolve_public_roots
from post_renderer.network.settings import network_settings
from post_renderer.render.release.settings import network_settings_from
from post_renderer.trust import (
    ChainAnalysis,
    TrustBundle,
    fields_from_cryptography,
    find_issuer,
    go_chain_refusal,
)
from post_renderer.trust.diagnosis import UNTRUSTED_ISSUER, diagnose


def run(args: argparse.Namespace, said: Outcome) -> Outcome:
    proxy, ca_files, _ = network_settings_from(args, os.environ, ca_files=True,
                                               warn=said.warning, hide=said.hide)
    settings = network_settings(proxy=proxy and proxy.value, target=args.target,
                                server_name=args.servername, timeout=args.timeout, log=said.live,
                                environ=os.environ)
    roots = resolve_public_roots(args.public_roots)
    option = ca_files.source if ca_files else "--ca-file"
    bundle = bundle_of(ca_files, said)
    settings.log(f"trust: {len(bundle.certificates) if bundle else 0} certificate(s) from "
                 f"{option} plus the public roots ({roots.description})")
    context = roots.context(bundle.pem() if bundle else None)
    proxy_tls = context if settings.proxy.scheme == "https" else None
    result = probe(settings, proxy_tls, context)
    if result.rejected is not None:
        if result.rejected.code in UNTRUSTED_ISSUER:
            _refuse_a_given_ca_without_its_root(result.chain, bundle, option, settings.route)
        raise diagnose(result.rejected.code, result.rejected.reason, result.chain,
                       settings.server_name, settings.route, given=option if bundle else None)
    _refuse_what_go_refuses(result.session.verified, bundle, settings.server_name,
                            settings.route)
    anchor = result.anchor
    through = _anchor_source(anchor.fingerprint if anchor else None, bundle, option,
                             roots.description)
    said.notice(
        f"verified: {settings.route}: {result.session.version}, the certificate for "
        f"{settings.server_name} is issued by '{result.chain.leaf.issuer}' and trusted "
        f"through {through}" + (f"; trust anchor '{anchor.subject}'" if anchor else ""))
    return said


def _refuse_a_given_ca_without_its_root(chain: ChainAnalysis, bundle: TrustBundle | None,
                                        option: str, route: str) -> None:
    """The presented chain, carried on through the CA files: where it then stops below a
    root, the CA that issued the server's certificate was given without its root, which
    OpenSSL needs (Go anchors at any CA it is given). Said so, rather than that the CA the
    user gave is not trusted."""
    if bundle is None:
        return
    carried = chain
    while carried.root is None and len(carried.issuers) < len(chain.issuers) + 10:
        issuer = find_issuer(carried.top, bundle.certificates)
        if issuer is None or issuer in (carried.leaf, *carried.issuers):
            break
        carried = carried.extended(issuer)
    if carried.root is not None or carried is chain:
        return
    given = carried.issuers[len(chain.issuers)].subject
    issued = (f"'{given}'" if not chain.issuers
              else f"'{chain.leaf.issuer}', under '{given}'")
    fetch = ("; 'ocean-proxy discover-ca' fetches it from the CA Issuers URL"
             if carried.top.aia_ca_issuers else "")
    raise UnknownIssuerError(
        f"the certificate presented on {route} is issued by {issued}, which your {option} "
        f"holds without the root above it, '{carried.top.issuer}': the controller (Go) would "
        "trust it, the log-shipper (OpenSSL) trusts a chain only up to a root",
        hint=f"add the root '{carried.top.issuer}' to the CA files of {option} (ask the "
             f"proxy's owners for it as PEM{fetch})",
    )


def _refuse_what_go_refuses(verified: tuple[bytes, ...], bundle: TrustBundle | None,
                            server_name: str, route: str) -> None:
    """Go anchors at the first certificate of the chain it is given to trust, then applies
    its own rules; raise when the controller would refuse what OpenSSL accepted."""
    from cryptography import x509

    given = {cert.fingerprint for cert in bundle.certificates} if bundle else set()
    chain = []
    for position, der in enumerate(verified):
        chain.append(fields_from_cryptography(x509.load_der_x509_certificate(der)))
        if position and hashlib.sha256(der).hexdigest() in given:
            break
    reason = go_chain_refusal(chain, server_name)
    if reason:
        raise CertificateVerifyError(
            f"the certificate presented on {route} verifies with OpenSSL (the log-shipper), "
            f"but the controller (Go) refuses it: {reason}",
            hint="ask the proxy's owners to re-sign with a CA chain Go accepts; "
                 "'ocean-proxy check-bundle FILE' judges the CA files the same way",
        )


def _anchor_source(fingerprint: str | None, bundle: TrustBundle | None, option: str,
                   public: str) -> str:
    if bundle and fingerprint in {cert.fingerprint for cert in bundle.certificates}:
        return f"your {option}"
    return f"the public roots from {public}"
