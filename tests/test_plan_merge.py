"""Plans of several workloads become one: a change proposed twice is kept once, and two
different changes to one place are refused, naming both workloads."""

from __future__ import annotations

import pytest

from post_renderer.errors import WorkloadConflictError
from post_renderer.render.plan.plan import Plan
from post_renderer.render.plan.pod_patch import Change
from post_renderer.render.release.release import Resource


def added_secret(namespace: str, data: dict) -> Resource:
    document = {"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "shared-ocean-proxy", "namespace": namespace},
                "data": data}
    return Resource("Secret", "shared-ocean-proxy", document)


def plan_adding(resource: Resource) -> Plan:
    plan = Plan()
    plan.add(resource, [Change({"op": "add", "path": "", "value": resource.document}, "why")])
    return plan


def test_the_same_added_document_from_two_workloads_is_added_once():
    merged = plan_adding(added_secret("spot-system", {"proxy-url": "eA=="}))
    merged.absorb(plan_adding(added_secret("spot-system", {"proxy-url": "eA=="})),
                  "DaemonSet/b", "Deployment/a")
    assert len(merged.ordered()) == 1


def test_namesakes_in_two_namespaces_are_two_documents():
    merged = plan_adding(added_secret("team-a", {"proxy-url": "eA=="}))
    merged.absorb(plan_adding(added_secret("team-b", {"proxy-url": "eQ=="})),
                  "Deployment/b", "Deployment/a")
    assert len(merged.ordered()) == 2


def test_one_document_written_two_ways_is_a_conflict_naming_both_workloads():
    merged = plan_adding(added_secret("spot-system", {"proxy-url": "eA=="}))
    with pytest.raises(WorkloadConflictError) as raised:
        merged.absorb(plan_adding(added_secret("spot-system", {"proxy-url": "eQ=="})),
                      "DaemonSet/b", "Deployment/a")
    assert "Deployment/a and DaemonSet/b" in raised.value.message
    assert "eQ==" not in raised.value.message and "eA==" not in raised.value.message


def test_a_document_of_the_stream_changed_two_ways_is_a_conflict_naming_both_workloads():
    from tests.unit.chart_manifests import FULLNAME, configmap, controller, release
    from tests.unit.render.planning import release_of

    rendered = release_of(release(controller(), configmap(proxy_url="http://proxy.corp:3128")))
    chart_configmap = rendered.get("ConfigMap", FULLNAME)
    assert chart_configmap is not None and chart_configmap.chunk is not None

    def plan_writing(url: str) -> Plan:
        plan = Plan()
        plan.add(chart_configmap, [Change({"op": "replace", "path": "/data/proxy-url",
                                           "value": url}, "why")])
        return plan

    merged = plan_writing("http://proxy.corp:3128")
    merged.absorb(plan_writing("http://proxy.corp:3128"), "Deployment/b", "Deployment/a")
    assert [c.op["value"] for c in merged.ordered()[0].changes] == ["http://proxy.corp:3128"]
    with pytest.raises(WorkloadConflictError) as raised:
        merged.absorb(plan_writing("http://other.corp:8080"), "Deployment/c", "Deployment/a")
    assert "Deployment/a and Deployment/c" in raised.value.message
    assert "'/data/proxy-url'" in raised.value.message
