"""What a user of either helm major sees of the post-renderer: its messages wherever helm's
stderr goes, and the same rollout checksums for the same chart and values.

Helm 3 runs the console script from PATH; Helm 4 the post-renderer plugin installed from the
release tarball. Helm's stderr goes where a user sends it: a terminal (a pty), a pipe, or a file
opened by the shell with ``>``, ``2>`` or ``>>`` (the usual CI form is ``> deploy.log 2>&1``).
"""

from __future__ import annotations

import ctypes
import os
import pty
import re
import shlex
import shutil
import struct
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from .chart_render import FULLNAME, NAMESPACE, RELEASE, VENDOR_FLAGS, embedded_job, parse
from .conftest import FIXTURE_CHART, run_command, tool
from .plugin_harness import install_post_renderer_plugin, post_renderer_user_env

POST_RENDERER = ("--post-renderer", "ocean-proxy-post-renderer")
WITH_PROXY = (*VENDOR_FLAGS, "--set", "spotinst.proxyUrl=http://proxy.corp:3128")
REFUSED = ("--post-renderer-args", "--proxy-url=ftp://proxy.corp:3128")
ERROR = "ocean-proxy: error: --proxy-url uses the scheme 'ftp'"
HINT = "ocean-proxy: hint: use the form http://"
NOTICES = ("ocean-proxy: injected proxy http://proxy.corp:3128",
           "ocean-proxy: auto-update is on")  # a notice: every auto-update keeps the proxy

# How the shell sends helm's stderr somewhere; {log} is the file the user reads afterwards.
REDIRECTIONS = {
    "file opened with '>', stdout too": "{helm} > {log} 2>&1",
    "file opened with '2>'": "{helm} 2> {log} > /dev/null",
    "file opened with '>>'": "{helm} >> {log} 2>&1",
    "pipe": "{helm} 2>&1 > /dev/null | cat > {log}",
}


# Docker's default seccomp profile, in a container without CAP_SYS_PTRACE, refuses
# pidfd_getfd with EPERM (so does Yama's ptrace_scope 1 for a non-root user): a classic BPF
# filter doing just that, for x86-64 (the architecture of the helm binaries the tests use).
_AUDIT_ARCH_X86_64, _SYS_PIDFD_GETFD = 0xC000003E, 438
_SECCOMP_RET_ALLOW, _SECCOMP_RET_EPERM = 0x7FFF0000, 0x00050000 | 1
_REFUSE_PIDFD_GETFD = [  # (code, jump if true, jump if false, k)
    (0x20, 0, 0, 4),                    # load the architecture
    (0x15, 1, 0, _AUDIT_ARCH_X86_64),   # x86-64: go on
    (0x06, 0, 0, _SECCOMP_RET_ALLOW),
    (0x20, 0, 0, 0),                    # load the system call's number
    (0x15, 0, 1, _SYS_PIDFD_GETFD),
    (0x06, 0, 0, _SECCOMP_RET_EPERM),
    (0x06, 0, 0, _SECCOMP_RET_ALLOW),
]


def _refuse_pidfd_getfd() -> None:
    """preexec_fn: this process and all it starts get EPERM from pidfd_getfd."""

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    code = b"".join(struct.pack("HBBI", *op) for op in _REFUSE_PIDFD_GETFD)
    libc = ctypes.CDLL(None, use_errno=True)
    program = Program(len(_REFUSE_PIDFD_GETFD), code)
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(program), 0, 0):
        raise OSError(ctypes.get_errno(), "cannot install the seccomp filter")


class HelmUser(NamedTuple):
    """A user's helm with the post-renderer installed the way that major needs it."""

    major: str
    binary: Path
    env: dict[str, str]

    def argv(self, *flags: str) -> list[str]:
        return [str(self.binary), "template", RELEASE, str(FIXTURE_CHART), "--namespace",
                NAMESPACE, *flags]


def _install(major: str, home: Path, release: Path) -> HelmUser:
    env = post_renderer_user_env(major, home)
    env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset: messages go to helm's stderr
    user = HelmUser(major, tool(major), env)
    install_post_renderer_plugin(major, user.binary, release, env)
    return user


@pytest.fixture(scope="module")
def users(release: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, HelmUser]:
    return {major: _install(major, tmp_path_factory.mktemp(major), release)
            for major in ("helm3", "helm4")}


@pytest.fixture(params=["helm3", "helm4"])
def user(request: pytest.FixtureRequest, users: dict[str, HelmUser]) -> HelmUser:
    return users[request.param]


def _through_shell(user: HelmUser, redirection: str, flags: tuple[str, ...],
                   log: Path, *, refused: bool = False) -> tuple[int, str]:
    """Run helm as a shell line with that redirection; (exit status, what the log holds).
    ``refused``: under a kernel that refuses pidfd_getfd."""
    helm = shlex.join(user.argv(*flags))
    line = redirection.format(helm=helm, log=shlex.quote(str(log)))
    run = subprocess.run(["bash", "-c", f"set -o pipefail; {line}"], env=user.env,
                         capture_output=True, timeout=120, check=False,
                         preexec_fn=_refuse_pidfd_getfd if refused else None)
    return run.returncode, log.read_text(encoding="utf-8")


def _settled(log: Path, seconds: float = 10) -> str:
    """The log once what is appended after helm's exit is there (it comes a moment later)."""
    deadline = time.monotonic() + seconds
    text = log.read_text(encoding="utf-8")
    while "ocean-proxy: " not in text and time.monotonic() < deadline:
        time.sleep(0.05)
        text = log.read_text(encoding="utf-8")
    time.sleep(0.2)  # nothing more may come
    return log.read_text(encoding="utf-8")


def _on_a_terminal(user: HelmUser, flags: tuple[str, ...]) -> tuple[int, str]:
    """Run helm with its stderr on a terminal; (exit status, what the terminal showed)."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(user.argv(*flags), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=terminal, env=user.env)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: every writer of the terminal is gone
                break
            if not chunk:
                break
            shown += chunk
        returncode = process.wait(timeout=120)
    finally:
        os.close(controller)
    return returncode, shown.decode("utf-8").replace("\r\n", "\n")


def _lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def _our_block(stderr: str) -> str:
    """Our lines in helm's stderr: each message's first line, and the lines indented under it."""
    lines = stderr.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("ocean-proxy: "))
    end = first
    while end < len(lines) and lines[end].startswith(("ocean-proxy: ", "  ")):
        end += 1
    return "".join(lines[first:end])


@pytest.mark.parametrize("redirection", REDIRECTIONS)
def test_a_refused_render_says_why_once_wherever_stderr_goes(
        user: HelmUser, redirection: str, tmp_path: Path) -> None:
    status, log = _through_shell(user, REDIRECTIONS[redirection], (*WITH_PROXY, *POST_RENDERER,
                                                                    *REFUSED), tmp_path / "log")
    assert status != 0
    assert len(_lines_starting(log, ERROR)) == 1, log
    assert len(_lines_starting(log, HINT)) == 1, log
    assert len(_lines_starting(log, "Error: ")) == 1, log  # helm's own line, whole
    assert "ocean-proxy" in _lines_starting(log, "Error: ")[0]


def test_a_refused_render_says_why_once_on_a_terminal(user: HelmUser) -> None:
    status, shown = _on_a_terminal(user, (*WITH_PROXY, *POST_RENDERER, *REFUSED))
    assert status != 0
    assert len(_lines_starting(shown, ERROR)) == 1, shown
    assert len(_lines_starting(shown, HINT)) == 1, shown


@pytest.mark.parametrize("redirection", REDIRECTIONS)
def test_notices_arrive_once_and_the_output_stays_whole_wherever_stderr_goes(
        user: HelmUser, redirection: str, tmp_path: Path) -> None:
    manifests = run_command(user.argv(*WITH_PROXY, *POST_RENDERER), env=user.env)
    assert manifests.returncode == 0, manifests.stderr

    status, log = _through_shell(user, REDIRECTIONS[redirection], (*WITH_PROXY, *POST_RENDERER),
                                 tmp_path / "log")
    assert status == 0, log
    for notice in NOTICES:
        assert len(_lines_starting(log, notice)) == 1, log
    if "stdout too" in redirection:  # helm's manifests and our lines share one file
        ours = _our_block(manifests.stderr)
        assert ours.startswith("ocean-proxy: ") and ours in log, log  # in one piece
        assert log.replace(ours, "", 1) == manifests.text  # the manifests whole around it


def test_notices_arrive_once_on_a_terminal(user: HelmUser) -> None:
    status, shown = _on_a_terminal(user, (*WITH_PROXY, *POST_RENDERER))
    assert status == 0, shown
    for notice in NOTICES:
        assert len(_lines_starting(shown, notice)) == 1, shown


# Where the kernel refuses pidfd_getfd (a container's seccomp profile, Yama), a file opened
# with '>' or '2>' gets the lines once helm has exited, after helm's own.
TRUNCATING = [name for name in REDIRECTIONS if "'>>'" not in name and "pipe" not in name]


@pytest.mark.parametrize("redirection", TRUNCATING)
def test_without_pidfd_getfd_a_refused_render_still_says_why_once_after_helm(
        user: HelmUser, redirection: str, tmp_path: Path) -> None:
    log = tmp_path / "log"
    status, _ = _through_shell(user, REDIRECTIONS[redirection],
                               (*WITH_PROXY, *POST_RENDERER, *REFUSED), log, refused=True)
    assert status != 0
    text = _settled(log)
    assert len(_lines_starting(text, ERROR)) == 1, text
    assert len(_lines_starting(text, HINT)) == 1, text
    assert len(_lines_starting(text, "Error: ")) == 1, text
    if user.major == "helm4":  # Helm 3 quotes our stderr in its own error line as well
        assert text.index("Error: ") < text.index(ERROR)


@pytest.mark.parametrize("redirection", TRUNCATING)
def test_without_pidfd_getfd_notices_arrive_once_after_helms_output(
        user: HelmUser, redirection: str, tmp_path: Path) -> None:
    manifests = run_command(user.argv(*WITH_PROXY, *POST_RENDERER), env=user.env)
    log = tmp_path / "log"
    status, _ = _through_shell(user, REDIRECTIONS[redirection], (*WITH_PROXY, *POST_RENDERER),
                               log, refused=True)
    assert status == 0
    text = _settled(log)
    for notice in NOTICES:
        assert len(_lines_starting(text, notice)) == 1, text
    if "stdout too" in redirection:
        assert text.startswith(manifests.text)  # whole, and our lines after it


# --- one checksum across majors ------------------------------------------------------------

def _checksums(text: str) -> dict[str, str]:
    """Every checksum annotation of every pod template, the embedded Job's included."""
    rendered = parse(text)
    templates = {f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]
                 for d in rendered.docs if d["kind"] in ("Deployment", "DaemonSet")}
    templates["auto-update Job"] = embedded_job(rendered)["spec"]["template"]
    return {f"{where} {name}": value for where, template in templates.items()
            for name, value in (template["metadata"].get("annotations") or {}).items()
            if name.startswith("checksum/")}


@pytest.mark.parametrize("proxy_url", ["http://proxy.corp:3128",
                                       "http://svc-ocean:S3cret@proxy.corp:3128"])
def test_both_majors_give_the_same_checksums(users: dict[str, HelmUser], proxy_url: str,
                                             ca_file: Path) -> None:
    flags = (*VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={proxy_url}", *POST_RENDERER,
             "--post-renderer-args", f"--ca-file={ca_file}")
    found = {}
    for major, user in users.items():
        run = run_command(user.argv(*flags), env=user.env)
        assert run.returncode == 0, run.stderr
        found[major] = _checksums(run.text)
    assert f"Deployment/{FULLNAME} checksum/config" in found["helm3"]
    assert f"Deployment/{FULLNAME} checksum/proxy" in found["helm3"]
    assert found["helm4"] == found["helm3"]


@pytest.mark.parametrize("mistake", ["--proxy-ur=http://proxy.corp:3128", "--version", "-h"])
def test_a_hint_names_a_command_the_user_can_run_with_only_the_post_renderer_installed(
        user: HelmUser, mistake: str) -> None:
    """Helm 4 here has the post-renderer plugin alone, no `helm ocean-proxy`, and puts no
    plugin's bin/ on PATH; Helm 3 runs the post-renderer from PATH, beside `ocean-proxy`."""
    refused = run_command(user.argv(*POST_RENDERER, "--post-renderer-args", mistake),
                          env=user.env)
    assert refused.returncode != 0
    hint = re.search(r"^ocean-proxy: hint: run '([^']+)'", refused.stderr, re.MULTILINE)
    assert hint, refused.stderr
    words = hint.group(1).split()
    program = user.binary if words[0] == "helm" else shutil.which(words[0],
                                                                  path=user.env["PATH"])
    assert program, hint
    followed = run_command([program, *words[1:]], env=user.env)
    assert followed.returncode == 0 and followed.text.startswith(("usage:", "ocean-proxy")), \
        (hint.group(0), followed.stderr)



def test_a_hint_naming_the_plugins_own_command_can_be_pasted_when_helms_home_has_a_space(
        release: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Helm 4 with the post-renderer plugin alone names its bin/ocean-proxy; under a helm home
    with a space (macOS's 'Application Support', a Windows user name) the path is quoted, so
    that the command the hint gives runs as pasted into a shell."""
    user = _install("helm4", tmp_path_factory.mktemp("helm home"), release)
    for mistake in ("--proxy-ur=http://proxy.corp:3128", "--version"):
        refused = run_command(user.argv(*POST_RENDERER, "--post-renderer-args", mistake),
                              env=user.env)
        assert refused.returncode != 0
        hint = re.search(r"^ocean-proxy: hint: run '(.+)' (?:for the options|by itself)",
                         refused.stderr, re.MULTILINE)
        assert hint, refused.stderr
        words = shlex.split(hint.group(1))
        assert " " in words[0] and words[0].endswith("/bin/ocean-proxy"), hint.group(0)
        followed = run_command(words, env=user.env)
        assert followed.returncode == 0 and followed.text.startswith(("usage:", "ocean-proxy")), \
            (hint.group(0), followed.stderr)


def test_a_manifests_file_given_with_f_is_refused_not_deployed_in_place_of_helms(
        user: HelmUser, tmp_path: Path) -> None:
    """'--post-renderer-args -f --post-renderer-args old.yaml' (helm's own -f is a values
    file): helm would deploy old.yaml's manifests in place of what it rendered, exit 0."""
    old = tmp_path / "old.yaml"
    old.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-old-yaml\n")
    refused = run_command(user.argv(*WITH_PROXY, *POST_RENDERER, "--post-renderer-args", "-f",
                                    "--post-renderer-args", str(old)), env=user.env)
    assert refused.returncode != 0
    assert "from-old-yaml" not in refused.text
    assert len(_lines_starting(refused.stderr, "ocean-proxy: error: -f reads the manifests "
                                               "from a file instead of the ones helm "
                                               "rendered")) == 1, refused.stderr
