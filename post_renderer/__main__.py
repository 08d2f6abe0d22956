"""``python -m post_renderer``: the ``ocean-proxy`` command."""

import sys

from .cli import main

sys.exit(main())
