"""The proxy filter: the proxy variables every container reads, and where credentials live."""

from __future__ import annotations

import base64

from post_renderer.render.plan.filters import proxy_env

from ....chart_manifests import FULLNAME, NO_VALUES_SHAPE, configmap, controller, release
from ....user_settings import user_settings
from ...planning import context_for, injection_for, ops

PLAIN = "http://proxy.corp:3128"


def wants(data: bytes, **settings):
    return proxy_env.pod_wants(injection_for(data, user_settings(**settings))[1])


def test_every_proxy_variable_in_both_cases_is_wanted_in_a_fixed_order():
    got = wants(release(controller(), configmap()), proxy_url=PLAIN)

    assert [e.key for e in got.env] == ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY",
                                        "https_proxy", "http_proxy", "no_proxy"]
    by_name = {e.key: e.manifest for e in got.env}
    assert by_name["HTTP_PROXY"] == {"name": "HTTP_PROXY", "value": PLAIN}
    assert by_name["NO_PROXY"]["value"] == by_name["no_proxy"]["value"]
    assert all(e.reason for e in got.env)


def test_no_proxy_holds_the_in_cluster_defaults_and_the_user_additions():
    got = wants(release(controller(), configmap()), proxy_url=PLAIN,
                no_proxy=("corp.example", "10.0.0.0/8"))

    value = {e.key: e.manifest for e in got.env}["NO_PROXY"]["value"].split(",")
    assert {".svc", ".cluster.local", "$(KUBERNETES_SERVICE_HOST)", "169.254.169.254"} \
        <= set(value)
    assert {"corp.example", "10.0.0.0/8"} <= set(value)


def test_without_a_proxy_the_pods_get_no_proxy_and_other_releases_a_blank_one(corp_root):
    """A CA alone (a transparent proxy): no proxy variable, and the Secret beside the
    ConfigMap that a metric exporter of another release reads holds no proxy, so that its
    pod starts, and an earlier proxy's password is gone from it."""
    data = release(controller(), configmap())
    settings = user_settings(ca=[("ca.pem", corp_root.pem)])

    assert wants(data, ca=[("ca.pem", corp_root.pem)]).env == ()
    [added] = proxy_env.propose(context_for(data, settings))
    assert added.resource.kind == "Secret"
    assert added.resource.name == "spot-ocean-kubernetes-controller-ocean-proxy"
    assert added.resource.document["data"] == {"proxy-url": ""}


def test_credentials_are_read_from_a_secret_never_written_as_a_value():
    got = wants(release(controller(), configmap()),
                proxy_url="http://alice:s3cret@proxy.corp:3128")

    for entry in got.env:
        if entry.key.lower().endswith("_proxy") and entry.key.lower() != "no_proxy":
            assert entry.manifest["valueFrom"]["secretKeyRef"] == {
                "name": f"{FULLNAME}-ocean-proxy", "key": "proxy-url"}
        assert "s3cret" not in repr(entry.manifest)


def test_the_log_shipper_gets_a_decoded_copy_when_go_and_fluent_bit_read_it_differently():
    got = wants(release(controller(), configmap()),
                proxy_url="http://alice:p%40ss@proxy.corp:3128")

    assert {e.key for e in got.fluent_bit_env} == {"HTTP_PROXY", "http_proxy"}
    assert all(e.manifest["valueFrom"]["secretKeyRef"]["key"] == "fluent-bit-proxy-url"
               for e in got.fluent_bit_env)


def test_plain_credentials_need_no_second_copy():
    got = wants(release(controller(), configmap()),
                proxy_url="http://alice:s3cret@proxy.corp:3128")
    assert got.fluent_bit_env == ()


def test_an_https_proxy_is_kept_from_fluent_bit_which_would_refuse_to_start():
    got = wants(release(controller(), configmap()), proxy_url="https://proxy.corp")
    assert got.fluent_bit_skip == {"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"}
    assert "NO_PROXY" not in got.fluent_bit_skip


def test_the_secret_holds_the_url_as_go_reads_it_and_the_decoded_copy():
    data = release(controller(), configmap())
    context = context_for(data, user_settings(proxy_url="http://alice:p%40ss@proxy.corp:3128"))

    [proposal] = proxy_env.propose(context)

    assert proposal.resource.kind == "Secret"
    assert proposal.resource.chunk is None  # a new document
    secret = proposal.change.op["value"]
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded == {"proxy-url": "http://alice:p%40ss@proxy.corp:3128",
                       "fluent-bit-proxy-url": "http://alice:p@ss@proxy.corp:3128"}


def test_the_configmap_keeps_the_url_without_credentials_where_chart_values_cannot_carry_it():
    data = release(controller(chart_version=NO_VALUES_SHAPE),
                   configmap(proxy_url="http://alice:s3cret@proxy.corp:3128"))

    proposals = proxy_env.propose(context_for(data, user_settings()))

    replaced = [p for p in proposals if p.resource.kind == "ConfigMap"]
    assert ops(replaced) == [{"op": "replace", "path": "/data/proxy-url",
                              "value": "http://proxy.corp:3128"}]


def test_a_configmap_already_without_credentials_is_left_alone():
    data = release(controller(chart_version=NO_VALUES_SHAPE), configmap(proxy_url=PLAIN))
    proposals = proxy_env.propose(context_for(data, user_settings()))
    assert not [p for p in proposals if p.resource.kind == "ConfigMap"]
    # only the Secret beside it, with the full URL, for a metric exporter of another release
    [shared] = proposals
    assert (shared.resource.kind, shared.resource.name) == ("Secret", f"{FULLNAME}-ocean-proxy")
    assert shared.resource.chunk is None  # a new document
    data_ = shared.change.op["value"]["data"]
    assert {k: base64.b64decode(v).decode() for k, v in data_.items()} == {"proxy-url": PLAIN}


def test_the_controller_keeps_the_charts_https_proxy_reading_a_blanked_key_as_values_do():
    data = release(controller(), configmap(proxy_url=PLAIN))
    context = context_for(data, user_settings())

    blanked = [p for p in proxy_env.propose(context) if p.resource.kind == "ConfigMap"]

    assert ops(blanked) == [{"op": "replace", "path": "/data/proxy-url", "value": ""}]
    shipper = {"name": "log-shipper", "image": "fluent/fluent-bit:4.1.0"}
    chart_entry = {"name": "HTTPS_PROXY", "valueFrom": {"configMapKeyRef": {
        "name": FULLNAME, "key": "proxy-url", "optional": True}}}
    [kept] = [e for e in context.wants.env_for({"name": "ocean-kubernetes-controller"})
              if e.key == "HTTPS_PROXY"]
    assert kept.desired(chart_entry) == chart_entry
    # a literal HTTPS_PROXY first (an extraEnv entry) is made the chart's reference again
    assert kept.desired({"name": "HTTPS_PROXY", "value": "http://old:8080"}) == chart_entry
    [shippers] = [e for e in context.wants.env_for(shipper) if e.key == "HTTPS_PROXY"]
    assert shippers.manifest == {"name": "HTTPS_PROXY", "value": PLAIN}


def test_a_decoded_copy_no_longer_needed_is_removed_from_our_secret():
    data = release(controller(), configmap())
    first = context_for(data, user_settings(proxy_url="http://alice:p%40ss@proxy.corp:3128"))
    [created] = proxy_env.propose(first)
    secret_doc = _as_yaml(created.change.op["value"])

    later = context_for(data + secret_doc, user_settings(
        proxy_url="http://alice:s3cret@proxy.corp:3128"))
    changes = ops(proxy_env.propose(later))

    assert {"op": "remove", "path": "/data/fluent-bit-proxy-url"} in changes


def _as_yaml(document: dict) -> bytes:
    import io

    from ruamel.yaml import YAML

    out = io.StringIO()
    YAML().dump(document, out)
    return b"---\n" + out.getvalue().encode()

