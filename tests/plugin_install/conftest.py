"""The sources the plugin is installed from (plugin_sources), and the CA the installed plugin is
given; built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..plugin_harness import write_ca
from ..plugin_sources import (  # noqa: F401  (the fixtures)
    chart_fixture,
    checkout_fixture,
    wheelhouse_fixture,
)


@pytest.fixture(scope="session")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ca(tmp_path_factory.mktemp("ca") / "ca.pem")
