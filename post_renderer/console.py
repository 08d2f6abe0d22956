"""The ``ocean-proxy`` and ``ocean-proxy-post-renderer`` console scripts, as installed and as
the Helm plugin runs them: an interrupt (Ctrl-C, a cancelled job) while the modules load ends
either as one during the command does, exit 130 and no traceback. One that lands before
these functions run (as this module loads) ends the process as the signal does, without a
traceback either (the package's ``sys.excepthook``, set first thing in ``post_renderer``).

The post-renderer pauses Python's cyclic garbage collector before the command line and its
libraries are imported: the process renders once and exits, reference counting frees what it
allocates, and the collector's passes over the imported modules' objects would only cost time.

Both give up core files first: the process holds the release (the Spot token, the proxy
password), and a crash or a Ctrl-\\ (SIGQUIT) would write its memory to a core file in the
current directory, or to systemd-coredump's store, which honours the limit.
"""

from __future__ import annotations

import gc
import os
from typing import NoReturn


def ocean_proxy_script() -> int:
    """The exit code of the ``ocean-proxy`` command (``cli.main``)."""
    _no_core_files()
    try:
        from post_renderer.cli import main
    except KeyboardInterrupt:
        return 130
    return main()


def post_renderer_script() -> NoReturn:
    """Render, write, exit (``cli.post_renderer_script``), with the collector paused."""
    _no_core_files()
    gc.disable()
    try:
        from post_renderer.cli import post_renderer_script as render_and_exit

        render_and_exit()
    except KeyboardInterrupt:
        os._exit(130)


def _no_core_files() -> None:
    """A soft core-file limit of 0 for this process (and what it runs). Where it is 0 already
    (the default of most shells and CI runners), /proc says so without loading ``resource``,
    a shared library, on every render."""
    if not _core_files_allowed():
        return
    try:
        import resource  # a small built-in module; not on Windows

        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    except (ImportError, ValueError, OSError):
        pass


def _core_files_allowed() -> bool:
    """False when /proc/self/limits shows a soft core-file limit of 0; True when it shows
    another, or cannot be read (no /proc: not Linux)."""
    try:
        with open("/proc/self/limits", "rb") as limits:
            for line in limits:
                if line.startswith(b"Max core file size "):
                    return line.split()[4] != b"0"
    except (OSError, IndexError):
        pass
    return True
