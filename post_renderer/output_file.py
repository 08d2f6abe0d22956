"""Writing a result file (``discover-ca -o FILE``, ``values --secrets FILE``) the way Unix
tools do, and never into another user's hands.

A regular file is replaced atomically: a temporary file next to it, renamed over it, so it
is complete or unchanged, never half-written. Everything else is written as it is: a
symlink is followed (the link stays, its target gets the bytes), a FIFO, a terminal or
``/dev/stdout`` (a link to ``/proc/self/fd/1``) is written into, never replaced. A new file
gets the umask's mode, like ``>``; an existing one keeps its mode.

A symbolic link on the way that another user made (root's aside), or a FIFO that another user
owns, is refused, as ssh refuses a config file that is not its user's: the link's owner chose
where the bytes go (in /tmp, anyone can plant ``secrets.yaml -> ~/f``), and the FIFO's owner
reads what is written into it. Another user's regular file is replaced by one of ours, which
they cannot read when it holds secrets. Devices are the system's, and ``/proc/self/fd/N`` is
a file this process was handed: both are written into, once known to be open.

A file is staged before it is put in place (``stage_output``): the temporary file is written
whole, then ``commit`` renames it over the old one, or ``discard`` removes it when the rest of
the run failed, so a failed run leaves every file as it was. Until then it has no name where
the kernel allows (``O_TMPFILE``): a run killed while it waits (SIGKILL, the OOM killer, with
its output in a pipe nobody reads) leaves no copy of the Secrets beside the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from typing import NamedTuple

from post_renderer.errors import OutputError, clipped

_NEW_FILE_MODE = 0o666  # the kernel applies the umask, as for a shell's '>'
_MAX_LINKS = 40  # the kernel's own limit on links in a row
_UNNAMED = getattr(os, "O_TMPFILE", 0) and os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC
# /proc/self/fd/N (where /dev/stdout and /dev/fd/N lead) names an open file of this process:
# renaming a file over what it resolves to would replace the shell's file, not write into it.
_DESCRIPTOR = re.compile(r"[0-9]+")


class PendingFile:
    """A file ready to take its place: ``commit`` puts it there, ``discard`` leaves the old
    one (and does nothing once committed)."""

    def __init__(self, path: str, target: str, data: bytes, temporary: _Staged | None,
                 private: bool = False) -> None:
        self._path, self._target, self._data, self._private = path, target, data, private
        self._temporary = temporary  # None: written into, when committed
        self.in_place = temporary is None  # a FIFO, a device: what is written stays written
        self._committed = False

    def commit(self) -> None:
        """Put the file in place, once: a second call does nothing."""
        if self._committed:
            return
        self._committed = True
        if self.in_place:
            _write_in_place(self._path, self._target, self._data, self._private)
            return
        staged = self._temporary
        if staged is None:  # discarded already
            return
        try:
            os.replace(staged.named(), self._target)
        except OSError as error:
            self.discard()
            raise _error(self._path, error) from None
        staged.name = None  # it is the file now
        staged.remove()
        self._temporary = None

    def discard(self) -> None:
        if self._temporary is not None:
            self._temporary.remove()
            self._temporary = None


class _Staged:
    """The new file, whole, beside its place: open, and without a name until ``named``
    gives it its temporary one, where the kernel can make such a file."""

    def __init__(self, target: str, descriptor: int, name: str | None) -> None:
        self._target, self.descriptor, self.name = target, descriptor, name

    def named(self) -> str:
        """Its temporary name beside the target, given now if it has none."""
        if self.name is None:
            name = _temporary_name(self._target)
            folder = os.open(os.path.dirname(name), os.O_RDONLY | os.O_CLOEXEC)
            try:  # a dst_dir_fd makes this linkat(AT_SYMLINK_FOLLOW): the open file gets it
                os.link(f"/proc/self/fd/{self.descriptor}", os.path.basename(name),
                        dst_dir_fd=folder, follow_symlinks=True)
            finally:
                os.close(folder)
            self.name = name
        return self.name

    def remove(self) -> None:
        """Closed, and its temporary name (if any) removed: nothing of it stays."""
        if self.descriptor >= 0:
            with contextlib.suppress(OSError):
                os.close(self.descriptor)
            self.descriptor = -1
        if self.name is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.name)
            self.name = None


def stage_output(path: str, data: bytes, *, new_file_mode: int = _NEW_FILE_MODE) -> PendingFile:
    """``data`` ready to be written to ``path``; refused (OutputError) before anything is
    written when it cannot be, or must not be.

    A new file gets ``new_file_mode`` less the umask (0600 for files that hold secrets); a file
    replaced keeps its mode and group, less what group and others had for files that hold
    secrets.
    """
    place, private = _checked_place(path), not new_file_mode & 0o077
    if private and place.status is not None and stat.S_ISFIFO(place.status.st_mode) and \
            place.status.st_mode & 0o044:  # (a shell's pipe is 0600)
        raise OutputError(f"cannot write {clipped(path)}: {_named(path, place.target)} a FIFO "
                          "other users may read, and whoever reads it first gets the secrets",
                          hint="make it yours alone (chmod go= it; mkfifo -m 600), or name a file")
    if place.own_stream or (place.status is not None and not stat.S_ISREG(place.status.st_mode)):
        return PendingFile(path, place.target, data, None, private=private)
    return PendingFile(path, place.target, data,
                       _write_temporary(path, place.target, data, place.status, new_file_mode))


def check_output(path: str) -> None:
    """Refuse (OutputError) a ``path`` that ``stage_output`` would refuse for where it is,
    writing nothing: for a command that has work to do first (a network probe), before it."""
    _checked_place(path)


def _checked_place(path: str) -> _Place:
    if not path:
        raise OutputError("cannot write the output: the file name is empty",
                          hint="name a file (is the variable it comes from set?)")
    place = _resolve(path)
    status = place.status
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise OutputError(f"cannot write {clipped(path)}: it is a directory",
                          hint="name a file in it, or another file, not the directory")
    if status is not None and stat.S_ISSOCK(status.st_mode) and not place.own_stream:
        raise OutputError(f"cannot write {clipped(path)}: it is a socket",
                          hint="name a regular file instead")
    if place.own_stream or (status is not None and not stat.S_ISREG(status.st_mode)):
        return place
    directory = os.path.dirname(place.target)
    if not os.path.isdir(directory):
        raise OutputError(f"cannot write {clipped(path)}: its directory {clipped(directory)} "
                          "does not exist",
                          hint="create the directory first, or name a file in an existing one")
    if not os.access(directory, os.W_OK | os.X_OK):  # the file is made there, then renamed
        if os.statvfs(directory).f_flag & os.ST_RDONLY:
            raise OutputError(f"cannot write {clipped(path)}: its directory "
                              f"{clipped(directory)} is on a read-only file system",
                              hint="name a file in a directory on a file system you can write to")
        raise OutputError(f"cannot write {clipped(path)}: its directory {clipped(directory)} "
                          "is not writable",
                          hint="name a file in a directory you can write to")
    return place


class _Place(NamedTuple):
    target: str  # the path with every link resolved
    status: os.stat_result | None  # the target's; None when it does not exist yet
    own_stream: bool  # reached through /proc: a file this process has open (/dev/stdout)


def _resolve(path: str) -> _Place:
    """Where ``path`` leads, each link on the way checked for its owner, and the file there
    checked for its owner (OutputError when another user's)."""
    # not os.path.abspath: it takes "link/.." for ".", where the kernel goes to the link's parent
    pending = list(reversed(os.path.join(os.getcwd(), path).split("/")))
    resolved, links = "/", 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":  # from a link's text: resolved holds no link, so this is its parent
            resolved = os.path.dirname(resolved)
            continue
        hop = os.path.join(resolved, part)
        if hop in ("/proc/self", f"/proc/{os.getpid()}") and len(pending) == 2 \
                and pending[1] == "fd" and _DESCRIPTOR.fullmatch(pending[0]):
            return _open_file(path, os.path.join(hop, "fd", pending[0]))
        try:
            found = os.lstat(hop)
        except FileNotFoundError:
            return _Place(os.path.join(hop, *reversed(pending)), None, False)
        except NotADirectoryError:  # 'ca.pem/out.pem': what stands for a directory is a file
            raise OutputError(f"cannot write {clipped(path)}: {clipped(resolved)} is a file, "
                              "not a directory",
                              hint="name a file in an existing directory") from None
        except OSError as error:
            raise _error(path, error) from None
        if not stat.S_ISLNK(found.st_mode):
            resolved = hop
            continue
        links += 1
        if links > _MAX_LINKS:
            raise _error(path, OSError(errno.ELOOP, os.strerror(errno.ELOOP)))
        if found.st_uid not in (0, os.geteuid()):  # root could write anywhere anyway
            raise OutputError(f"cannot write {clipped(path)}: {_named(path, hop)} a symbolic "
                              f"link made by another user ({_user(found.st_uid)}), which decides "
                              "where the file goes",
                              hint="remove the link, or name a file of your own")
        try:
            text = os.readlink(hop)
        except OSError as error:
            raise _error(path, error) from None
        resolved = "/" if text.startswith("/") else resolved
        pending.extend(reversed(text.split("/")))
    try:
        status = os.lstat(resolved)
    except OSError as error:
        raise _error(path, error) from None
    if stat.S_ISFIFO(status.st_mode) and status.st_uid != os.geteuid():
        raise OutputError(f"cannot write {clipped(path)}: {_named(path, resolved)} a FIFO of "
                          f"another user ({_user(status.st_uid)}), who reads what is written "
                          "into it",
                          hint="remove it if it is yours to replace, or name another file")
    return _Place(resolved, status, False)


def _open_file(path: str, descriptor: str) -> _Place:
    """A file this process has open, checked before anything is written: open, and not a
    file or FIFO of another user (``9<>their-fifo``), which is written into as it is."""
    try:
        found = os.stat(descriptor)
    except OSError as error:  # not open: a run that fails writes nothing
        raise _error(path, error) from None
    kind = stat.S_IFMT(found.st_mode)
    try:  # a pipe or socket (pipe:[N]) is the shell's, whoever made it; a named file, its owner's
        named = not os.readlink(descriptor).startswith(("pipe:", "socket:"))
    except OSError:
        named = True
    if kind in (stat.S_IFREG, stat.S_IFIFO) and named \
            and found.st_uid not in (0, os.geteuid()):
        raise OutputError(f"cannot write {clipped(path)}: it is open on a file of another user "
                          f"({_user(found.st_uid)}), who could read what is written",
                          hint="name a file of your own")
    return _Place(descriptor, found, True)


def _named(path: str, hop: str) -> str:
    return "it is" if hop == os.path.normpath(os.path.join(os.getcwd(), path)) \
        else f"{clipped(hop)} is"


def _user(uid: int) -> str:
    import pwd  # only to name the owner of a file refused

    try:
        return f"user '{pwd.getpwuid(uid).pw_name}'"
    except KeyError:
        return f"user {uid}"


def _write_in_place(path: str, target: str, data: bytes, private: bool) -> None:
    """Into the file as it is: through this process's own descriptor when ``target`` is one
    (its offset and O_APPEND kept: '3>>log' is appended to, a socket written), else opened;
    for secrets, a file of ours reached so ('9>s.yaml', 0644) first made ours alone."""
    own = re.fullmatch(rf"/proc/(?:self|{os.getpid()})/fd/([0-9]+)", target)
    try:
        if own:
            if private:
                _owners_alone(int(own.group(1)))
            view = memoryview(data)
            while view:
                view = view[os.write(int(own.group(1)), view):]
            return
        with open(target, "wb") as stream:
            stream.write(data)
    except OSError as error:
        raise _error(path, error) from None


def _write_temporary(path: str, target: str, data: bytes, status: os.stat_result | None,
                     new_file_mode: int) -> _Staged:
    """The temporary file beside ``target``, written whole and flushed to disk."""
    mode = new_file_mode if status is None else 0o600
    staged = _unnamed(target, mode)
    if staged is None:
        temporary = _temporary_name(target)
        try:
            staged = _Staged(target, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                                             os.O_CLOEXEC, mode), temporary)
        except OSError as error:
            raise _error(path, error) from None
    try:
        with os.fdopen(staged.descriptor, "wb", closefd=False) as stream:
            if status is not None:  # a file for secrets stays its owner's alone
                _keep_mode_and_group(stream.fileno(), status, private=not new_file_mode & 0o077)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        staged.remove()
        raise _error(path, error) from None
    except BaseException:
        staged.remove()
        raise
    return staged


def _unnamed(target: str, mode: int) -> _Staged | None:
    """An open file without a name in ``target``'s directory (``O_TMPFILE``, named later
    through ``/proc/self/fd``); None where the file system or a missing /proc cannot."""
    if not _UNNAMED:
        return None
    try:
        descriptor = os.open(os.path.dirname(target), _UNNAMED, mode)
    except OSError:  # the named way says what else is wrong
        return None
    if not os.path.exists(f"/proc/self/fd/{descriptor}"):
        os.close(descriptor)
        return None
    return _Staged(target, descriptor, None)


def _temporary_name(target: str) -> str:
    return os.path.join(os.path.dirname(target),
                        f".{os.path.basename(target)}.ocean-proxy-{secrets.token_hex(4)}")


def _owners_alone(fd: int) -> None:
    import fcntl  # (open only for reading, the write fails: the file stays as it was)
    found, flags = os.fstat(fd), fcntl.fcntl(fd, fcntl.F_GETFL)
    if stat.S_ISREG(found.st_mode) and found.st_uid == os.geteuid() and \
            found.st_mode & 0o077 and flags & os.O_ACCMODE != os.O_RDONLY:
        os.fchmod(fd, stat.S_IMODE(found.st_mode) & ~0o077)


def _keep_mode_and_group(fd: int, status: os.stat_result, private: bool) -> None:
    mode = stat.S_IMODE(status.st_mode)
    os.fchmod(fd, mode & ~0o077 if private else mode)
    if status.st_gid != os.getegid():
        with contextlib.suppress(OSError):  # only a member of the group may give it the file
            os.fchown(fd, -1, status.st_gid)


def _error(path: str, error: OSError) -> OutputError:
    return OutputError(f"cannot write {clipped(path)}: {error.strerror or 'write failed'}",
                       hint="check the path, its permissions and the free space")
