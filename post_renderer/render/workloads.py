"""Which workloads get the proxy and the trust: the Ocean controller, found by what it is.

The controller is the workload whose pod template runs a container named
``ocean-kubernetes-controller`` or carries the label
``app.kubernetes.io/name: ocean-kubernetes-controller``, whatever the release name or
``nameOverride``. The metrics-server subchart's Deployment matches neither and is left alone.
``--workload Deployment/my-app`` names other workloads instead.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from post_renderer.errors import ConfigError
from post_renderer.render.kube import POD_SPEC_PATHS, containers, get_path, pod_template_path

CONTROLLER_CONTAINER = "ocean-kubernetes-controller"
LOG_SHIPPER_CONTAINER = "log-shipper"
CONTROLLER_LABEL = ("app.kubernetes.io/name", "ocean-kubernetes-controller")

_REF = re.compile(r"^([A-Za-z]+)/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$")


class WorkloadRef(NamedTuple):
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def parse_workload_ref(text: str, source: str) -> WorkloadRef:
    match = _REF.match(text.strip())
    kinds = {k.lower(): k for k in POD_SPEC_PATHS}
    if not match or match.group(1).lower() not in kinds:
        raise ConfigError(
            f"{source}: '{text}' is not KIND/NAME of a workload",
            hint=f"use e.g. Deployment/my-controller; kinds: {', '.join(POD_SPEC_PATHS)}",
        )
    return WorkloadRef(kinds[match.group(1).lower()], match.group(2))


def is_ocean_controller(document: Any, kind: str) -> bool:
    path = POD_SPEC_PATHS.get(kind)
    if path is None:
        return False
    pod_spec = get_path(document, path)
    if any(c.get("name") == CONTROLLER_CONTAINER for _, _, c in containers(pod_spec)):
        return True
    labels = get_path(document, (*pod_template_path(kind), "metadata", "labels"))
    key, value = CONTROLLER_LABEL
    return isinstance(labels, dict) and labels.get(key) == value


def is_fluent_bit(container: dict) -> bool:
    """The log-shipper, or any container running a fluent-bit image."""
    image = container.get("image")
    return container.get("name") == LOG_SHIPPER_CONTAINER or (
        isinstance(image, str) and "fluent-bit" in image)
