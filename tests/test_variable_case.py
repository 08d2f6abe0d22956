"""A setting's variable written in another case (``ocean_proxy_url=... helm upgrade ...``) is
read by nothing, as on every Linux shell: the installed commands name it, and the variable
they read, in one warning line without its value (a proxy URL may hold a password), and
otherwise do exactly what they do without it."""

from __future__ import annotations

import pytest

from .conftest import clean_env, ocean_proxy, post_renderer
from .test_leaks import release

SECRET = "Sup3rS3cret"
WARNING = ("ocean-proxy: warning: {name} is set, but ocean-proxy reads no such variable: "
           "did you mean {meant}?")


@pytest.fixture(scope="module")
def manifests() -> bytes:
    return release(proxy_url="http://proxy.corp:3128")


@pytest.mark.parametrize(("name", "value", "meant"), [
    ("ocean_proxy_url", f"http://u:{SECRET}@other.corp:3128", "OCEAN_PROXY_URL"),
    ("Ocean_Proxy_Ca_File", f"/nonexistent/{SECRET}.pem", "OCEAN_PROXY_CA_FILE"),
    ("OCEAN_PROXY_no_proxy", f".{SECRET}.corp", "OCEAN_PROXY_NO_PROXY"),
    # another case and another spelling: the config file's caFiles, the flag --proxy-url
    ("ocean_proxy_ca_files", f"/nonexistent/{SECRET}.pem", "OCEAN_PROXY_CA_FILE"),
    ("Ocean_Proxy_Proxy_Url", f"http://u:{SECRET}@other.corp:3128", "OCEAN_PROXY_URL"),
])
@pytest.mark.parametrize("command", [post_renderer, lambda *args, **kw: ocean_proxy(
    "render", *args, **kw)], ids=["post-renderer", "render"])
def test_a_render_names_a_setting_in_another_case_and_changes_nothing_else(
        command, name, value, meant, manifests):
    plain = command(stdin=manifests, env=clean_env())
    assert plain.returncode == 0, plain.stderr
    run = command(stdin=manifests, env=clean_env(**{name: value}))
    assert run.returncode == plain.returncode
    assert run.stdout == plain.stdout  # byte for byte: the value is not read as the setting
    warning = WARNING.format(name=name, meant=meant)
    assert run.stderr.splitlines() == [warning, *plain.stderr.splitlines()]
    assert SECRET not in run.stderr


@pytest.mark.parametrize("command", [["verify", "--timeout", "1"], ["discover-ca"]])
def test_a_proxy_in_a_lower_case_variable_is_named_before_the_proxy_is_missed(command):
    """'no proxy is given' alone sent the user looking at a variable that is set."""
    plain = ocean_proxy(*command, env=clean_env())
    run = ocean_proxy(*command, env=clean_env(ocean_proxy_url=f"http://u:{SECRET}@p:3128"))
    assert plain.returncode == run.returncode == 2
    assert run.stdout == plain.stdout == b""
    assert run.stderr.splitlines() == [WARNING.format(name="ocean_proxy_url",
                                                      meant="OCEAN_PROXY_URL"),
                                       *plain.stderr.splitlines()]
    assert SECRET not in run.stderr
