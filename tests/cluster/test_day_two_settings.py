"""Day-2 changes to a post-rendered release's settings, on the real API server.

- a corporate CA renewed under the same name (the same OpenSSL hash), rotated in and out;
- the CA taken over by ``--ca-file`` beside the chart's value, and given back;
- a ``--no-proxy`` entry added and taken out again;
- the chart's auto-update switched off and on again; ocean-proxy removed as the README says
  (the 'kubectl delete secret' the last render named) after the auto-update was switched
  off, or the CA taken out;
- ``helm rollback`` over a revision that dropped the auto-update or the CA (Helm 3 refuses;
  the README's remedy);
- a password given to the post-renderer alone, looked for in helm's records as the API server
  stores them (``helm get`` shows only part of them).

After each step ``ControllerRelease.check`` reads what the API server stored (every pod can
start, no password in plain sight), and ``trusted`` which corporate CAs the pods are given.
"""

from __future__ import annotations

import base64
import gzip
import re

import pytest

from .. import certs
from .release import (
    CONTROLLER,
    NO_CA,
    PROXY_URL,
    SUITE_FLAGS,
    ControllerRelease,
    generation,
    injected_names,
    ok,
    vendor_flags,
)
from .server import ApiServer
from .stored import JOB_KEY
from .test_day_two_upgrades import INJECTED, SHOWN, ders, said
from .test_user_sequences import LOG_SHIPPER, trusted


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, cas) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(cas[0]))


def test_a_renewed_ca_with_the_same_subject_rotates_in_and_the_old_one_out(
        user, controller, tmp_path):
    """The corporate CA renewed under the same name (a new key, the same OpenSSL subject
    hash): the old one, then both while the proxy moves, then the renewed one alone."""
    old, renewed = certs.root("Corp Proxy Root CA"), certs.root("Corp Proxy Root CA")
    files = {"old": old.pem, "both": old.pem + renewed.pem, "renewed": renewed.pem}
    for name, pem in files.items():
        (tmp_path / f"{name}.pem").write_bytes(pem)
    for step, (name, wanted) in enumerate((("old", {old.der}), ("both", {old.der, renewed.der}),
                                           ("renewed", {renewed.der})), start=1):
        ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={tmp_path / name}.pem"))
        controller.check()
        assert generation(controller) == step, name
        for container in (CONTROLLER, LOG_SHIPPER):
            assert trusted(controller, container) == wanted, (name, container)


def test_the_ca_moved_from_the_charts_value_to_ca_file_and_back(user, controller, cas):
    """A pipeline takes the CA over with ``--post-renderer-args --ca-file`` while the chart's
    value still holds the old one (the render says which CA the pods no longer get), then
    drops the flag again."""
    ok(controller.upgrade(user))

    moved = ok(controller.upgrade(user, "--post-renderer-args", f"--ca-file={cas[1]}"))

    controller.check()
    replaced = [line for line in said(moved)
                if line.startswith("ocean-proxy: warning: --ca-file replaces the CA bundle")]
    assert len(replaced) == 1 and "'CN=Corp Proxy Root CA," in replaced[0], moved.stderr
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == ders(cas[1]), container
    back = ok(controller.upgrade(user))
    assert "--ca-file replaces" not in back.stderr
    controller.check()
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == ders(cas[0]), container


def test_a_no_proxy_entry_taken_out_again_leaves_the_pods_as_installed(user, controller):
    ok(controller.upgrade(user))
    installed = controller.check().deployments[controller.fullname]["spec"]["template"]

    ok(controller.upgrade(user, "--post-renderer-args", "--no-proxy=.corp.example,10.0.0.0/8"))
    controller.check()
    assert generation(controller) == 2
    ok(controller.upgrade(user, "--post-renderer-args", "--no-proxy=10.0.0.0/8"))
    controller.check()
    assert generation(controller) == 3
    ok(controller.upgrade(user))

    controller.check()
    assert generation(controller) == 4
    assert controller.template() == installed


AUTO_UPDATE_OFF = ("--set", "spotinst.disableAutoUpdate=true")


def delete_line(run) -> list[str]:
    """The arguments of the one 'kubectl delete secret' the render names, after ``kubectl``."""
    found = re.findall(r"'kubectl (delete secret -n [^']+)'", run.stderr)
    assert len(found) == 1, run.stderr
    return found[0].split()


def test_the_auto_update_switched_off_then_on_again(user, controller):
    """A team takes the chart's upgrades into its pipeline (``spotinst.disableAutoUpdate``,
    ``--auto-update=refuse`` to hold it to that) and later gives them back to the Job."""
    ok(controller.upgrade(user))
    with_job = controller.check().configmaps[controller.fullname]["data"][JOB_KEY]
    installed = generation(controller)

    ok(controller.upgrade(user, *AUTO_UPDATE_OFF, "--post-renderer-args", "--auto-update=refuse"))

    stored = controller.check()
    assert JOB_KEY not in stored.configmaps[controller.fullname]["data"]
    assert injected_names(controller.template()) == INJECTED
    assert generation(controller) == installed + 1  # the controller no longer holds a Job
    ok(controller.upgrade(user))
    stored = controller.check()
    assert stored.configmaps[controller.fullname]["data"][JOB_KEY] == with_job


@pytest.mark.parametrize("dropped", ["auto-update", "CA"])
def test_removing_ocean_proxy_after_a_part_was_dropped_leaves_none_of_its_secrets(
        user, controller, dropped):
    """The README's way out, on a release whose auto-update was switched off (or whose CA
    was taken out) after it ran with ocean-proxy: upgrade without the post-renderer, then
    the 'kubectl delete secret' the last render named. helm kept the Secret of that part
    (the auto-update's values, ocean-proxy's CA) from the earlier revisions."""
    flags = AUTO_UPDATE_OFF if dropped == "auto-update" else NO_CA
    ok(controller.upgrade(user))
    last = ok(controller.upgrade(user, *flags))

    ok(controller.upgrade(user, *flags, post_render=False))
    controller.api.kubectl(*delete_line(last))

    stored = controller.check(chart_alone=True)
    assert [name for name in stored.secrets if "ocean-proxy" in name] == []


def release_records(controller: ControllerRelease) -> dict[str, str]:
    """helm's own record of each revision as the API server stores it, decoded: the Secret
    ``sh.helm.release.v1.<release>.v<n>`` holds it gzipped, in base64 twice."""
    stored = controller.stored()
    return {name: gzip.decompress(base64.b64decode(base64.b64decode(
        secret["data"]["release"]))).decode()
        for name, secret in stored.secrets.items()
        if name.startswith(f"sh.helm.release.v1.{controller.name}.")}


def test_a_password_given_to_the_post_renderer_alone_is_in_no_stored_release_record(
        user, api_server, cluster_namespace, cas):
    """``--post-renderer-args --proxy-url``, the README's way to keep the password out of
    helm's records: not in the records as stored, whatever ``helm get`` shows of them,
    through an install, a CA change and a password rotation."""
    controller = ControllerRelease(
        api_server, cluster_namespace, f"oc-{cluster_namespace.split('-')[0]}",
        [*vendor_flags(cas[0])[:6], *SUITE_FLAGS], [f"--proxy-url={PROXY_URL}"])
    ok(controller.upgrade(user))
    ok(controller.upgrade(user, "--set", "caBundleSecret.create=true",
                          "--set-file", f"caBundleSecret.data={cas[0]}"))
    controller.renderer_args = [f"--proxy-url={PROXY_URL.replace('alice', 'bob')}"]
    ok(controller.upgrade(user, "--reuse-values"))

    controller.check()
    records = release_records(controller)
    assert len(records) == 3
    assert all(f"{controller.fullname}-ocean-proxy" in text for text in records.values())
    assert {name: [s for s in SHOWN if s in text] for name, text in records.items()} == \
        {name: [] for name in records}


@pytest.mark.parametrize("dropped", ["auto-update", "CA"])
def test_a_rollback_over_a_revision_that_dropped_a_part_as_the_readme_says(
        user, controller, cas, dropped):
    """A post-rendered revision without the auto-update (or without the CA) leaves that
    part's Secret kept but outside the release, as a revision without the post-renderer
    leaves them all: Helm 3's ``helm rollback`` to the revision before refuses ('no Secret
    with the name ... found'); the README's way (delete the Secrets the render of the
    revision rolled back to named, then roll back again) brings that revision back whole.
    Helm 4 rolls back as it is."""
    flags = AUTO_UPDATE_OFF if dropped == "auto-update" else NO_CA
    first = ok(controller.upgrade(user))
    template = controller.check().deployments[controller.fullname]["spec"]["template"]
    ok(controller.upgrade(user, *flags))

    rollback = ("rollback", controller.name, "1", "-n", controller.namespace)
    plain = user.helm(*rollback)
    if user.major == "helm3":
        suffix = "-ocean-proxy-values" if dropped == "auto-update" else "-ocean-proxy-ca"
        assert f'Error: no Secret with the name "{controller.fullname}{suffix}" found' in \
            plain.stderr, plain.stderr
        controller.api.kubectl(*delete_line(first))
        ok(user.helm(*rollback))
    else:
        ok(plain)

    stored = controller.check()
    assert controller.template() == template
    assert JOB_KEY in stored.configmaps[controller.fullname]["data"]
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == ders(cas[0]), container
