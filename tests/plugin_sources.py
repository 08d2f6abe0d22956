"""The sources the plugin is installed from, and the chart the installed plugin is used on:
fixtures for the modules that install it (plugin_install/, test_plugin_manifests), each made
once per session. Each function is named for its fixture plus ``_fixture`` (``name=`` gives the
fixture's), so that a test's ``checkout`` argument does not shadow the import."""

from __future__ import annotations

from pathlib import Path

import pytest

from .plugin_harness import copy_checkout, unpacked_helm3_release, write_chart


@pytest.fixture(scope="session", name="wheelhouse")
def wheelhouse_fixture(shared_dir: Path) -> Path:
    return unpacked_helm3_release(shared_dir) / "wheelhouse"


@pytest.fixture(scope="session", name="checkout")
def checkout_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's clone, named as `git clone` names it."""
    return copy_checkout(tmp_path_factory.mktemp("src") / "ocean-proxy")


@pytest.fixture(scope="session", name="chart")
def chart_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_chart(tmp_path_factory.mktemp("chart") / "tiny")
