"""What a Spot agent the controller chart renders beside the controller takes from it.

The metric exporter and the network client of ``ocean-metric-exporter.deployChart`` and
``ocean-network-client.deployChart`` run in the controller's release and namespace, and read
its ConfigMap. They read the controller's Secrets too, which the controller's unit writes::

    <fullname>-ocean-proxy      proxy-url, password included  (controller, exporter, client)
    <fullname>-ocean-proxy-ca   the validated bundle, by hash  (controller, exporter, client)

so the password is in one Secret of the namespace, and the bundle is judged, and spoken of,
once. Each agent keeps checksums of its own: a new password or CA in them rolls it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

from post_renderer.render.plan.trust_choice import TrustChoice

if TYPE_CHECKING:
    from post_renderer.render.release.key_refs import KeyRef
    from post_renderer.render.release.settings import Setting
    from post_renderer.trust import TrustBundle


class Decided(Protocol):
    """What the controller's unit decided (an ``Injection``), as far as an agent reads it."""

    @property
    def proxy(self) -> Setting | None: ...
    @property
    def proxy_secret(self) -> str | None: ...
    @property
    def trust(self) -> TrustBundle | None: ...
    @property
    def trust_source(self) -> str | None: ...
    @property
    def ca_secret(self) -> KeyRef | None: ...
    @property
    def ca_volume_secret(self) -> str | None: ...


class Lent(NamedTuple):
    """The controller's decisions an agent beside it takes, and the Secrets it reads."""

    trust: TrustChoice | None  # the controller's CAs, judged by its unit: nothing to say again
    proxy_secret: str | None  # the controller's, when the proxy is the same
    ca_volume_secret: str | None  # the controller's kept CA Secret, if its pods mount one
    secrets: frozenset[str]  # the agent's pods read them, the controller's unit writes them


def lent_by(controller: Decided, proxy: Setting | None) -> Lent:
    """What the controller's injection lends an agent whose proxy is ``proxy``. The agent's
    ``USER_ENV_CERTIFICATES`` follows the controller's bundle, wherever that is written. A
    controller without CAs lends none: a CA the agent's own chart renders is its own."""
    same_proxy = proxy is not None and controller.proxy is not None and \
        proxy.value.full == controller.proxy.value.full
    proxy_secret = controller.proxy_secret if same_proxy else None
    if controller.trust is None or controller.ca_secret is None:
        return Lent(None, proxy_secret, None, frozenset([proxy_secret] if proxy_secret else []))
    trust = TrustChoice(controller.trust, controller.trust_source, controller.ca_secret,
                        repoint_ca_env=True)
    read = (proxy_secret, controller.ca_secret.name, controller.ca_volume_secret)
    return Lent(trust, proxy_secret, controller.ca_volume_secret,
                frozenset(name for name in read if name))
