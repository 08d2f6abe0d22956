"""Someone edits a value ocean-proxy owns (``kubectl set env ... NO_PROXY=...``), then the
pipeline upgrades again.

Helm 3 upgrades by three-way merge: the edit is reverted, silently. Helm 4 upgrades a release
it installed by server-side apply: the API server refuses, naming the other field manager
(``kubectl-set``), and nothing is half-done; the README's remedy (put the entries where
ocean-proxy can keep them, ``--post-renderer-args --no-proxy=...``, and take the field back
once with ``--force-conflicts``) works, and the upgrades after it need nothing special. Helm 4
keeps a release on the method it was installed with (``--server-side auto``): on a release
Helm 3 installed it reverts the edit like Helm 3.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .. import certs
from .helm_users import HelmUsers
from .release import CONTROLLER, ControllerRelease, ok, vendor_flags
from .server import ApiServer

THEIR_NO_PROXY = "10.0.0.0/8,.corp.example"
CONFLICT = ('conflict with "kubectl-set"', f'containers[name="{CONTROLLER}"]',
            'env[name="NO_PROXY"].value')


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, tmp_path: Path
               ) -> ControllerRelease:
    ca_file = tmp_path / "corp-ca.pem"
    ca_file.write_bytes(certs.root("Corp Proxy Root CA").pem)
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(ca_file))


def no_proxy(controller: ControllerRelease) -> str:
    container = next(c for c in controller.template()["spec"]["containers"]
                     if c["name"] == CONTROLLER)
    return next(e["value"] for e in container["env"] if e["name"] == "NO_PROXY")


def field_managers(controller: ControllerRelease) -> set[str]:
    stored = controller.api.kubectl("get", "deployment", controller.fullname, "-n",
                                    controller.namespace, "-o", "json", "--show-managed-fields")
    return {entry["manager"] for entry in json.loads(stored.text)["metadata"]["managedFields"]}


def edit_no_proxy(controller: ControllerRelease) -> None:
    controller.api.kubectl("set", "env", f"deployment/{controller.fullname}", "-n",
                           controller.namespace, "-c", CONTROLLER, f"NO_PROXY={THEIR_NO_PROXY}")
    assert no_proxy(controller) == THEIR_NO_PROXY


@pytest.mark.parametrize("installed_by", ["helm3", "helm4"])
def test_three_way_merge_reverts_the_edit(helm_users: HelmUsers, controller, installed_by):
    """Helm 3, and Helm 4 on a release Helm 3 installed (``--server-side auto``)."""
    ok(controller.upgrade(helm_users.get("helm3")))
    ours = no_proxy(controller)
    edit_no_proxy(controller)

    ok(controller.upgrade(helm_users.get(installed_by)))

    assert no_proxy(controller) == ours
    controller.check()


def test_helm4_refuses_with_a_conflict_and_the_readme_remedy_works(helm_users: HelmUsers,
                                                                   controller):
    helm4 = helm_users.get("helm4")
    ok(controller.upgrade(helm4))
    template = controller.template()
    edit_no_proxy(controller)

    refused = controller.upgrade(helm4)

    assert refused.returncode != 0
    assert all(part in refused.stderr for part in CONFLICT), refused.stderr
    controller.check()  # nothing half-done: every pod still finds what it needs
    assert no_proxy(controller) == THEIR_NO_PROXY

    remedy = ("--post-renderer-args", f"--no-proxy={THEIR_NO_PROXY}")
    ok(controller.upgrade(helm4, *remedy, "--force-conflicts"))
    assert set(THEIR_NO_PROXY.split(",")) < set(no_proxy(controller).split(","))
    assert set(no_proxy(controller).split(",")) > {"$(KUBERNETES_SERVICE_HOST)", ".svc"}
    assert field_managers(controller) == {"helm"}
    ok(controller.upgrade(helm4, *remedy))  # the next upgrade needs nothing special
    controller.check()
    assert template["metadata"]["annotations"] != controller.template()["metadata"][
        "annotations"]  # the NO_PROXY change rolled the pods, as any proxy change does
