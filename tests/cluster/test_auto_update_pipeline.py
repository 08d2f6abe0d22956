"""The vendor's auto-update between the user's own pipeline runs, on the real API server.

Two stories tests/test_auto_update.py told on an emulated cluster, here with helm 3 and 4
against kube-apiserver and etcd, the Job from the stored ConfigMap run with the real helm
through the intercepting proxy (auto_update_job.py):

- a CA change from the pipeline after an auto-update rolls the pods once, and the next
  auto-update keeps the new CA;
- a NO_PROXY entry the pipeline adds after an auto-update rolls the pods once, and the next
  auto-update keeps it;
- the Job's log naming ocean-proxy's values Secret, deleted alone, whose values the upgrade
  then goes without;
- removing ocean-proxy after an auto-update as the README says (the user's own values, no
  ``--reuse-values``, no post-renderer, then the ``kubectl delete secret`` the render named),
  with the proxy and the CA given either way: every stored pod template can start, the
  ConfigMap's Job needs none of ocean-proxy's Secrets, and a Job the controller made before
  still starts.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import urlsplit

from ..auto_update_emulation import copy_chart
from ..conftest import FIXTURE_CHART
from ..kubelet_view import container_view
from ..pod_sandbox import Image
from ..test_auto_update import MODES
from .auto_update_job import (
    FIRST,
    SECOND,
    assert_proxy_and_trust,
    auto_update,
    release_for,
    resolved,
    run_stored_job,
    stored_job,
    stored_values,
)
from .release import CONTROLLER, ControllerRelease, generation, ok, vendor_flags

ZERO_CONFIG = MODES[0]
OVERLAY = "/etc/ocean-proxy/overlay"  # where the Job's step finds what it runs
ADDED = ".corp.example"  # a NO_PROXY entry the pipeline adds
OURS = ("-ocean-proxy", "-ocean-proxy-ca", "-ocean-proxy-values")  # the Secrets it adds


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


def test_a_no_proxy_addition_from_the_pipeline_after_an_auto_update_rolls_the_pods_once(
        user, mode, api_server, cluster_namespace, repository, net_pki, tmp_path):
    """checksum/proxy covers NO_PROXY: an entry the pipeline adds after an auto-update rolls
    the pods once (the CA's checksum stays), the same run again rolls nothing, and the next
    auto-update keeps the entry and the checksums."""
    release = release_for(mode, api_server, cluster_namespace, repository, net_pki, tmp_path)
    ok(release.upgrade(user))
    auto_update(release, user, repository, net_pki, FIRST, tmp_path / "job-1")
    updated = release.template()["metadata"]["annotations"]
    rolled = generation(release)
    chart = copy_chart(FIXTURE_CHART, tmp_path / "chart", FIRST)
    more = replace(release, renderer_args=[*release.renderer_args, f"--no-proxy={ADDED}"])

    ok(more.upgrade(user, chart=chart))
    release.check()
    annotations = release.template()["metadata"]["annotations"]
    assert generation(release) == rolled + 1
    assert annotations["checksum/proxy"] != updated["checksum/proxy"]
    assert annotations["checksum/ca-bundle"] == updated["checksum/ca-bundle"]
    changed = resolved(release)
    for name, settings in changed["containers"].items():
        assert ADDED in settings["no proxy"].split(","), name
    ok(more.upgrade(user, chart=chart))  # the pipeline runs again: no second roll
    assert generation(release) == rolled + 1

    auto_update(release, user, repository, net_pki, SECOND, tmp_path / "job-2")

    assert resolved(release) == changed


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


def test_the_values_secret_deleted_alone_is_named_in_the_jobs_log(
        user, api_server, cluster_namespace, repository, net_pki, tmp_path):
    """Someone deletes ``<fullname>-ocean-proxy-values`` alone (not the README's removal):
    the Job's step finds nothing to run, and its upgrade takes the proxy and the CA out of
    the controller (given as flags, they are not in the release's values). The Job's log,
    which is where anyone looks, says so in one line, without the password."""
    release = release_for(MODES[1], api_server, cluster_namespace, repository, net_pki,
                          tmp_path)
    ok(release.upgrade(user))
    api_server.kubectl("delete", "secret", "-n", cluster_namespace,
                       f"{release.fullname}-ocean-proxy-values")

    run = run_stored_job(api_server, cluster_namespace, release.fullname, helm=user.binary,
                         version=FIRST, image=Image(net_pki.public_roots_file.read_bytes()),
                         workdir=tmp_path / "job")

    assert run.returncode == 0, run.stderr
    said = [line for line in (run.text + run.stderr).splitlines()
            if line.startswith("ocean-proxy:")]
    assert len(said) == 1 and "-ocean-proxy-values is gone" in said[0], said
    assert "no proxy or CA" in said[0]
    password = urlsplit(repository.proxy.credentials_url).password or ""
    assert password and password not in run.text + run.stderr
    assert resolved(release)["containers"][CONTROLLER]["https proxy (Go)"] is None
