"""verify: a live TLS path through a real mitmproxy, trusting exactly what the pods trust."""

from __future__ import annotations

import time

import pytest
import yaml

from . import certs
from .certs import pkcs7_bundle
from .cli_outcomes import failure
from .conftest import clean_env, ocean_proxy, post_renderer, tool
from .netfixtures.fixtures import BLOCKED_HOST, PROXY_PASSWORD, PROXY_USER
from .netfixtures.mitm import ProxySpec, start_mitmdump
from .netfixtures.pki import EXPIRED_HOST, SPOT_API
from .netfixtures.raw_servers import TricklingServer, closed_port
from .netfixtures.servers import LocalServer


def verify(proxy_url: str, pki, *args: str, env: dict[str, str] | None = None):
    return ocean_proxy("verify", "--proxy-url", proxy_url,
                       "--public-roots", pki.public_roots_file, *args, env=env)


def test_succeeds_with_the_ca_that_discover_ca_wrote(intercepting_proxy, net_pki, tmp_path):
    ca_file = tmp_path / "corp-ca.pem"
    assert ocean_proxy("discover-ca", "--proxy-url", intercepting_proxy.url, "--public-roots",
                       net_pki.public_roots_file, "-o", ca_file).returncode == 0

    run = verify(intercepting_proxy.url, net_pki, "--ca-file", str(ca_file))

    assert run.returncode == 0, run.stderr
    assert run.stdout == b""
    assert "verified" in run.stderr and "TLSv1.3" in run.stderr
    assert f"issued by '{net_pki.inspection.subject}'" in run.stderr
    assert f"trust anchor '{net_pki.corp_root.subject}'" in run.stderr
    assert "your --ca-file" in run.stderr


def test_without_the_ca_fails_naming_the_unknown_issuer(intercepting_proxy, net_pki):
    run = verify(intercepting_proxy.url, net_pki)

    error, hint = failure(run)
    assert net_pki.corp_root.subject in error and "not trusted" in error
    assert "--ca-file" in hint and "discover-ca" in hint


def test_a_ca_file_without_the_root_is_said_to_lack_it(intercepting_proxy, net_pki):
    """The CA files given hold another CA (the wrong file from the security team): the hint
    says the root is missing from them, not to give --ca-file as if none were given."""
    error, hint = failure(verify(intercepting_proxy.url, net_pki,
                                 "--ca-file", str(net_pki.proxy_ca_file)))

    assert net_pki.corp_root.subject in error and "not trusted" in error
    assert hint == ("add that root to the CA files of --ca-file (they do not hold it); "
                    "'ocean-proxy discover-ca' writes it")


def test_a_ca_file_without_the_ca_a_proxy_leaves_out_is_said_to_lack_it(
        leaf_only_proxy, net_pki):
    """The same through OCEAN_PROXY_CA_FILE, for a CA the proxy does not present: the hint
    names the variable the CA files came from."""
    env = {**clean_env(), "OCEAN_PROXY_CA_FILE": str(net_pki.corp_root_file)}
    error, hint = failure(verify(leaf_only_proxy.url, net_pki, env=env))

    assert f"issued by '{net_pki.proxy_ca.subject}', which is not trusted" in error
    assert hint.startswith(f"ask the proxy's owners for the CA certificate "
                           f"'{net_pki.proxy_ca.subject}' as PEM")
    assert hint.endswith("and add them to the CA files of OCEAN_PROXY_CA_FILE (they do not "
                         "hold it)")


def test_leaf_alone_without_the_ca_names_its_issuer(leaf_only_proxy, net_pki):
    error, _ = failure(verify(leaf_only_proxy.url, net_pki))

    assert f"issued by '{net_pki.proxy_ca.subject}', which is not trusted" in error


def test_leaf_alone_without_a_ca_issuers_url_is_told_to_ask_the_proxys_owners(
        leaf_only_proxy, net_pki):
    """discover-ca cannot find a CA the proxy does not present and names no URL for: the hint
    must not send the user there."""
    _, hint = failure(verify(leaf_only_proxy.url, net_pki))

    assert "ask the proxy's owners" in hint and net_pki.proxy_ca.subject in hint
    assert "discover-ca" not in hint


def test_the_ca_a_proxy_leaves_out_given_without_its_root_is_said_to_lack_it(
        leaf_with_aia_proxy, net_pki, tmp_path):
    """The proxy presents its server certificate alone and the user gives the CA that signed
    it, not its root: OpenSSL (the log-shipper) refuses a chain that ends below a root, and
    verify said that CA was 'not trusted (and not presented)', with a hint to go and get the
    very CA the user had given. It names the root that is missing instead; with it, the path
    verifies."""
    inspection = tmp_path / "inspection-ca.pem"
    inspection.write_bytes(net_pki.inspection_with_aia.pem)

    error, hint = failure(verify(leaf_with_aia_proxy.url, net_pki, "--ca-file", str(inspection)))

    assert (f"is issued by '{net_pki.inspection_with_aia.subject}', which your --ca-file holds "
            f"without the root above it, '{net_pki.corp_root.subject}'") in error
    assert f"add the root '{net_pki.corp_root.subject}'" in hint
    assert "'ocean-proxy discover-ca' fetches it from the CA Issuers URL" in hint
    inspection.write_bytes(net_pki.inspection_with_aia.pem + net_pki.corp_root.pem)
    assert verify(leaf_with_aia_proxy.url, net_pki, "--ca-file", str(inspection)).returncode == 0


def test_two_cas_given_without_the_root_above_them_are_said_to_lack_that_root(net_pki,
                                                                            tmp_path):
    """The proxy presents its server certificate alone, signed by an inspection CA under a
    regional CA under the offline root, and the user gives both CAs but not the root: the
    root named missing is the one above both, not the regional CA the user did give, and
    the CA named as the issuer is the one that signed the server's certificate."""
    regional = certs.intermediate(net_pki.corp_root, "Example Corp Regional CA")
    inspection = certs.intermediate(regional, "Example Corp Regional Inspection CA")
    origin = LocalServer({"/": b"{}"}, certificate=certs.leaf(inspection, SPOT_API),
                         key_directory=tmp_path / "keys").start()
    spec = ProxySpec("leaf-under-two-cas", net_pki.proxy_ca.key_pem + net_pki.proxy_ca.pem,
                     ("--ignore-hosts", ".*"))  # tunnels: the origin's own certificate
    proxy = start_mitmdump(tool("mitmdump"), spec, tmp_path,
                           public_roots=net_pki.public_roots_file,
                           routes={SPOT_API: ("127.0.0.1", origin.port)})
    try:
        given = tmp_path / "two-cas.pem"
        given.write_bytes(inspection.pem + regional.pem)

        error, hint = failure(verify(proxy.url, net_pki, "--ca-file", str(given)))

        assert (f"is issued by '{inspection.subject}', which your --ca-file holds without the "
                f"root above it, '{net_pki.corp_root.subject}'") in error
        assert f"add the root '{net_pki.corp_root.subject}'" in hint
        given.write_bytes(inspection.pem + regional.pem + net_pki.corp_root.pem)
        assert verify(proxy.url, net_pki, "--ca-file", str(given)).returncode == 0
    finally:
        proxy.stop()
        origin.stop()


@pytest.mark.parametrize("form", ["der", "pkcs7"])
def test_ca_files_in_der_and_pkcs7_are_trusted_too(intercepting_proxy, net_pki, tmp_path, form):
    ca_file = tmp_path / f"corp-ca.{form}"
    ca_file.write_bytes(net_pki.corp_root.der if form == "der"
                        else pkcs7_bundle(net_pki.corp_root))

    run = verify(intercepting_proxy.url, net_pki, "--ca-file", str(ca_file))

    assert run.returncode == 0, run.stderr


def test_an_intermediate_alone_is_not_enough_as_for_openssl_clients(
        intermediate_only_proxy, net_pki, tmp_path):
    ca_file = tmp_path / "inspection-ca.pem"
    ca_file.write_bytes(net_pki.inspection.pem)

    run = verify(intermediate_only_proxy.url, net_pki, "--ca-file", str(ca_file))

    error, _ = failure(run)
    assert f"its issuer '{net_pki.corp_root.subject}' is not trusted" in error
    assert "log-shipper" in run.stderr  # check-bundle's warning, as the post-renderer gives it


def test_ca_file_refused_by_the_bundle_checks_is_reported_before_connecting(net_pki, tmp_path):
    leaf = tmp_path / "server.pem"
    leaf.write_bytes(net_pki.origin.pem)

    error, _ = failure(verify(f"http://127.0.0.1:{closed_port()}", net_pki,
                              "--ca-file", str(leaf)))

    assert "server certificate, not a CA" in error


def test_pass_through_path_is_trusted_through_the_public_roots(passthrough_proxy, net_pki):
    run = verify(passthrough_proxy.url, net_pki)

    assert run.returncode == 0, run.stderr
    assert "trusted through the public roots" in run.stderr


def test_public_roots_come_from_ssl_cert_file(passthrough_proxy, net_pki):
    run = ocean_proxy("verify", "--proxy-url", passthrough_proxy.url,
                      env=clean_env(SSL_CERT_FILE=str(net_pki.public_roots_file)))

    assert run.returncode == 0, run.stderr


def test_public_roots_come_from_an_ssl_cert_dir_alone(passthrough_proxy, net_pki, tmp_path):
    from .test_discover_ca import hashed_directory

    roots = hashed_directory(tmp_path / "certs", net_pki.public_root.pem)
    run = ocean_proxy("verify", "--proxy-url", passthrough_proxy.url,
                      env=clean_env(SSL_CERT_DIR=str(roots)))

    assert run.returncode == 0, run.stderr
    assert "trusted through the public roots" in run.stderr


def test_name_mismatch_names_the_certificate_names(passthrough_proxy, net_pki):
    run = verify(passthrough_proxy.url, net_pki, "--servername", "other.spot.test")

    error, hint = failure(run)
    assert "not for 'other.spot.test'" in error and "api.spotinst.io" in error
    assert "--servername" in hint


def test_expired_certificate_is_named_with_its_date(passthrough_proxy, net_pki):
    run = verify(passthrough_proxy.url, net_pki, "--target", f"{EXPIRED_HOST}:443")

    error, _ = failure(run)
    expired = net_pki.expired_origin.cert.not_valid_after_utc
    assert f"'{net_pki.expired_origin.subject}'" in error
    assert f"expired on {expired:%Y-%m-%d}" in error


def test_closed_proxy_port_is_reported_as_unreachable(net_pki):
    error, hint = failure(verify(f"http://127.0.0.1:{closed_port()}", net_pki))

    assert "refused the connection" in error
    assert "port" in hint


def test_connect_refused_by_the_proxy_gives_its_status(intercepting_proxy, net_pki):
    error, _ = failure(verify(intercepting_proxy.url, net_pki, "--target",
                              f"{BLOCKED_HOST}:443"))

    assert "403 Forbidden" in error


def test_wrong_credentials_get_the_407_message_without_the_password(auth_proxy, net_pki):
    run = verify(auth_proxy.url_with(PROXY_USER, "not-" + PROXY_PASSWORD), net_pki,
                 "--ca-file", str(net_pki.corp_root_file), "--debug")

    error, _ = failure(run)
    assert "407" in error
    assert PROXY_PASSWORD not in run.stderr and "%40" not in run.stderr


def test_missing_credentials_hint_works_when_followed_off_the_command_line(auth_proxy, net_pki):
    """The hint said to put the password in the URL; given by --proxy-url, every user of the
    machine sees it in ps, and OCEAN_PROXY_URL beside the flag is not read (the flag wins)."""
    _, hint = failure(verify(auth_proxy.url, net_pki, "--ca-file", str(net_pki.corp_root_file)))
    assert "OCEAN_PROXY_URL" in hint and "instead of --proxy-url" in hint

    followed = ocean_proxy("verify", "--public-roots", net_pki.public_roots_file,
                           "--ca-file", str(net_pki.corp_root_file),
                           env=clean_env(OCEAN_PROXY_URL=auth_proxy.credentials_url))
    assert followed.returncode == 0, followed.stderr


def test_right_credentials_verify(auth_proxy, net_pki):
    run = verify(auth_proxy.credentials_url, net_pki, "--ca-file", str(net_pki.corp_root_file))

    assert run.returncode == 0, run.stderr
    assert PROXY_PASSWORD not in run.stderr


def test_https_proxy_is_trusted_with_the_pods_ca_files(intercepting_proxy, net_pki):
    run = verify(intercepting_proxy.https_url, net_pki, "--ca-file",
                 str(net_pki.corp_root_file))

    assert run.returncode == 0, run.stderr


def test_proxy_that_never_answers_connect_times_out(silent_server, net_pki):
    error, _ = failure(verify(silent_server.url, net_pki, "--timeout", "0.5"))

    assert "did not answer CONNECT" in error and "within 0.5s" in error


def test_an_https_proxy_that_trickles_its_handshake_is_said_to_time_out(net_pki):
    """A TLS record promised whole, sent a byte at a time, each well within the timeout: the
    handshake with the proxy itself stops at --timeout, and says so (it said "failed
    (TimeoutError)", with a hint about TLS on that port and none about --timeout)."""
    # a 16 KiB handshake record, answering the ClientHello, that never ends in time
    with TricklingServer(b"\x16\x03\x03\x40\x00", b"\x00") as server:
        started = time.monotonic()
        error, hint = failure(verify(server.url.replace("http:", "https:"), net_pki,
                                     "--timeout", "0.5"))
        assert time.monotonic() - started < 4
    assert "https proxy" in error and "within 0.5s" in error
    assert "--timeout" in hint


def test_tls_handshake_that_stalls_in_the_tunnel_times_out(stalling_tunnel_server, net_pki):
    error, hint = failure(verify(stalling_tunnel_server.url, net_pki, "--timeout", "0.5"))

    assert "no TLS answer" in error and "within 0.5s" in error
    assert "--timeout" in hint


def test_the_proxy_with_its_password_can_come_from_ocean_proxy_url(auth_proxy, net_pki):
    # Helm 4's --debug logs a plugin's whole command line: a password stays out of it this way
    run = ocean_proxy("verify", "--public-roots", net_pki.public_roots_file,
                      "--ca-file", str(net_pki.corp_root_file),
                      env=clean_env(OCEAN_PROXY_URL=auth_proxy.credentials_url))

    assert run.returncode == 0, run.stderr
    assert "verified" in run.stderr and PROXY_PASSWORD not in run.stderr


def test_the_flag_wins_over_ocean_proxy_url(auth_proxy, net_pki):
    run = verify(auth_proxy.credentials_url, net_pki, "--ca-file", str(net_pki.corp_root_file),
                 env=clean_env(OCEAN_PROXY_URL=f"http://127.0.0.1:{closed_port()}"))

    assert run.returncode == 0, run.stderr


def test_the_ca_files_can_come_from_ocean_proxy_ca_file_as_for_the_pods(
        intercepting_proxy, net_pki, tmp_path):
    """The post-renderer gives the pods the CA files of OCEAN_PROXY_CA_FILE: verify, which
    read OCEAN_PROXY_URL, failed that path as 'not trusted'."""
    other = tmp_path / "other-ca.pem"
    other.write_bytes(net_pki.proxy_ca.pem)
    env = clean_env(OCEAN_PROXY_CA_FILE=f"{other}:{net_pki.corp_root_file}")

    run = verify(intercepting_proxy.url, net_pki, env=env)

    assert run.returncode == 0, run.stderr
    assert "trusted through your OCEAN_PROXY_CA_FILE" in run.stderr


def test_the_ca_file_flag_wins_over_ocean_proxy_ca_file(intercepting_proxy, net_pki, tmp_path):
    other = tmp_path / "other-ca.pem"
    other.write_bytes(net_pki.proxy_ca.pem)

    run = verify(intercepting_proxy.url, net_pki, "--ca-file", str(other),
                 env=clean_env(OCEAN_PROXY_CA_FILE=str(net_pki.corp_root_file)))

    error, _ = failure(run)
    assert f"'{net_pki.corp_root.subject}', which is not trusted" in error


def test_an_empty_ca_file_flag_is_refused(intercepting_proxy, net_pki):
    error, hint = failure(verify(intercepting_proxy.url, net_pki, "--ca-file="), exit_code=2)

    assert error == "--ca-file is given but empty"
    assert "is the variable it comes from set?" in hint


def write_config(folder, proxy_url: str, *ca_files: str):
    """The post-renderer's settings file, with CA files relative to its own folder."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "ocean-proxy.yaml"
    config.write_text(yaml.safe_dump({"proxyUrl": proxy_url, "caFiles": list(ca_files)}))
    return config


def test_the_proxy_and_ca_files_of_the_post_renderers_config_file_are_verified(
        auth_proxy, net_pki, tmp_path):
    """The file a pipeline gives the post-renderer (--config, or OCEAN_PROXY_CONFIG) checks
    the same path: its password stays off the command line, its caFiles are relative to it."""
    folder = tmp_path / "settings"
    config = write_config(folder, auth_proxy.credentials_url, "corp-root.pem")
    (folder / "corp-root.pem").write_bytes(net_pki.corp_root_file.read_bytes())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    for args, env in ((("--config", str(config)), clean_env()),
                      ((), clean_env(OCEAN_PROXY_CONFIG=str(config)))):
        run = ocean_proxy("verify", "--public-roots", net_pki.public_roots_file, *args,
                          env=env, cwd=elsewhere)

        assert run.returncode == 0, run.stderr
        assert run.stdout == b""
        assert f"trusted through your config file {config}" in run.stderr
        assert f"trust anchor '{net_pki.corp_root.subject}'" in run.stderr
        assert PROXY_PASSWORD not in run.stderr


def test_flags_and_variables_win_over_the_config_file_as_for_a_render(
        auth_proxy, net_pki, tmp_path):
    # the config file's proxy is closed and its CA file missing: neither is used, nor read
    config = write_config(tmp_path, f"http://127.0.0.1:{closed_port()}", "missing.pem")

    run = ocean_proxy("verify", "--public-roots", net_pki.public_roots_file,
                      "--config", str(config), "--ca-file", str(net_pki.corp_root_file),
                      env=clean_env(OCEAN_PROXY_URL=auth_proxy.credentials_url))

    assert run.returncode == 0, run.stderr
    assert "trusted through your --ca-file" in run.stderr


@pytest.mark.parametrize("setting", ["proxyURL: http://proxy.corp:3128",
                                     "autoUpdate: bogus", "noProxy: ['*']",
                                     "workloads: [controller]", "caFiles: ['']"])
@pytest.mark.parametrize("command", ["verify", "discover-ca"])
def test_a_config_file_the_post_renderer_would_refuse_is_refused_before_connecting(
        command, setting, net_pki, tmp_path):
    """Refused with the post-renderer's own words: a file these commands pass, it takes."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(f"proxyUrl: http://127.0.0.1:{closed_port()}\n{setting}\n")
    render = post_renderer("--config", config, stdin=b"")
    assert render.returncode == 1 and render.stderr.startswith("ocean-proxy: error: config "), \
        render.stderr

    error, hint = failure(ocean_proxy(command, "--public-roots", net_pki.public_roots_file,
                                      "--config", str(config)))

    assert (f"ocean-proxy: error: {error}\nocean-proxy: hint: {hint}\n") == render.stderr
