"""The output cache's digests are hashlib's and hmac's, to the byte."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from post_renderer import digests


@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_hmac_sha256_is_the_standard_librarys(key, message):
    assert digests.hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).digest()


@given(data=st.binary(max_size=300), length=st.integers(0, 300))
def test_the_hashes_are_the_standard_librarys(data, length):
    assert digests.sha256(data) == hashlib.sha256(data).digest()
    assert digests.sha256_hex(data) == hashlib.sha256(data).hexdigest()
    assert digests.shake_256(data, length) == hashlib.shake_256(data).digest(length)


@given(first=st.binary(max_size=40), second=st.binary(max_size=40))
def test_comparing_digests_is_the_standard_librarys(first, second):
    for other in (first, second):
        assert digests.compare_digest(first, other) == hmac.compare_digest(first, other)
