"""Every YAML spelling of the controller that Kubernetes accepts is recognised: JSON on one
line or pretty-printed, quoted keys, flow style; the documents around it stay byte for byte."""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from .cli_outcomes import run_main

FULLNAME = "oc-ocean-kubernetes-controller"
PROXY = "http://proxy.corp:3128"

OTHER = b"""---
# Source: chart/templates/other.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: "keep-me"   # comment and quoting stay
"""


def controller() -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": FULLNAME, "namespace": "spot-system"},
        "spec": {"template": {
            "metadata": {"labels": {"app.kubernetes.io/name": "ocean-kubernetes-controller"}},
            "spec": {"containers": [{
                "name": "ocean-kubernetes-controller",
                "image": "spotinst/ocean-kubernetes-controller:2",
                "env": [{"name": "HTTPS_PROXY", "valueFrom": {"configMapKeyRef": {
                    "name": FULLNAME, "key": "proxy-url", "optional": True}}}],
            }]},
        }},
    }


def configmap() -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": FULLNAME, "namespace": "spot-system"},
            "data": {"proxy-url": PROXY}}


def flow(value) -> str:
    """YAML flow style with plain (unquoted) scalars where YAML allows them."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if ":" in value else value


def quoted_keys(doc: dict, quote: str) -> str:
    lines = []

    def walk(value, indent: str, first_prefix: str | None = None) -> None:
        for position, (key, item) in enumerate(value.items()):
            prefix = first_prefix if position == 0 and first_prefix is not None else indent
            name = f"{quote}{key}{quote}"
            if isinstance(item, dict):
                lines.append(f"{prefix}{name}:")
                walk(item, indent + "  ")
            elif isinstance(item, list):
                lines.append(f"{prefix}{name}:")
                for entry in item:
                    walk(entry, indent + "  ", indent + "- ")
            else:
                shown = json.dumps(item) if quote == '"' else f"'{item}'"
                lines.append(f"{prefix}{name}: {shown if not isinstance(item, bool) else 'true'}")

    walk(doc, "")
    return "\n".join(lines) + "\n"


SPELLINGS = {
    "json-one-line": lambda doc: json.dumps(doc) + "\n",
    "json-pretty": lambda doc: json.dumps(doc, indent=2) + "\n",
    "json-pretty-4": lambda doc: json.dumps(doc, indent=4) + "\n",
    "double-quoted-keys": lambda doc: quoted_keys(doc, '"'),
    "single-quoted-keys": lambda doc: quoted_keys(doc, "'"),
    "flow-style": lambda doc: flow(doc) + "\n",
}


def stream(spelling: str, *, configmap_too: bool = False) -> bytes:
    write = SPELLINGS[spelling]
    cm = write(configmap()) if configmap_too else (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {FULLNAME}\n"
        f"  namespace: spot-system\ndata:\n  proxy-url: {PROXY}\n")
    return (OTHER + b"---\n" + cm.encode() + b"---\n" + write(controller()).encode())


def documents(data: bytes) -> list:
    return [d for d in YAML(typ="safe", pure=True).load_all(data) if d]


def env_names(data: bytes) -> set[str]:
    deployment = next(d for d in documents(data) if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {entry["name"] for entry in container["env"]}


@pytest.mark.parametrize("configmap_too", [False, True], ids=["deployment", "both"])
@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("mode", [[], ["--proxy-url", PROXY]], ids=["zero-config", "flags"])
def test_every_spelling_of_the_controller_is_injected(spelling, configmap_too, mode):
    data = stream(spelling, configmap_too=configmap_too)
    assert {d["kind"] for d in documents(data)} == {"ServiceAccount", "ConfigMap", "Deployment"}

    run = run_main(["render", *mode], stdin=data)

    assert run.returncode == 0, run.stderr
    assert "no Ocean controller" not in run.stderr
    assert {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"} <= env_names(run.stdout), run.stdout
    assert run.stdout.startswith(OTHER)  # untouched documents byte for byte
    if configmap_too and spelling.startswith("json"):
        assert SPELLINGS[spelling](configmap()).encode() in run.stdout
    again = run_main(["render", *mode], stdin=run.stdout)
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout  # a fixed point


def test_a_json_document_of_another_workload_is_left_alone_byte_for_byte():
    other = controller()
    other["metadata"]["name"] = "metrics-server"
    other["spec"]["template"]["metadata"]["labels"] = {"app": "metrics-server"}
    other["spec"]["template"]["spec"]["containers"][0]["name"] = "metrics-server"
    # its own image: the controller's image alone makes a workload the controller (agents.py)
    other["spec"]["template"]["spec"]["containers"][0]["image"] = \
        "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
    data = stream("json-pretty") + b"---\n" + json.dumps(other, indent=2).encode() + b"\n"
    run = run_main(["render"], stdin=data)
    assert run.returncode == 0, run.stderr
    # untouched, byte for byte (the Secrets ocean-proxy adds may follow it)
    assert b"---\n" + json.dumps(other, indent=2).encode() + b"\n" in run.stdout


def test_the_workload_flag_finds_a_json_workload():
    data = stream("json-one-line")
    run = run_main(["render", "--proxy-url", PROXY, "--workload", f"Deployment/{FULLNAME}"],
                   stdin=data)
    assert run.returncode == 0, run.stderr
    assert "HTTPS_PROXY" in env_names(run.stdout)
