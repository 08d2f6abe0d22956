"""overlay.job: the auto-update Job's step, and what its post-renderer gives the next Job."""

from __future__ import annotations

import base64
import json

from ruamel.yaml import YAML

from post_renderer import job_renderer
from post_renderer.render.overlay.job import (
    STEP,
    UPGRADE_ARGS,
    VALUES_ITEMS,
    VOLUME,
    extend_script,
    job_edit,
    kept_secret_volume,
    optional_refs,
    overlay_secret_data,
    volume,
)

from ....conftest import clean_env, run_command

VENDOR = """set -o pipefail
helm repo add spot https://charts.spot.io && \\
helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\
helm upgrade $(RELEASE_NAME) spot/ocean-kubernetes-controller --version $(CHART_VERSION) \\
  --debug --atomic --timeout=$(WAIT_TIMEOUT) --values /tmp/values.yaml
"""
PROXY_REF = {"name": "HTTPS_PROXY", "valueFrom": {"secretKeyRef": {"name": "oc-ocean-proxy",
                                                                   "key": "proxy-url"}}}


def test_the_step_goes_after_get_values_and_its_arguments_to_the_upgrade():
    script = extend_script(VENDOR)
    assert script is not None
    lines = script.split("\n")
    assert lines[3] == STEP
    assert lines[5].endswith("--values /tmp/values.yaml" + UPGRADE_ARGS)
    assert len(lines) == len(VENDOR.split("\n")) + 1


def test_a_script_with_the_step_is_left_as_it_is():
    script = extend_script(VENDOR)
    assert script is not None and extend_script(script) == script


def test_a_script_of_another_shape_gets_no_step():
    assert extend_script(VENDOR.replace("--values /tmp/values.yaml", "--reuse-values")) is None
    upgrade_first = "helm upgrade x y --values /tmp/values.yaml\n" \
                    "helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\\n"
    assert extend_script(upgrade_first) is None
    # two places the step could go, or two upgrades it could give its arguments to
    get_values = "helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\\n"
    assert extend_script(VENDOR.replace(get_values, get_values * 2)) is None
    assert extend_script(VENDOR + "helm upgrade x y --values /tmp/values.yaml\n") is None


def test_the_job_reads_a_proxy_secret_optionally():
    assert optional_refs(PROXY_REF)["valueFrom"]["secretKeyRef"] == {
        "name": "oc-ocean-proxy", "key": "proxy-url", "optional": True}
    plain = {"name": "NO_PROXY", "value": ".svc"}
    assert optional_refs(plain) == plain


def test_the_jobs_ca_volume_reads_the_kept_secret_optionally():
    chart_ca = {"name": "ocean-proxy-ca", "secret": {"secretName": "oc-ca-bundle"}}
    assert kept_secret_volume(chart_ca, "oc-ocean-proxy-ca") == {
        "name": "ocean-proxy-ca",
        "secret": {"secretName": "oc-ocean-proxy-ca", "optional": True}}


def test_the_overlay_volume_is_optional_and_only_the_wrapper_executable():
    overlay = volume("oc-ocean-proxy-values")
    assert overlay["name"] == VOLUME and overlay["secret"]["optional"] is True
    modes = {item["path"]: item.get("mode") for item in overlay["secret"]["items"]}
    wrapper = f"plugins/{job_renderer.PLUGIN}/{job_renderer.PLUGIN}"
    assert modes.pop(wrapper) == 0o555
    assert set(modes.values()) == {None}  # the volume's default, 0644
    assert {"prepare.sh", "values/Chart.yaml", "job/templates/edit.yaml"} <= set(modes)


def test_the_edit_carries_the_entries_and_the_lines_of_the_step():
    edit = job_edit([PROXY_REF], [], [])
    assert edit["env"] == [PROXY_REF]
    assert edit["step"] == STEP and edit["upgradeArgs"] == UPGRADE_ARGS


def test_strict_is_the_first_line_of_the_job_charts_values():
    assert job_renderer.job_values({}, strict=True).startswith("strict: true\n")
    assert job_renderer.job_values({}, strict=False).startswith("strict: false\n")


def merged_by_the_jobs_helm(helm3, tmp_path, ours: dict, theirs: dict) -> dict:
    """What the Job's helm renders from the values chart over what 'helm get values' saved."""
    data = overlay_secret_data(ours, job_edit([], [], []))
    for key, path in VALUES_ITEMS:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(base64.b64decode(data[key]))
    saved = tmp_path / "values.yaml"
    saved.write_text(json.dumps(theirs))
    run = run_command([helm3, "template", "ocean-proxy-overlay", tmp_path / "values",
                       "--values", saved], env=clean_env())
    assert run.returncode == 0, run.stderr
    return YAML(typ="safe", pure=True).load(run.stdout.decode())


def test_the_jobs_helm_keeps_the_releases_own_entries_first_and_ours_replace_theirs(
        helm3, tmp_path):
    """The release's list entries are kept before ours, an entry of one of our names (or the
    HTTPS_PROXY ours replaces) is dropped, and our annotations win over theirs of the same
    key."""
    ours = {"spotinst": {"proxyUrl": ""},
            "extraEnv": [{"name": "https_proxy", "value": "http://proxy.corp:3128"}],
            "podAnnotations": {"checksum/proxy": "ours"}}
    merged = merged_by_the_jobs_helm(helm3, tmp_path, ours, {
        "extraEnv": [{"name": "CORP_TRACE", "value": "on"},
                     {"name": "https_proxy", "value": "http://old.corp:8080"},
                     {"name": "HTTPS_PROXY", "value": "http://old.corp:8080"}],
        "podAnnotations": {"corp/team": "platform", "checksum/proxy": "theirs"}})

    assert merged["extraEnv"] == [{"name": "CORP_TRACE", "value": "on"}, *ours["extraEnv"]]
    assert merged["podAnnotations"] == {"corp/team": "platform", "checksum/proxy": "ours"}


def test_the_jobs_helm_keeps_the_releases_annotations_where_ours_have_none(helm3, tmp_path):
    ours = {"extraEnv": [{"name": "https_proxy", "value": "http://proxy.corp:3128"}]}
    merged = merged_by_the_jobs_helm(helm3, tmp_path, ours,
                                     {"podAnnotations": {"corp/team": "platform"}})
    assert merged["podAnnotations"] == {"corp/team": "platform"}
