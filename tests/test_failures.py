"""Every way the post-renderer and check-bundle refuse input: a one-line error and a hint on
stderr, the right exit code, nothing on stdout, no traceback, and no secret in any message."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from . import certs
from .certs import DAY, NOW
from .conftest import REPO, VENV_BIN, clean_env, ocean_proxy, post_renderer, run_command

TOKEN = "spot-token-7f3a9c"
PASSWORD = "Pr0xy-Passw0rd"

DEPLOYMENT = f"""---
# Source: ocean-kubernetes-controller/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: oc-ocean-kubernetes-controller
data:
  token: {TOKEN}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: oc-ocean-kubernetes-controller
spec:
  template:
    spec:
      containers:
      - name: ocean-kubernetes-controller
        image: spotinst/ocean-kubernetes-controller:2
        env:
        - name: SPOTINST_TOKEN
          value: {TOKEN}
""".encode()


def assert_refused(run, exit_code: int, *fragments: str) -> str:
    lines = run.stderr.splitlines()
    errors = [line for line in lines if line.startswith("ocean-proxy: error: ")]
    hints = [line for line in lines if line.startswith("ocean-proxy: hint: ")]
    assert run.returncode == exit_code, run.stderr
    assert run.stdout == b""
    assert len(errors) == 1, run.stderr
    assert len(hints) == 1, run.stderr
    assert "Traceback" not in run.stderr
    for secret in (TOKEN, PASSWORD):
        assert secret not in run.stderr
    for fragment in fragments:
        assert fragment in errors[0] + hints[0], run.stderr
    return errors[0]


@pytest.fixture(scope="module")
def corp_root():
    return certs.root("Corp Root")


def test_unknown_flag_is_a_usage_error():
    run = ocean_proxy("render", "--proxy", "x", stdin=DEPLOYMENT)
    assert_refused(run, 2, "unknown flag --proxy; did you mean --proxy-url?", "--help")


def test_post_renderer_usage_errors_name_the_post_renderer():
    run = subprocess.run([VENV_BIN / "ocean-proxy-post-renderer", "--bogus"],
                         input=DEPLOYMENT, capture_output=True, env=clean_env())
    assert run.returncode == 2
    assert run.stdout == b""
    assert "ocean-proxy-post-renderer --help" in run.stderr.decode()


@pytest.mark.parametrize("url, fragment", [
    ("socks5://proxy.corp:1080", "uses the scheme 'socks5'"),
    (f"http://user:{PASSWORD}@proxy.corp:99999", "invalid port"),
    (f"http://user:{PASSWORD}@proxy corp:3128", "spaces"),
    ("http://proxy.corp:3128/some/path", "has a path"),
    (f"http://:{PASSWORD}@proxy.corp:3128", "without a user name"),
    (f"http://user:50%-{PASSWORD}@proxy.corp:3128", "must be percent-encoded"),
    (f"http://user:^{PASSWORD}@proxy.corp:3128", "'^' as %5E"),
])
def test_unusable_proxy_urls_are_refused_without_echoing_them(url, fragment):
    run = ocean_proxy("render", "--proxy-url", url, stdin=DEPLOYMENT)
    error = assert_refused(run, 1, "--proxy-url", fragment)
    assert url not in error


def test_proxy_url_from_the_environment_is_named_as_such():
    env = clean_env(OCEAN_PROXY_URL="ftp://proxy")
    assert_refused(ocean_proxy("render", stdin=DEPLOYMENT, env=env), 1, "OCEAN_PROXY_URL")


@pytest.mark.parametrize("name", ["OCEAN_PROXY_URL", "OCEAN_PROXY_CA_FILE",
                                  "OCEAN_PROXY_CONFIG"])
@pytest.mark.parametrize("program", ["ocean-proxy", "ocean-proxy-post-renderer"])
def test_a_blank_variable_is_refused_by_name(name, program):
    """A CI secret that holds a line break alone, exported as the variable: one error naming
    it, before the release is read, not a render without the proxy or CA it was to give."""
    env = clean_env(**{name: "\n"})
    run = ocean_proxy("render", stdin=DEPLOYMENT, env=env) if program == "ocean-proxy" \
        else post_renderer(stdin=DEPLOYMENT, env=env)
    assert_refused(run, 1, f"{name} is blank", f"leave it empty ({name}=) or unset")


def test_missing_ca_file():
    assert_refused(ocean_proxy("render", "--ca-file", "/nonexistent/ca.pem", stdin=DEPLOYMENT),
                   1, "/nonexistent/ca.pem does not exist")


def test_ca_file_with_a_private_key_never_shows_the_key(corp_root, tmp_path):
    path = tmp_path / "ca.pem"
    path.write_bytes(corp_root.pem + corp_root.key_pem)
    run = ocean_proxy("render", "--ca-file", path, stdin=DEPLOYMENT)
    assert_refused(run, 1, "is a private key")
    for line in corp_root.key_pem.decode().splitlines()[1:-1]:
        assert line not in run.stderr


@pytest.mark.parametrize("make, fragment", [
    (lambda root: certs.root("Old", not_before=NOW - 90 * DAY, not_after=NOW - DAY).pem,
     "expired on"),
    (lambda root: certs.root("Later", not_before=NOW + 9 * DAY).pem, "is not valid before"),
    (lambda root: certs.leaf(root).pem, "is a server certificate, not a CA"),
    (lambda root: root.pem[:300], "is truncated"),
    (lambda root: b"\x00\x01garbage", "no certificate found"),
], ids=["expired", "not-yet-valid", "leaf", "truncated", "garbage"])
def test_refused_bundles(corp_root, tmp_path, make, fragment):
    path = tmp_path / "ca.pem"
    path.write_bytes(make(corp_root))
    assert_refused(ocean_proxy("render", "--proxy-url", "http://p:3128", "--ca-file", path,
                               stdin=DEPLOYMENT), 1, fragment)


@pytest.mark.parametrize("critical, named", [
    (lambda key: x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
     "marks its authority key identifier extension (2.5.29.35) as critical"),
    (lambda key: x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
     "marks its subject key identifier extension (2.5.29.14) as critical"),
    # Active Directory Certificate Services' own, in many corporate CAs
    (lambda key: x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.311.21.7"),
                                            b"\x30\x08\x06\x03\x2a\x03\x04\x02\x01\x01"),
     "marks its Microsoft certificate template extension (1.3.6.1.4.1.311.21.7) as critical"),
    (lambda key: x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.7"),
                                            b"\x05\x00"),
     "marks an extension Go and OpenSSL do not know (OID 1.3.6.1.4.1.55555.7) as critical"),
], ids=["known", "key-identifier", "adcs-template", "unknown"])
def test_a_ca_with_a_critical_extension_the_runtimes_refuse_is_named_with_the_extension(
        tmp_path, critical, named):
    """Both runtimes refuse a CA marking critical an extension they do not handle: the error
    names the CA and the extension in words, the hint what to ask the proxy's owners for."""
    from .runtime_pki import ca, ec_key

    key = ec_key()
    path = tmp_path / "ca.pem"
    path.write_bytes(ca("Critical Corp Root CA", key=key, critical_known=(critical(key),)).pem)
    run = ocean_proxy("render", "--proxy-url", "http://p:3128", "--ca-file", path,
                      stdin=DEPLOYMENT)
    assert_refused(run, 1, "'CN=Critical Corp Root CA", named,
                   "refused by the controller (Go) and the log-shipper (OpenSSL)",
                   "hint: ask the proxy's owners to re-issue this CA with that extension not "
                   "marked critical")


def test_refused_bundle_from_the_chart_secret_names_the_secret(corp_root):
    import base64

    leaf = base64.b64encode(certs.leaf(corp_root).pem).decode()
    manifests = DEPLOYMENT + f"""
        - name: USER_ENV_CERTIFICATES
          valueFrom:
            secretKeyRef: {{name: oc-ca, key: userEnvCertificates.pem, optional: true}}
---
apiVersion: v1
kind: Secret
metadata:
  name: oc-ca
data:
  userEnvCertificates.pem: {leaf}
""".encode()
    assert_refused(ocean_proxy("render", "--proxy-url", "http://p:3128", stdin=manifests), 1,
                   "Secret 'oc-ca' key 'userEnvCertificates.pem': certificate 1")


@pytest.mark.parametrize("content, fragment", [
    ("proxyURL: http://p:3128\n", "did you mean 'proxyUrl'?"),
    ("proxyUrl: [a, b]\n", "'proxyUrl' must be a string"),
    ("proxyUrl: http://p:3128\n  bad: [\n", "is not valid YAML"),
    ("- a\n- b\n", "must be a mapping"),
    ("autoUpdate: sometimes\n", "auto-update policy 'sometimes' is unknown"),
    ("proxyUrl: http://p:3128\ncaFiles:\n\t- ca.pem\n",
     "has a tab at line 3, column 1, where YAML allows only spaces"),
    ("caFiles:\n  - ca.pem\n\tnoProxy: .corp\n",
     "has a tab at line 3, column 1, where YAML allows only spaces"),
])
def test_bad_config_files(tmp_path, content, fragment):
    path = tmp_path / "ocean-proxy.yaml"
    path.write_text(content)
    assert_refused(ocean_proxy("render", "--config", path, stdin=DEPLOYMENT), 1, fragment)


@pytest.mark.parametrize("via, hint", [
    ("env", "separate several files with ':', as in PATH, not ','"),
    ("flag", "give each file a flag of its own: --ca-file=FILE "
             "(under helm: --post-renderer-args --ca-file=FILE)"),
    ("config", "write caFiles as a YAML list: caFiles: [a.pem, b.pem]"),
])
def test_ca_files_joined_by_a_comma_are_told_how_several_are_given(tmp_path, via, hint):
    """'a.pem,b.pem', as --no-proxy takes its list: both files exist, the joined name does
    not; the hint is the separator that works, not 'check the path', and a flag is said as
    helm passes it too. In a config file ('caFiles: a.pem, b.pem', one YAML string) the hint
    was only where a relative path starts."""
    files = ["root.pem", "inspection.pem"]
    for name in files:
        (tmp_path / name).write_bytes(certs.root("Corp " + name).pem)
    joined = ",".join(files)
    args, env = ["render", "--proxy-url", "http://p:3128"], clean_env()
    config = tmp_path / "ocean-proxy.yaml"
    if via == "env":
        env["OCEAN_PROXY_CA_FILE"] = joined
    elif via == "config":
        config.write_text(f"caFiles: {joined}\n")
        args.append(f"--config={config}")
    else:
        args.append(f"--ca-file={joined}")
    run = ocean_proxy(*args, stdin=DEPLOYMENT, env=env, cwd=tmp_path)
    assert_refused(run, 1, f"{joined} does not exist")
    assert run.stderr.splitlines()[-1] == f"ocean-proxy: hint: {hint}"
    if via == "env":  # the hint, followed
        env["OCEAN_PROXY_CA_FILE"] = joined.replace(",", ":")
    elif via == "config":
        config.write_text(f"caFiles: [{joined}]\n")
    else:
        args[-1:] = [f"--ca-file={name}" for name in files]
    assert ocean_proxy(*args, stdin=DEPLOYMENT, env=env, cwd=tmp_path).returncode == 0


def test_missing_config_file():
    assert_refused(ocean_proxy("render", "--config", "/nonexistent.yaml", stdin=DEPLOYMENT), 1,
                   "config file /nonexistent.yaml does not exist")


@pytest.mark.parametrize("entry, fragment", [
    ("*", "would send nothing through the proxy"),
    ("http://internal.corp", "an entry is a URL"),
    ("10.0.0.0/33", "is not a valid CIDR"),
])
def test_bad_no_proxy_entries(entry, fragment):
    assert_refused(ocean_proxy("render", "--proxy-url", "http://p:3128", "--no-proxy", entry,
                               stdin=DEPLOYMENT), 1, fragment)


def test_workload_that_is_not_in_the_manifests():
    assert_refused(ocean_proxy("render", "--workload", "Deployment/nope", "--proxy-url",
                               "http://p:3128", stdin=DEPLOYMENT), 1,
                   "workload Deployment/nope is not in the manifests")


def test_workload_that_is_not_kind_slash_name():
    assert_refused(ocean_proxy("render", "--workload", "nope", stdin=DEPLOYMENT), 1,
                   "is not KIND/NAME of a workload")


def test_explicit_settings_without_a_controller_are_an_error():
    manifests = b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"
    assert_refused(ocean_proxy("render", "--proxy-url", "http://p:3128", stdin=manifests), 1,
                   "no Ocean controller workload", "--workload")


def test_empty_input():
    assert_refused(ocean_proxy("render", stdin=b"\n\n"), 1, "no manifests on standard input")


def test_a_terminal_on_stdin_is_a_usage_error():
    controller, terminal = pty.openpty()
    try:
        run = subprocess.run([VENV_BIN / "ocean-proxy", "render"], stdin=terminal,
                             capture_output=True, env=clean_env(), timeout=30)
    finally:
        os.close(controller)
        os.close(terminal)
    assert run.returncode == 2
    assert run.stdout == b""
    assert "no manifests on standard input" in run.stderr.decode()



def test_values_on_a_terminal_is_not_told_to_be_a_post_renderer(tmp_path):
    """'ocean-proxy values --secrets s.yaml' typed alone: the hint offered helm's
    --post-renderer, the route values is for doing without."""
    controller, terminal = pty.openpty()
    try:
        run = subprocess.run([VENV_BIN / "ocean-proxy", "values", "--secrets",
                              tmp_path / "s.yaml"], stdin=terminal, capture_output=True,
                             env=clean_env(), timeout=30)
    finally:
        os.close(controller)
        os.close(terminal)
    assert run.returncode == 2 and run.stdout == b""
    assert run.stderr.decode().splitlines() == [
        "ocean-proxy: error: no manifests on standard input",
        "ocean-proxy: hint: pipe 'helm template' into it, or give its output with -f FILE"]
    assert not (tmp_path / "s.yaml").exists()


def test_a_home_variable_in_a_config_files_ca_files_is_said_to_be_unexpanded(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "ca.pem").write_bytes(certs.root("Corp Root").pem)
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text("caFiles:\n  - $HOME/ca.pem\n")
    run = post_renderer("--proxy-url", "http://p:3128", "--config", config, stdin=DEPLOYMENT,
                        env=clean_env(HOME=str(tmp_path / "home")))
    assert_refused(run, 1, "$HOME/ca.pem does not exist", "'$HOME' is not expanded here")

def test_invalid_yaml_in_the_controller_document_names_the_document_not_its_content():
    broken = DEPLOYMENT.replace(b"        env:\n", b"        env: [\n")
    assert_refused(ocean_proxy("render", "--proxy-url", "http://p:3128", stdin=broken), 1,
                   "document 2 is not valid YAML", "at line 21 of the input")


def test_invalid_utf8_in_the_controller_document():
    broken = DEPLOYMENT.replace(b"image: spotinst", b"image: \xff\xfespotinst")
    assert_refused(ocean_proxy("render", "--proxy-url", "http://p:3128", stdin=broken), 1,
                   "is not valid UTF-8")


def test_explain_and_plan_together_are_a_usage_error():
    assert_refused(ocean_proxy("render", "--explain", "--plan", stdin=DEPLOYMENT), 2,
                   "--explain and --plan")


def test_unreadable_input_file_is_bad_input_as_a_missing_ca_file_is():
    assert_refused(ocean_proxy("render", "-f", "/nonexistent/manifests.yaml"), 1,
                   "cannot read /nonexistent/manifests.yaml")


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
def test_an_input_file_this_user_cannot_read_is_told_by_its_permissions(tmp_path):
    """The path is right: the hint is the file's permissions, as for a CA file (the user is
    one of a new user namespace, so that root's reading anything does not hide it)."""
    manifests = tmp_path / "manifests.yaml"
    manifests.write_bytes(DEPLOYMENT)
    manifests.chmod(0)
    run = run_command(["unshare", "--user", "--map-user=1000680000", "--map-group=0",
                       VENV_BIN / "ocean-proxy", "render", "-f", manifests], env=clean_env())
    assert_refused(run, 1, f"cannot read {manifests} (Permission denied)",
                   "check the file's permissions")


def test_a_directory_as_the_input_file_is_told_to_name_the_file(tmp_path):
    assert_refused(ocean_proxy("render", "-f", tmp_path), 1,
                   f"cannot read {tmp_path} (Is a directory)", "name the file itself")


def test_values_given_a_values_file_with_f_says_that_f_names_the_manifests(tmp_path):
    """helm's -f is --values; ocean-proxy's, as kubectl's, the manifests: 'helm template ... |
    ocean-proxy values -f my-values.yaml' read the values file in place of the manifests piped
    in, and the hint said to pipe them in."""
    mine = tmp_path / "my-values.yaml"
    mine.write_text("spotinst:\n  clusterIdentifier: prod-eu-1\nextraEnv:\n- name: A\n"
                    "  value: b\n")
    run = ocean_proxy("values", "-f", mine, "--secrets", tmp_path / "s.yaml", stdin=DEPLOYMENT)
    assert_refused(run, 1, f"{mine} holds no Kubernetes manifests",
                   "give your own values files with --values FILE")
    assert not (tmp_path / "s.yaml").exists()


@pytest.mark.parametrize(("wrapper", "hint"), [
    ("ocean-proxy", "name the file instead (a CA file as an argument, manifests with -f FILE), "
                    "or pipe it in"),
    ("ocean-proxy-post-renderer", "name the manifests with -f FILE instead, or pipe them in")])
def test_a_directory_on_the_plugins_standard_input_is_one_error_line(wrapper, hint, tmp_path):
    """'helm ocean-proxy check-bundle - < certs/': Python stops on such a standard input
    ('Fatal Python error: init_sys_streams') before any of ocean-proxy runs, so the plugin's
    wrapper says it (a plugin installed from a folder: a link, its environment beside it)."""
    plugins = tmp_path / "plugins"
    (plugins / ".ocean-proxy.venv" / "bin").mkdir(parents=True)
    (plugins / "ocean-proxy").symlink_to(REPO)
    (plugins / ".ocean-proxy.venv" / "bin" / "python").symlink_to(VENV_BIN / "python")
    (plugins / ".ocean-proxy.venv" / "ocean-proxy.stamp").write_text("ready\n")
    directory = os.open(tmp_path, os.O_RDONLY)
    try:
        run = subprocess.run([plugins / "ocean-proxy" / "bin" / wrapper, *(
            ["check-bundle", "-"] if wrapper == "ocean-proxy" else [])],
                             stdin=directory, capture_output=True, env=clean_env(), timeout=30)
    finally:
        os.close(directory)
    assert run.returncode == 2 and run.stdout == b""
    assert run.stderr.decode().splitlines() == [
        "ocean-proxy: error: standard input is a directory", f"ocean-proxy: hint: {hint}"]


def test_check_bundle_of_a_missing_file():
    assert_refused(ocean_proxy("check-bundle", "/nonexistent/ca.pem"), 1, "does not exist")


def test_check_bundle_reports_and_fails_on_a_refused_certificate(corp_root, tmp_path):
    path = tmp_path / "leaf.pem"
    path.write_bytes(certs.leaf(corp_root).pem)
    run = ocean_proxy("check-bundle", path)
    assert run.returncode == 1
    assert b"certificate 1: refused" in run.stdout  # the report is check-bundle's output
    errors = [x for x in run.stderr.splitlines() if x.startswith("ocean-proxy: error:")]
    assert len(errors) == 1
    assert "Traceback" not in run.stderr


def test_an_internal_error_is_one_line_without_a_traceback(tmp_path: Path):
    run = subprocess.run(
        [VENV_BIN / "python", "-c",
         "import sys; from post_renderer import cli; from post_renderer.commands import render\n"
         "def boom(*a, **k): raise KeyError('secret-token-value')\n"
         "render.render = boom  # what a miss runs; the cache is off\n"
         "sys.exit(cli.main(['render', '--proxy-url', 'http://p:3128']))"],
        input=DEPLOYMENT, capture_output=True, env=clean_env(OCEAN_PROXY_NO_CACHE="1"))
    stderr = run.stderr.decode()
    assert run.returncode == 1
    assert run.stdout == b""
    assert "ocean-proxy: error: internal error (KeyError)" in stderr
    assert "secret-token-value" not in stderr
    assert "Traceback" not in stderr


def test_a_controller_name_with_an_unpaired_surrogate_escape_is_refused_by_name():
    """"\\ud800" in a double-quoted name reads as a character no UTF-8 text can hold."""
    broken = DEPLOYMENT.replace(b"Deployment\nmetadata:\n  name: oc-ocean-kubernetes-controller\n",
                                b'Deployment\nmetadata:\n  name: "oc-ocean-kubernetes-controller'
                                b'\\ud800"\n')
    assert broken != DEPLOYMENT
    untouched = ocean_proxy("render", stdin=broken)  # nothing configured: passed through
    assert untouched.returncode == 0 and untouched.stdout == broken, untouched.stderr
    # a password goes into a Secret named after the controller
    assert_refused(ocean_proxy("render", "--proxy-url", f"http://bob:{PASSWORD}@p:3128",
                               stdin=broken), 1,
                   "oc-ocean-kubernetes-controller\\ud800", "is not a valid Kubernetes name")


def test_a_hostile_controller_name_is_refused_quickly_and_shown_clipped():
    long = DEPLOYMENT.replace(b"Deployment\nmetadata:\n  name: oc-ocean-kubernetes-controller\n",
                              b"Deployment\nmetadata:\n  name: oc-ocean-kubernetes-controller"
                              + b"x" * 100_000 + b"\n")
    run = ocean_proxy("render", "--proxy-url", f"http://bob:{PASSWORD}@p:3128",
                      stdin=long)  # the error quoting the name took 108 s
    error = assert_refused(run, 1, "is not a valid Kubernetes name", "(100042 characters)")
    assert len(error) < 1000


def _s_client_output(pem: bytes) -> bytes:
    return (b"CONNECTED(00000003)\n---\nCertificate chain\n 0 s:CN = api.spotinst.io\n"
            b"Server certificate\n" + pem + b"---\nVerify return code: 0 (ok)\n")


@pytest.mark.parametrize("shape", ["pem", "bundle-with-comments", "s_client", "der", "key",
                                   "pem-saved-with-a-bom"])
@pytest.mark.parametrize("where", ["-f", "stdin"])
def test_a_certificate_given_as_the_manifests_is_refused_with_where_it_goes(
        shape, where, corp_root, tmp_path):
    """'ocean-proxy render -f ca.pem' echoed the PEM back on stdout with only a notice that
    no Ocean controller was found: a CA is refused as input, pointed to check-bundle and
    --ca-file, with nothing on stdout."""
    data = {"pem": corp_root.pem,
            "bundle-with-comments": b"# Corp Root\n\n" + corp_root.pem + corp_root.pem,
            "s_client": _s_client_output(corp_root.pem),
            "der": corp_root.der, "key": corp_root.key_pem,
            # Windows' Notepad saves UTF-8 with a byte order mark before the armor
            "pem-saved-with-a-bom": b"\xef\xbb\xbf" + corp_root.pem}[shape]
    path = tmp_path / "ca.pem"
    path.write_bytes(data)
    run = ocean_proxy("render", "-f", path) if where == "-f" else \
        ocean_proxy("render", stdin=data)

    error = assert_refused(run, 1, "not Kubernetes manifests", "check-bundle", "--ca-file")
    assert ("private key" in error) == (shape == "key")
    assert "no Ocean controller" not in run.stderr
    assert b"BEGIN" not in run.stdout
