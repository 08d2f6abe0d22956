"""YAML 1.1 readers read the output too: helm and Kubernetes (go-yaml) and libyaml (PyYAML's C
loader) are YAML 1.1 parsers, ruamel.yaml is 1.2.

Every value ocean-proxy writes is read back as the very string it is by the reader helm and
kubectl use (``sigs.k8s.io/yaml``, built as ``yamltojson``) and by libyaml: go-yaml drops every
``_`` of a plain scalar before it tries Go's number syntax, so ``0_x1F`` is 31 there.

A controller written in JSON or in flow style is edited by ruamel.yaml's round-trip, which
keeps the flow style. A YAML 1.1 reader ends a plain scalar at a ':' inside ``{...}`` or
``[...]``, so ``{value: http://proxy.corp:3128}`` must come out quoted. Every output is loaded
with libyaml (``yaml.CSafeLoader``) and with ruamel.yaml, and both must read the same data.
"""

from __future__ import annotations

import itertools
import json
import random
import re

import pytest
import yaml
from ruamel.yaml import YAML

from post_renderer.render.stream.manifest import kubernetes_safe
from post_renderer.render.stream.writer import DocumentStyle, block_writer

from . import certs
from .chart_render import PROXY_FLAGS
from .conftest import clean_env, helm_template, post_renderer, run_command, tool

_MARKER = re.compile(rb"^---[ \t]*(?:#.*)?$", re.MULTILINE)
_TARGETS = (b"kind: Deployment", b"kind: ConfigMap")


def documents(data: bytes) -> list[bytes]:
    return [d for d in _MARKER.split(data) if d.strip()]


def restyled(rendered: bytes, style: str) -> bytes:
    """The render with the controller's Deployment and ConfigMap rewritten as JSON or as
    YAML flow style (comments, such as helm's '# Source:' line, kept)."""
    out = []
    for document in documents(rendered):
        if any(target in document for target in _TARGETS) and b"metrics-server" not in document:
            comments = b"".join(line + b"\n" for line in document.strip(b"\n").split(b"\n")
                                if line.startswith(b"#"))
            data = YAML(typ="safe").load(document)
            body = json.dumps(data) if style == "json" else \
                yaml.safe_dump(data, default_flow_style=True, width=1 << 20)
            document = comments + body.encode()
        out.append(b"---\n" + document.strip(b"\n") + b"\n")
    return b"".join(out)


def plain_scalars_with_a_colon_in_flow(data: bytes) -> list[str]:
    """Plain scalars holding ':' inside a flow collection, as libyaml's scanner sees them."""
    found, depth = [], 0
    for token in yaml.scan(data.decode(), Loader=yaml.CSafeLoader):
        if isinstance(token, (yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)):
            depth += 1
        elif isinstance(token, (yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)):
            depth -= 1
        elif isinstance(token, yaml.ScalarToken) and depth and token.plain and ":" in token.value:
            found.append(token.value)
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> bytes:
    return helm_template(tmp_path_factory.mktemp("helm-home"), *PROXY_FLAGS)


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("ca") / "corp-root.pem"
    path.write_bytes(certs.root("YAML 1.1 Corp Root CA").pem)
    return path


@pytest.mark.parametrize("style", ["json", "flow"])
def test_a_json_or_flow_controller_comes_out_readable_by_libyaml_and_ruamel(
        style, rendered, ca_file):
    source = restyled(rendered, style)
    assert plain_scalars_with_a_colon_in_flow(source) == []  # the input itself is 1.1-clean
    run = post_renderer("--ca-file", ca_file, "--proxy-url", "http://proxy.corp:3128",
                        stdin=source, env=clean_env())
    assert run.returncode == 0, run.stderr
    assert b"http://proxy.corp:3128" in run.stdout and b"/etc/ocean-proxy/ca" in run.stdout
    assert plain_scalars_with_a_colon_in_flow(run.stdout) == []
    by_libyaml = list(yaml.load_all(run.stdout, Loader=yaml.CSafeLoader))
    by_ruamel = list(YAML(typ="safe", pure=True).load_all(run.stdout))
    assert by_libyaml == by_ruamel
    controller = next(d for d in by_libyaml if d and d.get("kind") == "Deployment"
                      and "metrics" not in d["metadata"]["name"])
    env = {e["name"]: e.get("value") for c in controller["spec"]["template"]["spec"]["containers"]
           for e in c.get("env", [])}
    assert env["HTTPS_PROXY"] == "http://proxy.corp:3128"


def test_the_block_style_render_is_read_alike_by_libyaml_and_ruamel(rendered, ca_file):
    run = post_renderer("--ca-file", ca_file, "--proxy-url", "http://u:p%40ss@proxy.corp:3128",
                        stdin=rendered, env=clean_env())
    assert run.returncode == 0, run.stderr
    assert list(yaml.load_all(run.stdout, Loader=yaml.CSafeLoader)) == \
        list(YAML(typ="safe", pure=True).load_all(run.stdout))


def number_like_texts() -> list[str]:
    """Every text of up to four characters from the characters of numbers in any YAML or Go
    syntax, a fixed sample of longer ones, and times and the words of YAML 1.1."""
    short = "019_.xXoObBeE+-:"
    texts = {"".join(t) for n in range(1, 5) for t in itertools.product(short, repeat=n)}
    draw = random.Random(20261205)
    longer = "0123456789_.xXoObBeEaAfF+-:"
    for _ in range(5000):
        texts.add("".join(draw.choice(longer) for _ in range(draw.randint(5, 12))))
    texts |= {"2026-12-5", "2026-12-05T11:00:00Z", "2026-12-5 1:2:3", "1:20", "190:20:30.15",
              "y", "Yes", "off", "~", "null", "NULL", ".inf", "-.Inf", ".NaN", "0x1p-2", "1e400"}
    return sorted(texts)


def go_reads(documents: list[str]) -> list[object]:
    """Each YAML document as helm and kubectl read it (sigs.k8s.io/yaml), as JSON data."""
    run = run_command([tool("yamltojson")], stdin="\0".join(documents).encode())
    assert run.returncode == 0, run.stderr
    lines = run.text.splitlines()
    assert len(lines) == len(documents) and not any(line.startswith("error") for line in lines)
    return [json.loads(line) for line in lines]


def test_go_yaml_and_libyaml_read_every_value_written_as_the_text_it_is():
    write = block_writer(DocumentStyle())
    texts = number_like_texts()
    written = [write(kubernetes_safe({"v": text})) for text in texts]
    misread = [(text, yaml_text, by_go) for text, yaml_text, by_go
               in zip(texts, written, go_reads(written), strict=True) if by_go != {"v": text}]
    assert misread == []
    by_libyaml = [yaml.load(text, Loader=yaml.CSafeLoader)["v"] for text in written]
    assert [(t, r) for t, r in zip(texts, by_libyaml, strict=True) if t != r] == []


@pytest.mark.parametrize("style", ["block", "json", "flow"])
def test_go_yaml_reads_each_document_of_the_output_as_ruamel_does(style, rendered, ca_file):
    source = rendered if style == "block" else restyled(rendered, style)
    run = post_renderer("--ca-file", ca_file, "--proxy-url", "http://u:p%40ss@proxy.corp:3128",
                        stdin=source, env=clean_env())
    assert run.returncode == 0, run.stderr
    texts = [doc.decode() for doc in documents(run.stdout)]
    by_ruamel = [YAML(typ="safe", pure=True).load(text) for text in texts]
    assert go_reads(texts) == json.loads(json.dumps(by_ruamel))


# go-yaml reads a plain '=' or '<<' that is not a mapping key as the text it is, and helm
# writes such an env value or annotation plain; YAML 1.1's 'value' and 'merge' types, which
# ruamel.yaml and libyaml resolve them to, have no constructor outside a merge key.
GO_TEXTS = {"E_EQUALS": "=", "E_MERGE": "<<"}


@pytest.fixture(scope="module")
def rendered_with_go_texts(tmp_path_factory) -> bytes:
    flags = [flag for index, (name, text) in enumerate(GO_TEXTS.items())
             for flag in ("--set", f"extraEnv[{index}].name={name}",
                          "--set-string", f"extraEnv[{index}].value={text}",
                          "--set-string", f"podAnnotations.{name.lower()}={text}")]
    return helm_template(tmp_path_factory.mktemp("helm-home"), *PROXY_FLAGS, *flags)


def as_go_reads(rendered: bytes, style: str) -> bytes:
    """The render with every document as go-yaml reads it, written as JSON or flow YAML."""
    texts = [doc.decode() for doc in documents(rendered)]
    data = go_reads(texts)
    write = json.dumps if style == "json" else \
        lambda item: yaml.safe_dump(item, default_flow_style=True, width=1 << 20)
    return b"".join(b"---\n" + write(item).encode() + b"\n" for item in data)


@pytest.mark.parametrize("style", ["block", "json", "flow"])
def test_an_env_value_helm_writes_as_a_plain_equals_or_merge_sign_is_read_as_its_text(
        style, rendered_with_go_texts, ca_file):
    source = rendered_with_go_texts if style == "block" else \
        as_go_reads(rendered_with_go_texts, style)
    assert b"value: =\n" in rendered_with_go_texts  # helm's own writing, plain

    run = post_renderer("--ca-file", ca_file, stdin=source, env=clean_env())

    assert run.returncode == 0, run.stderr
    (controller,) = [doc for doc in go_reads([d.decode() for d in documents(run.stdout)])
                     if doc.get("kind") == "Deployment" and "metrics" not in
                     doc["metadata"]["name"]]
    pod = controller["spec"]["template"]
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert {name: env.get(name) for name in GO_TEXTS} == GO_TEXTS
    assert {name: pod["metadata"]["annotations"].get(name.lower()) for name in GO_TEXTS} == \
        GO_TEXTS
    assert "https_proxy" in env and "SSL_CERT_DIR" in env  # and it was injected
