"""The user's own upgrade after the chart's auto-update ran.

The auto-update Job's ``helm upgrade`` passes ocean-proxy's chart values, so the release's
values (``helm get values``, what ``helm upgrade --reuse-values`` renders with) hold them from
then on: a blank ``spotinst.proxyUrl``, and proxy variables that read ocean-proxy's Secret,
which the chart does not render. A post-render of such manifests cannot know the proxy; it
must not hand the next auto-update Job a release without it while saying the Job reaches
charts.spot.io through the proxy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .auto_update_emulation import load_docs, run_auto_update
from .conftest import FIXTURE_CHART, ocean_proxy, post_renderer
from .test_auto_update import (
    MODES,
    NEXT,
    assert_injected,
    charts,  # noqa: F401  (a fixture)
    helm,  # noqa: F401  (a fixture)
    helm_template,
    image,  # noqa: F401  (a fixture)
    install,
)
from .test_render_helm import helm_flags_in

PROXY_VARIABLES = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"}


def reused_values_render(binary: Path, chart: Path, values: dict, tmp_path: Path) -> bytes:
    """What 'helm upgrade --reuse-values' hands the post-renderer: the stored values."""
    stored = tmp_path / "stored-values.yaml"
    stored.write_text(yaml.safe_dump(values))
    return helm_template(binary, chart, stored).encode()


def job_env(manifests: str) -> set[str]:
    for doc in yaml.safe_load_all(manifests):
        if doc and doc["kind"] == "ConfigMap" and "auto-update.job" in doc.get("data", {}):
            job = yaml.safe_load(doc["data"]["auto-update.job"])
            return {e["name"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    raise AssertionError("no auto-update Job in the manifests")


@pytest.fixture
def updated(helm, charts, image, auth_proxy, spot_origin, net_pki, tmp_path):  # noqa: F811
    """A zero-config release after one auto-update, as the cluster holds it."""
    proxy_url = auth_proxy.credentials_url
    values = MODES[0].user_values(proxy_url, net_pki.corp_root_file)
    cluster = install(helm, FIXTURE_CHART, values, [], tmp_path).cluster
    update = run_auto_update(cluster, helm=helm, charts=charts, version=NEXT, image=image,
                             workdir=tmp_path / "auto-update")
    assert update.upgraded, update.run.stderr
    assert cluster.values["spotinst"]["proxyUrl"] == ""  # ocean-proxy's values, stored
    assert_injected(cluster, proxy_url, net_pki.corp_root.pem)
    return cluster, proxy_url


def test_reused_values_without_the_proxy_are_refused_not_a_job_without_proxy(
        helm, charts, updated, tmp_path):  # noqa: F811
    """The refusal's hint names the flag as helm takes it: followed, the Job keeps its proxy."""
    cluster, proxy_url = updated
    rendered = reused_values_render(helm, charts[NEXT], cluster.values, tmp_path)

    run = post_renderer(stdin=rendered)

    assert run.returncode == 1, run.stderr
    assert run.stdout == b""
    error, hint = run.stderr.splitlines()[-2:]
    assert "rendered with ocean-proxy's chart values" in error
    assert "auto-update Job" in error
    assert "--proxy-url" in hint and "--reuse-values" in hint
    assert "Pa55" not in run.stderr
    given = helm_flags_in(hint, URL=proxy_url)  # the hint's helm form, filled in
    assert given[::2] == ["--post-renderer-args"] * (len(given) // 2), hint
    followed = post_renderer(*given[1::2], stdin=rendered)  # what helm hands the post-renderer
    assert followed.returncode == 0, followed.stderr
    assert job_env(followed.text) >= PROXY_VARIABLES


def test_reused_values_with_the_proxy_given_again_keep_the_jobs_proxy(
        helm, charts, updated, tmp_path):  # noqa: F811
    cluster, proxy_url = updated
    rendered = reused_values_render(helm, charts[NEXT], cluster.values, tmp_path)

    run = post_renderer(f"--proxy-url={proxy_url}", stdin=rendered)

    assert run.returncode == 0, run.stderr
    assert job_env(run.text) >= PROXY_VARIABLES


def test_reused_values_without_an_auto_update_job_pass(helm, charts, updated, tmp_path):  # noqa: F811
    """With the Job off, the pods read the kept Secret and nothing is lost: no error."""
    cluster, _ = updated
    values = dict(cluster.values, spotinst={**cluster.values["spotinst"],
                                            "disableAutoUpdate": True})
    rendered = reused_values_render(helm, charts[NEXT], values, tmp_path)

    run = post_renderer(stdin=rendered)

    assert run.returncode == 0, run.stderr


def pod_annotations(manifests: str) -> dict[str, str]:
    for doc in yaml.safe_load_all(manifests):
        if doc and doc["kind"] == "Deployment" and doc["metadata"]["name"].endswith(
                "ocean-kubernetes-controller"):
            return doc["spec"]["template"]["metadata"]["annotations"]
    raise AssertionError("no controller Deployment in the manifests")


def test_a_new_ca_on_reused_values_is_no_lint_of_an_annotation_of_the_users(
        helm, charts, updated, net_pki, tmp_path):  # noqa: F811
    """The stored values hold ocean-proxy's own checksums: a new CA changes them, and
    --strict must not fail the rotation as if they were the user's."""
    cluster, proxy_url = updated
    rendered = reused_values_render(helm, charts[NEXT], cluster.values, tmp_path)
    new_ca = tmp_path / "new-ca.pem"
    new_ca.write_bytes(net_pki.corp_root.pem + net_pki.proxy_ca.pem)

    run = post_renderer("--strict", f"--proxy-url={proxy_url}", f"--ca-file={new_ca}",
                        stdin=rendered)

    assert run.returncode == 0, run.stderr
    stored = cluster.values["podAnnotations"]["checksum/ca-bundle"]
    assert pod_annotations(run.text)["checksum/ca-bundle"] != stored


def test_a_ca_rotated_between_two_auto_updates_keeps_the_pods_checksum(
        helm, charts, image, updated, net_pki, tmp_path):  # noqa: F811
    """The user rotates the CA with --reuse-values after an auto-update: the stored values
    still hold the old CA's checksum, the values the next Job passes the new one. The next
    auto-update must keep the new one, or it rolls the pods back to a checksum of a CA they
    no longer trust, and the next rotation to that CA restarts nothing."""
    cluster, proxy_url = updated
    rendered = reused_values_render(helm, charts[NEXT], cluster.values, tmp_path)
    new_ca = tmp_path / "new-ca.pem"
    new_ca.write_bytes(net_pki.corp_root.pem + net_pki.proxy_ca.pem)
    run = post_renderer(f"--proxy-url={proxy_url}", f"--ca-file={new_ca}", stdin=rendered)
    assert run.returncode == 0, run.stderr
    rotated = pod_annotations(run.text)["checksum/ca-bundle"]
    assert cluster.values["podAnnotations"]["checksum/ca-bundle"] != rotated
    cluster.apply_upgrade(load_docs(run.text), cluster.values, NEXT)  # --reuse-values

    update = run_auto_update(cluster, helm=helm, charts=charts, version=NEXT, image=image,
                             workdir=tmp_path / "second-auto-update")

    assert update.upgraded, update.run.stderr
    deployment = cluster.get("Deployment")
    assert deployment is not None
    assert deployment["spec"]["template"]["metadata"]["annotations"]["checksum/ca-bundle"] \
        == rotated


def test_an_annotation_of_the_users_own_is_still_a_lint(helm, tmp_path, net_pki):  # noqa: F811
    values = MODES[0].user_values("http://proxy.corp:3128", net_pki.corp_root_file)
    values["podAnnotations"] = {"checksum/ca-bundle": "mine"}
    rendered = reused_values_render(helm, FIXTURE_CHART, values, tmp_path)

    run = post_renderer("--strict", stdin=rendered)

    assert run.returncode == 1
    assert "pod annotation 'checksum/ca-bundle' is set to a value of its own" in run.stderr


def secrets_read_by_the_pods(manifests: str) -> set[str]:
    """The Secrets the Deployments' env reads, by name."""
    names = set()
    for doc in yaml.safe_load_all(manifests):
        if doc and doc["kind"] == "Deployment":
            for container in doc["spec"]["template"]["spec"]["containers"]:
                for entry in container.get("env") or []:
                    ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
                    if ref:
                        names.add(ref["name"])
    return names


def test_removing_it_with_reused_values_keeps_the_pods_reading_its_secrets(
        helm, charts, updated, net_pki, tmp_path):  # noqa: F811
    """The README's removal: after an auto-update, the vendor's command with --reuse-values
    still renders pods that read ocean-proxy's Secret (deleting it would keep them from
    starting); with the user's own values, none do."""
    cluster, proxy_url = updated

    reused = reused_values_render(helm, charts[NEXT], cluster.values, tmp_path).decode()
    own = tmp_path / "own-values.yaml"
    own.write_text(yaml.safe_dump(MODES[0].user_values(proxy_url, net_pki.corp_root_file)))
    reset = helm_template(helm, charts[NEXT], own)

    kept = {name for name in secrets_read_by_the_pods(reused) if name.endswith("-ocean-proxy")}
    assert kept, "the stored values no longer read ocean-proxy's Secret: update the README"
    assert not {name for name in secrets_read_by_the_pods(reset)
                if name.endswith(("-ocean-proxy", "-ocean-proxy-ca"))}


def test_a_new_no_proxy_on_reused_values_of_a_plain_proxy_is_no_lint(helm, tmp_path):  # noqa: F811
    """The usual proxy has no password and inspects no TLS: ocean-proxy's values (stored by
    the auto-update, or from 'ocean-proxy values') then give it as plain values, with no CA
    volume and no Secret of ours, and hold its checksum/proxy all the same: --strict must not
    fail the next upgrade that changes NO_PROXY as if that checksum were the user's."""
    own = tmp_path / "own-values.yaml"
    own.write_text(yaml.safe_dump(MODES[1].user_values("", tmp_path / "unused.pem")))
    ours = ocean_proxy("values", "--proxy-url", "http://proxy.corp:3128", "--values", own,
                       "--secrets", tmp_path / "secrets.yaml",
                       stdin=helm_template(helm, FIXTURE_CHART, own).encode())
    assert ours.returncode == 0, ours.stderr
    stored = tmp_path / "ocean-proxy-values.yaml"
    stored.write_bytes(ours.stdout)
    rendered = helm_template(helm, FIXTURE_CHART, own, stored).encode()

    run = post_renderer("--strict", "--no-proxy", ".new.corp", stdin=rendered)

    assert run.returncode == 0, run.stderr
    assert pod_annotations(run.text)["checksum/proxy"] != \
        yaml.safe_load(ours.stdout)["podAnnotations"]["checksum/proxy"]
