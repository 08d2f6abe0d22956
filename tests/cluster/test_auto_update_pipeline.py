"""The vendor's auto-update between the user's own pipeline runs, on the real API server.

Three stories tests/test_auto_update.py tells on an emulated cluster, here with helm 3 and 4
against kube-apiserver and etcd, and the Job from the stored ConfigMap run with the real helm
through the intercepting proxy (auto_update_job.py):

- the flags route: the proxy URL (with its password) and the CA given as
  ``--post-renderer-args``, the chart's values without either, and the user's own
  ``extraEnv``, ``extraVolumes``, ``extraVolumeMounts``, ``logShipping.extraEnv`` beside
  them: two auto-updates keep all of it, and the password shows nowhere;
- a CA change from the pipeline after an auto-update rolls the pods once, and the next
  auto-update keeps the new CA;
- removing ocean-proxy after an auto-update as the README says (the user's own values, no
  ``--reuse-values``, no post-renderer, then the ``kubectl delete secret`` the render named):
  every stored pod template can start, the ConfigMap's Job needs none of ocean-proxy's
  Secrets, and a Job the controller made earlier still starts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from ..auto_update_emulation import copy_chart
from ..conftest import FIXTURE_CHART
from ..kubelet_view import container_view
from ..netfixtures.pki import NetPki
from ..test_auto_update import MODES, Mode, assert_user_extras
from .auto_update_job import (
    FIRST,
    SECOND,
    ChartRepository,
    assert_proxy_and_trust,
    auto_update,
    resolved,
    stored_job,
)
from .helm_users import HelmUser
from .release import (
    PROXY_PASSWORD,
    SUITE_FLAGS,
    ControllerRelease,
    generation,
    ok,
    vendor_flags,
)
from .server import ApiServer

ZERO_CONFIG, FLAGS = MODES
SECRETS = (PROXY_PASSWORD, quote(PROXY_PASSWORD, safe=""))
OVERLAY = "/etc/ocean-proxy/overlay"  # where the Job's step finds what it runs
OURS = ("-ocean-proxy", "-ocean-proxy-ca", "-ocean-proxy-values")  # the Secrets it adds


def release_for(mode: Mode, api: ApiServer, namespace: str, repository: ChartRepository,
                net_pki: NetPki, workdir: Path) -> ControllerRelease:
    """The user's release: their values file (and, by ``mode``, the proxy and CA as values or
    as the post-renderer's flags), the proxy the one in front of charts.spot.io."""
    proxy_url, ca_file = repository.proxy.credentials_url, net_pki.corp_root_file
    values = workdir / "user-values.yaml"
    values.write_text(yaml.safe_dump(mode.user_values(proxy_url, ca_file)))
    return ControllerRelease(api, namespace, f"oc-{namespace.split('-')[0]}",
                             ["--values", str(values), *SUITE_FLAGS],
                             mode.flags(proxy_url, ca_file))


def stored_values(release: ControllerRelease, user: HelmUser) -> str:
    """``helm get values``: the release's user-supplied values, as the Job passes them on."""
    return ok(user.helm("get", "values", release.name, "-n", release.namespace,
                        "-o", "yaml")).text


def test_the_flags_route_keeps_proxy_trust_and_the_users_entries_through_two_auto_updates(
        user, api_server, cluster_namespace, repository, net_pki, tmp_path):
    release = release_for(FLAGS, api_server, cluster_namespace, repository, net_pki, tmp_path)
    ok(release.upgrade(user))
    release.check()
    before = resolved(release)
    assert_proxy_and_trust(before, repository.proxy.credentials_url, net_pki.corp_root.pem)
    assert_user_extras(release.template(), "install")

    for number, version in enumerate((FIRST, SECOND), start=1):
        job = auto_update(release, user, repository, net_pki, version, tmp_path / f"job-{number}")

        assert resolved(release) == before, number
        assert_user_extras(release.template(), f"auto-update {number}")
        shown = job.text + job.stderr + stored_values(release, user)
        assert not [s for s in SECRETS if s in shown], f"auto-update {number} shows the password"


def test_a_ca_change_from_the_pipeline_after_an_auto_update_rolls_the_pods_once_and_stays(
        user, api_server, cluster_namespace, repository, net_pki, cas, tmp_path):
    proxy_url = repository.proxy.credentials_url
    release = ControllerRelease(api_server, cluster_namespace,
                                f"oc-{cluster_namespace.split('-')[0]}",
                                vendor_flags(net_pki.corp_root_file, proxy_url))
    ok(release.upgrade(user))
    auto_update(release, user, repository, net_pki, FIRST, tmp_path / "job-1")
    updated = release.template()["metadata"]["annotations"]
    rolled = generation(release)
    # the pipeline pins the version the auto-update installed, so only the CA changes; the
    # proxy's own root stays in the bundle, or the next Job could not reach charts.spot.io
    chart = copy_chart(FIXTURE_CHART, tmp_path / "chart", FIRST)
    rotated = tmp_path / "rotated.pem"
    rotated.write_bytes(net_pki.corp_root.pem + cas[1].read_bytes())
    change = ("--set-file", f"caBundleSecret.data={rotated}")

    ok(release.upgrade(user, *change, chart=chart))
    release.check()
    annotations = release.template()["metadata"]["annotations"]
    assert generation(release) == rolled + 1
    assert annotations["checksum/ca-bundle"] != updated["checksum/ca-bundle"]
    assert annotations["checksum/proxy"] == updated["checksum/proxy"]
    changed = resolved(release)
    assert_proxy_and_trust(changed, proxy_url, cas[1].read_bytes())
    ok(release.upgrade(user, *change, chart=chart))  # the pipeline runs again: no second roll
    assert generation(release) == rolled + 1

    auto_update(release, user, repository, net_pki, SECOND, tmp_path / "job-2")

    assert resolved(release) == changed


@pytest.fixture(params=MODES, ids=lambda mode: mode.name)
def mode(request: pytest.FixtureRequest) -> Mode:
    return request.param


def test_removing_ocean_proxy_after_an_auto_update_leaves_nothing_that_needs_its_secrets(
        user, mode, api_server, cluster_namespace, repository, net_pki, tmp_path):
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    installed = ok(release.upgrade(user))
    removal = re.search(r"'kubectl delete secret -n (\S+) ([^']+)'", installed.stderr)
    assert removal, installed.stderr  # the render names the command that deletes its Secrets
    namespace, named = removal.groups()
    ours = named.split()
    auto_update(release, user, repository, net_pki, FIRST, tmp_path / "job-1")
    earlier_job = stored_job(api_server, namespace, release.fullname)
    assert naming(stored_values(release, user), ours)  # what --reuse-values would keep

    # the README's way out: the user's own values, no --reuse-values, no post-renderer
    ok(release.upgrade(user, chart=copy_chart(FIXTURE_CHART, tmp_path / "chart", FIRST),
                       post_render=False))
    assert naming(stored_values(release, user), ours) == []
    api_server.kubectl("delete", "secret", "-n", namespace, *ours)

    stored = release.check(chart_alone=mode == ZERO_CONFIG)
    assert [name for name in stored.secrets if name.endswith(OURS)] == []
    assert naming(json.dumps(release.template()), ours) == []
    job = stored_job(api_server, namespace, release.fullname)
    assert naming(json.dumps(job), [*ours, OVERLAY]) == []
    # a Job the controller made from the patched ConfigMap before still starts, and its
    # step finds nothing to run
    docs = api_server.list("secrets,configmaps", namespace)
    view = container_view(docs, earlier_job["spec"]["template"], "auto-update",
                          namespace=namespace)
    overlay = [m.files for m in view.secret_mounts if m.mount_path == OVERLAY]
    assert overlay in ([], [{}])  # an optional Secret's volume, mounted empty when it is gone


def naming(text: str, names: list[str]) -> list[str]:
    return [name for name in names if name in text]
