"""x509_extensions: the raw-accepted extensions are ones cryptography does not parse."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from post_renderer.trust.x509_extensions import RAW_EXTENSIONS

from ...certs import DAY, NOW, new_key


@pytest.mark.parametrize("dotted", sorted(RAW_EXTENSIONS))
def test_an_extension_kept_raw_is_one_cryptography_keeps_raw_even_when_malformed(dotted):
    key = new_key()
    name = x509.Name([])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(NOW).not_valid_after(NOW + DAY)
            .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(dotted),
                                                      b"\xff\x00 not DER"), False)
            .sign(key, hashes.SHA256()))
    [extension] = cert.extensions
    assert isinstance(extension.value, x509.UnrecognizedExtension)
