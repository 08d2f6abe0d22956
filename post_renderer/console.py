"""The ``ocean-proxy-post-renderer`` console script, as installed and as the Helm plugin runs it.

It pauses Python's cyclic garbage collector before the command line and its libraries are
imported: the process renders once and exits, reference counting frees what it allocates,
and the collector's passes over the imported modules' objects would only cost time.
"""

from __future__ import annotations

import gc
import os
from typing import NoReturn


def post_renderer_script() -> NoReturn:
    """Render, write, exit (``cli.post_renderer_script``), with the collector paused. An
    interrupt (Ctrl-C, a cancelled job) while the modules load ends the run as one during
    the render does: exit 130, no traceback."""
    gc.disable()
    try:
        from post_renderer.cli import post_renderer_script as render_and_exit

        render_and_exit()
    except KeyboardInterrupt:
        os._exit(130)
