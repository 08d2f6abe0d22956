"""Changed documents are edited in their text: what the patch does not name stays byte for byte,
and the result always parses to exactly the patched data."""

from __future__ import annotations

import jsonpatch
import pytest

from post_renderer.render.stream.aliases import unshare_paths
from post_renderer.render.stream.manifest import detect_style, edit_document, parse_document
from post_renderer.render.stream.splice import Unsupported, splice

from .conftest import post_renderer

DEPLOYMENT = """\
# Source: chart/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "café"   # a comment that stays
spec:
  template:
    metadata:
      annotations:
        checksum/config: abc
    spec:
      containers:
      # controller
      - name: controller
        args:
          - --flag
        env:
        - name: A
          value: "1"
        - name: B   # trailing comment
          valueFrom:
            configMapKeyRef: {name: cm, key: b}
        - name: A
          value: duplicate
      - name: shipper
        image: x
      volumes:
      - name: tmp
        emptyDir: {}
"""


def edited(text: str, ops: list[dict]) -> str:
    document = parse_document(text, "test")
    result = edit_document(document, ops, detect_style(text))
    expected = parse_document(text, "test").data
    unshare_paths(expected, [op["path"] for op in ops])  # an alias becomes two nodes, as planned
    assert parse_document(result, "result").data == jsonpatch.apply_patch(expected, ops)
    return result


def spliced(text: str, ops: list[dict]) -> str:
    """The text edit itself, without the round-trip fallback."""
    from post_renderer.render.stream.writer import block_writer

    document = parse_document(text, "test")
    return splice(document.text, document.node, ops,
                  block_writer(detect_style(text)))


ENV = "/spec/template/spec/containers/0/env"


def test_replacing_an_env_entry_keeps_everything_else_byte_for_byte():
    ops = [{"op": "replace", "path": f"{ENV}/1",
            "value": {"name": "B", "value": "http://proxy:3128"}}]
    result = edited(DEPLOYMENT, ops)
    assert result == DEPLOYMENT.replace(
        "name: B   # trailing comment\n          valueFrom:\n"
        "            configMapKeyRef: {name: cm, key: b}",
        "name: B\n          value: http://proxy:3128")


def test_appending_follows_the_list_indentation_and_keeps_comments():
    ops = [{"op": "add", "path": f"{ENV}/-", "value": {"name": "C", "value": "x"}},
           {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--more"}]
    result = edited(DEPLOYMENT, ops)
    appended = ("        - name: A\n          value: duplicate\n"
                "        - name: C\n          value: x\n")
    assert appended in result
    assert "          - --flag\n          - --more\n" in result
    assert result.count("# controller") == 1
    assert '  name: "café"   # a comment that stays\n' in result


def test_removing_a_duplicate_and_appending_to_the_same_list():
    ops = [{"op": "remove", "path": f"{ENV}/2"},
           {"op": "add", "path": f"{ENV}/-", "value": {"name": "C", "value": "x"}}]
    result = edited(DEPLOYMENT, ops)
    assert "duplicate" not in result
    assert "configMapKeyRef: {name: cm, key: b}\n        - name: C\n" in result


def test_adding_keys_to_mappings_at_their_indentation():
    ops = [
        {"op": "add", "path": "/spec/template/metadata/annotations/checksum~1proxy",
         "value": "0123"},
        {"op": "add", "path": "/spec/template/spec/containers/1/env",
         "value": [{"name": "HTTP_PROXY", "value": "http://p:1"}]},
    ]
    result = edited(DEPLOYMENT, ops)
    assert "        checksum/config: abc\n        checksum/proxy: \"0123\"\n" in result
    assert "        image: x\n        env:\n        - name: HTTP_PROXY\n" in result


def test_replacing_a_block_scalar():
    text = "data:\n  job: |\n    line one\n    line two\n  other: x\n"
    result = edited(text, [{"op": "replace", "path": "/data/job",
                            "value": "line one\nline two\nline three\n"}])
    assert result == "data:\n  job: |\n    line one\n    line two\n    line three\n  other: x\n"


def test_blank_lines_of_a_replaced_block_scalar_are_written_empty():
    # helm's nindent writes a blank line of a block scalar as the indentation alone
    text = "data:\n  job: |\n    set -e\n    \n    helm repo add\n  other: x\n"
    result = spliced(text, [{"op": "replace", "path": "/data/job",
                             "value": "set -e\n\nhelm repo add\nhelm upgrade\n"}])
    assert result == ("data:\n  job: |\n    set -e\n\n    helm repo add\n    helm upgrade\n"
                      "  other: x\n")


def test_a_line_of_spaces_in_a_new_block_scalar_value_keeps_its_spaces():
    # the text edit writes it empty; the edited document is read back, found to differ, and
    # made by the round-trip instead
    text = "data:\n  job: |\n    a\n  other: x\n"
    value = "a\n   \nb\n"
    result = edited(text, [{"op": "replace", "path": "/data/job", "value": value}])
    assert parse_document(result, "result").data["data"]["job"] == value


def test_the_auto_update_jobs_script_keeps_its_blank_lines_without_trailing_spaces(manifests):
    run = post_renderer(stdin=manifests)

    assert run.returncode == 0, run.stderr
    [configmap] = [d for d in run.stdout.decode().split("\n---\n")
                   if "\nkind: ConfigMap\n" in d and "auto-update.job: |" in d]
    job = configmap.split("auto-update.job: |\n", 1)[1]
    blank = [line for line in job.split("\n") if not line.strip()]
    assert len(blank) >= 2  # the script's, between its steps
    assert blank == [""] * len(blank)


def test_replacing_and_removing_scalars_in_a_mapping():
    text = "data:\n  a: '1'\n  b: two # keep\n  c: three\n"
    result = edited(text, [{"op": "replace", "path": "/data/b", "value": "TWO"},
                           {"op": "remove", "path": "/data/c"}])
    assert result == "data:\n  a: '1'\n  b: TWO # keep\n"


def test_a_quoted_value_in_a_document_with_indented_lists_is_replaced_in_its_text():
    # the ConfigMap of the vendor chart: its proxy URL loses its credentials
    text = ('data:\n  proxy-url: "http://u:p@proxy.corp:3128" # the proxy\n  single: \'x\'\n'
            "list:\n  - a\n")
    ops = [{"op": "replace", "path": "/data/proxy-url", "value": "http://proxy.corp:3128"},
           {"op": "replace", "path": "/data/single", "value": "z"}]
    expected = ('data:\n  proxy-url: "http://proxy.corp:3128" # the proxy\n  single: \'z\'\n'
                "list:\n  - a\n")
    assert spliced(text, ops) == expected
    assert edited(text, ops) == expected


def test_values_a_yaml11_reader_would_misread_are_quoted():
    result = edited("data:\n  a: x\n", [{"op": "add", "path": "/data/b", "value": "yes"},
                                       {"op": "add", "path": "/data/c", "value": "0777"}])
    assert 'b: "yes"' in result
    assert 'c: "0777"' in result


@pytest.mark.parametrize("text, op, why", [
    ("a: {b: 1}\n", {"op": "add", "path": "/a/c", "value": 2}, "flow mapping"),
    ("a: [1, 2]\n", {"op": "add", "path": "/a/-", "value": 3}, "flow sequence"),
    ("x: &anchor\n  b: 1\ny: *anchor\n", {"op": "add", "path": "/x/c", "value": 2}, "aliases"),
    ("a: 1\n", {"op": "replace", "path": "/a", "value": {"b": 1}}, "collection"),
])
def test_unusual_yaml_is_left_to_the_round_trip(text, op, why):
    with pytest.raises(Unsupported, match=why):
        spliced(text, [op])
    edited(text, [op])  # and the round-trip still gets it right


def test_round_trip_fallback_keeps_comments():
    text = "# head\nspec:\n  env: [{name: A, value: x}]  # flow\n  other: 1 # keep me\n"
    result = edited(text, [{"op": "add", "path": "/spec/env/-", "value": {"name": "B"}}])
    assert "# head" in result
    assert "# keep me" in result


def test_a_document_without_a_final_line_break_gets_none_from_the_round_trip():
    # the last document of a stream may end without one, and comes out as it came
    text = "data: {a: x, b: y}"
    result = edited(text, [{"op": "replace", "path": "/data/a", "value": "z"}])
    assert result == "data: {a: z, b: y}"


def test_crlf_documents_are_edited_and_stay_crlf():
    text = DEPLOYMENT.replace("\n", "\r\n")
    document = parse_document(text, "test")
    result = edit_document(document, [{"op": "add", "path": f"{ENV}/-",
                                       "value": {"name": "C", "value": "x"}}], detect_style(text))
    assert "\n" not in result.replace("\r\n", "")
    assert "- name: C\r\n          value: x\r\n" in result
