"""overlay_job: the auto-update Job's step, and what its post-renderer gives the next Job."""

from __future__ import annotations

from post_renderer import job_renderer
from post_renderer.render.overlay_job import (
    STEP,
    UPGRADE_ARGS,
    VOLUME,
    extend_script,
    job_edit,
    job_wants,
)
from post_renderer.render.pod_patch import PodEntry, PodWants

VENDOR = """set -o pipefail
helm repo add spot https://charts.spot.io && \\
helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\
helm upgrade $(RELEASE_NAME) spot/ocean-kubernetes-controller --version $(CHART_VERSION) \\
  --debug --atomic --timeout=$(WAIT_TIMEOUT) --values /tmp/values.yaml
"""
PROXY_REF = {"name": "HTTPS_PROXY", "valueFrom": {"secretKeyRef": {"name": "oc-ocean-proxy",
                                                                   "key": "proxy-url"}}}
WANTS = PodWants(
    env=(PodEntry("HTTPS_PROXY", PROXY_REF, "the proxy"),
         PodEntry("NO_PROXY", {"name": "NO_PROXY", "value": ".svc"}, "direct")),
    mounts=(PodEntry("/etc/ocean-proxy/ca", {"name": "ocean-proxy-ca",
                                             "mountPath": "/etc/ocean-proxy/ca"}, "Go"),
            PodEntry("/etc/ssl/certs/5f241b44.0", {"name": "ocean-proxy-ca", "subPath": "x",
                                                   "mountPath": "/etc/ssl/certs/5f241b44.0"},
                     "OpenSSL")),
    volumes=(PodEntry("ocean-proxy-ca", {"name": "ocean-proxy-ca",
                                         "secret": {"secretName": "oc-ca-bundle"}}, "CAs"),),
)


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


def test_the_job_reads_only_kept_secrets_and_each_optionally():
    wants = job_wants(WANTS, "oc-ocean-proxy-values", "oc-ocean-proxy-ca")

    env = {e.key: e.manifest for e in wants.env}
    assert env["HTTPS_PROXY"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert env["NO_PROXY"] == {"name": "NO_PROXY", "value": ".svc"}
    volumes = {v.key: v.manifest["secret"] for v in wants.volumes}
    assert volumes["ocean-proxy-ca"] == {"secretName": "oc-ocean-proxy-ca", "optional": True}
    assert volumes[VOLUME]["secretName"] == "oc-ocean-proxy-values"
    assert volumes[VOLUME]["optional"] is True
    # its helm is Go: the CA directory, no OpenSSL hash files
    assert [m.key for m in wants.mounts] == ["/etc/ocean-proxy/ca", job_renderer.MOUNT]


def test_the_wrapper_is_mounted_executable_and_the_rest_readable():
    wants = job_wants(WANTS, "oc-ocean-proxy-values", "oc-ocean-proxy-ca")
    (overlay,) = [v.manifest for v in wants.volumes if v.key == VOLUME]
    modes = {item["path"]: item.get("mode") for item in overlay["secret"]["items"]}
    wrapper = f"plugins/{job_renderer.PLUGIN}/{job_renderer.PLUGIN}"
    assert modes.pop(wrapper) == 0o555
    assert set(modes.values()) == {None}  # the volume's default, 0644


def test_the_edit_is_what_the_first_job_gets():
    wants = job_wants(WANTS, "oc-ocean-proxy-values", "oc-ocean-proxy-ca")
    edit = job_edit(wants)
    assert edit["env"] == [e.manifest for e in wants.env]
    assert edit["volumes"] == [v.manifest for v in wants.volumes]
    assert edit["step"] == STEP and edit["upgradeArgs"] == UPGRADE_ARGS


def test_strict_is_the_first_line_of_the_job_charts_values():
    assert job_renderer.job_values({}, strict=True).startswith("strict: true\n")
    assert job_renderer.job_values({}, strict=False).startswith("strict: false\n")
