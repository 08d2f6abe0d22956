"""The post-render pipeline, without I/O: manifest bytes and user settings in, parts out.

Data flows one way: bytes are split into documents, the targets are picked and parsed,
the settings are resolved against what the chart rendered, the CA bundle is validated, the
changes are planned, then applied, and the bytes are joined again (``units``, unit by unit).
A release without a Spot agent stops after the byte scan: it passes through, and the
planning is never loaded.
"""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from post_renderer.errors import TargetError, as_flags
from post_renderer.render.release.agents import KNOWN_AGENTS, NAME_LABEL, TOKEN_ENV
from post_renderer.render.release.release import find_release, lists_note
from post_renderer.render.release.settings import UserSettings, tell_no_one
from post_renderer.render.result import RenderResult
from post_renderer.render.stream.split import Chunks, split_documents

if TYPE_CHECKING:
    import datetime as dt

    from post_renderer.trust import FactCache


def post_render(data: bytes, user: UserSettings, now: "dt.datetime | None" = None,
                facts: "FactCache | Callable[[], FactCache] | None" = None,
                hide: Callable[..., None] = tell_no_one) -> RenderResult:
    """The whole transformation, without I/O: bytes and settings in, parts and messages out.

    ``facts``, a certificate fact cache (or what opens it, called only for a release with a
    Spot agent), only saves parsing: the result is the same without.
    ``hide`` is told the secrets the chart rendered as they are read (``read_chart_settings``),
    before anything can refuse them.
    """
    chunks = split_documents(data)
    hooks = user.command_line and _hooks_alone(data, chunks)
    release = find_release(data, chunks, user.workloads, none_ok=not user.command_line or hooks)
    if not release.workloads:
        if hooks:
            return RenderResult([data], notices=(_HOOKS_PASSED,))
        return _without_targets(data, user)
    # only a release with a Spot agent loads the planning (a shared post-renderer runs for
    # every release of a pipeline: the others pass through)
    from post_renderer.render.units import render_units

    return render_units(data, chunks, release, user, now,
                        facts() if callable(facts) else facts, hide)


def _hooks_alone(data: bytes, chunks: Chunks) -> bool:
    """Whether every document is a helm hook: what Helm 4 hands a post-renderer on its own
    when the SDK's post-render strategy is 'separate', before the release's other manifests
    (a chart's test Pod, say). No Spot agent is among them, and none is missing."""
    if b"helm.sh/hook" not in data:
        return False
    hooks = False
    content, hook = re.compile(_CONTENT), re.compile(_HOOK)
    for chunk in chunks:  # searched in place: a copy of each would double a large input
        if content.search(data, chunk.body, chunk.end) is None:
            continue  # an empty document
        if hook.search(data, chunk.body, chunk.end) is None:
            return False
        hooks = True
    return hooks


# the annotation's key, quoted or not, in a block or a flow mapping (helm 4 keeps the style);
# compiled, by re's own cache, only where helm may have handed hooks over alone
_HOOK = rb"""(?:^|[\s{,])(["']?)helm\.sh/hook\1[ \t]*:"""
_CONTENT = rb"[^ \t\r\n]"
_HOOKS_PASSED = ("only helm hooks in these manifests (Helm 4 may post-render them apart from "
                 "the release's other manifests): passed through unchanged")


def _without_targets(data: bytes, user: UserSettings) -> RenderResult:
    """Manifests without a Spot agent pass through, unless the command line configured
    something to inject: then finding no target is an error (said plainly when the input
    holds no manifests at all, or a certificate). Settings from the environment alone are a
    pipeline's, set once for every release it runs (helmfile, a CI job): a release of
    another chart passes through, and the notice says they were not used."""
    from post_renderer.render.not_manifests import refuse_certificates  # only without targets

    refuse_certificates(data)
    if user.explicit and not user.command_line:  # OCEAN_PROXY_CONFIG's workloads: no source
        unused = ", ".join(user.sources) or "OCEAN_PROXY_CONFIG"
        return RenderResult([data], notices=(
            f"{_PASSED}{lists_note(data)}; not used: {unused} (from the environment, for the "
            "Spot agents' releases)",))
    if user.explicit and (not data or data.isspace()):  # helm handed nothing over (read_manifests)
        raise TargetError(
            "helm handed the post-renderer no manifests: the chart renders none, and this "
            "release's post-renderer arguments are for a Spot agent's release",
            hint="leave --post-renderer and its arguments out of this release")
    if user.explicit and b"kind" not in data:  # every Kubernetes object has one
        raise TargetError(
            "the input holds no Kubernetes manifests (no document has a 'kind')",
            hint="ocean-proxy reads what 'helm template' writes; check what is piped in, "
                 "or the file given with -f",
        )
    if user.explicit:
        raise TargetError(
            "no Ocean controller workload in the manifests, nor another Spot agent (no "
            f"container, image or pod label of one: {_KNOWN_BY}; none reading {TOKEN_ENV})"
            f"{lists_note(data)}",
            hint=f"name the workload with {as_flags('--workload=Deployment/NAME')}, or leave "
                 "the post-renderer out of this release",
        )
    return RenderResult([data], notices=(_PASSED + lists_note(data),))


# what a fork must keep for its workload to be found: the exporter's container and image and
# the network client's image are not their charts' names
_KNOWN_BY = "; ".join((
    f"containers {', '.join(agent.container for agent in KNOWN_AGENTS)}",
    f"images {', '.join('.../' + agent.image for agent in KNOWN_AGENTS)}",
    f"pod label {NAME_LABEL}: {', '.join(agent.chart for agent in KNOWN_AGENTS)}"))
_PASSED = "no Ocean controller in these manifests, nor another Spot agent: passed through unchanged"

