"""Every I/O edge of the real command ends in one error line, one hint and a non-zero exit:
standard output full, closed or closed early by its reader, standard input closed. A success
summary never precedes the failure (the output is written before anything is said)."""

from __future__ import annotations

import contextlib
import os
import subprocess

import pytest

from .conftest import VENV_BIN, clean_env
from .test_leaks import release

ERROR, HINT = "ocean-proxy: error: ", "ocean-proxy: hint: "


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("io") / "release.yaml"
    path.write_bytes(release(proxy_url="http://proxy.corp:3128"))
    return str(path)


@pytest.fixture(scope="module")
def large_manifests(tmp_path_factory) -> str:
    """Larger than a pipe's buffer, so a reader that stops early breaks the write."""
    path = tmp_path_factory.mktemp("io") / "large.yaml"
    padding = b"".join(b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pad%d\n"
                       b"data:\n  x: %s\n" % (i, b"y" * 1000) for i in range(400))
    path.write_bytes(padding + release(proxy_url="http://proxy.corp:3128"))
    return str(path)


def shell(script: str, **env: str) -> tuple[int, str]:
    """Run ``script`` in bash (for redirections such as ``>&-``); exit code and stderr. Python
    buffers standard output as it does in a user's shell (``clean_env``)."""
    user_env = clean_env(PATH=f"{VENV_BIN}:{os.environ['PATH']}", **env)
    done = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60, env=user_env)
    return done.returncode, done.stderr.decode()


def assert_one_error(code: int, stderr: str, fragment: str) -> None:
    lines = stderr.splitlines()
    assert code == 1, stderr
    assert len(lines) == 2, stderr  # no summary, no notice, no "Exception ignored"
    assert lines[0].startswith(ERROR) and fragment in lines[0], stderr
    assert lines[1].startswith(HINT), stderr


@pytest.mark.parametrize("command", [
    "ocean-proxy render < {m}",
    "ocean-proxy render --explain < {m}",
    "ocean-proxy render --plan < {m}",
    "ocean-proxy-post-renderer < {m}",
])
def test_full_standard_output_is_one_error_without_a_success_summary(command, manifests):
    code, stderr = shell(command.format(m=manifests) + " > /dev/full")
    assert_one_error(code, stderr, "cannot write to standard output (No space left on device)")


def test_standard_output_open_only_for_reading_says_so_not_free_space(manifests, tmp_path):
    readonly = tmp_path / "readonly"
    readonly.write_bytes(b"")
    code, stderr = shell(f"ocean-proxy render < {manifests} 1< {readonly}")
    assert_one_error(code, stderr, "cannot write to standard output (Bad file descriptor)")
    assert "not open for writing" in stderr and "free space" not in stderr


@pytest.mark.parametrize("command", ["ocean-proxy render < {m}", "ocean-proxy render --plan < {m}"])
def test_closed_standard_output_is_one_error(command, manifests):
    code, stderr = shell(command.format(m=manifests) + " >&-")
    assert_one_error(code, stderr, "standard output is closed")


def test_a_reader_that_stops_early_is_one_error(large_manifests):
    code, stderr = shell(f"ocean-proxy render < {large_manifests} | head -c 10 > /dev/null; "
                         "exit ${PIPESTATUS[0]}")
    assert_one_error(code, stderr, "standard output was closed before everything was written")


@pytest.mark.parametrize("command", ["ocean-proxy --version", "ocean-proxy --help",
                                     "ocean-proxy verify --help", "ocean-proxy help verify",
                                     "ocean-proxy-post-renderer --version"])
def test_help_and_version_to_a_full_disk_are_one_error(command):
    """Not exit 0 with nothing written, nor Python's 'Exception ignored' and exit 120."""
    code, stderr = shell(command + " > /dev/full")
    assert_one_error(code, stderr, "cannot write to standard output (No space left on device)")


def test_check_bundle_report_to_a_full_disk_is_one_error(tmp_path):
    from . import certs

    ca = tmp_path / "ca.pem"
    ca.write_bytes(certs.root("IO Edge Root").pem)
    code, stderr = shell(f"ocean-proxy check-bundle {ca} > /dev/full")
    assert_one_error(code, stderr, "cannot write to standard output")


@pytest.mark.parametrize("command", ["ocean-proxy render", "ocean-proxy-post-renderer"])
def test_closed_standard_input_is_named_as_closed(command):
    code, stderr = shell(f"{command} --proxy-url http://proxy.corp:3128 <&- > /dev/null")
    lines = stderr.splitlines()
    assert code == 2, stderr
    assert len(lines) == 2 and lines[0] == ERROR + "standard input is closed", stderr
    assert lines[1].startswith(HINT)


def test_the_whole_render_reaches_its_reader_before_the_process_ends(large_manifests):
    """The console script ends without tearing the interpreter down: every byte is out first."""
    env = clean_env(PATH=f"{VENV_BIN}:{os.environ['PATH']}", OCEAN_PROXY_MESSAGES="stderr")
    runs = {}
    for how, command in {
        "console script": [str(VENV_BIN / "ocean-proxy-post-renderer")],
        "interpreter exit": [str(VENV_BIN / "python"), "-c", "import sys; from post_renderer.cli"
                             " import post_renderer_main; sys.exit(post_renderer_main())"],
    }.items():
        with open(large_manifests, "rb") as stdin:
            runs[how] = subprocess.run(command, stdin=stdin, capture_output=True, timeout=60,
                                       env=env)
        assert runs[how].returncode == 0, runs[how].stderr
    out = runs["console script"].stdout
    assert len(out) > 400_000
    assert all(b"  name: pad%d\ndata:\n  x: %s\n" % (i, b"y" * 1000) in out for i in range(400))
    assert out == runs["interpreter exit"].stdout
    assert runs["console script"].stderr == runs["interpreter exit"].stderr


def test_check_bundle_of_a_closed_standard_input_is_named_as_closed():
    code, stderr = shell("ocean-proxy check-bundle - <&- > /dev/null")
    lines = stderr.splitlines()
    assert code == 2, stderr
    assert len(lines) == 2 and lines[0] == ERROR + "standard input is closed", stderr
    assert lines[1].startswith(HINT)


def test_an_endless_standard_input_is_refused_past_the_limit_without_being_held_whole():
    """'yes | ocean-proxy-post-renderer': refused once the limit is passed, with memory bound
    by the limit (8 MiB here, in place of 2 GiB), not by what is fed. The child's peak is its
    own VmHWM: the rusage of a child counts the parent's pages from before its exec."""
    peak_read, peak_write = os.pipe()  # the child writes its peak there as it exits
    script = ("import os, re; exit_now = os._exit; os._exit = lambda code: (os.write("
              f"{peak_write}, re.search(rb'VmHWM:\\s*(\\d+)', open('/proc/self/status', 'rb')"
              ".read()).group(1)), exit_now(code)); "  # the script's exit: no atexit runs
              "import post_renderer.commands.render as render; render.MAX_INPUT_BYTES = 8 << 20;"
              " from post_renderer.console import post_renderer_script; post_renderer_script()")
    child = subprocess.Popen([str(VENV_BIN / "python"), "-c", script], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env(),
                             pass_fds=(peak_write,))
    os.close(peak_write)
    assert child.stdin is not None and child.stderr is not None
    fed, chunk, most = 0, b"y\n" * (1 << 19), 256 << 20
    with contextlib.suppress(BrokenPipeError), child.stdin:
        while fed < most:
            fed += child.stdin.write(chunk)
    stderr = child.stderr.read().decode()
    child.wait()
    with os.fdopen(peak_read, "rb") as peak:
        peak_kib = int(peak.read())
    assert_one_error(child.returncode, stderr, "standard input is larger than 8 MiB")
    assert fed < 64 << 20, fed  # it stopped reading: the rest of the input was never taken
    assert peak_kib < 120 << 10, peak_kib  # far below what was fed


@pytest.mark.parametrize("command", ["ocean-proxy render -f {f}",
                                     "ocean-proxy-post-renderer -f {f}",
                                     "ocean-proxy values --secrets {d}/s.yaml -f {f}"])
def test_an_empty_manifests_file_is_traced_to_the_render_that_wrote_it(command, tmp_path):
    """'helm template ... > r.yaml' that failed leaves r.yaml empty: the hint says so, and does
    not tell to pipe the manifests in, which -f would still ignore."""
    empty = tmp_path / "r.yaml"
    empty.write_bytes(b"")
    code, stderr = shell(command.format(f=empty, d=tmp_path)
                         + " --proxy-url http://proxy.corp:3128 > /dev/null")
    assert_one_error(code, stderr, f"no manifests on {empty}")
    hint = stderr.splitlines()[1]
    assert "pipe" not in hint, hint
    assert f"> {empty}" in hint, hint
    assert not (tmp_path / "s.yaml").exists()


@pytest.mark.parametrize("named", ["/dev/stdin", "<(true)"])
def test_an_empty_stream_named_by_f_is_told_to_get_the_manifests_piped_in(named):
    """-f /dev/stdin or a process substitution that gave nothing: no file to render into."""
    code, stderr = shell(f"true | ocean-proxy render -f {named} --proxy-url "
                         "http://proxy.corp:3128 > /dev/null")
    assert_one_error(code, stderr, "no manifests on")
    hint = stderr.splitlines()[1]
    assert "pipe the output of 'helm template' into it" in hint, hint
    assert "render into it" not in hint, hint


def with_stderr_full(command: list[str], stdin: str = os.devnull,
                     **env: str) -> subprocess.CompletedProcess[bytes]:
    """The console script run with its stderr on /dev/full, where every write fails with 'No
    space left on device' as on a full disk a log is redirected to."""
    user_env = clean_env(PATH=f"{VENV_BIN}:{os.environ['PATH']}", **env)
    with open(stdin, "rb") as given, open("/dev/full", "wb") as full:
        return subprocess.run([str(VENV_BIN / command[0]), *command[1:]], stdin=given,
                              stdout=subprocess.PIPE, stderr=full, timeout=60, env=user_env)


BUFFERINGS = [pytest.param({}, id="buffered"),
              pytest.param({"PYTHONUNBUFFERED": "1"}, id="unbuffered")]


@pytest.mark.parametrize("buffering", BUFFERINGS)
@pytest.mark.parametrize(("command", "code"), [
    (["ocean-proxy", "render", "--no-such-flag"], 2),
    (["ocean-proxy", "check-bundle"], 2),
    (["ocean-proxy", "check-bundle", "/nonexistent/ca.pem"], 1),
    (["ocean-proxy", "verify"], 2),
    (["ocean-proxy-post-renderer", "--no-such-flag"], 2),
    (["ocean-proxy-post-renderer"], 1),  # no manifests on standard input
])
def test_a_failed_command_whose_error_cannot_be_written_keeps_its_exit_code(command, code,
                                                                           buffering):
    """Not Python's 120 for a standard stream it could not flush as it exited: a script
    that tells a usage mistake (2) from bad input (1) still can."""
    run = with_stderr_full(command, **buffering)
    assert run.returncode == code
    assert run.stdout == b""


@pytest.mark.parametrize("buffering", BUFFERINGS)
@pytest.mark.parametrize("command", [["ocean-proxy", "render"], ["ocean-proxy-post-renderer"]])
def test_a_render_whose_notices_cannot_be_written_is_a_failure_like_unwritten_output(
        command, buffering, manifests):
    """The render is written whole, but what it had to say (where the proxy came from, the
    missing CA) is lost: exit 1, as for output that cannot be written, not 0 nor 120."""
    with open(manifests, "rb") as stdin:
        said = subprocess.run([str(VENV_BIN / command[0]), *command[1:]], stdin=stdin,
                              capture_output=True, timeout=60, env=clean_env())
    assert said.returncode == 0 and said.stderr.startswith(b"ocean-proxy: "), said.stderr
    run = with_stderr_full(command, manifests, **buffering)
    assert run.returncode == 1
    assert run.stdout == said.stdout


@pytest.mark.parametrize("buffering", BUFFERINGS)
@pytest.mark.parametrize("command", [["ocean-proxy", "--version"], ["ocean-proxy", "--help"],
                                     ["ocean-proxy-post-renderer", "--version"]])
def test_a_command_with_nothing_to_say_succeeds_with_stderr_unwritable(command, buffering):
    run = with_stderr_full(command, **buffering)
    assert run.returncode == 0
    assert run.stdout.startswith((b"ocean-proxy", b"usage: ocean-proxy"))
