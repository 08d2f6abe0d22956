"""ocean-proxy: run the Spot Ocean Kubernetes Controller behind corporate HTTP proxies."""

__version__ = "0.1.0"

# typing.TYPE_CHECKING without importing typing, which a cache hit never needs otherwise; the
# modules on that path import this one (mypy takes any name TYPE_CHECKING as true).
TYPE_CHECKING = False
