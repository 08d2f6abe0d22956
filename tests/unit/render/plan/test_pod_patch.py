"""pod_spec_changes: the smallest patch giving a pod the wanted env, mounts and volumes."""

from __future__ import annotations

import copy

import jsonpatch

from post_renderer.render.plan.pod_patch import PodEntry, PodWants, pod_spec_changes


def env(name: str, value: str) -> PodEntry:
    return PodEntry(name, {"name": name, "value": value}, f"{name} wanted")


def apply(pod: dict, wants: PodWants) -> dict:
    return jsonpatch.apply_patch(pod, [c.op for c in pod_spec_changes(pod, "", wants)])


def test_an_existing_entry_is_replaced_where_it_stands():
    pod = {"containers": [{"name": "c", "env": [{"name": "A", "value": "1"},
                                                {"name": "HTTPS_PROXY", "value": "old"},
                                                {"name": "Z", "value": "2"}]}]}
    patched = apply(pod, PodWants(env=(env("HTTPS_PROXY", "new"),)))
    assert patched["containers"][0]["env"] == [
        {"name": "A", "value": "1"}, {"name": "HTTPS_PROXY", "value": "new"},
        {"name": "Z", "value": "2"}]


def test_later_duplicates_are_removed_and_missing_entries_appended():
    pod = {"containers": [{"name": "c", "env": [
        {"name": "P", "value": "x"}, {"name": "K", "value": "keep"}, {"name": "P", "value": "y"},
        {"name": "P", "value": "z"}]}]}
    patched = apply(pod, PodWants(env=(env("P", "x"), env("Q", "new"))))
    assert patched["containers"][0]["env"] == [
        {"name": "P", "value": "x"}, {"name": "K", "value": "keep"}, {"name": "Q", "value": "new"}]


def test_a_pod_that_has_everything_gets_an_empty_patch():
    pod = {"containers": [{"name": "c", "env": [{"name": "A", "value": "1"}]}]}
    assert pod_spec_changes(pod, "/spec", PodWants(env=(env("A", "1"),))) == []


def test_mounts_of_our_volume_that_are_no_longer_wanted_are_removed():
    mount = PodEntry("/new", {"name": "ours", "mountPath": "/new"}, "wanted")
    pod = {"containers": [{"name": "c", "volumeMounts": [
        {"name": "ours", "mountPath": "/old"}, {"name": "theirs", "mountPath": "/data"}]}]}
    patched = apply(pod, PodWants(mounts=(mount,), owned_volume="ours"))
    assert patched["containers"][0]["volumeMounts"] == [
        {"name": "theirs", "mountPath": "/data"}, {"name": "ours", "mountPath": "/new"}]


def test_fluent_bit_gets_its_own_copy_and_skips_what_it_cannot_use():
    pod = {"containers": [{"name": "ctl"}, {"name": "log-shipper"}]}
    wants = PodWants(env=(env("HTTPS_PROXY", "go"), env("HTTP_PROXY", "go"), env("NO_PROXY", "n")),
                     fluent_bit_env=(env("HTTP_PROXY", "decoded"),),
                     fluent_bit_skip=frozenset({"HTTPS_PROXY"}))
    patched = apply(pod, wants)
    assert patched["containers"][0]["env"] == [
        {"name": "HTTPS_PROXY", "value": "go"}, {"name": "HTTP_PROXY", "value": "go"},
        {"name": "NO_PROXY", "value": "n"}]
    assert patched["containers"][1]["env"] == [
        {"name": "HTTP_PROXY", "value": "decoded"}, {"name": "NO_PROXY", "value": "n"}]


def test_volumes_are_added_to_the_pod_once():
    volume = PodEntry("v", {"name": "v", "secret": {"secretName": "s"}}, "the CA")
    pod = {"containers": [{"name": "a"}, {"name": "b"}]}
    once = apply(pod, PodWants(volumes=(volume,)))
    assert once["volumes"] == [{"name": "v", "secret": {"secretName": "s"}}]
    assert pod_spec_changes(copy.deepcopy(once), "", PodWants(volumes=(volume,))) == []


def test_a_merged_entry_is_built_from_the_last_duplicate_which_kubernetes_uses():
    """Two SSL_CERT_DIR entries (the image's, then an extraEnv one): the container sees the
    last, so the directories kept are that one's, written where the first stood."""
    def merge(existing: dict) -> dict:
        return {"name": "SSL_CERT_DIR", "value": f"{existing['value']}:/ours"}

    wanted = PodEntry("SSL_CERT_DIR", {"name": "SSL_CERT_DIR", "value": "/ours"}, "why", merge)
    pod = {"containers": [{"name": "c", "env": [
        {"name": "SSL_CERT_DIR", "value": "/image"}, {"name": "K", "value": "keep"},
        {"name": "SSL_CERT_DIR", "value": "/extra"}]}]}
    patched = apply(pod, PodWants(env=(wanted,)))
    assert patched["containers"][0]["env"] == [
        {"name": "SSL_CERT_DIR", "value": "/extra:/ours"}, {"name": "K", "value": "keep"}]


def test_a_stale_mount_before_one_that_is_replaced_leaves_the_right_entries():
    """A CA dropped from the bundle leaves its mount of our volume before one of a CA still
    there that needs rewriting: the patch must name each by where it stands."""
    kept = PodEntry("/certs/b.0", {"name": "ours", "mountPath": "/certs/b.0", "subPath": "b.0",
                                   "readOnly": True}, "wanted")
    pod = {"containers": [{"name": "c", "volumeMounts": [
        {"name": "ours", "mountPath": "/certs/a.0", "subPath": "a.0", "readOnly": True},
        {"name": "ours", "mountPath": "/certs/b.0", "subPath": "b.0"},
        {"name": "theirs", "mountPath": "/data"}]}]}
    patched = apply(pod, PodWants(mounts=(kept,), owned_volume="ours"))
    assert patched["containers"][0]["volumeMounts"] == [
        {"name": "ours", "mountPath": "/certs/b.0", "subPath": "b.0", "readOnly": True},
        {"name": "theirs", "mountPath": "/data"}]
