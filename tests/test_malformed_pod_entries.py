"""A mount path or volume name the chart renders as a list, or mounts given as text: the API
server refuses such a pod, with or without ocean-proxy. The render leaves the entry as it came
for the API server to judge, gives the containers the proxy and the CA all the same, and never
ends in an internal error. Real helm 3 and 4 render the stand-in chart, the metric exporter
beside the controller; the CA is made with cryptography.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import certs
from .agent_charts import CONTROLLER_CHART, NO_CONTROLLER_EXTRAS, SPOT_FLAGS, helm_template
from .chart_render import parse
from .conftest import clean_env, post_renderer
from .test_agents_of_one_release import FULLNAME, RELEASE, with_ca

NAMESPACE = "spot-system"
CONTROLLER = "ocean-kubernetes-controller"
EXPORTER = ("--set", "ocean-metric-exporter.deployChart=true")
MOUNT_PATH_LIST = ("--set", "extraVolumeMounts[0].name=scratch",
                   "--set", "extraVolumeMounts[0].mountPath={/scratch,/tmp}",
                   "--set", "extraVolumes[0].name=scratch",
                   "--set", "extraVolumes[0].emptyDir.medium=Memory")
VOLUME_NAME_LIST = ("--set", "extraVolumes[0].name={scratch}",
                    "--set", "extraVolumes[0].emptyDir.medium=Memory")


@pytest.fixture(params=["helm3", "helm4"])
def helm(request) -> Path:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("flags", [MOUNT_PATH_LIST, VOLUME_NAME_LIST],
                         ids=["mount-path-list", "volume-name-list"])
def test_a_list_for_a_mount_path_or_volume_name_is_left_to_the_api_server(helm, tmp_path,
                                                                           flags):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(certs.root("Corp Proxy CA").pem)
    run = helm_template(helm, clean_env(), RELEASE, CONTROLLER_CHART, *SPOT_FLAGS,
                        *NO_CONTROLLER_EXTRAS, *EXPORTER, *with_ca(ca),
                        "--set", "spotinst.proxyUrl=http://proxy.corp:3128", *flags,
                        namespace=NAMESPACE)
    assert run.returncode == 0, run.stderr

    out = post_renderer(stdin=run.stdout)

    assert out.returncode == 0 and "internal error" not in out.stderr, out.stderr
    before = parse(run.stdout.decode()).find("Deployment", FULLNAME)
    after = parse(out.stdout.decode()).find("Deployment", FULLNAME)
    assert before is not None and after is not None
    pod_before, pod_after = before["spec"]["template"]["spec"], after["spec"]["template"]["spec"]
    [container] = [c for c in pod_after["containers"] if c["name"] == CONTROLLER]
    [mine_before] = [c for c in pod_before["containers"] if c["name"] == CONTROLLER]
    assert "HTTPS_PROXY" in {e["name"] for e in container["env"]}
    for mount in mine_before.get("volumeMounts") or []:
        assert mount in container["volumeMounts"]  # as it came, for the API server to judge
    for volume in pod_before.get("volumes") or []:
        assert volume in pod_after["volumes"]
    assert len(container["volumeMounts"]) > len(mine_before.get("volumeMounts") or [])
