"""Which Spot agents a release runs, each recognised by what it is, whatever it is called.

An agent is recognised by its container name, its image, its pod labels, or, failing those,
by the env it reads (a container that takes ``SPOTINST_TOKEN`` from a Secret talks to the
Spot API). The metrics-server subchart matches none of these and is left alone.

    ocean-kubernetes-controller   container ocean-kubernetes-controller, image
                                  .../ocean-kubernetes-controller, or pod label
                                  app.kubernetes.io/name=ocean-kubernetes-controller
    ocean-metric-exporter         container spot-ocean-metric-exporter, image
                                  .../spot-ocean-metric-exporter, or that pod label
    ocean-network-client          container ocean-network-client, image
                                  .../spot-network-client, or that pod label

The exporter and the network client read their settings from the controller's ConfigMap
and Secrets, which usually belong to another release (``oceanController.*`` values).
"""

from typing import Any, NamedTuple

from post_renderer.render.stream.kube import (
    POD_SPEC_PATHS,
    YamlNode,
    containers,
    get_path,
    pod_template_path,
)
from post_renderer.render.stream.split import ImagePattern, LinePattern, line_pattern

NAME_LABEL = "app.kubernetes.io/name"
TOKEN_ENV = "SPOTINST_TOKEN"


class SpotAgent(NamedTuple):
    chart: str  # the spotinst/charts chart it comes from
    container: str
    image: str  # the last part of its image repository
    reads_controller_objects: bool = False  # its ConfigMap/Secrets are the controller's

    @property
    def label(self) -> tuple[str, str]:
        return NAME_LABEL, self.chart


CONTROLLER = SpotAgent("ocean-kubernetes-controller", "ocean-kubernetes-controller",
                       "ocean-kubernetes-controller")
METRIC_EXPORTER = SpotAgent("ocean-metric-exporter", "spot-ocean-metric-exporter",
                            "spot-ocean-metric-exporter", reads_controller_objects=True)
NETWORK_CLIENT = SpotAgent("ocean-network-client", "ocean-network-client",
                           "spot-network-client", reads_controller_objects=True)
KNOWN_AGENTS = (CONTROLLER, METRIC_EXPORTER, NETWORK_CLIENT)
# Any other container that reads the Spot token from a Secret is a Spot agent too.
UNNAMED_AGENT = SpotAgent("a Spot agent", "", "")


def scan_patterns() -> list[LinePattern | ImagePattern]:
    """Lines, one of which every agent's workload document holds (each way ``recognise``
    knows an agent by): what the byte scan looks for before anything is parsed."""
    patterns: list[LinePattern | ImagePattern] = [line_pattern("name", TOKEN_ENV)]
    for agent in KNOWN_AGENTS:
        patterns += [line_pattern("name", agent.container), line_pattern(*agent.label),
                     ImagePattern(agent.image.encode())]
    return patterns


def recognise(document: Any, kind: str) -> SpotAgent | None:
    """The Spot agent this workload runs, or None."""
    path = POD_SPEC_PATHS.get(kind)
    if path is None:
        return None
    found = [c for _, _, c in containers(get_path(document, path))]
    labels = get_path(document, (*pod_template_path(kind), "metadata", "labels"))
    for agent in KNOWN_AGENTS:
        if any(_runs(container, agent) for container in found):
            return agent
        if isinstance(labels, dict) and labels.get(NAME_LABEL) == agent.chart:
            return agent
    if any(_reads_spot_token(container) for container in found):
        return UNNAMED_AGENT
    return None


def _runs(container: dict[str, YamlNode], agent: SpotAgent) -> bool:
    image = container.get("image")
    return container.get("name") == agent.container or \
        (isinstance(image, str) and _last_repository_part(image) == agent.image)


def _last_repository_part(image: str) -> str:
    """``spot-network-client`` of ``mirror.corp:5000/spotinst/spot-network-client:1.0@sha256:..``:
    a tag is a ``:`` after the last ``/``, where a registry's port is before it."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def _reads_spot_token(container: dict[str, YamlNode]) -> bool:
    for entry in container.get("env") or ():
        if isinstance(entry, dict) and entry.get("name") == TOKEN_ENV and \
                isinstance(get_path(entry, ("valueFrom", "secretKeyRef")), dict):
            return True
    return False
