"""Where ocean-proxy's certificate cache lives, whether it is on at all, the user's cache
secret, and what earlier builds left in it.

``$OCEAN_PROXY_CACHE_DIR``, else ``ocean-proxy/`` in helm's cache directory
(``$HELM_CACHE_HOME``, ``$XDG_CACHE_HOME/helm``, ``~/.cache/helm``); ``--no-cache`` or
``OCEAN_PROXY_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping

from post_renderer.private_files import (
    create_file,
    creation_refusal,
    read_opened,
    refusal,
    remove_written,
)
from post_renderer.switches import switch

_SECRET = 32  # bytes of the user's cache secret
# Earlier builds of ocean-proxy kept whole renders in outputs/ under the cache directory: files
# named by 64 hex digits, and their temporaries while being written, all starting so.
_EARLIER_RENDERS = "outputs"
_EARLIER_RENDER_NAME = \
    r"[0-9a-f]{64}|\.[0-9]+\.[0-9a-f]{16}\.tmp|\.[0-9a-f]{64}\.[0-9]+\.[0-9a-f]{8}\.tmp"
_EARLIER_RENDER_HEADER = b"ocean-proxy output 1\n"


def cache_home(environ: Mapping[str, str], *, disabled: bool = False) -> str | None:
    """The directory the cache goes under, or None when it is turned off (or has nowhere to
    go: no home directory and none named)."""
    if disabled or switch(environ, "OCEAN_PROXY_NO_CACHE"):
        return None
    if environ.get("OCEAN_PROXY_CACHE_DIR"):
        return environ["OCEAN_PROXY_CACHE_DIR"]
    helm = helm_home(environ, "CACHE")
    return None if helm is None else os.path.join(helm, "ocean-proxy")


def helm_home(environ: Mapping[str, str], kind: str) -> str | None:
    """Helm's own CACHE or CONFIG directory: ``$HELM_<kind>_HOME``, ``$XDG_<kind>_HOME/helm``,
    else ``~/.cache/helm`` or ``~/.config/helm``; None when there is no home directory."""
    if environ.get(f"HELM_{kind}_HOME"):
        return environ[f"HELM_{kind}_HOME"]
    if environ.get(f"XDG_{kind}_HOME"):
        return os.path.join(environ[f"XDG_{kind}_HOME"], "helm")
    # Without HOME, the passwd entry's; a user id with none (docker run --user 1234) leaves
    # '~' as it is, which would be a folder of that name in the current directory: the CI
    # job's checkout, with the cache key in it.
    home = os.path.expanduser("~")
    return os.path.join(home, f".{kind.lower()}", "helm") if os.path.isabs(home) else None


def secret_path(environ: Mapping[str, str]) -> str | None:
    """``$OCEAN_PROXY_CACHE_KEY_FILE``, else ``ocean-proxy/cache.key`` in helm's config
    directory (``$HELM_CONFIG_HOME``, ``$XDG_CONFIG_HOME/helm``, ``~/.config/helm``); None
    when there is no home directory."""
    if environ.get("OCEAN_PROXY_CACHE_KEY_FILE"):
        return environ["OCEAN_PROXY_CACHE_KEY_FILE"]
    helm = helm_home(environ, "CONFIG")
    return None if helm is None else os.path.join(helm, "ocean-proxy", "cache.key")


def url_refusal(path: str | None) -> str | None:
    """Why ``path`` is no place for the cache or its key: a proxy URL set in the wrong
    variable, which would become folders named after its password."""
    if path is not None and ("://" in path or re.search(r":[^/]*@", path)):
        # its password is said nowhere else when the release's proxy URL is another one
        place = re.sub(r"(?s)^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", r"\1***@", path)
        return f"{place} is a URL, not a path (a proxy URL set in the wrong variable?)"
    return None


def user_secret(environ: Mapping[str, str], path: str | None) -> tuple[bytes | None, str | None]:
    """The user's random cache secret in ``path`` (``secret_path``'s), made on first use
    (0600), or None; and, when a key file is there but must not be used (a link, another
    user's, readable by others), or must not be made where it goes, why."""
    if path is None:  # no home: said when the cache was asked for by name, else its absence
        return None, ("there is no home directory to keep its key in (set "
                      "OCEAN_PROXY_CACHE_KEY_FILE to a file outside the cache directory)"
                      if environ.get("OCEAN_PROXY_CACHE_DIR") else None)
    for _ in range(2):
        try:
            found = os.lstat(path)
        except FileNotFoundError:
            why = creation_refusal(path)
            if why is not None:
                return None, why
            create_file(path, os.urandom(_SECRET))  # or another run made it first: read theirs
            continue
        except PermissionError:  # a folder on its way, made by another user (sudo)
            return None, f"the cache key {path} cannot be reached (permission denied)"
        except OSError:
            return None, None
        if not stat.S_ISREG(found.st_mode):
            return None, f"the cache key {path} is not a regular file"
        why = refusal(found, f"the cache key {path}")
        if why is not None:
            return None, why
        if found.st_size != _SECRET:  # cut short, or not a key we made
            return None, f"the cache key {path} is not {_SECRET} bytes (delete it: a new one " \
                         "is made)"
        secret = read_opened(path, _SECRET)
        return (secret if secret is not None and len(secret) == _SECRET else None), None
    return None, None


def delete_earlier_renders(home: str) -> str | None:
    """Delete the renders an earlier build of ocean-proxy kept under the cache directory
    ``home`` (encrypted, with the Spot token and the proxy password in them); what to tell the
    user, or None. Only files that build wrote go (its names and its header, this user's own
    files; no link in or to ``outputs/`` followed), then that folder once the deletion emptied
    it. That build made ``home`` with the default mode, which the certificate cache refuses
    when others may read it: the renders go whatever ``home`` is, as long as their folder is
    this user's and nobody else can write to it. A folder that is not is left, and each run
    says so while it holds names like theirs."""
    folder = os.path.join(home, _EARLIER_RENDERS)
    try:
        os.lstat(folder)
    except OSError:
        return None  # the usual case: one failed lstat
    deleted, left_because = remove_written(home, _EARLIER_RENDERS, re.compile(_EARLIER_RENDER_NAME),
                                           _EARLIER_RENDER_HEADER)
    if left_because is not None:
        return (f"{folder} {left_because}, so it is left as it is: if an earlier ocean-proxy "
                "kept rendered releases there (encrypted, with the Spot token and the proxy "
                "password), delete them as its owner")
    if not deleted:
        return None
    return (f"deleted {deleted} file(s) of rendered releases that an earlier ocean-proxy kept, "
            f"encrypted, in {folder}: ocean-proxy no longer keeps renders on disk")
