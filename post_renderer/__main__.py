"""``python -m post_renderer``: the ``ocean-proxy`` command."""

import sys

from post_renderer.cli import main

sys.exit(main())
