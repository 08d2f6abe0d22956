"""The output cache's digests are hashlib's and hmac's, to the byte."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from post_renderer import digests

# CPython's built-in hashes for small data, OpenSSL's (through hashlib) for large: both, here
# (a test process has hashlib imported, which alone would choose OpenSSL every time).
IMPLEMENTATIONS = pytest.mark.parametrize("large", [False, True], ids=["built-in", "openssl"])


@IMPLEMENTATIONS
@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_hmac_sha256_is_the_standard_librarys(large, key, message):
    with mock.patch.object(digests, "_large", lambda size, limit=0: large):
        assert digests.hmac_sha256(key, message) == \
            hmac.new(key, message, hashlib.sha256).digest()


@IMPLEMENTATIONS
@given(data=st.binary(max_size=300), length=st.integers(0, 300))
def test_the_hashes_are_the_standard_librarys(large, data, length):
    with mock.patch.object(digests, "_large", lambda size, limit=0: large):
        assert digests.sha256(data) == hashlib.sha256(data).digest()
        assert digests.sha256_hex(data) == hashlib.sha256(data).hexdigest()
        assert digests.shake_256(data, length) == hashlib.shake_256(data).digest(length)


def test_openssl_hashes_large_data_and_the_built_in_ones_the_rest():
    """In a fresh process: small data is hashed without loading hashlib, large data with it."""
    code = ("import sys; from post_renderer import digests; "
            "digests.hmac_sha256(b'k', bytes(200 << 10)); digests.shake_256(b'k', 100 << 10); "
            "assert 'hashlib' not in sys.modules; "
            "digests.sha256(bytes(256 << 10)); assert 'hashlib' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@given(first=st.binary(max_size=40), second=st.binary(max_size=40))
def test_comparing_digests_is_the_standard_librarys(first, second):
    for other in (first, second):
        assert digests.compare_digest(first, other) == hmac.compare_digest(first, other)
