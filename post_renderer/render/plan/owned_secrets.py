"""Secrets the post-renderer writes: created when missing, brought up to date key by key.

A new Secret takes the namespace and labels of the workload it serves, so it belongs to
the release like the chart's own objects. A Secret applied outside the release (``ocean-proxy
values --secrets``) also carries helm's ownership metadata, so that a later upgrade whose
manifest has it (the post-renderer's) adopts it instead of failing with "exists and cannot be
imported into the current release". A kept Secret also tells Argo CD to leave it in place
as helm does: Argo CD reads ``helm.sh/resource-policy: keep`` only as "keep when the
application is deleted", and pruned a kept Secret as soon as it was no longer rendered (or,
with label tracking, one applied beside the application), while the pods of the values
route, or a metric exporter of another release, still read it.
"""

from __future__ import annotations

from post_renderer.render.plan.pod_patch import Change
from post_renderer.render.plan.protocol import Proposal
from post_renderer.render.release.release import Release, Resource
from post_renderer.render.stream.kube import YamlNode, get_path, pointer
from post_renderer.render.stream.writer import DocumentStyle

KEEP = {"helm.sh/resource-policy": "keep"}
MANAGED_BY = {"app.kubernetes.io/managed-by": "Helm"}
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
# keep, as Argo CD reads it: not pruned, and no OutOfSync for being live and not rendered
ARGO_CD_KEEP = {"argocd.argoproj.io/sync-options": "Prune=false",
                "argocd.argoproj.io/compare-options": "IgnoreExtraneous"}


def secret_changes(
    release: Release, name: str, data: dict[str, str], stale: dict[str, str], reason: str,
    keep: bool = False,
) -> list[Proposal]:
    """Create the Secret ``name`` with ``data``, or bring an existing one up to date.

    ``stale`` maps keys to remove (when present) to the reason for removing them. A new
    Secret made with ``keep`` survives an upgrade whose manifest no longer has it (the
    vendor's auto-update renders the chart alone, and the pods still read it).
    """
    existing = release.get("Secret", name)
    if existing is None:
        owner = release.workloads[0] if release.workloads else None
        # written like the workload it serves: CRLF line ends and list indentation kept
        resource = Resource("Secret", name, new_secret(name, data, owner, keep),
                            style=owner.style if owner else DocumentStyle())
        return [Proposal(resource, Change({"op": "add", "path": "", "value": resource.document},
                                  reason))]
    return _brought_up_to_date(existing, data, stale, reason)


def _brought_up_to_date(existing: Resource, data: dict[str, str], stale: dict[str, str],
                        reason: str) -> list[Proposal]:
    """The changes that give an existing Secret exactly ``data`` where it counts: keys added
    or replaced, ``stale`` ones removed, and stringData that would override them removed."""
    changes: list[Proposal] = []
    current = get_path(existing.document, ("data",))
    if not isinstance(current, dict):  # stringData alone, or nothing: its copy goes below
        changes.append(Proposal(existing, Change({"op": "add", "path": "/data", "value": data},
                                                 reason)))
        current = data
    for key, value in data.items():
        if key not in current:
            changes.append(Proposal(existing, Change(
                {"op": "add", "path": pointer("data", key), "value": value}, reason)))
        elif str(current[key]) != value:
            changes.append(Proposal(existing, Change(
                {"op": "replace", "path": pointer("data", key), "value": value}, reason)))
    for key, why in stale.items():
        if key in current and key not in data:
            changes.append(Proposal(existing, Change(
                {"op": "remove", "path": pointer("data", key)}, why)))
    plain = get_path(existing.document, ("stringData",))
    if isinstance(plain, dict):
        for key in data:
            if key in plain:
                changes.append(Proposal(existing, Change(
                    {"op": "remove", "path": pointer("stringData", key)},
                    "stringData would override the validated data")))
    return changes


def new_secret(name: str, data: dict[str, str], owner: Resource | None,
               keep: bool = False) -> dict[str, YamlNode]:
    metadata: dict[str, YamlNode] = {"name": name}
    if owner is not None:
        if owner.namespace:
            metadata["namespace"] = owner.namespace
        labels = get_path(owner.document, ("metadata", "labels"))
        if isinstance(labels, dict):
            metadata["labels"] = {str(k): str(v) for k, v in labels.items()}
    if keep:
        metadata["annotations"] = {**KEEP, **ARGO_CD_KEEP}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
            "data": data}


def owned_by_release(secret: dict[str, YamlNode], release: str, namespace: str
                     ) -> dict[str, YamlNode]:
    """``secret`` in ``namespace``, with the label and annotations helm checks before it
    adopts an existing object into ``release``."""
    metadata = secret["metadata"]
    assert isinstance(metadata, dict)  # made by new_secret
    labels, annotations = metadata.get("labels"), metadata.get("annotations")
    owned = {"name": metadata["name"], "namespace": namespace,
             "labels": {**(labels if isinstance(labels, dict) else {}), **MANAGED_BY},
             "annotations": {**(annotations if isinstance(annotations, dict) else {}),
                             RELEASE_NAME: release, RELEASE_NAMESPACE: namespace}}
    return {**secret, "metadata": owned}
