"""The contract between a controller's release and the Spot agents of other releases that
read its ConfigMap (the metric exporter's ``PROXY_URL``).

The controller's post-render takes the password out of that ConfigMap (or blanks its
``proxy-url``), and writes the full URL to Secret ``<configmap>-ocean-proxy`` beside it. An
agent's post-render points its proxy variables at that Secret; post-rendered again, it reads
the Secret it was pointed at, which its own release never renders either.
"""

from post_renderer.errors import Paragraph
from post_renderer.render.release.agents import recognise
from post_renderer.render.release.chart_settings import PROXY_KEY, ChartSettings
from post_renderer.render.release.key_refs import KeyRef, read_by_controller
from post_renderer.render.release.owned_names import OwnedNames
from post_renderer.render.release.release import Release
from post_renderer.render.stream.kube import env_entries, get_path


def proxy_of_another_release(chart: ChartSettings, release: Release) -> KeyRef | None:
    """Where an agent that reads the controller's ConfigMap from another release (the metric
    exporter) finds the full proxy URL: the Secret that release's render wrote beside it,
    which the agent reads already once post-rendered."""
    ref = chart.proxy_ref
    agent = recognise(release.workloads[0].document, release.workloads[0].kind) \
        if release.workloads else None
    if ref is None or ref.key != PROXY_KEY or agent is None or \
            not agent.reads_controller_objects or release.get(ref.kind, ref.name):
        return None
    if ref.kind == "ConfigMap":
        return KeyRef("Secret", OwnedNames.shared_proxy(ref.name), PROXY_KEY)
    return ref if ref.kind == "Secret" and OwnedNames.is_shared_proxy(ref.name) else None


def unrendered_own_proxy(release: Release) -> str | None:
    """Our proxy Secret, when a workload's env reads it and the manifests do not hold it: they
    were rendered with ocean-proxy's chart values (the release's values hold them once the
    auto-update ran, or an earlier ``ocean-proxy values`` file), which blank the chart's proxy
    and leave the URL in that kept Secret, where no render can read it."""
    for workload in release.workloads:
        ours = OwnedNames(workload.name).proxy
        if release.get("Secret", ours) is None and any(
                get_path(found.entry, ("valueFrom", "secretKeyRef", "name")) == ours
                for found in env_entries(workload.document, workload.kind)):
            return ours
    return None


def contract_notice(release: Release, read: KeyRef, secret: KeyRef) -> str:
    workload = release.workloads[0]
    if read == secret:  # post-rendered before
        said = (f"{workload.kind}/{workload.name} reads its proxy from Secret '{secret.name}' "
                f"key '{secret.key}'")
    else:
        said = (f"{workload.kind}/{workload.name} reads its proxy from ConfigMap "
                f"'{read.name}', which another release renders: its proxy variables now come "
                f"from Secret '{secret.name}' key '{secret.key}'")
    return (f"{said}, which ocean-proxy writes when it post-renders that release with a proxy "
            "or a CA; post-render the controller's release first: this pod starts once that "
            "Secret exists (in a cluster without a proxy, where it never will, install this "
            "release without --post-renderer)")


def shared_proxy_secret(release: Release, configmap: KeyRef | None) -> str | None:
    """The Secret beside the controller's ConfigMap, or another one with a URL to rewrite."""
    rendered = release.get("ConfigMap", configmap.name) if configmap else None
    if configmap is None or configmap.key != PROXY_KEY or rendered is None or (
            not read_by_controller(release, configmap.name)  # the exporter's may lack it
            and not isinstance(get_path(rendered.document, ("data", PROXY_KEY)), str)):
        return None
    return OwnedNames.shared_proxy(configmap.name)


def configmap_message(release: Release, configmap: KeyRef, shared: str, *, blanked: bool,
                      credentials: bool, source: str) -> tuple[str, bool] | None:
    """What the controller's render says about the ConfigMap that other releases' agents
    read, and whether it is a warning: only a URL the ConfigMap held can be taken from them."""
    if not blanked and not credentials:
        return None
    rendered = release.get("ConfigMap", configmap.name)
    held = get_path(rendered.document, ("data", configmap.key)) if rendered else None
    if not isinstance(held, str) or not held:  # their agent had no proxy from it before either
        return _no_proxy_in_configmap_notice(configmap, shared, source), False
    if blanked:
        return _blanked_warning(configmap, shared), credentials  # without a password: said
    return _credentials_removed_warning(configmap, shared), True


# what the metric exporter's release needs, said on a line of its own at the end of each message
_POST_RENDER_THE_EXPORTER = ("  'helm upgrade RELEASE spot/ocean-metric-exporter --reuse-values "
                             "--post-renderer ocean-proxy-post-renderer'")


def _no_proxy_in_configmap_notice(configmap: KeyRef, shared: str, source: str) -> str:
    return Paragraph(
        f"ConfigMap '{configmap.name}' holds no proxy URL (the proxy comes from {source})",
        "a Spot agent of another release that reads it, such as ocean-metric-exporter "
        f"(PROXY_URL), gets the full URL from Secret '{shared}' once its release is "
        "post-rendered too:", _POST_RENDER_THE_EXPORTER)


def _credentials_removed_warning(configmap: KeyRef, shared: str) -> str:
    return Paragraph(
        f"ConfigMap '{configmap.name}' key '{configmap.key}' now holds the proxy URL without "
        f"its credentials; the full URL is in Secret '{shared}'",
        "a Spot agent of another release that reads it, such as ocean-metric-exporter "
        "(PROXY_URL), gets '407 Proxy Authentication Required' until its release is "
        "post-rendered too:", _POST_RENDER_THE_EXPORTER)


def _blanked_warning(configmap: KeyRef, shared: str) -> str:
    return Paragraph(
        f"ConfigMap '{configmap.name}' key '{configmap.key}' is now blank, as the chart's "
        "values leave it (the pods read the proxy from the variables ocean-proxy sets; the "
        f"full URL is in Secret '{shared}')",
        "a Spot agent of another release that reads it, such as ocean-metric-exporter "
        "(PROXY_URL), goes without the proxy until its release is post-rendered too:",
        _POST_RENDER_THE_EXPORTER)
