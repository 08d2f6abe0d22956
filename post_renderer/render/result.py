"""What a post-render gives back: the output as parts, and what the render has to say."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from post_renderer.render.lints import Lint
    from post_renderer.render.plan.injection import Injection
    from post_renderer.render.plan.plan import Plan


class RenderResult(NamedTuple):
    parts: list[bytes | memoryview]
    plan: Plan | None = None
    injection: Injection | None = None  # the first workload's: what the summary names
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    lints: tuple[Lint, ...] = ()
    secrets_hidden: bool = False  # helm hid the chart's Secrets from the post-renderer

    @property
    def changed(self) -> bool:
        return self.plan is not None and not self.plan.empty
