"""Signed releases: ``make dist SIGN_KEY=... KEYRING=...`` signs every Helm 4 tarball, and
Helm 4 installs it verified (``--keyring``, no ``--verify=false``) from a path or a URL, while a
tampered tarball, one signed by another key, and an unsigned one are refused.

The key is a throwaway GnuPG key made for the session, exported in the legacy keyring format
helm reads (``gpg --export-secret-keys > secring.gpg``).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from .conftest import EXAMPLES, REPO, clean_env, run_command, tool
from .plugin_harness import (
    RELEASE_KEY_NAME,
    RELEASE_PUBLIC_KEY,
    SYSTEM_PATH,
    VERSION,
    SignedRelease,
    files_under,
    helm,
    ok,
    serving,
    throwaway_key,
    user_env,
    verified_installs,
)

PUBLIC_KEY = RELEASE_PUBLIC_KEY
KEY_NAME = RELEASE_KEY_NAME
HELM4_TARBALLS = (f"ocean-proxy-{VERSION}.tgz", f"ocean-proxy-post-renderer-{VERSION}.tgz")
# 4.3.1, and the Helm 4 releases before it that users run (README, "Which helm versions")
HELM4_RELEASES = ["helm4", "helm4.1.4", "helm4.2.3"]


@pytest.fixture(scope="module")
def signed(signed_release: SignedRelease) -> Path:
    """``make dist SIGN_KEY=<key name> KEYRING=<secret keyring>``, built once per session."""
    return signed_release.dist


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    """A Helm 4 user's shell with empty helm directories."""
    return user_env(tmp_path / "home", path=SYSTEM_PATH,
                    PIP_INDEX_URL="http://127.0.0.1:9/")  # the wheelhouse is enough


def test_make_dist_warns_of_a_secret_keyring_other_users_can_read(tmp_path: Path) -> None:
    """The release steps exported the signing key with the shell's umask and left it there: a
    secring.gpg of mode 0644 beside the checkout let every user of the machine sign releases,
    and make dist said nothing. It still builds, and says what to do; a keyring that is the
    builder's alone is not warned about."""
    key = throwaway_key(tmp_path / "key", KEY_NAME)
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("")  # the throwaway key has none: helm reads it and signs all the same
    key.secret.chmod(0o644)
    passphrase.chmod(0o640)

    def make_dist() -> str:
        run = run_command(["make", "-C", REPO, "dist", f"DIST={tmp_path / 'dist'}",
                           f"SIGN_KEY={KEY_NAME}", f"KEYRING={key.secret}",
                           f"PASSPHRASE_FILE={passphrase}"], env=clean_env(), timeout=900)
        assert run.returncode == 0, run.stderr
        assert sorted(p.name for p in (tmp_path / "dist").glob("*.prov")) == sorted(
            f"{name}.prov" for name in HELM4_TARBALLS)
        return run.stderr

    said = make_dist()
    assert (f"build_dist: warning: {key.secret} holds the release's secret signing key, and "
            "other users of this machine can read it (mode 0644): chmod 600 it, and delete it "
            "once the release is built\n") in said
    assert (f"build_dist: warning: {passphrase} holds the signing key's passphrase, and other "
            "users of this machine can read it (mode 0640)") in said
    key.secret.chmod(0o600)
    passphrase.chmod(0o600)
    assert "warning" not in make_dist()


def test_make_dist_with_a_passphrase_file_that_is_not_there_says_so_in_one_line(
        tmp_path: Path) -> None:
    """PASSPHRASE_FILE mistyped: make dist stopped with a Python traceback (the check of who
    can read the file ran into its absence) instead of naming the file, as a missing KEYRING
    is named. Nothing is built."""
    key = throwaway_key(tmp_path / "key", KEY_NAME)
    missing = tmp_path / "passphrase.txt"

    run = run_command(["make", "-C", REPO, "dist", f"DIST={tmp_path / 'dist'}",
                       f"SIGN_KEY={KEY_NAME}", f"KEYRING={key.secret}",
                       f"PASSPHRASE_FILE={missing}"], env=clean_env(), timeout=300)

    assert run.returncode != 0
    assert "Traceback" not in run.stderr, run.stderr
    assert f"no passphrase file at {missing}" in run.stderr
    assert not (tmp_path / "dist").exists()


def _installed(helm4: Path, env: dict[str, str]) -> str:
    return ok(helm(helm4, "plugin", "list", env=env)).text


def test_make_dist_signs_every_helm4_tarball_and_publishes_the_public_key(
        signed: Path, signed_release: SignedRelease) -> None:
    assert sorted(p.name for p in signed.glob("*.prov")) == sorted(
        f"{name}.prov" for name in HELM4_TARBALLS)
    assert not (signed / f"ocean-proxy-{VERSION}-helm3.tgz.prov").exists()  # Helm 3 verifies none
    assert (signed / PUBLIC_KEY).read_bytes() == signed_release.key.public.read_bytes()
    sums = (signed / "SHA256SUMS").read_text()
    assert all(f"  {name}.prov\n" in sums for name in HELM4_TARBALLS)


@pytest.mark.parametrize("tarball", HELM4_TARBALLS)
@pytest.mark.parametrize("release4", HELM4_RELEASES)
def test_helm4_installs_a_signed_tarball_verified_from_a_path(
        release4: str, signed: Path, user: dict[str, str], tarball: str) -> None:
    helm4 = tool(release4)
    run = ok(helm(helm4, "plugin", "install", "--keyring", signed / PUBLIC_KEY,
                  signed / tarball, env=user))
    assert verified_installs(run) == 1
    name = tarball.removesuffix(f"-{VERSION}.tgz")
    assert any(line.split()[0] == name and "signed" in line.split()
               for line in _installed(helm4, user).splitlines()[1:])


def test_helm4_installs_both_signed_tarballs_verified_from_a_url(
        helm4: Path, signed: Path, user: dict[str, str]) -> None:
    with serving(signed) as url:
        for tarball in HELM4_TARBALLS:
            ok(helm(helm4, "plugin", "install", "--keyring", signed / PUBLIC_KEY,
                    f"{url}/{tarball}", env=user))
    run = ok(helm(helm4, "ocean-proxy", "--version", env=user))
    assert run.text == f"ocean-proxy {VERSION}\n"


def test_the_helm4_example_script_installs_a_signed_release_verified(
        helm4: Path, signed: Path, user: dict[str, str]) -> None:
    """examples/helm/helm4-install-plugins.sh with the release's key, as its README sets it."""
    with serving(signed) as url:
        run = ok(run_command(["sh", EXAMPLES / "helm" / "helm4-install-plugins.sh"],
                             env={**user, "HELM": str(helm4), "OCEAN_PROXY_RELEASE_URL": url,
                                  "OCEAN_PROXY_KEYRING": str(signed / PUBLIC_KEY)},
                             timeout=300))
    assert verified_installs(run) == 2
    listed = [line.split() for line in _installed(helm4, user).splitlines()[1:]]
    assert {line[0] for line in listed} == {"ocean-proxy", "ocean-proxy-post-renderer"}


@pytest.mark.parametrize("release4", HELM4_RELEASES)
def test_a_tampered_tarball_is_refused_and_nothing_is_installed(
        release4: str, signed: Path, user: dict[str, str], tmp_path: Path) -> None:
    helm4 = tool(release4)
    tarball = HELM4_TARBALLS[1]
    tampered = tmp_path / "tampered" / tarball
    tampered.parent.mkdir()
    data = bytearray(gzip.decompress((signed / tarball).read_bytes()))
    readme = data.index(b"# ocean-proxy as a Helm plugin")
    data[readme:readme + 1] = b"%"  # one byte of the packed README
    tampered.write_bytes(gzip.compress(bytes(data), mtime=0))
    shutil.copyfile(signed / f"{tarball}.prov", f"{tampered}.prov")
    ok(helm(helm4, "plugin", "list", env=user))
    before = files_under(Path(user["HOME"]))

    run = helm(helm4, "plugin", "install", "--keyring", signed / PUBLIC_KEY, tampered, env=user)
    assert run.returncode != 0
    assert "plugin verification failed" in run.stderr
    assert files_under(Path(user["HOME"])) == before


def test_a_tarball_signed_by_another_key_is_refused(
        helm4: Path, signed: Path, user: dict[str, str], tmp_path: Path) -> None:
    stranger = throwaway_key(tmp_path / "stranger", "someone else")
    run = helm(helm4, "plugin", "install", "--keyring", stranger.public,
               signed / HELM4_TARBALLS[1], env=user)
    assert run.returncode != 0
    assert "plugin verification failed" in run.stderr
    assert "ocean-proxy" not in _installed(helm4, user)


@pytest.mark.parametrize("release4", HELM4_RELEASES)
def test_an_unsigned_tarball_is_refused_without_verify_false(
        release4: str, release: Path, signed: Path, user: dict[str, str]) -> None:
    """make dist without SIGN_KEY builds unsigned, as before: Helm 4 wants --verify=false."""
    helm4 = tool(release4)
    unsigned = release / HELM4_TARBALLS[1]
    assert not list(release.glob("*.prov")) and not (release / PUBLIC_KEY).exists()
    run = helm(helm4, "plugin", "install", "--keyring", signed / PUBLIC_KEY, unsigned, env=user)
    assert run.returncode != 0
    assert "plugin verification failed" in run.stderr
    assert "ocean-proxy" not in _installed(helm4, user)
    ok(helm(helm4, "plugin", "install", "--verify=false", unsigned, env=user))


def test_without_keyring_helm4_reads_the_key_gpg_imported_into_its_keybox(
        helm4: Path, signed: Path, user: dict[str, str]) -> None:
    """The README's "Without --keyring": Helm 4 falls back to GnuPG 2's ~/.gnupg/pubring.kbx.
    The empty one that Quick start's 'gpg --show-keys' leaves is refused, naming it; once
    'gpg --import' put the release key there, the tarball installs verified."""
    tarball = signed / HELM4_TARBALLS[1]
    gpg = ["gpg", "--batch", "--quiet"]
    user = {name: value for name, value in user.items() if name != "GNUPGHOME"}  # ~/.gnupg
    Path(user["HOME"]).mkdir(parents=True, exist_ok=True)
    try:
        ok(run_command([*gpg, "--show-keys", signed / PUBLIC_KEY], env=user))
        refused = helm(helm4, "plugin", "install", tarball, env=user)
        assert refused.returncode != 0
        assert "plugin verification failed" in refused.stderr
        assert "/.gnupg/pubring.kbx: keybox contains no OpenPGP keys" in refused.stderr
        assert "ocean-proxy" not in _installed(helm4, user)

        ok(run_command([*gpg, "--import", signed / PUBLIC_KEY], env=user))
        run = ok(helm(helm4, "plugin", "install", tarball, env=user))
    finally:  # gpg may have started an agent for this home: stop it
        run_command(["gpgconf", "--kill", "all"], env=user)
    assert verified_installs(run) == 1
    assert any(line.split()[0] == "ocean-proxy-post-renderer" and "signed" in line.split()
               for line in _installed(helm4, user).splitlines()[1:])


def test_make_dist_given_gnupg2_s_own_keybox_says_to_export_the_secret_key(
        signed_release: SignedRelease, tmp_path: Path) -> None:
    """A GnuPG 2 user's keyring is ~/.gnupg/pubring.kbx, the file at hand for KEYRING=: gpg
    said 'no valid OpenPGP data found', then 'build_dist: failed: gpg --homedir ...'."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gpg-", dir="/tmp") as gnupg:  # a short socket path
        subprocess.run(["gpg", "--homedir", gnupg, "--batch", "--quiet", "--import",
                        str(signed_release.key.public)], check=True, capture_output=True)
        keybox = tmp_path / "pubring.kbx"
        shutil.copy(Path(gnupg) / "pubring.kbx", keybox)
        subprocess.run(["gpgconf", "--homedir", gnupg, "--kill", "all"], check=False,
                       capture_output=True)
    dist = tmp_path / "dist"
    run = run_command(["make", "-C", REPO, "dist", f"DIST={dist}", f"SIGN_KEY={KEY_NAME}",
                       f"KEYRING={keybox}"], env=clean_env(), timeout=300)
    assert run.returncode != 0 and not dist.exists()
    assert (f"build_dist.py: error: {keybox} is a GnuPG 2 keybox, which holds no secret key: "
            "export one with '(umask 077; gpg --export-secret-keys NAME > secring.gpg)'"
            ) in run.stderr, run.stderr


@pytest.mark.parametrize("keyring", ["public", "missing"])
def test_make_dist_with_a_keyring_it_cannot_sign_with_builds_nothing(
        signed_release: SignedRelease, tmp_path: Path, keyring: str) -> None:
    """A public keyring (the easy mistake) or none: refused before any building, and no
    directory is left that looks like a release."""
    dist = tmp_path / "dist"
    given = signed_release.key.public if keyring == "public" else ""
    run = run_command(["make", "-C", REPO, "dist", f"DIST={dist}", f"SIGN_KEY={KEY_NAME}",
                       f"KEYRING={given}"], env=clean_env(), timeout=300)
    assert run.returncode != 0
    assert ("holds no secret key" if keyring == "public" else "go together") in run.stderr
    assert sorted(tmp_path.iterdir()) == []
