"""The filters in the order they plan: a new behaviour is a module in ``filters/``, listed here.

Secrets and ConfigMaps come first, then the pods, their checksums, the Job embedded in the
ConfigMap, and the checksum over that ConfigMap.
"""

from __future__ import annotations

from post_renderer.render.plan.filters import (
    auto_update,
    config_checksum,
    overlay_secrets,
    pod_spec,
    proxy_env,
    rollout,
    trust_mounts,
)
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.pod_patch import PodWants
from post_renderer.render.plan.protocol import Filter, merge_wants

FILTERS: tuple[Filter, ...] = (proxy_env, trust_mounts, overlay_secrets, pod_spec, rollout,
                               auto_update, config_checksum)


def pod_wants(injection: Injection) -> PodWants:
    """What every target pod gets, merged from all filters."""
    return merge_wants(f.pod_wants(injection) for f in FILTERS)
