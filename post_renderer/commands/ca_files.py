"""CA files named on the command line (or, for the pods' trust, by OCEAN_PROXY_CA_FILE), read
and validated exactly as the post-renderer does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from post_renderer.commands import Outcome
from post_renderer.errors import ConfigError
from post_renderer.render.release.setting_sources import split_paths
from post_renderer.trust import MAX_CA_FILE_BYTES, TrustBundle, load_trust_bundle
from post_renderer.user_files import read_user_file


def ca_file_paths(flags: Sequence[str], environ: Mapping[str, str]) -> tuple[list[str], str]:
    """The CA files the pods get, as the post-renderer reads them: --ca-file, else
    OCEAN_PROXY_CA_FILE; and which of the two named them."""
    if flags:
        return list(flags), "--ca-file"
    return split_paths(environ.get("OCEAN_PROXY_CA_FILE")), "OCEAN_PROXY_CA_FILE"


def load_ca_files(paths: Sequence[str], option: str, said: Outcome) -> TrustBundle | None:
    """The validated bundle of ``paths`` (None when there are none); warnings are reported."""
    if not paths:
        return None
    if any(not path.strip() for path in paths):  # '--ca-file=$CA' with CA unset
        raise ConfigError(f"{option} is given but empty",
                          hint="give it a value (is the variable it comes from set?), or "
                               "leave the flag out")
    sources = [(path, read_user_file(path, MAX_CA_FILE_BYTES, f"{option} file"))
               for path in paths]
    bundle, warnings = load_trust_bundle(sources)
    for warning in warnings:
        said.warning(warning)
    return bundle
