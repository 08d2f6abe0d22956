"""The injection handed down to the overlay: what the filters give the pod, as chart values.

The overlay (``render.overlay``) knows the chart's values; the filters know what a pod gets. The
plan asks the filters and hands the overlay plain manifests, so the overlay never reaches
up to the filters that use it.
"""

from __future__ import annotations

from post_renderer.render.overlay.values import Overlay, PodValues, build_overlay
from post_renderer.render.plan.filter_order import pod_wants
from post_renderer.render.plan.filters import proxy_env, rollout, trust_mounts
from post_renderer.render.plan.injection import Injection
from post_renderer.render.release.release import Release
from post_renderer.render.stream.kube import YamlNode


def with_overlay(injection: Injection, release: Release) -> Injection:
    """The injection with its chart values, when the auto-update Job is to carry them."""
    if injection.overlay_secret is None or injection.overlay is not None:
        return injection
    return injection._replace(overlay=overlay_for(injection, release))


def overlay_for(injection: Injection, release: Release) -> Overlay:
    """The injection as the chart's values, and the Secrets they refer to."""
    wants = pod_wants(injection)

    def env_for(container: dict[str, YamlNode]) -> list[dict[str, YamlNode]]:
        # built from the rendered entry, as the post-renderer does: the user's own
        # SSL_CERT_DIR keeps its directories, which the values would otherwise replace
        env = container.get("env")
        rendered = {e.get("name"): e for e in env if isinstance(e, dict)} \
            if isinstance(env, list) else {}
        return [dict(w.desired(rendered.get(w.key))) for w in wants.env_for(container)]

    trust = injection.trust
    proxy_secret = None
    if injection.proxy is not None and injection.proxy_secret:
        proxy_secret = (injection.proxy_secret, proxy_env.secret_data(injection))
    ca_bundle = injection.ca_secret if trust is not None else None
    pod = PodValues(
        proxy=injection.proxy is not None,
        proxy_secret=proxy_secret,
        ca_bundle=ca_bundle,
        ca_pem=trust.pem().decode("ascii") if ca_bundle and trust else "",
        repoint_ca_env=injection.repoint_ca_env,
        ca_files=trust_mounts.secret_data(trust, ca_bundle.key) if ca_bundle and trust else {},
        volumes=[w.manifest for w in trust_mounts.pod_wants(injection).volumes],
        env_for=env_for,
        mounts=[w.manifest for w in wants.mounts],
        annotations={k: v for k, (v, _) in rollout.wanted_annotations(injection).items()})
    return build_overlay(pod, release)
