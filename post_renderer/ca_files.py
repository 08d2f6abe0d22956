"""CA files named on the command line, read and validated exactly as the post-renderer does."""

from __future__ import annotations

from collections.abc import Sequence

from .report import Reporter
from .settings import MAX_CA_FILE_BYTES
from .trust_bundle import TrustBundle, load_trust_bundle
from .user_files import read_user_file


def load_ca_files(paths: Sequence[str], option: str, reporter: Reporter) -> TrustBundle | None:
    """The validated bundle of ``paths`` (None when there are none); warnings are reported."""
    if not paths:
        return None
    sources = [(path, read_user_file(path, MAX_CA_FILE_BYTES, f"{option} file"))
               for path in paths]
    bundle, warnings = load_trust_bundle(sources)
    for warning in warnings:
        reporter.warning(warning)
    return bundle
