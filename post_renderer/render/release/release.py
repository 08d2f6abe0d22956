"""The parts of a release that matter: target workloads and the ConfigMaps/Secrets they use.

Only documents that might be targets are parsed. A scan of the bytes for a few lines (a
Spot agent's container name or pod label; then ``name: X`` for each object a target refers
to) and for the top-level ``kind:`` picks them; every other document stays bytes.
"""

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from post_renderer.errors import ManifestError, TargetError, clipped, visible
from post_renderer.render.release.agents import recognise, scan_patterns
from post_renderer.render.release.owned_names import OwnedNames
from post_renderer.render.release.workloads import WorkloadRef
from post_renderer.render.stream.aliases import unshare_data, unshare_pod
from post_renderer.render.stream.kube import (
    KEY_REF_KINDS,
    POD_SPEC_PATHS,
    YamlNode,
    env_entries,
    get_path,
)
from post_renderer.render.stream.manifest import ParsedDocument, detect_style, parse_document
from post_renderer.render.stream.split import (
    Chunk,
    Chunks,
    chunks_matching,
    document_end,
    line_pattern,
    top_level_kind,
)
from post_renderer.render.stream.writer import DocumentStyle

# The chart's ConfigMap key that holds the auto-update Job's manifest as text.
EMBEDDED_JOB_KEY = "auto-update.job"
# Larger than any object Kubernetes stores (etcd's default request limit is 1.5 MiB), and
# parsing it would make helm wait for minutes.
MAX_PARSED_BYTES = 4 * 1024 * 1024
_LISTED = 5  # workloads a refusal names when the one asked for is missing


class Resource(NamedTuple):
    """A parsed document of the stream (or one we are about to add, with ``chunk`` None)."""

    kind: str
    name: str
    document: YamlNode
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
    """Target workloads, and the ConfigMaps/Secrets they can see, all parsed up front.

    ``unit(workload)`` is the release as one workload sees it: its own namespace's objects,
    which is what each workload's settings are read from and what is added for it.
    """

    def __init__(self, data: bytes, chunks: Chunks, workloads: list[Resource],
                 candidates: dict[tuple[str, str], list[Resource]],
                 embedded: dict[tuple[int, str], ParsedDocument] | None = None) -> None:
        self.data = data
        self.chunks = chunks
        self.workloads = workloads
        self._candidates = candidates
        self._embedded = embedded or {}
        home = workloads[0].namespace if workloads else None
        self._objects = {key: chosen[0] for key, found in candidates.items()
                         if (chosen := [r for r in found if _beside(r, home)])}

    def get(self, kind: str, name: str) -> Resource | None:
        """The object of that kind and name that the workloads can see, if it is here."""
        return self._objects.get((kind, name))

    def referenced(self, kind: str) -> list[Resource]:
        """The objects of ``kind`` that the target workloads refer to and that are here."""
        keys = set(_object_keys(self.workloads))
        return [r for (k, name), r in sorted(self._objects.items())
                if k == kind and (k, name) in keys]

    def unit(self, workload: Resource) -> "Release":
        """The release as ``workload`` alone sees it."""
        return Release(self.data, self.chunks, [workload], self._candidates, self._embedded)

    def embedded(self, configmap: Resource, key: str) -> ParsedDocument | None:
        """The manifest a ConfigMap holds as text under ``key`` (the auto-update Job)."""
        if configmap.chunk is None:
            return None
        return self._embedded.get((configmap.chunk.index, key))


def find_release(data: bytes, chunks: Chunks, refs: Sequence[WorkloadRef],
                 none_ok: bool = False) -> Release:
    """The targets and what they refer to, parsed now: after this, no YAML can fail.
    ``none_ok``: workloads named where every release reads them (OCEAN_PROXY_CONFIG) may all
    be missing from a release of another chart; from a Spot agent's, or some of them, it is
    still an error."""
    patterns = [line_pattern("name", r.name) for r in refs] if refs else scan_patterns()
    candidates = chunks_matching(data, chunks, patterns)
    workloads = [r for r in _parse(data, candidates, POD_SPEC_PATHS) if _is_target(r, refs)]
    if workloads or not none_ok or _spot_agents_in(data, chunks):
        _check_refs_found(workloads, refs, data, chunks)
    keys = set(_object_keys(workloads))
    objects: dict[tuple[str, str], list[Resource]] = {}
    for kind in sorted({kind for kind, _ in keys}):
        # one pass over the stream for all the names of a kind, not one per name; only a
        # document of that kind is parsed (a namesake of another kind is never read)
        names = sorted({name for wanted, name in keys if wanted == kind})
        matching = chunks_matching(data, chunks, [line_pattern("name", name) for name in names])
        for resource in _parse(data, matching, (kind,)):
            if (kind, resource.name) in keys:
                objects.setdefault((kind, resource.name), []).append(resource)
    objects = dict(sorted(objects.items(), key=lambda item: (item[0][1], item[0][0])))
    return Release(data, chunks, workloads, objects, _embedded_manifests(objects))


def _embedded_manifests(objects: dict[tuple[str, str], list[Resource]]
                        ) -> dict[tuple[int, str], ParsedDocument]:
    """The Job manifests the chart's ConfigMaps embed as text, parsed now like the rest."""
    embedded = {}
    for (kind, _), found in objects.items():
        for resource in found:
            text = get_path(resource.document, ("data", EMBEDDED_JOB_KEY))
            if kind == "ConfigMap" and isinstance(text, str) and resource.chunk is not None:
                embedded[(resource.chunk.index, EMBEDDED_JOB_KEY)] = parse_document(
                    text, "the embedded auto-update Job", lines_of="the Job")
    return embedded


def _object_keys(workloads: Iterable[Resource]) -> Iterable[tuple[str, str]]:
    """What the workloads read, and the Secrets ocean-proxy may have written for them."""
    for workload in workloads:
        refs = list(_referenced_keys(workload))
        yield from refs
        yield from (("Secret", name) for name in OwnedNames(workload.name).all())
        yield from (("Secret", OwnedNames.shared_proxy(name))
                    for kind, name in refs if kind == "ConfigMap")


def _beside(resource: Resource, namespace: str | None) -> bool:
    """In the workload's namespace, as far as the manifests say: a pod reads its own
    namespace's ConfigMaps and Secrets, never a namesake's in another one."""
    return namespace is None or resource.namespace in (None, namespace)


def _parse(data: bytes, chunks: Iterable[Chunk], kinds: Iterable[str]) -> list[Resource]:
    wanted = set(kinds)
    found = []
    for chunk in chunks:
        kind = top_level_kind(data, chunk)
        if kind is None:  # JSON or flow style: the scan cannot tell, the parser can
            resource = _parse_if_valid(data, chunk)
            kind = resource.kind if resource is not None else None
        elif kind in wanted:
            resource = parse_chunk(data, chunk)
        if kind not in wanted:
            continue
        if resource is not None and resource.kind == kind:
            if kind in POD_SPEC_PATHS:
                unshare_pod(resource.document, POD_SPEC_PATHS[kind])
            else:
                unshare_data(resource.document)
            found.append(resource)
    return found


def _parse_if_valid(data: bytes, chunk: Chunk) -> Resource | None:
    """A candidate without a ``kind:`` line: an object Kubernetes would accept, or None."""
    try:
        return parse_chunk(data, chunk)
    except ManifestError:
        return None  # not a manifest any tool applies: passed through as it came


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
    parsed = parse_document(text, where,
                            first_line=lambda: data.count(b"\n", 0, chunk.body) + 1)
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
    return recognise(resource.document, resource.kind) is not None


def _spot_agents_in(data: bytes, chunks: Chunks) -> bool:
    candidates = chunks_matching(data, chunks, scan_patterns())
    return any(_is_target(r, ()) for r in _parse(data, candidates, POD_SPEC_PATHS))


def _check_refs_found(workloads: list[Resource], refs: Sequence[WorkloadRef],
                      data: bytes, chunks: Chunks) -> None:
    found = {(w.kind, w.name) for w in workloads}
    missing = [str(r) for r in refs if (r.kind, r.name) not in found]
    if missing:
        raise TargetError(
            f"workload {', '.join(clipped(m) for m in missing)} is not in the "
            f"manifests{lists_note(data)}",
            hint=_workloads_there(data, chunks, missing),
        )


def _workloads_there(data: bytes, chunks: Chunks, missing: list[str]) -> str:
    """The workloads of the kinds ocean-proxy injects into that the stream holds, closest to
    what was named first, a handful of them: what to type instead. Only a refusal reads them,
    so every such document is parsed here."""
    import difflib  # only for this message

    there: dict[str, None] = {}
    for chunk in chunks:
        if top_level_kind(data, chunk) in (None, *POD_SPEC_PATHS):
            resource = _parse_if_valid(data, chunk)
            if resource is not None and resource.kind in POD_SPEC_PATHS:
                there[f"{resource.kind}/{resource.name}"] = None
    if not there:
        return ("the manifests hold no workload of a kind ocean-proxy injects into "
                f"({', '.join(POD_SPEC_PATHS)})")
    closest = sorted(there, key=lambda ref: -max(
        difflib.SequenceMatcher(None, ref, named).ratio() for named in missing))
    listed = ", ".join(clipped(visible(ref), 80) for ref in closest[:_LISTED])
    more = f" and {len(closest) - _LISTED} more" if len(closest) > _LISTED else ""
    return f"in the manifests: {listed}{more}; names are case-sensitive"


def _referenced_keys(workload: Resource) -> Iterable[tuple[str, str]]:
    """(kind, name) of every ConfigMap and Secret the workload's env refers to."""
    for found in env_entries(workload.document, workload.kind):
        for field, kind in KEY_REF_KINDS:
            name = get_path(found.entry, ("valueFrom", field, "name"))
            if isinstance(name, str):
                yield kind, name


def lists_note(data: bytes) -> str:
    """What a message that found no target adds when the stream holds a List (helm 3 hands
    a chart's List over as it is; helm 4 splits it into its items)."""
    return _LISTS if re.search(_LIST_KIND, data) else ""


# helm's output holds one object per document; a chart that wraps its objects in a List
# hides them from a post-renderer, which edits documents
_LISTS = (" (a 'kind: List' document is not looked into: render its items as documents of "
          "their own for ocean-proxy to find them)")
# a block document's, quoted or not, or a JSON one's (a notice: a List quoted in a value
# may add it needlessly); compiled, by re's own cache, only for a stream without a target
_LIST_KIND = rb"(?m)^kind:[ \t]*([\"']?)List\1[ \t]*$|^[{ \t].*\"kind\": *\"List\""
