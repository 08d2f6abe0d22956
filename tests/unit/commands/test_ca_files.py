"""load_ca_files: CA files from the command line, validated as the post-renderer does."""

from __future__ import annotations

import pytest

from post_renderer.commands import WARNING, Outcome
from post_renderer.commands.ca_files import load_ca_files
from post_renderer.errors import BundleError, ConfigError


def test_no_files_is_no_bundle():
    assert load_ca_files([], "--ca-file", Outcome()) is None


def test_warnings_are_said_and_the_bundle_returned(tmp_path, corp_intermediate):
    path = tmp_path / "mid.pem"
    path.write_bytes(corp_intermediate.pem)
    said = Outcome()
    bundle = load_ca_files([str(path)], "--ca-file", said)
    assert [c.fingerprint for c in bundle.certificates] == [corp_intermediate.fingerprint]
    assert [m.level for m in said.messages] == [WARNING]


def test_a_missing_file_names_the_option(tmp_path):
    with pytest.raises(ConfigError, match=r"--proxy-ca-file file .* does not exist"):
        load_ca_files([str(tmp_path / "none.pem")], "--proxy-ca-file", Outcome())


def test_a_refused_file_is_a_bundle_error(tmp_path):
    path = tmp_path / "junk.pem"
    path.write_bytes(b"junk")
    with pytest.raises(BundleError):
        load_ca_files([str(path)], "--ca-file", Outcome())
