"""CA files named on the command line, read and validated exactly as the post-renderer does."""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ConfigError
from .report import Reporter
from .trust_bundle import TrustBundle, load_trust_bundle

MAX_FILE_BYTES = 8 * 1024 * 1024


def load_ca_files(paths: Sequence[str], option: str, reporter: Reporter) -> TrustBundle | None:
    """The validated bundle of ``paths`` (None when there are none); warnings are reported."""
    if not paths:
        return None
    sources = [(path, _read(path, option)) for path in paths]
    bundle, warnings = load_trust_bundle(sources)
    for warning in warnings:
        reporter.warning(warning)
    return bundle


def _read(path: str, option: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"cannot read {option} {path}: {error.strerror or 'unreadable'}",
                          hint="check the path and its permissions") from None
