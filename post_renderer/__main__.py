"""``python -m post_renderer``: the ``ocean-proxy`` command."""

import sys

from post_renderer.console import ocean_proxy_script

sys.exit(ocean_proxy_script())
