"""On/off settings from the environment (``OCEAN_PROXY_STRICT``, ``OCEAN_PROXY_NO_CACHE``): one
reading of on and off for all of them, and an error for a value that is neither, rather than
a silent default.

    >>> switch({"OCEAN_PROXY_STRICT": "Yes"}, "OCEAN_PROXY_STRICT")
    True
"""

from __future__ import annotations

from collections.abc import Mapping

from post_renderer.errors import ConfigError

_ON = frozenset(("1", "true", "yes", "on"))
_OFF = frozenset(("", "0", "false", "no", "off"))


def switch(environ: Mapping[str, str], name: str) -> bool:
    """Whether ``name`` is set on; unset or empty is off."""
    value = environ.get(name, "").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigError(f"{name} is neither on nor off",
                      hint=f"set {name}=true or {name}=false, or leave it unset")
