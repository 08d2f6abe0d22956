"""The auto-update against the real API server, twice in a row, with helm 3 and helm 4.

The user installs with ``--post-renderer ocean-proxy-post-renderer`` (installed as the README
says). Then the Job the controller would create from the stored ConfigMap runs as the
kubelet would run it (auto_update_emulation.run_job), with the real helm of the same major:
``helm repo add`` through the real TLS-intercepting proxy with Basic auth, ``helm get values``
and ``helm upgrade`` against the API server (KUBECONFIG stands in for the pod's service
account), ``helm upgrade`` running the Job's own post-renderer from the mounted Secret. Twice:
the second Job is the one the first one's upgrade stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from ..auto_update_emulation import copy_chart, run_job
from ..conftest import FIXTURE_CHART
from ..kubelet_view import container_view
from ..netfixtures.pki import SPOT_CHARTS
from ..pod_sandbox import Image
from ..test_auto_update import LOG_SHIPPER, effective
from .helm_users import MAJORS, HelmUser, HelmUsers
from .release import CHECKSUMS, CONTROLLER, ControllerRelease, ok, vendor_flags
from .server import ApiServer
from .stored import JOB_KEY

VERSIONS = ("0.1.64", "0.1.74")
# helm as the Job's image has it, against the test's API server. The chart repository serves
# no controller chart, so 'spot/ocean-kubernetes-controller --version V' is the local copy of
# V; --atomic is left out, because it waits for pods, which no node runs here.
SERVER_HELM = """#!/bin/bash
real={real}
[ "$1" = upgrade ] || exec "$real" "$@"
args=() version= previous=
for arg in "$@"; do
  [ "$previous" = --version ] && version=$arg
  previous=$arg
  case $arg in
    --atomic) ;;
    spot/ocean-kubernetes-controller) args+=(@chart@) ;;
    *) args+=("$arg") ;;
  esac
done
case $version in
{cases}
  *) echo "Error: chart ocean-kubernetes-controller $version not found" >&2; exit 1 ;;
esac
exec "$real" "${{args[@]/#@chart@/$chart}}"
"""


@pytest.fixture(params=MAJORS)
def user(request: pytest.FixtureRequest, helm_users: HelmUsers) -> HelmUser:
    return helm_users.get(request.param)


def stored_docs(api: ApiServer, namespace: str) -> list[dict[str, Any]]:
    return api.list("deployments,secrets,configmaps", namespace)


def stored_job(release: ControllerRelease) -> dict[str, Any]:
    configmap = release.api.get("configmap", release.fullname, release.namespace)
    assert configmap is not None
    return yaml.safe_load(configmap["data"][JOB_KEY])


def effective_pod(release: ControllerRelease) -> dict[str, Any]:
    """What each container of the controller's pod resolves (proxy, NO_PROXY, trust files,
    as the kubelet gives them from the stored objects), and the pod's checksums."""
    template = release.template()
    docs = stored_docs(release.api, release.namespace)
    annotations = template["metadata"].get("annotations") or {}
    return {"containers": {name: effective(container_view(docs, template, name,
                                                          namespace=release.namespace))
                           for name in (CONTROLLER, LOG_SHIPPER)},
            "checksums": {key: annotations.get(key) for key in CHECKSUMS}}


def test_the_auto_update_against_the_server_twice_in_a_row(
        user, api_server, cluster_namespace, auth_proxy, spot_origin, net_pki, tmp_path):
    release = ControllerRelease(api_server, cluster_namespace,
                                f"oc-{cluster_namespace.split('-')[0]}",
                                vendor_flags(net_pki.corp_root_file, auth_proxy.credentials_url))
    ok(release.upgrade(user))
    release.check()
    installed = effective_pod(release)
    assert installed["checksums"]["checksum/proxy"]
    assert installed["containers"][LOG_SHIPPER]["http proxy (Go, fluent-bit)"]
    charts = {v: copy_chart(FIXTURE_CHART, tmp_path / "charts" / v, v) for v in VERSIONS}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cases = "\n".join(f"  {v}) chart={path} ;;" for v, path in charts.items())
    (bin_dir / "helm").write_text(SERVER_HELM.format(real=user.binary, cases=cases))
    (bin_dir / "helm").chmod(0o755)
    image = Image(net_pki.public_roots_file.read_bytes())

    for number, version in enumerate(VERSIONS, start=1):
        requests_before = len(spot_origin.requests)
        run, _ = run_job(stored_job(release), stored_docs(api_server, cluster_namespace),
                         version=version, bin_dir=bin_dir, image=image,
                         workdir=tmp_path / f"job-{number}", namespace=cluster_namespace,
                         visible=[*charts.values(), api_server.workdir],
                         env={"KUBECONFIG": str(api_server.kubeconfig),
                              "HELM_NAMESPACE": cluster_namespace})

        assert run.returncode == 0, run.stderr
        assert (SPOT_CHARTS, "/index.yaml") in spot_origin.requests[requests_before:]
        history = json.loads(user.helm("history", release.name, "-n", cluster_namespace,
                                       "-o", "json").text)
        assert [h["status"] for h in history][-1] == "deployed"
        assert history[-1]["chart"] == f"{CONTROLLER}-{version}" and len(history) == number + 1
        assert f"({CONTROLLER}-{version}) now has ocean-proxy's proxy, CA and step" in run.text
        release.check()  # every stored pod template, the next Job's too, can start
        assert effective_pod(release) == installed
        assert "OCEAN_PROXY_ARGS" in stored_job(release)["spec"]["template"]["spec"][
            "containers"][0]["args"][-1]
