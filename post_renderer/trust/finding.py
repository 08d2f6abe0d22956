"""A rule a certificate breaks, as a plain fact: readable without cryptography (fact_cache)."""

from typing import NamedTuple

NEW_CA_HINT = "ask the proxy's owners for a CA certificate without this problem"


class Finding(NamedTuple):
    """One rule a certificate breaks, and which runtimes refuse it for that."""

    go: bool  # the controller and the auto-updater's helm refuse it
    openssl: bool  # the log-shipper refuses it
    reason: str  # completes "<certificate> ..."
    hint: str = NEW_CA_HINT
