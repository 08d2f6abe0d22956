"""``-o FILE`` the Unix way: a regular file is replaced whole or not at all, with the mode it
had (or the umask's, when new); a symlink is written through and stays a link; a FIFO or a
device is written into, never replaced; a missing directory is one clear error."""

from __future__ import annotations

import argparse
import os
import pty
import resource
import signal
import stat
import threading

import pytest

from post_renderer import output_file
from post_renderer.cli import main
from post_renderer.commands import Outcome
from post_renderer.errors import OutputError
from post_renderer.output_file import stage_output


@pytest.fixture(params=["unnamed", "named"])
def staging(request, monkeypatch) -> str:
    """Both ways a file is staged: without a name until committed (O_TMPFILE), or, where
    the file system cannot, under a hidden temporary name."""
    if request.param == "named":
        monkeypatch.setattr(output_file, "_UNNAMED", 0)
    return request.param


def write_output(path: str, data: bytes, **mode: int) -> None:
    """What the commands do with a file: stage it, then put it in place."""
    stage_output(path, data, **mode).commit()


def test_file_is_written_and_replaces_the_old_one_leaving_no_temporary(tmp_path, staging):
    target = tmp_path / "ca.pem"
    target.write_bytes(b"old")

    write_output(str(target), b"new CA\n")

    assert target.read_bytes() == b"new CA\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ca.pem"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_honours_the_umask(tmp_path, staging, umask, mode):
    old = os.umask(umask)
    try:
        write_output(str(tmp_path / "ca.pem"), b"CA")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "ca.pem").st_mode) == mode


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_an_existing_file_keeps_its_mode(tmp_path, staging, mode):
    target = tmp_path / "ca.pem"
    target.write_bytes(b"old")
    target.chmod(mode)

    write_output(str(target), b"new")

    assert stat.S_IMODE(os.stat(target).st_mode) == mode
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize("mode, kept", [(0o600, 0o600), (0o640, 0o600), (0o644, 0o600),
                                        (0o755, 0o700)])
def test_an_existing_file_for_secrets_keeps_its_mode_for_its_owner_alone(tmp_path, staging, mode,
                                                                         kept):
    target = tmp_path / "secrets.yaml"
    target.write_bytes(b"old")
    target.chmod(mode)

    write_output(str(target), b"kind: Secret", new_file_mode=0o600)

    assert stat.S_IMODE(os.stat(target).st_mode) == kept


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "ca.pem"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "ca.pem"
    link.symlink_to(real)

    write_output(str(link), b"new CA\n")

    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new CA\n"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.pem", "real"]
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["ca.pem"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "ca.pem"
    link.symlink_to(tmp_path / "target.pem")

    write_output(str(link), b"CA")

    assert link.is_symlink()
    assert (tmp_path / "target.pem").read_bytes() == b"CA"


def _read_all(fd: int, into: list[bytes]) -> None:
    with os.fdopen(fd, "rb") as stream:
        into.append(stream.read())


def _fifo_read_in_background(fifo, mode: int = 0o666) -> tuple[threading.Thread, list[bytes]]:
    """A new FIFO at ``fifo``, and a reader of everything written to it until closed."""
    os.mkfifo(fifo, mode)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    return reader, got


def test_a_fifo_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "ca.fifo"
    reader, got = _fifo_read_in_background(fifo)

    write_output(str(fifo), b"CA through a pipe\n")
    reader.join(10)

    assert got == [b"CA through a pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["ca.fifo"]


def test_a_link_to_standard_output_as_a_pipe_writes_into_the_pipe(tmp_path):
    """What ``-o /dev/stdout`` is (a link to /proc/self/fd/1), with a pipe of our own as fd."""
    read_end, write_end = os.pipe()
    got: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(read_end, got))
    reader.start()
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{write_end}")

    write_output(str(link), b"CA\n")
    os.close(write_end)
    reader.join(10)

    assert got == [b"CA\n"]
    assert os.readlink(link) == f"/proc/self/fd/{write_end}"
    assert [p.name for p in tmp_path.iterdir()] == ["stdout"]


def test_a_link_to_standard_output_as_a_terminal_writes_to_the_terminal(tmp_path):
    controller, terminal = pty.openpty()
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{terminal}")
    try:
        write_output(str(link), b"CA\n")
        assert os.read(controller, 100).replace(b"\r", b"") == b"CA\n"
        assert stat.S_ISCHR(os.stat(link).st_mode)
    finally:
        os.close(controller)
        os.close(terminal)


def test_a_link_to_standard_output_as_a_file_writes_into_that_file(tmp_path):
    """``ocean-proxy ... -o /dev/stdout > out.pem``: the shell's file gets the CA, in place."""
    out = tmp_path / "out.pem"
    with open(out, "wb") as shell_redirect:
        link = tmp_path / "stdout"
        link.symlink_to(f"/proc/self/fd/{shell_redirect.fileno()}")
        inode = os.stat(out).st_ino

        write_output(str(link), b"CA\n")

    assert out.read_bytes() == b"CA\n"
    assert os.stat(out).st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pem", "stdout"]


def test_dev_null_is_written_into():
    write_output("/dev/null", b"CA")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_missing_directory_is_a_clear_error_and_leaves_nothing(tmp_path):
    with pytest.raises(OutputError) as raised:
        write_output(str(tmp_path / "missing" / "ca.pem"), b"CA")

    assert "does not exist" in raised.value.message
    assert raised.value.hint
    assert list(tmp_path.iterdir()) == []


def test_target_that_is_a_directory_keeps_it_and_leaves_no_temporary(tmp_path):
    (tmp_path / "ca.pem").mkdir()

    with pytest.raises(OutputError, match="is a directory"):
        write_output(str(tmp_path / "ca.pem"), b"CA")

    assert [p.name for p in tmp_path.iterdir()] == ["ca.pem"]


def _writes_to(path: str):
    def handler(args: argparse.Namespace, said: Outcome) -> Outcome:
        said.notice("found the CA")
        said.write(b"CA\n")
        said.output_path = path
        return said

    def parser() -> argparse.ArgumentParser:
        built = argparse.ArgumentParser()
        built.set_defaults(handler=handler)
        return built

    return parser


def test_the_command_line_says_a_missing_directory_in_one_line_and_exits_1(
        tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("OCEAN_PROXY_MESSAGES", "stderr")
    code = main([], _writes_to(str(tmp_path / "missing" / "ca.pem")))
    out, err = capfd.readouterr()
    assert code == 1
    assert out == ""
    assert err.splitlines()[0].startswith("ocean-proxy: error: cannot write")
    assert "does not exist" in err.splitlines()[0]
    assert err.splitlines()[1].startswith("ocean-proxy: hint: ")
    assert len(err.splitlines()) == 2, err  # no "found the CA" before the failure


def test_the_signals_a_written_file_catches_are_handed_back_after_the_run(
        tmp_path, capfd, monkeypatch):
    """main() called in a process of its own (a test, a tool): SIGTERM ends that process as
    before once the file is written, not by an exception it may catch and go on."""
    monkeypatch.setenv("OCEAN_PROXY_MESSAGES", "stderr")
    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}

    assert main([], _writes_to(str(tmp_path / "ca.pem"))) == 0

    assert {number: signal.getsignal(number) for number in before} == before
    assert (tmp_path / "ca.pem").read_bytes() == b"CA\n"


def test_a_staged_file_discarded_leaves_the_old_one_and_no_temporary(tmp_path, staging):
    target = tmp_path / "secrets.yaml"
    target.write_bytes(b"old")
    staged = stage_output(str(target), b"new", new_file_mode=0o600)

    staged.discard()

    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.yaml"]


def test_a_file_the_disk_stops_midway_is_one_error_leaving_the_old_one_alone(tmp_path, staging):
    """A disk that fills up while the Secrets are written (here the file-size limit, which
    fails the write as a full disk does): the part written goes with the run, whatever its
    temporary name, and the old file stays."""
    target = tmp_path / "secrets.yaml"
    target.write_bytes(b"old")
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    ignored = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails, with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, limits[1]))
    try:
        with pytest.raises(OutputError) as raised:
            stage_output(str(target), b"s" * 65536, new_file_mode=0o600)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, ignored)

    assert "File too large" in raised.value.message and raised.value.hint
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.yaml"]
    assert target.read_bytes() == b"old"


def test_a_staged_file_is_in_place_only_once_committed(tmp_path, staging):
    target = tmp_path / "secrets.yaml"
    staged = stage_output(str(target), b"new", new_file_mode=0o600)
    assert not target.exists()
    names = [p.name for p in tmp_path.iterdir()]  # a run killed now leaves these
    assert names == [] if staging == "unnamed" else \
        len(names) == 1 and names[0].startswith(".secrets.yaml.ocean-proxy-")

    staged.commit()
    staged.discard()  # after a commit: nothing

    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_dot_dot_after_a_link_goes_where_the_kernel_goes(tmp_path, monkeypatch):
    """"link/../x" is the link target's sibling, as for '>', not the link's own sibling."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "link").symlink_to("../a/b")
    monkeypatch.chdir(tmp_path / "w")

    write_output("link/../x", b"CA")

    assert (tmp_path / "a" / "x").read_bytes() == b"CA"
    assert not (tmp_path / "w" / "x").exists()


def test_a_path_through_proc_that_is_not_an_open_file_is_a_path_like_any(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    write_output("/proc/self/cwd/secrets.yaml", b"kind: Secret", new_file_mode=0o600)

    assert stat.S_IMODE((tmp_path / "secrets.yaml").stat().st_mode) == 0o600


def test_a_descriptor_that_is_not_open_is_refused_before_anything_is_written():
    unused = os.dup(0)
    os.close(unused)
    with pytest.raises(OutputError):
        stage_output(f"/dev/fd/{unused}", b"kind: Secret")


def test_a_fifo_gets_the_data_once(tmp_path):
    """The in-place files are put in place before stdout, then with the rest: once."""
    fifo = tmp_path / "fifo"
    reader, received = _fifo_read_in_background(fifo, 0o600)  # others may not read secrets
    said = Outcome()
    said.side_file(str(fifo), b"kind: Secret\n", 0o600)
    said.write(b"values\n")
    from post_renderer.cli import _write_output

    _write_output(said)
    reader.join(timeout=10)
    assert received == [b"kind: Secret\n"]


def test_a_descriptor_opened_for_appending_is_appended_to(tmp_path):
    log = tmp_path / "log"
    log.write_bytes(b"kept\n")
    with log.open("ab") as stream:
        target = f"/proc/self/fd/{stream.fileno()}"
        write_output(target, b"added\n")
    assert log.read_bytes() == b"kept\nadded\n"


def test_a_pipe_of_this_process_is_written_into_whoever_made_it():
    read_end, write_end = os.pipe()
    try:
        write_output(f"/dev/fd/{write_end}", b"through the pipe")
        assert os.read(read_end, 100) == b"through the pipe"
    finally:
        os.close(read_end)
        os.close(write_end)
