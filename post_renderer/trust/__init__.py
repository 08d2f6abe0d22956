"""Certificate judgment: reading CA bundles, what each runtime accepts, normalised bundles.

The public face of the trust floor; the render and network floors import only from here.

    report = inspect_bundle(Path("corp-root.pem").read_bytes(), "corp-root.pem")
    bundle = report.trust_bundle()      # raises BundleError if nothing usable is left
    bundle.pem(), bundle.checksum()
"""

from post_renderer.trust.bundle import (
    MAX_INPUT_BYTES,
    BundleReport,
    TrustBundle,
    inspect_bundle,
    load_trust_bundle,
)
from post_renderer.trust.certificate import Certificate, certificate_from_der, shorten
from post_renderer.trust.chain_analysis import ChainAnalysis, analyse_chain, find_issuer
from post_renderer.trust.policy import Verdict
from post_renderer.trust.runtime_rules import go_chain_refusal

MAX_CA_FILE_BYTES = MAX_INPUT_BYTES + 1  # one byte more, so that "too large" is seen as such

__all__ = [
    "MAX_CA_FILE_BYTES", "MAX_INPUT_BYTES", "BundleReport", "Certificate", "ChainAnalysis",
    "TrustBundle", "Verdict", "analyse_chain", "certificate_from_der", "find_issuer",
    "go_chain_refusal", "inspect_bundle", "load_trust_bundle", "shorten",
]
