"""A run holds the whole release in memory: the Spot token, the proxy password. A crash, or
Ctrl-\\ (SIGQUIT) at the terminal while helm waits, must not write that memory to a core file:
in the current directory, or in systemd-coredump's store, which honours the process's limit
(Fedora's shells allow core files by default). Both console scripts give up core files
before they read anything."""

from __future__ import annotations

import resource
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import VENV_BIN, clean_env

TOKEN = "spot-token-in-memory-7Qx"
PASSWORD = "pr0xy-pa55-in-memory"


def allow_core_files() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def core_pattern() -> str:
    return Path("/proc/sys/kernel/core_pattern").read_text().strip()


def waiting_on_standard_input(process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if "pipe_read" in Path(f"/proc/{process.pid}/wchan").read_text():
                return True
        except OSError:
            return False
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("script, args", [("ocean-proxy-post-renderer", []),
                                          ("ocean-proxy", ["render"]),
                                          ("ocean-proxy", ["check-bundle", "-"])])
def test_a_run_quit_while_it_holds_the_release_leaves_no_core_file(manifests, tmp_path, script,
                                                                    args):
    release = manifests.replace(b"TOKEN", TOKEN.encode()) + \
        f"# http://u:{PASSWORD}@proxy.corp:3128\n".encode()
    process = subprocess.Popen([VENV_BIN / script, *args], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=clean_env(), cwd=tmp_path, preexec_fn=allow_core_files)
    try:
        process.stdin.write(release)  # fits the pipe: read whole, then it waits for the end
        process.stdin.flush()
        assert waiting_on_standard_input(process)
        limits = Path(f"/proc/{process.pid}/limits").read_text()
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=60)
    finally:
        process.kill()
        process.stdin.close()
        process.stderr.close()
    (core_line,) = [line for line in limits.splitlines() if line.startswith("Max core file size")]
    assert core_line.split()[4] == "0", core_line  # the soft limit: no core file, any pattern
    assert process.returncode == -signal.SIGQUIT  # the signal still ends it as it does
    if not core_pattern().startswith("|"):  # a file, not a pipe to a collector: look for it
        assert [path.name for path in tmp_path.iterdir()] == []


def forbid_core_files() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.RLIM_INFINITY))


@pytest.mark.parametrize("script, args", [("ocean-proxy-post-renderer", []),
                                          ("ocean-proxy", ["render"])])
def test_a_run_where_core_files_are_off_already_loads_nothing_to_turn_them_off(manifests,
                                                                                script, args):
    """Most shells and CI runners start with a core-file limit of 0: a render there, which
    must stay fast, loads no module (the resource library) to set what is set already."""
    command = (f"import sys; sys.argv[0] = {script!r}; from post_renderer import console; "
               + ("console.post_renderer_script()" if script == "ocean-proxy-post-renderer"
                  else "sys.exit(console.ocean_proxy_script())"))
    run = subprocess.run([VENV_BIN / "python", "-X", "importtime", "-c", command, *args],
                         input=manifests, capture_output=True, env=clean_env(),
                         preexec_fn=forbid_core_files, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    imported = {line.rpartition(b"|")[2].strip().decode() for line in run.stderr.splitlines()
                if line.startswith(b"import time:")}
    assert "post_renderer.cli" in imported  # the run's imports are all listed
    assert "resource" not in imported
