"""CA files for verify (the pods' trust, from the same settings as a render's) and discover-ca
(--proxy-ca-file), read and validated exactly as the post-renderer does."""

from __future__ import annotations

from collections.abc import Sequence

from post_renderer.commands import Outcome
from post_renderer.errors import UsageError
from post_renderer.render.release.settings import Setting
from post_renderer.trust import MAX_CA_FILE_BYTES, TrustBundle, load_trust_bundle
from post_renderer.user_files import read_user_file


def bundle_of(ca_files: Setting | None, said: Outcome) -> TrustBundle | None:
    """The validated bundle of CA files already read (``read_settings``'s value: path and
    contents of each); None when there are none. Warnings are reported."""
    if not ca_files:
        return None
    bundle, warnings = load_trust_bundle(list(ca_files.value))
    for warning in warnings:
        said.warning(warning)
    return bundle


def load_ca_files(paths: Sequence[str], option: str, said: Outcome) -> TrustBundle | None:
    """The validated bundle of ``paths`` (None when there are none); warnings are reported."""
    if not paths:
        return None
    if any(not path.strip() for path in paths):  # '--ca-file=$CA' with CA unset
        raise UsageError(f"{option} is given but empty",
                         hint="give it a value (is the variable it comes from set?), or "
                              "leave the flag out")
    sources = tuple((path, read_user_file(path, MAX_CA_FILE_BYTES, f"{option} file"))
                    for path in paths)
    return bundle_of(Setting(sources, option), said)
