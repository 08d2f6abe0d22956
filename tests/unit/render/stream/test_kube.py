"""The Kubernetes shapes: pod spec paths, containers, env entries, RFC 6901 pointers."""

from __future__ import annotations

import jsonpointer
import pytest

from post_renderer.render.stream.kube import (
    POD_SPEC_PATHS,
    containers,
    env_entries,
    get_path,
    pod_template_path,
    pointer,
    pointer_parts,
)


def cronjob(env: list) -> dict:
    pod = {"initContainers": [{"name": "init", "env": env}],
           "containers": [{"name": "main"}, {"no": "name"}, "junk"]}
    return {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}}}


def test_the_pod_template_is_the_parent_of_the_pod_spec():
    assert pod_template_path("Deployment") == ("spec", "template")
    assert pod_template_path("CronJob") == ("spec", "jobTemplate", "spec", "template")


def test_get_path_is_none_for_anything_missing_or_not_a_mapping():
    document = {"a": {"b": [1]}}
    assert get_path(document, ("a", "b")) == [1]
    assert get_path(document, ("a", "x")) is None
    assert get_path(document, ("a", "b", "c")) is None
    assert get_path(None, ("a",)) is None


def test_containers_are_init_then_regular_and_only_named_ones():
    pod = get_path(cronjob([]), POD_SPEC_PATHS["CronJob"])
    assert [(lst, i, c["name"]) for lst, i, c in containers(pod)] == [
        ("initContainers", 0, "init"), ("containers", 0, "main")]
    assert containers("not a pod") == []


def test_env_entries_carry_pointers_that_resolve_to_them():
    document = cronjob([{"name": "A", "value": "1"}, "junk", {"name": "B", "value": "2"}])
    found = list(env_entries(document, "CronJob"))
    assert [e.entry["name"] for e in found] == ["A", "B"]
    for entry in found:
        assert jsonpointer.resolve_pointer(document, entry.path) is entry.entry


@pytest.mark.parametrize("parts", [("metadata", "annotations", "checksum/ca-bundle"),
                                   ("data", "a~b"), ("spec", 0, ""), ()])
def test_pointers_escape_and_unescape_as_rfc_6901_says(parts):
    text = pointer(*parts)
    assert pointer_parts(text) == [str(p) for p in parts]
    assert jsonpointer.JsonPointer(text).parts == [str(p) for p in parts]
