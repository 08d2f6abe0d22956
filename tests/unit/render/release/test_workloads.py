"""Which workloads are targets: the controller by what it is, or KIND/NAME as the user says."""

from __future__ import annotations

import pytest

from post_renderer.errors import ConfigError
from post_renderer.render.release.agents import CONTROLLER, recognise
from post_renderer.render.release.workloads import WorkloadRef, is_fluent_bit, parse_workload_ref


def deployment(containers: list[str], labels: dict | None = None) -> dict:
    return {"spec": {"template": {"metadata": {"labels": labels or {}},
                                  "spec": {"containers": [{"name": n} for n in containers]}}}}


@pytest.mark.parametrize("text, ref", [
    ("Deployment/my-controller", WorkloadRef("Deployment", "my-controller")),
    ("deployment/my-controller", WorkloadRef("Deployment", "my-controller")),
    (" cronjob/nightly.v2 ", WorkloadRef("CronJob", "nightly.v2")),
])
def test_workload_refs_accept_any_case_of_the_kind(text, ref):
    assert parse_workload_ref(text, "--workload") == ref
    assert str(ref) == f"{ref.kind}/{ref.name}"


@pytest.mark.parametrize("text", ["my-controller", "Service/x", "Deployment/My_App",
                                  "Deployment/my_app", "Deployment/", "Deployment/-x"])
def test_a_bad_workload_ref_names_its_source_and_the_kinds(text):
    with pytest.raises(ConfigError) as caught:
        parse_workload_ref(text, "config file x.yaml")
    assert caught.value.message.startswith("config file x.yaml: ")
    assert "Deployment" in caught.value.hint and "CronJob" in caught.value.hint


@pytest.mark.parametrize("text, meant", [
    ("deploy/foo", "Deployment/foo"),
    ("deployments/foo", "Deployment/foo"),
    ("Deployments/foo", "Deployment/foo"),
    ("deployment.apps/foo", "Deployment/foo"),  # as 'kubectl get deploy -o name' prints it
    ("ds/foo", "DaemonSet/foo"),
    ("daemonsets/foo", "DaemonSet/foo"),
    ("sts/foo", "StatefulSet/foo"),
    ("statefulsets.apps/foo", "StatefulSet/foo"),
    ("rs/foo", "ReplicaSet/foo"),
    ("cj/nightly", "CronJob/nightly"),
    ("cronjobs/nightly", "CronJob/nightly"),
    ("cronjob.batch/nightly", "CronJob/nightly"),
    ("jobs/once", "Job/once"),
    ("po/x", "Pod/x"),
    ("pods/x", "Pod/x"),
])
@pytest.mark.parametrize("source", ["--workload", "config file x.yaml: workloads"])
def test_a_kubectl_name_for_a_kind_is_refused_with_the_kind_it_means(text, meant, source):
    """kubectl's short, plural and group-qualified names: refused (a manifest's kind is what is
    matched), with the KIND/NAME to write instead."""
    with pytest.raises(ConfigError) as caught:
        parse_workload_ref(text, source)
    assert caught.value.message.startswith(f"{source}: '{text}' ")
    assert caught.value.message.endswith(f"did you mean {meant}?")
    assert caught.value.hint.startswith(
        f"write the kind as a manifest does (kind: {meant.split('/')[0]}); kinds: ")


@pytest.mark.parametrize("text", ["deploy/My_App", "deploy/", "services/foo", "svc/foo"])
def test_a_kubectl_name_with_no_usable_meaning_gets_no_guess(text):
    with pytest.raises(ConfigError) as caught:
        parse_workload_ref(text, "--workload")
    assert "did you mean" not in caught.value.message
    assert caught.value.message.endswith("is not KIND/NAME of a workload")


def test_the_controller_is_recognised_by_container_name_or_pod_label():
    assert recognise(deployment(["ocean-kubernetes-controller"]), "Deployment") == CONTROLLER
    assert recognise(
        deployment(["manager"], {"app.kubernetes.io/name": "ocean-kubernetes-controller"}),
        "Deployment") == CONTROLLER
    assert recognise(deployment(["metrics-server"]), "Deployment") is None
    assert recognise(deployment(["ocean-kubernetes-controller"]), "Service") is None


def test_fluent_bit_is_the_log_shipper_or_any_fluent_bit_image():
    assert is_fluent_bit({"name": "log-shipper"})
    assert is_fluent_bit({"name": "logs", "image": "cr.fluentbit.io/fluent/fluent-bit:4.1"})
    assert not is_fluent_bit({"name": "ocean-kubernetes-controller", "image": "spot/ctl:2"})
