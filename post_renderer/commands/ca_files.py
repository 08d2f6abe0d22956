"""CA files named on the command line, read and validated exactly as the post-renderer does."""

from __future__ import annotations

from collections.abc import Sequence

from post_renderer.commands import Outcome
from post_renderer.trust import MAX_CA_FILE_BYTES, TrustBundle, load_trust_bundle
from post_renderer.user_files import read_user_file


def load_ca_files(paths: Sequence[str], option: str, said: Outcome) -> TrustBundle | None:
    """The validated bundle of ``paths`` (None when there are none); warnings are reported."""
    if not paths:
        return None
    sources = [(path, read_user_file(path, MAX_CA_FILE_BYTES, f"{option} file"))
               for path in paths]
    bundle, warnings = load_trust_bundle(sources)
    for warning in warnings:
        said.warning(warning)
    return bundle
