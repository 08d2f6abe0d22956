"""Certificates for the unit tests: made once per session, with cryptography (EC keys: fast)."""

from __future__ import annotations

import pytest

from .. import certs


@pytest.fixture(scope="session")
def corp_root() -> certs.Issued:
    return certs.root("Example Corp Root CA")


@pytest.fixture(scope="session")
def corp_intermediate(corp_root) -> certs.Issued:
    return certs.intermediate(corp_root)


@pytest.fixture(scope="session")
def other_root() -> certs.Issued:
    return certs.root("Other Corp Root CA", organization="Other Corp")

