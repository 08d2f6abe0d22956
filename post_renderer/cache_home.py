"""Where ocean-proxy's caches live, and whether they are on at all.

``$OCEAN_PROXY_CACHE_DIR``, else ``ocean-proxy/`` in helm's cache directory
(``$HELM_CACHE_HOME``, ``$XDG_CACHE_HOME/helm``, ``~/.cache/helm``); ``--no-cache`` or
``OCEAN_PROXY_NO_CACHE=1`` turns every cache off.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping


def cache_home(environ: Mapping[str, str], *, disabled: bool = False) -> str | None:
    """The directory the caches go under, or None when they are turned off (a str: a hit of
    the output cache does without pathlib)."""
    if disabled or environ.get("OCEAN_PROXY_NO_CACHE", "") not in ("", "0"):
        return None
    base = environ.get("OCEAN_PROXY_CACHE_DIR")
    if not base:
        helm = environ.get("HELM_CACHE_HOME") or (
            os.path.join(environ["XDG_CACHE_HOME"], "helm") if environ.get("XDG_CACHE_HOME")
            else os.path.join(os.path.expanduser("~"), ".cache", "helm"))
        base = os.path.join(helm, "ocean-proxy")
    return base


def store_file(directory: str, name: str, data: bytes, mode: int) -> bool:
    """Put ``data`` in ``directory/name`` whole or not at all (a temporary file, renamed);
    False when the directory is read-only, full or raced: a cache only misses then."""
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, os.path.join(directory, name))
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True
