"""render's run(): manifests, --plan JSON or --explain lines, and the messages, as an Outcome."""

from __future__ import annotations

import argparse
import json

import pytest

from post_renderer.commands import DETAIL, NOTICE, WARNING, Outcome
from post_renderer.commands.render import read_manifests, run
from post_renderer.errors import ManifestError, UsageError

from ..chart_manifests import FULLNAME, configmap, controller, release, service


def args(filename: str, **given) -> argparse.Namespace:
    defaults = dict(config=None, proxy_url=None, ca_file=None, no_proxy=None, workload=None,
                    auto_update=None, explain=False, plan=False, strict=False, no_cache=True)
    return argparse.Namespace(filename=filename, **{**defaults, **given})


@pytest.fixture
def manifests(tmp_path, monkeypatch):
    for name in ("OCEAN_PROXY_URL", "OCEAN_PROXY_CA_FILE", "OCEAN_PROXY_NO_PROXY",
                 "OCEAN_PROXY_AUTO_UPDATE", "OCEAN_PROXY_CONFIG", "OCEAN_PROXY_STRICT"):
        monkeypatch.delenv(name, raising=False)

    def write(data: bytes) -> str:
        path = tmp_path / "manifests.yaml"
        path.write_bytes(data)
        return str(path)
    return write


def test_the_manifests_are_the_output_and_the_summary_a_notice(manifests):
    data = release(controller(), configmap(proxy_url="http://proxy.corp:3128"))
    said = run(args(manifests(data)), Outcome())
    out = b"".join(bytes(p) for p in said.output)
    assert out != data and b"HTTP_PROXY" in out
    notices = [m.text for m in said.messages if m.level == NOTICE]
    assert any(n.startswith("injected proxy http://proxy.corp:3128") for n in notices)
    assert any(m.level == WARNING for m in said.messages)  # auto-update


def test_pass_through_output_is_the_input(manifests):
    data = release(service())
    said = run(args(manifests(data)), Outcome())
    assert b"".join(bytes(p) for p in said.output) == data


def test_plan_prints_json_instead_of_the_manifests(manifests):
    data = release(controller(), configmap())
    said = run(args(manifests(data), proxy_url="http://proxy.corp:3128", plan=True), Outcome())
    plan = json.loads(b"".join(said.output))
    assert {d["kind"] for d in plan["documents"]} == {"Deployment", "ConfigMap", "Secret"}
    # the controller reads its proxy from the ConfigMap: the full URL is also added in
    # Secret '<configmap>-ocean-proxy' for the metric exporter of another release
    [secret] = [d for d in plan["documents"] if d["kind"] == "Secret"]
    assert secret["document"] is None and secret["name"] == f"{FULLNAME}-ocean-proxy"
    assert b"proxy.corp" not in json.dumps(secret).encode()  # the plan shows no Secret data
    assert json.loads(b"".join(run(args(manifests(release(service())), plan=True),
                                   Outcome()).output)) == {"documents": []}


def test_explain_adds_detail_lines_and_keeps_the_manifests(manifests):
    data = release(controller(), configmap())
    said = run(args(manifests(data), proxy_url="http://proxy.corp:3128", explain=True),
               Outcome())
    assert b"kind: Deployment" in b"".join(bytes(p) for p in said.output)
    assert any(m.level == DETAIL and "HTTPS_PROXY" in m.text for m in said.messages)


def test_explain_and_plan_together_are_a_usage_error(manifests):
    with pytest.raises(UsageError):
        run(args(manifests(b"x"), explain=True, plan=True), Outcome())


def test_empty_input_and_a_missing_file_are_told_apart(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"\n  \n")
    with pytest.raises(ManifestError, match="no manifests on"):
        read_manifests(str(empty))
    with pytest.raises(ManifestError, match=r"cannot read .*missing\.yaml"):
        read_manifests(str(tmp_path / "missing.yaml"))


def test_a_filename_with_a_space_around_it_is_named_quoted_and_told_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_bytes(b"kind: x\n")
    with pytest.raises(ManifestError) as caught:
        read_manifests("m.yaml ")
    assert caught.value.message == "cannot read 'm.yaml ' (No such file or directory)"
    assert "starts or ends with a space" in (caught.value.hint or "")


def test_an_empty_filename_is_refused_as_given_empty_not_as_a_file_without_a_name():
    """'-f "$MANIFESTS"' with MANIFESTS unset said "cannot read (No such file or
    directory)", naming no file; every other flag given empty is said to be so."""
    with pytest.raises(UsageError) as caught:
        read_manifests("")
    assert caught.value.message == "--filename is given but empty"
    assert "is the variable it comes from set?" in (caught.value.hint or "")


def test_a_manifests_file_one_byte_over_the_limit_is_refused_not_cut_short(tmp_path,
                                                                            monkeypatch):
    """Read as the limit and one byte more: a file past the limit is refused whole, never
    post-rendered as its first part (its last documents silently dropped from the release)."""
    monkeypatch.setattr("post_renderer.commands.render.MAX_INPUT_BYTES", 64)
    path = tmp_path / "manifests.yaml"
    path.write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n".ljust(64))
    assert read_manifests(str(path)) == path.read_bytes()  # at the limit: read whole
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(ManifestError) as caught:
        read_manifests(str(path))
    assert caught.value.message == f"{path} is larger than 64 bytes"
