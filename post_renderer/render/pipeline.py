"""The post-render pipeline, without I/O: manifest bytes and user settings in, parts out.

Data flows one way: bytes are split into documents, the targets are picked and parsed,
the settings are resolved against what the chart rendered, the CA bundle is validated, the
changes are planned, then applied, and the bytes are joined again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from post_renderer.errors import TargetError
from post_renderer.render.chart_settings import read_chart_settings
from post_renderer.render.injection import Injection, resolve_injection
from post_renderer.render.release import find_release
from post_renderer.render.settings import UserSettings
from post_renderer.render.stream import join, split_documents

if TYPE_CHECKING:
    import datetime as dt


class RenderResult(NamedTuple):
    parts: list[bytes | memoryview]
    plan: Any = None
    injection: Injection | None = None
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.plan is not None and not self.plan.empty


def post_render(data: bytes, user: UserSettings, now: dt.datetime | None = None) -> RenderResult:
    """The whole transformation, without I/O: bytes and settings in, parts and messages out."""
    chunks = split_documents(data)
    release = find_release(data, chunks, user.workloads)
    if not release.workloads:
        if user.explicit:
            raise TargetError(
                "no Ocean controller workload in the manifests (no container "
                "'ocean-kubernetes-controller', no label app.kubernetes.io/name="
                "ocean-kubernetes-controller)",
                hint="name the workload with --workload Deployment/NAME, or leave the "
                     "post-renderer out of this release",
            )
        return RenderResult([data], notices=(
            "no Ocean controller in these manifests: passed through unchanged",))
    injection = resolve_injection(user, read_chart_settings(release), release, now)
    if injection.empty:
        return RenderResult([data], injection=injection, notices=(
            *injection.notices,
            "no proxy URL and no CA bundle configured: passed through unchanged "
            "(set spotinst.proxyUrl, or pass --proxy-url / --ca-file)"),
            warnings=injection.warnings)
    from post_renderer.render.plan import apply_plan, build_plan

    plan = build_plan(release, injection)
    replaced, appended = apply_plan(plan)
    return RenderResult(join(data, chunks, replaced, appended), plan, injection,
                        injection.notices, injection.warnings)
