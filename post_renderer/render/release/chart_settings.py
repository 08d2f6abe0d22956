"""What the chart itself rendered: the proxy URL, the CA bundle and the auto-update Job.

This is what makes the vendor's own command work unchanged: ``--set spotinst.proxyUrl=...``
lands in the controller's ConfigMap (``HTTPS_PROXY`` refers to it; ``PROXY_URL`` in the
metric exporter and in charts 0.1.0 to 0.1.3), and
``--set caBundleSecret.data=...`` in the Secret that ``USER_ENV_CERTIFICATES`` refers to.
Our own output is read the same way (the proxy then comes from our Secret or a literal
value), which is what makes a second post-render a no-op.
"""

from collections.abc import Callable
from typing import NamedTuple

from post_renderer.errors import ManifestError, ProxyUrlError
from post_renderer.proxy_settings.no_proxy import DEFAULT_NO_PROXY, usable_entry
from post_renderer.proxy_settings.proxy_url import ProxyUrl, parse_proxy_url
from post_renderer.render.release.agents import TOKEN_ENV
from post_renderer.render.release.key_refs import (
    KeyRef,
    bundle_ref,
    entry_text,
    first_env,
    key_ref,
    secret_bytes,
    sets_nothing,
)
from post_renderer.render.release.owned_names import OwnedNames
from post_renderer.render.release.release import EMBEDDED_JOB_KEY, Release
from post_renderer.render.release.settings import Setting, tell_no_one
from post_renderer.render.release.workloads import is_fluent_bit
from post_renderer.render.stream.kube import (
    CA_ENV,
    EnvEntry,
    YamlNode,
    env_entries,
    get_path,
    used_env_entries,
)

PROXY_KEY = "proxy-url"  # in the chart's ConfigMap, and in the Secrets ocean-proxy writes
PROXY_VALUE = "spotinst.proxyUrl"  # the chart value behind that ConfigMap key, for messages
CA_VALUE = "caBundleSecret.data"  # the chart value behind the CA Secret a release renders
RENDERED_CA = f"the rendered {CA_ENV} value"  # a CA written in the pod spec (extraEnv)
# PROXY_URL: the metric exporter, and controllers of charts 0.1.0 to 0.1.3
PROXY_ENV_NAMES = ("HTTPS_PROXY", "https_proxy", "PROXY_URL")
# read for no setting (the Spot API is HTTPS), but they may hold a proxy password; the
# log-shipper's is its proxy (fluent-bit's for HTTPS too), said when another replaces it
UNREAD_PROXY_ENV_NAMES = ("HTTP_PROXY", "http_proxy")
NO_PROXY_ENV_NAMES = ("NO_PROXY", "no_proxy")
NOT_A_URL = "a value that is no proxy URL"  # said instead of it: it may hold a password
UNSEEN_PROXY = "a proxy it cannot read"  # said of one in an object the release does not render


class ChartSettings(NamedTuple):
    proxy_url: Setting | None = None  # value: ProxyUrl
    proxy_ref: KeyRef | None = None
    ca_ref: KeyRef | None = None
    ca_data: Setting | None = None  # value: the bundle bytes
    auto_update_jobs: tuple[KeyRef, ...] = ()
    no_proxy: tuple[str, ...] = ()  # rendered NO_PROXY entries beyond our defaults
    spot_token: bytes | None = None  # from a Secret only: a literal value is in the pod spec
    other_proxies: tuple[str, ...] = ()  # the rendered proxies beside proxy_url, redacted
    dropped_no_proxy: tuple[str, ...] = ()  # rendered NO_PROXY entries left out, as written
    proxy_out_of_sight: KeyRef | None = None  # a proxy variable's object not rendered here
    hidden_ca: KeyRef | None = None  # a CA Secret a later USER_ENV_CERTIFICATES hides


def read_chart_settings(release: Release, hide: Callable[..., None] = tell_no_one) -> ChartSettings:
    """What the chart rendered for ``release``'s workload. The secrets it rendered go to
    ``hide`` as they are read: the proxy URLs (``url=True``), also those of the variables
    read for nothing (``HTTP_PROXY``), and the Spot token."""
    proxy_entry, text = _first_proxy(release)
    proxy_ref = key_ref(proxy_entry)
    proxy_url = None
    if proxy_entry is not None and text:
        source = str(proxy_ref) if proxy_ref else f"the rendered {proxy_entry.get('name')} value"
        from_value = proxy_ref is not None and (proxy_ref.kind, proxy_ref.key) == \
            ("ConfigMap", PROXY_KEY)
        # a mistake in it is one in the chart's value: errors name that too
        named = f"{source} ({PROXY_VALUE})" if from_value else source
        hide(text, url=True)
        proxy_url = Setting(parse_proxy_url(text, source=named), source)
    ca_ref, ca_data, hidden_ca = _rendered_ca(release)
    jobs = tuple(
        KeyRef("ConfigMap", resource.name, EMBEDDED_JOB_KEY)
        for resource in release.referenced("ConfigMap")
        if isinstance(get_path(resource.document, ("data", EMBEDDED_JOB_KEY)), str)
    )
    no_proxy, dropped = _no_proxy_entries(release)
    token = _spot_token(release)
    if token:
        hide(token.decode("utf-8", "surrogateescape"))
    _hide_unread(release, hide)
    return ChartSettings(proxy_url, proxy_ref, ca_ref, ca_data, jobs, no_proxy, token,
                         _other_proxies(release, proxy_url.value, hide) if proxy_url else (),
                         dropped, None if proxy_url else _proxy_out_of_sight(release),
                         hidden_ca)


def _other_proxies(release: Release, chosen: ProxyUrl, hide: Callable[..., None]
                   ) -> tuple[str, ...]:
    """The proxies the pods were also rendered with, each said once, without credentials:
    an old ``HTTPS_PROXY`` in ``extraEnv`` beside ``spotinst.proxyUrl`` is one, one read from
    a Secret or ConfigMap of the user's that the release does not render another (by where it
    is), and a log-shipper's ``HTTP_PROXY`` (fluent-bit's proxy for HTTPS too) a third. A
    log-shipper keeps its own beside a proxy that is not http://, which fluent-bit cannot
    take."""
    others: dict[str, str] = {}
    for workload in release.workloads:
        for found in env_entries(workload.document, workload.kind):
            name = found.entry.get("name")
            fluent_bit = is_fluent_bit(found.container)
            if chosen.scheme != "http" and fluent_bit and name != "PROXY_URL":
                continue
            ref = key_ref(found.entry)
            read = name in PROXY_ENV_NAMES or (fluent_bit and name in UNREAD_PROXY_ENV_NAMES)
            url = _rendered_proxy(release, found.entry, ref, hide) if read else None
            if url is not None and url[0] != chosen.full:
                unseen = ", which this release does not render" if url[1] == UNSEEN_PROXY else ""
                where = f", from {ref}{unseen}" if ref else ""
                others.setdefault(url[0], f"{url[1]} ({name} of container "
                                          f"'{found.container.get('name')}'{where})")
    return tuple(others.values())


def _hide_unread(release: Release, hide: Callable[..., None]) -> None:
    """No message names a rendered ``HTTP_PROXY`` or Spot token, the ones Kubernetes does not
    give a container (a name given twice) included; should one ever quote it, its password,
    or the token, is hidden all the same."""
    for workload in release.workloads:
        for found in env_entries(workload.document, workload.kind):
            name = found.entry.get("name")
            if name in UNREAD_PROXY_ENV_NAMES or name == TOKEN_ENV:
                try:
                    text = entry_text(release, found.entry, key_ref(found.entry))
                except ManifestError:  # no text to quote: a Secret's data that is no base64
                    continue
                if text:
                    hide(text, url=name != TOKEN_ENV)


def _rendered_proxy(release: Release, entry: dict[str, YamlNode], ref: KeyRef | None,
                    hide: Callable[..., None]) -> tuple[str, str] | None:
    """The entry's proxy URL in full and as it is shown; never the text of a value that is
    no URL: it may hold a password. One in an object the release does not render stands for
    itself by its place; ocean-proxy's own proxy Secrets hold its proxy by contract."""
    if ref is not None and release.get(ref.kind, ref.name) is None:
        return None if _kept_proxy_secret(release, ref) else (str(ref), UNSEEN_PROXY)
    try:
        text = entry_text(release, entry, ref)
        if text:
            hide(text, url=True)
        url = parse_proxy_url(text) if text else None
    except (ManifestError, ProxyUrlError):
        return NOT_A_URL, NOT_A_URL
    return (url.full, url.redacted) if url else None


def _spot_token(release: Release) -> bytes | None:
    token_ref = key_ref(first_env(release, (TOKEN_ENV,)))
    if token_ref is None or token_ref.kind != "Secret":
        return None
    secret = release.get("Secret", token_ref.name)
    if secret is None:
        return None
    try:
        return secret_bytes(secret, token_ref.key) or None
    except ManifestError:  # not ours to judge here: without it, the checksum uses scrypt
        return None


def _no_proxy_entries(release: Release) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The entries of every rendered NO_PROXY value beyond our defaults (the chart's own, and
    an extraEnv one after it, which ocean-proxy's single NO_PROXY replaces, keep their
    hosts), and those left out, as --no-proxy would refuse them."""
    defaults = {d.lower() for d in DEFAULT_NO_PROXY}
    found: dict[str, None] = {}
    dropped: dict[str, None] = {}
    for workload in release.workloads:
        for env in env_entries(workload.document, workload.kind):
            value = env.entry.get("value") if env.entry.get("name") in NO_PROXY_ENV_NAMES \
                else None
            for entry in value.split(",") if isinstance(value, str) else ():
                entry = entry.strip()
                if not entry or entry.lower() in defaults:
                    continue
                usable = entry if "$(" in entry else usable_entry(entry)  # $(VAR) as written
                if usable is None:
                    dropped[entry] = None
                else:
                    found[usable] = None
    return tuple(found), tuple(dropped)


def _first_proxy(release: Release) -> tuple[dict[str, YamlNode] | None, str | None]:
    """The first proxy variable that holds a URL, and the URL. The chart's ``HTTPS_PROXY``
    may read a blank ConfigMap key (chart values from ``ocean-proxy values``, or our own
    output), and the URL then sits in the variables after it."""
    first = None
    for workload in release.workloads:
        for found in env_entries(workload.document, workload.kind):
            if found.entry.get("name") in PROXY_ENV_NAMES:
                text = entry_text(release, found.entry, key_ref(found.entry))
                if text:
                    return found.entry, text
                first = first or found.entry
    return first, None


def _proxy_out_of_sight(release: Release) -> KeyRef | None:
    """Where the first proxy variable that reads an object the release does not render
    reads it from (a Secret of the user's own holding the proxy and its password, in
    ``extraEnv``): the proxy may be there, where ocean-proxy cannot read it. ocean-proxy's
    own proxy Secrets, kept by helm from an earlier run, are read by contract (shared_proxy)."""
    for workload in release.workloads:
        for found in env_entries(workload.document, workload.kind):
            ref = key_ref(found.entry) if found.entry.get("name") in PROXY_ENV_NAMES else None
            if ref is not None and release.get(ref.kind, ref.name) is None and \
                    not _kept_proxy_secret(release, ref):
                return ref
    return None


def _kept_proxy_secret(release: Release, ref: KeyRef) -> bool:
    """Is ``ref`` a proxy Secret ocean-proxy wrote for this release on an earlier run, kept by
    helm: its workloads' own, or the one beside a ConfigMap they read (shared_proxy). A
    Secret of the user's named alike ('corp-ocean-proxy'), or another release's, is not."""
    if ref.kind != "Secret":
        return False
    read = {found_ref.name for workload in release.workloads
            for found in env_entries(workload.document, workload.kind)
            if (found_ref := key_ref(found.entry)) is not None and found_ref.kind == "ConfigMap"}
    return ref.name in {OwnedNames(workload.name).proxy for workload in release.workloads} \
        or ref.name in {OwnedNames.shared_proxy(configmap) for configmap in read}


def _rendered_ca(release: Release) -> tuple[KeyRef | None, Setting | None, KeyRef | None]:
    """Where the ``USER_ENV_CERTIFICATES`` Kubernetes gives a container reads its bundle, the
    bundle, and a CA Secret that entry hides. Of two entries of the name in a container, the
    kubelet uses the last (an ``extraEnv`` one after the chart's own), so that one is judged.
    The first that holds a bundle, from a Secret here or written in the pod spec (charts
    0.1.0 to 0.1.3 have no CA Secret); else no bundle. The Secret named is the first one a
    used entry reads, else the chart's: a bundle written in the pod spec goes there, as a CA
    from --ca-file would."""
    entries: list[tuple[int, EnvEntry]] = []
    used: dict[tuple[int, str], EnvEntry] = {}
    for index, workload in enumerate(release.workloads):
        entries += [(index, found) for found in env_entries(workload.document, workload.kind)
                    if found.entry.get("name") == CA_ENV]
        used.update(((index, found.env_list), found) for found in
                    used_env_entries(workload.document, workload.kind, sets_nothing(release))
                    if found.entry.get("name") == CA_ENV)
    where = next((ref for found in used.values() if (ref := key_ref(found.entry))),
                 key_ref(entries[0][1].entry) if entries else None)
    hidden = next((ref for index, found in entries
                   if (kept := used[index, found.env_list]).path != found.path
                   and (ref := bundle_ref(release, found.entry)) is not None
                   and ref != key_ref(kept.entry)), None)
    for found in used.values():
        ref = bundle_ref(release, found.entry)
        if ref is not None:
            secret = release.get("Secret", ref.name)
            assert secret is not None  # bundle_ref found it
            return ref, Setting(secret_bytes(secret, ref.key), str(ref)), hidden
        value = found.entry.get("value")
        if key_ref(found.entry) is None and isinstance(value, str) and value.strip():
            return where, Setting(value.encode("utf-8"), RENDERED_CA), hidden
    return where, None, hidden
