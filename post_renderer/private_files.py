"""Small files in a directory only this user can reach: what the certificate fact cache and
its key are kept in.

Nothing here follows a symbolic link or opens anything but a regular file (``O_NOFOLLOW``,
``O_NONBLOCK``, then ``fstat``): a link, a FIFO or a device planted where a file goes is a
miss, never a hang and never a write elsewhere. A directory or file that is not this user's
own, or that others may read or write, is refused with the reason, which the caller says
once (``remove_written``, which only deletes, needs a folder nobody else can write to). Every
file is read up to a size limit, written whole or not at all (a temporary name, renamed into
place), and pruning removes only names the caller claims.

    refusal = directory_refusal(path)           # None: missing, or private
    data = read_file(path, "a.json", 64 << 10)  # None: missing, not private, or too big
    write_file(path, "a.json", data)            # False: read-only, full or raced
    prune(path, re.compile(r"[0-9a-f]{64}\\.json"), keep=512)
    remove_written(path, "old", re.compile(r"[0-9a-f]{64}"), b"header")  # (how many went, why not)
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Callable

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_IN_DIRECTORY = getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_UNNAMED = getattr(os, "O_TMPFILE", 0) and os.O_TMPFILE | os.O_WRONLY | _IN_DIRECTORY
_OTHERS = 0o077  # any permission for the group or others
_STALE_TEMPORARY = 3600  # seconds: a temporary file older than this was left by a crash
_TEMPORARY = r"\.(.+)\.[0-9]+\.[0-9a-f]{8}\.tmp"  # write_file's, for the name (re caches it)


def refusal(found: os.stat_result, what: str) -> str | None:
    """Why a file or directory with these attributes must not be trusted, or None."""
    if found.st_uid != os.geteuid():
        return f"{what} belongs to another user"
    if found.st_mode & _OTHERS:
        return f"{what} can be read or written by other users (chmod go= it)"
    return None


def directory_refusal(path: str) -> str | None:
    """Why the directory ``path`` must not be used; None when it is private, or missing and
    may be made (it is then made private on first write)."""
    try:
        descriptor = os.open(path, _DIRECTORY)
    except FileNotFoundError:
        return creation_refusal(path)
    except PermissionError:
        return f"{path} cannot be opened (permission denied)"
    except OSError:
        return f"{path} is a symbolic link or not a directory"
    try:
        return refusal(os.fstat(descriptor), path)
    finally:
        os.close(descriptor)


def creation_refusal(path: str) -> str | None:
    """Why ``path``, which does not exist, must not be made by root: the nearest folder of
    it that exists is another user's, who could not remove a folder root made in it (sudo
    with the user's HOME kept, a CI container run as root with the runner's HOME: their own
    helm then cannot write ~/.config/helm). Any other user makes what the kernel lets it
    make: OpenShift's random user id writes to a HOME of the image's user that its group
    may write. None: it may be made."""
    if os.geteuid() != 0:
        return None
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        try:
            found = os.stat(folder)
            break
        except FileNotFoundError:
            if os.path.dirname(folder) == folder:
                return None
            folder = os.path.dirname(folder)
        except OSError:
            return None  # making it fails, and says so
    if found.st_uid == 0:
        return None
    return (f"{folder} belongs to another user, who could not remove what root made in it "
            "(under sudo, -H gives root a HOME of its own)")


def _open_directory(path: str, *, make: bool = False) -> int | None:
    """A descriptor of the private directory ``path``; None when it is anything else."""
    if make:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except OSError:
            return None
    try:
        descriptor = os.open(path, _DIRECTORY)
    except OSError:
        return None
    if refusal(os.fstat(descriptor), path) is None:
        return descriptor
    os.close(descriptor)
    return None


def read_file(directory: str, name: str, limit: int) -> bytes | None:
    """The bytes of ``directory/name`` if it is a private regular file of at most ``limit``
    bytes in a private directory; else None."""
    folder = _open_directory(directory)
    if folder is None:
        return None
    try:
        return read_opened(name, limit, folder)
    finally:
        os.close(folder)


def read_opened(path: str, limit: int, folder: int | None = None) -> bytes | None:
    """``read_file`` of ``path`` (relative to the directory descriptor ``folder``, if given)."""
    data = _read_regular(path, limit, folder,
                         lambda found: not refusal(found, path) and found.st_size <= limit)
    return data if data is not None and len(data) <= limit else None


def _read_regular(path: str, limit: int, folder: int | None,
                  acceptable: Callable[[os.stat_result], bool]) -> bytes | None:
    """Up to ``limit`` + 1 bytes of the regular file ``path``, if its attributes are
    ``acceptable``; None for anything else (a link, a FIFO, a device, an error)."""
    try:
        descriptor = os.open(path, _READ, dir_fd=folder)
    except OSError:
        return None
    try:
        found = os.fstat(descriptor)
        if not stat.S_ISREG(found.st_mode) or not acceptable(found):
            return None
        return os.read(descriptor, limit + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def write_file(directory: str, name: str, data: bytes) -> bool:
    """Put ``data`` in ``directory/name`` (0600; the directory made 0700 if missing), whole
    or not at all; False when the directory is not private, read-only, full or raced."""
    folder = _open_directory(directory, make=True)
    if folder is None:
        return False
    temporary = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        descriptor = os.open(temporary, _CREATE, 0o600, dir_fd=folder)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        # rename replaces whatever the name was (a link too), never what a link points at
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        _unlink(temporary, folder)
        return False
    finally:
        os.close(folder)
    return True


def create_file(path: str, data: bytes) -> bool:
    """Make ``path`` (0600, its directory 0700 if missing) holding ``data``; False when it
    already exists (or is anything at all: a link is not followed) or cannot be made whole
    (a full disk: nothing is left, not a file cut short). The file appears whole or not at
    all: it is written unnamed (else under a temporary name) and linked into place, which
    fails when another run made ``path`` first, so no run ever reads one half-written."""
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError:
        return False
    made = _create_unnamed(directory, path, data)
    if made is not None:
        return made
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}."
                                        f"{os.urandom(4).hex()}.tmp")
    try:
        descriptor = os.open(temporary, _CREATE, 0o600)
    except OSError:
        return False
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        _link_new(temporary, path)
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)  # the name this call made: O_EXCL, and no link followed
    return True


def _create_unnamed(directory: str, path: str, data: bytes) -> bool | None:
    """``create_file`` through a file that has no name until it is whole (``O_TMPFILE``, then
    linked through ``/proc/self/fd``): a run killed half way leaves nothing behind, where a
    temporary name would stay, holding ``data``, for good. None where the file system or a
    missing ``/proc`` cannot do this."""
    if not _UNNAMED:
        return None
    try:
        folder = os.open(directory, os.O_RDONLY | _IN_DIRECTORY)
    except OSError:
        return None
    try:
        descriptor = os.open(".", _UNNAMED, 0o600, dir_fd=folder)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            # a dst_dir_fd makes this linkat(AT_SYMLINK_FOLLOW): the open file, not the /proc
            # link, gets the name; the name itself is never followed, and taken fails
            os.link(f"/proc/self/fd/{descriptor}", os.path.basename(path), dst_dir_fd=folder,
                    follow_symlinks=True)
    except FileExistsError:
        return False
    except OSError:
        return None  # the named way says whether the disk is full
    finally:
        os.close(folder)
    return True


def _link_new(temporary: str, path: str) -> None:
    """``temporary`` also named ``path``; FileExistsError when another run's is there."""
    try:
        os.link(temporary, path, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: renamed, whole all the same
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.rename(temporary, path)


def prune(directory: str, names: re.Pattern[str], keep: int | None) -> None:
    """Keep the newest ``keep`` regular files whose whole name matches ``names`` (every one
    when None), and drop the temporary files of such names a killed run left (an hour old: a
    running writer's is seconds old); nothing else is touched, and no link is followed."""
    folder = _open_directory(directory)
    if folder is None:
        return
    try:
        files, temporaries = _claimed(folder, names)
        stale = time.time() - _STALE_TEMPORARY
        dropped = [t for t in temporaries if t[0] < stale]
        if keep is not None:
            dropped += sorted(files, reverse=True)[keep:]
        for _, name in dropped:
            _unlink(name, folder)
    finally:
        os.close(folder)


def remove_written(parent: str, name: str, names: re.Pattern[str], header: bytes
                   ) -> tuple[int, str | None]:
    """Delete, in the folder ``name`` of ``parent``, the regular files of this user whose whole
    name matches ``names`` and whose bytes start with ``header``: what one writer left there,
    and nothing else; then the folder itself if that emptied it. The folder is not followed if
    it is a link, and must be this user's and writable by nobody else, so that no entry changes
    between the check and the unlink (others may have been able to read it). Returns how many
    files went, and why a folder that may hold such files was left as it is (or None)."""
    try:
        above = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) |
                        getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return 0, None
    try:
        try:
            folder = os.open(name, _DIRECTORY, dir_fd=above)
        except PermissionError:
            return 0, "cannot be read by this user"
        except OSError:
            return 0, None  # missing, a link, or not a directory
        try:
            removed, left_because = _remove_in(folder, names, header)
        finally:
            os.close(folder)
        if removed:
            try:  # noqa: SIM105 - contextlib only for this
                os.rmdir(name, dir_fd=above)  # only when empty
            except OSError:
                pass
        return removed, left_because
    finally:
        os.close(above)


def _remove_in(folder: int, names: re.Pattern[str], header: bytes) -> tuple[int, str | None]:
    try:
        found = os.fstat(folder)
        with os.scandir(folder) as entries:
            named = [entry.name for entry in entries if names.fullmatch(entry.name)]
    except OSError:
        return 0, None
    why = ("is not this user's" if found.st_uid != os.geteuid() else
           "can be written by other users" if found.st_mode & 0o022 else None)
    if why is not None:
        return 0, why if named else None
    return sum(_starts_with(name, header, folder) and _unlink(name, folder)
               for name in named), None


def _starts_with(name: str, header: bytes, folder: int) -> bool:
    """Whether ``name`` is a regular file of this user whose bytes start with ``header``."""
    head = _read_regular(name, len(header), folder,
                         lambda found: found.st_uid == os.geteuid())
    return head is not None and head.startswith(header)


def _claimed(folder: int, names: re.Pattern[str]
             ) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """(mtime, name) of the regular files named as the caller names them, and of the
    temporary files ``write_file`` makes for such names."""
    files: list[tuple[float, str]] = []
    temporaries: list[tuple[float, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            temporary = re.fullmatch(_TEMPORARY, entry.name)
            if not names.fullmatch(temporary.group(1) if temporary else entry.name):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            (temporaries if temporary else files).append((mtime, entry.name))
    return files, temporaries


def _unlink(name: str, folder: int) -> bool:
    try:
        os.unlink(name, dir_fd=folder)
    except OSError:
        return False
    return True
