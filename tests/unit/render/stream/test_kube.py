"""The Kubernetes shapes: pod spec paths, containers, env entries, RFC 6901 pointers."""

from __future__ import annotations

import copy

import jsonpatch
import jsonpointer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from post_renderer.render.stream.kube import (
    POD_SPEC_PATHS,
    apply_patch,
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


PATCH_KEYS = st.sampled_from(["a", "b", "c/d", "e~f", "0", ""])
PATCH_DOCS = st.recursive(st.one_of(st.integers(0, 3), st.text("xy", max_size=2), st.none()),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(PATCH_KEYS, inner, max_size=3)),
                          max_leaves=10)


def paths_in(document, prefix=""):
    """Every pointer into ``document`` and some just beside it (new keys, the end, too far)."""
    yield prefix + "/new"
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths_in(value, prefix + pointer(key))
    elif isinstance(document, list):
        yield from (prefix + "/-", prefix + f"/{len(document)}", prefix + f"/{len(document) + 1}",
                    prefix + "/01")
        for index, value in enumerate(document):
            yield from paths_in(value, prefix + f"/{index}")


@settings(max_examples=500, deadline=None)
@given(document=PATCH_DOCS, data=st.data())
def test_apply_patch_does_what_rfc_6902_says_like_jsonpatch(document, data):
    paths = sorted(set(paths_in(document)))
    ops = data.draw(st.lists(st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "replace", "remove"]), "path": st.sampled_from(paths),
         "value": PATCH_DOCS}), min_size=1, max_size=3))
    for op in ops:
        if op["op"] == "remove":
            del op["value"]
    original, written = copy.deepcopy(document), copy.deepcopy(ops)
    try:
        expected = jsonpatch.apply_patch(document, copy.deepcopy(ops))
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
        with pytest.raises(ValueError):
            apply_patch(document, ops)
        return
    assert apply_patch(document, ops) == expected
    assert document == original  # not in place unless asked
    assert apply_patch(document, ops, in_place=True) == expected
    assert ops == written  # values are copied in: later operations never change the patch


def test_a_value_added_twice_is_two_values():
    entry = {"name": "HTTPS_PROXY"}
    patched = apply_patch({"env": []}, [{"op": "add", "path": "/env/-", "value": entry}] * 2)
    patched["env"][0]["name"] = "changed"
    assert patched["env"][1] == entry == {"name": "HTTPS_PROXY"}


@pytest.mark.parametrize("kind", ["remove", "test", "move"])
def test_only_add_and_replace_apply_to_the_whole_document(kind):
    with pytest.raises(ValueError):
        apply_patch({"a": 1}, [{"op": kind, "path": "", "value": {}, "from": "/a"}])
