"""UserSettings as the flags would give them, without files on disk."""

from __future__ import annotations

from post_renderer.proxy_settings.proxy_url import parse_proxy_url
from post_renderer.render.release.settings import Setting, UserSettings


def user_settings(proxy_url: str | None = None, ca: list[tuple[str, bytes]] | None = None,
                  no_proxy: tuple[str, ...] = (), auto_update: str | None = None,
                  workloads: tuple = ()) -> UserSettings:
    """``--proxy-url``, ``--ca-file`` (name, bytes), ``--no-proxy``, ``--auto-update``."""
    return UserSettings(
        proxy_url=Setting(parse_proxy_url(proxy_url, source="--proxy-url"), "--proxy-url")
        if proxy_url else None,
        ca_files=Setting(tuple(ca), "--ca-file") if ca else None,
        no_proxy=Setting(no_proxy, "--no-proxy") if no_proxy else None,
        workloads=workloads,
        auto_update=Setting(auto_update, "--auto-update") if auto_update
        else Setting("inject", "default"),
    )
