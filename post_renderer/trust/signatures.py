"""Signature checks in pure Python, for a certificate's signature under its own key.

RSA PKCS#1 v1.5 (the whole EMSA-PKCS1-v1_5 encoding, DigestInfo included) and ECDSA on
P-256, P-384 and P-521. They answer only "this signature is valid": a caller treats False
as "not sure" and asks cryptography, so no odd encoding can be judged differently here.

    rsa_pkcs1_valid(n, e, signature, "sha256", tbs)
    ecdsa_valid("secp256r1", (x, y), signature_der, "sha384", tbs)
"""

from __future__ import annotations

import hashlib

from post_renderer.trust.der import INTEGER, SEQUENCE, DerReader, NotHandled, positive

# The DER DigestInfo prefix (RFC 8017 section 9.2, note 1) before the digest itself.
_DIGEST_INFO = {
    "md5": bytes.fromhex("3020300c06082a864886f70d020505000410"),
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha224": bytes.fromhex("302d300d06096086480165030402040500041c"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


class Curve:
    """A short Weierstrass curve y^2 = x^3 - 3x + b over GF(p), with base point order n."""

    def __init__(self, name: str, p: int, b: int, gx: int, gy: int, n: int) -> None:
        self.name, self.p, self.b, self.g, self.n = name, p, b, (gx, gy), n
        self.bytes = (p.bit_length() + 7) // 8

    def contains(self, point: tuple[int, int]) -> bool:
        x, y = point
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - x * x * x + 3 * x - self.b) % p == 0


CURVES = {curve.name: curve for curve in (
    Curve("secp256r1",
          0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
          0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
          0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
          0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551),
    Curve("secp384r1",
          int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE"
              "FFFFFFFF0000000000000000FFFFFFFF", 16),
          int("B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875A"
              "C656398D8A2ED19D2A85C8EDD3EC2AEF", 16),
          int("AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A38"
              "5502F25DBF55296C3A545E3872760AB7", 16),
          int("3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C0"
              "0A60B1CE1D7E819D7A431D7C90EA0E5F", 16),
          int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
              "581A0DB248B0A77AECEC196ACCC52973", 16)),
    Curve("secp521r1",
          (1 << 521) - 1,
          int("0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF1"
              "09E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B50"
              "3F00", 16),
          int("00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D"
              "3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5"
              "BD66", 16),
          int("011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E"
              "662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD1"
              "6650", 16),
          int("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
              "FFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E9138"
              "6409", 16)),
)}


def rsa_pkcs1_valid(n: int, e: int, signature: bytes, hash_name: str, message: bytes) -> bool:
    """Whether ``signature`` is the EMSA-PKCS1-v1_5 signature of ``message`` under (n, e)."""
    size = (n.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    s = int.from_bytes(signature, "big")
    if s >= n:
        return False
    digest = _DIGEST_INFO[hash_name] + hashlib.new(hash_name, message).digest()
    padding = size - 3 - len(digest)
    if padding < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding + b"\x00" + digest
    return pow(s, e, n).to_bytes(size, "big") == expected


def ecdsa_valid(curve_name: str, point: tuple[int, int], signature: bytes, hash_name: str,
                message: bytes) -> bool:
    """Whether the DER ``signature`` is an ECDSA signature of ``message`` by ``point``."""
    curve = CURVES[curve_name]
    try:
        outer = DerReader(signature)
        body = outer.nested(SEQUENCE)
        r, s = positive(body.element(INTEGER)), positive(body.element(INTEGER))
        body.end()
        outer.end()
    except NotHandled:
        return False
    n = curve.n
    if not (r < n and s < n and curve.contains(point)):
        return False
    digest = hashlib.new(hash_name, message).digest()
    z = int.from_bytes(digest, "big") >> max(0, 8 * len(digest) - n.bit_length())
    w = pow(s, -1, n)
    total = _shamir(curve, z * w % n, curve.g, r * w % n, point)
    return total is not None and total[0] % n == r


# Jacobian coordinates (X, Y, Z) stand for (X/Z^2, Y/Z^3); Z == 0 is the point at infinity.
_Jacobian = tuple[int, int, int]


def _shamir(curve: Curve, a: int, p: tuple[int, int], b: int, q: tuple[int, int]
            ) -> tuple[int, int] | None:
    """a*P + b*Q in one pass over the bits (Shamir's trick), as affine, or None: infinity."""
    m = curve.p
    table = {1: (*p, 1), 2: (*q, 1), 3: _add(curve, (*p, 1), (*q, 1))}
    total: _Jacobian = (1, 1, 0)
    for bit in range(max(a.bit_length(), b.bit_length()) - 1, -1, -1):
        total = _double(curve, total)
        pick = ((a >> bit) & 1) | (((b >> bit) & 1) << 1)
        if pick:
            total = _add(curve, total, table[pick])
    x, y, z = total
    if z == 0:
        return None
    inverse = pow(z, -1, m)
    return x * inverse * inverse % m, y * inverse * inverse * inverse % m


def _double(curve: Curve, point: _Jacobian) -> _Jacobian:
    x, y, z = point
    if z == 0 or y == 0:
        return (1, 1, 0)
    m = curve.p
    yy = y * y % m
    s = 4 * x * yy % m
    zz = z * z % m
    t = 3 * (x - zz) * (x + zz) % m  # a = -3
    x3 = (t * t - 2 * s) % m
    return x3, (t * (s - x3) - 8 * yy * yy) % m, 2 * y * z % m


def _add(curve: Curve, one: _Jacobian, other: _Jacobian) -> _Jacobian:
    x1, y1, z1 = one
    x2, y2, z2 = other
    if z1 == 0:
        return other
    if z2 == 0:
        return one
    m = curve.p
    z1z1, z2z2 = z1 * z1 % m, z2 * z2 % m
    u1, u2 = x1 * z2z2 % m, x2 * z1z1 % m
    s1, s2 = y1 * z2 * z2z2 % m, y2 * z1 * z1z1 % m
    h, r = (u2 - u1) % m, (s2 - s1) % m
    if h == 0:
        return _double(curve, one) if r == 0 else (1, 1, 0)
    hh = h * h % m
    hhh = h * hh % m
    v = u1 * hh % m
    x3 = (r * r - hhh - 2 * v) % m
    return x3, (r * (v - x3) - s1 * hhh) % m, z1 * z2 * h % m
