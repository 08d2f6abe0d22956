"""SHA-256, SHAKE-256 and HMAC-SHA256 for the output cache, loading OpenSSL only for big data.

``import hashlib`` loads OpenSSL's libcrypto (``_hashlib``), the slowest import a cache hit
would make. CPython also builds these hashes in (``_sha2``, before 3.12 ``_sha256``, and
``_sha3``), with the same digests (``tests/unit/test_digests.py``) but about a seventh of
OpenSSL's speed: they hash what is small, hashlib the rest (and everything once it is
imported), and a Python without them uses hashlib throughout.

    hmac_sha256(key, message)     # == hmac.new(key, message, hashlib.sha256).digest()
    sha256(data), sha256_hex(data), shake_256(data, 64)
"""

from __future__ import annotations

import sys

# the constant-time comparison hmac.compare_digest falls back to without OpenSSL
from _operator import _compare_digest as compare_digest

try:
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment,unused-ignore]
try:
    from _sha3 import shake_256 as _shake_256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    from hashlib import shake_256 as _shake_256  # type: ignore[assignment,unused-ignore]

from post_renderer import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

__all__ = ["compare_digest", "hmac_sha256", "sha256", "sha256_hex", "shake_256"]

# From here on, OpenSSL's speed repays importing hashlib (about 3.5 ms): the built-in SHA-256
# takes about 4.6 ms a MiB to OpenSSL's 0.6, the built-in SHAKE-256 about 10.7 to 2.7.
_LARGE_HASHED = 256 << 10
_LARGE_SHAKEN = 128 << 10
_BLOCK = 64  # SHA-256's block size, in bytes
_INNER = bytes(byte ^ 0x36 for byte in range(256))
_OUTER = bytes(byte ^ 0x5C for byte in range(256))


def sha256(data: bytes) -> bytes:
    return bytes(_sha256_for(len(data))(data).digest())


def sha256_hex(data: bytes) -> str:
    return str(_sha256_for(len(data))(data).hexdigest())


def shake_256(data: bytes, length: int) -> bytes:
    if _large(length, _LARGE_SHAKEN):
        import hashlib

        return hashlib.shake_256(data).digest(length)
    return bytes(_shake_256(data).digest(length))


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC (RFC 2104) with SHA-256."""
    if len(key) > _BLOCK:
        key = sha256(key)
    key = key.ljust(_BLOCK, b"\0")
    return sha256(key.translate(_OUTER) + sha256(key.translate(_INNER) + message))


def _sha256_for(size: int) -> Any:
    if _large(size):
        import hashlib

        return hashlib.sha256
    return _sha256


def _large(size: int, limit: int = _LARGE_HASHED) -> bool:
    return size >= limit or "hashlib" in sys.modules
