"""The overlay's chart values: which charts can carry them, how the user's own list entries
are kept beside them, and what it says when a proxy is set and no CA."""

from __future__ import annotations

import pytest

from post_renderer.render.overlay.values import (
    chart_version,
    merge_user_values,
    no_ca_notice,
    other_chart,
    why_not,
)
from post_renderer.render.plan.overlay_input import overlay_for

from ...chart_manifests import CA_KEY, FULLNAME, ca_secret, configmap, controller, release
from ...user_settings import user_settings
from ..planning import injection_for, release_of


@pytest.mark.parametrize(("version", "legacy"), [("0.1.3", True), ("0.1.4", False),
                                                 ("0.1.60", False)])
def test_a_chart_before_0_1_4_is_said_to_have_no_ca_values(version, legacy):
    """--set caBundleSecret... does nothing on charts 0.1.0 to 0.1.3: the CA needs --ca-file."""
    notice = no_ca_notice(release_of(release(controller(chart_version=version),
                                                 configmap(proxy_url="http://p.corp:3128"))))
    assert ("has no CA values" in notice and "--ca-file=ca.pem" in notice) is legacy
    assert f"{version} has no CA values" in notice if legacy else \
        notice.startswith("no CA bundle configured: fine if the proxy does not inspect TLS")


def test_a_chart_without_its_label_is_told_apart_by_the_proxy_variable_its_controller_reads():
    """Without the helm.sh/chart label the version is unknown: a controller that reads
    PROXY_URL alone is from a chart before 0.1.4, which has no CA values."""
    unlabelled = controller().replace("    helm.sh/chart: ocean-kubernetes-controller-0.1.60\n",
                                      "")
    legacy = unlabelled.replace("- name: HTTPS_PROXY", "- name: PROXY_URL")
    notice = no_ca_notice(release_of(release(legacy, configmap(proxy_url="http://p.corp:3128"))))
    assert notice.startswith(
        "no CA bundle configured, and the ocean-kubernetes-controller chart of this release "
        "(its controller reads PROXY_URL) has no CA values (caBundleSecret came with 0.1.4)")

    both = unlabelled.replace("- name: HTTPS_PROXY", "- name: PROXY_URL\n"
                              "          value: http://p.corp:3128\n        - name: HTTPS_PROXY")
    notice = no_ca_notice(release_of(release(both, configmap(proxy_url="http://p.corp:3128"))))
    assert notice.startswith("no CA bundle configured: fine if the proxy does not inspect TLS")


def test_a_controller_without_its_chart_label_is_not_taken_for_another_agents_chart():
    """The controller container tells the controller chart's release apart even without
    the helm.sh/chart label: 'ocean-proxy values' then says the label is missing, and does
    not send the user to post-render it as another Spot agent's chart."""
    unlabelled = controller().replace("    helm.sh/chart: ocean-kubernetes-controller-0.1.60\n",
                                      "")
    manifests = release_of(release(unlabelled, configmap(proxy_url="http://p.corp:3128")))

    assert other_chart(manifests) is None
    assert "carry no 'ocean-kubernetes-controller-<version>' helm.sh/chart label" in \
        str(why_not(manifests))


def test_the_no_ca_notice_does_not_speak_of_a_ca_value_nobody_gave():
    """It said 'a CA given as caBundleSecret.data reaches the chart's Secret only with
    create=true' to users who gave no CA at all; that is said only where helm was given the
    value (commands.helm_values), which the manifests do not show."""
    notice = no_ca_notice(release_of(release(controller(),
                                             configmap(proxy_url="http://p.corp:3128"))))
    assert "caBundleSecret" not in notice


@pytest.mark.parametrize(("version", "log_shipper", "refused"), [
    ("0.1.52", True, True), ("0.1.53", True, False), ("0.1.52", False, False)])
def test_values_need_chart_0_1_53_only_for_a_log_shipper(version, log_shipper, refused):
    """logShipping.extraEnv and extraVolumeMounts came with 0.1.53: before, the log-shipper's
    proxy and CA cannot be given as values; a release without a log-shipper needs neither."""
    reason = why_not(release_of(release(controller(chart_version=version,
                                                   log_shipper=log_shipper), configmap())))
    assert (reason is not None) is refused
    if refused:
        assert reason == (f"chart ocean-kubernetes-controller {version} is older than 0.1.53 "
                          "and has no logShipping.extraEnv/extraVolumeMounts for the log-shipper")


@pytest.mark.parametrize(("version", "refused"), [("0.1.3", True), ("0.1.4", False)])
def test_values_need_chart_0_1_4_whose_controller_reads_https_proxy(version, refused):
    """Before 0.1.4 the controller reads PROXY_URL, which only spotinst.proxyUrl fills (in
    plain text), and there is no caBundleSecret: no values can carry the injection."""
    reason = why_not(release_of(release(controller(chart_version=version, log_shipper=False),
                                        configmap())))
    assert reason == (f"chart ocean-kubernetes-controller {version} gives the controller "
                      "PROXY_URL, which only spotinst.proxyUrl fills (in plain text), and has "
                      "no caBundleSecret" if refused else None)


def test_a_chart_version_with_build_metadata_is_that_version():
    """helm writes 0.1.60+corp.5 as ocean-kubernetes-controller-0.1.60_corp.5 in the label."""
    data = release(controller(chart_version="0.1.60_corp.5"), configmap())
    assert chart_version(release_of(data)) == (0, 1, 60)
    assert why_not(release_of(data)) is None


OURS = {"extraEnv": [{"name": "https_proxy", "value": "http://proxy.corp:3128"}],
        "extraVolumes": [{"name": "ocean-proxy-ca", "secret": {"secretName": "s"}}],
        "extraVolumeMounts": [{"name": "ocean-proxy-ca", "mountPath": "/etc/ocean-proxy/ca"}],
        "logShipping": {"extraEnv": [{"name": "HTTP_PROXY", "value": "http://proxy.corp:3128"}],
                        "extraVolumeMounts": [{"name": "ocean-proxy-ca",
                                               "mountPath": "/etc/ocean-proxy/ca"}]},
        "podAnnotations": {"checksum/proxy": "ours"}}


def test_the_users_list_entries_come_first_and_ours_replace_theirs_of_the_same_name_or_path():
    """helm replaces a list a later values file gives: the user's entries are kept in ours,
    and one at our name (env, volume) or our mount path would be a duplicate the API server
    refuses, or a second variable that wins over ours."""
    user = {"extraEnv": [{"name": "CORP_TRACE", "value": "on"},
                         {"name": "https_proxy", "value": "http://old:1"}],
            "extraVolumes": [{"name": "corp", "emptyDir": {}},
                             {"name": "ocean-proxy-ca", "emptyDir": {}}],
            "extraVolumeMounts": [{"name": "corp", "mountPath": "/var/run/corp"},
                                  {"name": "old-ca", "mountPath": "/etc/ocean-proxy/ca"}],
            "logShipping": {"extraEnv": [{"name": "LOG_TAG", "value": "x"}],
                            "extraVolumeMounts": [{"name": "old-ca",
                                                   "mountPath": "/etc/ocean-proxy/ca"}]}}

    merged = merge_user_values(OURS, user)

    assert merged["extraEnv"] == [{"name": "CORP_TRACE", "value": "on"}, *OURS["extraEnv"]]
    assert merged["extraVolumes"] == [{"name": "corp", "emptyDir": {}}, *OURS["extraVolumes"]]
    assert merged["extraVolumeMounts"] == [{"name": "corp", "mountPath": "/var/run/corp"},
                                           *OURS["extraVolumeMounts"]]
    assert merged["logShipping"] == {
        "extraEnv": [{"name": "LOG_TAG", "value": "x"}, *OURS["logShipping"]["extraEnv"]],
        "extraVolumeMounts": OURS["logShipping"]["extraVolumeMounts"]}


def test_the_users_pod_annotations_are_kept_and_ours_win_on_the_same_key():
    user = {"podAnnotations": {"corp/team": "platform", "checksum/proxy": "theirs"}}
    assert merge_user_values(OURS, user)["podAnnotations"] == {
        "corp/team": "platform", "checksum/proxy": "ours"}


def test_a_ca_secret_made_outside_the_release_is_not_created_by_the_chart_values(corp_root):
    """USER_ENV_CERTIFICATES read a Secret the release does not render: the values point it
    at ocean-proxy's CA Secret (applied beside the release) and leave create false, so the
    chart renders no Secret of that name, with no data, over it."""
    data = release(controller(ca_secret="corp-trust"), configmap())
    overlay = overlay_for(*reversed(injection_for(data, user_settings(
        ca=[("corp.pem", corp_root.pem)]))))

    ours = f"{FULLNAME}-ocean-proxy-ca"
    assert overlay.values["caBundleSecret"] == {"create": False, "name": ours, "key": CA_KEY}
    assert CA_KEY in overlay.secrets[ours]


def test_a_ca_secret_the_chart_renders_is_created_by_the_chart_values_with_the_bundle(
        corp_root):
    data = release(controller(), configmap(), ca_secret(b"old"))
    overlay = overlay_for(*reversed(injection_for(data, user_settings(
        ca=[("corp.pem", corp_root.pem)]))))

    values = overlay.values["caBundleSecret"]
    assert {key: values[key] for key in ("create", "name", "key")} == {
        "create": True, "name": f"{FULLNAME}-ca-bundle", "key": CA_KEY}
    assert "BEGIN CERTIFICATE" in values["data"]
