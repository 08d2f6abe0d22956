"""``ocean-proxy discover-ca``: find the CA a proxy re-signs TLS with, and write it out.

    ocean-proxy discover-ca --proxy-url http://proxy.corp:3128 -o corp-ca.pem && helm upgrade ...

1. A TLS handshake through the proxy, verified against the public roots: if it verifies,
   the path is not intercepted and no CA is needed (nothing is written, exit 0).
2. Otherwise the chain the proxy presented is read. Its root, when presented, is the answer.
3. When the root is missing, the top certificate's AIA "CA Issuers" URL is fetched through
   the proxy, a few levels up at most; the CAs fetched below the root are written with it,
   since no client fetches what the proxy leaves out.
4. Still no root: the CA certificates that were presented are written (never the server's
   own certificate), with the missing root named; when there are none, exit 1.

The result goes through the same checks as ``check-bundle``. The verdict is on stderr; only
the PEM goes to stdout (or to ``-o FILE``, written whole or not at all).
"""

from __future__ import annotations

import argparse
import os
import ssl

from post_renderer.commands import Outcome
from post_renderer.commands.ca_files import load_ca_files
from post_renderer.commands.output_not_input import refuse_a_file_this_run_reads
from post_renderer.errors import DiscoveryError, NetworkError, UsageError, shown
from post_renderer.network.aia_fetch import fetch_issuer_certificates
from post_renderer.network.path_probe import probe
from post_renderer.network.public_roots import PublicRoots, resolve_public_roots
from post_renderer.network.settings import NetworkSettings, network_settings
from post_renderer.render.release.settings import Setting, config_file, network_settings_from
from post_renderer.trust import Certificate, ChainAnalysis, TrustBundle, find_issuer, inspect_bundle
from post_renderer.trust.diagnosis import UNTRUSTED_ISSUER, diagnose

MAX_AIA_LEVELS = 4
SOURCE = "the CA found through the proxy"


def run(args: argparse.Namespace, said: Outcome) -> Outcome:
    if args.output == "":  # '-o "$OUT"' with OUT unset: not standard output, without a word
        raise UsageError("-o/--output is given but empty",
                         hint="name the file for the CA (is the variable it comes from set?), "
                              "or leave the option out for standard output")
    if args.output == "-":  # standard output, as '-' is standard input to check-bundle
        args.output = None
    proxy, _, ca_paths = network_settings_from(args, os.environ, ca_files=False,
                                               warn=said.warning, hide=said.hide)
    settings = network_settings(proxy=proxy and proxy.value, target=args.target,
                                server_name=args.servername, timeout=args.timeout, log=said.live,
                                environ=os.environ)
    roots = resolve_public_roots(args.public_roots)
    if args.output:
        _check_output_is_new_to_this_run(args, roots)
        from post_renderer.output_file import check_output

        check_output(args.output)  # before the probe: a run that cannot write it, fails first
    settings.log(f"public roots: {roots.description}")
    if roots.is_empty():
        said.warning(f"no public roots in {roots.description}: every path will look "
                         "intercepted; give them with --public-roots FILE")
    proxy_tls = _proxy_tls(settings, roots, args.proxy_ca_file, said)
    result = probe(settings, proxy_tls, roots.context())
    name = settings.server_name
    if result.rejected is None:
        return _not_intercepted(settings, result.chain, roots, args.output, said)
    if result.rejected.code not in UNTRUSTED_ISSUER:
        raise diagnose(result.rejected.code, result.rejected.reason, result.chain, name,
                       settings.route)
    chain = result.chain
    said.notice(f"intercepted: {settings.route} presents a certificate for {name} issued "
                    f"by '{chain.leaf.issuer}', which the public roots do not trust")
    if chain.leaf_self_signed:
        raise DiscoveryError(
            f"the proxy presents a self-signed certificate for {name} ('{chain.leaf.subject}'): "
            "there is no CA to trust",
            hint="ask the proxy's owners to re-sign with a CA, and for that CA's certificate",
        )
    presented = len(chain.issuers)
    chain = _complete_with_aia(chain, settings, proxy_tls, said)
    bundle = _validated(_to_offer(chain, presented, name, said), said)
    _write(bundle, args.output, said)
    if args.output and ca_paths:
        _unless_read_later(args.output, ca_paths, said)
    return said


def _not_intercepted(settings: NetworkSettings, chain: ChainAnalysis, roots: PublicRoots,
                     output: str | None, said: Outcome) -> Outcome:
    """A path the public roots trust: no CA to write, and an -o file left as it is."""
    said.notice(
        f"not intercepted: {settings.route} presents a certificate for "
        f"{settings.server_name} issued by '{chain.leaf.issuer}', which the public roots "
        f"({roots.description}) trust")
    said.notice("no extra CA is needed" +
                (f"; {shown(output, quoted=False)} was not written" if output else ""))
    if output and os.path.isfile(output):
        said.warning(f"{shown(output, quoted=False)} already exists and was left as it is: "
                     "this path needs no CA from it")
    return said


def _check_output_is_new_to_this_run(args: argparse.Namespace, roots: PublicRoots) -> None:
    """-o must not name a file this run reads: the config file (its proxy, password and
    caFiles would give way to one PEM), the public roots (a bundle of them replaced by a
    corporate CA), an https:// proxy's CA file."""
    read = [("the config file", config_file(args, os.environ)),
            *((f"the public roots, {roots.description}", path) for path in roots.files()),
            *(("a --proxy-ca-file", path) for path in args.proxy_ca_file)]
    refuse_a_file_this_run_reads(args.output, "-o", "the CA", read)


def _unless_read_later(output: str, ca_paths: Setting, said: Outcome) -> None:
    """A CA written where verify and the post-renderer, given the same settings, do not look
    (-o relative to the working directory, caFiles to the config file's): the next step of
    the pipeline would fail on a file that is not there, or read an older one."""
    if os.path.realpath(output) in {_real_path(path) for path in ca_paths.value}:
        return
    in_config = ca_paths.source.startswith("config file")
    names = ", ".join(shown(path, quoted=False) for path in ca_paths.value)
    said.warning(f"{shown(output, quoted=False)} is not a CA file that {ca_paths.source} names "
                 f"({'caFiles: ' if in_config else ''}{names}), which verify and the "
                 "post-renderer read: write it there with -o, or name it in "
                 f"{'caFiles' if in_config else ca_paths.source}")


def _real_path(path: str) -> str | None:
    try:
        return os.path.realpath(path)
    except ValueError:  # a NUL in a caFiles entry: no file; verify and a render refuse it
        return None


def _proxy_tls(settings: NetworkSettings, roots: PublicRoots, proxy_ca_files: list[str],
               said: Outcome) -> ssl.SSLContext | None:
    """For an https:// proxy: trust for the proxy's own certificate."""
    if settings.proxy.scheme != "https":
        if proxy_ca_files:
            said.warning("--proxy-ca-file is only used with an https:// proxy; ignored")
        return None
    extra = load_ca_files(proxy_ca_files, "--proxy-ca-file", said)
    return roots.context(extra.pem() if extra else None)


def _complete_with_aia(chain: ChainAnalysis, settings: NetworkSettings,
                       proxy_tls: ssl.SSLContext | None, said: Outcome) -> ChainAnalysis:
    """Climb from the top certificate through AIA "CA Issuers" URLs while no root is known."""
    for _ in range(MAX_AIA_LEVELS):
        if chain.root is not None:
            return chain
        top = chain.top
        if not top.aia_ca_issuers:
            settings.log(f"'{top.subject}' has no CA Issuers URL")
            return chain
        issuer = _fetch_issuer(top, settings, proxy_tls, said)
        known = {cert.fingerprint for cert in (chain.leaf, *chain.issuers)}
        if issuer is None or issuer.fingerprint in known:
            return chain
        chain = chain.extended(issuer)
    return chain


def _fetch_issuer(top: Certificate, settings: NetworkSettings,
                  proxy_tls: ssl.SSLContext | None, said: Outcome) -> Certificate | None:
    for url in top.aia_ca_issuers:
        try:
            candidates = fetch_issuer_certificates(url, settings, proxy_tls)
        except NetworkError as error:
            said.warning(error.message)
            continue
        issuer: Certificate | None = find_issuer(top, candidates)
        if issuer is not None:
            said.notice(f"fetched '{issuer.subject}', the issuer of '{top.subject}', "
                            f"from its CA Issuers URL {url} through the proxy")
            return issuer
        said.warning(f"{url} does not hold the issuer of '{top.subject}'")
    return None


def _to_offer(chain: ChainAnalysis, presented: int, name: str, said: Outcome
              ) -> list[Certificate]:
    """The root when known, with the CAs below it that the proxy does not present (fetched
    by AIA: neither Go nor OpenSSL fetches one, so the pods must hold them); else the CA
    certificates found, with the missing root named."""
    if chain.root is not None:
        said.notice(f"the root CA is '{chain.root.subject}'")
        fetched = list(chain.issuers[presented:-1])
        if fetched:
            names = ", ".join(f"'{cert.subject}'" for cert in fetched)
            said.notice(f"the proxy does not present {names}, below that root: written with "
                        "it, since no client fetches a CA the proxy leaves out")
        return [*fetched, chain.root]
    missing = chain.missing_issuer
    aia = ("its CA Issuers URL did not lead to it" if chain.top.aia_ca_issuers
           else "the certificate names no CA Issuers URL to fetch it from")
    if not chain.issuers:
        raise DiscoveryError(
            f"the proxy re-signs {name} with the CA '{missing}' but does not present that CA "
            f"certificate, and {aia}",
            hint=f"ask the proxy's owners for the CA certificate '{missing}' as PEM (with the "
                 "root above it, if it is not a root itself), then check them with "
                 "'ocean-proxy check-bundle FILE'",
        )
    top = (f"the proxy presents the CA '{chain.top.subject}'"
           if len(chain.issuers) <= presented
           else f"the CA '{chain.top.subject}' was fetched (the proxy does not present it)")
    said.notice(
        f"{top} but not its issuer '{missing}', and "
        f"{aia}: ask the proxy's owners for the root CA certificate '{missing}' (PEM) and add "
        "it to the file")
    return list(chain.issuers)


def _validated(certificates: list[Certificate], said: Outcome) -> TrustBundle:
    """Exactly the checks of check-bundle: refuse what it refuses, warn what it warns."""
    report = inspect_bundle(b"".join(cert.pem() for cert in certificates), SOURCE)
    bundle = report.trust_bundle()
    for warning in report.warnings:
        said.warning(warning)
    return bundle


def _write(bundle: TrustBundle, output: str | None, said: Outcome) -> None:
    pem = bundle.pem()
    described = ", ".join(f"'{cert.subject}' (sha256 {cert.fingerprint[:16]}...)"
                          for cert in bundle.certificates)
    said.write(pem)
    said.output_path = output
    said.notice(f"wrote {described} to {output or 'standard output'}")
