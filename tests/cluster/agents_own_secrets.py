"""The layout of a release post-rendered before the Spot agents the controller chart renders
read the controller's Secrets: each agent had a proxy Secret and a CA Secret of its own,
``<agent>-ocean-proxy`` (kept by helm, the password in it) and ``<agent>-ocean-proxy-ca``
(kept, but for the network client's), copies of the controller's.

Run as a helm 3 post-renderer after ``ocean-proxy-post-renderer`` (``layout_script``): it
turns that output into the earlier layout, so that a test can install it and upgrade from it.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

KEEP = {"helm.sh/resource-policy": "keep"}
AGENT_NAMES = {"ocean-metric-exporter", "ocean-network-client"}  # their pods' name label


def layout_script(directory: Path) -> Path:
    """A helm 3 post-renderer (any executable) giving that earlier layout."""
    script = directory / "earlier-ocean-proxy"
    script.write_text("#!/bin/bash\nset -o pipefail\n"
                      f"ocean-proxy-post-renderer \"$@\" | {sys.executable} {Path(__file__)}\n")
    script.chmod(0o755)
    return script


def earlier_layout(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ours = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"
            and d["metadata"]["name"].endswith(("-ocean-proxy", "-ocean-proxy-ca"))}
    added = []
    for doc in docs:
        labels = doc["spec"]["template"]["metadata"].get("labels") or {} \
            if doc["kind"] in ("Deployment", "DaemonSet") else {}
        if labels.get("app.kubernetes.io/name") not in AGENT_NAMES:
            continue
        template = json.dumps(doc["spec"]["template"])
        for name, secret in ours.items():
            own = doc["metadata"]["name"] + name[name.index("-ocean-proxy"):]
            if f'"{name}"' not in template or own in ours:  # the earlier layout already
                continue
            template = template.replace(f'"{name}"', f'"{own}"')
            copied = copy.deepcopy(secret)
            copied["metadata"]["name"] = own
            copied["metadata"]["labels"] = doc["metadata"].get("labels") or {}
            kept = doc["kind"] == "Deployment" or not own.endswith("-ca")
            copied["metadata"]["annotations"] = KEEP if kept else {}
            added.append(copied)
        doc["spec"]["template"] = json.loads(template)
    return docs + added


if __name__ == "__main__":
    documents = [d for d in yaml.safe_load_all(sys.stdin) if d]
    yaml.safe_dump_all(earlier_layout(documents), sys.stdout, sort_keys=False)
