"""Writing a result file so that it is complete or absent, never half-written."""

from __future__ import annotations

import contextlib
import os
import tempfile

from post_renderer.errors import ConfigError


def write_atomically(path: str, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".ocean-proxy-", dir=directory)
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror or 'not writable'}",
                          hint="check that its directory exists and is writable") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as error:
        _remove(temporary)
        raise ConfigError(f"cannot write {path}: {error.strerror or 'write failed'}",
                          hint="check the path, its permissions and the free space") from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
