"""A ``values --secrets`` run stopped while its output waits (a CI job cancelled: SIGTERM; a
terminal closed: SIGHUP; killed outright: SIGKILL, the OOM killer) leaves the Secrets file as
it was and nothing beside it; under nohup, SIGHUP does not stop it. The run is held by a full
pipe on its standard output."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import VENV_BIN, clean_env
from .test_secrets_file import PASSWORD, PROXY, manifests, snapshot

__all__ = ["manifests"]  # the fixture, shared with test_secrets_file


@pytest.mark.parametrize("stopped_by", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=["SIGTERM", "SIGHUP", "SIGKILL"])
def test_a_run_stopped_while_its_output_waits_leaves_no_secrets_behind(
        manifests, tmp_path, stopped_by):
    """A CI job cancelled, a terminal closed, a run killed: the Secrets already staged beside
    the file (under a hidden name no .gitignore rule of the Secrets file covers, if under any
    name) go with the run. Its standard output is a pipe nobody reads, already full, so the
    run waits there."""
    work = tmp_path / "gitops"
    work.mkdir()
    before = snapshot(work)
    reader, writer = full_pipe()
    try:
        process = waiting_values_run(manifests, work, writer)
        staged = staged_in(process.pid, work)
        process.send_signal(stopped_by)
        stderr = process.communicate(timeout=60)[1].decode()
    finally:
        os.close(writer)
        os.close(reader)
    assert staged, "the run did not stage the Secrets before its output"
    assert process.returncode != 0
    assert snapshot(work) == before, "the staged Secrets stayed on disk"
    assert PASSWORD not in stderr and "Traceback" not in stderr


def test_a_run_under_nohup_is_not_stopped_by_sighup(manifests, tmp_path):
    """nohup's ignored SIGHUP stays ignored: the run goes on once its output is read."""
    work = tmp_path / "gitops"
    work.mkdir()
    reader, writer = full_pipe()
    try:
        process = waiting_values_run(manifests, work, writer, ignore_sighup=True)
        process.send_signal(signal.SIGHUP)
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1)  # stopped, it would be gone by now
        os.close(writer)
        writer = -1
        with os.fdopen(reader, "rb") as output:
            reader = -1
            output.read()
        stderr = process.communicate(timeout=60)[1].decode()
    finally:
        for fd in (writer, reader):
            if fd >= 0:
                os.close(fd)
    assert process.returncode == 0, stderr
    assert [entry.name for entry in work.iterdir()] == ["secrets.yaml"]


def full_pipe() -> tuple[int, int]:
    """A pipe nobody reads yet, already full: a run writing into it waits."""
    reader, writer = os.pipe()
    os.set_blocking(writer, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(writer, b"\n" * 65536)
    os.set_blocking(writer, True)
    return reader, writer


def waiting_values_run(manifests: Path, work: Path, stdout: int, *,
                       ignore_sighup: bool = False) -> subprocess.Popen:
    """``values --secrets`` writing into ``stdout`` (under nohup with ``ignore_sighup``),
    returned once its Secrets are staged in ``work`` (a file there it holds open, with a name
    or without) and its output waits."""
    process = subprocess.Popen(
        [*(["nohup"] if ignore_sighup else []), VENV_BIN / "ocean-proxy", "values",
         "--proxy-url", PROXY, "--filename", manifests, "--secrets", "secrets.yaml"],
        stdout=stdout, stderr=subprocess.PIPE, env=clean_env(), cwd=work)
    deadline = time.monotonic() + 60
    while not (staged_in(process.pid, work) and waits_on_a_pipe(process.pid)) \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    return process


def staged_in(pid: int, folder: Path) -> list[str]:
    """The files in ``folder``, named or held open by the process: a file without a name
    shows in /proc as '<folder>/#<inode> (deleted)'."""
    found = [str(entry) for entry in folder.iterdir()]
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith(f"{folder}/"):
                    found.append(target)
    return found


def waits_on_a_pipe(pid: int) -> bool:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/wchan", encoding="ascii") as wchan:
        return "pipe" in wchan.read()
    return False
