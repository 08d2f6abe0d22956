"""The plan: every change as an RFC 6902 operation with its reason, grouped per document.

The filters (proxy, trust, rollout, auto-update) each propose changes; the plan collects
them, can be shown (``--explain``, ``--plan``) and is then applied. Applying touches only
the documents the plan names; they alone are re-serialised.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from . import auto_update, proxy_env, rollout, trust_mounts
from .injection import Injection
from .manifest import dump_new_document, edit_document
from .pod_patch import Change, PodWants, pod_spec_changes, pointer
from .release import Release, Resource
from .workloads import POD_SPEC_PATHS, get_path

NEW_DOCUMENT_COMMENT = "# Added by ocean-proxy (post-renderer)\n"


class DocumentPlan(NamedTuple):
    resource: Resource
    changes: list[Change]
    nested: dict[str, list[Change]]  # changes inside a value, e.g. the embedded Job

    @property
    def new(self) -> bool:
        return self.resource.chunk is None


class Plan:
    """The documents to change, each with its changes, in the order they were planned."""

    def __init__(self) -> None:
        self.documents: list[DocumentPlan] = []

    @property
    def empty(self) -> bool:
        return not any(d.changes for d in self.documents)

    def add(self, resource: Resource, changes: Iterable[Change]) -> DocumentPlan:
        for document in self.documents:
            if document.resource is resource:
                document.changes.extend(changes)
                return document
        document = DocumentPlan(resource, list(changes), {})
        self.documents.append(document)
        return document

    def ordered(self) -> list[DocumentPlan]:
        """Existing documents in stream order, then new ones in the order planned."""
        existing = sorted((d for d in self.documents if not d.new and d.changes),
                          key=lambda d: d.resource.chunk.index)
        return existing + [d for d in self.documents if d.new and d.changes]


def pod_wants(injection: Injection) -> PodWants:
    proxy, trust = proxy_env.pod_wants(injection), trust_mounts.pod_wants(injection)
    return PodWants(env=proxy.env + trust.env, mounts=proxy.mounts + trust.mounts,
                    volumes=proxy.volumes + trust.volumes,
                    owned_volume=trust.owned_volume, fluent_bit_env=proxy.fluent_bit_env,
                    fluent_bit_skip=proxy.fluent_bit_skip)


def build_plan(release: Release, injection: Injection) -> Plan:
    plan = Plan()
    if injection.empty:
        return plan
    for resource, change in (*proxy_env.resource_changes(release, injection),
                             *trust_mounts.resource_changes(release, injection)):
        plan.add(resource, [change])
    for resource, change in overlay_secret_changes(release, injection):
        plan.add(resource, [change])
    wants = pod_wants(injection)
    for workload in release.workloads:
        spec_path = POD_SPEC_PATHS[workload.kind]
        pod_spec = get_path(workload.document, spec_path)
        plan.add(workload, pod_spec_changes(pod_spec, pointer(*spec_path), wants))
        plan.add(workload, rollout.annotation_changes(workload, injection))
    for configmap, change, inner in auto_update.job_changes(release, injection, wants):
        document = plan.add(configmap, [change])
        document.nested[change.op["path"]] = inner
    return plan


def overlay_secret_changes(release: Release, injection: Injection
                           ) -> list[tuple[Resource, Change]]:
    """The Secrets only the overlay reads (the CA files, the values for the Job's helm),
    kept by helm when the auto-update's manifest no longer has them."""
    from .overlay import ca_secret_name
    from .overlay_job import overlay_secret_data
    from .owned_secrets import secret_changes

    if injection.overlay is None or injection.overlay_secret is None:
        return []
    changes = []
    owner = release.workloads[0].name
    ca_name = ca_secret_name(owner)
    if ca_name in injection.overlay.secrets and ca_name != (
            injection.ca_secret and injection.ca_secret.name):
        changes += secret_changes(release, ca_name, injection.overlay.secrets[ca_name], {},
                                  "the CA files the chart values mount", keep=True)
    changes += secret_changes(release, injection.overlay_secret,
                              overlay_secret_data(injection.overlay.values), {},
                              "ocean-proxy's chart values, for the auto-update's helm",
                              keep=True)
    return changes


def apply_plan(plan: Plan) -> tuple[dict[int, bytes], list[bytes]]:
    """(replacement bytes per changed chunk index, the bytes of new documents)."""
    replaced: dict[int, bytes] = {}
    appended: list[bytes] = []
    for document in plan.ordered():
        resource = document.resource
        ops = [change.op for change in document.changes]
        if document.new:
            text = "---\n" + NEW_DOCUMENT_COMMENT + dump_new_document(ops[0]["value"],
                                                                    resource.style)
            if resource.style.crlf:
                text = text.replace("\n", "\r\n")
            appended.append(text.encode("utf-8"))
            continue
        body = edit_document(resource.parsed, ops, resource.style).encode("utf-8")
        replaced[resource.chunk.index] = resource.head + body + resource.tail
    return replaced, appended
