"""The certificate fact cache: cold, warm or off, every verdict and every output byte is the
same; a missing, corrupt, read-only or shared cache is only ever a miss."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from post_renderer.trust import certificate_from_der, fact_cache, inspect_bundle
from post_renderer.trust.fact_cache import SCHEMA, FactCache, entry_file_name, fact_cache_for

from . import certs
from .conftest import clean_env, ocean_proxy
from .runtime_pki import cases

CASES = sorted(cases())

TAG = fact_cache._TAG  # each fact file starts with its HMAC


def bundle_of(name: str) -> bytes:
    return cases()[name].bundle_pem


def ders_of(name: str) -> list[bytes]:
    return [issued.der for issued in cases()[name].bundle]


def extra_bundles() -> dict[str, bytes]:
    """Time-dependent verdicts and facts the runtime cases do not cover."""
    root = certs.root("Cache Root CA")
    return {
        "expired": certs.root("Expired CA", not_before=certs.NOW - 400 * certs.DAY,
                              not_after=certs.NOW - certs.DAY).pem,
        "expires-soon": certs.root("Soon CA", not_after=certs.NOW + 5 * certs.DAY).pem,
        "not-yet-valid": certs.root("Future CA", not_before=certs.NOW + 3 * certs.DAY).pem,
        "intermediate-with-aia": certs.intermediate(root).pem,
        "sha1": certs.resign_with_sha1(certs.root("RSA CA", key=certs.new_key("rsa"))).pem,
        "leaf": certs.leaf(root).pem,
    }


EXTRA = extra_bundles()
ALL_BUNDLES = {**{name: bundle_of(name) for name in CASES}, **EXTRA}


def report_facts(data: bytes, facts: FactCache, now: dt.datetime) -> list:
    report = inspect_bundle(data, "ca.pem", now=now, facts=facts)
    return [(v.certificate, report.state_of(v), report.refusals_of(v), report.warnings_of(v))
            for v in report.verdicts] + [report.problems]


# cryptography warns that it will one day refuse a serial that is not positive; two of the
# cases are such certificates, on purpose
@pytest.mark.filterwarnings("ignore:Parsed a serial number:UserWarning")
@pytest.mark.parametrize("name", CASES)
def test_cached_facts_are_the_parsed_facts(name, tmp_path):
    for der in ders_of(name):
        parsed = certificate_from_der(der)
        FactCache(tmp_path).certificate(der)
        assert FactCache(tmp_path).certificate(der) == parsed


@pytest.mark.parametrize("name", sorted(ALL_BUNDLES))
@pytest.mark.parametrize("days_later", [0, 4, 30, 400])
def test_verdicts_are_the_same_cold_warm_and_without_cache_at_any_time(name, days_later,
                                                                      tmp_path):
    now = certs.NOW + days_later * certs.DAY
    data = ALL_BUNDLES[name]
    without = report_facts(data, FactCache(None), now)
    cold = report_facts(data, FactCache(tmp_path), now)
    warm = report_facts(data, FactCache(tmp_path), now)
    assert cold == without
    assert warm == without


def test_expiry_is_judged_on_each_run_not_remembered(tmp_path):
    data = EXTRA["expires-soon"]
    facts = FactCache(tmp_path)
    assert report_facts(data, facts, certs.NOW)[0][1] == "warning"
    assert report_facts(data, facts, certs.NOW + 6 * certs.DAY)[0][1] == "refused"


def test_cache_files_hold_facts_only_keyed_by_the_der(tmp_path):
    root = certs.root("Key Root CA")
    FactCache(tmp_path).certificate(root.der)
    (path,) = tmp_path.iterdir()
    assert path.name == entry_file_name(root.fingerprint)
    facts = json.loads(path.read_bytes()[TAG:])
    assert "der" not in facts and "expired" not in json.dumps(facts)


@pytest.mark.parametrize("damage", [
    b"", b"{", b"null", b"[]", b'{"schema": 1}', b"\xff\xfe",
    b'{"schema": 99, "subject": "CN=x"}',
])
def test_a_corrupt_entry_is_a_miss_and_is_repaired(damage, tmp_path):
    root = certs.root("Corrupt Root CA")
    (tmp_path / entry_file_name(root.fingerprint)).write_bytes(damage)
    assert FactCache(tmp_path).certificate(root.der) == certificate_from_der(root.der)
    assert FactCache(tmp_path).certificate(root.der) == certificate_from_der(root.der)
    stored = (tmp_path / entry_file_name(root.fingerprint)).read_bytes()
    assert json.loads(stored[TAG:])["schema"] == SCHEMA


def test_wrong_types_in_an_entry_are_a_miss(tmp_path):
    root = certs.root("Typed Root CA")
    facts = FactCache(tmp_path)
    facts.certificate(root.der)
    path = tmp_path / entry_file_name(root.fingerprint)
    for field, value in (("is_ca", "yes"), ("path_length", True), ("findings", [[1, 2]]),
                         ("not_after", "2030-01-01T00:00:00"), ("aia_ca_issuers", [3])):
        entry = json.loads(path.read_bytes()[TAG:])
        entry[field] = value
        data = json.dumps(entry).encode()
        path.write_bytes(fact_cache._tag(b"", root.fingerprint, data) + data)  # signed, typed wrong
        assert facts.certificate(root.der) == certificate_from_der(root.der), field


def test_forged_facts_without_the_users_secret_are_a_miss(tmp_path):
    """Whoever can write the cache directory but lacks the secret in helm's config directory
    cannot make a leaf pass for a CA: the forged file fails its HMAC and is parsed again."""
    leaf = certs.leaf(certs.root("Forgery Root CA"), "api.spotinst.io")
    secret = b"s" * 32
    FactCache(tmp_path, secret).certificate(leaf.der)
    path = tmp_path / entry_file_name(leaf.fingerprint)
    entry = json.loads(path.read_bytes()[TAG:])
    assert entry["is_ca"] is False
    entry.update(is_ca=True, findings=[])
    forged = json.dumps(entry).encode()
    for tag in (path.read_bytes()[:TAG], fact_cache._tag(b"guess", leaf.fingerprint, forged)):
        path.write_bytes(tag + forged)
        assert FactCache(tmp_path, secret).certificate(leaf.der).is_ca is False


def test_an_entry_under_another_certificates_key_is_a_miss(tmp_path):
    first, second = certs.root("First Root CA"), certs.root("Second Root CA")
    FactCache(tmp_path).certificate(first.der)
    (tmp_path / entry_file_name(first.fingerprint)).rename(
        tmp_path / entry_file_name(second.fingerprint))
    assert FactCache(tmp_path).certificate(second.der).subject == second.subject


def test_a_missing_directory_is_made(tmp_path):
    root = certs.root("Missing Dir Root CA")
    FactCache(tmp_path / "a" / "b").certificate(root.der)
    assert (tmp_path / "a" / "b" / entry_file_name(root.fingerprint)).exists()


def test_a_read_only_cache_is_used_without_writing(tmp_path, monkeypatch):
    root = certs.root("Read Only Root CA")
    tmp_path.chmod(0o555)
    if os.geteuid() == 0:  # root writes into read-only directories: a read-only mount, then

        def read_only(path, flags, *args):
            if flags & (os.O_WRONLY | os.O_RDWR):
                raise OSError(30, "Read-only file system", str(path))
            return real_open(path, flags, *args)

        real_open = os.open
        monkeypatch.setattr(os, "open", read_only)
    try:
        assert FactCache(tmp_path).certificate(root.der) == certificate_from_der(root.der)
        assert list(tmp_path.iterdir()) == []
    finally:
        tmp_path.chmod(0o755)


def test_a_cache_path_that_is_a_file_is_a_miss(tmp_path):
    root = certs.root("File Root CA")
    (tmp_path / "file").write_bytes(b"x")
    assert FactCache(tmp_path / "file").certificate(root.der) == certificate_from_der(root.der)


def test_runs_writing_at_once_never_leave_half_a_file(tmp_path):
    roots = [certs.root(f"Race Root CA {i}") for i in range(4)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: FactCache(tmp_path).certificate(roots[i % 4].der), range(64)))
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        sorted(entry_file_name(r.fingerprint) for r in roots)
    for root in roots:
        assert FactCache(tmp_path).certificate(root.der) == certificate_from_der(root.der)


def test_where_the_cache_lives(tmp_path, monkeypatch):
    home = str(tmp_path)
    key = {"OCEAN_PROXY_CACHE_KEY_FILE": str(tmp_path / "cache.key")}
    def where(**environ: str) -> Path | None:
        directory = fact_cache_for({**key, **environ}).directory
        return Path(directory) if directory else None

    assert where(OCEAN_PROXY_CACHE_DIR="/c", HELM_CACHE_HOME="/h") == Path("/c")
    assert where(HELM_CACHE_HOME="/h", XDG_CACHE_HOME="/x") == Path("/h/ocean-proxy")
    assert where(XDG_CACHE_HOME="/x") == Path("/x/helm/ocean-proxy")
    monkeypatch.setenv("HOME", home)  # expanduser reads the process's own environment
    assert fact_cache_for(key).directory == str(tmp_path / ".cache" / "helm" / "ocean-proxy")
    assert fact_cache_for({"OCEAN_PROXY_NO_CACHE": "1"}).directory is None
    assert fact_cache_for({}, disabled=True).directory is None


def test_a_run_without_home_asks_the_passwd_database_for_it_once(tmp_path, monkeypatch):
    """Without HOME (a CI container started as a bare user id), the key's place is the passwd
    entry's home: every render with a CA looks it up, once, not once more for the place
    where a killed run's copies of the key would be."""
    import pwd

    asked = []

    def entry(uid: int) -> pwd.struct_passwd:
        asked.append(uid)
        return pwd.struct_passwd(("user", "x", uid, uid, "", str(tmp_path / "home"), "/bin/sh"))

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", entry)
    cache = fact_cache_for({"OCEAN_PROXY_CACHE_DIR": str(tmp_path / "cache")})

    assert cache.directory == str(tmp_path / "cache")  # used, with the key made in that home
    assert (tmp_path / "home" / ".config" / "helm" / "ocean-proxy" / "cache.key").is_file()
    assert len(asked) == 1


# -- end to end: the commands, cold, warm and --no-cache -------------------------------------


def three_ways(tmp_path: Path, *args: str | Path, stdin: bytes = b""):
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"))
    cold = ocean_proxy(*args, stdin=stdin, env=env)
    warm = ocean_proxy(*args, stdin=stdin, env=env)
    off = ocean_proxy(*args, "--no-cache", stdin=stdin, env=env)
    return cold, warm, off


@pytest.mark.parametrize("value, cache_on", [("1", False), ("true", False), ("false", True),
                                             ("0", True)])
def test_the_environment_turns_the_cache_off_and_only_when_it_says_so(value, cache_on, tmp_path):
    path = tmp_path / "ca.pem"
    path.write_bytes(certs.root("Env Root CA").pem)
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"), OCEAN_PROXY_NO_CACHE=value)
    assert ocean_proxy("check-bundle", path, env=env).returncode == 0
    assert (tmp_path / "cache").exists() == cache_on  # "false" turned it off before


def test_a_cache_switch_that_is_neither_on_nor_off_turns_it_off_and_says_so(tmp_path):
    """The cache only makes runs faster: a typo there costs speed, not the install."""
    path = tmp_path / "ca.pem"
    path.write_bytes(certs.root("Env Root CA").pem)
    run = ocean_proxy("check-bundle", path, env=clean_env(
        OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"), OCEAN_PROXY_NO_CACHE="maybe"))
    assert run.returncode == 0, run.stderr
    assert ("the certificate cache is not used: OCEAN_PROXY_NO_CACHE is neither on nor off"
            in run.stderr)
    assert not (tmp_path / "cache").exists()


def test_a_strict_switch_that_is_neither_on_nor_off_is_an_error(tmp_path):
    run = ocean_proxy("render", "--proxy-url", "http://p:3128", stdin=b"kind: Service\n",
                      env=clean_env(OCEAN_PROXY_STRICT="sure"))
    assert run.returncode == 1 and run.stdout == b""
    assert "error: OCEAN_PROXY_STRICT is neither on nor off" in run.stderr


@pytest.mark.parametrize("name", sorted(ALL_BUNDLES))
def test_check_bundle_reports_the_same_cold_warm_and_without_cache(name, tmp_path):
    path = tmp_path / "ca.pem"
    path.write_bytes(ALL_BUNDLES[name])
    runs = three_ways(tmp_path, "check-bundle", "--json", path)
    assert len({(r.returncode, r.stdout, r.stderr) for r in runs}) == 1


@pytest.mark.parametrize("name", sorted(ALL_BUNDLES))
def test_render_writes_the_same_bytes_cold_warm_and_without_cache(name, manifests, tmp_path):
    path = tmp_path / "ca.pem"
    path.write_bytes(ALL_BUNDLES[name])
    runs = three_ways(tmp_path, "render", "--ca-file", path, stdin=manifests)
    assert len({(r.returncode, r.stdout, r.stderr) for r in runs}) == 1


@pytest.mark.parametrize("form", ["certificate", "trusted-certificate"])
def test_a_warm_render_reads_no_certificate_and_a_cold_one_reads_it_with_the_libraries(
        form, manifests, tmp_path):
    """Cold, cryptography reads the CA and OpenSSL (pyOpenSSL) hashes its name, and finds
    where the certificate of OpenSSL's trusted form ends; warm, neither is imported, nor the
    rules that judge a certificate they read (cached facts were judged when written)."""
    path = tmp_path / "ca.pem"
    pem = certs.root("Warm Root CA").pem
    if form == "trusted-certificate":
        pem = subprocess.run(["openssl", "x509", "-addtrust", "serverAuth", "-trustout"],
                             input=pem, capture_output=True, check=True).stdout
        assert pem.startswith(b"-----BEGIN TRUSTED CERTIFICATE-----")
    path.write_bytes(pem)
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"))
    script = Path(sys.executable).parent / "ocean-proxy-post-renderer"
    argv = [sys.executable, "-X", "importtime", str(script), "--ca-file", str(path)]
    for run in ("cold", "warm"):
        done = subprocess.run(argv, input=manifests, capture_output=True, env=env, check=True)
        modules = {line.rsplit("|", 1)[1].strip()
                   for line in done.stderr.decode().splitlines()
                   if line.startswith("import time:") and "|" in line}
        imported = {name.split(".")[0] for name in modules} | modules
        readers = {"cryptography", "OpenSSL", "post_renderer.trust.runtime_rules",
                   "post_renderer.trust.x509_fields", "post_renderer.trust.x509_cryptography"}
        assert imported & readers == (readers if run == "cold" else set()), run
        # what reads a file that is neither PEM nor DER: not a render's, cold or warm
        assert not imported & {"encodings.utf_16_le", "encodings.utf_16_be"}, run


def test_a_trusted_form_is_read_again_when_its_cached_length_is_wrong(tmp_path):
    """The entry that says where a trusted form's certificate ends is authenticated like
    the rest; one that is wrong all the same (written with the user's key) is a miss."""
    from post_renderer.trust import formats

    root = certs.root("Trusted Form Root CA")
    trusted = _trusted_form(root)
    cache = FactCache(tmp_path, secret=b"k" * 32)
    calls = []

    def certificate_of(form: bytes) -> bytes:
        calls.append(form)
        return formats._certificate_of_trusted_form(form)

    for _ in range(2):
        assert cache.certificate_in_trusted_form(trusted, certificate_of).der == root.der
    assert len(calls) == 1  # the second read came from the cache
    key = hashlib.sha256(trusted).hexdigest()
    fact_cache._write_length(str(tmp_path), key, 7, b"k" * 32)
    assert cache.certificate_in_trusted_form(trusted, certificate_of).der == root.der
    assert len(calls) == 2


def test_entries_of_trusted_forms_count_toward_the_newest_kept(tmp_path, monkeypatch):
    """The entry that says where a trusted form's certificate ends counts toward the newest
    kept, as the certificates' do: a bundle read again in OpenSSL's trusted form does not
    grow the cache past its limit."""
    from post_renderer.trust import formats

    monkeypatch.setattr(fact_cache, "MAX_ENTRIES", 3)
    roots = [certs.root(f"Kept Trusted Form Root CA {index}") for index in range(3)]
    cache = FactCache(tmp_path, secret=b"k" * 32)
    for root in roots:
        cache.certificate(root.der)
    for root in roots:  # the certificates are cached: only where each form's ends is written
        cache.certificate_in_trusted_form(_trusted_form(root), formats._certificate_of_trusted_form)
    assert len(list(tmp_path.glob("*.json"))) == 3


def _trusted_form(root: certs.Issued) -> bytes:
    """``root`` in OpenSSL's trusted form (the certificate, then its trust settings), DER."""
    pem = subprocess.run(["openssl", "x509", "-addtrust", "serverAuth", "-trustout"],
                         input=root.pem, capture_output=True, check=True).stdout
    return base64.b64decode(b"".join(pem.splitlines()[1:-1]))
