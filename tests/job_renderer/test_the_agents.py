"""The agents the controller chart renders beside the controller (the metric exporter, the
network client) get from the Job's post-renderer the pods ocean-proxy's render gave them; every
byte outside the lines it splices passes through; an agent document it does not recognise
is left as rendered while the Job and the other agents get their edit (under --strict, the
upgrade fails)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from ..auto_update_emulation import copy_chart, load_docs
from ..chart_render import NAMESPACE, RELEASE
from ..conftest import FIXTURE_CHART, run_command
from .job_sandbox import NEXT, Job, documents, handed_stream, job_for, ocean_proxy_release

DEPLOY = ("--set", "ocean-metric-exporter.deployChart=true",
          "--set", "ocean-network-client.deployChart=true")
EXPORTER = ("Deployment", f"{RELEASE}-ocean-metric-exporter", "spot-ocean-metric-exporter")
CLIENT = ("DaemonSet", f"{RELEASE}-ocean-network-client", "spotinst-ocean-network-client")


@pytest.fixture
def agents_job(helm, tmp_path) -> Job:
    return job_for(helm, tmp_path / "job", chart_flags=DEPLOY)


@pytest.fixture
def strict_agents_job(helm, tmp_path) -> Job:
    return job_for(helm, tmp_path / "strict", "--strict", chart_flags=DEPLOY)


@pytest.fixture
def next_with_agents(helm, tmp_path) -> bytes:
    chart = copy_chart(FIXTURE_CHART, tmp_path / "charts" / NEXT, NEXT)
    return handed_stream(helm, chart, tmp_path / "next", *DEPLOY)


def templates(docs: list[dict]) -> dict[str, dict]:
    return {name: doc["spec"]["template"] for doc in docs
            for kind, name, _ in (EXPORTER, CLIENT)
            if (doc["kind"], doc["metadata"]["name"]) == (kind, name)}


def test_the_agents_get_the_pods_ocean_proxys_render_gave_them(helm, agents_job, tmp_path):
    plain = handed_stream(helm, FIXTURE_CHART, tmp_path / "plain", *DEPLOY)
    run = agents_job.run(plain)

    assert run.returncode == 0, run.stderr
    assert f"{EXPORTER[0]}/{EXPORTER[1]}" in agents_job.said()
    by_ocean_proxy = templates(ocean_proxy_release(helm, tmp_path / "again", chart_flags=DEPLOY))
    by_the_job = templates(load_docs(run.text))
    assert set(by_the_job) == {EXPORTER[1], CLIENT[1]}
    assert by_the_job == by_ocean_proxy
    assert by_the_job != templates(load_docs(plain.decode()))


def test_every_byte_outside_the_spliced_lines_passes(agents_job, next_with_agents):
    """Only the ConfigMap and the two agents change; in them, lines are added, and the one
    line group replaced is the exporter's PROXY_URL entry (the render replaces it in place:
    a second PROXY_URL would fail Helm 4's server-side apply)."""
    run = agents_job.run(next_with_agents)

    assert run.returncode == 0, run.stderr
    before, after = documents(next_with_agents), documents(run.stdout)
    changed = [yaml.safe_load(a) for a, b in zip(before, after, strict=True) if a != b]
    assert sorted((d["kind"], d["metadata"]["name"]) for d in changed) == sorted(
        [("ConfigMap", f"{RELEASE}-ocean-kubernetes-controller"), EXPORTER[:2], CLIENT[:2]])
    for kind, name, _ in (EXPORTER, CLIENT):
        (at,) = [i for i, doc in enumerate(before) if f"kind: {kind}\n".encode() in doc
                 and f"  name: {name}\n".encode() in doc]
        old, new = before[at].decode().split("\n"), after[at].decode().split("\n")
        gone = [line for tag, i1, i2, _, _ in difflib.SequenceMatcher(
            None, old, new, autojunk=False).get_opcodes() if tag in ("replace", "delete")
            for line in old[i1:i2]]
        if kind == EXPORTER[0]:
            assert gone and set(gone) <= set(proxy_url_entry(old)), (name, gone)
        else:
            assert gone == [], (name, gone)


def proxy_url_entry(lines: list[str]) -> list[str]:
    """The lines of the env entry PROXY_URL: its dash line and those indented deeper."""
    (at,) = [i for i, line in enumerate(lines) if line.strip() == "- name: PROXY_URL"]
    dash = len(lines[at]) - len(lines[at].lstrip())
    end = next(i for i in range(at + 1, len(lines))
               if len(lines[i]) - len(lines[i].lstrip()) <= dash)
    return lines[at:end]


def a_comment_in_the_env_list(stream: bytes, entry: str) -> bytes:
    """A comment at the container's column after the network client's env line ``entry``: a
    line reader sees the list end there, YAML does not."""
    lines = stream.decode().split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == "- name: REPORT_INTERVAL")
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == entry)
    lines.insert(at + 1, " " * (len(lines[at]) - len(lines[at].lstrip()) - 2) + "# a note")
    return "\n".join(lines).encode()


def a_comment_that_hides_entries(stream: bytes) -> bytes:
    return a_comment_in_the_env_list(stream, 'value: "60"')


def a_comment_inside_the_last_entry(stream: bytes) -> bytes:
    """The new entries would go between the last entry's name and the rest of it, which
    YAML would give to the last of them: the proof sees it."""
    return a_comment_in_the_env_list(stream, "- name: CLUSTER_IDENTIFIER")


def a_renamed_container(stream: bytes) -> bytes:
    return stream.replace(b"- name: spot-ocean-metric-exporter\n",
                          b"- name: spot-ocean-metric-exporter-v2\n")


def the_ca_path_already_mounted(stream: bytes) -> bytes:
    lines = stream.decode().split("\n")
    at = next(i for i, line in enumerate(lines) if line.strip() == "mountPath: /var/log")
    pad = " " * (len(lines[at]) - len(lines[at].lstrip()) - 2)
    lines[at + 1:at + 1] = [f"{pad}- name: varlog", f"{pad}  mountPath: /etc/ocean-proxy/ca"]
    return "\n".join(lines).encode()


TAMPERED = {
    "env-entries-hidden": (a_comment_that_hides_entries,
                           "its container's env lines are not one entry per line group"),
    "env-entry-split": (a_comment_inside_the_last_entry,
                        "did not parse to the document plus exactly ocean-proxy's changes"),
    "container-renamed": (a_renamed_container,
                          "it has no one container spot-ocean-metric-exporter"),
    "ca-path-mounted": (the_ca_path_already_mounted,
                        "its container already mounts /etc/ocean-proxy/ca"),
}


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_a_tampered_agent_is_left_as_rendered_and_the_rest_still_gets_its_edit(
        agents_job, next_with_agents, case):
    """An agent's document it does not recognise costs that agent its proxy and CA, not the
    next Job its own: left unedited, that Job would run the auto-update after it without
    the proxy, and the controller would lose its proxy and CA there."""
    change, reason = TAMPERED[case]
    stream = change(next_with_agents)
    (tampered,) = [i for i, (a, b) in enumerate(zip(documents(next_with_agents),
                                                     documents(stream), strict=True)) if a != b]

    run = agents_job.run(stream)

    assert run.returncode == 0, run.stderr
    before, after = documents(stream), documents(run.stdout)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert tampered not in changed and len(changed) == 2  # the Job's ConfigMap, the other agent
    said = agents_job.said()
    assert "now has ocean-proxy's proxy" in said and reason in said
    assert "left as rendered, without ocean-proxy's proxy and CA" in said
    assert "left the release as rendered" not in said


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_a_tampered_agent_fails_the_upgrade_under_strict(strict_agents_job, next_with_agents,
                                                         case):
    change, reason = TAMPERED[case]

    run = strict_agents_job.run(change(next_with_agents))

    assert run.returncode != 0 and run.stdout == b""
    assert reason in run.stderr and "failed the upgrade (strict)" in strict_agents_job.said()


def test_a_release_without_the_agents_gets_the_jobs_edit_alone(helm, agents_job,
                                                             tmp_path: Path):
    """Values that no longer deploy the agents: nothing to give them, the Job is edited."""
    stream = handed_stream(helm, FIXTURE_CHART, tmp_path / "alone")

    run = agents_job.run(stream)

    assert run.returncode == 0, run.stderr
    assert "now has ocean-proxy's proxy" in agents_job.said()
    assert f"not in the release: {CLIENT[0]}/{CLIENT[1]}" in agents_job.said()
    assert sum(a != b for a, b in zip(documents(stream), documents(run.stdout),
                                      strict=True)) == 1


def test_only_a_release_with_agents_to_edit_keeps_their_template(helm, agents_job,
                                                                 tmp_path: Path):
    """The agents' template is a fifth of what the kept Secret holds: a release without the
    agents keeps and mounts none, and its Job's post-renderer still edits the next Job, also
    in a release that has the agents now."""
    template = Path("job", "templates", "_agents.tpl")
    plain_job = job_for(helm, tmp_path / "plain-job")
    assert (agents_job.volume / template).is_file()
    assert not (plain_job.volume / template).exists()

    for stream in (handed_stream(helm, FIXTURE_CHART, tmp_path / "plain"),
                   handed_stream(helm, FIXTURE_CHART, tmp_path / "with-agents", *DEPLOY)):
        run = plain_job.run(stream)
        assert run.returncode == 0, run.stderr
        assert "now has ocean-proxy's proxy" in plain_job.said()
        assert sum(a != b for a, b in zip(documents(stream), documents(run.stdout),
                                          strict=True)) == 1


def test_a_namesake_in_another_namespace_leaves_the_agent_its_edit(agents_job,
                                                                   next_with_agents):
    """A Deployment of the exporter's name in another namespace too: the exporter of the
    release namespace, the one the render edited, gets its edit again; the namesake passes
    byte for byte."""
    before = documents(next_with_agents)
    (at,) = [i for i, doc in enumerate(before) if f"kind: {EXPORTER[0]}\n".encode() in doc
             and f"  name: {EXPORTER[1]}\n".encode() in doc]
    namesake = before[at].replace(f"  namespace: {NAMESPACE}\n".encode(),
                                  b"  namespace: elsewhere\n")
    assert namesake != before[at]
    stream = next_with_agents + b"---\n" + namesake + b"\n"

    run = agents_job.run(stream)

    assert run.returncode == 0, run.stderr
    after = documents(run.stdout)
    assert after[-1] == documents(stream)[-1] and after[at] != before[at]
    assert f"{EXPORTER[0]}/{EXPORTER[1]} keep" in agents_job.said()


def test_a_job_created_before_the_agents_came_edits_them_once_their_edits_are_kept(
        helm, tmp_path: Path, next_with_agents):
    """The Job was created from a release without the agents; an upgrade turned them on and
    rewrote the kept Secret before its pod started (or retried): the pod's volume, from the
    old spec, still holds the agents' template the Secret now has, and the agents get their
    edit."""
    job = job_for(helm, tmp_path / "job", started_after=DEPLOY)
    assert (job.volume / "job" / "templates" / "_agents.tpl").is_file()

    run = job.run(next_with_agents)

    assert run.returncode == 0, run.stderr
    assert f"{EXPORTER[0]}/{EXPORTER[1]}" in job.said()
    assert "left the release as rendered" not in job.said()



def test_an_edit_larger_than_a_pipe_is_made_without_writing_the_release_to_disk(
        helm, agents_job, tmp_path: Path):
    """The edit's lines (the Job, the agents' pod templates, here an annotation of 70 kB)
    outgrow a pipe's buffer: bash would keep a here-string that long in a file of /tmp, or
    of /var/tmp or the current folder, the release's lines on the node's disk. Every place
    bash could put it is read-only here, and the edit is still made."""
    big = ("--set", "ocean-metric-exporter.podAnnotations.corp/notes=" + "n" * 70_000)
    stream = handed_stream(helm, FIXTURE_CHART, tmp_path / "plain", *DEPLOY, *big)
    here = tmp_path / "here"
    here.mkdir()
    read_only = ('for d in /tmp /var/tmp "$1"; do /bin/mount --bind "$d" "$d" && '
                 '/bin/mount -o remount,ro,bind "$d" || exit 9; done; cd "$1" && exec "$0"')

    run = run_command(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                       read_only, agents_job.renderer, here], stdin=stream,
                      env=agents_job.env(), cwd=here)

    assert run.returncode == 0, run.stderr
    assert templates(load_docs(run.text)) == \
        templates(ocean_proxy_release(helm, tmp_path / "again", chart_flags=(*DEPLOY, *big)))
