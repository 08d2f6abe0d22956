"""The plan: every change as an RFC 6902 operation with its reason, grouped per document.

The filters (``filter_order.FILTERS``: proxy, trust, overlay Secrets, pod spec, rollout,
auto-update, config checksum) each propose changes; the plan collects them, can be shown
(``--explain``, ``--plan``) and is then applied. Applying touches only the documents the
plan names; they alone are re-serialised.
"""

from collections.abc import Iterable
from typing import NamedTuple

from post_renderer.errors import WorkloadConflictError, as_flags
from post_renderer.render.plan.filter_order import FILTERS, pod_wants
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.overlay_input import with_overlay
from post_renderer.render.plan.pod_patch import Change
from post_renderer.render.plan.protocol import PlanContext, Proposal
from post_renderer.render.release.release import Release, Resource
from post_renderer.render.stream.manifest import dump_new_document, edit_document

NEW_DOCUMENT_COMMENT = "# Added by ocean-proxy (post-renderer)\n"
# What Helm 3 writes for each Secret of the chart in place of the Secret itself, before the
# post-renderer reads them, when a dry run is given --hide-secret (Helm 4 hides them after)
HIDDEN_SECRET = "# HIDDEN: The Secret output has been suppressed\n"


def helm_hid_secrets(data: bytes) -> bool:
    """Whether helm put ``HIDDEN_SECRET`` in place of the chart's Secrets: what the chart
    rendered in them (a CA Secret, say) is then unknown here, not absent."""
    return b"\n" + HIDDEN_SECRET.encode() in data


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

    def absorb(self, other: "Plan", owner: str, others: str) -> None:
        """Add another workload's plan. A change both propose is kept once; two different
        changes at one place of one document are a conflict between ``owner`` and ``others``."""
        for document in other.documents:
            mine = self._same_document(document.resource)
            if mine is None:
                self.documents.append(document)
                continue
            for change in document.changes:
                path = change.op.get("path")
                same_place = [c for c in mine.changes if c.op.get("path") == path]
                if any(c.op == change.op for c in same_place):
                    continue
                if same_place or mine.new:
                    raise WorkloadConflictError(
                        f"{others} and {owner} would write {document.resource.describe()} "
                        f"differently (at '{path or '/'}')",
                        hint="give the setting explicitly so they agree, "
                             f"{as_flags('--proxy-url=URL', '--ca-file=FILE')}, or "
                             "post-render their releases one by one")
                mine.changes.append(change)
            mine.nested.update(document.nested)

    def _same_document(self, resource: Resource) -> DocumentPlan | None:
        for document in self.documents:
            other = document.resource
            if resource.chunk is not None and other.chunk is not None:
                if resource.chunk.index == other.chunk.index:
                    return document
            elif resource.chunk is None and other.chunk is None and \
                    (resource.key, resource.namespace) == (other.key, other.namespace):
                return document
        return None

    def ordered(self) -> list[DocumentPlan]:
        """Existing documents in stream order, then new ones in the order planned."""
        existing = sorted((d for d in self.documents if not d.new and d.changes),
                          key=_stream_index)
        return existing + [d for d in self.documents if d.new and d.changes]


def _stream_index(document: DocumentPlan) -> int:
    assert document.resource.chunk is not None  # an existing document: it has its place
    return document.resource.chunk.index


def build_plan(release: Release, injection: Injection) -> Plan:
    """Every filter's proposals, grouped per document, in filter order."""
    plan = Plan()
    if injection.empty:
        return plan
    injection = with_overlay(injection, release)
    wants = pod_wants(injection)
    planned: list[Proposal] = []
    for pipeline_filter in FILTERS:
        context = PlanContext(release, injection, wants, tuple(planned))
        for proposal in pipeline_filter.propose(context):
            planned.append(proposal)
            document = plan.add(proposal.resource, [proposal.change])
            if proposal.nested:
                document.nested[proposal.change.op["path"]] = list(proposal.nested)
    return plan


def apply_plan(plan: Plan, *, secrets_hidden: bool = False
               ) -> tuple[dict[int, bytes], list[bytes]]:
    """(replacement bytes per changed chunk index, the bytes of new documents).
    ``secrets_hidden``: helm hid the chart's Secrets (``HIDDEN_SECRET``); the Secrets the plan
    adds are hidden as helm hides them, for what the user asked is that no Secret be shown."""
    replaced: dict[int, bytes] = {}
    appended: list[bytes] = []
    for document in plan.ordered():
        resource = document.resource
        ops = [change.op for change in document.changes]
        if document.new:
            hidden = secrets_hidden and resource.kind == "Secret" and \
                ops[0]["value"].get("apiVersion") == "v1"
            text = HIDDEN_SECRET if hidden else dump_new_document(ops[0]["value"],
                                                                  resource.style)
            head = "---\n" + NEW_DOCUMENT_COMMENT
            if resource.style.crlf:
                head = head.replace("\n", "\r\n")
            appended.append(head.encode() + text.encode("utf-8"))
            continue
        assert resource.parsed is not None and resource.chunk is not None  # read from the stream
        body = edit_document(resource.parsed, ops, resource.style).encode("utf-8")
        replaced[resource.chunk.index] = resource.head + body + resource.tail
    return replaced, appended
