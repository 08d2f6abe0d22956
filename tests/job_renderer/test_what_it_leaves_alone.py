"""Whatever the Job's post-renderer does not recognise leaves the release byte-identical (exit 0)
and says why in the Job's log; with ``--strict`` it fails instead, so helm applies nothing."""

from __future__ import annotations

import pytest

from post_renderer.job_renderer import MOUNT, PLUGIN

from ..auto_update_emulation import copy_chart, load_docs
from ..chart_render import FULLNAME
from ..conftest import FIXTURE_CHART, is_helm4, run_command
from .job_sandbox import (
    NEXT,
    TOKEN,
    Job,
    documents,
    embedded_job,
    handed_stream,
    helm_template,
    job_for,
    the_edit,
)


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


def quoted_key(stream: bytes, job: Job) -> bytes:
    """A chart that quotes the key, which helm 3 passes on as written."""
    return stream.replace(b"auto-update.job: |\n", b'"auto-update.job": |\n')


def two_job_keys(stream: bytes, job: Job) -> bytes:
    """A second ConfigMap with an auto-update.job key (a copy, a subchart): which Job the
    controller runs is not the renderer's to guess."""
    (doc,) = [d for d in documents(stream) if b"auto-update.job: |" in d]
    copy = doc.replace(f"name: {FULLNAME}\n".encode(), f"name: {FULLNAME}-copy\n".encode(), 1)
    return stream.rstrip(b"\n") + b"\n---\n" + copy.strip(b"\n").removeprefix(b"---\n") + b"\n"


def crlf(stream: bytes, job: Job) -> bytes:
    """A chart checked out with Windows line ends."""
    return stream.replace(b"\n", b"\r\n")


def after_job_line(stream: bytes, last: str, *entry: str) -> bytes:
    """The stream with entry (list item lines, dash first) after the Job's line ``last``."""
    lines = stream.decode().split("\n")
    key = next(i for i, line in enumerate(lines) if line.strip() == "auto-update.job: |")
    at = next(i for i in range(key, len(lines)) if lines[i].strip() == last)
    dash = len(lines[at]) - len(lines[at].lstrip()) - 2
    lines[at + 1:at + 1] = [" " * dash + line for line in entry]
    return "\n".join(lines).encode()


def sets_no_proxy(stream: bytes, job: Job) -> bytes:
    """A chart version whose Job sets NO_PROXY itself: a second entry is not ocean-proxy's
    to add."""
    return after_job_line(stream, "value: ocean-controller", "- name: NO_PROXY",
                          "  value: .corp")


def mounts_the_overlay_path(stream: bytes, job: Job) -> bytes:
    """A Job that mounts something at ocean-proxy's path: a second mount there would make
    the API server refuse the Job."""
    return after_job_line(stream, "mountPath: /tmp", "- name: helm-data",
                          f"  mountPath: {MOUNT}")


def has_a_volume_of_that_name(stream: bytes, job: Job) -> bytes:
    name = the_edit(job)["volumes"][0]["name"]
    return after_job_line(stream, "emptyDir: {}", f"- name: {name}", "  emptyDir: {}")


def with_a_sidecar(stream: bytes, job: Job) -> bytes:
    """A chart version whose Job has a second container: ocean-proxy's edit is for one."""
    lines = stream.decode().split("\n")
    key = next(i for i, line in enumerate(lines) if line.strip() == "auto-update.job: |")
    at = next(i for i in range(key, len(lines)) if lines[i].strip() == "containers:")
    pad = " " * (len(lines[at]) - len(lines[at].lstrip()))
    end = next(i for i in range(at + 1, len(lines)) if lines[i].startswith(pad + "volumes:"))
    lines[end:end] = [pad + "  - name: log-tail", pad + "    image: busybox:1.36"]
    pod = embedded_job(load_docs("\n".join(lines)))["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["auto-update", "log-tail"]
    return "\n".join(lines).encode()


MISMATCHES = {
    "another-script-shape": (another_script, "the Job's script is not the vendor's"),
    "already-patched": (already_patched, "already carries ocean-proxy's step"),
    "strip-chomped-block": (strip_chomped, "not a plain '|' block"),
    "no-value": (no_value, "'<no value>'"),
    "failing-inner-helm": (failing_helm, "the inner 'helm template' failed"),
    "quoted-job-key": (quoted_key, "not a plain '|' block (\"auto-update.job\": |)"),
    "two-job-keys": (two_job_keys, "the release has 2 auto-update.job keys, not one"),
    "crlf-line-ends": (crlf, "the release's lines end in CRLF"),
    "job-sets-no-proxy": (sets_no_proxy, "the Job already sets NO_PROXY"),
    "job-with-a-sidecar": (with_a_sidecar, "not a Job with one container"),
    "job-mounts-the-overlay-path": (mounts_the_overlay_path, f"the Job already mounts {MOUNT}"),
    "job-has-a-volume-of-that-name": (has_a_volume_of_that_name, "the Job already has volume "),
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


def test_the_job_log_gives_the_inner_helms_own_error(helm, job, next_release):
    """Why the inner 'helm template' failed is helm's own error line, in the Job's log."""
    failing_helm(next_release, job)
    alone = run_command([helm, "template", "x", job.volume / "job"], env=job.env())
    assert alone.returncode != 0
    error = alone.stderr.split("Error: ", 1)[1].splitlines()[0]

    run = job.run(next_release)

    assert (run.returncode, run.stdout) == (0, next_release)
    assert f"the inner 'helm template' failed: {error}" in job.said()


@pytest.mark.parametrize("strict", [False, True])
def test_a_release_holding_a_nul_byte_fails_rather_than_passing_on_part_of_it(
        helm, tmp_path, next_release, strict):
    """bash cannot hold a NUL byte: passed on, the release would end at it, and helm would
    delete every object after it."""
    job = job_for(helm, tmp_path / "nul", *(["--strict"] if strict else []))
    stream = next_release.replace(b"\n---\n", b"\n# \0\n---\n", 1)

    run = job.run(stream)

    assert run.returncode != 0
    assert run.stdout == b""
    assert "NUL byte" in run.stderr and "NUL byte" in job.said()


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


def test_a_release_that_only_names_the_job_passes_through(helm, job, tmp_path):
    """With the auto-update off, text that names auto-update.job (here a comment) is no Job
    to edit: the release passes byte for byte, not as nothing."""
    stream = handed_stream(helm, FIXTURE_CHART, tmp_path / "off",
                           "--set", "spotinst.disableAutoUpdate=true")
    stream = stream.replace(b"\n---\n", b"\n# auto-update.job: off\n---\n", 1)
    assert b"# auto-update.job: off" in stream

    run = job.run(stream)

    assert (run.returncode, run.stdout) == (0, stream)
    assert "nothing to do: the release has no auto-update Job" in job.said()
