"""Overlay Secrets filter: what the injection-as-chart-values reads, kept across upgrades.

When the chart's values can carry the injection (see ``render.overlay.values``), the pods take
the shape those values give, and up to two Secrets are added beside the proxy one, each
with ``helm.sh/resource-policy: keep`` so that an upgrade whose manifest no longer has them
(the auto-update's, or one through ``ocean-proxy values``) does not delete them:

- ``<fullname>-ocean-proxy-ca``: the validated bundle and each CA by its OpenSSL hash, which
  the pods' CA volume mounts, as the values' ``extraVolumes`` do (the chart's own CA Secret
  gets only the bundle back from the chart);
- ``<fullname>-ocean-proxy-values``, when the auto-update Job can pass them on: the values
  and the small chart the Job's helm renders them with, and the Job's own post-renderer
  (``render.overlay.job``).
"""

from __future__ import annotations

from post_renderer.render.overlay.job import overlay_secret_data
from post_renderer.render.plan.filters import trust_mounts
from post_renderer.render.plan.filters.auto_update import job_edit
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.owned_secrets import secret_changes
from post_renderer.render.plan.pod_patch import PodWants
from post_renderer.render.plan.protocol import NO_WANTS, PlanContext, Proposal


def pod_wants(injection: Injection) -> PodWants:
    return NO_WANTS


def propose(context: PlanContext) -> list[Proposal]:
    release, injection = context.release, context.injection
    proposals = []
    ca_name = injection.ca_volume_secret
    if ca_name is not None and injection.trust is not None and injection.ca_secret is not None \
            and ca_name != injection.ca_secret.name and \
            ca_name not in injection.read_only_secrets:
        proposals += secret_changes(release, ca_name,
                                    trust_mounts.secret_data(injection.trust,
                                                             injection.ca_secret.key),
                                    trust_mounts.stale_hash_keys(release, ca_name),
                                    "the CA files the pods mount, kept across upgrades that "
                                    "render the chart alone", keep=True)
    if injection.overlay is not None and injection.overlay_secret is not None:
        edit = job_edit(injection, context.wants, release)
        proposals += secret_changes(release, injection.overlay_secret,
                                    overlay_secret_data(injection.overlay.values, edit,
                                                        injection.strict_job,
                                                        injection.kept_agents), {},
                                    "ocean-proxy's chart values, for the auto-update's helm",
                                    keep=True)
    return proposals
