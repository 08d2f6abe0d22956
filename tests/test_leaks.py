"""Leak audit: no failure path prints a secret from its input.

Each scenario runs the real command on a release that carries a Spot token (literally in
the controller's env, base64 in the chart's Secret), a proxy password (in the URL from a
flag, the environment, the config file or the chart's ConfigMap) and a private key (in a CA
file or the chart's CA Secret), and makes it fail in one of the ways the tests know. Whatever
the failure, stdout stays empty, stderr holds one error and one hint, and neither stream holds
any form of any secret: plain, URL-encoded, hex, or base64 at any alignment (a secret inside
a base64 blob), for the key also every line of its PEM body.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from . import certs
from .certs import DAY, NOW
from .conftest import VENV_BIN, Run, clean_env, ocean_proxy

TOKEN = "spot-token-9c2e7d41aa"
PASSWORD = "Pr0xy-S3cret-hunter2"
PROXY = f"http://ocean:{PASSWORD}@proxy.corp:3128"
FULLNAME = "oc-ocean-kubernetes-controller"


@dataclass
class Case:
    """What to run: arguments, manifests, extra environment, files to write first."""

    args: list[str]
    manifests: bytes = b""
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    exit_code: int = 1
    report_on_stdout: bool = False  # check-bundle's report is its output


@pytest.fixture(scope="module")
def material():
    root = certs.root("Leak Audit Root CA")
    return {"root": root, "key_pem": root.key_pem, "key_der": _key_der(root)}


def _key_der(issued) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return issued.key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def release(*, proxy_url: str = PROXY, ca_data: bytes | None = None, env_extra: str = "",
            job: str | None = None) -> bytes:
    """A compact release shaped like the chart's: Secret, ConfigMap, CA Secret, Deployment."""
    docs = [f"""---
apiVersion: v1
kind: Secret
metadata:
  name: {FULLNAME}
data:
  token: {b64(TOKEN)}
stringData:
  token-plain: {TOKEN}
""", f"""---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {FULLNAME}
data:
  proxy-url: {proxy_url}
"""]
    if job is not None:
        docs[-1] += "  auto-update.job: |\n" + "".join(f"    {line}\n"
                                                     for line in job.splitlines())
    if ca_data is not None:
        docs.append(f"""---
apiVersion: v1
kind: Secret
metadata:
  name: {FULLNAME}-ca-bundle
data:
  userEnvCertificates.pem: {b64(ca_data)}
""")
    docs.append(f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {FULLNAME}
spec:
  template:
    spec:
      containers:
      - name: ocean-kubernetes-controller
        image: spotinst/ocean-kubernetes-controller:2
        env:
        - name: SPOTINST_TOKEN
          value: {TOKEN}
        - name: HTTPS_PROXY
          valueFrom:
            configMapKeyRef: {{name: {FULLNAME}, key: proxy-url, optional: true}}
        - name: USER_ENV_CERTIFICATES
          valueFrom:
            secretKeyRef: {{name: {FULLNAME}-ca-bundle, key: userEnvCertificates.pem}}
{env_extra}""")
    return "".join(docs).encode()


JOB = f"""apiVersion: batch/v1
kind: Job
metadata:
  name: auto-update
spec:
  template:
    spec:
      containers:
        - name: auto-update
          image: spotinst/auto-update:1
          env:
            - name: SPOTINST_TOKEN
              value: {TOKEN}
"""

NO_CONTROLLER = f"""---
apiVersion: v1
kind: Secret
metadata:
  name: other
data:
  token: {b64(TOKEN)}
""".encode()

# Every failure path the tests know, each fed all three secrets.
SCENARIOS: dict[str, Callable[[dict], Case]] = {
    "proxy-flag-bad-scheme": lambda m: Case(
        ["render", "--proxy-url", f"socks5://ocean:{PASSWORD}@proxy.corp:1080"], release()),
    "proxy-flag-bad-port": lambda m: Case(
        ["render", "--proxy-url", f"http://ocean:{PASSWORD}@proxy.corp:99999"], release()),
    "proxy-flag-path": lambda m: Case(["render", "--proxy-url", PROXY + "/path"], release()),
    "proxy-flag-space": lambda m: Case(
        ["render", "--proxy-url", f"http://ocean:{PASSWORD}@proxy corp:3128"], release()),
    "proxy-flag-no-user": lambda m: Case(
        ["render", "--proxy-url", f"http://:{PASSWORD}@proxy.corp:3128"], release()),
    "proxy-env-bad-scheme": lambda m: Case(
        ["render"], release(), env={"OCEAN_PROXY_URL": f"ftp://ocean:{PASSWORD}@proxy"}),
    "proxy-config-bad-scheme": lambda m: Case(
        ["render", "--config", "config.yaml"], release(),
        files={"config.yaml": f"proxyUrl: socks5://ocean:{PASSWORD}@p:1080\n".encode()}),
    "proxy-chart-configmap-bad-scheme": lambda m: Case(
        ["render"], release(proxy_url=f"socks5://ocean:{PASSWORD}@proxy.corp:1080")),
    "config-unknown-key": lambda m: Case(
        ["render", "--config", "config.yaml"], release(),
        files={"config.yaml": f"proxyUrl: {PROXY}\nnoproxy: [a]\n".encode()}),
    "config-invalid-yaml": lambda m: Case(
        ["render", "--config", "config.yaml"], release(),
        files={"config.yaml": f'proxyUrl: "{PROXY}\nnoProxy: [\n'.encode()}),
    "config-duplicate-key": lambda m: Case(
        ["render", "--config", "config.yaml"], release(),
        files={"config.yaml": f"proxyUrl: {PROXY}\nproxyUrl: {PROXY}x\n".encode()}),
    "config-not-a-mapping": lambda m: Case(
        ["render", "--config", "config.yaml"], release(),
        files={"config.yaml": f"proxyUrl={PROXY}\n".encode()}),
    "flag-name-typo": lambda m: Case(["render", f"--proxy_url={PROXY}"], release(), exit_code=2),
    "flag-name-forgotten": lambda m: Case(["render", PROXY], release(), exit_code=2),
    "url-given-to-auto-update": lambda m: Case(
        ["render", "--auto-update", PROXY], release(), exit_code=2),
    "url-given-to-workload": lambda m: Case(["render", "--workload", PROXY], release()),
    "url-given-to-no-proxy": lambda m: Case(
        ["render", "--proxy-url", PROXY, "--no-proxy", PROXY], release()),
    "explain-and-plan": lambda m: Case(
        ["render", "--proxy-url", PROXY, "--explain", "--plan"], release(), exit_code=2),
    "ca-file-with-private-key": lambda m: Case(
        ["render", "--ca-file", "ca.pem"], release(),
        files={"ca.pem": m["root"].pem + m["key_pem"]}),
    "ca-file-only-private-key": lambda m: Case(
        ["render", "--ca-file", "ca.pem"], release(), files={"ca.pem": m["key_pem"]}),
    "ca-file-expired-and-key": lambda m: Case(
        ["render", "--ca-file", "ca.pem"], release(),
        files={"ca.pem": certs.root("Old", not_after=NOW - DAY,
                                    not_before=NOW - 9 * DAY).pem + m["key_pem"]}),
    "ca-file-der-key": lambda m: Case(
        ["render", "--ca-file", "ca.der"], release(), files={"ca.der": m["key_der"]}),
    "chart-ca-secret-with-private-key": lambda m: Case(
        ["render"], release(ca_data=m["root"].pem + m["key_pem"])),
    "chart-ca-secret-not-base64": lambda m: Case(
        ["render"], release().replace(b"token: " + b64(TOKEN).encode(),
                                      f"token: {TOKEN}!".encode())
        + f"""---
apiVersion: v1
kind: Secret
metadata:
  name: {FULLNAME}-ca-bundle
data:
  userEnvCertificates.pem: "{TOKEN}!{PASSWORD}"
""".encode()),
    "target-duplicate-key": lambda m: Case(
        ["render", "--proxy-url", PROXY], release(env_extra=(
            f"        - name: PASSWORD\n          value: {PASSWORD}\n"
            f"          value: {TOKEN}\n"))),
    "target-undefined-alias": lambda m: Case(
        ["render", "--proxy-url", PROXY],
        release(env_extra=f"        - name: X\n          value: *{TOKEN}\n")),
    "target-bad-escape": lambda m: Case(
        ["render", "--proxy-url", PROXY],
        release(env_extra=f'        - name: X\n          value: "\\U{TOKEN}"\n')),
    "target-unterminated-quote": lambda m: Case(
        ["render", "--proxy-url", PROXY],
        release(env_extra=f'        - name: X\n          value: "{PASSWORD}\n')),
    "target-tab-indentation": lambda m: Case(
        ["render", "--proxy-url", PROXY],
        release(env_extra=f"        - name: X\n\t  value: {TOKEN}\n")),
    "target-invalid-utf8": lambda m: Case(
        ["render", "--proxy-url", PROXY],
        release().replace(b"image: spotinst", b"image: \xff\xfe" + TOKEN.encode())),
    "embedded-job-invalid-yaml": lambda m: Case(
        ["render"], release(job=JOB.replace("      containers:",
                                            f"      x: *{TOKEN}\n      containers:"))),
    "workload-missing": lambda m: Case(
        ["render", "--proxy-url", PROXY, "--workload", "Deployment/nope"], release()),
    "explicit-settings-without-controller": lambda m: Case(
        ["render", "--proxy-url", PROXY], NO_CONTROLLER),
    "auto-update-refused": lambda m: Case(
        ["render", "--auto-update", "refuse"], release(job=JOB)),
    "empty-input": lambda m: Case(["render", "--proxy-url", PROXY], b"\n"),
    "unreadable-input-file": lambda m: Case(
        ["render", "--proxy-url", PROXY, "-f", "/nonexistent/release.yaml"]),
    # ocean-proxy values reads the user's values files, which hold the token and the password
    "values-file-invalid-yaml": lambda m: _values_case(
        f"spotinst:\n  token: {TOKEN}\n  proxyUrl: {PROXY}\n  x: [{TOKEN}\n".encode()),
    "values-file-bad-alias": lambda m: _values_case(
        f"spotinst:\n  token: *{TOKEN}\n  proxyUrl: {PROXY}\n".encode()),
    "values-file-not-utf8": lambda m: _values_case(
        f"spotinst:\n  token: {TOKEN}\xff\n  proxyUrl: {PROXY}\n".encode("latin-1")),
    "values-file-extra-env-not-a-list": lambda m: _values_case(
        f"extraEnv: {TOKEN}\nspotinst:\n  proxyUrl: {PROXY}\n".encode()),
    "values-file-extra-env-entry": lambda m: _values_case(
        f"extraEnv:\n- {TOKEN}\n- {PROXY}\n".encode()),
    "values-file-not-a-map": lambda m: _values_case(f"- {TOKEN}\n- {PROXY}\n".encode()),
    "check-bundle-private-key": lambda m: Case(
        ["check-bundle", "ca.pem"], files={"ca.pem": m["root"].pem + m["key_pem"]},
        report_on_stdout=True),
    "check-bundle-json-private-key": lambda m: Case(
        ["check-bundle", "--json", "ca.pem"], files={"ca.pem": m["key_pem"]},
        report_on_stdout=True),
}


def _values_case(values: bytes) -> Case:
    return Case(["values", "--values", "v.yaml", "--secrets", "s.yaml", "--proxy-url",
                 "http://proxy.corp:3128"], release(proxy_url="http://proxy.corp:3128"),
                files={"v.yaml": values})


def needles(secret: bytes) -> list[bytes]:
    """Every printable form of ``secret`` worth looking for, long ones also in 32-byte parts."""
    forms = [secret, quote(secret).encode(), secret.hex().encode()]
    for shift in range(3):  # base64 of the secret inside a larger blob, at each alignment
        forms.append(base64.b64encode(b"\0" * shift + secret)[4:-4])
    parts = []
    for form in forms:
        parts.append(form)
        parts.extend(form[i:i + 32] for i in range(0, max(len(form) - 32, 0), 32))
    return [p.lower() for p in parts if len(p) >= 12]


def all_needles(material: dict) -> dict[str, list[bytes]]:
    key_lines = [line.encode() for line in material["key_pem"].decode().splitlines()
                 if not line.startswith("-----")]
    return {
        "token": needles(TOKEN.encode()),
        "password": needles(PASSWORD.encode()),
        "private key": [*needles(material["key_der"]), *needles(material["key_pem"]),
                        *(line.lower() for line in key_lines if len(line) >= 12)],
    }


def leaks(run: Run, material: dict, *, stdout_too: bool = True) -> list[str]:
    haystack = (run.stderr.encode() + (run.stdout if stdout_too else b"")).lower()
    return [f"{what} ({needle[:16]!r}...)" for what, found in all_needles(material).items()
            for needle in found if needle in haystack]


def run_case(case: Case, tmp_path: Path) -> Run:
    for name, data in case.files.items():
        (tmp_path / name).write_bytes(data)
    return ocean_proxy(*case.args, stdin=case.manifests, env=clean_env(**case.env), cwd=tmp_path)


def test_the_audit_finds_each_secret_where_it_is(material):
    """The needles are right: the inputs themselves are full of hits."""
    inputs = Run(0, release(ca_data=material["key_pem"]) + PROXY.encode(), "")
    assert {hit.split(" (")[0] for hit in leaks(inputs, material)} == \
        {"token", "password", "private key"}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_failure_path_prints_a_secret(name, material, tmp_path):
    case = SCENARIOS[name](material)
    run = run_case(case, tmp_path)
    assert run.returncode == case.exit_code, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy: error:")]
    assert len(errors) == 1, run.stderr
    if not case.report_on_stdout:
        assert run.stdout == b""
    assert leaks(run, material) == [], run.stderr


@pytest.mark.parametrize("args", [
    ["--proxy-url", PROXY, "--explain"],
    ["--proxy-url", PROXY, "--plan"],
    ["--explain"],  # zero-config: the password comes from the chart's ConfigMap
    ["--plan"],
], ids=["explain", "plan", "zero-config-explain", "zero-config-plan"])
def test_successful_runs_print_no_secret_beside_the_manifests(args, material):
    run = ocean_proxy("render", *args, stdin=release(), env=clean_env())
    assert run.returncode == 0, run.stderr
    plan = "--plan" in args  # the plan is a report; the manifests legitimately hold secrets
    assert leaks(run, material, stdout_too=plan) == [], run.stderr


def test_an_internal_error_quoting_a_secret_prints_only_its_type(material):
    run = subprocess.run(
        [VENV_BIN / "python", "-c",
         "import sys; from post_renderer import cli; from post_renderer.commands import render\n"
         f"def boom(*a, **k): raise ValueError({TOKEN!r} + {PASSWORD!r})\n"
         "render.render = boom  # what a miss runs; the cache is off\n"
         f"sys.exit(cli.main(['render', '--proxy-url', {PROXY!r}]))"],
        input=release(), capture_output=True, env=clean_env(OCEAN_PROXY_NO_CACHE="1"))
    result = Run(run.returncode, run.stdout, run.stderr.decode())
    assert result.returncode == 1
    assert result.stdout == b""
    assert "internal error (ValueError)" in result.stderr
    assert leaks(result, material) == []


def only_ours(stderr: str) -> bool:
    """Every line one of our messages: its first line, or a line indented under one (a
    library's warning starts with its file name, which breaks the run)."""
    ours = False
    for line in stderr.splitlines():
        ours = line.startswith("ocean-proxy: ") or (ours and line.startswith("  "))
        if not ours:
            return False
    return True


def test_library_warnings_never_reach_stderr(material, tmp_path):
    """ruamel warns about a reused anchor by quoting the lines, secrets included, and
    cryptography about BER in a PKCS#7 bundle; neither is for the person running helm."""
    from cryptography.hazmat.primitives import serialization

    manifests = release(env_extra=(f"        - name: A\n          value: &same {TOKEN}\n"
                                   f"        - name: B\n          value: &same {PASSWORD}\n"))
    ca = tmp_path / "ca.p7b"
    ca.write_bytes(certs.pkcs7_bundle(material["root"], encoding=serialization.Encoding.DER)
                   + b"\0\0")
    run = ocean_proxy("render", "--ca-file", ca, stdin=manifests, env=clean_env())
    assert run.returncode == 0, run.stderr
    assert only_ours(run.stderr), run.stderr
    assert leaks(run, material, stdout_too=False) == []


# -- passwords with quotes, spaces, '@', '%' and non-ASCII -----------------------------------
# Each is made of three markers joined by the awkward characters, so a message that prints
# any piece of it (cut at a quote, a space or an '@') still shows a marker.
MARKERS = ("zq7", "fx9", "wv4")
AWKWARD_PASSWORDS = {
    "single-quote": "Zq7'Fx9%40Wv4",
    "double-quote-space": 'Zq7"Fx9 Wv4',
    "unencoded-at": "Zq7@Fx9@Wv4",
    "non-ascii": "Zq7äöüß€Fx9ÆWv4",
    "everything": "Zq7 'Fx9\" @Wv4%",
    "tab-colon": "Zq7\tFx9:Wv4",
}


def awkward_url(password: str, *, host: str = "proxy.corp:3128") -> str:
    return f"http://ocean:{password}@{host}"


def marker_leaks(run: Run) -> list[str]:
    haystack = (run.stderr + run.stdout.decode("utf-8", "replace")).lower()
    return [marker for marker in MARKERS if marker in haystack]


# Every path a value reaches a message by: arguments, environment, config file, URL checks.
AWKWARD_PATHS: dict[str, Callable[[str], Case]] = {
    "flag-typo-equals": lambda url: Case(["render", f"--proxy-ur={url}"], exit_code=2),
    "flag-typo-underscore": lambda url: Case(["render", f"--proxy_url={url}"], exit_code=2),
    "flag-missing-equals": lambda url: Case(["render", f"--proxy-url{url}"], exit_code=2),
    "flag-typo-one-argument": lambda url: Case(["render", f"--proxy-ur {url}"], exit_code=2),
    "flag-one-argument": lambda url: Case(["render", f"--proxy-url {url}"]),
    "flag-forgotten": lambda url: Case(["render", url], exit_code=2),
    "command-forgotten": lambda url: Case([url], exit_code=2),
    "single-dash-typo": lambda url: Case(["render", f"-proxy-url={url}"], exit_code=2),
    "url-to-auto-update": lambda url: Case(["render", "--auto-update", url], exit_code=2),
    "url-to-timeout": lambda url: Case(
        ["verify", "--proxy-url", "http://proxy.corp:3128", "--timeout", url], exit_code=2),
    "url-to-target": lambda url: Case(
        ["verify", "--proxy-url", "http://proxy.corp:3128", "--target", url], exit_code=2),
    "url-to-workload": lambda url: Case(["render", "--workload", url]),
    "url-to-no-proxy": lambda url: Case(["render", "--no-proxy", url]),
    "url-to-ca-file": lambda url: Case(["render", "--ca-file", url]),
    "url-to-filename": lambda url: Case(["render", "--proxy-url", "http://p:1", "-f", url],
                                        exit_code=2),
    "url-to-config": lambda url: Case(["render", "--config", url]),
    "url-flag": lambda url: Case(["render", "--proxy-url", url]),
    "url-flag-no-host": lambda url: Case(["render", "--proxy-url", url.rsplit("@", 1)[0] + "@"]),
    "url-flag-bad-port": lambda url: Case(["render", "--proxy-url", url + "99"]),
    "url-flag-bad-scheme": lambda url: Case(["render", "--proxy-url", "socks5" + url[4:]]),
    "verify-url": lambda url: Case(["verify", "--proxy-url", url + "x:y"]),
    "env-url": lambda url: Case(["render"], env={"OCEAN_PROXY_URL": url + "99"}),
    "env-auto-update": lambda url: Case(["render"], env={"OCEAN_PROXY_AUTO_UPDATE": url}),
    "env-no-proxy": lambda url: Case(["render"], env={"OCEAN_PROXY_NO_PROXY": url}),
    "env-ca-file": lambda url: Case(["render"], env={"OCEAN_PROXY_CA_FILE": url}),
    "env-config": lambda url: Case(["render"], env={"OCEAN_PROXY_CONFIG": url}),
    "config-url": lambda url: Case(["render", "--config", "c.yaml"],
                                   files={"c.yaml": _config("proxyUrl", url + "99")}),
    "config-auto-update": lambda url: Case(["render", "--config", "c.yaml"],
                                           files={"c.yaml": _config("autoUpdate", url)}),
    "config-workloads": lambda url: Case(["render", "--config", "c.yaml"],
                                         files={"c.yaml": _config("workloads", [url])}),
    "config-no-proxy": lambda url: Case(["render", "--config", "c.yaml"],
                                        files={"c.yaml": _config("noProxy", [url])}),
    "config-ca-files": lambda url: Case(["render", "--config", "c.yaml"],
                                        files={"c.yaml": _config("caFiles", [url])}),
    "config-url-as-key": lambda url: Case(["render", "--config", "c.yaml"],
                                          files={"c.yaml": _config(url, "x")}),
    "config-typo-key": lambda url: Case(["render", "--config", "c.yaml"],
                                        files={"c.yaml": _config("proxyurl", url)}),
    "chart-configmap": lambda url: Case(["render"], release(proxy_url=_yaml_string(url))),
}


def _yaml_string(text: str) -> str:
    import json

    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _config(key: str, value) -> bytes:
    import json

    return json.dumps({key: value}).encode()  # JSON is YAML, whatever the characters


def run_awkward(case: Case, tmp_path: Path) -> Run:
    from .cli_outcomes import run_main

    for name, data in case.files.items():
        (tmp_path / name).write_bytes(data)
    return run_main(case.args, stdin=case.manifests or release(), env=case.env, cwd=tmp_path)


@pytest.mark.parametrize("password", AWKWARD_PASSWORDS.values(), ids=AWKWARD_PASSWORDS.keys())
@pytest.mark.parametrize("path", sorted(AWKWARD_PATHS))
def test_no_path_prints_a_password_whatever_its_characters(path, password, tmp_path):
    case = AWKWARD_PATHS[path](awkward_url(password))
    run = run_awkward(case, tmp_path)
    assert "Traceback" not in run.stderr
    assert marker_leaks(run) == [], run.stderr
    if run.returncode == 0:  # a URL Go can read (the password percent-encoded): it is used
        assert path in ("url-flag", "chart-configmap", "flag-one-argument"), run.stderr
        return
    assert run.returncode in (1, 2), run.stderr  # a usage error or a refused setting
    assert run.stdout == b""
    errors = [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy: error:")]
    assert len(errors) == 1, run.stderr


def test_the_markers_find_the_password_where_it_is():
    for password in AWKWARD_PASSWORDS.values():
        assert marker_leaks(Run(1, b"", f"x {password[:5]} y")) == ["zq7"]


@pytest.mark.parametrize("args", [
    ["--post-renderer-args", "--proxy-ur={url}"],
    ["--post-renderer-args", "--proxy-url {url}"],
    ["--post-renderer-args", "--auto-update={url}"],
    ["--post-renderer-args", "--workload={url}"],
    ["--set-string", "spotinst.proxyUrl={url}"],
], ids=["flag-typo", "one-argument", "auto-update", "workload", "chart-value"])
@pytest.mark.parametrize("password", ["Zq7'Fx9 Wv4", 'Zq7"Fx9@Wv4', "Zq7äö€Fx9%Wv4"],
                         ids=["quote-space", "double-quote-at", "non-ascii-percent"])
def test_helm_3_quotes_our_error_without_the_password(args, password, tmp_path):
    """Helm 3 shows the post-renderer's stderr in its own error: it must hold no password."""
    from .chart_render import VENDOR_FLAGS
    from .conftest import FIXTURE_CHART, tool

    url = awkward_url(password).replace(",", "%2C")
    flags = [arg.format(url=url.replace("\\", "\\\\").replace(",", "\\,")) for arg in args]
    env = clean_env(PATH=f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
                    OCEAN_PROXY_MESSAGES="auto", HOME=str(tmp_path))
    done = subprocess.run([tool("helm3"), "template", "oc", FIXTURE_CHART, *VENDOR_FLAGS,
                           "--post-renderer", "ocean-proxy-post-renderer", *flags],
                          capture_output=True, env=env, timeout=120)
    run = Run(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))
    assert run.returncode != 0
    assert "ocean-proxy: error:" in run.stderr
    assert marker_leaks(run) == [], run.stderr


# -- secrets read after the command line --------------------------------------------------
# The messages never quote a secret; should one ever quote it anyway, the reporter knows
# every secret the run read, wherever it came from: the config file's proxy URL, the chart's
# ConfigMap, another proxy variable the chart rendered, and the Spot token of the chart's
# Secret. Each case makes the check that reads it quote the password (or the token) bare.
def _quoting(monkeypatch, module: str, name: str, secret_of) -> None:
    import importlib

    from post_renderer.errors import ProxyUrlError

    target = importlib.import_module(module)
    real = getattr(target, name)

    def quoted(*args, **kwargs):
        forms = secret_of(*args)
        if forms:
            raise ProxyUrlError(f"refused: {' '.join(forms)}", hint=f"not {forms[0]}")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, quoted)


def _password_in(text, *rest) -> list[str]:
    password = text.rpartition("@")[0].partition("://")[2].partition(":")[2]
    return [password, quote(password)] if password else []


def _token_of(user, chart, *rest) -> list[str]:
    """The token as the chart's Secret holds it, too: in base64."""
    token = chart.spot_token.decode() if chart.spot_token else ""
    return [token, b64(token), b64(token).rstrip("=")] if token else []


QUOTED_SOURCES = {
    "config-file": (["render", "--config", "c.yaml"], release(proxy_url="http://p:1"),
                    "post_renderer.render.release.settings", "parse_proxy_url", _password_in),
    # --proxy-url wins over the config file's, whose password is hidden all the same
    "config-file-unused": (["render", "--config", "c.yaml", "--proxy-url", "http://p:1"],
                           release(proxy_url="http://p:1"), "post_renderer.render.units",
                           "resolve_injection", lambda *rest: [PASSWORD]),
    "chart-configmap": (["render"], release(), "post_renderer.render.release.chart_settings",
                        "parse_proxy_url", _password_in),
    # the chart's own proxy without a password, or hiding it would hide this one's too; a
    # value it does not parse as a URL is skipped, so a later check quotes the password
    "chart-other-proxy": (["render"], release(proxy_url="http://proxy.corp:3128", env_extra=(
        f"        - name: HTTPS_PROXY\n          value: {PROXY}\n"
    )), "post_renderer.render.units", "resolve_injection", lambda *rest: [PASSWORD]),
    "chart-token": (["render"], release(env_extra=(
        f"        - name: SPOTINST_TOKEN\n          valueFrom:\n            secretKeyRef: "
        f"{{name: {FULLNAME}, key: token}}\n")).replace(
        f"        - name: SPOTINST_TOKEN\n          value: {TOKEN}\n".encode(), b""),
        "post_renderer.render.units", "resolve_injection", _token_of),
    "chart-token-literal": (["render"], release(), "post_renderer.render.units",
                            "resolve_injection", lambda *rest: [TOKEN]),
}


def _values_secrets(values, *rest) -> list[str]:
    """What a values file's spotinst holds: the token, and the proxy URL's password."""
    spotinst = values.get("spotinst", {})
    return [spotinst["token"], *_password_in(spotinst["proxyUrl"])]


QUOTED_SOURCES["values-file"] = (
    ["values", "--values", "v.yaml", "--secrets", "s.yaml", "--proxy-url", "http://p:1"],
    release(proxy_url="http://p:1"), "post_renderer.commands.values_files", "_check_not_ours",
    _values_secrets)

def _chart_labelled(manifests: bytes) -> bytes:
    """The release as a chart whose values 'ocean-proxy values' knows renders it."""
    return manifests.replace(
        f"kind: Deployment\nmetadata:\n  name: {FULLNAME}\n".encode(),
        f"kind: Deployment\nmetadata:\n  name: {FULLNAME}\n  namespace: spot\n  labels: "
        "{helm.sh/chart: ocean-kubernetes-controller-0.1.60}\n".encode())


# the values command reads the config file's proxy URL, and the chart's and its token, too
QUOTED_SOURCES["values-chart"] = (
    ["values", "--secrets", "s.yaml"], _chart_labelled(release()),
    "post_renderer.render.plan.injection", "resolve_injection", lambda *rest: [PASSWORD, TOKEN])
QUOTED_SOURCES["values-config-file"] = (
    ["values", "--config", "c.yaml", "--secrets", "s.yaml"],
    _chart_labelled(release(proxy_url="http://p:1")), "post_renderer.render.plan.injection",
    "resolve_injection", lambda *rest: [PASSWORD])


@pytest.mark.parametrize("source", sorted(QUOTED_SOURCES))
def test_a_secret_read_after_the_command_line_is_hidden_wherever_quoted(
        source, material, monkeypatch, tmp_path):
    from .cli_outcomes import run_main

    args, manifests, module, name, secret_of = QUOTED_SOURCES[source]
    (tmp_path / "c.yaml").write_text(f"proxyUrl: {PROXY}\n")
    (tmp_path / "c.yaml").chmod(0o600)
    (tmp_path / "v.yaml").write_text(f"spotinst:\n  token: {TOKEN}\n  proxyUrl: {PROXY}\n")
    _quoting(monkeypatch, module, name, secret_of)
    run = run_main(args, stdin=manifests, env={"OCEAN_PROXY_NO_CACHE": "1"}, cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "ocean-proxy: error: refused: ***" in run.stderr  # the quoting check ran
    assert leaks(run, material) == [], run.stderr
