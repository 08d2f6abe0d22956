"""The files a user names for secrets (``values --secrets``, ``discover-ca -o``) are theirs
alone, and a run that fails writes none of them.

Another user's symbolic link at the path (planted in /tmp, say) or another user's file there
is refused before anything is written: the link's owner chose where the proxy password goes,
the file's owner could read it. A run whose standard output fails leaves the Secrets file as
it was (one stopped by a signal: test_stopped_runs.py), and the Secrets never go to the
messages (``--secrets /dev/stderr``).
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
from pathlib import Path

import pytest

from .chart_render import NAMESPACE, RELEASE, VENDOR_FLAGS
from .conftest import FIXTURE_CHART, VENV_BIN, clean_env, ocean_proxy, run_command
from .test_io_edges import shell

PASSWORD = "S3cr3t-Pa55"
PROXY = f"http://svc-ocean:{PASSWORD}@proxy.corp.example:3128"
# what the Secrets file holds: the proxy URL in base64
ENCODED = base64.b64encode(PROXY.encode()).decode()
ERROR, HINT = "ocean-proxy: error: ", "ocean-proxy: hint: "
OTHER_USER = 65534  # nobody


@pytest.fixture(scope="module")
def manifests(helm3, tmp_path_factory) -> Path:
    """The chart as the real helm renders it, without a proxy of its own."""
    run = run_command([helm3, "template", RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE,
                       *VENDOR_FLAGS], env=clean_env())
    assert run.returncode == 0, run.stderr
    path = tmp_path_factory.mktemp("chart") / "manifests.yaml"
    path.write_bytes(run.stdout)
    return path


def values(manifests: Path, secrets: str | Path, cwd: Path | None = None):
    return ocean_proxy("values", "--proxy-url", PROXY, "--filename", manifests,
                       "--secrets", secrets, cwd=cwd)


def assert_refused(run, fragment: str, code: int = 1) -> None:
    """Exit ``code``, nothing on stdout, the error (after any warning) and its hint last."""
    lines = run.stderr.splitlines()
    assert run.returncode == code and run.stdout == b"", run.stderr
    assert lines[-2].startswith(ERROR) and fragment in lines[-2], run.stderr
    assert lines[-1].startswith(HINT), run.stderr
    assert PASSWORD not in run.stderr and ENCODED not in run.stderr
    assert "Traceback" not in run.stderr


def snapshot(folder: Path) -> dict[str, tuple[str, int, int, bytes | str]]:
    """Every entry in ``folder``: its kind, owner, mode and content (or a link's text)."""
    seen = {}
    for entry in sorted(folder.iterdir()):
        found = entry.lstat()
        content = os.readlink(entry) if entry.is_symlink() else entry.read_bytes()
        seen[entry.name] = (stat.filemode(found.st_mode), found.st_uid, found.st_gid, content)
    return seen


def as_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root (make test runs as root)")


@pytest.fixture
def shared_tmp(tmp_path: Path) -> Path:
    """A sticky, world-writable folder like /tmp, with a home of another user's beside it."""
    as_root()
    tmp_path.chmod(0o755)  # pytest's is root's alone: others must reach their files in it
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, OTHER_USER, OTHER_USER)
    return shared


def planted(shared_tmp: Path, name: str, target_exists: bool = True) -> Path:
    """``shared_tmp/name``: a link another user made to a file of theirs (or to none yet)."""
    home = shared_tmp.parent / "home"
    target = home / "f"
    if target_exists:
        target.write_bytes(b"")
        target.chmod(0o644)
        os.chown(target, OTHER_USER, OTHER_USER)
    link = shared_tmp / name
    link.symlink_to(target)
    os.lchown(link, OTHER_USER, OTHER_USER)
    return link


@pytest.mark.parametrize("target_exists", [True, False], ids=["to-their-file", "dangling"])
def test_a_link_another_user_planted_at_the_secrets_path_is_refused(
        manifests, shared_tmp, target_exists):
    link = planted(shared_tmp, "secrets.yaml", target_exists)
    before, home_before = snapshot(shared_tmp), snapshot(shared_tmp.parent / "home")

    run = values(manifests, link)

    assert_refused(run, "is a symbolic link made by another user (user 'nobody')")
    assert snapshot(shared_tmp) == before
    assert snapshot(shared_tmp.parent / "home") == home_before


def test_a_fifo_another_user_owns_is_refused(manifests, shared_tmp):
    """A FIFO would hand the Secrets to whoever reads it: its owner, waiting."""
    theirs = shared_tmp / "secrets.yaml"
    os.mkfifo(theirs, 0o622)
    os.chown(theirs, OTHER_USER, OTHER_USER)

    run = values(manifests, theirs)

    assert_refused(run, "it is a FIFO of another user (user 'nobody'), who reads what is")
    assert sorted(p.name for p in shared_tmp.iterdir()) == ["secrets.yaml"]


@pytest.mark.parametrize("through", ["the path", "a link of your own"])
def test_a_file_another_user_owns_is_replaced_by_one_they_cannot_read(
        manifests, shared_tmp, through):
    """A regular file is replaced, not written into: the new one is this user's, and holds
    secrets, so no one else reads it (a CI job as root over a checkout another uid owns)."""
    theirs = shared_tmp / "theirs.yaml"
    theirs.write_bytes(b"their own\n")
    theirs.chmod(0o644)
    os.chown(theirs, OTHER_USER, OTHER_USER)
    named = theirs
    if through != "the path":
        named = shared_tmp / "secrets.yaml"
        named.symlink_to(theirs)

    run = values(manifests, named)

    assert run.returncode == 0, run.stderr
    found = theirs.stat()
    assert found.st_uid == os.geteuid() and stat.S_IMODE(found.st_mode) & 0o077 == 0
    assert b"kind: Secret" in theirs.read_bytes()


def test_a_folder_another_user_owns_at_the_path_is_refused_as_a_folder(manifests, shared_tmp):
    run = values(manifests, shared_tmp.parent / "home")

    assert_refused(run, "it is a directory")
    # values has no -o: the hint speaks of the path given, not of discover-ca's flag
    assert "-o " not in run.stderr.splitlines()[-1], run.stderr


def test_a_link_another_user_made_on_the_way_to_the_folder_is_refused(manifests, shared_tmp):
    folder = shared_tmp / "work"
    folder.symlink_to(shared_tmp.parent / "home")
    os.lchown(folder, OTHER_USER, OTHER_USER)

    run = values(manifests, folder / "secrets.yaml")

    assert_refused(run, f"{folder} is a symbolic link made by another user")
    assert list((shared_tmp.parent / "home").iterdir()) == []


def test_discover_ca_refuses_a_link_another_user_planted_at_its_output(
        intercepting_proxy, net_pki, shared_tmp):
    link = planted(shared_tmp, "ca.pem")

    run = ocean_proxy("discover-ca", "--proxy-url", intercepting_proxy.url,
                      "--public-roots", net_pki.public_roots_file, "-o", link)

    assert run.returncode == 1 and run.stdout == b"", run.stderr
    assert "is a symbolic link made by another user" in run.stderr
    assert link.resolve().read_bytes() == b""


def test_your_own_link_and_file_are_written_through_for_your_eyes_only(manifests, tmp_path):
    real = tmp_path / "kept" / "secrets.yaml"
    real.parent.mkdir()
    real.write_bytes(b"old\n")
    real.chmod(0o644)
    link = tmp_path / "secrets.yaml"
    link.symlink_to(real)

    run = values(manifests, link)

    assert run.returncode == 0, run.stderr
    assert link.is_symlink() and ENCODED in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # the group and others lose read
    assert [p.name for p in real.parent.iterdir()] == ["secrets.yaml"]


# -- a failed run writes no Secrets ----------------------------------------------------------


@pytest.mark.parametrize("redirect, says", [(">&-", "standard output is closed"),
                                            ("> /dev/full", "No space left on device"),
                                            ("1</dev/null", "is not open for writing")])
@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_a_run_whose_output_fails_leaves_the_secrets_file_as_it_was(
        manifests, tmp_path, redirect, says, existing):
    secrets = tmp_path / "secrets.yaml"
    if existing:
        secrets.write_bytes(b"# the Secrets of the last run\n")
        secrets.chmod(0o600)
    before = snapshot(tmp_path)

    code, stderr = shell(f"ocean-proxy values --proxy-url '{PROXY}' --filename {manifests} "
                         f"--secrets {secrets} {redirect}")

    lines = stderr.splitlines()
    assert code == 1 and lines[-2].startswith(ERROR) and says in stderr, stderr
    assert snapshot(tmp_path) == before  # no Secrets, no temporary file left over
    assert "free space" not in stderr or "No space" in stderr  # the hint fits the failure


@pytest.mark.skipif(not os.path.exists("/usr/bin/unshare"), reason="needs util-linux's unshare")
def test_secrets_for_a_read_only_folder_are_one_error_and_written_nowhere(manifests, tmp_path):
    """A GitOps checkout on a read-only mount (a CI container's volume) refuses both ways a
    file is staged: without a name (O_TMPFILE), then under a temporary one. The run says the
    kernel's reason in one line, as for any file it cannot write, and prints no values."""
    as_root()  # to mount the folder read-only, in a mount namespace of the run's own
    folder = tmp_path / "gitops"
    folder.mkdir()
    read_only = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && cd "$0" && ' \
        'exec "$@"'

    run = run_command(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                       read_only, folder, VENV_BIN / "ocean-proxy", "values", "--proxy-url",
                       PROXY, "--filename", manifests, "--secrets", "secrets.yaml"],
                      env=clean_env())

    assert_refused(run, "cannot write secrets.yaml: its directory")
    assert "is on a read-only file system" in run.stderr
    assert len(run.stderr.splitlines()) == 2, run.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(not os.path.exists("/usr/bin/unshare"), reason="needs util-linux's unshare")
def test_secrets_are_written_where_no_proc_is_mounted(manifests, tmp_path):
    """A chroot or a build sandbox without /proc: a file staged without a name could not be
    given one (that goes through /proc/self/fd), so it is staged under a temporary name."""
    as_root()  # to hide /proc, in a mount namespace of the run's own
    no_proc = 'mount -t tmpfs none /proc && cd "$0" && exec "$@"'

    run = run_command(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                       no_proc, tmp_path, VENV_BIN / "ocean-proxy", "values", "--proxy-url",
                       PROXY, "--filename", manifests, "--secrets", "secrets.yaml"],
                      env=clean_env())

    assert run.returncode == 0, run.stderr
    assert ENCODED in (tmp_path / "secrets.yaml").read_text()
    assert [entry.name for entry in tmp_path.iterdir()] == ["secrets.yaml"]


@pytest.mark.parametrize("stream", ["/dev/stderr", "/dev/fd/2"])
def test_secrets_may_not_go_to_the_messages(manifests, stream):
    run = values(manifests, stream)

    assert_refused(run, "--secrets names the file standard error goes to", code=2)


def test_secrets_to_the_file_standard_error_goes_to_is_refused(manifests, tmp_path):
    log = tmp_path / "log.txt"
    with log.open("wb") as stderr:
        run = subprocess.run([VENV_BIN / "ocean-proxy", "values", "--proxy-url", PROXY,
                              "--filename", manifests, "--secrets", log],
                             stdout=subprocess.PIPE, stderr=stderr, env=clean_env(),
                             check=False, timeout=60)
    text = log.read_text()
    assert run.returncode == 2 and run.stdout == b""
    assert "--secrets names the file standard error goes to" in text
    assert ENCODED not in text and PASSWORD not in text


def test_secrets_to_the_file_standard_input_comes_from_is_refused(manifests, tmp_path):
    """'values --secrets in.yaml < in.yaml' would replace the manifests it reads."""
    given = tmp_path / "in.yaml"
    given.write_bytes(manifests.read_bytes())
    with given.open("rb") as stdin:
        run = subprocess.run([VENV_BIN / "ocean-proxy", "values", "--proxy-url", PROXY,
                              "--secrets", given], stdin=stdin, capture_output=True,
                             env=clean_env(), check=False, timeout=60)
    assert run.returncode == 2 and run.stdout == b""
    assert "--secrets names the file standard input comes from" in run.stderr.decode()
    assert given.read_bytes() == manifests.read_bytes()


def test_secrets_to_dash_is_refused_and_no_file_named_dash_holds_them(manifests, tmp_path):
    """'--secrets -', as standard output is often spelt ('discover-ca -o -' means it): standard
    output carries the values, so the Secrets cannot go there too, and a file named '-' with
    the password and the token in the working directory is not what was asked for."""
    run = values(manifests, "-", cwd=tmp_path)

    assert_refused(run, "--secrets - would be standard output", code=2)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_secrets_path_says_so_and_writes_nothing(manifests, tmp_path):
    """'--secrets "$SECRETS"' with SECRETS unset: said as such, no file in the folder above."""
    work = tmp_path / "work"
    work.mkdir()

    run = values(manifests, "", cwd=work)

    assert_refused(run, "--secrets is given but empty", code=2)
    assert [p.name for p in tmp_path.iterdir()] == ["work"] and list(work.iterdir()) == []


@pytest.mark.parametrize("flag", ["--release=", "--namespace=", "--values=", "--workload="])
def test_an_empty_release_namespace_or_values_flag_says_so_and_writes_nothing(
        manifests, tmp_path, flag):
    """'--namespace "$NS"' with NS unset: the Secrets were written for the namespace of the
    manifests instead, without a word; '--values ""' was a values file with no name."""
    run = ocean_proxy("values", "--proxy-url", PROXY, "--filename", manifests,
                      "--secrets", tmp_path / "secrets.yaml", flag)

    assert_refused(run, f"{flag[:-1]} is given but empty", code=2)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_output_path_of_discover_ca_says_so_before_any_probe():
    run = ocean_proxy("discover-ca", "--proxy-url", "http://127.0.0.1:9", "-o", "")

    assert run.returncode == 2 and run.stdout == b""
    assert run.stderr.splitlines()[0] == f"{ERROR}-o/--output is given but empty"


def test_a_descriptor_open_on_another_users_file_is_refused(manifests, shared_tmp):
    """'--secrets /dev/fd/9 9<>their-file' would write into their file, as it is."""
    theirs = shared_tmp / "theirs"
    theirs.write_bytes(b"")
    theirs.chmod(0o644)
    os.chown(theirs, OTHER_USER, OTHER_USER)

    run = run_command(["sh", "-c", 'exec 9<>"$1"; exec "$0" values --proxy-url "$2" '
                       '--filename "$3" --secrets /dev/fd/9', VENV_BIN / "ocean-proxy",
                       theirs, PROXY, manifests], env=clean_env())

    assert_refused(run, "it is open on a file of another user (user 'nobody')")
    assert theirs.read_bytes() == b""


def test_another_process_descriptor_is_a_link_like_any_other(manifests, shared_tmp):
    """/proc/<pid>/fd/N of another user's process is a link they own: refused."""
    reader = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               "sleep", "30"], stdout=subprocess.PIPE)
    try:
        run = values(manifests, f"/proc/{reader.pid}/fd/1")
    finally:
        reader.kill()
        reader.wait()

    assert_refused(run, "a symbolic link made by another user (user 'nobody')")


@pytest.mark.parametrize("target", ["socket", "/dev/full"])
def test_a_target_written_into_that_fails_leaves_nothing_on_stdout(manifests, tmp_path, target):
    if target == "socket":
        import socket

        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(tmp_path / "sock"))
        target = str(tmp_path / "sock")
    run = values(manifests, target)

    assert_refused(run, "it is a socket" if target.endswith("sock") else "No space left")


def test_a_long_path_is_clipped_in_the_message(manifests, tmp_path):
    deep = "/".join(["d"] * 3000) + "/secrets.yaml"

    run = values(manifests, deep, cwd=tmp_path)

    assert_refused(run, "does not exist")
    assert len(run.stderr) < 1000
