"""build_plan and apply_plan: every filter's proposals, grouped per document, then applied."""

from __future__ import annotations

from post_renderer.render.plan import plan as planning
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.plan import NEW_DOCUMENT_COMMENT, apply_plan, build_plan
from post_renderer.render.stream.split import join

from ...chart_manifests import FULLNAME, configmap, controller, load_all, release, service
from ...user_settings import user_settings
from ..planning import injection_for

PROXY = "http://proxy.corp:3128"


def test_nothing_to_inject_is_an_empty_plan():
    release_, _ = injection_for(release(controller(), configmap()), user_settings())
    plan = build_plan(release_, Injection())
    assert plan.empty and plan.ordered() == []


def test_every_change_carries_a_reason(corp_root):
    data = release(controller(), configmap(proxy_url="http://u:pw@proxy.corp:3128"))
    plan = build_plan(*injection_for(data, user_settings(ca=[("ca.pem", corp_root.pem)])))

    changes = [c for d in plan.documents for c in d.changes]
    assert changes and all(c.reason.strip() for c in changes)


def test_existing_documents_come_in_stream_order_then_new_ones():
    data = release(configmap(), service(), controller())
    plan = build_plan(*injection_for(data, user_settings(
        proxy_url="http://alice:s3cret@proxy.corp:3128")))

    described = [(d.resource.kind, d.new) for d in plan.ordered()]
    assert described == [("ConfigMap", False), ("Deployment", False), ("Secret", True)]


def test_a_changed_document_is_one_plan_entry_whatever_filters_touched_it(corp_root):
    data = release(controller(), configmap())
    plan = build_plan(*injection_for(data, user_settings(
        proxy_url=PROXY, ca=[("ca.pem", corp_root.pem)])))

    deployments = [d for d in plan.documents if d.resource.kind == "Deployment"]
    assert len(deployments) == 1


def test_the_embedded_jobs_changes_are_kept_under_the_op_that_writes_it():
    data = release(controller(), configmap())
    plan = build_plan(*injection_for(data, user_settings(proxy_url=PROXY)))

    [cm] = [d for d in plan.documents if d.resource.kind == "ConfigMap"]
    assert set(cm.nested) == {"/data/auto-update.job"}
    assert any(c.op["path"].endswith("/env") for c in cm.nested["/data/auto-update.job"])


def test_apply_replaces_only_the_planned_documents_and_appends_new_ones():
    data = release(service(), controller(), configmap())
    release_, injection = injection_for(data, user_settings(
        proxy_url="http://alice:s3cret@proxy.corp:3128"))
    plan = build_plan(release_, injection)

    replaced, appended = apply_plan(plan)

    assert sorted(replaced) == [1, 2]  # the Deployment and the ConfigMap, not the Service
    [secret] = appended
    assert secret.startswith(b"---\n" + NEW_DOCUMENT_COMMENT.encode())
    out = b"".join(bytes(p) for p in join(data, release_.chunks, replaced, appended))
    assert [d["kind"] for d in load_all(out)] == ["Service", "Deployment", "ConfigMap",
                                                  "Secret"]


def test_a_replaced_document_keeps_its_separator_line_and_source_comment():
    data = release(controller(), configmap())
    release_, injection = injection_for(data, user_settings(proxy_url=PROXY))

    replaced, _ = apply_plan(build_plan(release_, injection))

    assert replaced[0].startswith(b"---\n# Source: ocean-kubernetes-controller/templates/0.yaml\n")
    assert b"# Roll the pods when their configuration changes." in replaced[0]


def test_plan_add_merges_changes_for_the_same_resource():
    release_, _ = injection_for(release(controller()), user_settings())
    plan = planning.Plan()
    workload = release_.workloads[0]
    change = planning.Change({"op": "remove", "path": "/spec/replicas"}, "why")
    plan.add(workload, [change])
    plan.add(workload, [change])
    assert len(plan.documents) == 1 and len(plan.documents[0].changes) == 2
    assert plan.documents[0].resource.name == FULLNAME


def test_new_secrets_follow_the_changed_documents_in_the_order_they_were_planned(corp_root):
    data = release(controller(), configmap())
    release_, injection = injection_for(data, user_settings(
        proxy_url="http://alice:s3cret@proxy.corp:3128", ca=[("ca.pem", corp_root.pem)]))

    replaced, appended = apply_plan(build_plan(release_, injection))
    out = b"".join(bytes(p) for p in join(data, release_.chunks, replaced, appended))

    # the proxy's credentials, the pods' CA bundle, then the auto-update Job's CA, as the
    # filters plan them: the order a repository of rendered manifests holds and diffs
    assert [(d["kind"], d["metadata"]["name"]) for d in load_all(out)] == [
        ("Deployment", FULLNAME), ("ConfigMap", FULLNAME),
        ("Secret", f"{FULLNAME}-ocean-proxy"), ("Secret", f"{FULLNAME}-ca-bundle"),
        ("Secret", f"{FULLNAME}-ocean-proxy-ca")]


def test_a_secret_added_to_a_crlf_release_is_written_with_crlf_line_ends():
    data = release(controller(), configmap()).replace(b"\n", b"\r\n")
    release_, injection = injection_for(data, user_settings(
        proxy_url="http://alice:s3cret@proxy.corp:3128"))

    _, [secret] = apply_plan(build_plan(release_, injection))

    assert secret.startswith(b"---\r\n" + NEW_DOCUMENT_COMMENT.replace("\n", "\r\n").encode())
    assert b"\n" not in secret.replace(b"\r\n", b"") and secret.endswith(b"\r\n")
