"""A run as root whose HOME is another user's: sudo with the user's HOME kept (macOS's
default, Ubuntu's before 19.10), a CI container run as root with the runner's HOME. The cache
and its key are not made there, since that user could not remove them, and their own helm
could no longer write ~/.config/helm; the run says why once. Any other user makes its cache
wherever the kernel lets it (OpenShift). A key left behind by such a run in a folder this
user cannot read is said, not silently skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from . import certs
from .conftest import VENV_BIN, clean_env

NOT_USED = "the certificate cache is not used"
THEIRS = 65534  # nobody: the user whose HOME it is

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="a home of another user needs root (make test runs as root)")


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "corp-root.pem"
    path.write_bytes(certs.root("Sudo Corp Root CA").pem)
    return path


def home_env(home: Path) -> dict[str, str]:
    """Where the cache and its key go is up to HOME alone."""
    env = clean_env(HOME=str(home))
    for name in ("OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE", "XDG_CACHE_HOME",
                 "XDG_CONFIG_HOME"):
        env.pop(name, None)
    return env


def render(manifests: bytes, ca_file: Path, env: dict[str, str], *args: str,
           prefix: tuple[str, ...] = (), cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, VENV_BIN / "ocean-proxy-post-renderer", "--ca-file", ca_file,
                           *args], input=manifests, env=env, capture_output=True, text=False,
                          timeout=120, check=False, cwd=cwd)


def theirs(home: Path, *folders: str) -> Path:
    home.mkdir(mode=0o755)
    for folder in folders:
        (home / folder).mkdir(parents=True)
    for path in [home, *home.rglob("*")]:
        os.chown(path, THEIRS, THEIRS)
    return home


@pytest.mark.parametrize("folders", [(".config", ".cache"), (".config/helm", ".cache/helm"),
                                     ()],
                         ids=["fresh home", "home of a helm user", "bare home"])
def test_root_in_another_users_home_makes_nothing_there_and_says_why_once(
        folders, manifests, ca_file, tmp_path):
    home = theirs(tmp_path / "home", *folders)
    uncached = render(manifests, ca_file, home_env(tmp_path / "root-home"), "--no-cache")
    assert uncached.returncode == 0, uncached.stderr

    run = render(manifests, ca_file, home_env(home))

    assert run.returncode == 0, run.stderr
    assert run.stdout == uncached.stdout
    assert [path for path in [home, *home.rglob("*")] if path.lstat().st_uid != THEIRS] == []
    said = [line for line in run.stderr.decode().splitlines() if NOT_USED in line]
    assert len(said) == 1, run.stderr
    assert "another user" in said[0] and str(home) in said[0]


def said_once_that_it_is_theirs(run: subprocess.CompletedProcess, folder: Path) -> None:
    assert run.returncode == 0, run.stderr
    said = [line for line in run.stderr.decode().splitlines() if NOT_USED in line]
    assert len(said) == 1, run.stderr
    assert "another user" in said[0] and str(folder) in said[0]


def test_root_with_its_key_left_in_another_users_home_makes_no_cache_folder_there(
        manifests, ca_file, tmp_path):
    """An earlier ocean-proxy run under sudo left root's key in the user's
    ~/.config/helm: the key is root's own, and the cache folder is still not made in
    the user's ~/.cache, where they could not remove it."""
    home = theirs(tmp_path / "home", ".config/helm", ".cache")
    key = home / ".config" / "helm" / "ocean-proxy" / "cache.key"
    key.parent.mkdir(mode=0o700)
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)

    run = render(manifests, ca_file, home_env(home))

    said_once_that_it_is_theirs(run, home / ".cache")
    assert list((home / ".cache").iterdir()) == []


def test_root_in_another_users_home_reached_through_a_link_makes_nothing_there(
        manifests, ca_file, tmp_path):
    """HOME is a link (made by root, as an admin links homes to a data disk) to the user's
    folder: the folder the cache would go in is the user's, whoever made the link."""
    home = theirs(tmp_path / "home")
    link = tmp_path / "home-link"
    link.symlink_to(home)

    run = render(manifests, ca_file, home_env(link))

    said_once_that_it_is_theirs(run, link)
    assert list(home.iterdir()) == []


def test_root_with_relative_cache_paths_in_another_users_checkout_makes_nothing_there(
        manifests, ca_file, tmp_path):
    """A CI job in a container run as root, in the runner's checkout, with the cache and
    its key named relative to it: the checkout is the runner's, who could not remove them."""
    checkout = theirs(tmp_path / "checkout")
    env = {**home_env(tmp_path / "root-home"), "OCEAN_PROXY_CACHE_DIR": ".ocean-proxy/cache",
           "OCEAN_PROXY_CACHE_KEY_FILE": ".ocean-proxy/cache.key"}

    run = render(manifests, ca_file, env, cwd=checkout)

    said_once_that_it_is_theirs(run, checkout)
    assert list(checkout.iterdir()) == []


def test_root_in_its_own_home_keeps_the_cache(manifests, ca_file, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    run = render(manifests, ca_file, home_env(home))
    assert run.returncode == 0, run.stderr
    assert NOT_USED not in run.stderr.decode()
    assert (home / ".config" / "helm" / "ocean-proxy" / "cache.key").stat().st_size == 32
    assert list((home / ".cache" / "helm" / "ocean-proxy").glob("*.json"))


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux's setpriv")
def test_a_key_in_a_folder_the_user_cannot_read_is_said_not_silently_skipped(
        manifests, ca_file, tmp_path):
    """What an earlier sudo run left: the key in a 0700 folder of root's; the cache folder
    the user's own. Root without the capabilities that pass permission checks is refused as
    the user would be."""
    home = tmp_path / "home"
    (home / ".cache" / "helm" / "ocean-proxy").mkdir(parents=True, mode=0o700)
    key_folder = home / ".config" / "helm" / "ocean-proxy"
    key_folder.mkdir(parents=True, mode=0o700)
    (key_folder / "cache.key").write_bytes(os.urandom(32))
    (key_folder / "cache.key").chmod(0o600)
    for path in (key_folder / "cache.key", key_folder):
        os.chown(path, THEIRS, THEIRS)
    as_the_user = ("setpriv", "--inh-caps=-all",
                   "--bounding-set=-dac_override,-dac_read_search,-fowner")

    run = render(manifests, ca_file, home_env(home), prefix=as_the_user)

    assert run.returncode == 0, run.stderr
    said = [line for line in run.stderr.decode().splitlines() if NOT_USED in line]
    assert len(said) == 1, run.stderr
    assert str(key_folder / "cache.key") in said[0] and "permission denied" in said[0]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
def test_a_user_other_than_root_keeps_the_cache_in_a_home_it_may_write_but_does_not_own(
        manifests, ca_file, tmp_path):
    """OpenShift runs an image's process as a random user id, its HOME a folder of the
    image's own user that the group may write: the cache is made there as before. Only root
    is kept out of other users' folders (the user id is one of a new user namespace, as a
    container's; the home's owner is not mapped into it)."""
    home = theirs(tmp_path / "home")
    home.chmod(0o777)
    as_a_random_user = ("unshare", "--user", "--map-user=1000680000", "--map-group=0")

    run = render(manifests, ca_file, home_env(home), prefix=as_a_random_user)

    assert run.returncode == 0, run.stderr
    assert NOT_USED not in run.stderr.decode()
    assert (home / ".config" / "helm" / "ocean-proxy" / "cache.key").stat().st_size == 32
    assert list((home / ".cache" / "helm" / "ocean-proxy").glob("*.json"))
