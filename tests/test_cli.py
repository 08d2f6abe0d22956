"""One flag vocabulary, and usage mistakes told the way users make them: in-process, no helm.

Every command says ``--proxy-url`` (``--proxy``, what verify and discover-ca said first, still
works); a misspelt flag is named with the closest known one; one argument ``"--ca-file ca.pem"``,
as one ``--post-renderer-args`` passes it, is read as the flag and its value. A usage mistake
is one error line and a hint on stderr, nothing on stdout, exit 2, and never a flag's value:
it may hold the proxy's password.
"""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from post_renderer.arguments import build_parser, build_post_renderer_parser
from post_renderer.cli import main

SECRET = "S3cret'P%40ss"
PROXY_URL = f"http://u:{SECRET}@proxy.corp:3128"


@pytest.fixture(autouse=True)
def _messages_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCEAN_PROXY_MESSAGES", "stderr")
    monkeypatch.delenv("HELM_DEBUG", raising=False)


def _usage_error(capsys: pytest.CaptureFixture[str], *argv: str,
                 post_renderer: bool = False) -> tuple[str, str]:
    """Run the command line; return its error and hint after checking the usage-error contract."""
    factory = build_post_renderer_parser if post_renderer else build_parser
    code = main(list(argv), factory)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert "S3cret" not in err and "P%40ss" not in err, err
    error, hint = err.splitlines()
    assert error.startswith("ocean-proxy: error: ") and hint.startswith("ocean-proxy: hint: ")
    return error.removeprefix("ocean-proxy: error: "), hint.removeprefix("ocean-proxy: hint: ")


def _parse(*argv: str, post_renderer: bool = False):
    parser = build_post_renderer_parser() if post_renderer else build_parser()
    return parser.parse_args(list(argv))


def _command_line_in(hint: str) -> str:
    """The command line a hint tells the user to run, as a reader takes it: between single
    quotes (which then hold no quote of their own), or after 'run: ' to the end of the hint."""
    after_colon = re.search(r"\brun: (.+)$", hint)
    quoted = after_colon or re.search(r"'(ocean-proxy [^']*)'", hint)
    assert quoted, hint
    return quoted[1]


def _as_bash_runs(command_line: str) -> list[str]:
    """The arguments bash gives ocean-proxy when the command line is pasted into it."""
    assert command_line.startswith("ocean-proxy "), command_line
    shown = subprocess.run(["bash", "-c", 'ocean-proxy() { printf "%s\\0" "$@"; }; '
                            + command_line], capture_output=True, check=True, env={})
    return shown.stdout.decode().split("\0")[:-1]


NAMES_TO_QUOTE = ["my ca.pem", "it's ca.pem", "$HOME.pem", "ca(1).pem"]


# --- one vocabulary ------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["verify", "discover-ca"])
@pytest.mark.parametrize("spelling", [["--proxy-url", PROXY_URL], [f"--proxy-url={PROXY_URL}"],
                                      ["--proxy", PROXY_URL], [f"--proxy={PROXY_URL}"]],
                         ids=["proxy-url", "proxy-url=", "old-proxy", "old-proxy="])
def test_network_commands_take_proxy_url_and_still_the_old_proxy(command: str,
                                                                 spelling: list[str]) -> None:
    assert _parse(command, *spelling).proxy_url == PROXY_URL


def test_render_and_the_post_renderer_take_proxy_url() -> None:
    assert _parse("render", "--proxy-url", PROXY_URL).proxy_url == PROXY_URL
    assert _parse("--proxy-url", PROXY_URL, post_renderer=True).proxy_url == PROXY_URL


@pytest.mark.parametrize("command", ["verify", "discover-ca"])
def test_help_shows_proxy_url_and_hides_the_old_spelling(command: str) -> None:
    parser = build_parser()
    help_text = parser._subparsers._group_actions[0].choices[command].format_help()
    assert "--proxy-url URL" in help_text
    assert "--proxy " not in help_text and "--proxy," not in help_text


def test_help_is_wrapped_to_the_terminal(capsys, monkeypatch) -> None:
    def help_lines(columns: int) -> list[str]:
        monkeypatch.setenv("COLUMNS", str(columns))
        with pytest.raises(SystemExit) as exit_:
            build_post_renderer_parser().parse_args(["--help"])
        assert exit_.value.code == 0
        return capsys.readouterr().out.splitlines()

    wide, narrow = help_lines(200), help_lines(60)
    assert max(len(line) for line in wide) > 100
    assert len(narrow) > len(wide)


@pytest.mark.parametrize("variable", [None, ""], ids=["unset", "empty"])
@pytest.mark.parametrize("command", ["verify", "discover-ca"])
def test_a_missing_proxy_url_is_named_by_its_new_name_and_its_variable(
        command: str, variable: str | None, capsys, monkeypatch) -> None:
    monkeypatch.delenv("OCEAN_PROXY_URL", raising=False)
    for name in SHELL_PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if variable is not None:  # empty counts as unset, as everywhere in the settings
        monkeypatch.setenv("OCEAN_PROXY_URL", variable)
    error, hint = _usage_error(capsys, command, "--timeout", "1")
    assert error == ("no proxy is given: --proxy-url URL, OCEAN_PROXY_URL, or proxyUrl in the "
                     "--config file")
    assert "OCEAN_PROXY_URL or the config file keeps it off the command line" in hint


SHELL_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest.mark.parametrize("variable", SHELL_PROXY_VARIABLES)
@pytest.mark.parametrize("command", ["verify", "discover-ca"])
def test_a_missing_proxy_with_the_shell_s_proxy_set_names_that_variable_not_its_value(
        command: str, variable: str, capsys, monkeypatch) -> None:
    """The laptop's HTTPS_PROXY is most likely the proxy to check, but only where the cluster
    goes through it too: the hint names the variable as it is set and how to pass it, never
    its value (it may hold a password), and the command does not take it on its own."""
    for name in ("OCEAN_PROXY_URL", *SHELL_PROXY_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, PROXY_URL)
    error, hint = _usage_error(capsys, command, "--timeout", "1")
    assert error == ("no proxy is given: --proxy-url URL, OCEAN_PROXY_URL, or proxyUrl in the "
                     "--config file")
    assert f"{variable} is set in this shell" in hint
    assert f'--proxy-url "${variable}"' in hint and f'OCEAN_PROXY_URL="${variable}"' in hint
    assert "same proxy" in hint
    assert "proxy.corp" not in hint


def test_a_missing_proxy_names_https_proxy_before_http_proxy(capsys, monkeypatch) -> None:
    """Both set, as a shell's usually are: the one the Spot API's HTTPS goes through."""
    monkeypatch.delenv("OCEAN_PROXY_URL", raising=False)
    monkeypatch.setenv("http_proxy", PROXY_URL)
    monkeypatch.setenv("HTTPS_PROXY", PROXY_URL)
    monkeypatch.setenv("HTTP_PROXY", "")  # empty counts as unset, as Go reads it
    _, hint = _usage_error(capsys, "verify")
    assert hint.startswith("HTTPS_PROXY is set in this shell")


@pytest.mark.parametrize("command", ["verify", "discover-ca"])
def test_a_proxy_in_a_misspelt_variable_is_named_before_the_proxy_is_missed(
        command: str, capsys, monkeypatch) -> None:
    """OCEAN_PROXY_PROXY_URL, as the flag is written: 'no proxy is given' alone sent the user
    looking at a variable that is set."""
    monkeypatch.delenv("OCEAN_PROXY_URL", raising=False)
    monkeypatch.setenv("OCEAN_PROXY_PROXY_URL", PROXY_URL)
    assert main([command, "--timeout", "1"], build_parser) == 2
    out, err = capsys.readouterr()
    assert out == "" and "S3cret" not in err and "P%40ss" not in err, err
    warning, error, _ = err.splitlines()
    assert warning == ("ocean-proxy: warning: OCEAN_PROXY_PROXY_URL is set, but ocean-proxy "
                       "reads no such variable: did you mean OCEAN_PROXY_URL?")
    assert error.startswith("ocean-proxy: error: no proxy is given")


# --- did you mean -----------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["render", "--proxy-ur", PROXY_URL],
    ["render", f"--proxy-ur={PROXY_URL}"],
    ["render", "--proxyurl", PROXY_URL],
    ["render", "--proxy", PROXY_URL],  # never render's flag: refused, with the one it meant
    ["verify", "--proxy-ur", PROXY_URL],  # a required flag misspelt: the misspelling is named
    ["discover-ca", f"--proxy-ur={PROXY_URL}", "-o", "ca.pem"],
    ["render", f"--PROXY-URL={PROXY_URL}"],  # was no suggestion at all
    ["verify", "--Proxy-Url", PROXY_URL],
], ids=["separate", "equals", "missing-dash", "render-proxy", "verify", "discover-ca",
        "capitals", "capitalised"])
def test_a_misspelt_flag_gets_the_flag_it_meant_and_its_value_stays_secret(
        argv: list[str], capsys) -> None:
    error, hint = _usage_error(capsys, *argv)
    assert error == f"unknown flag {argv[1].split('=')[0]}; did you mean --proxy-url?"
    assert hint == f"run 'ocean-proxy {argv[0]} --help' for the options"


@pytest.mark.parametrize("argv, flag, command", [
    (["--json", "check-bundle", "ca.pem"], "--json", "check-bundle"),
    (["--proxy-url", PROXY_URL, "verify"], "--proxy-url", "verify"),
    ([f"--proxy={PROXY_URL}", "discover-ca"], "--proxy-url", "discover-ca"),
    (["-o", "ca.pem", "discover-ca"], "-o", "discover-ca"),
    (["--explain", "render"], "--explain", "render"),
    (["-oca.pem", "discover-ca"], "-o", "discover-ca"),  # a short flag glued to its value
], ids=["json", "proxy-url", "old-proxy=", "short", "render", "short-glued"])
def test_a_command_s_flag_before_the_command_says_to_put_the_command_first(
        argv: list[str], flag: str, command: str, capsys) -> None:
    """Not "unknown flag --json; did you mean --version?": the flag is right, its place is not."""
    error, hint = _usage_error(capsys, *argv)
    assert error == f"{flag} is a flag of {command}, written before it"
    assert hint == f"put the command first: 'ocean-proxy {command} {flag} ...'"
    assert _parse(command, *(a for a in argv if a != command)).command == command  # in place


@pytest.mark.parametrize("argv, flag", [
    (["--set", "spotinst.proxyUrl=" + PROXY_URL], "--set"),
    (["--atomic"], "--atomic"),
    (["--set-file=caBundleSecret.data=ca.pem"], "--set-file"),
    (["-n", "spot-system"], "-n"),
    (["--namespace spot-system"], "--namespace"),
    (["--proxy-url=http://p:3128", "--wait"], "--wait"),
], ids=["set", "atomic", "set-file", "n", "one-argument", "after-ours"])
def test_a_flag_of_helm_given_to_the_post_renderer_is_said_to_be_helms(argv, flag,
                                                                       capsys) -> None:
    """'--post-renderer-args --set ...' (or a helmfile's postRendererArgs with helm's flags)
    was 'unknown flag --set; did you mean --strict?' ('--atomic': --strict, '--set-file':
    --ca-file), a flag that does something else."""
    error, hint = _usage_error(capsys, *argv, post_renderer=True)
    assert error == f"{flag} is a flag of helm, not of ocean-proxy-post-renderer"
    assert hint == ("give it to helm itself, not among the post-renderer's arguments "
                    "(--post-renderer-args, postRendererArgs)")
    assert SECRET not in error + hint



@pytest.mark.parametrize("argv", [
    ["--post-renderer-args", "--ca-file=ca.pem"],
    ["--post-renderer-args=--proxy-url=" + PROXY_URL],
    ["render", "--post-renderer-args", "--ca-file=ca.pem"],
], ids=["post-renderer", "glued", "render"])
def test_post_renderer_args_copied_into_a_command_run_by_hand_is_told_to_be_left_out(
        argv, capsys) -> None:
    """'ocean-proxy-post-renderer --post-renderer-args --ca-file=ca.pem', a README line run by
    hand: the hint said to give it to helm (or to 'helm template') instead of to drop it."""
    error, hint = _usage_error(capsys, *argv, post_renderer=argv[0] != "render")
    assert error.startswith("--post-renderer-args is a flag of helm, not of ocean-proxy")
    assert hint == ("run by hand, it takes its own flags directly: leave out each "
                    "--post-renderer-args and keep the flag after it")

def test_a_flag_of_helm_given_to_render_is_said_to_be_for_helm_template(capsys) -> None:
    error, hint = _usage_error(capsys, "render", "--set", "a=b")
    assert error == "--set is a flag of helm, not of ocean-proxy render"
    assert hint == "give it to 'helm template', whose output render reads"


def test_a_flag_of_helm_given_to_values_is_said_to_be_for_helm_template(capsys) -> None:
    """values is not run by helm: 'not among the post-renderer's arguments' pointed nowhere."""
    error, hint = _usage_error(capsys, "values", "--secrets", "s.yaml", "--set", "a=b")
    assert error == "--set is a flag of helm, not of ocean-proxy values"
    assert hint == "give it to 'helm template', whose output values reads"


def test_values_given_helms_n_is_told_its_own_namespace_flag(capsys) -> None:
    """'ocean-proxy values -n ns', as helm spells --namespace: values has --namespace itself,
    so the flag is not for helm."""
    error, hint = _usage_error(capsys, "values", "--secrets", "s.yaml", "-n", "ns")
    assert error == "unknown flag -n; did you mean --namespace?"
    assert hint == "write --namespace NAMESPACE: ocean-proxy values has no -n"


@pytest.mark.parametrize("argv", [["-v"], ["-x", "render"]], ids=["alone", "before-a-command"])
def test_an_unknown_short_flag_of_the_program_gets_its_help_not_the_hint_for_files(
        argv: list[str], capsys) -> None:
    """'ocean-proxy -v' (--version meant): the program takes no FILE, so no "a file whose
    name starts with '-'" hint, as check-bundle gives."""
    error, hint = _usage_error(capsys, *argv)
    assert error == f"unknown flag {argv[0]}"
    assert hint == "run 'ocean-proxy --help' for the options"


@pytest.mark.parametrize("argv, error, hint", [
    (["--explain"], "--explain is a flag of render, given no command",
     "put the command first: 'ocean-proxy render --explain ...'"),
    ([f"--proxy-url={PROXY_URL}"],
     "--proxy-url is a flag of render, discover-ca, verify and values, given no command",
     "put the command first: 'ocean-proxy render --proxy-url ...'"),
    (["--proxy-url", PROXY_URL, "check-bundle", "ca.pem"],
     "--proxy-url is not a flag of check-bundle, but of render, discover-ca, verify and values",
     "run 'ocean-proxy check-bundle --help' for its flags"),
    (["--strict", "verify"], "--strict is not a flag of verify, but of render and values",
     "run 'ocean-proxy verify --help' for its flags"),
], ids=["no-command", "no-command-with-value", "other-command", "other-command-alone"])
def test_a_flag_of_other_commands_before_the_command_or_none_says_whose_it_is(
        argv: list[str], error: str, hint: str, capsys) -> None:
    """'ocean-proxy --explain' and 'ocean-proxy --proxy-url URL check-bundle' were 'unknown
    flag', of a flag the user had just read in the README."""
    assert _usage_error(capsys, *argv) == (error, hint)


@pytest.mark.parametrize("argv, error, hint", [
    (["--json", "corp.pem"], "--json is a flag of check-bundle, given no command",
     "put the command first: 'ocean-proxy check-bundle --json ...'"),
    (["--proxy-url", PROXY_URL, "discover"],
     "argument COMMAND: invalid choice 'discover' (choose from render, check-bundle, "
     "discover-ca, verify, values, help); did you mean discover-ca?",
     "run 'ocean-proxy --help' for the options"),
    (["--explain", "rendr"],
     "argument COMMAND: invalid choice 'rendr' (choose from render, check-bundle, "
     "discover-ca, verify, values, help); did you mean render?",
     "run 'ocean-proxy --help' for the options"),
], ids=["a-file-and-no-command", "misspelt-command-after-a-flag", "misspelt-after-a-switch"])
def test_a_flag_before_a_file_or_a_misspelt_command_is_not_called_unknown(
        argv: list[str], error: str, hint: str, capsys) -> None:
    """'ocean-proxy --json corp.pem', the command left out, was 'unknown flag --json; did you
    mean --version?'; 'ocean-proxy --proxy-url URL discover' was 'unknown flag --proxy-url':
    flags the README names, called unknown, and the mistake itself left unsaid."""
    assert _usage_error(capsys, *argv) == (error, hint)


@pytest.mark.parametrize("argv, hint", [
    (["CHECK-BUNDLE", "x.pem"], "run 'ocean-proxy --help' for the options"),
    (["check-bundle x.pem"], "pass it and each of its arguments as an argument of its own"),
    (["Verify --proxy-url " + PROXY_URL], "pass it and each of its arguments as an argument of "
                                          "its own"),
], ids=["capitals", "one-argument", "one-argument-with-a-password"])
def test_a_command_in_capitals_or_with_its_arguments_in_one_is_named(argv, hint,
                                                                     capsys) -> None:
    """'CHECK-BUNDLE' was 'invalid choice' with no command named; "check-bundle x.pem" as one
    argument (CI YAML quoting) named it, and hinted only at --help."""
    error, said = _usage_error(capsys, *argv)
    command = argv[0].split()[0].lower()
    assert error.startswith("argument COMMAND: invalid choice ")
    assert f"; did you mean {command}?" in error
    assert (" (read from one argument with a space)" in error) == (" " in argv[0])
    assert said == hint
    assert SECRET not in error + said


def test_no_arguments_at_all_is_a_usage_error_naming_the_command_left_out(capsys) -> None:
    """'ocean-proxy' alone, the first thing a newcomer types, was 'internal error
    (ValueError)', exit 1."""
    error, hint = _usage_error(capsys)

    assert "COMMAND" in error
    assert hint == "run 'ocean-proxy --help' for the options"


@pytest.mark.parametrize("command", [None, "render", "check-bundle", "discover-ca", "verify",
                                     "values", "help"])
def test_help_as_a_command_prints_the_help_as_kubectl_and_helm_do(command, capsys) -> None:
    """'ocean-proxy help' and 'ocean-proxy help render', what kubectl and helm users type,
    were 'invalid choice': they print what --help prints, on stdout, and exit 0."""
    with pytest.raises(SystemExit) as flag:
        main([*([command] if command else []), "--help"], build_parser)
    assert flag.value.code == 0
    expected, _ = capsys.readouterr()

    code = main(["help", *([command] if command else [])], build_parser)

    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == expected and out.startswith(f"usage: ocean-proxy {command or '[-h]'}")
    assert err == ""


def test_help_of_a_command_there_is_not_names_the_commands(capsys) -> None:
    error, _ = _usage_error(capsys, "help", "rendr")
    assert "invalid choice 'rendr'" in error and "did you mean render?" in error


@pytest.mark.parametrize("name", ["corp-ca.pem", "ROOT.CRT", "proxy.cer", "corp-root.der",
                                  "bundle.P7B"])  # what check-bundle reads
def test_a_ca_file_given_without_a_command_is_pointed_to_check_bundle(name, capsys) -> None:
    """'ocean-proxy corp-ca.pem' was only 'invalid choice', with the general help as hint."""
    error, hint = _usage_error(capsys, name)

    assert error.startswith(f"argument COMMAND: invalid choice '{name}' ")
    assert hint == f"run 'ocean-proxy check-bundle {name}' to check a CA file"


@pytest.mark.parametrize("name", NAMES_TO_QUOTE)
def test_a_ca_file_to_quote_given_without_a_command_is_named_in_a_command_line_bash_runs(
        name, capsys) -> None:
    """'ocean-proxy "my ca.pem"' was told the general help; 'ocean-proxy ca(1).pem' to run
    'ocean-proxy check-bundle ca(1).pem', a syntax error in bash."""
    error, hint = _usage_error(capsys, name)
    assert error.startswith("argument COMMAND: invalid choice ")
    assert "check a CA file" in hint
    assert _as_bash_runs(_command_line_in(hint)) == ["check-bundle", name]


def test_a_ca_file_given_to_help_is_pointed_to_check_bundle_not_to_help(capsys) -> None:
    """'ocean-proxy help ca.pem' said to run 'ocean-proxy help check-bundle ca.pem', which
    help refuses in turn."""
    _, hint = _usage_error(capsys, "help", "ca.pem")
    assert _as_bash_runs(_command_line_in(hint)) == ["check-bundle", "ca.pem"]


@pytest.mark.parametrize("argv", [["ca.pem"], ["help", "ca.pem"]], ids=["alone", "to-help"])
def test_under_the_command_plugin_a_ca_file_is_pointed_to_the_plugins_check_bundle(
        argv, monkeypatch, capsys) -> None:
    """Under 'helm ocean-proxy' the program is two words: the hint named 'helm check-bundle',
    which is no helm command."""
    monkeypatch.setenv("HELM_PLUGIN_NAME", "ocean-proxy")
    code = main(argv)  # the parser as the command plugin runs it
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.splitlines()[1] == \
        "ocean-proxy: hint: run 'helm ocean-proxy check-bundle ca.pem' to check a CA file"


def test_a_flag_no_command_has_is_still_unknown_before_the_command(capsys) -> None:
    error, hint = _usage_error(capsys, "--jsn", "check-bundle", "ca.pem")
    assert error.startswith("unknown flag --jsn")
    assert hint == "run 'ocean-proxy --help' for the options"


@pytest.mark.parametrize("argv", [["-ca.pem"], ["--json", "-ca.pem"], ["ok.pem", "-ca.pem"]],
                         ids=["alone", "after-a-flag", "after-a-file"])
def test_a_file_named_like_a_flag_is_told_how_to_pass_it(argv: list[str], capsys) -> None:
    """Not "the following arguments are required: FILE" when a FILE was given."""
    error, hint = _usage_error(capsys, "check-bundle", *argv)
    assert error == "unknown flag '-ca.pem'"
    assert hint == ("a file whose name starts with '-': put '--' before the files "
                    "('ocean-proxy check-bundle -- FILE...'), or write ./ before its name")
    assert _parse("check-bundle", "--", "-ca.pem").files == ["-ca.pem"]  # the hint, followed
    assert _parse("check-bundle", "./-ca.pem").files == ["./-ca.pem"]


@pytest.mark.parametrize("argv", [
    ["check-bundle", "--ca-file", "corp.pem"],
    ["check-bundle", "--ca-file=corp.pem"],
    ["check-bundle", "-f", "corp.pem"],
    ["check-bundle", "--json", "--filename", "corp.pem"],
    ["--ca-file", "corp.pem", "check-bundle"],
    ["-f", "corp.pem", "check-bundle"],
], ids=["ca-file", "ca-file-equals", "short", "filename", "ca-file-before", "short-before"])
def test_check_bundle_given_its_files_by_a_flag_is_told_to_name_them_alone(argv, capsys) -> None:
    """As render and verify take their files: 'unknown flag --ca-file' said nothing of how
    check-bundle takes them, and '-f' was told how to pass a file named '-f'."""
    error, hint = _usage_error(capsys, *argv)
    flag = next(word.split("=")[0] for word in argv if word.startswith("-")
                and word != "--json")
    assert error == f"{flag} is not a flag of check-bundle, which takes its files without one"
    assert hint == "name the files themselves: 'ocean-proxy check-bundle FILE...'"
    assert _parse("check-bundle", "corp.pem").files == ["corp.pem"]  # the hint, followed


@pytest.mark.parametrize("argv", [["verify", "--proxy-url", "-x"],
                                  ["render", "--ca-file", "-corp.pem"],
                                  ["render", "--ca-file -corp.pem"],  # one --post-renderer-args
                                  ["discover-ca", "-o", "-corp.pem"]],
                         ids=["separate", "file", "one-argument", "short-flag"])
def test_a_value_that_starts_with_a_dash_is_told_to_follow_an_equals_sign(argv, capsys) -> None:
    """Not "unknown flag -x" (a word the user meant as a value, shown), nor argparse's
    "expected one argument": the value goes after '=', which the parser reads as a value."""
    error, hint = _usage_error(capsys, *argv)
    flag, value = argv[1].split()[0], argv[-1].split()[-1]
    spelt = "--output" if flag == "-o" else flag
    assert error == (f"{flag} is followed by a word that starts with '-', not by its value "
                     "(not shown: it may hold a secret)")
    assert hint == f"give a value that starts with '-' after '=': {spelt}=VALUE"
    followed = _parse(argv[0], f"{spelt}={value}")  # the hint, followed
    assert value in (getattr(followed, "proxy_url", None), getattr(followed, "output", None),
                     *(getattr(followed, "ca_file", None) or []))


@pytest.mark.parametrize("post_renderer", [False, True])
def test_a_dash_for_standard_input_is_told_it_is_the_default(post_renderer, capsys) -> None:
    """check-bundle reads '-' as standard input; render and the post-renderer read it
    without being told, and '-' alone was 'unknown flag -'."""
    argv = [] if post_renderer else ["render"]
    error, hint = _usage_error(capsys, *argv, "-", post_renderer=post_renderer)
    assert error == "'-' with no flag before it"
    assert hint.endswith("leave it out, or write -f -")
    assert _parse(*argv, "-f", "-", post_renderer=post_renderer).filename == "-"


def test_a_negative_number_is_still_a_value(capsys) -> None:
    assert _parse("verify", "--timeout", "-1").timeout == -1  # refused later, as out of range


def test_the_post_renderer_suggests_from_its_own_flags(capsys) -> None:
    error, hint = _usage_error(capsys, "--ca-fle", "ca.pem", post_renderer=True)
    assert error == "unknown flag --ca-fle; did you mean --ca-file?"
    assert hint == "run 'ocean-proxy-post-renderer --help' for the options"


def test_a_flag_like_no_other_gets_no_guess(capsys) -> None:
    error, _ = _usage_error(capsys, "render", "--zzz", SECRET)
    assert error == "unknown flag --zzz"


def test_a_stray_value_is_refused_without_being_shown(capsys) -> None:
    error, _ = _usage_error(capsys, "render", PROXY_URL)
    assert error.startswith("unexpected argument with no flag before it")


def test_an_unknown_short_flag_is_named_without_its_value(capsys) -> None:
    error, _ = _usage_error(capsys, "render", "-x", PROXY_URL)
    assert error == "unknown flag -x"


# --- one argument holding a flag and its value ------------------------------------------------

def test_one_argument_flag_and_value_is_read_as_two() -> None:
    args = _parse("--ca-file ca.pem", post_renderer=True)
    assert args.ca_file == ["ca.pem"]


def test_one_argument_with_several_flags_is_read_as_a_shell_would() -> None:
    args = _parse("render", "--ca-file 'my ca.pem' --no-proxy .corp --explain")
    assert (args.ca_file, args.no_proxy, args.explain) == (["my ca.pem"], [".corp"], True)


def test_one_argument_with_a_flag_and_its_quoted_value_with_spaces_keeps_the_value_whole(
        ) -> None:
    """The README's spelling: '--post-renderer-args "--ca-file 'my ca.pem'"'."""
    assert _parse("--ca-file 'my ca.pem'", post_renderer=True).ca_file == ["my ca.pem"]
    assert _parse("render", '--ca-file "my ca.pem"').ca_file == ["my ca.pem"]
    assert _parse("render", "--ca-file \"it's my.pem\"").ca_file == ["it's my.pem"]


def test_one_argument_with_a_quote_in_its_single_value_keeps_the_value_as_written() -> None:
    assert _parse("verify", f"--proxy {PROXY_URL}").proxy_url == PROXY_URL


def test_a_value_with_spaces_after_equals_is_left_to_the_flag() -> None:
    assert _parse("render", "--ca-file=my ca.pem").ca_file == ["my ca.pem"]


def test_one_argument_with_an_unknown_flag_says_why_and_how_to_pass_it(capsys) -> None:
    error, hint = _usage_error(capsys, "--ca-fil ca.pem", post_renderer=True)
    assert error == ("unknown flag --ca-fil; did you mean --ca-file? "
                     "(read from one argument with a space)")
    assert hint == ("pass each flag and each value as an argument of its own; under helm: "
                    "--post-renderer-args --ca-file --post-renderer-args ca.pem")


def test_one_argument_that_cannot_be_split_says_how_to_pass_it(capsys) -> None:
    error, hint = _usage_error(capsys, f"--proxy-url {PROXY_URL} --explain", post_renderer=True)
    assert error == ("cannot read the value of --proxy-url in one argument with spaces and an "
                     "unbalanced quote")
    assert hint.startswith("pass each flag and each value as an argument of its own")


def test_one_argument_with_several_flags_written_with_equals_is_read_as_several() -> None:
    args = _parse("--proxy-url=http://proxy.corp:3128 --ca-file='my ca.pem'", post_renderer=True)
    assert (args.proxy_url, args.ca_file) == ("http://proxy.corp:3128", ["my ca.pem"])


def test_flags_joined_by_commas_as_set_is_written_say_how_to_pass_them(capsys) -> None:
    error, hint = _usage_error(capsys, f"--proxy-url={PROXY_URL},--no-proxy=.corp",
                               post_renderer=True)
    assert error == ("--proxy-url and --no-proxy are joined by a comma in one argument, as --set "
                     "is written; helm passes each --post-renderer-args whole")
    assert SECRET not in error + hint
    assert hint.startswith("pass each flag and each value as an argument of its own")


def test_flags_joined_by_commas_after_a_space_say_how_to_pass_them_too(capsys) -> None:
    """'--post-renderer-args "--proxy-url URL,--no-proxy=.corp"': a flag and its value in one
    argument are read as a shell splits them, and the URL got the port '3128,--no-proxy=...'."""
    error, hint = _usage_error(capsys, f"--proxy-url {PROXY_URL},--no-proxy=.corp",
                               post_renderer=True)
    assert error.startswith("--proxy-url and --no-proxy are joined by a comma in one argument")
    assert SECRET not in error + hint
    error, _ = _usage_error(capsys, "--ca-file ca.pem,--no-proxy .corp", post_renderer=True)
    assert error.startswith("--ca-file and --no-proxy are joined by a comma in one argument")


def test_a_comma_before_a_word_that_is_no_flag_stays_in_the_value() -> None:
    assert _parse("--no-proxy=.corp,--internal", post_renderer=True).no_proxy == \
        [".corp,--internal"]


def test_quotes_around_a_whole_value_are_read_as_a_shell_reads_them() -> None:
    """helm passes --post-renderer-args '--proxy-url="URL"' with its quotes."""
    assert _parse('--proxy-url="http://proxy.corp:3128"', post_renderer=True).proxy_url == \
        "http://proxy.corp:3128"
    assert _parse("--ca-file='my ca.pem'", post_renderer=True).ca_file == ["my ca.pem"]
    assert _parse("--ca-file=it's.pem", post_renderer=True).ca_file == ["it's.pem"]
    assert _parse('--ca-file "ca.pem"', post_renderer=True).ca_file == ["ca.pem"]


def test_a_value_with_spaces_split_into_a_stray_word_says_how_to_pass_it(capsys) -> None:
    error, hint = _usage_error(capsys, "--ca-file my ca.pem", post_renderer=True)
    assert error.startswith("unexpected argument with no flag before it")
    assert "ca.pem" not in error and "read as a shell splits it" in error
    assert hint.startswith("pass each flag and each value as an argument of its own")


@pytest.mark.parametrize("argv", [["--strict=s3cret"], ["--explain=s3cret"],
                                  ["--no-cache=s3cret", "--plan"]])
def test_a_switch_given_a_value_is_refused_without_repeating_it(capsys, argv) -> None:
    error, hint = _usage_error(capsys, *argv, post_renderer=True)
    flag = argv[0].split("=")[0]
    assert error == f"{flag} takes no value"
    assert hint == f"give {flag} alone, without '='"  # and so, never the value


def test_a_misspelt_command_is_named_with_the_command_it_meant(capsys) -> None:
    error, hint = _usage_error(capsys, "discover", "--proxy-url", PROXY_URL)
    assert error == ("argument COMMAND: invalid choice 'discover' (choose from render, "
                     "check-bundle, discover-ca, verify, values, help); did you mean discover-ca?")
    assert hint == "run 'ocean-proxy --help' for the options"


def test_values_after_a_double_dash_are_not_read_as_flags() -> None:
    args = _parse("check-bundle", "--", "--ca-fil x.pem")
    assert args.files == ["--ca-fil x.pem"]


@pytest.mark.parametrize("argv, hint", [
    (["discover-ca", PROXY_URL], "give the proxy as --proxy-url URL, or in OCEAN_PROXY_URL, "
                                 "which keeps a password off the command line"),
    (["verify", "--ca-file", "ca.pem", "proxy.corp:3128"], "give the proxy as --proxy-url URL, "
     "or in OCEAN_PROXY_URL, which keeps a password off the command line"),
    (["verify", "--proxy-url", PROXY_URL, "corp-ca.pem"], "give a CA file as --ca-file FILE"),
    *((["verify", "--proxy-url", PROXY_URL, f"corp-ca.{ext}"], "give a CA file as --ca-file FILE")
      for ext in ("crt", "CER", "der", "p7b")),  # Windows' and Kubernetes' names for it
    (["render", "corp-ca.pem"], "give a CA file as --ca-file=FILE (under helm: "
                                "--post-renderer-args --ca-file=FILE)"),
    (["values", "rendered.yaml", "--secrets", "s.yaml"],
     "give the rendered manifests as -f FILE, or on standard input"),
], ids=["url", "host-port", "verify-ca", "verify-crt", "verify-cer", "verify-der", "verify-p7b",
        "render-ca", "manifests"])
def test_a_value_without_its_flag_is_told_the_flag_it_needs(argv, hint, capsys) -> None:
    """'discover-ca http://proxy:3128' (the flag forgotten): the hint names the flag, never
    the value, which may hold the proxy's password."""
    error, said = _usage_error(capsys, *argv)
    assert error == "unexpected argument with no flag before it (not shown: it may hold a secret)"
    assert said == hint


def _under_helm(hint: str, **values: str) -> list[str]:
    """What helm hands the post-renderer for the hint's helm form ('(under helm: ...)'):
    each --post-renderer-args' value as an argument, the placeholders filled in."""
    said = re.search(r"\(under helm: ([^)]*)\)", hint)
    assert said, hint
    words = [re.sub(r"=([A-Z]+)$", lambda m: f"={values[m[1]]}", word)
             for word in said.group(1).split()]
    assert words[::2] == ["--post-renderer-args"] * (len(words) // 2), hint
    return words[1::2]


def test_the_post_renderer_names_the_flag_a_ca_file_needs(capsys) -> None:
    _, hint = _usage_error(capsys, "corp-ca.pem", post_renderer=True)
    args = _parse(*_under_helm(hint, FILE="corp-ca.pem"), post_renderer=True)
    assert args.ca_file == ["corp-ca.pem"]


def test_the_post_renderer_names_the_flag_a_proxy_url_needs_as_helm_passes_it(capsys) -> None:
    """'--post-renderer-args http://proxy:3128' (the flag forgotten): '--proxy-url URL' on
    helm's own line is refused by helm; the hint's helm form is read as the proxy."""
    _, hint = _usage_error(capsys, PROXY_URL, post_renderer=True)
    args = _parse(*_under_helm(hint, URL=PROXY_URL), post_renderer=True)
    assert args.proxy_url == PROXY_URL


def test_a_double_dash_before_the_command_lets_the_command_through() -> None:
    """'helm ocean-proxy -- check-bundle ca.pem', as other plugins are run: '--' ends the
    program's own flags, and the command follows (argparse read '--' as the command)."""
    args = _parse("--", "check-bundle", "--json", "ca.pem")
    assert (args.command, args.files, args.json) == ("check-bundle", ["ca.pem"], True)


def test_a_double_dash_before_something_else_names_that(capsys) -> None:
    error, _ = _usage_error(capsys, "--", "check")
    assert error.startswith("argument COMMAND: invalid choice 'check' ")


# --- a command of ocean-proxy given to the post-renderer -----------------------------------------

@pytest.mark.parametrize("argv, run", [
    (["check-bundle", "x.pem"], "ocean-proxy check-bundle x.pem"),
    (["check-bundle", "my ca.pem", "--json"], "ocean-proxy check-bundle 'my ca.pem' --json"),
    (["--no-cache", "check-bundle", "x.pem"], "ocean-proxy check-bundle --no-cache x.pem"),
    (["--", "check-bundle", "x.pem"], "ocean-proxy check-bundle x.pem"),
    (["values", "-f", "m.yaml", "--secrets", "s.yaml"],
     "ocean-proxy values -f m.yaml --secrets s.yaml"),
    (["discover-ca", "--target", "api.spotinst.io:443"],
     "ocean-proxy discover-ca --target api.spotinst.io:443"),
    (["check-bundle x.pem"], "ocean-proxy check-bundle x.pem"),
    (["--no-cache", "check-bundle 'my ca.pem' --json"],
     "ocean-proxy check-bundle --no-cache 'my ca.pem' --json"),
    (["CHECK-BUNDLE", "x.pem"], "ocean-proxy check-bundle x.pem"),
    (["Discover-CA --target api.spotinst.io:443"],
     "ocean-proxy discover-ca --target api.spotinst.io:443"),
], ids=["check-bundle", "quoted", "flag-before", "double-dash", "values", "discover-ca",
        "one-argument", "one-argument-quoted", "capitals", "capitals-one-argument"])
def test_a_command_of_ocean_proxy_given_to_the_post_renderer_names_the_command_line_to_run(
        argv, run, monkeypatch, capsys) -> None:
    """'ocean-proxy-post-renderer check-bundle x.pem', the two console scripts mixed up:
    the command is named as ocean-proxy's, with the command line that runs it; so is one
    written in capitals, or with its arguments in one (as CI YAML quoting gives it), which
    were 'unexpected argument with no flag before it'."""
    monkeypatch.setenv("OCEAN_PROXY_URL", "http://proxy.corp:3128")  # discover-ca's proxy
    error, hint = _usage_error(capsys, *argv, post_renderer=True)
    command = shlex.split(run)[1]
    assert error == (f"{command} is a command of ocean-proxy; ocean-proxy-post-renderer, "
                     "helm's post-renderer, takes none")
    assert hint == (f"run '{run}'" if "'" not in run else f"run: {run}")
    assert _parse(*shlex.split(run)[1:]).command == command  # the hint, followed


@pytest.mark.parametrize("argv, flag", [
    (["--explain", "check-bundle", "x.pem"], "--explain"),
    (["-f", "m.yaml", "check-bundle", "x.pem"], "-f"),
    (["--strict", "verify"], "--strict"),
    (["--no-proxy=a.example", "verify"], "--no-proxy"),
    (["discover-ca", "--ca-file", "x.pem"], "--ca-file"),
], ids=["explain", "f", "strict", "no-proxy=", "after"])
def test_a_command_given_to_the_post_renderer_with_a_flag_it_does_not_take_is_told_its_help(
        argv, flag, capsys) -> None:
    """The post-renderer's own flags are not all the command's: a command line moving them
    after the command would be refused in its turn."""
    error, hint = _usage_error(capsys, *argv, post_renderer=True)
    command = next(word for word in argv if word in ("check-bundle", "verify", "discover-ca"))
    assert error.startswith(f"{command} is a command of ocean-proxy")
    assert hint == f"run 'ocean-proxy {command} --help' for its flags: {flag} is not one of them"


@pytest.mark.parametrize("name", NAMES_TO_QUOTE)
def test_a_command_given_to_the_post_renderer_is_named_with_a_command_line_bash_runs_as_meant(
        name, capsys) -> None:
    """'check-bundle "my ca.pem"': the hint said 'ocean-proxy check-bundle 'my ca.pem'' in
    quotes of its own, which named the files 'check-bundle', 'my' and 'ca.pem' pasted, or none
    (quotes read up to the file's own); the command line pasted into bash runs the file."""
    _, hint = _usage_error(capsys, "check-bundle", name, "--json", post_renderer=True)
    run = _command_line_in(hint)
    assert _as_bash_runs(run) == ["check-bundle", name, "--json"]
    assert shlex.split(run)[1:] == ["check-bundle", name, "--json"]


@pytest.mark.parametrize("argv", [
    ["help", "check-bundle", "x.pem"], ["values", "m.yaml"], ["values", "-f", "m.yaml"],
    ["discover-ca", "x.pem"], ["verify", "--target", "h:443", "x.pem"], ["check-bundle"],
], ids=["help-two-words", "values-file", "values-no-secrets", "discover-ca-file",
        "verify-file", "check-bundle-no-file"])
def test_a_command_given_to_the_post_renderer_is_never_named_with_a_command_line_it_refuses(
        argv, capsys) -> None:
    """'ocean-proxy-post-renderer values m.yaml' said to run 'ocean-proxy values m.yaml',
    which values refuses in turn (it reads the manifests with -f, and needs --secrets)."""
    _, hint = _usage_error(capsys, *argv, post_renderer=True)
    if hint != f"run 'ocean-proxy {argv[0]} --help' for its flags":
        words = shlex.split(_command_line_in(hint))
        assert _parse(*words[1:]).command == argv[0]


@pytest.mark.parametrize("argv", [["discover-ca"], ["verify", "--target", "h:443"]],
                         ids=["discover-ca", "verify"])
@pytest.mark.parametrize("environment", [False, True], ids=["no-proxy-set", "proxy-in-env"])
def test_a_command_that_needs_a_proxy_given_to_the_post_renderer_is_named_with_one(
        argv, environment, monkeypatch, capsys) -> None:
    """'ocean-proxy-post-renderer discover-ca' said to run 'ocean-proxy discover-ca', which
    refuses to run without a proxy; one set in OCEAN_PROXY_URL is one given."""
    monkeypatch.delenv("OCEAN_PROXY_URL", raising=False)
    if environment:
        monkeypatch.setenv("OCEAN_PROXY_URL", "http://proxy.corp:3128")
    _, hint = _usage_error(capsys, *argv, post_renderer=True)
    words = shlex.split(_command_line_in(hint))
    assert words[1:len(argv) + 1] == argv
    if environment:
        assert "--proxy-url" not in words and "filled in" not in hint
    else:
        assert words[len(argv) + 1:] == ["--proxy-url", "URL"]
        assert "with URL filled in (--proxy-url: the proxy" in hint


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_a_command_given_to_the_post_renderer_with_help_names_the_commands_help_alone(
        flag, capsys) -> None:
    """'check-bundle --help' said to run 'ocean-proxy check-bundle --help FILE', the file it
    requires filled in as if it were to run."""
    _, hint = _usage_error(capsys, "check-bundle", flag, post_renderer=True)
    assert hint == f"run 'ocean-proxy check-bundle {flag}'"


def test_a_command_given_to_the_post_renderer_with_a_password_is_named_without_its_arguments(
        capsys) -> None:
    error, hint = _usage_error(capsys, "verify", "--proxy-url", PROXY_URL, post_renderer=True)
    assert error.startswith("verify is a command of ocean-proxy")
    assert hint == ("run 'ocean-proxy verify ...' with the same arguments (not shown: one may "
                    "hold a secret)")


def test_a_command_given_to_the_post_renderer_with_a_file_named_with_two_spaces_is_not_misnamed(
        capsys) -> None:
    """A message is one line, its runs of spaces one space: 'my  ca.pem' would be named as
    'my ca.pem', another file, in the command line to run."""
    error, hint = _usage_error(capsys, "check-bundle", "my  ca.pem", post_renderer=True)
    assert error.startswith("check-bundle is a command of ocean-proxy")
    assert hint == ("run 'ocean-proxy check-bundle ...' with the same arguments (not shown: one "
                    "may hold a secret)")


@pytest.mark.parametrize("name", ["Render output.yaml", "Verify notes.yaml", "RENDER"])
def test_a_file_given_to_the_post_renderer_without_its_flag_is_not_read_as_a_command(
        name, tmp_path, monkeypatch, capsys) -> None:
    """A file there by that name, given without -f, is a file: 'Verify notes.yaml' was
    'verify is a command of ocean-proxy', with 'ocean-proxy verify notes.yaml' to run."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text("")
    error, hint = _usage_error(capsys, name, post_renderer=True)
    assert error.startswith("unexpected argument with no flag before it")
    assert "command" not in error + hint


def test_render_given_to_the_post_renderer_is_told_to_be_left_out(capsys) -> None:
    """ocean-proxy-post-renderer is 'ocean-proxy render' already."""
    error, hint = _usage_error(capsys, "render", "-f", "m.yaml", post_renderer=True)
    assert error == ("render is the command of ocean-proxy that ocean-proxy-post-renderer runs: "
                     "it takes no command")
    assert hint == "leave 'render' out"


def test_help_given_to_the_post_renderer_points_to_its_own_help_too(capsys) -> None:
    error, hint = _usage_error(capsys, "help", post_renderer=True)
    assert error.startswith("help is a command of ocean-proxy")
    assert hint == ("run 'ocean-proxy-post-renderer --help' for its own flags, or 'ocean-proxy "
                    "help' for ocean-proxy's commands")


@pytest.mark.parametrize("argv, read", [
    (["-f", "render"], ("filename", "render")),
    (["--filename", "values"], ("filename", "values")),
    (["--ca-file", "check-bundle"], ("ca_file", ["check-bundle"])),
    (["--ca-file=verify"], ("ca_file", ["verify"])),
    (["--config verify"], ("config", "verify")),
    (["--strict", "--no-proxy", "help"], ("no_proxy", ["help"])),
], ids=["f", "filename", "ca-file", "ca-file=", "one-argument", "after-a-switch"])
def test_a_file_named_like_a_command_is_read_as_the_value_of_its_flag(argv, read) -> None:
    """The post-renderer takes no word without a flag: a command's name right after a flag
    that takes a value is that value (a file named 'render'), not a command."""
    assert getattr(_parse(*argv, post_renderer=True), read[0]) == read[1]


def test_a_word_after_a_switch_that_is_a_command_is_still_named_as_one(capsys) -> None:
    error, hint = _usage_error(capsys, "--no-cache", "check-bundle", "x.pem", post_renderer=True)
    assert error.startswith("check-bundle is a command of ocean-proxy")
    assert hint == "run 'ocean-proxy check-bundle --no-cache x.pem'"


@pytest.mark.parametrize("argv, meant", [
    (["check", "corp-ca.pem"], "check-bundle"),
    (["CHECK", "corp-ca.pem"], "check-bundle"),
    (["verif", "--proxy-url", PROXY_URL], "verify"),
    (["help", "check"], "check-bundle"),
], ids=["check", "capitals", "verif", "help-check"])
def test_a_command_cut_short_is_named_with_the_command_it_starts(argv, meant, capsys) -> None:
    """'ocean-proxy check corp-ca.pem' named no command to run: 'check' is too far from
    'check-bundle' for a spelling match, though it is its start."""
    error, _ = _usage_error(capsys, *argv)
    assert error.endswith(f"; did you mean {meant}?")


def test_discover_ca_given_a_ca_file_is_pointed_to_verify_not_to_the_proxys_own_ca(
        capsys) -> None:
    """'ocean-proxy discover-ca --proxy-url URL --ca-file ca.pem', a CA already in hand: it was
    'did you mean --proxy-ca-file?', the CA of an https:// proxy's own certificate."""
    error, hint = _usage_error(capsys, "discover-ca", "--proxy-url", PROXY_URL,
                               "--ca-file", "ca.pem")
    assert error == ("--ca-file is not a flag of discover-ca, which finds the CA to trust "
                     "rather than reading one")
    assert hint == ("to check the path with a CA file you have: 'ocean-proxy verify "
                    "--proxy-url URL --ca-file FILE' (an https:// proxy's own CA: "
                    "--proxy-ca-file FILE)")
