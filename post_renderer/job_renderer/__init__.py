"""The auto-update Job's own post-renderer: data files that ship in the wheel and go into the
kept Secret ``<fullname>-ocean-proxy-values``, which the Job mounts at ``MOUNT``.

The image that runs the Job has bash and helm, no Python, so ocean-proxy's edit of the next
Job is made there by ``helm template`` of a small chart (``job/``) and spliced in by a bash
wrapper (``plugins/ocean-proxy-job-renderer/ocean-proxy-job-renderer``, whose
``plugin.yaml`` makes it a Helm 4 postrenderer/v1 plugin); ``prepare.sh`` is the step the
Job's script sources before its ``helm upgrade``. The files lie here as in the volume. See
README, "What about the chart's auto-update?".

    >>> [item.path for item in ITEMS][:2]
    ['prepare.sh', 'job/Chart.yaml']
"""

import base64
import json
import os
from typing import Any, NamedTuple

MOUNT = "/etc/ocean-proxy/overlay"
PLUGIN = "ocean-proxy-job-renderer"


class Item(NamedTuple):
    """One file of the Secret volume: its Secret key, its path in the volume, its mode."""

    key: str
    path: str
    mode: int | None = None


ITEMS = (
    Item("prepare.sh", "prepare.sh"),
    Item("job-Chart.yaml", "job/Chart.yaml"),
    Item("job-values.yaml", "job/values.yaml"),
    Item("job-edit.yaml", "job/templates/edit.yaml"),
    Item("job-lines.tpl", "job/templates/_lines.tpl"),
    Item("job-agents.tpl", "job/templates/_agents.tpl"),
    Item("plugin.yaml", f"plugins/{PLUGIN}/plugin.yaml"),
    Item(PLUGIN, f"plugins/{PLUGIN}/{PLUGIN}", 0o555),
)
# the package's files lie as the volume does; job/values.yaml is written per release
_SOURCES = {item.key: item.path for item in ITEMS if item.key != "job-values.yaml"}
# in the Secret only for a release with agents to edit (what helm and the cluster keep is a
# fifth less without), in every Job's volume items: the volume is optional, so the kubelet
# skips a key the Secret lacks, and a Job created before the agents came still finds it
AGENTS_TEMPLATE = "job-agents.tpl"
_HERE = os.path.dirname(__file__)


def job_values(edit: dict[str, Any], strict: bool,
               agents: tuple[dict[str, Any], ...] = ()) -> str:
    """The job chart's values.yaml: ``strict`` on the first line, where the wrapper reads it
    without helm, then the Job's edit and each agent's (JSON is YAML)."""
    return (f"strict: {'true' if strict else 'false'}\n"
            f"edit: {json.dumps(edit, sort_keys=True)}\n"
            f"agents: {json.dumps(sorted(agents, key=_kind_name), sort_keys=True)}\n")


def _kind_name(agent: dict[str, Any]) -> tuple[str, str]:
    """Helm 4 hands a post-renderer the documents in its own order: one order for both."""
    return str(agent.get("kind")), str(agent.get("name"))


def files(edit: dict[str, Any], strict: bool,
          agents: tuple[dict[str, Any], ...] = ()) -> dict[str, bytes]:
    """Secret key -> content, for every item."""
    # beside this module, as pip installs package data (importlib.resources would cost a
    # twentieth of a render in imports for the same read)
    out = {}
    for key, source in _SOURCES.items():
        if key == AGENTS_TEMPLATE and not agents:
            continue
        with open(os.path.join(_HERE, *source.split("/")), "rb") as handle:
            out[key] = handle.read()
    out["job-values.yaml"] = job_values(edit, strict, agents).encode("utf-8")
    return out


def secret_data(edit: dict[str, Any], strict: bool,
                agents: tuple[dict[str, Any], ...] = ()) -> dict[str, str]:
    return {key: base64.b64encode(content).decode("ascii")
            for key, content in files(edit, strict, agents).items()}


def volume_items() -> list[dict[str, Any]]:
    return [{"key": item.key, "path": item.path, **({"mode": item.mode} if item.mode else {})}
            for item in ITEMS]
