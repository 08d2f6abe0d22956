"""Helm's own stderr, reached from the post-renderer helm runs: where the user's terminal,
pipe or log file is, since helm captures the post-renderer's stderr (Helm 3 shows it only
when the post-renderer fails, Helm 4 never).

    stream = open_helm_stderr()   # None: the parent is not helm, helm gave us its own
                                  # stderr (a command plugin), or nothing fits

A terminal, a pipe or a file opened for appending (``2>>``) is opened again through
``/proc/<ppid>/fd/2``. A file the shell opened with ``>`` or ``2>`` is written at the one
offset helm's own next write starts from, so a second opening would be overwritten: helm's
open file itself is borrowed (``pidfd_getfd``, Linux 5.6), and our lines move that offset on
as helm's do. Where the kernel refuses to lend it (Yama ``ptrace_scope`` 1 or more for a
non-root user, as on Ubuntu; a container's seccomp profile without ``CAP_SYS_PTRACE``), the
lines are kept and appended to that file by a detached process the moment helm has exited,
after helm's own lines. A pipe or terminal another user made (a container runtime, as root,
for a process run as ``--user 1001``) cannot be opened again: it is borrowed too, and where
the kernel refuses that as well, the lines go to this process's own stderr (Helm 3 shows it
on failure; Helm 4 never).
"""

from __future__ import annotations

import io
import os
import re
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

_SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture (since 5.6)


def open_helm_stderr() -> TextIO | None:
    """A text stream to the parent helm's stderr, or None: the parent is not helm, or this
    process's own stderr already is helm's (helm hands a command plugin its own stderr; it
    captures only a post-renderer's)."""
    found = _helm_capturing(2)
    if found is None:
        return None
    parent, helms = found
    try:
        if stat.S_ISREG(helms.st_mode) and not _appends(parent):
            return _borrowed(parent) or _AppendedWhenHelmExits(parent)
        return open(  # lives as long as the process
            f"/proc/{parent}/fd/2", "a", encoding="utf-8", errors="replace"
        )
    except PermissionError:
        # a pipe or terminal another user made ('docker run --user 1001': the runtime's, as
        # root) may be written to, not opened again: helm's own descriptor is borrowed
        return _borrowed(parent)
    except OSError:
        return None


def _borrowed(helm: int) -> TextIO | None:
    """Helm's own open stderr, lent by the kernel; None where it refuses."""
    try:
        borrowed = _borrow_stderr(helm)
    except OSError:
        return None
    if borrowed is None:
        return None
    try:
        return open(borrowed, "w", encoding="utf-8", errors="replace")
    except OSError:
        os.close(borrowed)  # a stream that failed to open does not close what it was given
        return None


def helm_reads_stdout() -> bool:
    """Is this a post-renderer helm runs, its stdout read by helm as the release's manifests?
    (helm hands a command plugin its own stdout, which the user reads)."""
    return _helm_capturing(1) is not None


def helm_arguments() -> list[str] | None:
    """The command line of the helm that runs this process (``['upgrade', '--install', ...]``),
    or None when no helm runs it: what the user typed, for the mistakes helm takes silently."""
    found = _helm()
    if found is None:
        return None
    try:
        with open(f"/proc/{found[0]}/cmdline", "rb") as cmdline:
            words = cmdline.read().split(b"\0")
    except OSError:
        return None
    return [os.fsdecode(word) for word in words[1:-1]]  # after the program; before the last NUL


# helm as installed, or as some name it: helm3, helm-3.17, helm_v4 (not helmfile, helmsman)
_HELM = re.compile(r"helm(?:[-_]?v?[0-9][0-9.]*)?")


# what may stand between helm and the post-renderer: a wrapper script that does not exec
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"})


def _helm() -> tuple[int, bool] | None:
    """The helm that runs this process, and whether it is the parent: else the nearest
    ancestor past shells (a wrapper script that does not exec)."""
    pid = os.getppid()
    try:
        for hop in range(4):
            with open(f"/proc/{pid}/comm", encoding="utf-8") as comm:
                name = comm.read().strip()
            if _HELM.fullmatch(name):
                return pid, hop == 0
            # a script's process is named after the script: its program tells the shell
            if os.path.basename(os.readlink(f"/proc/{pid}/exe")) not in _SHELLS:
                return None
            with open(f"/proc/{pid}/stat", encoding="utf-8") as status:
                pid = int(status.read().rpartition(")")[2].split()[1])  # after "(comm) state"
    except (OSError, ValueError, IndexError):
        return None
    return None


def _helm_capturing(fd: int) -> tuple[int, os.stat_result] | None:
    """The helm that captures this process's ``fd``, and what that helm has as its own
    ``fd``. A parent helm captures every stream it does not share with us (a command plugin
    gets helm's own); past a wrapper script, only a pipe whose other end helm holds is its:
    the script may have sent ours elsewhere ('> plan.json', '2> mine.log')."""
    found = _helm()
    if found is None:
        return None
    helm, parent = found
    try:
        helms, ours = os.stat(f"/proc/{helm}/fd/{fd}"), os.fstat(fd)
        if (helms.st_dev, helms.st_ino) == (ours.st_dev, ours.st_ino):
            return None
        if parent or (stat.S_ISFIFO(ours.st_mode) and _holds(helm, ours)):
            return helm, helms
    except OSError:
        return None
    return None


def _holds(pid: int, pipe: os.stat_result) -> bool:
    """Whether ``pid`` has ``pipe`` open beyond its own standard streams (its reading end)."""
    for entry in os.listdir(f"/proc/{pid}/fd"):
        try:
            if int(entry) > 2 and os.path.samestat(os.stat(f"/proc/{pid}/fd/{entry}"), pipe):
                return True
        except (OSError, ValueError):
            continue
    return False


def _appends(pid: int) -> bool:
    """Whether the process's stderr was opened for appending (``2>>file``)."""
    with open(f"/proc/{pid}/fdinfo/2", encoding="ascii") as info:
        for line in info:
            if line.startswith("flags:"):
                return bool(int(line.split()[1], 8) & os.O_APPEND)
    return False


def _borrow_stderr(pid: int) -> int | None:
    """A descriptor for the very file ``pid`` has as stderr, sharing its offset, or None."""
    import ctypes  # only here: most runs never write to a file helm holds

    pidfd = os.pidfd_open(pid)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.syscall(_SYS_PIDFD_GETFD, pidfd, 2, 0)
        return fd if fd >= 0 else None
    finally:
        os.close(pidfd)


def hand_over_waiting_lines() -> None:
    """Hands the lines still held for helm's log to the process that appends them: at exit,
    and by a process that ends without running the interpreter's exit handlers."""
    while _WAITING:
        _WAITING.pop()._hand_over()


class _AppendedWhenHelmExits(io.StringIO):
    """Collects the lines; when this process ends, a detached process appends them to helm's
    stderr file once helm has exited (helm's own writes, at its offset, come first)."""

    def __init__(self, helm: int) -> None:
        super().__init__()
        # Opened now: once helm has exited, /proc/<helm>/fd/2 is gone.
        self._file = os.open(f"/proc/{helm}/fd/2", os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        self._helm = os.pidfd_open(helm)
        _WAITING.append(self)
        import atexit

        atexit.register(hand_over_waiting_lines)

    def _hand_over(self) -> None:
        data = self.getvalue().encode("utf-8", "replace")
        if data:
            child = os.fork()
            if child == 0:
                try:
                    os.setsid()
                    if os.fork() == 0:  # the grandchild, whom nobody waits for, waits for helm
                        _append_after_exit(self._helm, self._file, data)
                finally:
                    os._exit(0)
            os.waitpid(child, 0)  # the child, which exits at once
        os.close(self._file)
        os.close(self._helm)


_WAITING: list[_AppendedWhenHelmExits] = []


def _append_after_exit(helm: int, file: int, data: bytes) -> None:
    import select

    # Helm waits for EOF on the pipes it gave this process: hold none of them open.
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor in (0, 1, 2):
        os.dup2(null, descriptor)
    for descriptor in {int(name) for name in os.listdir("/proc/self/fd")} - {0, 1, 2, helm, file}:
        try:
            os.close(descriptor)
        except OSError:  # the directory listing's own descriptor, already gone
            continue
    poller = select.poll()
    poller.register(helm, select.POLLIN)  # a pidfd is readable once the process has exited
    poller.poll()
    os.write(file, data)
