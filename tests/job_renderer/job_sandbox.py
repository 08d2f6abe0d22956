"""Where the Job's post-renderer runs, and the releases it is run on: the Secret ocean-proxy
writes, mounted as the kubelet would, and the stream each helm really hands a post-renderer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from post_renderer.job_renderer import MOUNT, PLUGIN

from .. import certs
from ..auto_update_emulation import JOB_KEY, load_docs
from ..chart_render import FULLNAME, NAMESPACE, RELEASE
from ..conftest import FIXTURE_CHART, Run, clean_env, is_helm4, post_renderer, run_command
from ..kubelet_view import container_view
from ..pod_sandbox import volume_dir

# the vendor's documented values: a proxy with credentials, and a CA
TOKEN = "spot-tok-J7w2Qx9Lr4"
VALUES = {"spotinst": {"account": "act-123", "clusterIdentifier": "c-1", "token": TOKEN,
                       "proxyUrl": "http://alice:s3cret@proxy.corp:3128"},
          "caBundleSecret": {"create": True, "data": certs.root("Corp Proxy Root CA").pem.decode()}}
NEXT = "0.1.64"
CAPTURE = """#!/bin/bash
IFS= read -r -d '' stream; printf '%s' "$stream" > "$CAPTURE_TO"; printf '%s' "$stream"
"""
CAPTURE_PLUGIN = """apiVersion: v1
type: postrenderer/v1
name: capture
version: 1.0.0
runtime: subprocess
runtimeConfig:
  platformCommand:
    - command: ${HELM_PLUGIN_DIR}/capture
"""


@dataclass
class Job:
    """Where the post-renderer runs: its volume, a PATH with only helm, its log."""

    volume: Path
    bin_dir: Path
    work: Path

    @property
    def renderer(self) -> Path:
        return self.volume / "plugins" / PLUGIN / PLUGIN

    @property
    def log(self) -> Path:
        return self.work / "job.log"

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": str(self.bin_dir), "HOME": str(self.work),
                "HELM_CACHE_HOME": str(self.work / ".helm"),
                "HELM_CONFIG_HOME": str(self.work / ".helm"),
                "HELM_DATA_HOME": str(self.work / ".helm"),
                "OCEAN_PROXY_JOB_LOG": str(self.log),
                **extra}

    def run(self, stream: bytes) -> Run:
        self.log.write_text("")
        return run_command([self.renderer], stdin=stream, env=self.env())

    def said(self) -> str:
        return self.log.read_text()


def helm_template(helm: Path, chart: Path, tmp: Path, *flags: str | Path,
                  env: dict[str, str] | None = None) -> Run:
    values = tmp / "values.yaml"
    values.write_text(yaml.safe_dump(VALUES))
    return run_command([helm, "template", RELEASE, chart, "--namespace", NAMESPACE,
                        "--values", values, *flags], env=env or clean_env())


def handed_stream(helm: Path, chart: Path, tmp: Path, *flags: str) -> bytes:
    """The release exactly as this helm hands it to a post-renderer."""
    plugin = tmp / "capture-plugins" / "capture"
    plugin.mkdir(parents=True, exist_ok=True)
    (plugin / "plugin.yaml").write_text(CAPTURE_PLUGIN)
    (plugin / "capture").write_text(CAPTURE)
    (plugin / "capture").chmod(0o755)
    captured = tmp / "captured.yaml"
    renderer = "capture" if is_helm4(helm.name) else str(plugin / "capture")
    run = helm_template(helm, chart, tmp, *flags, "--post-renderer", renderer,
                        env=clean_env(HELM_PLUGINS=str(plugin.parent),
                                      CAPTURE_TO=str(captured)))
    assert run.returncode == 0, run.stderr
    return captured.read_bytes()


def ocean_proxy_release(helm: Path, tmp: Path, *flags: str, chart_flags: tuple[str, ...] = (),
                        chart: Path = FIXTURE_CHART) -> list[dict[str, Any]]:
    """The release post-rendered once by ocean-proxy, as the pipeline does."""
    tmp.mkdir(parents=True, exist_ok=True)
    rendered = helm_template(helm, chart, tmp, *chart_flags)
    assert rendered.returncode == 0, rendered.stderr
    run = post_renderer(*flags, stdin=rendered.stdout)
    assert run.returncode == 0, run.stderr
    return load_docs(run.text)


def embedded_job(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (configmap,) = [d for d in docs if d["kind"] == "ConfigMap"
                    and d["metadata"]["name"] == FULLNAME]
    return yaml.safe_load(configmap["data"][JOB_KEY])


def job_for(helm: Path, tmp: Path, *flags: str, chart_flags: tuple[str, ...] = (),
            started_after: tuple[str, ...] | None = None, chart: Path = FIXTURE_CHART,
            container: str = "auto-update") -> Job:
    """The Job's post-renderer as the first Job ocean-proxy wrote mounts it (``chart_flags``:
    the release's own, e.g. the agents the chart renders beside the controller). With
    ``started_after``, the Job's pod starts (or retries) once an upgrade with those chart
    flags has rewritten the Secrets it reads: its spec is the first render's, its files the
    second's."""
    docs = ocean_proxy_release(helm, tmp / "pipeline", *flags, chart_flags=chart_flags,
                               chart=chart)
    pod = embedded_job(docs)["spec"]["template"]
    if started_after is not None:
        docs = ocean_proxy_release(helm, tmp / "upgraded", *flags, chart_flags=started_after,
                                   chart=chart)
    view = container_view(docs, pod, container, namespace=NAMESPACE)
    (mount,) = [m for m in view.secret_mounts if m.mount_path == MOUNT]
    bin_dir = tmp / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "helm").symlink_to(helm)
    work = tmp / "work"
    work.mkdir()
    return Job(volume_dir(mount, tmp / "volumes"), bin_dir, work)


def documents(stream: bytes) -> list[bytes]:
    return stream.split(b"\n---\n")


def only_lines_added(old: bytes, new: bytes) -> bool:
    """Every line of old is in new, in order, as it is or extended at its end (the upgrade
    line's arguments); the lines new has besides all hold text."""
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    at = 0
    for line in new_lines:
        if at < len(old_lines) and (line == old_lines[at] or (
                old_lines[at].strip() and line.startswith(old_lines[at]))):
            at += 1
        elif not line.strip():
            return False
    return at == len(old_lines)


def the_edit(job: Job) -> dict[str, Any]:
    values = yaml.safe_load((job.volume / "job" / "values.yaml").read_text())
    return values["edit"]
