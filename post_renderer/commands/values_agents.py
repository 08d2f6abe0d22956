"""Which workloads of the stream ``ocean-proxy values`` writes for, and which it would break.

The controller chart may render other Spot agents beside the controller
(``ocean-metric-exporter.deployChart``, ``ocean-network-client.deployChart``): the values are
the controller's, an agent they would leave without the proxy it has is refused, and the
others are named, since no value of the chart gives them the proxy.
"""

from post_renderer.errors import OverlayError, TargetError
from post_renderer.render.release.agents import CONTROLLER, METRIC_EXPORTER, recognise
from post_renderer.render.release.key_refs import KeyRef
from post_renderer.render.release.release import Release
from post_renderer.render.stream.kube import env_entries, get_path


def the_controllers(release: Release) -> Release:
    """The release as the controller sees it: its chart's values are the ones written. The
    chart may render other Spot agents beside it (ocean-network-client.deployChart=true),
    and helm writes the network client's DaemonSet before the Deployments."""
    controllers = [w for w in release.workloads if recognise(w.document, w.kind) == CONTROLLER]
    return release.unit(controllers[0]) if controllers else release


def refuse_another_agent(release: Release) -> None:
    """``--workload`` naming an agent the controller chart renders beside the controller: the
    values are the controller chart's, which give that agent neither proxy nor CA."""
    workload = release.workloads[0]
    agent = recognise(workload.document, workload.kind)
    if agent is not None and agent != CONTROLLER:
        raise TargetError(
            f"{workload.kind}/{workload.name} is {agent.chart}, not the Ocean controller: "
            "'ocean-proxy values' writes the controller chart's values only, and they give it "
            "no proxy or CA",
            hint="name the controller with --workload, or leave --workload out; the "
                 "post-renderer (--post-renderer ocean-proxy-post-renderer) gives every Spot "
                 "agent of the release the proxy")


def refuse_an_agent_left_without_proxy(stream: Release, release: Release,
                                       ref: KeyRef) -> None:
    """The values blank the proxy URL in the controller's ConfigMap. Another agent of the
    release that reads it (the metric exporter the chart renders with
    ocean-metric-exporter.deployChart=true) would lose the proxy it has, and no value of the
    chart gives it back."""
    controller = release.workloads[0]
    for workload in stream.workloads:
        if workload is controller or workload.namespace not in (None, controller.namespace):
            continue
        for found in env_entries(workload.document, workload.kind):
            source = get_path(found.entry, ("valueFrom", "configMapKeyRef"))
            if ref.kind == "ConfigMap" and isinstance(source, dict) and \
                    (source.get("name"), source.get("key")) == (ref.name, ref.key):
                raise OverlayError(
                    f"{workload.kind}/{workload.name}, which the chart renders too, reads its "
                    f"proxy ({found.entry.get('name')}) from {ref}, which these values blank: "
                    "no chart value gives it the proxy again",
                    hint="use the post-renderer (--post-renderer ocean-proxy-post-renderer), "
                         "which gives every Spot agent of the release the proxy")


def agents_left_out(stream: Release, release: Release, exporter_too: bool) -> list[str]:
    """What to say of the other Spot agents the chart renders: no value of the chart gives
    them the proxy. The network client (ocean-network-client.deployChart=true) reads none;
    the exporter reads the controller's ConfigMap and CA Secret, which the values fill but
    for the proxy URL, which they leave blank: ``exporter_too`` when a proxy is written (an
    exporter that had one from the chart was refused before this)."""
    controller = release.workloads[0]
    said = []
    for workload in stream.workloads:
        agent = recognise(workload.document, workload.kind)
        if workload is controller or agent is None or \
                workload.namespace not in (None, controller.namespace):
            continue
        if agent != METRIC_EXPORTER:
            lacks = "no proxy and no CA"
        elif exporter_too:
            lacks = "no proxy"
        else:
            continue
        said.append(f"{workload.kind}/{workload.name}, which the chart renders too, gets {lacks} "
                    "from chart values; the post-renderer (--post-renderer "
                    "ocean-proxy-post-renderer) gives every Spot agent of the release both")
    return said
