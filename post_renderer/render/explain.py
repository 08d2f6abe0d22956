"""The plan in words: a one-line summary, ``--explain`` lines, and ``--plan`` JSON.

Secret data never appears: values under a Secret's ``data`` are shown as their size, and
proxy URLs only in their redacted form.
"""

from __future__ import annotations

import json

from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.plan import Plan
from post_renderer.render.plan.pod_patch import Change
from post_renderer.render.stream.kube import PatchOp, YamlNode

_WIDTH = 72


def summary(plan: Plan, injection: Injection) -> str:
    parts = []
    if injection.proxy is not None:
        parts.append(f"proxy {injection.proxy.value.redacted} (from {injection.proxy.source})")
    elif injection.proxy_from is not None:
        parts.append(f"the proxy of another release (from {injection.proxy_from})")
    if injection.trust is not None:
        count = len(injection.trust.certificates)
        parts.append(f"{count} CA certificate{'s' if count != 1 else ''} "
                     f"(from {injection.trust_source})")
    documents = plan.ordered()
    changed = sum(1 for d in documents if not d.new)
    added = sum(1 for d in documents if d.new)
    targets = ", ".join(d.resource.describe() for d in documents if not d.new)
    if not documents:
        return f"{' and '.join(parts)} already in place; nothing changed"
    listed = f" [{targets}]" if targets else ""
    return (f"injected {' and '.join(parts)}: changed {changed} document(s){listed}"
            f"{f', added {added}' if added else ''}")


def explain_lines(plan: Plan) -> list[str]:
    lines = []
    for document in plan.ordered():
        resource = document.resource
        lines.append(f"  {resource.describe()}:")
        secret = resource.kind == "Secret"
        for change in document.changes:
            lines.append(_line(change, secret))
            for inner in document.nested.get(change.op.get("path", ""), ()):
                lines.append("      in it: " + _line(inner, False).lstrip())
    return lines


def plan_json(plan: Plan) -> str:
    documents = []
    for document in plan.ordered():
        resource = document.resource
        secret = resource.kind == "Secret"
        documents.append({
            "document": None if resource.chunk is None else resource.chunk.index + 1,
            "kind": resource.kind,
            "name": resource.name,
            "patch": [_redact(change.op, secret) for change in document.changes],
            "reasons": [change.reason for change in document.changes],
        })
    return json.dumps({"documents": documents}, indent=2, default=str) + "\n"


def _line(change: Change, secret: bool) -> str:
    op = change.op
    path = op.get("path") or "(whole document)"
    value = _describe(_redact(op, secret).get("value")) if "value" in op else ""
    text = f"    {op['op']:<7} {path}"
    if value:
        text += f" = {value}"
    return f"{text}  # {change.reason}"


def _describe(value: YamlNode) -> str:
    if isinstance(value, dict) and "name" in value and ("value" in value or "valueFrom" in value):
        if "value" in value:
            return f"{value['name']}={_short(str(value['value']))}"
        ref: YamlNode = next(iter(value["valueFrom"].values()), {})
        return f"{value['name']} from {ref.get('name')}[{ref.get('key')}]"
    if isinstance(value, dict) and "mountPath" in value:
        return f"mount {value.get('name')} at {value['mountPath']}"
    if isinstance(value, str) and value:
        return _short(value.splitlines()[0] + (" ..." if "\n" in value else ""))
    return _short(json.dumps(value, default=str, sort_keys=False))


def _redact(op: PatchOp, secret: bool) -> PatchOp:
    if not secret or "value" not in op:
        return op
    path = op.get("path", "")
    value = op["value"]
    if path == "":
        value = {**value, "data": {k: _size(v) for k, v in (value.get("data") or {}).items()}}
    elif path.startswith(("/data", "/stringData")):
        value = {k: _size(v) for k, v in value.items()} if isinstance(value, dict) \
            else _size(value)
    return {**op, "value": value}


def _size(value: YamlNode) -> str:
    return f"<{len(str(value))} bytes of base64>"


def _short(text: str) -> str:
    return text if len(text) <= _WIDTH else text[:_WIDTH - 3] + "..."
