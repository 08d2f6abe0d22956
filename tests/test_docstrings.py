"""The examples in module docstrings are user documentation: they must stay true."""

import doctest
import importlib

import pytest

MODULES = ["render.stream.aliases", "network.settings", "proxy_settings.no_proxy",
           "render.plan.pod_patch", "network.proxy_protocol", "proxy_settings.proxy_url",
           "render.stream.split", "trust.subject_hash", "render.release.owned_names",
           "message_secrets", "operands"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(f"post_renderer.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
