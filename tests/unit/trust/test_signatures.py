"""signatures: RSA PKCS#1 v1.5 and ECDSA checks agree with cryptography's on real keys."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from post_renderer.trust.signatures import CURVES, ecdsa_valid, rsa_pkcs1_valid

MESSAGE = b"the TBSCertificate bytes" * 20
_HASHES = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224,
           "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(65537, 2048)


@pytest.mark.parametrize("hash_name", sorted(_HASHES))
def test_an_rsa_signature_is_valid_only_for_its_message_and_hash(rsa_key, hash_name):
    numbers = rsa_key.public_key().public_numbers()
    signature = rsa_key.sign(MESSAGE, padding.PKCS1v15(), _HASHES[hash_name]())
    assert rsa_pkcs1_valid(numbers.n, numbers.e, signature, hash_name, MESSAGE)
    assert not rsa_pkcs1_valid(numbers.n, numbers.e, signature, hash_name, MESSAGE + b"!")
    other = "sha256" if hash_name != "sha256" else "sha384"
    assert not rsa_pkcs1_valid(numbers.n, numbers.e, signature, other, MESSAGE)
    assert not rsa_pkcs1_valid(numbers.n, numbers.e, signature[1:], hash_name, MESSAGE)


def test_an_rsa_pss_signature_is_not_a_pkcs1_one(rsa_key):
    numbers = rsa_key.public_key().public_numbers()
    signature = rsa_key.sign(MESSAGE, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                             hashes.SHA256())
    assert not rsa_pkcs1_valid(numbers.n, numbers.e, signature, "sha256", MESSAGE)


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()],
                         ids=lambda c: c.name)
@pytest.mark.parametrize("hash_name", ["sha224", "sha256", "sha384", "sha512"])
def test_an_ecdsa_signature_is_valid_only_for_its_message_and_key(curve, hash_name):
    key = ec.generate_private_key(curve)
    numbers = key.public_key().public_numbers()
    point = (numbers.x, numbers.y)
    signature = key.sign(MESSAGE, ec.ECDSA(_HASHES[hash_name]()))
    assert ecdsa_valid(curve.name, point, signature, hash_name, MESSAGE)
    assert not ecdsa_valid(curve.name, point, signature, hash_name, MESSAGE + b"!")
    other = ec.generate_private_key(curve).public_key().public_numbers()
    assert not ecdsa_valid(curve.name, (other.x, other.y), signature, hash_name, MESSAGE)
    assert not ecdsa_valid(curve.name, point, signature + b"\x00", hash_name, MESSAGE)


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()],
                         ids=lambda c: c.name)
def test_the_curve_constants_are_cryptography_s(curve):
    ours = CURVES[curve.name]
    base = ec.derive_private_key(1, curve).public_key().public_numbers()
    assert ours.g == (base.x, base.y) and ours.contains(ours.g)
    assert ours.p.bit_length() == curve.key_size
    # n * G is the point at infinity: a key of n is refused, n - 1 gives -G
    minus = ec.derive_private_key(ours.n - 1, curve).public_key().public_numbers()
    assert (minus.x, minus.y) == (base.x, ours.p - base.y)
