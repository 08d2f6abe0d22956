"""The next Job gets exactly the edit ocean-proxy gave the first one, and every other byte of
the release passes through."""

from __future__ import annotations

import yaml

from post_renderer.render.overlay.job import extend_script

from ..auto_update_emulation import JOB_KEY, copy_chart, load_docs
from ..chart_render import FULLNAME
from ..conftest import FIXTURE_CHART, run_command
from .job_sandbox import (
    NEXT,
    documents,
    embedded_job,
    handed_stream,
    ocean_proxy_release,
    only_lines_added,
    the_edit,
)


def test_the_next_job_gets_exactly_the_edit_and_every_other_byte_passes(job, next_release):
    run = job.run(next_release)

    assert run.returncode == 0, run.stderr
    before, after = documents(next_release), documents(run.stdout)
    changed = [index for index, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1
    old_map, new_map = (yaml.safe_load(docs[changed[0]]) for docs in (before, after))
    assert (new_map["kind"], new_map["metadata"]["name"]) == ("ConfigMap", FULLNAME)
    assert only_lines_added(before[changed[0]], after[changed[0]])
    assert {k: v for k, v in new_map["data"].items() if k != JOB_KEY} == \
        {k: v for k, v in old_map["data"].items() if k != JOB_KEY}
    old, new = yaml.safe_load(old_map["data"][JOB_KEY]), yaml.safe_load(new_map["data"][JOB_KEY])
    edit = the_edit(job)
    (container,) = old["spec"]["template"]["spec"]["containers"]
    container["env"] += edit["env"]
    container["volumeMounts"] += edit["volumeMounts"]
    container["args"][-1] = extend_script(container["args"][-1])  # ocean-proxy's own edit
    old["spec"]["template"]["spec"]["volumes"] += edit["volumes"]
    assert new == old
    assert {e["name"] for e in edit["env"]} >= {"HTTPS_PROXY", "NO_PROXY", "SSL_CERT_DIR"}
    assert f"(ocean-kubernetes-controller-{NEXT}) now has ocean-proxy's proxy" in job.said()


def test_the_next_job_is_the_job_ocean_proxy_gave_the_first_one(helm, job, tmp_path):
    """The Job's post-renderer and ocean-proxy make the same edit of the same chart's Job."""
    plain = handed_stream(helm, FIXTURE_CHART, tmp_path / "plain")
    run = job.run(plain)
    assert run.returncode == 0, run.stderr

    by_ocean_proxy = embedded_job(ocean_proxy_release(helm, tmp_path / "again"))
    assert embedded_job(load_docs(run.text)) == by_ocean_proxy


def test_the_renderer_needs_only_bash_and_helm_and_a_mode_of_0555(job):
    assert job.renderer.stat().st_mode & 0o777 == 0o555
    assert sorted(p.name for p in job.bin_dir.iterdir()) == ["helm"]
    assert job.renderer.read_text().startswith("#!/bin/bash\n")


def test_a_release_with_non_ascii_text_is_edited_in_a_utf8_locale(helm, job, tmp_path):
    """The Job's image may set LANG=C.UTF-8, and a value above the Job (here the cluster's
    identifier, in the same ConfigMap) may hold non-ASCII text: the edit's byte range is
    still counted in bytes."""
    stream = handed_stream(helm, copy_chart(FIXTURE_CHART, tmp_path / "charts" / NEXT, NEXT),
                           tmp_path / "utf8", "--set-string",
                           "spotinst.clusterIdentifier=ocean-zürich-1")
    head = stream[:stream.index(b"auto-update.job: |")]
    assert "zürich".encode() in head
    job.log.write_text("")

    run = run_command([job.renderer], stdin=stream, env=job.env(LANG="C.UTF-8"))

    assert run.returncode == 0, run.stderr
    assert f"(ocean-kubernetes-controller-{NEXT}) now has ocean-proxy's proxy" in job.said()
    assert run.stdout.startswith(head)
    assert embedded_job(load_docs(run.text)) != embedded_job(load_docs(stream.decode()))


def test_a_configmap_key_after_the_job_stays_as_it_is(job, next_release):
    """A chart version may add a key below auto-update.job: the Job is still edited, and the
    key passes as it was."""
    docs = documents(next_release)
    (at,) = [i for i, doc in enumerate(docs) if b"auto-update.job: |" in doc]
    body = docs[at].rstrip(b"\n")
    docs[at] = body + b'\n  zz-after-the-job: "kept"' + docs[at][len(body):]
    stream = b"\n---\n".join(docs)

    run = job.run(stream)

    assert run.returncode == 0, run.stderr
    assert "now has ocean-proxy's proxy" in job.said()
    new_doc = documents(run.stdout)[at]
    new_map = yaml.safe_load(new_doc)
    assert new_map["data"]["zz-after-the-job"] == "kept"
    assert only_lines_added(docs[at], new_doc)
    (container,) = yaml.safe_load(new_map["data"][JOB_KEY])["spec"]["template"]["spec"][
        "containers"]
    assert {e["name"] for e in the_edit(job)["env"]} <= {e["name"] for e in container["env"]}


def test_an_edit_that_does_not_parse_as_intended_is_not_made(job, next_release):
    """A comment at the Job's top level inside its env list ends the list for a line reader,
    not for YAML: the lines would land in the middle of env, and the proof sees it."""
    lines = next_release.decode().split("\n")
    at = next(i for i, line in enumerate(lines) if line.strip() == "value: ocean-controller"
              and lines[i - 1].strip().endswith("name: RELEASE_NAME"))
    block = len(next(line for line in lines if line.strip() == "apiVersion: batch/v1")) - \
        len("apiVersion: batch/v1")
    dash = len(lines[at]) - len(lines[at].lstrip()) - 2
    lines[at + 1:at + 1] = [" " * block + "# a note at the Job's top level",
                            " " * dash + "- name: CORP_EXTRA", " " * dash + "  value: on"]
    stream = "\n".join(lines).encode()
    assert embedded_job(load_docs(stream.decode()))["spec"]  # still a valid Job

    run = job.run(stream)

    assert (run.returncode, run.stdout) == (0, stream)
    assert "did not parse to the Job plus exactly ocean-proxy's changes" in job.said()
