"""What the Job's post-renderer costs: its time per run, and the size of the Secret it keeps."""

from __future__ import annotations

import base64
import statistics
import time

from ..chart_render import FULLNAME
from .job_sandbox import ocean_proxy_release


def test_the_renderer_adds_well_under_a_second(job, next_release, capsys):
    times = []
    for _ in range(3):
        started = time.perf_counter()
        run = job.run(next_release)
        times.append(time.perf_counter() - started)
        assert run.returncode == 0
    with capsys.disabled():
        print(f"\njob renderer: median {statistics.median(times) * 1000:.0f} ms per run")
    assert statistics.median(times) < 1.0


def test_the_kept_secret_stays_far_below_the_1_mib_limit(helm3, tmp_path, capsys):
    docs = ocean_proxy_release(helm3, tmp_path)
    (secret,) = [d for d in docs if d["kind"] == "Secret"
                 and d["metadata"]["name"] == f"{FULLNAME}-ocean-proxy-values"]
    size = sum(len(k) + len(v) for k, v in secret["data"].items())
    decoded = {k: len(base64.b64decode(v)) for k, v in secret["data"].items()}
    with capsys.disabled():
        print(f"\nkept Secret {size} bytes of data; files: {decoded}")
    assert size < 64 * 1024
