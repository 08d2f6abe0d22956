"""The certificate fact cache cannot be steered by anyone else: no link or FIFO is followed, a
directory or key others could read or write is not used (and the run says why, once), only
the cache's own names are pruned, and an entry written by another version is a miss."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from post_renderer import private_files
from post_renderer.trust import certificate_from_der, fact_cache
from post_renderer.trust.fact_cache import FactCache, entry_file_name, fact_cache_for

from . import certs
from .conftest import clean_env, post_renderer

NOT_USED = "the certificate cache is not used"
OLD = time.time() - 30 * 24 * 3600


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "corp-root.pem"
    path.write_bytes(certs.root("Safety Corp Root CA").pem)
    return path


def render(manifests: bytes, ca_file: Path, cache: Path, key: Path | None = None, *args: str):
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(cache),
                    OCEAN_PROXY_CACHE_KEY_FILE=str(key or cache.parent / "cache.key"))
    return post_renderer("--ca-file", ca_file, *args, stdin=manifests, env=env)


def expected(manifests: bytes, ca_file: Path, tmp_path: Path) -> bytes:
    run = render(manifests, ca_file, tmp_path / "unused", None, "--no-cache")
    assert run.returncode == 0, run.stderr
    return run.stdout


def old_files(folder: Path, count: int = 3) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for index in range(count):
        path = folder / f"{index:064x}.json"
        path.write_bytes(b"someone else's file")
        os.utime(path, (OLD, OLD))
        made.append(path)
    return made


def fingerprint(ca_file: Path) -> str:
    der = x509.load_pem_x509_certificate(ca_file.read_bytes()).public_bytes(Encoding.DER)
    return certificate_from_der(der).fingerprint


# -- links, FIFOs, pruning ----------------------------------------------------------------


def test_a_planted_outputs_link_and_links_under_fact_names_are_never_followed(
        manifests, ca_file, tmp_path):
    victim = tmp_path / "victim"
    victims = old_files(victim)
    target = tmp_path / "target.txt"
    target.write_bytes(b"not the cache's")
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    (cache / "outputs").symlink_to(victim)
    (cache / "facts").symlink_to(victim)
    name = entry_file_name(fingerprint(ca_file))
    (cache / name).symlink_to(target)
    for index in range(3):  # claimed names pointing outside, which pruning must not follow
        (cache / f"{index + 10:064x}.json").symlink_to(victims[index])
    want = expected(manifests, ca_file, tmp_path)
    for _ in range(2):  # cold, then warm
        run = render(manifests, ca_file, cache)
        assert run.returncode == 0 and run.stdout == want, run.stderr
    assert all(path.read_bytes() == b"someone else's file" for path in victims)
    assert target.read_bytes() == b"not the cache's"
    assert stat.S_ISREG((cache / name).lstat().st_mode)  # the link was replaced, not followed
    assert (cache / "outputs").is_symlink() and (cache / "facts").is_symlink()


def test_a_fifo_where_a_fact_file_goes_is_a_miss_not_a_hang(manifests, ca_file, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.mkfifo(cache / entry_file_name(fingerprint(ca_file)), 0o600)
    run = render(manifests, ca_file, cache)  # run_command's timeout fails a hang
    assert run.returncode == 0, run.stderr
    assert run.stdout == expected(manifests, ca_file, tmp_path)


def test_pruning_keeps_the_newest_entries_and_touches_nothing_it_did_not_name(
        tmp_path, monkeypatch):
    monkeypatch.setattr(fact_cache, "MAX_ENTRIES", 3)
    victim = old_files(tmp_path / "victim", 1)[0]
    others = [tmp_path / "notes.txt", tmp_path / "a.json", tmp_path / f"{'0' * 63}.json"]
    for path in others:
        path.write_bytes(b"mine")
        os.utime(path, (OLD, OLD))
    (tmp_path / f"{'e' * 64}.json").symlink_to(victim)
    (tmp_path / "outputs").mkdir()
    crashed = tmp_path / f".{'f' * 64}.json.123.0123abcd.tmp"
    crashed.write_bytes(b"half")
    os.utime(crashed, (OLD, OLD))
    roots = [certs.root(f"Prune Root CA {index}") for index in range(5)]
    for age, root in enumerate(roots):
        FactCache(tmp_path).certificate(root.der)
        written = tmp_path / entry_file_name(root.fingerprint)
        os.utime(written, (OLD + age, OLD + age))
    kept = {p.name for p in tmp_path.iterdir() if p.name.endswith(".json") and
            stat.S_ISREG(p.lstat().st_mode) and len(p.name) == 69}
    assert kept == {entry_file_name(root.fingerprint) for root in roots[2:]}
    assert all(path.read_bytes() == b"mine" for path in others)
    assert victim.read_bytes() == b"someone else's file"
    assert (tmp_path / "outputs").is_dir() and not crashed.exists()


def _planted_temporaries(folder: Path, name: str, victim: Path) -> tuple[Path, list[Path]]:
    """What killed runs leave beside ``name`` (an hour old and more), and what must stay: a
    running writer's temporary file, a link named like one, and names the cache never
    writes (an old one each)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    left = folder / f".{name}.123.0123abcd.tmp"
    fresh = folder / f".{name}.124.0123abcd.tmp"
    link = folder / f".{name}.125.0123abcd.tmp"
    foreign = [folder / f".{name}x.126.0123abcd.tmp", folder / f".{name}.127.tmp",
               folder / f"{name}.128.0123abcd.tmp", folder / f".{name}.129.0123abcd.tmp.old"]
    for path in (left, fresh, *foreign):
        path.write_bytes(b"half")
    link.symlink_to(victim)
    for path in (left, link, *foreign):
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    os.utime(fresh, (time.time() - 60, time.time() - 60))
    return left, [fresh, link, *foreign]


def test_temporary_files_a_killed_run_left_beside_entries_and_the_key_are_removed(
        manifests, ca_file, tmp_path):
    """Where the file system cannot make a file without a name (older overlayfs), an entry
    and the key are written under a temporary name first: a run killed then left that file
    for good, the key's a copy of the key. The next run that writes an entry removes those
    that are old, and nothing a running writer or anyone else put there."""
    victim = old_files(tmp_path / "victim", 1)[0]
    cache, key = tmp_path / "cache", tmp_path / "config" / "ocean-proxy" / "cache.key"
    entry_left, entry_kept = _planted_temporaries(cache, f"{'f' * 64}.json", victim)
    key_left, key_kept = _planted_temporaries(key.parent, key.name, victim)
    run = render(manifests, ca_file, cache, key)
    assert run.returncode == 0 and run.stdout == expected(manifests, ca_file, tmp_path), \
        run.stderr
    assert (cache / entry_file_name(fingerprint(ca_file))).is_file()  # an entry was written
    assert not entry_left.exists() and not key_left.exists()
    assert all(path.is_symlink() or path.read_bytes() == b"half"
               for path in (*entry_kept, *key_kept))
    assert victim.read_bytes() == b"someone else's file" and key.stat().st_size == 32


def test_renders_an_earlier_build_kept_are_deleted_once_and_nothing_else_is(
        manifests, ca_file, tmp_path):
    """Earlier builds kept whole renders (token and password in them, encrypted) in outputs/,
    named by 64 hex digits and starting with their own header: the first run of this one
    deletes those, says so once, and touches nothing it did not write."""
    sealed = b"ocean-proxy output 1\n" + os.urandom(48)
    victim = old_files(tmp_path / "victim", 1)[0]
    cache = tmp_path / "cache"
    outputs = cache / "outputs"
    outputs.mkdir(parents=True, mode=0o700)
    cache.chmod(0o700)
    renders = [outputs / f"{index:064x}" for index in range(3)]
    renders += [outputs / f".{'a' * 64}.123.0123abcd.tmp",  # temporaries, as two builds named them
                outputs / ".123.0123456789abcdef.tmp"]
    for path in renders:
        path.write_bytes(sealed)
    others = {outputs / f"{'c' * 64}": b"mine",  # its name, not its header
              outputs / "notes.txt": sealed, outputs / f"{'d' * 64}.json": sealed}  # the reverse
    if os.geteuid() == 0:  # as CI runs it: a file of another user, with its name and header
        others[outputs / f"{'e' * 64}"] = sealed
    for path, data in others.items():
        path.write_bytes(data)
        if path.name == f"{'e' * 64}":
            os.chown(path, 65534, 65534)
    (outputs / f"{'b' * 64}").symlink_to(victim)  # a name it wrote, but a link: not followed
    want = expected(manifests, ca_file, tmp_path)

    first = render(manifests, ca_file, cache)
    assert first.returncode == 0 and first.stdout == want, first.stderr
    said = [line for line in first.stderr.splitlines() if "earlier ocean-proxy" in line]
    assert said == [f"ocean-proxy: deleted 5 file(s) of rendered releases that an earlier "
                    f"ocean-proxy kept, encrypted, in {outputs}: ocean-proxy no longer keeps "
                    "renders on disk"]
    assert not any(path.exists() for path in renders)
    assert all(path.read_bytes() == data for path, data in others.items())
    assert (outputs / f"{'b' * 64}").is_symlink()
    assert victim.read_bytes() == b"someone else's file"

    second = render(manifests, ca_file, cache)
    assert second.returncode == 0 and "earlier ocean-proxy" not in second.stderr
    assert outputs.is_dir()  # the user's files are still in it
    assert any(path.name.endswith(".json") for path in cache.iterdir())  # the facts are kept


def test_renders_an_earlier_build_kept_go_though_it_left_the_cache_directory_readable(
        manifests, ca_file, tmp_path):
    """That build made the cache directory as a parent of outputs/, with the default mode:
    the certificate cache refuses it, and the renders still go."""
    cache = tmp_path / "cache"
    outputs = cache / "outputs"
    os.makedirs(outputs, mode=0o700)
    cache.chmod(0o755)
    render_file = outputs / f"{0:064x}"
    render_file.write_bytes(b"ocean-proxy output 1\n" + os.urandom(48))
    run = render(manifests, ca_file, cache)
    assert run.returncode == 0
    assert f"{NOT_USED}: {cache} can be read or written by other users" in run.stderr
    assert "deleted 1 file(s) of rendered releases" in run.stderr
    assert not outputs.exists()


def test_earlier_renders_are_left_where_others_could_swap_them_or_a_link_points(
        manifests, ca_file, tmp_path):
    sealed = b"ocean-proxy output 1\n" + os.urandom(48)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    linked = elsewhere / f"{1:064x}"
    linked.write_bytes(sealed)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    (cache / "outputs").symlink_to(elsewhere)
    run = render(manifests, ca_file, cache)
    assert run.returncode == 0 and "outputs" not in run.stderr, run.stderr
    assert linked.read_bytes() == sealed and (cache / "outputs").is_symlink()

    shared = tmp_path / "shared"
    outputs = shared / "outputs"
    outputs.mkdir(parents=True)
    shared.chmod(0o700)
    outputs.chmod(0o777)  # anyone could put a file there between check and unlink
    left = outputs / f"{2:064x}"
    left.write_bytes(sealed)
    run = render(manifests, ca_file, shared)
    assert run.returncode == 0 and left.read_bytes() == sealed
    assert f"ocean-proxy: {outputs} can be written by other users, so it is left as it is: if " \
           "an earlier ocean-proxy kept rendered releases there (encrypted, with the Spot " \
           "token and the proxy password), delete them as its owner" in run.stderr.splitlines()
    if os.geteuid() == 0:  # as CI runs it: an outputs/ of another user
        outputs.chmod(0o700)
        os.chown(outputs, 65534, 65534)
        run = render(manifests, ca_file, shared)
        assert run.returncode == 0 and left.read_bytes() == sealed
        assert f"{outputs} is not this user's, so it is left as it is" in run.stderr
    left.unlink()
    run = render(manifests, ca_file, shared)  # nothing named like a render: nothing to say
    assert run.returncode == 0 and "outputs" not in run.stderr, run.stderr


def test_without_the_cache_or_without_earlier_renders_outputs_is_not_touched(
        manifests, ca_file, tmp_path):
    cache = tmp_path / "cache"
    outputs = cache / "outputs"
    os.makedirs(outputs, mode=0o700)
    cache.chmod(0o700)
    kept = outputs / f"{0:064x}"
    kept.write_bytes(b"ocean-proxy output 1\n")
    run = render(manifests, ca_file, cache, None, "--no-cache")
    assert run.returncode == 0 and kept.exists()
    kept.unlink()
    run = render(manifests, ca_file, cache)  # an empty outputs/ of the user's own stays
    assert run.returncode == 0 and outputs.is_dir() and "earlier" not in run.stderr
    outputs.rmdir()
    outputs.write_bytes(b"a file named outputs")
    run = render(manifests, ca_file, cache)
    assert run.returncode == 0 and outputs.read_bytes() == b"a file named outputs"


def test_a_file_over_the_size_limit_is_not_read(tmp_path):
    (tmp_path / "big").write_bytes(b"x" * 101)
    (tmp_path / "big").chmod(0o600)
    tmp_path.chmod(0o700)
    assert private_files.read_file(str(tmp_path), "big", 100) is None
    assert private_files.read_file(str(tmp_path), "big", 101) == b"x" * 101


# -- whose cache it is ----------------------------------------------------------------------


def test_directories_are_0700_and_files_0600(manifests, ca_file, tmp_path):
    cache, key = tmp_path / "home" / "cache" / "ocean-proxy", tmp_path / "config" / "cache.key"
    assert render(manifests, ca_file, cache, key).returncode == 0
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    files = [*cache.iterdir(), key]
    assert files and {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}


def foreign(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root (make test runs as root)")
    os.chown(path, 65534, 65534)


@pytest.mark.parametrize("case", ["group-readable key", "world-writable key", "foreign key",
                                  "key is a link", "group-writable directory",
                                  "foreign directory", "directory is a link"])
def test_a_cache_others_could_steer_is_not_used_and_the_run_says_why_once(
        case, manifests, ca_file, tmp_path):
    cache, key = tmp_path / "cache", tmp_path / "cache.key"
    assert render(manifests, ca_file, cache, key).returncode == 0  # a cache and key of our own
    entry = entry_file_name(fingerprint(ca_file))
    (cache / entry).write_bytes(b"forged")  # kept as it is only if the cache is not used
    what = "key" if "key" in case else "directory"
    path = key if what == "key" else cache
    if case.startswith("group-readable"):
        path.chmod(0o640)
    elif "writable" in case:
        path.chmod(0o602 if what == "key" else 0o770)
    elif "foreign" in case:
        foreign(path)
    else:
        path.symlink_to(path.rename(tmp_path / f"real-{what}"))
    run = render(manifests, ca_file, cache, key)
    assert run.returncode == 0, run.stderr
    assert run.stdout == expected(manifests, ca_file, tmp_path)
    said = [line for line in run.stderr.splitlines() if NOT_USED in line]
    assert len(said) == 1, run.stderr
    assert str(path) in said[0] and "Traceback" not in run.stderr
    assert (cache / entry).read_bytes() == b"forged"


def test_fact_cache_for_says_why_a_shared_directory_is_not_used(tmp_path):
    cache = tmp_path / "shared"
    cache.mkdir(mode=0o755)
    cache.chmod(0o755)
    facts = fact_cache_for({"OCEAN_PROXY_CACHE_DIR": str(cache),
                            "OCEAN_PROXY_CACHE_KEY_FILE": str(tmp_path / "key")})
    assert facts.directory is None
    assert facts.unused_because == (f"{NOT_USED}: {cache} can be read or written by other "
                                    "users (chmod go= it)")


def test_a_cache_directory_named_without_a_home_for_its_key_says_which_variable_places_it(
        tmp_path, monkeypatch):
    """A CI job's user with no home (no HOME; a relative one is no home either) that names
    OCEAN_PROXY_CACHE_DIR to keep the cache between renders is told why it is not used, and
    what to set, not left to find every render slow."""
    monkeypatch.setenv("HOME", "no-home")
    facts = fact_cache_for({"OCEAN_PROXY_CACHE_DIR": str(tmp_path / "cache")})
    assert facts.directory is None
    assert facts.unused_because == (f"{NOT_USED}: there is no home directory to keep its key "
                                    "in (set OCEAN_PROXY_CACHE_KEY_FILE to a file outside the "
                                    "cache directory)")
    key = tmp_path / "key"
    facts = fact_cache_for({"OCEAN_PROXY_CACHE_DIR": str(tmp_path / "cache"),
                            "OCEAN_PROXY_CACHE_KEY_FILE": str(key)})
    assert facts.directory == str(tmp_path / "cache") and facts.unused_because is None
    assert key.stat().st_size == 32


@pytest.mark.parametrize("content", [b"", b"x" * 31, b"x" * 33])
def test_a_key_of_the_wrong_size_is_not_used_and_the_run_says_why(content, tmp_path):
    key = tmp_path / "key"
    key.write_bytes(content)
    key.chmod(0o600)
    facts = fact_cache_for({"OCEAN_PROXY_CACHE_DIR": str(tmp_path / "cache"),
                            "OCEAN_PROXY_CACHE_KEY_FILE": str(key)})
    assert facts.directory is None
    assert facts.unused_because == (f"{NOT_USED}: the cache key {key} is not 32 bytes (delete "
                                    "it: a new one is made)")


# -- what an entry is bound to ----------------------------------------------------------------


def test_an_entry_written_by_another_version_is_a_miss(tmp_path, monkeypatch):
    leaf = certs.leaf(certs.root("Version Root CA"), "api.spotinst.io")
    monkeypatch.setattr(fact_cache, "__version__", "0.0.9")
    FactCache(tmp_path, b"k" * 32).certificate(leaf.der)
    path = tmp_path / entry_file_name(leaf.fingerprint)
    entry = json.loads(path.read_bytes()[fact_cache._TAG:])
    entry.update(is_ca=True, findings=[])  # what the old version would say, if it were wrong
    data = json.dumps(entry).encode()
    path.write_bytes(fact_cache._tag(b"k" * 32, leaf.fingerprint, data) + data)
    assert FactCache(tmp_path, b"k" * 32).certificate(leaf.der).is_ca is True  # same version
    monkeypatch.setattr(fact_cache, "__version__", "0.1.0")
    assert FactCache(tmp_path, b"k" * 32).certificate(leaf.der).is_ca is False


def test_a_cache_directory_the_user_cannot_open_is_refused_for_that(tmp_path, monkeypatch):
    """Another user's 0700 directory: the open fails with EACCES (root, who runs the suite,
    opens anything, so the kernel's answer is given here), and that is what the run says."""
    real_open = os.open

    def refused(path, flags, *args, **kwargs):
        if os.fspath(path) == str(tmp_path / "theirs"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    (tmp_path / "theirs").mkdir(mode=0o700)
    monkeypatch.setattr(os, "open", refused)
    assert private_files.directory_refusal(str(tmp_path / "theirs")) == \
        f"{tmp_path / 'theirs'} cannot be opened (permission denied)"


def test_a_key_that_cannot_be_written_whole_leaves_no_key_and_no_failed_run(tmp_path,
                                                                              monkeypatch):
    """A full disk on the first run: writing the new key failed out of the render as an
    internal error, and left a short key that every later run refused. The cache is only
    speed: it is off for that run, and the next one makes the key afresh."""
    import errno

    real_fdopen = os.fdopen

    class Full:
        def __init__(self, descriptor: int, *args: object) -> None:
            self.file = real_fdopen(descriptor, *args)

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc_info: object) -> None:
            self.file.close()

        def write(self, data: bytes) -> int:
            self.file.write(data[:5])
            self.file.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    key = tmp_path / "config" / "cache.key"
    environ = {"OCEAN_PROXY_CACHE_DIR": str(tmp_path / "cache"),
               "OCEAN_PROXY_CACHE_KEY_FILE": str(key)}
    monkeypatch.setattr(os, "fdopen", Full)
    facts = fact_cache_for(environ)
    monkeypatch.setattr(os, "fdopen", real_fdopen)
    assert facts.directory is None and not key.exists()
    assert fact_cache_for(environ).directory is not None and key.stat().st_size == 32


_KILLED_WHILE_THE_KEY_IS_LINKED = """
import os, signal, sys

def _hook(event, args):
    if event == "os.link" and os.path.basename(args[1]) == "cache.key":
        os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(_hook)
"""


def test_a_run_killed_while_it_makes_the_key_leaves_no_copy_of_it_behind(manifests, ca_file,
                                                                         tmp_path):
    """A run killed (SIGKILL, a cancelled CI job, the OOM killer) as it put the new key in
    place left the key under a temporary name beside it, for good: a copy no run removes."""
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "sitecustomize.py").write_text(_KILLED_WHILE_THE_KEY_IS_LINKED)
    key = tmp_path / "config" / "cache.key"
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"),
                    OCEAN_PROXY_CACHE_KEY_FILE=str(key), PYTHONPATH=str(tmp_path / "hooks"))
    killed = post_renderer("--ca-file", ca_file, stdin=manifests, env=env)
    assert killed.returncode == -9
    assert sorted(os.listdir(key.parent)) in ([], ["cache.key"])
    assert render(manifests, ca_file, tmp_path / "cache", key).returncode == 0
    assert os.listdir(key.parent) == ["cache.key"] and key.stat().st_size == 32


def test_where_unnamed_files_cannot_be_made_the_key_is_made_under_a_temporary_name(
        tmp_path, monkeypatch):
    """A file system without ``O_TMPFILE`` (or no ``/proc``) still gets its key, whole."""
    monkeypatch.setattr(private_files, "_UNNAMED", 0)
    key = tmp_path / "config" / "cache.key"
    assert private_files.create_file(str(key), b"k" * 32)
    assert not private_files.create_file(str(key), b"x" * 32)
    assert os.listdir(key.parent) == ["cache.key"] and key.read_bytes() == b"k" * 32


def test_no_entry_is_written_over_the_size_a_read_takes(manifests, tmp_path):
    """Facts too large to be read back (a CA whose AIA URLs run to 100 KB) are not kept: an
    entry no run reads would be written again by every run, and 512 such, each as large as a
    CA file may be, would hold gigabytes where the cache promises 64 KiB an entry."""
    big = certs.root("Long AIA Corp Root CA", aia_url="http://aia.corp.example/" + "a" * 100_000)
    ca_file = tmp_path / "long-aia.pem"
    ca_file.write_bytes(big.pem)
    cache = tmp_path / "cache"
    for _ in range(2):
        run = render(manifests, ca_file, cache)
        assert run.returncode == 0, run.stderr
        assert run.stdout == expected(manifests, ca_file, tmp_path)
    sizes = {path.name: path.stat().st_size for path in cache.iterdir()} if cache.exists() else {}
    assert all(size <= fact_cache.MAX_FILE_BYTES for size in sizes.values()), sizes
