"""Reading what users paste: PEM (also ``openssl s_client -showcerts`` output), DER, PKCS#7.

Each block becomes a certificate or a problem that names the block and what to do;
nothing here judges whether a certificate should be trusted.
"""

from __future__ import annotations

import base64
import binascii
import re

from post_renderer.errors import short_error
from post_renderer.trust.certificate import Certificate, describe
from post_renderer.trust.fact_cache import FactCache

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 #]{1,40})-----")
_BASE64 = re.compile(rb"[A-Za-z0-9+/=\s]*")
_KEY_LABELS = re.compile(r"PRIVATE KEY")
_CERT_LABELS = {"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"}
_PKCS7_LABELS = {"PKCS7", "PKCS #7 SIGNED DATA", "CMS"}
_DECODE = "base64 -d < FILE > ca.pem"
_DECODE_WINDOWS = "tr -d '\\r\\357\\273\\277' < FILE | base64 -d > ca.pem"
FORMAT_HINT = "expected PEM (-----BEGIN CERTIFICATE-----), DER or PKCS#7 certificates"
# 'ocean-proxy discover-ca > ca.pem': the shell empties the file before the command runs,
# and a failed run leaves it so.
EMPTY_HINT = (f"{FORMAT_HINT}; a command whose output was sent to it (> FILE) may have "
              "failed before writing any")
STDIN = "stdin"  # the source check-bundle names '-' by
_EMPTY_STDIN_HINT = f"{FORMAT_HINT}; the command piped into it may have failed before writing any"

Problems = list[tuple[str, str]]  # (message, hint)
Item = tuple[tuple[str, str], Certificate | None]


NO_CACHE = FactCache(None)


def read_certificates(data: bytes, source: str, problems: Problems,
                      facts: FactCache = NO_CACHE) -> list[Item]:
    """The certificates of ``data`` read from ``source``; what is wrong goes to ``problems``,
    whose hints name a file the user gave by its path, so that their commands can be pasted."""
    said = len(problems)
    items = _read_certificates(data, source, problems, facts)
    if len(problems) > said and _a_file_given(source):
        import shlex  # on the way to an error only

        path = shlex.quote(source)
        problems[said:] = [(message, re.sub(r"\bFILE\b", lambda _: path, hint))
                           for message, hint in problems[said:]]
    return items


def _a_file_given(source: str) -> bool:
    """Whether ``source`` is the path of a file (not standard input, not a chart's Secret)
    that the hints' commands can read: not one of the files they write, which the shell
    would empty before the command reads it ('base64 -d < ca.pem > ca.pem')."""
    import os

    return source != STDIN and source.isprintable() and os.path.isfile(source) and not any(
        os.path.realpath(source) == os.path.realpath(written) for written in _WRITTEN)


_WRITTEN = ("ca.pem", "ca-ascii.pem", "ca.p7b")  # what the hints' commands write


def _read_certificates(data: bytes, source: str, problems: Problems,
                       facts: FactCache) -> list[Item]:
    given, data = data, data.removeprefix(b"\xef\xbb\xbf")
    if not data or data.isspace():  # isspace: no copy of a large file, as strip() makes
        problems.append((f"{source} is empty",
                         _EMPTY_STDIN_HINT if source == STDIN else EMPTY_HINT))
        return []
    text = data.replace(b"\r\n", b"\n")
    if b"-----BEGIN " in text:
        return _extract_pem(text, source, problems, facts)
    if text[:1] == b"\x30":
        return _extract_der(data, source, problems, facts)
    if data[:4] in (b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce"):  # JKS, JCEKS: Java's truststores
        problems.append((f"{source}: it is a Java keystore, not certificates",
                         "export its CA: keytool -exportcert -rfc -keystore FILE -alias ALIAS > "
                         "ca.pem (to list the aliases: keytool -list -keystore FILE), then give "
                         "ca.pem"))
        return []
    # Windows PowerShell's '>' writes UTF-16. The codecs are imported only here, on the way
    # to an error: every render reads its CA files through this function. The converted
    # file gets a name of its own: 'iconv ca.pem > ca.pem' empties the file before reading.
    # Without a byte order mark, iconv's UTF-16 is one byte order (glibc's little-endian,
    # macOS's big-endian): the hint names the order the file has.
    if codec := _utf16_order(data):
        problems.append((f"{source}: the PEM text is UTF-16, not ASCII",
                         f"convert it: iconv -f {codec} -t UTF-8 FILE > ca-ascii.pem (in "
                         "PowerShell: Get-Content FILE | Set-Content -Encoding ascii "
                         "ca-ascii.pem), then give ca-ascii.pem"))
        return []
    if problem := _base64_of_certificates(text, source, windows=b"\r" in given
                                          or given.startswith(b"\xef\xbb\xbf")):
        problems.append(problem)
        return []
    problems.append((f"{source}: no certificate found", FORMAT_HINT))
    return []


def _base64_of_certificates(text: bytes, source: str, windows: bool = False
                            ) -> tuple[str, str] | None:
    """What to say of certificates encoded in base64 once more, or None: a Secret's data as
    'kubectl get secret -o jsonpath' prints it, a PEM given to a chart value that encodes it
    again, or a PEM body without its -----BEGIN line. On the way to an error only. base64 -d
    stops with 'invalid input' at a CR or a byte order mark (``windows``: a Windows
    editor's), so the command removes them first."""
    try:
        decoded = base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if b"-----BEGIN " in decoded:
        return (f"{source}: no certificate found: it is PEM text encoded in base64 once more",
                f"decode it: {_DECODE_WINDOWS if windows else _DECODE}, then give ca.pem (a "
                "Secret's data, as 'kubectl get secret -o jsonpath' prints it, is so encoded)")
    if decoded[:1] == b"\x30":
        return _base64_of_der(decoded, source)
    return None


def _base64_of_der(der: bytes, source: str) -> tuple[str, str] | None:
    """What base64 of DER data holds, named: the lines a certificate lacks, the command that
    decodes a PKCS#7 bundle (no label wraps it as a certificate), and a private key as one."""
    if _parse_der(der, source, NO_CACHE)[1] is not None:
        return (f"{source}: no certificate found: it is base64 without PEM's "
                "-----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines",
                "add the line -----BEGIN CERTIFICATE----- before it and -----END CERTIFICATE----- "
                "after it, as 'openssl x509' writes a certificate")
    if _pkcs7_items(der, source, [], quiet=True):
        return (f"{source}: no certificate found: it is a PKCS#7 bundle in base64, without "
                "PEM's -----BEGIN PKCS7----- and -----END PKCS7----- lines",
                "decode it: base64 -d < FILE > ca.p7b, then give ca.p7b")
    if _is_private_key(der):
        return f"{source}: no certificate found: it is a private key, in base64", _KEY_HINT
    return None


def _extract_pem(text: bytes, source: str, problems: Problems, facts: FactCache
                 ) -> list[Item]:
    items: list[Item] = []
    offset = 0
    block = 0
    while (begin := _BEGIN.search(text, offset)) is not None:
        block += 1
        label = begin.group(1).decode("ascii")
        line = text.count(b"\n", 0, begin.start()) + 1
        where = f"{source}: block {block} (line {line})"
        end_marker = b"-----END " + begin.group(1) + b"-----"
        end = text.find(end_marker, begin.end())
        next_begin = text.find(b"-----BEGIN ", begin.end())
        if end < 0 or (0 <= next_begin < end):
            problems.append((
                f"{where} is truncated: it has no '-----END {label}-----' line",
                "copy the whole block, from its -----BEGIN line to its -----END line",
            ))
            offset = begin.end()
            continue
        offset = end + len(end_marker)
        if _KEY_LABELS.search(label):
            problems.append((f"{where} is a private key", _KEY_HINT))
            continue
        body = text[begin.end():end]
        if label in _CERT_LABELS or label in _PKCS7_LABELS:
            items.extend(_decode_block(label, body, where, problems, facts))
        else:
            problems.append((
                f"{where} is a '{label}', not a certificate",
                "remove it; a CA bundle holds only CA certificates",
            ))
    if block == 0:
        problems.append((f"{source}: no certificate found", FORMAT_HINT))
    return items


def _decode_block(label: str, body: bytes, where: str, problems: Problems,
                  facts: FactCache) -> list[Item]:
    if not _BASE64.fullmatch(body):
        if b"\\n" in body:  # a PEM taken from a JSON string (Vault, a cloud's secret store)
            problems.append((f"{where} is damaged: its line breaks are written as '\\n'",
                             "put the line breaks back: printf '%b\\n' \"$(cat FILE)\" > ca.pem "
                             "(or read the JSON with 'jq -r'), then give ca.pem"))
            return []
        problems.append((f"{where} is damaged: it is not base64", _copy_hint()))
        return []
    try:
        der = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        problems.append((f"{where} is damaged: its base64 is incomplete", _copy_hint()))
        return []
    if label in _PKCS7_LABELS:
        return _pkcs7_items(der, where, problems)
    if label == "TRUSTED CERTIFICATE":
        return [_parse_der(der, where, facts, trusted_form=True)]
    return [_parse_der(der, where, facts)]


def _extract_der(data: bytes, source: str, problems: Problems, facts: FactCache
                 ) -> list[Item]:
    item = _parse_der(data, f"{source}: DER data", facts)
    if item[1] is not None:
        return [item]
    items = _pkcs7_items(data, f"{source}: DER data", problems, quiet=True)
    if items:
        return items
    if re.match(_PKCS12, data):  # what Windows, browsers and many proxies export a CA as
        problems.append((f"{source}: DER data is a PKCS#12 (.p12, .pfx) file, not certificates",
                         "convert it: openssl pkcs12 -in FILE -nokeys -out ca.pem, then give "
                         "ca.pem (its keys, if any, stay out; a server's certificate in it is "
                         "refused: then add -cacerts, which keeps only its CAs)"))
        return []
    problems.append(item[0] if item[0][1] == _KEY_HINT else (  # a key: said as such
        f"{source}: DER data is neither an X.509 certificate nor PKCS#7", FORMAT_HINT,
    ))
    return []


def _utf16_order(data: bytes) -> str | None:
    """How iconv names the UTF-16 of this PEM text, None if it is none: one byte order is the
    other shifted by a byte, so the place of the first line tells (text starts at an even
    byte)."""
    at = data.find("-----BEGIN ".encode("utf-16-le"))
    if at < 0:
        return None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"  # iconv reads the order from the mark
    return "UTF-16LE" if at % 2 == 0 else "UTF-16BE"


# PFX (RFC 7292): a SEQUENCE whose first element is the version INTEGER 3, then a SEQUENCE.
# No certificate, PKCS#7 ContentInfo or private key starts so; it is named, not parsed:
# reading it could need its password. Its length may be indefinite (\x80): NSS (pk12util,
# Firefox's certificate backup) exports BER so. Compiled, by re's own cache, for DER data
# that is no certificate.
_PKCS12 = rb"(?s)\x30(?:[\x00-\x80]|\x81.|\x82..|\x83...)\x02\x01\x03\x30"


def _pkcs7_items(der: bytes, where: str, problems: Problems, quiet: bool = False) -> list[Item]:
    from cryptography.hazmat.primitives.serialization import pkcs7

    try:
        certs = pkcs7.load_der_pkcs7_certificates(der)
    except Exception as error:  # any parse failure is reported
        if not quiet:
            problems.append((
                f"{where} is not a readable PKCS#7 bundle ({short_error(error)})", _copy_hint(),
            ))
        return []
    items: list[Item] = []
    for cert in certs:
        try:
            items.append((("", ""), describe(cert)))
        except ValueError as error:
            items.append(((f"{where}: a certificate in it is invalid ({short_error(error)})",
                           _copy_hint()), None))
    return items


def _parse_der(der: bytes, where: str, facts: FactCache, trusted_form: bool = False) -> Item:
    try:
        if trusted_form:
            return ("", ""), facts.certificate_in_trusted_form(der, _certificate_of_trusted_form)
        return ("", ""), facts.certificate(der)
    except ValueError as error:
        if _is_private_key(der):
            return (f"{where} is a private key", _KEY_HINT), None
        problem = f"{where} is not a valid X.509 certificate ({_asn1_problem(error)})"
        return (problem, _copy_hint()), None


def _is_private_key(der: bytes) -> bool:
    """A key under a CERTIFICATE label, or as DER: it must be named, not parsed as a
    certificate and answered with the parser's debug text."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    try:
        load_der_private_key(der, password=None)
    except TypeError:  # encrypted: a key all the same
        return True
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def _asn1_problem(error: ValueError) -> str:
    """cryptography's message, without the Rust parser's debug structure it may append."""
    text = short_error(error)
    return text.split(": ParseError {")[0] if ": ParseError {" in text else text


def _certificate_of_trusted_form(der: bytes) -> bytes:
    """The certificate of OpenSSL's trusted form (the certificate, then its trust settings),
    as OpenSSL reads it; what OpenSSL cannot read is left whole for cryptography to judge."""
    from OpenSSL import crypto

    try:
        return crypto.dump_certificate(crypto.FILETYPE_ASN1,
                                       crypto.load_certificate(crypto.FILETYPE_ASN1, der))
    except crypto.Error:  # cryptography names what is wrong with it, as for any other block
        return der


_KEY_HINT = ("a CA bundle holds only certificates: remove the key block, and treat the key as "
             "exposed if this file was shared")


def _copy_hint() -> str:
    return "copy the certificate again, from its -----BEGIN line to its -----END line"
