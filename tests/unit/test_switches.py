"""On/off settings from the environment: one reading for all, and no silent default."""

from __future__ import annotations

import pytest

from post_renderer.errors import ConfigError
from post_renderer.switches import switch


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "On", " true "])
def test_the_usual_ways_of_saying_on_are_on(value):
    assert switch({"OCEAN_PROXY_STRICT": value}, "OCEAN_PROXY_STRICT") is True


@pytest.mark.parametrize("value", ["", "0", "false", "False", "no", "off"])
def test_the_usual_ways_of_saying_off_and_unset_are_off(value):
    assert switch({"OCEAN_PROXY_NO_CACHE": value}, "OCEAN_PROXY_NO_CACHE") is False
    assert switch({}, "OCEAN_PROXY_NO_CACHE") is False


@pytest.mark.parametrize("value", ["2", "enabled", "tru", "\udcff"])
def test_anything_else_is_an_error_naming_the_variable_not_its_value(value):
    with pytest.raises(ConfigError) as caught:
        switch({"OCEAN_PROXY_STRICT": value}, "OCEAN_PROXY_STRICT")
    assert caught.value.message == "OCEAN_PROXY_STRICT is neither on nor off"
