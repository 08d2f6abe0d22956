"""Overlay in the auto-update Job: its ``helm upgrade`` passes ocean-proxy's values, and
gives the Job of the chart version it installs the same step.

The vendor's script saves the release's values and passes them back::

    helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\
    helm upgrade ... --values /tmp/values.yaml

One line is added between the two (``$D`` is ``/etc/ocean-proxy/overlay``), and the
upgrade passes what it sets::

    if [ -r $D/prepare.sh ]; then . $D/prepare.sh; else echo "ocean-proxy: ..." >&2; fi && \\
    helm upgrade ... --values /tmp/values.yaml "${OCEAN_PROXY_ARGS[@]}"

``prepare.sh`` (``post_renderer/job_renderer``) runs the Job's own helm (the image has no
Python) on two small charts kept in Secret ``<fullname>-ocean-proxy-values`` and mounted at
``/etc/ocean-proxy/overlay``: ``values/`` prints the overlay with the release's own list
entries (``extraEnv``...) kept, because a later values file replaces a list instead of
merging it; ``job/`` is the post-renderer ``--post-renderer`` then runs, which makes the
same edit (``job_edit``) in the auto-update Job of the release being installed. So every
Job carries the step that gives the next one its proxy, CA and step. Without the Secret
(ocean-proxy removed), the volume is optional and the line only says so in the Job's log.
"""

from __future__ import annotations

import json

from post_renderer import job_renderer
from post_renderer.job_renderer import MOUNT
from post_renderer.render.overlay.values import (
    LIST_KEYS,
    LOG_SHIPPING_LIST_KEYS,
    b64,
    replaced_user_entries,
)
from post_renderer.render.release.key_refs import KeyRef
from post_renderer.render.release.release import Release
from post_renderer.render.stream.kube import POD_SPEC_PATHS, YamlNode, containers, get_path

VALUES_STEP = "helm get values $(RELEASE_NAME) > /tmp/values.yaml && \\"
UPGRADE_VALUES = "--values /tmp/values.yaml"
VOLUME = "ocean-proxy-overlay"
# Without the kept Secret (ocean-proxy removed, or that Secret deleted alone) the upgrade
# gets none of ocean-proxy's values: the log says so, where the controller's proxy and
# CA would otherwise go without a word
MISSING = (f"ocean-proxy: no {MOUNT}/prepare.sh (its Secret *-ocean-proxy-values is gone): "
           "this upgrade gets no proxy or CA of ocean-proxy's")
STEP = (f"if [ -r {MOUNT}/prepare.sh ]; then . {MOUNT}/prepare.sh; "
        f"else echo \"{MISSING}\" >&2; fi && \\")
UPGRADE_ARGS = ' "${OCEAN_PROXY_ARGS[@]}"'
PATCHED = "OCEAN_PROXY_ARGS"  # in a script that already has the step
VALUES_ITEMS = (("Chart.yaml", "values/Chart.yaml"), ("values.yaml", "values/values.yaml"),
                ("overlay.yaml", "values/templates/overlay.yaml"))

CHART_YAML = ("apiVersion: v2\nname: ocean-proxy-overlay\nversion: 1.0.0\n"
              "description: ocean-proxy's chart values, merged with the release's own\n")
# The Job's helm may be 3.1: a list comes back through fromJson inside an object, as
# fromJsonArray came with helm 3.2 and an unknown function fails the whole chart
MERGE_TEMPLATE = """\
{{- define "ocean-proxy.merge" -}}
{{- $ours := index . 1 -}}{{- $field := index . 2 -}}{{- $names := index . 3 -}}
{{- range $ours }}{{- $names = append $names (index . $field) -}}{{- end -}}
{{- $out := list -}}
{{- range (index . 0 | default list) }}
{{- if not (has (index . $field) $names) }}{{- $out = append $out . -}}{{- end }}
{{- end -}}
{{- toJson (dict "list" (concat $out $ours)) -}}
{{- end -}}
{{- $overlay := deepCopy .Values.oceanProxy -}}
{{- $theirs := .Values -}}
{{- $replaced := dict %(replaced)s -}}
{{- range $key, $field := dict %(lists)s -}}
{{- if hasKey $overlay $key -}}
{{- $ours := index $overlay $key -}}
{{- $also := index $replaced $key | default list -}}
{{- $merged := include "ocean-proxy.merge" (list (index $theirs $key) $ours $field $also) -}}
{{- $_ := set $overlay $key (get ($merged | fromJson) "list") -}}
{{- end -}}
{{- end -}}
{{- if hasKey $overlay "logShipping" -}}
{{- $shipping := index $theirs "logShipping" | default dict -}}
{{- range $key, $field := dict %(shipping)s -}}
{{- if hasKey $overlay.logShipping $key -}}
{{- $ours := index $overlay.logShipping $key -}}
{{- $merged := include "ocean-proxy.merge" (list (index $shipping $key) $ours $field list) -}}
{{- $_ := set $overlay.logShipping $key (get ($merged | fromJson) "list") -}}
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
    """The script with the step, or None when it is not the vendor's shape.

    Line by line, as ``job/templates/edit.yaml`` does it in the Job: the step after the one
    ``helm get values`` line, the arguments at the end of the one ``--values`` line after it.
    """
    if PATCHED in script:
        return script
    lines = script.split("\n")
    steps = [i for i, line in enumerate(lines) if line.strip(" ") == VALUES_STEP]
    upgrades = [i for i, line in enumerate(lines) if line.endswith(f" {UPGRADE_VALUES}")]
    if len(steps) != 1 or len(upgrades) != 1 or upgrades[0] < steps[0]:
        return None
    out = []
    for index, line in enumerate(lines):
        out.append(line + UPGRADE_ARGS if index == upgrades[0] else line)
        if index == steps[0]:
            out.append(" " * (len(line) - len(line.lstrip(" "))) + STEP)
    return "\n".join(out)


def overlay_secret_data(values: dict[str, YamlNode], edit: dict[str, YamlNode],
                        strict: bool = False,
                        agents: tuple[dict[str, YamlNode], ...] = ()) -> dict[str, str]:
    """The Secret the Job mounts: the values chart, and the Job's post-renderer with
    ``edit`` (what it gives the next Job) and ``agents`` (what it gives the agents the chart
    renders beside the controller, ``overlay.agents``)."""
    replaced = " ".join(f'"{key}" (list {" ".join(json.dumps(name) for name in names)})'
                        for key, names in replaced_user_entries(values).items())
    template = MERGE_TEMPLATE % {"lists": _pairs(LIST_KEYS), "replaced": replaced,
                                 "shipping": _pairs(LOG_SHIPPING_LIST_KEYS)}
    if "podAnnotations" not in values:
        template = template.replace('(deepCopy $overlay.podAnnotations)', "dict")
    return {"Chart.yaml": b64(CHART_YAML),
            "values.yaml": b64(json.dumps({"oceanProxy": values}, indent=1) + "\n"),
            "overlay.yaml": b64(template),
            **job_renderer.secret_data(edit, strict, agents)}


def volume(secret: str) -> dict[str, YamlNode]:
    items: list[YamlNode] = [{"key": key, "path": path} for key, path in VALUES_ITEMS]
    items += job_renderer.volume_items()
    return {"name": VOLUME, "secret": {"secretName": secret, "items": items, "optional": True}}


def mount() -> dict[str, YamlNode]:
    return {"name": VOLUME, "mountPath": MOUNT, "readOnly": True}


def job_edit(env: list[YamlNode], mounts: list[YamlNode],
             volumes: list[YamlNode]) -> dict[str, YamlNode]:
    """What the Job's post-renderer appends to the next Job (what the first one got), and
    the script lines it looks for and adds."""
    return {"env": env, "volumeMounts": mounts, "volumes": volumes,
            "valuesStep": VALUES_STEP, "step": STEP, "upgradeValues": UPGRADE_VALUES,
            "upgradeArgs": UPGRADE_ARGS, "patched": PATCHED}


def kept_secret_volume(volume: dict[str, YamlNode], name: str) -> dict[str, YamlNode]:
    """A Secret volume that reads the kept Secret ``name`` instead, and starts without it."""
    source = volume.get("secret")
    if not isinstance(source, dict):
        return volume
    return {**volume, "secret": {**source, "secretName": name, "optional": True}}


def optional_refs(entry: dict[str, YamlNode]) -> dict[str, YamlNode]:
    """An env entry that, read from a Secret, is left out when the Secret is gone."""
    source = entry.get("valueFrom")
    if isinstance(source, dict) and isinstance(source.get("secretKeyRef"), dict):
        return {**entry, "valueFrom": {**source, "secretKeyRef": {
            **source["secretKeyRef"], "optional": True}}}
    return entry
