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
