"""Day-2 operations around the vendor's auto-update, on the real API server with the Job run
by the real helm through the intercepting proxy (auto_update_job.py):

- ``helm rollback`` to the first revision after an upgrade with another proxy and another
  CA, then the auto-update twice: each Job keeps the proxy and the CA of the revision rolled
  back to, not only the first;
- ``helm rollback`` to a revision an auto-update made, then the auto-update again;
- ``helm upgrade --reuse-values`` and ``--reset-then-reuse-values`` (with the post-renderer)
  after an auto-update, then the auto-update again;
- the proxy turned off (the CA kept) after an auto-update, from the pipeline's own values or
  with ``--reuse-values``: no container keeps a proxy, no Secret of ocean-proxy's keeps its
  password;
- the vendor's own ``--reuse-values`` upgrade (no post-renderer) after an auto-update, then
  the auto-update again (a strict expected failure: the Job loses the proxy).

The proxy and the CA are given as the chart's values (zero-config) and as the
post-renderer's flags.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from ..auto_update_emulation import copy_chart
from ..conftest import FIXTURE_CHART
from .auto_update_job import FIRST, SECOND, auto_update, release_for, resolved
from .release import PROXY_URL, generation, ok
from .test_day_two import holding

OTHER_PROXY = PROXY_URL.replace("proxy.corp.example", "proxy2.corp.example")


def test_the_auto_update_keeps_the_proxy_and_ca_rolled_back_to_every_time(
        user, mode, api_server, cluster_namespace, repository, net_pki, cas, tmp_path):
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    ok(release.upgrade(user))  # 1
    first = resolved(release)
    release.check()
    if mode.name == "zero-config":
        other = replace(release, flags=[*release.flags, "--set", f"spotinst.proxyUrl={OTHER_PROXY}",
                                        "--set-file", f"caBundleSecret.data={cas[1]}"])
    else:
        other = replace(release, renderer_args=[f"--proxy-url={OTHER_PROXY}",
                                                f"--ca-file={cas[1]}"])
    ok(other.upgrade(user))  # 2
    release.check()
    assert resolved(release) != first

    ok(user.helm("rollback", release.name, "1", "-n", release.namespace))  # 3
    release.check()
    assert resolved(release) == first

    for number, version in enumerate((FIRST, SECOND, FIRST), start=1):
        auto_update(release, user, repository, net_pki, version, tmp_path / f"job-{number}")
        assert resolved(release) == first, (number, version)


def test_a_rollback_to_a_revision_the_auto_update_made_then_the_auto_update_again(
        user, mode, api_server, cluster_namespace, repository, net_pki, tmp_path):
    """``helm rollback`` to the revision an auto-update installed (its values hold
    ocean-proxy's, merged in by the Job), then the next auto-update: the proxy, the CA and
    the checksums stay the user's, and no stale Secret of ocean-proxy's is left behind."""
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    ok(release.upgrade(user))  # 1
    first = resolved(release)
    ours = set(release.check().kept_secrets())
    auto_update(release, user, repository, net_pki, FIRST, tmp_path / "job-1")  # 2
    auto_update(release, user, repository, net_pki, SECOND, tmp_path / "job-2")  # 3

    ok(user.helm("rollback", release.name, "2", "-n", release.namespace))  # 4
    assert set(release.check().kept_secrets()) == ours
    assert resolved(release) == first

    auto_update(release, user, repository, net_pki, SECOND, tmp_path / "job-3")  # 5
    assert resolved(release) == first
    assert set(release.check().kept_secrets()) == ours


def test_reuse_values_and_reset_then_reuse_values_after_an_auto_update(
        user, mode, api_server, cluster_namespace, repository, net_pki, tmp_path):
    """The first post-rendered upgrade after an auto-update restarts the pods once, as the
    README says of a move between routes (the chart's checksum/config); the ones after it
    restart nothing, and the proxy and the CA stay what the auto-update kept."""
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    ok(release.upgrade(user))
    auto_update(release, user, repository, net_pki, FIRST, tmp_path / "job-1")
    updated = resolved(release)
    chart = copy_chart(FIXTURE_CHART, tmp_path / "chart", FIRST)  # the version installed
    ok(release.upgrade(user, "--reuse-values", chart=chart))
    release.check()
    assert resolved(release) == updated
    rolled = generation(release)

    for reuse in ("--reset-then-reuse-values", "--reuse-values"):
        ok(release.upgrade(user, reuse, chart=chart))
        release.check()
        assert resolved(release) == updated, reuse
        assert generation(release) == rolled, reuse

    auto_update(release, user, repository, net_pki, SECOND, tmp_path / "job-2")
    assert resolved(release) == updated


@pytest.mark.parametrize("values", ["own values", "--reuse-values"])
def test_the_proxy_turned_off_after_an_auto_update_is_off_and_its_password_gone(
        user, mode, api_server, cluster_namespace, repository, net_pki, tmp_path, values):
    """The proxy becomes transparent (the CA stays): the pipeline drops the proxy URL and
    upgrades with the post-renderer, from its own values or with --reuse-values."""
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    ok(release.upgrade(user))
    auto_update(release, user, repository, net_pki, FIRST, tmp_path / "job-1")
    chart = copy_chart(FIXTURE_CHART, tmp_path / "chart", FIRST)
    reuse = ("--reuse-values",) if values == "--reuse-values" else ()
    if mode.name == "zero-config":
        off = replace(release, flags=[*release.flags, "--set", "spotinst.proxyUrl="])
    else:
        off = replace(release, renderer_args=[arg for arg in release.renderer_args
                                              if not arg.startswith("--proxy-url=")])

    ok(off.upgrade(user, *reuse, chart=chart))

    stored = release.check()
    env = resolved(release)["containers"]
    for name, settings in env.items():
        assert not settings["https proxy (Go)"], name
        assert not settings["http proxy (Go, fluent-bit)"], name
    assert holding(stored, urlsplit(repository.proxy.credentials_url).password or "") == []


@pytest.mark.xfail(strict=True, reason=(
    "finding: the pods keep the proxy and the CA (ocean-proxy's values are the release's "
    "since the auto-update), but without the post-renderer the ConfigMap's auto-update Job "
    "is the chart's again: its HTTPS_PROXY reads the proxy-url key those values blank, and "
    "chart values have no place for the Job's env, so the next Job cannot reach "
    "charts.spot.io (the run fails on 'helm repo add'); the next upgrade with the "
    "post-renderer puts the Job's proxy back"))
def test_the_vendors_reuse_values_upgrade_after_an_auto_update_keeps_the_next_one_going(
        user, mode, api_server, cluster_namespace, repository, net_pki, tmp_path):
    """Someone changes an unrelated value with the vendor's command, --reuse-values and no
    post-renderer, after the auto-update has run: the release's values hold ocean-proxy's
    since then; the next auto-update must still reach charts.spot.io and keep the proxy."""
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    updated, _ = _vendors_reuse_values_after_an_auto_update(release, user, repository,
                                                            net_pki, tmp_path)
    release.check()
    assert resolved(release)["containers"] == updated["containers"]

    auto_update(release, user, repository, net_pki, SECOND, tmp_path / "job-2")
    assert resolved(release)["containers"] == updated["containers"]


def _vendors_reuse_values_after_an_auto_update(release, user, repository, net_pki, tmp_path):
    """Post-rendered once, auto-updated once, then the vendor's command with --reuse-values
    and no post-renderer: the pods' containers as the auto-update left them, and the chart."""
    ok(release.upgrade(user))
    auto_update(release, user, repository, net_pki, FIRST, tmp_path / "job-1")
    updated = resolved(release)
    chart = copy_chart(FIXTURE_CHART, tmp_path / "chart", FIRST)
    ok(user.upgrade(release.name, chart, release.namespace, "--reuse-values",
                    "--set", "podAnnotations.team=platform", post_render=False))
    return updated, chart


def test_the_pipelines_next_run_after_the_vendors_reuse_values_upgrade_gives_the_job_back(
        user, mode, api_server, cluster_namespace, repository, net_pki, tmp_path):
    """The way out of the finding above: the pipeline's own command, post-rendered."""
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    updated, chart = _vendors_reuse_values_after_an_auto_update(release, user, repository,
                                                                net_pki, tmp_path)

    ok(release.upgrade(user, chart=chart))

    release.check()
    auto_update(release, user, repository, net_pki, SECOND, tmp_path / "job-2")
    assert resolved(release)["containers"] == updated["containers"]
