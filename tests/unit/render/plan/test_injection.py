"""resolve_injection: which proxy, which CAs and which Secrets, decided before any edit."""

from __future__ import annotations

import pytest

from post_renderer.errors import AutoUpdateError, BundleError
from post_renderer.render.pipeline import post_render
from post_renderer.render.release.key_refs import KeyRef

from .... import certs
from ...chart_manifests import (
    CA_KEY,
    CA_SECRET,
    FULLNAME,
    NAMESPACE,
    NO_VALUES_SHAPE,
    ca_secret,
    configmap,
    controller,
    release,
)
from ...user_settings import user_settings
from ..planning import injection_for

CHART_PROXY = "http://chart-proxy.corp:3128"


def resolve(data: bytes, **settings):
    return injection_for(data, user_settings(**settings))[1]


def test_the_users_proxy_wins_over_the_charts():
    injection = resolve(release(controller(), configmap(proxy_url=CHART_PROXY)),
                        proxy_url="http://mine.corp:8080")
    assert injection.proxy.value.host == "mine.corp"
    assert injection.proxy.source == "--proxy-url"


def test_a_users_proxy_over_another_chart_proxy_is_said_once_and_the_same_one_not_at_all():
    data = release(controller(), configmap(proxy_url=CHART_PROXY))
    other = resolve(data, proxy_url="http://mine.corp:8080")
    assert [n for n in other.notices if "replaces the proxy the chart renders" in n] == [
        "--proxy-url replaces the proxy the chart renders (ConfigMap "
        f"'{FULLNAME}' key 'proxy-url'): every container gets http://mine.corp:8080 instead "
        f"of {CHART_PROXY}"]
    same = resolve(data, proxy_url=CHART_PROXY)
    assert not [n for n in same.notices if "replaces the proxy" in n], same.notices


def test_a_users_proxy_over_the_charts_names_neither_password():
    data = release(controller(), configmap(proxy_url="http://svc:old-pw1@chart-proxy.corp:3128"))
    other = resolve(data, proxy_url="http://svc:new-pw2@mine.corp:8080")
    [said] = [n for n in other.notices if "replaces the proxy the chart renders" in n]
    assert "mine.corp:8080" in said and "chart-proxy.corp:3128" in said
    assert "old-pw1" not in said and "new-pw2" not in said
    same_host = resolve(data, proxy_url="http://svc:new-pw2@chart-proxy.corp:3128")
    [said] = [n for n in same_host.notices if "replaces the proxy the chart renders" in n]
    assert said.endswith("every container gets the same proxy with other credentials")


def test_the_charts_proxy_is_used_and_named_by_where_it_was_found():
    injection = resolve(release(controller(), configmap(proxy_url=CHART_PROXY)))
    assert injection.proxy.value.without_credentials == CHART_PROXY
    assert injection.proxy.source == f"ConfigMap '{FULLNAME}' key 'proxy-url'"
    assert injection.proxy_configmap == KeyRef("ConfigMap", FULLNAME, "proxy-url")


def test_a_proxy_without_a_ca_gets_a_notice_about_discover_ca():
    injection = resolve(release(controller(), configmap(proxy_url=CHART_PROXY)))
    assert any("discover-ca" in n for n in injection.notices)


def test_no_proxy_and_no_ca_is_empty():
    assert resolve(release(controller(), configmap())).empty


def test_no_proxy_combines_the_defaults_the_chart_extras_and_the_users():
    data = release(controller(no_proxy="$(KUBERNETES_SERVICE_HOST),Registry.Corp"),
                   configmap(proxy_url=CHART_PROXY))
    injection = resolve(data, no_proxy=("corp.example",))
    assert injection.no_proxy[0] == "$(KUBERNETES_SERVICE_HOST)"
    assert {"registry.corp", "corp.example"} <= set(injection.no_proxy)
    assert injection.no_proxy.count("$(KUBERNETES_SERVICE_HOST)") == 1


def test_a_user_bundle_goes_into_the_charts_own_secret_when_it_is_in_the_release(corp_root):
    data = release(controller(), configmap(), ca_secret(b"old"))
    injection = resolve(data, ca=[("corp.pem", corp_root.pem)])
    assert injection.ca_secret == KeyRef("Secret", CA_SECRET, CA_KEY)
    assert not injection.repoint_ca_env
    assert injection.trust_source == "--ca-file"


def test_a_user_bundle_for_a_secret_made_elsewhere_goes_into_ours_with_a_notice(corp_root):
    data = release(controller(ca_secret="corp-trust"), configmap())
    injection = resolve(data, ca=[("corp.pem", corp_root.pem)])
    assert injection.ca_secret == KeyRef("Secret", f"{FULLNAME}-ocean-proxy-ca", CA_KEY)
    assert injection.repoint_ca_env
    assert any("corp-trust" in n for n in injection.notices)


def test_a_ca_secret_made_elsewhere_without_a_user_bundle_is_warned_about():
    data = release(controller(ca_secret="corp-trust"), configmap(proxy_url=CHART_PROXY))
    assert resolve(data).trust is None
    # a lint now (a warning, an error with --strict), said once per workload
    lints = post_render(data, user_settings()).lints
    assert any("'corp-trust'" in lint.message and "not part of this release" in lint.message
               and "--ca-file" in lint.hint for lint in lints)


def test_a_bundle_too_large_for_a_secret_is_refused(monkeypatch):
    from post_renderer.render.plan import trust_choice as module

    cas = b"".join(certs.root(f"Corp CA {i}").pem for i in range(4))
    monkeypatch.setattr(module, "SECRET_LIMIT", len(cas))  # bundle + one key per CA, base64
    with pytest.raises(BundleError) as caught:
        resolve(release(controller(), configmap()), ca=[("big.pem", cas)])
    assert "would not fit in a Kubernetes Secret" in caught.value.message
    assert "4 certificates" in caught.value.message


def test_expired_user_ca_is_refused_naming_the_file():
    expired = certs.root("Stale CA", not_before=certs.NOW - 50 * certs.DAY,
                         not_after=certs.NOW - certs.DAY)
    with pytest.raises(BundleError) as caught:
        resolve(release(controller(), configmap()), ca=[("stale.pem", expired.pem)])
    message = caught.value.message
    assert message.startswith("stale.pem: certificate 1 ")
    assert "CN=Stale CA" in message and "expired on" in message


def test_credentials_in_the_proxy_url_mean_a_proxy_secret_of_ours():
    injection = resolve(release(controller(), configmap()),
                        proxy_url="http://alice:s3cret@proxy.corp:3128")
    assert injection.proxy_secret == f"{FULLNAME}-ocean-proxy"
    assert resolve(release(controller(), configmap()),
                   proxy_url="http://proxy.corp:3128").proxy_secret is None


def test_an_https_proxy_warns_that_the_log_shipper_goes_without():
    injection = resolve(release(controller(), configmap()), proxy_url="https://proxy.corp")
    assert any("only http:// proxies" in w for w in injection.warnings)


def test_auto_update_warning_names_what_an_automatic_upgrade_drops(corp_root):
    injection = resolve(release(controller(), configmap(proxy_url=CHART_PROXY)),
                        ca=[("corp.pem", corp_root.pem)])
    [warning] = [w for w in injection.warnings if w.startswith("auto-update is on")]
    assert "the controller's CA (it comes from --ca-file)" in warning
    assert "the controller's proxy" not in warning  # the chart's own proxy survives
    assert injection.auto_update_jobs == (KeyRef("ConfigMap", FULLNAME, "auto-update.job"),)


def test_auto_update_keep_leaves_the_job_but_still_warns():
    injection = resolve(release(controller(), configmap(proxy_url=CHART_PROXY)),
                        auto_update="keep")
    assert injection.auto_update_jobs == ()
    assert any("left as rendered" in w for w in injection.warnings)


def test_auto_update_refuse_is_an_error_naming_the_policys_source():
    with pytest.raises(AutoUpdateError) as caught:
        resolve(release(controller(), configmap(proxy_url=CHART_PROXY)), auto_update="refuse")
    assert "--auto-update" in caught.value.message


def test_nothing_to_inject_is_not_an_auto_update_problem():
    injection = resolve(release(controller(), configmap()), auto_update="refuse")
    assert injection.empty and injection.warnings == ()


def test_one_kept_secret_is_named_in_the_singular_and_several_in_the_plural(corp_root):
    """Without the auto-update's overlay, a plain proxy keeps one Secret of ours, a CA
    beside it a second: the delete line reads as English either way."""
    one = resolve(release(controller(), configmap()), proxy_url=CHART_PROXY,
                  auto_update="keep")
    [said] = [n for n in one.notices if n.startswith("helm keeps")]
    headline, first, then = said.lines
    assert headline.startswith(f"helm keeps Secret '{FULLNAME}-ocean-proxy' across upgrades")
    # a metric exporter of another release reads it: its release goes first, and the command
    # that deletes the Secret comes last, on a line of its own
    assert first.strip() == ("first upgrade without --post-renderer each Spot agent of another "
                             f"release that reads Secret '{FULLNAME}-ocean-proxy' "
                             "(ocean-metric-exporter's PROXY_URL): their pods cannot start "
                             "without it")
    # and those an earlier render with the auto-update's overlay or a CA kept, if there
    assert then.strip() == (f"then 'kubectl delete secret -n {NAMESPACE} --ignore-not-found "
                            f"{FULLNAME}-ocean-proxy {FULLNAME}-ocean-proxy-ca "
                            f"{FULLNAME}-ocean-proxy-values' deletes them")
    two = resolve(release(controller(), configmap()), proxy_url=CHART_PROXY,
                  ca=[("corp.pem", corp_root.pem)], auto_update="keep")
    [said] = [n for n in two.notices if n.startswith("helm keeps")]
    assert said.lines[0].startswith("helm keeps Secrets ")
    assert said.lines[-1].endswith("' deletes them")


def test_the_delete_line_names_what_an_earlier_render_kept_where_it_is(corp_root):
    """The auto-update switched off after a render that had its overlay: helm still keeps
    that render's values Secret, which this render lacks; the one line to copy deletes it
    too, and kubectl passes over those of them that are not there."""
    off = resolve(release(controller(), configmap()), proxy_url=CHART_PROXY,
                  ca=[("corp.pem", corp_root.pem)], auto_update="keep")

    [said] = [n for n in off.notices if n.startswith("helm keeps")]

    assert said.lines[0].startswith(f"helm keeps Secrets '{FULLNAME}-ocean-proxy', "
                                    f"'{FULLNAME}-ocean-proxy-ca' across upgrades")
    assert said.lines[-1].endswith(
        f"'kubectl delete secret -n {NAMESPACE} --ignore-not-found {FULLNAME}-ocean-proxy "
        f"{FULLNAME}-ocean-proxy-ca {FULLNAME}-ocean-proxy-values' deletes them")


# A metric exporter of another release reads the controller's ConfigMap: what the render takes
# out of it is said, as a warning where that exporter loses a proxy it had.

def said_about_the_configmap(data: bytes, **settings) -> tuple[list[str], list[str]]:
    _, injection = injection_for(data, user_settings(**settings))
    about = f"ConfigMap '{FULLNAME}' key 'proxy-url'"
    return ([w for w in injection.warnings if about in w],
            [n for n in injection.notices if about in n])


def test_a_password_taken_out_of_a_configmap_other_releases_read_is_a_warning():
    """Chart values that cannot carry the proxy: the ConfigMap keeps the URL without its
    password, and an exporter that read it gets 407 until its release is post-rendered."""
    data = release(controller(chart_version=NO_VALUES_SHAPE),
                   configmap(proxy_url="http://alice:s3cret@proxy.corp:3128"))
    warnings, notices = said_about_the_configmap(data)
    assert len(warnings) == 1 and "without its credentials" in warnings[0] \
        and "407" in warnings[0]
    assert notices == []


@pytest.mark.parametrize("url, warned", [("http://alice:s3cret@proxy.corp:3128", True),
                                         (CHART_PROXY, False)])
def test_a_blanked_configmap_key_is_a_warning_only_where_it_held_a_password(url, warned):
    """Blank, as the chart's values leave it: an exporter that read a URL with a password
    now goes without the proxy (a warning); one without a password is only told (a notice)."""
    warnings, notices = said_about_the_configmap(release(controller(), configmap(proxy_url=url)))
    [said] = warnings if warned else notices
    assert "is now blank" in said
    assert (warnings if not warned else notices) == []


@pytest.mark.parametrize("data, settings", [
    (release(controller(chart_version=NO_VALUES_SHAPE),
             configmap(proxy_url="http://alice:s3cret@proxy.corp:3128")), {}),
    (release(controller(), configmap(proxy_url="http://alice:s3cret@proxy.corp:3128")), {}),
    (release(controller(), configmap(proxy_url=CHART_PROXY)), {}),
    (release(controller(), configmap()), {"proxy_url": CHART_PROXY}),
], ids=["credentials-removed", "blanked-warning", "blanked-notice", "no-proxy-there"])
def test_what_is_said_of_the_configmap_ends_with_the_exporters_upgrade_to_copy(data, settings):
    """Whatever the render did to the ConfigMap an exporter of another release reads, the user
    is given the command that post-renders that exporter, on a line of its own to copy."""
    _, injection = injection_for(data, user_settings(**settings))
    [said] = [m for m in (*injection.warnings, *injection.notices)
              if m.startswith(f"ConfigMap '{FULLNAME}'")]
    command = said.lines[-1].strip()
    assert command.startswith("'helm upgrade ") and command.endswith("'"), said.lines
    assert {"spot/ocean-metric-exporter", "--reuse-values",
            "--post-renderer", "ocean-proxy-post-renderer"} <= set(command.strip("'").split())
    assert said.lines[-2].endswith("post-rendered too:")


def test_the_charts_cas_a_ca_file_drops_are_named_up_to_three_and_counted_beyond(corp_root):
    chart_cas = [certs.root(f"Chart Root {n}") for n in range(5)]
    data = release(controller(), configmap(proxy_url=CHART_PROXY),
                   ca_secret(b"".join(ca.pem for ca in chart_cas)))

    dropped = resolve(data, ca=[("corp.pem", corp_root.pem), ("kept.pem", chart_cas[0].pem)])

    [said] = [w for w in dropped.warnings if "replaces the CA bundle the chart renders" in w]
    assert "'CN=Chart Root 1,O=Example Corp', 'CN=Chart Root 2,O=Example Corp', 'CN=Chart " \
        "Root 3,O=Example Corp' and 1 more from it are no longer among" in said
    assert "Chart Root 4" not in said and "Chart Root 0" not in said
    kept_all = resolve(data, ca=[("all.pem", b"".join(ca.pem for ca in chart_cas))])
    assert not [w for w in kept_all.warnings if "replaces the CA bundle" in w]
