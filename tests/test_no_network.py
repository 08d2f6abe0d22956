"""No network unless asked: the post-renderer, ``render --plan``, ``values`` and
``check-bundle`` open no socket and resolve no name, even on a CA bundle whose intermediate
names a "CA Issuers" URL for its missing root, and a proxy URL naming a host. Only
``discover-ca`` and ``verify`` reach out. GitOps tools and CI pipelines run the render where
the network is closed, or where reaching it would leak what it asks.

Every run carries a ``sitecustomize`` audit hook that logs each socket event the interpreter
raises (creation, connect, name lookups) to a file; the file must stay empty.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import certs
from .chart_render import VENDOR_FLAGS
from .conftest import clean_env, helm_template, ocean_proxy, post_renderer
from .netfixtures.raw_servers import closed_port

HOOK = """
import sys

_LOG = {log!r}


def _hook(event, args):
    if event.startswith("socket.") or event in ("http.client.connect", "urllib.Request"):
        with open(_LOG, "a") as log:
            log.write(event + "\\n")


sys.addaudithook(_hook)
"""
PROXY_URL = "http://svc-ocean:N0-Netw0rk@proxy.corp.example:3128"


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> dict[str, Path]:
    """A root, and an intermediate whose AIA names where its root could be fetched."""
    folder = tmp_path_factory.mktemp("chain")
    root = certs.root("Offline Corp Root CA")
    inspection = certs.intermediate(root, "Offline Corp Inspection CA",
                                    aia_url="http://pki.corp.example/root.crt")
    files = {"root": folder / "root.pem", "intermediate": folder / "intermediate.pem",
             "both": folder / "both.pem"}
    files["root"].write_bytes(root.pem)
    files["intermediate"].write_bytes(inspection.pem)
    files["both"].write_bytes(inspection.pem + root.pem)
    return files


@pytest.fixture(scope="module")
def manifests(tmp_path_factory, chain) -> bytes:
    return helm_template(tmp_path_factory.mktemp("helm-home"), *VENDOR_FLAGS,
                         "--set", f"spotinst.proxyUrl={PROXY_URL}",
                         "--set", "caBundleSecret.create=true",
                         "--set-file", f"caBundleSecret.data={chain['both']}")


def hooked(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose Python logs its socket events to the returned file."""
    log = tmp_path / "socket-events.log"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(HOOK.format(log=str(log)))
    return clean_env(PYTHONPATH=str(hooks), OCEAN_PROXY_NO_CACHE="1"), log


def events(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("command", ["post-renderer", "explain", "plan", "values", "check-bundle",
                                     "check-bundle-json"])
def test_the_offline_commands_touch_no_network(command, manifests, chain, tmp_path):
    env, log = hooked(tmp_path)
    if command == "post-renderer":
        run = post_renderer("--ca-file", chain["intermediate"], "--ca-file", chain["root"],
                            stdin=manifests, env=env)
    elif command == "explain":
        run = post_renderer("--explain", stdin=manifests, env=env)
    elif command == "plan":
        run = ocean_proxy("render", "--plan", stdin=manifests, env=env)
    elif command == "values":
        run = ocean_proxy("values", "--secrets", tmp_path / "secrets.yaml", stdin=manifests,
                          env=env)
    else:  # the intermediate alone: its root is named by URL, and must not be fetched
        json = ["--json"] if command == "check-bundle-json" else []
        run = ocean_proxy("check-bundle", *json, chain["intermediate"], env=env)
    assert run.returncode == 0, run.stderr  # the intermediate alone: a warning naming its root
    assert "Traceback" not in run.stderr
    assert events(log) == [], run.stderr


def test_the_hook_sees_a_command_that_does_reach_out(tmp_path):
    """The proof above proves something: verify, which is asked to, is seen connecting."""
    env, log = hooked(tmp_path)
    run = ocean_proxy("verify", "--proxy-url", f"http://127.0.0.1:{closed_port()}",
                      "--timeout", "2", env=env)
    assert run.returncode != 0
    assert "socket.connect" in events(log)
