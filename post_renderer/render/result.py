"""What a post-render gives back: the output as parts, and what the render has to say."""

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from post_renderer.render.lints import Lint
    from post_renderer.render.plan.injection import Injection
    from post_renderer.render.plan.plan import Plan
else:
    # The class's annotations are evaluated when it is made: a name written as a string
    # would be compiled by typing, and the first compile of a process starts Python's
    # compiler, a millisecond that a render spends on nothing else.
    Lint = Injection = Plan = object


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
