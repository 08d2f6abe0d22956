"""Overlay Secrets filter: what the injection-as-chart-values reads, kept across upgrades.

When the auto-update can carry ocean-proxy's chart values (see ``render.overlay.values``), two
Secrets are added beside the proxy one, each with ``helm.sh/resource-policy: keep`` so that
the auto-update's ``helm upgrade``, whose manifest no longer has them, does not delete them:

- ``<fullname>-ocean-proxy-ca``: the validated bundle and each CA by its OpenSSL hash, which
  the values' ``extraVolumes`` mount (the chart's own CA Secret gets only the bundle back);
- ``<fullname>-ocean-proxy-values``: the values and the small chart the Job's helm renders
  them with (``render.overlay.job``).
"""

from __future__ import annotations

from post_renderer.render.overlay.job import overlay_secret_data
from post_renderer.render.overlay.values import ca_secret_name
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.owned_secrets import secret_changes
from post_renderer.render.plan.pod_patch import PodWants
from post_renderer.render.plan.protocol import NO_WANTS, PlanContext, Proposal


def pod_wants(injection: Injection) -> PodWants:
    return NO_WANTS


def propose(context: PlanContext) -> list[Proposal]:
    release, injection = context.release, context.injection
    if injection.overlay is None or injection.overlay_secret is None:
        return []
    proposals = []
    ca_name = ca_secret_name(release.workloads[0].name)
    if ca_name in injection.overlay.secrets and ca_name != (
            injection.ca_secret and injection.ca_secret.name):
        proposals += secret_changes(release, ca_name, injection.overlay.secrets[ca_name], {},
                                    "the CA files the chart values mount", keep=True)
    proposals += secret_changes(release, injection.overlay_secret,
                                overlay_secret_data(injection.overlay.values), {},
                                "ocean-proxy's chart values, for the auto-update's helm",
                                keep=True)
    return proposals
