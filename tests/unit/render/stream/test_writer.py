"""The values we add are written by libyaml only where it writes the very bytes ruamel.yaml's
round-trip emitter writes; both are ruamel.yaml's own emitters, held to each other here."""

from __future__ import annotations

import base64
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from post_renderer.render.stream.manifest import kubernetes_safe, parse_document
from post_renderer.render.stream.writer import (
    BlockWriter,
    DocumentStyle,
    block_writer,
    round_trip_yaml,
    written_alike,
)

STYLES = (DocumentStyle(), DocumentStyle(sequence_indent=2))
_PRINTABLE_BUT_QUOTE = st.characters(min_codepoint=0x20, max_codepoint=0x7E,
                                     blacklist_characters="'")
_TEXT = st.text(_PRINTABLE_BUT_QUOTE, max_size=24)
# what Kubernetes objects hold: names, label values, numbers, flags, quoted strings
_TRICKY = st.sampled_from(["1", "1.0", "yes", "on", "null", "~", "", "0x1F", "- a", "a: b",
                           "#x", "@x", "*x", "&x", "! x", " x", "x ", "%x", "|", ">", "{}",
                           "[a]", "a #b", "?", "-", ":", "2001-12-14", "---", "...",
                           "--- a", "%YAML 1.1"])
_KEY = st.one_of(_TEXT, _TRICKY, st.text(_PRINTABLE_BUT_QUOTE, min_size=100, max_size=200))
_SCALAR = st.one_of(_TEXT, _TRICKY, st.integers(), st.booleans())
_VALUE = st.recursive(_SCALAR, lambda inner: st.one_of(st.dictionaries(_KEY, inner, max_size=4),
                                                       st.lists(inner, max_size=4)),
                      max_leaves=16)
_DOCUMENT = st.dictionaries(_KEY, _VALUE, min_size=1, max_size=6)


def by_round_trip(value: object, style: DocumentStyle) -> str:
    out = io.StringIO()
    round_trip_yaml(style).dump(value, out)
    return out.getvalue()


def _key_lengths(value: object) -> list[int]:
    if isinstance(value, list):
        return [0] + [n for item in value for n in _key_lengths(item)]
    if not isinstance(value, dict):
        return [0]
    return [len(key) for key in value] + [n for item in value.values() for n in _key_lengths(item)]


def _has_list(value: object) -> bool:
    if isinstance(value, dict):
        return any(_has_list(item) for item in value.values())
    return isinstance(value, list)


@pytest.mark.parametrize("style", STYLES, ids=["lists-flush", "lists-indented"])
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=_DOCUMENT)
def test_libyaml_writes_what_the_round_trip_emitter_writes(style, document):
    value = kubernetes_safe(document)
    lists_allowed = not style.sequence_indent or not _has_list(value)
    assert written_alike(value, style) == (max(_key_lengths(value)) <= 120 and lists_allowed)
    assert block_writer(style)(value) == by_round_trip(value, style)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(items=st.lists(_VALUE, min_size=1, max_size=4))
def test_a_list_at_the_top_is_written_alike_where_lists_are_flush(items):
    value = kubernetes_safe(items)
    assert written_alike(value, DocumentStyle()) == (max(_key_lengths(value)) <= 120)
    assert block_writer(DocumentStyle())(value) == by_round_trip(value, DocumentStyle())


def test_a_volume_with_items_is_written_by_libyaml_where_lists_are_flush():
    volume = {"name": "ocean-proxy-overlay",
              "secret": {"secretName": "r-ocean-proxy-values",
                         "items": [{"key": "values.yaml", "path": "values.yaml"},
                                   {"key": "job-edit.yaml", "path": "job/edit.yaml"}]}}
    assert written_alike(volume, DocumentStyle())
    assert not written_alike(volume, DocumentStyle(sequence_indent=2))
    assert block_writer(DocumentStyle())(volume) == (
        "name: ocean-proxy-overlay\nsecret:\n  secretName: r-ocean-proxy-values\n  items:\n"
        "  - key: values.yaml\n    path: values.yaml\n  - key: job-edit.yaml\n"
        "    path: job/edit.yaml\n")
    assert block_writer(DocumentStyle(sequence_indent=2))(volume) == by_round_trip(
        volume, DocumentStyle(sequence_indent=2))


def test_a_secret_of_base64_is_written_by_libyaml_and_reads_back():
    data = {f"file-{n}": base64.b64encode(bytes(range(256)) * 40).decode() for n in range(8)}
    secret = kubernetes_safe({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "r-ocean-proxy-values", "namespace": "spot-system",
                     "labels": {"app.kubernetes.io/version": "1.0"},
                     "annotations": {"helm.sh/resource-policy": "keep"}},
        "type": "Opaque", "data": data})
    assert written_alike(secret, DocumentStyle())
    text = block_writer(DocumentStyle())(secret)
    assert text == by_round_trip(secret, DocumentStyle())
    assert 'app.kubernetes.io/version: "1.0"\n' in text
    assert YAML(typ="safe").load(text)["data"] == data


@pytest.mark.parametrize("value", [
    {"a": "it's"},
    {"a": "line\nbreak"},
    {"a": "naïve"},
    {"a": None},
    {"a": 1.5},
    {"a": SingleQuotedScalarString("kept quotes")},
    {"a": LiteralScalarString("block\n")},
    {1: "integer key"},
    {"k" * 125: "a key longer than YAML's simple keys"},
], ids=["quote", "newline", "non-ascii", "null", "float", "single-quoted", "literal",
        "int-key", "long-key"])
def test_the_round_trip_emitter_writes_what_libyaml_would_write_otherwise(value):
    for style in STYLES:
        assert not written_alike(value, style)
        assert block_writer(style)(value) == by_round_trip(value, style)


def test_a_list_at_the_top_of_an_indented_document_keeps_its_indent():
    style = DocumentStyle(sequence_indent=2)
    value = [{"name": "HTTPS_PROXY", "value": DoubleQuotedScalarString("")}]
    assert not written_alike(value, style)
    assert block_writer(style)(value) == '  - name: HTTPS_PROXY\n    value: ""\n'


@pytest.mark.parametrize("style", STYLES, ids=["lists-flush", "lists-indented"])
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=st.lists(st.one_of(_DOCUMENT, st.lists(_VALUE, min_size=1, max_size=4)),
                       min_size=2, max_size=6))
def test_values_prepared_together_are_written_as_each_alone(style, values):
    values = [kubernetes_safe(value) for value in values]
    together = BlockWriter(style)
    together.prepare(values)
    assert [together(value) for value in values] == \
        [BlockWriter(style)(value) for value in values]
    assert [together(value) for value in values] == [by_round_trip(v, style) for v in values]


def test_preparing_writes_each_new_value_once_in_one_dump(monkeypatch):
    env = [{"name": name, "value": "http://proxy.corp:3128"}
           for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")]
    writer = BlockWriter(DocumentStyle())
    dumps = []
    dump_all = YAML.dump_all
    monkeypatch.setattr(YAML, "dump_all",
                        lambda self, *a, **k: dumps.append(a[0]) or dump_all(self, *a, **k))
    writer.prepare([*env, *env])
    assert [len(d) for d in dumps] == [4]
    assert [writer(value) for value in env] == [
        f"name: {entry['name']}\nvalue: http://proxy.corp:3128\n" for entry in env]
    assert len(dumps) == 1


def test_tags_shared_across_nodes_read_back_each_node_as_its_own_type():
    text = ("a: 1\nb: '1'\nc: !!str 2\nd: true\ne: ~\nf: 2001-12-14\ng: 0x1F\nh: 1.5\n"
            "i: [1, '1', !!str 3]\nj: !!binary aGk=\nk: {x: 1}\nl: 1\nm: 'true'\n")
    for _ in range(2):  # the second parse reuses the tags the first one made
        assert parse_document(text, "a document").data == YAML(typ="safe").load(text)
    value = kubernetes_safe({"a": 1, "b": "1", "c": True, "d": [1, "x"], "e": {"f": "on"}})
    for style in STYLES:
        for _ in range(2):
            written = block_writer(style)(value)
            assert YAML(typ="safe").load(written) == value
