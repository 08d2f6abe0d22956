"""block_yaml writes what it writes exactly as ruamel.yaml's round-trip dumper would, and
declines the rest; the values the filters add are written by it, not declined."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from post_renderer.render.stream.block_yaml import write_block
from post_renderer.render.stream.manifest import DocumentStyle, _round_trip

STYLES = (DocumentStyle(sequence_indent=0), DocumentStyle(sequence_indent=2))
# Characters ruamel.yaml treats specially somewhere in a scalar, and some that it does not.
TEXT = st.text(alphabet=st.sampled_from(list("aZ09 -_.:/#,[]{}&*!|>'\"%@`?=~<$()+\\\t\né\u2028")),
               max_size=12)
SCALARS = st.one_of(
    TEXT, st.booleans(), st.integers(-10**6, 10**6),
    TEXT.map(DoubleQuotedScalarString), TEXT.map(LiteralScalarString),
    st.sampled_from(["true", "null", "~", "1.5", "0x1f", "5e3", "2024-01-01", "<<", "=",
                     "---x", "...", "-x", "- x", "a: b", "a #b", "a:", "efd531dc.0",
                     "http://proxy.corp:3128", "$(HOST),.svc", "k" * 130]),
)
KEYS = st.one_of(TEXT, st.sampled_from(["name", "app.kubernetes.io/name", "checksum/proxy",
                                         "0a1b2c3d.0", "k" * 127, "k" * 128]))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)


def ruamel_dump(value, style: DocumentStyle) -> str:
    out = io.StringIO()
    _round_trip(style).dump(value, out)
    return out.getvalue()


def resolves_to_str_for(style: DocumentStyle):
    resolver = _round_trip(style).resolver
    return lambda text: str(resolver.resolve(ScalarNode, text, (True, False))) == \
        "tag:yaml.org,2002:str"


@settings(max_examples=600, deadline=None)
@given(value=VALUES, style=st.sampled_from(STYLES))
def test_what_it_writes_is_what_ruamel_writes(value, style):
    written = write_block(value, style.sequence_indent, resolves_to_str_for(style))
    if written is not None:
        assert written == ruamel_dump(value, style)


ADDED = [
    [{"name": "HTTPS_PROXY", "value": "http://proxy.corp:3128"},
     {"name": "NO_PROXY", "value": "$(KUBERNETES_SERVICE_HOST),.svc,.cluster.local,localhost"}],
    [{"name": "ocean-proxy-ca", "mountPath": "/etc/ssl/certs/0a1b2c3d.0",
      "subPath": "0a1b2c3d.0", "readOnly": True}],
    {"apiVersion": "v1", "kind": "Secret",
     "metadata": {"name": "ca", "labels": {"app.kubernetes.io/managed-by": "Helm"}},
     "data": {"0a1b2c3d.0": "LS0tLS1CRUdJTi==", "ca.crt": "LS0tLS1CRUdJTi=="}},
    {"secret": {"secretName": "values", "defaultMode": 420,
                "items": [{"key": "values.yaml", "path": "values.yaml"}]}},
    {"checksum/proxy": "113f806733c630792646e284c9fa7c426138bca5296b882128e82b0b0095545e",
     "version": DoubleQuotedScalarString("1")},
]


@pytest.mark.parametrize("style", STYLES, ids=["flush", "indented"])
@pytest.mark.parametrize("value", ADDED, ids=lambda v: type(v).__name__)
def test_values_the_filters_add_are_written_not_declined(value, style):
    written = write_block(value, style.sequence_indent, resolves_to_str_for(style))
    assert written == ruamel_dump(value, style)


@pytest.mark.parametrize("value", [
    {"key": "multi\nline"}, {"key": None}, {"key": 1.5}, {"key": {}}, {"key": []}, [["a"]],
    {"key": "true"}, {"key": "2024-01-01"}, {"key": LiteralScalarString("a\n")}, "scalar",
    {"k" * 128: "long key"}, {"key": "ünïcode"},
])
def test_what_ruamel_would_quote_or_fold_is_declined(value):
    assert write_block(value, 0, resolves_to_str_for(STYLES[0])) is None
