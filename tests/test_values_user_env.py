"""A user's own ``SSL_CERT_DIR`` and ``USER_ENV_CERTIFICATES`` on the values route, as the
post-renderer treats them.

The post-renderer builds the pod's ``SSL_CERT_DIR`` from the one the chart rendered: the
user's directories stay and ocean-proxy's CA directory is added after them. The values route
must store the same pod template: the user's ``extraEnv`` (and ``logShipping.extraEnv``) entry
of that name is replaced by the values file's, so that entry must carry the user's
directories too, or their own CAs stop being trusted. A ``USER_ENV_CERTIFICATES`` of the
user's ``extraEnv`` comes after the chart's, which reads ocean-proxy's CA, and Kubernetes would
give the controller the last: both routes leave it out. Real helm 3 and 4, certificates from
cryptography (``net_pki``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import certs
from .kubelet_view import container_view
from .test_values_route import NAMESPACE, Routes, meaning, pod

OWN_DIRS = "/corp/certs:/etc/ssl/certs"


def own_values() -> dict:
    env = [{"name": "SSL_CERT_DIR", "value": OWN_DIRS}]
    return {"spotinst": {"account": "act-123", "clusterIdentifier": "c-1", "token": "TOKEN"},
            "extraEnv": env, "logShipping": {"extraEnv": env}}


@pytest.mark.parametrize("helm_name", ["helm3", "helm4"])
def test_the_users_own_cert_dirs_stay_on_the_values_route(
        request, helm_name, net_pki, tmp_path):
    helm: Path = request.getfixturevalue(helm_name)
    routes = Routes(helm, tmp_path, own_values(),
                    ["--proxy-url=http://proxy.corp.example:3128",
                     f"--ca-file={net_pki.corp_root_file}"])

    docs, _ = routes.with_values(routes.values_route())

    template = pod(docs)
    assert meaning(template) == meaning(pod(routes.post_rendered()))
    for container in template["spec"]["containers"]:
        [cert_dir] = [e["value"] for e in container["env"] if e["name"] == "SSL_CERT_DIR"]
        assert cert_dir == f"{OWN_DIRS}:/etc/ocean-proxy/ca", container["name"]


@pytest.mark.parametrize("helm_name", ["helm3", "helm4"])
def test_a_ca_written_in_extra_env_gives_way_on_the_values_route_too(
        request, helm_name, net_pki, tmp_path):
    helm: Path = request.getfixturevalue(helm_name)
    values = own_values()
    values["extraEnv"] = [{"name": "USER_ENV_CERTIFICATES",
                           "value": certs.root("Old Workaround Root").pem.decode()}]
    routes = Routes(helm, tmp_path, values, ["--proxy-url=http://proxy.corp.example:3128",
                                             f"--ca-file={net_pki.corp_root_file}"])

    docs, secrets = routes.with_values(routes.values_route())

    template = pod(docs)
    assert meaning(template) == meaning(pod(routes.post_rendered()))  # one entry a name
    seen = container_view(docs + secrets, template, "ocean-kubernetes-controller",
                          namespace=NAMESPACE)
    assert seen.env["USER_ENV_CERTIFICATES"].encode() == net_pki.corp_root.pem


@pytest.mark.parametrize("helm_name", ["helm3", "helm4"])
def test_a_ca_secret_of_the_users_own_stays_when_only_the_proxy_is_given(
        request, helm_name, tmp_path):
    """The CA in a Secret made with kubectl, read by USER_ENV_CERTIFICATES in extraEnv, and
    ocean-proxy given the proxy alone: the values give no CA, so they must not take the
    user's entry away, or the controller stops trusting the proxy it is now sent through."""
    helm: Path = request.getfixturevalue(helm_name)
    values = own_values()
    own_ca = {"name": "USER_ENV_CERTIFICATES",
              "valueFrom": {"secretKeyRef": {"name": "corp-ca", "key": "ca.pem"}}}
    values["extraEnv"] = [own_ca]
    routes = Routes(helm, tmp_path, values, ["--proxy-url=http://proxy.corp.example:3128"])

    docs, _ = routes.with_values(routes.values_route())

    def ca_entries(template: dict) -> list[dict]:
        [controller] = [c for c in template["spec"]["containers"]
                        if c["name"] == "ocean-kubernetes-controller"]
        return [e for e in controller["env"] if e["name"] == "USER_ENV_CERTIFICATES"]

    stored = ca_entries(pod(docs))
    assert stored == ca_entries(pod(routes.post_rendered()))
    assert stored[-1] == own_ca  # the one Kubernetes gives the controller
