"""The vendor's auto-update, run as the cluster would run it, against an emulated release.

- ``Cluster``: the objects in the namespace and the release helm stored (its user-supplied
  values and the manifest). ``apply_upgrade`` does what helm does with a new manifest:
  objects it no longer contains are deleted unless annotated ``helm.sh/resource-policy:
  keep``; objects applied outside the release (``kubectl apply``) stay.
- ``run_auto_update``: the controller's part (take the Job from the ConfigMap key
  ``auto-update.job``, set ``CHART_VERSION`` and ``WAIT_TIMEOUT``), the kubelet's (env and
  Secret files as kubelet_view resolves them, ``$(VAR)`` expanded in command and args, each
  emptyDir a fresh tmpfs at its mount path) and the image's (bash, and ``helm`` on PATH),
  in pod_sandbox.
- The ``helm`` on the Job's PATH is a stand-in for the cluster side only: ``repo``,
  ``template`` and ``version`` run the real helm (so ``helm repo add spot
  https://charts.spot.io`` really goes through the container's proxy and trust); ``get
  values`` prints the stored user-supplied values as helm does (``USER-SUPPLIED VALUES:``
  first, unless ``-o yaml``); ``upgrade`` merges its ``--values`` files as helm does (maps
  deep, lists replaced) and renders the requested chart version with the real ``helm
  template``, which runs its ``--post-renderer`` (a path on Helm 3, a plugin on Helm 4) as
  ``helm upgrade`` would, before anything is applied. Anything else fails loudly, so a Job
  script that changes shape is noticed.
"""

from __future__ import annotations

import copy
import json
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .chart_render import FULLNAME, NAMESPACE, RELEASE
from .conftest import REPO, VENV_BIN, Run
from .kubelet_view import ContainerView, container_view, expand
from .pod_sandbox import Image, run_in_pod

JOB_KEY = "auto-update.job"
KEEP = "helm.sh/resource-policy"
WAIT_TIMEOUT = "5m"

Key = tuple[str, str]


def key_of(doc: Mapping[str, Any]) -> Key:
    return doc["kind"], doc["metadata"]["name"]


def load_docs(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@dataclass
class Cluster:
    """The namespace's objects, and the release as helm stored it."""

    objects: dict[Key, dict[str, Any]]
    values: dict[str, Any]  # the release's user-supplied values
    manifest: set[Key]
    version: str
    history: list[str] = field(default_factory=list)

    @classmethod
    def installed(cls, docs: list[dict[str, Any]], values: dict[str, Any],
                  version: str) -> Cluster:
        return cls({key_of(d): d for d in docs}, copy.deepcopy(values),
                   {key_of(d) for d in docs}, version, [version])

    def docs(self) -> list[dict[str, Any]]:
        return list(self.objects.values())

    def get(self, kind: str, name: str = FULLNAME) -> dict[str, Any] | None:
        return self.objects.get((kind, name))

    def apply(self, docs: list[dict[str, Any]]) -> None:
        """``kubectl apply``: outside the release."""
        self.objects.update((key_of(d), d) for d in docs)

    def apply_upgrade(self, docs: list[dict[str, Any]], values: dict[str, Any],
                      version: str) -> None:
        new = {key_of(d): d for d in docs}
        for key in self.manifest - set(new):
            annotations = self.objects[key]["metadata"].get("annotations") or {}
            if annotations.get(KEEP) != "keep":
                del self.objects[key]
        self.objects.update(new)
        self.manifest, self.values, self.version = set(new), values, version
        self.history.append(version)

    def job(self) -> dict[str, Any] | None:
        configmap = self.get("ConfigMap")
        text = (configmap or {}).get("data", {}).get(JOB_KEY)
        return yaml.safe_load(text) if text else None


STAND_IN = '''#!{python}
"""helm, as the auto-update Job's image has it, for the cluster side of a test."""
import json, os, subprocess, sys
import yaml

REAL, STATE, CHARTS = {real!r}, {state!r}, {charts!r}


def fail(message, code=1):
    print("Error: " + message, file=sys.stderr)
    sys.exit(code)


def merge(base, override):
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def options(argv, known_flags, known_options):
    positional, given = [], {{}}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-"):
            name, _, inline = arg.partition("=")
            if name in known_flags:
                given.setdefault(name, []).append(True)
            elif name in known_options:
                value = inline if inline else argv[i + 1]
                i += 0 if inline else 1
                given.setdefault(known_options[name], []).append(value)
            else:
                fail(f"stand-in helm: unexpected option {{arg}} in {{argv}}", 2)
        else:
            positional.append(arg)
        i += 1
    return positional, given


with open(os.path.join(STATE, "release.json")) as handle:
    release = json.load(handle)
argv = sys.argv[1:]
if argv[:1] in (["repo"], ["template"], ["version"]):
    os.execv(REAL, [REAL, *argv])
if argv[:2] == ["get", "values"]:
    (name,), given = options(argv[2:], (), {{"--namespace": "ns", "-n": "ns",
                                             "--output": "out", "-o": "out"}})
    if name != release["name"]:
        fail("release: not found")
    text = yaml.safe_dump(release["values"], sort_keys=False) if release["values"] else "null\\n"
    if given.get("out", ["table"])[-1] == "table":
        text = "USER-SUPPLIED VALUES:\\n" + text
    sys.stdout.write(text)
    sys.exit(0)
if argv[:1] == ["upgrade"]:
    (name, chart), given = options(argv[1:], ("--debug", "--atomic"), {{
        "--version": "version", "--timeout": "timeout", "--namespace": "ns", "-n": "ns",
        "--values": "values", "-f": "values", "--post-renderer": "post_renderer",
        "--post-renderer-args": "post_renderer_args"}})
    if name != release["name"]:
        fail(f'UPGRADE FAILED: "{{name}}" has no deployed releases')
    repo, _, chart_name = chart.partition("/")
    repos = os.path.join(os.environ.get("HELM_CONFIG_HOME", ""), "repositories.yaml")
    if not os.path.exists(repos) or f"name: {{repo}}\\n" not in open(repos).read():
        fail(f'repo {{repo}} not found')
    version = given.get("version", [None])[-1]
    if chart_name != "ocean-kubernetes-controller" or version not in CHARTS:
        fail(f"chart {{chart}} version {{version}} not found in the repository")
    values = {{}}
    for path in given.get("values", []):
        with open(path) as handle:
            merge(values, yaml.safe_load(handle) or {{}})
    files = [arg for path in given.get("values", []) for arg in ("--values", path)]
    files += [arg for renderer in given.get("post_renderer", [])
              for arg in ("--post-renderer", renderer)]
    files += [arg for value in given.get("post_renderer_args", [])
              for arg in ("--post-renderer-args", value)]
    rendered = subprocess.run([REAL, "template", name, CHARTS[version], "--namespace",
                               release["namespace"], *files], capture_output=True, text=True)
    if rendered.returncode != 0:
        fail("UPGRADE FAILED: " + rendered.stderr.strip().removeprefix("Error: "))
    with open(os.path.join(STATE, "upgraded.json"), "w") as handle:
        json.dump({{"values": values, "version": version, "manifest": rendered.stdout}}, handle)
    print(f'Release "{{name}}" has been upgraded. Happy Helming!')
    sys.exit(0)
fail(f"stand-in helm: unexpected command {{argv}}", 2)
'''


@dataclass
class AutoUpdate:
    """One run of the Job: what it printed and whether it upgraded the release."""

    run: Run
    job: dict[str, Any]
    view: ContainerView
    upgraded: bool


def run_auto_update(cluster: Cluster, *, helm: Path, charts: Mapping[str, Path],
                    version: str, image: Image, workdir: Path,
                    job: dict[str, Any] | None = None) -> AutoUpdate:
    """The controller creates the Job for chart ``version`` (from the ConfigMap, or ``job``,
    one it created earlier); the kubelet runs it."""
    job = copy.deepcopy(job) if job is not None else cluster.job()
    assert job is not None, "no auto-update Job in the ConfigMap"
    state, bin_dir = workdir / "state", workdir / "bin"
    state.mkdir(parents=True)
    bin_dir.mkdir()
    (state / "release.json").write_text(json.dumps({
        "name": RELEASE, "namespace": NAMESPACE, "values": cluster.values}))
    stand_in = bin_dir / "helm"
    stand_in.write_text(STAND_IN.format(python=VENV_BIN / "python", real=str(helm),
                                        state=str(state),
                                        charts={v: str(p) for v, p in charts.items()}))
    stand_in.chmod(0o755)
    run, view = run_job(job, cluster.docs(), version=version, bin_dir=bin_dir, image=image,
                        workdir=workdir, namespace=NAMESPACE, visible=list(charts.values()))
    upgraded = (state / "upgraded.json").exists()
    if upgraded:
        result = json.loads((state / "upgraded.json").read_text())
        cluster.apply_upgrade(load_docs(result["manifest"]), result["values"],
                              result["version"])
    return AutoUpdate(run, job, view, upgraded)


def run_job(job: dict[str, Any], docs: list[dict[str, Any]], *, version: str, bin_dir: Path,
            image: Image, workdir: Path, namespace: str, visible: list[Path],
            env: Mapping[str, str] | None = None) -> tuple[Run, ContainerView]:
    """The controller's and the kubelet's part: ``job`` (changed in place) gets its
    ``CHART_VERSION`` and ``WAIT_TIMEOUT``, its container the env and Secret files ``docs``
    give it, ``bin_dir`` first on its PATH (and ``env``, for what stands in for the cluster's
    service account), and runs."""
    pod = job["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    container.setdefault("env", []).extend([
        {"name": "CHART_VERSION", "value": version},
        {"name": "WAIT_TIMEOUT", "value": WAIT_TIMEOUT},
    ])
    view = container_view(docs, pod, container["name"], namespace=namespace)
    argv = [expand(part, view.env) for part in
            [*(container.get("command") or []), *(container.get("args") or [])]]
    image_view = ContainerView(view.name, {**view.env, **(env or {}),
                                           "PATH": f"{bin_dir}:{view.env['PATH']}"},
                               view.secret_mounts)
    # the stand-in's python and the real helm live in the checkout, which CI may clone
    # under the very path the Job mounts an emptyDir on (/tmp)
    mounts = _empty_dirs(container, pod["spec"], [workdir, bin_dir, *visible, REPO])
    run = run_in_pod(image_view, [*mounts, argv], image=image, workdir=workdir / "pod", timeout=180)
    return run, view


def _empty_dirs(container: dict[str, Any], spec: dict[str, Any],
                visible: list[Path]) -> list[list[str]]:
    """A tmpfs per emptyDir mount. The test's own files under that path (pytest keeps them
    in /tmp: the stand-in helm, the charts; and a checkout cloned there, with its venv and
    helm) are moved back on top, so they stay reachable."""
    empty = {v["name"] for v in spec.get("volumes") or [] if "emptyDir" in v}
    steps = []
    for mount in container.get("volumeMounts") or []:
        if mount["name"] not in empty:
            continue
        target = mount["mountPath"].rstrip("/")
        keep = [str(p) for p in visible if str(p).startswith(target + "/")]
        holds = [f"/etc/.auto-update-hold-{n}" for n in range(len(keep))]
        script = [line for path, hold in zip(keep, holds, strict=True) for line in (
            f"mkdir -p {hold}", f"mount --bind {shlex.quote(path)} {hold}")]
        script.append(f"mount -t tmpfs {shlex.quote(mount['name'])} {shlex.quote(target)}")
        script += [line for path, hold in zip(keep, holds, strict=True) for line in (
            f"mkdir -p {shlex.quote(path)}", f"mount --move {hold} {shlex.quote(path)}")]
        steps.append(["/bin/sh", "-ec", "; ".join(script)])
    return steps


def copy_chart(source: Path, target: Path, version: str) -> Path:
    """The chart as a later (or earlier) release of it: the same templates, another version."""
    shutil.copytree(source, target)
    chart_yaml = target / "Chart.yaml"
    lines = [f"version: {version}" if line.startswith("version: ") else line
             for line in chart_yaml.read_text().splitlines()]
    chart_yaml.write_text("\n".join(lines) + "\n")
    return target
