"""YAML aliases in the controller's Deployment: what the post-renderer writes must be YAML
that every reader loads (helm, libyaml, ruamel), and what it adds for the pod must land
where the pod reads it, not in every place the aliased node appears."""

from __future__ import annotations

import yaml
from ruamel.yaml import YAML

from .conftest import post_renderer

PROXY = "http://proxy.corp:3128"

SHARED_COMMENTED_ENV = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: spot-ocean-kubernetes-controller
spec:
  template:
    spec:
      containers:
      - name: ocean-kubernetes-controller
        image: spotinst/ocean-kubernetes-controller:2
        env: &common
        # the account the controller reports to
        - name: SPOTINST_ACCOUNT
          value: act-1
      - name: log-shipper
        image: fluent/fluent-bit:4.1.0
        env: *common
"""


def test_a_commented_env_list_shared_by_alias_comes_out_loadable_with_each_containers_proxy():
    run = post_renderer("--proxy-url", PROXY, stdin=SHARED_COMMENTED_ENV)

    assert run.returncode == 0, run.stderr
    by_libyaml = yaml.load(run.stdout, Loader=yaml.CSafeLoader)
    assert by_libyaml == YAML(typ="safe", pure=True).load(run.stdout)
    for container in by_libyaml["spec"]["template"]["spec"]["containers"]:
        env = [(e["name"], e.get("value")) for e in container["env"]]
        assert env[0] == ("SPOTINST_ACCOUNT", "act-1"), container["name"]
        assert [name for name, _ in env].count("HTTPS_PROXY") == 1, container["name"]
        assert dict(env)["HTTPS_PROXY"] == PROXY, container["name"]
    again = post_renderer("--proxy-url", PROXY, stdin=run.stdout)
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout


TEMPLATE_METADATA_ALIASED = b"""\
apiVersion: apps/v1
kind: Deployment
metadata: &meta
  name: spot-ocean-kubernetes-controller
  labels:
    app.kubernetes.io/name: ocean-kubernetes-controller
  annotations:
    team: platform
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: ocean-kubernetes-controller
  template:
    metadata: *meta
    spec:
      containers:
      - name: ocean-kubernetes-controller
        image: spotinst/ocean-kubernetes-controller:2
"""


def test_a_pod_template_metadata_aliasing_the_deployments_gets_the_checksum_alone():
    """The rollout checksum goes to the pod template's annotations; the Deployment's own
    metadata, which the template's aliased, keeps the annotations it had."""
    run = post_renderer("--proxy-url", PROXY, stdin=TEMPLATE_METADATA_ALIASED)

    assert run.returncode == 0, run.stderr
    deployment = yaml.load(run.stdout, Loader=yaml.CSafeLoader)
    assert deployment["metadata"]["annotations"] == {"team": "platform"}
    pod_annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert pod_annotations["team"] == "platform"
    assert "checksum/proxy" in pod_annotations


SHARED_FLOW_MOUNTS = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: spot-ocean-kubernetes-controller
spec:
  template:
    spec:
      volumes: [{name: logs, emptyDir: {}}]
      containers:
      - name: ocean-kubernetes-controller
        image: spotinst/ocean-kubernetes-controller:2
        volumeMounts: &mounts [{name: logs, mountPath: /var/log/ocean}]
      - name: log-shipper
        image: fluent/fluent-bit:4.1.0
        volumeMounts: *mounts
"""


def test_a_flow_style_list_shared_by_alias_keeps_its_style_in_each_container(ca_file):
    """Each container's copy of the shared list is written as the user wrote it, on one
    line, with the CA mounts added to it."""
    run = post_renderer("--ca-file", ca_file, stdin=SHARED_FLOW_MOUNTS)

    assert run.returncode == 0, run.stderr
    lines = [line.strip() for line in run.text.splitlines() if "volumeMounts:" in line]
    assert len(lines) == 2
    assert all(line.startswith("volumeMounts: [") and "/etc/ocean-proxy/ca" in line
               for line in lines), lines


def test_the_comments_away_from_a_shared_commented_list_stay():
    """Only the shared list's comment goes: helm's '# Source:' line and the user's own
    comments elsewhere in the document stay where they were."""
    document = b"# Source: ocean-kubernetes-controller/templates/deployment.yaml\n" + \
        SHARED_COMMENTED_ENV.replace(b"spec:\n  template:", b"spec:\n  replicas: 1  # keep me"
                                                            b"\n  template:")

    run = post_renderer("--proxy-url", PROXY, stdin=document)

    assert run.returncode == 0, run.stderr
    assert b"# Source: ocean-kubernetes-controller/templates/deployment.yaml\n" in run.stdout
    assert b"replicas: 1  # keep me\n" in run.stdout
    containers = yaml.load(run.stdout, Loader=yaml.CSafeLoader)["spec"]["template"]["spec"][
        "containers"]
    assert all(dict((e["name"], e.get("value")) for e in c["env"])["HTTPS_PROXY"] == PROXY
               for c in containers)
