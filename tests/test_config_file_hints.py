"""A config file's list setting written in the wrong shape: the hint shows the shape that works,
and that shape, written as shown, is read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from . import certs
from .conftest import VENV_BIN, clean_env
from .test_leaks import release

HINT = "ocean-proxy: hint: "


def _render(config: Path, manifests: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "ocean-proxy"), "render", "--config", str(config),
                           "-f", str(manifests)], capture_output=True, text=True, timeout=60,
                          cwd=config.parent, env=clean_env(PATH=os.environ["PATH"]))


@pytest.mark.parametrize("key", ["caFiles", "noProxy"])
def test_a_list_setting_given_as_a_mapping_is_shown_as_a_list(key: str, tmp_path: Path) -> None:
    manifests = tmp_path / "release.yaml"
    manifests.write_bytes(release(proxy_url="http://proxy.corp:3128"))
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(f"{key}:\n  first: a\n")
    config.chmod(0o600)
    refused = _render(config, manifests)
    assert refused.returncode == 1 and refused.stdout == "", refused.stderr
    hint = refused.stderr.splitlines()[-1]
    assert hint.startswith(HINT) and "e.g. " in hint, refused.stderr

    example = hint.split("e.g. ", 1)[1]
    shown = YAML(typ="safe").load(example)
    assert list(shown) == [key] and isinstance(shown[key], list), example
    for name in shown[key] if key == "caFiles" else []:
        (tmp_path / name).write_bytes(certs.root(f"Hint Root {name}").pem)
    config.write_text(example + "\n")
    taken = _render(config, manifests)
    assert taken.returncode == 0, taken.stderr
