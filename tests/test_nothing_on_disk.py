"""What a render leaves on disk: every file it writes, listed, and none holds a secret.

The post-renderer runs as helm runs it, under a fresh HOME and TMPDIR (so helm's cache and
config directories are fresh too) and in an empty working directory, on the vendor's render
with a Spot token, a proxy URL with credentials and a corporate CA in the values; cold, warm,
with --explain and --plan. Comparing the trees before and after lists every file it wrote:
the certificate facts and the cache key, and nothing of the release.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest

from . import certs
from .chart_render import VENDOR_FLAGS
from .conftest import clean_env, helm_template, ocean_proxy, post_renderer

TOKEN = "a9c1e7f3b5d2804f6e1a3c5b7d9f0e2a4c6b8d0f1e3a5c7b9d2f4e6a8c0b1d3f"
PASSWORD = "Wr1tten-N0where"
USER = "svc-ocean"
ALLOWED = (re.compile(r"home/\.cache/helm/ocean-proxy/[0-9a-f]{64}\.json"),
           re.compile(r"home/\.config/helm/ocean-proxy/cache\.key"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> bytes:
    ca = tmp_path_factory.mktemp("ca") / "corp-root.pem"
    ca.write_bytes(certs.root("Disk Corp Root CA").pem)
    return helm_template(tmp_path_factory.mktemp("helm-home"), *VENDOR_FLAGS,
                         "--set", f"spotinst.token={TOKEN}",
                         "--set", f"spotinst.proxyUrl=http://{USER}:{PASSWORD}@proxy.corp:3128",
                         "--set", "caBundleSecret.create=true",
                         "--set-file", f"caBundleSecret.data={ca}")


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: (size, mtime in ns), by its path from ``root``."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            stat = path.lstat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def secrets_in(data: bytes) -> list[str]:
    """Which secret, in any spelling a manifest or a file could hold it, ``data`` contains."""
    spellings = {"token": TOKEN.encode(), "password": PASSWORD.encode(),
                 "credentials": f"{USER}:{PASSWORD}".encode()}
    found = [name for name, spelling in spellings.items() if spelling in data]
    for name, raw in spellings.items():  # inside a larger base64 blob, at each alignment
        if any(base64.b64encode(b"\0" * shift + raw)[4:-4] in data for shift in range(3)):
            found.append(f"{name} (base64)")
    return found


def test_the_input_holds_every_secret_the_test_looks_for(rendered):
    assert {"token (base64)", "password"} <= set(secrets_in(rendered))


def test_a_render_writes_only_certificate_facts_and_the_cache_key(rendered, tmp_path):
    home, scratch, work = tmp_path / "home", tmp_path / "tmp", tmp_path / "work"
    for folder in (home, scratch, work):
        folder.mkdir()
    env = clean_env(HOME=str(home), TMPDIR=str(scratch))
    for name in ("OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE", "XDG_CACHE_HOME",
                 "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        env.pop(name, None)
    before = tree(tmp_path)
    outputs = []
    for args in ((), (), ("--explain",), ("--plan",)):  # cold, warm, and the two reviews
        run = post_renderer(*args, stdin=rendered, env=env, cwd=work)
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert secrets_in(outputs[0])  # the secrets were in what was rendered, on stdout
    after = tree(tmp_path)
    written = sorted(path for path in after if before.get(path) != after[path])
    assert written and all(any(p.fullmatch(path) for p in ALLOWED) for path in written), \
        written
    assert any(path.endswith("cache.key") for path in written)
    for path in written:
        assert secrets_in((tmp_path / path).read_bytes()) == [], path


@pytest.fixture(scope="module")
def rendered_without_proxy(tmp_path_factory) -> bytes:
    """The release with the token only: the proxy comes from ocean-proxy's own settings."""
    return helm_template(tmp_path_factory.mktemp("helm-home"), *VENDOR_FLAGS,
                         "--set", f"spotinst.token={TOKEN}")


PROXY_URL = f"http://{USER}:{PASSWORD}@proxy.corp:3128"
# Where a render or the values command can take the password from, each in turn.
SOURCES = {
    "flag": (["--proxy-url", PROXY_URL], {}),
    "environment": ([], {"OCEAN_PROXY_URL": PROXY_URL}),
    "config-flag": (["--config", "CONFIG"], {}),
    "config-environment": ([], {"OCEAN_PROXY_CONFIG": "CONFIG"}),
}
COMMANDS = {
    "post-renderer": [],
    "post-renderer-explain": ["--explain"],
    "render-plan": ["render", "--plan"],
    "values": ["values", "--values", "VALUES", "--secrets", "OUT/secrets.yaml"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_no_source_of_the_password_puts_it_in_a_file_beside_the_outputs(
        source, command, rendered_without_proxy, tmp_path):
    """Cold and warm: only the outputs named on the command line hold it (the secrets file
    of ``values``); the cache holds certificate facts and its key, nothing else."""
    home, scratch, work, out = (tmp_path / name for name in ("home", "tmp", "work", "out"))
    for folder in (home, scratch, work, out):
        folder.mkdir()
    config, values = work / "ocean-proxy.yaml", work / "my-values.yaml"
    config.write_text(f"proxyUrl: {PROXY_URL}\n")
    config.chmod(0o600)
    values.write_text(f"spotinst:\n  token: {TOKEN}\n  proxyUrl: {PROXY_URL}\n")
    spelled = {"CONFIG": str(config), "VALUES": str(values), "OUT": str(out)}

    def filled(text: str) -> str:
        for name, path in spelled.items():
            text = text.replace(name, path)
        return text

    flags, extra = SOURCES[source]
    env = clean_env(HOME=str(home), TMPDIR=str(scratch),
                    **{name: filled(value) for name, value in extra.items()})
    for name in ("OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE", "XDG_CACHE_HOME",
                 "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        env.pop(name, None)
    args = [filled(arg) for arg in [*COMMANDS[command], *flags]]
    run_it = ocean_proxy if command in ("values", "render-plan") else post_renderer
    before = tree(tmp_path)
    for _ in range(2):  # cold, then warm
        run = run_it(*args, stdin=rendered_without_proxy, env=env, cwd=work)
        assert run.returncode == 0, run.stderr
        assert "password" not in secrets_in(run.stderr.encode()), run.stderr
    after = tree(tmp_path)
    written = sorted(path for path in after if before.get(path) != after[path])
    outputs = ["out/secrets.yaml"] if command == "values" else []
    assert all(path in outputs or any(p.fullmatch(path) for p in ALLOWED)
               for path in written), written
    for path in outputs:
        assert "password (base64)" in secrets_in((tmp_path / path).read_bytes())  # used
    for path in set(written) - set(outputs):
        assert secrets_in((tmp_path / path).read_bytes()) == [], path


# A proxy URL pasted into the variable that places the cache or its key: made as folders, its
# password would be a name on disk (in a CI job, in the checkout the job may archive).
URL_AS_PATH = {"OCEAN_PROXY_CACHE_DIR": "", "OCEAN_PROXY_CACHE_KEY_FILE": "",
               "HELM_CACHE_HOME": "", "HELM_CONFIG_HOME": "", "XDG_CACHE_HOME": ""}


@pytest.mark.parametrize("url", [f"http://{USER}:{PASSWORD}@proxy.corp:3128",
                                 f"{USER}:{PASSWORD}@proxy.corp:3128"], ids=["url", "no-scheme"])
@pytest.mark.parametrize("variable", sorted(URL_AS_PATH))
def test_a_proxy_url_where_the_cache_goes_names_no_folder_after_its_password(
        rendered, tmp_path, variable, url):
    from .cli_outcomes import run_main

    home = tmp_path / "home"
    home.mkdir()
    env = {**URL_AS_PATH, "HOME": str(home), variable: url}
    run = run_main(["render"], stdin=rendered, env=env, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    named = [path for path in tmp_path.rglob("*") if PASSWORD in str(path)]  # folders too
    assert named == []
    assert PASSWORD not in run.stderr
    assert "the certificate cache is not used" in run.stderr


@pytest.mark.parametrize("url", ["http://svc-ocean:0ther-Secr3t@proxy.corp:3128",
                                 "svc-ocean:0ther-Secr3t@proxy.corp:3128",
                                 "http://proxy.corp:3128"], ids=["url", "no-scheme", "no-password"])
@pytest.mark.parametrize("variable", sorted(URL_AS_PATH))
def test_a_proxy_url_where_the_cache_goes_is_said_without_its_password(
        rendered_without_proxy, tmp_path, variable, url):
    """The proxy comes from elsewhere, so no message hides this URL's password: the one that
    says why the cache is not used names the URL with its credentials left out."""
    from .cli_outcomes import run_main

    home = tmp_path / "home"
    home.mkdir()
    env = {**URL_AS_PATH, "HOME": str(home), variable: url,
           "OCEAN_PROXY_URL": "http://proxy.corp:3128"}
    run = run_main(["render"], stdin=rendered_without_proxy, env=env, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "0ther-Secr3t" not in run.stderr and "svc-ocean" not in run.stderr
    [said] = [line for line in run.stderr.splitlines()
              if "the certificate cache is not used" in line]
    assert ("://***@proxy.corp:3128" if url.startswith("http://svc") else
            ": ***@proxy.corp:3128" if "@" in url else ": http://proxy.corp:3128") in said
    assert [path for path in tmp_path.rglob("*") if "proxy.corp" in path.name] == []
