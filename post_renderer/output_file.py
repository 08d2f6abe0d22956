"""Writing a result file (``discover-ca -o FILE``) the way Unix tools do.

A regular file is replaced atomically: a temporary file next to it, renamed over it, so it
is complete or unchanged, never half-written. Everything else is written as it is: a
symlink is followed (the link stays, its target gets the bytes), a FIFO, a terminal or
``/dev/stdout`` (a link to ``/proc/self/fd/1``) is written into, never replaced. A new file
gets the umask's mode, like ``>``; an existing one keeps its mode.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat

from post_renderer.errors import OutputError

_NEW_FILE_MODE = 0o666  # the kernel applies the umask, as for a shell's '>'
# Links into /proc (/dev/stdout, /dev/fd/N) name an open file of this process: renaming a
# file over what they resolve to would replace the shell's file, not write into it.
_IN_PLACE_ROOTS = ("/proc/", "/dev/")


def write_output(path: str, data: bytes, *, new_file_mode: int = _NEW_FILE_MODE) -> None:
    """Write ``data`` to ``path``: atomically for a regular file, in place for anything else.

    A new file gets ``new_file_mode`` less the umask (0600 for files that hold secrets); a file
    replaced keeps its mode and owner, less what group and others had for files that hold
    secrets.
    """
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise _error(path, error) from None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise OutputError(f"cannot write {path}: it is a directory",
                          hint="name a file, e.g. -o ca.pem")
    target = os.path.realpath(path)
    if status is not None and (not stat.S_ISREG(status.st_mode) or _names_an_open_file(path)):
        _write_in_place(path, data)
        return
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise OutputError(f"cannot write {path}: its directory {directory} does not exist",
                          hint="create the directory first, or name a file in an existing one")
    _replace(path, target, data, status, new_file_mode)


def _names_an_open_file(path: str) -> bool:
    """Whether ``path`` or a link on the way to its file is in /proc or /dev."""
    hop = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links in a row
        if hop.startswith(_IN_PLACE_ROOTS):
            return True
        if not os.path.islink(hop):
            return False
        hop = os.path.join(os.path.dirname(hop), os.readlink(hop))
    return False


def _write_in_place(path: str, data: bytes) -> None:
    try:
        with open(path, "wb") as stream:
            stream.write(data)
    except OSError as error:
        raise _error(path, error) from None


def _replace(path: str, target: str, data: bytes, status: os.stat_result | None,
             new_file_mode: int) -> None:
    temporary = os.path.join(os.path.dirname(target),
                             f".{os.path.basename(target)}.ocean-proxy-{secrets.token_hex(4)}")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                         new_file_mode if status is None else 0o600)
    except OSError as error:
        raise _error(path, error) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            if status is not None:  # a file for secrets stays its owner's alone
                _keep_mode_and_owner(stream.fileno(), status, private=not new_file_mode & 0o077)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise _error(path, error) from None
    except BaseException:
        _remove(temporary)
        raise


def _keep_mode_and_owner(fd: int, status: os.stat_result, private: bool) -> None:
    mode = stat.S_IMODE(status.st_mode)
    os.fchmod(fd, mode & ~0o077 if private else mode)
    if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(OSError):  # only root may give a file away
            os.fchown(fd, status.st_uid, status.st_gid)


def _error(path: str, error: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {error.strerror or 'write failed'}",
                       hint="check the path, its permissions and the free space")


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
