"""The variables ocean-proxy reads, and the misspellings of them it names."""

from __future__ import annotations

import re

import pytest

from post_renderer.render.release.setting_sources import SETTING_VARIABLES, misspelt_variables

from ....conftest import REPO

# Where the project names its variables to users and its own processes (the tests name
# misspellings too).
_SOURCES = ("README.md", "plugins", "examples", "post_renderer", "libexec", "bin", "tools",
            "Makefile", "plugin.yaml")


def _variables_the_project_names() -> set[str]:
    names: set[str] = set()
    for source in _SOURCES:
        path = REPO / source
        for file in [path] if path.is_file() else path.rglob("*"):
            if file.is_file() and "__pycache__" not in file.parts:
                names.update(re.findall(r"OCEAN_PROXY_[A-Z0-9_]*[A-Z0-9]",
                                        file.read_text(errors="replace")))
    return names


def test_no_variable_the_project_names_is_taken_for_a_misspelling():
    """A variable the README, an example or the code names is set on purpose: a warning on
    every run for it would teach users to ignore the warning."""
    named = _variables_the_project_names()
    assert {f"OCEAN_PROXY_{name}" for name in SETTING_VARIABLES} <= named
    assert misspelt_variables(dict.fromkeys(named, "x")) == []


@pytest.mark.parametrize(("written", "meant"), [
    ("OCEAN_PROXY_CA_FILES", "OCEAN_PROXY_CA_FILE"),
    ("OCEAN_PROXY_CAFILE", "OCEAN_PROXY_CA_FILE"),
    ("OCEAN_PROXY_PROXY_URL", "OCEAN_PROXY_URL"),
    ("OCEAN_PROXY_PROXY", "OCEAN_PROXY_URL"),
    ("OCEAN_PROXY_NOPROXY", "OCEAN_PROXY_NO_PROXY"),
    ("OCEAN_PROXY_CONFIG_FILE", "OCEAN_PROXY_CONFIG"),
    ("OCEAN_PROXY_AUTOUPDATE", "OCEAN_PROXY_AUTO_UPDATE"),
    ("ocean_proxy_ca_files", "OCEAN_PROXY_CA_FILE"),  # misspelt in another case too
    ("Ocean_Proxy_NoProxy", "OCEAN_PROXY_NO_PROXY"),
])
def test_a_misspelt_setting_is_named_with_the_variable_it_was_meant_for(written, meant):
    assert misspelt_variables({written: "value", "OCEAN_PROXY_STRICT": "true"}) == \
        [(written, meant)]


@pytest.mark.parametrize(("own", "setting"), [
    ("OCEAN_PROXY_CA_FILE_B64", "OCEAN_PROXY_CA_FILE"),
    ("OCEAN_PROXY_NO_PROXY_LIST", "OCEAN_PROXY_NO_PROXY"),
    ("OCEAN_PROXY_PROXY_USER", "OCEAN_PROXY_URL"),
    ("OCEAN_PROXY_CACHE_KEY", "OCEAN_PROXY_CACHE_KEY_FILE"),
])
def test_a_variable_beside_the_setting_it_is_close_to_is_the_users_own(own, setting):
    """A pipeline's OCEAN_PROXY_CA_FILE_B64, decoded into the file OCEAN_PROXY_CA_FILE names:
    the setting is set, so nothing went unset, and a warning on every render for a variable
    set on purpose would teach users to ignore the warning."""
    assert misspelt_variables({own: "value", setting: "value"}) == []
    assert misspelt_variables({own: "value"}) == [(own, setting)]  # alone: it may be a typo


@pytest.mark.parametrize("name", ["OCEAN_PROXY_TEAM", "OCEAN_PROXY_TOKEN", "OCEAN_PROXY_",
                                  "ocean_proxy_team", "OCEAN_PROXY_CA_FILES\x1b[2J",
                                  "ocean_proxy_ca_files\x1b[2J"])
def test_a_variable_of_the_users_own_or_another_shape_is_left_alone(name):
    assert misspelt_variables({name: "value"}) == []


def test_an_empty_variable_counts_as_unset_as_every_setting_does():
    assert misspelt_variables({"OCEAN_PROXY_CA_FILES": ""}) == []


@pytest.mark.parametrize("written", ["ocean_proxy_url", "Ocean_Proxy_Url", "OCEAN_PROXY_url",
                                     "ocean_PROXY_URL"])
def test_a_setting_in_another_case_is_named_with_the_variable_read(written):
    assert misspelt_variables({written: "http://proxy:3128"}) == [(written, "OCEAN_PROXY_URL")]


def test_a_setting_in_another_case_is_named_beside_the_variable_read():
    """Both set: the one in another case is still read by nothing, whatever it holds."""
    assert misspelt_variables({"ocean_proxy_ca_file": "a.pem", "OCEAN_PROXY_CA_FILE": "b.pem"}) \
        == [("ocean_proxy_ca_file", "OCEAN_PROXY_CA_FILE")]


@pytest.mark.parametrize("name", SETTING_VARIABLES)
def test_every_setting_in_lower_case_is_named(name):
    written = f"ocean_proxy_{name.lower()}"
    assert misspelt_variables({written: "x"}) == [(written, f"OCEAN_PROXY_{name}")]


def test_a_setting_in_another_case_empty_counts_as_unset_as_every_setting_does():
    assert misspelt_variables({"ocean_proxy_url": ""}) == []
