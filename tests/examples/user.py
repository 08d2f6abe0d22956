"""The user who follows an example: their shell, their CA and their repository, and what
they must get: the proxy and the CA in the controller's pod."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import quote

from .. import certs
from ..chart_render import CA_KEY, CONTROLLER, Rendered, assert_chart_https_proxy, parse
from ..conftest import EXAMPLES, Run, clean_env, run_command, tool
from ..plugin_harness import SYSTEM_PATH, ok, user_env

CONTAINERS = ("ocean-kubernetes-controller", "log-shipper")
NAMESPACE = "spot-system"
FULLNAME = "ocean-controller-ocean-kubernetes-controller"
PROXY_URL = "http://proxy.corp.example:3128"
TOKEN = "spot-token-0123456789abcdef"  # made up; looked for in logs
SPOTINST = {"SPOTINST_ACCOUNT": "act-12345678", "SPOTINST_CLUSTER_IDENTIFIER": "prod-eu-1",
            "SPOTINST_TOKEN": TOKEN, "SPOTINST_PROXY_URL": PROXY_URL}
PASSWORD = "s3cr@t,p$w"  # made up, with what GitLab and --set read; looked for in logs
PASSWORD_PROXY_URL = f"http://svc-ocean:{quote(PASSWORD, safe='')}@proxy.corp.example:3128"
PLUGINS = {"helm3": {"ocean-proxy"}, "helm4": {"ocean-proxy", "ocean-proxy-post-renderer"}}


def pasted(ca: bytes) -> bytes:
    """The CA as users paste it: CRLF line ends, stray blank lines, the block twice."""
    return b"\r\n" + ca.replace(b"\n", b"\r\n") + b"\r\n" + ca


def helm_version(major: str) -> str:
    return ok(run_command([tool(major), "version", "--template", "{{.Version}}"],
                          env=clean_env())).text.strip()


def user_bin(home: Path, major: str) -> Path:
    """The user's PATH directory with their `helm`."""
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    if not (bin_dir / "helm").is_symlink():
        (bin_dir / "helm").symlink_to(tool(major))
    return bin_dir


def fresh_user(home: Path, major: str, **extra: str) -> dict[str, str]:
    """A shell of a user who has only helm: empty helm directories under HOME, no settings."""
    env = user_env(home, path=f"{user_bin(home, major)}:{SYSTEM_PATH}", **extra)
    env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset
    return env


def installed_plugins(env: dict[str, str]) -> set[str]:
    listed = ok(run_command(["helm", "plugin", "list"], env=env)).text.splitlines()[1:]
    # Helm 3 wraps long descriptions onto indented lines.
    return {line.split()[0] for line in listed if line[:1].strip()}


def checkout(workspace: Path, ca: bytes, ca_path: str) -> Path:
    """The user's repository: the CA file the pipeline names."""
    ca_file = workspace / ca_path
    ca_file.parent.mkdir(parents=True)
    ca_file.write_bytes(ca)
    return workspace


# What the user gets: the proxy and the CA in the controller's pod

def rendered(run: Run) -> Rendered:
    assert run.returncode == 0, f"stdout: {run.text[-2000:]}\nstderr: {run.stderr}"
    return parse(run.text)


def assert_proxy_and_ca(out: Rendered, ca: bytes, *, no_proxy: tuple[str, ...] = ()) -> None:
    """Both containers go through the proxy and trust the CA, which the chart's Secret holds
    validated and normalised."""
    hashed = f"{certs.openssl_subject_hash(ca)}.0"
    for name in CONTAINERS:
        env = out.env(name)
        for var in ("https_proxy" if name == CONTROLLER else "HTTPS_PROXY", "HTTP_PROXY"):
            assert env[var] == {"name": var, "value": PROXY_URL}, f"{name}: {var}"
        assert set(no_proxy) <= set(env["NO_PROXY"]["value"].split(",")), name
        assert "/etc/ocean-proxy/ca" in env["SSL_CERT_DIR"]["value"].split(":"), name
        mounts = {m["mountPath"] for m in out.container(name)["volumeMounts"]}
        assert f"/etc/ssl/certs/{hashed}" in mounts, name
    assert_chart_https_proxy(out)
    secret = out.one("Secret", f"{FULLNAME}-ca-bundle")
    assert secret["metadata"]["namespace"] == NAMESPACE
    assert base64.b64decode(secret["data"][CA_KEY]) == ca
    assert base64.b64decode(secret["data"][hashed]) == ca
    assert base64.b64decode(out.one("Secret", FULLNAME)["data"]["token"]).decode() == TOKEN


def password_shown(text: str) -> list[str]:
    """The forms of PASSWORD_PROXY_URL's password found in a log."""
    forms = (PASSWORD, quote(PASSWORD, safe=""),
             base64.b64encode(PASSWORD_PROXY_URL.encode()).decode())
    return [form for form in forms if form in text]


def assert_proxy_from_secret(out: Rendered, url: str = PASSWORD_PROXY_URL) -> None:
    """A proxy URL with a password given to the post-renderer alone: both containers read it
    from Secret <fullname>-ocean-proxy, and the chart's ConfigMap holds no proxy."""
    secret = out.one("Secret", f"{FULLNAME}-ocean-proxy")
    assert base64.b64decode(secret["data"]["proxy-url"]).decode() == url
    for name in CONTAINERS:  # Go takes https_proxy where the chart's HTTPS_PROXY reads ""
        for var in ("https_proxy" if name == CONTROLLER else "HTTPS_PROXY", "HTTP_PROXY"):
            source = out.env(name)[var]["valueFrom"]["secretKeyRef"]
            assert source["name"] == secret["metadata"]["name"], (name, var)
    assert out.config().get("proxy-url", "") == ""


def ci_password_secret(platform: str, kind: str) -> str:
    """The secret or variable examples/ci/README.md says a proxy URL with a password goes in,
    on that platform ("GitHub Actions", "GitLab CI")."""
    readme = " ".join((EXAMPLES / "ci" / "README.md").read_text().split())
    part = readme[readme.index(f"## {platform}"):]
    named = re.search(rf"user and password: [^.]*?{kind} `(\w+)`[^.]*? instead of "
                      r"`SPOTINST_PROXY_URL`", part)
    assert named, f"the {platform} part of the README says where a proxy password goes"
    return named[1]
