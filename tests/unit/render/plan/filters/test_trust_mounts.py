"""The trust filter: the CA Secret's contents, and where each container finds the CAs."""

from __future__ import annotations

import base64

from post_renderer.render.pipeline import post_render
from post_renderer.render.plan.filters import pod_spec, trust_mounts
from post_renderer.trust import load_trust_bundle

from ..... import certs
from ....chart_manifests import (
    CA_KEY,
    CA_SECRET,
    FULLNAME,
    NO_VALUES_SHAPE,
    ca_secret,
    configmap,
    controller,
    find,
    load_all,
    release,
)
from ....user_settings import user_settings
from ...planning import context_for, injection_for, ops


def output(result) -> bytes:
    return b"".join(bytes(part) for part in result.parts)


def test_cas_sharing_a_subject_get_numbered_file_names(corp_root):
    renewed = certs.root("Example Corp Root CA")  # same subject, new key
    bundle, _ = load_trust_bundle([("a.pem", corp_root.pem + renewed.pem)])

    names = [name for name, _ in trust_mounts.hashed_names(bundle)]

    stem = names[0].split(".")[0]
    assert sorted(names) == [f"{stem}.0", f"{stem}.1"]


def test_each_container_mounts_the_ca_dir_and_one_openssl_file_per_ca(corp_root, other_root):
    data = release(controller(), configmap(proxy_url="http://proxy.corp:3128"))
    _, injection = injection_for(data, user_settings(ca=[("ca.pem", corp_root.pem
                                                          + other_root.pem)]))

    wants = trust_mounts.pod_wants(injection)

    paths = [m.key for m in wants.mounts]
    assert paths[0] == "/etc/ocean-proxy/ca"
    assert len([p for p in paths if p.startswith("/etc/ssl/certs/")]) == 2
    assert all(m.manifest["readOnly"] for m in wants.mounts)
    # the kept Secret of ours that the chart values mount too (see Injection.values_shape):
    # whole for the per-CA files, which are mounted by name, and with the bundle alone for
    # Go's directory, where keys a kept Secret still holds would be trusted too
    ours = f"{FULLNAME}-ocean-proxy-ca"
    assert [v.manifest for v in wants.volumes] == [
        {"name": "ocean-proxy-ca", "secret": {"secretName": ours}},
        {"name": "ocean-proxy-ca-bundle", "secret": {
            "secretName": ours, "items": [{"key": CA_KEY, "path": CA_KEY}]}}]
    volume_of = {m.key: m.manifest["name"] for m in wants.mounts}
    assert volume_of.pop("/etc/ocean-proxy/ca") == "ocean-proxy-ca-bundle"
    assert set(volume_of.values()) == {"ocean-proxy-ca"}
    assert all("subPath" in m.manifest for m in wants.mounts[1:])
    assert injection.ca_secret.name == CA_SECRET  # USER_ENV_CERTIFICATES keeps the chart's


def test_where_chart_values_cannot_carry_it_the_volume_mounts_the_charts_ca_secret(corp_root):
    data = release(controller(chart_version=NO_VALUES_SHAPE),
                   configmap(proxy_url="http://proxy.corp:3128"))
    _, injection = injection_for(data, user_settings(ca=[("ca.pem", corp_root.pem)]))

    wants = trust_mounts.pod_wants(injection)

    assert [v.manifest["secret"]["secretName"] for v in wants.volumes] == [CA_SECRET] * 2


def test_ssl_cert_dir_adds_the_ca_dir_to_what_the_image_already_lists(corp_root):
    data = release(controller(), configmap())
    _, injection = injection_for(data, user_settings(ca=[("ca.pem", corp_root.pem)]))
    [cert_dir] = trust_mounts.pod_wants(injection).env

    assert cert_dir.desired(None)["value"] == \
        "/etc/ssl/certs:/etc/pki/tls/certs:/etc/ocean-proxy/ca"
    assert cert_dir.desired({"name": "SSL_CERT_DIR", "value": "/opt/certs"})["value"] == \
        "/opt/certs:/etc/ocean-proxy/ca"
    kept = {"name": "SSL_CERT_DIR", "value": "/etc/ocean-proxy/ca:/opt/certs"}
    assert cert_dir.desired(kept)["value"] == kept["value"]


def test_no_ca_means_no_mounts():
    data = release(controller(), configmap(proxy_url="http://proxy.corp:3128"))
    _, injection = injection_for(data, user_settings())
    assert trust_mounts.pod_wants(injection) == trust_mounts.PodWants()


def test_the_chart_secret_gets_the_bundle_and_each_ca_by_its_hash(corp_root):
    data = release(controller(), configmap(), ca_secret(b"placeholder"))
    context = context_for(data, user_settings(ca=[("ca.pem", corp_root.pem)]))

    proposals = trust_mounts.propose(context)

    assert {p.resource.name for p in proposals} == {CA_SECRET}
    values = {op["path"]: op.get("value") for op in ops(proposals)}
    assert base64.b64decode(values[f"/data/{CA_KEY}"]) == corp_root.pem
    [hashed] = [path for path in values if path != f"/data/{CA_KEY}"]
    assert hashed.endswith(".0")
    assert base64.b64decode(values[hashed]) == corp_root.pem


def test_a_ca_no_longer_in_the_bundle_loses_its_hashed_key(corp_root, other_root):
    data = release(controller(), configmap(), ca_secret(corp_root.pem))
    first = trust_mounts.propose(context_for(data, user_settings()))
    [old_key] = [op["path"] for op in ops(first) if op["path"] != f"/data/{CA_KEY}"]
    with_old_key = data.replace(
        f'  {CA_KEY}: '.encode(),
        f'  {old_key.rsplit("/", 1)[1]}: "eA=="\n  {CA_KEY}: '.encode())

    later = trust_mounts.propose(context_for(with_old_key, user_settings(
        ca=[("new.pem", other_root.pem)])))

    assert {"op": "remove", "path": old_key} in ops(later)


def test_user_env_certificates_follows_the_bundle_into_our_secret(corp_root):
    # the chart points at a Secret made elsewhere: the bundle goes into one of ours
    data = release(controller(ca_secret="corp-trust"), configmap())
    context = context_for(data, user_settings(ca=[("ca.pem", corp_root.pem)]))

    proposals = trust_mounts.propose(context)
    pods = pod_spec.propose(context)

    repointed = [op for op in ops(pods) if op["path"].startswith(
        "/spec/template/spec/containers/0/env/") and op["op"] == "replace"]
    assert repointed == [{
        "op": "replace", "path": "/spec/template/spec/containers/0/env/2",
        "value": {"name": "USER_ENV_CERTIFICATES", "valueFrom": {"secretKeyRef": {
            "name": f"{FULLNAME}-ocean-proxy-ca", "key": CA_KEY, "optional": True}}}}]
    assert any(p.resource.name == f"{FULLNAME}-ocean-proxy-ca" and p.resource.chunk is None
               for p in proposals)


def test_only_keys_named_by_a_cas_hash_are_taken_for_an_earlier_cas_files(corp_root, other_root):
    """Our CA Secret from an earlier render, fed back in (its own output post-rendered
    again), with the CA replaced since: the earlier CA's file (named by its subject hash)
    goes, the new CA's comes, and a key no CA's hash names is not a CA file ocean-proxy
    wrote, so it is left as it is: ocean-proxy deletes only what it derived from a bundle."""
    ours = f"{FULLNAME}-ocean-proxy-ca"
    first = release(controller(), configmap(proxy_url="http://proxy.corp:3128"),
                    ca_secret(corp_root.pem))
    earlier = output(post_render(first, user_settings()))
    [old_file] = [key for key in find(load_all(earlier), "Secret", ours)["data"]
                  if key != CA_KEY]
    note = base64.b64encode(b"rotated by the platform team").decode()
    with_note = earlier.replace(f"  {old_file}: ".encode(),
                                f"  README.txt: {note}\n  {old_file}: ".encode())
    assert with_note != earlier

    again = load_all(output(post_render(with_note, user_settings(
        ca=[("new.pem", other_root.pem)]))))

    data = find(again, "Secret", ours)["data"]
    assert old_file not in data
    assert base64.b64decode(data[CA_KEY]) == other_root.pem
    [new_file] = [key for key in data if key not in (CA_KEY, "README.txt")]
    assert base64.b64decode(data[new_file]) == other_root.pem
    assert data["README.txt"] == note
