"""The writer of values we add: one dump per distinct value, and every difference the
dumper would write differently still written differently."""

from __future__ import annotations

import datetime as dt

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from post_renderer.render.stream.writer import DocumentStyle, block_writer


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
