"""read_user_file: files the user names, read with a limit, errors naming file and option."""

from __future__ import annotations

import pytest

from post_renderer.errors import ConfigError
from post_renderer.user_files import read_user_file


def test_at_most_the_limit_is_read(tmp_path):
    path = tmp_path / "big.pem"
    path.write_bytes(b"x" * 100)
    assert read_user_file(str(path), 10, "CA file") == b"x" * 10


@pytest.mark.parametrize("make, words", [
    (lambda p: None, "does not exist"),
    (lambda p: p.mkdir(), "is a directory"),
])
def test_unreadable_files_are_named_with_what_they_are_for(tmp_path, make, words):
    path = tmp_path / "ca.pem"
    make(path)
    with pytest.raises(ConfigError) as caught:
        read_user_file(str(path), 10, "CA file (from --ca-file)")
    assert caught.value.message == f"CA file (from --ca-file) {path} {words}"


@pytest.mark.parametrize("path", ["ca.pem\0x", "\ud800.pem"])
def test_a_name_no_file_can_have_from_a_config_file_is_refused(path):
    with pytest.raises(ConfigError, match="is not a file name a system can hold"):
        read_user_file(path, 10, "CA file (from config file c.yaml)")


def test_with_a_too_large_hint_a_file_over_the_limit_is_refused_and_one_at_it_is_read(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_bytes(b"x" * 10)
    assert read_user_file(str(path), 10, "values file", too_large_hint="h") == b"x" * 10
    path.write_bytes(b"x" * 11)
    with pytest.raises(ConfigError) as caught:
        read_user_file(str(path), 10, "values file", too_large_hint="name the chart's values")
    assert caught.value.message == f"values file {path} is larger than 10 bytes"


def test_a_dash_that_names_no_file_is_told_it_is_not_standard_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        read_user_file("-", 100, "CA file (--ca-file)")
    assert raised.value.message == "CA file (--ca-file) - does not exist"
    assert "not standard input" in raised.value.hint
    (tmp_path / "-").write_bytes(b"a file named '-'")
    assert read_user_file("-", 100, "CA file (--ca-file)") == b"a file named '-'"


@pytest.mark.parametrize("written, named", [("ca.pem\n", "'ca.pem\\n'"), (" ca.pem", "' ca.pem'"),
                                            ("ca.pem ", "'ca.pem '")])
def test_a_path_with_a_space_or_line_break_around_it_is_named_quoted_and_told_so(
        tmp_path, monkeypatch, written, named):
    """'ca.pem ' (a CI variable's trailing line break or space) was 'CA file ca.pem does not
    exist', about a file that is there: the message showed no space."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ca.pem").write_bytes(b"x")
    with pytest.raises(ConfigError) as raised:
        read_user_file(written, 100, "CA file (from OCEAN_PROXY_CA_FILE)")
    assert raised.value.message == f"CA file (from OCEAN_PROXY_CA_FILE) {named} does not exist"
    assert raised.value.hint == ("the path starts or ends with a space or a line break (as a "
                                 "variable or a config value can): drop it")


@pytest.mark.parametrize("written, variable", [("$HOME/ca.pem", "$HOME"),
                                               ("${CI_PROJECT_DIR}/ca.pem", "${CI_PROJECT_DIR}")])
def test_a_variable_nothing_expanded_in_a_missing_path_is_named(tmp_path, monkeypatch, written,
                                                                variable):
    """'caFiles: [$HOME/ca.pem]' was told to check the path from the config file's directory:
    the user had written a variable, which nothing expands there."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        read_user_file(written, 100, "CA file (from config file c.yaml)",
                       missing_hint="check the path; a relative path starts from the config "
                                    "file's directory")
    assert raised.value.hint == (f"'{variable}' is not expanded here: nothing expands variables "
                                 "in a config file, nor does a shell within single quotes; "
                                 "write the whole path")
