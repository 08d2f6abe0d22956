"""The manifest stream as bytes: split at document markers, picked by lines, joined back."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from post_renderer.render.stream.split import (
    Chunk,
    ImagePattern,
    _comment_start,
    _loosely_matches,
    chunks_matching,
    document_end,
    join,
    line_pattern,
    split_documents,
    top_level_kind,
)

STREAM = (b"---\n# Source: a.yaml\nkind: ConfigMap\nmetadata:\n  name: a\n"
          b"--- # doc\nkind: \"Deployment\"  # quoted\nspec:\n  - name: target\n"
          b"---\ndata: |\n  --- not a marker\n  kind: Secret\n...\n# after the end\n")


def test_each_document_starts_at_its_marker_line():
    chunks = split_documents(STREAM)
    assert len(chunks) == 3
    assert b"".join(STREAM[c.start:c.end] for c in chunks) == STREAM
    assert STREAM[chunks[1].start:chunks[1].body] == b"--- # doc\n"


def test_a_marker_inside_indented_text_does_not_split():
    chunks = split_documents(STREAM)
    assert b"--- not a marker" in STREAM[chunks[2].start:chunks[2].end]


def test_a_line_that_only_starts_with_three_dashes_does_not_split():
    # a key such as '---x': YAML's marker is '---' alone or before a blank
    data = b"---\nkind: ConfigMap\n---x: 1\n"
    assert len(split_documents(data)) == 1


def test_the_kind_is_read_only_at_column_zero():
    chunks = split_documents(STREAM)
    assert [top_level_kind(STREAM, c) for c in chunks] == ["ConfigMap", "Deployment", None]


def test_a_utf8_bom_is_not_part_of_the_first_document():
    chunks = split_documents(b"\xef\xbb\xbf---\nkind: A\n")
    assert chunks[0].start == 3 and top_level_kind(b"\xef\xbb\xbf---\nkind: A\n", chunks[0]) == "A"


def test_a_line_pattern_matches_list_items_and_quotes_but_not_comments_or_prefixes():
    data = (b"---\n  - name: target\n---\n# name: target\n---\nname: targets\n"
            b"---\n    name: 'target'  # yes\n")
    found = chunks_matching(data, split_documents(data), [line_pattern("name", "target")])
    assert [c.index for c in found] == [0, 3]


def test_a_quoted_or_flow_spelling_counts_only_outside_comments():
    data = (b'---\n{"kind": "Deployment", "name": "target"}\n'  # JSON: found
            b'---\nimage: x  # {"name": "target"}\n'  # in a trailing comment: not found
            b'---\n    # - {"name": "target"}\n'  # a commented-out item: not found
            b'---\n{"note": "a # b", "name": "target"}\n')  # '#' inside quotes: found
    found = chunks_matching(data, split_documents(data), [line_pattern("name", "target")])
    assert [c.index for c in found] == [0, 3]


def test_join_without_changes_gives_back_the_input_bytes():
    chunks = split_documents(STREAM)
    parts = join(STREAM, chunks, {}, [])
    assert b"".join(bytes(p) for p in parts) == STREAM
    assert all(isinstance(p, memoryview) for p in parts)  # views, not copies


def test_join_replaces_documents_in_place_and_appends_at_the_end():
    chunks = split_documents(STREAM)
    out = b"".join(bytes(p) for p in join(STREAM, chunks, {1: b"---\nkind: New\n"},
                                          [b"---\nkind: Added\n"]))
    assert out == (STREAM[:chunks[1].start] + b"---\nkind: New\n" + STREAM[chunks[2].start:]
                   + b"---\nkind: Added\n")


def test_join_leaves_a_last_document_without_a_final_line_break_as_it_is():
    """A line break after it would give its last literal block a final newline."""
    data = STREAM.rstrip(b"\n") + b"\n---\nkind: ConfigMap\ndata:\n  job: |\n    last line"
    chunks = split_documents(data)
    last = chunks[len(chunks) - 1]
    for replaced in ({}, {1: b"---\nkind: New\n"}):
        out = b"".join(bytes(p) for p in join(data, chunks, replaced, [b"---\nkind: Added\n"]))
        assert out.endswith(b"---\nkind: Added\n" + data[last.start:])
        assert YAML(typ="safe").load(out.split(b"\n---\n")[-1])["data"]["job"] == "last line"


def test_join_puts_ours_before_a_lone_document_without_a_final_line_break():
    data = b"\xef\xbb\xbfkind: ConfigMap\ndata:\n  job: |\n    last line"
    out = b"".join(bytes(p) for p in join(data, split_documents(data), {},
                                          [b"---\nkind: Added\n"]))
    assert out == b"\xef\xbb\xbf---\nkind: Added\n---\n" + data[3:]  # the BOM stays first
    crlf = data.replace(b"\n", b"\r\n")
    out = b"".join(bytes(p) for p in join(crlf, split_documents(crlf), {},
                                          [b"---\r\nkind: Added\r\n"]))
    assert out.endswith(b"---\r\n" + crlf[3:])  # its '---' line ends as its lines do


EXPORTER_IMAGE = ImagePattern(b"spot-ocean-metric-exporter")


@pytest.mark.parametrize("line", [
    b'    image: "spot-ocean-metric-exporter:1.1.0"',  # '"{{ .repository }}:{{ .tag }}"'
    b"    image: 'spot-ocean-metric-exporter'",
    b"    image:\tspot-ocean-metric-exporter@sha256:0123abcd",
    # the name in another part of the path first, then as the repository's last part
    b"    image: artifactory.corp/spot-ocean-metric-exporter-remote/spot-ocean-metric-exporter:1",
    # a document written as JSON on one line: a label holds the name before the image does
    b'{"kind": "Deployment", "metadata": {"labels": {"app": "spot-ocean-metric-exporter-canary"}},'
    b' "spec": {"template": {"spec": {"containers": [{"name": "m",'
    b' "image": "corp/spot-ocean-metric-exporter:1.1.0"}]}}}}',
])
def test_the_scan_finds_an_agent_by_its_image_however_the_line_spells_it(line):
    """What the scan misses is never parsed: a release whose agent only its image names
    would pass through without the proxy."""
    data = b"---\nkind: ConfigMap\n---\n" + line + b"\n"
    assert [c.index for c in chunks_matching(data, split_documents(data), [EXPORTER_IMAGE])] == [1]


@pytest.mark.parametrize("line", [
    b"    image: corp/my-spot-ocean-metric-exporter:1",  # another image, named alike
    b"    description: corp/spot-ocean-metric-exporter:1 runs beside it",  # not an image
])
def test_the_scan_leaves_out_lines_that_name_the_agent_but_not_as_an_image(line):
    """Only the documents worth parsing are parsed: that keeps a large release fast."""
    data = b"---\nkind: ConfigMap\n---\n" + line + b"\n"
    assert chunks_matching(data, split_documents(data), [EXPORTER_IMAGE]) == []


LINE_TEXT = st.text(alphabet=st.sampled_from(list(" \t-\"'#:\rnamex.y/{},")), max_size=14)


@settings(max_examples=600, deadline=None)
@given(key=st.sampled_from(["name", "app.kubernetes.io/name", "-k", " k"]),
       value=st.sampled_from(["x", "x.y", "ocean", "'q", "-v", "a#b", "x "]),
       before=LINE_TEXT, between=LINE_TEXT, after=LINE_TEXT)
def test_the_line_check_is_the_documented_pattern(key, value, before, between, after):
    """The check without regular expressions accepts exactly what the pattern describes."""
    documented = re.compile(rb"[ \t-]*" + re.escape(key.encode()) + rb":[ \t]*[\"']?"
                            + re.escape(value.encode()) + rb"[\"']?[ \t]*(?:#.*)?\r?")
    for line in (f"{before}{key}:{between}{value}{after}", f"{before}{key}: {value}{after}",
                 f"- {key}: '{value}'{after}", f"{before}{key}:{between}"):
        raw = line.encode()
        assert line_pattern(key, value)._on_its_own_line(raw) == \
            (documented.fullmatch(raw) is not None), line


@settings(max_examples=600, deadline=None)
@given(key=st.sampled_from(["name", "app.kubernetes.io/name"]),
       value=st.sampled_from(["x", "x.y", "ocean"]),
       before=LINE_TEXT, between=LINE_TEXT, after=LINE_TEXT)
def test_the_loose_check_is_the_documented_pattern(key, value, before, between, after):
    """Checking first for a colon before the value, and for a place where the key may start,
    changes nothing the pattern decides."""
    documented = re.compile(rb"(?:^|[\s{,\[-])([\"']?)" + re.escape(key.encode())
                            + rb"\1[ \t]*:[ \t]*([\"']?)" + re.escape(value.encode())
                            + rb"\2(?=[ \t]*(?:[,}\]#\r]|$))")
    for line in (f"{before}{key}{between}{value}{after}", f"{{{before}'{key}':{between}{value}}}",
                 f'"{key}": "{value}"{after}', f"{before}{value}:{key}{after}",
                 f"{before}[{key}: {value}]{after}", f"{before}/{key}: {value}{after}",
                 f"{before}\v'{key}': {value}{after}"):
        raw = line.encode()
        found = documented.search(raw)
        assert _loosely_matches(line_pattern(key, value), raw) == \
            (found is not None and found.start() < _comment_start(raw)), line


@settings(max_examples=800, deadline=None)
@given(pieces=st.lists(st.sampled_from([b"...", b"..", b".", b"\n", b" ", b"\t", b"\r", b"a",
                                        b"---"]), max_size=16),
       bounds=st.tuples(st.integers(0, 40), st.integers(0, 40)))
@example(pieces=[b"a", b"\n", b"..."], bounds=(0, 5))  # a '...' that ends the stream
def test_a_document_ends_where_the_documented_pattern_says(pieces, bounds):
    """Looking for a line break before a '...' first changes nothing the pattern decides, at
    any bounds of the document (its YAML may start mid-stream, after a '---' line or not)."""
    data = b"".join(pieces)
    body, end = sorted(min(bound, len(data)) for bound in bounds)
    documented = re.compile(rb"^\.\.\.(?=[ \t\r\n]|\Z)", re.MULTILINE).search(data, body, end)
    assert document_end(data, Chunk(0, 0, end, body)) == \
        (documented.start() if documented else end), (data, body, end)
