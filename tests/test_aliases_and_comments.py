"""A controller whose containers share one env list by a YAML alias, with a comment before
the list's first entry: what the post-renderer writes must still be YAML that every reader
loads (helm, libyaml, ruamel), with each container's own proxy variables."""

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
