"""judge: what one certificate's verdict is, and the message and hint a user gets."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives import hashes

from post_renderer.trust.certificate import certificate_from_der
from post_renderer.trust.policy import judge

from ... import certs
from ...certs import DAY, NOW
from ...runtime_pki import with_signature_hash


def verdict(issued: certs.Issued, *, now: dt.datetime = NOW, from_s_client: bool = False):
    return judge(certificate_from_der(issued.der), "ca.pem", 1, now, from_s_client)


def test_a_valid_root_is_ok(corp_root):
    result = verdict(corp_root)
    assert result.verdict == "ok" and result.warnings == () and result.refusals == ()


def test_expired_ca_is_left_out_with_its_subject_and_date():
    # as Go and OpenSSL: unusable, but only the bundle decides whether that refuses it
    expired = certs.root("Old Corp CA", not_before=NOW - 90 * DAY, not_after=NOW - 2 * DAY)
    result = verdict(expired)
    assert result.verdict == "left out" and not result.usable and result.refusals == ()
    [(message, hint)] = result.unusable
    assert "'CN=Old Corp CA,O=Example Corp'" in message
    assert f"expired on {(NOW - 2 * DAY):%Y-%m-%d}" in message
    assert "current CA certificate" in hint


def test_an_expired_ca_is_not_also_said_to_expire_soon():
    """One message for one problem: "expired on", never "expires ... in under 30 days" too."""
    expired = certs.root("Old Corp CA", not_before=NOW - 90 * DAY, not_after=NOW - 2 * DAY)
    assert verdict(expired).warnings == ()


def test_not_yet_valid_ca_is_left_out_and_the_clock_is_suspected():
    future = certs.root("Future CA", not_before=NOW + 2 * DAY)
    result = verdict(future)
    assert result.verdict == "left out" and not result.usable
    [(message, hint)] = result.unusable
    assert "is not valid before" in message and "clock" in hint


def test_validity_is_judged_to_the_second_as_the_runtimes_do():
    """Go and OpenSSL compare against the current time with no grace: a CA that expired a
    minute ago, or starts a minute from now, fails a TLS handshake already."""
    minute = dt.timedelta(minutes=1)
    window = {"not_before": NOW - 90 * DAY}
    assert verdict(certs.root("Just Expired CA", **window, not_after=NOW - minute)).verdict \
        == "left out"
    assert verdict(certs.root("Last Minute CA", **window, not_after=NOW + minute)).usable
    assert verdict(certs.root("Starting CA", not_before=NOW + minute)).verdict == "left out"
    assert verdict(certs.root("Started CA", not_before=NOW - minute)).verdict == "ok"
    # Go's bounds are inclusive: valid at the very second it starts and at the one it ends
    assert verdict(certs.root("Ending CA", **window, not_after=NOW)).usable
    assert verdict(certs.root("Starting Now CA", not_before=NOW)).verdict == "ok"
    # the warning starts exactly 30 days before the end
    assert verdict(certs.root("Inside CA", not_after=NOW + 30 * DAY - minute)).verdict \
        == "warning"
    assert verdict(certs.root("Outside CA", not_after=NOW + 30 * DAY + minute)).verdict == "ok"


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


def test_sha1_is_warned_about_below_the_anchor_only():
    rsa_root = certs.root("Sha1 CA", key=certs.new_key("rsa", 2048))
    # no client checks a trust anchor's own signature
    assert verdict(certs.resign_with_sha1(rsa_root)).warnings == ()
    below = with_signature_hash(certs.intermediate(rsa_root, "Sha1 Intermediate CA"),
                                rsa_root, "sha1")
    result = verdict(below)
    assert result.usable
    assert any("SHA-1" in w and "log-shipper (OpenSSL)" in w for w in result.warnings)


def test_a_key_only_openssl_refuses_is_a_warning_naming_the_log_shipper():
    small = certs.root("Small CA", key=certs.new_key("rsa", 1024),
                       hash_algorithm=hashes.SHA256())
    result = verdict(small)
    assert result.verdict == "warning" and result.usable
    assert any("RSA 1024 key" in w and "log-shipper (OpenSSL" in w for w in result.warnings)


def test_a_root_without_basic_constraints_is_left_out_as_go_refuses_it():
    v1_style = certs.root("Old Style CA", ca=None)
    result = verdict(v1_style)
    assert result.verdict == "left out" and not result.usable
    assert any("no basic constraints extension" in m and "controller (Go)" in m
               for m, _ in result.unusable)
