"""Input that is a certificate, not manifests: ``ocean-proxy render -f ca.pem``, or a CA
piped in where 'helm template' belongs. Passed through, it came back out as it went in, with
only a notice that no Ocean controller was found; it is refused, with where a CA goes.

A release whose Secret or ConfigMap holds a PEM is not taken for one: YAML indents a block
value under its key, so no line of it starts with the armor, and every document has a
``kind``.
"""

import re

from post_renderer.errors import ManifestError

_ARMOR = rb"-----BEGIN ([A-Z0-9 #]{1,40})-----"
# the first line that is not blank or a comment (a bundle's '# Corp Root') is the armor
_PEM_FIRST = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*" + _ARMOR)
# an armor at the start of a line, with no object in sight ('openssl s_client' output)
_PEM_LINE = re.compile(rb"(?m)^" + _ARMOR)
_KIND_LINE = re.compile(rb"(?m)^kind:")
_HINT = ("to check a CA file: 'ocean-proxy check-bundle FILE'; to give the pods its CA: "
         "--ca-file FILE, with the manifests 'helm template' writes on standard input or -f")


def refuse_certificates(data: bytes) -> None:
    """Raise when ``data`` holds a PEM block or DER certificates rather than manifests."""
    found = _PEM_FIRST.match(data) or (
        None if _KIND_LINE.search(data) else _PEM_LINE.search(data))
    if found is not None:
        label = found.group(1).decode("ascii")
        what = "a PEM private key" if "PRIVATE KEY" in label else "a PEM certificate" \
            if label.endswith("CERTIFICATE") else f"a PEM block ({label})"
        raise ManifestError(f"the input is {what}, not Kubernetes manifests", hint=_HINT)
    if b"kind" in data or not _binary(data):
        return
    from post_renderer.trust import inspect_bundle  # only for bytes that are no text

    if inspect_bundle(data, "the input").verdicts:
        raise ManifestError("the input is DER certificates, not Kubernetes manifests",
                            hint=_HINT)


def _binary(data: bytes) -> bool:
    if b"\0" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
