"""The release the Secrets of ``ocean-proxy values`` belong to, so that helm adopts them when
the release is post-rendered later: named by the manifests (the workload's
``app.kubernetes.io/instance`` label and namespace) or by ``--release`` and ``--namespace``,
and checked as helm and Kubernetes check such names.
"""

import re
from typing import Any, NamedTuple

from post_renderer.errors import ConfigError, TargetError, shown

RELEASE_LABEL = "app.kubernetes.io/instance"
# what helm takes as a release name (at most 53 characters), and Kubernetes as a namespace
_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_RELEASE = re.compile(rf"(?=.{{1,53}}\Z){_LABEL}(?:\.{_LABEL})*")
_NAMESPACE = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")


class Owner(NamedTuple):
    """The release the Secrets are adopted into later, as the command line names it."""

    release: str | None = None
    namespace: str | None = None


def release_of(workload: Any, owner: Owner) -> tuple[str, str]:
    """The release and namespace helm will check before adopting the Secrets."""
    from post_renderer.render.stream.kube import get_path

    label = get_path(workload.document, ("metadata", "labels", RELEASE_LABEL))
    name = owner.release or (label if isinstance(label, str) and label else None)
    namespace = owner.namespace or workload.namespace
    if name is None:
        raise TargetError(
            f"cannot tell which release {workload.describe()} belongs to (no "
            f"{RELEASE_LABEL} label)", hint="pass --release with the name you install it as")
    if namespace is None:
        raise TargetError(
            f"cannot tell which namespace {workload.describe()} is installed in",
            hint="pass --namespace, or 'helm template --namespace NS' the chart")
    for value, what, pattern, rule in (
            (name, "release name (--release)", _RELEASE,
             "at most 53 lower-case letters, digits, '-' and '.', as helm takes them"),
            (namespace, "namespace (--namespace)", _NAMESPACE,
             "at most 63 lower-case letters, digits and '-', as Kubernetes takes them")):
        if not pattern.fullmatch(value):
            raise ConfigError(f"the {what} {shown(value)} is not a Kubernetes name",
                              hint=rule)
    return name, namespace
