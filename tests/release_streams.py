"""Generated release streams (hypothesis strategies) for the property and fuzz tests.

A stream is a list of documents, each kept as the exact bytes it was written as, so that a
test can say which document came out how. It mixes the Ocean controller's Deployment in
many shapes (list styles, comments, init containers, existing, stale and duplicated proxy
entries, shared labels), its ConfigMap (proxy URL, the embedded auto-update Job), its CA
Secret, with ordinary documents and decoys: block scalars holding ``---``-looking text,
flow style, quoted keys, empty documents, ``...`` end markers, a last document without a
newline, CRLF documents, a UTF-8 BOM, and documents that mention the controller without
being it.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from post_renderer.render.release.settings import UserSettings, read_settings

CONTROLLER = "ocean-kubernetes-controller"
LABEL = "app.kubernetes.io/name"
BOM = b"\xef\xbb\xbf"
PROXY_NAMES = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")

_PLAIN = re.compile(r"[A-Za-z$/][A-Za-z0-9._/$()=-]*(?::[A-Za-z0-9._/$()=-]+)*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


@dataclass
class Stream:
    """The documents of a stream as bytes, which of them are the release's targets, the
    settings to post-render it with, and the flags that say the same on a command line."""

    documents: list[bytes]
    targets: set[int]
    bom: bool
    settings: dict[str, Any]
    fullname: str
    workload: str = "Deployment"
    notes: list[str] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        return (BOM if self.bom else b"") + b"".join(self.documents)

    def user(self, ca_paths: dict[str, str]) -> UserSettings:
        return read_settings(self.flags_namespace(ca_paths), {},
                             warn=lambda text: None)  # flags only: no config file to warn of

    def flags_namespace(self, ca_paths: dict[str, str]) -> argparse.Namespace:
        s = self.settings
        return argparse.Namespace(
            config=None, proxy_url=s.get("proxy_url"),
            ca_file=[ca_paths[name] for name in s["ca_files"]] or None,
            no_proxy=s.get("no_proxy") or None, workload=None, auto_update=s.get("auto_update"))

    def flags(self, ca_paths: dict[str, str]) -> list[str]:
        s, args = self.settings, []
        if s.get("proxy_url"):
            args += ["--proxy-url", s["proxy_url"]]
        for name in s["ca_files"]:
            args += ["--ca-file", ca_paths[name]]
        for entry in s.get("no_proxy") or ():
            args += ["--no-proxy", entry]
        if s.get("auto_update"):
            args += ["--auto-update", s["auto_update"]]
        return args


# -- writing YAML by hand, in the styles charts use ------------------------------------------


def scalar(value: Any, style: str = "plain") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value == {}:
        return "{}"
    if value == []:
        return "[]"
    text = str(value)
    plain_ok = _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS
    if style == "plain" and plain_ok:
        return text
    if style == "single" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)


def mapping_lines(mapping: dict, indent: int, seq: int, styles: list[str]) -> list[str]:
    lines = []
    for key, value in mapping.items():
        pad = " " * indent
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key}:")
            lines += mapping_lines(value, indent + 2, seq, styles)
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{key}:")
            lines += sequence_lines(value, indent + seq, seq, styles)
        elif isinstance(value, Block):
            indicator = value.indicator
            first = next((line for line in value.text.split("\n") if line.strip()), "")
            if first[:1] in (" ", "\t"):  # say the indentation: the text starts indented
                indicator = indicator[0] + "2" + indicator[1:]
            lines.append(f"{pad}{key}: {indicator}")
            lines += [f"{pad}  {line}" if line else "" for line in value.text.split("\n")]
        else:
            style = styles[len(lines) % len(styles)] if styles else "plain"
            lines.append(f"{pad}{key}: {scalar(value, style)}")
    return lines


def sequence_lines(items: list, indent: int, seq: int, styles: list[str]) -> list[str]:
    lines = []
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            inner = mapping_lines(item, indent + 2, seq, styles)
            inner[0] = f"{pad}- {inner[0].lstrip()}"
            lines += inner
        else:
            lines.append(f"{pad}- {scalar(item)}")
    return lines


@dataclass
class Block:
    """A block scalar: ``|`` or ``>`` with its chomping, and its text."""

    text: str
    indicator: str = "|"


# A block scalar's header ends its line: '|', '>-', '|2', '|+2', '>2-' ... (YAML 1.2, 8.1.1)
BLOCK_HEADER = re.compile(r"(?:^|[:\-]\s)[|>](?:[1-9][-+]?|[-+][1-9]?)?\s*$")


def with_comments(draw, lines: list[str]) -> list[str]:
    """Full-line comments between lines, at the next line's indentation or at column 0, and
    comments after plain values; never inside a block scalar."""
    out, in_block, block_indent = [], False, 0
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if in_block and (not line or indent > block_indent):
            out.append(line)
            continue
        in_block = BLOCK_HEADER.search(line) is not None
        block_indent = indent
        if draw(st.integers(0, 9)) == 0:
            column = draw(st.sampled_from([0, indent]))
            out.append(" " * column + draw(COMMENTS))
        if not in_block and ": " in line and draw(st.integers(0, 11)) == 0:
            line += "  " + draw(COMMENTS)
        out.append(line)
    return out


COMMENTS = st.sampled_from([
    "# note", "#", "# ---", "# ...", "# name: ocean-kubernetes-controller", "# kind: Secret",
    "# Roll the pods when their configuration changes.", "# ü ñ 中文 ✓",
])
WORDS = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
                max_size=24)
NAMES = st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
BLOCK_LINES = st.lists(st.sampled_from([
    "---", "--- not a marker", "...", "... still text", "# not a comment", "- item",
    "key: value", "", "  indented", "name: ocean-kubernetes-controller",
    "app.kubernetes.io/name: ocean-kubernetes-controller", "kind: Deployment", "\ttab",
]) | WORDS.filter(lambda w: w.strip() == w and w), min_size=1, max_size=6)


# -- documents -------------------------------------------------------------------------------


def document(draw, body: list[str], *, marker: bool = True) -> bytes:
    """A document's text: its '---' line, the body, maybe a '...' end, maybe CRLF."""
    head = draw(st.sampled_from(["---", "---", "--- ", "--- # doc"])) + "\n" if marker else ""
    text = head + "\n".join(body) + "\n"
    if draw(st.integers(0, 7)) == 0:
        text += "...\n" + draw(st.sampled_from(["", "# after the end\n"]))
    if draw(st.integers(0, 5)) == 0:
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8")


@st.composite
def ordinary_documents(draw, index: int) -> bytes:
    kind = draw(st.sampled_from(["ConfigMap", "Service", "Secret", "ServiceAccount",
                                 "Deployment", "Empty", "Comments", "Decoy", "Flow"]))
    seq = draw(st.sampled_from([0, 2]))
    styles = draw(st.lists(st.sampled_from(["plain", "double", "single"]), min_size=1,
                           max_size=3))
    name = f"doc{index}-{draw(NAMES)}"
    if kind == "Empty":
        return b"---\n" if draw(st.booleans()) else document(draw, [])
    if kind == "Comments":
        return document(draw, [draw(COMMENTS) for _ in range(draw(st.integers(1, 3)))])
    metadata: dict[str, Any] = {"name": name, "labels": {LABEL: name}}
    if draw(st.booleans()):
        metadata["annotations"] = {"note": draw(WORDS)}
    body: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": metadata}
    if kind == "Flow":  # JSON is YAML too: one line, flow style
        body.update(kind="ConfigMap", data={"words": draw(WORDS), "n": draw(st.integers())})
        return document(draw, [json.dumps(body, ensure_ascii=False)])
    if kind in ("ConfigMap", "Decoy"):
        body["kind"] = "ConfigMap"
        body["data"] = {f"k{i}": draw(WORDS) for i in range(draw(st.integers(0, 3)))}
        body["data"]["file.conf"] = Block("\n".join(draw(BLOCK_LINES)),
                                          draw(st.sampled_from(["|", "|-", "|+", ">"])))
        if kind == "Decoy":
            body["data"]["pod.yaml"] = Block(
                f"containers:\n- name: {CONTROLLER}\n  labels:\n    {LABEL}: {CONTROLLER}")
    elif kind == "Service":
        body["spec"] = {"ports": [{"port": draw(st.integers(1, 65535)), "name": "http"}],
                        "selector": {LABEL: name}}
    elif kind == "Secret":
        body["data"] = {"token": base64.b64encode(draw(WORDS).encode()).decode()}
    elif kind == "Deployment":
        body["apiVersion"] = "apps/v1"
        body["spec"] = {"template": {
            "metadata": {"labels": {LABEL: "metrics-server"},
                         "annotations": {"name": CONTROLLER}},
            "spec": {"containers": [{"name": "metrics-server", "image": "metrics:1",
                                     "args": [draw(WORDS)]}]}}}
    lines = mapping_lines(body, 0, seq, styles)
    if draw(st.booleans()):
        lines = with_comments(draw, lines)
    return document(draw, lines)


def env_entries(draw, fullname: str, *, zero_config_proxy: bool, chart_ca: bool) -> list[dict]:
    pool = [
        {"name": "SPOTINST_TOKEN", "valueFrom": {"secretKeyRef": {"name": fullname,
                                                                  "key": "token"}}},
        {"name": "NO_PROXY", "value": "$(KUBERNETES_SERVICE_HOST)"},
        {"name": "HTTP_PROXY", "value": "http://old.proxy:1"},
        {"name": "SSL_CERT_DIR", "value": "/etc/custom/certs"},
        {"name": "LOG_LEVEL", "value": draw(st.sampled_from(["info", "debug", "on", "1.0"]))},
    ]
    entries = draw(st.lists(st.sampled_from(pool), max_size=6, unique_by=lambda e: e["name"]))
    entries.insert(draw(st.integers(0, len(entries))), {  # as the chart: the ConfigMap is used
        "name": "SPOTINST_CLUSTER_IDENTIFIER", "valueFrom": {"configMapKeyRef": {
            "name": fullname, "key": "spotinst.cluster-identifier"}}})
    if zero_config_proxy:
        entries.insert(draw(st.integers(0, len(entries))), {
            "name": "HTTPS_PROXY", "valueFrom": {"configMapKeyRef": {
                "name": fullname, "key": "proxy-url", "optional": True}}})
    if chart_ca:
        entries.append({"name": "USER_ENV_CERTIFICATES", "valueFrom": {"secretKeyRef": {
            "name": f"{fullname}-ca-bundle", "key": "userEnvCertificates.pem",
            "optional": True}}})
    for entry in draw(st.lists(st.sampled_from([e for e in entries if e["name"] in (
            "NO_PROXY", "HTTP_PROXY", "SSL_CERT_DIR")] or [{}]), max_size=2)):
        if entry:  # a managed entry written twice: the duplicate must go
            entries.append(dict(entry))
    return entries


def controller_deployment(draw, fullname: str, *, zero_config_proxy: bool,
                          chart_ca: bool) -> bytes:
    by_label = draw(st.booleans())
    controller: dict[str, Any] = {
        "name": "manager" if by_label and draw(st.booleans()) else CONTROLLER,
        "image": "spotinst/ocean-kubernetes-controller:2.0.70"}
    entries = env_entries(draw, fullname, zero_config_proxy=zero_config_proxy,
                          chart_ca=chart_ca)
    if entries or draw(st.booleans()):
        controller["env"] = entries
    if draw(st.booleans()):
        controller["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
    containers = [controller]
    if draw(st.booleans()):
        shipper: dict[str, Any] = {"name": "log-shipper", "image": "fluent/fluent-bit:3.2"}
        if draw(st.booleans()):
            shipper["env"] = [{"name": "SPOTINST_ACCOUNT", "value": "act-1"}]
        containers.append(shipper)
    pod_spec: dict[str, Any] = {"serviceAccountName": fullname, "containers": containers}
    if draw(st.booleans()):
        pod_spec["initContainers"] = [{"name": "init", "image": "busybox:1",
                                       "command": ["sh", "-c", "true"]}]
    if draw(st.booleans()):
        pod_spec["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    template_metadata: dict[str, Any] = {"labels": {LABEL: CONTROLLER if by_label else "x"}}
    if draw(st.booleans()):
        template_metadata["annotations"] = {"checksum/config": "abc123"}
    body = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": fullname, "namespace": "spot-system",
                         "labels": {LABEL: CONTROLLER}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {LABEL: CONTROLLER}},
                     "template": {"metadata": template_metadata, "spec": pod_spec}}}
    seq = draw(st.sampled_from([0, 2]))
    styles = draw(st.lists(st.sampled_from(["plain", "double", "single"]), min_size=1,
                           max_size=3))
    lines = mapping_lines(body, 0, seq, styles)
    if draw(st.booleans()):
        lines = with_comments(draw, lines)
    return document(draw, lines)


AUTO_UPDATE_JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: {fullname}-auto-update
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: auto-update
          image: spotinst/ocean-kubernetes-controller-auto-update:1.4.2
          args:
            - |
              helm repo add spot https://charts.spot.io
              helm upgrade {fullname} spot/ocean-kubernetes-controller
"""


def controller_configmap(draw, fullname: str, proxy_url: str | None, job: bool) -> bytes:
    data: dict[str, Any] = {"spotinst.cluster-identifier": "cluster-1"}
    if proxy_url:
        data["proxy-url"] = proxy_url
    if job:
        data["auto-update.job"] = Block(AUTO_UPDATE_JOB.format(fullname=fullname).rstrip("\n"))
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": fullname, "namespace": "spot-system"}, "data": data}
    return document(draw, mapping_lines(body, 0, 0, ["plain"]))


def secret(draw, name: str, data: dict[str, bytes]) -> bytes:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "type": "Opaque", "data": {k: base64.b64encode(v).decode() for k, v in data.items()}}
    return document(draw, mapping_lines(body, 0, 0, ["plain"]))


PROXIES = ["http://proxy.corp:3128", "http://ocean:s3cret@proxy.corp:3128",
           "https://proxy.corp.example:8443"]


def has_content(text: bytes) -> bool:
    """Whether a first document without '---' still reads as one: no YAML reader accepts a
    stream whose first line of content is the '...' end marker."""
    for line in text.replace(b"\r\n", b"\n").split(b"\n"):
        if line.strip() and not line.lstrip().startswith(b"#"):
            return not line.startswith(b"...")
    return False


@st.composite
def release_streams(draw, ca_pems: dict[str, bytes], *, with_controller: bool = True):
    """A whole stream; ``ca_pems`` names the CA files the settings may use."""
    fullname = f"{draw(st.sampled_from(['oc', 'ocean-controller', 'prod-1']))}-{CONTROLLER}"
    chart_proxy = draw(st.sampled_from([None, *PROXIES]))
    chart_ca = draw(st.sampled_from([None, *sorted(ca_pems)]))
    settings = {
        "proxy_url": draw(st.sampled_from([None, None, *PROXIES])),
        "ca_files": draw(st.lists(st.sampled_from(sorted(ca_pems)), max_size=2, unique=True)),
        "no_proxy": draw(st.lists(st.sampled_from([".corp.example", "10.0.0.0/8", "Db.Corp"]),
                                  max_size=2)),
        "auto_update": draw(st.sampled_from([None, "inject", "keep"])),
    }
    count = draw(st.integers(0, 8))
    documents = [draw(ordinary_documents(i)) for i in range(count)]
    targets: list[bytes] = []
    if with_controller:
        targets.append(controller_deployment(draw, fullname, zero_config_proxy=draw(st.booleans()),
                                             chart_ca=chart_ca is not None))
        targets.append(controller_configmap(draw, fullname, chart_proxy, draw(st.booleans())))
        targets.append(secret(draw, fullname, {"token": b"T0KEN"}))
        if chart_ca is not None:
            targets.append(secret(draw, f"{fullname}-ca-bundle",
                                  {"userEnvCertificates.pem": ca_pems[chart_ca]}))
    positions = []
    for target in targets:
        position = draw(st.integers(0, len(documents)))
        documents.insert(position, target)
        positions = [p + (p >= position) for p in positions] + [position]
    if documents and draw(st.integers(0, 4)) == 0:  # the first document without '---'
        first = documents[0]
        if first.startswith(b"---\n") and has_content(first[4:]):
            documents[0] = first[4:]
    if documents and draw(st.integers(0, 4)) == 0:  # the last one without a final newline
        documents[-1] = documents[-1].rstrip(b"\r\n") or documents[-1]
    if not documents:
        documents = [b"---\n"]
    return Stream(documents, set(positions), draw(st.integers(0, 5)) == 0, settings, fullname)
