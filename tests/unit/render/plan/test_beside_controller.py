"""lent_by: what a Spot agent beside the controller takes from the controller's injection."""

from __future__ import annotations

from post_renderer.render.plan.beside_controller import lent_by

from ...chart_manifests import FULLNAME, configmap, controller, release
from ...user_settings import user_settings
from ..planning import injection_for

PROXY = "http://alice:s3cret@proxy.corp:3128"


def controllers(corp_root=None, proxy: str = PROXY):
    ca = [("ca.pem", corp_root.pem)] if corp_root else None
    return injection_for(release(controller(), configmap(proxy_url=proxy)),
                         user_settings(ca=ca))[1]


def test_an_agent_with_the_controllers_proxy_reads_its_proxy_and_ca_secrets(corp_root):
    given = controllers(corp_root)

    lent = lent_by(given, given.proxy)

    assert lent.proxy_secret == given.proxy_secret == f"{FULLNAME}-ocean-proxy"
    assert lent.secrets == {given.proxy_secret, given.ca_secret.name, given.ca_volume_secret}
    assert lent.ca_volume_secret == given.ca_volume_secret
    assert lent.trust.trust is given.trust and lent.trust.ca_secret == given.ca_secret


def test_the_bundle_is_lent_judged_with_nothing_more_to_say_of_it(corp_root):
    lent = lent_by(controllers(corp_root), None)

    assert lent.trust.notices == lent.trust.warnings == ()
    assert lent.trust.repoint_ca_env  # the agent's USER_ENV_CERTIFICATES follows it


def test_an_agent_with_another_proxy_keeps_a_proxy_secret_of_its_own(corp_root):
    other = user_settings(proxy_url="http://bob:other@proxy.corp:3128").proxy_url

    given = controllers(corp_root)

    lent = lent_by(given, other)

    assert lent.proxy_secret is None
    assert lent.secrets == {name for name in (given.ca_secret.name, given.ca_volume_secret)
                            if name}
    assert given.proxy_secret not in lent.secrets


def test_a_controller_without_cas_lends_no_ca_secret():
    given = controllers()

    lent = lent_by(given, given.proxy)

    assert lent.trust is None
    assert lent.secrets == {given.proxy_secret} and lent.ca_volume_secret is None
