"""The values we add: those a YAML 1.1 reader would not read as strings are quoted, and the
writer makes one dump per distinct value, every difference the dumper would write differently
still written differently."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from post_renderer.render.stream import manifest
from post_renderer.render.stream.manifest import detect_style, kubernetes_safe, yaml11_not_string
from post_renderer.render.stream.writer import DocumentStyle, block_writer

# Plain scalars YAML 1.1 readers do not read as strings, as one expression: booleans (y and n
# too), null, integers (octal, hex, binary; Go's 0o, 0X and 0B prefixes, which go-yaml v2, the
# reader of helm and Kubernetes, takes too; sexagesimal, which other 1.1 readers take), floats
# (1e3 too; sexagesimal with a fraction, 0:30.5, too), infinities and NaN. "$" also matches
# before one final line break. go-yaml reads more texts as numbers (tests/test_yaml11_readers.py
# holds the writer to go-yaml itself): quoting more than this is harmless, less is not.
_GO_YAML_V2_NOT_STRING = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|
    [-+]?(?:0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[bB][01_]+|[-+]?0[oO][0-7_]+
    |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$""",
    re.VERBOSE,
)
_YAML11_WORD_SET = {"", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True",
                    "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
                    "~", "null", "Null", "NULL"}
_WORDS = ["y", "Y", "yes", "YES", "n", "No", "true", "False", "on", "OFF", "~", "null", "NULL",
          "inf", "Inf", "nan", "NaN", "e", "E", "x", "b", "o", "name", "http", "proxy.corp"]
_PIECES = st.sampled_from([*_WORDS, *"0123456789_-+.:eExXbBoOabcf \n\t"])
_NUMBERISH = st.sampled_from(["0x", "0X", "0o", "0O", "0b", "0B", "inf", "INF", "nan", "NaN",
                              *"0123456789abcdefABCDEF_-+.:eExXoObBiInN\n/ "])


def test_values_equal_as_data_but_written_differently_stay_apart():
    write = block_writer(DocumentStyle())
    assert write({"a": "1"}) == "a: '1'\n"
    assert write({"a": DoubleQuotedScalarString("1")}) == 'a: "1"\n'
    assert write({"a": 1}) == "a: 1\n"
    assert write({"a": True}) == "a: true\n"
    assert write({"a": LiteralScalarString("x\n")}) == "a: |\n  x\n"
    assert write({"b": 1, "a": 2}) == "b: 1\na: 2\n"
    assert write({"a": 2, "b": 1}) == "a: 2\nb: 1\n"
    assert write(["x", ["y"]]) == "- x\n- - y\n"


def test_a_value_written_again_comes_out_the_same_and_is_not_changed():
    write = block_writer(DocumentStyle(sequence_indent=2))
    value = {"name": "HTTPS_PROXY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
    first = write(value)
    assert write({**value}) == first
    assert value == {"name": "HTTPS_PROXY", "valueFrom": {"secretKeyRef": {"name": "s",
                                                                            "key": "k"}}}


def test_values_equal_as_numbers_or_moments_but_written_differently_stay_apart():
    write = block_writer(DocumentStyle())
    assert write({"a": 0.0}) == "a: 0.0\n"
    assert write({"a": -0.0}) == "a: -0.0\n"
    utc = dt.datetime(2026, 12, 5, 11, 0, tzinfo=dt.timezone.utc)
    paris = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert utc == paris
    assert write({"at": utc}) != write({"at": paris})
    assert YAML(typ="safe").load(write({"at": paris}))["at"] == paris


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=6).map("".join))
def test_a_value_a_yaml_1_1_reader_takes_for_no_string_is_quoted(text):
    quoted = yaml11_not_string(text)
    if text == "" or _GO_YAML_V2_NOT_STRING.match(text) is not None:
        assert quoted
    if quoted:  # only a word of YAML 1.1 or a text that starts as a number does
        assert text.removesuffix("\n") in _YAML11_WORD_SET or text[:1] in tuple("-+.0123456789")
    assert isinstance(kubernetes_safe(text), DoubleQuotedScalarString) == quoted


@settings(max_examples=2000, deadline=None)
@given(st.lists(_NUMBERISH, min_size=1, max_size=8).map("".join))
def test_the_quick_test_before_the_number_patterns_passes_every_text_they_match(text):
    yaml11 = re.match(manifest._YAML11_NUMBER, text) is not None
    go = re.fullmatch(manifest._GO_YAML_NUMBER, text.replace("_", "")) is not None
    if yaml11 or go:
        assert manifest._may_be_number(text), text


def test_the_words_numbers_and_times_of_yaml_1_1_are_quoted():
    for text in ["y", "N", "yes", "Off", "~", "NULL", "", "0", "-12", "0755", "0x1F", "0b101",
                 "1_000", "1.5", "-.5e3", "1e3", ".inf", "-.Inf", ".NaN", "1:20", "190:20:30.15",
                 "0o17", "0O17", "0X1F", "0B11",
                 # go-yaml v2 drops every "_" first, and reads a sign after "0b"
                 "0_x1F", "0_XF", "2e_5", "0.5e1_0", "-_6.", "1__0", "089", "0_9", "0b-01",
                 "0:30.5", "01:2.", "-1:2.5",  # sexagesimal floats, to PyYAML
                 "yes\n", "3128\n"]:
        assert yaml11_not_string(text), text
    for text in ["yes please", "no_proxy", "nulls", "ON!", "1.2.3", "10.0.0.0/8", "1:60", "e3",
                 "http://proxy.corp:3128", "-", "+", "Yes ", "yes\n\n", "0x", "\n", "_0", "0_x",
                 "2.0.70", "236facbdfbff5a114978fa61bf3a79a6c383f0f7dd7039fda7345eb164709db6",
                 "1.5.x", "0.5e1.0"]:
        assert not yaml11_not_string(text), text


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from([" " * 600, " " * 399, " ", "\n", "\r", "x", "- "]),
                       max_size=8))
@example(pieces=["x", "\n", " " * 600, " " * 399, " ", "x"])  # exactly 1,000
@example(pieces=["x", "\n", " " * 600, " " * 399, "x"])  # one short
def test_a_line_indented_a_thousand_columns_goes_to_ruamels_own_parser(pieces):
    """libyaml's composer recurses once per level and would crash on such a document: a
    line that starts with 1,000 spaces or more, as the documented pattern finds it."""
    text = "".join(pieces)
    assert manifest._maybe_deep(text) == \
        (re.search(r"^ {1000}", text, re.MULTILINE) is not None), repr(text)


def test_lists_are_written_indented_where_most_of_the_documents_lists_are():
    """A comment between a key and its first item (a chart's "# the controller") does not hide
    which list it is; the lists we add follow the document's own way."""
    text = ("spec:\n  containers:\n    # the controller\n    - name: a\n  volumes:\n"
            "    # its CA\n    - name: v\n  args:\n  - x\n")
    assert detect_style(text).sequence_indent == 2
    assert detect_style("spec:\n  args:\n  - x\n  env:\n  - name: A\n").sequence_indent == 0


def test_a_document_with_as_many_flush_lists_as_indented_ones_gets_flush_lists():
    assert detect_style("a:\n  - x\nb:\n- y\n").sequence_indent == 0


def test_an_item_indented_further_than_two_columns_tells_nothing():
    assert detect_style("a:\n      - x\n").sequence_indent == 0
