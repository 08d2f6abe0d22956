"""Hostile input: each is passed through untouched, injected correctly, or refused with one
clear error, and always fast and in bounded memory.

The real post-renderer runs forked from ``bench/measure.py``, which reports its wall time and
peak RSS (a small measuring parent, so the peak is the child's own). The bounds are
robustness limits, generous enough never to flake on a busy 2-core machine, not benchmarks:
60 s, and the input's size plus 200 MB.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import REPO, VENV_BIN, clean_env

MEASURE = REPO / "bench" / "measure.py"
TIME_LIMIT = 60
MEMORY_MARGIN_KB = 200 * 1024
PROXY = "http://proxy.corp:3128"
FULLNAME = "oc-ocean-kubernetes-controller"

CONTROLLER = f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {FULLNAME}
spec:
  template:
    spec:
      containers:
      - name: ocean-kubernetes-controller
        image: spotinst/ocean-kubernetes-controller:2
        env:
        - name: SPOTINST_ACCOUNT
          value: act-1
      - name: log-shipper
        image: fluent/fluent-bit:3
"""


@dataclass
class Outcome:
    """One measured run of the post-renderer."""

    returncode: int
    wall: float
    peak_kb: int
    timed_out: bool
    stdout: Path
    stderr: str
    input_size: int

    def output(self) -> bytes:
        return self.stdout.read_bytes()

    def assert_bounded(self) -> None:
        assert not self.timed_out, f"still running after {TIME_LIMIT} s"
        assert self.peak_kb < self.input_size // 1024 + MEMORY_MARGIN_KB, \
            f"peak RSS {self.peak_kb // 1024} MB for {self.input_size // 2**20} MB of input"
        assert "Traceback" not in self.stderr

    def assert_refused(self, *fragments: str) -> None:
        self.assert_bounded()
        errors = [x for x in self.stderr.splitlines() if x.startswith("ocean-proxy: error: ")]
        hints = [x for x in self.stderr.splitlines() if x.startswith("ocean-proxy: hint: ")]
        assert self.returncode in (1, 2), self.stderr
        assert self.stdout.stat().st_size == 0
        assert len(errors) == 1 and len(hints) == 1, self.stderr
        for fragment in fragments:
            assert fragment in errors[0], self.stderr

    def assert_untouched(self, manifests: Path) -> None:
        self.assert_bounded()
        assert self.returncode == 0, self.stderr
        assert filecmp.cmp(manifests, self.stdout, shallow=False)

    def assert_injected(self) -> bytes:
        self.assert_bounded()
        assert self.returncode == 0, self.stderr
        output = self.output()
        assert b"name: HTTP_PROXY" in output
        return output


def post_render(manifests: Path | bytes, *args: str | Path, tmp_path: Path,
                name: str = "run") -> Outcome:
    """Run the real post-renderer on ``manifests``, measured."""
    if isinstance(manifests, bytes):
        path = tmp_path / f"{name}-input.yaml"
        path.write_bytes(manifests)
        manifests = path
    stdout, stderr = tmp_path / f"{name}-stdout", tmp_path / f"{name}-stderr"
    line = subprocess.run(
        [sys.executable, "-I", "-S", MEASURE, str(TIME_LIMIT), manifests, stdout, stderr, "--",
         VENV_BIN / "ocean-proxy-post-renderer", *map(str, args)],
        capture_output=True, text=True, env=clean_env(), check=True, timeout=TIME_LIMIT + 30,
    ).stdout.split()
    return Outcome(int(line[0]), float(line[1]), int(line[3]), line[4] == "1", stdout,
                   stderr.read_text(errors="replace"), manifests.stat().st_size)


def containers_of(output: bytes, name: str = FULLNAME) -> list[dict]:
    for doc in YAML(typ="safe").load_all(output):
        if isinstance(doc, dict) and doc.get("kind") == "Deployment" \
                and doc["metadata"]["name"] == name:
            return doc["spec"]["template"]["spec"]["containers"]
    raise AssertionError(f"no Deployment/{name}")


def assert_no_duplicates(containers: list[dict]) -> None:
    for container in containers:
        names = [e["name"] for e in container.get("env") or ()]
        mounts = [m["mountPath"] for m in container.get("volumeMounts") or ()]
        assert len(names) == len(set(names)), (container["name"], names)
        assert len(mounts) == len(set(mounts)), (container["name"], mounts)


# -- YAML aliases ----------------------------------------------------------------------------


SHARED_ENV = CONTROLLER.replace(
    "        env:\n", "        env: &common\n").replace(
    "        image: fluent/fluent-bit:3\n", "        image: fluent/fluent-bit:3\n"
    "        env: *common\n").encode()


@pytest.mark.timeout(120)
def test_containers_sharing_one_env_list_by_alias_each_get_the_proxy_once(tmp_path):
    first = post_render(SHARED_ENV, "--proxy-url", PROXY, tmp_path=tmp_path, name="first")
    output = first.assert_injected()
    containers = containers_of(output)
    assert_no_duplicates(containers)
    for container in containers:
        assert [e["name"] for e in container["env"]].count("HTTP_PROXY") == 1
    again = post_render(output, "--proxy-url", PROXY, tmp_path=tmp_path, name="again")
    assert again.assert_injected() == output


@pytest.mark.timeout(120)
def test_an_alias_of_the_pod_annotations_elsewhere_does_not_get_the_checksum(tmp_path):
    manifests = CONTROLLER.replace(
        "metadata:\n  name: " + FULLNAME + "\n",
        "metadata:\n  name: " + FULLNAME + "\n  annotations: &notes\n    team: platform\n").replace(
        "  template:\n    spec:\n",
        "  template:\n    metadata:\n      annotations: *notes\n    spec:\n").encode()
    output = post_render(manifests, "--proxy-url", PROXY, tmp_path=tmp_path).assert_injected()
    deployment = next(d for d in YAML(typ="safe").load_all(output) if d)
    assert deployment["metadata"]["annotations"] == {"team": "platform"}
    assert "checksum/proxy" in deployment["spec"]["template"]["metadata"]["annotations"]
