"""What a cache directory someone else filled, or a broken one, can do to a run, through the
commands: a fact file written without this user's key never makes a server certificate a CA; a
link, a FIFO or a huge file where a fact file goes is a miss (never read, never a hang, never
memory); a cache that cannot be written or a key that cannot be made costs speed, not the run;
and ``check-bundle`` keeps the cache's rules (``--no-cache``, one notice) as the render does.

The cache directory is what a CI job restores from a shared cache (which another job may
have written); the key stays in helm's config directory, which is not restored."""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
from pathlib import Path

import pytest

from post_renderer.trust import certificate_from_der, fact_cache
from post_renderer.trust.fact_cache import entry_file_name, facts_json

from . import certs
from .conftest import VENV_BIN, Run, clean_env, ocean_proxy, post_renderer

SERVER_NOT_CA = "is a server certificate, not a CA"
NOT_USED = "the certificate cache is not used"


@pytest.fixture(scope="module")
def leaf(tmp_path_factory) -> tuple[certs.Issued, Path]:
    """A server certificate, as a user pastes by mistake instead of the proxy's CA."""
    issued = certs.leaf(certs.root("Poisoned Corp Root CA"), "proxy.corp")
    path = tmp_path_factory.mktemp("leaf") / "server.pem"
    path.write_bytes(issued.pem)
    return issued, path


def cache_env(tmp_path: Path, key: Path | None = None, **extra: str) -> dict[str, str]:
    return clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"),
                     OCEAN_PROXY_CACHE_KEY_FILE=str(key or tmp_path / "config" / "cache.key"),
                     **extra)


def same_run(run: Run, without_cache: Run) -> None:
    assert (run.returncode, run.stdout, run.stderr) == \
        (without_cache.returncode, without_cache.stdout, without_cache.stderr)


def entry(cache: Path, issued: certs.Issued) -> Path:
    return cache / entry_file_name(issued.fingerprint)


def tagged(key: bytes, issued: certs.Issued, **facts: object) -> bytes:
    """The fact file of ``issued`` as a run holding ``key`` would write it, with ``facts``
    changed (what a forger would say)."""
    record = {**facts_json(certificate_from_der(issued.der)), **facts}
    data = json.dumps(record, sort_keys=True).encode()
    return fact_cache._tag(key, issued.fingerprint, data) + data


# -- forged facts -----------------------------------------------------------------------------


def another_installs_key(tmp_path: Path, leaf_file: Path) -> bytes:
    """The key of another user's (or another CI runner's) ocean-proxy, made as any run makes
    its own."""
    other = tmp_path / "other"
    assert ocean_proxy("check-bundle", leaf_file, env=cache_env(other)).returncode == 1
    return (other / "config" / "cache.key").read_bytes()


@pytest.mark.parametrize("forger", ["no key", "another install's key"])
def test_a_fact_file_forged_without_this_users_key_does_not_make_a_server_certificate_a_ca(
        forger, leaf, manifests, tmp_path):
    """test_fact_cache forges against a FactCache handed its key; this checks that both
    commands hand it the user's key, and that each install's key is its own: else the
    forgery passes, and the refusal the user sees is gone."""
    issued, leaf_file = leaf
    env = cache_env(tmp_path)
    refused = ocean_proxy("check-bundle", leaf_file, "--no-cache", env=env)
    render_refused = post_renderer("--ca-file", leaf_file, "--no-cache", stdin=manifests,
                                   env=env)
    assert refused.returncode == 1 and SERVER_NOT_CA in refused.stderr
    assert render_refused.returncode != 0 and SERVER_NOT_CA in render_refused.stderr
    same_run(ocean_proxy("check-bundle", leaf_file, env=env), refused)  # the key is made
    key = b"" if forger == "no key" else another_installs_key(tmp_path, leaf_file)
    forged, path = tagged(key, issued, is_ca=True, findings=[]), entry(tmp_path / "cache", issued)
    path.write_bytes(forged)
    same_run(ocean_proxy("check-bundle", leaf_file, env=env), refused)
    assert path.read_bytes() != forged  # a miss: the true facts were written over it
    path.write_bytes(forged)
    same_run(post_renderer("--ca-file", leaf_file, stdin=manifests, env=env), render_refused)


# -- what is where a fact file goes ---------------------------------------------------------


def warm_cache(tmp_path: Path, leaf_file: Path) -> tuple[dict[str, str], Run]:
    """A cache with the leaf's entry in it, and what check-bundle says without a cache."""
    env = cache_env(tmp_path)
    without = ocean_proxy("check-bundle", leaf_file, "--no-cache", env=env)
    same_run(ocean_proxy("check-bundle", leaf_file, env=env), without)
    return env, without


def test_a_link_where_a_fact_file_goes_is_not_read_though_it_points_at_a_good_entry(
        leaf, tmp_path):
    """The cache's own entry, moved out and linked back: a miss, and the link is replaced by
    a file of the cache's own, not followed to the file it names (which stays as it was).
    A good entry behind the link is what tells a run that reads through links (a hit) from
    one that does not; test_cache_safety's links name files that are no entry."""
    issued, leaf_file = leaf
    env, without = warm_cache(tmp_path, leaf_file)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    moved = entry(tmp_path / "cache", issued).rename(elsewhere / "entry.json")
    held = moved.read_bytes()
    entry(tmp_path / "cache", issued).symlink_to(moved)
    same_run(ocean_proxy("check-bundle", leaf_file, env=env), without)
    assert stat.S_ISREG(entry(tmp_path / "cache", issued).lstat().st_mode)
    assert moved.read_bytes() == held


def test_a_fifo_holding_an_entry_where_a_fact_file_goes_is_not_read(leaf, tmp_path):
    """A FIFO another process keeps open and full: it is not a file the cache wrote, so it
    is a miss (and is replaced by one), whatever it holds. test_cache_safety's FIFO has no
    writer: it catches a run that waits on it, this one a run that reads it."""
    issued, leaf_file = leaf
    env, without = warm_cache(tmp_path, leaf_file)
    path = entry(tmp_path / "cache", issued)
    held = path.read_bytes()
    path.unlink()
    os.mkfifo(path, 0o600)
    writer = os.open(path, os.O_RDWR | os.O_NONBLOCK)  # open at both ends: no wait
    try:
        os.write(writer, held)
        same_run(ocean_proxy("check-bundle", leaf_file, env=env), without)
    finally:
        os.close(writer)
    assert stat.S_ISREG(path.lstat().st_mode)


def test_a_huge_file_where_a_fact_file_goes_is_not_read_into_memory(leaf, tmp_path):
    """A file of 768 MiB (sparse: no disk) in the user's own cache: the run reads at most a
    fact file's limit of it. It runs with 256 MiB of address space, where reading the file
    would fail the run."""
    issued, leaf_file = leaf
    env, without = warm_cache(tmp_path, leaf_file)
    path = entry(tmp_path / "cache", issued)
    with path.open("r+b") as handle:
        handle.truncate(768 << 20)
    limit = 256 << 20

    def small() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run([VENV_BIN / "ocean-proxy", "check-bundle", leaf_file],
                          capture_output=True, env=env, preexec_fn=small, timeout=120,
                          check=False)
    same_run(Run(done.returncode, done.stdout, done.stderr.decode()), without)
    assert path.stat().st_size < fact_cache.MAX_FILE_BYTES  # the miss wrote the entry again


# -- a cache that cannot be used ----------------------------------------------------------------

_READ_ONLY_CACHE = """
import errno, os, sys

def _hook(event, args):
    if event == "open" and isinstance(args[2], int) and args[2] & os.O_CREAT \\
            and str(args[0]).endswith(".tmp"):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), args[0])

sys.addaudithook(_hook)
"""


def test_a_cache_on_a_read_only_file_system_costs_speed_not_the_render(leaf, manifests,
                                                                        tmp_path):
    """A pod with a read-only root file system, the cache directory and key baked into the
    image: no fact file can be written, and the render is what it is without a cache, its
    messages included (test_fact_cache reads a read-only cache in-process, where a failed
    write that reached the command would go unseen)."""
    _, leaf_file = leaf
    root = certs.root("Read Only Corp Root CA")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(root.pem)
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "sitecustomize.py").write_text(_READ_ONLY_CACHE)
    env = cache_env(tmp_path)
    assert ocean_proxy("check-bundle", leaf_file, env=env).returncode == 1  # key and folder
    read_only = {**env, "PYTHONPATH": str(tmp_path / "hooks")}
    before = sorted(os.listdir(tmp_path / "cache"))
    same_run(post_renderer("--ca-file", ca_file, stdin=manifests, env=read_only),
             post_renderer("--ca-file", ca_file, "--no-cache", stdin=manifests, env=env))
    assert sorted(os.listdir(tmp_path / "cache")) == before


_NO_UNNAMED_FILES = """
import errno, os, sys

def _hook(event, args):
    if event == "open" and isinstance(args[2], int) and \\
            args[2] & os.O_TMPFILE == os.O_TMPFILE:
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP), args[0])

sys.addaudithook(_hook)
"""


def test_where_unnamed_files_cannot_be_made_the_key_is_still_private_and_used(leaf, tmp_path):
    """A file system without ``O_TMPFILE`` (older overlayfs): the key is made under a
    temporary name, 0600 all the same, and the next run uses it without a word."""
    issued, leaf_file = leaf
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "sitecustomize.py").write_text(_NO_UNNAMED_FILES)
    env = cache_env(tmp_path, PYTHONPATH=str(tmp_path / "hooks"))
    without = ocean_proxy("check-bundle", leaf_file, "--no-cache", env=env)
    for _ in range(2):
        same_run(ocean_proxy("check-bundle", leaf_file, env=env), without)
    key = tmp_path / "config" / "cache.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_size == 32
    assert os.listdir(key.parent) == ["cache.key"]
    assert entry(tmp_path / "cache", issued).is_file()


def test_a_key_that_cannot_be_made_there_costs_speed_not_the_render(manifests, tmp_path):
    """OCEAN_PROXY_CACHE_KEY_FILE under a file (a typo, or a config folder that is a file):
    no key, no cache, the same render."""
    root = certs.root("Keyless Corp Root CA")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(root.pem)
    (tmp_path / "config").write_bytes(b"a file, not a folder")
    env = cache_env(tmp_path, tmp_path / "config" / "ocean-proxy" / "cache.key")
    run = post_renderer("--ca-file", ca_file, stdin=manifests, env=env)
    without = post_renderer("--ca-file", ca_file, "--no-cache", stdin=manifests, env=env)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert run.stdout == without.stdout
    assert not any((tmp_path / "cache").glob("*.json"))


@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_a_key_that_is_not_a_regular_file_is_refused_for_that(kind, leaf, tmp_path):
    """The notice says what is wrong with the key: 'chmod go= it' would not mend a link,
    and 'delete it: a new one is made' is not why a FIFO is refused."""
    _, leaf_file = leaf
    key = tmp_path / "cache.key"
    if kind == "link":
        real = tmp_path / "real.key"
        real.write_bytes(os.urandom(32))
        real.chmod(0o600)
        key.symlink_to(real)
    else:
        os.mkfifo(key, 0o600)
    run = ocean_proxy("check-bundle", leaf_file, env=cache_env(tmp_path, key))
    assert run.returncode == 1
    said = [line for line in run.stderr.splitlines() if NOT_USED in line]
    assert said == [f"ocean-proxy: {NOT_USED}: the cache key {key} is "
                    "not a regular file"]


# -- check-bundle keeps the cache's rules -----------------------------------------------------


def test_check_bundle_without_the_cache_writes_nothing(leaf, tmp_path):
    _, leaf_file = leaf
    env = cache_env(tmp_path)
    assert ocean_proxy("check-bundle", leaf_file, "--no-cache", env=env).returncode == 1
    assert not (tmp_path / "cache").exists() and not (tmp_path / "config").exists()


def test_check_bundle_says_once_why_a_shared_cache_is_not_used(leaf, tmp_path):
    _, leaf_file = leaf
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache").chmod(0o770)
    run = ocean_proxy("check-bundle", leaf_file, env=cache_env(tmp_path))
    assert run.returncode == 1
    said = [line for line in run.stderr.splitlines() if NOT_USED in line]
    assert said == [f"ocean-proxy: {NOT_USED}: {tmp_path / 'cache'} can "
                    "be read or written by other users (chmod go= it)"]
