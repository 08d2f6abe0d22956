"""The test cluster itself: a real API server that validates, admits and stores, and that the
tests stop without leaving a process or a file behind."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import tool
from .server import ApiServer, start_cluster

BAD_DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
    "spec": {"selector": {"matchLabels": {"app": "bad"}},
             "template": {"metadata": {"labels": {"app": "bad"}},
                          "spec": {"containers": [{"name": "c", "image": "busybox",
                                                   "volumeMounts": [{"name": "missing",
                                                                     "mountPath": "/x"}]}]}}},
}
# what the network client's chart asks for: a DaemonSet on the node's network, privileged
PRIVILEGED_DAEMONSET = {
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "privileged"},
    "spec": {"selector": {"matchLabels": {"app": "p"}},
             "template": {"metadata": {"labels": {"app": "p"}},
                          "spec": {"hostNetwork": True,
                                   "containers": [{"name": "c", "image": "busybox",
                                                   "securityContext": {"privileged": True}}]}}},
}


def test_server_refuses_what_a_cluster_refuses_and_stores_the_rest(api_server: ApiServer,
                                                                   cluster_namespace: str):
    refused = api_server.kubectl("apply", "-n", cluster_namespace, "-f", "-",
                                 stdin=json.dumps(BAD_DEPLOYMENT).encode(), check=False)
    assert refused.returncode != 0
    assert 'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "missing"' \
        in refused.stderr

    api_server.kubectl("create", "configmap", "settings", "-n", cluster_namespace,
                       "--from-literal=greeting=hello")
    stored = api_server.get("configmap", "settings", cluster_namespace)
    assert stored is not None and stored["data"] == {"greeting": "hello"}
    assert api_server.get("secret", "absent", cluster_namespace) is None
    api_server.kubectl("apply", "-n", cluster_namespace, "-f", "-",
                       stdin=json.dumps(PRIVILEGED_DAEMONSET).encode())
    assert api_server.get("daemonset", "privileged", cluster_namespace) is not None
    version = json.loads(api_server.kubectl("version", "-o", "json").text)
    assert version["serverVersion"]["gitVersion"] == "v1.37.2"


def test_stop_ends_both_servers_and_removes_their_data(tmp_path: Path):
    api = start_cluster(tmp_path / "cluster", kubectl=tool("kubectl"), etcd=tool("etcd"),
                        kube_apiserver=tool("kube-apiserver"))
    processes = [server.process for server in api.servers]
    assert [server.name for server in api.servers] == ["etcd", "kube-apiserver"]

    api.stop()

    assert all(process.poll() is not None for process in processes)
    assert not (tmp_path / "cluster").exists()
