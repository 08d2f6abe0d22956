"""The overlay's chart values: what it says when a proxy is set and no CA."""

from __future__ import annotations

import pytest

from post_renderer.render.overlay.values import no_ca_notice

from ...chart_manifests import configmap, controller, release
from ..planning import release_of


@pytest.mark.parametrize(("version", "legacy"), [("0.1.3", True), ("0.1.4", False),
                                                 ("0.1.60", False)])
def test_a_chart_before_0_1_4_is_said_to_have_no_ca_values(version, legacy):
    """--set caBundleSecret... does nothing on charts 0.1.0 to 0.1.3: the CA needs --ca-file."""
    notice = no_ca_notice(release_of(release(controller(chart_version=version),
                                                 configmap(proxy_url="http://p.corp:3128"))))
    assert ("has no CA values" in notice and "--ca-file=ca.pem" in notice) is legacy
    assert f"{version} has no CA values" in notice if legacy else \
        notice.startswith("no CA bundle configured: fine if the proxy does not inspect TLS")


@pytest.mark.parametrize("reads_chart_ca", [True, False])
def test_create_true_is_named_only_where_the_controller_reads_the_charts_ca_secret(
        reads_chart_ca):
    """caBundleSecret.create=true matters only to a controller that reads that Secret: told to
    one that does not, the user sets a value that changes nothing and still has no CA."""
    notice = no_ca_notice(release_of(release(controller(),
                                             configmap(proxy_url="http://p.corp:3128"))),
                          reads_chart_ca=reads_chart_ca)
    assert ("caBundleSecret.create=true" in notice) is reads_chart_ca
