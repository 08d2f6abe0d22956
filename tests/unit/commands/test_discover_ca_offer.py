"""discover-ca's answer when no root is reached: it names the CA whose issuer is missing,
and says truly whether the proxy presented that CA or it was fetched by its CA Issuers URL
(which a user then knows the proxy's owners must be asked about differently)."""

from __future__ import annotations

from post_renderer.commands import Outcome
from post_renderer.commands.discover_ca import _to_offer
from post_renderer.trust import ChainAnalysis
from post_renderer.trust.certificate import certificate_from_der

from ... import certs


def offered(presented: int) -> tuple[list[str], list[str]]:
    root = certs.root("Corp Root")
    inspection = certs.intermediate(root, "Corp Inspection CA")
    leaf = certs.leaf(inspection)
    chain = ChainAnalysis(certificate_from_der(leaf.der),
                          (certificate_from_der(inspection.der),))
    said = Outcome()
    written = _to_offer(chain, presented, "api.spotinst.io", said)
    return [cert.subject for cert in written], [m.text for m in said.messages]


def test_a_presented_ca_without_its_root_is_said_to_be_presented():
    written, messages = offered(presented=1)
    assert written == ["CN=Corp Inspection CA,O=Example Corp"]
    [notice] = [m for m in messages if "Corp Root" in m]
    assert "the proxy presents the CA 'CN=Corp Inspection CA,O=Example Corp'" in notice


def test_a_fetched_ca_without_its_root_is_not_said_to_be_presented():
    written, messages = offered(presented=0)
    assert written == ["CN=Corp Inspection CA,O=Example Corp"]
    [notice] = [m for m in messages if "Corp Root" in m]
    assert "presents" not in notice, notice
    assert "fetched" in notice and "'CN=Corp Inspection CA,O=Example Corp'" in notice, notice
