"""Where ocean-proxy's caches live, whether they are on at all, and the user's cache secret.

``$OCEAN_PROXY_CACHE_DIR``, else ``ocean-proxy/`` in helm's cache directory
(``$HELM_CACHE_HOME``, ``$XDG_CACHE_HOME/helm``, ``~/.cache/helm``); ``--no-cache`` or
``OCEAN_PROXY_NO_CACHE=1`` turns every cache off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

_SECRET = 32  # bytes of the user's cache secret


def cache_home(environ: Mapping[str, str], *, disabled: bool = False) -> str | None:
    """The directory the caches go under, or None when they are turned off (a str: a hit of
    the output cache does without pathlib)."""
    if disabled or environ.get("OCEAN_PROXY_NO_CACHE", "") not in ("", "0"):
        return None
    return environ.get("OCEAN_PROXY_CACHE_DIR") or os.path.join(helm_home(environ, "CACHE"),
                                                                "ocean-proxy")


def helm_home(environ: Mapping[str, str], kind: str) -> str:
    """Helm's own CACHE or CONFIG directory: ``$HELM_<kind>_HOME``, ``$XDG_<kind>_HOME/helm``,
    else ``~/.cache/helm`` or ``~/.config/helm``."""
    xdg = environ.get(f"XDG_{kind}_HOME")
    return environ.get(f"HELM_{kind}_HOME") or (
        os.path.join(xdg, "helm") if xdg
        else os.path.join(os.path.expanduser("~"), f".{kind.lower()}", "helm"))


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
        try:  # noqa: SIM105 - contextlib.suppress would be an import for every cache hit
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True


def secret_path(environ: Mapping[str, str]) -> str:
    """``$OCEAN_PROXY_CACHE_KEY_FILE``, else ``ocean-proxy/cache.key`` in helm's config
    directory (``$HELM_CONFIG_HOME``, ``$XDG_CONFIG_HOME/helm``, ``~/.config/helm``)."""
    if environ.get("OCEAN_PROXY_CACHE_KEY_FILE"):
        return environ["OCEAN_PROXY_CACHE_KEY_FILE"]
    return os.path.join(helm_home(environ, "CONFIG"), "ocean-proxy", "cache.key")


def machine_secret(environ: Mapping[str, str]) -> bytes | None:
    """The user's random cache secret, made on first use (0600); None when it can be neither
    read nor made, and then nothing is cached."""
    path = secret_path(environ)
    for _ in range(2):
        try:
            with open(path, "rb") as handle:
                secret = handle.read(_SECRET + 1)
            return secret if len(secret) == _SECRET else None
        except FileNotFoundError:
            pass
        except OSError:
            return None
        try:
            os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(os.urandom(_SECRET))
        except FileExistsError:  # another run made it first: read theirs
            continue
        except OSError:
            return None
    return None
