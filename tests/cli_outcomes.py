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


def run_main(args: list[str], *, stdin: bytes = b"", env: dict[str, str] | None = None,
             cwd: str | None = None, parser_factory=None) -> Run:
    """``cli.main`` in this process (fast enough for hypothesis): stdin, stdout and stderr
    swapped for buffers, the environment cleaned of OCEAN_PROXY_* and given ``env``."""
    import contextlib
    import io
    import os
    import sys
    from unittest import mock

    from post_renderer import cli

    from .conftest import clean_env

    out = io.BytesIO()
    err = io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8")
    environ = clean_env(**(env or {}))
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, environ, clear=True))
        stack.enter_context(mock.patch.object(sys, "stdin",
                                              io.TextIOWrapper(io.BytesIO(stdin))))
        stack.enter_context(mock.patch.object(sys, "stdout", stdout))
        stack.enter_context(mock.patch.object(sys, "stderr", err))
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        factory = {} if parser_factory is None else {"parser_factory": parser_factory}
        code = cli.main(args, **factory)
        stdout.flush()
    return Run(code, out.getvalue(), err.getvalue())
