"""The one shape every filter has: what it wants in each target pod, the changes it proposes.

    def pod_wants(injection: Injection) -> PodWants: ...       # env, mounts, volumes
    def propose(context: PlanContext) -> Iterable[Proposal]: ...  # each change with its reason

A filter is a module in ``render/plan/filters/`` with these two functions, listed in
``FILTERS`` in :mod:`post_renderer.render.plan.filter_order`; a new behaviour is a new module
there. The pod wants of all filters are merged first, so that a pod spec gets one coherent
patch (one ``env`` list added, not two), and every filter's ``propose`` then sees the merged
wants.
"""

from collections.abc import Iterable
from typing import NamedTuple, Protocol

from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.pod_patch import Change, PodWants
from post_renderer.render.release.release import Release, Resource

NO_WANTS = PodWants()


class Proposal(NamedTuple):
    """One change to one document, and the changes inside the value it writes, if any."""

    resource: Resource
    change: Change
    nested: tuple[Change, ...] = ()  # e.g. the embedded Job's own changes, for --explain


class PlanContext(NamedTuple):
    release: Release
    injection: Injection
    wants: PodWants  # what every target pod gets, merged from all filters
    planned: tuple[Proposal, ...] = ()  # what the filters before this one proposed


class Filter(Protocol):
    def pod_wants(self, injection: Injection) -> PodWants: ...

    def propose(self, context: PlanContext) -> Iterable[Proposal]: ...


def merge_wants(wants: Iterable[PodWants]) -> PodWants:
    """The wants of several filters as one, in filter order."""
    merged = NO_WANTS
    for want in wants:
        merged = PodWants(
            env=merged.env + want.env, mounts=merged.mounts + want.mounts,
            volumes=merged.volumes + want.volumes,
            owned_volume=merged.owned_volume or want.owned_volume,
            fluent_bit_env=merged.fluent_bit_env + want.fluent_bit_env,
            fluent_bit_skip=merged.fluent_bit_skip | want.fluent_bit_skip,
            env_in_place=merged.env_in_place + want.env_in_place,
            controller_env=merged.controller_env + want.controller_env)
    return merged
