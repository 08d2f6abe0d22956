"""A cached certificate's findings were judged by the rules of the code that wrote them. An
update of that code under the same version number (a plugin installed from git and brought
up to date with 'helm plugin update', a source checkout pulled) judges every certificate
again: the cache never answers with the verdicts of rules that are gone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import post_renderer

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


def check_bundle(checkout: Path, ca_file: Path, cache: Path, *args: str) -> dict:
    command = (f"import sys; sys.path.insert(0, {str(checkout)!r}); "
               "from post_renderer.console import ocean_proxy_script; "
               "sys.exit(ocean_proxy_script())")
    run = subprocess.run([sys.executable, "-B", "-c", command, "check-bundle", "--json",
                          *args, ca_file], capture_output=True, text=True, check=False,
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
