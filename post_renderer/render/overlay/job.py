"""Overlay in the auto-update Job: its ``helm upgrade`` also passes ocean-proxy's values.

The vendor's script saves the release's values and passes them back::

    helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\
    helm upgrade ... --values /tmp/values.yaml

One step is added between the two, and one ``--values`` to the upgrade::

    helm template ocean-proxy-overlay /etc/ocean-proxy/overlay --values /tmp/values.yaml \\
      > /tmp/ocean-proxy-values.yaml && \\
    helm upgrade ... --values /tmp/values.yaml --values /tmp/ocean-proxy-values.yaml

The step runs the Job's own helm (the image has no Python) on a tiny chart kept in Secret
``<fullname>-ocean-proxy-values``: it prints the overlay with the release's own list entries
(``extraEnv``...) kept, because a later values file replaces a list instead of merging it.
The upgraded release stores the result as its values, so the auto-updates after it pass the
overlay on by themselves. A script that does not have the vendor's two lines is left alone.
"""

from __future__ import annotations

import json

from post_renderer.render.overlay.values import LIST_KEYS, LOG_SHIPPING_LIST_KEYS, b64
from post_renderer.render.release.chart_settings import KeyRef
from post_renderer.render.release.release import Release
from post_renderer.render.stream.kube import POD_SPEC_PATHS, YamlNode, containers, get_path

VALUES_STEP = "helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\\n"
UPGRADE_VALUES = "--values /tmp/values.yaml"
OVERLAY_OUTPUT = "/tmp/ocean-proxy-values.yaml"
OVERLAY_DIR = "/etc/ocean-proxy/overlay"
VOLUME = "ocean-proxy-overlay"
TEMPLATE_STEP = (f"helm template ocean-proxy-overlay {OVERLAY_DIR} {UPGRADE_VALUES} "
                 f"> {OVERLAY_OUTPUT} && \\\n")

CHART_YAML = ("apiVersion: v2\nname: ocean-proxy-overlay\nversion: 1.0.0\n"
              "description: ocean-proxy's chart values, merged with the release's own\n")
MERGE_TEMPLATE = """\
{{- define "ocean-proxy.merge" -}}
{{- $ours := index . 1 -}}{{- $field := index . 2 -}}{{- $names := list -}}
{{- range $ours }}{{- $names = append $names (index . $field) -}}{{- end -}}
{{- $out := list -}}
{{- range (index . 0 | default list) }}
{{- if not (has (index . $field) $names) }}{{- $out = append $out . -}}{{- end }}
{{- end -}}
{{- toJson (concat $out $ours) -}}
{{- end -}}
{{- $overlay := deepCopy .Values.oceanProxy -}}
{{- $theirs := .Values -}}
{{- range $key, $field := dict %(lists)s -}}
{{- if hasKey $overlay $key -}}
{{- $ours := index $overlay $key -}}
{{- $merged := include "ocean-proxy.merge" (list (index $theirs $key) $ours $field) -}}
{{- $_ := set $overlay $key ($merged | fromJsonArray) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $overlay "logShipping" -}}
{{- $shipping := index $theirs "logShipping" | default dict -}}
{{- range $key, $field := dict %(shipping)s -}}
{{- if hasKey $overlay.logShipping $key -}}
{{- $ours := index $overlay.logShipping $key -}}
{{- $merged := include "ocean-proxy.merge" (list (index $shipping $key) $ours $field) -}}
{{- $_ := set $overlay.logShipping $key ($merged | fromJsonArray) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with index $theirs "podAnnotations" -}}
{{- $_ := set $overlay "podAnnotations" (merge (deepCopy $overlay.podAnnotations) .) -}}
{{- end }}
{{ toYaml $overlay }}
"""


def _pairs(keys: dict[str, str]) -> str:
    return " ".join(f'"{key}" "{field}"' for key, field in keys.items())


def job_script(release: Release, ref: KeyRef) -> str | None:
    """The shell script of the embedded Job's container (the last of its args)."""
    configmap = release.get("ConfigMap", ref.name)
    job = release.embedded(configmap, ref.key) if configmap else None
    if job is None:
        return None
    spec = get_path(job.data, POD_SPEC_PATHS.get(get_path(job.data, ("kind",)), ("spec",)))
    for _, _, container in containers(spec):
        args = container.get("args")
        if isinstance(args, list) and args and isinstance(args[-1], str):
            return args[-1]
    return None


def extend_script(script: str) -> str | None:
    """The script with the overlay step, or None when it is not the vendor's shape."""
    if OVERLAY_OUTPUT in script:
        return script
    upgrade = script.find("helm upgrade ")
    if script.count(VALUES_STEP) != 1 or upgrade < script.find(VALUES_STEP) or \
            script.count(UPGRADE_VALUES, upgrade) != 1:
        return None
    at = script.index(UPGRADE_VALUES, upgrade) + len(UPGRADE_VALUES)
    script = f"{script[:at]} --values {OVERLAY_OUTPUT}{script[at:]}"
    return script.replace(VALUES_STEP, VALUES_STEP + TEMPLATE_STEP)


def overlay_secret_data(values: dict[str, YamlNode]) -> dict[str, str]:
    template = MERGE_TEMPLATE % {"lists": _pairs(LIST_KEYS),
                                 "shipping": _pairs(LOG_SHIPPING_LIST_KEYS)}
    if "podAnnotations" not in values:
        template = template.replace('(deepCopy $overlay.podAnnotations)', "dict")
    return {"Chart.yaml": b64(CHART_YAML),
            "values.yaml": b64(json.dumps({"oceanProxy": values}, indent=1) + "\n"),
            "overlay.yaml": b64(template)}


def volume(secret: str) -> dict[str, YamlNode]:
    items = [{"key": "Chart.yaml", "path": "Chart.yaml"},
             {"key": "values.yaml", "path": "values.yaml"},
             {"key": "overlay.yaml", "path": "templates/overlay.yaml"}]
    return {"name": VOLUME, "secret": {"secretName": secret, "items": items}}


def mount() -> dict[str, YamlNode]:
    return {"name": VOLUME, "mountPath": OVERLAY_DIR, "readOnly": True}
