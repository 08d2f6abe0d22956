"""The steps before planning, run on manifest bytes: the release, the injection, the context."""

from __future__ import annotations

from post_renderer.render.plan.filter_order import FILTERS
from post_renderer.render.plan.injection import Injection, resolve_injection
from post_renderer.render.plan.protocol import PlanContext, merge_wants
from post_renderer.render.release.chart_settings import read_chart_settings
from post_renderer.render.release.release import Release, find_release
from post_renderer.render.release.settings import UserSettings
from post_renderer.render.stream.split import split_documents


def release_of(data: bytes, settings: UserSettings | None = None) -> Release:
    workloads = settings.workloads if settings else ()
    return find_release(data, split_documents(data), workloads)


def injection_for(data: bytes, settings: UserSettings) -> tuple[Release, Injection]:
    release = release_of(data, settings)
    return release, resolve_injection(settings, read_chart_settings(release), release)


def context_for(data: bytes, settings: UserSettings) -> PlanContext:
    release, injection = injection_for(data, settings)
    return PlanContext(release, injection, merge_wants(f.pod_wants(injection) for f in FILTERS))


def ops(proposals) -> list[dict]:
    return [p.change.op for p in proposals]
