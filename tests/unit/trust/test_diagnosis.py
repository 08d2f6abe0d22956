"""diagnose: OpenSSL's verify code and the presented chain, as the user who fixes it reads them."""

from __future__ import annotations

import pytest

from post_renderer.errors import UnknownIssuerError
from post_renderer.trust.certificate import certificate_from_der
from post_renderer.trust.chain_analysis import ChainAnalysis
from post_renderer.trust.diagnosis import UNABLE_TO_GET_LOCAL_ISSUER, diagnose

from ... import certs

ROUTE = "api.spotinst.io:443 through the proxy http://proxy.corp:3128"


def _refused(*chain: certs.Issued) -> str:
    leaf, *issuers = (certificate_from_der(c.der) for c in chain)
    error = diagnose(UNABLE_TO_GET_LOCAL_ISSUER, "unable to get local issuer certificate",
                     ChainAnalysis(leaf, tuple(issuers)), "api.spotinst.io", ROUTE)
    assert isinstance(error, UnknownIssuerError)
    return error.message


def test_a_leaf_a_root_signed_names_the_root_once():
    root = certs.root("Corp Proxy Root CA")
    message = _refused(certs.leaf(root), root)
    subject = certificate_from_der(root.der).subject
    assert message.endswith(f"is issued by the root '{subject}', which is not trusted")
    assert message.count("Corp Proxy Root CA") == 1


def test_a_leaf_under_an_intermediate_names_its_issuer_and_the_root():
    root = certs.root("Corp Offline Root CA")
    inspection = certs.intermediate(root, "Corp TLS Inspection CA")
    message = _refused(certs.leaf(inspection), inspection, root)
    issuer, top = (certificate_from_der(c.der).subject for c in (inspection, root))
    assert message.endswith(f"is issued by '{issuer}', under the root '{top}', which is not "
                            "trusted")


def _hint(*chain: certs.Issued) -> str:
    leaf, *issuers = (certificate_from_der(c.der) for c in chain)
    error = diagnose(UNABLE_TO_GET_LOCAL_ISSUER, "unable to get local issuer certificate",
                     ChainAnalysis(leaf, tuple(issuers)), "api.spotinst.io", ROUTE)
    return error.hint


def test_an_issuer_neither_presented_nor_named_by_url_is_asked_of_the_proxys_owners():
    inspection = certs.intermediate(certs.root("Corp Offline Root CA"))
    hint = _hint(certs.leaf(inspection))
    assert "ask the proxy's owners" in hint and "discover-ca" not in hint


def test_an_issuer_named_by_a_ca_issuers_url_is_left_to_discover_ca():
    inspection = certs.intermediate(certs.root("Corp Offline Root CA"))
    hint = _hint(certs.leaf(inspection, aia_url="http://pki.corp.example/inspection.crt"))
    assert "'ocean-proxy discover-ca' fetches them" in hint


@pytest.mark.parametrize("aia_url", [None, "http://pki.corp.example/inspection.crt"])
def test_an_issuer_the_proxy_leaves_out_is_asked_for_itself_not_its_root_instead(aia_url):
    """The hint offered the root above the missing CA as an alternative to it: a root alone
    cannot verify a server certificate whose issuer the proxy does not present, since no
    client fetches that issuer."""
    inspection = certs.intermediate(certs.root("Corp Offline Root CA"))
    hint = _hint(certs.leaf(inspection, aia_url=aia_url))
    assert f"the CA certificate '{inspection.cert.subject.rfc4514_string()}'" in hint
    assert "(with the root above it, if it is not a root itself)" in hint
    assert "or the root" not in hint and "or its root" not in hint


def test_a_missing_root_above_a_presented_intermediate_is_asked_of_the_proxys_owners():
    inspection = certs.intermediate(certs.root("Corp Offline Root CA"))
    hint = _hint(certs.leaf(inspection), inspection)
    assert "ask the proxy's owners" in hint and "discover-ca" not in hint


def test_a_ca_issuers_url_on_the_leaf_alone_does_not_reach_a_root_above_the_intermediate():
    """Many CAs put the URL on the certificates they issue only: discover-ca climbs from
    the topmost certificate presented, the intermediate, which names none."""
    inspection = certs.intermediate(certs.root("Corp Offline Root CA"))
    hint = _hint(certs.leaf(inspection, aia_url="http://pki.corp.example/inspection.crt"),
                 inspection)
    assert "ask the proxy's owners" in hint and "discover-ca" not in hint
