"""Properties of the post-renderer over generated release streams (hypothesis).

The streams (``release_streams.py``) mix the controller's documents, in many shapes, with
ordinary documents and decoys in every way a stream can be written. Whatever the stream
and the settings:

- every document the plan does not name comes out byte for byte, and the plan names only
  the release's own documents (the controller's Deployment, ConfigMap and Secrets);
- the output parses to the input's objects with exactly the planned RFC 6902 changes
  applied, plus the planned new documents;
- every container of the controller, and of the auto-update Job it embeds, has each variable
  the post-renderer writes (proxy, SSL_CERT_DIR) exactly once, whatever duplicates the chart
  had, and no two mounts at one path, nor the pod two volumes of one name;
- post-rendering the output again changes nothing, and the same input always gives the same
  bytes, in this process and in fresh ones with other hash seeds.

The core (``post_render``) runs in-process for speed; the determinism check runs the CLI.
"""

from __future__ import annotations

import re

import jsonpatch
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from post_renderer.render.pipeline import post_render
from post_renderer.render.release.workloads import is_fluent_bit
from post_renderer.render.stream.kube import POD_SPEC_PATHS

from . import certs
from .conftest import clean_env, ocean_proxy
from .release_streams import PROXY_NAMES, Stream, release_streams

PROXY_URL_NAMES = {"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"}

NOW = certs.NOW
_MARKER = re.compile(rb"^---(?=[ \t\r\n]|\Z)", re.MULTILINE)
SETTINGS = settings(max_examples=150, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def ca_files(tmp_path_factory):
    """Two corporate roots, as files (for the settings) and as PEM (for chart Secrets)."""
    folder = tmp_path_factory.mktemp("cas")
    pems = {"corp-a": certs.root("Corp A Root CA").pem, "corp-b": certs.root("Corp B Root").pem}
    paths = {}
    for name, pem in pems.items():
        (folder / f"{name}.pem").write_bytes(pem)
        paths[name] = str(folder / f"{name}.pem")
    return pems, paths


def split(data: bytes) -> list[bytes]:
    """Documents as the YAML spec cuts them: before every '---' at the start of a line."""
    starts = sorted({0} | {m.start() for m in _MARKER.finditer(data)})
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


def load(document: bytes) -> list:
    return list(YAML(typ="safe", pure=True).load_all(document))


def render(stream: Stream, ca_paths: dict[str, str], data: bytes | None = None):
    result = post_render(stream.data if data is None else data, stream.user(ca_paths), NOW)
    return result, b"".join(bytes(part) for part in result.parts)


def input_documents(stream: Stream) -> list[bytes]:
    documents = list(stream.documents)
    if stream.bom:
        documents[0] = b"\xef\xbb\xbf" + documents[0]
    return documents


def pod_specs(document: dict) -> list[dict]:
    """The pod spec of a workload, and of the auto-update Job its ConfigMap embeds."""
    specs = []
    path = POD_SPEC_PATHS.get(document.get("kind"))
    if path:
        node = document
        for key in path:
            node = node.get(key) or {}
        specs.append(node)
    job = (document.get("data") or {}).get("auto-update.job")
    if document.get("kind") == "ConfigMap" and isinstance(job, str):
        specs += pod_specs(YAML(typ="safe", pure=True).load(job))
    return specs


@given(data=st.data())
@SETTINGS
@pytest.mark.timeout(600)
def test_only_planned_documents_change_and_exactly_as_planned(ca_files, data):
    pems, paths = ca_files
    stream = data.draw(release_streams(pems))
    result, output = render(stream, paths)
    before = input_documents(stream)
    after = split(output)
    planned = result.plan.ordered() if result.plan is not None else []
    changed = {d.resource.chunk.index: d for d in planned if not d.new}
    added = [d for d in planned if d.new]
    assert set(changed) <= stream.targets, "the plan names a document that is not the release's"
    assert len(after) == len(before) + len(added)
    if added and not before[-1].endswith(b"\n"):
        # a line break after that last document could change its last value: ours went in
        # before it, and it stays last, as it was
        assert len(before) > 1  # every release stream has a document besides the controller
        after = [*after[:len(before) - 1], after[-1], *after[len(before) - 1:-1]]
    for index, original in enumerate(before):
        if index in changed:
            ops = [change.op for change in changed[index].changes]
            expected = [jsonpatch.apply_patch(doc, ops) for doc in load(original)]
            assert load(after[index]) == expected, index
        else:
            assert after[index] == original, index
    for document, piece in zip(added, after[len(before):], strict=True):
        assert load(piece) == [document.changes[0].op["value"]]


@given(data=st.data())
@SETTINGS
@pytest.mark.timeout(600)
def test_post_rendering_the_output_again_changes_nothing(ca_files, data):
    pems, paths = ca_files
    stream = data.draw(release_streams(pems))
    _, once = render(stream, paths)
    result, twice = render(stream, paths, once)
    assert twice == once
    assert not result.changed


@given(data=st.data())
@SETTINGS
@pytest.mark.timeout(600)
def test_every_controller_container_gets_each_variable_it_writes_once(ca_files, data):
    pems, paths = ca_files
    stream = data.draw(release_streams(pems))
    result, output = render(stream, paths)
    if not result.changed:
        return  # passed through byte for byte, duplicates the chart wrote included
    injection = result.injection
    written = {*(PROXY_NAMES if injection.proxy else ()),
               *(("SSL_CERT_DIR",) if injection.trust else ())}
    for document in YAML(typ="safe", pure=True).load_all(output):
        if not isinstance(document, dict) or document["metadata"]["name"] != stream.fullname:
            continue
        if document["kind"] == "ConfigMap" and stream.settings["auto_update"] == "keep":
            continue  # the embedded Job is left as the chart rendered it
        for pod in pod_specs(document):
            assert not repeated(v["name"] for v in pod.get("volumes") or ())
            for container in [*(pod.get("initContainers") or ()), *pod["containers"]]:
                names = [e["name"] for e in container.get("env") or ()]
                expected = written
                if is_fluent_bit(container) and injection.proxy and \
                        injection.proxy.value.scheme != "http":
                    expected = written - PROXY_URL_NAMES  # fluent-bit takes only http:// proxies
                assert expected <= set(names), container["name"]
                assert not repeated(names) & written, names
                assert not repeated(m["mountPath"] for m in container.get("volumeMounts") or ())


def repeated(items) -> set:
    items = list(items)
    return {item for item in items if items.count(item) > 1}


@given(data=st.data())
@SETTINGS
@pytest.mark.timeout(600)
def test_same_input_same_output(ca_files, data):
    pems, paths = ca_files
    stream = data.draw(release_streams(pems))
    assert render(stream, paths)[1] == render(stream, paths)[1]


@given(data=st.data())
@settings(max_examples=6, deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@pytest.mark.timeout(600)
def test_same_input_same_output_across_processes_and_hash_seeds(ca_files, data):
    pems, paths = ca_files
    stream = data.draw(release_streams(pems))
    outputs = set()
    for seed in ("0", "1", "4242"):
        run = ocean_proxy("render", *stream.flags(paths), stdin=stream.data,
                          env=clean_env(PYTHONHASHSEED=seed))
        assert run.returncode == 0, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1
