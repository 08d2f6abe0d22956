"""A release with Spot agents, unit by unit: each target workload's settings resolved
against its own namespace, the changes planned, checked against each other, and applied.

Each target workload is a unit of its own: its settings are read from the objects of its
own namespace, and what is added for it goes there. One post-render gives one proxy: two
workloads whose charts name different proxies are refused, as are two plans that would
write one document differently. A Spot agent that reads the ConfigMap of a controller of the
same stream and namespace (the ones the controller chart renders itself) gets that
controller's proxy and CAs, and its pods read the Secrets the controller's unit writes: one
Secret holds the password, the bundle is judged once, and that ConfigMap is the controller's
unit's to rewrite.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from post_renderer.errors import Paragraph, WorkloadConflictError, as_flags
from post_renderer.render.lints import find_lints
from post_renderer.render.overlay.values import NO_CA
from post_renderer.render.plan.filter_order import pod_wants
from post_renderer.render.plan.injection import Injection, resolve_injection
from post_renderer.render.plan.plan import Plan, apply_plan, build_plan, helm_hid_secrets
from post_renderer.render.release.agents import (
    CONTROLLER,
    METRIC_EXPORTER,
    NETWORK_CLIENT,
    SpotAgent,
    recognise,
)
from post_renderer.render.release.chart_settings import ChartSettings, read_chart_settings
from post_renderer.render.release.key_refs import KeyRef
from post_renderer.render.release.owned_names import OwnedNames, deleting
from post_renderer.render.release.release import Release
from post_renderer.render.release.settings import Setting, UserSettings
from post_renderer.render.result import RenderResult
from post_renderer.render.stream.split import Chunks, join

if TYPE_CHECKING:
    import datetime as dt

    from post_renderer.trust import FactCache


class Unit(NamedTuple):
    """One target workload: the release as it sees it, and what it gets."""

    release: Release
    chart: ChartSettings
    injection: Injection
    controller: int | None = None  # the unit of the controller whose chart renders it

    @property
    def name(self) -> str:
        workload = self.release.workloads[0]
        return f"{workload.kind}/{workload.name}"

    @property
    def agent(self) -> SpotAgent | None:
        workload = self.release.workloads[0]
        return recognise(workload.document, workload.kind)


def render_units(data: bytes, chunks: Chunks, release: Release, user: UserSettings,
                 now: "dt.datetime | None", facts: "FactCache | None",
                 hide: Callable[..., None]) -> RenderResult:
    """The release's target workloads (``release.workloads``, at least one) changed as their
    settings say; ``post_render`` without the finding."""
    units = _units(release, user, now, facts, hide)
    _check_one_proxy(units)
    units, plans = _agents_at_auto_update(units)
    lints = tuple(lint for unit in units for lint in
                  find_lints(unit.release, unit.chart, unit.injection,
                             pod_wants(unit.injection)))
    notices = [n for unit in units for n in unit.injection.notices]
    warnings = [w for unit in units for w in unit.injection.warnings]
    notices += _nothing_configured([unit for unit in units if unit.injection.empty])
    secrets_hidden = helm_hid_secrets(data)
    if secrets_hidden:  # what is said of the CA and the checksums is without the chart's
        notices = [_SECRETS_HIDDEN, *(n for n in notices if not n.startswith(NO_CA))]
    active = [(index, unit) for index, unit in enumerate(units) if not unit.injection.empty]
    said = (tuple(dict.fromkeys(notices)), tuple(dict.fromkeys(warnings)), lints)
    if not active:
        return RenderResult([data], None, units[0].injection, *said,
                            secrets_hidden=secrets_hidden)
    plan = Plan()
    for order, (index, unit) in enumerate(active):
        built = plans[index] if index in plans else build_plan(unit.release, unit.injection)
        plan.absorb(built, unit.name, ", ".join(u.name for _, u in active[:order]))
    replaced, appended = apply_plan(plan, secrets_hidden=secrets_hidden)
    parts = join(data, chunks, replaced, appended)
    first = active[0][1]
    trust = first.injection.trust
    if trust is not None and len(trust.pem()) >= _BUNDLE_WORTH_CHECKING and \
            sum(map(len, parts)) > _RECORD_WORTH_CHECKING:  # whether helm can store it
        from post_renderer.render.release_record import too_large_to_store

        stored = too_large_to_store(parts, first.chart, first.injection)
        said = said if stored is None else (*said[:2], (*lints, stored))
    return RenderResult(parts, plan, first.injection, *said, secrets_hidden=secrets_hidden)


_SECRETS_HIDDEN = Paragraph(
    "helm hid the chart's Secrets from the post-renderer (--hide-secret, Helm 3): ocean-proxy's "
    "own Secrets are hidden too",
    "this dry run shows the release without what those Secrets hold (a CA in caBundleSecret, "
    "the token the checksums are keyed by); the upgrade itself reads them")
# below this, the output with a chart's CA value beside it cannot come near helm's 1 MiB
_RECORD_WORTH_CHECKING = 256 * 1024
# The bundle is what ocean-proxy writes several times over; below this, its copies cannot
# decide whether helm can store a release (a release too large without them is the chart's,
# and compressing all of a big release to say so would cost more than the render)
_BUNDLE_WORTH_CHECKING = 64 * 1024


def _units(release: Release, user: UserSettings, now: "dt.datetime | None",
           facts: "FactCache | None", hide: Callable[..., None]) -> list[Unit]:
    """One unit per workload, in stream order, the controllers' first. An auto-update Job
    belongs to one unit, a controller's first: its ConfigMap may be read by other agents of
    the release too. So does the proxy URL in that ConfigMap, which the controller's unit
    rewrites along with the Secret beside it (the metric exporter the controller chart
    renders reads it too). An agent that reads a controller's ConfigMap in its namespace (the
    ones the controller chart renders beside it) reads that controller's Secrets too."""
    controllers_first = sorted(release.workloads,
                               key=lambda w: recognise(w.document, w.kind) != CONTROLLER)
    # by document: a namesake ConfigMap in another namespace is another one
    claimed: set[tuple[int | None, str]] = set()  # auto-update Jobs, by ConfigMap and key
    rewritten: set[int] = set()  # the ConfigMaps whose proxy URL a unit rewrites
    by_workload: dict[int, Unit] = {}
    position = {id(workload): index for index, workload in enumerate(release.workloads)}
    for workload in controllers_first:
        unit = release.unit(workload)
        chart = read_chart_settings(unit, hide)
        jobs = tuple(job for job in chart.auto_update_jobs
                     if (_document_of(unit, job), job.key) not in claimed)
        claimed.update((_document_of(unit, job), job.key) for job in jobs)
        chart = chart._replace(auto_update_jobs=jobs)
        if _document_of(unit, chart.proxy_ref) in rewritten:
            chart = chart._replace(proxy_ref=None)  # its variables get the URL of their own
        controller = _its_controller(unit, list(by_workload.values()))
        beside = controller.injection if controller and not controller.injection.empty \
            else None
        injection = resolve_injection(user, chart, unit, now, facts, beside)
        at = position[id(controller.release.workloads[0])] if controller else None
        by_workload[id(workload)] = Unit(unit, chart, injection, at)
        configmap = _document_of(unit, injection.proxy_configmap)
        if configmap is not None:
            rewritten.add(configmap)
    return [by_workload[id(w)] for w in release.workloads]


def _its_controller(unit: Release, units: list[Unit]) -> Unit | None:
    """The controller whose ConfigMap this agent reads, in its namespace (the network client
    and metric exporter the controller chart renders). Read again, once its proxy variables
    read that controller's Secret, an agent that read nothing else of that ConfigMap reads
    none of it: that Secret tells whose neighbour it is then."""
    agent = recognise(unit.workloads[0].document, unit.workloads[0].kind)
    if agent is None or not agent.reads_controller_objects:
        return None
    reads = _documents(unit, "ConfigMap")
    secrets = _documents(unit, "Secret")
    return next((c for c in units if c.agent == CONTROLLER and (
        reads & _documents(c.release, "ConfigMap") or secrets & _proxy_secret(c.release))),
        None)


def _documents(unit: Release, kind: str) -> set[int]:
    return {c.chunk.index for c in unit.referenced(kind) if c.chunk is not None}


def _proxy_secret(controller: Release) -> set[int]:
    """The controller's Secret of the proxy URL, where the stream holds it (a render's own
    output, read again)."""
    name = OwnedNames(controller.workloads[0].name).proxy
    return {c.chunk.index for c in controller.referenced("Secret")
            if c.name == name and c.chunk is not None}


def _agents_at_auto_update(units: list[Unit]) -> tuple[list[Unit], dict[int, Plan]]:
    """Each agent beside a controller: what the Job's post-renderer gives it again at the
    chart's auto-update (its controller's ``kept_agents``), or a warning of what it loses.
    The agents' plans, built to read their edits off, by unit index."""
    units, plans = list(units), dict[int, Plan]()
    if all(unit.controller is None for unit in units):
        return units, plans
    # only a chart that renders agents beside the controller pays for reading their edits
    from post_renderer.render.kept_at_auto_update import (
        kept_agent,
        kept_notice,
        lost_at_auto_update,
    )

    for index, unit in enumerate(units):
        if unit.controller is None:
            continue
        controller = units[unit.controller]
        plan, edit = kept_agent(unit.release, unit.injection, controller.injection)
        if plan is not None:
            plans[index] = plan
        if edit is None:
            lost = lost_at_auto_update(unit.release, unit.chart, controller.chart,
                                       controller.injection)
            units[index] = unit._replace(injection=unit.injection._replace(
                warnings=(*unit.injection.warnings, *lost)))
            continue
        given = controller.injection
        units[unit.controller] = controller._replace(injection=given._replace(
            kept_agents=(*given.kept_agents, edit),
            notices=(*given.notices, kept_notice(unit.release, unit.injection))))
    return units, plans


def _document_of(unit: Release, ref: KeyRef | None) -> int | None:
    """The stream index of the object ``ref`` names, as the unit sees it, if it is there."""
    found = unit.get(ref.kind, ref.name) if ref is not None else None
    return found.chunk.index if found is not None and found.chunk is not None else None


# what the charts of the agents of a release of their own lack (the controller chart's
# spotinst.proxyUrl is not one of their values: helm would take it without a word)
_LACKING = {NETWORK_CLIENT: "no proxy or CA values", METRIC_EXPORTER: "no proxy value"}


def _nothing_configured(idle: list[Unit]) -> list[str]:
    """What to do for the workloads left unchanged: the controller chart's proxy value where
    it reaches them (the controller, the agents that chart renders beside it), else flags
    (the network client's and metric exporter's charts have none, another chart's are not
    known)."""
    lacking = {u.name: _LACKING[u.agent] for u in idle
               if u.agent in _LACKING and u.controller is None}
    with_values = [u.name for u in idle if u.agent == CONTROLLER or u.controller is not None]
    others = [u.name for u in idle if u.name not in lacking and u.name not in with_values]
    notices = []
    for names, how in ((with_values, "set spotinst.proxyUrl, or pass "), (others, "pass ")):
        if names:
            notices.append(Paragraph(
                f"no proxy URL and no CA bundle configured for {', '.join(names)}: passed "
                "through unchanged", how + as_flags('--proxy-url=URL', '--ca-file=FILE')))
    for what in dict.fromkeys(lacking.values()):
        names = [name for name, lacks in lacking.items() if lacks == what]
        notices.append(Paragraph(
            f"{', '.join(names)}: its chart has {what}, so it was passed through unchanged",
            f"pass {as_flags('--proxy-url=URL', '--ca-file=FILE')}"))
    return notices + [_kept_from_before(u) for u in idle if u.agent == CONTROLLER]


def _kept_from_before(unit: Unit) -> str:
    """A render with nothing configured changes nothing, so it cannot blank what an earlier
    one with a proxy kept: the user alone knows whether there was one. The agents the
    controller chart renders beside it read the controller's Secrets and have none of their
    own."""
    workload = unit.release.workloads[0]
    names = OwnedNames(workload.name)
    return Paragraph(
        f"if {unit.name} ran with ocean-proxy before, helm keeps Secret '{names.proxy}' with "
        "that proxy URL, password included (a metric exporter post-rendered beside it still "
        "reads that proxy), and its other Secrets; to remove them:",
        "first upgrade without --post-renderer each Spot agent of another release that "
        f"reads '{names.proxy}'",
        "then " + deleting(workload.namespace, ["--ignore-not-found", *names.all()[1:]]))


def _check_one_proxy(units: list[Unit]) -> None:
    proxies: dict[str, tuple[Setting, list[Unit]]] = {}
    for unit in units:
        if unit.injection.proxy is not None:
            proxy = unit.injection.proxy
            proxies.setdefault(proxy.value.full, (proxy, []))[1].append(unit)
    if len(proxies) > 1:
        said = "; ".join(
            f"{', '.join(u.name for u in group)} the proxy {proxy.value.redacted} "
            f"(from {proxy.source})" for proxy, group in proxies.values())
        raise WorkloadConflictError(
            f"the workloads' charts name different proxies: {said}",
            hint=f"give all of them one proxy with {as_flags('--proxy-url=URL')}, or "
                 "post-render their releases one by one")
