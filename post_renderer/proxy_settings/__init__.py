"""The proxy settings both sides share: the proxy URL and NO_PROXY."""
