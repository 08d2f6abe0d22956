"""Certificate facts remembered by the SHA-256 of their DER: a warm run parses nothing.

Only facts are kept: names, the validity dates, flags, hashes and the runtime findings, none
of which change while the DER and this version of ocean-proxy stay the same. Every
judgement that depends on the clock (expired, not yet valid, expiring soon) is made again
on every run from the cached dates (``policy.judge``), so a cached certificate is judged
exactly as a freshly parsed one.

    facts = fact_cache_for(os.environ)          # FactCache(None) when turned off
    cert = facts.certificate(der)               # parsed only on a miss

Where: ``$OCEAN_PROXY_CACHE_DIR``, else ``ocean-proxy/`` in helm's cache directory
(``$HELM_CACHE_HOME``, ``$XDG_CACHE_HOME/helm``, ``~/.cache/helm``): one file per
certificate and build of ocean-proxy (below), ``<sha256>.json``, at most 64 KiB each and the
newest 512 kept (a Helm 3 and a Helm 4 plugin share helm's cache directory, each with its
own install: each keeps its own entries instead of replacing the other's); a certificate in
OpenSSL's trusted form also has a file, under the form's hash, that says where it ends. Each
is written under a temporary name, then renamed (the key too, where the file system cannot
make a file without a name): a run that writes one also removes such temporary files that a
killed run left, once an hour old, beside the entries and beside the key.
``OCEAN_PROXY_NO_CACHE=1`` or ``--no-cache`` turns it off.

Each file starts with an HMAC-SHA256, under a random secret of the user's kept outside the
cache (``cache_home.user_secret``), over this build of ocean-proxy (its version, and the size
and modification time of the modules that work facts out), the key and the facts: a file
forged without the secret, or written by another version or an earlier checkout of this
one, is a miss. Files are read
and written as ``private_files`` does (no link or FIFO followed, 0600 in a 0700 directory):
a cache directory or key that another user owns or may read or write is not used, and
``unused_because`` says why. The cache is only ever an optimisation: a missing, unreadable,
corrupt or read-only cache is a miss.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from post_renderer import __version__
from post_renderer.cache_home import (
    cache_home,
    delete_earlier_renders,
    secret_path,
    url_refusal,
    user_secret,
)
from post_renderer.errors import ConfigError
from post_renderer.private_files import directory_refusal, prune, read_file, write_file
from post_renderer.trust.certificate import Certificate, certificate_from_der
from post_renderer.trust.finding import Finding

SCHEMA = 2  # 2: names hashed by OpenSSL; entries for OpenSSL's trusted form
_FIELDS = {  # Certificate field -> the JSON types it may hold
    "subject": (str,), "issuer": (str,), "is_ca": (bool, type(None)), "self_signed": (bool,),
    "fingerprint": (str,), "subject_hash": (str,), "issuer_hash": (str,),
    "signature_hash": (str, type(None)), "key_description": (str,),
    "path_length": (int, type(None)),
}

_TAG = 32  # bytes of HMAC-SHA256 before each fact file's JSON
MAX_FILE_BYTES = 64 * 1024  # facts are a few hundred bytes; AIA URLs could add some
MAX_ENTRIES = 512
_NAME = r"[0-9a-f]{64}\.json"  # the only names the cache writes, or prunes


class FactCache:
    """Certificates by the SHA-256 of their DER; ``directory=None`` parses every time."""

    def __init__(self, directory: str | os.PathLike[str] | None, secret: bytes = b"",
                 unused_because: str | None = None, deleted: str | None = None,
                 key_file: str | None = None) -> None:
        self.directory = None if directory is None else os.fspath(directory)
        self._secret = secret  # files are authenticated with it: a forged fact is a miss
        self.key_file = key_file  # whose temporaries a killed run left are removed with ours
        self.unused_because = unused_because  # why a configured cache is off, for a notice
        self.deleted = deleted  # what an earlier build left there and this run deleted

    @property
    def notices(self) -> tuple[str, ...]:
        """What to tell the user about the cache: why it is not used, what went from it."""
        return tuple(notice for notice in (self.unused_because, self.deleted) if notice)

    def certificate(self, der: bytes) -> Certificate:
        """The facts of one DER certificate; ValueError when it is not a valid certificate."""
        if self.directory is None:
            return certificate_from_der(der)
        key = hashlib.sha256(der).hexdigest()
        cached = _read(self.directory, key, der, self._secret)
        if cached is not None:
            return cached
        cert = certificate_from_der(der)
        if cert.der == der:  # re-encoded input would be a different key: not worth keeping
            self._pruned_after(_write(self.directory, cert, self._secret))
        return cert

    def certificate_in_trusted_form(self, trusted: bytes,
                                    certificate_of: Callable[[bytes], bytes]) -> Certificate:
        """The facts of the certificate that begins OpenSSL's trusted form (the certificate,
        then its trust settings). ``certificate_of`` (OpenSSL) finds where the certificate
        ends; the cache keeps that length under the whole form's hash, so a warm run reads
        the form without OpenSSL or cryptography."""
        if self.directory is None:
            return certificate_from_der(certificate_of(trusted))
        key = hashlib.sha256(trusted).hexdigest()
        length = _read_length(self.directory, key, self._secret)
        if length is not None and 0 < length < len(trusted):
            try:
                return self.certificate(trusted[:length])
            except ValueError:  # not where a certificate ends after all: ask OpenSSL
                pass
        der = certificate_of(trusted)
        cert = self.certificate(der)
        if der != trusted and trusted.startswith(der):
            self._pruned_after(_write_length(self.directory, key, len(der), self._secret))
        return cert

    def _pruned_after(self, written: bool) -> None:
        """After a write (a failed one: parsed again next time), the newest entries kept and
        what killed runs left removed: temporary files of entries, and of the key."""
        if not written or self.directory is None:
            return
        prune(self.directory, re.compile(_NAME), MAX_ENTRIES)
        if self.key_file is not None:
            prune(os.path.dirname(self.key_file) or ".",
                  re.compile(re.escape(os.path.basename(self.key_file))), None)


def fact_cache_for(environ: Mapping[str, str], *, disabled: bool = False) -> FactCache:
    """The cache the environment asks for, or a disabled one: turned off, no secret, or a
    directory or key others could steer (then ``unused_because`` says why). Either way, the
    renders an earlier build kept in the cache directory are deleted (``deleted``)."""
    try:
        home = cache_home(environ, disabled=disabled)
    except ConfigError as error:  # OCEAN_PROXY_NO_CACHE neither on nor off: it is only speed
        return FactCache(None, unused_because=f"the certificate cache is not used: "
                                              f"{error.message}")
    if home is None:
        return FactCache(None)
    key_file = secret_path(environ)  # once: without HOME, each asks the passwd database
    why = url_refusal(home) or url_refusal(key_file)
    if why is not None:  # nothing made, not even the key: its folders would name a password
        return FactCache(None, unused_because=f"the certificate cache is not used: {why}")
    deleted = delete_earlier_renders(home)
    secret, why = user_secret(environ, key_file)
    why = why or directory_refusal(home)
    if why is not None:
        return FactCache(None, unused_because=f"the certificate cache is not used: {why}",
                         deleted=deleted)
    return FactCache(home if secret is not None else None, secret or b"", deleted=deleted,
                     key_file=key_file)


def facts_json(cert: Certificate) -> dict[str, Any]:
    """What is stored for ``cert``: every field but the DER, which is the key."""
    facts: dict[str, Any] = {"schema": SCHEMA}
    facts.update({name: getattr(cert, name) for name in _FIELDS})
    facts["not_before"] = cert.not_before.isoformat()
    facts["not_after"] = cert.not_after.isoformat()
    facts["aia_ca_issuers"] = list(cert.aia_ca_issuers)
    facts["findings"] = [list(finding) for finding in cert.findings]
    return facts


def certificate_from_facts(facts: Any, der: bytes) -> Certificate:
    """The certificate ``facts_json`` described; ValueError for anything it could not write."""
    if not isinstance(facts, dict) or facts.get("schema") != SCHEMA:
        raise ValueError("not a fact file of this schema")
    fields = {}
    for name, types in _FIELDS.items():
        value = facts[name]
        if type(value) not in types:  # type(), not isinstance(): True is no path length
            raise ValueError(f"{name} has the wrong type")
        fields[name] = value
    return Certificate(
        der=der,
        not_before=_utc(facts["not_before"]),
        not_after=_utc(facts["not_after"]),
        aia_ca_issuers=tuple(_strings(facts["aia_ca_issuers"])),
        findings=tuple(_finding(item) for item in _list(facts["findings"])),
        **fields,
    )


def _read(directory: str, key: str, der: bytes, secret: bytes) -> Certificate | None:
    facts = _load(directory, key, secret)
    if facts is None:
        return None
    try:
        cert = certificate_from_facts(facts, der)
    except (ValueError, KeyError, TypeError):  # any damage is a miss
        return None
    return cert if cert.fingerprint == key else None


def _write(directory: str, cert: Certificate, secret: bytes) -> bool:
    return _store(directory, cert.fingerprint, facts_json(cert), secret)


def _read_length(directory: str, key: str, secret: bytes) -> int | None:
    """Where the certificate of a trusted form ends, as OpenSSL found it; None: a miss."""
    record = _load(directory, key, secret)
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        return None
    length = record.get("certificate_bytes")
    return length if type(length) is int else None


def _write_length(directory: str, key: str, length: int, secret: bytes) -> bool:
    return _store(directory, key, {"schema": SCHEMA, "certificate_bytes": length}, secret)


def _load(directory: str, key: str, secret: bytes) -> Any:
    """The JSON kept under ``key`` if this user's secret authenticates it; None: a miss."""
    stored = read_file(directory, entry_file_name(key), MAX_FILE_BYTES)
    if stored is None:
        return None
    tag, data = stored[:_TAG], stored[_TAG:]
    if not hmac.compare_digest(tag, _tag(secret, key, data)):
        return None  # written by someone without this user's secret, another version, or damaged
    try:
        return json.loads(data)
    except ValueError:
        return None


def _store(directory: str, key: str, record: Any, secret: bytes) -> bool:
    data = json.dumps(record, sort_keys=True).encode("utf-8")
    if _TAG + len(data) > MAX_FILE_BYTES:  # never read back: each run would write it again
        return False
    return write_file(directory, entry_file_name(key), _tag(secret, key, data) + data)


def entry_file_name(key: str) -> str:
    """The file of ``key``'s entry written by this build: another build's is another file."""
    return hashlib.sha256(_build(__version__) + b"\0" + key.encode("ascii")).hexdigest() + \
        ".json"


def _tag(secret: bytes, key: str, data: bytes) -> bytes:
    """HMAC-SHA256 under the user's cache secret, over this build, the key and the facts."""
    message = b"\0".join((_build(__version__), key.encode("ascii"), data))
    return hmac.new(secret, message, hashlib.sha256).digest()


@functools.lru_cache(maxsize=1)
def _build(version: str) -> bytes:
    """This ``version`` and schema, and the size and modification time of each module of
    this folder, where the facts are worked out, as Python's own bytecode cache tells a
    changed source: a checkout updated under the same version (a plugin installed from git,
    then 'helm plugin update') reads none of the findings its earlier rules wrote. One
    directory listing; a module added here later is in it without a word."""
    parts = [version, str(SCHEMA)]
    try:  # (run from bytecode alone, there are none: the version is all there is)
        with os.scandir(os.path.dirname(os.path.abspath(__file__))) as entries:
            modules = sorted((entry for entry in entries if entry.name.endswith(".py")
                              and entry.name[:-3].isidentifier()), key=lambda entry: entry.name)
    except OSError:
        modules = []
    for module in modules:  # one gone (or an editor's lock link) leaves the others counted
        with contextlib.suppress(OSError):
            found = module.stat()
            parts.append(f"{module.name}:{found.st_size}:{found.st_mtime_ns}")
    return "\0".join(parts).encode()


def _utc(text: Any) -> dt.datetime:
    value = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    if value is None or value.utcoffset() != dt.timedelta(0):
        raise ValueError("not a UTC time")
    return value.astimezone(dt.timezone.utc)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _strings(value: Any) -> list[str]:
    items = _list(value)
    if not all(isinstance(item, str) for item in items):
        raise ValueError("not a list of strings")
    return [str(item) for item in items]


def _finding(item: Any) -> Finding:
    go, openssl, reason, hint = _list(item)
    if type(go) is not bool or type(openssl) is not bool or \
            not isinstance(reason, str) or not isinstance(hint, str):
        raise ValueError("not a finding")
    return Finding(go, openssl, reason, hint)
