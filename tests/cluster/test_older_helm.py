"""The post-renderer under an older helm 3, against a real API server (README, "Which helm
versions"): helm 3.4.2, the oldest any registry package carries, and 3.8.1, the last without
``--post-renderer-args``, installed as the README tells a Helm 3 user. The settings of
ocean-proxy's own go by environment there; the release stored is the one helm 3.17 stores
with ``--post-renderer-args``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from .. import certs
from .helm_users import HelmUsers
from .release import CHECKSUMS, ControllerRelease, injected_names, ok, vendor_flags
from .server import ApiServer

NO_PROXY = ".corp.example,10.0.0.0/8"


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
    ok(current.upgrade(helm_users.get("helm3"), "--post-renderer-args",
                       f"--no-proxy={NO_PROXY}"))
    expected = current.deployment()["spec"]["template"]
    assert _env(template, old_name, new_name) == _env(expected, old_name, new_name)
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
