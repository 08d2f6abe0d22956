"""The one promise of the pure-Python reader: declined, or exactly what cryptography says.

    pure = agreed(der)   # the Certificate both paths give, or None: the pure path declined
"""

from __future__ import annotations

import warnings

from post_renderer.trust.certificate import (
    Certificate,
    certificate_from_fields,
    certificate_with_cryptography,
)
from post_renderer.trust.der import NotHandled
from post_renderer.trust.x509_der import fields_from_der


def pure_path(der: bytes) -> Certificate | None:
    try:
        return certificate_from_fields(fields_from_der(der))
    except NotHandled:
        return None


def agreed(der: bytes) -> Certificate | None:
    """The pure path's Certificate after checking it against cryptography's, field by field.

    Where cryptography raises ValueError (a damaged certificate), the pure path must have
    declined: its errors are cryptography's.
    """
    pure = pure_path(der)
    with warnings.catch_warnings():  # negative serials and the like: cryptography warns
        warnings.simplefilter("ignore")
        try:
            reference = certificate_with_cryptography(der)
        except ValueError:
            assert pure is None, f"accepted what cryptography refuses: {der.hex()}"
            return None
    if pure is not None:
        differences = {name: (getattr(pure, name), getattr(reference, name))
                       for name in Certificate._fields
                       if getattr(pure, name) != getattr(reference, name)}
        assert differences == {}, der.hex()
    return pure
