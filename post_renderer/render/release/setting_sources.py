"""What the settings are read from, without reading them: light enough for every run.

The output cache keys a run by these before anything heavy is imported (``settings`` reads
and checks the values).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from post_renderer import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

AUTO_UPDATE_POLICIES = ("inject", "keep", "refuse")


def named_files(flags: argparse.Namespace, environ: Mapping[str, str]) -> list[str]:
    """The files ``read_settings`` reads before it reads the config file: the config file and
    the CA files the flags and the environment name (whether or not they are the ones used)."""
    config = [flags.config or environ.get("OCEAN_PROXY_CONFIG") or ""]
    return [p for p in (*config, *(flags.ca_file or ()),
                        *split_paths(environ.get("OCEAN_PROXY_CA_FILE"))) if p]


def split_paths(value: str | None) -> list[str]:
    """OCEAN_PROXY_CA_FILE's paths, separated as PATH is."""
    return [p for p in (value or "").split(os.pathsep) if p]
