"""Workloads named by the user (``--workload Deployment/my-app``), and the log-shipper.

Without ``--workload``, the targets are the Spot agents :mod:`.agents` recognises.
"""

import re
from typing import NamedTuple

from post_renderer.errors import ConfigError, shown
from post_renderer.render.stream.kube import POD_SPEC_PATHS, YamlNode

LOG_SHIPPER_CONTAINER = "log-shipper"
CONTROLLER_CONTAINER = "ocean-kubernetes-controller"  # the Ocean controller chart's

_REF = r"^([A-Za-z]+)/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$"  # compiled when --workload is read


class WorkloadRef(NamedTuple):
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def parse_workload_ref(text: str, source: str) -> WorkloadRef:
    match = re.match(_REF, text.strip())
    kinds = {k.lower(): k for k in POD_SPEC_PATHS}
    if not match or match.group(1).lower() not in kinds:
        raise ConfigError(
            f"{source}: {shown(text)} is not KIND/NAME of a workload",
            hint=f"use e.g. Deployment/my-controller; kinds: {', '.join(POD_SPEC_PATHS)}",
        )
    return WorkloadRef(kinds[match.group(1).lower()], match.group(2))


def is_fluent_bit(container: dict[str, YamlNode]) -> bool:
    """The log-shipper, or any container running a fluent-bit image."""
    image = container.get("image")
    return container.get("name") == LOG_SHIPPER_CONTAINER or (
        isinstance(image, str) and "fluent-bit" in image)
