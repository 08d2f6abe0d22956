"""Auto-update filter: the Job manifest the chart embeds in its ConfigMap gets proxy and trust.

The controller creates that Job from the ConfigMap key ``auto-update.job``; it runs
``helm repo add spot https://charts.spot.io`` and ``helm upgrade``, both through the proxy.
The embedded manifest is parsed on its own, given the same env, mounts and volumes as the
controller's pod, and written back as a block string. (That its ``helm upgrade`` drops
post-render changes is said on stderr when the injection is decided.)
"""

from __future__ import annotations

from post_renderer.render.aliases import unshare_pod
from post_renderer.render.filters.protocol import NO_WANTS, PlanContext, Proposal
from post_renderer.render.injection import Injection
from post_renderer.render.kube import POD_SPEC_PATHS, get_path, pointer
from post_renderer.render.manifest import detect_style, edit_document, parse_document
from post_renderer.render.pod_patch import Change, PodWants, pod_spec_changes


def pod_wants(injection: Injection) -> PodWants:
    return NO_WANTS


def propose(context: PlanContext) -> list[Proposal]:
    """The op replacing each Job's text, with the Job's own changes for --explain."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    release, injection, wants = context.release, context.injection, context.wants

    found = []
    for ref in injection.auto_update_jobs:
        configmap = release.get("ConfigMap", ref.name)
        text = get_path(configmap.document, ("data", ref.key)) if configmap else None
        if not isinstance(text, str):
            continue
        job = parse_document(text, "the embedded auto-update Job", lines_of="the Job")
        kind = get_path(job.data, ("kind",))
        if kind not in POD_SPEC_PATHS:
            continue
        spec_path = POD_SPEC_PATHS[kind]
        unshare_pod(job.data, spec_path)
        inner = pod_spec_changes(get_path(job.data, spec_path), pointer(*spec_path), wants)
        if not inner:
            continue
        new_text = edit_document(job, [c.op for c in inner], detect_style(text))
        op = {"op": "replace", "path": pointer("data", ref.key),
              "value": LiteralScalarString(new_text)}
        found.append(Proposal(configmap, Change(op, "the auto-update Job reaches charts.spot.io "
                                                    "through the proxy and trusts the CA"),
                              tuple(inner)))
    return found
