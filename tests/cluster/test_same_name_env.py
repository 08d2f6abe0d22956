"""Two env entries of one name on the real API server: the chart's ``USER_ENV_CERTIFICATES``
(from ``caBundleSecret.data``) and a CA written in ``extraEnv`` after it.

The API server stores both and warns that the second "hides previous definition": the
kubelet sets them in turn, so the controller gets the last (kubelet_view does the same).
Helm 4's server-side apply refuses the two outright. After ocean-proxy (either helm) the
stored pod template has the name once, reading the validated bundle of the CA the
controller was given, and the log-shipper trusts that CA too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .. import certs
from ..conftest import is_helm4
from ..kubelet_view import container_view
from .helm_users import HelmUser
from .release import CONTROLLER, ControllerRelease, ok, vendor_flags
from .server import ApiServer

CA_ENV = "USER_ENV_CERTIFICATES"
HIDES = f'hides previous definition of "{CA_ENV}"'


@pytest.fixture
def extra_env_ca(tmp_path: Path) -> tuple[bytes, Path]:
    pem = certs.root("Current Proxy Root").pem
    path = tmp_path / "current.pem"
    path.write_bytes(pem)
    return pem, path


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, tmp_path: Path,
               extra_env_ca: tuple[bytes, Path]) -> ControllerRelease:
    retired = tmp_path / "retired.pem"
    retired.write_bytes(certs.root("Retired Proxy Root").pem)
    flags = [*vendor_flags(retired), "--set", f"extraEnv[0].name={CA_ENV}",
             "--set-file", f"extraEnv[0].value={extra_env_ca[1]}"]
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", flags)


def controller_env(controller: ControllerRelease) -> list[dict]:
    container = next(c for c in controller.template()["spec"]["containers"]
                     if c["name"] == CONTROLLER)
    return container["env"]


def test_the_api_server_keeps_both_and_says_the_last_hides_the_first(
        user: HelmUser, controller: ControllerRelease):
    """The vendor's chart alone. Helm 4's server-side apply refuses the duplicate key
    outright: the release cannot even be installed."""
    run = controller.upgrade(user, post_render=False)

    if is_helm4(user.major):
        assert run.returncode != 0
        assert f'duplicate entries for key [name="{CA_ENV}"]' in run.stderr
        return
    assert HIDES in ok(run).stderr
    entries = [e for e in controller_env(controller) if e["name"] == CA_ENV]
    assert [("valueFrom" in e, "value" in e) for e in entries] == [(True, False), (False, True)]


def test_after_ocean_proxy_the_ca_the_controller_was_given_is_stored_once_for_all(
        user: HelmUser, controller: ControllerRelease, extra_env_ca: tuple[bytes, Path]):
    run = ok(controller.upgrade(user))

    assert HIDES not in run.stderr
    stored = controller.check()  # among what it checks: no env name twice in a container
    docs = [*stored.secrets.values(), *stored.configmaps.values()]
    template = controller.template()
    seen = container_view(docs, template, CONTROLLER, namespace=controller.namespace)
    assert seen.env[CA_ENV].encode() == extra_env_ca[0]
    shipper = container_view(docs, template, "log-shipper", namespace=controller.namespace)
    assert any(extra_env_ca[0] in content for mount in shipper.secret_mounts
               for content in mount.files.values())
