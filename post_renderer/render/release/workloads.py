"""Workloads named by the user (``--workload Deployment/my-app``), and the log-shipper.

Without ``--workload``, the targets are the Spot agents :mod:`.agents` recognises.
"""

import re
from typing import NamedTuple

from post_renderer.errors import ConfigError, shown
from post_renderer.render.stream.kube import POD_SPEC_PATHS, YamlNode

LOG_SHIPPER_CONTAINER = "log-shipper"
CONTROLLER_CONTAINER = "ocean-kubernetes-controller"  # the Ocean controller chart's

_NAME = r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?)"
_REF = rf"^([A-Za-z]+)/{_NAME}$"  # compiled when --workload is read
# kubectl's way: 'deploy/x', 'deployments/x', 'deployment.apps/x' (as 'kubectl get -o name'
# prints it); only suggested, since what is matched is a manifest's kind as written there
_KUBECTL_REF = rf"^([A-Za-z]+)(?:\.[A-Za-z0-9.-]+)?/{_NAME}$"
_KUBECTL_SHORT_NAMES = {"deploy": "Deployment", "sts": "StatefulSet", "ds": "DaemonSet",
                        "rs": "ReplicaSet", "cj": "CronJob", "po": "Pod"}


class WorkloadRef(NamedTuple):
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def parse_workload_ref(text: str, source: str) -> WorkloadRef:
    """KIND/NAME, the kind in any case.

        >>> parse_workload_ref("deployment/my-app", "--workload")
        WorkloadRef(kind='Deployment', name='my-app')
    """
    match = re.match(_REF, text.strip())
    kinds = {k.lower(): k for k in POD_SPEC_PATHS}
    if match and match.group(1).lower() in kinds:
        return WorkloadRef(kinds[match.group(1).lower()], match.group(2))
    meant = _meant_by_kubectl_name(text.strip())
    if meant:
        raise ConfigError(
            f"{source}: {shown(text)} names the kind as kubectl does: did you mean {meant}?",
            hint=f"write the kind as a manifest does (kind: {meant.kind}); kinds: "
                 f"{', '.join(POD_SPEC_PATHS)}",
        )
    raise ConfigError(
        f"{source}: {shown(text)} is not KIND/NAME of a workload",
        hint=f"use e.g. Deployment/my-controller; kinds: {', '.join(POD_SPEC_PATHS)}",
    )


def _meant_by_kubectl_name(text: str) -> WorkloadRef | None:
    """The workload a kubectl short, plural or group-qualified name of a kind means."""
    match = re.match(_KUBECTL_REF, text)
    if not match:
        return None
    word = match.group(1).lower()
    kinds = {k.lower(): k for k in POD_SPEC_PATHS}
    kind = _KUBECTL_SHORT_NAMES.get(word) or kinds.get(word) or kinds.get(word.removesuffix("s"))
    return WorkloadRef(kind, match.group(2)) if kind else None


def is_fluent_bit(container: dict[str, YamlNode]) -> bool:
    """The log-shipper, or any container running a fluent-bit image."""
    image = container.get("image")
    return container.get("name") == LOG_SHIPPER_CONTAINER or (
        isinstance(image, str) and "fluent-bit" in image)
