"""check-bundle tells a person, or a pipeline, what each certificate is and what it will get."""

from __future__ import annotations

import base64
import json
import os
import pty
import re
import select
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyasn1.codec.ber import encoder as ber_encoder
from pyasn1.codec.der import decoder as der_decoder

from . import certs
from .certs import DAY, NOW
from .conftest import VENV_BIN, Run, clean_env, ocean_proxy


def openssl(*args: str, pem: bytes) -> str:
    return subprocess.run(["openssl", "x509", "-noout", *args], input=pem, capture_output=True,
                          check=True).stdout.decode().strip()


def test_report_shows_subject_issuer_validity_ca_fingerprint_and_verdict(tmp_path):
    root = certs.root("Corp Root CA")
    path = tmp_path / "ca.pem"
    path.write_bytes(root.pem)
    run = ocean_proxy("check-bundle", path)
    report = run.text
    assert run.returncode == 0, run.stderr
    assert f"{path}: certificate 1: ok" in report
    assert "subject       CN=Corp Root CA,O=Example Corp" in report
    assert "issuer        (self-signed)" in report
    assert f"valid         {root.cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC to " in report
    assert "CA            yes" in report
    fingerprint = openssl("-fingerprint", "-sha256", pem=root.pem).split("=", 1)[1]
    assert f"sha256        {fingerprint}" in report
    assert f"openssl hash  {openssl('-subject_hash', pem=root.pem)}" in report
    assert "1 certificate(s): 1 ok, 0 with warnings, 0 left out, 0 refused" in report


def test_json_report_for_pipelines(tmp_path):
    root = certs.root("Corp Root CA")
    soon = certs.root("Soon Root", not_after=NOW + 5 * DAY)
    path = tmp_path / "bundle.pem"
    path.write_bytes(root.pem + soon.pem)
    run = ocean_proxy("check-bundle", "--json", path)
    assert run.returncode == 0
    report = json.loads(run.stdout)
    assert report["ok"] is True
    assert report["counts"] == {"total": 2, "ok": 1, "warning": 1, "refused": 0, "skipped": 0,
                                "left_out": 0}
    first, second = report["certificates"]
    assert first["subject"] == "CN=Corp Root CA,O=Example Corp"
    assert first["is_ca"] is True and first["self_signed"] is True
    assert first["fingerprint_sha256"] == root.fingerprint
    assert second["verdict"] == "warning"
    assert "under 30 days" in second["warnings"][0]


def test_json_report_of_a_refused_bundle_says_why_and_fails(tmp_path):
    root = certs.root("Corp Root CA")
    path = tmp_path / "leaf.pem"
    path.write_bytes(certs.leaf(root).pem + root.key_pem)
    run = ocean_proxy("check-bundle", "--json", path)
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert report["ok"] is False
    assert report["certificates"][0]["verdict"] == "refused"
    assert "server certificate" in report["certificates"][0]["refusals"][0]["message"]
    assert "private key" in report["problems"][0]["message"]
    assert root.key_pem.decode().splitlines()[1] not in run.text


def test_several_files_are_judged_together(tmp_path):
    root = certs.root("Corp Root CA")
    inter = certs.intermediate(root)
    (tmp_path / "int.pem").write_bytes(inter.pem)
    (tmp_path / "root.pem").write_bytes(root.pem)
    alone = ocean_proxy("check-bundle", tmp_path / "int.pem")
    assert "intermediate CA" in alone.text
    together = ocean_proxy("check-bundle", tmp_path / "int.pem", tmp_path / "root.pem")
    assert "intermediate CA" not in together.text
    assert "2 certificate(s): 2 ok" in together.text


def test_stdin_is_read_with_a_dash():
    root = certs.root("Corp Root CA")
    run = ocean_proxy("check-bundle", "-", stdin=root.pem)
    assert run.returncode == 0
    assert "stdin: certificate 1: ok" in run.text
    assert "Ctrl-D" not in run.stderr  # a pipe is read as it comes: nothing to say


def _check_bundle_on_a_terminal(typed: bytes) -> tuple[str, int, bytes, bytes]:
    """``check-bundle -`` with a terminal on stdin: its first line on stderr (the prompt),
    then ``typed`` at the terminal; the exit code, stdout and the rest of stderr."""
    controller, terminal = pty.openpty()
    check = subprocess.Popen([VENV_BIN / "ocean-proxy", "check-bundle", "-"],
                             stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=clean_env())
    try:
        said = _first_line_within(check.stderr, seconds=20)
        os.write(controller, typed)
        out, err = check.communicate(timeout=20)
    finally:
        check.kill()
        check.wait()
        os.close(controller)
        os.close(terminal)
    return said, check.returncode, out, err


def test_a_terminal_on_stdin_is_told_what_is_awaited_and_how_to_end_it():
    root = certs.root("Corp Root CA")
    said, code, out, err = _check_bundle_on_a_terminal(root.pem + b"\x04")  # Ctrl-D at a line start
    assert "paste" in said and "Ctrl-D" in said, said
    assert said.startswith("ocean-proxy: ") and "warning" not in said, said  # a prompt
    assert code == 0, err
    assert "stdin: certificate 1: ok" in out.decode()
    assert "Ctrl-D" not in err.decode()  # said once


def test_nothing_pasted_on_the_terminal_is_one_error_not_a_failed_pipe():
    """Ctrl-D before any paste printed a report of no certificates and 'the command piped into
    it may have failed', about a pipe there never was."""
    _, code, out, err = _check_bundle_on_a_terminal(b"\x04")  # Ctrl-D, nothing pasted
    assert code == 1 and out == b""
    assert err.decode().splitlines() == [
        "ocean-proxy: error: nothing was pasted on the terminal",
        "ocean-proxy: hint: paste the PEM, then press Ctrl-D at the start of a line; or name "
        "the CA file: 'ocean-proxy check-bundle FILE'"]


def test_a_named_file_is_read_without_a_prompt_whatever_stdin_is(tmp_path):
    """Run at a terminal with the CA's file named: nothing is awaited from the terminal, so
    nothing tells the user to paste a PEM there."""
    root = certs.root("Corp Root CA")
    (tmp_path / "ca.pem").write_bytes(root.pem)
    controller, terminal = pty.openpty()
    try:
        check = subprocess.run([VENV_BIN / "ocean-proxy", "check-bundle", tmp_path / "ca.pem"],
                               stdin=terminal, capture_output=True, env=clean_env(), timeout=20)
    finally:
        os.close(controller)
        os.close(terminal)
    assert check.returncode == 0, check.stderr
    assert "certificate 1: ok" in check.stdout.decode()
    assert "Ctrl-D" not in check.stderr.decode() and "paste" not in check.stderr.decode()


def _first_line_within(stream, seconds: float) -> str:
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"nothing said on stderr within {seconds} s: the user sees a silent wait"
    return os.read(stream.fileno(), 4096).decode()


def test_the_text_report_escapes_control_characters_of_names_and_files(tmp_path):
    path = tmp_path / "corp\x1b[31m.pem"
    path.write_bytes(certs.root("Evil\x1b[2J\x07 Root CA").pem)

    run = ocean_proxy("check-bundle", path)

    assert b"\x1b" not in run.stdout and b"\x07" not in run.stdout
    assert b"Evil\\x1b[2J\\x07 Root CA" in run.stdout and b"corp\\x1b[31m.pem" in run.stdout


def test_name_constraints_are_judged_for_the_spot_api_and_the_auto_updates_chart_repository(
        tmp_path):
    """Go enforces a CA's name constraints on the names it signs (test_runtime_verdicts pins
    it): a CA limited to spotinst.io can sign the proxy's certificate for api.spotinst.io,
    so the controller works, but not for charts.spot.io, which the auto-update Job's helm
    reaches: usable, with a warning that names what will fail."""
    from .runtime_pki import ca

    spot_api_only = ca("Spot API Only Root CA", permitted_dns=("spotinst.io",))
    both = ca("Spot Names Root CA", permitted_dns=("spotinst.io", "spot.io"))
    path = tmp_path / "bundle.pem"
    path.write_bytes(spot_api_only.pem + both.pem)

    run = ocean_proxy("check-bundle", "--json", path)

    assert run.returncode == 0, run.stderr
    verdicts = {c["subject"].split(",")[0]: c for c in json.loads(run.stdout)["certificates"]}
    limited = verdicts["CN=Spot API Only Root CA"]
    assert limited["verdict"] == "warning"
    assert any("charts.spot.io" in w and "auto-update" in w for w in limited["warnings"])
    assert verdicts["CN=Spot Names Root CA"]["verdict"] == "ok"


def test_a_dot_constraint_allows_the_names_below_it_and_an_excluded_name_is_refused(tmp_path):
    """As Go reads name constraints: '.spotinst.io' permits api.spotinst.io (a CA limited so
    is the corporate CA a user needs), and a CA that excludes api.spotinst.io cannot sign the
    proxy's certificate for it: left out, and alone in the bundle, refused."""
    from .runtime_pki import ca

    below = ca("Dot Constrained Root CA", permitted_dns=(".spotinst.io", ".spot.io"))
    excluding = ca("Excluding Root CA", excluded_dns=("api.spotinst.io",))
    (tmp_path / "below.pem").write_bytes(below.pem)
    (tmp_path / "excluding.pem").write_bytes(excluding.pem)

    accepted = ocean_proxy("check-bundle", "--json", tmp_path / "below.pem")
    refused = ocean_proxy("check-bundle", "--json", tmp_path / "excluding.pem")

    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["certificates"][0]["verdict"] == "ok"
    assert refused.returncode != 0
    [entry] = json.loads(refused.stdout)["certificates"]
    assert entry["verdict"] not in ("ok", "warning")
    assert "api.spotinst.io" in json.dumps(entry)


def test_the_summary_counts_the_server_certificate_of_pasted_openssl_output(tmp_path):
    """Pasted 'openssl s_client -showcerts' output holds the server's own certificate, which
    is skipped: the summary adds up to the total it names."""
    root = certs.root("Corp Root CA")
    inter = certs.intermediate(root)
    chain = [certs.leaf(inter), inter, root]
    lines = [b"CONNECTED(00000003)", b"---", b"Certificate chain"]
    for depth, issued in enumerate(chain):
        lines += [f" {depth} s:{issued.subject}".encode(), issued.pem.rstrip(b"\n")]
    path = tmp_path / "pasted.txt"
    path.write_bytes(b"\n".join([*lines, b"---", b"Server certificate", b"DONE", b""]))
    run = ocean_proxy("check-bundle", path)
    assert run.returncode == 0, run.stderr
    assert f"{path}: certificate 1: skipped" in run.text
    assert run.text.endswith(
        "3 certificate(s): 2 ok, 0 with warnings, 0 left out, 0 refused, 1 skipped\n")


def _as_nss_exports(der: bytes) -> bytes:
    """The same PKCS#12 as NSS (pk12util, Firefox's backup) writes it: BER, every SEQUENCE
    and SET of indefinite length."""
    structure, _ = der_decoder.decode(der)
    return ber_encoder.encode(structure, defMode=False)


@pytest.mark.parametrize("encoding", ["DER", "BER"])
@pytest.mark.parametrize("password", [None, b"exported"])
def test_a_pkcs12_export_is_named_with_the_command_that_converts_it(tmp_path, password,
                                                                    encoding):
    """Windows, browsers and proxies export a CA as .p12/.pfx, with or without a password:
    it was 'neither an X.509 certificate nor PKCS#7', with a hint naming the formats only.
    NSS's exports, of indefinite length, were not recognized either."""
    root = certs.root("Corp Root CA")
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    exported = tmp_path / "corp-ca.p12"
    der = pkcs12.serialize_key_and_certificates(b"corp", None, None, [root.cert], encryption)
    exported.write_bytes(der if encoding == "DER" else _as_nss_exports(der))

    run = ocean_proxy("check-bundle", exported)
    assert run.returncode == 1
    error, hint = run.stderr.splitlines()
    assert error == (f"ocean-proxy: error: {exported}: DER data is a PKCS#12 (.p12, .pfx) "
                     "file, not certificates")
    command = re.search(r"convert it: (openssl .*?), then", hint)
    assert command, hint
    argv = command.group(1).replace("FILE", str(exported)).split()
    subprocess.run([*argv, "-passin", f"pass:{(password or b'').decode()}"], cwd=tmp_path,
                   check=True, capture_output=True)
    followed = ocean_proxy("check-bundle", tmp_path / "ca.pem")
    assert followed.returncode == 0, followed.stderr
    assert f"{tmp_path / 'ca.pem'}: certificate 1: ok" in followed.text


def test_a_pkcs12_of_a_server_and_its_chain_becomes_its_cas_as_the_hint_says(tmp_path):
    """A server's export (its key, its certificate, the CAs above it): the hint's command kept
    the server's certificate, which the next check refuses as not a CA, and the hint had no
    word of the option that keeps the CAs alone."""
    root = certs.root("Corp Root CA")
    inter = certs.intermediate(root)
    server = certs.leaf(inter)
    exported = tmp_path / "server.p12"
    exported.write_bytes(pkcs12.serialize_key_and_certificates(
        b"server", server.key, server.cert, [inter.cert, root.cert],
        serialization.NoEncryption()))

    hint = ocean_proxy("check-bundle", exported).stderr.splitlines()[1]
    command = re.search(r"convert it: (openssl .*?), then", hint)
    assert command, hint
    argv = [*command.group(1).split(), "-passin", "pass:"]
    subprocess.run(argv, cwd=tmp_path, check=True, capture_output=True)
    assert ocean_proxy("check-bundle", tmp_path / "ca.pem").returncode == 1  # the server's
    assert "then add -cacerts, which keeps only its CAs" in hint, hint
    subprocess.run([*argv, "-cacerts"], cwd=tmp_path, check=True, capture_output=True)
    followed = ocean_proxy("check-bundle", tmp_path / "ca.pem")
    assert followed.returncode == 0, followed.stderr
    assert followed.text.endswith(
        "2 certificate(s): 2 ok, 0 with warnings, 0 left out, 0 refused\n"), followed.text


def _java_keystore(der: bytes, alias: str = "corp", password: str = "changeit") -> bytes:
    """A JKS truststore holding one certificate, as keytool writes it (-storetype JKS): the
    entries, then a SHA-1 over the password, a fixed phrase and the entries."""
    import hashlib
    import struct

    def utf(text: str) -> bytes:
        return struct.pack(">H", len(text)) + text.encode()

    body = (struct.pack(">III", 0xFEEDFEED, 2, 1) + struct.pack(">I", 2) + utf(alias)
            + struct.pack(">q", 1_700_000_000_000) + utf("X.509") + struct.pack(">I", len(der))
            + der)
    digest = hashlib.sha1(password.encode("utf-16-be") + b"Mighty Aphrodite" + body).digest()
    return body + digest


def test_a_java_keystore_is_named_with_the_command_that_exports_its_ca(tmp_path):
    """A proxy team hands out its CA as the truststore.jks of their Java clients: it was 'no
    certificate found', expected PEM."""
    root = certs.root("Corp Root CA")
    keystore = tmp_path / "truststore.jks"
    keystore.write_bytes(_java_keystore(root.cert.public_bytes(serialization.Encoding.DER)))

    run = ocean_proxy("check-bundle", keystore)
    assert run.returncode == 1
    error, hint = run.stderr.splitlines()
    assert error == f"ocean-proxy: error: {keystore}: it is a Java keystore, not certificates"
    assert hint == (f"ocean-proxy: hint: export its CA: keytool -exportcert -rfc -keystore "
                    f"{keystore} -alias ALIAS > ca.pem (to list the aliases: keytool -list "
                    f"-keystore {keystore}), then give ca.pem")
    if shutil.which("keytool") is None:  # Java's own tool: followed where it is installed
        return
    command = hint.partition("export its CA: ")[2].partition(" > ca.pem")[0]
    argv = command.replace("FILE", str(keystore)).replace("ALIAS", "corp").split()
    exported = subprocess.run([*argv, "-storepass", "changeit"], capture_output=True, check=True)
    (tmp_path / "ca.pem").write_bytes(exported.stdout)
    followed = ocean_proxy("check-bundle", tmp_path / "ca.pem")
    assert followed.returncode == 0, followed.stderr
    assert f"{tmp_path / 'ca.pem'}: certificate 1: ok" in followed.text


def test_a_java_keystore_with_a_space_in_its_name_gets_commands_that_paste(tmp_path):
    """The name is shell-quoted into the hint; the aliases' command sat in quotes of its own,
    which the quoted name broke ("('keytool -list -keystore 'my ks.jks'')")."""
    import shlex

    root = certs.root("Corp Root CA")
    keystore = tmp_path / "my ks.jks"
    keystore.write_bytes(_java_keystore(root.cert.public_bytes(serialization.Encoding.DER)))

    run = ocean_proxy("check-bundle", keystore)
    assert run.returncode == 1
    hint = run.stderr.splitlines()[1]
    export = hint.partition("export its CA: ")[2].partition(" > ca.pem")[0]
    listing = hint.partition("(to list the aliases: ")[2].partition("), then")[0]
    assert shlex.split(export) == ["keytool", "-exportcert", "-rfc", "-keystore",
                                   str(keystore), "-alias", "ALIAS"]
    assert shlex.split(listing) == ["keytool", "-list", "-keystore", str(keystore)]


@pytest.mark.parametrize("name, codec", [("corp-ca.pem", "utf-16"), ("ca.pem", "utf-16"),
                                         ("ca.pem", "utf-16-be"), ("ca.pem", "utf-16-le")],
                         ids=["corp-ca.pem", "ca.pem", "big-endian", "little-endian"])
def test_a_pem_saved_as_utf16_is_named_with_the_command_that_converts_it(tmp_path, name, codec):
    """Windows PowerShell's '>' writes UTF-16 with a byte order mark: the file looks like a
    PEM in any editor, and was 'no certificate found', expected PEM. The command the hint
    gives works on a file of any name (a shell empties the file '>' names before iconv
    reads it), and on UTF-16 of either byte order without a byte order mark, whichever order
    iconv assumes then."""
    root = certs.root("Corp Root CA")
    saved = tmp_path / name
    saved.write_bytes(root.pem.decode("ascii").replace("\n", "\r\n").encode(codec))

    error, hint = refused_with_a_hint(saved)
    assert error == f"ocean-proxy: error: {saved}: the PEM text is UTF-16, not ASCII"
    command = re.search(r"convert it: (iconv .*?) \(in PowerShell", hint)
    assert command, hint
    subprocess.run(command.group(1).replace("FILE", str(saved)), shell=True, cwd=tmp_path,
                   check=True, capture_output=True)
    given = re.search(r"then give (\S+)$", hint)
    assert given, hint
    followed = ocean_proxy("check-bundle", tmp_path / given.group(1))
    assert followed.returncode == 0, followed.stderr
    assert f"{tmp_path / given.group(1)}: certificate 1: ok" in followed.text


def _followed(hint: str, file: Path, cwd: Path) -> Run:
    """The hint's shell command run on ``file``, then check-bundle on the file it names."""
    command = re.search(r"^ocean-proxy: hint: [^:]*: (.*?)(?: \(or [^)]*\))?, then give (\S+)",
                        hint)
    assert command, hint
    subprocess.run(command.group(1).replace("FILE", shlex.quote(str(file))), shell=True,
                   cwd=cwd, check=True, capture_output=True)
    return ocean_proxy("check-bundle", cwd / command.group(2))


def refused_with_a_hint(file: Path) -> tuple[str, str]:
    """check-bundle on ``file``: it exits 1 with one error line and one hint; the two."""
    run = ocean_proxy("check-bundle", file)
    assert run.returncode == 1
    error, hint = run.stderr.splitlines()
    return error, hint


def assert_followed_hint_mends(hint: str, file: Path, cwd: Path) -> None:
    """The hint's command, run on ``file``, gives a file check-bundle reads."""
    followed = _followed(hint, file, cwd)
    assert followed.returncode == 0, followed.stderr
    assert "certificate 1: ok" in followed.text


def as_kubectl_prints(kubectl, tmp_path: Path, pem: bytes) -> Path:
    """``pem`` put in a Secret by kubectl, its data saved as 'kubectl get -o jsonpath' prints
    it (base64)."""
    (tmp_path / "bundle.pem").write_bytes(pem)
    printed = subprocess.run(
        [kubectl, "create", "secret", "generic", "corp-ca", "--from-file=ca.crt=bundle.pem",
         "--dry-run=client", "-o", r"jsonpath={.data.ca\.crt}"],
        cwd=tmp_path, check=True, capture_output=True).stdout
    saved = tmp_path / "from-the-secret.pem"
    saved.write_bytes(printed)
    return saved


def test_a_secrets_data_as_kubectl_prints_it_is_named_with_the_command_that_decodes_it(
        tmp_path, kubectl):
    """The CA already sits in a Secret (caBundleSecret.name): 'kubectl get secret -o jsonpath'
    prints its data base64-encoded, and that file was 'no certificate found', expected PEM,
    with nothing to tell what was wrong with a file that came straight from the cluster."""
    saved = as_kubectl_prints(kubectl, tmp_path, certs.root("Corp Root CA").pem)

    run = ocean_proxy("check-bundle", saved)
    assert run.returncode == 1
    assert "0 certificate(s): 0 ok, 0 with warnings, 0 left out, 0 refused; 1 block(s) refused" \
        in run.text
    error, hint = run.stderr.splitlines()
    assert error == (f"ocean-proxy: error: {saved}: no certificate found: it is PEM text "
                     "encoded in base64 once more")
    assert_followed_hint_mends(hint, saved, tmp_path)


def test_a_file_a_failed_discover_ca_emptied_is_named_empty_with_the_likely_cause(tmp_path):
    """'ocean-proxy discover-ca ... > ca.pem': the shell empties the file before the command
    runs, and a run that finds no CA leaves it so; checked next, it was 'no certificate
    found', expected PEM, as if it held something else."""
    script = (f"{VENV_BIN / 'ocean-proxy'} discover-ca --proxy-url http://127.0.0.1:9 "
              "--timeout 2 > ca.pem; "
              f"exec {VENV_BIN / 'ocean-proxy'} check-bundle ca.pem")
    run = subprocess.run(["sh", "-c", script], env=clean_env(), cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 1 and (tmp_path / "ca.pem").read_bytes() == b""
    assert "ocean-proxy: error: ca.pem is empty\n" in run.stderr, run.stderr
    assert ("ocean-proxy: hint: expected PEM (-----BEGIN CERTIFICATE-----), DER or PKCS#7 "
            "certificates; a command whose output was sent to it (> FILE) may have failed "
            "before writing any\n") in run.stderr


def test_a_self_signed_server_certificate_without_basic_constraints_is_named_a_servers(
        tmp_path):
    """A server's own self-signed certificate (an https:// proxy's, copied from 'openssl
    s_client -connect proxy:3128') often has no basic constraints: it was refused only for
    that, with 'ask the proxy's owners for a CA certificate without this problem', as if a
    CA with a flaw. It names hosts: it is said to be a server's, and how to find the CA."""
    server = certs.make_cert("proxy.corp.example", ca=None, dns_names=("proxy.corp.example",))
    legacy_root = certs.root("Legacy Root", ca=None)  # no names: an old root, said as before
    (tmp_path / "server.pem").write_bytes(server.pem)
    (tmp_path / "root.pem").write_bytes(legacy_root.pem)

    run = ocean_proxy("check-bundle", tmp_path / "server.pem")
    assert run.returncode == 1
    assert (f"{tmp_path / 'server.pem'}: certificate 1 'CN=proxy.corp.example,O=Example Corp' "
            "has no basic constraints extension and names hosts, as a server's own "
            "certificate does: refused as a CA by the controller (Go) and the log-shipper "
            "(OpenSSL)\n") in run.stderr
    assert ("ocean-proxy: hint: trust the CA that issued the proxy's certificates instead; "
            "'ocean-proxy discover-ca' finds it\n") in run.stderr
    run = ocean_proxy("check-bundle", tmp_path / "root.pem")
    assert "has no basic constraints extension: refused as a CA" in run.stderr
    assert "ask the proxy's owners for a CA certificate without this problem" in run.stderr


def test_an_empty_file_name_from_an_unset_variable_is_said_to_be_empty(tmp_path):
    """'helm ocean-proxy check-bundle "$CA_FILE"' in a CI job where CA_FILE is not set was
    'CA file does not exist', with a hint about relative paths: the name itself is empty."""
    script = f'exec {VENV_BIN / "ocean-proxy"} check-bundle "$CA_FILE"'
    run = subprocess.run(["sh", "-c", script], env=clean_env(), cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == ("ocean-proxy: error: check-bundle is given an empty file name\n"
                          "ocean-proxy: hint: name the CA file (is the variable it comes from "
                          "set?)\n")


def test_a_pem_body_without_its_begin_and_end_lines_is_named_as_such(tmp_path):
    """Only the base64 lines of a PEM were pasted: it was 'no certificate found', expected
    PEM, though the certificate is all there; adding the two lines the hint names mends it."""
    root = certs.root("Corp Root CA")
    body = b"".join(line + b"\n" for line in root.pem.splitlines() if b"-----" not in line)
    pasted = tmp_path / "ca.pem"
    pasted.write_bytes(body)

    run = ocean_proxy("check-bundle", pasted)
    assert run.returncode == 1
    error, hint = run.stderr.splitlines()
    assert error == (f"ocean-proxy: error: {pasted}: no certificate found: it is base64 "
                     "without PEM's -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- "
                     "lines")
    lines = re.search(r"add the line (\S+ \S+) before it and (\S+ \S+) after it", hint)
    assert lines, hint
    pasted.write_bytes(lines.group(1).encode() + b"\n" + body + lines.group(2).encode() + b"\n")
    followed = ocean_proxy("check-bundle", pasted)
    assert followed.returncode == 0, followed.stderr
    assert f"{pasted}: certificate 1: ok" in followed.text


def test_a_pem_copied_out_of_a_json_string_is_named_with_the_command_that_mends_it(tmp_path):
    """A secret store answers in JSON, whose strings write each line break as '\\n': the PEM
    copied from between the quotes was 'damaged: it is not base64', and the hint said to
    copy it again, which gives the same text."""
    root = certs.root("Corp Root CA")
    copied = tmp_path / "ca-from-json.pem"
    copied.write_text(json.dumps({"certificate": root.pem.decode()}).split('"')[3] + "\n")

    error, hint = refused_with_a_hint(copied)
    assert error == (f"ocean-proxy: error: {copied}: block 1 (line 1) is damaged: its line "
                     "breaks are written as '\\n'")
    assert_followed_hint_mends(hint, copied, tmp_path)


@pytest.mark.parametrize("saved", ["crlf", "bom"])
def test_a_secrets_data_saved_by_a_windows_editor_is_named_with_a_command_that_decodes_it(
        tmp_path, saved):
    """The Secret's data, base64, saved with Windows line ends or a UTF-8 byte order mark
    (Notepad, PowerShell's Out-File): ocean-proxy named it as base64 once more, and the
    command it gave, base64 -d, stopped at the first CR or at the mark with 'invalid input'
    and wrote nothing."""
    root = certs.root("Corp Root CA")
    lines = base64.encodebytes(root.pem).splitlines()
    saved_file = tmp_path / "from-the-secret.pem"
    saved_file.write_bytes(b"".join(line + b"\r\n" for line in lines) if saved == "crlf"
                           else b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")

    error, hint = refused_with_a_hint(saved_file)
    assert error.endswith("no certificate found: it is PEM text encoded in base64 once more")
    assert_followed_hint_mends(hint, saved_file, tmp_path)


def test_a_secrets_data_of_a_bundle_with_a_heading_is_named_as_base64_once_more(
        tmp_path, kubectl):
    """A corporate bundle opens with a line about it ('# Example Corp Root CA', or the
    'subject=' line openssl prints) before its first -----BEGIN line: the Secret made from it,
    as kubectl prints its data, is base64 of that whole file, and is named as such too."""
    root = certs.root("Corp Root CA")
    saved = as_kubectl_prints(kubectl, tmp_path, b"# Example Corp Root CA\n" + root.pem)

    error, hint = refused_with_a_hint(saved)
    assert error.endswith("no certificate found: it is PEM text encoded in base64 once more")
    assert_followed_hint_mends(hint, saved, tmp_path)


def test_a_pkcs7_bundle_in_base64_without_its_lines_is_named_with_the_command_that_decodes_it(
        tmp_path):
    """A .p7b answered by an API as base64 (no -----BEGIN PKCS7----- line) was said to be a
    certificate without its BEGIN CERTIFICATE lines; adding them, as the hint said, gave 'not
    a valid X.509 certificate', and the user was told to copy it again. It is named as the
    PKCS#7 bundle it is, and the hint's command gives a file that is read."""
    root = certs.root("Corp Root CA")
    saved = tmp_path / "ca.p7b.b64"
    saved.write_bytes(base64.encodebytes(certs.pkcs7_bundle(
        root, encoding=serialization.Encoding.DER)))

    error, hint = refused_with_a_hint(saved)
    assert error == (f"ocean-proxy: error: {saved}: no certificate found: it is a PKCS#7 bundle "
                     "in base64, without PEM's -----BEGIN PKCS7----- and -----END PKCS7----- "
                     "lines")
    assert "BEGIN CERTIFICATE" not in hint
    assert_followed_hint_mends(hint, saved, tmp_path)


def test_a_private_key_in_base64_is_named_a_key_not_a_certificate_to_wrap(tmp_path):
    """A private key's DER in base64 (a Secret's tls.key, as 'kubectl get -o jsonpath'
    prints it) was said to be a certificate without its BEGIN CERTIFICATE lines: the hint had
    the user paste the key between certificate lines. It is named a key, as the PEM key is."""
    root = certs.root("Corp Root CA")
    saved = tmp_path / "tls.key.b64"
    saved.write_bytes(base64.encodebytes(root.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())))

    error, hint = refused_with_a_hint(saved)
    assert error == (f"ocean-proxy: error: {saved}: no certificate found: it is a private key, "
                     "in base64")
    assert "BEGIN CERTIFICATE" not in hint
    assert "treat the key as exposed" in hint


@pytest.mark.parametrize("name", ["corp ca.b64", "corp-ca.b64"])
def test_a_hints_command_names_the_file_given_and_runs_as_pasted(tmp_path, name):
    """The hints said 'base64 -d < FILE > ca.pem', 'openssl pkcs12 -in FILE ...': a command
    to edit before it runs, for a file the user had just named."""
    root = certs.root("Corp Root CA")
    (tmp_path / name).write_bytes(base64.encodebytes(root.pem))
    run = ocean_proxy("check-bundle", name, cwd=tmp_path)
    assert run.returncode == 1
    hint = run.stderr.splitlines()[1]
    assert f"base64 -d < {shlex.quote(name)} > ca.pem" in hint, hint
    command = hint.partition("decode it: ")[2].partition(", then")[0]
    subprocess.run(command, shell=True, cwd=tmp_path, check=True)
    assert ocean_proxy("check-bundle", "ca.pem", cwd=tmp_path).returncode == 0


def test_a_hint_whose_command_would_overwrite_the_file_given_keeps_its_placeholder(tmp_path):
    """'base64 -d < ca.pem > ca.pem' would empty ca.pem before base64 reads it."""
    root = certs.root("Corp Root CA")
    (tmp_path / "ca.pem").write_bytes(base64.encodebytes(root.pem))
    run = ocean_proxy("check-bundle", "ca.pem", cwd=tmp_path)
    assert "base64 -d < FILE > ca.pem" in run.stderr.splitlines()[1]
