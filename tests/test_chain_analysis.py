"""Reading a presented chain: its root, the CAs linking to it, and the issuer it lacks."""

from __future__ import annotations

import pytest

from post_renderer.trust import certificate_from_der
from post_renderer.trust.chain_analysis import analyse_chain, find_issuer, subject_names

from . import certs


@pytest.fixture(scope="module")
def pki():
    root = certs.root("Corp Root")
    inspection = certs.intermediate(root, "Corp Inspection")
    return {
        "root": root,
        "inspection": inspection,
        "leaf": certs.leaf(inspection, "api.spotinst.io"),
        "impostor": certs.root("Corp Inspection"),  # same name as the intermediate, other key
        "other": certs.root("Unrelated Root"),
    }


def chain(pki, *names):
    return [certificate_from_der(pki[name].der) for name in names]


def test_presented_root_is_found_through_the_intermediate(pki):
    analysis = analyse_chain(chain(pki, "leaf", "inspection", "root"))

    assert analysis.root.subject == pki["root"].subject
    assert [c.subject for c in analysis.issuers] == [pki["inspection"].subject,
                                                      pki["root"].subject]
    assert analysis.missing_issuer is None


def test_certificates_out_of_order_or_unrelated_do_not_confuse_it(pki):
    analysis = analyse_chain(chain(pki, "leaf", "other", "root", "inspection"))

    assert analysis.root.subject == pki["root"].subject
    assert [c.subject for c in analysis.unrelated] == [pki["other"].subject]


def test_missing_root_is_named_by_the_top_certificates_issuer(pki):
    analysis = analyse_chain(chain(pki, "leaf", "inspection"))

    assert analysis.root is None
    assert analysis.top.subject == pki["inspection"].subject
    assert analysis.missing_issuer == pki["root"].subject


def test_leaf_alone_is_missing_its_own_issuer(pki):
    analysis = analyse_chain(chain(pki, "leaf"))

    assert analysis.issuers == ()
    assert analysis.missing_issuer == pki["inspection"].subject


def test_a_ca_with_the_right_name_but_another_key_is_not_the_issuer(pki):
    analysis = analyse_chain(chain(pki, "leaf", "impostor"))

    assert analysis.issuers == ()
    assert find_issuer(analysis.leaf, analysis.unrelated) is None


def test_issuer_found_elsewhere_extends_the_chain_to_its_root(pki):
    analysis = analyse_chain(chain(pki, "leaf", "inspection"))

    extended = analysis.extended(certificate_from_der(pki["root"].der))

    assert extended.root.subject == pki["root"].subject


def test_self_signed_server_certificate_has_no_issuer_to_find():
    self_signed = certs.make_cert("api.spotinst.io", ca=None, dns_names=("api.spotinst.io",))

    analysis = analyse_chain([certificate_from_der(self_signed.der)])

    assert analysis.leaf_self_signed and analysis.root is None
    assert analysis.missing_issuer is None


def test_server_names_come_from_the_subject_alternative_names(pki):
    assert subject_names(certificate_from_der(pki["leaf"].der)) == ["api.spotinst.io"]
