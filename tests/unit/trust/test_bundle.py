"""TrustBundle and BundleReport: what the pods trust, normalised, and what the report says."""

from __future__ import annotations

import pytest

from post_renderer.errors import BundleError
from post_renderer.trust import inspect_bundle, load_trust_bundle
from post_renderer.trust.bundle import TrustBundle

from ... import certs
from ...certs import DAY, NOW
from ...runtime_pki import ca


def test_the_bundle_is_deduplicated_sorted_and_blind_to_order(corp_root, other_root):
    a, _ = load_trust_bundle([("a.pem", corp_root.pem + other_root.pem + corp_root.pem)])
    b, _ = load_trust_bundle([("b.pem", other_root.pem), ("c.pem", corp_root.pem)])
    assert a.certificates == b.certificates  # what the pods trust, whatever was judged
    assert len(a.certificates) == 2
    assert a.checksum() == b.checksum()
    assert a.pem().count(b"BEGIN CERTIFICATE") == 2


def test_the_checksum_is_the_same_in_whatever_order_a_bundle_holds_its_certificates(
        corp_root, other_root):
    bundle, _ = load_trust_bundle([("a.pem", corp_root.pem + other_root.pem)])
    reordered = TrustBundle(tuple(reversed(bundle.certificates)))
    assert reordered.checksum() == bundle.checksum()


def test_the_checksum_changes_with_the_set(corp_root, other_root):
    one, _ = load_trust_bundle([("a.pem", corp_root.pem)])
    two, _ = load_trust_bundle([("a.pem", corp_root.pem + other_root.pem)])
    assert one.checksum() != two.checksum()


def test_an_intermediate_without_its_root_is_warned_about_not_refused(corp_intermediate):
    bundle, warnings = load_trust_bundle([("mid.pem", corp_intermediate.pem)])
    assert len(bundle.certificates) == 1
    assert any("its root 'CN=Example Corp Root CA" in w for w in warnings)


def test_the_first_refusal_is_the_error_and_the_others_are_counted(corp_root):
    leaf = certs.leaf(corp_root)
    with pytest.raises(BundleError) as caught:
        load_trust_bundle([("a.pem", leaf.pem + corp_root.key_pem)])
    assert "(and 1 more problem(s))" in caught.value.message
    assert "check-bundle" in caught.value.hint


def test_the_report_keeps_every_verdict_even_when_the_bundle_is_refused(corp_root):
    report = inspect_bundle(corp_root.pem + certs.leaf(corp_root).pem, "mixed.pem")
    assert [report.state_of(v) for v in report.verdicts] == ["ok", "refused"]
    with pytest.raises(BundleError):
        report.trust_bundle()


def test_a_full_chain_is_told_to_drop_the_server_certificate_not_to_find_its_issuer(corp_root):
    chain = inspect_bundle(certs.leaf(corp_root).pem + corp_root.pem, "fullchain.pem")
    [(_, hint)] = chain.verdicts[0].refusals
    assert hint.startswith("remove certificate 1, the server's own: its issuer 'CN=Example Corp")
    [(_, alone)] = inspect_bundle(certs.leaf(corp_root).pem, "leaf.pem").verdicts[0].refusals
    assert alone.startswith("trust its issuer") and "discover-ca" in alone


def test_a_self_signed_server_certificate_is_not_told_to_trust_its_issuer_which_is_itself():
    """The hint said "trust its issuer 'CN=proxy.corp' instead": the very certificate refused."""
    own = certs.make_cert("proxy.corp", ca=False, dns_names=("proxy.corp",))
    [(message, hint)] = inspect_bundle(own.pem, "proxy.pem").verdicts[0].refusals
    assert message == "proxy.pem: certificate 1 'CN=proxy.corp,O=Example Corp' is a " \
        "self-signed server certificate, not a CA"
    assert "proxy.corp" not in hint and "issuer" not in hint
    assert hint.startswith("a proxy that inspects TLS re-signs with a CA certificate") \
        and "discover-ca" in hint


def test_a_utf8_bom_is_ignored(corp_root):
    bundle, _ = load_trust_bundle([("bom.pem", b"\xef\xbb\xbf" + corp_root.pem)])
    assert bundle.certificates[0].fingerprint == corp_root.fingerprint


def test_an_intermediate_is_warned_about_only_beyond_its_roots_path_length():
    """OpenSSL (the log-shipper) refuses a chain with more CAs below a root than its path
    length allows; one within it is fine, however far the root is from it."""
    root = ca("Path Length One Root CA", path_length=1)
    first = ca("First Intermediate CA", issuer=root)
    second = ca("Second Intermediate CA", issuer=first)

    _, warnings = load_trust_bundle([("chain.pem", root.pem + first.pem + second.pem)])

    assert [w for w in warnings if "First Intermediate" in w] == []
    [beyond] = [w for w in warnings if "Second Intermediate" in w]
    assert "whose path length allows 1 intermediate CA(s) below it" in beyond
    assert "'CN=Path Length One Root CA" in beyond


def test_a_bundle_of_unusable_certificates_is_refused_with_the_first_and_the_others_counted():
    window = {"not_before": NOW - 90 * DAY, "not_after": NOW - DAY}
    expired = certs.root("Old Corp Root CA", **window).pem + \
        certs.root("Older Corp Root CA", **window).pem
    with pytest.raises(BundleError) as caught:
        load_trust_bundle([("old.pem", expired)], now=NOW)
    assert caught.value.message.startswith("old.pem: certificate 1 'CN=Old Corp Root CA")
    assert caught.value.message.endswith(" (and 1 more unusable certificate(s))")
