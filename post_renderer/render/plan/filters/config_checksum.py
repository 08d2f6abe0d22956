"""Config-checksum filter: the chart's ``checksum/config`` stops being a password oracle,
and covers the auto-update Job ocean-proxy writes.

The chart annotates the pod with ``sha256sum`` of its ConfigMap's text. When the proxy URL in
the chart's values has credentials, that text held the password: whoever can read pods could
hash the template with a guessed password and compare. The proxy filter takes the credentials
out of the ConfigMap; this filter then recomputes the annotation over the ConfigMap as it is
emitted (its JSON, keys sorted), so it still changes with every change to the ConfigMap and
says nothing about the password (a new password restarts the pods through ``checksum/proxy``).

    checksum/config: sha256(json.dumps(emitted_configmap, sort_keys=True, separators=(",", ":")))

The same when ocean-proxy edits the ConfigMap's auto-update Job: the controller reads that Job
from its env (``AUTO_UPDATE_JOB_SPEC``), which the kubelet resolves only when the container
starts, so a Job changed under pods that do not restart (``--auto-update`` switched, the CA or
proxy given another way) would never reach the controller.

It runs last, and reads the ConfigMap's changes from what the filters before it proposed.
Annotations helm adds only for the post-renderer and removes afterwards (Helm 4's
``postrenderer.helm.sh/postrender-filename``) are left out: the same chart and values give the
same checksum on both majors, so moving a release between them restarts nothing.

A ConfigMap that never held credentials keeps the chart's annotation as it is.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from post_renderer.errors import ProxyUrlError
from post_renderer.proxy_settings.proxy_url import parse_proxy_url
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.pod_patch import Change, PodWants
from post_renderer.render.plan.protocol import NO_WANTS, PlanContext, Proposal
from post_renderer.render.release.release import Resource
from post_renderer.render.stream.kube import (
    PatchOp,
    YamlNode,
    get_path,
    pod_template_path,
    pointer,
)

CONFIG_ANNOTATION = "checksum/config"
# helm's own annotations on what it hands a post-renderer; never in the emitted release
HELM_TRANSIENT_PREFIX = "postrenderer.helm.sh/"
REASON = ("the chart's checksum/config hashed ConfigMap text that held the proxy password "
          "(a way to confirm guesses): now a SHA-256 over the ConfigMap as emitted, "
          "without credentials")
JOB_REASON = ("the controller reads the auto-update Job from the ConfigMap when it starts: "
              "checksum/config is now a SHA-256 over the ConfigMap as emitted, so a change "
              "to ocean-proxy's Job restarts it")


def pod_wants(injection: Injection) -> PodWants:
    return NO_WANTS


def propose(context: PlanContext) -> list[Proposal]:
    found = _rehashed(context)
    if found is None:
        return []
    configmap, reason = found
    ops = [p.change.op for p in context.planned if p.resource is configmap]
    checksum = emitted_checksum(configmap.document, ops)
    proposals = []
    for workload in context.release.workloads:
        path = (*pod_template_path(workload.kind), "metadata", "annotations")
        annotations = get_path(workload.document, path)
        if isinstance(annotations, dict) and CONFIG_ANNOTATION in annotations \
                and annotations[CONFIG_ANNOTATION] != checksum:
            proposals.append(Proposal(workload, Change(
                {"op": "replace", "path": pointer(*path, CONFIG_ANNOTATION), "value": checksum},
                reason)))
    return proposals


def _rehashed(context: PlanContext) -> tuple[Resource, str] | None:
    """The ConfigMap whose chart checksum no longer fits the pods, and why: the one whose
    proxy URL held credentials, else one whose auto-update Job this plan edits."""
    release, injection = context.release, context.injection
    ref = injection.proxy_configmap
    configmap = release.get("ConfigMap", ref.name) if ref is not None else None
    if configmap is not None and ref is not None and \
            _holds_credentials(get_path(configmap.document, ("data", ref.key))):
        return configmap, REASON
    for job in injection.auto_update_jobs:
        configmap = release.get("ConfigMap", job.name)
        if configmap is not None and any(p.resource is configmap for p in context.planned):
            return configmap, JOB_REASON
    return None


def emitted_checksum(document: YamlNode, ops: list[PatchOp]) -> str:
    """SHA-256 over the document with ``ops`` applied, as canonical JSON."""
    import jsonpatch

    plain = json.loads(json.dumps(document, default=str))
    emitted = _without_helm_transients(jsonpatch.apply_patch(plain, ops) if ops else plain)
    canonical = json.dumps(emitted, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _without_helm_transients(document: Any) -> Any:
    metadata = document.get("metadata") if isinstance(document, dict) else None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("annotations"), dict):
        return document
    annotations = metadata["annotations"]
    kept = {k: v for k, v in annotations.items() if not str(k).startswith(HELM_TRANSIENT_PREFIX)}
    if len(kept) == len(annotations):
        return document  # Helm 3, or nothing of helm's: the checksum stays what it was
    if kept:
        metadata["annotations"] = kept
    else:  # helm added the annotations only for its own: Helm 3 hands over none
        del metadata["annotations"]
    return document


def _holds_credentials(url: Any) -> bool:
    """As the proxy URL is read everywhere else: 'user:pw@host:port', without a scheme, too."""
    if not isinstance(url, str):
        return False
    try:
        return parse_proxy_url(url).has_credentials
    except ProxyUrlError:  # no URL ocean-proxy reads: an '@' in it may still end a password
        return "@" in url
