"""Live probes through the proxy: CONNECT tunnel, TLS handshake, AIA fetch, public roots."""
