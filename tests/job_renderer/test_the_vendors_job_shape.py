"""The auto-update Job as the vendor's recent charts write it, not as the stand-in does: its
lists flush with their keys, ``generateName`` and container ``auto-updater``, the pod's and
the container's ``securityContext`` (a non-root user, a read-only root), ``resources`` and
``priorityClassName``, ``affinity`` and ``tolerations`` after the container, a ``trap`` line
in the script. ocean-proxy's pipeline and the Job's post-renderer each recognise that Job and
give it, and the next one, the same proxy, CA and step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..auto_update_emulation import copy_chart, load_docs
from ..conftest import FIXTURE_CHART, post_renderer, tool
from .job_sandbox import NEXT, embedded_job, handed_stream, helm_template, job_for, the_edit

CONTAINER = "auto-updater"
# The vendor's Job, as facts (spotinst/charts ocean-kubernetes-controller,
# templates/auto-update/_job.yaml): the same script steps as the stand-in's, the shape above.
VENDOR_SHAPED_JOB = """\
{{- define "ocean-kubernetes-controller.autoUpdateJob" -}}
apiVersion: batch/v1
kind: Job
metadata:
  generateName: {{ .Release.Name }}-auto-updater
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "ocean-kubernetes-controller.labels" . | nindent 4 }}
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 600
  template:
    metadata:
      labels:
        app.kubernetes.io/name: auto-updater
        app.kubernetes.io/instance: {{ .Release.Name }}
    spec:
      serviceAccountName: {{ include "ocean-kubernetes-controller.serviceAccountName" . }}
      restartPolicy: Never
      securityContext:
        {{- toYaml .Values.jobPodSecurityContext | nindent 8 }}
      priorityClassName: "system-cluster-critical"
      containers:
      - name: auto-updater
        image: {{ .Values.autoUpdate.image.repository }}:{{ .Values.autoUpdate.image.tag }}
        imagePullPolicy: {{ .Values.autoUpdate.image.pullPolicy }}
        command:
        - /bin/bash
        args:
        - -c
        - |
          set -o pipefail
          trap 'echo "SIGTERM caught"' INT TERM

          if [ -z "$CHART_VERSION" ]; then
            echo "CHART_VERSION is not set"
            exit 1
          fi

          export HELM_CACHE_HOME=/tmp/.helm
          export HELM_CONFIG_HOME=/tmp/.helm
          export HELM_DATA_HOME=/tmp/.helm

          helm repo add spot https://charts.spot.io && \\
          helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\
          helm upgrade $(RELEASE_NAME) UPGRADE_REST \\
            --debug --atomic --timeout=$(WAIT_TIMEOUT) --values /tmp/values.yaml
        securityContext:
          {{- toYaml .Values.jobSecurityContext | nindent 10 }}
        env:
        - name: RELEASE_NAME
          value: {{ .Release.Name }}
        resources:
          {{- toYaml .Values.jobResources | nindent 10 }}
        volumeMounts:
        - name: helm-data
          mountPath: /tmp
      affinity:
        {{- toYaml .Values.jobAffinity | nindent 8 }}
      tolerations:
        {{- toYaml .Values.jobTolerations | nindent 6 }}
      volumes:
      - name: helm-data
        emptyDir: {}
{{- end }}
""".replace("UPGRADE_REST", "spot/ocean-kubernetes-controller --version $(CHART_VERSION)")
VALUES = """
jobPodSecurityContext: {runAsNonRoot: true, runAsUser: 1000690000, runAsGroup: 1000690000,
                        fsGroup: 1000690000}
jobSecurityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
                     runAsNonRoot: true, capabilities: {drop: [ALL]}}
jobResources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: 100m, memory: 256Mi}}
jobAffinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/os, operator: NotIn, values: [windows]}]
jobTolerations:
- {key: node.kubernetes.io/not-ready, effect: NoExecute, operator: Exists,
   tolerationSeconds: 150}
- {key: CriticalAddonsOnly, operator: Exists}
"""


@pytest.fixture(scope="module")
def vendor_shaped_chart(tmp_path_factory) -> Path:
    chart = tmp_path_factory.mktemp("vendor-job") / FIXTURE_CHART.name
    shutil.copytree(FIXTURE_CHART, chart)
    (chart / "templates" / "_auto-update-job.tpl").write_text(VENDOR_SHAPED_JOB)
    with (chart / "values.yaml").open("a") as values:
        values.write(VALUES)
    return chart


def test_the_stand_in_has_the_vendors_job_shape(vendor_shaped_chart, tmp_path):
    """The template above renders what it says: flush lists, and the fields in that order."""
    run = helm_template(tool("helm3"), vendor_shaped_chart, tmp_path)
    assert run.returncode == 0, run.stderr
    text = embedded_job(load_docs(run.text))
    spec = text["spec"]["template"]["spec"]
    assert "generateName" in text["metadata"] and "name" not in text["metadata"]
    assert list(spec) == ["serviceAccountName", "restartPolicy", "securityContext",
                          "priorityClassName", "containers", "affinity", "tolerations",
                          "volumes"]
    (container,) = spec["containers"]
    assert container["name"] == CONTAINER
    assert list(container)[-4:] == ["securityContext", "env", "resources", "volumeMounts"]
    assert "\n          containers:\n          - name: auto-updater\n" in run.text


@pytest.mark.parametrize("helm_name", ["helm3", "helm4"])
def test_the_pipeline_gives_the_vendors_job_the_proxy_ca_and_step(vendor_shaped_chart,
                                                                    tmp_path, helm_name):
    rendered = helm_template(tool(helm_name), vendor_shaped_chart, tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    run = post_renderer(stdin=rendered.stdout)

    assert run.returncode == 0, run.stderr
    assert "auto-update is on: its next Job reaches charts.spot.io through the proxy" \
        in run.stderr
    old, new = embedded_job(load_docs(rendered.text)), embedded_job(load_docs(run.text))
    (before,), (after,) = (job["spec"]["template"]["spec"]["containers"] for job in (old, new))
    assert "OCEAN_PROXY_ARGS" in after["args"][-1]
    assert {"HTTPS_PROXY", "NO_PROXY", "SSL_CERT_DIR"} <= {e["name"] for e in after["env"]}
    assert after["env"][:len(before["env"])] == before["env"]
    for key in ("securityContext", "resources"):
        assert after[key] == before[key]
    for key in ("securityContext", "affinity", "tolerations", "priorityClassName"):
        assert new["spec"]["template"]["spec"][key] == old["spec"]["template"]["spec"][key]


@pytest.mark.parametrize("helm_name", ["helm3", "helm4", "helm3.4.2"])
def test_the_jobs_post_renderer_gives_the_next_vendor_job_what_the_first_got(
        vendor_shaped_chart, tmp_path, helm_name):
    """The next chart version's Job, of the same shape, gets the edit ocean-proxy made in the
    first: the same Job as ocean-proxy writes for that chart."""
    helm = tool(helm_name)
    job = job_for(helm, tmp_path / "first", chart=vendor_shaped_chart, container=CONTAINER)
    following = copy_chart(vendor_shaped_chart, tmp_path / "charts" / NEXT, NEXT)

    run = job.run(handed_stream(helm, following, tmp_path / "next"))

    assert run.returncode == 0, run.stderr
    assert f"(ocean-kubernetes-controller-{NEXT}) now has ocean-proxy's proxy" in job.said()
    edited = embedded_job(load_docs(run.text))
    (container,) = edited["spec"]["template"]["spec"]["containers"]
    edit = the_edit(job)
    assert container["env"][-len(edit["env"]):] == edit["env"]
    assert edited["spec"]["template"]["spec"]["volumes"][-len(edit["volumes"]):] == \
        edit["volumes"]
    (tmp_path / "own").mkdir()
    by_ocean_proxy = post_renderer(stdin=helm_template(helm, following, tmp_path / "own").stdout)
    assert edited == embedded_job(load_docs(by_ocean_proxy.text))
