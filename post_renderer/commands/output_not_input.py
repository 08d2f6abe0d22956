"""An output file (``discover-ca -o``, ``values --secrets``) may not name a file the same run
reads: written at the end, it would replace the config, values or CA file it came from."""

from __future__ import annotations

import os
from collections.abc import Iterable

from post_renderer.errors import UsageError


def refuse_a_file_this_run_reads(target: str, flag: str, written: str,
                                 read: Iterable[tuple[str, str | None]]) -> None:
    """Raise if ``target`` (given as ``flag``, for ``written``) is one of ``read``: (what it
    is to the user, its path), a path of None or '-' (standard input) being no file."""
    for what, path in read:
        try:
            same = bool(path) and path != "-" and os.path.samefile(target, str(path))
        except (OSError, ValueError):  # one of them does not exist (yet): not the same
            same = False
        if same:
            raise UsageError(f"{flag} names a file this run reads ({what}): writing {written} "
                             "there would replace it",
                             hint=f"name another file for {written}")
