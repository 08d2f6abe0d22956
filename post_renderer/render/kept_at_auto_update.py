"""The agents the controller chart renders beside the controller, at the chart's auto-update.

The Job's 'helm upgrade' renders them from the chart's values alone, and no value of the
chart gives them the proxy or the CA ocean-proxy gave them. The Job's post-renderer makes
their edit again (``overlay.agents``), read here off each agent's own plan; an agent whose
change has no such edit loses what this render gave it, and the render says so.
"""

from __future__ import annotations

from typing import Any

from post_renderer.errors import Paragraph
from post_renderer.render.overlay.agents import Owned, agent_edit
from post_renderer.render.plan.filter_order import pod_wants
from post_renderer.render.plan.filters.rollout import wanted_annotations
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.plan import Plan, build_plan
from post_renderer.render.release.chart_settings import ChartSettings
from post_renderer.render.release.release import Release


def kept_agent(release: Release, injection: Injection, controller: Injection
               ) -> tuple[Plan | None, dict[str, Any] | None]:
    """The agent's plan, and the edit the Job's post-renderer makes again (None: none)."""
    if injection.empty or controller.overlay_secret is None:
        return None, None
    plan = build_plan(release, injection)
    workload = release.workloads[0]
    mine = [document for document in plan.documents if document.resource.chunk is not None
            and workload.chunk is not None
            and document.resource.chunk.index == workload.chunk.index]
    if len(mine) > 1 or (mine and mine[0].nested):
        return plan, None
    ops = [change.op for change in mine[0].changes] if mine else []
    wants = pod_wants(injection)
    env = (*wants.env, *wants.env_in_place, *wants.controller_env, *wants.fluent_bit_env)
    owned = Owned(frozenset(e.key for e in env), frozenset(m.key for m in wants.mounts),
                  frozenset(v.key for v in wants.volumes),
                  frozenset(wanted_annotations(injection)))
    return plan, agent_edit(workload.kind, workload.name, workload.document, ops, owned)


def kept_notice(release: Release, given: Injection) -> str:
    workload = release.workloads[0]
    kept = [what for what, there in (("proxy", given.proxy), ("CA", given.trust)) if there]
    return (f"{workload.kind}/{workload.name}, which the chart renders too, keeps its "
            f"{' and '.join(kept)} at every auto-update: the Job's post-renderer gives "
            f"{'them' if len(kept) > 1 else 'it'} again")


def lost_at_auto_update(release: Release, chart: ChartSettings, controller_chart: ChartSettings,
                        given: Injection) -> list[str]:
    """What an agent loses at the chart's auto-update when the Job's post-renderer cannot
    give it again: the Job's 'helm upgrade' renders it from the chart alone, with
    ocean-proxy's values, which are the controller's and blank the proxy URL in the
    ConfigMap it reads. Only a CA read from the Secret the controller chart's CA values name
    stays."""
    if given.overlay_secret is None:  # no overlay: the controller's own warning says it all
        return []
    lost = [what for what, there in (
        ("the proxy", given.proxy is not None),
        ("the CA", given.trust is not None and
         (chart.ca_ref is None or chart.ca_ref != controller_chart.ca_ref))) if there]
    if not lost:
        return []
    workload = release.workloads[0]
    return [Paragraph(
        f"{workload.kind}/{workload.name}, which the chart renders too, loses "
        f"{' and '.join(lost)} at the chart's next auto-update: the Job's 'helm upgrade' "
        "renders it from the chart's values alone, and ocean-proxy's change to it is not one "
        "the Job's post-renderer makes again",
        "add --set spotinst.disableAutoUpdate=true and upgrade with the post-renderer from "
        "your pipeline, or install it as a release of its own (examples/agents/)")]
