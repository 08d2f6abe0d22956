"""The auto-update Job's own post-renderer, alone: bash builtins and the real helm 3 and 4, and
the oldest helm 3 at hand, 3.4.2.

Its files are taken from the Secret ocean-proxy really writes, laid out as the kubelet
mounts them (atomic-writer links, the wrapper's mode 0555). It is run with ``PATH`` holding
nothing but ``helm``, on the release each helm really hands a post-renderer (helm 4
re-serialises it), as the Job's ``helm upgrade`` runs it:

- the next Job gets exactly the edit ocean-proxy gave the first one, and every other byte of
  the release passes through;
- whatever it does not recognise leaves the release byte-identical (exit 0) and says why in
  the Job's log; with ``--strict`` it fails instead, so helm applies nothing.
"""

from __future__ import annotations

import base64
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from post_renderer.job_renderer import MOUNT, PLUGIN
from post_renderer.render.overlay.job import extend_script

from . import certs
from .auto_update_emulation import JOB_KEY, copy_chart, load_docs
from .chart_render import FULLNAME, NAMESPACE, RELEASE
from .conftest import FIXTURE_CHART, Run, clean_env, is_helm4, post_renderer, run_command, tool
from .kubelet_view import container_view
from .pod_sandbox import volume_dir

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


# 3.4.2, the oldest helm 3 a registry package carries (the Job's post-renderer needs nothing
# newer), and 3.19.0, 4.1.4, 4.2.3, other releases a Job image may have ("Which helm versions")
@pytest.fixture(params=["helm3", "helm4", "helm3.4.2", "helm3.19.0", "helm4.1.4", "helm4.2.3"])
def helm(request) -> Path:
    return tool(request.param)


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


def ocean_proxy_release(helm: Path, tmp: Path, *flags: str) -> list[dict[str, Any]]:
    """The release post-rendered once by ocean-proxy, as the pipeline does."""
    tmp.mkdir(parents=True, exist_ok=True)
    rendered = helm_template(helm, FIXTURE_CHART, tmp)
    assert rendered.returncode == 0, rendered.stderr
    run = post_renderer(*flags, stdin=rendered.stdout)
    assert run.returncode == 0, run.stderr
    return load_docs(run.text)


def embedded_job(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (configmap,) = [d for d in docs if d["kind"] == "ConfigMap"
                    and d["metadata"]["name"] == FULLNAME]
    return yaml.safe_load(configmap["data"][JOB_KEY])


def job_for(helm: Path, tmp: Path, *flags: str) -> Job:
    """The Job's post-renderer as the first Job ocean-proxy wrote mounts it."""
    docs = ocean_proxy_release(helm, tmp / "pipeline", *flags)
    pod = embedded_job(docs)["spec"]["template"]
    view = container_view(docs, pod, "auto-update", namespace=NAMESPACE)
    (mount,) = [m for m in view.secret_mounts if m.mount_path == MOUNT]
    bin_dir = tmp / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "helm").symlink_to(helm)
    work = tmp / "work"
    work.mkdir()
    return Job(volume_dir(mount, tmp / "volumes"), bin_dir, work)


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


# -- the edit ---------------------------------------------------------------------------


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


# -- what it leaves alone ----------------------------------------------------------------


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


# -- its cost ------------------------------------------------------------------------------


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
