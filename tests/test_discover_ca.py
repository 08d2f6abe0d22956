"""discover-ca against a real TLS-intercepting proxy (mitmproxy) and a local stand-in Spot API."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from . import certs
from .cli_outcomes import failure
from .conftest import VENV_BIN, clean_env, ocean_proxy, run_command
from .netfixtures.fixtures import BLOCKED_HOST, PROXY_PASSWORD, PROXY_USER
from .netfixtures.pki import AIA_HOST, AIA_PATH
from .netfixtures.raw_servers import closed_port


def discover(proxy_url: str, pki, *args: str, env: dict[str, str] | None = None):
    return ocean_proxy("discover-ca", "--proxy-url", proxy_url,
                       "--public-roots", pki.public_roots_file, *args, env=env)


def ders(pem: bytes) -> list[bytes]:
    """Certificates as DER: what "the same certificate" means, whatever the PEM layout."""
    return [cert.public_bytes(Encoding.DER) for cert in x509.load_pem_x509_certificates(pem)]


# -- intercepted, root presented --------------------------------------------------------


def test_root_presented_by_intercepting_proxy_is_written_to_stdout(intercepting_proxy, net_pki):
    run = discover(intercepting_proxy.url, net_pki)

    assert run.returncode == 0, run.stderr
    assert ders(run.stdout) == [net_pki.corp_root.der]
    assert "intercepted" in run.stderr
    assert "Example Corp Offline Root CA" in run.stderr


def test_root_presented_is_written_to_the_output_file_and_nothing_to_stdout(
        intercepting_proxy, net_pki, tmp_path):
    output = tmp_path / "corp-ca.pem"

    run = discover(intercepting_proxy.url, net_pki, "-o", str(output))

    assert run.returncode == 0, run.stderr
    assert run.stdout == b""
    assert ders(output.read_bytes()) == [net_pki.corp_root.der]
    assert str(output) in run.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["corp-ca.pem"]  # no temporary left over


def test_written_ca_passes_check_bundle_unchanged(intercepting_proxy, net_pki):
    from post_renderer.trust.bundle import inspect_bundle

    run = discover(intercepting_proxy.url, net_pki)

    report = inspect_bundle(run.stdout, "written")
    assert report.refusals == [] and report.warnings == []
    assert report.trust_bundle().pem() == run.stdout


# -- not intercepted --------------------------------------------------------------------


def test_passthrough_proxy_is_not_intercepted_and_no_file_is_written(
        passthrough_proxy, net_pki, tmp_path):
    output = tmp_path / "ca.pem"

    run = discover(passthrough_proxy.url, net_pki, "-o", str(output))

    assert run.returncode == 0, run.stderr
    assert run.stdout == b""
    assert "not intercepted" in run.stderr
    assert "no extra CA is needed" in run.stderr
    assert not output.exists()


def test_an_earlier_result_left_in_the_output_file_is_pointed_out(
        passthrough_proxy, net_pki, tmp_path):
    output = tmp_path / "ca.pem"
    output.write_bytes(b"an earlier run's CA\n")

    run = discover(passthrough_proxy.url, net_pki, "-o", str(output))

    assert run.returncode == 0, run.stderr
    assert output.read_bytes() == b"an earlier run's CA\n"
    assert f"warning: {output} already exists and was left as it is" in run.stderr


def test_public_roots_come_from_ssl_cert_file_without_the_flag(passthrough_proxy, net_pki):
    run = ocean_proxy("discover-ca", "--proxy-url", passthrough_proxy.url,
                      env=clean_env(SSL_CERT_FILE=str(net_pki.public_roots_file)))

    assert run.returncode == 0, run.stderr
    assert run.stdout == b""
    assert "not intercepted" in run.stderr
    assert f"SSL_CERT_FILE={net_pki.public_roots_file}" in run.stderr


def test_public_roots_come_from_an_ssl_cert_dir_alone(passthrough_proxy, net_pki, tmp_path):
    """SSL_CERT_DIR without SSL_CERT_FILE: a directory of roots by their OpenSSL subject hash,
    as a minimal image's /etc/ssl/certs holds them, counts as the public roots."""
    roots = hashed_directory(tmp_path / "certs", net_pki.public_root.pem)

    run = ocean_proxy("discover-ca", "--proxy-url", passthrough_proxy.url,
                      env=clean_env(SSL_CERT_DIR=str(roots)))

    assert run.returncode == 0, run.stderr
    assert run.stdout == b""
    assert "not intercepted" in run.stderr and "no extra CA is needed" in run.stderr
    assert f"SSL_CERT_DIR={roots}" in run.stderr


def hashed_directory(directory: Path, pem: bytes) -> Path:
    """``directory`` holding ``pem`` as ``<subject hash>.0``, named by the real openssl."""
    directory.mkdir()
    (directory / f"{certs.openssl_subject_hash(pem)}.0").write_bytes(pem)
    return directory


def test_ssl_cert_file_naming_a_missing_file_is_an_error(passthrough_proxy, tmp_path):
    run = ocean_proxy("discover-ca", "--proxy-url", passthrough_proxy.url,
                      env=clean_env(SSL_CERT_FILE=str(tmp_path / "missing.pem")))

    error, _ = failure(run)
    assert "SSL_CERT_FILE" in error


def test_pass_through_with_a_broken_certificate_is_not_treated_as_interception(
        passthrough_proxy, net_pki):
    run = discover(passthrough_proxy.url, net_pki, "--target", "expired.spot.test:443")

    error, _ = failure(run)
    assert "expired" in error
    assert "intercepted:" not in run.stderr


# -- intercepted, root not presented ----------------------------------------------------


def test_missing_root_is_fetched_through_the_proxy_from_the_aia_url(
        aia_proxy, net_pki, aia_server):
    run = discover(aia_proxy.url, net_pki)

    assert run.returncode == 0, run.stderr
    assert ders(run.stdout) == [net_pki.corp_root.der]
    assert net_pki.aia_url in run.stderr
    # pki.corp.example resolves nowhere but in the proxy's routes: it went through the proxy
    assert (AIA_HOST, AIA_PATH) in aia_server.requests


def test_a_leaf_alone_gets_the_ca_it_leaves_out_written_with_the_root(leaf_with_aia_proxy,
                                                                      net_pki, tmp_path):
    """The README: a proxy that presents only its server certificate has its issuer fetched
    from the AIA URL. discover-ca fetched it and the root, and wrote the root alone: the
    pods, which fetch nothing, could not reach the CA the proxy signs with, and verify with
    that file failed, its hint pointing back at discover-ca. The CA is written with the root,
    and the file verifies the path."""
    output = tmp_path / "corp-ca.pem"

    run = discover(leaf_with_aia_proxy.url, net_pki, "-o", str(output))

    assert run.returncode == 0, run.stderr
    assert sorted(ders(output.read_bytes())) == sorted(
        [net_pki.inspection_with_aia.der, net_pki.corp_root.der])
    said = " ".join(run.stderr.split())  # why the file holds more than the root
    assert (f"the proxy does not present '{net_pki.inspection_with_aia.subject}', below that "
            "root: written with it") in said
    checked = ocean_proxy("verify", "--proxy-url", leaf_with_aia_proxy.url, "--public-roots",
                          net_pki.public_roots_file, "--ca-file", output)
    assert checked.returncode == 0, checked.stderr
    assert "ocean-proxy: verified:" in checked.stderr


def test_intermediate_without_root_or_aia_is_written_and_the_root_named(
        intermediate_only_proxy, net_pki):
    run = discover(intermediate_only_proxy.url, net_pki)

    assert run.returncode == 0, run.stderr
    assert ders(run.stdout) == [net_pki.inspection.der]
    assert "ask the proxy's owners for the root CA certificate" in run.stderr
    assert net_pki.corp_root.subject in run.stderr


def test_leaf_alone_fails_naming_its_issuer_and_writes_nothing(leaf_only_proxy, net_pki,
                                                               tmp_path):
    output = tmp_path / "ca.pem"

    run = discover(leaf_only_proxy.url, net_pki, "-o", str(output))

    error, hint = failure(run)
    assert net_pki.proxy_ca.subject in error
    assert "ask the proxy's owners" in hint
    assert not output.exists()


def test_failed_discovery_leaves_an_existing_output_file_alone(leaf_only_proxy, net_pki,
                                                              tmp_path):
    output = tmp_path / "ca.pem"
    output.write_bytes(b"previous CA\n")

    failure(discover(leaf_only_proxy.url, net_pki, "-o", str(output)))

    assert output.read_bytes() == b"previous CA\n"


# -- proxy authentication ---------------------------------------------------------------


def secrets_of(password: str, user: str) -> list[bytes]:
    from urllib.parse import quote

    token = base64.b64encode(f"{user}:{password}".encode())
    return [password.encode(), quote(password, safe="").encode(), token]


def test_right_credentials_get_through_an_authenticating_proxy(auth_proxy, net_pki):
    run = discover(auth_proxy.credentials_url, net_pki, "--debug")

    assert run.returncode == 0, run.stderr
    assert ders(run.stdout) == [net_pki.corp_root.der]
    output = run.stdout + run.stderr.encode()
    assert not any(secret in output for secret in secrets_of(PROXY_PASSWORD, PROXY_USER))
    assert f"{PROXY_USER}:***@" in run.stderr


def test_wrong_password_gets_the_407_message_and_is_never_printed(auth_proxy, net_pki):
    wrong = "Wr0ng-p@ss"

    run = discover(auth_proxy.url_with(PROXY_USER, wrong), net_pki, "--debug")

    error, hint = failure(run)
    assert "407" in error and f"rejected the credentials of user '{PROXY_USER}'" in error
    assert "password" in hint
    assert not any(secret in run.stderr.encode() for secret in secrets_of(wrong, PROXY_USER))


def test_missing_credentials_get_the_407_message_saying_they_are_missing(auth_proxy, net_pki):
    run = discover(auth_proxy.url, net_pki)

    error, hint = failure(run)
    assert "407" in error and "has no credentials" in error
    assert "user:password@" in hint


# -- https proxies ----------------------------------------------------------------------


def test_https_proxy_is_spoken_to_over_tls_with_its_ca_given(intercepting_proxy, net_pki):
    run = discover(intercepting_proxy.https_url, net_pki,
                   "--proxy-ca-file", str(net_pki.corp_root_file), "--debug")

    assert run.returncode == 0, run.stderr
    assert ders(run.stdout) == [net_pki.corp_root.der]
    assert "TLS handshake with the proxy itself" in run.stderr


def test_https_proxy_with_an_untrusted_certificate_is_refused_before_any_credentials(
        intercepting_proxy, net_pki):
    run = discover(intercepting_proxy.https_url, net_pki)

    error, hint = failure(run)
    assert "https proxy" in error and "does not trust" in error
    assert "--proxy-ca-file" in hint


# -- proxy and network failures ---------------------------------------------------------


def test_connect_refused_by_the_proxy_gives_its_status(intercepting_proxy, net_pki):
    run = discover(intercepting_proxy.url, net_pki, "--target", f"{BLOCKED_HOST}:443")

    error, hint = failure(run)
    assert f"refused to CONNECT to {BLOCKED_HOST}:443: 403 Forbidden" in error
    assert "allow" in hint


def test_a_target_the_real_proxy_cannot_reach_is_not_called_a_refusal(intercepting_proxy,
                                                                      net_pki):
    run = discover(intercepting_proxy.url, net_pki, "--target", f"127.0.0.1:{closed_port()}")

    error, hint = failure(run)
    assert "the proxy could not reach 127.0.0.1:" in error and "502" in error
    assert "try again" in hint


def test_closed_proxy_port_is_reported_as_unreachable(net_pki):
    run = discover(f"http://127.0.0.1:{closed_port()}", net_pki)

    error, _ = failure(run)
    assert "refused the connection" in error


def test_unknown_proxy_host_is_reported_as_unresolvable(net_pki):
    run = discover("http://no-such-proxy.invalid:3128", net_pki)

    error, _ = failure(run)
    assert "cannot resolve" in error and "no-such-proxy.invalid" in error


def test_proxy_that_never_answers_times_out(silent_server, net_pki):
    run = discover(silent_server.url, net_pki, "--timeout", "0.5")

    error, hint = failure(run)
    assert "did not answer CONNECT" in error and "0.5s" in error
    assert "--timeout" in hint


def test_something_that_is_not_a_proxy_is_named_as_such(ssh_server, net_pki):
    run = discover(ssh_server.url, net_pki, "--timeout", "2")

    error, _ = failure(run)
    assert "not HTTP" in error


def test_output_into_a_missing_directory_fails_cleanly(intercepting_proxy, net_pki,
                                                       tmp_path: Path):
    run = discover(intercepting_proxy.url, net_pki, "-o", str(tmp_path / "no" / "ca.pem"))

    error, _ = failure(run)
    assert "cannot write" in error


def _in_a_read_only_folder(argv: list[str], folder: Path) -> list[str]:
    """``argv`` run where ``folder`` cannot be written: its mode for another user, a
    read-only bind mount of it (in a mount namespace of its own) for root, who writes into
    any mode."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return argv
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'
    return ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script,
            str(folder), *argv]


@pytest.mark.parametrize("where", ["missing", "a-file", "read-only"])
def test_an_output_that_cannot_be_written_is_refused_before_connecting(where, net_pki,
                                                                       tmp_path: Path):
    """'discover-ca -o nodir/ca.pem' connected, probed and only then failed to write; now the
    output's folder is checked first: the proxy here would refuse the connection, and that
    is not what the run says."""
    folder = tmp_path / "out"
    if where == "a-file":
        folder.write_bytes(b"not a folder")
    elif where == "read-only":
        folder.mkdir()
    argv = [str(VENV_BIN / "ocean-proxy"), "discover-ca", "--proxy-url",
            f"http://127.0.0.1:{closed_port()}", "--public-roots", net_pki.public_roots_file,
            "-o", str(folder / "ca.pem")]
    if where == "read-only":
        argv = _in_a_read_only_folder(argv, folder)

    run = run_command(argv, env=clean_env())

    error, hint = failure(run)
    assert error.startswith(f"cannot write {folder / 'ca.pem'}: "), error
    assert {"missing": "does not exist", "a-file": "is a file, not a directory",
            "read-only": "is on a read-only file system" if os.geteuid() == 0  # the mount
            else "is not writable"}[where] in error
    assert "refused the connection" not in run.stderr and "directory" in hint
    assert not (folder / "ca.pem").exists()


# -- usage ------------------------------------------------------------------------------


def test_bad_target_is_a_usage_error(net_pki):
    error, _ = failure(discover("http://127.0.0.1:3128", net_pki, "--target", "not a host"),
                       exit_code=2)

    assert "--target" in error


def test_unusable_proxy_url_is_refused_without_echoing_it(net_pki):
    run = discover("socks5://alice:Top-s3cret@proxy.corp:1080", net_pki)

    error, _ = failure(run)
    assert "socks5" in error
    assert "Top-s3cret" not in run.stderr


def test_the_proxy_with_its_password_can_come_from_ocean_proxy_url(auth_proxy, net_pki):
    run = ocean_proxy("discover-ca", "--public-roots", net_pki.public_roots_file,
                      env=clean_env(OCEAN_PROXY_URL=auth_proxy.credentials_url))

    assert run.returncode == 0, run.stderr
    assert ders(run.stdout) == [net_pki.corp_root.der]
    assert PROXY_PASSWORD not in run.stderr and f"{PROXY_USER}:***@" in run.stderr


def test_the_proxy_can_come_from_the_post_renderers_config_file(auth_proxy, net_pki, tmp_path):
    """discover-ca writes the CA file the config file names: it reads the file's proxy, never
    its caFiles, which need not exist yet."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(yaml.safe_dump({"proxyUrl": auth_proxy.credentials_url,
                                      "caFiles": ["corp-ca.pem"]}))

    run = ocean_proxy("discover-ca", "--public-roots", net_pki.public_roots_file,
                      "--config", str(config), "-o", str(tmp_path / "corp-ca.pem"))

    assert run.returncode == 0, run.stderr
    assert ders((tmp_path / "corp-ca.pem").read_bytes()) == [net_pki.corp_root.der]
    assert PROXY_PASSWORD not in run.stderr and f"{PROXY_USER}:***@" in run.stderr


def test_a_ca_written_where_the_config_files_ca_files_do_not_look_is_warned_about(
        auth_proxy, net_pki, tmp_path):
    """The pipeline's first step run from the repository's root, its settings in deploy/:
    '-o corp-ca.pem' lands in the working directory, while verify and the post-renderer read
    deploy/corp-ca.pem and would fail on the next step. Said where it happened; written to
    the path the file names, nothing is said."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    config = deploy / "ocean-proxy.yaml"
    config.write_text(yaml.safe_dump({"proxyUrl": auth_proxy.credentials_url,
                                      "caFiles": ["corp-ca.pem"]}))
    config.chmod(0o600)
    env = clean_env(OCEAN_PROXY_CONFIG="deploy/ocean-proxy.yaml")
    public_roots = ("--public-roots", net_pki.public_roots_file)

    run = ocean_proxy("discover-ca", *public_roots, "-o", "corp-ca.pem", env=env, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert ders((tmp_path / "corp-ca.pem").read_bytes()) == [net_pki.corp_root.der]
    warnings = [line for line in run.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "ocean-proxy: warning: corp-ca.pem is not a CA file that config file "
        "deploy/ocean-proxy.yaml names (caFiles: deploy/corp-ca.pem), which verify and the "
        "post-renderer read: write it there with -o, or name it in caFiles"], run.stderr

    (tmp_path / "release").symlink_to(deploy)  # the same directory, by another name
    for same in ("deploy/corp-ca.pem", tmp_path / "release" / "corp-ca.pem"):
        run = ocean_proxy("discover-ca", *public_roots, "-o", same, env=env, cwd=tmp_path)
        assert run.returncode == 0 and "warning" not in run.stderr, run.stderr
    verified = ocean_proxy("verify", *public_roots, env=env, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert PROXY_PASSWORD not in run.stderr + verified.stderr


def test_a_ca_files_entry_no_system_can_hold_does_not_cost_the_ca_found(
        auth_proxy, net_pki, tmp_path):
    """A NUL in a caFiles entry (a "\\0" in YAML) names no file: verify and the post-renderer
    refuse it when they read it; discover-ca, which reads no caFiles, still writes the CA, and
    says it is not where the config file looks."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(yaml.safe_dump({"proxyUrl": auth_proxy.credentials_url,
                                      "caFiles": ["corp\0ca.pem"]}))
    config.chmod(0o600)

    run = ocean_proxy("discover-ca", "--public-roots", net_pki.public_roots_file,
                      "--config", str(config), "-o", "corp-ca.pem", cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert ders((tmp_path / "corp-ca.pem").read_bytes()) == [net_pki.corp_root.der]
    [warning] = [line for line in run.stderr.splitlines() if "warning" in line]
    assert warning.startswith("ocean-proxy: warning: corp-ca.pem is not a CA file that config "
                              f"file {config} names"), run.stderr


def test_output_naming_a_file_the_run_reads_is_refused_and_the_file_kept(
        intercepting_proxy, net_pki, tmp_path):
    """'-o' on the config file (the proxy's password and the caFiles lost to one PEM), on the
    public roots it judges by (a bundle of public roots replaced by one corporate CA), or on an
    https:// proxy's CA file: refused before anything is asked of the proxy, each file left
    as it was, whether named by a flag or by the environment."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(yaml.safe_dump({"proxyUrl": intercepting_proxy.url,
                                      "caFiles": ["corp-ca.pem"]}))
    config.chmod(0o600)
    roots = tmp_path / "public-roots.pem"
    roots.write_bytes(net_pki.public_roots_file.read_bytes())
    proxy_ca = tmp_path / "proxy-ca.pem"
    proxy_ca.write_bytes(net_pki.corp_root.pem)
    originals = {path: path.read_bytes() for path in (config, roots, proxy_ca)}
    https_proxy = intercepting_proxy.https_url
    runs = {
        "--config": (["--config", config, "--public-roots", roots], {}),
        "OCEAN_PROXY_CONFIG": (["--public-roots", roots], {"OCEAN_PROXY_CONFIG": str(config)}),
        "--public-roots": (["--proxy-url", intercepting_proxy.url, "--public-roots", roots],
                           {}),
        "SSL_CERT_FILE": (["--proxy-url", intercepting_proxy.url],
                          {"SSL_CERT_FILE": str(roots)}),
        "--proxy-ca-file": (["--proxy-url", https_proxy, "--public-roots", roots,
                             "--proxy-ca-file", proxy_ca], {}),
    }
    targets = {"--config": config, "OCEAN_PROXY_CONFIG": config, "--public-roots": roots,
               "SSL_CERT_FILE": roots, "--proxy-ca-file": proxy_ca}
    requests = len(intercepting_proxy.log())

    for source, (args, env) in runs.items():
        run = ocean_proxy("discover-ca", *args, "-o", targets[source], env=clean_env(**env),
                          cwd=tmp_path)

        error, hint = failure(run, exit_code=2)
        assert error.startswith("-o names a file this run reads"), (source, error)
        assert "another file" in hint, (source, hint)
        assert {path: path.read_bytes() for path in originals} == originals, source
    assert len(intercepting_proxy.log()) == requests  # refused before connecting
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in originals)

    by_link = tmp_path / "settings.yaml"
    by_link.symlink_to(config.name)
    run = ocean_proxy("discover-ca", "--config", config, "--public-roots", roots,
                      "-o", by_link, cwd=tmp_path)
    failure(run, exit_code=2)
    assert config.read_bytes() == originals[config]


def test_output_dash_is_standard_output_as_check_bundle_reads_dash_as_standard_input(
        intercepting_proxy, net_pki, tmp_path):
    """'-o -' is standard output, as for curl and as '-' is standard input to check-bundle:
    the CA goes down the pipe, and no file named '-' turns up in the working directory."""
    run = ocean_proxy("discover-ca", "--proxy-url", intercepting_proxy.url,
                      "--public-roots", net_pki.public_roots_file, "-o", "-", cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert ders(run.stdout) == [net_pki.corp_root.der]
    assert list(tmp_path.iterdir()) == []
    assert "to standard output" in run.stderr
