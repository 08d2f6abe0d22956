"""Each test's helm, the Job's post-renderer as ocean-proxy's first Job mounts it, and the next
chart version's release."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..auto_update_emulation import copy_chart
from ..conftest import FIXTURE_CHART, tool
from .job_sandbox import NEXT, Job, handed_stream, job_for


# 3.4.2, the oldest helm 3 a registry package carries (the Job's post-renderer needs nothing
# newer), and 3.19.0, 4.1.4, 4.2.3, other releases a Job image may have ("Which helm versions")
@pytest.fixture(params=["helm3", "helm4", "helm3.4.2", "helm3.19.0", "helm4.1.4", "helm4.2.3"])
def helm(request) -> Path:
    return tool(request.param)


@pytest.fixture
def job(helm, tmp_path) -> Job:
    return job_for(helm, tmp_path)


@pytest.fixture
def strict_job(helm, tmp_path) -> Job:
    return job_for(helm, tmp_path / "strict", "--strict")


@pytest.fixture
def next_release(helm, tmp_path) -> bytes:
    """The chart version the auto-update installs, as helm hands it to the post-renderer."""
    chart = copy_chart(FIXTURE_CHART, tmp_path / "charts" / NEXT, NEXT)
    return handed_stream(helm, chart, tmp_path / "next")
