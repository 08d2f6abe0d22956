"""ocean-proxy: run the Spot Ocean Kubernetes Controller behind corporate HTTP proxies."""

__version__ = "0.1.0"
