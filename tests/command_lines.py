"""What every user of the machine reads of a running command: its command line
(``/proc/<pid>/cmdline``, which ``ps`` shows), caught while the command waits on a FIFO.

    with PausedReads(tmp_path / "ca.pem", ca_pem, secrets=[password]) as reads:
        run helm with --set-file ...=ca.pem, or --post-renderer-args --ca-file=ca.pem
    reads.pauses   # per read of the FIFO: the command lines that name it (the reader's)
    reads.exposed  # every command line that held a secret during a read

A reader of a FIFO waits in ``open`` until a writer comes: the writer here first notes every
process's command line, then hands the data over, and waits for the reader to close the FIFO
before it serves the next one. So the look is taken while helm and the post-renderer are
alive, at a moment the test chooses, not by sampling.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path


class PausedReads:
    """Serves ``data`` to each reader of a new FIFO at ``fifo``, one after the other; before
    each, notes the command lines that name the FIFO or hold one of ``secrets``."""

    def __init__(self, fifo: Path, data: bytes, secrets: Sequence[str]) -> None:
        self._fifo, self._data, self._secrets = fifo, data, list(secrets)
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.pauses: list[list[str]] = []
        self.exposed: list[str] = []

    def __enter__(self) -> PausedReads:
        os.mkfifo(self._fifo, 0o600)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        release = os.open(self._fifo, os.O_RDONLY | os.O_NONBLOCK)  # ends the writer's wait
        try:
            self._thread.join(timeout=10)
        finally:
            os.close(release)

    def _serve(self) -> None:
        while True:
            writer = os.open(self._fifo, os.O_WRONLY)  # returns once a reader opened it
            try:
                if self._stopping:
                    return
                lines = command_lines()
                self.pauses.append([line for line in lines if str(self._fifo) in line])
                self.exposed += [line for line in lines
                                 if any(secret in line for secret in self._secrets)]
                _write_all(writer, self._data)
            finally:
                os.close(writer)
            # a reader still holding the FIFO would take the next writer's data as more of
            # this file (no end of file while a writer is there): the data, over and over
            self._wait_until_closed()

    def _wait_until_closed(self, timeout: float = 60) -> None:
        """Until no process holds the FIFO open (its readers read to the end), or the end."""
        status = os.stat(self._fifo)
        deadline = time.monotonic() + timeout
        while not self._stopping and _holders(status.st_dev, status.st_ino) \
                and time.monotonic() < deadline:
            time.sleep(0.01)


def command_lines() -> list[str]:
    """Every process's command line, its arguments joined by spaces, as ps shows them."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                raw = cmdline.read()
        except OSError:  # the process ended meanwhile
            continue
        if raw:
            found.append(raw.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace"))
    return found


def _holders(device: int, inode: int) -> bool:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            descriptors = os.listdir(f"/proc/{entry}/fd")
        except OSError:  # ended meanwhile
            continue
        for fd in descriptors:
            try:
                held = os.stat(f"/proc/{entry}/fd/{fd}")  # the FIFO itself: no open, no wait
            except OSError:
                continue
            if (held.st_dev, held.st_ino) == (device, inode):
                return True
    return False


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:  # the reader went away: its own error says why
        return
