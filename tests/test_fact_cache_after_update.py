"""A cached certificate's findings were judged by the rules of the code that wrote them. An
update of that code under the same version number (a plugin installed from git and brought
up to date with 'helm plugin update', a source checkout pulled) judges every certificate
again: the cache never answers with the verdicts of rules that are gone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import post_renderer
from post_renderer.trust.fact_cache import FactCache
from post_renderer.trust.formats import read_certificates

from . import certs
from .conftest import clean_env

RULES = Path("trust") / "runtime_rules.py"
STRICTER = ("OPENSSL_MIN_RSA_BITS = 2048", "OPENSSL_MIN_RSA_BITS = 4096")


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of the package, as a checkout the plugin runs from."""
    root = tmp_path / "checkout"
    shutil.copytree(Path(post_renderer.__file__).parent, root / "post_renderer",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def ocean_proxy_in(checkout: Path) -> str:
    """The ``ocean-proxy`` command run from ``checkout``, for ``python -c``."""
    return (f"import sys; sys.path.insert(0, {str(checkout)!r}); "
            "from post_renderer.console import ocean_proxy_script; "
            "sys.exit(ocean_proxy_script())")


def check_bundle(checkout: Path, ca_file: Path, cache: Path, *args: str) -> dict:
    run = subprocess.run([sys.executable, "-B", "-c", ocean_proxy_in(checkout), "check-bundle",
                          "--json", *args, ca_file], capture_output=True, text=True, check=False,
                         env=clean_env(OCEAN_PROXY_CACHE_DIR=str(cache / "facts"),
                                       OCEAN_PROXY_CACHE_KEY_FILE=str(cache / "cache.key")),
                         timeout=60)
    assert "Traceback" not in run.stderr, run.stderr
    report = json.loads(run.stdout)
    assert report["certificates"], run.stderr
    return report


def test_a_rule_changed_under_the_same_version_judges_a_cached_certificate_again(
        checkout, tmp_path):
    ca_file = tmp_path / "rsa-2048-root.pem"
    ca_file.write_bytes(certs.root("RSA 2048 Corp Root CA",
                                   key=certs.new_key("rsa", 2048)).pem)
    before = check_bundle(checkout, ca_file, tmp_path)
    assert check_bundle(checkout, ca_file, tmp_path) == before  # warm: read from the cache

    rules = checkout / "post_renderer" / RULES
    text = rules.read_text()
    assert STRICTER[0] in text
    rules.write_text(text.replace(*STRICTER))  # the update: a stricter rule, same version

    fresh = check_bundle(checkout, ca_file, tmp_path, "--no-cache")
    assert fresh != before  # the new rule does judge this certificate otherwise
    assert check_bundle(checkout, ca_file, tmp_path) == fresh


def test_two_installs_sharing_helm_s_cache_keep_each_its_own_entries(checkout, tmp_path):
    """A Helm 3 and a Helm 4 plugin (or a plugin and a pip install) each run their own copy of
    ocean-proxy and share helm's cache directory: neither replaces the other's entries, so
    each stays warm when the two take turns."""
    other = tmp_path / "other-install"
    shutil.copytree(checkout, other)
    rules = other / "post_renderer" / RULES
    rules.write_text(rules.read_text().replace(*STRICTER))  # another build of the rules
    ca_file = tmp_path / "rsa-2048-root.pem"
    ca_file.write_bytes(certs.root("RSA 2048 Corp Root CA",
                                   key=certs.new_key("rsa", 2048)).pem)
    facts = tmp_path / "facts"

    first = check_bundle(checkout, ca_file, tmp_path)
    entries = {path: path.stat() for path in facts.glob("*.json")}
    second = check_bundle(other, ca_file, tmp_path)
    assert second != first  # each judges by its own rules
    assert len(list(facts.glob("*.json"))) == 2 * len(entries)

    assert check_bundle(checkout, ca_file, tmp_path) == first
    for path, before in entries.items():  # read, not written again: a hit
        after = path.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert check_bundle(other, ca_file, tmp_path) == second


def test_a_module_added_to_the_trust_rules_by_an_update_makes_a_new_build(checkout, tmp_path):
    ca_file = tmp_path / "root.pem"
    ca_file.write_bytes(certs.root("Corp Root CA").pem)
    facts = tmp_path / "facts"
    check_bundle(checkout, ca_file, tmp_path)
    written = set(facts.glob("*.json"))
    check_bundle(checkout, ca_file, tmp_path)
    assert set(facts.glob("*.json")) == written  # the same build: read, nothing new

    (checkout / "post_renderer" / "trust" / "new_rules.py").write_text("LIMIT = 1\n")
    check_bundle(checkout, ca_file, tmp_path)
    assert len(set(facts.glob("*.json")) - written) == len(written)  # judged again, kept apart


def code_that_works_out_facts(bundle: bytes) -> set[str]:
    """The package's files whose code runs while the certificates of ``bundle`` are read
    and judged without a cache, or that define what the facts are made of (a finding's
    default hint): what decides the facts a cache would keep."""
    package = Path(post_renderer.__file__).parent
    ran: set[str] = set()

    def profile(frame, event, arg) -> None:
        path = Path(frame.f_code.co_filename)
        if event == "call" and path.is_relative_to(package):
            ran.add(str(path.relative_to(package)))

    problems: list[tuple[str, str]] = []
    sys.setprofile(profile)
    try:
        items = read_certificates(bundle, "ca.pem", problems, FactCache(None))
    finally:
        sys.setprofile(None)
    assert len(items) == 2 and problems == []
    for _, cert in items:
        assert cert is not None
        for fact in (cert, *cert.findings):
            made_in = Path(sys.modules[type(fact).__module__].__file__ or "")
            ran.add(str(made_in.relative_to(package)))
    return ran


def reads_certificates(checkout: Path, ca_file: Path, cache: Path) -> bool:
    """Whether a run read a certificate with cryptography, not from the cache alone."""
    run = subprocess.run([sys.executable, "-B", "-X", "importtime", "-c",
                          ocean_proxy_in(checkout), "check-bundle", ca_file],
                         capture_output=True, text=True, check=False, timeout=60,
                         env=clean_env(OCEAN_PROXY_CACHE_DIR=str(cache / "facts"),
                                       OCEAN_PROXY_CACHE_KEY_FILE=str(cache / "cache.key")))
    assert "Traceback" not in run.stderr, run.stderr
    return any(line.startswith("import time:") and line.rsplit("|", 1)[1].strip() == "cryptography"
               for line in run.stderr.splitlines())


def test_an_update_of_any_code_that_works_out_facts_reads_each_certificate_again(
        checkout, tmp_path):
    """Not only the rules: any module whose code runs while a certificate is read and judged
    (its fields, its names' hashes, OpenSSL's trusted form) may change what the facts are."""
    trusted = subprocess.run(["openssl", "x509", "-addtrust", "serverAuth", "-trustout"],
                             input=certs.root("Trusted Form Corp Root CA").pem,
                             capture_output=True, check=True).stdout
    ca_file = tmp_path / "ca.pem"
    weak = certs.root("RSA 1024 Corp Root CA", key=certs.new_key("rsa", 1024))  # a finding
    ca_file.write_bytes(weak.pem + trusted)
    modules = code_that_works_out_facts(ca_file.read_bytes())
    assert {str(RULES), "trust/formats.py", "trust/finding.py"} <= modules
    assert reads_certificates(checkout, ca_file, tmp_path)
    assert not reads_certificates(checkout, ca_file, tmp_path)  # warm: from the cache

    for module in sorted(modules):
        path = checkout / "post_renderer" / module
        found = path.stat()
        os.utime(path, ns=(found.st_atime_ns, found.st_mtime_ns + 1_000_000_000))  # updated

        assert reads_certificates(checkout, ca_file, tmp_path), module


def test_a_dangling_link_beside_the_trust_rules_does_not_hide_their_update(checkout, tmp_path):
    """An editor's lock file (Emacs's ``.#runtime_rules.py``, a link to nothing) in a checkout
    the plugin runs from: a rule changed meanwhile still judges the certificate again."""
    ca_file = tmp_path / "root.pem"
    ca_file.write_bytes(certs.root("RSA 2048 Corp Root CA", key=certs.new_key("rsa", 2048)).pem)
    rules = checkout / "post_renderer" / RULES
    (rules.parent / f".#{rules.name}").symlink_to("root@host.1234:1700000000")
    before = check_bundle(checkout, ca_file, tmp_path)

    rules.write_text(rules.read_text().replace(*STRICTER))

    assert check_bundle(checkout, ca_file, tmp_path) != before
