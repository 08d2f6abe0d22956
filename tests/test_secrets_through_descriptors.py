"""Secrets written through a descriptor the shell opened ('--secrets /dev/fd/9 9>FILE') are
as private as in a file named directly: the shell made FILE with the umask's mode (0644), and
the Secrets in it are its owner's alone all the same."""

from __future__ import annotations

import stat

import pytest

from .conftest import VENV_BIN, clean_env, run_command
from .test_secrets_file import ENCODED, PROXY, manifests  # noqa: F401 - the fixture


@pytest.mark.parametrize("through", ["/dev/fd/9", "/proc/self/fd/9"])
@pytest.mark.parametrize("opened", [">", ">>", "<>"], ids=["truncated", "appended", "read-write"])
def test_a_file_of_yours_reached_through_a_descriptor_is_made_yours_alone(
        manifests, tmp_path, through, opened):  # noqa: F811 - the fixture
    secrets = tmp_path / "secrets.yaml"
    secrets.write_bytes(b"")
    secrets.chmod(0o644)

    run = run_command(["sh", "-c", f'exec 9{opened}"$1"; exec "$0" values --proxy-url "$2" '
                       f'--filename "$3" --secrets {through}', VENV_BIN / "ocean-proxy",
                       secrets, PROXY, manifests], env=clean_env())

    assert run.returncode == 0, run.stderr
    assert ENCODED in secrets.read_text()
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600  # the group and others lose read


def test_standard_output_in_a_file_keeps_its_mode(manifests, tmp_path):  # noqa: F811
    """The values on standard output hold no secret: a file '>' made keeps the umask's mode."""
    out, secrets = tmp_path / "values.yaml", tmp_path / "secrets.yaml"
    run = run_command(["sh", "-c", 'umask 022; exec "$0" values --proxy-url "$1" '
                       '--filename "$2" --secrets "$3" > "$4"', VENV_BIN / "ocean-proxy",
                       PROXY, manifests, secrets, out], env=clean_env())
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
