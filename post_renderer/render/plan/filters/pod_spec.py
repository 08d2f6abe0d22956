"""Pod filter: every target workload's pod spec gets what all filters want, in one patch.

The env, mounts and volumes that the proxy and trust filters want are merged before this
filter runs, so a container with no ``env`` gets one list, in a stable order.
"""

from __future__ import annotations

from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.pod_patch import PodWants, pod_spec_changes
from post_renderer.render.plan.protocol import NO_WANTS, PlanContext, Proposal
from post_renderer.render.stream.kube import POD_SPEC_PATHS, get_path, pointer


def pod_wants(injection: Injection) -> PodWants:
    return NO_WANTS


def propose(context: PlanContext) -> list[Proposal]:
    proposals = []
    for workload in context.release.workloads:
        spec_path = POD_SPEC_PATHS[workload.kind]
        pod_spec = get_path(workload.document, spec_path)
        proposals += [Proposal(workload, change) for change in
                      pod_spec_changes(pod_spec, pointer(*spec_path), context.wants)]
    return proposals
