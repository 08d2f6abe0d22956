"""What the other users of the machine see of a render: every process's command line (``ps``,
``/proc/<pid>/cmdline``), while helm 3 and helm 4 run the post-renderer.

A proxy password given by ``OCEAN_PROXY_URL`` or the ``--config`` file is on no command line,
helm's, the plugin wrapper's or the post-renderer's, nor in helm's ``--debug`` output, and is
used; one given by ``--post-renderer-args --proxy-url=...`` is on helm's and the
post-renderer's, and in Helm 4's ``--debug`` output, as the README warns. The look is taken
while the post-renderer reads its CA file, a FIFO (command_lines.py). A config file others
can read is used, with a warning.
"""

from __future__ import annotations

import base64
import grp
import secrets
from pathlib import Path

import pytest

from . import certs
from .chart_render import FULLNAME, NAMESPACE, RELEASE, VENDOR_FLAGS, parse
from .command_lines import PausedReads
from .conftest import (
    FIXTURE_CHART,
    Run,
    clean_env,
    helm_template,
    ocean_proxy,
    post_renderer,
    run_command,
    tool,
)
from .plugin_harness import install_post_renderer_plugin, post_renderer_user_env


@pytest.fixture(scope="module")
def helm_users(release: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> dict[str, dict[str, str]]:
    """Each major's environment, with the post-renderer as users install it."""
    users = {}
    for major in ("helm3", "helm4"):
        env = post_renderer_user_env(major, tmp_path_factory.mktemp(major))
        install_post_renderer_plugin(major, tool(major), release, env)
        users[major] = env
    return users


def render(major: str, env: dict[str, str], tmp_path: Path, *args: str,
           **extra_env: str) -> tuple[Run, PausedReads, str]:
    """helm template with the post-renderer, its command lines seen while it reads the CA
    file; the password of this run alone (other tests on the machine may be running)."""
    password = f"pw-{secrets.token_hex(8)}"
    fifo = tmp_path / "corp-ca.pem"
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(f"proxyUrl: http://svc-ocean:{password}@proxy.corp:3128\n")
    config.chmod(0o600)
    argv = [str(tool(major)), "template", RELEASE, str(FIXTURE_CHART), "--namespace",
            NAMESPACE, *VENDOR_FLAGS, "--debug", "--post-renderer", "ocean-proxy-post-renderer",
            "--post-renderer-args", f"--ca-file={fifo}",
            *(arg.format(password=password, config=config) for arg in args)]
    environment = {**env, **{name: value.format(password=password)
                             for name, value in extra_env.items()}}
    with PausedReads(fifo, certs.root("Command Line Corp Root CA").pem, [password]) as reads:
        run = run_command(argv, env=environment, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert any(line.startswith(str(tool(major))) for pause in reads.pauses for line in pause)
    assert any("post_renderer" in line or "/ocean-proxy-post-renderer " in line
               for pause in reads.pauses for line in pause), reads.pauses
    return run, reads, password


def proxy_secret(run: Run) -> str:
    """The proxy URL the render keeps in its Secret for the pods."""
    secret = parse(run.text).find("Secret", f"{FULLNAME}-ocean-proxy")
    assert secret is not None, run.stderr
    return base64.b64decode(secret["data"]["proxy-url"]).decode()


def programs(lines: list[str]) -> list[str]:
    """The programs of these command lines: what an assertion may print of them."""
    return sorted({line.split(" ", 1)[0].rsplit("/", 1)[-1] for line in lines})


@pytest.mark.parametrize("major", ["helm3", "helm4"])
@pytest.mark.parametrize("route", ["OCEAN_PROXY_URL", "--config"])
def test_a_password_from_the_environment_or_the_config_file_is_on_no_command_line(
        major, route, helm_users, tmp_path):
    if route == "OCEAN_PROXY_URL":
        run, reads, password = render(
            major, helm_users[major], tmp_path,
            OCEAN_PROXY_URL="http://svc-ocean:{password}@proxy.corp:3128")
    else:
        run, reads, password = render(major, helm_users[major], tmp_path,
                                      "--post-renderer-args", "--config={config}")
    assert programs(reads.exposed) == []
    assert password not in run.stderr
    assert password in proxy_secret(run)  # and used


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_a_password_in_post_renderer_args_is_on_helm_s_and_the_post_renderer_s_command_line(
        major, helm_users, tmp_path):
    """What the README warns of: helm passes --post-renderer-args on as arguments."""
    run, reads, password = render(
        major, helm_users[major], tmp_path,
        "--post-renderer-args", "--proxy-url=http://svc-ocean:{password}@proxy.corp:3128")
    assert password in proxy_secret(run)
    assert (password in run.stderr) == (major == "helm4")  # the plugin's command, logged
    assert major in programs(reads.exposed)
    assert any("post_renderer" in line or "/ocean-proxy-post-renderer " in line
               for line in reads.exposed)


def test_a_config_file_others_can_read_that_holds_the_password_is_warned_about(tmp_path):
    """As helm says of a kubeconfig others can read: said, not refused (a git checkout makes
    files 0644), on every command that reads the file, and never with the password."""
    password = f"pw-{secrets.token_hex(8)}"
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(f"proxyUrl: http://svc-ocean:{password}@127.0.0.1:9\n")
    manifests = helm_template(tmp_path, *VENDOR_FLAGS)
    for mode, readers in ((0o644, "every user of this machine"),
                          (0o640, f"the members of its group {group_of(config)}"),
                          (0o600, None)):
        config.chmod(mode)
        run = post_renderer("--config", config, stdin=manifests)
        assert run.returncode == 0, run.stderr
        warnings = [line for line in run.stderr.splitlines()
                    if line.startswith("ocean-proxy: warning: ") and str(config) in line]
        assert bool(warnings) == bool(readers), (oct(mode), run.stderr)
        assert password not in run.stderr
        if readers:  # who, exactly: a group may be the user's alone
            assert f"{readers} can read it (mode {mode:04o})" in warnings[0], warnings
            assert "chmod 600" in warnings[0]
    config.chmod(0o644)
    warning = f"ocean-proxy: warning: config file {config} holds the proxy's credentials"
    for command in (("verify", "--timeout", "1"), ("discover-ca", "--timeout", "1")):
        checked = ocean_proxy(*command, "--config", config)
        assert checked.returncode == 1  # nothing listens there: the warning comes first
        assert warning in checked.stderr and password not in checked.stderr, command
    values = ocean_proxy("values", "--config", config, "--secrets", tmp_path / "secrets.yaml",
                         stdin=manifests)
    assert values.returncode == 0, values.stderr
    assert warning in values.stderr and password not in values.stderr


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_a_readable_config_file_is_warned_about_on_helm_s_stderr_even_when_the_render_fails(
        major, helm_users, tmp_path):
    """The file is exposed whatever else is wrong with it: the first run a pipeline makes
    (its CA file not written yet) says so, once, next to the reason the render stopped."""
    password = f"pw-{secrets.token_hex(8)}"
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(f"proxyUrl: http://svc-ocean:{password}@127.0.0.1:9\n"
                      "caFiles: [corp-ca.pem]\n")
    config.chmod(0o644)
    run = run_command([tool(major), "template", RELEASE, FIXTURE_CHART, "--namespace",
                       NAMESPACE, *VENDOR_FLAGS, "--post-renderer", "ocean-proxy-post-renderer"],
                      env={**{name: value for name, value in helm_users[major].items()
                              if name != "OCEAN_PROXY_MESSAGES"},  # users leave it unset
                           "OCEAN_PROXY_CONFIG": str(config)})
    assert run.returncode != 0 and run.text == ""
    lines = run.stderr.splitlines()
    warning = f"ocean-proxy: warning: config file {config} holds the proxy's credentials"
    assert len([line for line in lines if line.startswith(warning)]) == 1, run.stderr
    assert len([line for line in lines if "ocean-proxy: error: CA file (from config file"
                in line and "corp-ca.pem does not exist" in line]) == 1, run.stderr
    assert password not in run.stderr


@pytest.mark.parametrize("command", ["verify", "discover-ca", "values"])
def test_every_command_warns_of_a_readable_config_file_before_refusing_its_settings(
        command, tmp_path):
    """verify and values stop at the missing CA file, discover-ca (which reads no caFiles)
    at a noProxy the post-renderer would refuse: the exposure is said all the same."""
    password = f"pw-{secrets.token_hex(8)}"
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(f"proxyUrl: http://svc-ocean:{password}@127.0.0.1:9\n"
                      "caFiles: [corp-ca.pem]\nnoProxy: ['*']\n")
    config.chmod(0o644)
    args = ["--secrets", tmp_path / "secrets.yaml"] if command == "values" else []
    run = ocean_proxy(command, "--config", config, *args,
                      stdin=helm_template(tmp_path, *VENDOR_FLAGS))
    assert run.returncode == 1 and run.stdout == b""
    lines = run.stderr.splitlines()
    assert len(lines) == 3, run.stderr
    assert lines[0].startswith(f"ocean-proxy: warning: config file {config} holds the "
                               "proxy's credentials, and every user of this machine can read")
    assert lines[1].startswith("ocean-proxy: error: ") and lines[2].startswith(
        "ocean-proxy: hint: ")
    assert password not in run.stderr
    assert not (tmp_path / "secrets.yaml").exists()


@pytest.mark.parametrize("given", ["OCEAN_PROXY_URL", "--proxy-url"])
def test_a_readable_config_file_whose_proxy_is_not_used_says_what_gives_it(given, tmp_path):
    """The flag or the variable already wins: the way out is taking the URL out of the file,
    not giving it by OCEAN_PROXY_URL."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text("proxyUrl: http://svc-ocean:pw-in-the-file@127.0.0.1:9\n")
    config.chmod(0o644)
    used = "http://127.0.0.1:3128"
    flags = ["--proxy-url", used] if given == "--proxy-url" else []
    env = clean_env(OCEAN_PROXY_URL=used) if given == "OCEAN_PROXY_URL" else clean_env()
    run = post_renderer("--config", config, *flags, stdin=helm_template(tmp_path, *VENDOR_FLAGS),
                        env=env)
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if str(config) in line]
    assert len(warnings) == 1, run.stderr
    assert f"its proxyUrl is not used ({given} gives the proxy): take it out" in warnings[0]
    assert "give the URL by" not in warnings[0] and "pw-in-the-file" not in run.stderr


def group_of(path: Path) -> str:
    """The file's group as a message names it: quoted, or its number when it has no name."""
    try:
        return f"'{grp.getgrgid(path.stat().st_gid).gr_name}'"
    except KeyError:  # a container's group without an entry in /etc/group
        return str(path.stat().st_gid)


def test_a_config_file_others_can_read_without_credentials_is_not_warned_about(tmp_path):
    """Only the credentials make the file a secret: a proxy URL without them is no news."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text("proxyUrl: http://127.0.0.1:9\n")
    config.chmod(0o644)
    run = post_renderer("--config", config, stdin=helm_template(tmp_path, *VENDOR_FLAGS))
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr
