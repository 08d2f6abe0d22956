"""Under helm, a refused render shows no secret, whichever source the secret came from.

Helm 3 runs the console script from PATH and quotes its stderr in its own error; Helm 4 runs
the post-renderer plugin installed from the release tarball, whose messages reach helm's
stderr through ``helm_stderr``. The Spot token comes from ``--set`` or a values file; the
proxy password from ``--set``, a values file, OCEAN_PROXY_URL or the ``--config`` file named
in ``--post-renderer-args``. Each render is refused by a mistake next to the secret; helm's
stderr (a pipe, and a file the shell opened with ``2>``), helm's stdout and every file the
run leaves under HOME and TMPDIR are searched for every spelling of both secrets.

``helm ocean-proxy verify`` and ``discover-ca`` (the command plugin, installed from the
release) take the proxy from a config file too: a proxy that quotes its password back never
gets it printed.
"""

from __future__ import annotations

import base64
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from .chart_render import NAMESPACE, RELEASE
from .conftest import FIXTURE_CHART, tool
from .plugin_harness import install_post_renderer_plugin, post_renderer_user_env

TOKEN = "spot-tok-Kq8Zr3Xw5Vb7"
PASSWORD = "Pw-Hl4Nd9Ty2-Qs6"
USER = "svc-ocean"
SCENARIOS: dict[str, Callable[[Path], tuple[list[str], dict[str, str]]]] = {
    "set-bad-scheme": lambda work: (
        ["--set", f"spotinst.token={TOKEN}",
         "--set-string", f"spotinst.proxyUrl=socks5://{USER}:{PASSWORD}@proxy.corp:1080"], {}),
    "set-bad-scheme-debug": lambda work: (  # helm's --debug: HELM_DEBUG for the plugin
        ["--debug", "--set", f"spotinst.token={TOKEN}",
         "--set-string", f"spotinst.proxyUrl=socks5://{USER}:{PASSWORD}@proxy.corp:1080"], {}),
    "values-file-bad-port": lambda work: (["-f", str(work / "bad-values.yaml")], {}),
    "environment-bad-port": lambda work: (
        ["--set", f"spotinst.token={TOKEN}"],
        {"OCEAN_PROXY_URL": f"http://{USER}:{PASSWORD}@proxy.corp:99999"}),
    "config-bad-scheme": lambda work: (
        ["--set", f"spotinst.token={TOKEN}",
         "--post-renderer-args", f"--config={work / 'bad-scheme.yaml'}"], {}),
    "config-bad-scheme-debug": lambda work: (
        ["--debug", "--set", f"spotinst.token={TOKEN}",
         "--post-renderer-args", f"--config={work / 'bad-scheme.yaml'}"], {}),
    "config-bad-no-proxy": lambda work: (
        ["--set", f"spotinst.token={TOKEN}",
         "--post-renderer-args", f"--config={work / 'bad-no-proxy.yaml'}"], {}),
    "config-and-missing-workload": lambda work: (
        ["-f", str(work / "values.yaml"), "--post-renderer-args",
         f"--config={work / 'good.yaml'} --workload=Deployment/nope"], {}),
}
FILES = {
    "bad-values.yaml": f"spotinst:\n  token: {TOKEN}\n"
                       f"  proxyUrl: http://{USER}:{PASSWORD}@proxy.corp:99999\n",
    "values.yaml": f"spotinst:\n  token: {TOKEN}\n"
                   f"  proxyUrl: http://{USER}:{PASSWORD}@proxy.corp:3128\n",
    "bad-scheme.yaml": f"proxyUrl: socks5://{USER}:{PASSWORD}@proxy.corp:1080\n",
    "bad-no-proxy.yaml": f"proxyUrl: http://{USER}:{PASSWORD}@proxy.corp:3128\n"
                         "noProxy: ['.corp.example', 'a b']\n",
    "good.yaml": f"proxyUrl: http://{USER}:{PASSWORD}@proxy.corp:3128\n",
}
UNREACHABLE = "http://127.0.0.1:9/"  # pip installs the bundled wheels, never from an index
VENDOR = ("--set", "spotinst.account=act-123", "--set", "spotinst.clusterIdentifier=cluster-1")


def spellings(secret: str) -> list[str]:
    """The secret as written, URL-encoded, in base64 at each alignment, and in its parts."""
    forms = [secret, quote(secret, safe=""), secret.upper()]
    forms += [base64.b64encode(b"\0" * shift + secret.encode()).decode()[4:-4]
              for shift in range(3)]
    forms += [base64.b64encode(f"{USER}:{secret}".encode()).decode()[:-4]]
    return [part.lower() for form in forms
            for part in (form, form[:10], form[-10:]) if len(part) >= 8]


def leaks(text: str) -> list[str]:
    return [f"{name}: {form}" for name, secret in (("token", TOKEN), ("password", PASSWORD))
            for form in spellings(secret) if form in text.lower()]


def test_the_spellings_find_each_secret():
    assert leaks(f"x {TOKEN[:10]} y {base64.b64encode(PASSWORD.encode()).decode()}")


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def helm_user(request, release: Path, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    home = tmp_path_factory.mktemp(request.param)
    env = post_renderer_user_env(request.param, home)
    env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset: messages go to helm's stderr
    for name in ("OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE"):
        env.pop(name)  # the caches where helm's are, under this HOME: searched too
    install_post_renderer_plugin(request.param, tool(request.param), release, env)
    return tool(request.param), env


def files_under(root: Path) -> dict[str, bytes]:
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                found[str(path.relative_to(root))] = path.read_bytes()
    return found


@pytest.mark.parametrize("stderr_to", ["pipe", "file"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_refused_render_under_helm_shows_no_secret(scenario, stderr_to, helm_user, tmp_path):
    binary, user_env = helm_user
    work, scratch = tmp_path / "work", tmp_path / "tmp"
    for folder in (work, scratch):
        folder.mkdir()
    for name, text in FILES.items():
        (work / name).write_text(text)
        (work / name).chmod(0o600)
    flags, extra = SCENARIOS[scenario](work)
    env = {**user_env, **extra, "TMPDIR": str(scratch)}
    argv = [str(binary), "template", RELEASE, str(FIXTURE_CHART), "--namespace", NAMESPACE,
            *VENDOR, *flags, "--post-renderer", "ocean-proxy-post-renderer"]
    home = Path(env["HOME"])
    before = files_under(home)
    log = tmp_path / "helm.log"
    line = shlex.join(argv) + (f" 2> {shlex.quote(str(log))}" if stderr_to == "file" else "")
    done = subprocess.run(["bash", "-c", line], env=env, capture_output=True, timeout=120,
                          cwd=work)
    stderr = done.stderr.decode("utf-8", "replace")
    if stderr_to == "file":
        import time

        time.sleep(0.5)  # lines held until helm exits are appended a moment after
        stderr += log.read_text(encoding="utf-8", errors="replace")
    assert done.returncode != 0, stderr
    assert "ocean-proxy: error:" in stderr, stderr  # the render was refused by us, and said so
    assert leaks(stderr + done.stdout.decode("utf-8", "replace")) == [], stderr
    written = {path: data for path, data in files_under(home).items()
               if before.get(path) != data}
    written.update({f"TMPDIR/{path}": data for path, data in files_under(scratch).items()})
    for path, data in written.items():
        assert leaks(data.decode("utf-8", "replace")) == [], path


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def command_plugin(request, release: Path, shared_dir: Path, tmp_path_factory
                   ) -> tuple[Path, dict[str, str]]:
    """`helm ocean-proxy`, installed from the release as the README says, offline."""
    from .plugin_harness import helm as run_helm
    from .plugin_harness import ok, unpacked_helm3_release, user_env

    home = tmp_path_factory.mktemp(f"{request.param}-command")
    env = user_env(home, helm_dirs={"HELM_DATA_HOME": str(home / "data"),
                                    "HELM_CONFIG_HOME": str(home / "config"),
                                    "HELM_CACHE_HOME": str(home / "cache")})
    env.pop("OCEAN_PROXY_MESSAGES")
    binary = tool(request.param)
    if request.param == "helm4":  # the tarball, unsigned; Helm 3 takes its own unpacked
        from post_renderer import __version__

        source = ["--verify=false", release / f"ocean-proxy-{__version__}.tgz"]
    else:
        source = [unpacked_helm3_release(shared_dir)]
    ok(run_helm(binary, "plugin", "install", *source, env={**env, "PIP_INDEX_URL": UNREACHABLE}))
    return binary, env


@pytest.mark.parametrize("command", [["verify"], ["discover-ca", "--debug"]],
                         ids=["verify", "discover-ca-debug"])
def test_helm_ocean_proxy_hides_a_config_files_password_the_proxy_quotes_back(
        command, command_plugin, tmp_path):
    from .netfixtures.raw_servers import RawServer

    binary, env = command_plugin
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    server = RawServer(f"HTTP/1.1 407 Denied: {PASSWORD} and Basic {basic} are wrong\r\n"
                       f"Proxy-Authenticate: Basic realm={PASSWORD}\r\n\r\n".encode()).start()
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(f"proxyUrl: http://{USER}:{PASSWORD}@127.0.0.1:{server.port}\n")
    config.chmod(0o600)
    try:
        done = subprocess.run([binary, "ocean-proxy", *command, "--config", str(config),
                               "--timeout", "5"], env=env, capture_output=True, timeout=300)
    finally:
        server.stop()
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode != 0
    assert "ocean-proxy: error: the proxy 127.0.0.1" in stderr, stderr
    assert leaks(stderr + done.stdout.decode("utf-8", "replace")) == [], stderr
