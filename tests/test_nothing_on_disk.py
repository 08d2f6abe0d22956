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
from .conftest import clean_env, helm_template, post_renderer

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
    for name, raw in list(spellings.items()):
        spellings[f"{name} (base64)"] = base64.b64encode(raw)[:-4]
    return [name for name, spelling in spellings.items() if spelling in data]


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
