"""What every failing command must look like: one error line and one hint on stderr, the
right exit code, nothing on stdout, and no traceback."""

from __future__ import annotations

from .conftest import Run

ERROR = "ocean-proxy: error: "
HINT = "ocean-proxy: hint: "


def failure(run: Run, *, exit_code: int = 1) -> tuple[str, str]:
    """Assert the shape of a failure; the error and hint texts (without their prefixes)."""
    lines = run.stderr.splitlines()
    errors = [line.removeprefix(ERROR) for line in lines if line.startswith(ERROR)]
    hints = [line.removeprefix(HINT) for line in lines if line.startswith(HINT)]
    assert run.returncode == exit_code, run.stderr
    assert run.stdout == b"", "a failure must print nothing on stdout"
    assert len(errors) == 1 and len(hints) == 1, run.stderr
    assert "Traceback" not in run.stderr
    return errors[0], hints[0]
