"""cli.main in-process: exit codes, output only on success, one error line with its hint."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest

from post_renderer import __version__, cli
from post_renderer.arguments import build_post_renderer_parser
from post_renderer.commands import Outcome
from post_renderer.errors import Paragraph
from post_renderer.report import Reporter

from .. import certs
from ..certs import DAY, NOW
from .chart_manifests import FULLNAME, configmap, controller, release, service


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """Messages on our own stderr, and no setting leaking in from the environment."""
    monkeypatch.setenv("OCEAN_PROXY_MESSAGES", "stderr")
    for name in ("OCEAN_PROXY_URL", "OCEAN_PROXY_CA_FILE", "OCEAN_PROXY_NO_PROXY",
                 "OCEAN_PROXY_AUTO_UPDATE", "OCEAN_PROXY_CONFIG", "HELM_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def file(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_render_writes_the_manifests_and_exits_0(tmp_path, capsysbinary):
    data = release(controller(), configmap(proxy_url="http://proxy.corp:3128"))
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data)])
    out, err = capsysbinary.readouterr()
    assert code == 0
    assert b"HTTP_PROXY" in out
    assert b"ocean-proxy: injected proxy http://proxy.corp:3128" in err


def test_the_post_renderer_entry_point_takes_the_same_options(tmp_path, capsysbinary):
    data = release(service())
    code = cli.main(["-f", file(tmp_path, "m.yaml", data)], build_post_renderer_parser)
    out, _ = capsysbinary.readouterr()
    assert code == 0 and out == data


def test_a_refused_bundle_exits_1_with_nothing_on_stdout(tmp_path, capsysbinary):
    expired = certs.root("Expired Corp CA", not_before=NOW - 30 * DAY, not_after=NOW - DAY)
    data = release(controller(), configmap())
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data),
                     "--ca-file", file(tmp_path, "ca.pem", expired.pem)])
    out, err = capsysbinary.readouterr()
    assert code == 1
    assert out == b""
    lines = err.decode().splitlines()
    assert lines[-2].startswith("ocean-proxy: error: ") and "Expired Corp CA" in lines[-2]
    assert lines[-1].startswith("ocean-proxy: hint: ")


def test_an_unknown_flag_is_a_usage_error_exiting_2(capsysbinary):
    code = cli.main(["render", "--proxy", "http://alice:s3cret@p:3128"])
    out, err = capsysbinary.readouterr()
    assert code == 2 and out == b""
    # render has no --proxy: the flag is named, with the one meant, and no value is echoed
    assert b"ocean-proxy: error: unknown flag --proxy; did you mean --proxy-url?" in err
    assert b"s3cret" not in err and b"alice" not in err


def test_a_bad_proxy_url_never_reaches_stderr_in_clear(tmp_path, capsysbinary):
    data = release(controller(), configmap())
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data),
                     "--proxy-url", "ftp://alice:s3cret@proxy.corp:21"])
    out, err = capsysbinary.readouterr()
    assert code == 1 and out == b""
    assert b"s3cret" not in err


def test_check_bundle_prints_the_report_and_exits_1_when_something_is_refused(
        tmp_path, capsysbinary, corp_root):
    good = file(tmp_path, "good.pem", corp_root.pem)
    leaf = file(tmp_path, "leaf.pem", certs.leaf(corp_root).pem)

    assert cli.main(["check-bundle", good]) == 0
    out, _ = capsysbinary.readouterr()
    assert b"certificate 1: ok" in out

    assert cli.main(["check-bundle", good, leaf]) == 1
    out, err = capsysbinary.readouterr()
    assert b"1 ok, 0 with warnings, 0 left out, 1 refused" in out  # the report, then the error
    assert b"ocean-proxy: error: " in err and b"server certificate" in err


def test_an_unexpected_failure_is_an_internal_error_without_a_traceback(
        tmp_path, capsysbinary, monkeypatch):
    from post_renderer.commands import render

    def explode(*args, **kwargs):  # what a run without a cached answer does
        raise KeyError("a secret from the input")

    monkeypatch.setattr(render, "render", explode)
    monkeypatch.setenv("OCEAN_PROXY_NO_CACHE", "1")
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", release(service()))])
    out, err = capsysbinary.readouterr()
    assert code == 1 and out == b""
    assert b"internal error (KeyError)" in err
    assert b"a secret from the input" not in err and b"Traceback" not in err


def test_a_password_with_a_quote_in_a_misspelt_flag_is_not_echoed(capsysbinary):
    code = cli.main(["render", "--proxy", "http://alice:it's-s3cret@p:3128"])
    _, err = capsysbinary.readouterr()
    assert code == 2
    assert b"s3cret" not in err


@pytest.mark.parametrize("userinfo, sent, secret", [
    ("bob:PW5ecret", b"bob:PW5ecret", b"PW5ecret"),
    ("SECRETTOKEN1", b"SECRETTOKEN1:", b"SECRETTOKEN1")])
def test_a_proxy_that_quotes_the_basic_credentials_back_does_not_get_them_printed(
        userinfo, sent, secret, capsysbinary):
    """A 407's reason phrase is quoted in the error; a proxy may echo the Proxy-Authorization
    it got there, which is the user and password in base64 (a user alone goes as 'user:')."""
    import base64

    from .network.local_proxy import local_proxy

    token = base64.b64encode(sent).decode()
    answer = f"HTTP/1.1 407 Denied for Basic {token}\r\nProxy-Authenticate: Basic\r\n\r\n"
    with local_proxy(answer.encode()) as proxy:
        code = cli.main(["verify", "--proxy-url", f"http://{userinfo}@127.0.0.1:{proxy.port}",
                         "--timeout", "5", "--debug"])
    out, err = capsysbinary.readouterr()
    assert code == 1 and out == b""
    assert b"407" in err and b"rejected the credentials of user" in err
    assert token.encode() not in err and secret not in err


# Run as Helm 4's post-renderer plugin, no 'ocean-proxy' is on PATH: every command a hint
# names must be one the user can run, 'helm ocean-proxy ...'.

@pytest.fixture
def as_helm_4s_post_renderer(monkeypatch):
    monkeypatch.setenv("HELM_PLUGIN_NAME", "ocean-proxy-post-renderer")
    monkeypatch.setattr("post_renderer.helm_stderr.helm_reads_stdout", lambda: True)


def hint_of(code: int, err: bytes) -> str:
    [hint] = [line for line in err.decode().splitlines() if line.startswith("ocean-proxy: hint:")]
    assert code == 2, err
    return hint


@pytest.mark.parametrize("flag", ["-h", "--help", "--version"])
def test_under_helm_the_text_flags_hint_names_a_command_the_plugins_have(
        flag, as_helm_4s_post_renderer, capsysbinary):
    code = cli.main([flag], build_post_renderer_parser)
    out, err = capsysbinary.readouterr()
    assert out == b""
    hint = hint_of(code, err)
    assert "'ocean-proxy" not in hint
    assert (f"'helm ocean-proxy {flag}'" if flag == "--version"
            else f"'helm ocean-proxy render {flag}'") in hint


@pytest.mark.parametrize("argv, run", [
    (["check-bundle", "x.pem"], "'helm ocean-proxy check-bundle x.pem'"),
    (["check-bundle", "my ca.pem"], "run: helm ocean-proxy check-bundle 'my ca.pem'"),
    (["help"], "'helm ocean-proxy render --help' for its own flags, or 'helm ocean-proxy help'"),
])
def test_under_helm_a_command_of_ocean_proxy_is_named_as_the_plugins_run_it(
        argv, run, as_helm_4s_post_renderer, capsysbinary):
    """'--post-renderer-args check-bundle': the command line the hint gives is helm's."""
    code = cli.main(argv, build_post_renderer_parser)
    out, err = capsysbinary.readouterr()
    assert out == b""
    hint = hint_of(code, err)
    assert run in hint and "'ocean-proxy" not in hint


def test_under_helm_the_plan_hint_pipes_into_a_command_the_plugins_have(
        as_helm_4s_post_renderer, capsysbinary):
    code = cli.main(["--plan"], build_post_renderer_parser)
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert "| helm ocean-proxy render --plan'" in hint_of(code, err)


@pytest.fixture
def helms_input(monkeypatch):
    """Standard input as helm gives it: a pipe, closed once it has written ``data``."""
    opened = []

    def given(data: bytes) -> None:
        read, write = os.pipe()
        os.write(write, data)
        os.close(write)
        opened.append(open(read))  # noqa: SIM115 (closed below, after the test)
        monkeypatch.setattr("sys.stdin", opened[-1])

    yield given
    for stream in opened:
        stream.close()


@pytest.mark.parametrize("flag", ["-f", "--filename"])
def test_under_helm_a_manifests_file_is_refused_not_deployed_in_place_of_helms(
        flag, as_helm_4s_post_renderer, helms_input, tmp_path, capsysbinary):
    """'--post-renderer-args -f --post-renderer-args old.yaml' (helm's own -f is a values
    file): the post-renderer wrote old.yaml's manifests, and helm deployed them, exit 0."""
    helms_input(release(controller(), configmap(proxy_url="http://proxy.corp:3128")))
    old = file(tmp_path, "old.yaml", release(controller(), configmap()))
    code = cli.main([flag, old], build_post_renderer_parser)
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert err.decode().startswith("ocean-proxy: error: -f reads the manifests from a file "
                                   "instead of the ones helm rendered")
    assert "--post-renderer-args --config=FILE" in hint_of(code, err)


def test_under_helm_a_file_a_wrapper_saved_helms_manifests_to_is_read(
        as_helm_4s_post_renderer, helms_input, tmp_path, capsysbinary):
    """A wrapper script ('cat > all.yaml; ... -f all.yaml') has read helm's input to its end."""
    helms_input(b"")
    data = release(service())
    code = cli.main(["-f", file(tmp_path, "all.yaml", data)], build_post_renderer_parser)
    out, _ = capsysbinary.readouterr()
    assert code == 0 and out == data


@pytest.mark.parametrize("arguments", [[], ["-f", "-"]], ids=["no-f", "f-dash"])
def test_under_helm_the_manifests_on_standard_input_are_read_whole(
        arguments, as_helm_4s_post_renderer, helms_input, capsysbinary):
    """Telling a file from helm's manifests takes a byte of standard input: without -f, or
    with '-f -', that byte is the manifests' first and must not go."""
    data = release(service())
    helms_input(data)
    code = cli.main(arguments, build_post_renderer_parser)
    out, err = capsysbinary.readouterr()
    assert (code, out) == (0, data), err


# A parent named helm (its /proc comm), which runs the post-renderer as helm does: the
# manifests on a pipe to its standard input, its standard output read back.
AS_HELM = r"""
import subprocess, sys
script = "from post_renderer.console import post_renderer_script; post_renderer_script()"
run = subprocess.run([sys.argv[1], "-c", script, *sys.argv[2:]], input=sys.stdin.buffer.read(),
                     capture_output=True)
sys.stdout.buffer.write(run.stdout)
sys.stderr.buffer.write(run.stderr)
sys.exit(run.returncode)
"""


@pytest.mark.parametrize("name", ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"])
def test_under_helm_a_file_that_is_standard_input_reads_helms_manifests(name, tmp_path):
    """'-f /dev/stdin' names helm's own manifests: refused as a file in their place, it failed
    an upgrade that '-f -' passes."""
    helm = tmp_path / "helm"
    helm.symlink_to(sys.executable)
    data = release(service())
    run = subprocess.run([helm, "-c", AS_HELM, sys.executable, "-f", name], input=data,
                         capture_output=True, timeout=60, check=False,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert (run.returncode, run.stdout) == (0, data), run.stderr.decode()


def test_under_helm_an_empty_filename_is_said_to_be_empty_not_a_file_in_place_of_helms(
        as_helm_4s_post_renderer, helms_input, capsysbinary):
    """'-f "$MANIFESTS"' with MANIFESTS unset names no file: the variable is what to fix."""
    helms_input(release(service()))
    code = cli.main(["-f", ""], build_post_renderer_parser)
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert err.decode().startswith("ocean-proxy: error: --filename is given but empty\n"), err
    assert "is the variable it comes from set?" in hint_of(code, err)


def test_outside_helm_a_manifests_file_is_read_and_standard_input_left_as_it_is(
        helms_input, tmp_path, capsysbinary):
    """A loop that reads its list on standard input ('while read f; do ocean-proxy render
    -f "$f"; done < list') leaves the rest of the list there: no helm reads this output."""
    helms_input(b"next.yaml\n")
    data = release(service())
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data)])
    out, err = capsysbinary.readouterr()
    assert (code, out) == (0, data), err
    assert sys.stdin.read() == "next.yaml\n"


def test_under_the_command_plugin_a_closed_stdin_hint_pipes_into_helm_ocean_proxy(
        monkeypatch, capsysbinary):
    monkeypatch.setenv("HELM_PLUGIN_NAME", "ocean-proxy")
    monkeypatch.setattr("sys.stdin", None)
    code = cli.main(["check-bundle", "-"])
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert "| helm ocean-proxy check-bundle -'" in hint_of(code, err)


@pytest.mark.parametrize("plugin, usage", [
    ("ocean-proxy", "usage: helm ocean-proxy check-bundle "),  # the command plugin
    (None, "usage: ocean-proxy check-bundle "),  # the console script
])
def test_help_shows_the_command_line_that_runs_it(plugin, usage, monkeypatch, capsys):
    """Helm 4 puts no 'ocean-proxy' on PATH: a usage line copied from the plugin's --help
    must be helm's command line; the version stays the program's."""
    if plugin:
        monkeypatch.setenv("HELM_PLUGIN_NAME", plugin)
    else:
        monkeypatch.delenv("HELM_PLUGIN_NAME", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["check-bundle", "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(usage)
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out == f"ocean-proxy {__version__}\n"


def test_a_failed_write_still_says_each_warning_with_the_lines_under_it():
    """Where the output could not be written only warnings are said: a warning's own lines
    (what to run about it) stay with it, a notice's go with the notice."""
    said = Outcome()
    said.notice(Paragraph("injected proxy", "a line of the notice"))
    said.warning(Paragraph("ConfigMap key 'proxy-url' is now blank", "  'helm upgrade ...'"))
    stream = io.StringIO()
    cli._say(Reporter(stream), said.messages, only_warnings=True)
    assert stream.getvalue() == ("ocean-proxy: warning: ConfigMap key 'proxy-url' is now blank\n"
                                 "    'helm upgrade ...'\n")
    said.notice(Paragraph("auto-update is on", "a line of that notice"))  # after a warning
    stream = io.StringIO()
    cli._say(Reporter(stream), said.messages, only_warnings=True)
    assert "notice" not in stream.getvalue()


@pytest.mark.parametrize("arguments", [
    ["render", "--proxy-url="], ["render", "--config="], ["render", "--ca-file="],
    ["render", "--no-proxy="], ["render", "--filename="], ["verify", "--proxy-url="],
    ["verify", "--proxy-url=http://proxy.corp:3128", "--ca-file="],
    ["discover-ca", "--proxy-url="], ["values", "--secrets=s.yaml", "--proxy-url="],
    ["values", "--secrets=s.yaml", "--proxy-url=http://proxy.corp:3128", "--release="],
    # the network commands' own: an empty one fell back to the machine's roots, the target's
    # name, or was ignored, and the probe ran (127.0.0.1:9: nothing listens, nothing leaves)
    ["verify", "--proxy-url=http://127.0.0.1:9", "--public-roots="],
    ["verify", "--proxy-url=http://127.0.0.1:9", "--servername="],
    ["discover-ca", "--proxy-url=http://127.0.0.1:9", "--public-roots="],
    ["discover-ca", "--proxy-url=http://127.0.0.1:9", "--servername="],
    ["discover-ca", "--proxy-url=http://127.0.0.1:9", "--proxy-ca-file="],
])
def test_a_flag_given_empty_is_a_usage_error_exiting_2_whichever_flag(
        arguments, tmp_path, monkeypatch, capsysbinary):
    """'--proxy-url=$PROXY' with PROXY unset is the same mistake as '--secrets=$FILE': one
    exit code for it (README: 2 for usage errors), whichever flag was left empty."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(
        release(controller(), configmap()))))
    code = cli.main(arguments)
    out, err = capsysbinary.readouterr()
    assert (code, out) == (2, b""), err
    assert b"is given but empty" in err


@pytest.mark.parametrize("arguments", [["render", ""], ["render", "--strict", " "],
                                       ["verify", "--proxy-url=http://127.0.0.1:9", ""]])
def test_an_empty_argument_is_said_to_be_one_not_a_value_that_may_hold_a_secret(
        arguments, monkeypatch, capsysbinary):
    """'--post-renderer-args "$ARGS"' with ARGS unset hands the post-renderer an empty
    argument: it was refused as a value 'not shown: it may hold a secret', with spaces 'read as
    a shell splits it', which sent the user looking for a hidden value."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(
        release(controller(), configmap()))))
    code = cli.main(arguments)
    out, err = capsysbinary.readouterr()
    assert (code, out) == (2, b"")
    assert err.decode().splitlines() == ["ocean-proxy: error: an empty argument",
                                         "ocean-proxy: hint: set its variable, or drop it"]


def test_values_help_promises_the_auto_update_job_nothing_chart_values_cannot_give(
        monkeypatch, capsys):
    """Chart values have no place for the Job's env, and 'values' writes no Job post-renderer:
    its --help must not say 'inject' gives the Job the proxy (inject and keep write the same
    files there) nor that --strict makes that post-renderer fail; render's still says both."""
    monkeypatch.delenv("HELM_PLUGIN_NAME", raising=False)
    monkeypatch.setenv("COLUMNS", "1000")  # one line per option: no 'post-' wrapped apart
    helps = {}
    for command in ("values", "render"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        helps[command] = " ".join(capsys.readouterr().out.split())
    assert "inject (default) gives it the proxy and CA" not in helps["values"]
    assert "Job's post-renderer" not in helps["values"]
    assert "refuse fails while it is enabled" in helps["values"]
    assert "the metric exporter" not in helps["values"]  # --workload: the controller's only
    assert "inject (default) gives it the proxy and CA" in helps["render"]
    assert "Job's post-renderer fail the upgrade" in helps["render"]


def test_the_strict_help_names_the_lints_that_fail_a_strict_run(monkeypatch, capsys):
    """A second proxy, a dropped NO_PROXY entry or a mount of one's own fail a --strict run,
    yet --help listed only three kinds of lint, as if these passed; the release-size lint is
    render's alone (values stores no release)."""
    monkeypatch.setenv("COLUMNS", "1000")
    helps = {}
    for command in ("values", "render"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        helps[command] = " ".join(capsys.readouterr().out.split())
    for command in ("values", "render"):
        for lint in ("insecure TLS next to a CA", "second proxy or CA bundle",
                     "NO_PROXY entries ocean-proxy leaves out", "volumes or mounts"):
            assert lint in helps[command], (command, lint)
    assert "too large for helm to store" in helps["render"]
    assert "too large" not in helps["values"]


def test_a_line_break_in_a_ca_file_name_is_shown_not_dropped(tmp_path, monkeypatch, capsysbinary):
    """OCEAN_PROXY_CA_FILE from a CI file variable, its line break kept: 'ca.pem does not
    exist' beside an existing ca.pem hid the mistake; the break is shown escaped, as the
    README says of control characters, in an error as in a warning."""
    (tmp_path / "ca.pem").write_bytes(certs.root("Line Break Corp Root").pem)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCEAN_PROXY_CA_FILE", "ca.pem\n")
    data = release(controller(), configmap())
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data)])
    out, err = capsysbinary.readouterr()
    assert (code, out) == (1, b""), err
    assert b"ocean-proxy: error: CA file (from OCEAN_PROXY_CA_FILE) 'ca.pem\\n' does not exist\n" \
        in err


@pytest.mark.parametrize("strict", [["--strict"], ["OCEAN_PROXY_STRICT"], []])
def test_values_says_the_lints_and_with_strict_refuses_them_writing_nothing(
        tmp_path, monkeypatch, capsysbinary, strict):
    """'values --strict' promised to make the lints errors, yet values ran none: a NO_PROXY
    entry that sends the Spot API around the proxy was dropped without a word, and --strict
    wrote the files anyway. A refused run says nothing of what it would have written."""
    data = release(controller(no_proxy=".spotinst.io,corp.example"),
                   configmap(proxy_url="http://proxy.corp:3128"))
    secrets = tmp_path / "secrets.yaml"
    if strict == ["OCEAN_PROXY_STRICT"]:
        monkeypatch.setenv("OCEAN_PROXY_STRICT", "true")
    code = cli.main(["values", "-f", file(tmp_path, "m.yaml", data),
                     "--secrets", str(secrets), *(strict if strict == ["--strict"] else [])])
    out, err = capsysbinary.readouterr()
    lint = ("NO_PROXY entries ocean-proxy leaves out of the one NO_PROXY it writes: "
            "'.spotinst.io'")
    if strict:
        assert (code, out, secrets.exists()) == (1, b"", False)
        [error, hint] = err.decode().splitlines()
        assert error.startswith(f"ocean-proxy: error: Deployment/{FULLNAME} was rendered with "
                                f"{lint}")
        assert hint.startswith("ocean-proxy: hint: remove them from your values")
        assert ("; or unset OCEAN_PROXY_STRICT" if strict == ["OCEAN_PROXY_STRICT"]
                else "; or drop --strict") in hint
    else:
        assert code == 0 and b"corp.example" in out and secrets.exists()
        assert f"ocean-proxy: warning: Deployment/{FULLNAME} was rendered with {lint}" in \
            err.decode()


@pytest.mark.parametrize("strict", [["--strict"], []])
def test_values_lints_name_the_flags_as_values_takes_them(tmp_path, capsysbinary, strict):
    """values is no post-renderer: 'helm ocean-proxy values --post-renderer-args --strict'
    is no command, yet its lints' hints said to write their flags so 'under helm'."""
    data = release(controller(no_proxy=".spotinst.io,corp.example"),
                   configmap(proxy_url="http://proxy.corp:3128"))
    cli.main(["values", "-f", file(tmp_path, "m.yaml", data),
              "--secrets", str(tmp_path / "secrets.yaml"), *strict])
    _, err = capsysbinary.readouterr()
    said = err.decode()
    assert "--no-proxy=HOSTS" in said and ("drop --strict" in said) == bool(strict), said
    assert "--post-renderer-args" not in said, said


@pytest.mark.parametrize("name", ["NO_PROXY", "no_proxy"])
def test_a_no_proxy_read_from_the_users_configmap_is_said_to_lose_its_hosts(
        tmp_path, capsysbinary, name):
    """extraEnv's NO_PROXY from a ConfigMap of the user's (the hosts a corporate network keeps
    direct): ocean-proxy writes its own NO_PROXY value in that entry's place, and the hosts
    the ConfigMap holds were dropped without a word."""
    deployment = controller().replace(
        "        - name: USER_ENV_CERTIFICATES",
        f"        - name: {name}\n          valueFrom:\n            configMapKeyRef:\n"
        "              name: corp-network\n              key: no-proxy\n"
        "        - name: USER_ENV_CERTIFICATES")
    data = release(deployment, configmap(proxy_url="http://proxy.corp:3128"))
    path = file(tmp_path, "m.yaml", data)

    code = cli.main(["render", "-f", path])
    out, err = capsysbinary.readouterr()
    assert code == 0 and b"corp-network" not in out
    said = (f"ocean-proxy: warning: Deployment/{FULLNAME} reads {name} from ConfigMap "
            "'corp-network' key 'no-proxy'")
    assert said in err.decode() and "--no-proxy=HOSTS" in err.decode()

    code = cli.main(["render", "-f", path, "--strict"])
    out, err = capsysbinary.readouterr()
    assert (code, out) == (1, b"")
    assert said.replace("warning", "error") in err.decode()


def with_env(deployment: str, container: str, name: str, ref: str, object_name: str,
             key: str) -> str:
    """The controller's Deployment, one container given an entry from a key (``extraEnv``, or
    ``logShipping.extraEnv`` for the log-shipper)."""
    controller_env = "        - name: USER_ENV_CERTIFICATES"
    shipper_env = "                key: token\n        volumeMounts:"
    entry = (f"- name: {name}\n  valueFrom:\n    {ref}:\n      name: {object_name}\n"
             f"      key: {key}\n")
    if container == "log-shipper":
        edited = deployment.replace(
            shipper_env, "                key: token\n" + textwrap.indent(entry, " " * 10)
            + "        volumeMounts:")
    else:
        edited = deployment.replace(controller_env,
                                    textwrap.indent(entry, " " * 8) + controller_env)
    assert edited != deployment
    return edited


@pytest.mark.parametrize(("container", "name", "ref", "kind"), [
    ("ocean-kubernetes-controller", "HTTPS_PROXY", "secretKeyRef", "Secret"),
    ("ocean-kubernetes-controller", "https_proxy", "configMapKeyRef", "ConfigMap"),
    ("log-shipper", "HTTP_PROXY", "secretKeyRef", "Secret"),
])
def test_a_proxy_read_from_an_object_the_release_does_not_render_is_said_to_be_replaced(
        tmp_path, capsysbinary, container, name, ref, kind):
    """extraEnv's HTTPS_PROXY from a Secret of the user's (the proxy and its password, kept
    out of the values) beside spotinst.proxyUrl: ocean-proxy cannot read that Secret, and it
    replaced the entry with the chart's proxy without a word, as it says of an old literal
    HTTPS_PROXY; --strict let it pass."""
    deployment = with_env(controller(), container, name, ref, "corp-proxy", "url")
    data = release(deployment, configmap(proxy_url="http://bob:Pa55-w0rd@proxy.corp:3128"))
    path = file(tmp_path, "m.yaml", data)

    code = cli.main(["render", "-f", path])
    out, err = capsysbinary.readouterr()
    said = err.decode()
    assert code == 0 and b"corp-proxy" not in out
    assert (f"ocean-proxy: warning: Deployment/{FULLNAME} was rendered with more than one "
            "proxy: every container now gets http://bob:***@proxy.corp:3128 (from ConfigMap "
            f"'{FULLNAME}' key 'proxy-url'), and ocean-proxy replaces a proxy it cannot read "
            f"({name} of container '{container}', from {kind} 'corp-proxy' key 'url', which "
            "this release does not render)") in said, said
    assert "Pa55-w0rd" not in said

    code = cli.main(["render", "-f", path, "--strict"])
    out, err = capsysbinary.readouterr()
    assert (code, out) == (1, b"")
    assert f"ocean-proxy: error: Deployment/{FULLNAME} was rendered with more than one " \
        "proxy" in err.decode()
    assert f"{kind} 'corp-proxy' key 'url'" in err.decode() and b"Pa55-w0rd" not in err


@pytest.mark.parametrize("secret", ["corp-ocean-proxy",
                                    "other-ocean-kubernetes-controller-ocean-proxy"],
                         ids=["users-own", "another-releases"])
def test_a_proxy_read_from_a_secret_named_like_ocean_proxys_but_not_this_releases_is_said(
        tmp_path, capsysbinary, secret):
    """A Secret of the user's named after the tool ('corp-ocean-proxy'), or the proxy Secret
    ocean-proxy wrote for another release, is none ocean-proxy wrote for this one: it cannot
    be read, and a proxy in it is replaced (beside spotinst.proxyUrl) or goes unread (without
    it), said as for any other Secret the release does not render."""
    deployment = with_env(controller(), "ocean-kubernetes-controller", "HTTPS_PROXY",
                          "secretKeyRef", secret, "proxy-url")
    beside = file(tmp_path, "beside.yaml",
                  release(deployment, configmap(proxy_url="http://proxy.corp:3128")))
    alone = file(tmp_path, "alone.yaml", release(deployment, configmap()))

    code = cli.main(["render", "-f", beside, "--strict"])
    out, err = capsysbinary.readouterr()
    assert (code, out) == (1, b""), err
    assert (f"ocean-proxy replaces a proxy it cannot read (HTTPS_PROXY of container "
            f"'ocean-kubernetes-controller', from Secret '{secret}' key 'proxy-url', which "
            "this release does not render)") in err.decode()

    code = cli.main(["render", "-f", alone, "--strict"])
    out, err = capsysbinary.readouterr()
    assert (code, out) == (1, b""), err
    assert (f"reads its proxy from Secret '{secret}' key 'proxy-url', which this release does "
            "not render") in err.decode()


def test_a_proxy_read_from_objects_the_release_renders_or_ocean_proxy_wrote_is_no_other(
        tmp_path, capsysbinary):
    """The log-shipper's HTTP_PROXY from the chart's own ConfigMap key, and an HTTPS_PROXY
    from a Secret the release renders holding the same proxy, are the chart's proxy; the
    Secret ocean-proxy wrote on an earlier run (kept by helm, not rendered again) holds it
    by contract: none is another proxy, and --strict passes."""
    url = "http://proxy.corp:3128"
    deployment = with_env(controller(), "log-shipper", "HTTP_PROXY", "configMapKeyRef",
                          FULLNAME, "proxy-url")
    deployment = with_env(deployment, "ocean-kubernetes-controller", "HTTPS_PROXY",
                          "secretKeyRef", "corp-proxy", "url")
    deployment = with_env(deployment, "ocean-kubernetes-controller", "https_proxy",
                          "secretKeyRef", f"{FULLNAME}-ocean-proxy", "proxy-url")
    corp_proxy = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: corp-proxy\n"
                  f"  namespace: spot-system\nstringData:\n  url: {url}\n")
    data = release(deployment, configmap(proxy_url=url), corp_proxy)

    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data), "--strict"])
    out, err = capsysbinary.readouterr()
    assert code == 0 and out, err
    assert b"more than one proxy" not in err and b"corp-proxy" not in err, err


@pytest.mark.parametrize("given", ["flag", "OCEAN_PROXY_NO_PROXY", "config"])
def test_a_no_proxy_name_not_in_ascii_is_refused_with_its_idna_form(
        tmp_path, monkeypatch, capsysbinary, given):
    """'bücher.example', however it is given: the hint is the form to write instead."""
    data = release(controller(), configmap(proxy_url="http://proxy.corp:3128"))
    argv = ["render", "-f", file(tmp_path, "m.yaml", data)]
    if given == "flag":
        argv += ["--no-proxy", "corp.example,Bücher.example"]
    elif given == "config":
        argv += ["--config", file(tmp_path, "c.yaml", "noProxy: [Bücher.example]\n".encode())]
    else:
        monkeypatch.setenv("OCEAN_PROXY_NO_PROXY", "Bücher.example")
    code = cli.main(argv)
    out, err = capsysbinary.readouterr()
    assert (code, out) == (1, b""), err
    [error, hint] = err.decode().splitlines()
    assert error.startswith("ocean-proxy: error: ") and "'Bücher.example' is a name not in " \
        "ASCII" in error
    assert hint == "ocean-proxy: hint: write it as xn--bcher-kva.example"


def test_a_rendered_no_proxy_name_not_in_ascii_is_said_with_its_idna_form(tmp_path, capsysbinary):
    """extraEnv's NO_PROXY with 'bücher.example': left out of the one NO_PROXY ocean-proxy
    writes, and the lint gives the form to write in the values instead."""
    data = release(controller(no_proxy="corp.example,Bücher.example"),
                   configmap(proxy_url="http://proxy.corp:3128"))
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data), "--strict"])
    out, err = capsysbinary.readouterr()
    assert (code, out) == (1, b""), err
    [error, hint] = err.decode().splitlines()
    assert "NO_PROXY entries ocean-proxy leaves out of the one NO_PROXY it writes: " \
        "'Bücher.example'" in error
    assert "write 'Bücher.example' as xn--bcher-kva.example" in hint


def test_values_given_to_the_post_renderer_names_a_values_command_line_that_runs(
        tmp_path, monkeypatch, capsysbinary):
    """'ocean-proxy-post-renderer values m.yaml' said to run 'ocean-proxy values m.yaml',
    which values refuses (it reads the manifests with -f, and writes the Secrets to --secrets):
    the command line it names, its placeholder filled in, writes the values."""
    import shlex

    monkeypatch.chdir(tmp_path)
    file(tmp_path, "m.yaml", release(controller(), configmap(proxy_url="http://proxy.corp:3128",
                                                             auto_update=False)))
    code = cli.main(["values", "m.yaml"], build_post_renderer_parser)
    out, err = capsysbinary.readouterr()
    assert out == b""
    hint = hint_of(code, err).removeprefix("ocean-proxy: hint: ")
    assert hint.startswith("run '") and "' with FILE filled in (--secrets: " in hint
    words = shlex.split(hint.split("'")[1])
    assert words[:2] == ["ocean-proxy", "values"] and "FILE" in words
    code = cli.main(["secrets.yaml" if word == "FILE" else word for word in words[1:]])
    out, err = capsysbinary.readouterr()
    assert code == 0, err
    assert b"HTTP_PROXY" in out and (tmp_path / "secrets.yaml").exists()


@pytest.mark.parametrize(("name", "ref", "kind", "key"), [
    ("NO_PROXY", "configMapKeyRef", "ConfigMap", None),
    ("no_proxy", "secretKeyRef", "Secret", "''"),
    ("HTTPS_PROXY", "configMapKeyRef", "ConfigMap", None),
    ("HTTPS_PROXY", "secretKeyRef", "Secret", '""'),
], ids=["no-proxy-no-key", "no-proxy-empty-key", "proxy-no-key", "proxy-empty-key"])
def test_a_reference_that_names_no_key_is_said_so_not_as_key_quote_quote(
        tmp_path, capsysbinary, name, ref, kind, key):
    """An entry whose configMapKeyRef or secretKeyRef has no key (or an empty one) was named
    "ConfigMap 'corp' key ''", as if the object had a key of that name; the API server refuses
    such an entry ('valueFrom.configMapKeyRef.key: Required value')."""
    entry = f"        - name: {name}\n          valueFrom:\n            {ref}:\n" \
            "              name: corp\n" + (f"              key: {key}\n" if key else "")
    deployment = controller().replace("        - name: USER_ENV_CERTIFICATES",
                                      entry + "        - name: USER_ENV_CERTIFICATES")
    proxy = None if name == "HTTPS_PROXY" else "http://proxy.corp:3128"
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", release(
        deployment, configmap(proxy_url=proxy, auto_update=False)))])
    _, err = capsysbinary.readouterr()
    said = err.decode()
    assert code == 0, said
    assert "key ''" not in said
    assert (f"{kind} 'corp' (the reference names no key: the API server refuses it)"
            in said), said


def test_a_password_set_by_mistake_as_ocean_proxy_messages_is_not_shown_in_its_warning(
        tmp_path, monkeypatch, capsysbinary):
    """The warning about OCEAN_PROXY_MESSAGES is said as the reporter is made: it must
    already know the credentials of the command line and the environment (a CI job that
    maps its variables one place off)."""
    monkeypatch.setenv("OCEAN_PROXY_URL", "http://bob:S3cretPass@proxy.corp:3128")
    monkeypatch.setenv("OCEAN_PROXY_MESSAGES", "S3cretPass")
    data = release(controller(), configmap())
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data)])
    _, err = capsysbinary.readouterr()
    assert code == 0
    assert b"ocean-proxy: warning: OCEAN_PROXY_MESSAGES is '***'" in err
    assert b"S3cretPass" not in err


@pytest.mark.parametrize("pasted", ["key", "token", "passphrase"])
@pytest.mark.parametrize("flag", ["--workload", "--no-proxy", "--auto-update"])
def test_a_key_or_token_pasted_as_a_flags_value_is_not_quoted_in_its_refusal(
        flag, pasted, tmp_path, capsysbinary):
    """A token or key is never quoted back, '@' or not, long or not: one pasted in the wrong
    place (a CI variable mapped one place off) was printed whole."""
    key = certs.root("Pasted Corp CA").key_pem.decode()
    body = "".join(key.splitlines()[1:-1])  # one line of base64, as a variable flattens it
    value = {"key": body, "token": "9f8e7d6c5b4a39281706f5e4d3c2b1a0" * 2,  # 64 hex digits
             "passphrase": "-".join(["correct", "horse", "battery", "staple"] * 12)}[pasted]
    data = release(controller(), configmap(proxy_url="http://proxy.corp:3128"))
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data), flag, value])
    out, err = capsysbinary.readouterr()
    assert code != 0 and out == b""
    assert b"(the value is not shown: it may hold a password)" in err
    assert value[:24].lower().encode() not in err.lower()
    assert value[-24:].lower().encode() not in err.lower()


@pytest.mark.timeout(60)
def test_an_argument_of_30000_urls_is_refused_in_seconds(tmp_path, capsysbinary):
    """The most Linux passes in one argument (120 KB): each URL's credentials were read to
    the argument's last '@' and hidden from every line said, which took hours."""
    import time

    data = release(controller(), configmap())
    started = time.monotonic()
    code = cli.main(["render", "-f", file(tmp_path, "m.yaml", data), "--no-proxy",
                     "http://bob:s3cret@p:1," + "://@" * 30_000])
    out, err = capsysbinary.readouterr()
    assert time.monotonic() - started < 20  # a quarter of a second here
    assert code == 1 and out == b""
    assert err.startswith(b"ocean-proxy: error: --no-proxy: an entry is a URL")
