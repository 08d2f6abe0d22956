"""Whatever the Job's post-renderer does not recognise leaves the release byte-identical (exit 0)
and says why in the Job's log; with ``--strict`` it fails instead, so helm applies nothing."""

from __future__ import annotations

import pytest

from post_renderer.job_renderer import PLUGIN

from ..auto_update_emulation import copy_chart
from ..conftest import FIXTURE_CHART, is_helm4
from .job_sandbox import NEXT, TOKEN, Job, handed_stream, helm_template


def another_script(stream: bytes, job: Job) -> bytes:
    return stream.replace(b"--values /tmp/values.yaml\n", b"--reuse-values\n")


def already_patched(stream: bytes, job: Job) -> bytes:
    run = job.run(stream)
    assert run.returncode == 0 and run.stdout != stream
    return run.stdout


def strip_chomped(stream: bytes, job: Job) -> bytes:
    return stream.replace(b"auto-update.job: |\n", b"auto-update.job: |-\n")


def no_value(stream: bytes, job: Job) -> bytes:
    return stream.replace(b'disable-auto-update: "false"', b'disable-auto-update: "<no value>"')


def failing_helm(stream: bytes, job: Job) -> bytes:
    values = job.volume / "job" / "values.yaml"
    text = values.read_text()
    values.resolve().chmod(0o644)
    values.resolve().write_text(text + "oops: [\n")
    return stream


MISMATCHES = {
    "another-script-shape": (another_script, "the Job's script is not the vendor's"),
    "already-patched": (already_patched, "already carries ocean-proxy's step"),
    "strip-chomped-block": (strip_chomped, "not a plain '|' block"),
    "no-value": (no_value, "'<no value>'"),
    "failing-inner-helm": (failing_helm, "the inner 'helm template' failed"),
}


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_unexpected_input_is_passed_on_byte_identical_and_logged(job, next_release, case):
    change, reason = MISMATCHES[case]
    stream = change(next_release, job)
    assert stream != next_release or case == "failing-inner-helm"

    run = job.run(stream)

    assert run.returncode == 0, run.stderr
    assert run.stdout == stream
    assert reason in job.said() and "left the release as rendered" in job.said()


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_unexpected_input_fails_in_strict_mode(strict_job, next_release, case):
    change, reason = MISMATCHES[case]
    stream = change(next_release, strict_job)

    run = strict_job.run(stream)

    assert run.returncode != 0
    assert run.stdout == b""
    assert reason in run.stderr and "strict" in run.stderr
    assert "failed the upgrade (strict)" in strict_job.said()


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_what_the_job_logs_and_shows_holds_no_secret_of_the_release(strict_job, next_release,
                                                                    case):
    """The release holds the Spot token and the proxy password; the Job prints its log."""
    import base64

    assert b"s3cret" in next_release and base64.b64encode(TOKEN.encode()) in next_release
    change, _ = MISMATCHES[case]
    run = strict_job.run(change(next_release, strict_job))
    shown = (run.stderr + strict_job.said()).lower()
    assert run.returncode != 0 and strict_job.said()
    for secret in (TOKEN, "s3cret", base64.b64encode(TOKEN.encode()).decode()[:-4]):
        assert secret.lower() not in shown, shown


def test_strict_mode_fails_the_upgrade_before_helm_applies_anything(helm, strict_job, tmp_path):
    """helm runs the post-renderer before it applies anything: 'helm template' shows what an
    upgrade would get, here nothing, and a failure naming the reason."""
    chart = copy_chart(FIXTURE_CHART, tmp_path / "charts" / NEXT, NEXT)
    template = chart / "templates" / "_auto-update-job.tpl"
    template.write_text(template.read_text().replace("--values /tmp/values.yaml",
                                                     "--reuse-values"))
    renderer = PLUGIN if is_helm4(helm.name) else str(strict_job.renderer)
    env = strict_job.env(HELM_PLUGINS=str(strict_job.volume / "plugins"))

    run = helm_template(helm, chart, tmp_path, "--post-renderer", renderer, env=env)

    assert run.returncode != 0
    assert b"kind:" not in run.stdout
    assert "the Job's script is not the vendor's" in run.stderr


def test_a_release_without_the_auto_update_job_passes_through(helm, job, tmp_path):
    stream = handed_stream(helm, FIXTURE_CHART, tmp_path / "off",
                           "--set", "spotinst.disableAutoUpdate=true")
    run = job.run(stream)
    assert (run.returncode, run.stdout) == (0, stream)
    assert "nothing to do" in job.said()
