"""find_release: the targets and the objects they refer to, parsed up front, nothing else."""

from __future__ import annotations

import pytest

from post_renderer.errors import ManifestError, TargetError
from post_renderer.render.release.workloads import WorkloadRef

from ...chart_manifests import (
    CA_SECRET,
    FULLNAME,
    NAMESPACE,
    ca_secret,
    configmap,
    controller,
    metrics_server,
    release,
    service,
)
from ...user_settings import user_settings
from ..planning import release_of

BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\ndata: [\n"


def test_the_controller_is_found_by_its_container_name_and_the_subchart_is_not():
    found = release_of(release(metrics_server(), controller(), service()))
    assert [(w.kind, w.name) for w in found.workloads] == [("Deployment", FULLNAME)]
    assert found.workloads[0].chunk.index == 1


def test_the_controller_is_found_by_its_pod_label_whatever_its_containers_are_called():
    renamed = controller(log_shipper=False).replace("- name: ocean-kubernetes-controller",
                                                    "- name: manager")
    assert [w.name for w in release_of(release(renamed)).workloads] == [FULLNAME]


def test_the_objects_its_env_refers_to_are_parsed_and_others_are_not(corp_root):
    found = release_of(release(controller(), configmap(), ca_secret(corp_root.pem), BROKEN))
    assert found.get("ConfigMap", FULLNAME) is not None
    assert found.get("Secret", CA_SECRET) is not None
    assert found.get("ConfigMap", "broken") is None  # never parsed: invalid YAML is harmless


@pytest.mark.timeout(30)
def test_a_reference_to_an_empty_name_names_nothing_and_the_release_is_still_read():
    found = release_of(release(controller(ca_secret='""'), configmap()))
    assert [w.name for w in found.workloads] == [FULLNAME]
    assert found.get("ConfigMap", FULLNAME) is not None


def test_an_object_of_another_kind_that_shares_a_wanted_name_is_never_parsed(corp_root):
    """The CA is read from a Secret: a broken ConfigMap of the same name is not read at all."""
    namesake = BROKEN.replace("name: broken", f"name: {CA_SECRET}")
    found = release_of(release(controller(), configmap(), ca_secret(corp_root.pem), namesake))
    assert found.get("Secret", CA_SECRET) is not None
    assert found.get("ConfigMap", CA_SECRET) is None


def test_invalid_yaml_in_a_target_is_a_manifest_error_with_its_document_number():
    broken = controller() + "  extra: [unclosed\n"
    with pytest.raises(ManifestError) as caught:
        release_of(release(service(), broken))
    assert "document 2" in caught.value.message


def test_a_target_that_is_not_utf8_is_a_manifest_error():
    data = release(controller()).replace(b"replicas: 1", b"replicas: \xff")
    with pytest.raises(ManifestError) as caught:
        release_of(data)
    assert "not valid UTF-8" in caught.value.message


def test_a_named_workload_replaces_detection():
    settings = user_settings(workloads=(WorkloadRef("Deployment", "spot-metrics-server"),))
    found = release_of(release(controller(), metrics_server()), settings)
    assert [w.name for w in found.workloads] == ["spot-metrics-server"]


def test_a_named_workload_is_only_that_kind_not_a_namesake_of_another_kind():
    daemonset = metrics_server().replace("kind: Deployment", "kind: DaemonSet")
    settings = user_settings(workloads=(WorkloadRef("Deployment", "spot-metrics-server"),))
    found = release_of(release(daemonset, metrics_server()), settings)
    assert [(w.kind, w.name) for w in found.workloads] == [("Deployment", "spot-metrics-server")]


def test_a_named_workload_that_is_missing_is_a_target_error_naming_it():
    settings = user_settings(workloads=(WorkloadRef("Deployment", "nope"),))
    with pytest.raises(TargetError) as caught:
        release_of(release(controller()), settings)
    assert "Deployment/nope" in caught.value.message


def test_a_named_workload_that_is_missing_is_told_the_workloads_that_are_there():
    """'--workload Deployment/x' with a typo: the hint lists what to type instead, the
    workloads of the kinds ocean-proxy injects into (not the Service)."""
    settings = user_settings(workloads=(WorkloadRef("Deployment", "spot-ocean-controller"),))
    with pytest.raises(TargetError) as caught:
        release_of(release(metrics_server(), controller(), service()), settings)
    assert caught.value.message == ("workload Deployment/spot-ocean-controller is not in the "
                                    "manifests")
    assert caught.value.hint == (f"in the manifests: Deployment/{FULLNAME}, "
                                 "Deployment/spot-metrics-server; names are case-sensitive")


def test_many_workloads_are_listed_a_handful_closest_first_and_the_rest_counted():
    many = [controller(name=f"app-{i}", log_shipper=False) for i in range(9)]
    settings = user_settings(workloads=(WorkloadRef("StatefulSet", "app-7"),))
    with pytest.raises(TargetError) as caught:
        release_of(release(*many, BROKEN), settings)
    listed, _, rest = caught.value.hint.removeprefix("in the manifests: ").partition(" and ")
    names = listed.split(", ")
    assert len(names) == 5 and names[0] == "Deployment/app-7"
    assert rest == "4 more; names are case-sensitive"


def test_a_missing_workload_where_there_is_none_says_which_kinds_are_looked_for():
    settings = user_settings(workloads=(WorkloadRef("Deployment", "x"),))
    with pytest.raises(TargetError) as caught:
        release_of(release(service()), settings)
    assert caught.value.hint.startswith("the manifests hold no workload of a kind ocean-proxy "
                                        "injects into (Deployment, StatefulSet, ")
    assert "case-sensitive" not in caught.value.hint  # there is no name to have mistyped


def test_an_object_in_the_workloads_namespace_wins_over_a_namesake_elsewhere():
    elsewhere = configmap(proxy_url="http://wrong:1").replace(
        f"namespace: {NAMESPACE}", "namespace: other")
    mine = configmap(proxy_url="http://right:1")
    found = release_of(release(controller(), elsewhere, mine))
    assert found.get("ConfigMap", FULLNAME).document["data"]["proxy-url"] == "http://right:1"


def test_a_namesake_in_another_namespace_alone_is_not_what_the_workload_reads():
    elsewhere = configmap(proxy_url="http://wrong:1").replace(
        f"namespace: {NAMESPACE}", "namespace: other")
    found = release_of(release(controller(), elsewhere))
    assert found.get("ConfigMap", FULLNAME) is None


def test_a_mention_in_a_comment_or_block_string_does_not_make_a_target():
    decoy = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n"
             "  text: |\n    name: ocean-kubernetes-controller\n"
             "# name: ocean-kubernetes-controller\n")
    assert release_of(release(decoy)).workloads == []


def test_referenced_lists_only_objects_that_are_here():
    found = release_of(release(controller(), configmap()))
    assert [r.name for r in found.referenced("ConfigMap")] == [FULLNAME]
    assert found.referenced("Secret") == []  # token and CA Secrets are not in this stream


def test_the_embedded_auto_update_job_is_parsed_with_the_release():
    found = release_of(release(controller(), configmap()))
    cm = found.get("ConfigMap", FULLNAME)
    job = found.embedded(cm, "auto-update.job")
    assert job is not None and job.data["kind"] == "Job"


def test_a_broken_embedded_job_fails_when_the_release_is_read_not_later():
    broken = configmap().replace("    kind: Job", "    kind: [Job")
    assert broken != configmap()
    with pytest.raises(ManifestError, match="auto-update Job"):
        release_of(release(controller(), broken))


def test_a_configmap_as_large_as_kubernetes_stores_is_read():
    """Kubernetes stores objects up to about 1.5 MiB: the controller's ConfigMap that large
    (a long auto-update Job, many keys) is read, not refused as too large."""
    from ...chart_manifests import FULLNAME, configmap, controller, release

    large = configmap(proxy_url="http://proxy.corp:3128").replace(
        "data:\n", "data:\n  padding: " + "x" * (1400 * 1024) + "\n", 1)
    found = release_of(release(controller(), large))

    assert found.get("ConfigMap", FULLNAME) is not None


def test_our_secrets_from_an_earlier_render_are_read_but_are_no_configmap_the_chart_reads(
        corp_root):
    """A release post-rendered twice (its output piped back in) holds ocean-proxy's own
    Secrets: they are read, so that the render brings them up to date, yet the ConfigMaps
    the workloads read (where the proxy URL and the auto-update Job are looked for, and by
    which an agent is told to be beside a controller) are the chart's alone."""
    from post_renderer.render.pipeline import post_render

    first = release(controller(), configmap(proxy_url="http://alice:pw@proxy.corp:3128"),
                    ca_secret(corp_root.pem))
    earlier = b"".join(bytes(part) for part in post_render(first, user_settings()).parts)

    found = release_of(earlier)

    ours = [f"{FULLNAME}-ocean-proxy", f"{FULLNAME}-ocean-proxy-ca"]
    assert all(found.get("Secret", name) is not None for name in ours)
    assert [(r.kind, r.name) for r in found.referenced("ConfigMap")] == \
        [("ConfigMap", FULLNAME)]
