"""The sources the plugin is installed from, and what the installed plugin is used on; built
once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..plugin_harness import copy_checkout, unpacked_helm3_release, write_ca, write_chart


@pytest.fixture(scope="session")
def wheelhouse(shared_dir: Path) -> Path:
    return unpacked_helm3_release(shared_dir) / "wheelhouse"


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's clone, named as `git clone` names it."""
    return copy_checkout(tmp_path_factory.mktemp("src") / "ocean-proxy")


@pytest.fixture(scope="session")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ca(tmp_path_factory.mktemp("ca") / "ca.pem")


@pytest.fixture(scope="session")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_chart(tmp_path_factory.mktemp("chart") / "tiny")
