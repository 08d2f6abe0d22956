"""Whole post-renderer runs remembered, encrypted, by what they read: Argo CD and CI render
the same input with the same settings again and again, and a hit replays the run without
importing the render pipeline (ruamel.yaml, cryptography).

    cache = output_cache_for(os.environ)           # OutputCache(None) when turned off
    entry = cache.load(key)                        # None: run, then cache.store(key, entry)

``key`` is the SHA-256 of everything the output and the messages depend on (the caller's
business: this version's code, the settings, the files they name, the input). An entry holds
the output bytes and the messages, which contain proxy passwords and CA Secrets, so it is
never kept in clear: it is encrypted with a keystream derived from ``key`` (SHAKE-256 over a
key derived from it and a random nonce), authenticated with HMAC-SHA256 under another key
derived from it, and named by yet another hash of it. Every key is first mixed with a random
secret of this machine's user, kept outside the cache (``cache.key`` in helm's config
directory, or ``$OCEAN_PROXY_CACHE_KEY_FILE``): a copy of the cache directory alone, e.g. a
CI cache, can neither be read nor used to test password guesses. Whoever lacks the input,
the settings or that secret can neither find nor read an entry. An entry is used only
between ``valid_from`` and ``valid_until`` (the first moment a certificate verdict changes)
and while the files it ``depends`` on still hash the same. Files are 0600 in a 0700
``outputs/`` directory under ``cache_home``; damage of any kind, a read-only or missing
directory, or two runs at once are only ever a miss. Outputs over 4 MiB are not kept;
entries are dropped after 14 days and beyond the newest 200.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Mapping

from post_renderer import TYPE_CHECKING, __version__
from post_renderer.cache_home import cache_home, machine_secret, store_file
from post_renderer.digests import compare_digest, hmac_sha256, sha256, sha256_hex, shake_256

if TYPE_CHECKING:
    from typing import Any

MAX_OUTPUT_BYTES = 4 * 1024 * 1024
MAX_META_BYTES = 1024 * 1024
MAX_AGE_SECONDS = 14 * 24 * 3600
MAX_ENTRIES = 200
MAX_DEPENDENCY_BYTES = 64 * 1024 * 1024  # a CA or config file is refused far below this
_MAGIC = b"ocean-proxy output 1\n"
_NONCE = 16
_TAG = 32


def now() -> float:
    """The clock entries are judged by (seconds since the epoch); tests replace it."""
    return time.time()


class Entry:
    """One run: what it wrote and said, when that stays true, and the files it read. (A
    plain class, not a NamedTuple: a hit does not import typing.)"""

    __slots__ = ("depends", "messages", "output", "valid_from", "valid_until")

    def __init__(self, output: bytes, messages: tuple[tuple[str, str], ...], valid_from: float,
                 valid_until: float | None, depends: tuple[tuple[str, str], ...] = ()) -> None:
        self.output = output
        self.messages = messages  # (level, text), in the order said
        self.valid_from = valid_from
        self.valid_until = valid_until  # None: no certificate verdict ever changes it
        self.depends = depends  # (path, file_digest) of files the run read


class OutputCache:
    """Entries by key in ``directory``; ``directory=None`` remembers nothing."""

    def __init__(self, directory: str | None, secret: bytes = b"") -> None:
        self.directory = directory
        self._secret = secret

    def _keyed(self, key: bytes) -> bytes:
        return hmac_sha256(self._secret, key)

    def load(self, key: bytes) -> Entry | None:
        """The entry stored under ``key`` if it is intact and still true now; else None."""
        if self.directory is None:
            return None
        key = self._keyed(key)
        try:
            with open(os.path.join(self.directory, _name(key)), "rb") as handle:
                sealed = handle.read(len(_MAGIC) + _NONCE + MAX_META_BYTES + MAX_OUTPUT_BYTES
                                     + 4 + _TAG + 1)
            entry = _entry(_open(key, sealed))
        except (OSError, ValueError, KeyError, TypeError):  # any damage is a miss
            return None
        moment = now()
        if moment < entry.valid_from or (entry.valid_until is not None
                                         and moment >= entry.valid_until):
            return None
        if any(file_digest(path) != digest for path, digest in entry.depends):
            return None
        return entry

    def store(self, key: bytes, entry: Entry) -> None:
        """Keep ``entry`` under ``key``, if it is small enough and the directory writable."""
        if self.directory is None or len(entry.output) > MAX_OUTPUT_BYTES:
            return
        key = self._keyed(key)
        meta = json.dumps({"messages": entry.messages, "valid_from": entry.valid_from,
                           "valid_until": entry.valid_until, "depends": entry.depends})
        plain = meta.encode("utf-8")
        if len(plain) > MAX_META_BYTES:
            return
        sealed = _seal(key, len(plain).to_bytes(4, "big") + plain + entry.output)
        if not store_file(self.directory, _name(key), sealed, 0o600):
            return  # read-only, full or raced: the next run renders again
        self._prune()

    def _prune(self) -> None:
        """Drop old entries and those beyond the newest MAX_ENTRIES (and stray temp files)."""
        assert self.directory is not None
        try:
            with os.scandir(self.directory) as found:
                entries = [(item.stat().st_mtime, item.path) for item in found]
        except OSError:
            return
        entries.sort(reverse=True)
        oldest = now() - MAX_AGE_SECONDS
        for position, (mtime, path) in enumerate(entries):
            if position >= MAX_ENTRIES or mtime < oldest:
                try:  # noqa: SIM105 - contextlib.suppress: an import for every cache hit
                    os.unlink(path)
                except OSError:
                    pass


def output_cache_for(environ: Mapping[str, str], *, disabled: bool = False) -> OutputCache:
    """The cache the environment asks for, or a disabled one (also when there is no secret)."""
    home = cache_home(environ, disabled=disabled)
    secret = machine_secret(environ) if home is not None else None
    if home is None or secret is None:
        return OutputCache(None)
    return OutputCache(os.path.join(home, "outputs"), secret)


def file_digest(path: str) -> str | None:
    """SHA-256 of a regular file's bytes; None for anything else (a pipe is read only once)."""
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            return sha256_hex(handle.read(MAX_DEPENDENCY_BYTES))
    except OSError:
        return None


def code_identity() -> bytes:
    """This ocean-proxy and what it renders with: the version, Python, and the size and time
    of every module and data file (the auto-update Job's post-renderer is written into the
    output), so an edited checkout or an upgraded library is another program."""
    import sys

    files = [os.path.join(folder, name)
             for folder, _, names in os.walk(os.path.dirname(__file__))
             if not folder.endswith("__pycache__")
             for name in sorted(names) if not name.endswith(".pyc")]
    for module in ("ruamel/yaml/__init__.py", "cryptography/__init__.py"):
        # found as the import system would, without importing even the namespace 'ruamel'
        places = (os.path.join(entry or ".", module) for entry in sys.path)
        files += [next((path for path in places if os.path.isfile(path)), module)]
    stamps = []
    for path in sorted(files):
        try:
            found = os.stat(path)
        except OSError:
            continue
        stamps.append((path, found.st_size, found.st_mtime_ns))
    return json.dumps([__version__, sys.version, stamps]).encode("utf-8")


def _derived(key: bytes, purpose: bytes) -> bytes:
    return sha256(purpose + b"\0" + key)


def _name(key: bytes) -> str:
    return _derived(key, b"name").hex()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    return shake_256(_derived(key, b"encrypt") + nonce, length)


def _xor(data: bytes, stream: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(
        len(data), "big")


def _seal(key: bytes, plain: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    body = _MAGIC + nonce + _xor(plain, _keystream(key, nonce, len(plain)))
    return body + hmac_sha256(_derived(key, b"authenticate"), body)


def _open(key: bytes, sealed: bytes) -> bytes:
    body, tag = sealed[:-_TAG], sealed[-_TAG:]
    expected = hmac_sha256(_derived(key, b"authenticate"), body)
    if len(sealed) < len(_MAGIC) + _NONCE + _TAG or not body.startswith(_MAGIC) \
            or not compare_digest(tag, expected):
        raise ValueError("not an intact entry for this key")
    nonce, cipher = body[len(_MAGIC):len(_MAGIC) + _NONCE], body[len(_MAGIC) + _NONCE:]
    return _xor(cipher, _keystream(key, nonce, len(cipher)))


def _entry(plain: bytes) -> Entry:
    size = int.from_bytes(plain[:4], "big")
    meta: Any = json.loads(plain[4:4 + size])
    messages = tuple((_text(level), _text(text)) for level, text in meta["messages"])
    depends = tuple((_text(path), _text(digest)) for path, digest in meta["depends"])
    valid_until = meta["valid_until"]
    if valid_until is not None:
        valid_until = _number(valid_until)
    return Entry(plain[4 + size:], messages, _number(meta["valid_from"]), valid_until, depends)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _number(value: Any) -> float:
    if type(value) not in (int, float):
        raise ValueError("not a number")
    return float(value)
