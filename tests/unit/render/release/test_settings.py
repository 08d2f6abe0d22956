"""read_settings: flags, then environment variables, then the config file; never merged."""

from __future__ import annotations

import argparse
import os

import pytest

from post_renderer.errors import ConfigError, ProxyUrlError, UsageError
from post_renderer.render.release import settings
from post_renderer.render.release.workloads import WorkloadRef


def read_settings(flags: argparse.Namespace, environ: dict[str, str]) -> settings.UserSettings:
    """The settings' values; what is said of the config file is tested with the commands."""
    return settings.read_settings(flags, environ, warn=lambda text: None)


def flags(**given) -> argparse.Namespace:
    names = ("config", "proxy_url", "ca_file", "no_proxy", "workload", "auto_update")
    return argparse.Namespace(**{name: given.get(name) for name in names})


@pytest.fixture
def config(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "ocean-proxy.yaml"
        path.write_text(text)
        return str(path)
    return write


def test_nothing_given_is_nothing_explicit_and_the_inject_policy():
    user = read_settings(flags(), {})
    assert not user.explicit
    assert (user.auto_update.value, user.auto_update.source) == ("inject", "default")


def test_a_flag_wins_over_the_environment_which_wins_over_the_config_file(config):
    path = config("proxyUrl: http://from-config:1\nautoUpdate: keep\n")
    environ = {"OCEAN_PROXY_URL": "http://from-env:2", "OCEAN_PROXY_CONFIG": path}

    assert read_settings(flags(proxy_url="http://from-flag:3"), environ).proxy_url.value.host \
        == "from-flag"
    from_env = read_settings(flags(), environ)
    assert (from_env.proxy_url.value.host, from_env.proxy_url.source) == \
        ("from-env", "OCEAN_PROXY_URL")
    assert from_env.auto_update.source == f"config file {path}"
    assert read_settings(flags(), {"OCEAN_PROXY_CONFIG": path}).proxy_url.value.host == \
        "from-config"


def test_lists_are_taken_from_one_source_not_merged(config):
    path = config("noProxy: [a.example]\n")
    user = read_settings(flags(config=path, no_proxy=["b.example"]), {})
    assert user.no_proxy.value == ("b.example",)


def test_ca_files_in_the_config_are_relative_to_it(config, corp_root, tmp_path):
    (tmp_path / "corp.pem").write_bytes(corp_root.pem)
    user = read_settings(flags(config=config("caFiles: [corp.pem]\n")), {})
    [(path, contents)] = user.ca_files.value
    assert path == str(tmp_path / "corp.pem") and contents == corp_root.pem


def test_ca_files_from_the_environment_are_separated_by_colons(tmp_path, corp_root, other_root):
    for name, issued in (("a.pem", corp_root), ("b.pem", other_root)):
        (tmp_path / name).write_bytes(issued.pem)
    environ = {"OCEAN_PROXY_CA_FILE": f"{tmp_path / 'a.pem'}:{tmp_path / 'b.pem'}"}
    user = read_settings(flags(), environ)
    assert [contents for _, contents in user.ca_files.value] == [corp_root.pem, other_root.pem]
    assert user.ca_files.source == "OCEAN_PROXY_CA_FILE"


def test_a_missing_ca_file_names_the_file_and_the_option(tmp_path):
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(ca_file=[str(tmp_path / "nope.pem")]), {})
    assert "nope.pem does not exist" in caught.value.message
    assert "--ca-file" in caught.value.message
    assert caught.value.hint.endswith("a relative path starts from the current directory")


def test_a_missing_ca_file_of_the_config_says_where_its_paths_start(config):
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(config=config("caFiles: [nope.pem]\n")), {})
    assert caught.value.hint.endswith("a relative path starts from the config file's directory")


@pytest.mark.parametrize("text, what", [
    ("proxyUrl: http://a:1\nproxyUrl: http://b:2\n", "has a key twice at line 2"),
    ("proxyUrl: http://a:1\n---\nproxyUrl: http://b:2\n", "holds more than one document at line 2"),
])
def test_a_config_with_a_key_twice_or_two_documents_says_which(config, text, what):
    path = config(text)
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(config=path), {})
    assert caught.value.message == f"config file {path} {what}"
    assert "http://" not in caught.value.message


def test_a_misspelt_config_key_gets_a_suggestion(config):
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(config=config("proxyURL: http://p:1\n")), {})
    assert "unknown setting 'proxyURL'" in caught.value.message
    assert caught.value.hint == "did you mean 'proxyUrl'?"


@pytest.mark.parametrize("written, policy", [(" keep ", "keep"), ("refuse\n", "refuse"),
                                             (" ", "inject")])
def test_an_auto_update_policy_is_read_without_the_spaces_around_it(config, written, policy):
    """OCEAN_PROXY_AUTO_UPDATE from a CI variable with a line break: it was 'auto-update
    policy ' keep ' is unknown', where the proxy URL and OCEAN_PROXY_STRICT are read without
    theirs, and a blank one is unset as every other variable."""
    from_env = read_settings(flags(), {"OCEAN_PROXY_AUTO_UPDATE": written})
    assert from_env.auto_update.value == policy
    path = config(f"autoUpdate: {written!r}\n".replace("'", '"'))
    assert read_settings(flags(config=path), {}).auto_update.value == policy


@pytest.mark.parametrize(("name", "what", "written"), [
    *(("OCEAN_PROXY_URL", "proxy URL", written) for written in (" ", "\n", " \t\n")),
    *(("OCEAN_PROXY_CA_FILE", "CA file's path", written)
      for written in (" ", "\n", f"{os.pathsep}\n", f" {os.pathsep} ")),
    *(("OCEAN_PROXY_CONFIG", "config file's path", written) for written in (" ", "\n"))])
def test_a_blank_variable_is_refused_not_taken_for_unset(name, what, written):
    """A CI secret that holds a line break or a space alone: unset, it would drop the proxy,
    the CA or the config file without a word (the pods then miss the Spot API); read as a
    path, it was 'CA file (from OCEAN_PROXY_CA_FILE) does not exist', naming no file."""
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(), {name: written})
    assert caught.value.message == (f"{name} is blank: it holds only spaces or line breaks, "
                                    f"no {what}")
    assert caught.value.hint == (f"set it to the {what}, or leave it empty ({name}=) or unset "
                                 "to use the next source")
    assert read_settings(flags(), {name: ""}).sources == ()  # empty: unset, as before


def test_a_blank_variable_beside_its_flag_is_not_read(tmp_path, corp_root):
    """--proxy-url, --ca-file and --config win over the variables: a blank one is not read."""
    (tmp_path / "corp.pem").write_bytes(corp_root.pem)
    (tmp_path / "c.yaml").write_text("noProxy: [corp.example]\n")
    user = read_settings(flags(proxy_url="http://p:3128", ca_file=[str(tmp_path / "corp.pem")],
                               config=str(tmp_path / "c.yaml")),
                         {"OCEAN_PROXY_URL": " ", "OCEAN_PROXY_CA_FILE": "\n",
                          "OCEAN_PROXY_CONFIG": " "})
    assert user.proxy_url is not None and user.ca_files is not None


def test_a_blank_entry_beside_a_ca_file_is_left_out(tmp_path, corp_root):
    (tmp_path / "corp.pem").write_bytes(corp_root.pem)
    user = read_settings(flags(), {"OCEAN_PROXY_CA_FILE": f"{tmp_path / 'corp.pem'}{os.pathsep}\n"})
    assert [path for path, _ in user.ca_files.value] == [str(tmp_path / "corp.pem")]


def test_an_auto_update_policy_in_capitals_is_told_how_to_write_it():
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(), {"OCEAN_PROXY_AUTO_UPDATE": "KEEP"})
    assert caught.value.message == "OCEAN_PROXY_AUTO_UPDATE: auto-update policy 'KEEP' is unknown"
    assert caught.value.hint == "write it keep"


def test_a_tab_after_a_value_or_a_colon_is_read_as_the_space_it_is_there(config):
    """'proxyUrl: URL<TAB>' (an editor's trailing tab), 'noProxy:<TAB>[...]': YAML separates
    tokens by tabs there, as go-yaml reads them; the file was refused as 'a tab at line 1,
    where YAML allows only spaces', with the hint to indent with spaces."""
    path = config("proxyUrl: http://p:3128\t\nnoProxy:\t[a.example, b.example]\t# ours\n"
                  "autoUpdate: keep \t\n")
    user = read_settings(flags(config=path), {})
    assert user.proxy_url.value.host == "p"
    assert user.no_proxy.value == ("a.example", "b.example")
    assert user.auto_update.value == "keep"
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(config=config("noProxy:\n\t- a.example\n")), {})
    assert "has a tab at line 2, column 1" in caught.value.message


@pytest.mark.parametrize("text", ["caFiles:\n- my\tca.pem\n", "noProxy: a.example\tb.example\n",
                                  "noProxy: a.example,\n  b\tc.example\n"],
                         ids=["list-item", "value", "continued-value"])
def test_a_tab_inside_a_value_is_not_read_as_a_space(config, text):
    """'- my<TAB>ca.pem': go-yaml keeps the tab in the value; read as a space, the file named
    'my ca.pem' (another file, read if it exists) and the noProxy 'a.example b.example' was
    said to hold a space. The tab is refused where it is, as before tabs were taken."""
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(config=config(text)), {})
    assert "has a tab at line" in caught.value.message


def test_a_config_that_is_not_yaml_says_the_line_without_quoting_it(config):
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(config=config("proxyUrl: http://u:s3cret@p:1\nnoProxy: [\n")), {})
    assert "not valid YAML at line" in caught.value.message
    assert "s3cret" not in caught.value.message


@pytest.mark.parametrize("text", [
    "OCEAN_PROXY_URL=http://u:s3cret@p:1\nOCEAN_PROXY_CA_FILE=ca.pem\n",
    "export OCEAN_PROXY_URL=http://u:s3cret@p:1\n",
    "proxyUrl=http://u:s3cret@p:1\n",
])
def test_a_config_written_as_variables_says_it_is_not_yaml(config, text):
    """An .env file named as the config (OCEAN_PROXY_CONFIG=.env) was only 'must be a mapping
    of settings': the NAME=value lines are named, and the YAML form to write instead."""
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(config=config(text)), {})
    assert caught.value.message.endswith(
        "holds NAME=value lines, as a shell or .env file does, not YAML settings")
    assert caught.value.hint.startswith("write each setting as YAML, 'proxyUrl: URL'")
    assert "s3cret" not in caught.value.message + caught.value.hint


def test_an_unknown_auto_update_policy_lists_the_known_ones():
    with pytest.raises(ConfigError) as caught:
        read_settings(flags(), {"OCEAN_PROXY_AUTO_UPDATE": "sometimes"})
    assert caught.value.message.startswith("OCEAN_PROXY_AUTO_UPDATE: ")
    assert caught.value.hint == "use one of inject, keep, refuse"


def test_a_proxy_url_that_is_not_a_string_is_refused(config):
    with pytest.raises(ConfigError, match="'proxyUrl' must be a string"):
        read_settings(flags(config=config("proxyUrl: 3128\n")), {})


def test_a_bad_proxy_url_is_refused_without_echoing_it():
    with pytest.raises(ProxyUrlError) as caught:
        read_settings(flags(proxy_url="ftp://u:s3cret@p:1"), {})
    assert "s3cret" not in caught.value.message and "--proxy-url" in caught.value.message


def test_a_bad_proxy_url_of_the_config_file_names_the_key_not_the_file_alone(config):
    """'config file x.yaml is empty' said the file was, of a blank proxyUrl."""
    path = config('proxyUrl: "  "\ncaFiles: [ca.pem]\n')
    with pytest.raises(ProxyUrlError) as caught:
        read_settings(flags(config=path), {})
    assert caught.value.message == f"config file {path}: proxyUrl is empty"


@pytest.mark.parametrize("given", ["", "  "])
def test_an_empty_proxy_url_flag_is_refused_not_taken_for_the_charts(given):
    """'--proxy-url=$PROXY' with PROXY unset; an empty OCEAN_PROXY_URL stays unset."""
    with pytest.raises(UsageError, match="--proxy-url is given but empty") as caught:
        read_settings(flags(proxy_url=given), {"OCEAN_PROXY_URL": "http://from-env:2"})
    hint = caught.value.hint
    assert "leave the flag out" in hint
    # the sources in the order they are taken; the chart's only where there is a chart
    order = ["OCEAN_PROXY_URL", "proxyUrl", "when rendering, the chart's proxy"]
    positions = [hint.find(source) for source in order]
    assert -1 not in positions and positions == sorted(positions), hint
    assert read_settings(flags(), {"OCEAN_PROXY_URL": ""}).proxy_url is None


@pytest.mark.parametrize("given", ["", "  "])
@pytest.mark.parametrize(("flag", "option"), [
    ("config", "--config"), ("ca_file", "--ca-file"), ("no_proxy", "--no-proxy"),
    ("workload", "--workload")])
def test_a_flag_given_empty_or_blank_is_a_usage_error_not_unset(config, flag, option, given):
    """'--no-proxy="$EXTRA"' with EXTRA unset or blank: the environment's config file (its
    noProxy, its workloads) must not be used instead, nor the flag dropped, without a word."""
    environ = {"OCEAN_PROXY_CONFIG": config("proxyUrl: http://p:3128\nnoProxy: [.corp]\n")}
    value = given if flag == "config" else ["corp.example", given] if flag == "no_proxy" \
        else [given]
    with pytest.raises(UsageError) as caught:
        read_settings(flags(**{flag: value}), environ)
    assert caught.value.message == f"{option} is given but empty"


def test_workloads_from_flags_are_parsed_and_make_the_settings_explicit():
    user = read_settings(flags(workload=["deployment/my-app"]), {})
    assert user.workloads == (WorkloadRef("Deployment", "my-app"),)
    assert user.explicit
