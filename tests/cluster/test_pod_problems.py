"""pod_problems, the check every cluster step ends with, reads a missing Secret key as the
kubelet does: an item of an optional Secret volume the Secret lacks is skipped (the API
reference: "the volume setup will error unless it is marked optional"), but ocean-proxy's
own optional volumes must hold every item, but the agents' template, which only a release
with agents to edit keeps."""

from __future__ import annotations

import base64

import pytest

from post_renderer.job_renderer import AGENTS_TEMPLATE

from .stored import Stored, pod_problems

SECRET = "oc-ocean-kubernetes-controller-ocean-proxy-values"


def stored_with(keys: list[str], items: list[str]) -> Stored:
    secret = {"metadata": {"name": SECRET},
              "data": {key: base64.b64encode(b"x").decode() for key in keys}}
    pod = {"spec": {"containers": [{"name": "c", "volumeMounts": [
        {"name": "overlay", "mountPath": "/etc/ocean-proxy/overlay"}]}],
        "volumes": [{"name": "overlay", "secret": {
            "secretName": SECRET, "optional": True,
            "items": [{"key": key, "path": key} for key in items]}}]}}
    return Stored({"oc": {"spec": {"template": pod}}}, {SECRET: secret}, {}, {})


def test_the_agents_template_a_release_without_agents_lacks_is_no_problem():
    assert pod_problems(stored_with(["prepare.sh"], ["prepare.sh", AGENTS_TEMPLATE])) == []


@pytest.mark.parametrize("lacking", ["prepare.sh", "job-edit.yaml"])
def test_any_other_item_ocean_proxys_secret_lacks_is_one(lacking):
    problems = pod_problems(stored_with([AGENTS_TEMPLATE], [lacking, AGENTS_TEMPLATE]))
    assert problems == [f"deployment:oc container c: mount /etc/ocean-proxy/overlay: "
                        f"Secret '{SECRET}' has no key '{lacking}'"], problems
