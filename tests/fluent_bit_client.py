"""A stand-in for the log-shipper's way out: fluent-bit's ``http`` output to HOST:443 over TLS,
as fluent-bit 3.x does it, on OpenSSL. A standalone script (standard library only), run as
``python -I fluent_bit_client.py HOST`` inside the pod sandbox.

What it copies from fluent-bit (src/flb_config.c, flb_upstream.c, flb_utils.c, tls/openssl.c):

- the proxy is ``HTTP_PROXY``, else ``http_proxy``, used for HTTPS by CONNECT; ``NO_PROXY``
  (else ``no_proxy``) skips it only for ``*`` or an entry equal to the host;
- the proxy URL is split like ``flb_utils_proxy_url_split``: ``http`` only, credentials
  before the last ``@``, user before the first ``:``, taken as written (no percent-decoding),
  port 80 when none;
- trust is ``SSL_CTX_load_verify_locations(ctx, "/etc/ssl/certs/ca-certificates.crt"``
  (when readable) ``, "/etc/ssl/certs/")``: the fixed bundle and OpenSSL's hashed CA
  directory, nothing from ``SSL_CERT_FILE``/``SSL_CERT_DIR``; no partial chains.

Stricter than fluent-bit's default: the host name is verified too (fluent-bit only does
with ``tls.verify_hostname on``), so a pass here is a pass there.

Prints the route on stderr, the response body on stdout; exit 0 for HTTP 200, else 1 with
the reason (``direct: ...``, ``proxy: ...``, ``tls: ...``) on stderr.
"""

import base64
import os
import re
import socket
import ssl
import sys

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CA_DIR = "/etc/ssl/certs/"
TIMEOUT = 10


def env(upper, lower):
    return os.environ.get(upper) or os.environ.get(lower) or None


def proxy_url_split(url):
    """(host, port, user, password) like flb_utils_proxy_url_split, or raise ValueError."""
    protocol, found, authority = url.partition("://")
    if not found:
        protocol, authority = "http", url
    if protocol != "http":
        raise ValueError("only HTTP proxy is supported")
    user = password = None
    if "@" in authority:
        credentials, _, authority = authority.rpartition("@")
        if ":" not in credentials:
            raise ValueError("invalid HTTP proxy credentials")
        user, _, password = credentials.partition(":")
    host, colon, port = authority.rpartition(":")
    if not colon:
        host, port = authority, "80"
    if not host:
        raise ValueError("HTTP proxy host is missing")
    return host, int(re.match(r"[0-9]*", port).group() or 0), user, password  # atoi


def needs_proxy(host, no_proxy):
    if no_proxy is None:
        return True
    if no_proxy == "*":
        return False
    return host not in no_proxy.split(",")


def open_tunnel(host, port, proxy):
    proxy_host, proxy_port, user, password = proxy_url_split(proxy)
    print(f"via proxy {proxy_host}:{proxy_port}", file=sys.stderr)
    sock = socket.create_connection((proxy_host, proxy_port), timeout=TIMEOUT)
    request = f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if user is not None and password is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request += f"Proxy-Authorization: Basic {token}\r\n"
    sock.sendall((request + "User-Agent: Fluent-Bit\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    if status.split(" ")[1:2] != ["200"]:
        raise ConnectionError(f"proxy: CONNECT answered {status!r}")
    return sock


def tls_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    bundle = CA_BUNDLE if os.access(CA_BUNDLE, os.R_OK) else None
    context.load_verify_locations(cafile=bundle, capath=CA_DIR)
    return context


def get(host, port=443, path="/"):
    proxy, no_proxy = env("HTTP_PROXY", "http_proxy"), env("NO_PROXY", "no_proxy")
    if proxy and needs_proxy(host, no_proxy):
        sock = open_tunnel(host, port, proxy)
    else:
        print(f"direct to {host}:{port} (no proxy)", file=sys.stderr)
        try:
            sock = socket.create_connection((host, port), timeout=TIMEOUT)
        except OSError as error:
            raise ConnectionError(f"direct: {error}") from error
    try:
        tls = tls_context().wrap_socket(sock, server_hostname=host)
    except ssl.SSLError as error:
        raise ConnectionError(f"tls: {error}") from error
    with tls:
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        response = b""
        while chunk := tls.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode(), body


def main():
    try:
        status, body = get(sys.argv[1])
    except (ConnectionError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    print(status, file=sys.stderr)
    sys.stdout.buffer.write(body)
    return 0 if status.split(" ")[1:2] == ["200"] else 1


if __name__ == "__main__":
    sys.exit(main())
