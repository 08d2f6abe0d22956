"""The names of the Secrets a release's workload may have written for it, built and checked in
one place.

    OwnedNames("spot-ocean-kubernetes-controller").proxy  # ...-ocean-proxy
"""

import re
from collections.abc import Iterable
from typing import NamedTuple

from post_renderer.errors import ManifestError, clipped, visible

# The keys of a CA Secret that hold one CA each, by OpenSSL's subject hash ("5f241b44.0"),
# beside the bundle: the files OpenSSL looks up in /etc/ssl/certs.
HASH_KEY = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")
SHARED_PROXY_SUFFIX = "-ocean-proxy"
# A Kubernetes object name (RFC 1123 subdomain), which is what a Secret may be called.
_OBJECT_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")
OBJECT_NAME_LIMIT = 253


class OwnedNames(NamedTuple):
    owner: str  # the workload's name

    @property
    def chart_ca(self) -> str:
        """The chart's own CA Secret (``caBundleSecret.create=true``)."""
        return f"{self.owner}-ca-bundle"

    @property
    def proxy(self) -> str:
        """Ours: the proxy URL with its credentials."""
        return f"{self.owner}-ocean-proxy"

    @property
    def ca(self) -> str:
        """Ours: the validated CA bundle, when the chart's Secret is not ours to write."""
        return f"{self.owner}-ocean-proxy-ca"

    @property
    def values(self) -> str:
        """Ours: the injection as chart values, for the auto-update's helm (kept)."""
        return f"{self.owner}-ocean-proxy-values"

    @staticmethod
    def shared_proxy(configmap: str) -> str:
        """Ours, next to a ConfigMap whose ``proxy-url`` we rewrite: the full proxy URL, for
        the agents of other releases that read that ConfigMap (the metric exporter)."""
        return f"{configmap}{SHARED_PROXY_SUFFIX}"

    @staticmethod
    def is_shared_proxy(secret: str) -> bool:
        """Is it named as such a Secret (an agent post-rendered before reads it)?"""
        return secret.endswith(SHARED_PROXY_SUFFIX) and secret != SHARED_PROXY_SUFFIX

    def all(self) -> tuple[str, str, str, str]:
        return self.chart_ca, self.proxy, self.ca, self.values


def deleting(namespace: str | None, names: list[str]) -> str:
    """The command that deletes these Secrets, said to copy: in the release's namespace, not
    kubectl's default; a release rendered without one ('helm template' without --namespace)
    gets a placeholder in capitals, as other hints write them, never '<namespace>', which a
    shell reads as input from a file.

        >>> deleting(None, ["a"])
        "'kubectl delete secret -n NAMESPACE a' deletes it (NAMESPACE: the release's namespace)"
    """
    said = (f"'kubectl delete secret -n {namespace or 'NAMESPACE'} {' '.join(names)}' deletes "
            f"{'them' if len(names) > 1 else 'it'}")
    return said if namespace else f"{said} (NAMESPACE: the release's namespace)"


def refuse_unusable_names(new: Iterable[str], owner: str | None) -> None:
    """A Secret we add must have a name Kubernetes takes, and one the next run finds.

    Its name comes from the workload's (``owner``, described; or the chart's reference to
    it). A name that is no Kubernetes name, e.g. with a tab in it, would be refused by the API
    server, and YAML writes it escaped (``"a\\tb-ocean-proxy"``), where the line scan of the
    next post-render cannot see it: that run would add the Secret a second time instead of
    reading it.
    """
    for name in new:
        if len(name) <= OBJECT_NAME_LIMIT and _OBJECT_NAME.fullmatch(name):
            continue
        named_after = f", named after {clipped(visible(owner))}," if owner else ""
        raise ManifestError(
            f"the Secret '{clipped(visible(name))}' that would be added{named_after} is "
            "not a valid Kubernetes name",
            hint="Kubernetes names are lower-case letters, digits, '-' and '.', at most "
                 f"{OBJECT_NAME_LIMIT} characters; check the workload's metadata.name",
        )
