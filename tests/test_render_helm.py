"""The vendor's documented command plus ``--post-renderer ocean-proxy-post-renderer``, run by
the real helm, gives a controller release that works behind the proxy."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

from . import certs
from .chart_render import (
    CA_KEY,
    CONTROLLER,
    FULLNAME,
    NAMESPACE,
    PROXY_FLAGS,
    PROXY_URL,
    RELEASE,
    VENDOR_FLAGS,
    Rendered,
    assert_chart_https_proxy,
    embedded_job,
    parse,
    validation_errors,
)
from .conftest import (
    FIXTURE_CHART,
    REPO,
    VENV_BIN,
    clean_env,
    post_renderer,
    run_command,
    tool,
)
from .kubelet_view import container_view
from .plugin_harness import install_post_renderer_plugin, post_renderer_user_env

POST_RENDERER = ("--post-renderer", "ocean-proxy-post-renderer")
DEFAULT_NO_PROXY = ["$(KUBERNETES_SERVICE_HOST)", ".svc", ".cluster.local", "localhost",
                    "127.0.0.1", "169.254.169.254"]
CONTAINERS = ("ocean-kubernetes-controller", "log-shipper")
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
README = (REPO / "README.md").read_text(encoding="utf-8")



class HelmUser(NamedTuple):
    """A user's helm with the post-renderer installed the way that major needs it."""

    major: str
    binary: Path
    env: dict[str, str]

    def template(self, *flags: str | Path, release: str = RELEASE,
                 env: dict[str, str] | None = None, cwd: Path | None = None):
        return run_command([self.binary, "template", release, FIXTURE_CHART, "--namespace",
                            NAMESPACE, *flags], env=env or self.env, cwd=cwd)


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def helm_user(request, tmp_path_factory, release) -> HelmUser:
    """Helm 3: the console script on PATH. Helm 4: the post-renderer plugin installed from
    the release tarball into empty helm directories, its Python set up offline by its hook."""
    major = request.param
    home = tmp_path_factory.mktemp(major)
    env = post_renderer_user_env(major, home, HELM_PLUGINS=str(home / "data" / "plugins"),
                                 OCEAN_PROXY_MESSAGES="auto")
    user = HelmUser(major, tool(major), env)
    install_post_renderer_plugin(major, user.binary, release, env)
    return user


def rendered(run) -> Rendered:
    assert run.returncode == 0, run.stderr
    return parse(run.text)


def split_documents(text: str) -> list[str]:
    """Each document as helm wrote it, from its '---' line to its last newline."""
    pieces = text.removeprefix("---\n").split("\n---\n")
    return ["---\n" + piece.strip("\n") + "\n" for piece in pieces]


def openssl_subject_hash(pem: bytes) -> str:
    return subprocess.run(["openssl", "x509", "-noout", "-subject_hash"], input=pem,
                          capture_output=True, check=True).stdout.decode().strip()


def assert_proxy_everywhere(out: Rendered, url: str, extra_no_proxy: list[str] = ()) -> None:
    for name in CONTAINERS:
        env = out.container(name).get("env", [])
        names = [e["name"] for e in env]
        assert len(names) == len(set(names)), f"{name}: duplicated env names {names}"
        by_name = {e["name"]: e for e in env}
        for var in PROXY_VARS:
            if (name, var) != (CONTROLLER, "HTTPS_PROXY"):
                assert by_name[var] == {"name": var, "value": url}, f"{name}: {var}"
        for var in ("NO_PROXY", "no_proxy"):
            entries = by_name[var]["value"].split(",")
            assert entries[: len(DEFAULT_NO_PROXY)] == DEFAULT_NO_PROXY
            assert entries[len(DEFAULT_NO_PROXY):] == sorted(extra_no_proxy)
    assert_chart_https_proxy(out)


def test_vendor_proxy_command_gives_controller_and_log_shipper_the_proxy(helm_user):
    plain = rendered(helm_user.template(*PROXY_FLAGS))
    assert "HTTP_PROXY" not in plain.env("log-shipper")  # what the chart alone gives

    out = rendered(helm_user.template(*PROXY_FLAGS, *POST_RENDERER))

    assert_proxy_everywhere(out, PROXY_URL)
    controller_env = [e["name"] for e in out.container("ocean-kubernetes-controller")["env"]]
    plain_env = [e["name"] for e in plain.container("ocean-kubernetes-controller")["env"]]
    assert controller_env[: len(plain_env)] == plain_env  # replaced in place, not moved
    annotations = out.pod()["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/proxy"])
    assert "checksum/ca-bundle" not in annotations


OLD_PROXY = "http://old-proxy:8080"


def extra_env_proxy(url: str) -> tuple[str, ...]:
    """An HTTPS_PROXY of the user's own in the chart's extraEnv: an old workaround."""
    return ("--set", "extraEnv[0].name=HTTPS_PROXY", "--set", f"extraEnv[0].value={url}")


def assert_each_proxy_variable_once(out: Rendered) -> None:
    for name in CONTAINERS:
        names = [e["name"] for e in out.container(name)["env"]]
        for var in (*PROXY_VARS, "NO_PROXY", "no_proxy"):
            assert names.count(var) == 1, f"{name}: {var} in {names}"


def test_a_no_proxy_in_extra_env_keeps_its_hosts_in_the_one_no_proxy(helm_user):
    """ocean-proxy writes one NO_PROXY per container: the hosts of a user's own in extraEnv
    (which Kubernetes gave the controller, as the last of two) stay in it."""
    flags = (*PROXY_FLAGS, "--set", "extraEnv[0].name=NO_PROXY",
             "--set-string", "extraEnv[0].value=foo.corp\\,10.0.0.0/8")

    run = helm_user.template(*flags, *POST_RENDERER)

    out = rendered(run)
    assert_each_proxy_variable_once(out)
    for name in CONTAINERS:
        entries = out.env(name)["NO_PROXY"]["value"].split(",")
        assert "foo.corp" in entries and "10.0.0.0/8" in entries, entries
    again = post_renderer(stdin=run.stdout)
    assert again.returncode == 0 and again.stdout == run.stdout, again.stderr


def test_a_rendered_no_proxy_entry_that_bypasses_the_spot_api_is_left_out_and_said(helm_user):
    flags = (*PROXY_FLAGS, "--set", "extraEnv[0].name=NO_PROXY",
             "--set-string", "extraEnv[0].value=foo.corp\\,spotinst.io")

    run = helm_user.template(*flags, *POST_RENDERER)

    out = rendered(run)
    entries = out.env(CONTROLLER)["NO_PROXY"]["value"].split(",")
    assert "foo.corp" in entries and "spotinst.io" not in entries
    [warning] = [line for line in run.stderr.splitlines() if "NO_PROXY entries" in line]
    assert warning.startswith("ocean-proxy: warning: ") and "'spotinst.io'" in warning
    strict = helm_user.template(*flags, *POST_RENDERER, "--post-renderer-args", "--strict")
    assert strict.returncode != 0 and "NO_PROXY entries" in strict.stderr


def messages(stderr: str) -> list[str]:
    """Each of our messages in helm's stderr, its first line and the lines indented under it
    joined into one."""
    said: list[str] = []
    for line in stderr.splitlines():
        if line.startswith("ocean-proxy: "):
            said.append(line)
        elif line.startswith("  ") and said:
            said[-1] += f" {line.strip()}"
    return said


def helm_flags_in(said: str, **values: str) -> list[str]:
    """The flags a message gives helm ('(under helm: ...)'), its placeholders filled in."""
    match = re.search(r"\(under helm: ([^)]*)\)", said)
    assert match, said
    return [re.sub(r"=([A-Z]+)$", lambda m: f"={values[m[1]]}", flag)
            for flag in match.group(1).split()]


def test_an_old_https_proxy_in_extra_env_gives_way_to_the_charts_proxy_and_is_said(
        helm_user):
    """Kubernetes takes the last of two same-named variables: left beside the chart's own
    HTTPS_PROXY, the old entry sent the controller to the old proxy while the log-shipper
    used the corporate one, and the next post-render read it as the proxy."""
    password = "S3cr3t-Pa55"
    url = f"http://svc-ocean:{password}@proxy.corp:3128"
    flags = (*VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={url}", *extra_env_proxy(OLD_PROXY))

    run = helm_user.template(*flags, *POST_RENDERER)

    out = rendered(run)
    assert_each_proxy_variable_once(out)
    assert OLD_PROXY not in run.text
    assert_chart_https_proxy(out)
    ref = {"secretKeyRef": {"name": f"{FULLNAME}-ocean-proxy", "key": "proxy-url"}}
    assert out.env(CONTROLLER)["https_proxy"]["valueFrom"] == ref
    assert out.env("log-shipper")["HTTPS_PROXY"]["valueFrom"] == ref
    [warning] = [line for line in run.stderr.splitlines() if "more than one proxy" in line]
    assert warning.startswith("ocean-proxy: warning: ")
    assert "http://svc-ocean:***@proxy.corp:3128" in warning and OLD_PROXY in warning
    assert password not in run.stderr

    again = post_renderer(stdin=run.stdout)
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout
    assert "more than one proxy" not in again.stderr

    strict = helm_user.template(*flags, *POST_RENDERER, "--post-renderer-args", "--strict")
    assert strict.returncode != 0
    assert "ocean-proxy: error: " in strict.stderr and "more than one proxy" in strict.stderr
    assert password not in strict.stderr

    chosen = helm_user.template(*flags, *POST_RENDERER, "--post-renderer-args", "--strict",
                                *helm_flags_in(strict.stderr, URL=url))  # the hint, followed
    assert chosen.returncode == 0, chosen.stderr
    assert "more than one proxy" not in chosen.stderr and password not in chosen.stderr
    kept = rendered(chosen).one("Secret", f"{FULLNAME}-ocean-proxy")
    assert base64.b64decode(kept["data"]["proxy-url"]).decode() == url


def test_a_proxy_only_in_extra_env_leaves_its_password_in_a_secret_alone(helm_user):
    password = "S3cr3t-Pa55"
    url = f"http://u:{password}@old:8080"

    run = helm_user.template(*VENDOR_FLAGS, *extra_env_proxy(url), *POST_RENDERER)

    out = rendered(run)
    assert password not in run.text and password not in run.stderr
    secret = out.one("Secret", f"{FULLNAME}-ocean-proxy")
    assert base64.b64decode(secret["data"]["proxy-url"]).decode() == url
    assert_each_proxy_variable_once(out)
    assert "more than one proxy" not in run.stderr
    again = post_renderer(stdin=run.stdout)
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout


def test_vendor_ca_command_is_validated_normalised_and_trusted_by_every_container(
    helm_user, corp_root, tmp_path,
):
    messy = tmp_path / "pasted.pem"
    messy.write_bytes(b"\r\n" + corp_root.pem.replace(b"\n", b"\r\n") + b"\r\n" + corp_root.pem)
    out = rendered(helm_user.template(*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
        "--set-file", f"caBundleSecret.data={messy}", *POST_RENDERER))

    secret = out.one("Secret", f"{FULLNAME}-ca-bundle")["data"]
    hashed = f"{openssl_subject_hash(corp_root.pem)}.0"
    assert base64.b64decode(secret[CA_KEY]) == corp_root.pem  # deduplicated, normalised
    assert base64.b64decode(secret[hashed]) == corp_root.pem
    # the pods mount the kept copy the chart values mount too (one pod template per route)
    volumes = {v["name"]: v for v in out.pod()["spec"]["volumes"]}
    assert volumes["ocean-proxy-ca"]["secret"]["secretName"] == f"{FULLNAME}-ocean-proxy-ca"
    kept = out.one("Secret", f"{FULLNAME}-ocean-proxy-ca")
    assert kept["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert base64.b64decode(kept["data"][hashed]) == corp_root.pem
    for name in CONTAINERS:
        mounts = {m["mountPath"]: m for m in out.container(name)["volumeMounts"]}
        assert mounts[f"/etc/ssl/certs/{hashed}"] == {
            "name": "ocean-proxy-ca", "mountPath": f"/etc/ssl/certs/{hashed}",
            "subPath": hashed, "readOnly": True}
        # Go's directory: the same Secret, with the bundle alone (a kept Secret's other keys
        # would be trusted too)
        assert mounts["/etc/ocean-proxy/ca"]["name"] == "ocean-proxy-ca-bundle"
        assert volumes["ocean-proxy-ca-bundle"]["secret"] == {
            "secretName": f"{FULLNAME}-ocean-proxy-ca", "items": [{"key": CA_KEY,
                                                                  "path": CA_KEY}]}
        env = out.env(name)
        assert env["SSL_CERT_DIR"]["value"].split(":") == [
            "/etc/ssl/certs", "/etc/pki/tls/certs", "/etc/ocean-proxy/ca"]
        assert "SSL_CERT_FILE" not in env  # would hide the image's public roots from Go
    assert out.env("ocean-kubernetes-controller")["USER_ENV_CERTIFICATES"]["valueFrom"] == {
        "secretKeyRef": {"name": f"{FULLNAME}-ca-bundle", "key": CA_KEY, "optional": True}}
    assert re.fullmatch(r"[0-9a-f]{64}", out.pod()["metadata"]["annotations"]["checksum/ca-bundle"])


def test_vendor_ca_under_a_key_of_the_users_choosing_is_validated_where_the_pods_read_it(
    helm_user, corp_root, tmp_path,
):
    """Charts 0.1.4 and later take caBundleSecret.key: the validated bundle must replace the
    pasted text under that key, which USER_ENV_CERTIFICATES reads, not under the default."""
    messy = tmp_path / "pasted.pem"
    messy.write_bytes(b"\r\n" + corp_root.pem.replace(b"\n", b"\r\n") + b"\r\n" + corp_root.pem)
    out = rendered(helm_user.template(*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
        "--set", "caBundleSecret.key=ca.crt", "--set-file", f"caBundleSecret.data={messy}",
        *POST_RENDERER))

    secret = out.one("Secret", f"{FULLNAME}-ca-bundle")["data"]
    assert base64.b64decode(secret["ca.crt"]) == corp_root.pem  # deduplicated, normalised
    assert CA_KEY not in secret
    assert out.env("ocean-kubernetes-controller")["USER_ENV_CERTIFICATES"]["valueFrom"] == {
        "secretKeyRef": {"name": f"{FULLNAME}-ca-bundle", "key": "ca.crt", "optional": True}}
    assert re.fullmatch(r"[0-9a-f]{64}", out.pod()["metadata"]["annotations"]["checksum/ca-bundle"])


def test_ca_file_flag_creates_the_chart_secret_when_the_chart_did_not(
    helm_user, corp_root, ca_file,
):
    out = rendered(helm_user.template(*PROXY_FLAGS, *POST_RENDERER,
                                 "--post-renderer-args", f"--ca-file={ca_file}"))
    secret = out.one("Secret", f"{FULLNAME}-ca-bundle")
    assert secret["metadata"]["namespace"] == NAMESPACE
    assert base64.b64decode(secret["data"][CA_KEY]) == corp_root.pem


def test_flags_override_what_the_chart_rendered(helm_user):
    out = rendered(helm_user.template(*PROXY_FLAGS, *POST_RENDERER,
        "--post-renderer-args", "--proxy-url=http://other-proxy.corp:8080",
        "--post-renderer-args", "--no-proxy=.corp.example,10.0.0.0/8"))
    assert_proxy_everywhere(out, "http://other-proxy.corp:8080", [".corp.example", "10.0.0.0/8"])


def test_a_proxy_given_over_the_charts_other_proxy_is_said_once_without_passwords(helm_user):
    """--proxy-url (or OCEAN_PROXY_URL) replaced a different spotinst.proxyUrl without a word,
    while a CA file given over the chart's is said: the user could not tell which proxy the
    pods would use. Said once, neither password shown; the same proxy is not said."""
    chart_url, given = "http://svc:Chart-Pw-71@old-proxy.corp:3128", \
        "http://ops:Flag-Pw-93@new-proxy.corp:8080"
    flags = (*VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={chart_url}", *POST_RENDERER)
    for run in (helm_user.template(*flags, "--post-renderer-args", f"--proxy-url={given}"),
                helm_user.template(*flags, env={**helm_user.env, "OCEAN_PROXY_URL": given})):
        rendered(run)
        said = [line for line in messages(run.stderr) if "replaces the proxy" in line]
        assert len(said) == 1, run.stderr
        assert said[0].startswith("ocean-proxy: ") and "warning" not in said[0]
        assert "http://ops:***@new-proxy.corp:8080" in said[0]
        assert "http://svc:***@old-proxy.corp:3128" in said[0]
        assert "Chart-Pw-71" not in run.stderr and "Flag-Pw-93" not in run.stderr

    same = helm_user.template(*flags, "--post-renderer-args", f"--proxy-url={chart_url}")
    assert same.returncode == 0, same.stderr
    assert "replaces the proxy" not in same.stderr
    # a rotated password for the same proxy: said, as the pods' password changes, neither shown
    rotated = helm_user.template(*flags, "--post-renderer-args",
                                 f"--proxy-url={chart_url.replace('Chart-Pw-71', 'New-Pw-82')}")
    rendered(rotated)
    said = [line for line in messages(rotated.stderr) if "replaces the proxy" in line]
    assert len(said) == 1 and said[0].endswith(
        "every container gets the same proxy with other credentials"), rotated.stderr
    assert "Chart-Pw-71" not in rotated.stderr and "New-Pw-82" not in rotated.stderr


def test_environment_variables_configure_the_post_renderer(helm_user, ca_file, corp_root):
    env = {**helm_user.env, "OCEAN_PROXY_URL": "http://env-proxy.corp:3128",
           "OCEAN_PROXY_CA_FILE": str(ca_file), "OCEAN_PROXY_NO_PROXY": "internal.corp"}
    out = rendered(helm_user.template(*VENDOR_FLAGS, *POST_RENDERER, env=env))
    assert_proxy_everywhere(out, "http://env-proxy.corp:3128", ["internal.corp"])
    secret = out.one("Secret", f"{FULLNAME}-ca-bundle")["data"]
    assert base64.b64decode(secret[CA_KEY]) == corp_root.pem


def test_a_misspelt_variable_is_named_with_the_one_it_was_meant_for(helm_user, ca_file):
    """OCEAN_PROXY_CA_FILES, written as the config file's caFiles: nothing reads it, and the
    release went out without the CA, told only that no CA was configured."""
    env = {**helm_user.env, "OCEAN_PROXY_CA_FILES": str(ca_file)}
    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, env=env)
    assert run.returncode == 0, run.stderr
    assert "ocean-proxy: warning: OCEAN_PROXY_CA_FILES is set, but ocean-proxy reads no such " \
           "variable: did you mean OCEAN_PROXY_CA_FILE?" in run.stderr.splitlines(), run.stderr
    assert str(ca_file) not in run.stderr  # a value is never shown: another may hold a password


def test_a_proxy_url_whose_quotes_an_env_file_kept_is_told_to_lose_them(helm_user):
    """'docker run --env-file' (or systemd's EnvironmentFile) keeps the quotes of
    OCEAN_PROXY_URL="http://...": the render stopped at 'not a valid URL'."""
    env = {**helm_user.env, "OCEAN_PROXY_URL": '"http://svc-ocean:S3cret@proxy.corp:3128"'}
    run = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER, env=env)
    assert run.returncode != 0 and run.stdout == b""
    assert ("ocean-proxy: error: OCEAN_PROXY_URL is wrapped in quotes, which are not part of a "
            "URL\n") in run.stderr, run.stderr
    assert "S3cret" not in run.stderr


def test_the_example_scripts_variables_and_the_users_own_are_not_taken_for_misspellings(
        helm_user):
    """The helm and CI examples have users export OCEAN_PROXY_RELEASE_URL and the like in the
    shell helm then runs from; a name close to no setting is the user's own."""
    env = {**helm_user.env, "OCEAN_PROXY_RELEASE_URL": "https://releases.example/v0.1.0",
           "OCEAN_PROXY_KEYRING": "ring.gpg", "OCEAN_PROXY_VERSION": "0.1.0",
           "OCEAN_PROXY_VERIFY": "false", "OCEAN_PROXY_PLUGIN_URL": "https://r.example/p.tgz",
           "OCEAN_PROXY_TEAM": "platform"}
    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, env=env)
    assert run.returncode == 0, run.stderr
    assert "reads no such variable" not in run.stderr, run.stderr


def test_config_file_configures_the_post_renderer_and_flags_beat_it(
    helm_user, corp_root, tmp_path,
):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "root.pem").write_bytes(corp_root.pem)
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text("proxyUrl: http://config-proxy.corp:3128\ncaFiles: [certs/root.pem]\n"
                      "noProxy: [.from-config.corp]\n")
    out = rendered(helm_user.template(*VENDOR_FLAGS, *POST_RENDERER,
                                 "--post-renderer-args", f"--config={config}"))
    assert_proxy_everywhere(out, "http://config-proxy.corp:3128", [".from-config.corp"])

    env = {**helm_user.env, "OCEAN_PROXY_URL": "http://env-proxy.corp:3128"}
    out = rendered(helm_user.template(*VENDOR_FLAGS, *POST_RENDERER,
                                      "--post-renderer-args", f"--config={config}", env=env))
    assert_proxy_everywhere(out, "http://env-proxy.corp:3128", [".from-config.corp"])

    out = rendered(helm_user.template(*VENDOR_FLAGS, *POST_RENDERER,
                                      "--post-renderer-args", f"--config={config}",
                                      "--post-renderer-args", "--proxy-url=http://flag.corp:1",
                                      env=env))
    assert_proxy_everywhere(out, "http://flag.corp:1", [".from-config.corp"])


def pipeline_settings(folder: Path, pem: bytes) -> Path:
    """A team's ocean-proxy.yaml beside its CA file, as a pipeline keeps them."""
    folder.mkdir(parents=True)
    (folder / "corp-ca.pem").write_bytes(pem)
    config = folder / "ocean-proxy.yaml"
    config.write_text("proxyUrl: http://svc-ocean:S3cret@proxy.corp:3128\n"
                      "caFiles: [corp-ca.pem]\nnoProxy: [.corp.example, 10.0.0.0/8]\n"
                      "autoUpdate: inject\n")
    config.chmod(0o600)
    return config


def test_a_config_file_named_relative_to_helm_s_directory_renders_as_the_flags_do(
        helm_user, corp_root, tmp_path):
    """Helm runs the post-renderer in its own working directory, on both majors: a config
    file named relative to it, by --post-renderer-args or OCEAN_PROXY_CONFIG, is found, its
    caFiles start from its own directory, and the manifests are those of the same settings
    given as flags, byte for byte."""
    pipeline_settings(tmp_path / "deploy", corp_root.pem)
    flags = rendered(helm_user.template(
        *VENDOR_FLAGS, *POST_RENDERER,
        "--post-renderer-args", "--proxy-url=http://svc-ocean:S3cret@proxy.corp:3128",
        "--post-renderer-args", f"--ca-file={tmp_path / 'deploy' / 'corp-ca.pem'}",
        "--post-renderer-args", "--no-proxy=.corp.example,10.0.0.0/8",
        "--post-renderer-args", "--auto-update=inject"))
    secret = flags.one("Secret", f"{FULLNAME}-ocean-proxy")["data"]["proxy-url"]
    assert base64.b64decode(secret) == b"http://svc-ocean:S3cret@proxy.corp:3128"
    assert ".corp.example,10.0.0.0/8" in flags.env(CONTAINERS[0])["NO_PROXY"]["value"]
    by_flag = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER, "--post-renderer-args",
                                 "--config=deploy/ocean-proxy.yaml", cwd=tmp_path)
    by_variable = helm_user.template(
        *VENDOR_FLAGS, *POST_RENDERER, cwd=tmp_path,
        env={**helm_user.env, "OCEAN_PROXY_CONFIG": "deploy/ocean-proxy.yaml"})
    for run in (by_flag, by_variable):
        assert run.returncode == 0, run.stderr
        assert run.text == flags.text
        assert "S3cret" not in run.stderr


def test_a_relative_ca_file_missing_from_helm_s_directory_names_that_directory(
        helm_user, tmp_path):
    """'--post-renderer-args --ca-file=corp-ca.pem' run from another directory (a CI step's
    working directory, a terminal elsewhere): the hint said only 'the current directory',
    which under helm is helm's, and did not say which."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, "--post-renderer-args",
                             "--ca-file=corp-ca.pem", cwd=elsewhere)
    assert run.returncode != 0 and run.stdout == b""
    assert "ocean-proxy: error: CA file (from --ca-file) corp-ca.pem does not exist\n" \
        in run.stderr
    assert ("ocean-proxy: hint: check the path; a relative path starts from the current "
            f"directory, here {elsewhere}\n") in run.stderr, run.stderr


def test_a_config_file_reached_through_a_symbolic_link_says_where_its_ca_files_start(
        helm_user, corp_root, tmp_path):
    """caFiles start from the directory the config file is named in, as kubectl reads a
    kubeconfig's relative paths: through a link, the link's, not its target's. A CA file
    left beside the target is then missing, and the hint says which directory was meant."""
    config = pipeline_settings(tmp_path / "shared", corp_root.pem)
    link = tmp_path / "staging" / "ocean-proxy.yaml"
    link.parent.mkdir()
    link.symlink_to(config)

    run = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER,
                             env={**helm_user.env, "OCEAN_PROXY_CONFIG": str(link)})

    assert run.returncode != 0 and "kind: Deployment" not in run.text
    assert (f"ocean-proxy: error: CA file (from config file {link}) "
            f"{link.parent / 'corp-ca.pem'} does not exist\n") in run.stderr
    assert (f"ocean-proxy: hint: check the path; a relative path starts from the directory "
            f"of the config file's link, {link.parent}, not of its target, {config.parent}\n"
            ) in run.stderr


def test_a_config_file_from_a_pipe_says_its_ca_files_need_whole_paths(
        helm_user, corp_root, tmp_path):
    """'--config=<(sops -d ocean-proxy.yaml)': helm hands the shell's pipe on, and the file
    is read, but a pipe is in no directory for relative caFiles to start from."""
    config = pipeline_settings(tmp_path / "deploy", corp_root.pem)
    argv = [helm_user.binary, "template", RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE,
            *VENDOR_FLAGS, *POST_RENDERER]
    line = f"{shlex.join(map(str, argv))} --post-renderer-args --config=<(cat {config})"
    run = subprocess.run(["bash", "-c", line], env=helm_user.env, capture_output=True,
                         cwd=tmp_path / "deploy", timeout=120, check=False)

    stderr = run.stderr.decode()
    assert run.returncode != 0 and b"kind: Deployment" not in run.stdout
    assert re.search(r"ocean-proxy: error: CA file \(from config file /dev/fd/[0-9]+\) "
                     r"/dev/fd/corp-ca\.pem does not exist\n", stderr), stderr
    assert ("ocean-proxy: hint: the config file is a pipe (a shell's <(...), say), which is in "
            "no directory: give its caFiles as absolute paths\n") in stderr


@pytest.mark.parametrize("where", ["--post-renderer-args", "caFiles"])
def test_a_tilde_the_shell_left_alone_is_named_in_the_hint(helm_user, corp_root, tmp_path, where):
    """'--post-renderer-args --config=~/deploy/ocean-proxy.yaml': a shell expands '~' only at
    the start of a word, so helm passes it on as it is; in a config file nothing expands it.
    The file is missing, and the hint says why, not only where a relative path starts."""
    config = pipeline_settings(tmp_path / "deploy", corp_root.pem)
    if where == "caFiles":
        config.write_text(config.read_text().replace("[corp-ca.pem]", "['~/corp-ca.pem']"))
    argv = [helm_user.binary, "template", RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE,
            *VENDOR_FLAGS, *POST_RENDERER]
    given = "~/deploy/ocean-proxy.yaml" if where != "caFiles" else str(config)
    line = f"{shlex.join(map(str, argv))} --post-renderer-args --config={given}"
    run = subprocess.run(["bash", "-c", line], env={**helm_user.env, "HOME": str(tmp_path)},
                         capture_output=True, cwd=tmp_path, timeout=120, check=False)

    stderr = run.stderr.decode()
    assert run.returncode != 0 and b"kind: Deployment" not in run.stdout
    missing = "config file ~/deploy/ocean-proxy.yaml" if where != "caFiles" else \
        f"CA file (from config file {config}) {config.parent}/~/corp-ca.pem"
    assert f"ocean-proxy: error: {missing} does not exist\n" in stderr, stderr
    assert ("ocean-proxy: hint: '~' is not the home directory here: a shell expands it only at "
            "the start of a word, and nothing expands it in a config file; write the whole "
            "path, or $HOME/... on a command line\n") in stderr, stderr


def test_a_config_file_gone_from_ocean_proxy_config_is_said_to_come_from_there(
        helm_user, tmp_path):
    """A pipeline exports OCEAN_PROXY_CONFIG once for every job; a job whose checkout moved
    the file runs 'helm upgrade' without a word of a config file: the error names the
    variable, or it reads as if helm's own command line had named the file."""
    moved = tmp_path / "deploy" / "ocean-proxy.yaml"
    run = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER,
                             env={**helm_user.env, "OCEAN_PROXY_CONFIG": str(moved)})
    assert run.returncode != 0 and "kind: Deployment" not in run.text
    assert (f"ocean-proxy: error: config file (from OCEAN_PROXY_CONFIG) {moved} does not "
            "exist\n") in run.stderr, run.stderr


@pytest.mark.parametrize("flag", ["--config=", "--no-proxy=", "--ca-file=", "--workload="])
def test_a_flag_given_empty_is_refused_not_read_as_unset(helm_user, flag, tmp_path):
    """'--post-renderer-args --config="$CONFIG"' with CONFIG unset: the config file of the
    environment, or none, was used instead, and an empty --no-proxy dropped its noProxy."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text("proxyUrl: http://config-proxy.corp:3128\nnoProxy: [.from-config.corp]\n")
    env = {**helm_user.env, "OCEAN_PROXY_CONFIG": str(config)}

    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, "--post-renderer-args", flag,
                             env=env)

    assert run.returncode != 0
    assert "kind: Deployment" not in run.text
    assert f"ocean-proxy: error: {flag[:-1]} is given but empty\n" in run.stderr
    assert "is the variable it comes from set?" in run.stderr


def test_flags_joined_by_a_comma_in_one_post_renderer_arg_say_how_to_pass_them(helm_user):
    """'--post-renderer-args=--proxy-url=URL,--no-proxy=.corp', as --set is written: helm
    passes it whole, and the URL got the port '3128,--no-proxy=.corp' ('invalid port')."""
    run = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER, "--post-renderer-args",
                             "--proxy-url=http://u:pw-9f3@proxy.corp:3128,--no-proxy=.corp")

    assert run.returncode != 0
    assert "kind: Deployment" not in run.text
    assert "ocean-proxy: error: --proxy-url and --no-proxy are joined by a comma in one " \
           "argument" in run.stderr
    assert "--post-renderer-args --ca-file --post-renderer-args ca.pem" in run.stderr
    assert "pw-9f3" not in run.stderr


def test_a_ca_file_that_replaces_the_charts_ca_names_the_cas_it_drops(
        helm_user, ca_file, corp_root, tmp_path):
    """--ca-file replaces caBundleSecret.data, it does not add to it: the chart's CA that is
    not among the files leaves every container's trust, which used to happen without a
    word."""
    chart_ca = certs.root("Corp Internal Services Root")
    chart_file = tmp_path / "chart-ca.pem"
    chart_file.write_bytes(chart_ca.pem)
    flags = (*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
             "--set-file", f"caBundleSecret.data={chart_file}", *POST_RENDERER)

    run = helm_user.template(*flags, "--post-renderer-args", f"--ca-file={ca_file}")

    secret = rendered(run).one("Secret", f"{FULLNAME}-ca-bundle")["data"]
    assert base64.b64decode(secret[CA_KEY]) == corp_root.pem  # the flag wins, as documented
    assert (f"ocean-proxy: warning: --ca-file replaces the CA bundle the chart renders "
            f"(Secret '{FULLNAME}-ca-bundle' key '{CA_KEY}'): '{chart_ca.subject}' from it is "
            "no longer among the CAs the pods are given (the image's own public roots stay "
            "trusted); to keep it, add its file to --ca-file\n") in run.stderr

    both = helm_user.template(*flags, "--post-renderer-args", f"--ca-file={ca_file}",
                              "--post-renderer-args", f"--ca-file={chart_file}")
    assert both.returncode == 0, both.stderr
    assert "no longer among" not in both.stderr


def test_a_ca_given_to_the_chart_in_base64_is_said_to_be_encoded_once_more(helm_user,
                                                                            corp_root):
    """The chart base64-encodes caBundleSecret.data itself: a CA given there already encoded
    (--set caBundleSecret.data=$(base64 -w0 ca.pem)) was 'no certificate found', expected PEM,
    and the user could not tell why a PEM they had just encoded was not one."""
    encoded = base64.b64encode(corp_root.pem).decode()
    run = helm_user.template(*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
                             "--set", f"caBundleSecret.data={encoded}", *POST_RENDERER)

    assert run.returncode != 0
    assert "kind:" not in run.text
    assert (f"ocean-proxy: error: Secret '{FULLNAME}-ca-bundle' key '{CA_KEY}': no certificate "
            "found: it is PEM text encoded in base64 once more\n") in run.stderr
    assert "ocean-proxy: hint: decode it: base64 -d" in run.stderr
    assert "--set-file caBundleSecret.data=<the CA's PEM file>" in run.stderr


def test_a_ca_given_without_create_true_is_said_to_need_it(helm_user, ca_file):
    """The vendor's command with the CA but without caBundleSecret.create=true: the chart
    renders no CA Secret, so no CA reaches the pods; the notice says which flag was left out,
    not only that no CA was configured."""
    run = helm_user.template(*PROXY_FLAGS, "--set-file", f"caBundleSecret.data={ca_file}",
                             *POST_RENDERER)

    out = rendered(run)
    assert out.find("Secret", f"{FULLNAME}-ca-bundle") is None
    assert "ocean-proxy: no CA bundle configured" in run.stderr
    assert "--set caBundleSecret.create=true" in run.stderr


@pytest.mark.parametrize("given", ["none", "values-file", "create-false", "chart-defaults",
                                   "values-files-joined-by-a-comma", "set-json"])
def test_create_true_is_named_only_where_helm_was_given_a_ca_value(helm_user, ca_file, given,
                                                                   tmp_path):
    """The no-CA notice told every proxy user that caBundleSecret.data needs create=true,
    though most gave no CA; now only where helm's values hold the CA (a --set-file, a values
    file, among others helm was given as '-f a.yaml,b.yaml', a --set-json object) and not
    create=true. The chart's own values ('helm show values > values.yaml', its data: "")
    give no CA."""
    values = tmp_path / "values.yaml"
    indented = ca_file.read_text().replace("\n", "\n    ")
    values.write_text(f"caBundleSecret:\n  data: |\n    {indented}\n")
    defaults = tmp_path / "chart-values.yaml"
    defaults.write_bytes((FIXTURE_CHART / "values.yaml").read_bytes())
    flags = {"none": (), "values-file": ("-f", str(values)),
             "create-false": ("--set-file", f"caBundleSecret.data={ca_file}",
                              "--set", "caBundleSecret.create=false"),
             "chart-defaults": ("-f", str(defaults)),
             "values-files-joined-by-a-comma": (f"--values={defaults},{values}",),
             "set-json": ("--set-json", "caBundleSecret=" + json.dumps(
                 {"data": ca_file.read_text()}))}[given]
    quiet = given in ("none", "chart-defaults")

    run = helm_user.template(*PROXY_FLAGS, *flags, *POST_RENDERER)

    rendered(run)
    assert "ocean-proxy: no CA bundle configured" in run.stderr
    assert ("--set caBundleSecret.create=true" in run.stderr) == (not quiet), run.stderr
    assert "caBundleSecret.data" not in run.stderr if quiet else \
        "ocean-proxy: warning: helm was given caBundleSecret.data without " in run.stderr


def test_a_ca_file_given_to_helm_itself_is_said_to_miss_the_pods(helm_user, ca_file):
    """'--post-renderer ocean-proxy-post-renderer --ca-file ca.pem': helm has a --ca-file of
    its own (the chart repository's CA) and takes it without a word, so no CA reaches the
    pods; the run says so, and how to give it to ocean-proxy. Given to ocean-proxy, it is
    not said."""
    for flags in (("--ca-file", str(ca_file)), (f"--ca-file={ca_file}",)):
        run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, *flags)

        out = rendered(run)
        assert out.find("Secret", f"{FULLNAME}-ocean-proxy-ca") is None
        assert (f"ocean-proxy: warning: helm took --ca-file={ca_file} as its own (the CA of "
                "the chart repository): the pods get no CA from it; give it to ocean-proxy "
                f"too: --post-renderer-args --ca-file={ca_file}\n") in run.stderr

    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, "--post-renderer-args",
                             f"--ca-file={ca_file}", "--ca-file", str(ca_file))
    assert run.returncode == 0, run.stderr
    assert "helm took --ca-file" not in run.stderr


def test_a_release_without_a_spot_agent_is_not_told_of_helms_ca_flags(helm_user, ca_file,
                                                                         tmp_path):
    """A post-renderer set for every release (helmfile's helmDefaults) also renders charts
    that are no Spot agent's, some from a repository behind a private CA (helm's own
    --ca-file) or with a caBundleSecret value of their own: those have no pods for a CA to
    reach, and the advice to hand it to ocean-proxy made the render fail ('no Ocean
    controller workload')."""
    chart = tmp_path / "other-chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: other-chart\nversion: 0.1.0\n")
    (chart / "templates" / "config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  a: b\n")

    run = run_command([helm_user.binary, "template", "r", chart, *POST_RENDERER,
                       "--ca-file", ca_file, "--set-file", f"caBundleSecret.data={ca_file}"],
                      env=helm_user.env)

    assert run.returncode == 0, run.stderr
    assert "passed through unchanged" in run.stderr
    assert "warning" not in run.stderr, run.stderr


def test_post_renderer_args_without_the_post_renderer_leave_no_ocean_proxy_line(helm_user,
                                                                                ca_file):
    """What the README tells to look for: a run without --post-renderer (its args alone,
    which helm takes without a word) has no 'ocean-proxy:' line; a run with it always has."""
    alone = helm_user.template(*PROXY_FLAGS, "--post-renderer-args", f"--ca-file={ca_file}")
    both = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, "--post-renderer-args",
                              f"--ca-file={ca_file}")

    assert "ocean-proxy:" not in alone.stderr
    assert "ocean-proxy-ca" not in rendered(alone).text
    assert "ocean-proxy-ca" in rendered(both).text
    assert both.stderr.startswith("ocean-proxy: injected proxy"), both.stderr


@pytest.mark.parametrize("spelt", ["--output-dir DIR", "--output-dir=DIR"])
def test_helm_templates_output_dir_is_post_rendered_or_said_not_to_be(helm_user, tmp_path,
                                                                        ca_file, spelt):
    """'helm template --output-dir DIR': Helm 4 post-renders the files it writes; Helm 3 writes
    them as the chart rendered them and hands the post-renderer nothing, which was told 'no
    manifests on standard input; pipe the output of helm template into it'. It now says
    why, and what to do instead, however the flag is written."""
    out = tmp_path / "out"
    given = spelt.replace("DIR", str(out)).split(" ")
    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, "--post-renderer-args",
                             f"--ca-file={ca_file}", *given)

    if helm_user.major == "helm4":
        assert run.returncode == 0, run.stderr
        written = "".join(path.read_text() for path in out.rglob("*.yaml"))
        assert "HTTPS_PROXY" in written and "ocean-proxy-ca" in written
        return
    assert run.returncode != 0
    assert ("ocean-proxy: error: helm handed the post-renderer no manifests: Helm 3's "
            "--output-dir writes the chart's files as rendered, not post-rendered\n"
            ) in run.stderr
    assert ("ocean-proxy: hint: drop --output-dir and send the output to a file "
            "(helm template ... > release.yaml); Helm 4 post-renders --output-dir\n"
            ) in run.stderr


OUTPUT_DIR_LEFT = ("Helm 3 leaves the files it wrote there, without the proxy or the CA, after "
                   "that refusal: do not apply them (Helm 4 writes none when ocean-proxy "
                   "refuses a render).")


def test_a_refused_render_leaves_helm3_s_output_dir_files_and_none_of_helm4_s(helm_user,
                                                                               tmp_path):
    """What the README warns of, as helm does it: with --output-dir, Helm 3 writes the chart's
    files before it runs the post-renderer, and keeps them when ocean-proxy refuses; Helm 4
    writes the post-rendered files only once the post-renderer succeeded."""
    assert OUTPUT_DIR_LEFT in " ".join(README.split())
    out = tmp_path / "out"
    run = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER, "--post-renderer-args",
                             "--proxy-url=ftp://proxy.corp:21", "--output-dir", out)

    assert run.returncode != 0
    assert "ocean-proxy: error: " in run.stderr
    if helm_user.major == "helm4":
        assert not out.exists() or not any(out.rglob("*")), sorted(out.rglob("*"))
        return
    deployment = out / "ocean-kubernetes-controller" / "templates" / "deployment.yaml"
    written = deployment.read_text()
    assert f"name: {FULLNAME}" in written and "kind: Deployment" in written
    assert "ocean-proxy" not in written and "HTTP_PROXY" not in written


def test_a_ca_written_in_extra_env_reaches_the_log_shipper_too(helm_user, corp_root, ca_file):
    """A CA given to the controller as an extraEnv USER_ENV_CERTIFICATES value (charts 0.1.0
    to 0.1.3 have no CA Secret): the log-shipper, which that value never reaches, gets it
    too, as from caBundleSecret.data; a fixed point."""
    run = helm_user.template(*PROXY_FLAGS, "--set", "extraEnv[0].name=USER_ENV_CERTIFICATES",
                             "--set-file", f"extraEnv[0].value={ca_file}", *POST_RENDERER)

    out = rendered(run)
    for name in CONTAINERS:
        seen = container_view(out.docs, out.pod(), name, namespace=NAMESPACE)
        assert any(corp_root.pem in content for mount in seen.secret_mounts
                   for content in mount.files.values()), name
    assert "no CA bundle configured" not in run.stderr
    again = post_renderer(stdin=run.stdout)
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout


def test_a_ca_without_a_proxy_is_not_said_to_give_the_job_a_proxy(helm_user, ca_file):
    """A transparent TLS-inspecting proxy needs only the CA: the render said the auto-update
    Job reached charts.spot.io through a proxy it does not have."""
    run = helm_user.template(*VENDOR_FLAGS, "--set", "caBundleSecret.create=true",
                             "--set-file", f"caBundleSecret.data={ca_file}", *POST_RENDERER,
                             "--post-renderer-args", "--explain")

    out = rendered(run)
    job = embedded_job(out)["spec"]["template"]["spec"]["containers"][0]
    assert not {"HTTPS_PROXY", "HTTP_PROXY"} & {e["name"] for e in job.get("env", [])}
    [said] = [line.split("auto-update is on: ")[1] for line in run.stderr.splitlines()
              if "auto-update is on: " in line]
    assert "proxy" not in said
    assert said.endswith("every later auto-update keeps the CA and the checksums")
    assert "# the auto-update Job reaches charts.spot.io and trusts the CA\n" in run.stderr


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_help_and_version_under_helm_are_refused_not_taken_for_the_release(helm_user, flag):
    """'helm template' wrote the version (or the help) as the release's manifests, exit 0;
    'helm upgrade' failed on it with a YAML error that named nothing."""
    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, "--post-renderer-args", flag)

    assert run.returncode != 0
    assert run.stdout == b""
    assert (f"ocean-proxy: error: {flag} prints text instead of the manifests, which helm "
            "would take for the release\n") in run.stderr

    alone = run_command([VENV_BIN / "ocean-proxy-post-renderer", flag], env=clean_env())
    assert alone.returncode == 0 and alone.stdout.startswith(
        b"ocean-proxy-post-renderer 0.1" if flag == "--version" else b"usage: ")
    said = re.search(r"((?:--post-renderer-args )?--explain) shows", run.stderr)
    assert said, run.stderr
    explained = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, *said.group(1).split())
    assert explained.returncode == 0, explained.stderr  # helm refuses '--explain' of its own
    assert "ocean-proxy: error" not in explained.stderr and rendered(explained)


@pytest.mark.parametrize("argument", ["--explain --version", "--proxy-url=http://p:1 --help"])
def test_help_or_version_among_flags_in_one_argument_is_refused_under_helm(helm_user, argument):
    """Helm passes '--post-renderer-args "--explain --version"' as one argument, which is read
    as the flags a shell would split it into: the version was written as the release, exit 0."""
    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, "--post-renderer-args", argument)

    assert run.returncode != 0
    assert run.stdout == b""
    assert "prints text instead of the manifests, which helm would take for the release" \
        in run.stderr


def test_strict_from_the_environment_is_named_where_it_was_set(helm_user, ca_file):
    """OCEAN_PROXY_STRICT=true in a CI job's environment: the refusal told to 'drop
    --strict', a flag the command did not have."""
    env = {**helm_user.env, "OCEAN_PROXY_STRICT": "true"}
    secure = (*VENDOR_FLAGS, "--set", "caBundleSecret.create=true", "--set-file",
              f"caBundleSecret.data={ca_file}", *POST_RENDERER)
    flags = (*secure, "--set", "spotinst.insecureSkipTLSVerify=true")

    run = helm_user.template(*flags, env=env)

    assert run.returncode != 0 and run.stdout == b""
    hint = next(line for line in run.stderr.splitlines() if line.startswith("ocean-proxy: hint"))
    assert hint.endswith("; or unset OCEAN_PROXY_STRICT")

    strict = ["--post-renderer-args", "--strict"]
    flag = helm_user.template(*flags, *strict)
    hint = next(line for line in flag.stderr.splitlines() if line.startswith("ocean-proxy: hint"))
    assert hint.startswith(f"{hint.partition('; or drop ')[0]}; or drop --strict (under helm:")
    assert helm_flags_in(hint.partition("; or drop ")[2]) == strict  # what to drop, as given

    rendered = helm_user.template(*secure, env=env)  # the notice is of a render that happens
    assert rendered.returncode == 0, rendered.stderr
    assert "the post-renderer fails that upgrade before anything is applied " \
           "(OCEAN_PROXY_STRICT)" in rendered.stderr


def test_an_empty_config_value_counts_as_unset(helm_user, tmp_path):
    """A config file filled in from the environment (envsubst) with a variable unset."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text("proxyUrl:\nautoUpdate:\ncaFiles: ''\nnoProxy: [.from-config.corp]\n")

    out = rendered(helm_user.template(*PROXY_FLAGS, *POST_RENDERER,
                                      "--post-renderer-args", f"--config={config}"))

    assert_proxy_everywhere(out, PROXY_URL, [".from-config.corp"])


def template_with_config(helm_user, tmp_path, content: str):
    """helm template with the post-renderer, its settings in a config file only the user can
    read, named by OCEAN_PROXY_CONFIG; the file and the run, which must succeed."""
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(content)
    config.chmod(0o600)
    run = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER,
                             env={**helm_user.env, "OCEAN_PROXY_CONFIG": str(config)})
    assert run.returncode == 0, run.stderr
    return config, run


@pytest.mark.parametrize("content", ["", "proxyUrl:\ncaFiles: ''\nnoProxy: []\n"])
def test_a_config_file_that_sets_nothing_is_warned_about(helm_user, tmp_path, content):
    """An empty CI secret written to the file, or every variable envsubst filled in unset:
    each empty value counts as unset, as documented, so the chart's settings are used (here
    none: the controller would deploy without the proxy). The file was named to configure
    the run, so that it configured nothing is a warning, not only the notice of a release
    left as rendered."""
    config, run = template_with_config(helm_user, tmp_path, content)
    warnings = [line for line in run.stderr.splitlines() if "warning" in line]
    assert warnings == [f"ocean-proxy: warning: config file {config} sets nothing: it is empty, "
                        "or each value in it is (an empty secret, a variable envsubst did not "
                        "find?)"], run.stderr


@pytest.mark.parametrize("content", [f"workloads: [Deployment/{FULLNAME}]\n",
                                     "proxyUrl:\nautoUpdate: keep\n"])
def test_a_config_file_that_sets_only_workloads_or_the_auto_update_is_not_said_to_set_nothing(
        helm_user, tmp_path, content):
    """Neither names the proxy nor a CA, yet each is a setting the render follows."""
    _, run = template_with_config(helm_user, tmp_path, content)
    assert "sets nothing" not in run.stderr and "warning" not in run.stderr, run.stderr


# Helm 4 re-serialises the manifests before and after any post-renderer (even `cat`), so
# byte identity is checked on Helm 3; on Helm 4 the documents must parse to the same objects.
# (The post-renderer's own byte identity, input to output, is tested without helm.)

def test_nothing_configured_passes_the_release_through_unchanged(helm_user):
    plain = helm_user.template(*VENDOR_FLAGS)
    through = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER)
    assert through.returncode == 0
    if helm_user.major == "helm3":
        assert through.stdout == plain.stdout
    assert rendered(through).docs == rendered(plain).docs
    assert "ocean-proxy: no proxy URL and no CA bundle configured" in through.stderr


def test_a_release_holding_a_pem_in_a_configmap_and_a_secret_is_not_taken_for_a_ca(
        helm_user, corp_root, tmp_path):
    """A PEM given where manifests belong is refused; a release whose objects carry one
    (a trust ConfigMap, a TLS Secret) still passes through as helm rendered it."""
    chart = tmp_path / "trust-chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: trust-chart\nversion: 0.1.0\n")
    (chart / "templates" / "objects.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: trust\ndata:\n"
        "  ca.crt: |\n{{ .Values.ca | indent 4 }}\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\nstringData:\n"
        "  tls.crt: |\n{{ .Values.ca | indent 4 }}\n")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(corp_root.pem)
    plain = run_command([helm_user.binary, "template", "r", chart, "--set-file", f"ca={ca}"],
                        env=helm_user.env)
    assert plain.returncode == 0 and "BEGIN CERTIFICATE" in plain.text, plain.stderr

    run = run_command([helm_user.binary, "template", "r", chart, "--set-file", f"ca={ca}",
                       *POST_RENDERER], env=helm_user.env)

    assert run.returncode == 0, run.stderr
    assert parse(run.text).docs == parse(plain.text).docs  # Helm 4 writes them out anew
    if helm_user.major == "helm3":
        assert run.stdout == plain.stdout
    assert "not Kubernetes manifests" not in run.stderr


def test_documents_without_changes_stay_as_they_were(helm_user, ca_file):
    plain = helm_user.template(*PROXY_FLAGS).text
    out = helm_user.template(*PROXY_FLAGS, *POST_RENDERER,
                             "--post-renderer-args", f"--ca-file={ca_file}").text
    # the documents ocean-proxy changes, and the Secrets it adds for the auto-update
    targets = {("ConfigMap", FULLNAME), ("Deployment", FULLNAME),
               ("Secret", f"{FULLNAME}-ca-bundle"), ("Secret", f"{FULLNAME}-ocean-proxy-ca"),
               ("Secret", f"{FULLNAME}-ocean-proxy-values"),
               ("Secret", f"{FULLNAME}-ocean-proxy")}  # added: the full URL, for the exporter
    before = [d for d in parse(plain).docs if (d["kind"], d["metadata"]["name"]) not in targets]
    after = [d for d in parse(out).docs if (d["kind"], d["metadata"]["name"]) not in targets]
    assert len(before) > 10
    assert after == before
    if helm_user.major == "helm3":
        documents = split_documents(plain)
        changed = [d for d in documents if d not in split_documents(out)]
        assert len(changed) == 2  # the ConfigMap (auto-update Job) and the Deployment
        assert all(f"name: {FULLNAME}\n" in d for d in changed)


def test_changed_documents_keep_their_comments(helm_user):
    out = helm_user.template(*PROXY_FLAGS, *POST_RENDERER).text
    deployment = next(d for d in out.split("\n---\n") if "kind: Deployment" in d
                      and f"name: {FULLNAME}\n" in d)
    assert "# Source: ocean-kubernetes-controller/templates/deployment.yaml" in deployment
    assert "# controller" in deployment
    assert "# log shipper" in deployment


def test_post_rendered_release_passes_kubernetes_schema_validation(helm_user, ca_file):
    out = rendered(helm_user.template(*VENDOR_FLAGS, "--set", "spotinst.proxyUrl=http://u:p%40ss@proxy:3128",
        *POST_RENDERER, "--post-renderer-args", f"--ca-file={ca_file}"))
    assert validation_errors(out.docs) == []
    job = embedded_job(out)
    assert validation_errors([job]) == []


def test_proxy_credentials_land_in_a_secret_and_nowhere_else(helm_user):
    password = "S3cr3t-pa55"
    run = helm_user.template(*VENDOR_FLAGS, "--set",
                        f"spotinst.proxyUrl=http://svc-ocean:{password}@proxy.corp:3128",
                        *POST_RENDERER)
    out = rendered(run)
    assert password not in run.text
    assert password not in run.stderr
    assert out.config()["proxy-url"] == ""
    secret = out.one("Secret", f"{FULLNAME}-ocean-proxy")
    assert base64.b64decode(secret["data"]["proxy-url"]).decode() == \
        f"http://svc-ocean:{password}@proxy.corp:3128"
    ref = {"secretKeyRef": {"name": f"{FULLNAME}-ocean-proxy", "key": "proxy-url"}}
    for name in CONTAINERS:
        for var in PROXY_VARS:
            if (name, var) != (CONTROLLER, "HTTPS_PROXY"):
                assert out.env(name)[var] == {"name": var, "valueFrom": ref}
    assert_chart_https_proxy(out)
    job_env = {e["name"]: e for e in embedded_job(out)["spec"]["template"]["spec"]
               ["containers"][0]["env"]}
    # optional in the Job: one the controller creates after the Secret was deleted still starts
    assert job_env["HTTPS_PROXY"]["valueFrom"] == {
        "secretKeyRef": {**ref["secretKeyRef"], "optional": True}}
    annotation = out.pod()["metadata"]["annotations"]["checksum/proxy"]
    for guess in (password, f"svc-ocean:{password}"):
        assert hashlib.sha256(guess.encode()).hexdigest() != annotation


def test_percent_encoded_credentials_go_to_fluent_bit_decoded_and_to_go_as_given(
        helm_user):
    url = "http://svc-ocean:p%40ss%3Aw0rd@proxy.corp:3128"
    out = rendered(helm_user.template(*VENDOR_FLAGS, "--set",
                                 f"spotinst.proxyUrl={url}", *POST_RENDERER))

    data = out.one("Secret", f"{FULLNAME}-ocean-proxy")["data"]
    assert base64.b64decode(data["proxy-url"]).decode() == url
    assert base64.b64decode(data["fluent-bit-proxy-url"]).decode() == \
        "http://svc-ocean:p@ss:w0rd@proxy.corp:3128"  # as fluent-bit splits it: last @, first :
    key = {name: {var: out.env(name)[var]["valueFrom"]["secretKeyRef"]["key"]
                  for var in PROXY_VARS if (name, var) != (CONTROLLER, "HTTPS_PROXY")}
           for name in CONTAINERS}
    assert key["ocean-kubernetes-controller"] == dict.fromkeys(PROXY_VARS[1:], "proxy-url")
    assert key["log-shipper"] == {"HTTPS_PROXY": "proxy-url", "https_proxy": "proxy-url",
                                  "HTTP_PROXY": "fluent-bit-proxy-url",
                                  "http_proxy": "fluent-bit-proxy-url"}
    job_env = {e["name"]: e for e in embedded_job(out)["spec"]["template"]["spec"]
               ["containers"][0]["env"]}
    assert {job_env[var]["valueFrom"]["secretKeyRef"]["key"] for var in PROXY_VARS} == \
        {"proxy-url"}


def test_auto_update_job_gets_proxy_ca_and_overlay_and_what_follows_is_said(helm_user, ca_file):
    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER,
                        "--post-renderer-args", f"--ca-file={ca_file}")
    job = embedded_job(rendered(run))
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["HTTPS_PROXY"]["value"] == PROXY_URL
    assert "/etc/ocean-proxy/ca" in env["SSL_CERT_DIR"]["value"]
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    assert {"ocean-proxy-ca-bundle", "ocean-proxy-overlay"} <= set(volumes)
    # the bundle alone, from the kept Secret, and the Job starts without it (Go: no hash files)
    assert volumes["ocean-proxy-ca-bundle"]["secret"] == {
        "secretName": f"{FULLNAME}-ocean-proxy-ca", "items": [{"key": CA_KEY, "path": CA_KEY}],
        "optional": True}
    assert not any("subPath" in m for m in container["volumeMounts"])
    assert container["args"][-1].endswith('--values /tmp/values.yaml "${OCEAN_PROXY_ARGS[@]}"\n')
    assert ". /etc/ocean-proxy/overlay/prepare.sh" in container["args"][-1]
    assert "every later auto-update keeps the proxy, the CA and the checksums" in run.stderr
    assert "helm 3.1 or later" in run.stderr
    assert f"kubectl delete secret -n {NAMESPACE} {FULLNAME}-ocean-proxy-values" in run.stderr


# The command that removes what helm keeps, on a line of its own (after the exporter's step)
DELETE_LINE = rf"^ +(?:then )?'kubectl delete secret -n {NAMESPACE} ([^']+)' deletes (?:them|it)$"


@pytest.mark.parametrize("settings", ["proxy with a password", "plain proxy", "CA alone"])
def test_the_delete_command_names_every_secret_helm_keeps(helm_user, ca_file, settings):
    """Every Secret the render makes with helm's 'keep' policy outlives the release's
    ocean-proxy, and the one 'kubectl delete secret' line the render gives must name each:
    a plain proxy's and a CA-only release's Secret beside the ConfigMap went unnamed."""
    proxy = {"proxy with a password": "http://svc:pw-4k2@proxy.corp:3128",
             "plain proxy": PROXY_URL, "CA alone": ""}[settings]
    run = helm_user.template(*VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={proxy}",
                             "--set", "caBundleSecret.create=true",
                             "--set-file", f"caBundleSecret.data={ca_file}", *POST_RENDERER)

    kept = {doc["metadata"]["name"] for doc in rendered(run).docs if doc["kind"] == "Secret"
            and (doc["metadata"].get("annotations") or {}).get("helm.sh/resource-policy")
            == "keep"}
    [named] = re.findall(DELETE_LINE, run.stderr, re.MULTILINE)  # a line of its own, to copy
    assert f"{FULLNAME}-ocean-proxy" in kept
    assert set(named.split()) == kept
    # under the line that names them and says when: never alone, as if to run now
    lines = run.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(DELETE_LINE, line))
    above = [line for line in lines[:at] if not line.strip().startswith("first upgrade")]
    assert "once ocean-proxy is removed" in above[-1], run.stderr
    assert all(f"'{secret}'" in above[-1] for secret in kept), run.stderr


@pytest.mark.parametrize("settings", ["plain proxy", "CA alone"])
def test_without_auto_update_the_delete_command_still_names_every_secret_helm_keeps(
        helm_user, ca_file, settings):
    """With spotinst.disableAutoUpdate=true there is no auto-update notice, yet the Secrets
    helm keeps (the one beside the ConfigMap, the CA the pods mount) outlive ocean-proxy all
    the same: the render names them in a 'kubectl delete secret' line of its own."""
    proxy = {"plain proxy": PROXY_URL, "CA alone": ""}[settings]
    run = helm_user.template(*VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={proxy}",
                             "--set", "spotinst.disableAutoUpdate=true",
                             "--set", "caBundleSecret.create=true",
                             "--set-file", f"caBundleSecret.data={ca_file}", *POST_RENDERER)

    assert run.returncode == 0, run.stderr
    kept = {doc["metadata"]["name"] for doc in rendered(run).docs if doc["kind"] == "Secret"
            and (doc["metadata"].get("annotations") or {}).get("helm.sh/resource-policy")
            == "keep"}
    named = re.findall(DELETE_LINE, run.stderr, re.MULTILINE)
    assert {f"{FULLNAME}-ocean-proxy", f"{FULLNAME}-ocean-proxy-ca"} <= kept
    # and the auto-update's values, which helm keeps from a render before it was switched off
    assert len(named) == 1 and set(named[0].split()) == \
        kept | {"--ignore-not-found", f"{FULLNAME}-ocean-proxy-values"}


def test_auto_update_refuse_policy_fails_the_release_while_auto_update_is_on(helm_user):
    refused = helm_user.template(*PROXY_FLAGS, *POST_RENDERER,
                            "--post-renderer-args", "--auto-update=refuse")
    assert refused.returncode != 0
    assert "ocean-proxy: error: the release's auto-update Job is on" in refused.stderr
    allowed = helm_user.template(*PROXY_FLAGS, "--set",
                            "spotinst.disableAutoUpdate=true", *POST_RENDERER,
                            "--post-renderer-args", "--auto-update=refuse")
    assert allowed.returncode == 0, allowed.stderr
    assert "auto-update is on" not in allowed.stderr


def test_plan_under_helm_is_refused_since_helm_would_deploy_the_json(helm_user):
    run = helm_user.template(*PROXY_FLAGS, *POST_RENDERER, "--post-renderer-args", "--plan")

    assert run.returncode != 0
    assert "ocean-proxy: error: --plan prints JSON instead of the manifests" in run.stderr
    assert '"documents"' not in run.text


def test_the_command_line_tool_given_as_helm3_post_renderer_names_the_post_renderer(
        tmp_path, release):
    """Helm 3 runs any executable on PATH; Helm 4 takes only postrenderer/v1 plugins. Given no
    settings of its own (the plain mix-up), it was 'internal error (ValueError)'."""
    env = post_renderer_user_env("helm3", tmp_path, HELM_PLUGINS=str(tmp_path / "plugins"),
                                 OCEAN_PROXY_MESSAGES="auto")
    user = HelmUser("helm3", tool("helm3"), env)
    install_post_renderer_plugin("helm3", user.binary, release, env)
    for flags in ((), ("--ca-file=ca.pem",), ("--ca-file", "ca.pem")):  # the README's forms
        run = user.template(*PROXY_FLAGS, "--post-renderer", "ocean-proxy",
                            *(f for flag in flags for f in ("--post-renderer-args", flag)))

        assert run.returncode != 0
        assert "ocean-proxy: error: helm runs 'ocean-proxy', the command-line tool" in run.stderr
        assert "--post-renderer ocean-proxy-post-renderer" in run.stderr


def test_plan_through_a_wrapper_script_that_does_not_exec_is_refused_too(tmp_path):
    """helm 3 runs any executable: a wrapper that calls the post-renderer without exec puts a
    shell between them, and helm still reads the JSON as the release."""
    wrapper = tmp_path / "wrapper.sh"
    wrapper.write_text(f'#!/bin/bash\n"{VENV_BIN}/ocean-proxy-post-renderer" "$@"\n')
    wrapper.chmod(0o755)
    env = clean_env(OCEAN_PROXY_MESSAGES="auto", HELM_DATA_HOME=str(tmp_path / "data"),
                    HELM_CONFIG_HOME=str(tmp_path / "config"),
                    HELM_CACHE_HOME=str(tmp_path / "cache"))
    user = HelmUser("helm3", tool("helm3"), env)

    run = user.template(*PROXY_FLAGS, "--post-renderer", wrapper,
                        "--post-renderer-args", "--plan")

    assert run.returncode != 0
    assert "ocean-proxy: error: --plan prints JSON instead of the manifests" in run.stderr
    assert '"documents"' not in run.text


@pytest.mark.parametrize("flags, fullname", [
    (("--set", "nameOverride=spot"), "ocean-controller-spot"),
    (("--set", "fullnameOverride=ocean"), "ocean"),
    ((), "ocean-kubernetes-controller"),
], ids=["nameOverride", "fullnameOverride", "release-named-like-the-chart"])
def test_controller_is_found_by_what_it_is_whatever_its_name(helm_user, flags, fullname):
    release = "ocean-kubernetes-controller" if not flags else RELEASE
    out = rendered(helm_user.template(*PROXY_FLAGS, *flags, *POST_RENDERER,
                                 release=release))
    env = {e["name"]: e for e in out.pod(fullname)["spec"]["containers"][1]["env"]}
    assert env["HTTP_PROXY"]["value"] == PROXY_URL
    metrics = next(d for d in out.docs if d["kind"] == "Deployment" and d is not
                   out.one("Deployment", fullname))
    assert all("env" not in c for c in metrics["spec"]["template"]["spec"]["containers"])


def test_a_refused_bundle_stops_helm_with_our_one_line_error(helm_user, corp_root, tmp_path):
    server = certs.leaf(corp_root)
    pasted = tmp_path / "leaf.pem"
    pasted.write_bytes(server.pem)
    run = helm_user.template(*PROXY_FLAGS, "--set", "caBundleSecret.create=true",
                        "--set-file", f"caBundleSecret.data={pasted}", *POST_RENDERER)
    assert run.returncode != 0
    assert run.stdout == b""
    errors = [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy: error:")]
    assert len(errors) == 1
    assert "is a server certificate, not a CA" in errors[0]
    assert "Traceback" not in run.stderr


def test_nothing_configured_says_how_to_give_the_settings_under_helm(helm_user, tmp_path):
    """The notice of a release with no proxy and no CA names our flags; given to helm as they
    are, helm refuses them ('unknown flag: --proxy-url'): it says how helm passes them, and
    that line, with a real URL and CA file, injects."""
    run = helm_user.template(*VENDOR_FLAGS, *POST_RENDERER)
    assert run.returncode == 0, run.stderr
    said = re.search(r"under helm: (--post-renderer-args --proxy-url=URL "
                     r"--post-renderer-args --ca-file=FILE)", run.stderr)
    assert said, run.stderr
    ca = tmp_path / "corp-ca.pem"
    ca.write_bytes(certs.root("Corp Root CA").pem)
    flags = said.group(1).replace("=URL", f"={PROXY_URL}").replace("=FILE", f"={ca}").split()
    out = rendered(helm_user.template(*VENDOR_FLAGS, *POST_RENDERER, *flags))
    env = {e["name"]: e.get("value") for e in out.container(CONTROLLER)["env"]}
    assert env["https_proxy"] == PROXY_URL and env["SSL_CERT_DIR"].endswith("/etc/ocean-proxy/ca")
