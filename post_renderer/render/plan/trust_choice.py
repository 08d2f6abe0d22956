"""Which CA certificates the pods are given, and which Secret holds them.

The user's CA files (``--ca-file``) replace the bundle the chart renders
(``caBundleSecret.data``); either is validated here, so a refused bundle stops the
post-renderer before anything is written. The bundle goes into the chart's own CA Secret
when that holds nothing but CA files, else into ours, which ``USER_ENV_CERTIFICATES`` then
reads.
"""

from typing import TYPE_CHECKING, NamedTuple

from post_renderer.errors import BundleError, as_flags
from post_renderer.render.overlay.values import no_ca_notice
from post_renderer.render.release.agents import recognise
from post_renderer.render.release.chart_settings import CA_VALUE, RENDERED_CA, ChartSettings
from post_renderer.render.release.key_refs import KeyRef, only_ca_files
from post_renderer.render.release.owned_names import OwnedNames
from post_renderer.render.release.release import Release
from post_renderer.render.release.settings import Setting, UserSettings
from post_renderer.render.stream.kube import CA_ENV
from post_renderer.trust import TrustBundle

if TYPE_CHECKING:
    import datetime as dt

    from post_renderer.trust import FactCache

BUNDLE_KEY = "userEnvCertificates.pem"
SECRET_LIMIT = 1024 * 1024  # what Kubernetes stores in one Secret


class TrustChoice(NamedTuple):
    """The validated bundle, where it came from and where it is written."""

    trust: TrustBundle | None = None
    source: str | None = None
    ca_secret: KeyRef | None = None
    repoint_ca_env: bool = False  # USER_ENV_CERTIFICATES must follow ca_secret
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def choose_trust(user: UserSettings, chart: ChartSettings, release: Release, names: OwnedNames,
                 proxy: Setting | None, now: "dt.datetime | None" = None,
                 facts: "FactCache | None" = None) -> TrustChoice:
    """The CAs the pods get; ``facts`` (a certificate fact cache) saves parsing, nothing
    else. With neither CA files nor a rendered bundle (nor a CA Secret made elsewhere, which a
    lint names, or the controller's, read from another release), a proxy gets the notice that
    no CA is configured."""
    if user.ca_files:
        from post_renderer.render.plan.replaced_cas import dropped_chart_cas
        from post_renderer.trust import load_trust_bundle

        trust, warnings = load_trust_bundle(user.ca_files.value, now=now, facts=facts)
        source = user.ca_files.source
        lost = dropped_chart_cas(chart.ca_data, trust, source, now, facts)
        warnings = [*warnings, lost] if lost else warnings
        ca_secret, repoint = _ca_secret_to_write(chart, release, names)
        moved = repoint and chart.ca_ref is not None and chart.ca_ref.name != ca_secret.name
        notices = (f"USER_ENV_CERTIFICATES now reads Secret '{ca_secret.name}', made from "
                   f"{source}, instead of {chart.ca_ref}",) if moved else ()
    elif chart.ca_data is not None:
        trust, warnings = _chart_trust(chart.ca_data, now, facts)
        source = chart.ca_data.source
        ca_secret, repoint = _ca_secret_to_write(chart, release, names)
        notices = ()
    elif proxy is not None and (chart.ca_ref is None or chart.ca_ref.name == names.chart_ca
                                or _standalone_agent(release, chart.ca_ref)):
        return TrustChoice(notices=(no_ca_notice(release),))
    else:
        return TrustChoice()
    if 2 * len(trust.pem()) * 4 // 3 > SECRET_LIMIT:
        # the Secret holds the bundle and each CA again (by hash), all base64-encoded
        raise BundleError(
            f"the CA bundle from {source} ({len(trust.certificates)} certificates, "
            f"{len(trust.pem()) // 1024} KiB) would not fit in a Kubernetes Secret (1 MiB)",
            hint="pass only the CA certificates the proxy re-signs with; the pods keep "
                 "trusting the public roots",
        )
    return TrustChoice(trust, source, ca_secret, repoint, notices, tuple(warnings))


def _standalone_agent(release: Release, ca_ref: KeyRef) -> bool:
    """A Spot agent that reads the controller's objects when installed next to it (the
    metric exporter), installed on its own: it reads a ConfigMap its own release renders, and
    the CA Secret it reads is one its release renders too (its own, without a CA). One it
    reads from elsewhere (the user's, the controller's) may hold a CA."""
    workload = release.workloads[0] if release.workloads else None
    agent = recognise(workload.document, workload.kind) if workload else None
    return agent is not None and agent.reads_controller_objects and \
        bool(release.referenced("ConfigMap")) and release.get(ca_ref.kind, ca_ref.name) is not None


def _chart_trust(ca_data: Setting, now: "dt.datetime | None", facts: "FactCache | None"
                 ) -> tuple[TrustBundle, list[str]]:
    """The bundle of the CA Secret the chart renders; a refusal names the value behind it."""
    from post_renderer.trust import load_trust_bundle

    try:
        return load_trust_bundle([(ca_data.source, ca_data.value)], now=now, facts=facts)
    except BundleError as error:
        value = f"the chart renders it from {CA_VALUE} (--set-file {CA_VALUE}=<the CA's PEM file>)"
        if ca_data.source == RENDERED_CA:
            value = (f"it is written in the pod spec ({CA_ENV} in extraEnv): correct it there, "
                     f"or give the CAs with {as_flags('--ca-file=FILE')}")
        raise BundleError(error.message, hint=f"{error.hint}; {value}" if error.hint
                          else value) from None


def _ca_secret_to_write(chart: ChartSettings, release: Release,
                        names: OwnedNames) -> tuple[KeyRef, bool]:
    """Write into the chart's own CA Secret when it is ours to write: it holds nothing but CA
    files (the pods mount all of it); else into ours, which USER_ENV_CERTIFICATES then reads.
    Ours stays ours when the manifests read it already (our own output, or a release rendered
    with our chart values): the chart must never be told to make it (``repoint``), since it
    would hold the bundle alone, without the keys the pods mount."""
    ref = chart.ca_ref
    mine = KeyRef("Secret", names.ca, BUNDLE_KEY)
    if ref is not None and ref.kind == "Secret" and ref.name == mine.name:
        return mine, True
    rendered = release.get("Secret", ref.name) if ref is not None else None
    if ref is not None and ref.kind == "Secret" and (
            only_ca_files(rendered, ref.key) if rendered else ref.name == names.chart_ca):
        return ref, False
    return mine, ref is not None
