"""Reading a document: the data is what ruamel.yaml itself reads, however many documents came
before it in the process."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from post_renderer.errors import ManifestError
from post_renderer.render.stream.manifest import parse_document

# Texts each YAML version reads as something other than a string, or as a string only when
# quoted: what the implicit resolution of a scalar turns on.
_SCALARS = ["yes", "no", "on", "true", "True", "false", "~", "null", "", "0", "1", "012", "0o12",
            "0x1F", "0b11", "1_000", "1.5", "-1.5e3", ".inf", "-.Inf", ".nan", "1:20",
            "2026-12-05", "2026-12-05T10:00:00Z", "name", "http://proxy.corp:3128",
            "'1'", "'true'", '"yes"', '"2026-12-05"']
# libyaml refuses an anchor defined twice, which YAML allows: ruamel's own parser reads it
_REDEFINED_ANCHOR = "first: &a 1\nsecond: &a 2\n"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_SCALARS), min_size=1, max_size=6), min_size=1,
                max_size=4))
def test_every_document_reads_as_ruamel_yaml_reads_it(documents):
    for values in documents:
        text = "".join(f"k{index}: {value}\n" for index, value in enumerate(values)) + \
               "list:\n" + "".join(f"- {value}\n" for value in values)
        assert parse_document(text, "the document").data == YAML(typ="safe").load(text)


@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
def test_a_yaml_1_1_document_read_by_ruamel_s_own_parser_leaves_the_next_document_at_1_2():
    directive = "%YAML 1.1\n---\n" + _REDEFINED_ANCHOR + "answer: yes\nmode: 012\n"
    plain = _REDEFINED_ANCHOR + "answer: yes\nmode: 012\n"
    own_parser = YAML(typ="safe", pure=True)
    expected_11, expected_12 = own_parser.load(directive), YAML(typ="safe", pure=True).load(plain)
    assert (expected_11["answer"], expected_12["answer"]) == (True, "yes")

    assert parse_document(directive, "the first document").data == expected_11
    assert parse_document(plain, "the second document").data == expected_12
    assert parse_document(directive, "the third document").data == expected_11


def test_what_the_reader_remembers_holds_no_long_text():
    from post_renderer.render.stream import manifest

    token = "6f1c0e4b9a7d2e3f5a8b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9a2b5c8d1e4f" * 2
    assert parse_document(f"data:\n  token: {token}\n  name: short\n", "a Secret").data == \
        {"data": {"token": token, "name": "short"}}
    remembered = {key[1] for known in manifest._RESOLVED.values() for key in known}
    assert "short" in remembered and token not in remembered


@pytest.mark.parametrize("value", ['!!int "http://ocean:Zq7Fx9@proxy"', "!!float Zq7Fx9",
                                   "!!bool Zq7Fx9", "!!timestamp 2026-13-45",
                                   "!<tag:yaml.org,2002:int> Zq7Fx9", "!!float _",
                                   "!!omap [{Zq7Fx9: 1}, {Zq7Fx9: 2}]"])
def test_a_value_its_tag_cannot_read_is_refused_without_quoting_it(value):
    with pytest.raises(ManifestError) as refused:
        parse_document(f"kind: ConfigMap\ndata:\n  proxy-url: {value}\n", "document 4")
    assert "document 4 is not valid YAML" in refused.value.message
    assert "zq7" not in refused.value.message.lower()


@pytest.mark.parametrize("text", ['a: !!timestamp "Zq7 Fx9\\"Wv4"\n', "a: *Zq7\"Fx9'Wv4\n",
                                  "a: *Zq7'Fx9\"Wv4\n", "a: !!timestamp \"Zq7'Fx9 Wv4\"\n",
                                  'a: !!timestamp "x\\"Zq7 Fx9 Wv4"\n'])
def test_a_problem_quoting_a_value_with_quotes_in_it_shows_none_of_it(text):
    with pytest.raises(ManifestError) as refused:
        parse_document(text, "document 3")
    assert "document 3 is not valid YAML" in refused.value.message
    shown = [part for part in ("zq7", "fx9", "wv4") if part in refused.value.message.lower()]
    assert shown == [], refused.value.message
    assert "'...' at line 1" in refused.value.message  # cut where it quoted, the line still said


@pytest.mark.parametrize("text, problem", [
    ("a: [x\n", "expected ',' or ']', but got '<stream end>' at line 2"),
    ("\ta: b\n", "found character '\\t' that cannot start any token at line 1"),
])
def test_a_problem_quoting_only_characters_and_token_names_is_shown_whole(text, problem):
    with pytest.raises(ManifestError) as refused:
        parse_document(text, "document 3")
    assert problem in refused.value.message
