"""Result files are written whole or not at all."""

from __future__ import annotations

import os

import pytest

from post_renderer.errors import ConfigError
from post_renderer.output_file import write_atomically


def test_file_is_written_readable_and_replaces_the_old_one(tmp_path):
    target = tmp_path / "ca.pem"
    target.write_bytes(b"old")

    write_atomically(str(target), b"new CA\n")

    assert target.read_bytes() == b"new CA\n"
    assert os.stat(target).st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["ca.pem"]


def test_missing_directory_is_a_clear_error_and_leaves_nothing(tmp_path):
    with pytest.raises(ConfigError, match="cannot write"):
        write_atomically(str(tmp_path / "missing" / "ca.pem"), b"CA")

    assert list(tmp_path.iterdir()) == []


def test_target_that_is_a_directory_keeps_it_and_leaves_no_temporary(tmp_path):
    (tmp_path / "ca.pem").mkdir()

    with pytest.raises(ConfigError, match="cannot write"):
        write_atomically(str(tmp_path / "ca.pem"), b"CA")

    assert [p.name for p in tmp_path.iterdir()] == ["ca.pem"]
