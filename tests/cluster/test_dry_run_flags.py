"""Dry runs of an upgrade of a release that exists, with the flags that change what helm
hands the post-renderer: ``--hide-secret`` (Helm 3 hides the chart's Secrets before the
post-renderer reads them, Helm 4 after) with ``--reuse-values``, whose values helm takes
from the stored release and not from its command line."""

from __future__ import annotations

import pytest

from ..conftest import FIXTURE_CHART
from .release import ControllerRelease, ok, vendor_flags
from .server import ApiServer


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, cas) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(cas[0]))


@pytest.mark.parametrize("dry_run", ["--dry-run", "--dry-run=server"])
def test_a_ca_rotation_previewed_with_hide_secret_is_not_said_to_lack_create_true(
        user, controller, cas, dry_run):
    """The CA rotation a platform team previews: the new CA with --reuse-values, whose
    caBundleSecret.create=true is the stored release's. The chart renders its CA Secret;
    Helm 3 hid it from the post-renderer, which then warned that helm was given
    caBundleSecret.data without create=true and that no pod gets that CA: the user was
    sent to add a flag the release has."""
    ok(controller.upgrade(user))
    preview = ("upgrade", controller.name, FIXTURE_CHART, "--namespace",
               controller.namespace, "--reuse-values", "--set-file",
               f"caBundleSecret.data={cas[1]}", dry_run, "--post-renderer",
               "ocean-proxy-post-renderer")

    shown = ok(user.helm(*preview))
    hidden = ok(user.helm(*preview, "--hide-secret"))

    assert "caBundleSecret.create" not in shown.stderr, shown.stderr
    assert "caBundleSecret.create" not in hidden.stderr, hidden.stderr
    assert "no CA bundle configured" not in hidden.stderr, hidden.stderr

