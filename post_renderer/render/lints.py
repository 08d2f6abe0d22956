"""What the post-renderer can see but cannot make right: warnings, or errors with ``--strict``.

- ``--insecure`` (``spotinst.insecureSkipTLSVerify=true``) next to a CA bundle: the
  controller then verifies no certificate, so the CA does nothing for it.
- A ConfigMap or Secret the workload reads its proxy or CA from, which the release does not
  render (``configMap``/``secret``/``caBundleSecret.name`` pointing at existing objects):
  the settings in it cannot be read, validated or given to the log-shipper.
- Two proxies in what the chart rendered (``spotinst.proxyUrl``, and an old ``HTTPS_PROXY``
  in ``extraEnv``, one read from a Secret or ConfigMap of the user's that the release does
  not render, named by its key, or a log-shipper's own ``HTTP_PROXY`` in
  ``logShipping.extraEnv``): every container gets the first, the chart's, and the other is
  removed; Kubernetes would have given the controller the last of the two.
- Two CA bundles for ``USER_ENV_CERTIFICATES`` (``caBundleSecret.data``, and a CA written
  in ``extraEnv``): Kubernetes gives the controller the last, so ocean-proxy judges and gives
  every container that one, and the other goes unused.
- ``NO_PROXY`` entries in what the chart rendered that ocean-proxy leaves out of the one it
  writes (one that sends the Spot API or charts.spot.io around the proxy, ``*``, a name not
  in ASCII, said with its IDNA form: ``bücher.example`` as ``xn--bcher-kva.example``).
- A ``NO_PROXY`` read from a ConfigMap or Secret key (``extraEnv``'s ``valueFrom``):
  ocean-proxy writes its own value in that entry's place, without the hosts the key holds.
- A release too large for helm to store (``release_record``): ``helm upgrade`` would fail
  after the render, with only the API server's words for it.
- A pod annotation (``checksum/proxy``, ``checksum/ca-bundle``), volume
  (``ocean-proxy-ca``, ``ocean-proxy-ca-bundle``) or mount (at ``/etc/ocean-proxy/ca``,
  ``/etc/ssl/certs/<hash>.0``) of the user's own that ocean-proxy would overwrite (not a
  checksum, as its own from an earlier run are).

    ocean-proxy: warning: Deployment/x: pod annotation 'checksum/proxy' is set to a value of
    its own, and ocean-proxy overwrites it with its checksum; rename your annotation: ...
"""

from typing import NamedTuple

from post_renderer.errors import as_flags, shown, visible
from post_renderer.proxy_settings.no_proxy import idna_form
from post_renderer.render.plan.filters.rollout import wanted_annotations
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.pod_patch import PodWants
from post_renderer.render.release.agents import recognise
from post_renderer.render.release.chart_settings import NO_PROXY_ENV_NAMES, ChartSettings
from post_renderer.render.release.key_refs import KeyRef, key_ref
from post_renderer.render.release.owned_names import OwnedNames
from post_renderer.render.release.release import Release, Resource
from post_renderer.render.stream.kube import (
    POD_SPEC_PATHS,
    containers,
    env_entries,
    get_path,
    pod_template_path,
)

INSECURE_ARG = "--insecure"


class Lint(NamedTuple):
    message: str
    hint: str


def find_lints(unit: Release, chart: ChartSettings, injection: Injection,
               wants: PodWants) -> list[Lint]:
    """Every lint of one workload and what it reads."""
    workload = unit.workloads[0]
    return [*_insecure_next_to_a_ca(workload, injection),
            *_settings_out_of_sight(unit, chart, injection),
            *two_rendered_proxies(workload, chart, injection),
            *_hidden_ca_bundle(workload, chart, injection),
            *_dropped_no_proxy(workload, chart, injection),
            *_no_proxy_from_objects(workload, injection),
            *_overwritten_annotations(workload, injection),
            *_overwritten_volumes(workload, wants),
            *_overwritten_mounts(workload, wants)]


def _insecure_next_to_a_ca(workload: Resource, injection: Injection) -> list[Lint]:
    if injection.trust is None:
        return []
    pod_spec = get_path(workload.document, POD_SPEC_PATHS[workload.kind])
    for _, _, container in containers(pod_spec):
        args = [*(container.get("command") or ()), *(container.get("args") or ())]
        if INSECURE_ARG in args:
            return [Lint(
                f"{_name(workload)}: container '{container['name']}' runs with {INSECURE_ARG} "
                "(spotinst.insecureSkipTLSVerify=true) next to a CA bundle: it verifies no "
                "certificate at all, so the CA protects nothing",
                "drop --set spotinst.insecureSkipTLSVerify=true: with the CA bundle the "
                "controller verifies the proxy's certificates")]
    return []


def _settings_out_of_sight(unit: Release, chart: ChartSettings,
                           injection: Injection) -> list[Lint]:
    lints = []
    proxy = chart.proxy_out_of_sight or chart.proxy_ref
    if proxy is not None and injection.proxy is None and injection.proxy_from is None \
            and _missing(unit, proxy):
        lints.append(Lint(
            f"{_name(unit.workloads[0])} reads its proxy from {proxy}, which this release "
            "does not render: ocean-proxy cannot read the proxy from it, and the log-shipper "
            "gets none",
            f"pass the proxy and its CA: {as_flags('--proxy-url=URL', '--ca-file=FILE')}"))
    ca = chart.ca_ref
    if ca is not None and injection.trust is None and _missing(unit, ca) \
            and not _owned_by_the_chart(unit, ca):
        lints.append(Lint(
            f"{_name(unit.workloads[0])}: the CA bundle is in Secret '{ca.name}', which is "
            "not part of this release: it cannot be validated, the pods will not restart when "
            "it changes, and the log-shipper cannot use it",
            f"pass the same certificates with {as_flags('--ca-file=FILE')} to fix all "
            "three"))
    return lints


def two_rendered_proxies(workload: Resource, chart: ChartSettings,
                         injection: Injection) -> list[Lint]:
    """Also said by ``ocean-proxy values``, whose extraEnv leaves the other one out."""
    chosen = chart.proxy_url
    if chosen is None or not chart.other_proxies or injection.proxy != chosen:
        return []  # a proxy the user gave replaces every rendered one: their choice
    return [Lint(
        f"{_name(workload)} was rendered with more than one proxy: every container now gets "
        f"{chosen.value.redacted} (from {chosen.source}), and ocean-proxy replaces "
        f"{'; '.join(chart.other_proxies)}",
        "remove the other proxy from your values (an HTTPS_PROXY in extraEnv, which "
        "Kubernetes gave the controller over the chart's: it takes the last of two "
        "same-named variables; an HTTP_PROXY in logShipping.extraEnv, the log-shipper's), "
        f"or choose one with {as_flags('--proxy-url=URL')}")]


def _hidden_ca_bundle(workload: Resource, chart: ChartSettings,
                      injection: Injection) -> list[Lint]:
    hidden, used = chart.hidden_ca, chart.ca_data
    if hidden is None or used is None or injection.trust_source != used.source:
        return []  # CA files the user gave replace both: their choice
    return [Lint(
        f"{_name(workload)} was rendered with USER_ENV_CERTIFICATES twice: Kubernetes gives "
        f"the container the last ({used.source}), which hides the one from {hidden}, so "
        "ocean-proxy gives every container the CAs of the last, in place of the other's",
        "keep one: remove USER_ENV_CERTIFICATES from extraEnv, or leave out "
        f"caBundleSecret.data; or choose the CAs with {as_flags('--ca-file=FILE')}")]


def _dropped_no_proxy(workload: Resource, chart: ChartSettings,
                      injection: Injection) -> list[Lint]:
    if not chart.dropped_no_proxy or injection.proxy is None:
        return []
    entries = ", ".join(shown(entry) for entry in chart.dropped_no_proxy)
    forms = [f"{shown(entry)} as {form}" for entry in chart.dropped_no_proxy
             if not entry.isascii() and (form := idna_form(entry))]
    return [Lint(
        f"{_name(workload)} was rendered with NO_PROXY entries ocean-proxy leaves out of the "
        f"one NO_PROXY it writes: {entries} (one that sends the Spot API or charts.spot.io "
        "around the proxy, '*', a name not in ASCII, or no host at all)",
        "remove them from your values" + (f", or write {', '.join(forms)} (IDNA)" if forms
                                          else "")
        + f"; give the hosts to reach directly with {as_flags('--no-proxy=HOSTS')}")]


def _no_proxy_from_objects(workload: Resource, injection: Injection) -> list[Lint]:
    """A NO_PROXY that reads a ConfigMap or Secret key (``extraEnv``'s ``valueFrom``):
    ocean-proxy writes its one NO_PROXY value in that entry's place, without the hosts the
    key holds."""
    if injection.proxy is None and injection.proxy_from is None:
        return []
    read: dict[str, None] = {}  # each once, in document order
    for found in env_entries(workload.document, workload.kind):
        ref = key_ref(found.entry) if found.entry["name"] in NO_PROXY_ENV_NAMES else None
        if ref is not None:
            read[f"{found.entry['name']} from {ref}"] = None
    return [Lint(
        f"{_name(workload)} reads {'; '.join(read)}: ocean-proxy writes a NO_PROXY value of "
        "its own in its place, without the hosts listed there",
        f"give those hosts with {as_flags('--no-proxy=HOSTS')}, and remove the entry from "
        "your values")] if read else []


def _missing(unit: Release, ref: KeyRef) -> bool:
    return unit.get(ref.kind, ref.name) is None


def _owned_by_the_chart(unit: Release, ref: KeyRef) -> bool:
    """The chart's own CA Secret (``caBundleSecret.create=false``: no CA given), or the
    controller's, read by an agent of another release by design (the metric exporter)."""
    workload = unit.workloads[0]
    agent = recognise(workload.document, workload.kind)
    return ref.name == OwnedNames(workload.name).chart_ca or \
        (agent is not None and agent.reads_controller_objects)


def _overwritten_annotations(workload: Resource, injection: Injection) -> list[Lint]:
    annotations = get_path(workload.document,
                           (*pod_template_path(workload.kind), "metadata", "annotations"))
    if not isinstance(annotations, dict):
        return []
    return [Lint(f"{_name(workload)}: pod annotation '{key}' is set to a value of its own, "
                 "and ocean-proxy overwrites it with its checksum",
                 f"rename your annotation: ocean-proxy sets '{key}' to restart the pods when "
                 "the proxy or the CA bundle changes")
            for key, (value, _) in wanted_annotations(injection).items()
            if key in annotations and str(annotations[key]) != value
            and not _a_checksum(str(annotations[key]))]


_HEX_DIGITS = frozenset("0123456789abcdef")


def _a_checksum(value: str) -> bool:
    """A SHA-256 in hex, the form of ocean-proxy's own checksums: an earlier run's, kept in
    the chart values (stored in the release by the auto-update, or from 'ocean-proxy values',
    with or without a CA volume or a proxy Secret of ours) or in its own output, which a new
    CA or proxy changes. A checksum the user set for the same purpose loses nothing."""
    return len(value) == 64 and _HEX_DIGITS.issuperset(value)


def _overwritten_volumes(workload: Resource, wants: PodWants) -> list[Lint]:
    volumes = get_path(workload.document, (*POD_SPEC_PATHS[workload.kind], "volumes"))
    if not isinstance(volumes, list):
        return []
    lints = []
    for wanted in wants.volumes:
        for volume in volumes:
            if isinstance(volume, dict) and volume.get("name") == wanted.key and \
                    dict(volume) != wanted.desired(volume):
                lints.append(Lint(
                    f"{_name(workload)}: volume '{wanted.key}' is one of its own, and "
                    "ocean-proxy replaces it with the CA bundle's",
                    f"rename your volume: ocean-proxy mounts '{wanted.key}' to give the "
                    "containers the CA bundle"))
    return lints


def _overwritten_mounts(workload: Resource, wants: PodWants) -> list[Lint]:
    """A mount of another volume at a path where ocean-proxy mounts the CA bundle (its own
    mounts there, from an earlier run, it replaces without a word)."""
    paths = {wanted.key for wanted in wants.mounts}
    ours = {wants.owned_volume, *(wanted.key for wanted in wants.volumes)}
    pod_spec = get_path(workload.document, POD_SPEC_PATHS[workload.kind])
    return [Lint(
        f"{_name(workload)}: container {shown(visible(str(container.get('name'))))} mounts "
        f"volume {shown(visible(str(mount.get('name'))))} at {mount['mountPath']}, and "
        "ocean-proxy mounts the CA bundle there instead",
        f"mount your volume elsewhere: ocean-proxy mounts the CA bundle at "
        f"{mount['mountPath']} for the container's TLS clients to find it")
        for _, _, container in containers(pod_spec)
        for mount in container.get("volumeMounts") or ()
        if isinstance(mount, dict) and _text(mount.get("mountPath")) in paths
        and _text(mount.get("name")) not in ours]


def _text(value: object) -> str | None:
    """``value`` where it is text: a chart may write a list for a path or a name (the API
    server refuses it), which no set of names can be asked about."""
    return value if isinstance(value, str) else None


def _name(workload: Resource) -> str:
    return f"{workload.kind}/{workload.name}"
