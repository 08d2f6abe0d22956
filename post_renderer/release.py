"""The parts of a release that matter: target workloads and the ConfigMaps/Secrets they use.

Only documents that might be targets are parsed. A scan of the bytes for a few lines (the
controller's container name or pod label; then ``name: X`` for each object a target refers
to) and for the top-level ``kind:`` picks them; every other document stays bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from .aliases import unshare_data, unshare_pod
from .errors import ManifestError, TargetError
from .manifest import DocumentStyle, ParsedDocument, detect_style, parse_document
from .stream import Chunk, Chunks, chunks_matching, document_end, line_pattern, top_level_kind
from .workloads import (
    CONTROLLER_CONTAINER,
    CONTROLLER_LABEL,
    POD_SPEC_PATHS,
    WorkloadRef,
    containers,
    get_path,
    is_ocean_controller,
)

# Larger than any object Kubernetes stores (etcd's default request limit is 1.5 MiB), and
# parsing it would make helm wait for minutes.
MAX_PARSED_BYTES = 4 * 1024 * 1024
OWNED_SUFFIXES = ("-ca-bundle", "-ocean-proxy", "-ocean-proxy-ca", "-ocean-proxy-values")  # ours


class Resource(NamedTuple):
    """A parsed document of the stream (or one we are about to add, with ``chunk`` None)."""

    kind: str
    name: str
    document: Any
    chunk: Chunk | None = None
    style: DocumentStyle = DocumentStyle()
    head: bytes = b""  # the '---' line, written back as it was
    tail: bytes = b""  # anything after a '...' end marker
    parsed: ParsedDocument | None = None  # text and node positions, for editing in place

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.name

    @property
    def namespace(self) -> str | None:
        value = get_path(self.document, ("metadata", "namespace"))
        return value if isinstance(value, str) else None

    def describe(self) -> str:
        where = f" (document {self.chunk.index + 1})" if self.chunk else " (new)"
        return f"{self.kind}/{self.name}{where}"


class Release:
    """Target workloads, and the ConfigMaps/Secrets next to them, parsed when first asked for."""

    def __init__(self, data: bytes, chunks: Chunks, workloads: list[Resource],
                 referenced: dict[tuple[str, str], list[Chunk]]) -> None:
        self.data = data
        self.chunks = chunks
        self.workloads = workloads
        self._candidates = referenced
        self._parsed: dict[tuple[str, str], Resource | None] = {}

    def get(self, kind: str, name: str) -> Resource | None:
        """The object of that kind and name; one in the workload's namespace wins."""
        key = (kind, name)
        if key not in self._parsed:
            found = [r for r in _parse(self.data, self._candidates.get(key, ()), (kind,))
                     if r.name == name]
            home = self.workloads[0].namespace if self.workloads else None
            beside = [r for r in found if _beside(r, home)]
            self._parsed[key] = (beside or found or [None])[0]
        return self._parsed[key]

    def referenced(self, kind: str) -> list[Resource]:
        """The objects of ``kind`` that the target workloads refer to and that are here."""
        names = sorted(name for k, name in self._candidates if k == kind)
        return [r for r in (self.get(kind, name) for name in names) if r is not None]


def find_release(data: bytes, chunks: Chunks, refs: Sequence[WorkloadRef]) -> Release:
    if refs:
        patterns = [line_pattern("name", r.name) for r in refs]
    else:
        patterns = [line_pattern("name", CONTROLLER_CONTAINER),
                    line_pattern(CONTROLLER_LABEL[0], CONTROLLER_LABEL[1])]
    candidates = chunks_matching(data, chunks, patterns)
    workloads = [r for r in _parse(data, candidates, POD_SPEC_PATHS) if _is_target(r, refs)]
    _check_refs_found(workloads, refs)
    keys = set(_referenced_keys(workloads))
    keys.update(("Secret", f"{w.name}{suffix}") for w in workloads for suffix in OWNED_SUFFIXES)
    by_name: dict[str, list[Chunk]] = {}
    for name in sorted({name for _, name in keys}):
        by_name[name] = chunks_matching(data, chunks, [line_pattern("name", name)])
    return Release(data, chunks, workloads, {key: by_name[key[1]] for key in keys})


def _beside(resource: Resource, namespace: str | None) -> bool:
    """In the workload's namespace, as far as the manifests say: a pod reads its own
    namespace's ConfigMaps and Secrets, never a namesake's in another one."""
    return namespace is None or resource.namespace in (None, namespace)


def _parse(data: bytes, chunks: Iterable[Chunk], kinds: Iterable[str]) -> list[Resource]:
    wanted = set(kinds)
    found = []
    for chunk in chunks:
        kind = top_level_kind(data, chunk)
        if kind not in wanted:
            continue
        resource = parse_chunk(data, chunk)
        if resource is not None and resource.kind == kind:
            if kind in POD_SPEC_PATHS:
                unshare_pod(resource.document, POD_SPEC_PATHS[kind])
            else:
                unshare_data(resource.document)
            found.append(resource)
    return found


def parse_chunk(data: bytes, chunk: Chunk) -> Resource | None:
    """The resource in a chunk, or None if it is not a named Kubernetes object."""
    end = document_end(data, chunk)
    where = f"document {chunk.index + 1}"
    if end - chunk.body > MAX_PARSED_BYTES:
        raise ManifestError(
            f"{where} is {(end - chunk.body) / 2**20:.0f} MiB, larger than any Kubernetes "
            "object can be",
            hint="Kubernetes stores at most about 1.5 MiB per object; check the chart's output",
        )
    try:
        text = data[chunk.body:end].decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(
            f"{where} is not valid UTF-8 (byte {chunk.body + error.start})",
            hint="Kubernetes manifests are UTF-8 text; check the chart's templates",
        ) from None
    parsed = parse_document(text, where, first_line=data.count(b"\n", 0, chunk.body) + 1)
    document = parsed.data
    name = get_path(document, ("metadata", "name"))
    kind = get_path(document, ("kind",))
    if not isinstance(name, str) or not isinstance(kind, str):
        return None
    return Resource(
        kind=kind, name=name, document=document, chunk=chunk, style=detect_style(text),
        head=data[chunk.start:chunk.body], tail=data[end:chunk.end], parsed=parsed,
    )


def _is_target(resource: Resource, refs: Sequence[WorkloadRef]) -> bool:
    if refs:
        return any(r.kind == resource.kind and r.name == resource.name for r in refs)
    return is_ocean_controller(resource.document, resource.kind)


def _check_refs_found(workloads: list[Resource], refs: Sequence[WorkloadRef]) -> None:
    found = {(w.kind, w.name) for w in workloads}
    missing = [str(r) for r in refs if (r.kind, r.name) not in found]
    if missing:
        raise TargetError(
            f"workload {', '.join(missing)} is not in the manifests",
            hint="check the kind and name with 'helm template'; names are case-sensitive",
        )


def _referenced_keys(workloads: Iterable[Resource]) -> Iterable[tuple[str, str]]:
    """(kind, name) of every ConfigMap and Secret the workloads' env refers to."""
    for workload in workloads:
        pod_spec = get_path(workload.document, POD_SPEC_PATHS[workload.kind])
        for _, _, container in containers(pod_spec):
            for entry in container.get("env") or ():
                ref = get_path(entry, ("valueFrom",))
                for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    name = get_path(ref, (field, "name"))
                    if isinstance(name, str):
                        yield kind, name
