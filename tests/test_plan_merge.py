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
