"""A proxy that quotes the credentials back (in its status line or its Proxy-Authenticate
header, in other letter cases, or as the base64 the client sent) never gets them printed,
whole or in part, even where a message cuts what the proxy said short."""

from __future__ import annotations

import base64

import pytest

from .cli_outcomes import failure
from .conftest import clean_env, ocean_proxy
from .netfixtures.raw_servers import RawServer

USER = "svc-ocean"
PASSWORD = "Xy7Q" * 10 + "LongSecretPassw0rd"
TOKEN = "tk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbbaa99887766"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def answered(answer: str, userinfo: str, scheme: str = "http://") -> str:
    """verify's stderr through a proxy that answers CONNECT with ``answer`` (UTF-8)."""
    server = RawServer(answer.encode()).start()
    try:
        run = ocean_proxy("verify", "--timeout", "5", env=clean_env(
            OCEAN_PROXY_URL=f"{scheme}{userinfo}@127.0.0.1:{server.port}"))
    finally:
        server.stop()
    failure(run)
    return run.stderr


def assert_no_part_of(secret: str, text: str) -> None:
    for end in range(6, len(secret) + 1):
        assert secret[:end].lower() not in text.lower(), text


@pytest.mark.parametrize("answer", [
    f"HTTP/1.1 403 Denied for credentials {BASIC}\r\n\r\n",
    f"HTTP/1.1 407 Denied: the credentials you gave, with password {PASSWORD}, are wrong\r\n\r\n",
    f"HTTP/1.1 407 Denied {PASSWORD.upper()}\r\n\r\n",
    f"HTTP/1.1 407 Denied\r\nProxy-Authenticate: {PASSWORD} realm=x\r\n\r\n",
], ids=["base64-cut", "password-cut", "upper-case", "as-a-scheme"])
def test_credentials_quoted_back_are_never_printed(answer: str) -> None:
    shown = answered(answer, f"{USER}:{PASSWORD}")
    assert_no_part_of(PASSWORD, shown)
    assert_no_part_of(BASIC, shown)


def test_a_token_as_user_name_is_not_shown_in_a_refusal() -> None:
    shown = answered("HTTP/1.1 407 Proxy Authentication Required\r\n"
                     "Proxy-Authenticate: Basic realm=x\r\n\r\n", TOKEN)
    assert "rejected the credentials of user '***'" in shown
    assert_no_part_of(TOKEN, shown)


def test_a_url_written_without_a_scheme_has_its_password_hidden_too() -> None:
    """Read as http://, as Go reads it: the credentials are the same, and so is the masking."""
    shown = answered(f"HTTP/1.1 403 {USER}:{PASSWORD} {USER.upper()}:{PASSWORD.upper()} "
                     f"Basic {BASIC}\r\n\r\n", f"{USER}:{PASSWORD}", scheme="")
    assert_no_part_of(PASSWORD, shown)
    assert_no_part_of(BASIC, shown)


@pytest.mark.parametrize("password, echoed, seen", [
    ("stra%C3%9Fe-Passw0rd", "STRASSE-PASSW0RD", "STRASSE-PASSW0RD"),  # ß upper-cased: SS
    ("p%C3%A4ssw%C3%B6rd-2026", "p\u00e4ssw\u00f6rd-2026",
     "p\u00e4ssw\u00f6rd-2026".encode().decode("latin-1")),  # its UTF-8 read as Latin-1
    ("S3cret%20%20Passw0rd", "S3cret  Passw0rd", "S3cret Passw0rd"),  # spaces collapsed
    ("S3cretPassw0rd1", base64.b64encode(f"{USER}:S3cretPassw0rd1".encode()).decode()
     .rstrip("="), "Ym9i"),  # base64 without its padding
    ("xyz", f"{USER}:xyz", f"{USER}:xyz"),  # too short alone, not with its user
    # UTF-8 read as Latin-1 has C1 controls (\x80-\x9f), which a message shows as spaces
    ("PASSW%C3%96RT-2026", "PASSW\u00d6RT-2026", "PASSW\u00c3 RT-2026"),
    ("Zq7%E2%82%ACFx9Wv4", "Zq7\u20acFx9Wv4", "Zq7\u00e2 \u00acFx9Wv4"),
    ("Stra%C3%9Fe-Wv4x", "Stra\u00dfe-Wv4x", "Stra\u00c3 e-Wv4x"),
    ("Zq7%C2%A0Fx9Wv4x", "Zq7\u00a0Fx9Wv4x", "Zq7\u00c2 Fx9Wv4x"),  # a no-break space
], ids=["case-length", "latin-1", "spaces", "base64-unpadded", "short", "latin-1-c1-umlaut",
        "latin-1-c1-euro", "latin-1-c1-sharp-s", "latin-1-no-break-space"])
def test_other_forms_of_the_password_quoted_back_are_hidden(password: str, echoed: str,
                                                            seen: str) -> None:
    shown = answered(f"HTTP/1.1 407 denied {echoed}\r\n\r\n", f"{USER}:{password}")
    assert "denied ***" in shown
    assert seen.lower() not in shown.lower() and echoed.lower() not in shown.lower()


# Every source verify and discover-ca take the proxy URL from: the flag, the environment,
# and a config file named by --config or by OCEAN_PROXY_CONFIG. The last two are read after
# the command line: a proxy quoting the password back must be masked all the same.
SOURCES = {
    "flag": lambda url, config: (["--proxy-url", url], {}),
    "environment": lambda url, config: ([], {"OCEAN_PROXY_URL": url}),
    "config-flag": lambda url, config: (["--config", str(config)], {}),
    "config-environment": lambda url, config: ([], {"OCEAN_PROXY_CONFIG": str(config)}),
}


@pytest.mark.parametrize("command", [["verify"], ["verify", "--debug"], ["discover-ca"],
                                     ["discover-ca", "--debug"]],
                         ids=["verify", "verify-debug", "discover-ca", "discover-ca-debug"])
@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("secret", [PASSWORD, TOKEN], ids=["password", "token-as-user"])
def test_a_password_from_any_source_quoted_back_is_never_printed(source, command, secret,
                                                                 tmp_path):
    userinfo = f"{USER}:{PASSWORD}" if secret == PASSWORD else TOKEN
    basic = base64.b64encode(f"{userinfo}{'' if ':' in userinfo else ':'}".encode()).decode()
    server = RawServer(f"HTTP/1.1 407 Denied: {secret} and Basic {basic} are wrong\r\n"
                       f"Proxy-Authenticate: Basic realm={secret}\r\n\r\n".encode()).start()
    url = f"http://{userinfo}@127.0.0.1:{server.port}"
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(f"proxyUrl: {url}\n")
    config.chmod(0o600)
    args, env = SOURCES[source](url, config)
    try:
        run = ocean_proxy(*command, *args, "--timeout", "5", env=clean_env(**env),
                          cwd=tmp_path)
    finally:
        server.stop()
    failure(run)
    assert "ocean-proxy: error: the proxy 127.0.0.1" in run.stderr  # it got that far
    assert_no_part_of(secret, run.stderr)
    assert_no_part_of(basic, run.stderr)
