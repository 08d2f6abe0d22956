"""Reporter: one prefixed line per message, and never a proxy password in an error."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from post_renderer.errors import OceanProxyError, UsageError
from post_renderer.message_secrets import credentials_in
from post_renderer.report import Reporter, reporter_for_process


def said(error: OceanProxyError) -> str:
    stream = io.StringIO()
    Reporter(stream).error(error)
    return stream.getvalue()


def test_an_error_is_one_line_and_its_hint_another():
    text = said(OceanProxyError("bad\n  thing", hint="do\tthis"))
    assert text == "ocean-proxy: error: bad thing\nocean-proxy: hint: do this\n"


def test_notices_warnings_and_details_go_to_the_message_stream_counted():
    messages, errors = io.StringIO(), io.StringIO()
    reporter = Reporter(messages, [errors])
    reporter.notice("n")
    reporter.warning("w")
    reporter.detail("  d")
    reporter.error(OceanProxyError("e"))
    assert messages.getvalue() == "ocean-proxy: n\nocean-proxy: warning: w\n  d\n"
    assert errors.getvalue() == "ocean-proxy: error: e\n"
    assert reporter.warnings == 1


# Every character Go accepts unencoded in a password (RFC 3986 sub-delims, unreserved),
# and what users type raw before they learn to encode it.
@pytest.mark.parametrize("password", ["s3cret", "pa'ss", "it's!", "p(a)ss", "a=b,c", "x;y&z",
                                      'q"uote', "~tilde*"])
def test_a_password_echoed_back_by_argparse_is_masked_as_user_stars(password):
    text = said(UsageError(f"unrecognized arguments: --proxy http://alice:{password}@p:3128",
                           hint=f"or '--proxy-url=http://alice:{password}@p:3128'"))
    assert password not in text
    assert "http://alice:***@p:3128" in text
    assert "http://***@" not in text


@pytest.mark.parametrize("password", ["s3cret", "it's a s3cret", "p%40ss word"])
def test_a_hidden_password_is_masked_as_user_stars_too(password):
    """What the command line held is hidden wherever it is quoted, spaces and all."""
    url = f"http://alice:{password}@p:3128"
    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide(credentials_in([f"--proxy-url={url}"]))
    reporter.error(UsageError(f"cannot use {url}", hint=f"the password was {password}"))
    text = stream.getvalue()
    assert password not in text
    assert "http://alice:***@p:3128" in text


def test_the_placeholder_our_hints_show_is_not_masked():
    text = said(UsageError("x", hint="use the form http://[user:password@]proxy.example.com"))
    assert "http://[user:password@]proxy.example.com" in text


def test_a_long_value_in_an_error_is_masked_in_linear_time():
    """The masking pattern backtracks over a word as long as the word: an error that quoted a
    100 KB name took minutes. Only words with an '@' are looked at, and a long one not shown."""
    import time

    name = "x" * 200_000
    started = time.perf_counter()
    text = said(OceanProxyError(f"workload Deployment/{name} and {name}:{name}@{name}"))
    assert time.perf_counter() - started < 5  # quadratic: over a minute on this input
    assert f"Deployment/{name} and (a long value with an '@', not shown)" in text
    assert said(OceanProxyError("see http://bob:s3cret@proxy:3128")) == \
        "ocean-proxy: error: see http://bob:***@proxy:3128\n"


def test_control_characters_from_the_input_are_escaped_in_every_message():
    messages, errors = io.StringIO(), io.StringIO()
    reporter = Reporter(messages, [errors])
    reporter.warning("NO_PROXY entry 'a\x1b[2Jb'")
    reporter.error(OceanProxyError("workload 'a\x07\x00b'", hint="x\x1by"))
    assert messages.getvalue() == "ocean-proxy: warning: NO_PROXY entry 'a\\x1b[2Jb'\n"
    assert errors.getvalue() == ("ocean-proxy: error: workload 'a\\x07\\x00b'\n"
                                 "ocean-proxy: hint: x\\x1by\n")


def test_a_token_as_user_name_is_hidden_even_with_an_empty_password():
    assert "SECRETTOKEN123abc" in \
        credentials_in(["--proxy-url=http://SECRETTOKEN123abc:@proxy.corp:3128"])


def test_the_basic_credentials_as_sent_to_the_proxy_are_hidden_too():
    import base64

    hidden = credentials_in(["http://bob:s3cret%40x@proxy.corp:3128"])
    assert base64.b64encode(b"bob:s3cret@x").decode() in hidden
    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide(hidden)
    reporter.error(OceanProxyError("407 Denied for Basic Ym9iOnMzY3JldEB4"))
    assert "Ym9iOnMzY3JldEB4" not in stream.getvalue()


def test_a_password_quoted_back_with_its_letters_recased_is_still_hidden():
    """A proxy's error page may capitalise what it quotes ("S3cret-Horse" for
    "s3cret-horse"): neither all upper nor all lower case, and still the password."""
    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide(credentials_in(["--proxy-url=http://bob:s3cret-horse@proxy.corp:3128"]))
    reporter.warning("the proxy answered: Unknown User Bob Or Password S3cret-Horse")
    reporter.error(OceanProxyError("407: bad password s3CRET-hORSE"))
    assert "horse" not in stream.getvalue().lower()


_CASED = [chr(code) for code in range(0x30000) if chr(code).lower() != chr(code).upper()]


@pytest.mark.parametrize("start", range(0, len(_CASED), 400))
def test_a_password_with_any_letter_quoted_back_in_any_case_the_pattern_finds_is_hidden(start):
    """Every letter with a case, beside what re.IGNORECASE also takes for it ('k' for the
    kelvin sign, 's' for 'ſ', 'i' for 'İ' and 'ı'): the line is masked wherever the pattern
    would find the password, with no pattern compiled where no case of it is there."""
    for letter in _CASED[start:start + 400]:
        password = f"pa{letter}{letter}word"
        for quoted in {password, password.upper(), password.lower(), password.swapcase(),
                       *(f"pa{twin}{letter}word" for twin in _TWINS.get(letter, ""))}:
            if not re.search(re.escape(password), quoted, re.IGNORECASE):
                continue  # a case change that is no longer the same letters to the pattern
            stream = io.StringIO()
            reporter = Reporter(stream)
            reporter.hide([password])
            reporter.error(OceanProxyError(f"407: denied for {quoted}."))
            assert quoted not in stream.getvalue(), (letter, quoted)


def test_a_password_holding_stars_that_another_secrets_mask_completes_is_hidden():
    """A shorter password with '***' in it, spelt out once a longer secret beside its two ends
    is masked, is hidden too: each secret is looked for in the line as masked so far."""
    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide(["s3cr3t-token-value", "pa***wd"])
    reporter.warning("the proxy answered 407 for pas3cr3t-token-valuewd")
    assert "pa***wd" not in stream.getvalue()


# What re.IGNORECASE takes for a letter beyond its upper and lower case
_TWINS = {"k": "\u212a", "K": "\u212a", "s": "\u017f", "S": "\u017f", "i": "\u0130\u0131",
          "I": "\u0130\u0131", "\u03b2": "\u03d0", "\u03b8": "\u03d1\u03f4", "\u00b5": "\u03bc"}


def test_basic_credentials_whose_base64_has_a_plus_or_a_slash_are_hidden_as_sent():
    """Base64 of some passwords holds '+' or '/', which the URL-safe form writes otherwise:
    the form a proxy quotes back from Proxy-Authorization is the standard one."""
    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide(credentials_in(["--proxy-url=http://bob:ok%3E%3E%3E@proxy.corp:3128"]))
    reporter.error(OceanProxyError("407 for Proxy-Authorization: Basic Ym9iOm9rPj4+"))
    assert "Ym9iOm9rPj4" not in stream.getvalue()


def test_a_line_break_in_a_value_cannot_make_a_line_of_its_own():
    stream = io.StringIO()
    Reporter(stream).warning("NO_PROXY entry 'a\nocean-proxy: error: forged'")
    assert stream.getvalue() == \
        "ocean-proxy: warning: NO_PROXY entry 'a\\nocean-proxy: error: forged'\n"


def test_a_hidden_secret_with_an_invisible_character_is_still_hidden():
    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide(credentials_in(["--proxy-ur=http://bob:it's a\u200bs3cret pass@proxy:3128"]))
    reporter.error(UsageError("unknown flag --proxy-ur=http://bob:it's a\u200bs3cret pass@proxy"))
    assert "s3cret" not in stream.getvalue()


def hidden_error(secret: str, error: OceanProxyError) -> str:
    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide(credentials_in([f"http://svc:{secret}@proxy:3128"]))
    reporter.error(error)
    return stream.getvalue()


def test_a_short_password_leaves_the_ellipses_of_other_words_alone():
    text = hidden_error("p4ss", OceanProxyError("denied P4SS...", hint="'helm template ... |'"))
    assert text == ("ocean-proxy: error: denied ***...\n"
                    "ocean-proxy: hint: 'helm template ... |'\n")


def test_a_long_token_quoted_cut_short_is_masked_in_linear_time():
    """Each start of a secret was one alternative of one pattern: a 6,000-character token
    took a minute and 3 GB to mask in a one-line error."""
    import time

    token = "".join(f"{n:04x}" for n in range(5_000))  # 20,000 characters
    started = time.perf_counter()
    text = hidden_error(token, OceanProxyError(f"the proxy said: {token.upper()[:150]}...",
                                               hint="percent-encode '/' as %2F, ..."))
    assert time.perf_counter() - started < 5
    assert "the proxy said: ***..." in text and token[:6] not in text.lower()
    assert text.endswith("hint: percent-encode '/' as %2F, ...\n")


def test_an_at_sign_elsewhere_than_a_proxy_url_hides_nothing():
    """'-o proxy@x.yaml' or a home folder 'alice@corp.com' is no credential."""
    assert credentials_in(["-o", "proxy@x.yaml", "--values", "values@prod.yaml",
                           "--config=/home/alice@corp.com/ocean-proxy.yaml",
                           "--workload", "Deployment/x@y"]) == []


@pytest.mark.parametrize("arguments", [
    ['--proxy-url="tok3n-only-value@proxy:3128"'],  # its quotes kept by helm
    ["--ca-file=ca.pem --proxy-url=tok3n-only-value@proxy:3128"],  # one argument, two flags
    ["--proxy-url", "tok3n-only-value@proxy:3128"],
    ["--proxy-url=http://tok3n-only-value@proxy:3128 --ca-file=a@b.pem"],
])
def test_a_token_in_a_proxy_url_without_scheme_or_among_other_flags_is_hidden(arguments):
    assert "tok3n-only-value" in credentials_in(arguments)


def test_under_helm_a_hint_names_the_commands_as_helm_runs_them():
    stream = io.StringIO()
    Reporter(stream, command="helm ocean-proxy").error(OceanProxyError(
        "'ocean-proxy.pem' is a server certificate",
        hint="trust its issuer instead; 'ocean-proxy discover-ca' finds it, "
             "'ocean-proxy check-bundle FILE' lists them"))
    assert stream.getvalue() == (
        "ocean-proxy: error: 'ocean-proxy.pem' is a server certificate\n"
        "ocean-proxy: hint: trust its issuer instead; 'helm ocean-proxy discover-ca' finds it, "
        "'helm ocean-proxy check-bundle FILE' lists them\n")


def test_the_plugins_reporters_name_helms_command_and_the_console_scripts_their_own(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    for plugin, hint in [("ocean-proxy", "'helm ocean-proxy render --help'"),
                         ("ocean-proxy-post-renderer", "'helm ocean-proxy render --help'"),
                         ("", "'ocean-proxy-post-renderer --help'")]:
        reporter = reporter_for_process({"HELM_PLUGIN_NAME": plugin,
                                         "OCEAN_PROXY_MESSAGES": "stderr"})
        reporter.error(UsageError("unknown flag", hint="run 'ocean-proxy-post-renderer --help'"))
        assert f"hint: run {hint}\n" in sys.stderr.getvalue()


@pytest.mark.parametrize("manifest", [
    "\ufeffname: ocean-proxy\nversion: 0.1.0\n",  # a Windows editor's byte order mark
    "{name: ocean-proxy, version: 0.1.0}\n",
    '"name": "ocean-proxy"\nversion: 0.1.0\n',
    "# the command plugin\nname: ocean-proxy # helm ocean-proxy\n"])
def test_the_command_plugin_is_found_beside_the_post_renderer_however_its_manifest_is_written(
        tmp_path, monkeypatch, manifest):
    """Helm 3 and 4 load each of these manifests as the plugin 'ocean-proxy' (checked with
    both): a hint under the post-renderer plugin then names 'helm ocean-proxy'."""
    plugins = tmp_path / "plugins"
    own = plugins / "ocean-proxy-post-renderer" / "bin" / "ocean-proxy"
    own.parent.mkdir(parents=True)
    own.write_text("#!/bin/sh\n")
    own.chmod(0o755)
    (plugins / "op").mkdir()
    (plugins / "op" / "plugin.yaml").write_text(manifest, encoding="utf-8")
    monkeypatch.setattr("sys.stderr", io.StringIO())
    reporter = reporter_for_process({"HELM_PLUGIN_NAME": "ocean-proxy-post-renderer",
                                     "HELM_PLUGIN_DIR": str(own.parent.parent),
                                     "HELM_PLUGINS": str(plugins),
                                     "OCEAN_PROXY_MESSAGES": "stderr"})
    reporter.error(UsageError("unknown flag", hint="run 'ocean-proxy-post-renderer --help'"))
    assert "hint: run 'helm ocean-proxy render --help'\n" in sys.stderr.getvalue()
    (plugins / "op" / "plugin.yaml").write_text(manifest.replace("ocean-proxy", "other"))
    reporter = reporter_for_process({"HELM_PLUGIN_NAME": "ocean-proxy-post-renderer",
                                     "HELM_PLUGIN_DIR": str(own.parent.parent),
                                     "HELM_PLUGINS": str(plugins),
                                     "OCEAN_PROXY_MESSAGES": "stderr"})
    reporter.error(UsageError("unknown flag", hint="run 'ocean-proxy-post-renderer --help'"))
    assert f"hint: run '{own} render --help'\n" in sys.stderr.getvalue()  # else: its own


@pytest.mark.parametrize("hint", ["run 'ocean-proxy check-bundle ca.pem'",
                                  "run: ocean-proxy check-bundle 'my ca.pem'"])
def test_the_post_renderer_plugins_own_command_in_a_folder_with_a_space_pastes_into_bash(
        tmp_path, monkeypatch, hint):
    """Under Helm 4's post-renderer plugin alone, a hint names the plugin's bin/ocean-proxy by
    its path; shell-quoted, a path with a space gave 'run ''/my plugins/.../ocean-proxy'
    check-bundle ca.pem'', which runs nothing pasted as it reads."""
    plugins = tmp_path / "my plugins"
    own = plugins / "ocean-proxy-post-renderer" / "bin" / "ocean-proxy"
    own.parent.mkdir(parents=True)
    own.write_text('#!/bin/sh\nprintf "%s\\0" "$@"\n')
    own.chmod(0o755)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    reporter = reporter_for_process({"HELM_PLUGIN_NAME": "ocean-proxy-post-renderer",
                                     "HELM_PLUGIN_DIR": str(own.parent.parent),
                                     "HELM_PLUGINS": str(plugins),
                                     "OCEAN_PROXY_MESSAGES": "stderr"})
    reporter.error(UsageError("a mistake", hint=hint))
    said = sys.stderr.getvalue().splitlines()[-1]
    command = re.search(r"run: (.*)$|run '([^']*)'", said)
    assert command, said
    run = subprocess.run(["bash", "-c", command[1] or command[2]], capture_output=True,
                         env={})
    assert run.returncode == 0, (said, run.stderr)
    assert run.stdout.split(b"\0")[:-1] == [b"check-bundle", b"my ca.pem" if "my" in hint
                                             else b"ca.pem"]


def test_another_plugins_manifest_that_yaml_reads_differently_does_not_stop_the_hint(
        tmp_path, monkeypatch):
    """'version: 2026-13-45' is a string to helm and an invalid date to a YAML 1.1 reader."""
    plugins = tmp_path / "plugins"
    for name, manifest in [("dated", "name: dated\nversion: 2026-13-45\n"),
                           ("tagged", "name: tagged\nversion: !!int x\n"),
                           ("op", "name: ocean-proxy\n")]:
        (plugins / name).mkdir(parents=True)
        (plugins / name / "plugin.yaml").write_text(manifest)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    reporter = reporter_for_process({"HELM_PLUGIN_NAME": "ocean-proxy-post-renderer",
                                     "HELM_PLUGIN_DIR": str(plugins / "post-renderer"),
                                     "HELM_PLUGINS": str(plugins),
                                     "OCEAN_PROXY_MESSAGES": "stderr"})
    reporter.error(UsageError("unknown flag", hint="run 'ocean-proxy-post-renderer --help'"))
    assert sys.stderr.getvalue().endswith("hint: run 'helm ocean-proxy render --help'\n")


def test_under_helm_the_post_renderers_version_is_the_command_plugins():
    stream = io.StringIO()
    Reporter(stream, command="helm ocean-proxy").error(UsageError(
        "--version prints text", hint="run 'ocean-proxy-post-renderer --version' by itself"))
    assert "hint: run 'helm ocean-proxy --version' by itself\n" in stream.getvalue()


def test_secrets_read_after_the_command_line_are_hidden_in_every_kind_of_line():
    """A config file's or the chart's proxy URL (its credentials, decoded, as Basic) and the
    chart's Spot token (also in the base64 its Secret holds), in notices and errors alike."""
    import base64

    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide_later("http://bob:s3cret%40pass@proxy.corp:3128", True)
    reporter.hide_later("tok-9f8e7d6c5b4a", False)
    basic = base64.b64encode(b"bob:s3cret@pass").decode()
    token64 = base64.b64encode(b"tok-9f8e7d6c5b4a").decode()
    reporter.notice(f"the proxy said s3cret@pass and Basic {basic}")
    reporter.error(UsageError(f"token tok-9f8e7d6c5b4a, {token64}, {token64.rstrip('=')}",
                              hint="s3cret%40pass"))
    text = stream.getvalue()
    for secret in ("s3cret", "tok-9f8e7d6c5b4a", basic, token64.rstrip("=")):
        assert secret not in text, text
    assert "ocean-proxy: the proxy said ***" in text


def test_a_placeholder_token_does_not_blank_out_the_word_in_messages():
    """'--set spotinst.token=TOKEN' or 'changeme': not a Spot token, and an ordinary word."""
    stream = io.StringIO()
    reporter = Reporter(stream)
    reporter.hide_later("TOKEN", False)
    reporter.hide_later("changeme", False)
    reporter.notice("the Spot token and the proxy password: changeme")
    assert stream.getvalue() == "ocean-proxy: the Spot token and the proxy password: changeme\n"


@pytest.mark.parametrize(("value", "to_helm"), [(None, True), ("auto", True), ("", True),
                                                 ("stderr", False)])
def test_an_empty_ocean_proxy_messages_is_unset_and_messages_still_reach_helms_stderr(
        monkeypatch, value, to_helm):
    """Helm hides a post-renderer's stderr (Helm 4 always): an empty variable (a CI variable
    left blank) counts as unset, as every OCEAN_PROXY_* does and the plugin's own shell does
    (``${OCEAN_PROXY_MESSAGES:-auto}``), not as 'stderr', which would lose the messages."""
    helms, ours = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stderr", ours)
    monkeypatch.setattr("post_renderer.helm_stderr.open_helm_stderr", lambda: helms)
    environ = {} if value is None else {"OCEAN_PROXY_MESSAGES": value}
    reporter_for_process(environ).notice("injected")  # and no word of the variable
    said = "ocean-proxy: injected\n"
    assert (helms.getvalue(), ours.getvalue()) == ((said, "") if to_helm else ("", said))


@pytest.mark.parametrize(("environ", "to_helm"), [
    ({"HELM_PLUGIN_NAME": "ocean-proxy-post-renderer"}, True), ({}, False)])
def test_an_error_under_a_post_renderer_plugin_reaches_helms_stderr_too(
        monkeypatch, environ, to_helm):
    """Helm 4 discards a post-renderer plugin's stderr even when it fails: the error goes to
    helm's own stderr as well. An executable's (Helm 3's way) is in helm's error already."""
    helms, ours = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stderr", ours)
    monkeypatch.setattr("post_renderer.helm_stderr.open_helm_stderr", lambda: helms)
    reporter_for_process(environ).error(UsageError("unknown flag", hint="see its help"))
    said = "ocean-proxy: error: unknown flag\nocean-proxy: hint: see its help\n"
    assert ours.getvalue() == said
    assert helms.getvalue() == (said if to_helm else "")


@pytest.mark.parametrize("value", ["helm", "Stderr", "1", "true"])
def test_an_unknown_ocean_proxy_messages_is_read_as_auto_and_said(monkeypatch, value):
    """Only 'stderr' keeps the messages off helm's stderr, as README says: a value of any
    other kind turned it off without a word, and under Helm 4, which never shows a
    post-renderer's stderr, every warning was lost."""
    helms, ours = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stderr", ours)
    monkeypatch.setattr("post_renderer.helm_stderr.open_helm_stderr", lambda: helms)
    reporter_for_process({"OCEAN_PROXY_MESSAGES": value}).notice("injected")
    assert helms.getvalue() == (
        f"ocean-proxy: warning: OCEAN_PROXY_MESSAGES is '{value}', neither 'auto' nor "
        "'stderr': read as 'auto' (under helm, messages go to helm's own stderr)\n"
        "ocean-proxy: injected\n")
    assert ours.getvalue() == ""


def test_an_argument_of_thousands_of_urls_is_read_for_credentials_at_once():
    """Every '://' started a user name running to the last '@' of the argument, each kept
    in a list searched before each new one: 6,000 URLs in one argument took a minute, 30,000
    (120 KB, the most Linux passes) hours, before any flag was read. The first URLs'
    credentials are still found."""
    import time

    started = time.monotonic()
    found = credentials_in(["--no-proxy", "http://bob:s3cret@p:1," + "://@" * 6_000])
    assert time.monotonic() - started < 5
    assert "s3cret" in found
