"""Everything decided before a document is touched: which proxy, which CAs, which Secrets.

User settings win over what the chart rendered. The CA bundle is chosen and validated first
(``trust_choice``), so a refused bundle stops the post-renderer before anything is written.
The notices and warnings a user must see (no CA configured, a proxy another release
writes, a ConfigMap other releases read, the auto-update Job, the Secrets helm keeps) are
collected here too."""

from typing import TYPE_CHECKING, NamedTuple

from post_renderer.errors import AutoUpdateError, Paragraph, as_flags
from post_renderer.proxy_settings.no_proxy import no_proxy_entries
from post_renderer.proxy_settings.proxy_url import assumed_parts
from post_renderer.render.overlay.job import extend_script, job_script
from post_renderer.render.overlay.values import Overlay, why_not
from post_renderer.render.plan.shared_proxy import (
    configmap_message,
    contract_notice,
    proxy_of_another_release,
    shared_proxy_secret,
    unrendered_own_proxy,
)
from post_renderer.render.plan.trust_choice import choose_trust
from post_renderer.render.release.chart_settings import ChartSettings
from post_renderer.render.release.key_refs import KeyRef, key_ref
from post_renderer.render.release.owned_names import OwnedNames, deleting, refuse_unusable_names
from post_renderer.render.release.release import Release
from post_renderer.render.release.settings import Setting, UserSettings
from post_renderer.render.release.workloads import CONTROLLER_CONTAINER, is_fluent_bit
from post_renderer.render.stream.kube import (
    POD_SPEC_PATHS,
    YamlNode,
    containers,
    env_entries,
    get_path,
)
from post_renderer.trust import TrustBundle

if TYPE_CHECKING:
    import datetime as dt

    from post_renderer.trust import FactCache

FLUENT_BIT_PROXY = ("HTTP_PROXY", "http_proxy")  # what fluent-bit reads, for HTTPS too
# A Spot token is 64 hex digits; anything shorter is not trusted to key checksum/proxy.
MIN_KEY_BYTES = 32


class Injection(NamedTuple):
    """What the target pods get, and where the supporting Secrets live."""

    proxy: Setting | None = None  # value: ProxyUrl
    no_proxy: tuple[str, ...] = ()
    trust: TrustBundle | None = None
    trust_source: str | None = None
    ca_secret: KeyRef | None = None  # where the validated bundle is written
    repoint_ca_env: bool = False  # USER_ENV_CERTIFICATES must follow ca_secret
    proxy_secret: str | None = None  # Secret holding a proxy URL with credentials
    proxy_configmap: KeyRef | None = None  # the chart's plain-text copy of the proxy URL
    shared_proxy_secret: str | None = None  # the full URL, for agents reading that ConfigMap
    proxy_from: KeyRef | None = None  # the full URL, written by another release's render
    auto_update_jobs: tuple[KeyRef, ...] = ()
    values_shape: bool = False  # the pods as the chart's values give them (see overlay)
    ca_volume_secret: str | None = None  # the kept Secret the CA volume mounts, if not ca_secret
    read_only_secrets: frozenset[str] = frozenset()  # the pods read them, another unit writes
    chart_proxy_key: KeyRef | None = None  # the controller's HTTPS_PROXY, left to the chart
    checksum_key: bytes | None = None  # keys checksum/proxy's credentials (filters.rollout)
    overlay: Overlay | None = None  # the injection as chart values, built by the plan
    overlay_secret: str | None = None  # Secret holding it for the Job's helm
    strict_job: bool = False  # the Job's post-renderer fails the upgrade on a mismatch
    kept_agents: tuple[dict[str, YamlNode], ...] = ()  # the agents' edits (overlay.agents)
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.proxy is None and self.trust is None and self.proxy_from is None


def resolve_injection(user: UserSettings, chart: ChartSettings, release: Release,
                      now: "dt.datetime | None" = None, facts: "FactCache | None" = None,
                      beside: "Injection | None" = None) -> Injection:
    """What to inject; ``facts`` (a certificate fact cache) saves parsing, nothing else.

    ``beside``: the controller's, for a Spot agent its chart renders beside it: the agent
    gets that proxy where the user gave none, those CAs, and reads the Secrets holding them
    (``beside_controller``)."""
    names = OwnedNames(release.workloads[0].name if release.workloads else "ocean-proxy")
    proxy, proxy_from, notices, warnings = _choose_proxy(user, chart, release, beside)
    additions = (*chart.no_proxy, *(user.no_proxy.value if user.no_proxy else ()))
    lent = None
    if beside is not None:  # only a release whose controller chart renders agents beside it
        from post_renderer.render.plan.beside_controller import lent_by

        lent = lent_by(beside, proxy)
    # beside a controller without CAs, its unit has said so: the agent's own chart may have one
    chosen = lent.trust if lent and lent.trust else choose_trust(
        user, chart, release, names, None if lent else proxy, now, facts)
    trust = chosen.trust
    notices += chosen.notices
    warnings += chosen.warnings
    if proxy is not None and proxy.value.scheme != "http":
        warnings += _fluent_bit_without_proxy(proxy, release)
    configmap = chart.proxy_ref if chart.proxy_ref and chart.proxy_ref.kind == "ConfigMap" \
        else None
    proxy_secret = (lent and lent.proxy_secret) or (
        names.proxy if proxy and proxy.value.has_credentials else None)
    # with a CA alone (a transparent proxy) too: an exporter beside the controller reads that
    # Secret, and must find it (blank: no proxy), and not an earlier proxy's password
    shared = shared_proxy_secret(release, configmap) if proxy or trust is not None else None
    injection = Injection(
        proxy=proxy,
        no_proxy=no_proxy_entries(additions) if proxy or proxy_from else (),
        trust=trust,
        trust_source=chosen.source,
        ca_secret=chosen.ca_secret,
        repoint_ca_env=chosen.repoint_ca_env,
        proxy_secret=proxy_secret,
        proxy_configmap=configmap,
        shared_proxy_secret=shared,
        proxy_from=proxy_from,
        auto_update_jobs=chart.auto_update_jobs if user.auto_update.value == "inject" else (),
        checksum_key=chart.spot_token if len(chart.spot_token or b"") >= MIN_KEY_BYTES else None,
        ca_volume_secret=lent.ca_volume_secret if lent else None,
        read_only_secrets=lent.secrets if lent else frozenset(),
    )
    if not injection.empty:
        injection = _values_shape(injection, release, names)
    if shared is not None and proxy is not None and configmap is not None:
        said = configmap_message(release, configmap, shared, source=proxy.source,
                                 blanked=injection.chart_proxy_key == configmap,
                                 credentials=proxy.value.has_credentials)
        if said is not None:
            message, is_warning = said
            (warnings if is_warning else notices).append(message)
    if chart.auto_update_jobs and not injection.empty:
        injection, message = _auto_update(user, chart, injection, release, names)
        # every auto-update keeps the overlay: a notice; else what it drops: a warning
        (notices if injection.overlay_secret is not None else warnings).append(message)
    if injection.values_shape and injection.overlay_secret is None:
        notices += _kept_without_auto_update(injection, release)
    _check_new_secret_names(injection, release)
    return injection._replace(notices=tuple(notices), warnings=tuple(warnings))


def _choose_proxy(user: UserSettings, chart: ChartSettings, release: Release,
                  beside: Injection | None
                  ) -> tuple[Setting | None, KeyRef | None, list[str], list[str]]:
    """The proxy (the user's, else the controller's beside, else the chart's), or where
    another release's render wrote it; with the notices and warnings about it."""
    notices: list[str] = []
    warnings: list[str] = []
    proxy = user.proxy_url or (beside.proxy if beside else None) or chart.proxy_url
    proxy_from = None if proxy else proxy_of_another_release(chart, release)
    if proxy_from is not None and chart.proxy_ref is not None:
        notices.append(contract_notice(release, chart.proxy_ref, proxy_from))
    if proxy is None and proxy_from is None and chart.auto_update_jobs and \
            user.auto_update.value == "inject":
        _refuse_a_job_without_its_proxy(release)
    if proxy is not None and (assumed := assumed_parts(proxy.value, proxy.source)):
        warnings.append(assumed)
    if beside is None and user.proxy_url and chart.proxy_url and \
            user.proxy_url.value.full != chart.proxy_url.value.full:  # said by the controller's
        from post_renderer.render.plan.replaced_proxy import replaced_chart_proxy  # only then

        notices.append(replaced_chart_proxy(user.proxy_url, chart.proxy_url))
    return proxy, proxy_from, notices, warnings


def _fluent_bit_without_proxy(proxy: Setting, release: Release) -> list[str]:
    """What the log-shipper makes of a proxy that is not http://, which fluent-bit cannot
    take: nothing to say where there is no log-shipper."""
    own = _own_fluent_bit_proxy(release)
    if own is None:
        return []
    gets = "keeps the HTTP_PROXY of its own values (logShipping.extraEnv), not this " \
        "proxy" if own else "gets no proxy and cannot ship its logs"
    return [f"the log-shipper (fluent-bit) supports only http:// proxies, and {proxy.source} "
            f"is {proxy.value.scheme}://: it {gets}; if the proxy also takes plain CONNECT "
            "requests, give its http:// URL (TLS to the Spot API stays end to end)"]


def _own_fluent_bit_proxy(release: Release) -> bool | None:
    """Whether a log-shipper was rendered with a proxy variable fluent-bit reads, which
    ocean-proxy leaves beside a proxy fluent-bit cannot take; None: there is no log-shipper.
    One its values blank (no value, or an empty one) gives it none."""
    shippers = [container for workload in release.workloads
                for _, _, container in containers(
                    get_path(workload.document, POD_SPEC_PATHS[workload.kind]))
                if is_fluent_bit(container)]
    if not shippers:
        return None
    return any(isinstance(entry, dict) and entry.get("name") in FLUENT_BIT_PROXY
               and bool(entry.get("value") or entry.get("valueFrom"))
               for container in shippers for entry in container.get("env") or ())


def _refuse_a_job_without_its_proxy(release: Release) -> None:
    """The pods read the proxy from our kept Secret, which these manifests do not hold: the
    auto-update Job, which gets the proxy only from this render, would go without it."""
    ours = unrendered_own_proxy(release)
    if ours is not None:
        raise AutoUpdateError(
            "the manifests were rendered with ocean-proxy's chart values (the release's "
            "values hold them once the chart's auto-update has run): the pods' proxy is in "
            f"Secret '{ours}', which they do not hold, so the auto-update Job would go "
            "without it",
            hint=f"give the proxy again with {as_flags('--proxy-url=URL')}, OCEAN_PROXY_URL "
                 "or --set spotinst.proxyUrl=URL; or upgrade with your own values files "
                 "instead of --reuse-values")


def _auto_update(user: UserSettings, chart: ChartSettings, injection: Injection,
                 release: Release, names: OwnedNames) -> tuple[Injection, str]:
    """With the policy 'inject', the overlay when the chart and its Job can carry it."""
    if user.auto_update.value != "inject":
        return injection, _auto_update_warning(user, chart, injection)
    reason = why_not(release)
    scripts = [job_script(release, ref) for ref in chart.auto_update_jobs]
    if reason is None and not all(s is not None and extend_script(s) for s in scripts):
        reason = ("the auto-update Job's script does not save 'helm get values' to "
                  "/tmp/values.yaml and pass it to 'helm upgrade' as the vendor's does")
    if reason is not None:
        return injection, _auto_update_warning(user, chart, injection, reason)
    secret = names.values
    kept = list(dict.fromkeys(name for name in (secret, injection.proxy_secret,
                                                injection.shared_proxy_secret,
                                                injection.trust and names.ca) if name))
    strict = (f"fails that upgrade before anything is applied ({user.strict_source})"
              if user.strict else
              "leaves that release as rendered and says why in the Job's log")
    given = [what for what, there in (("proxy", injection.proxy), ("CA", injection.trust))
             if there]  # a transparent proxy needs only the CA: no proxy to speak of
    reach = ("reaches charts.spot.io through the proxy" if injection.proxy
             else "trusts the CA on its way to charts.spot.io")
    message = Paragraph(
        f"auto-update is on: its next Job {reach}, and every later auto-update keeps "
        f"{', '.join('the ' + what for what in given)} and the checksums",
        "the Job's 'helm upgrade' also passes ocean-proxy's chart values and runs the "
        f"post-renderer kept in Secret '{secret}' (bash and helm only; helm 3.1 or later, or 4)",
        f"on a Job it does not recognise, the post-renderer {strict}",
        f"helm keeps {_secrets(kept)} after such an upgrade; once ocean-proxy is removed:",
        *(f"  {step}" for step in _removal(kept, release, injection.shared_proxy_secret)))
    return injection._replace(overlay_secret=secret, strict_job=user.strict), message


def _kept_without_auto_update(injection: Injection, release: Release) -> list[str]:
    """Without the auto-update's overlay, the Secrets the values shape keeps are named too:
    helm leaves them behind once ocean-proxy is removed, and no other line names them."""
    kept = list(dict.fromkeys(name for name in (injection.proxy_secret,
                                                injection.shared_proxy_secret,
                                                injection.ca_volume_secret)
                              if name and name not in injection.read_only_secrets))
    if not kept:
        return []
    return [Paragraph(f"helm keeps {_secrets(kept)} across upgrades; once ocean-proxy is "
                      "removed:", *_removal(kept, release, injection.shared_proxy_secret))]


def _secrets(names: list[str]) -> str:
    return ("Secrets " if len(names) > 1 else "Secret ") + ", ".join(repr(n) for n in names)


def _removal(kept: list[str], release: Release, shared: str | None) -> list[str]:
    """The steps that remove what helm keeps once ocean-proxy is removed, each command on a
    line of its own; with ours an earlier render kept and this one lacks (the Job's values)."""
    workload = release.workloads[0]
    earlier = [n for n in OwnedNames(workload.name).all()[1:] if n not in kept]  # not chart's
    listed = ["--ignore-not-found", *kept, *earlier] if earlier else kept
    delete = deleting(workload.namespace, listed)
    if shared is None or shared not in kept:
        return [delete]
    # a post-rendered exporter of another release reads it: deleted first, its pod cannot start
    return ["first upgrade without --post-renderer each Spot agent of another release that "
            f"reads Secret '{shared}' (ocean-metric-exporter's PROXY_URL): their pods cannot "
            "start without it",
            f"then {delete}"]


def _values_shape(injection: Injection, release: Release, names: OwnedNames) -> Injection:
    """Where the chart's values can carry the injection, the pods take the shape those values
    give (``ocean-proxy values``, and what the auto-update renders with them), so that every
    route stores the same pod template and switching routes restarts nothing of ours: the
    CA volume mounts a kept Secret of ours, not the chart's, and the controller's
    ``HTTPS_PROXY`` stays the chart's reference to a blanked ConfigMap key (Go then reads
    ``https_proxy``)."""
    if not release.workloads or why_not(release) is not None:
        return injection
    ca = names.ca if injection.trust is not None and injection.ca_secret is not None else None
    if injection.ca_secret is not None and injection.ca_secret.name in injection.read_only_secrets:
        ca = injection.ca_volume_secret  # the controller's, whatever its chart's values carry
    key = _controller_proxy_key(release) if injection.proxy is not None else None
    return injection._replace(values_shape=True, ca_volume_secret=ca, chart_proxy_key=key)


def _controller_proxy_key(release: Release) -> KeyRef | None:
    return next((ref for workload in release.workloads
                 for found in env_entries(workload.document, workload.kind)
                 if found.container.get("name") == CONTROLLER_CONTAINER
                 and found.entry.get("name") == "HTTPS_PROXY"
                 and (ref := key_ref(found.entry)) is not None and ref.kind == "ConfigMap"
                 and release.get(ref.kind, ref.name) is not None), None)


def _check_new_secret_names(injection: Injection, release: Release) -> None:
    new = [name for name in (injection.proxy_secret,
                             injection.ca_secret.name if injection.ca_secret else None,
                             injection.ca_volume_secret, injection.overlay_secret)
           if name is not None and release.get("Secret", name) is None]
    refuse_unusable_names(new, release.workloads[0].describe() if release.workloads else None)


def _auto_update_warning(user: UserSettings, chart: ChartSettings, injection: Injection,
                         reason: str | None = None) -> str:
    policy = user.auto_update
    if policy.value == "refuse":
        raise AutoUpdateError(
            "the release's auto-update Job is on, and its 'helm upgrade' runs without this "
            f"post-renderer (auto-update policy 'refuse' from {policy.source})",
            hint="add --set spotinst.disableAutoUpdate=true and upgrade from your pipeline",
        )
    lost = ["the log-shipper's proxy and CA", "the rollout checksums"]
    if injection.proxy and injection.proxy.source != (chart.proxy_url and chart.proxy_url.source):
        lost.insert(0, f"the controller's proxy (it comes from {injection.proxy.source})")
    if injection.trust and injection.trust_source != (chart.ca_data and chart.ca_data.source):
        lost.insert(0, f"the controller's CA (it comes from {injection.trust_source})")
    given = ("its Job now gets the proxy and the CA to reach charts.spot.io, but"
             if policy.value == "inject" else "its Job is left as rendered, and")
    because = f"{reason}: " if reason else ""
    return Paragraph(
        f"auto-update is on: {because}{given} the 'helm upgrade' it runs does not use this "
        f"post-renderer, so an automatic upgrade drops {_words(lost)}",
        "add --set spotinst.disableAutoUpdate=true to upgrade only from your pipeline, or "
        f"{as_flags('--auto-update=refuse')} to make this an error")


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
