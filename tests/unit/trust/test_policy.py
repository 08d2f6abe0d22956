"""judge: what one certificate's verdict is, and the message and hint a user gets."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives import hashes

from post_renderer.trust.certificate import certificate_from_der
from post_renderer.trust.policy import judge

from ... import certs
from ...certs import DAY, NOW


def verdict(issued: certs.Issued, *, now: dt.datetime = NOW, from_s_client: bool = False):
    return judge(certificate_from_der(issued.der), "ca.pem", 1, now, from_s_client)


def test_a_valid_root_is_ok(corp_root):
    result = verdict(corp_root)
    assert result.verdict == "ok" and result.warnings == () and result.refusals == ()


def test_expired_ca_is_refused_with_its_subject_and_date():
    expired = certs.root("Old Corp CA", not_before=NOW - 90 * DAY, not_after=NOW - 2 * DAY)
    [(message, hint)] = verdict(expired).refusals
    assert "'CN=Old Corp CA,O=Example Corp'" in message
    assert f"expired on {(NOW - 2 * DAY):%Y-%m-%d}" in message
    assert "current CA certificate" in hint


def test_not_yet_valid_ca_is_refused_and_the_clock_is_suspected():
    future = certs.root("Future CA", not_before=NOW + 2 * DAY)
    [(message, hint)] = verdict(future).refusals
    assert "is not valid before" in message and "clock" in hint


def test_a_server_certificate_is_refused_pointing_at_its_issuer(corp_root):
    [(message, hint)] = verdict(certs.leaf(corp_root)).refusals
    assert "is a server certificate, not a CA (issued by 'CN=Example Corp Root CA" in message
    assert "discover-ca" in hint


def test_a_server_certificate_pasted_from_s_client_is_skipped_not_refused(corp_root):
    result = verdict(certs.leaf(corp_root), from_s_client=True)
    assert result.verdict == "skipped" and result.refusals == ()


def test_expiry_within_30_days_is_a_warning():
    soon = certs.root("Soon CA", not_after=NOW + 10 * DAY)
    result = verdict(soon)
    assert result.verdict == "warning"
    assert "in under 30 days" in result.warnings[0]
    assert verdict(certs.root("Later CA", not_after=NOW + 40 * DAY)).verdict == "ok"


def test_sha1_small_keys_and_missing_constraints_are_warnings():
    sha1 = certs.resign_with_sha1(certs.root("Sha1 CA", key=certs.new_key("rsa", 2048)))
    assert any("SHA1" in w for w in verdict(sha1).warnings)
    small = certs.root("Small CA", key=certs.new_key("rsa", 1024),
                       hash_algorithm=hashes.SHA256())
    assert any("small key" in w for w in verdict(small).warnings)
    v1_style = certs.root("Old Style CA", ca=None)
    assert any("no CA basic constraint" in w for w in verdict(v1_style).warnings)
