"""Certificate judgment: reading CA bundles, what each runtime accepts, normalised bundles.

The public face of the trust floor; the render and network floors import only from here.

    report = inspect_bundle(Path("corp-root.pem").read_bytes(), "corp-root.pem")
    bundle = report.trust_bundle()      # raises BundleError if nothing usable is left
    bundle.pem(), bundle.checksum()
"""

from typing import Any

from post_renderer.trust.bundle import (
    MAX_INPUT_BYTES,
    BundleReport,
    TrustBundle,
    inspect_bundle,
    load_trust_bundle,
)
from post_renderer.trust.certificate import Certificate, certificate_from_der, shorten
from post_renderer.trust.fact_cache import FactCache, fact_cache_for
from post_renderer.trust.formats import STDIN
from post_renderer.trust.policy import Verdict
from post_renderer.user_files import MAX_CA_FILE_BYTES

# Loaded on first use: a render whose certificate facts are all in the fact cache never
# needs them (all but go_chain_refusal import cryptography at once).
_LOADED_WHEN_USED = {
    "ChainAnalysis": "chain_analysis", "analyse_chain": "chain_analysis",
    "find_issuer": "chain_analysis", "fields_from_cryptography": "x509_cryptography",
    "go_chain_refusal": "runtime_rules",
}


def __getattr__(name: str) -> Any:
    module = _LOADED_WHEN_USED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "MAX_CA_FILE_BYTES", "MAX_INPUT_BYTES", "STDIN", "BundleReport", "Certificate", "ChainAnalysis",
    "FactCache", "TrustBundle", "Verdict", "analyse_chain", "certificate_from_der",
    "fact_cache_for", "fields_from_cryptography", "find_issuer", "go_chain_refusal",
    "inspect_bundle", "load_trust_bundle", "shorten",
]
