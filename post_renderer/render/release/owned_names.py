"""The names of the Secrets a release's workload may have written for it, built in one place.

    OwnedNames("spot-ocean-kubernetes-controller").proxy  # ...-ocean-proxy
"""

import re
from typing import NamedTuple

# The keys of a CA Secret that hold one CA each, by OpenSSL's subject hash ("5f241b44.0"),
# beside the bundle: the files OpenSSL looks up in /etc/ssl/certs.
HASH_KEY = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")
SHARED_PROXY_SUFFIX = "-ocean-proxy"


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
