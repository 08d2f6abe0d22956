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


def test_the_no_ca_notice_does_not_speak_of_a_ca_value_nobody_gave():
    """It said 'a CA given as caBundleSecret.data reaches the chart's Secret only with
    create=true' to users who gave no CA at all; that is said only where helm was given the
    value (commands.helm_values), which the manifests do not show."""
    notice = no_ca_notice(release_of(release(controller(),
                                             configmap(proxy_url="http://p.corp:3128"))))
    assert "caBundleSecret" not in notice
