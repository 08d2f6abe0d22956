"""Everything decided before a document is touched: which proxy, which CAs, which Secrets.

User settings win over what the chart rendered. The CA bundle is validated here, so a
refused bundle stops the post-renderer before anything is written. The notices and
warnings a user must see (no CA configured, a CA Secret we cannot see, auto-update) are
collected here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from post_renderer.errors import AutoUpdateError, BundleError
from post_renderer.proxy_settings.no_proxy import no_proxy_entries
from post_renderer.render.chart_settings import ChartSettings, KeyRef
from post_renderer.render.owned_names import OwnedNames
from post_renderer.render.release import Release
from post_renderer.render.settings import Setting, UserSettings

if TYPE_CHECKING:
    import datetime as dt

    from post_renderer.trust import TrustBundle

BUNDLE_KEY = "userEnvCertificates.pem"
SECRET_LIMIT = 1024 * 1024  # what Kubernetes stores in one Secret


class Injection(NamedTuple):
    """What the target pods get, and where the supporting Secrets live."""

    proxy: Setting | None = None  # value: ProxyUrl
    no_proxy: tuple[str, ...] = ()
    trust: TrustBundle | None = None
    trust_source: str | None = None
    ca_secret: KeyRef | None = None  # where the validated bundle is written
    repoint_ca_env: bool = False  # USER_ENV_CERTIFICATES must follow ca_secret
    proxy_secret: str | None = None  # Secret holding a proxy URL with credentials
    proxy_configmap: KeyRef | None = None  # the chart's plain-text copy of the proxy URL
    auto_update_jobs: tuple[KeyRef, ...] = ()
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.proxy is None and self.trust is None


def resolve_injection(user: UserSettings, chart: ChartSettings, release: Release,
           now: dt.datetime | None = None) -> Injection:
    notices: list[str] = []
    warnings: list[str] = []
    names = OwnedNames(release.workloads[0].name if release.workloads else "ocean-proxy")
    proxy = user.proxy_url or chart.proxy_url
    additions = (*chart.no_proxy, *(user.no_proxy.value if user.no_proxy else ()))

    trust, trust_source, ca_secret, repoint = None, None, None, False
    if user.ca_files:
        from post_renderer.trust import load_trust_bundle

        trust, bundle_warnings = load_trust_bundle(user.ca_files.value, now=now)
        warnings += bundle_warnings
        trust_source = user.ca_files.source
        ca_secret, repoint = _ca_secret_for_user_bundle(chart, release, names)
        if repoint:
            notices.append(
                f"USER_ENV_CERTIFICATES now reads Secret '{ca_secret.name}', made from "
                f"{trust_source}, instead of {chart.ca_ref}")
    elif chart.ca_data is not None:
        from post_renderer.trust import load_trust_bundle

        trust, bundle_warnings = load_trust_bundle([(chart.ca_data.source, chart.ca_data.value)],
                                                   now=now)
        warnings += bundle_warnings
        trust_source, ca_secret = chart.ca_data.source, chart.ca_ref
    elif chart.ca_ref is not None and chart.ca_ref.name != names.chart_ca:
        warnings.append(
            f"the CA bundle is in Secret '{chart.ca_ref.name}', which is not part of this "
            "release: it cannot be validated, the pods will not restart when it changes, and "
            "the log-shipper cannot use it; pass the same certificates with --ca-file to fix "
            "all three")
    elif proxy is not None:
        notices.append(
            "no CA bundle configured: fine if the proxy does not inspect TLS; if it does, "
            "'ocean-proxy discover-ca --proxy URL -o ca.pem' finds its CA")

    if trust is not None and 2 * len(trust.pem()) * 4 // 3 > SECRET_LIMIT:
        # the Secret holds the bundle and each CA again (by hash), all base64-encoded
        raise BundleError(
            f"the CA bundle from {trust_source} ({len(trust.certificates)} certificates, "
            f"{len(trust.pem()) // 1024} KiB) would not fit in a Kubernetes Secret (1 MiB)",
            hint="pass only the CA certificates the proxy re-signs with; the pods keep "
                 "trusting the public roots",
        )
    if proxy is not None and proxy.value.scheme != "http":
        warnings.append(
            f"the log-shipper (fluent-bit) supports only http:// proxies, and {proxy.source} "
            f"is {proxy.value.scheme}://: it gets no proxy and cannot ship its logs; if the "
            "proxy also takes plain CONNECT requests, give its http:// URL (TLS to the Spot "
            "API stays end to end)")
    injection = Injection(
        proxy=proxy,
        no_proxy=no_proxy_entries(additions) if proxy else (),
        trust=trust,
        trust_source=trust_source,
        ca_secret=ca_secret,
        repoint_ca_env=repoint,
        proxy_secret=names.proxy if proxy and proxy.value.has_credentials else None,
        proxy_configmap=chart.proxy_ref if chart.proxy_ref and chart.proxy_ref.kind == "ConfigMap"
        else None,
        auto_update_jobs=chart.auto_update_jobs if user.auto_update.value == "inject" else (),
        notices=tuple(notices),
    )
    if chart.auto_update_jobs and not injection.empty:
        warnings.append(_auto_update_warning(user, chart, injection))
    return injection._replace(warnings=tuple(warnings))


def _ca_secret_for_user_bundle(chart: ChartSettings, release: Release,
                               names: OwnedNames) -> tuple[KeyRef, bool]:
    """Write into the chart's own CA Secret when it is ours to write; else a Secret of ours."""
    ref = chart.ca_ref
    if ref is not None and ref.kind == "Secret" and (
        release.get("Secret", ref.name) is not None or ref.name == names.chart_ca
    ):
        return ref, False
    mine = KeyRef("Secret", names.ca, BUNDLE_KEY)
    return mine, ref is not None


def _auto_update_warning(user: UserSettings, chart: ChartSettings, injection: Injection) -> str:
    policy = user.auto_update
    if policy.value == "refuse":
        raise AutoUpdateError(
            "the release's auto-update Job is on, and its 'helm upgrade' runs without this "
            f"post-renderer (auto-update policy 'refuse' from {policy.source})",
            hint="add --set spotinst.disableAutoUpdate=true and upgrade from your pipeline",
        )
    lost = ["the log-shipper's proxy and CA", "the rollout checksums"]
    if injection.proxy and injection.proxy.source != (chart.proxy_url and chart.proxy_url.source):
        lost.insert(0, f"the controller's proxy (it comes from {injection.proxy.source})")
    if injection.trust and injection.trust_source != (chart.ca_data and chart.ca_data.source):
        lost.insert(0, f"the controller's CA (it comes from {injection.trust_source})")
    given = ("its Job now gets the proxy and the CA to reach charts.spot.io, but"
             if policy.value == "inject" else "its Job is left as rendered, and")
    return (
        f"auto-update is on: {given} the 'helm upgrade' it runs does not use this "
        f"post-renderer, so an automatic upgrade drops {_words(lost)}; add "
        "--set spotinst.disableAutoUpdate=true to upgrade only from your pipeline, or "
        "--auto-update=refuse to make this an error"
    )


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
