"""The pod filter: every target pod gets the merged wants of all filters, in one patch."""

from __future__ import annotations

import jsonpatch

from post_renderer.render.plan.filters import pod_spec
from post_renderer.render.stream.kube import containers

from ....chart_manifests import configmap, controller, metrics_server, release
from ....user_settings import user_settings
from ...planning import context_for

PROXY = "http://proxy.corp:3128"


def test_a_container_without_env_gets_one_list_with_proxy_and_trust(corp_root):
    data = release(controller(log_shipper=True), configmap())
    context = context_for(data, user_settings(proxy_url=PROXY, ca=[("ca.pem", corp_root.pem)]))
    deployment = context.release.workloads[0]
    del deployment.document["spec"]["template"]["spec"]["containers"][1]["env"]

    proposals = pod_spec.propose(context)

    adds = [p.change.op for p in proposals
            if p.change.op["path"] == "/spec/template/spec/containers/1/env"]
    assert len(adds) == 1
    names = [e["name"] for e in adds[0]["value"]]
    assert names == ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy",
                     "no_proxy", "SSL_CERT_DIR"]


def test_applied_proposals_give_every_container_the_proxy_once(corp_root):
    data = release(controller(), configmap())
    context = context_for(data, user_settings(proxy_url=PROXY, ca=[("ca.pem", corp_root.pem)]))
    deployment = context.release.workloads[0]

    patched = jsonpatch.apply_patch(
        deployment.document, [p.change.op for p in pod_spec.propose(context)])

    pod = patched["spec"]["template"]["spec"]
    for _, _, container in containers(pod):
        names = [e["name"] for e in container["env"]]
        assert names.count("HTTPS_PROXY") == 1
        assert "/etc/ocean-proxy/ca" in [m["mountPath"] for m in container["volumeMounts"]]
    assert [v["name"] for v in pod["volumes"]].count("ocean-proxy-ca") == 1


def test_only_target_workloads_are_patched():
    data = release(controller(), configmap(), metrics_server())
    proposals = pod_spec.propose(context_for(data, user_settings(proxy_url=PROXY)))
    assert {p.resource.name for p in proposals} == {"spot-ocean-kubernetes-controller"}
