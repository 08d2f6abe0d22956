"""What the settings are read from, without reading them: light enough for the argument
parser, which needs the auto-update policies before anything heavy is imported."""

from __future__ import annotations

import os

AUTO_UPDATE_POLICIES = ("inject", "keep", "refuse")


def split_paths(value: str | None) -> list[str]:
    """OCEAN_PROXY_CA_FILE's paths, separated as PATH is."""
    return [p for p in (value or "").split(os.pathsep) if p]
