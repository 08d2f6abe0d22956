"""A value whose YAML tag cannot read it (``!!int`` on a URL) is bad input like any other:
one error naming the file and the line of trouble, never the value, which may be a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from .chart_render import NAMESPACE, PROXY_FLAGS, RELEASE
from .cli_outcomes import run_main
from .conftest import FIXTURE_CHART, clean_env, run_command

SECRET = "Zq7Fx9Wv4"
TAGGED = [f'!!int "http://ocean:{SECRET}@proxy.corp:3128"', f"!!float {SECRET}",
          f"!!bool {SECRET}", "!!timestamp 2026-13-45",
          "!!float _",  # nothing left once the '_' separators are out: an IndexError
          f"!!omap [{{{SECRET}: 1}}, {{{SECRET}: 2}}]"]  # a key twice: an AssertionError


@pytest.fixture(scope="module")
def manifests(helm3) -> bytes:
    run = run_command([helm3, "template", RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE,
                       *PROXY_FLAGS], env=clean_env())
    assert run.returncode == 0, run.stderr
    return run.stdout


def assert_one_error(run, *fragments: str) -> None:
    errors = [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy: error:")]
    assert run.returncode == 1, run.stderr
    assert run.stdout == b""
    assert len(errors) == 1 and "internal error" not in errors[0], run.stderr
    assert SECRET.lower() not in run.stderr.lower()
    for fragment in fragments:
        assert fragment in errors[0], run.stderr


@pytest.mark.parametrize("value", TAGGED)
def test_a_config_file_value_its_tag_cannot_read_is_one_error(manifests, tmp_path: Path, value):
    (tmp_path / "c.yaml").write_text(f"proxyUrl: {value}\n")
    run = run_main(["render", "--config", "c.yaml"], stdin=manifests, cwd=str(tmp_path))
    assert_one_error(run, "config file c.yaml is not valid YAML")


@pytest.mark.parametrize("value", TAGGED)
def test_a_values_file_value_its_tag_cannot_read_is_one_error(manifests, tmp_path: Path, value):
    (tmp_path / "v.yaml").write_text(f"extraEnv: {value}\n")
    run = run_main(["values", "--values", "v.yaml", "--secrets", "s.yaml"], stdin=manifests,
                   cwd=str(tmp_path))
    assert_one_error(run, "values file v.yaml is not valid YAML")
    assert not (tmp_path / "s.yaml").exists()
