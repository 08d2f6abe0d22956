"""The Secrets go nowhere other users may read: through a descriptor the shell opened
('--secrets /dev/fd/9 9>FILE', FILE made with the umask's mode, 0644) into a file made its
owner's alone, as a file named directly is; and not into a FIFO of the user's that others may
open ('mkfifo /tmp/s' makes it 0644), where whoever reads first gets them."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .conftest import VENV_BIN, clean_env, run_command
from .test_secrets_file import (  # noqa: F401 - the fixtures
    ENCODED,
    PROXY,
    assert_refused,
    manifests,
    values,
)


@pytest.mark.parametrize("through", ["/dev/fd/9", "/proc/self/fd/9"])
@pytest.mark.parametrize("opened", [">", ">>", "<>"], ids=["truncated", "appended", "read-write"])
def test_a_file_of_yours_reached_through_a_descriptor_is_made_yours_alone(
        manifests, tmp_path, through, opened):  # noqa: F811 - the fixture
    secrets = tmp_path / "secrets.yaml"
    secrets.write_bytes(b"")
    secrets.chmod(0o644)

    run = run_command(["sh", "-c", f'exec 9{opened}"$1"; exec "$0" values --proxy-url "$2" '
                       f'--filename "$3" --secrets {through}', VENV_BIN / "ocean-proxy",
                       secrets, PROXY, manifests], env=clean_env())

    assert run.returncode == 0, run.stderr
    assert ENCODED in secrets.read_text()
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600  # the group and others lose read


def test_standard_output_in_a_file_keeps_its_mode(manifests, tmp_path):  # noqa: F811
    """The values on standard output hold no secret: a file '>' made keeps the umask's mode."""
    out, secrets = tmp_path / "values.yaml", tmp_path / "secrets.yaml"
    run = run_command(["sh", "-c", 'umask 022; exec "$0" values --proxy-url "$1" '
                       '--filename "$2" --secrets "$3" > "$4"', VENV_BIN / "ocean-proxy",
                       PROXY, manifests, secrets, out], env=clean_env())
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600


# a Python another user may run: the system's, where this one's is in root's home
_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or sys._base_executable  # type: ignore
# Another user's reader: open before any writer, then whatever comes within 3 seconds.
_READER = """
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
print("open", flush=True)
poller, got = select.poll(), b""
poller.register(fd, select.POLLIN)
while poller.poll(3000):
    chunk = os.read(fd, 1 << 16)
    if not chunk:
        break
    got += chunk
sys.stdout.buffer.write(got)
"""


@pytest.fixture
def world_tmp():
    """A sticky, world-writable folder that other users can reach, as /tmp is (pytest's own
    folders are root's alone); removed with all in it."""
    if os.geteuid() != 0:
        pytest.skip("a reader of another user needs root (make test runs as root)")
    folder = Path(tempfile.mkdtemp(prefix="ocean-proxy-fifo-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


def test_your_fifo_that_other_users_may_read_is_refused(manifests, world_tmp):  # noqa: F811
    """'mkfifo /tmp/s' makes it 0644: any user may open it, and whoever reads first gets the
    Secrets (a reader of another user's, waiting on it before kubectl is): refused, as a file
    others may read is not written, and nothing is written into it."""
    fifo = world_tmp / "secrets.yaml"
    os.mkfifo(fifo, 0o644)
    thief = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              _PYTHON, "-I", "-c", _READER, fifo],
                             stdout=subprocess.PIPE)
    try:
        assert thief.stdout.readline() == b"open\n"
        run = values(manifests, fifo)
    finally:
        stolen = thief.communicate(timeout=30)[0]
    assert ENCODED.encode() not in stolen
    assert_refused(run, "it is a FIFO other users may read")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_descriptor_open_only_for_reading_is_an_error_that_leaves_the_file_as_it_was(
        manifests, tmp_path):  # noqa: F811 - the fixture
    secrets = tmp_path / "secrets.yaml"
    secrets.write_bytes(b"old\n")
    secrets.chmod(0o644)

    run = run_command(["sh", "-c", 'exec 9<"$1"; exec "$0" values --proxy-url "$2" '
                       '--filename "$3" --secrets /dev/fd/9', VENV_BIN / "ocean-proxy",
                       secrets, PROXY, manifests], env=clean_env())

    assert_refused(run, "cannot write /dev/fd/9")
    assert secrets.read_bytes() == b"old\n"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o644
