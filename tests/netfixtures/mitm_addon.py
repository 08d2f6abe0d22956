"""mitmproxy addon for the tests (loaded with ``mitmdump -s``; runs inside mitmproxy).

``--set local_routes='{"api.spotinst.io": ["127.0.0.1", 40123]}'`` sends the proxy's
upstream connections for a host (any port) to a local server instead; this works for
intercepted flows, for ``--ignore-hosts`` tunnels and for plain http:// requests alike,
because ``server_connect`` runs for every upstream connection. The TLS server name and the
Host header stay as the client sent them.
``--set refused_hosts=blocked.spot.test`` answers CONNECT to those hosts with 403.
"""

import json

from mitmproxy import ctx, http


class LocalRoutes:
    def load(self, loader):
        loader.add_option("local_routes", str, "{}", "JSON object: host -> [ip, port]")
        loader.add_option("refused_hosts", str, "", "comma-separated hosts: CONNECT gets 403")

    def http_connect(self, flow):
        refused = {h.strip() for h in ctx.options.refused_hosts.split(",") if h.strip()}
        if flow.request.host in refused:
            flow.response = http.Response.make(
                403, b"blocked by the test policy\n", {"Content-Type": "text/plain"})

    def server_connect(self, data):
        routes = json.loads(ctx.options.local_routes or "{}")
        host = data.server.address[0] if data.server.address else None
        if host in routes:
            ip, port = routes[host]
            data.server.address = (ip, int(port))


addons = [LocalRoutes()]
