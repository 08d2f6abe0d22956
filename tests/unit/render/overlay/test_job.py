"""overlay.job: the auto-update Job's step, and what its post-renderer gives the next Job."""

from __future__ import annotations

from post_renderer import job_renderer
from post_renderer.render.overlay.job import (
    STEP,
    UPGRADE_ARGS,
    VOLUME,
    extend_script,
    job_edit,
    kept_secret_volume,
    optional_refs,
    volume,
)

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
