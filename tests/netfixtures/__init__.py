"""Real network parts for tests, all on 127.0.0.1: a public PKI, HTTPS origins standing in for
api.spotinst.io and charts.spot.io, an AIA server, and mitmproxy in every shape a corporate
proxy takes. The pytest fixtures are in ``tests.netfixtures.fixtures`` (loaded by conftest).
"""
