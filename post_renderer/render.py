"""The post-renderer: manifests in, the same manifests with proxy and trust injected out.

Data flows one way: bytes are split into documents, the targets are picked and parsed,
the settings are resolved against what the chart rendered, the CA bundle is validated, the
changes are planned, then applied, and the bytes are joined again. Nothing is written to
stdout before all of that succeeded.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from .chart_settings import read_chart_settings
from .errors import ManifestError, TargetError, UsageError
from .injection import Injection, decide
from .release import find_release
from .report import Reporter
from .settings import UserSettings, read_settings
from .stream import join, split_documents

if TYPE_CHECKING:
    import datetime as dt

MAX_INPUT_BYTES = 2 * 1024 * 1024 * 1024


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
    injection = decide(user, read_chart_settings(release), release, now)
    if injection.empty:
        return RenderResult([data], injection=injection, notices=(
            *injection.notices,
            "no proxy URL and no CA bundle configured: passed through unchanged "
            "(set spotinst.proxyUrl, or pass --proxy-url / --ca-file)"),
            warnings=injection.warnings)
    from .planning import apply_plan, build_plan

    plan = build_plan(release, injection)
    replaced, appended = apply_plan(plan)
    return RenderResult(join(data, chunks, replaced, appended), plan, injection,
                        injection.notices, injection.warnings)


def run(args: Any, reporter: Reporter) -> int:
    if args.explain and args.plan:
        raise UsageError("--explain and --plan do not go together",
                         hint="--plan prints the changes as JSON; --explain as text on stderr")
    user = read_settings(args, os.environ)
    data = read_manifests(args.filename)
    result = post_render(data, user)
    for notice in result.notices:
        reporter.notice(notice)
    for warning in result.warnings:
        reporter.warning(warning)
    if result.plan is not None:
        from .explain import explain_lines, plan_json, summary

        reporter.notice(summary(result.plan, result.injection))
        if args.explain:
            for line in explain_lines(result.plan):
                reporter.detail(line)
        if args.plan:
            sys.stdout.write(plan_json(result.plan))
            sys.stdout.flush()
            return 0
    elif args.plan:
        sys.stdout.write('{"documents": []}\n')
        return 0
    out = sys.stdout.buffer
    out.writelines(result.parts)
    out.flush()
    return 0


def read_manifests(filename: str) -> bytes:
    if filename == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError(
                "no manifests on standard input",
                hint="pipe 'helm template' into it, or give it to helm with "
                     "--post-renderer ocean-proxy-post-renderer",
            )
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        try:
            with open(filename, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as error:
            raise UsageError(f"cannot read {filename} ({error.strerror})",
                             hint="check the path given to --filename") from None
        where = filename
    if len(data) > MAX_INPUT_BYTES:
        raise ManifestError(f"{where} is larger than 2 GiB",
                            hint="a Helm release this large cannot be stored by Kubernetes")
    if not data.strip():
        raise ManifestError(f"no manifests on {where}",
                            hint="pipe the output of 'helm template' into it")
    return data
