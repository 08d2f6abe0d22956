"""overlay.agents: the edit the auto-update Job's post-renderer makes again to an agent's pod."""

from __future__ import annotations

import copy

import jsonpatch
import pytest

from post_renderer.render.overlay.agents import Owned, agent_edit, apply_edit

CHART_PROXY = {"name": "PROXY_URL",
               "valueFrom": {"configMapKeyRef": {"name": "oc", "key": "proxy-url"}}}
OURS_PROXY = {"name": "PROXY_URL",
              "valueFrom": {"secretKeyRef": {"name": "oc-ocean-proxy", "key": "proxy-url"}}}
OWNED = Owned(env=frozenset({"PROXY_URL", "HTTPS_PROXY"}), mounts=frozenset({"/etc/ocean"}),
              volumes=frozenset({"ocean-ca"}), annotations=frozenset({"checksum/proxy"}))
MOUNT = {"name": "ocean-ca", "mountPath": "/etc/ocean"}
VOLUME = {"name": "ocean-ca", "secret": {"secretName": "oc-ocean-proxy-ca"}}


def exporter(*env: dict) -> dict:
    return {"kind": "Deployment", "metadata": {"name": "exp"},
            "spec": {"template": {"metadata": {"labels": {"app": "exp"}},
                                  "spec": {"containers": [
                                      {"name": "exp", "env": [{"name": "A", "value": "1"},
                                                              *env]}]}}}}


RENDER = [
    {"op": "replace", "path": "/spec/template/spec/containers/0/env/1", "value": OURS_PROXY},
    {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
     "value": {"name": "HTTPS_PROXY", "value": "http://p:3128"}},
    {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts", "value": [MOUNT]},
    {"op": "add", "path": "/spec/template/spec/volumes", "value": [VOLUME]},
    {"op": "add", "path": "/spec/template/metadata/annotations",
     "value": {"checksum/proxy": "abc"}},
]


def test_the_edit_made_again_gives_the_pod_the_render_gave():
    before = exporter(CHART_PROXY)
    after = jsonpatch.apply_patch(before, RENDER)

    edit = agent_edit("Deployment", "exp", before, RENDER, OWNED)

    assert edit is not None
    assert edit["env"][0] == OURS_PROXY  # set in place, where the chart has it
    assert apply_edit(before, edit) == after


def test_the_edit_carries_only_our_annotations_beside_the_charts_own():
    """An agent's chart rolls its pods with checksums of its own: they stay the chart's, and
    the Job's post-renderer adds ours beside them."""
    before = exporter(CHART_PROXY)
    before["spec"]["template"]["metadata"]["annotations"] = {"checksum/config": "0f4c"}
    ops = [*RENDER[:-1], {"op": "add", "path": "/spec/template/metadata/annotations/"
                                                "checksum~1proxy", "value": "abc"}]
    after = jsonpatch.apply_patch(before, ops)

    edit = agent_edit("Deployment", "exp", before, ops, OWNED)

    assert edit is not None and edit["annotations"] == {"checksum/proxy": "abc"}
    assert apply_edit(before, edit) == after


def test_the_render_run_on_its_own_output_gives_the_same_edit():
    before = exporter(CHART_PROXY)
    after = jsonpatch.apply_patch(before, RENDER)

    assert agent_edit("Deployment", "exp", after, [], OWNED) == \
        agent_edit("Deployment", "exp", before, RENDER, OWNED)


def test_a_change_the_edit_cannot_make_has_no_edit():
    """A second, later PROXY_URL (which Kubernetes would give the container) is removed by
    the render; the Job's post-renderer replaces in place and removes nothing."""
    before = exporter(CHART_PROXY, copy.deepcopy(CHART_PROXY))
    ops = [*RENDER, {"op": "remove", "path": "/spec/template/spec/containers/0/env/2"}]

    assert agent_edit("Deployment", "exp", before, ops, OWNED) is None


def test_a_mount_already_there_is_refused_as_the_job_refuses_it():
    before = exporter(CHART_PROXY)
    before["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [MOUNT]
    edit = {"kind": "Deployment", "name": "exp", "container": "exp", "env": [],
            "volumeMounts": [MOUNT], "volumes": [], "annotations": {}}

    assert apply_edit(before, edit) is None


def test_malformed_entries_beside_the_edit_do_not_stop_the_render():
    """A chart's mount without a mountPath, a null env entry, a volume that is no mapping:
    the API server judges those; the edit is read and checked around them, never an
    internal error."""
    before = exporter(CHART_PROXY, None)
    spec = before["spec"]["template"]["spec"]
    spec["containers"][0]["volumeMounts"] = [{"name": "tmp", "readOnly": True}]
    spec["volumes"] = ["tmp", {"name": "tmp", "emptyDir": {}}]
    assert_made_again_beside_what_is_there(before)


@pytest.mark.parametrize("mounts, volumes", [
    ([{"name": "tmp", "mountPath": ["/tmp"]}], [{"name": "tmp", "emptyDir": {}}]),
    ([{"name": "tmp", "mountPath": {"path": "/tmp"}}], [{"name": "tmp", "emptyDir": {}}]),
    ([{"name": "tmp", "mountPath": "/tmp"}], [{"name": ["tmp"], "emptyDir": {}}]),
])
def test_a_mount_path_or_volume_name_that_is_no_text_does_not_stop_the_render(mounts, volumes):
    """A list or a mapping where the chart should have written a path or a name, a container
    that is no mapping: the API server refuses the pod, as it would without ocean-proxy; the
    render does not end in an internal error (TypeError) before it gets there."""
    before = exporter(CHART_PROXY)
    spec = before["spec"]["template"]["spec"]
    spec["containers"][0]["volumeMounts"], spec["volumes"] = mounts, volumes
    spec["containers"].append("sidecar")
    assert_made_again_beside_what_is_there(before)


def test_mounts_written_as_text_have_no_edit_the_job_could_make_again():
    """'volumeMounts: scratch' in the agent's container: the render gives it a list of its
    own mounts; the Job's post-renderer has nothing to append to, so there is no edit (the
    agent is said to lose it at auto-update), never an internal error."""
    before = exporter(CHART_PROXY)
    before["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = "scratch"
    ops = [*RENDER[:2],
           {"op": "replace", "path": "/spec/template/spec/containers/0/volumeMounts",
            "value": [MOUNT]}, *RENDER[3:]]

    assert agent_edit("Deployment", "exp", before, ops, OWNED) is None


def assert_made_again_beside_what_is_there(before: dict) -> None:
    """The render adds its mount and volume after the chart's: the edit holds only those,
    and made again it gives the render's pod."""
    ops = [*RENDER[:2],
           {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-",
            "value": MOUNT},
           {"op": "add", "path": "/spec/template/spec/volumes/-", "value": VOLUME},
           RENDER[4]]
    after = jsonpatch.apply_patch(before, ops)

    edit = agent_edit("Deployment", "exp", before, ops, OWNED)

    assert edit is not None and edit["volumeMounts"] == [MOUNT] and edit["volumes"] == [VOLUME]
    assert apply_edit(before, edit) == after
